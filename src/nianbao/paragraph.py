"""The numbers paragraph: the standard sentences a report uses to restate its tables, written once in the format
definition (`[paragraph]`, `[[sentences]]`) and rendered here in Python; paragraph_xlsx.py compiles the same
sentences into live Excel formulas on the template's 正文 sheet, which must give the same text character for character.

A sentence is a run of parts joined by their separators and closed with "。". A part's text holds slots:
`{t3.new.total}` — the number (a sum when written `a + b` or over rows `t3.denied_secret..denied_inquiry.total`), and
`{change t3.new.total}` — the change on last year (empty when last year is unknown). A part's `zero` replaces it when
its numbers are all 0 (`""` leaves it out); a sentence's `zero` replaces the whole sentence when all its numbers are 0.
A number that is blank or invalid prints as the `blank` placeholder (（待填写）) and is never "zero".

Numbers print as integers; amounts (万元) to at most 4 decimals without trailing zeros; percentages to one decimal,
rounded half up, from exact integer arithmetic (amounts are counted in 0.0001 万元 first) — what Excel's ROUND and
TEXT give on the same integers. A change from last year's 0 is worded without a percentage (`up_from_zero`).
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from .errors import FormatDefinitionError

_SLOT = re.compile(r"\{([^{}]*)\}")
_TERM = re.compile(r"^([a-z0-9_]+)\.([a-z_]+)(?:\.\.([a-z_]+))?\.([a-z_]+)$")
_CHANGE_FIELDS = {"up": {"diff", "unit", "pct"}, "down": {"diff", "unit", "pct"}, "up_from_zero": {"diff", "unit"},
                  "same": set()}
DECIMAL_SCALE = 10000  # amounts are counted in 0.0001 万元 (1 元): the precision C02 allows


class Number(NamedTuple):
    """A slot's number: one cell, or the sum of several of one type."""

    text: str  # as written in the definition, e.g. "t3.denied_secret..denied_inquiry.total"
    keys: tuple[str, ...]
    type: str  # count | decimal
    unit: str  # 件 / 万元: the change clause's unit


class Slot(NamedTuple):
    kind: str  # value | change
    number: Number


class Part(NamedTuple):
    pieces: tuple  # str | Slot
    zero: tuple | None  # None: no zero wording; () : left out when zero
    when: tuple[Number, ...]  # the numbers whose being 0 selects `zero`
    sep: str  # before this part (not the first)


class Sentence(NamedTuple):
    id: str
    parts: tuple[Part, ...]
    zero: tuple | None
    when: tuple[Number, ...]


class Paragraph(NamedTuple):
    marker: str
    heading: str
    heading_at: str
    at: str
    helpers_at: str
    blank: str
    change: dict  # up / down / up_from_zero / same -> pieces
    sentences: tuple[Sentence, ...]

    def _slots(self):
        for s in self.sentences:
            yield from (Slot("value", n) for n in s.when)
            for p in s.parts:
                yield from (Slot("value", n) for n in p.when)
                yield from (x for x in p.pieces + (p.zero or ()) if isinstance(x, Slot))
            yield from (x for x in s.zero or () if isinstance(x, Slot))

    def numbers(self) -> dict[str, Number]:
        """Every number the sentences print or test for zero, once each."""
        return {x.number.text: x.number for x in self._slots()}

    def changes(self) -> dict[str, Number]:
        """The numbers that are compared with last year."""
        return {x.number.text: x.number for x in self._slots() if x.kind == "change"}


# ------------------------------------------------------------------------------------------ the definition
def _number(body: str, fmt_cells: dict, tables: dict, count_unit: str, where: str) -> Number:
    keys = []
    for term in body.split("+"):
        term = term.strip()
        m = _TERM.match(term)
        if not m or m.group(1) not in tables:
            raise FormatDefinitionError(f"sentence {where}: cannot read {term!r}")
        tid, a, b, col = m.groups()
        rows = [r.key for r in tables[tid].rows]
        if b is not None:
            if a not in rows or b not in rows or rows.index(a) > rows.index(b):
                raise FormatDefinitionError(f"sentence {where}: bad row range {term!r}")
            run = rows[rows.index(a): rows.index(b) + 1]
        else:
            run = [a]
        for r in run:
            key = f"{tid}.{r}.{col}"
            if key not in fmt_cells:
                raise FormatDefinitionError(f"sentence {where}: unknown key {key!r}")
            keys.append(key)
    types = {fmt_cells[k].type for k in keys}
    if len(types) != 1 or types & {"signed"} or ("decimal" in types and len(keys) > 1):
        raise FormatDefinitionError(f"sentence {where}: {body!r} must be counts, or one amount")
    (kind,) = types
    c = fmt_cells[keys[0]]
    unit = tables[c.table].column(c.col).unit if kind == "decimal" else count_unit
    return Number(body.strip(), tuple(keys), kind, unit or "")


def _pieces(text: str, cells: dict, tables: dict, unit: str, where: str) -> tuple:
    out = []
    pos = 0
    for m in _SLOT.finditer(text):
        if m.start() > pos:
            out.append(text[pos:m.start()])
        body = m.group(1).strip()
        kind = "value"
        if body.startswith("change "):
            kind, body = "change", body[len("change "):]
        out.append(Slot(kind, _number(body, cells, tables, unit, where)))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return tuple(out)


def _values_of(pieces) -> tuple[Number, ...]:
    return tuple(dict.fromkeys(p.number for p in pieces if isinstance(p, Slot) and p.kind == "value"))


def _when(raw, default, cells, tables, unit, where) -> tuple[Number, ...]:
    if raw is None:
        return default
    return tuple(_number(x, cells, tables, unit, where) for x in raw)


