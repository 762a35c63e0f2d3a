"""Plain text (.txt) and Markdown (.md): a Word report saved as text (cells one a line, tab-indented), a web page
crawled as text (cells run together), `pdftotext -layout` output, or a Markdown report with pipe tables."""
from __future__ import annotations

import functools
import re
from pathlib import Path

from ..errors import NianbaoError
from ..limits import read_bounded
from .cell_lines import one_cell_a_line, tab_row
from .document import Doc, DocBuilder, is_page_furniture

_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_HTML_TABLE = re.compile(r"<table\b.*?</table\s*>", re.IGNORECASE | re.DOTALL)
_TABLE_MARK = re.compile("^\ue000TABLE(\\d+)$")
_META = re.compile(r"^(标题|发布时间|发文日期|成文日期)\s*[:：]\s*(.*)$")
_END_OF_SENTENCE = tuple("。！？；：:;!?”）)")


def _edges_off(line: str) -> str:
    """A pipe table row without its edge pipes — one each side: "|规章|0|9||" ends in an empty cell."""
    line = line[1:] if line.startswith("|") else line
    return line[:-1] if line.endswith("|") and not line.endswith("\\|") else line


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _known_labels() -> tuple[str, ...]:
    from ..formats import available_layouts, load_format
    from .labels import layout_labels

    return tuple(sorted({x for name in available_layouts() for x in layout_labels(load_format(name)) if len(x) >= 4}))


def line_by_line(cells: list[str]) -> list[str]:
    """A label that a PDF-to-Markdown tool cut into cells at guessed column edges, each cell a stack of its lines
    ("（二）部<br>只计这一" | "分公开（区分处理的，<br>情形，不计其他情形）"), is read line after line across the
    cells — but only where that reading prints a label of a table that the cells one after the other do not: two
    labels side by side ("（三）不<br>予公开" | "2.其他…禁<br>止公开") stack their lines alike."""
    if not any(_BR.search(c) for c in cells):
        return cells
    lines = [_BR.split(c) for c in cells]
    out = list(cells)
    i = 0
    while i < len(lines) - 1:
        n, k = len(lines[i]), 1
        while n >= 2 and i + k < len(lines) and len(lines[i + k]) == n:
            k += 1
        for width in range(2, k + 1):  # the fewest cells that make a label
            run = lines[i:i + width]
            across = "".join("".join(cell[r] for cell in run) for r in range(n))
            if _labels_in(across) - _labels_in("".join(map("".join, run))):
                out[i:i + width] = [across]  # one label: no empty cell left where it was cut
                lines[i:i + width] = [[across]]
                break
        i += 1
    return [_BR.sub("", c) for c in out]  # a cell's lines, one after the other


_NUMBER_LINE = re.compile(r"\s*[+\-]?\d[\d,.]*\s*")


def unstack(cells: list[str], stacks: dict[int, int]) -> tuple[list[str], dict[int, int]]:
    """Two columns a PDF-to-Markdown tool merged into one cell, each a stack of lines: the header's "本年废止件数<br>
    现行有效件数" (each line a heading), and under it the rows' "0<br>0" (each line a number) — split again into
    their cells (joined, "0<br>0" read "00", a number nobody printed). A number alone broken over lines, under
    one heading ("15470<br>6"), stays one. (cells, the header's stacks by cell: a header row sets them.)"""
    parts = [_BR.split(c) for c in cells]
    if not any(ch.isdigit() for c in cells for ch in c):
        stacks = {i: len(p) for i, p in enumerate(parts) if len(p) >= 2 and all(_labels_in(x) for x in p)}
        split = stacks
    else:
        split = {i: n for i, n in stacks.items()
                 if i < len(parts) and len(parts[i]) == n and all(_NUMBER_LINE.fullmatch(x) for x in parts[i])}
        # an empty cell under the stack: each of its columns empty (one number there is any one's: tables.py)
        split |= {i: n for i, n in stacks.items() if i < len(cells) and not cells[i].strip()}
        parts = [[""] * split[i] if i in split and not c.strip() else p for i, (c, p) in enumerate(zip(cells, parts))]
    if not split:
        return cells, stacks
    return [x for i, c in enumerate(cells) for x in (parts[i] if i in split else [c])], stacks


def _labels_in(text: str) -> set[str]:
    from .labels import norm

    t = norm(text)
    return {k for k in _known_labels() if k in t}


