"""A published web page (.html): its tables keep their cells (empty ones included); the rest is read as lines."""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import NianbaoError
from ..limits import read_bounded
from .document import Doc, DocBuilder
from .identity import names_a_report

_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "header",
          "footer", "blockquote", "pre", "center", "dd", "dt", "dl", "form", "main", "nav", "aside", "caption"}
_SKIP = {"script", "style", "noscript", "head", "template", "iframe", "select", "button", "object"}
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# declarations that decode() reads better than the declaration: pages declare gb2312 and hold GBK characters
# (镕, 堃, 喆: one of them and libxml2 loses the page), crawlers save UTF-8 under the page's old declaration
_OURS = {b"utf-8", b"utf8", b"gb2312", b"gbk", b"gb18030", b"x-gbk", b"euc-cn", b"cp936", b"windows-936"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
MHTML = re.compile(rb"^\s*(?:MIME-Version|Content-Type)\s*:", re.IGNORECASE)


def _text(el) -> str:
    parts = []
    for node in el.iter():
        if node.tag in _SKIP:
            continue
        if node.tag == "br":
            parts.append("\n")
        if node.text and node.tag not in _SKIP:
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    return re.sub(r"[ \t\u00a0\u3000]+", " ", "".join(parts)).strip()


def _cell_text(td) -> str:
    # text of a cell, the tails of its own children included, but not text after the cell itself
    chunks = [td.text or ""]
    for child in td:
        if child.tag in _SKIP:
            chunks.append(child.tail or "")
            continue
        chunks.append("\n" if child.tag == "br" else "")
        chunks.append(_text(child) if child.tag != "br" else "")
        chunks.append(child.tail or "")
    return re.sub(r"[ \t\u00a0\u3000]+", " ", "".join(chunks)).strip()


def add_table(b: DocBuilder, table):
    """A <table> element's rows, each its cells' texts (an empty cell kept)."""
    for tr in table.iter("tr"):
        b.row([_cell_text(td) for td in tr if isinstance(td.tag, str) and td.tag in ("td", "th")])
    b.end_table()


def _mhtml_page(data: bytes, path: Path) -> str | bytes:
    """The page of a "single file web page" (.mht, and Word's "save as web page" under .doc): its text/html part."""
    import email
    import email.policy

    msg = email.message_from_bytes(data, policy=email.policy.default)
    part = next((p for p in msg.walk() if p.get_content_type() == "text/html"), None)
    if part is None:
        return ""
    charset = (part.get_content_charset() or "").encode("ascii", "replace").lower()
    try:
        if charset in _OURS or not charset:  # read as a page is read: its bytes decide (gb2312 holding GBK)
            return _decoded(part.get_payload(decode=True) or b"", path)
        return part.get_content()
    except (LookupError, ValueError):  # a charset Python does not know, a broken transfer encoding
        raise NianbaoError(f"{path.name} 是单文件网页（MHTML），但其中的网页无法解码", 2) from None


def _decoded(data: bytes, path: Path) -> str | bytes:
    """The page as text: UTF-8 when its bytes are UTF-8, else GB18030 (which GB2312 and GBK are part of), whatever
    it declares; a page declared in another encoding (or whose bytes are neither) goes to lxml as declared. Without
    a declaration lxml would take UTF-8 bytes for Latin-1."""
    from .from_text import decode

    declared = _DECLARED.search(data[:4096])
    if declared and declared.group(1).lower() not in _OURS:
        return data
    try:
        return _XML_DECLARATION.sub("", decode(data, path), count=1)  # lxml takes no declaration with a str
    except NianbaoError:
        if declared:
            return data
        raise


def read(path: Path) -> Doc:
    import lxml.html

    data = read_bounded(path, what="网页")
    if not data.strip():
        raise NianbaoError(f"{path.name} 是空文件", 2)
    if MHTML.match(data):
        data = _mhtml_page(data, path)
    else:
        data = _decoded(data, path)
    try:
        root = lxml.html.document_fromstring(data)
    except Exception as e:  # lxml raises several kinds for unreadable input
        raise NianbaoError(f"{path.name} 不是可读取的网页：{e}", 2) from None
    b = DocBuilder("html")
    titles = [_text(t) for t in root.iter("title", "h1", "h2")]
    b.title = next((t for t in titles if names_a_report(t)), titles[0] if titles else None)
    for m in root.iter("meta"):
        if (m.get("name") or "").lower() in ("pubdate", "publishdate", "firstpublishedtime"):
            d = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", m.get("content") or "")
            if d:
                b.published = f"{d.group(1)}-{int(d.group(2)):02d}-{int(d.group(3)):02d}"
    counter = [0]
    buf: list[str] = []

    def flush():
        text = "".join(buf)
        buf.clear()
        for ln in text.split("\n"):
            ln = re.sub(r"[ \t\u00a0\u3000]+", " ", ln).strip()
            if ln:
                counter[0] += 1
                b.line(ln, f"原文第{counter[0]}段")

    def walk(el):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP or tag == "title":
            return
        if tag == "table" and not any(True for _ in el.iter("table") if _ is not el):
            flush()
            add_table(b, el)
            return
        block = tag in _BLOCK or tag in ("table", "tr", "td", "th", "body")
        if block:
            buf.append("\n")
        if tag == "br":
            buf.append("\n")
        if el.text:
            buf.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                buf.append(child.tail)
        if block:
            buf.append("\n")

    body = root.find("body")
    walk(body if body is not None else root)
    b.images = sum(1 for _ in (body if body is not None else root).iter("img"))
    flush()
    return b.build()
