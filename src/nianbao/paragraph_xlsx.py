"""The numbers paragraph as live formulas on the template's 正文 sheet: the same sentences as nianbao.paragraph,
compiled to Excel 2010 functions (IF, AND, ISNUMBER, INT, SUM, ROUND, MOD, ABS, TEXT, &), so the department sees the
paragraph change as it types.

Down a hidden helper column: one cell per number (its text, or the blank placeholder), three per change clause (last
year's number as an integer, the difference, the clause), one per sentence; the paragraph cell joins the sentences.
Each cell's cached value is Python's text, so a viewer that never recalculates shows the same paragraph. The cells
mirror paragraph.py step by step: a number is usable when it is a number of its type (counts: whole, ≥ 0; amounts:
≥ 0, counted in 0.0001 万元), "zero" is its text being "0", percentages are ROUND(|d|·1000/p)/10 on integers.
A number typed as text is not a number here (Excel cannot tell), while `check` reads it with a warning.
"""
from __future__ import annotations

from .errors import FormatDefinitionError
from .formats import ReportFormat, cell_ref, parse_cell, parse_range
from .paragraph import (DECIMAL_SCALE, Number, Paragraph, Slot, change_text, sentence_text, total,
                        value_text)

MAX_FORMULA = 8192  # Excel's limit on a formula's length
MAX_LITERAL = 255  # and on one string literal in it


def _lit(text: str) -> str:
    """An Excel string literal; a long text as several joined by &."""
    chunks = [text[i:i + MAX_LITERAL] for i in range(0, len(text), MAX_LITERAL)] or [""]
    return "&".join('"' + c.replace('"', '""') + '"' for c in chunks)


def _qualified(fmt: ReportFormat, key: str) -> str:
    c = fmt.cells[key]
    return "'" + c.sheet.replace("'", "''") + "'!" + c.ref


def _usable(ref: str, kind: str) -> str:
    """1 when the cell holds a number of its type, else 0; nested IFs, so no comparison ever meets a text."""
    ok = f"{ref}>=0" if kind == "decimal" else f"AND({ref}>=0,{ref}=INT({ref}))"
    return f"IF(ISNUMBER({ref}),IF({ok},1,0),0)"


def _scaled(n: Number, refs: list[str]) -> str:
    """The number (its cells `refs`) as an integer in its unit of counting (paragraph.scaled), in Excel."""
    if n.type == "decimal":
        return f"ROUND({refs[0]}*{DECIMAL_SCALE},0)"
    return f"SUM({','.join(refs)})" if len(refs) > 1 else refs[0]


def _text_of(expr: str, kind: str) -> str:
    """paragraph.number_text of an integer expression."""
    if kind != "decimal":
        return f'TEXT({expr},"0")'
    return (f'IF(MOD({expr},{DECIMAL_SCALE})=0,TEXT({expr}/{DECIMAL_SCALE},"0"),'
            f'TEXT({expr}/{DECIMAL_SCALE},"0.####"))')


class _Helpers:
    """The helper cells, written one below the other."""

    def __init__(self, ws, at: str):
        self.ws = ws
        self.row, self.col = parse_cell(at)

    def put(self, formula: str, cached, what: str) -> str:
        if len(formula) + 1 > MAX_FORMULA:
            raise FormatDefinitionError(f"numbers paragraph: {what} needs a formula of {len(formula)} characters "
                                        f"(Excel allows {MAX_FORMULA}); split the sentence")
        r = self.row
        self.row += 1
        self.ws.write_formula(r, self.col, "=" + formula, None, cached)
        return cell_ref(r, self.col)


def _change_formula(par: Paragraph, n: Number, d: str, p: str) -> str:
    def clause(name: str) -> str:
        fields = {"{diff}": _text_of(f"ABS({d})", n.type), "{unit}": _lit(n.unit),
                  "{pct}": f'TEXT(ROUND(ABS({d})*1000/{p},0)/10,"0.0")'}
        return "&".join(fields.get(x) or _lit(x) for x in par.change[name])
    return (f'IF({d}="","",IF({d}=0,{clause("same")},IF({d}>0,IF({p}=0,{clause("up_from_zero")},{clause("up")}),'
            f'{clause("down")})))')


