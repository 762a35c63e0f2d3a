"""A second renderer of a filing for the rendition matrix: the report as a clerk types it in Word/WPS from the State
Council template (国办公开办函〔2021〕30号), not as `nianbao report` draws it. The numbers and the labels are the
filing's and the format definition's (the official grid of nianbao.report.layout); what varies, drawn per case from
a seeded RNG, is the tables' shape:

- 表三's row labels in 3 label columns (the official vertical merges), in 2 (one group column's label a row of
  its own) or in 1; the 申请人情况 header in 3 or 2 header rows; a header cell spanning two header rows or not
  (its text above or below an empty cell); header words broken inside a cell ("商业\\n企业");
- a table split into two Word tables as across a page break, its header repeated or not, a merged label cut in two;
- 表二's blocks in one table or one table each, the block caption a row or a paragraph;
- the caption a paragraph, or the table's first merged row; "单位：件" above a table; a "注：…" row or paragraph
  under it;
- wordings the real reports print (规范性文件, "第二十条 第（一）项", "1、" numbering, half-width brackets);
- a blank cell printed empty or as "—" / "/" / "－" (nothing happened: graded as blank), a number with a leading
  space, the fee with trailing zeros ("0.00").
"""
from __future__ import annotations

import copy
import io
import random
import re
from dataclasses import dataclass

MARKS = ("", "—", "/", "－")


@dataclass
class Box:
    """One Word table cell: where it starts, its spans, its text."""

    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    text: str = ""
    kind: str = "empty"  # label | value | empty
    role: str | None = None
    key: str | None = None


@dataclass
class Sheet:
    """One Word table."""

    boxes: list[Box]
    nrows: int
    ncols: int
    header_rows: int
    label_cols: int  # the columns left of the first number
    small: bool = False
    before: tuple[str, ...] = ()  # paragraphs printed above the table
    after: tuple[str, ...] = ()  # and under it
    new_page: bool = False  # the continuation of the table above, on the next page


# ------------------------------------------------------------------------------------------------ grid edits
def _shift_rows(sheet: Sheet, at: int, by: int = 1):
    """Room for `by` new rows at `at`: boxes below move down, boxes across it grow."""
    for b in sheet.boxes:
        if b.row >= at:
            b.row += by
        elif b.row + b.rowspan > at:
            b.rowspan += by
    sheet.nrows += by


def _fill_row(sheet: Sheet, row: int, text: str, whole: bool, role: str = "group"):
    """A new row holding one label: over the label columns (empty cells beside it), or over the whole row."""
    start = max((b.col + b.colspan for b in sheet.boxes if b.row < row < b.row + b.rowspan), default=0)
    end = sheet.ncols if whole else sheet.label_cols  # right of a label merged down across the row
    sheet.boxes.append(Box(row, start, 1, end - start, text, "label", role))
    sheet.boxes += [Box(row, c) for c in range(end, sheet.ncols)]


def drop_label_column(sheet: Sheet, col: int, rng: random.Random):
    """Column `col` of the row labels taken out: a group label it held (a vertical merge) becomes a row of its own
    above its rows; labels across it get narrower."""
    groups = [b for b in sheet.boxes if b.col == col and b.colspan == 1 and b.kind == "label"]
    sheet.boxes = [b for b in sheet.boxes if b not in groups]
    for b in sheet.boxes:
        if b.col > col:
            b.col -= 1
        elif b.col + b.colspan > col:
            b.colspan -= 1
    sheet.ncols -= 1
    sheet.label_cols -= 1
    whole = rng.random() < 0.5
    for g in sorted(groups, key=lambda b: b.row, reverse=True):
        _shift_rows(sheet, g.row)
        _fill_row(sheet, g.row, g.text, whole)
    sheet.boxes = [b for b in sheet.boxes if b.colspan > 0]


def drop_first_row(sheet: Sheet):
    """The table's first row left out (申请人情况 over every number column, or a block's caption printed as a
    paragraph instead): a cell merged down from it keeps its other rows."""
    sheet.boxes = [b for b in sheet.boxes if b.row > 0 or b.rowspan > 1]
    for b in sheet.boxes:
        if b.row == 0:
            b.rowspan -= 1
        else:
            b.row -= 1
    sheet.nrows -= 1
    sheet.header_rows = max(0, sheet.header_rows - 1)


