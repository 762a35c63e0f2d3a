"""A Word table saved as plain text by LibreOffice or WPS: every cell on a line of its own, an empty cell an empty
line ("（一）予以公开\\n0\\n\\n18\\n3\\n7\\n\\n28"). Running the lines together would lose the empty cells, and with them
which column each number is in; so such a block is rewritten as the tab-indented cells of one row, the form the
text reader already reads cell by cell (a Word report flattened to text)."""
from __future__ import annotations

import re

_NUMBER_LINE = re.compile(r"^\s*[+\-－−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*$")
MAX_CELLS = 20


def _label(line: str) -> bool:
    s = line.strip()
    return bool(s) and not _NUMBER_LINE.match(s) and len(s) <= 80 and not s.endswith("。") and not s.startswith("\t")


def one_cell_a_line(lines: list[str]) -> list[str]:
    """The lines, with the cells that follow a label one a line (an empty line for an empty cell, at least one
    empty cell among them) rewritten as one tab-indented row after the label."""
    if any(ln.startswith("\t") for ln in lines):
        return lines  # already cells one a line, tab-indented
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        j, cells = i + 1, []
        while j < len(lines) and len(cells) <= MAX_CELLS and (not lines[j].strip() or _NUMBER_LINE.match(lines[j])):
            cells.append(lines[j].strip())
            j += 1
        while cells and not cells[-1] and (len(cells) < 2 or not cells[-2]):
            cells.pop()  # white space after the row: at most one empty line ends it as an empty cell
        numbers = sum(1 for c in cells if c)
        if _label(line) and numbers and "" in cells and len(cells) <= MAX_CELLS and j < len(lines) + 1:
            # the label stays a line of text (a header such as 表四's 总计 is no cell of the row)
            out += [line, ""] + ["\t" + c for c in cells] + [""]
            i += 1 + len(cells)
            continue
        out.append(line)
        i += 1
    return out
