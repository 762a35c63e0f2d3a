"""The locked Excel template, built from the format definition with xlsxwriter.

Built once per layout with placeholder identity texts, then stamped per unit by replacing the placeholders in the
zip members (stamping is ~100× faster than building; a district's 100 templates take a fraction of a second).
Every live check is compiled from the rules: conditional formatting on the cells of a failing equation, one 0/1
flag per number cell and per equation on a very hidden sheet, a status cell per table sheet, ✓/✗ on 校验结果.
"""
from __future__ import annotations

import datetime as _dt
import functools
import io
import re
import uuid
import zipfile
from xml.sax.saxutils import escape

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from . import identity as ident
from .formats import ReportFormat, RuleInstance, Table, cell_ref, parse_cell, parse_range

STATUS_OK = "校验通过"
STATUS_BAD = "校验未通过：{n} 处错误"


def placeholder(name: str) -> str:
    return f"⦃{name}⦄"


PLACEHOLDER_RE = re.compile("⦃([a-z_]+)⦄")


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------- formulas from rules
def _side(terms, sheet: str | None) -> str:
    """One side of an equation as an Excel expression; runs of cells in one column become a range."""
    prefix = f"{quote_sheet(sheet)}!" if sheet else ""
    plus, minus = [], []
    for t in terms:
        (plus if t.coef > 0 else minus).append(t.ref)
    def joined(refs):
        # merge consecutive cells of one column into A1:A9 ranges
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
        return ",".join(prefix + (p[0] if len(p) == 1 else f"{p[0]}:{p[-1]}") for p in parts)
    expr = f"SUM({joined(plus)})" if plus else "0"
    if minus:
        expr += f"-SUM({joined(minus)})"
    return expr


class _Ref:
    __slots__ = ("coef", "ref")

    def __init__(self, coef, ref):
        self.coef, self.ref = coef, ref


def failing_condition(fmt: ReportFormat, inst: RuleInstance, qualified: bool) -> str:
    """An Excel expression that is TRUE when the equation does not hold. Blank cells count as 0 here; the
    cell flags report blanks separately, as the Python checker does."""
    sheet = fmt.cells[inst.keys[0]].sheet if qualified else None
    lhs = [_Ref(t.coef, fmt.cells[t.key].ref) for t in inst.lhs]
    rhs = [_Ref(t.coef, fmt.cells[t.key].ref) for t in inst.rhs]
    return f"ROUND({_side(lhs, sheet)}-({_side(rhs, sheet)}),6)<>0"


def cell_flag_formula(fmt: ReportFormat, cell_type: str, ref: str) -> str:
    """1 when a number cell is blank, not a number, or out of its type's range (C01/C02/C03), else 0."""
    if cell_type == "decimal":
        bad = f"{ref}<0"
    elif cell_type == "signed":
        bad = f"OR({ref}<>INT({ref}),ABS({ref})>{fmt.count_limit})"
    else:
        bad = f"OR({ref}<0,{ref}<>INT({ref}),{ref}>{fmt.count_limit})"
    # nested IFs: no argument is evaluated on text, so no #VALUE! in any engine
    return f"IF(ISBLANK({ref}),1,IF(ISNUMBER({ref}),IF({bad},1,0),1))"


# ---------------------------------------------------------------------------------------- the workbook
@functools.lru_cache(maxsize=8)
def _base_members(layout: str, password: str | None) -> tuple[tuple[str, bytes], ...]:
    from .formats import load_format

    data = _build(load_format(layout), {f: placeholder(f) for f in ident.FIELDS} | {"next_year": placeholder("next_year")},
                  None, None, password)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return tuple((i.filename, z.read(i)) for i in z.infolist())