def decode(data: bytes, path: Path) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Notepad's "Unicode" (UTF-16 with its byte-order mark)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise NianbaoError(f"{path.name} 的文字编码无法识别（以 UTF-16 标记开头，但内容不是 UTF-16）", 2) from None
    if b"\x00" in data[:4096]:
        raise NianbaoError(f"{path.name} 不是文本文件，无法作为年度报告读取", 2)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise NianbaoError(f"{path.name} 的文字编码无法识别（应为 UTF-8 或 GBK）", 2)


def _lift_tables(text: str) -> tuple[str, list[str]]:
    """The text with each HTML table replaced by a line that marks it, and the tables."""
    tables: list[str] = []

    def mark(m):
        tables.append(m.group())
        return f"\n\ue000TABLE{len(tables) - 1}\n"

    return _HTML_TABLE.sub(mark, text), tables


def _html_table(b: DocBuilder, html: str):
    import lxml.html

    from .from_html import add_table

    try:
        add_table(b, lxml.html.fragment_fromstring(html))
    except Exception:  # lxml raises several kinds for what it cannot parse: the block is read as text
        b.line(re.sub(r"<[^>]+>", " ", html), "")


def read(path: Path) -> Doc:
    text = decode(read_bounded(path, what="文本文件"), path).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    markdown = path.suffix.lower() in (".md", ".markdown")
    b = DocBuilder("markdown" if markdown else "text")
    tables: list[str] = []
    if markdown and "<table" in text.lower():  # PDF-to-Markdown tools (MinerU) print tables as HTML blocks
        text, tables = _lift_tables(text)
    lines = text.split("\n") if markdown else one_cell_a_line(text.split("\n"))
    cells: list[str] | None = None  # the tab-indented cells of the row being read (a Word table saved as text)
    long_lines = unbroken = 0
    pipes = None  # after a pipe table's separator line, until a blank line: "bare" (html2text) or "edged"
    stacks: dict[int, int] = {}  # the cells of the pipe table's header that hold two headings or more (unstack)
    for n, raw in enumerate(lines, 1):
        place = f"原文第{n}行"
        if not markdown and tab_row(raw):  # a table copied as text: its cells between tabs, an empty one kept
            if cells is not None:
                b.row(cells)
                cells = None
            b.row([c.strip() for c in raw.split("\t")])
            continue
        if raw.startswith("\t"):  # one cell of a table row; an empty one is an empty cell
            cells = (cells or []) + [raw.strip()]
            continue
        if cells is not None:
            if raw.strip() and not raw.startswith(" ") and len(raw.strip()) <= 12 and cells:
                cells[-1] += raw.strip()  # a header cell broken over lines ("商业\n企业")
                continue
            b.row(cells)
            cells = None
            if not raw.strip():
                continue
        line = raw.strip()
        if not line:
            pipes, stacks = None, {}
            continue
        mark = _TABLE_MARK.match(line)
        if mark:
            _html_table(b, tables[int(mark.group(1))])
            continue
        if is_page_furniture(line):
            continue
        if _MD_SEPARATOR.match(line):  # "|---|---|", or html2text's "---|---" and "---"
            pipes = "bare" if not line.startswith("|") else "edged"
            continue
        # a pipe table: Markdown's "| a | b |" (also in crawled text), html2text's "a| b| c" after its separator
        # "---|---" (where a "|" at either end is an empty cell)
        if (line.startswith("|") and (markdown or line.endswith("|"))) or (pipes and "|" in line):
            md_cells = re.split(r"(?<!\\)\|", line if pipes == "bare" else _edges_off(line))
            row, stacks = unstack([_MD_ESCAPE.sub(r"\1", c.strip().replace("**", "")) for c in md_cells], stacks)
            b.row(line_by_line(row))
            continue
        stacks = {}
        if markdown:
            line = _MD_ESCAPE.sub(r"\1", re.sub(r"^#{1,6}\s*", "", line).replace("**", "").replace("__", ""))
        m = _META.match(line)
        if m and n <= 20:
            if m.group(1) == "标题" and m.group(2).strip():
                b.title = m.group(2).strip()
            elif m.group(2):
                d = re.search(r"(\d{4})[-年./](\d{1,2})[-月./](\d{1,2})", m.group(2))
                if d:
                    b.published = f"{d.group(1)}-{int(d.group(2)):02d}-{int(d.group(3)):02d}"
            continue
        if len(line) >= 25:
            long_lines += 1
            unbroken += line.endswith(_END_OF_SENTENCE)
        b.line(line if markdown else raw.rstrip(), place)
    if cells is not None:
        b.row(cells)
    # pdftotext and the like break lines at the page width: most long lines end mid-sentence
    b.wrapped = long_lines >= 5 and unbroken / long_lines < 0.5
    return b.build()
