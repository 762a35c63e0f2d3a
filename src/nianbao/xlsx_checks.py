"""The template's check sheets: the very hidden flag sheet (one 0/1 flag per number cell and per equation) and
校验结果 (the overall status, ✓/✗ per check, the unit's explanations), from the formulas of nianbao.live_checks."""
from __future__ import annotations

from . import last_year as ly
from . import live_checks as lc
from .formats import ReportFormat, RuleInstance
from .live_checks import quote_sheet


def instances_by_table(fmt: ReportFormat, stamped=()) -> dict[str, list[RuleInstance]]:
    """Each table's equations: those within the year, then the cross-year ones that have last year's value."""
    out = {t: [] for t in fmt.tables}
    for inst in fmt.sum_instances(previous=False):
        out[fmt.cells[inst.keys[0]].table].append(inst)
    for s in stamped:
        out[fmt.cells[s.inst.keys[0]].table].append(s.inst)
    return out


def status_formats(ws, r, c, fm, fmt: ReportFormat, last_col=None):
    """Green, amber, red, or orange for a warning, by what the status cell says."""
    ok, todo, bad = lc.statuses(fmt)
    warned = fmt.workbook["status_warned"].partition("{message}")[0]
    # the warning first, stopping there: its text begins like the green one (a format added first wins)
    for text, style in ((warned, "warn"), (ok, "good"), (todo.partition("{n}")[0], "todo"),
                        (bad.partition("{n}")[0], "bad")):
        ws.conditional_format(r, c, r, last_col or c, {"type": "text", "criteria": "begins with", "value": text,
                                                       "format": fm[style], "stop_if_true": style == "warn"})


def status(fmt: ReportFormat, flags: "Flags", errors: str, blanks: str, counts: tuple[int, int]) -> tuple[str, str]:
    """A status cell's (formula, cached text) from the Excel counts of errors and blanks; in a template that checks
    Y-03 live, its warning (check's own words) is said there too."""
    if flags.repeat is None:
        return lc.status_formula(fmt, errors, blanks), lc.status_text(fmt, *counts)
    said = flags.repeat.text("tables")
    return (lc.status_formula(fmt, errors, blanks, f"{flags.sheet}!{lc.WARNED}{flags.repeat_row + 1}", said),
            lc.status_text(fmt, *counts, said if flags.repeated else None))


class Flags:
    """Where each flag sits on the flag sheet, and what it evaluates to for the values written (cached results)."""

    def __init__(self, fmt: ReportFormat, values, previous, by_table):
        self.fmt, self.by_table = fmt, by_table
        self.values, self.previous = values or {}, previous.values if previous else None
        self.cells, self.insts = lc.python_flags(fmt, values, previous.values if previous else None)
        self.sheet = quote_sheet(fmt.workbook["flags"])
        self.key_row, self.inst_row, self.table_rows, self.cell_rows = {}, {}, {}, {}
        self.last = 0
        # Y-03, the tables copied from last year: live when the template carries last year (cached: its verdict)
        self.repeat = ly.repetition_rule(fmt) if previous is not None else None
        self.repeat_row = None
        if self.repeat is not None:
            from .checks import tables_repeated

            now = {k: (v if not self.cells[k][2] else None) for k, v in ((k, self.values.get(k)) for k in fmt.cells)}
            self.repeated = int(tables_repeated(now, self.previous))

    def column(self, inst: RuleInstance) -> str:
        """An error's flag counts in the status (C); a cross-year warning's is kept apart (F)."""
        return lc.WRONG if inst.severity == "error" else lc.WARNED

    def ref(self, inst: RuleInstance, column: str | None = None) -> str:
        return f"{self.sheet}!{column or self.column(inst)}{self.inst_row[id(inst)] + 1}"

    def unusable(self, inst: RuleInstance) -> int:
        return sum(self.cells[k][2] for k in dict.fromkeys(inst.keys))

    def errors(self, tid: str) -> tuple[int, int]:
        t = self.fmt.tables[tid]
        wrong = sum(self.cells[k][0] for k in t.cells)
        wrong += sum(self.insts[id(i)] for i in self.by_table[tid] if i.severity == "error")
        return wrong, sum(self.cells[k][1] for k in t.cells)