def complete_identity(fmt: ReportFormat, identity: dict) -> dict:
    out = {f: "" for f in ident.FIELDS}
    out.update({k: ("" if v is None else str(v)) for k, v in identity.items() if k in ident.FIELDS})
    out["layout"] = fmt.layout
    out["template_version"] = out["template_version"] or fmt.workbook["template_version"]
    out["template_id"] = out["template_id"] or str(uuid.uuid4())
    out["generated_at"] = out["generated_at"] or _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    return out


def _stamp_members(members, identity: dict, rewrite=None) -> bytes:
    values = dict(identity)
    try:
        values["next_year"] = str(int(identity["year"]) + 1)
    except (KeyError, ValueError):
        values["next_year"] = ""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, data in members:
            if name.endswith(".xml") and b"\xe2\xa6\x83" in data:  # "⦃"
                text = data.decode("utf-8")
                text = PLACEHOLDER_RE.sub(lambda m: escape(values.get(m.group(1), "")), text)
                data = text.encode("utf-8")
            if rewrite is not None:
                data = rewrite(name, data)
            z.writestr(name, data, compresslevel=1 if len(data) > 1 << 20 else None)  # a big sheet: speed first
    return out.getvalue()


_CELL_IN_ROW = re.compile(r'<c r="([A-Z]+)[0-9]+"((?: s="[0-9]+")?)')
_NUMBERS = {int, float}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def stamp_rows(sheet_xml: bytes, model_row: int, rows) -> bytes:
    """More rows after row `model_row` (1-based) of a sheet xlsxwriter wrote, made like that row: each of `rows`
    (a sequence of values, one per cell of the model row) gets the model's cell styles, its strings as inline
    strings (literal text, never a formula) and its numbers as numbers. Writing the district breakdown's 200,000
    cells through xlsxwriter costs over a second; stamping them onto one written row costs a twentieth of that."""
    text = sheet_xml.decode("utf-8")
    model = re.search(f'<row r="{model_row}"([^>]*)>(.*?)</row>', text)
    if model is None or f'<row r="{model_row + 1}"' in text:
        raise ValueError(f"row {model_row} is not the last written row before a gap")
    attrs = re.sub(r'\s(?:r|spans)="[^"]*"', "", model.group(1))
    cells = _CELL_IN_ROW.findall(model.group(2))
    numbers: dict[int, str] = {}  # from column i on, every cell a number: one str.format per row
    out = []
    for r, values in enumerate(rows, start=model_row + 1):
        values = values[:len(cells)]
        row, i = [], 0
        for i, v in enumerate(values):
            if v.__class__ in (int, float):
                tail = values[i:]
                if {*map(type, tail)} <= _NUMBERS:
                    if i not in numbers:
                        numbers[i] = "".join(f'<c r="{col}{{r}}"{style}><v>{{{n}}}</v></c>'
                                             for n, (col, style) in enumerate(cells[i:]))
                    row.append(numbers[i].format(*tail, r=r))
                    break
            row.append(_stamped_cell(cells[i], r, v))
        out.append(f'<row r="{r}"{attrs}>{"".join(row)}</row>')
    return (text[:model.end()] + "".join(out) + text[model.end():]).encode("utf-8")


def _stamped_cell(cell: tuple[str, str], r: int, v) -> str:
    col, style = cell
    if v is None or v == "":
        return ""
    if isinstance(v, str):
        v = escape(_NOT_XML.sub("", v))
        return f'<c r="{col}{r}"{style} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
    return f'<c r="{col}{r}"{style}><v>{v!r}</v></c>'


def build_workbook(fmt: ReportFormat, identity: dict, values: dict | None = None, narrative: dict | None = None,
                   password: str | None = None, key: bytes | None = None, explanations: dict | None = None,
                   extend=None, rewrite=None) -> bytes:
    """A template (values None) or a filled workbook, stamped with the identity; signed when a key is given.
    `extend(workbook)` may add sheets (xlsxwriter) before the workbook is closed, e.g. the district summary's;
    `rewrite(member name, bytes)` may then change a part (stamp_rows)."""
    full = complete_identity(fmt, identity)
    if key is not None:
        full = ident.sign(full, key)
    if values is None and narrative is None and explanations is None and extend is None:
        members = _base_members(fmt.layout, password)
    else:
        data = _build(fmt, {f: placeholder(f) for f in ident.FIELDS} | {"next_year": placeholder("next_year")},
                      values, narrative, password, explanations, extend)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = tuple((i.filename, z.read(i)) for i in z.infolist())
    return _stamp_members(members, full, rewrite)


