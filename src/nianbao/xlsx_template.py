"""The locked Excel template, built from the format definition with xlsxwriter.

Built once per layout with placeholder identity texts, then stamped per unit by replacing the placeholders in the
zip members (stamping is ~100× faster than building; a district's 100 templates take a fraction of a second).
Last year's values (template --previous) are stamped the same way: the base is built with a marker number in each
of their cells, replaced per unit. Every live check is compiled from the rules (nianbao.live_checks): conditional
formatting on the cells of a failing equation, 0/1 flags per number cell and per equation on a very hidden sheet,
a status cell per table sheet and on 校验结果, ✓/✗ per check.
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
from . import last_year as ly
from . import live_checks as lc
from . import xlsx_checks as xc
from .formats import ReportFormat, Table, cell_ref, parse_cell, parse_range
from .paragraph_xlsx import write_paragraph

# texts replaced per unit besides the identity's fields
_EXTRA = ("next_year", "previous_note")
_MARK = 987_654_000_000  # + i: the marker number of last year's i-th value in a base workbook


def placeholder(name: str) -> str:
    return f"⦃{name}⦄"


PLACEHOLDER_RE = re.compile("⦃([a-z_]+)⦄")


def _placeholders() -> dict:
    return {f: placeholder(f) for f in ident.FIELDS + _EXTRA}


# ---------------------------------------------------------------------------------------- the workbook
@functools.lru_cache(maxsize=16)
def _base_members(layout: str, password: str | None, stamped: tuple[str, ...] | None
                  ) -> tuple[tuple[str, bytes], ...]:
    """The template of a layout with placeholders; with last year (`stamped`: the keys whose cells are stamped on
    the table sheets), a marker number in each of last year's cells."""
    from .formats import load_format

    fmt = load_format(layout)
    prev = None
    if stamped is not None:
        prev = _Previous({k: _MARK + i for i, k in enumerate(fmt.cells)},
                         tuple(s for s in ly.stamps(fmt) if s.key in stamped))
    data = _build(fmt, _placeholders(), None, None, password, previous=prev)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return tuple((i.filename, z.read(i)) for i in z.infolist())


class _Previous:
    """Last year as the builder writes it: values by key (real ones, or the base's markers) and the stamps."""

    def __init__(self, values: dict, stamped: tuple):
        self.values, self.stamped = values, stamped


_MARKED = re.compile(rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?><v>)(' + str(_MARK // 10**6).encode() +
                     rb'[0-9]{6})(</v></c>)')


