"""The report as a Word document in 公文 typography (GB/T 9704).

方正小标宋简体 2号 title, 仿宋_GB2312 3号 body, 黑体 section headings, 楷体_GB2312 run-in headings; A4 with the
standard margins; page numbers “— 1 —”. Fonts are set on the East-Asian slot (w:eastAsia) and listed in the font
table with the Windows font each falls back to (w:altName), so a machine without the 方正/GB2312 fonts still shows
Chinese in the nearest face. With a reference document its styles, page setup and headers are used instead, the way
pandoc's --reference-doc works: only the content is ours.
"""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

from ..errors import NianbaoError
from . import ReportDoc, split_run_in, texts

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
RUN_IN_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
# font → (the face Windows always has, the generic family) for the font table's fallback
FALLBACK = {TITLE_FONT: ("宋体", "roman"), BODY_FONT: ("仿宋", "modern"), HEADING_FONT: ("SimHei", "modern"),
            RUN_IN_FONT: ("楷体", "modern")}

TABLE_STYLE = "Table Text"
RUN_IN_STYLE = "Run-in Heading"
CELL_MARGIN = 57  # twips (1 mm) left and right in a table cell
LINE = Pt(28.95)  # 22 lines on the 225 mm type area


def _fonts(rpr_owner, east_asia: str, latin: str = LATIN_FONT):
    """Set the run fonts explicitly (theme fonts would override them) with the Chinese face on w:eastAsia."""
    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin),
                        ("w:hint", "eastAsia")):
        rfonts.set(qn(attr), value)


def _reset(style):
    """Drop a built-in style's own formatting (the default template's blue, bordered headings)."""
    for tag in ("w:pPr", "w:rPr"):
        el = style.element.find(qn(tag))
        if el is not None:
            style.element.remove(el)


def _style(doc, name: str, kind=WD_STYLE_TYPE.PARAGRAPH):
    try:
        return doc.styles[name], False
    except KeyError:
        return doc.styles.add_style(name, kind), True


def _gongwen_styles(doc):
    """公文 typography on the default template's styles."""
    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    if rpr_default is not None:
        rpr_default.getparent().remove(rpr_default)
    defaults = defaults if defaults is not None else styles.element.makeelement(qn("w:docDefaults"), {})
    defaults.insert(0, parse_xml(
        f'<w:rPrDefault {nsdecls("w")}><w:rPr><w:rFonts w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" '
        f'w:eastAsia="{BODY_FONT}" w:cs="{LATIN_FONT}"/><w:sz w:val="32"/><w:szCs w:val="32"/>'
        f'<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'))

    normal = styles["Normal"]
    _reset(normal)
    _fonts(normal.element, BODY_FONT)
    normal.font.size = Pt(16)
    pf = normal.paragraph_format
    pf.line_spacing = LINE
    pf.space_before = pf.space_after = Pt(0)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.widow_control = True
    pf.first_line_indent = Pt(32)  # two characters of 3号

    def plain_black(name: str, font: str, size: int):
        st = styles[name]
        _reset(st)
        _fonts(st.element, font)
        st.font.size = Pt(size)
        st.font.bold = False
        st.font.color.rgb = RGBColor(0, 0, 0)
        st.paragraph_format.keep_with_next = True
        return st, st.paragraph_format

    _, tf = plain_black("Title", TITLE_FONT, 22)  # 2号 方正小标宋简体
    tf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    tf.line_spacing = Pt(36)
    tf.space_after = LINE
    tf.first_line_indent = Pt(0)

    h1, hf = plain_black("Heading 1", HEADING_FONT, 16)  # 3号 黑体
    hf.line_spacing = LINE
    hf.space_before = hf.space_after = Pt(0)
    hf.first_line_indent = Pt(32)
    h1.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="0"/>'))  # last in pPr

    for name in ("Header", "Footer"):
        st, _ = _style(doc, name)
        st.paragraph_format.first_line_indent = Pt(0)
        st.paragraph_format.line_spacing = 1.0
        st.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(st.element, "宋体")
        st.font.size = Pt(14)

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(25)