def _formats(wb):
    base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "text_wrap": True}
    f = lambda **kw: wb.add_format({**base, **kw})  # noqa: E731
    return {
        "title": f(bold=True, font_size=14, align="center"),
        "header": f(bold=True, align="center", border=1, bg_color="#D9E1F2"),
        "label": f(border=1, align="left"),
        "group": f(border=1, align="center", bold=True),
        "input": f(border=1, align="center", bg_color="#FFF2CC", locked=False, num_format="0"),
        "input_decimal": f(border=1, align="center", bg_color="#FFF2CC", locked=False, num_format="0.0000"),
        "status": f(bold=True, font_size=12, align="left"),
        "text": f(align="left", valign="top"),
        "note": f(align="left", font_color="#595959"),
        "heading": f(bold=True, font_size=12, align="left", text_wrap=False),
        "narrative": f(align="left", valign="top", border=1, bg_color="#FFF2CC", locked=False),
        "explain": f(align="left", valign="top", border=1, bg_color="#FFF2CC", locked=False),
        "cell": f(border=1, align="left"),
        "bad": wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "good": wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"}),
    }


def _protect(ws, password):
    ws.protect(password or "", {"select_locked_cells": True, "select_unlocked_cells": True,
                                "format_columns": True, "format_rows": True})


def _instances_by_table(fmt: ReportFormat) -> dict[str, list[RuleInstance]]:
    out = {t: [] for t in fmt.tables}
    for inst in fmt.sum_instances(previous=False):
        out[fmt.cells[inst.keys[0]].table].append(inst)
    return out


