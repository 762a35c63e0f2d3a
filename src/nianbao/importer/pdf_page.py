"""A PDF page read by PDFium (pypdfium2): its characters and its ruling lines, in the terms pdfplumber's table
finder and text layout use (dicts with x0, x1, top, bottom; top measured down from the page's top edge).

PDFium parses a page about twenty times faster than pdfminer (pdfplumber's own parser), which took nearly all of a
PDF import's second; what pdfplumber adds on top (tables from ruling lines, words and lines from characters) is
kept, so a PDF reads as it did.
"""
from __future__ import annotations

import bisect
import ctypes
import math
import threading

import pypdfium2 as pdfium
import pypdfium2.raw as raw

# PDFium must not be entered from two threads at once (the desk serves from a thread pool)
LOCK = threading.Lock()

# the page's rotation as pdfminer applies it (its device matrix): characters turned with the page stay upright
_ROTATE = {0: (1, 0, 0, 1), 90: (0, -1, 1, 0), 180: (-1, 0, 0, -1), 270: (0, 1, -1, 0)}
_SKIP = {"\r", "\n"}  # line breaks in the text itself: the lines are found by position


class Page:
    """What pdfplumber.table.TableFinder and Table.extract read from a page: bbox, chars, edges."""

    def __init__(self, page: pdfium.PdfPage, doctop: float):
        rotation = page.get_rotation() % 360
        x0, y0, x1, y1 = page.get_mediabox()
        # PDF space (y up) → the page as shown (y down from its top edge), turned by /Rotate as pdfminer turns it
        self._to_page = {0: pdfium.PdfMatrix(1, 0, 0, -1, -x0, y1), 90: pdfium.PdfMatrix(0, 1, 1, 0, -y0, -x0),
                         180: pdfium.PdfMatrix(-1, 0, 0, 1, x1, -y0),
                         270: pdfium.PdfMatrix(0, -1, -1, 0, y1, x1)}[rotation]
        self._rotate = _ROTATE[rotation]
        w, h = (x1 - x0, y1 - y0) if rotation in (0, 180) else (y1 - y0, x1 - x0)
        self.bbox = (0, 0, w, h)
        self.doctop = doctop
        self.chars = self._chars(page)
        self._by_middle = None
        self.edges = self._edges(page)

    def extract(self, table) -> list[list[str | None]]:
        """pdfplumber's Table.extract(): each row's characters (by their middle), then each cell's, as text; None
        where a merged cell covers the position. The same, but a row's characters are found by bisection: extract()
        tests every character of the page for every row, the largest cost of a page after PDFium's."""
        from pdfplumber.utils import extract_text

        if self._by_middle is None:
            order = sorted(range(len(self.chars)), key=lambda k: _middle(self.chars[k]))
            self._by_middle = (order, [_middle(self.chars[k]) for k in order])
        order, middles = self._by_middle
        out = []
        for row in table.rows:
            x0, top, x1, bottom = row.bbox
            found = sorted(order[bisect.bisect_left(middles, top):bisect.bisect_left(middles, bottom)])
            chars = [c for c in (self.chars[k] for k in found) if x0 <= (c["x0"] + c["x1"]) / 2 < x1]
            cells = []
            for cell in row.cells:
                if cell is None:
                    cells.append(None)
                    continue
                x0, top, x1, bottom = cell
                inside = [c for c in chars if x0 <= (c["x0"] + c["x1"]) / 2 < x1 and top <= _middle(c) < bottom]
                cells.append(extract_text(inside) if inside else "")
            out.append(cells)
        return out

    def overlapping(self, top: float, bottom: float) -> list[dict]:
        """The characters that reach into the band from top to bottom (a superset of what crop_to_bbox keeps)."""
        return [c for c in self.chars if c["top"] <= bottom and c["bottom"] >= top]

    def _box(self, left, bottom, right, top):
        (ax, ay), (bx, by) = self._to_page.on_point(left, bottom), self._to_page.on_point(right, top)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)

    def _upright(self, m: raw.FS_MATRIX) -> bool:
        ra, rb, rc, rd = self._rotate  # pdfminer's test, on the character's matrix turned with the page
        a, b, c, d = m.a * ra + m.b * rc, m.a * rb + m.b * rd, m.c * ra + m.d * rc, m.c * rb + m.d * rd
        return 0 < a * d and b * c <= 0

    def _chars(self, page) -> list[dict]:
        textpage = page.get_textpage()
        rect, matrix = raw.FS_RECTF(), raw.FS_MATRIX()
        out = []
        pending_high = None
        for i in range(textpage.count_chars()):
            if raw.FPDFText_IsGenerated(textpage, i) == 1:  # spaces and line breaks PDFium infers: not printed
                continue
            u = raw.FPDFText_GetUnicode(textpage, i)
            if u == 2:  # PDFium's mark of a hyphen at the end of a line: the hyphen printed there
                u = ord("-")
            if 0xD800 <= u < 0xDC00:  # the first half of a character beyond the BMP
                pending_high = u
                continue
            text = chr(u) if pending_high is None else (chr(pending_high) + chr(u)).encode(
                "utf-16", "surrogatepass").decode("utf-16")
            pending_high = None
            if text in _SKIP or not raw.FPDFText_GetLooseCharBox(textpage, i, rect):
                continue
            raw.FPDFText_GetMatrix(textpage, i, matrix)
            size = raw.FPDFText_GetFontSize(textpage, i) * math.hypot(matrix.c, matrix.d)
            box = _em_box(rect, matrix, size)
            if matrix.b == 0 == matrix.c and matrix.d > 0 and (_no_font_metrics(textpage, i, rect)
                                                               or _above_baseline(textpage, i, rect)):
                box = _baseline_box(textpage, i, rect, size)
            x0, top, x1, bottom = self._box(*box)
            out.append({"text": text, "x0": x0, "x1": x1, "top": top, "bottom": bottom,
                        "doctop": self.doctop + top, "width": x1 - x0, "height": bottom - top,
                        "size": size, "upright": self._upright(matrix), "object_type": "char"})
        textpage.close()
        return out

    def _edges(self, page) -> list[dict]:
        """Every straight horizontal or vertical stretch of every path (a rectangle's four sides, a line, the sides
        of a polygon), as pdfplumber makes edges of rects, lines and curves."""
        out: list[dict] = []
        for path, m in _paths(page.raw, raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject, self._to_page):
            start = last = None
            for k in range(raw.FPDFPath_CountSegments(path)):
                seg = raw.FPDFPath_GetPathSegment(path, k)
                x, y = ctypes.c_float(), ctypes.c_float()
                raw.FPDFPathSegment_GetPoint(seg, x, y)
                pt = m.on_point(x.value, y.value)
                kind = raw.FPDFPathSegment_GetType(seg)
                if kind == raw.FPDF_SEGMENT_MOVETO:
                    start = pt
                elif kind == raw.FPDF_SEGMENT_LINETO and last is not None:
                    _edge(out, last, pt)
                last = pt
                if raw.FPDFPathSegment_GetClose(seg) and start is not None:
                    _edge(out, pt, start)
                    last = start
        return out


