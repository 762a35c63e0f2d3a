"""A PDF report (its text layer, read by PDFium; tables found by pdfplumber's finder): ruled tables are read cell by
cell (empty cells kept), the text around them line by line, laid out by the characters' positions (so a table
without rules keeps its columns); page numbers are dropped. A PDF without text (a scan)
cannot be read."""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import NianbaoError
from ..limits import read_bounded
from .document import Doc, DocBuilder, is_page_furniture


def _real_table(rows) -> bool:
    """A table of figures, not a framed paragraph: some row has two or more filled cells."""
    return any(sum(1 for c in r if c not in (None, "")) >= 2 for r in rows)


_WRAPPED_NUMBER = re.compile(r"\d+(?:\n\d+)+")


def _unwrap(cell: str) -> str:
    """A number too wide for its cell is broken over lines ("15470\n6"): in a cell of the grid it is one number."""
    return cell.replace("\n", "") if _WRAPPED_NUMBER.fullmatch(cell.strip()) else cell


def _open(data: bytes, name: str):
    """The pages, or a clear message: a damaged file, a password, an encryption PDFium does not know."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    from .pdf_page import Page

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if e.err_code == raw.FPDF_ERR_PASSWORD:
            raise NianbaoError(f"{name} 设置了打开密码（已加密），无法读取；请另存为不加密的 PDF 再导入", 2) from None
        if e.err_code == raw.FPDF_ERR_SECURITY:
            raise NianbaoError(f"{name} 使用了不支持的加密方式，无法读取；请另存为不加密的 PDF 再导入", 2) from None
        raise NianbaoError(f"{name} 无法作为 PDF 读取：文件已损坏或不是 PDF 文件", 2) from None
    try:
        pages, doctop = [], 0.0
        for i in range(len(pdf)):
            page = Page(pdf[i], doctop)
            pages.append(page)
            doctop += page.bbox[3]
        return pages
    except pdfium.PdfiumError:
        raise NianbaoError(f"{name} 无法作为 PDF 读取：第{len(pages) + 1}页已损坏", 2) from None
    finally:
        pdf.close()


def _laid_out(chars, box) -> str:
    """The text of a region laid out on a grid of one column a digit's width: each word starts at the column of
    its left edge, so a table without rules keeps its columns (a blank cell is a wider gap, not a lost position),
    whatever the Chinese text before it on its line (pdftotext -layout and pdfplumber's own layout let a line of
    wide characters push its numbers a few columns along); a line a run of words on one baseline."""
    from pdfplumber.utils import extract_words

    digits = sorted(c["x1"] - c["x0"] for c in chars if c["text"].isdigit())
    step = digits[len(digits) // 2] if digits else 5.5
    lines: list[tuple[float, float, list[dict]]] = []  # a line: its top, its bottom, its words
    for w in sorted(extract_words(chars), key=lambda w: (w["top"], w["x0"])):
        middle = (w["top"] + w["bottom"]) / 2
        if lines and lines[-1][0] <= middle <= lines[-1][1]:  # glyphs of another font sit a little higher or lower
            top, bottom, words = lines[-1]
            lines[-1] = (top, max(bottom, w["bottom"]), words + [w])
        else:
            lines.append((w["top"], w["bottom"], [w]))
    out = []
    for _, _, words in lines:
        text = ""
        for w in sorted(words, key=lambda w: w["x0"]):
            col = round((w["x0"] - box[0]) / step)
            text += " " * max(col - len(text), 1 if text else 0) + w["text"]
        out.append(text)
    return "\n".join(out)


def read(path: Path) -> Doc:
    from pdfplumber.table import TableFinder

    from .pdf_page import LOCK

    b = DocBuilder("pdf")
    b.wrapped = True
    data = read_bounded(path, what="PDF 文件")
    with LOCK:
        pages = _open(data, path.name)
    for pno, page in enumerate(pages, 1):
        tables = []
        for t in TableFinder(page).tables:  # what pdfplumber's page.find_tables() runs
            rows = page.extract(t)
            if _real_table(rows):
                tables.append((t.bbox, rows))
        tables.sort(key=lambda x: x[0][1])
        top = page.bbox[1]
        segments = []
        for bbox, rows in tables:
            segments.append((top, bbox[1], None))
            segments.append((None, None, rows))
            top = bbox[3]
        segments.append((top, page.bbox[3], None))
        line_no = 0
        for y0, y1, rows in segments:
            if rows is not None:
                for i, r in enumerate(rows, 1):  # None: a position covered by a merged cell
                    b.row([_unwrap(c) for c in r if c is not None], f"第{pno}页表格第{i}行")
                b.end_table()
                continue
            if y1 - y0 < 1:
                continue
            box = (page.bbox[0], y0, page.bbox[2], y1)
            # a character is the table's when its middle is inside: a digit's box may reach past the table's rule
            region = [c for c in page.overlapping(y0, y1) if y0 <= (c["top"] + c["bottom"]) / 2 < y1]
            for ln in (_laid_out(region, box) if region else "").split("\n"):
                line_no += 1
                if ln.strip() and not is_page_furniture(ln):
                    b.line(ln, f"第{pno}页第{line_no}行")
    if sum(len(p.chars) for p in pages) < 20:
        raise NianbaoError(f"{path.name} 没有文字层（可能是扫描件），无法读取数字；请使用可复制文字的 PDF、Word 或网页版报告", 2)
    return b.build()
