"""Format definitions (workbook_templates/layout-*.toml) loaded into ReportFormat objects.

Everything downstream — template cells, checks, report tables, import labels — is derived from these objects.
A definition is validated on load: a rule naming an unknown key or a malformed position is a load error.
"""
from __future__ import annotations

import copy
import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple  # NamedTuple, not frozen dataclasses: 10× cheaper to define, and start-up counts

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import FormatDefinitionError, NianbaoError

_A1 = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")


def col_index(letters: str) -> int:
    """'A' → 0, 'AA' → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def col_letters(index: int) -> str:
    s = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        s = chr(65 + rem) + s
    return s


def parse_cell(ref: str) -> tuple[int, int]:
    """'D5' → (row 4, col 3), zero-based."""
    m = _A1.match(ref)
    if not m:
        raise FormatDefinitionError(f"bad cell reference {ref!r}")
    return int(m.group(2)) - 1, col_index(m.group(1))


def cell_ref(row: int, col: int) -> str:
    return f"{col_letters(col)}{row + 1}"


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """'A2:C4' or 'A2' → (first_row, first_col, last_row, last_col), zero-based."""
    a, _, b = ref.partition(":")
    r1, c1 = parse_cell(a)
    r2, c2 = parse_cell(b) if b else (r1, c1)
    if r2 < r1 or c2 < c1:
        raise FormatDefinitionError(f"bad range {ref!r}")
    return r1, c1, r2, c2


@functools.lru_cache(maxsize=4096)  # the same few hundred labels, read again in every return
def _normalize(text: str) -> str:
    s = re.sub(r"\s+", "", text)
    return s.replace("(", "（").replace(")", "）").replace('"', "”")


def normalize_label(text) -> str:
    """Labels compare without white space and line breaks, and with half-width brackets made full-width."""
    if text is None:
        return ""
    return _normalize(text if isinstance(text, str) else str(text))


class _Blank(dict):
    def __missing__(self, key):
        return ""


class Column(NamedTuple):
    key: str
    label: str
    type: str = "count"  # count | decimal | signed
    unit: str | None = None


class Row(NamedTuple):
    key: str
    label: str
    at: str  # the label's cell or merged range
    columns: tuple[str, ...]
    group: str | None = None
    ordinal: str | None = None


class Cell(NamedTuple):
    """One number of the report: its canonical key and where it sits on the template."""

    key: str
    table: str
    row: str
    col: str
    sheet: str
    ref: str  # top-left cell, e.g. "D5"
    merge: str | None  # the merged range when the input cell spans several columns
    type: str
    label: str  # row label / column label, for messages

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.ref}"


class Text(NamedTuple):
    text: str
    at: str
    role: str | None = None


@dataclass
class Table:
    id: str
    sheet: str
    caption: str
    grid: str
    status: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    texts: tuple[Text, ...]
    cells: dict[str, Cell] = field(default_factory=dict)
    previous: str | None = None  # where last year's values stamped into a template sit: "below" | "right" the grid

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def labels(self):
        """Every fixed text of the table on its sheet: (cell or range, text, role)."""
        for r in self.rows:
            yield r.at, r.label, "row"
        for t in self.texts:
            yield t.at, t.text, t.role or "header"

    @functools.cached_property
    def label_cells(self) -> tuple[tuple[str, str, str], ...]:
        """(top-left cell, text, text normalised) of every fixed label: worked out once, compared in every return."""
        return tuple((at.split(":")[0], text, normalize_label(text)) for at, text, _ in self.labels())

    @functools.cached_property
    def label_coords(self) -> tuple[tuple[int, int], ...]:
        """(row, column) from zero of each of label_cells."""
        return tuple(parse_cell(top) for top, _, _ in self.label_cells)

    @functools.cached_property
    def cell_coords(self) -> tuple[tuple[int, int], ...]:
        """(row, column) from zero of each number cell, in the order of `cells`."""
        return tuple(parse_cell(c.ref) for c in self.cells.values())

    @functools.cached_property
    def places(self) -> dict[str, str]:
        """{key: "表三!D5"} of the number cells."""
        return {k: c.where for k, c in self.cells.items()}


class Section(NamedTuple):
    id: str
    heading: str
    kind: str  # narrative | table
    table: str | None = None
    topics: tuple[str, ...] = ()
    heading_at: str | None = None  # narrative sections: the heading and the input cell on the 正文 sheet
    input_at: str | None = None


class Term(NamedTuple):
    coef: int  # +1 or -1
    key: str
    prev: bool = False  # last year's value


class RuleInstance(NamedTuple):
    """One concrete equation of a sum rule, e.g. T3-01 for the 自然人 column."""

    rule: "Rule"
    label: str  # the row or column "*" stands for
    star: str | None  # that row or column key
    lhs: tuple[Term, ...]
    rhs: tuple[Term, ...]

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.lhs + self.rhs if not t.prev]

    @property
    def severity(self) -> str:
        return self.rule.severity_when.get(self.star, self.rule.severity)

    @property
    def uses_previous(self) -> bool:
        return any(t.prev for t in self.lhs + self.rhs)


@dataclass(eq=False)
class Rule:
    id: str
    kind: str  # cell | sum | structure | advice
    severity: str
    name: str
    message: str
    expr: str | None = None
    applies: str | None = None
    keys: tuple[str, ...] = ()
    severity_when: dict = field(default_factory=dict)
    plain: str | None = None  # the rule in plain words, for the template's instructions
    messages: dict = field(default_factory=dict)  # variants of the message, e.g. for a warning
    instances: tuple[RuleInstance, ...] = ()

    def text(self, variant: str | None = None, **kw) -> str:
        """The Chinese message, filled in; a variant names one of `messages`."""
        template = self.messages[variant] if variant else self.message
        return template.format_map(_Blank(kw))


@dataclass
class ReportFormat:
    layout: str
    basis: str
    first_year: int
    last_year: int
    title: str
    count_limit: int
    sections: tuple[Section, ...]
    tables: dict[str, Table]
    rules: dict[str, Rule]
    cells: dict[str, Cell]  # every number, in table / row / column order
    workbook: dict  # the template's own sheet names, identity sheet, version, deadline
    import_only: bool = False  # a variant read from published reports, never written
    paragraph: object = None  # the numbers paragraph's sentences (paragraph.Paragraph), or None

    def table_of(self, key: str) -> Table:
        return self.tables[self.cells[key].table]

    def section(self, sid: str) -> Section:
        return next(s for s in self.sections if s.id == sid)

    @property
    def narrative_sections(self) -> list[Section]:
        return [s for s in self.sections if s.kind == "narrative"]

    def sum_instances(self, previous: bool = False):
        """Every instance of the sum rules; with previous=False only those within one year."""
        for rule in self.rules.values():
            for inst in rule.instances:
                if inst.uses_previous == previous:
                    yield inst

    def report_title(self, unit: str, year: int) -> str:
        return self.title.format(unit=unit, year=year)


TEMPLATES_DIRS = (
    Path(__file__).resolve().parent / "workbook_templates",  # installed wheel
    Path(__file__).resolve().parents[2] / "workbook_templates",  # source checkout
)


def _definition_path(layout: str) -> Path:
    for d in TEMPLATES_DIRS:
        p = d / f"layout-{layout}.toml"
        if p.is_file():
            return p
    raise NianbaoError(f"未知的格式版本“{layout}”（可用：{', '.join(available_layouts())}）")


DEFAULT_LAYOUT = "2021"


def available_layouts(include_import_only: bool = True) -> list[str]:
    """The layouts defined in workbook_templates/; import-only ones are variants read from published reports."""
    for d in TEMPLATES_DIRS:
        if d.is_dir():
            names = sorted(p.stem.split("-", 1)[1] for p in d.glob("layout-*.toml"))
            return [n for n in names if include_import_only or not load_format(n).import_only]
    return []


@functools.lru_cache(maxsize=64)
def _parsed(path: Path, mtime_ns: int) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def _raw_definition(layout: str) -> dict:
    # each file is parsed once (a layout written as differences reads its base again and again); callers change
    # what they get, so each gets its own copy
    path = _definition_path(layout)
    data = copy.deepcopy(_parsed(path, path.stat().st_mtime_ns))
    base = data.pop("base", None)
    if base is None:
        return data
    merged = _raw_definition(base)
    merged["meta"] = {**merged["meta"], **data.get("meta", {})}
    # a table replaces the base's table on the same sheet; a rule replaces the base's rule of the same id
    for t in data.get("tables", []):
        if "from" in t:  # the table of another layout, e.g. 2019's 表三
            t = next(x for x in _raw_definition(t["from"])["tables"] if x["sheet"] == t["sheet"])
        merged["tables"] = [x for x in merged["tables"] if x["sheet"] != t["sheet"]]
        merged["tables"].append(t)
    order = [x["sheet"] for x in _raw_definition(base)["tables"]]
    merged["tables"].sort(key=lambda t: order.index(t["sheet"]) if t["sheet"] in order else len(order))
    rules = {r["id"]: r for r in merged["rules"]}
    for r in data.get("rules", []):
        if "from" in r:  # the rule of another layout
            r = next(x for x in _raw_definition(r["from"])["rules"] if x["id"] == r["id"])
        rules[r["id"]] = r
    for rid in data.get("drop", {}).get("rules", []):
        rules.pop(rid, None)
    merged["rules"] = list(rules.values())
    merged["sentences"] = _merged_by_id(merged.get("sentences", []), data, "sentences")
    if "sections" in data:
        merged["sections"] = data["sections"]
    return merged


def _merged_by_id(base: list, data: dict, name: str) -> list:
    """The base's entries of `name` (e.g. sentences) replaced by id, taken `from` another layout, or dropped."""
    out = {x["id"]: x for x in base}
    for x in data.get(name, []):
        if "from" in x:
            x = next(y for y in _raw_definition(x["from"])[name] if y["id"] == x["id"])
        out[x["id"]] = x
    for xid in data.get("drop", {}).get(name, []):
        out.pop(xid, None)
    return list(out.values())