def write_flags(ws, fmt: ReportFormat, flags: Flags, stamped_refs: dict):
    """One row per number cell (wrong, blank, unusable; with last year, also: the same as last year's number, and
    that and not 0), then per equation (failing, in C or F; its unusable cells in E), grouped by table; with last
    year, a last row for Y-03. Each row names only its rule: the cell's key and place are not written (hundreds of
    strings that every reading of every return would parse again, on a sheet nobody sees)."""
    ws.write_row(0, 0, ["rule", "", "wrong", "blank", "unusable", "warned"] + (["same", "same_not_0"]
                                                                           if flags.repeat else []))
    prev_refs = ly.value_refs(fmt) if flags.repeat else {}
    row = 1
    for t in fmt.tables.values():
        first = row
        q = quote_sheet(t.sheet)
        for key, cell in t.cells.items():
            ws.write_string(row, 0, "C01-C03")
            for col, formula, cached in zip((2, 3, 4), lc.cell_flag_formulas(fmt, cell.type, f"{q}!{cell.ref}"),
                                            flags.cells[key]):
                ws.write_formula(row, col, "=" + formula, None, cached)
            if flags.repeat:
                _write_same(ws, row, f"{q}!{cell.ref}", prev_refs[key], flags, key)
            flags.key_row[key] = row
            row += 1
        flags.cell_rows[t.id] = (first, row - 1)
        for inst in flags.by_table[t.id]:
            ws.write_string(row, 0, inst.rule.id)
            unusable = lc.ranges([f"{lc.UNUSABLE}{flags.key_row[k] + 1}" for k in dict.fromkeys(inst.keys)])
            ws.write_formula(row, 4, f"=SUM({unusable})", None, flags.unusable(inst))
            col = 2 if flags.column(inst) == lc.WRONG else 5
            ws.write_formula(row, col, f"=IF(AND(E{row + 1}=0,{lc.failing_condition(fmt, inst, True, stamped_refs)}"
                                       "),1,0)", None, flags.insts[id(inst)])
            flags.inst_row[id(inst)] = row
            row += 1
        flags.table_rows[t.id] = (first, row - 1)
    if flags.repeat:
        # every number last year had (COUNT of its cells) is the same this year, and one of them is not 0
        rows, prev = sorted(flags.key_row.values()), [prev_refs[k].rpartition("!") for k in fmt.cells]
        same, not_0 = (lc.ranges([f"{c}{r + 1}" for r in rows]) for c in (_SAME, _SAME_NOT_0))
        counted = lc.ranges([ref for _, _, ref in prev], prev[0][0] + "!")
        ws.write_string(row, 0, flags.repeat.id)
        ws.write_formula(row, 5, f"=IF(AND(COUNT({counted})>0,SUM({same})=COUNT({counted}),SUM({not_0})>0),1,0)",
                         None, flags.repeated)
        flags.repeat_row = row
        row += 1
    flags.last = row - 1
    ws.very_hidden()


_SAME, _SAME_NOT_0 = "G", "H"  # a number cell's flag-sheet columns for Y-03
_SIGN = {"error": "✗ ", "warning": "⚠ "}  # as 校验结果 marks its rows


def _write_same(ws, row: int, ref: str, prev: str, flags: Flags, key: str):
    """G: the cell holds a usable number equal to last year's (0 while unusable or last year had none); H: that,
    and not 0 — nested IFs, so no comparison meets a text."""
    value, before = flags.values.get(key), (flags.previous or {}).get(key)
    same = int(not flags.cells[key][2] and before is not None and value == before)
    ws.write_formula(row, 6, f"=IF({lc.UNUSABLE}{row + 1}=1,0,IF(ISNUMBER({prev}),IF({ref}={prev},1,0),0))", None,
                     same)
    ws.write_formula(row, 7, f"=IF({_SAME}{row + 1}=1,IF({ref}<>0,1,0),0)", None, int(same and value != 0))


def cross_year_hint(fmt: ReportFormat, flags: Flags, insts, stamped_refs, values, previous):
    """(formula, cached text) naming every failing cross-year check of a table in `check`'s own words, each after
    the sign 校验结果 gives it (✗ an error, ⚠ a warning), so that hint_formats can colour the line by what it holds."""
    from .checks import evaluate, fmt_num

    parts, cached = [], ""
    for inst in insts:
        if not inst.uses_previous:
            continue
        sign = _SIGN[inst.severity]
        lhs = lc.side(lc.places(fmt, inst.lhs, stamped_refs), True)
        rhs = lc.side(lc.places(fmt, inst.rhs, stamped_refs), True)
        parts.append(f'IF({flags.ref(inst)}=1,"{sign}"&{lc.live_message(inst, lhs, rhs)}&"；","")')
        if flags.insts[id(inst)]:
            a, b = evaluate(inst, values, previous.values)
            cached += sign + inst.rule.text(label=inst.label, lhs=fmt_num(a), rhs=fmt_num(b)) + "；"
    return ("=" + "&".join(parts), cached) if parts else None


def hint_formats(ws, r, c, last_col, fm):
    """The cross-year line under a status: red when it names an error, orange when it names warnings only."""
    for rule in ({"type": "text", "criteria": "containing", "value": _SIGN["error"], "format": fm["bad"],
                  "stop_if_true": True},
                 {"type": "text", "criteria": "begins with", "value": _SIGN["warning"], "format": fm["warn"]}):
        ws.conditional_format(r, c, r, last_col, rule)