def load_paragraph(data: dict, cells: dict, tables: dict) -> Paragraph | None:
    """The definition's `[paragraph]` and `[[sentences]]`, validated: an unknown key, a bad position or an unknown
    field of the change wording is a load error."""
    from .formats import parse_cell, parse_range

    p = data.get("paragraph")
    if p is None:
        return None
    unit = p.get("unit", "件")
    parse_cell(p["heading_at"])
    parse_range(p["at"])
    parse_cell(p["helpers_at"])
    change = {}
    for name, allowed in _CHANGE_FIELDS.items():
        text = p["change"][name]
        fields = set(_SLOT.findall(text))
        if fields - allowed:
            raise FormatDefinitionError(f"paragraph.change.{name}: unknown fields {sorted(fields - allowed)}")
        change[name] = tuple(x for x in re.split(r"(\{[a-z]+\})", text) if x)
    sentences = []
    seen = set()
    for s in data.get("sentences", []):
        sid = s["id"]
        if sid in seen:
            raise FormatDefinitionError(f"sentence {sid}: defined twice")
        seen.add(sid)
        parts = []
        for i, raw in enumerate(s["parts"]):
            pieces = _pieces(raw["text"], cells, tables, unit, sid)
            zero = raw.get("zero")
            zero = None if zero is None else _pieces(zero, cells, tables, unit, sid)
            if i == 0 and zero == ():
                raise FormatDefinitionError(f"sentence {sid}: its first part cannot be left out")
            parts.append(Part(pieces, zero, _when(raw.get("when"), _values_of(pieces), cells, tables, unit, sid),
                              raw.get("sep", "，")))
        all_values = tuple(dict.fromkeys(n for part in parts for n in _values_of(part.pieces)))
        zero = s.get("zero")
        zero = None if zero is None else _pieces(zero, cells, tables, unit, sid)
        sentences.append(Sentence(sid, tuple(parts), zero, _when(s.get("when"), all_values, cells, tables, unit, sid)))
    return Paragraph(p["marker"], p["heading"], p["heading_at"], p["at"], p["helpers_at"], p["blank"], change,
                     tuple(sentences))


# ------------------------------------------------------------------------------------------ Python rendering
def scaled(value, kind: str) -> int | None:
    """The number as an integer in its unit of counting (an amount in 0.0001 万元), or None when not usable."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value) or value < 0:
        return None
    if kind == "decimal":
        return int((Decimal(repr(value)) * DECIMAL_SCALE).quantize(Decimal(1), ROUND_HALF_UP))
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)


def number_text(n: int, kind: str) -> str:
    """An integer plain; an amount (in 0.0001 万元) with up to 4 decimals and no trailing zeros."""
    if kind != "decimal":
        return str(n)
    whole, frac = divmod(n, DECIMAL_SCALE)
    return str(whole) if frac == 0 else f"{whole}.{frac:04d}".rstrip("0")


def total(number: Number, values: dict | None) -> int | None:
    if values is None:
        return None
    parts = [scaled(values.get(k), number.type) for k in number.keys]
    return None if any(x is None for x in parts) else sum(parts)


def percent_tenths(diff: int, prev: int) -> int:
    """|diff| / prev in tenths of a percent, rounded half up (exact: integers only)."""
    return (abs(diff) * 2000 + prev) // (2 * prev)


def change_text(par: Paragraph, number: Number, values: dict, previous: dict | None) -> str:
    cur, prev = total(number, values), total(number, previous)
    if cur is None or prev is None:
        return ""
    d = cur - prev
    name = "same" if d == 0 else "down" if d < 0 else "up_from_zero" if prev == 0 else "up"
    pct = percent_tenths(d, prev) if prev else 0
    fields = {"diff": number_text(abs(d), number.type), "unit": number.unit, "pct": f"{pct // 10}.{pct % 10}"}
    return "".join(fields[x[1:-1]] if x.startswith("{") else x for x in par.change[name])


def _render(par: Paragraph, pieces, values, previous) -> str:
    out = []
    for p in pieces:
        if isinstance(p, str):
            out.append(p)
        elif p.kind == "value":
            out.append(value_text(par, p.number, values))
        else:
            out.append(change_text(par, p.number, values, previous))
    return "".join(out)


def value_text(par: Paragraph, number: Number, values: dict) -> str:
    n = total(number, values)
    return par.blank if n is None else number_text(n, number.type)


def _zero(par: Paragraph, numbers, values) -> bool:
    return all(value_text(par, n, values) == "0" for n in numbers)


def sentence_text(par: Paragraph, s: Sentence, values: dict, previous: dict | None = None) -> str:
    if s.zero is not None and _zero(par, s.when, values):
        text = _render(par, s.zero, values, previous)
        return text + "。" if text else ""
    out = []
    for i, part in enumerate(s.parts):
        pieces = part.zero if part.zero is not None and _zero(par, part.when, values) else part.pieces
        if i and pieces:
            out.append(part.sep)
        out.append(_render(par, pieces, values, previous))
    return "".join(out) + "。"


def draft_numbers(fmt, values: dict, previous: dict | None = None) -> str:
    """The drafted paragraph for a filing's numbers ({key: value}, None where blank); `previous`: last year's
    numbers by the same keys, for the change clauses (a key last year's layout lacks has no change clause)."""
    par = fmt.paragraph
    if par is None:
        return ""
    return "".join(sentence_text(par, s, values, previous) for s in par.sentences)


def change_keys(fmt) -> list[str]:
    """The keys whose last-year value the paragraph's change clauses need."""
    if fmt.paragraph is None:
        return []
    return list(dict.fromkeys(k for n in fmt.paragraph.changes().values() for k in n.keys))
