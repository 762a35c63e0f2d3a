"""Filing (one unit's report for one year) and Finding (one problem found in it)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from .formats import Cell, ReportFormat

# Marks that mean "nothing here" in a published table (read as blank, never as a number)
BLANK_MARKS = {"", "/", "／", "—", "－", "-", "--", "——", "无", "空", "null", "none", "n/a"}


@dataclass
class Finding:
    rule: str
    severity: str  # error | warning
    message: str
    keys: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)  # "表三!D5"
    expected: object = None
    actual: object = None
    hint: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["hint"] is None:
            del d["hint"]
        return d


class Parsed(NamedTuple):
    """A cell's content read leniently: the number (or None), and what was unusual about it."""

    value: int | float | None
    problem: str | None = None  # "blank" | "invalid" | None
    note: str | None = None  # why the reading was lenient, e.g. "以文本形式存储"


def _plain(x) -> str:
    return format(x, "f").rstrip("0").rstrip(".") if isinstance(x, Decimal) else str(x)


def parse_number(raw, cell_type: str = "count") -> Parsed:
    """Read what a person typed in a number cell. Lenient only where the meaning is unambiguous."""
    if raw.__class__ is int and (raw >= 0 or cell_type == "signed"):
        return Parsed(raw)  # what nearly every cell holds, decided first
    if raw is None:
        return Parsed(None, "blank")
    if isinstance(raw, bool):
        return Parsed(None, "invalid")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and raw != raw or raw in (float("inf"), float("-inf")):
            return Parsed(None, "invalid")
        num, note = raw, None
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if text.lower() in BLANK_MARKS:
            return Parsed(None, "blank" if text == "" else "invalid", None if text == "" else "mark")
        cleaned = re.sub(r"\s+", "", text)
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
            cleaned = cleaned.replace(",", "")
        try:
            d = Decimal(cleaned)
        except InvalidOperation:
            return Parsed(None, "invalid")
        if not d.is_finite():
            return Parsed(None, "invalid")
        num = int(d) if d == d.to_integral_value() else float(d)
        note = "以文本形式存储的数字" if text == str(raw) else "含全角字符或空格的数字"
        if "," in text:
            note = "带千位分隔符的数字"
    if isinstance(num, float) and num.is_integer() and abs(num) < 2**53:
        num = int(num)
    if cell_type == "decimal":
        return Parsed(num if num >= 0 else None, None if num >= 0 else "invalid", note)
    if not isinstance(num, int):
        return Parsed(None, "invalid", note)
    if cell_type == "count" and num < 0:
        return Parsed(None, "invalid", note)
    return Parsed(num, None, note)


@dataclass
class Filing:
    """One unit's report for one year, whatever it was read from."""

    fmt: ReportFormat
    identity: dict = field(default_factory=dict)  # unit, unit_code, year, layout, template_id, ...
    raw: dict = field(default_factory=dict)  # key -> the cell's content as found
    where: dict = field(default_factory=dict)  # key -> "表三!D5" (or a place in a published report)
    narrative: dict = field(default_factory=dict)  # section id -> text
    explanations: dict = field(default_factory=dict)  # rule id -> the unit's explanation
    source: str | None = None
    origin: str = "return"  # return | import | summary
    findings: list = field(default_factory=list)  # found while reading (structure, identity)
    # cells an import could not read (a row it could not place, a row missing): unknown, not blank — a printed
    # blank counts as 0 in a published report's identities, an unknown cell leaves them unchecked
    unread: frozenset = frozenset()
    _parsed: dict | None = field(default=None, repr=False)
    _values: dict | None = field(default=None, repr=False)

    @property
    def unit(self) -> str | None:
        return self.identity.get("unit")

    @property
    def unit_code(self) -> str | None:
        return self.identity.get("unit_code")

    @property
    def year(self) -> int | None:
        y = self.identity.get("year")
        try:
            return int(y) if y not in (None, "") else None
        except (TypeError, ValueError):
            return None

    @property
    def layout(self) -> str:
        return self.fmt.layout

    def parsed(self) -> dict[str, Parsed]:
        if self._parsed is None:
            raw = self.raw
            self._parsed = {k: Parsed(v) if v.__class__ is int and v >= 0 else parse_number(v, c.type)
                            for k, c in self.fmt.cells.items() for v in (raw.get(k),)}  # a count, the usual case
        return self._parsed

    @property
    def values(self) -> dict[str, int | float | None]:
        """The numbers by canonical key; None where a cell is blank or unreadable. Worked out once, like parsed():
        a Filing's raw cells are not changed after it is read."""
        if self._values is None or self._parsed is None:
            self._values = {k: p.value for k, p in self.parsed().items()}
        return self._values

    def place(self, key: str) -> str:
        return self.where.get(key) or self.fmt.cells[key].where

    def cell(self, key: str) -> Cell:
        return self.fmt.cells[key]

    @classmethod
    def from_values(cls, fmt: ReportFormat, values: dict, **kw) -> "Filing":
        return cls(fmt=fmt, raw=dict(values), **kw)

    def to_frame(self):
        """The numbers as a pandas DataFrame: one row per cell (key, table, row, column, value, place)."""
        import pandas as pd

        vals = self.values
        return pd.DataFrame(
            [(k, c.table, c.row, c.col, vals[k], self.place(k)) for k, c in self.fmt.cells.items()],
            columns=["key", "table", "row", "column", "value", "place"],
        )