def write_results(ws, fmt: ReportFormat, fm, title: str, flags: Flags, stamped_refs: dict, expl: dict):
    """校验结果: the overall status, then every check, live, with its cells; a 说明 column for warnings the unit
    wants to explain."""
    from .checks import evaluate, fmt_num

    for col, width in enumerate((9, 16, 30, 34, 10, 44)):
        ws.set_column(col, col, width)
    ws.merge_range(0, 0, 0, 5, f"{title} — 校验结果", fm["title"])
    q = flags.sheet
    ws.merge_range(1, 0, 1, 5, "", fm["status"])
    formula, cached = status(fmt, flags, f"SUM({q}!C2:C{flags.last + 1})", f"SUM({q}!D2:D{flags.last + 1})",
                             tuple(map(sum, zip(*(flags.errors(t) for t in fmt.tables)))))
    ws.write_formula(1, 0, formula, fm["status"], cached)
    if flags.repeat is not None:
        ws.set_row(1, 32)  # the warning's words take a second line
    status_formats(ws, 1, 0, fm, fmt)
    ws.write_row(2, 0, ["规则", "名称", "范围", "涉及单元格", "结果", "说明（对警告或特殊情况的解释）"], fm["header"])
    r = 3
    cell_rules = "/".join(x.id for x in fmt.rules.values() if x.kind == "cell")
    for t in fmt.tables.values():
        a, b = flags.cell_rows[t.id]
        wrong, blank = f"SUM({q}!C{a + 1}:C{b + 1})", f"SUM({q}!D{a + 1}:D{b + 1})"
        first, last = (next(iter(t.cells.values())).ref, list(t.cells.values())[-1].ref)
        ws.write_row(r, 0, [cell_rules, "数值填写", f"{t.sheet}全部 {len(t.cells)} 个数字单元格",
                            f"{t.sheet}!{first}:{last}"], fm["cell"])
        n_wrong, n_blank = (sum(flags.cells[k][i] for k in t.cells) for i in (0, 1))
        ws.write_formula(r, 4, f'=IF({wrong}>0,"✗ "&{wrong}&" 处",IF({blank}>0,"待填 "&{blank}&" 格","✓"))', fm["cell"],
                         f"✗ {n_wrong} 处" if n_wrong else f"待填 {n_blank} 格" if n_blank else "✓")
        ws.write_blank(r, 5, None, fm["explain"])
        r += 1
        for inst in flags.by_table[t.id]:
            cells = ",".join([fmt.cells[k].ref for k in dict.fromkeys(inst.keys)] +
                             [stamped_refs[x.key][1] for x in inst.lhs + inst.rhs if x.prev])
            ws.write_row(r, 0, [inst.rule.id, inst.rule.name, inst.label, f"{t.sheet}!{cells}"], fm["cell"])
            failing, unusable = flags.ref(inst), flags.ref(inst, lc.UNUSABLE)
            mark, said = "✗", "✗"
            if inst.uses_previous:
                lhs = lc.side(lc.places(fmt, inst.lhs, stamped_refs), True)
                rhs = lc.side(lc.places(fmt, inst.rhs, stamped_refs), True)
                sign = _SIGN[inst.severity]
                mark = f'"{sign}"&' + lc.live_message(inst, lhs, rhs)
                if flags.insts[id(inst)]:
                    x, y = evaluate(inst, flags.values, flags.previous)
                    said = sign + inst.rule.text(label=inst.label, lhs=fmt_num(x), rhs=fmt_num(y))
            else:
                mark = '"✗"'
            cached = said if flags.insts[id(inst)] else "待填" if flags.unusable(inst) else "✓"
            ws.write_formula(r, 4, f'=IF({failing}=1,{mark},IF({unusable}>0,"待填","✓"))', fm["cell"], cached)
            ws.write_blank(r, 5, None, fm["explain"])
            r += 1
    # warnings are judged by the reviewing office (some need last year's data); the unit may explain them here
    for rule in fmt.rules.values():
        if rule is flags.repeat:
            _write_repetition(ws, r, fm, flags, expl.get(rule.id))
            r += 1
        elif rule.severity == "warning" or rule.severity_when:
            ws.write_row(r, 0, [rule.id, rule.name, "由审核方校验", ""], fm["cell"])
            ws.write_string(r, 4, "—", fm["cell"])
            if expl.get(rule.id):
                ws.write_string(r, 5, expl[rule.id], fm["explain"])
            else:
                ws.write_blank(r, 5, None, fm["explain"])
            r += 1
    for sign, style in (("✗", "bad"), ("⚠", "warn")):
        ws.conditional_format(3, 4, r - 1, 4, {"type": "text", "criteria": "begins with", "value": sign,
                                               "format": fm[style]})
    ws.freeze_panes(3, 0)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _write_repetition(ws, r: int, fm, flags: Flags, explained: str | None):
    """校验结果's Y-03 row when the template carries last year: ✓, or check's own warning, orange as every ⚠."""
    rule = flags.repeat
    said = "⚠ " + rule.text("tables")
    ws.write_row(r, 0, [rule.id, rule.name, rule.messages.get("scope", ""), ""], fm["cell"])
    ws.write_formula(r, 4, f"=IF({flags.sheet}!F{flags.repeat_row + 1}=1,{lc.excel_text(said)},\"✓\")", fm["cell"],
                     said if flags.repeated else "✓")
    if explained:
        ws.write_string(r, 5, explained, fm["explain"])
    else:
        ws.write_blank(r, 5, None, fm["explain"])
