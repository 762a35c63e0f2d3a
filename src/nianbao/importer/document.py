"""What every source kind is turned into: one text, with table rows marked, and a place for every position.

A table row is written ROW + cells joined by CELL + END, so that a table read from HTML, Word or a PDF keeps its
cells (and its empty cells), while text from a web page or pdftotext stays a plain run of characters.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .labels import FULLWIDTH_DIGITS

ROW, CELL, END = "\x02", "\x1f", "\x03"

# page furniture printed between the lines of a PDF: "- 3 -", "—3—", "第 3 页 共 6 页", a form feed
_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?|"
                          r"\d{1,3}\s*/\s*\d{1,3})\s*$")


def is_page_furniture(line: str) -> bool:
    return bool(_PAGE_NUMBER.match(line))


# OCR reads the digit 0 as 〇: among digits, or alone between spaces — never inside a Chinese numeral (二〇二四年)
_OCR_ZERO = re.compile(r"(?<=\d)〇|〇(?=\d)|(?:(?<=^)|(?<=\s))〇(?=\s|$)")


def ocr_zero(text: str) -> str:
    while "〇" in text:
        fixed = _OCR_ZERO.sub("0", text)
        if fixed == text:
            break
        text = fixed
    return text


@dataclass
class Doc:
    text: str
    places: list[tuple[int, str]]  # (position, "原文第12行" or "第5行"), sorted
    title: str | None = None  # the page title, when the source has one apart from the text
    published: str | None = None  # the publication date, when the source states it (YYYY-MM-DD)
    wrapped: bool = False  # lines broken at the page width (PDF): narrative lines are joined again
    kind: str = "text"
    images: int = 0  # pictures in the source (a table pasted as a screenshot has no numbers to read)
    _starts: list[int] = field(default_factory=list, repr=False)

    def place(self, pos: int) -> str:
        if not self._starts:
            self._starts = [p for p, _ in self.places]
        i = bisect.bisect_right(self._starts, pos) - 1
        return self.places[i][1] if i >= 0 else ""


class DocBuilder:
    def __init__(self, kind: str):
        self.kind = kind
        self.parts: list[str] = []
        self.places: list[tuple[int, str]] = []
        self.pos = 0
        self.table_no = 0
        self.row_no = 0
        self.in_table = False
        self.title: str | None = None
        self.published: str | None = None
        self.wrapped = False
        self.images = 0

    def _add(self, s: str, place: str):
        self.places.append((self.pos, place))
        self.parts.append(s)
        self.pos += len(s)

    def line(self, text: str, place: str):
        if is_page_furniture(text):  # a page number between two parts of a table (a web page made from a PDF)
            return
        self.in_table = False
        text = ocr_zero(text.translate(FULLWIDTH_DIGITS)).replace(ROW, " ").replace(CELL, " ").replace(END, " ")
        self._add(text + "\n", place)

    def row(self, cells: list[str], place: str | None = None):
        if not self.in_table:
            self.table_no += 1
            self.row_no = 0
            self.in_table = True
        self.row_no += 1
        clean = [ocr_zero(re.sub(r"\s*\n\s*", " ", c or "").translate(FULLWIDTH_DIGITS)).replace(CELL, " ")
                 for c in cells]
        self._add(ROW + CELL.join(clean) + END + "\n", place or f"第{self.row_no}行")

    def end_table(self):
        self.in_table = False

    def build(self) -> Doc:
        return Doc("".join(self.parts), self.places, self.title, self.published, self.wrapped, self.kind,
                   self.images)


def plain(text: str) -> str:
    """A stretch of the document as readable text: table rows as their cells separated by spaces."""
    text = re.sub(ROW + "(.*?)" + END, lambda m: " ".join(c.strip() for c in m.group(1).split(CELL) if c.strip()),
                  text)
    return text.replace(CELL, " ")


_END_OF_SENTENCE = tuple("。！？；：:;!?）)”")


def paragraphs(text: str, wrapped: bool) -> str:
    """Narrative text: one paragraph a line. Lines of a PDF were broken at the page width: join them again."""
    lines = [ln.strip() for ln in plain(text).split("\n")]
    lines = [ln for ln in lines if ln and not is_page_furniture(ln)]
    if not wrapped:
        return "\n".join(lines)
    out: list[str] = []
    for ln in lines:
        if out and not out[-1].endswith(_END_OF_SENTENCE) and not re.match(r"^（[一二三四五六七八九十]+）", ln):
            out[-1] += ln
        else:
            out.append(ln)
    return "\n".join(out)