def unspan_header(sheet: Sheet, rng: random.Random) -> str | None:
    """Header cells over two header rows (自然人, 总计, 表四's 结果维持) typed in one row, an empty cell in the other:
    where their text went ("above", "below"), None when the header has no such cell."""
    below = rng.random() < 0.3
    spanning = [b for b in sheet.boxes if b.kind == "label" and b.rowspan > 1 and b.row < sheet.header_rows
                and b.col >= sheet.label_cols]
    for b in spanning:
        if below:
            sheet.boxes.append(Box(b.row, b.col, b.rowspan - 1, b.colspan))
            b.row += b.rowspan - 1
        else:
            sheet.boxes.append(Box(b.row + 1, b.col, b.rowspan - 1, b.colspan))
        b.rowspan = 1
    return ("below" if below else "above") if spanning else None


def break_words(sheet: Sheet, rng: random.Random, share: float):
    """Header words broken inside their cells ("商业\\n企业"), as a clerk presses Enter in a narrow column."""
    for b in sheet.boxes:
        if (b.kind == "label" and b.row < sheet.header_rows and b.col >= sheet.label_cols and len(b.text) >= 4
                and "\n" not in b.text and b.role != "note" and rng.random() < share):
            cut = len(b.text) // 2
            b.text = b.text[:cut] + "\n" + b.text[cut:]


def split_at(sheet: Sheet, row: int, repeat_header: bool, repeat_label: bool) -> tuple[Sheet, Sheet]:
    """The table cut into two Word tables before `row` (a page break): a merged cell across the cut is cut in two,
    its text printed again in the second part or not; the header printed again or not."""
    top, bottom = [], []
    for b in sheet.boxes:
        if b.row + b.rowspan <= row:
            top.append(copy.copy(b))
        elif b.row >= row:
            bottom.append(_moved(b, b.row - row))
        else:
            top.append(_moved(b, b.row, rowspan=row - b.row))
            bottom.append(_moved(b, 0, rowspan=b.row + b.rowspan - row, text=b.text if repeat_label else ""))
    h = sheet.header_rows if repeat_header else 0
    for b in bottom:
        b.row += h
    bottom += [copy.copy(b) for b in sheet.boxes if repeat_header and b.row < sheet.header_rows]
    first = Sheet(top, row, sheet.ncols, sheet.header_rows, sheet.label_cols, sheet.small, sheet.before)
    second = Sheet(bottom, sheet.nrows - row + h, sheet.ncols, h, sheet.label_cols, sheet.small, (), sheet.after)
    return first, second


def _moved(b: Box, row: int, **kw) -> Box:
    out = copy.copy(b)
    out.row = row
    for k, v in kw.items():
        setattr(out, k, v)
    return out


# ------------------------------------------------------------------------------------------------ one table
def sheet_of(grid, numbers: dict) -> Sheet:
    """The official grid (nianbao.report.layout) as a Word table."""
    boxes = [Box(c.row, c.col, c.rowspan, c.colspan, numbers[c.key] if c.kind == "value" else c.text, c.kind,
                 c.role, c.key) for c in grid.cells()]
    first_value = min(c.col for c in grid.cells() if c.kind == "value")
    return Sheet(boxes, grid.nrows, grid.ncols, grid.header_rows, first_value, small=grid.ncols >= 10)


def _reworded(sheet: Sheet, shapes: list[str], what: str, change, boxes):
    changed = False
    for b in boxes:
        text = change(b.text)
        changed |= text != b.text
        b.text = text
    if changed:
        shapes.append(what)


def _wordings(sheet: Sheet, rng: random.Random, shapes: list[str]):
    """Labels worded as real reports print them (the wordings come from the format definitions)."""
    from nianbao.formats import load_format

    older = next(r.label for t in load_format("2019").tables.values() for r in t.rows if r.key == "normative_docs")
    labels = [b for b in sheet.boxes if b.kind == "label"]
    if rng.random() < 0.3:  # 2021's 行政规范性文件 printed in 2019's words
        _reworded(sheet, shapes, f"“{older}”", lambda t: older if t.endswith(older) else t,
                  [b for b in labels if b.role == "row"])
    if rng.random() < 0.3:
        _reworded(sheet, shapes, "第二十条 第（…）项", lambda t: t.replace("条第", "条 第"),
                  [b for b in labels if b.role == "block"])
    if rng.random() < 0.2:
        _reworded(sheet, shapes, "sub-rows numbered 1、", lambda t: re.sub(r"^(\d)\.", r"\1、", t),
                  [b for b in labels if b.role == "row"])
    if rng.random() < 0.15:
        _reworded(sheet, shapes, "half-width brackets", lambda t: t.replace("（", "(").replace("）", ")"), labels)