def _pieces(pieces, refs: dict) -> str:
    out = [refs[(p.kind, p.number.text)] if isinstance(p, Slot) else _lit(p) for p in pieces]
    return "&".join(out) or '""'


def _zero(numbers, refs: dict) -> str:
    tests = [f'{refs[("value", n.text)]}="0"' for n in numbers]
    return tests[0] if len(tests) == 1 else f"AND({','.join(tests)})"


def _sentence_formula(s, refs: dict) -> str:
    parts = []
    for i, part in enumerate(s.parts):
        text = _pieces(part.pieces, refs)
        if part.zero is not None:
            zero = _pieces(part.zero, refs) if part.zero else None
            sep = _lit(part.sep) + "&" if i else ""
            if zero is None:
                text = f'IF({_zero(part.when, refs)},"",{sep}{text})'
            else:
                text = f"{sep}IF({_zero(part.when, refs)},{zero},{text})"
        elif i:
            text = _lit(part.sep) + "&" + text
        parts.append(text)
    body = "&".join(parts) + '&"。"'
    if s.zero is None:
        return body
    zero = _pieces(s.zero, refs) + '&"。"' if s.zero else '""'
    return f"IF({_zero(s.when, refs)},{zero},{body})"


def write_paragraph(wb, ws, fmt: ReportFormat, values: dict | None = None, prev_refs: dict | None = None,
                    previous: dict | None = None) -> None:
    """The paragraph's heading, its live cell and the hidden helper cells on the 正文 sheet `ws`. `prev_refs`:
    {key: "'sheet'!B7"}, the cells holding last year's numbers (blank where unknown), or None: no change clauses;
    `previous`: those numbers by key, for the cached results of a filled workbook only."""
    par = fmt.paragraph
    if par is None:
        return
    if prev_refs is None or values is None:
        previous = None  # (a blank template shows no change; its base may hold marker numbers for last year)
    h = _Helpers(ws, par.helpers_at)
    ws.set_column(h.col, h.col, 30, None, {"hidden": True})
    refs: dict[tuple[str, str], str] = {}
    for n in par.numbers().values():
        cells = [_qualified(fmt, k) for k in n.keys]
        usable = "*".join(_usable(r, n.type) for r in cells)
        formula = f"IF({usable}=1,{_text_of(_scaled(n, cells), n.type)},{_lit(par.blank)})"
        refs[("value", n.text)] = h.put(formula, value_text(par, n, values), f"the number {n.text}")
    for n in par.changes().values():
        if prev_refs is None or any(k not in prev_refs for k in n.keys):
            refs[("change", n.text)] = '""'
            continue
        prev, cur = total(n, previous), total(n, values)
        last = [prev_refs[k] for k in n.keys]
        usable = "*".join(_usable(r, n.type) for r in last)
        p = h.put(f'IF({usable}=1,{_scaled(n, last)},"")', "" if prev is None else prev, f"last year's {n.text}")
        v = refs[("value", n.text)]
        cells = [_qualified(fmt, k) for k in n.keys]
        d = h.put(f'IF(AND(ISNUMBER({p}),{v}<>{_lit(par.blank)}),{_scaled(n, cells)}-{p},"")',
                  "" if prev is None or cur is None else cur - prev, f"the change of {n.text}")
        refs[("change", n.text)] = h.put(_change_formula(par, n, d, p), change_text(par, n, values, previous),
                                         f"the change of {n.text}")
    sentences = [h.put(_sentence_formula(s, refs), sentence_text(par, s, values, previous), f"sentence {s.id}")
                 for s in par.sentences]
    style = {"font_name": "宋体", "font_size": 10, "text_wrap": True, "valign": "top", "align": "left"}
    hr, hc = parse_cell(par.heading_at)
    ws.write_string(hr, hc, par.heading, wb.add_format({**style, "bold": True, "font_size": 12, "text_wrap": False}))
    r1, c1, r2, c2 = parse_range(par.at)
    cached = "".join(sentence_text(par, s, values, previous) for s in par.sentences)
    box = wb.add_format({**style, "border": 1, "bg_color": "#F2F2F2"})
    ws.merge_range(r1, c1, r2, c2, "", box)
    ws.write_formula(r1, c1, "=" + "&".join(sentences), box, cached)
    for r in range(r1, r2 + 1):
        ws.set_row(r, 18)