def _build_table(t: dict) -> Table:
    columns = tuple(Column(c["key"], c["label"], c.get("type", "count"), c.get("unit")) for c in t["columns"])
    col_keys = [c.key for c in columns]
    rows = []
    table = Table(t["id"], t["sheet"], t["caption"], t["grid"], t["status"], columns, (), (),
                  previous=t.get("previous"))
    if table.previous not in (None, "below", "right"):
        raise FormatDefinitionError(f"{t['id']}: previous must be \"below\" or \"right\"")
    g = parse_range(t["grid"])
    for r in t["rows"]:
        cols = tuple(r.get("columns", col_keys))
        unknown = set(cols) - set(col_keys)
        if unknown:
            raise FormatDefinitionError(f"{t['id']}.{r['key']}: unknown columns {sorted(unknown)}")
        row = Row(r["key"], r["label"], r["at"], cols, r.get("group"), r.get("ordinal"))
        rows.append(row)
        r1, c1, r2, c2 = parse_range(r["cells"])
        merge = r["cells"] if (r1, c1) != (r2, c2) else None
        if merge and len(cols) != 1:
            raise FormatDefinitionError(f"{t['id']}.{r['key']}: a merged input cell must hold one column")
        for i, ck in enumerate(cols):
            ref = cell_ref(r1, c1 + i)
            rr, cc = r1, c1 + i
            if not (g[0] <= rr <= g[2] and g[1] <= cc <= g[3]):
                raise FormatDefinitionError(f"{t['id']}.{r['key']}.{ck}: {ref} lies outside the grid {t['grid']}")
            col = table.column(ck)
            key = f"{t['id']}.{row.key}.{ck}"
            table.cells[key] = Cell(key, t["id"], row.key, ck, t["sheet"], ref, merge, col.type,
                                    f"“{row.label}”行“{col.label}”")
    table.rows = tuple(rows)
    table.texts = tuple(Text(x["text"], x["at"], x.get("role")) for x in t.get("texts", []))
    # two things at one position would make the sheet ambiguous
    seen: dict[str, str] = {}
    for ref, text, _ in table.labels():
        top = ref.split(":")[0]
        if top in seen:
            raise FormatDefinitionError(f"{t['id']}: {top} holds both {seen[top]!r} and {text!r}")
        seen[top] = text
    for c in table.cells.values():
        if c.ref in seen:
            raise FormatDefinitionError(f"{t['id']}: input cell {c.ref} overlaps label {seen[c.ref]!r}")
    return table


