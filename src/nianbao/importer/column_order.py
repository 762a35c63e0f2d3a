"""A table printed column by column. `pdftotext` without -layout or -raw reads a PDF page block by block: a table's
row labels come out together, then its numbers one a line, several rows' numbers in one run, in an order that no
longer says which row or column each belongs to. Read as it stands, such text would put numbers into wrong cells;
it is recognised instead (a run of lines holding one number each, longer than two of the table's rows; or, where
the report blanks its zeros and the runs are short, the table's column headings printed among its rows, each
right before a number, or its rows' labels printed out of their order), and the import says what to do."""
from __future__ import annotations

import re

from ..formats import parse_cell
from .document import CELL, END, ROW, Doc, is_page_furniture

_NUMBER_LINE = re.compile(r"^\s*[-+]?\d[\d,]*(?:\.\d+)?\s*$")


def number_runs(text: str) -> list[int]:
    """The lengths of the runs of lines that hold one number each and nothing else (blank lines and page numbers
    aside; a row of numbers only counts its numbers)."""
    out, run = [], 0
    for line in text.split("\n"):
        if line.startswith(ROW):  # lines of numbers the text reader gathered into a row (cell_lines.py)
            cells = [c for c in line.strip(ROW + END).split(CELL) if c.strip()]
            numbers = all(_NUMBER_LINE.match(c) for c in cells)
            step = len(cells)
        elif not line.strip() or is_page_furniture(line):
            continue
        else:
            numbers, step = bool(_NUMBER_LINE.match(line)), 1
        if numbers:
            run += step
        elif run:
            out.append(run)
            run = 0
    return out + [run] if run else out


def longest_number_run(text: str) -> int:
    return max(number_runs(text), default=0)


def column_by_column(doc: Doc, fmt, sections: dict, others=()) -> str | None:
    """The sheet name of a table (with rows of several cells) whose numbers were printed column by column. Looked
    for from the first table's part to the part of 表四 (all its numbers one row of the sheet, printed in one run
    anyway): a heading misread inside a scrambled table ("三、本年度办理结果") must not hide the run. `others`: the
    other layouts' formats, whose 表二 has headings of its own (2019: 本年新制作数量 …)."""
    if doc.kind not in ("text", "markdown"):
        return None  # a source with real tables keeps its rows
    rowed, spans, flat = [], [], []
    for s in fmt.sections:
        table = fmt.tables.get(s.table) if s.kind == "table" else None
        if table is None or s.id not in sections:
            continue
        if len({parse_cell(c.ref)[0] for c in table.cells.values()}) == 1:
            flat.append(sections[s.id][0])
        else:
            rowed.append(table)
            spans.append(sections[s.id])
    if not rowed:
        return None
    start = min(a for a, _, _ in spans)
    stop = min([a for a in flat if a > start] or [max(e for _, _, e in spans)])
    widest = max(rowed, key=lambda t: max(len(r.columns) for r in t.rows))
    # a row's numbers follow its label: more numbers in a run than the widest row holds means they were printed
    # apart from their rows — once by far, or twice (pdftotext's default mode prints some blocks of a row or two)
    width = max(len(r.columns) for r in widest.rows)
    runs = number_runs(doc.text[start:stop])
    if max(runs, default=0) > 2 * width or sum(r > width for r in runs) >= 2:
        return widest.sheet
    region = sections[next(s.id for s in fmt.sections if s.table == widest.id)]
    text = doc.text[region[0]:region[2]]
    signs = headings_among_numbers(text, widest) + rows_out_of_order(text, widest)
    signs += max(_headings_elsewhere(doc, f, sections, widest.id) for f in (fmt, *others))
    return widest.sheet if signs >= 2 else None  # each a sign: two of them


def _headings_elsewhere(doc: Doc, fmt, sections: dict, skip: str) -> int:
    """headings_among_numbers over the format's tables with rows of several cells other than `skip`."""
    n = 0
    for s in fmt.sections:
        table = fmt.tables.get(s.table) if s.kind == "table" else None
        if table is None or table.id == skip or s.id not in sections:
            continue
        if len({parse_cell(c.ref)[0] for c in table.cells.values()}) > 1:
            a, _, e = sections[s.id]
            n += headings_among_numbers(doc.text[a:e], table)
    return n


def rows_out_of_order(text: str, table) -> int:
    """How many of a table's row labels (those printed once in the table, the wording of a line or more) come
    before the label of the row above them: pdftotext's default mode prints a block of rows after the blocks
    beside it. A text that keeps its rows prints them in the table's order."""
    from .labels import norm

    flat = norm(text)
    labels = [norm(r.label) for r in table.rows]
    at = [flat.find(lb) if len(lb) >= 4 and labels.count(lb) == 1 and flat.count(lb) == 1 else -1 for lb in labels]
    found = [a for a in at if a >= 0]
    return sum(1 for a, b in zip(found, found[1:]) if b < a)


def headings_among_numbers(text: str, table) -> int:
    """How many of a table's column headings (商业企业, 法律服务机构 …, a heading broken over lines joined) stand
    after its first row's label, each on lines of its own right before a line holding a number: pdftotext's
    default mode prints a header cell beside the block of numbers under it. A text that keeps its rows prints the
    header before the rows (a header repeated after a page break is followed by a row's label, not a number)."""
    from .labels import norm

    heads = {norm(c.label) for c in table.columns}
    first = norm(table.rows[0].label)
    started, lines, found = False, [], 0
    for line in text.split("\n"):
        if not line.strip() or is_page_furniture(line):
            lines = [] if not line.strip() else lines
            continue
        if _NUMBER_LINE.match(line) or line.startswith(ROW):  # a row the text reader gathered (cell_lines.py)
            # the lines right before it, or the last few of them, are exactly a heading ("3.其他" is a row's label)
            found += started and any("".join(lines[i:]) in heads for i in range(len(lines)))
            lines = []
            continue
        lines.append(norm(line))
        started = started or first in "".join(lines)
    return found