def _middle(char: dict) -> float:
    return (char["top"] + char["bottom"]) / 2


def _em_box(rect: raw.FS_RECTF, m: raw.FS_MATRIX, size: float):
    """pdfminer's box of a character: from the font's descent up by one em (the font size), not PDFium's loose box
    up to the font's ascent, which differs from font to font and would break a line where the font changes."""
    left, bottom, right, top = rect.left, rect.bottom, rect.right, rect.top
    if size <= 0:
        return left, bottom, right, top
    if abs(m.d) >= abs(m.c):  # the character's up is up (or down) the page
        return (left, bottom, right, bottom + size) if m.d > 0 else (left, top - size, right, top)
    return (left, bottom, left + size, top) if m.c > 0 else (right - size, bottom, right, top)


def _no_font_metrics(textpage, i: int, loose: raw.FS_RECTF) -> bool:
    """PDFium's loose box is the glyph's own box when the font states no ascent, descent or bounding box (so in
    Chromium's PDFs): a stroke like 一 is then a thin box above the baseline, in no line with its neighbours."""
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    if not raw.FPDFText_GetCharBox(textpage, i, left, right, bottom, top):
        return False
    return all(abs(a - b) < 0.01 for a, b in ((left.value, loose.left), (right.value, loose.right),
                                              (bottom.value, loose.bottom), (top.value, loose.top)))


def _above_baseline(textpage, i: int, loose: raw.FS_RECTF) -> bool:
    """A loose box that starts above the character's baseline is the glyph's own box, not the font's (no font
    descends upward): LibreOffice's Type 1 CJK fonts give “ and 一 such boxes, which left them a line of their own
    inside a table cell ("3.危及“三安全一稳定”" read as "“ 一 3.危及 三安全 稳 ” 定")."""
    x, y = ctypes.c_double(), ctypes.c_double()
    return bool(raw.FPDFText_GetCharOrigin(textpage, i, x, y)) and loose.bottom > y.value + 0.01


def _baseline_box(textpage, i: int, loose: raw.FS_RECTF, size: float):
    """pdfminer's box for such a font: from the origin on the baseline (no descent stated), one em up."""
    x, y = ctypes.c_double(), ctypes.c_double()
    if size <= 0 or not raw.FPDFText_GetCharOrigin(textpage, i, x, y):
        return loose.left, loose.bottom, loose.right, loose.top
    return min(x.value, loose.left), y.value, max(loose.right, x.value), y.value + size


def _paths(parent, count, get, m: pdfium.PdfMatrix, depth: int = 0):
    """(path object, its matrix to the page) for every path, also inside form XObjects."""
    fs = raw.FS_MATRIX()
    for i in range(count(parent)):
        obj = get(parent, i)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind not in (raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_FORM) or not raw.FPDFPageObj_GetMatrix(obj, fs):
            continue
        own = pdfium.PdfMatrix.from_raw(fs).multiply(m)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            yield obj, own
        elif depth < 15:
            yield from _paths(obj, raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject, own, depth + 1)


def _edge(out: list, a, b):
    (ax, at), (bx, bt) = a, b
    if a == b:
        return
    if abs(at - bt) < 1e-6:
        x0, x1 = min(ax, bx), max(ax, bx)
        out.append({"x0": x0, "x1": x1, "top": at, "bottom": at, "width": x1 - x0, "height": 0,
                    "orientation": "h", "object_type": "line"})
    elif abs(ax - bx) < 1e-6:
        top, bottom = min(at, bt), max(at, bt)
        out.append({"x0": ax, "x1": ax, "top": top, "bottom": bottom, "width": 0, "height": bottom - top,
                    "orientation": "v", "object_type": "line"})
