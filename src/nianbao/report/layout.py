"""Each table's official grid, derived from the format definition's sheet positions.

The template sheet mirrors the printed table: `table.grid` is the table's extent, every fixed text (`texts[*].at`,
`rows[*].at`) sits at its cell or merged range, every number at `cell.ref` (or its merged range `cell.merge`).
The three renderers draw this one grid, so the report's layout is the template's layout by construction.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import FormatDefinitionError
from ..formats import Table, parse_range


@dataclass
class GridCell:
    row: int  # zero-based within the grid
    col: int
    rowspan: int = 1
    colspan: int = 1
    kind: str = "empty"  # label | value | empty
    text: str = ""
    role: str | None = None  # labels: header | block | note | group | row
    key: str | None = None  # values: the canonical key
    scope: str | None = None  # labels: the HTML header scope they have in the official layout


@dataclass
class Grid:
    table: Table
    nrows: int
    ncols: int
    rows: list[list[GridCell]]  # the cells that start in each grid row, left to right
    header_rows: int  # leading rows that hold no number (the table head)

    @property
    def one_head(self) -> bool:
        """Whether the head rows head every row (表三, 表四), not only a first block (表二)."""
        return all(any(c.kind == "value" for c in row) for row in self.rows[self.header_rows:])

    def cells(self):
        for row in self.rows:
            yield from row

    def col_weights(self, numbers: dict | None = None) -> list[float]:
        """Relative column widths, in characters: row labels wide enough (long ones wrap), group labels in two or
        three lines, and every number column alike, as wide as its header needs up to four characters."""
        need = [2.0] * self.ncols
        number_cols = {c.col for c in self.cells() if c.kind == "value" and c.colspan == 1}
        for c in self.cells():
            if c.kind != "label" or c.colspan != 1:
                continue
            chars = max(-(-len(c.text) // 2), 5) if c.role == "group" else len(c.text)
            cap = 4 if c.col in number_cols else 5 if c.role == "group" else 14
            need[c.col] = max(need[c.col], min(chars, cap))
        for c in self.cells():  # digits are half as wide as a Chinese character
            if c.kind == "value" and c.colspan == 1 and numbers:
                need[c.col] = max(need[c.col], len(numbers[c.key]) * 0.7 + 1)
        if number_cols:
            widest = max(need[i] for i in number_cols)
            for i in number_cols:
                need[i] = widest
        return need

    def widths(self, total: int, char: int, padding: int = 0, numbers: dict | None = None) -> list[int]:
        """Absolute column widths summing to about `total`, for a font whose Chinese character is `char` wide:
        in proportion to the needs, unless that leaves a number column too narrow for its widest number on one
        line; then the number columns get just that and the label columns share the rest."""
        need = self.col_weights(numbers)
        scale = total / sum(need)
        number_cols = sorted({c.col for c in self.cells() if c.kind == "value" and c.colspan == 1})
        digits = max((len(numbers[c.key]) for c in self.cells() if c.kind == "value" and c.colspan == 1),
                     default=0) if numbers else 0
        exact = digits * 0.7 * char + padding
        rest = total - exact * len(number_cols)
        labels = sum(need[i] for i in range(self.ncols) if i not in number_cols)
        if not number_cols or need[number_cols[0]] * scale >= exact or rest < labels * char / 2:
            return [int(w * scale) for w in need]
        return [int(exact) if i in number_cols else int(rest * need[i] / labels) for i in range(self.ncols)]


def grid(table: Table) -> Grid:
    gr1, gc1, gr2, gc2 = parse_range(table.grid)
    nrows, ncols = gr2 - gr1 + 1, gc2 - gc1 + 1
    owner: list[list[GridCell | None]] = [[None] * ncols for _ in range(nrows)]

    def place(cell: GridCell, ref: str):
        r1, c1, r2, c2 = parse_range(ref)
        if not (gr1 <= r1 and r2 <= gr2 and gc1 <= c1 and c2 <= gc2):
            raise FormatDefinitionError(f"{table.id}: {ref} lies outside the grid {table.grid}")
        cell.row, cell.col, cell.rowspan, cell.colspan = r1 - gr1, c1 - gc1, r2 - r1 + 1, c2 - c1 + 1
        for r in range(r1 - gr1, r2 - gr1 + 1):
            for c in range(c1 - gc1, c2 - gc1 + 1):
                if owner[r][c] is not None:
                    raise FormatDefinitionError(f"{table.id}: {ref} overlaps {owner[r][c].text or owner[r][c].key}")
                owner[r][c] = cell

    for ref, text, role in table.labels():
        place(GridCell(0, 0, kind="label", text=text, role=role), ref)
    for key, cell in table.cells.items():
        place(GridCell(0, 0, kind="value", key=key), cell.merge or cell.ref)
    # numbers per grid row, by column: a row label with numbers to its right heads a row; one with its numbers
    # below it (表四's 行政复议 over five columns) heads columns
    value_cols: dict[int, set[int]] = {}
    for key, cell in table.cells.items():
        r1, c1, _, _ = parse_range(cell.merge or cell.ref)
        value_cols.setdefault(r1 - gr1, set()).add(c1 - gc1)
    for row in owner:
        for c in row:
            if c is None or c.kind != "label" or (c.scope is not None or c.role == "note"):
                continue
            if c.role == "group":
                c.scope = "rowgroup"
            elif c.role == "row" and any(col > c.col for r in range(c.row, c.row + c.rowspan)
                                         for col in value_cols.get(r, ())):
                c.scope = "row"
            else:
                c.scope = "colgroup" if c.colspan > 1 else "col"
    rows: list[list[GridCell]] = [[] for _ in range(nrows)]
    for r in range(nrows):
        for c in range(ncols):
            cell = owner[r][c]
            if cell is None:  # a position the sheet leaves blank: an empty cell of the printed table
                cell = owner[r][c] = GridCell(r, c)
            if (cell.row, cell.col) == (r, c):
                rows[r].append(cell)
    header_rows = next((r for r in range(nrows) if r in value_cols), nrows)
    return Grid(table, nrows, ncols, rows, header_rows)


def number_text(filing, key: str) -> str:
    """A number as printed: integers plainly, the 万元 amount without trailing zeros; what cannot be read, as typed."""
    p = filing.parsed()[key]
    v = p.value
    if v is None:
        raw = filing.raw.get(key)
        return "" if raw is None else str(raw).strip()
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".")
    return str(v)