_TERM = re.compile(r"^(prev\.)?([a-z0-9_]+)\.([a-z_*]+(?:\.\.[a-z_]+)?)\.([a-z_*]+)$")


def _expand_rule(rule: dict, tables: dict[str, Table], cells: dict[str, Cell]) -> tuple[RuleInstance, ...]:
    expr = rule["expr"]
    sides = expr.split("==")
    if len(sides) != 2:
        raise FormatDefinitionError(f"{rule['id']}: expression needs exactly one '=='")
    parsed = []
    for side in sides:
        terms = []
        for sign, body in re.findall(r"([+-]?)\s*([^\s+-]+)", side.strip()):
            m = _TERM.match(body)
            if not m:
                raise FormatDefinitionError(f"{rule['id']}: cannot read term {body!r}")
            prev, tid, rspec, cspec = m.groups()
            if tid not in tables:
                raise FormatDefinitionError(f"{rule['id']}: unknown table {tid!r}")
            terms.append((-1 if sign == "-" else 1, bool(prev), tid, rspec, cspec))
        parsed.append(terms)
    stars = {("row" if t[3] == "*" else "col") for side in parsed for t in side if "*" in (t[3], t[4])}
    if len(stars) > 1:
        raise FormatDefinitionError(f"{rule['id']}: '*' must stand for rows or for columns, not both")
    starred = [t for side in parsed for t in side if "*" in (t[3], t[4])]
    if starred:
        table = tables[starred[0][2]]
        dim = stars.pop()
        options = [(r.key, r.label) for r in table.rows] if dim == "row" else [(c.key, c.label) for c in table.columns]
    else:
        dim, options = None, [(None, rule.get("name", rule["id"]))]

    def expand(term, star):
        coef, prev, tid, rspec, cspec = term
        t = tables[tid]
        if rspec == "*":
            rspec = star
        if cspec == "*":
            cspec = star
        if ".." in rspec:
            a, b = rspec.split("..")
            keys = [r.key for r in t.rows]
            if a not in keys or b not in keys or keys.index(a) > keys.index(b):
                raise FormatDefinitionError(f"{rule['id']}: bad row range {rspec!r}")
            rows = keys[keys.index(a): keys.index(b) + 1]
        else:
            rows = [rspec]
        return [Term(coef, f"{tid}.{r}.{cspec}", prev) for r in rows]

    instances = []
    for star, label in options:
        sides_out = []
        missing_starred = False
        for side in parsed:
            out = []
            for term in side:
                for tm in expand(term, star):
                    if tm.key not in cells:
                        if "*" in (term[3], term[4]) and ".." not in term[3]:
                            missing_starred = True  # this row has no such column: not an instance
                            continue
                        raise FormatDefinitionError(f"{rule['id']}: unknown key {tm.key!r}")
                    out.append(tm)
            sides_out.append(tuple(out))
        if not missing_starred:
            instances.append(RuleInstance(None, label, star, *sides_out))  # rule filled in below
    if not instances:
        raise FormatDefinitionError(f"{rule['id']}: the expression matches no cells")
    return tuple(instances)