def _write_table(wb, ws, fmt: ReportFormat, table: Table, fm, values, status_formula):
    g = parse_range(table.grid)
    ncols = g[3] + 1
    # column widths: wide enough for the longest unmerged label in the column
    widths = {c: 9.0 for c in range(ncols)}
    for at, text, _ in table.labels():
        r1, c1, r2, c2 = parse_range(at)
        if c1 == c2:
            widths[c1] = min(max(widths[c1], len(text) * 1.9 + 2), 46)
    for c, w in widths.items():
        ws.set_column(c, c, w)
    ws.merge_range(0, 0, 0, g[3], fmt.section(next(s.id for s in fmt.sections if s.table == table.id)).heading,
                   fm["title"])
    ws.set_row(0, 26)
    for at, text, role in table.labels():
        r1, c1, r2, c2 = parse_range(at)
        style = fm["header"] if role in ("header", "block", "note") else fm["label"]
        if role == "group":
            style = fm["group"]
        if role == "row" and table.id == "t4":
            style = fm["header"]
        if (r1, c1) == (r2, c2):
            ws.write_string(r1, c1, text, style)
        else:
            ws.merge_range(r1, c1, r2, c2, text, style)
        # a long label in a narrow cell needs a taller row
        width = sum(widths[c] for c in range(c1, c2 + 1))
        lines = -(-len(text) * 2 // max(int(width), 1))
        if lines > 1 and r1 == r2:
            ws.set_row(r1, 14 * lines + 2)
    for key, cell in table.cells.items():
        r, c = parse_cell(cell.ref)
        style = fm["input_decimal"] if cell.type == "decimal" else fm["input"]
        v = None if values is None else values.get(key)
        if cell.merge:
            r1, c1, r2, c2 = parse_range(cell.merge)
            ws.merge_range(r1, c1, r2, c2, "", style)
        if v is None:
            ws.write_blank(r, c, None, style)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            ws.write_number(r, c, v, style)
        else:
            ws.write_string(r, c, str(v), style)
    # one validation and one "not a valid number" highlight per rectangle of same-typed input cells:
    # a per-cell rule would make the sheet ten times larger (and slower for every reader)
    for cell_type, (r1, c1, r2, c2) in _rectangles(table):
        rule = fmt.rules["C02" if cell_type == "decimal" else "C01"]
        ws.data_validation(r1, c1, r2, c2, {
            "validate": "decimal" if cell_type == "decimal" else "integer",
            "criteria": "between" if cell_type != "decimal" else ">=",
            **({"minimum": 0, "maximum": fmt.count_limit} if cell_type == "count" else
               {"minimum": -fmt.count_limit, "maximum": fmt.count_limit} if cell_type == "signed" else {"value": 0}),
            "input_title": table.caption[:32],
            "input_message": rule.messages.get("prompt", "")[:255],
            "error_title": "输入有误",
            "error_message": rule.messages.get("alert", "")[:255],
        })
        # a cell that is not a valid number turns red (blank stays yellow: still to be filled); the formula is
        # relative to the rectangle's top-left cell
        top = cell_ref(r1, c1)
        ws.conditional_format(r1, c1, r2, c2, {
            "type": "formula", "format": fm["bad"],
            "criteria": "=AND(NOT(ISBLANK({0})),{1}=1)".format(top, cell_flag_formula(fmt, cell_type, top)),
        })
    # the status cell, across the grid's width
    sr, sc = parse_cell(table.status)
    ws.merge_range(sr, sc, sr, g[3], "", fm["status"])
    ws.write_formula(sr, sc, status_formula[0], fm["status"], status_formula[1])
    ws.conditional_format(sr, sc, sr, sc, {"type": "cell", "criteria": "==", "value": f'"{STATUS_OK}"',
                                           "format": fm["good"]})
    ws.conditional_format(sr, sc, sr, sc, {"type": "cell", "criteria": "!=", "value": f'"{STATUS_OK}"',
                                           "format": fm["bad"]})
    ws.write_string(sr + 1, sc, "黄色单元格为填报单元格；单元格或整组数据变红表示校验不通过，详见“校验结果”工作表。", fm["note"])
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 1)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.print_area(0, 0, sr, g[3])


def _rectangles(table: Table):
    """(type, (r1, c1, r2, c2)) rectangles covering the table's input cells: runs along a row, stacked when equal."""
    runs = []
    for cell in table.cells.values():
        r, c = parse_cell(cell.ref)
        last = runs[-1] if runs else None
        if last and last[0] == cell.type and last[1] == r and last[3] == c - 1:
            last[3] = c
        else:
            runs.append([cell.type, r, c, c])
    rects = []
    for t, r, c1, c2 in runs:
        prev = rects[-1] if rects else None
        if prev and prev[0] == t and prev[1][2] == r - 1 and (prev[1][1], prev[1][3]) == (c1, c2):
            prev[1][2] = r
        else:
            rects.append((t, [r, c1, r, c2]))
    return [(t, tuple(b)) for t, b in rects]


def python_flags(fmt: ReportFormat, values: dict | None) -> tuple[dict, dict]:
    """The cached results of the flag formulas, so a viewer that does not recalculate still shows the truth."""
    from .filing import parse_number

    cell_flags = {}
    nums = {}
    for key, cell in fmt.cells.items():
        raw = None if values is None else values.get(key)
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        p = parse_number(raw, cell.type) if ok else None
        bad = not ok or p.problem is not None or (cell.type != "decimal" and abs(p.value) > fmt.count_limit)
        cell_flags[key] = 1 if bad else 0
        nums[key] = raw if ok else 0
    inst_flags = {}
    for inst in fmt.sum_instances(previous=False):
        lhs = sum(t.coef * nums[t.key] for t in inst.lhs)
        rhs = sum(t.coef * nums[t.key] for t in inst.rhs)
        inst_flags[id(inst)] = 0 if round(lhs - rhs, 6) == 0 else 1
    return cell_flags, inst_flags