@functools.lru_cache(maxsize=16)
def _marked_parts(layout: str, password: str | None, stamped: tuple[str, ...]) -> dict[str, tuple]:
    """The base's sheets that hold last year's marker numbers, cut once around each marked cell: stamping a unit
    then joins the pieces with its values (a regular expression over every sheet per unit costs a fifth more)."""
    out = {}
    for name, data in _base_members(layout, password, stamped):
        if not name.startswith("xl/worksheets/") or str(_MARK // 10**6).encode() not in data:
            continue
        assert b"\xe2\xa6\x83" not in data, name  # no placeholder in these sheets: the pieces stay valid
        pieces, pos = [], 0
        for m in _MARKED.finditer(data):
            pieces += (data[pos:m.start()], (m.group(1), int(m.group(2)) - _MARK, m.group(3)))
            pos = m.end()
        out[name] = (*pieces, data[pos:])
    return out


def prepare_base(fmt: ReportFormat, password: str | None) -> None:
    """Build ahead the base of a template carrying a whole last year (build_workbook's `stamped` then names every
    stamp) and compress its members no unit changes, e.g. while last year is read: a roster's pool forked
    afterwards has them in every worker."""
    _same_in_every(fmt.layout, password, tuple(s.key for s in ly.stamps(fmt)))


def _has_placeholders(name: str, data: bytes) -> bool:
    return name.endswith(".xml") and b"\xe2\xa6\x83" in data  # "⦃"


def _per_unit(name: str, data: bytes, marked: dict) -> bool:
    """Whether stamping a unit changes this member of the base: placeholders in it, or last year's markers."""
    return _has_placeholders(name, data) or name in marked


@functools.lru_cache(maxsize=16)
def _same_in_every(layout: str, password: str | None, stamped: tuple[str, ...] | None) -> bytes:
    """The members of the base that no unit changes, compressed once: the zip each unit's template is appended to.
    Compressing them again for every unit was most of stamping's cost (0.7 ms a template instead of 3; with last
    year, whose table and identity sheets do change, 1.7 instead of 4.5)."""
    marked = _marked_parts(layout, password, stamped) if stamped is not None else {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, data in _base_members(layout, password, stamped):
            if not _per_unit(name, data, marked):
                z.writestr(name, data, compresslevel=1 if len(data) > 1 << 20 else None)
    return out.getvalue()


def _marked_values(fmt: ReportFormat, parts: dict, values: dict):
    """rewrite(name, data) putting last year's values where the base has their marker numbers (a value last
    year did not have leaves its cell empty)."""
    keys = tuple(fmt.cells)

    def rewrite(name: str, data: bytes) -> bytes:
        pieces = parts.get(name)
        if pieces is None:
            return data
        out = []
        for p in pieces:
            if p.__class__ is bytes:
                out.append(p)
            elif values.get(keys[p[1]]) is not None:
                out += (p[0], repr(values[keys[p[1]]]).encode(), p[2])
        return b"".join(out)
    return rewrite


def complete_identity(fmt: ReportFormat, identity: dict) -> dict:
    out = {f: "" for f in ident.FIELDS}
    out.update({k: ("" if v is None else str(v)) for k, v in identity.items() if k in ident.FIELDS})
    out["layout"] = fmt.layout
    out["template_version"] = out["template_version"] or fmt.workbook["template_version"]
    out["template_id"] = out["template_id"] or str(uuid.uuid4())
    out["generated_at"] = out["generated_at"] or _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    return out


def _stamp_members(members, identity: dict, rewrite=None, extra: dict | None = None, start: bytes = b"") -> bytes:
    """The members, stamped, zipped; after those already in `start` (a zip of the members no unit changes)."""
    values = dict(identity)
    try:
        values["next_year"] = str(int(identity["year"]) + 1)
    except (KeyError, ValueError):
        values["next_year"] = ""
    values.update(extra or {})
    out = io.BytesIO(start)
    with zipfile.ZipFile(out, "a" if start else "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, data in members:
            if _has_placeholders(name, data):
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
                   extend=None, rewrite=None, previous=None) -> bytes:
    """A template (values None) or a filled workbook, stamped with the identity; signed when a key is given.
    `previous` (a Filing of the unit's last year) stamps the values the cross-year rules need and checks them
    live; without it the template says it has none. `extend(workbook)` may add sheets (xlsxwriter) before the
    workbook is closed, e.g. the district summary's; `rewrite(member name, bytes)` may then change a part."""
    last = ly.for_template(fmt, previous) if previous is not None else None
    full = complete_identity(fmt, dict(identity, previous=last.text if last and last.stamped else ""))
    if key is not None:
        full = ident.sign(full, key)
    extra = {"previous_note": ly.instructions(fmt, last, previous)}
    stamped = tuple(s.key for s in last.stamped) if last and last.stamped else None
    if values is None and narrative is None and explanations is None and extend is None:
        members = _base_members(fmt.layout, password, stamped)
        marked = _marked_parts(fmt.layout, password, stamped) if stamped is not None else {}
        start = b""
        if rewrite is None:  # a caller's own rewrite may change any member: then every one is compressed here
            start = _same_in_every(fmt.layout, password, stamped)
            members = [(name, data) for name, data in members if _per_unit(name, data, marked)]
        if stamped is not None:
            rewrite = _chain(_marked_values(fmt, marked, last.values), rewrite)
        return _stamp_members(members, full, rewrite, extra, start)
    else:
        prev = _Previous(last.values, last.stamped) if stamped is not None else None
        data = _build(fmt, _placeholders(), values, narrative, password, explanations, extend, prev)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = tuple((i.filename, z.read(i)) for i in z.infolist())
    return _stamp_members(members, full, rewrite, extra)


def template(unit: str, year: int, unit_code: str = "", previous=None, key: bytes | None = None,
             layout: str | None = None, password: str | None = None) -> bytes:
    """One unit's template, as `nianbao template --unit` writes it (the desk's call). `previous` is last year: a
    Filing, or a path to what template --previous takes (returns, a summary, published reports, a folder of them),
    matched to the unit by code, then name."""
    from .formats import format_for_year, load_format

    fmt = load_format(layout) if layout else format_for_year(int(year))
    if previous is not None and not hasattr(previous, "values"):
        found = previous if isinstance(previous, ly.LastYears) else ly.LastYears.load(previous)
        previous = found.match(unit_code, unit, single=True)
    return build_workbook(fmt, {"unit": unit, "unit_code": unit_code, "year": year}, password=password, key=key,
                          previous=previous)


def _chain(first, then):
    if then is None:
        return first
    return lambda name, data: then(name, first(name, data))


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
        "note_line": f(align="left", font_color="#595959", text_wrap=False),  # one line, running on to the right
        "hint": f(align="left"),  # coloured by what it says (xlsx_checks.hint_formats)
        "heading": f(bold=True, font_size=12, align="left", text_wrap=False),
        "narrative": f(align="left", valign="top", border=1, bg_color="#FFF2CC", locked=False),
        "explain": f(align="left", valign="top", border=1, bg_color="#FFF2CC", locked=False),
        "cell": f(border=1, align="left"),
        "previous_label": f(border=1, align="left", font_color="#595959", bg_color="#EDEDED"),
        "bad": wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "todo": wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"}),
        "warn": wb.add_format({"bg_color": "#F8CBAD", "font_color": "#843C0C"}),  # a warning: orange, not red
        "good": wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"}),
    }


def _previous_format(wb, fmt: ReportFormat, cell_type: str):
    """上年：3 — the number stays a number (the live checks add it); the words are its number format."""
    before, _, after = fmt.workbook["previous_number"].partition("{value}")
    quoted = lambda s: '"' + s.replace('"', "") + '"' if s else ""  # noqa: E731
    number = "0.0000" if cell_type == "decimal" else "0"
    return wb.add_format({"font_name": "宋体", "font_size": 10, "valign": "vcenter", "align": "center", "border": 1,
                          "bg_color": "#EDEDED", "font_color": "#595959", "locked": True,
                          "num_format": quoted(before) + number + quoted(after)})


def _protect(ws, password):
    ws.protect(password or "", {"select_locked_cells": True, "select_unlocked_cells": True,
                                "format_columns": True, "format_rows": True})


def _write_table(wb, ws, fmt: ReportFormat, table: Table, fm, values, status, stamped=(), hint=None, warned=False):
    """One table sheet: labels, input cells with validation, last year's stamped cells, the status (`warned`: it
    may say a warning too) and, with last year, a live line naming each cross-year check that fails."""
    g = parse_range(table.grid)
    ncols = g[3] + 1
    # column widths: wide enough for the longest unmerged label in the column
    widths = {c: 9.0 for c in range(ncols + 1)}
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
    _validate(ws, fmt, table, fm)
    _write_stamps(wb, ws, fmt, table, fm, stamped)
    # the status cell, across the grid's width
    sr, sc = parse_cell(table.status)
    ws.merge_range(sr, sc, sr, g[3], "", fm["status"])
    ws.write_formula(sr, sc, status[0], fm["status"], status[1])
    if warned:  # a warning's words can be said there (Y-03 with last year): room for a second line
        ws.set_row(sr, 32)
    xc.status_formats(ws, sr, sc, fm, fmt)
    ws.write_string(sr + 1, sc, "黄色单元格为填报单元格；单元格或整组数据变红表示校验不通过，详见“校验结果”工作表。", fm["note_line"])
    if hint is not None:
        ws.merge_range(sr + 2, sc, sr + 2, g[3], "", fm["hint"])
        ws.write_formula(sr + 2, sc, hint[0], fm["hint"], hint[1])
        xc.hint_formats(ws, sr + 2, sc, g[3], fm)
        ws.set_row(sr + 2, 42)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 1)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.print_area(0, 0, sr + (2 if hint is not None else 0), g[3] + (1 if table.previous == "right" else 0))