@functools.lru_cache(maxsize=None)
def load_format(layout: str = "2021") -> ReportFormat:
    data = _raw_definition(str(layout))
    meta = data["meta"]
    tables: dict[str, Table] = {}
    cells: dict[str, Cell] = {}
    sheets = set()
    for t in data["tables"]:
        table = _build_table(t)
        if table.id in tables or table.sheet in sheets:
            raise FormatDefinitionError(f"duplicate table {table.id} / sheet {table.sheet}")
        tables[table.id] = table
        sheets.add(table.sheet)
        cells.update(table.cells)
    by_sheet = {t.sheet: t.id for t in tables.values()}
    sections = []
    for s in data["sections"]:
        if "sheet" in s and s["sheet"] not in by_sheet:
            raise FormatDefinitionError(f"section {s['id']} names unknown sheet {s['sheet']}")
        # a section names its table by sheet, so that 2019's 表二 (table t2_2019) needs no section of its own
        sections.append(Section(s["id"], s["heading"], s["kind"], by_sheet.get(s.get("sheet")),
                                tuple(s.get("topics", ())), s.get("heading_at"), s.get("input_at")))
    sections = tuple(sections)
    rules: dict[str, Rule] = {}
    for r in data["rules"]:
        if r["severity"] not in ("error", "warning"):
            raise FormatDefinitionError(f"{r['id']}: severity must be error or warning")
        for k in r.get("keys", []):
            if k not in cells:
                raise FormatDefinitionError(f"{r['id']}: unknown key {k!r}")
        rule = Rule(r["id"], r["kind"], r["severity"], r["name"], r["message"], r.get("expr"), r.get("applies"),
                    tuple(r.get("keys", ())), dict(r.get("severity_when", {})), r.get("plain"),
                    dict(r.get("messages", {})))
        if rule.kind == "sum":
            insts = tuple(
                RuleInstance(rule, i.label, i.star, i.lhs, i.rhs) for i in _expand_rule(r, tables, cells)
            )
            rule.instances = insts
        rules[rule.id] = rule
    return ReportFormat(
        layout=meta["layout"], basis=meta["basis"], first_year=meta["first_year"], last_year=meta["last_year"],
        title=meta["title"], count_limit=int(meta.get("count_limit", 100_000_000)), sections=sections,
        tables=tables, rules=rules, cells=cells, workbook=dict(data["workbook"]),
        import_only=bool(meta.get("import_only", False)),
        paragraph=_paragraph(data, cells, tables),
    )


def _paragraph(data: dict, cells: dict, tables: dict):
    from .paragraph import load_paragraph  # the numbers paragraph's sentences, validated like the rules

    return load_paragraph(data, cells, tables)


def format_for_year(year: int) -> ReportFormat:
    """The layout a report of this year is made in (the current one asked first: the others are read only for
    an earlier year; the years of the layouts never overlap, tests/test_formats.py)."""
    current = load_format(DEFAULT_LAYOUT)
    if current.first_year <= year <= current.last_year:
        return current
    for layout in available_layouts(include_import_only=False):
        f = load_format(layout)
        if f.first_year <= year <= f.last_year:
            return f
    raise NianbaoError(f"{year} 年没有对应的报告格式（本工具支持 2019 年度起的报告）")