def _build(fmt: ReportFormat, idt: dict, values, narrative, password, explanations=None, extend=None) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    wbk = fmt.workbook
    fm = _formats(wb)
    title = fmt.report_title(idt["unit"], idt["year"])
    wb.set_properties({"title": title, "subject": "政府信息公开工作年度报告填报表", "author": "nianbao",
                       "company": idt["unit"], "comments": f"nianbao template {idt['template_id']}"})
    for f in ident.SIGNED:
        wb.set_custom_property(f"nianbao_{f}", idt[f])
    wb.set_custom_property("nianbao_signature", idt["signature"])

    ws_info = wb.add_worksheet(wbk["instructions"])
    tables = {t.id: wb.add_worksheet(t.sheet) for t in fmt.tables.values()}
    ws_text = wb.add_worksheet(wbk["narrative"])
    ws_res = wb.add_worksheet(wbk["results"])
    ws_id = wb.add_worksheet(wbk["identity"])
    ws_flag = wb.add_worksheet(wbk["flags"])

    # ---- flags: one row per number cell, then per equation, grouped by table
    cached_cells, cached_insts = python_flags(fmt, values)
    by_table = _instances_by_table(fmt)
    flag_q = quote_sheet(wbk["flags"])
    # Rows follow the format definition (each table's number cells, then its equations); each row names only its
    # rule. The cell's key and place are not written: hundreds of strings that every reading of every return
    # would parse again in the shared strings, on a sheet nobody sees.
    ws_flag.write_row(0, 0, ["rule", "", "flag"])
    row = 1
    table_flag_ranges, inst_rows, cell_flag_rows = {}, {}, {}
    for t in fmt.tables.values():
        first = row
        q = quote_sheet(t.sheet)
        for key, cell in t.cells.items():
            ws_flag.write_string(row, 0, "C01-C03")
            ws_flag.write_formula(row, 2, "=" + cell_flag_formula(fmt, cell.type, f"{q}!{cell.ref}"), None,
                                  cached_cells[key])
            row += 1
        cell_flag_rows[t.id] = (first, row - 1)
        for inst in by_table[t.id]:
            ws_flag.write_string(row, 0, inst.rule.id)
            ws_flag.write_formula(row, 2, f"=IF({failing_condition(fmt, inst, True)},1,0)", None,
                                  cached_insts[id(inst)])
            inst_rows[id(inst)] = row
            row += 1
        table_flag_ranges[t.id] = (first, row - 1)
    ws_flag.very_hidden()
    _protect(ws_flag, password)

    # ---- table sheets
    for t in fmt.tables.values():
        ws = tables[t.id]
        a, b = table_flag_ranges[t.id]
        n = f"SUM({flag_q}!C{a + 1}:C{b + 1})"
        cached = sum(cached_cells[k] for k in t.cells) + sum(cached_insts[id(i)] for i in by_table[t.id])
        formula = f'=IF({n}=0,"{STATUS_OK}","{STATUS_BAD.format(n=chr(34) + "&" + n + "&" + chr(34))}")'
        _write_table(wb, ws, fmt, t, fm, values, (formula, STATUS_OK if cached == 0 else STATUS_BAD.format(n=cached)))
        for inst in by_table[t.id]:
            refs = " ".join(fmt.cells[k].ref for k in dict.fromkeys(inst.keys))
            first = refs.split()[0]
            ws.conditional_format(first, {"type": "formula", "criteria": "=" + failing_condition(fmt, inst, False),
                                          "format": fm["bad"], "multi_range": refs})
        _protect(ws, password)

    # ---- 正文
    ws_text.set_column(0, 7, 12)
    ws_text.merge_range(0, 0, 0, 7, f"{title}（正文）", fm["title"])
    ws_text.merge_range(1, 0, 1, 7, "二、三、四部分由表二、表三、表四生成，无需在此填写。请在黄色区域填写一、五、六部分，"
                                    "分段处按 Alt+Enter 换行。", fm["note"])
    for s in fmt.narrative_sections:
        hr, hc = parse_cell(s.heading_at)
        ws_text.write_string(hr, hc, s.heading, fm["heading"])
        r1, c1, r2, c2 = parse_range(s.input_at)
        ws_text.merge_range(r1, c1, r2, c2, "", fm["narrative"])
        text = (narrative or {}).get(s.id)
        if text:
            ws_text.write_string(r1, c1, text, fm["narrative"])
    # ---- numbers paragraph (paragraph_xlsx.py): the live drafted paragraph and its hidden helper cells
    from .paragraph_xlsx import write_paragraph

    write_paragraph(wb, ws_text, fmt, values)
    ws_text.fit_to_pages(1, 0)
    ws_text.set_paper(9)
    _protect(ws_text, password)

    # ---- 校验结果: every check, live, with its cells; a 说明 column for warnings the unit wants to explain
    ws_res.set_column(0, 0, 9)
    ws_res.set_column(1, 1, 16)
    ws_res.set_column(2, 2, 30)
    ws_res.set_column(3, 3, 34)
    ws_res.set_column(4, 4, 10)
    ws_res.set_column(5, 5, 44)
    ws_res.merge_range(0, 0, 0, 5, f"{title} — 校验结果", fm["title"])
    ws_res.write_row(1, 0, ["规则", "名称", "范围", "涉及单元格", "结果", "说明（对警告或特殊情况的解释）"], fm["header"])
    r = 2
    expl = explanations or {}
    for t in fmt.tables.values():
        a, b = cell_flag_rows[t.id]
        rng = f"{flag_q}!C{a + 1}:C{b + 1}"
        cell_rules = "/".join(x.id for x in fmt.rules.values() if x.kind == "cell")
        first, last = (next(iter(t.cells.values())).ref, list(t.cells.values())[-1].ref)
        ws_res.write_row(r, 0, [cell_rules, "数值填写", f"{t.sheet}全部 {len(t.cells)} 个数字单元格",
                                f"{t.sheet}!{first}:{last}"], fm["cell"])
        bad_n = sum(cached_cells[k] for k in t.cells)
        ws_res.write_formula(r, 4, f'=IF(SUM({rng})=0,"✓","✗ "&SUM({rng})&" 处")', fm["cell"],
                             "✓" if bad_n == 0 else f"✗ {bad_n} 处")
        ws_res.write_blank(r, 5, None, fm["explain"])
        r += 1
        for inst in by_table[t.id]:
            cells = ",".join(fmt.cells[k].ref for k in dict.fromkeys(inst.keys))
            ws_res.write_row(r, 0, [inst.rule.id, inst.rule.name, inst.label, f"{t.sheet}!{cells}"], fm["cell"])
            ws_res.write_formula(r, 4, f'=IF({flag_q}!C{inst_rows[id(inst)] + 1}=0,"✓","✗")', fm["cell"],
                                 "✓" if cached_insts[id(inst)] == 0 else "✗")
            ws_res.write_blank(r, 5, None, fm["explain"])
            r += 1
    # warnings are judged by the reviewing office (some need last year's data); the unit may explain them here
    for rule in fmt.rules.values():
        if rule.severity == "warning" or rule.severity_when:
            ws_res.write_row(r, 0, [rule.id, rule.name, "由审核方校验", ""], fm["cell"])
            ws_res.write_string(r, 4, "—", fm["cell"])
            if expl.get(rule.id):
                ws_res.write_string(r, 5, expl[rule.id], fm["explain"])
            else:
                ws_res.write_blank(r, 5, None, fm["explain"])
            r += 1
    ws_res.conditional_format(2, 4, r - 1, 4, {"type": "text", "criteria": "begins with", "value": "✗",
                                               "format": fm["bad"]})
    ws_res.freeze_panes(2, 0)
    ws_res.set_landscape()
    ws_res.fit_to_pages(1, 0)
    _protect(ws_res, password)

    # ---- identity (very hidden), cell values: what survives every engine's save
    ws_id.write_string(0, 0, ident.MARKER)
    for i, f in enumerate(ident.FIELDS, start=1):
        ws_id.write_string(i, 0, f)
        ws_id.write_string(i, 1, idt[f])
        ws_id.write_string(i, 2, ident.LABELS[f])
    ws_id.very_hidden()
    _protect(ws_id, password)

    # ---- 填报说明
    ws_info.set_column(0, 0, 16)
    ws_info.set_column(1, 1, 90)
    ws_info.merge_range(0, 0, 0, 1, f"{title} 填报表", fm["title"])
    lines = [
        ("填报单位", idt["unit"]), ("单位代码", idt["unit_code"]), ("报告年度", idt["year"]),
        ("格式版本", f"{fmt.layout} 版（{fmt.basis}）"), ("模板编号", idt["template_id"]),
        ("模板版本", idt["template_version"]), ("生成时间", idt["generated_at"]),
        ("报送时间", "请按政务公开办通知的时间返回本表；部门年度报告须于 "
                     + wbk["deadline"].format(next_year=idt["next_year"]) + " 前向社会公布。"),
        ("填写什么", "表二、表三、表四中的黄色单元格（全部数字），以及“正文”中一、五、六部分的文字。"
                     "其他单元格已锁定，请勿解除保护、插入或删除行列、修改表名。"),
        ("合计", "各“总计”单元格由本单位填写（不自动计算），以便与本单位台账逐项核对；校验公式会立即核对合计是否正确。"),
        ("统计期", f"{idt['year']}年1月1日至{idt['year']}年12月31日。"),
    ]
    for i, (k, v) in enumerate(lines, start=2):
        ws_info.write_string(i, 0, k, fm["header"])
        ws_info.write_string(i, 1, str(v), fm["cell"])
    r = len(lines) + 3
    ws_info.merge_range(r, 0, r, 1, "校验规则（填写时即时校验；红色表示不通过）", fm["heading"])
    r += 1
    for rule in fmt.rules.values():
        if rule.plain:
            ws_info.write_string(r, 0, f"{rule.id} {rule.name}", fm["cell"])
            ws_info.write_string(r, 1, rule.plain, fm["cell"])
            r += 1
    r += 1
    ws_info.merge_range(r, 0, r, 1, "各表底部的校验状态显示“校验通过”后即可返回；如有特殊情况，请在“校验结果”工作表的“说明”列写明。",
                        fm["note"])
    ws_info.fit_to_pages(1, 0)
    ws_info.set_paper(9)
    _protect(ws_info, password)
    ws_info.activate()
    if extend is not None:
        extend(wb)
    wb.close()
    data = out.getvalue()
    return _protect_structure(data, password)


def _protect_structure(data: bytes, password: str | None) -> bytes:
    """xlsxwriter has no workbook-structure protection: add <workbookProtection> to workbook.xml."""
    attrs = 'lockStructure="1"'
    if password:
        attrs += f' workbookPassword="{Worksheet._encode_password(None, password)}"'
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            member = src.read(info)
            if info.filename == "xl/workbook.xml":
                text = member.decode("utf-8")
                # CT_Workbook order: ... workbookPr, workbookProtection, bookViews ...
                text = text.replace("<bookViews>", f"<workbookProtection {attrs}/><bookViews>", 1)
                member = text.encode("utf-8")
            z.writestr(info.filename, member)
    return out.getvalue()