def _validate(ws, fmt: ReportFormat, table: Table, fm):
    """One validation and one "not a valid number" highlight per rectangle of same-typed input cells: a per-cell
    rule would make the sheet ten times larger (and slower for every reader)."""
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
            "criteria": "=" + lc.cell_flag_formulas(fmt, cell_type, top)[0] + "=1",
        })


def _write_stamps(wb, ws, fmt: ReportFormat, table: Table, fm, stamped):
    """Last year's values beside the cells they check: numbers shown as 上年：3, locked; under the grid a label
    names last year's row."""
    mine = [(s, v) for s, v in stamped if s.sheet == table.sheet]
    if not mine:
        return
    g = parse_range(table.grid)
    styles = {}
    for s, v in mine:
        r, c = parse_cell(s.ref)
        cell_type = fmt.cells[s.key].type
        if cell_type not in styles:
            styles[cell_type] = _previous_format(wb, fmt, cell_type)
        ws.write_number(r, c, v, styles[cell_type])
    if table.previous == "below":
        r = g[2] + 1
        first = min(parse_cell(s.ref)[1] for s, _ in mine)
        label = fmt.workbook["previous_label"].format(label=table.row(fmt.cells[mine[0][0].key].row).label)
        if first > g[1]:
            ws.merge_range(r, g[1], r, first - 1, label, fm["previous_label"]) if first - 1 > g[1] else \
                ws.write_string(r, g[1], label, fm["previous_label"])
            ws.set_row(r, 30)
    else:
        ws.set_column(g[3] + 1, g[3] + 1, 16)
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