def clerk_sheets(table, grid, numbers: dict, rng: random.Random, shapes: list[str]) -> list[Sheet]:
    """One table of the report as the Word tables a clerk typed (each step draws from `rng` in turn)."""
    sheet = sheet_of(grid, numbers)
    _wordings(sheet, rng, shapes)
    _label_columns(sheet, table.sheet, rng, shapes)
    _header(sheet, table.sheet, rng, shapes)
    _around(sheet, table, rng, shapes)
    return _split(sheet, table.sheet, rng, shapes)


def _label_columns(sheet: Sheet, name: str, rng: random.Random, shapes: list[str]):
    """表三's nested row labels in 3 columns (official), 2 or 1."""
    if not any(b.role == "group" for b in sheet.boxes):
        return
    cols = rng.choice((3, 3, 2, 2, 1))
    if cols < sheet.label_cols:
        order = [0, 0] if cols == 1 else [rng.choice((0, 1))]
        for c in order[:sheet.label_cols - cols]:
            drop_label_column(sheet, c, rng)
        shapes.append(f"{name} labels in {sheet.label_cols} column(s)")


def _header(sheet: Sheet, name: str, rng: random.Random, shapes: list[str]):
    top = [b for b in sheet.boxes if b.row == 0 and b.kind == "label" and b.col >= sheet.label_cols]
    if sheet.header_rows >= 3 and len(top) == 1 and rng.random() < 0.4:  # without 申请人情况
        drop_first_row(sheet)
        shapes.append(f"{name} header in {sheet.header_rows} rows")
    where = rng.random() < 0.3 and unspan_header(sheet, rng)
    if where:
        shapes.append(f"{name} header cells not spanning rows (text {where})")
    share = rng.choice((0.0, 0.3, 1.0))
    if share:
        break_words(sheet, rng, share)
        shapes.append(f"{name} header words broken ({share})")


NOTES = ("注：本表数据统计期限为{year}年1月1日至{year}年12月31日。", "注：表中空白表示无此类情况。",
         "注：数据来源于本机关政府信息公开工作台账。")


def _around(sheet: Sheet, table, rng: random.Random, shapes: list[str]):
    """The caption (a paragraph, or the table's first row), "单位：件" above, a note under or in its last row."""
    name = table.sheet
    caption = rng.random()
    if caption < 0.25:
        sheet.before += (table.caption,)
        shapes.append(f"{name} caption paragraph")
    elif caption < 0.45:
        _shift_rows(sheet, 0)
        _fill_row(sheet, 0, table.caption, whole=True, role="caption")
        sheet.header_rows += 1
        shapes.append(f"{name} caption row")
    if name != "表二" and rng.random() < 0.3:
        sheet.before = ("单位：件",) + sheet.before if rng.random() < 0.5 else sheet.before + ("单位：件",)
        shapes.append(f"{name} 单位：件")
    note = rng.random()
    if note < 0.3:
        text = rng.choice(NOTES)
        if note < 0.15:
            sheet.after += (text,)
            shapes.append(f"{name} note paragraph")
        else:
            sheet.boxes.append(Box(sheet.nrows, 0, 1, sheet.ncols, text, "label", "note"))
            sheet.nrows += 1
            shapes.append(f"{name} note row")


def _split(sheet: Sheet, name: str, rng: random.Random, shapes: list[str]) -> list[Sheet]:
    """表二 a table a block (its caption a row or a paragraph), or a long table over a page break."""
    blocks = sorted({b.row for b in sheet.boxes if b.role == "block"})
    if len(blocks) > 1 and rng.random() < 0.5:
        paragraph = rng.random() < 0.5
        parts, rest = [], sheet
        for r in reversed(blocks[1:]):
            rest, tail = split_at(rest, r, False, False)
            parts.insert(0, tail)
        parts.insert(0, rest)
        for p in parts:
            captions = [b for b in p.boxes if b.role == "block" and b.row == 0]
            if paragraph and captions:
                p.before += (captions[0].text,)
                drop_first_row(p)
        shapes.append(f"{name} a table a block" + (", captions as paragraphs" if paragraph else ""))
        return parts
    if sheet.nrows - sheet.header_rows > 8 and rng.random() < 0.4:
        at = rng.randint(sheet.header_rows + 2, sheet.nrows - 2)
        repeat = rng.random() < 0.5
        sheets = list(split_at(sheet, at, repeat, rng.random() < 0.5))
        sheets[1].new_page = True
        shapes.append(f"{name} split before row {at}" + (", header repeated" if repeat else ""))
        return sheets
    return [sheet]


