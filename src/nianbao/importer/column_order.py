"""A table printed column by column. `pdftotext` without -layout or -raw reads a PDF page block by block: a table's
row labels come out together, then its numbers one a line, several rows' numbers in one run, in an order that no
longer says which row or column each belongs to. Read as it stands, such text would put numbers into wrong cells;
it is recognised instead (a run of lines holding one number each, longer than two of the table's rows), and the
import says what to do."""
from __future__ import annotations

import re

from ..formats import parse_cell
from .document import Doc, is_page_furniture

_NUMBER_LINE = re.compile(r"^\s*[-+]?\d[\d,]*(?:\.\d+)?\s*$")


def longest_number_run(text: str) -> int:
    """The most lines in a row that hold one number each and nothing else (blank lines and page numbers aside)."""
    best = run = 0
    for line in text.split("\n"):
        if not line.strip() or is_page_furniture(line):
            continue
        run = run + 1 if _NUMBER_LINE.match(line) else 0
        best = max(best, run)
    return best


def column_by_column(doc: Doc, fmt, sections: dict) -> str | None:
    """The sheet name of a table (with rows of several cells) whose numbers were printed column by column."""
    if doc.kind not in ("text", "markdown"):
        return None  # a source with real tables keeps its rows
    for s in fmt.sections:
        table = fmt.tables.get(s.table) if s.kind == "table" else None
        if table is None or s.id not in sections:
            continue
        if len({parse_cell(c.ref)[0] for c in table.cells.values()}) == 1:
            continue  # 表四: all its numbers are one row of the sheet
        width = max(len(r.columns) for r in table.rows)
        _, b, e = sections[s.id]
        if longest_number_run(doc.text[b:e]) > 2 * width:
            return table.sheet
    return None