def _build(fmt: ReportFormat, idt: dict, values, narrative, password, explanations=None, extend=None,
           previous: _Previous | None = None) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    wbk = fmt.workbook
    fm = _formats(wb)
    title = fmt.report_title(idt["unit"], idt["year"])
    wb.set_properties({"title": title, "subject": "政府信息公开工作年度报告填报表", "author": "nianbao",
                       "company": idt["unit"], "comments": f"nianbao template {idt['template_id']}"})
    for f in ident.SIGNED:
        if f != "previous":  # last year's values are too long for a document property: the hidden sheet holds them
            wb.set_custom_property(f"nianbao_{f}", idt[f])
    wb.set_custom_property("nianbao_signature", idt["signature"])

    ws_info = wb.add_worksheet(wbk["instructions"])
    tables = {t.id: wb.add_worksheet(t.sheet) for t in fmt.tables.values()}
    ws_text = wb.add_worksheet(wbk["narrative"])
    ws_res = wb.add_worksheet(wbk["results"])
    ws_id = wb.add_worksheet(wbk["identity"])
    ws_flag = wb.add_worksheet(wbk["flags"])

    stamped = previous.stamped if previous else ()
    stamped_refs = {s.key: (s.sheet, s.ref) for s in stamped}
    flags = xc.Flags(fmt, values, previous, xc.instances_by_table(fmt, stamped))
    xc.write_flags(ws_flag, fmt, flags, stamped_refs)
    _protect(ws_flag, password)

    # ---- table sheets
    for t in fmt.tables.values():
        ws = tables[t.id]
        a, b = flags.table_rows[t.id]
        n = f"SUM({flags.sheet}!C{a + 1}:C{b + 1})"
        blanks = f"SUM({flags.sheet}!D{a + 1}:D{b + 1})"
        status = xc.status(fmt, flags, n, blanks, flags.errors(t.id))
        hint = xc.cross_year_hint(fmt, flags, flags.by_table[t.id], stamped_refs, values, previous) if stamped else None
        _write_table(wb, ws, fmt, t, fm, values, status, [(s, previous.values[s.key]) for s in stamped], hint,
                     flags.repeat is not None)
        for inst in flags.by_table[t.id]:
            refs = [fmt.cells[k].ref for k in dict.fromkeys(inst.keys)]
            ws.conditional_format(refs[0], {  # a warning's cells orange (Y-01 per column, Y-02), an error's red
                "type": "formula", "format": fm["warn" if inst.severity == "warning" else "bad"],
                "multi_range": " ".join(refs),
                "criteria": f"=AND({lc.complete_here(fmt, inst)},{lc.failing_condition(fmt, inst, False, stamped_refs)})"})
        _protect(ws, password)

    _write_narrative(ws_text, fmt, fm, title, narrative)
    # ---- numbers paragraph (paragraph_xlsx.py): the live drafted paragraph and its hidden helper cells; last
    # year's values, when stamped, at ly.value_refs(fmt)
    write_paragraph(wb, ws_text, fmt, values, ly.value_refs(fmt) if previous else None,
                    previous.values if previous else None)
    _protect(ws_text, password)
    xc.write_results(ws_res, fmt, fm, title, flags, stamped_refs, explanations or {})
    _protect(ws_res, password)
    _write_identity(ws_id, fmt, idt, previous)
    _protect(ws_id, password)
    _write_instructions(ws_info, fmt, fm, title, idt)
    _protect(ws_info, password)
    ws_info.activate()
    if extend is not None:
        extend(wb)
    wb.close()
    data = out.getvalue()
    return _protect_structure(data, password)