def _content_styles(doc, ours: bool):
    """The two styles the content needs beyond the built-ins; created in a reference document that lacks them."""
    table, created = _style(doc, TABLE_STYLE)
    if created or ours:
        table.base_style = doc.styles["Normal"]
        _fonts(table.element, BODY_FONT)
        table.font.size = Pt(10.5)
        tpf = table.paragraph_format
        tpf.alignment = WD_ALIGN_PARAGRAPH.CENTER
        tpf.line_spacing = 1.0
        tpf.space_before = tpf.space_after = Pt(0)
        tpf.first_line_indent = Pt(0)
    # a reference document saved by Word lists only the styles it used: give it the missing ones, plainly
    for name, font, size, align in (("Title", TITLE_FONT, 22, WD_ALIGN_PARAGRAPH.CENTER),
                                     ("Heading 1", HEADING_FONT, 16, None)):
        st, created = _style(doc, name)
        if created:
            st.base_style = doc.styles["Normal"]
            _fonts(st.element, font)
            st.font.size = Pt(size)
            st.paragraph_format.keep_with_next = True
            if align is not None:
                st.paragraph_format.alignment = align
    run_in, created = _style(doc, RUN_IN_STYLE, WD_STYLE_TYPE.CHARACTER)
    if created or ours:
        _fonts(run_in.element, RUN_IN_FONT)


def _font_table(doc):
    """Fallback faces for fonts a machine may lack: Word substitutes w:altName; GB2312 charset for the rest."""
    part = next((p for p in doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml"), None)
    if part is None:
        return
    root = parse_xml(part.blob)
    have = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, (alt, family) in FALLBACK.items():
        if name in have:
            continue
        root.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
            f'<w:family w:val="{family}"/><w:pitch w:val="fixed"/></w:font>'))
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_number(section, template: str):
    footer = section.footer
    if not footer.is_linked_to_previous and (any(p.text.strip() for p in footer.paragraphs)
                                             or footer._element.findall(".//" + qn("w:fldSimple"))
                                             or footer._element.findall(".//" + qn("w:instrText"))):
        return  # the reference document has its own
    before, _, after = template.partition("{page}")
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    p.add_run(before)
    p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    p.add_run(after)


def _draft_mark(section, mark: str):
    header = section.header
    header.is_linked_to_previous = False
    p = header.add_paragraph() if any(x.text for x in header.paragraphs) else header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    run = p.add_run(mark)
    run.bold = True
    run.font.size = Pt(16)
    run.font.color.rgb = RGBColor(0xC0, 0, 0)
    _fonts(run._r, HEADING_FONT)


def _clear_body(doc):
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def _text_width(section) -> int:
    """The type area's width in twips."""
    return int((section.page_width - section.left_margin - section.right_margin) / 635)


