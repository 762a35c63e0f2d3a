"""A Word table saved as plain text by LibreOffice or WPS: every cell on a line of its own, an empty cell an empty
line ("（一）予以公开\\n0\\n\\n18\\n3\\n7\\n\\n28"); or a web page's table flattened with one space between cells, an
empty cell an extra space ("规章 71  19 "). Running the cells together would lose the empty cells, and with them
which column each number is in; so such a row is rewritten as its label and the tab-indented cells of one row, the
form the text reader already reads cell by cell (a Word report flattened to text)."""
from __future__ import annotations

import re

from .labels import BLANK_SYMBOL

# a cell's line: a number, or a mark of a blank cell ("—", "/")
_NUMBER_LINE = re.compile(rf"^\s*(?:[+\-－−]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|{BLANK_SYMBOL})\s*$")
MAX_CELLS = 20


def _label(line: str) -> bool:
    s = line.strip()
    return bool(s) and not _NUMBER_LINE.match(s) and len(s) <= 80 and not s.endswith("。") and not s.startswith("\t")


_CELL = re.compile(rf"^(?:[+\-－−]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|{BLANK_SYMBOL})$")


def _spaced(line: str) -> tuple[str, list[str]] | None:
    """(label, cells) of a row whose cells are joined by single spaces: its numbers and empty cells at the end, the
    label before them single-spaced too; None for anything else."""
    parts = line.split(" ")
    i = len(parts)
    while i > 0 and (not parts[i - 1] or _CELL.match(parts[i - 1])):
        i -= 1
    label, cells = " ".join(parts[:i]), parts[i:]
    if not any(cells) or "" in parts[:i] or (label and not _label(label)):
        return None
    return label, cells


def single_spaced(lines: list[str]) -> bool:
    """Whether the text's rows of numbers are cells joined by single spaces (a page flattened by a crawler), not
    columns laid out with runs of spaces (`pdftotext -layout`): some row has an empty cell (two spaces, or one at
    the end), and either most rows of three or more numbers have one space between each two, or no row has more
    cells than a table row can (a run of spaces between columns reads as many empty cells) and three rows or more
    print two numbers one space apart (a report that blanks its zeros, or whole columns, has few complete rows)."""
    found = [r[1] for r in map(_spaced, lines) if r]
    if not any("" in r for r in found):
        return False
    rows = [r for r in found if sum(1 for c in r if c) >= 3]
    tight = sum("" not in r for r in rows)
    # between two numbers a single space, or one more for each empty cell between them
    cells = sum(len(r) - 1 for r in rows)
    empty = sum(r.count("") for r in rows)
    if tight >= 3 and empty < cells / 2:
        return True
    adjacent = sum(any(a and b for a, b in zip(r, r[1:])) for r in found)
    return max(len(r) for r in found) <= MAX_CELLS and adjacent >= 3


def tab_row(line: str) -> bool:
    """A table row copied as text (from a web page, Word or WPS into a text editor): its cells joined by tabs, an
    empty cell kept between two tabs — three cells or more, two of them not empty. A line of LibreOffice's text
    export holds one tab-indented cell; a heading may end in tabs."""
    cells = line.split("\t")
    return len(cells) >= 3 and sum(1 for c in cells if c.strip()) >= 2


def keeps_empty_cells(lines: list[str]) -> bool:
    """Whether a text of cells one a line keeps an empty cell as an empty line: somewhere an empty line stands
    between two numbers, or between a row's label and its first number (the row's first cell blank). A text that
    leaves empty cells out (a page's text taken a cell a line) has empty lines only where a paragraph ends, after a
    table's last number too, where one would be taken for a blank cell."""
    before, before_line = None, ""  # what the last line with text held: "number" or "label", and that line
    empty = False
    for line in lines:
        if not line.strip():
            empty = before is not None
        elif _NUMBER_LINE.match(line):
            if empty and (before == "number" or _label(before_line)):
                return True
            before, empty = "number", False
        else:
            before, before_line, empty = "label", line, False
    return False


def one_cell_a_line(lines: list[str]) -> list[str]:
    """The lines, with the cells that follow a label one a line (an empty line for an empty cell, at least one
    empty cell among them) rewritten as one tab-indented row after the label; in a text whose rows are cells
    joined by single spaces, every such row with an empty cell too."""
    if any(ln.startswith("\t") and not tab_row(ln) for ln in lines):
        return lines  # already cells one a line, tab-indented
    if single_spaced(lines):
        out = []
        for line in lines:
            row = _spaced(line)
            if row and "" in row[1]:
                out += [row[0], ""] + ["\t" + c for c in row[1]] + [""]
            else:
                out.append(line)
        return out
    if not keeps_empty_cells(lines):
        return lines  # empty lines after a row of numbers are a paragraph's gap: its blank cells were left out
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        j, cells = i + 1, []
        while j < len(lines) and len(cells) <= MAX_CELLS and (not lines[j].strip() or _NUMBER_LINE.match(lines[j])):
            cells.append(lines[j].strip())
            j += 1
        # empty lines after the row's last number may be its blank cells, or a paragraph between two tables: they
        # are kept, and the table reader drops what the row has no column for (from the row's end)
        while len(cells) > MAX_CELLS and not cells[-1]:
            cells.pop()
        numbers = sum(1 for c in cells if c)
        if _label(line) and numbers and "" in cells and len(cells) <= MAX_CELLS:
            # the label stays a line of text (a header such as 表四's 总计 is no cell of the row)
            out += [line, ""] + ["\t" + c for c in cells] + [""]
            i += 1 + len(cells)
            continue
        out.append(line)
        i += 1
    return out