def _write_narrative(ws, fmt: ReportFormat, fm, title: str, narrative):
    ws.set_column(0, 7, 12)
    ws.merge_range(0, 0, 0, 7, f"{title}（正文）", fm["title"])
    ws.merge_range(1, 0, 1, 7, "二、三、四部分由表二、表三、表四生成，无需在此填写。请在黄色区域填写一、五、六部分，"
                               "分段处按 Alt+Enter 换行。", fm["note"])
    for s in fmt.narrative_sections:
        hr, hc = parse_cell(s.heading_at)
        ws.write_string(hr, hc, s.heading, fm["heading"])
        r1, c1, r2, c2 = parse_range(s.input_at)
        ws.merge_range(r1, c1, r2, c2, "", fm["narrative"])
        text = (narrative or {}).get(s.id)
        if text:
            ws.write_string(r1, c1, text, fm["narrative"])
    ws.fit_to_pages(1, 0)
    ws.set_paper(9)


def _write_identity(ws, fmt: ReportFormat, idt: dict, previous: _Previous | None):
    """Very hidden; cell values are what survives every engine's save. With last year, its values follow as
    numbers, one row per key (ly.value_rows), for the formulas that compare with last year."""
    ws.write_string(0, 0, ident.MARKER)
    for i, f in enumerate(ident.FIELDS, start=1):
        ws.write_string(i, 0, f)
        ws.write_string(i, 1, idt[f])
        ws.write_string(i, 2, ident.LABELS[f])
    if previous is not None:
        rows = ly.value_rows(fmt)
        ws.write_string(min(rows.values()) - 1, 0, ident.LABELS["previous"])
        for key, row in rows.items():
            ws.write_string(row, 0, key)
            if previous.values.get(key) is not None:
                ws.write_number(row, 1, previous.values[key])
    ws.very_hidden()


def _write_instructions(ws, fmt: ReportFormat, fm, title: str, idt: dict):
    wbk = fmt.workbook
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 90)
    ws.merge_range(0, 0, 0, 1, f"{title} 填报表", fm["title"])
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
        ("上年数据", idt["previous_note"]),
    ]
    for i, (k, v) in enumerate(lines, start=2):
        ws.write_string(i, 0, k, fm["header"])
        ws.write_string(i, 1, str(v), fm["cell"])
    r = len(lines) + 3
    ws.merge_range(r, 0, r, 1, "校验规则（填写时即时校验；红色表示不通过，黄色表示尚未填完，橙色表示警告：可以返回，但请核实）", fm["heading"])
    r += 1
    for rule in fmt.rules.values():
        if rule.plain:
            ws.write_string(r, 0, f"{rule.id} {rule.name}", fm["cell"])
            ws.write_string(r, 1, rule.plain, fm["cell"])
            r += 1
    r += 1
    ws.merge_range(r, 0, r, 1, "各表底部的校验状态显示“校验通过”后即可返回；如有特殊情况，请在“校验结果”工作表的“说明”列写明。",
                   fm["note"])
    ws.fit_to_pages(1, 0)
    ws.set_paper(9)


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
