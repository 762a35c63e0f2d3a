"""A Word report (.docx): paragraphs and tables in body order; a vertically merged cell is read once; content controls
around rows and cells, and a table that only frames the report, are read through; text moved away with changes
tracked, and the copy of a text box for old readers, are not read twice.

Only the package's relationships and its document part are inflated and parsed: python-docx parsed every part
(styles, numbering, settings, …) to hand over the same lxml tree of the body, half the time of a read. They are
parsed by lxml as python-docx parsed them (entities and the network off; a member with a DTD was refused when
inflated): defusedxml's pure-Python parser takes three times as long for the document part.
"""
from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path

from ..errors import NianbaoError
from ..limits import BoundedZip, read_bounded
from .document import Doc, DocBuilder

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


# what holds rows, cells or paragraphs without being one: content controls (a form's fill-in fields) and custom
# XML; their children are read as if they stood in their place
_WRAPPERS = (W + "sdt", W + "sdtContent", W + "customXml")


def _children(node, tag: str):
    for child in node.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _paragraph_text(p) -> str:
    out = []
    for node in p.iter(W + "t", W + "tab", W + "br", W + "cr"):
        out.append(node.text or "" if node.tag == W + "t" else ("\t" if node.tag == W + "tab" else "\n"))
    return "".join(out)


def _holds_tables(tbl) -> bool:
    """A layout table: a cell holds a table of its own (a report laid out inside a frame), so its cells are
    read as the body is, in order, not as the cells of one table."""
    return any(True for tr in _children(tbl, W + "tr") for tc in _children(tr, W + "tc")
               for _ in _children(tc, W + "tbl"))


def _xml(data: bytes):
    from lxml import etree

    # the members were checked for DTDs when inflated; blank text dropped as python-docx's parser drops it
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True)
    return etree.fromstring(data, parser)


def _body(data: bytes, name: str):
    """The <w:body> of the package's main document (the officeDocument relationship, as python-docx finds it)."""
    from lxml import etree

    z = BoundedZip(data, what="Word 文档")
    try:
        rels = z.inflate(lambda n: n == "_rels/.rels").get("_rels/.rels")
        targets = [r.get("Target", "") for r in _xml(rels).iter(_RELS)
                   if r.get("Type") == _OFFICE_DOCUMENT] if rels else []
        part = posixpath.normpath(targets[0]).lstrip("/") if targets else "word/document.xml"
        document = z.inflate(lambda n: n == part).get(part)
        root = _xml(document) if document else None
    except etree.XMLSyntaxError as e:
        raise NianbaoError(f"{name} 无法作为 Word 文档读取：正文已损坏（{e}）", 2) from None
    body = root.find(W + "body") if root is not None and root.tag == W + "document" else None
    if body is None:
        raise NianbaoError(f"{name} 无法作为 Word 文档读取：找不到正文（word/document.xml）", 2)
    return body


def read(path: Path) -> Doc:
    data = read_bounded(path, what="Word 文档")
    if not data.startswith(b"PK") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise NianbaoError(f"{path.name} 不是 .docx 文件（旧版 .doc 请先另存为 .docx）", 2)
    body = _body(data, path.name)
    # read once: text moved with changes tracked (printed where it went), and a text box's copy for old readers
    for twice in list(body.iter(W + "moveFrom", _FALLBACK)):
        twice.getparent().remove(twice)
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
            elif child.tag == W + "tbl" and _holds_tables(child):
                for tr in _children(child, W + "tr"):
                    for tc in _children(tr, W + "tc"):
                        walk(tc)
            elif child.tag == W + "tbl":
                for tr in _children(child, W + "tr"):
                    cells = []
                    for tc in _children(tr, W + "tc"):
                        vmerge = tc.find(f"{W}tcPr/{W}vMerge")
                        if vmerge is not None and vmerge.get(W + "val") in (None, "continue"):
                            continue  # the continuation of a cell merged from above
                        cells.append("\n".join(_paragraph_text(p) for p in tc.iter(W + "p")))
                    b.row(cells)
                b.end_table()
            elif child.tag in (W + "sdt", W + "sdtContent", W + "customXml"):
                walk(child)

    walk(body)
    b.images = sum(1 for _ in body.iter(W + "drawing", W + "pict"))
    return b.build()
