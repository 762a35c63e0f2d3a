"""A PDF report (text layer, pdfplumber): ruled tables are read cell by cell (empty cells kept), the text around
them line by line; page numbers are dropped. A PDF without text (a scan) cannot be read."""
from __future__ import annotations

import io
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


def read(path: Path) -> Doc:
    import pdfplumber

    b = DocBuilder("pdf")
    b.wrapped = True
    chars = 0
    data = read_bounded(path, what="PDF 文件")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as e:  # pdfminer raises many kinds for damaged or encrypted files
        raise NianbaoError(f"{path.name} 无法作为 PDF 读取：{e}", 2) from None
    with pdf:
        for pno, page in enumerate(pdf.pages, 1):
            chars += len(page.chars)
            tables = []
            for t in page.find_tables():
                rows = t.extract()
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
                region = page.crop((page.bbox[0], y0, page.bbox[2], y1), strict=False)
                for ln in (region.extract_text() or "").split("\n"):
                    line_no += 1
                    if ln.strip() and not is_page_furniture(ln):
                        b.line(ln, f"第{pno}页第{line_no}行")
    if chars < 20:
        raise NianbaoError(f"{path.name} 没有文字层（可能是扫描件），无法读取数字；请使用可复制文字的 PDF、Word 或网页版报告", 2)
    return b.build()
