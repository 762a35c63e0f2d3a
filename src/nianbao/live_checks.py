"""The template's live checks as Excel formulas, compiled from the rules; and what they evaluate to, in Python.

A number cell has three 0/1 flags on the very hidden flag sheet: wrong (C: filled with something its type does not
allow), blank (D) and unusable (E: blank or not a number of its type — an equation cannot be evaluated on it).
An equation is judged only when none of its cells is unusable: an equation with a blank cell is incomplete, not
failing, exactly as the Python checker skips it. A table is then 校验未通过 (red) when something filled is wrong,
待填写 (amber) while cells are blank, 校验通过 otherwise. Formulas are Excel 2010 functions only.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .formats import ReportFormat, RuleInstance, parse_cell

# flag-sheet columns (letters) of a number cell's three flags, and the column of a cross-year warning's flag
WRONG, BLANK, UNUSABLE, WARNED = "C", "D", "E", "F"


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def statuses(fmt: ReportFormat) -> tuple[str, str, str]:
    """(ok, to do with {n}, bad with {n}): the status texts of the format definition."""
    w = fmt.workbook
    return w["status_ok"], w["status_todo"], w["status_bad"]


def status_text(fmt: ReportFormat, errors: int, blanks: int, warning: str | None = None) -> str:
    """The status as `check` would put it; `warning`: a warning's message shown with it (Y-03, live)."""
    ok, todo, bad = statuses(fmt)
    text = bad.format(n=errors) if errors else todo.format(n=blanks) if blanks else None
    if warning is None:
        return text or ok
    w = fmt.workbook
    if text:
        return text + w["status_warned_also"].format(message=warning)
    return w["status_warned"].format(message=warning)