# ------------------------------------------------------------------------------------------------ the numbers
def clerk_numbers(filing, numbers: dict, rng: random.Random, shapes: list[str]) -> dict:
    """The numbers as a clerk types them: a blank as nothing or a mark, a stray leading space, the fee's
    trailing zeros."""
    out = dict(numbers)
    mark = rng.choice(MARKS)
    mixed = rng.random() < 0.15
    blanks = [k for k, v in out.items() if v == ""]
    if blanks:
        shapes.append(f"blank as “{mark}”" + (" (mixed)" if mixed else ""))
    for k in blanks:
        out[k] = rng.choice(MARKS) if mixed else mark
    if rng.random() < 0.2:
        for k, v in out.items():
            if v and rng.random() < 0.3:
                out[k] = " " + v
        shapes.append("leading spaces")
    zeros = rng.random() < 0.5
    for key, cell in filing.fmt.cells.items():
        col = filing.fmt.tables[cell.table].column(cell.col)
        v = filing.values.get(key)
        if zeros and col.unit == "万元" and v is not None and round(v, 2) == v:
            out[key] = f"{v:.2f}"
            shapes.append(f"fee “{out[key]}”")
    return out


# ------------------------------------------------------------------------------------------------ the document
def draw(filing, rng: random.Random) -> tuple[list, list[str]]:
    """What the clerk typed: [(kind, content)] in order ("title" lines, "p" paragraph, "h" heading, "table"
    Sheet), and the shapes drawn."""
    from nianbao.report import build

    doc = build(filing)
    shapes: list[str] = []
    numbers = clerk_numbers(filing, doc.numbers, rng, shapes)
    parts = []
    if rng.random() < 0.4:  # the unit on the first line, the rest on the second (a long title)
        parts.append(("title", [filing.unit, doc.title[len(filing.unit):]]))
        shapes.append("title in two paragraphs")
    else:
        parts.append(("title", [doc.title]))
    parts += [("p", p) for p in doc.preamble]
    for sec in doc.sections:
        parts.append(("h", sec.heading))
        if sec.grid is None:
            parts += [("p", p) for p in sec.paragraphs]
            continue
        for sheet in clerk_sheets(sec.grid.table, sec.grid, numbers, rng, shapes):
            parts += [("p", p.format(year=filing.year)) for p in sheet.before]
            parts.append(("table", sheet))
            parts += [("p", p.format(year=filing.year)) for p in sheet.after]
    if rng.random() < 0.5:  # signed and dated
        parts += [("p", filing.unit), ("p", f"{filing.year + 1}年1月20日")]
        shapes.append("signature")
    return parts, shapes


