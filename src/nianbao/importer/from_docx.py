"""A Word report (.docx): paragraphs and tables in body order; a vertically merged cell is read once."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ..errors import NianbaoError
from ..limits import read_bounded, repack, unzip
from .document import Doc, DocBuilder

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _paragraph_text(p) -> str:
    out = []
    for node in p.iter(W + "t", W + "tab", W + "br", W + "cr"):
        out.append(node.text or "" if node.tag == W + "t" else ("\t" if node.tag == W + "tab" else "\n"))
    return "".join(out)


def read(path: Path) -> Doc:
    import docx

    data = read_bounded(path, what="Word 文档")
    if not data.startswith(b"PK") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise NianbaoError(f"{path.name} 不是 .docx 文件（旧版 .doc 请先另存为 .docx）", 2)
    # python-docx reads the members as bounded and checked (no DTD), never through the file's own zip headers
    members = repack(unzip(data, what="Word 文档"))
    try:
        document = docx.Document(io.BytesIO(members))
    except Exception as e:  # a damaged or foreign zip
        raise NianbaoError(f"{path.name} 无法作为 Word 文档读取：{e}", 2) from None
    b = DocBuilder("docx")
    counter = [0]

    def walk(parent):
        for child in parent.iterchildren():
            if child.tag == W + "p":
                text = _paragraph_text(child)
                for ln in text.split("\n"):
                    if ln.strip():
                        counter[0] += 1
                        b.line(ln.strip(), f"原文第{counter[0]}段")
            elif child.tag == W + "tbl":
                for tr in child.iterchildren(W + "tr"):
                    cells = []
                    for tc in tr.iterchildren(W + "tc"):
                        vmerge = tc.find(f"{W}tcPr/{W}vMerge")
                        if vmerge is not None and vmerge.get(W + "val") in (None, "continue"):
                            continue  # the continuation of a cell merged from above
                        cells.append("\n".join(_paragraph_text(p) for p in tc.iter(W + "p")))
                    b.row(cells)
                b.end_table()
            elif child.tag in (W + "sdt", W + "sdtContent", W + "customXml"):
                walk(child)

    walk(document.element.body)
    return b.build()