def excel_text(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def status_formula(fmt: ReportFormat, errors: str, blanks: str, warned: str | None = None,
                   warning: str | None = None) -> str:
    """The live status from two Excel expressions (the count of errors, the count of blanks); with `warned` (an
    expression that is 1 when the warning holds), its message `warning` is added, as status_text adds it."""
    ok, todo, bad = statuses(fmt)

    def with_n(text, n):
        a, _, b = text.partition("{n}")
        return "&".join(x for x in (excel_text(a) if a else "", n, excel_text(b) if b else "") if x)
    if warned is None:
        return f"=IF({errors}>0,{with_n(bad, errors)},IF({blanks}>0,{with_n(todo, blanks)},{excel_text(ok)}))"
    w = fmt.workbook
    also = f'IF({warned}=1,{excel_text(w["status_warned_also"].format(message=warning))},"")'
    alone = f'IF({warned}=1,{excel_text(w["status_warned"].format(message=warning))},{excel_text(ok)})'
    return (f"=IF({errors}>0,{with_n(bad, errors)}&{also},"
            f"IF({blanks}>0,{with_n(todo, blanks)}&{also},{alone}))")


def absolute(ref: str) -> str:
    """D5 → $D$5: a conditional format's formula is relative to the first cell it colours; an equation's cells
    must be the same cells wherever it is evaluated."""
    return re.sub(r"^([A-Z]+)([0-9]+)$", r"$\1$\2", ref)


def ranges(refs, prefix: str = "", fixed: bool = False) -> str:
    """Cell references joined for SUM/COUNT, runs of cells in one column merged into A1:A9 ranges."""
    parts, run = [], []
    for ref in refs:
        r, c = parse_cell(ref)
        if run and parse_cell(run[-1]) == (r - 1, c):
            run.append(ref)
        else:
            if run:
                parts.append(run)
            run = [ref]
    if run:
        parts.append(run)
    a = absolute if fixed else str
    return ",".join(prefix + (a(p[0]) if len(p) == 1 else f"{a(p[0])}:{a(p[-1])}") for p in parts)


class Place(NamedTuple):
    """Where a term of an equation sits in the workbook: this year's input cell, or last year's stamped cell."""

    coef: int
    sheet: str
    ref: str


def places(fmt: ReportFormat, terms, stamped: dict | None = None) -> list[Place]:
    """`stamped` maps last year's keys to (sheet, ref) of the stamped cells (nianbao.last_year)."""
    out = []
    for t in terms:
        if t.prev:
            sheet, ref = stamped[t.key]
        else:
            sheet, ref = fmt.cells[t.key].sheet, fmt.cells[t.key].ref
        out.append(Place(t.coef, sheet, ref))
    return out


def side(terms: list[Place], qualified: bool) -> str:
    """One side of an equation as an Excel expression."""
    def joined(ps):  # qualified: on another sheet; else for a conditional format on the sheet itself
        prefix = f"{quote_sheet(ps[0].sheet)}!" if qualified else ""
        return ranges([p.ref for p in ps], prefix, fixed=not qualified)
    plus = [p for p in terms if p.coef > 0]
    minus = [p for p in terms if p.coef < 0]
    expr = f"SUM({joined(plus)})" if plus else "0"
    if minus:
        expr += f"-SUM({joined(minus)})"
    return expr


def failing_condition(fmt: ReportFormat, inst: RuleInstance, qualified: bool, stamped: dict | None = None) -> str:
    """An Excel expression that is TRUE when the equation does not hold (blank cells taken as 0: the caller says
    whether the equation is complete). One sheet per instance: last year's stamped cells sit on the same sheet."""
    lhs, rhs = places(fmt, inst.lhs, stamped), places(fmt, inst.rhs, stamped)
    return f"ROUND({side(lhs, qualified)}-({side(rhs, qualified)}),6)<>0"


def complete_here(fmt: ReportFormat, inst: RuleInstance) -> str:
    """TRUE on the table sheet when every cell of this year in the equation holds a number (conditional formats:
    no reference to another sheet, which Excel 2007 refuses there)."""
    refs = [fmt.cells[k].ref for k in dict.fromkeys(inst.keys)]
    return f"COUNT({ranges(refs, fixed=True)})={len(refs)}"


def _bad_type(fmt: ReportFormat, cell_type: str, ref: str, with_limit: bool) -> str:
    if cell_type == "decimal":
        return f"{ref}<0"
    if cell_type == "signed":
        return f"OR({ref}<>INT({ref}),ABS({ref})>{fmt.count_limit})" if with_limit else f"{ref}<>INT({ref})"
    parts = [f"{ref}<0", f"{ref}<>INT({ref})"] + ([f"{ref}>{fmt.count_limit}"] if with_limit else [])
    return f"OR({','.join(parts)})"


def cell_flag_formulas(fmt: ReportFormat, cell_type: str, ref: str) -> tuple[str, str, str]:
    """(wrong, blank, unusable) as Excel expressions giving 1 or 0. Nested IFs: no argument is evaluated on text,
    so no #VALUE! in any engine. A number over the limit is wrong (C01) but still usable, as in Python."""
    wrong = f"IF(ISBLANK({ref}),0,IF(ISNUMBER({ref}),IF({_bad_type(fmt, cell_type, ref, True)},1,0),1))"
    blank = f"IF(ISBLANK({ref}),1,0)"
    unusable = f"IF(ISBLANK({ref}),1,IF(ISNUMBER({ref}),IF({_bad_type(fmt, cell_type, ref, False)},1,0),1))"
    return wrong, blank, unusable


def live_message(inst: RuleInstance, lhs: str, rhs: str) -> str:
    """The rule's message as an Excel text expression, its {lhs} and {rhs} computed live: the same words `check`
    prints (an integer joins a text as Python's str() writes it)."""
    text = inst.rule.text(label=inst.label, lhs="\0L\0", rhs="\0R\0")
    out = []
    for i, part in enumerate(re.split("\0([LR])\0", text)):
        if i % 2:
            out.append(f"({lhs if part == 'L' else rhs})")
        elif part:
            out.append(excel_text(part))
    return "&".join(out)


def python_flags(fmt: ReportFormat, values: dict | None, previous: dict | None = None):
    """The cached results of the flag formulas, so a viewer that does not recalculate still shows the truth:
    ({key: (wrong, blank, unusable)}, {id(instance): 0/1}); cross-year instances only with `previous` values."""
    from .checks import evaluate
    from .filing import parse_number

    cell_flags, usable = {}, {}
    for key, cell in fmt.cells.items():
        raw = None if values is None else values.get(key)
        number = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        p = parse_number(raw, cell.type) if number else None
        unusable = not number or p.problem is not None
        wrong = raw is not None and (unusable or (cell.type != "decimal" and abs(p.value) > fmt.count_limit))
        cell_flags[key] = (int(wrong), int(raw is None), int(unusable))
        if not unusable:
            usable[key] = raw
    inst_flags = {}
    for inst in fmt.sum_instances(previous=False):
        result = evaluate(inst, usable)
        inst_flags[id(inst)] = int(result is not None and round(result[0] - result[1], 6) != 0)
    for inst in fmt.sum_instances(previous=True) if previous else ():
        result = evaluate(inst, usable, previous)
        inst_flags[id(inst)] = int(result is not None and round(result[0] - result[1], 6) != 0)
    return cell_flags, inst_flags