def render_clerk(filing, rng: random.Random) -> tuple[bytes, list[str]]:
    """The .docx a clerk typed, and the shapes drawn for it."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    parts, shapes = draw(filing, rng)
    d = Document()
    _fonts(d)
    sec = d.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    width = 156
    previous = None
    for kind, content in parts:
        if kind == "title":
            for line in content:
                p = d.add_paragraph(line)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.runs[0].font.size = Pt(22)
        elif kind == "table":
            if previous == "table":  # two Word tables need a paragraph between them, else they are one
                d.add_paragraph().paragraph_format.page_break_before = content.new_page
            _table(d, content, width, rng)
        else:
            d.add_paragraph(content)
        previous = kind
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue(), shapes


def _fonts(d):
    """The faces a clerk's Word uses (宋体, Times New Roman for digits), not the default template's theme fonts
    (a machine without Calibri shows its digits in a far wider face)."""
    from docx.oxml.ns import qn

    rpr = d.styles["Normal"].element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, face in (("w:ascii", "Times New Roman"), ("w:hAnsi", "Times New Roman"), ("w:eastAsia", "宋体")):
        fonts.set(qn(attr), face)


def _widths(sheet: Sheet, width: float, size: float) -> list[float]:
    """Millimetres a column: the number columns alike and wide enough for the widest number on one line (in the
    widest face a machine may show it in: DejaVu's digits are 0.64 em), the label columns sharing what is left
    (at least 40 mm: a wide table runs into the right margin, as clerks' tables do)."""
    values = sheet.ncols - sheet.label_cols
    digits = max((len(b.text) for b in sheet.boxes if b.kind == "value" and b.colspan == 1), default=1)
    each = max(digits * 0.64 * size * 0.3528 + 2.5, 8.0 if values > 3 else width * 0.5 / values)
    if not sheet.label_cols:  # 表四: numbers only, under their headers
        return [max(each, width / values)] * values
    rest = max(width - each * values, 40.0)
    if sheet.label_cols == 1:
        labels = [rest]
    elif sheet.label_cols == 2:
        labels = [rest * 0.25, rest * 0.75]
    else:
        labels = [rest * 0.12] + [rest * 0.2] + [rest * 0.68 / (sheet.label_cols - 2)] * (sheet.label_cols - 2)
    return labels + [each] * values


def covered(sheet: Sheet) -> list[list[Box]]:
    """Which box covers each position; a sheet whose boxes overlap or leave a hole is a bug of this module."""
    at: list[list[Box | None]] = [[None] * sheet.ncols for _ in range(sheet.nrows)]
    for b in sheet.boxes:
        for r in range(b.row, b.row + b.rowspan):
            for c in range(b.col, b.col + b.colspan):
                if at[r][c] is not None:
                    raise AssertionError(f"({r},{c}): {b} overlaps {at[r][c]}")
                at[r][c] = b
    holes = [(r, c) for r in range(sheet.nrows) for c in range(sheet.ncols) if at[r][c] is None]
    if holes:
        raise AssertionError(f"holes at {holes[:5]}")
    return at


def _table(d, sheet: Sheet, width: float, rng: random.Random):
    """The sheet as a Word table (WordprocessingML written directly: python-docx's cell merging is quadratic)."""
    from xml.sax.saxutils import escape

    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    at = covered(sheet)
    size = (8 if sheet.ncols > 10 else 9) if sheet.small else 10.5
    cols = [int(w * 56.7) for w in _widths(sheet, width, size)]  # twips
    enter = rng.random() < 0.5  # a word broken in a cell by Enter (a new paragraph) or by Shift+Enter
    rpr = f'<w:rPr><w:sz w:val="{int(size * 2)}"/><w:szCs w:val="{int(size * 2)}"/></w:rPr>'
    border = "".join(f'<w:{b} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                     for b in ("top", "left", "bottom", "right", "insideH", "insideV"))
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(cols)}" w:type="dxa"/><w:tblBorders>{border}'
           '</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="57" w:type="dxa"/>'
           '<w:right w:w="57" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>']
    out += [f'<w:gridCol w:w="{w}"/>' for w in cols] + ["</w:tblGrid>"]
    for r in range(sheet.nrows):
        out.append("<w:tr>")
        c = 0
        while c < sheet.ncols:
            b = at[r][c]
            span = f'<w:gridSpan w:val="{b.colspan}"/>' if b.colspan > 1 else ""
            vmerge = "" if b.rowspan == 1 else '<w:vMerge w:val="restart"/>' if b.row == r else "<w:vMerge/>"
            jc = "left" if b.kind == "label" and b.role in ("row", "note") else "center"
            lines = b.text.split("\n") if b.text and b.row == r else [""]
            runs = [f'<w:r>{rpr}<w:t xml:space="preserve">{escape(x)}</w:t></w:r>' if x else "" for x in lines]
            ppr = f'<w:pPr><w:spacing w:before="0" w:after="0"/><w:jc w:val="{jc}"/></w:pPr>'
            body = "".join(f"<w:p>{ppr}{x}</w:p>" for x in runs) if enter else \
                f"<w:p>{ppr}" + f"<w:r><w:br/></w:r>".join(runs) + "</w:p>"
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{sum(cols[c:c + b.colspan])}" w:type="dxa"/>{span}{vmerge}'
                       f'<w:vAlign w:val="center"/></w:tcPr>{body}</w:tc>')
            c += b.colspan
        out.append("</w:tr>")
    out.append("</w:tbl>")
    d.element.body.find(qn("w:sectPr")).addprevious(parse_xml("".join(out)))