def _table_xml(sec, numbers: dict, style_id: str, width: int) -> str:
    g = sec.grid
    small = g.ncols >= 10  # 表三 and 表四: 小五 so the grid fits the portrait type area
    cols = g.widths(width, 180 if small else 210, padding=2 * CELL_MARGIN + 20, numbers=numbers)
    size = '<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>' if small else ""
    border = '<w:{0} w:val="single" w:sz="6" w:space="0" w:color="000000"/>'
    borders = "".join(border.format(b) for b in ("top", "left", "bottom", "right", "insideH", "insideV"))
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(cols)}" w:type="dxa"/><w:jc w:val="center"/>'
           f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
           f'<w:tblCellMar><w:left w:w="{CELL_MARGIN}" w:type="dxa"/><w:right w:w="{CELL_MARGIN}" w:type="dxa"/></w:tblCellMar>'
           f'<w:tblLook w:val="0000"/></w:tblPr><w:tblGrid>']
    out += [f'<w:gridCol w:w="{c}"/>' for c in cols]
    out.append("</w:tblGrid>")
    # which grid positions continue a cell from the row above (w:vMerge)
    above = {}
    for c in g.cells():
        for r in range(c.row + 1, c.row + c.rowspan):
            above[(r, c.col)] = c
    for r in range(g.nrows):
        header = '<w:tblHeader/>' if r < g.header_rows and g.one_head else ""  # repeated on a new page
        keep = "<w:keepNext/>" if r < g.nrows - 1 else ""  # the table stays on one page when it fits
        out.append(f'<w:tr><w:trPr><w:cantSplit/>{header}</w:trPr>')
        starts = {c.col: c for c in g.rows[r]}
        col = 0
        while col < g.ncols:
            cont = above.get((r, col))
            cell = cont or starts[col]
            w = sum(cols[cell.col:cell.col + cell.colspan])
            span = f'<w:gridSpan w:val="{cell.colspan}"/>' if cell.colspan > 1 else ""
            vmerge = '<w:vMerge/>' if cont else ('<w:vMerge w:val="restart"/>' if cell.rowspan > 1 else "")
            text = "" if cont else (numbers[cell.key] if cell.kind == "value" else cell.text)
            jc = "left" if cell.scope == "row" else "center"
            run = f'<w:r>{size}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>{span}{vmerge}<w:vAlign w:val="center"/>'
                       f'</w:tcPr><w:p><w:pPr><w:pStyle w:val="{style_id}"/>{keep}<w:jc w:val="{jc}"/></w:pPr>{run}</w:p></w:tc>')
            col += cell.colspan
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def render_docx(doc: ReportDoc, reference_docx=None) -> bytes:
    if reference_docx is not None:
        try:
            d = Document(str(reference_docx))
        except (PackageNotFoundError, KeyError, ValueError, OSError) as e:
            raise NianbaoError(f"样式参考文件 {reference_docx} 不是可读的 Word 文档（.docx）：{e}") from None
        _clear_body(d)
    else:
        d = Document()
        _clear_body(d)
        _gongwen_styles(d)
    _content_styles(d, ours=reference_docx is None)
    _font_table(d)
    table_style = d.styles[TABLE_STYLE].style_id

    title = d.add_paragraph(style="Title")
    for i, line in enumerate(doc.title_lines):
        if i:
            title.add_run().add_break()
        title.add_run(line)
    for text in doc.preamble:
        d.add_paragraph(text)
    body = d.element.body
    sect_pr = body.find(qn("w:sectPr"))
    width = _text_width(d.sections[0])
    for sec in doc.sections:
        d.add_paragraph(sec.heading, style="Heading 1")
        if sec.grid is not None:
            tbl = parse_xml(_table_xml(sec, doc.numbers, table_style, width))
            sect_pr.addprevious(tbl)
            d.add_paragraph()  # a blank line between the table and the next heading
            continue
        for text in sec.paragraphs:
            lead, rest = split_run_in(text)
            p = d.add_paragraph()
            if lead:
                p.add_run(lead, style=RUN_IN_STYLE)
            p.add_run(rest)
    if doc.annex is not None:
        a = doc.annex
        d.add_paragraph(a.title, style="Heading 1")
        t = d.add_table(rows=1, cols=len(a.header))
        try:
            t.style = d.styles["Table Grid"]
        except KeyError:  # a reference document without it: plain table
            pass
        for row_cells, texts_ in [(t.rows[0].cells, a.header)] + [(t.add_row().cells, r) for r in a.rows]:
            for cell, text in zip(row_cells, texts_):
                cell.paragraphs[0].style = d.styles[TABLE_STYLE]
                cell.paragraphs[0].add_run(str(text))
    for section in d.sections:
        _page_number(section, texts()["page_number"])
        if doc.draft_mark:
            _draft_mark(section, doc.draft_mark)
    d.core_properties.title = doc.title
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
