"""Last year's values inside a template (template --previous).

Which values: those the cross-year rules name with `prev.` (Y-01 结转下年度 → 上年结转, Y-02 现行有效), each stamped
on its table sheet beside the cell it checks, where the table's `previous` says ("below" or "right" of the grid),
shown as 上年：3 and locked; the live checks compare with them. Every other value of last year is stamped too, on the
identity sheet only, for Y-03 (the tables copied from last year). All of it is one signed field of the identity
(`previous`, JSON), so a department cannot change last year's values without breaking the signature; a stamped cell
that no longer shows the signed value is I01 by itself. `check` of such a return uses the signed values when it is
given no last year of its own.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import NamedTuple

from .errors import FormatDefinitionError, NianbaoError
from .filing import Filing, Finding, parse_number
from .formats import ReportFormat, RuleInstance, cell_ref, load_format, parse_cell, parse_range


class Stamp(NamedTuple):
    key: str  # last year's key the equation names, e.g. t3.carry_forward.total
    inst: RuleInstance
    sheet: str
    ref: str  # the stamped cell on the sheet of the cell it checks


_STAMPS: dict[str, tuple[ReportFormat, tuple[Stamp, ...]]] = {}  # layout → (the format loaded, its stamps)


def stamps(fmt: ReportFormat) -> tuple[Stamp, ...]:
    """Every cross-year equation's stamped cell, derived from the rule and its table's `previous` placement."""
    cached = _STAMPS.get(fmt.layout)
    if cached is not None and cached[0] is fmt:  # a reloaded format has new rule instances: derive them again
        return cached[1]
    out, taken = [], {}
    for inst in fmt.sum_instances(previous=True):
        prev = [t.key for t in inst.lhs + inst.rhs if t.prev]
        anchor = fmt.cells[inst.keys[0]]  # the cell the equation checks: the first of this year
        table = fmt.tables[anchor.table]
        if len(prev) != 1 or table.previous is None:
            raise FormatDefinitionError(f"{inst.rule.id}: a cross-year equation needs one prev. term and a table "
                                        f"with previous = \"below\" or \"right\" ({table.id})")
        g = parse_range(table.grid)
        r, c = parse_cell(anchor.ref)
        ref = cell_ref(g[2] + 1, c) if table.previous == "below" else cell_ref(r, g[3] + 1)
        if taken.setdefault((table.sheet, ref), prev[0]) != prev[0]:
            raise FormatDefinitionError(f"{inst.rule.id}: two of last year's values would be stamped at {ref}")
        out.append(Stamp(prev[0], inst, table.sheet, ref))
    _STAMPS[fmt.layout] = (fmt, tuple(out))
    return _STAMPS[fmt.layout][1]


def value_rows(fmt: ReportFormat) -> dict[str, int]:
    """{key: row from zero} of last year's values on the identity sheet: after the identity's fields and one
    heading row, one row per number of the layout, in the format's order (the same rows in every template)."""
    from .identity import FIELDS

    first = len(FIELDS) + 2
    return {k: first + i for i, k in enumerate(fmt.cells)}


def value_refs(fmt: ReportFormat) -> dict[str, str]:
    """{key: "'_身份'!B20"}: where a formula finds last year's value (blank when last year had none)."""
    sheet = "'" + fmt.workbook["identity"].replace("'", "''") + "'"
    return {k: f"{sheet}!B{r + 1}" for k, r in value_rows(fmt).items()}


def repetition_rule(fmt: ReportFormat):
    """Y-03, when the format words its tables part: checked live in a template that carries last year."""
    rule = fmt.rules.get("Y-03")
    return rule if rule is not None and "tables" in rule.messages else None


def cross_year_rules(fmt: ReportFormat) -> list:
    """The rules about last year (Y-…): those with prev. terms and the advice that compares with last year."""
    return [r for r in fmt.rules.values() if r.id.startswith("Y-")]


def absent(fmt: ReportFormat, identity: dict) -> Finding | None:
    """The notice (说明) for a return whose unit last year's data for many units does not hold: which cross-year
    checks did not run, so that silence is never taken for a pass."""
    who = str(identity.get("unit") or "").strip() or "（无单位标识）"
    code = str(identity.get("unit_code") or "").strip()
    return _notice(fmt, "previous_absent", unit=who + (f"（{code}）" if code else ""))


def _notice(fmt: ReportFormat, wording: str, **names) -> Finding | None:
    """A 说明 about the cross-year rules, in the format definition's `wording`; None when the layout has none."""
    rules = cross_year_rules(fmt)
    if not rules:
        return None
    text = fmt.workbook[wording].format(rules="、".join(f"{r.id} {r.name}" for r in rules), **names)
    return Finding("/".join(r.id for r in rules), "info", text)


def other_unit(fmt: ReportFormat, identity: dict, previous: Filing) -> Finding | None:
    """The notice (说明) for a return checked against the one file of last year given, when that file is another
    unit's (by code where both have one, else by name): used, as asked, but never without a word."""
    theirs, code = str(previous.unit or "").strip(), str(previous.unit_code or "").strip()
    ours, our_code = str(identity.get("unit") or "").strip(), str(identity.get("unit_code") or "").strip()
    if not theirs or not ours or (code == our_code if code and our_code else _norm(theirs) == _norm(ours)):
        return None
    return _notice(fmt, "previous_other_unit", previous=theirs + (f"（{code}）" if code else ""),
                   unit=ours + (f"（{our_code}）" if our_code else ""))


class LastYear(NamedTuple):
    """What a template carries of one unit's last year."""

    text: str  # the signed identity field (JSON)
    values: dict  # key → last year's value, every key of this layout last year had
    stamped: tuple[Stamp, ...]  # the stamps whose value last year had
    notes: tuple[str, ...]  # the cross-year checks that do not apply, and why


def numbers(filing: Filing) -> dict:
    """{key: number} of every cell the filing has a number in (Filing.values without its blanks), worked out
    without a Parsed for each of the 200 cells: last year's values are read, sent and stamped for every unit."""
    raw, out = filing.raw, {}
    for k, c in filing.fmt.cells.items():
        v = raw.get(k)
        if v.__class__ is int and v >= 0:  # what nearly every cell holds
            out[k] = v
        elif v is not None and (v := parse_number(v, c.type).value) is not None:
            out[k] = v
    return out


def for_template(fmt: ReportFormat, previous: Filing) -> LastYear:
    values = numbers(previous)
    if previous.fmt is not fmt:  # another layout's keys: only those this layout has, and the stamps'
        wanted = set(fmt.cells) | {s.key for s in stamps(fmt)}
        values = {k: v for k, v in values.items() if k in wanted}
    stamped = tuple(s for s in stamps(fmt) if s.key in values)
    missing: dict[str, list[str]] = {}
    for s in stamps(fmt):
        if s.key not in values:
            missing.setdefault(s.inst.rule.id, []).append(fmt.cells[s.key].label)
    wording = fmt.workbook["previous_not_applicable"]
    notes = tuple(wording.format(rule=rid, name=fmt.rules[rid].name, year=previous.year or "?", layout=previous.layout,
                                 what="、".join(dict.fromkeys(labels))) for rid, labels in missing.items())
    text = json.dumps({"unit": previous.unit or "", "unit_code": previous.unit_code or "", "year": previous.year,
                       "layout": previous.layout, "values": values}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return LastYear(text, values, stamped, notes)


def instructions(fmt: ReportFormat, last: LastYear | None, previous: Filing | None) -> str:
    """The 填报说明 line on last year's data: what was stamped and checked live, what does not apply, or none."""
    w = fmt.workbook
    if last is None or not last.stamped:
        rules = "、".join(r.id for r in cross_year_rules(fmt))
        return " ".join((w["previous_none"].format(rules=rules),) + (last.notes if last else ()))
    live = [s.inst.rule for s in last.stamped] + [r for r in (repetition_rule(fmt),) if r is not None]
    live = "、".join(dict.fromkeys(f"{r.id} {r.name}" for r in live))
    head = w["previous_source"].format(unit=previous.unit or "本单位", year=previous.year or "上", layout=previous.layout,
                                       rules=live)
    return " ".join((head,) + last.notes)


def decode(text: str) -> dict | None:
    try:
        data = json.loads(text)
        return data if isinstance(data, dict) and isinstance(data.get("values"), dict) else None
    except (ValueError, TypeError):
        return None


def stamped_filing(identity: dict) -> Filing | None:
    """Last year as the template carried it (from the identity's signed field), or None."""
    data = decode(identity.get("previous") or "")
    if data is None:
        return None
    try:
        fmt = load_format(str(data.get("layout") or ""))
    except NianbaoError:
        return None
    values = {k: v for k, v in data["values"].items() if k in fmt.cells and isinstance(v, (int, float))}
    return Filing(fmt=fmt, identity={"unit": data.get("unit") or "", "unit_code": data.get("unit_code") or "",
                                     "year": str(data.get("year") or "")}, raw=values, origin="stamped")


def check_stamped_cells(fmt: ReportFormat, previous: Filing, shown) -> list[Finding]:
    """I01 for each stamped cell that no longer shows the signed value; `shown(sheet, ref)` reads a cell."""
    out = []
    rule = fmt.rules["I01"]
    for s in stamps(fmt):
        want = previous.raw.get(s.key)
        if want is None:
            continue
        got = shown(s.sheet, s.ref)
        if not isinstance(got, (int, float)) or isinstance(got, bool) or abs(got - want) > 1e-9:
            where = f"{s.sheet}!{s.ref}"
            out.append(Finding("I01", "error", rule.text("previous_changed", where=where, expected=want,
                                                          actual="空" if got is None else got),
                               cells=[where], expected=want, actual=got))
    return out


def check_value_rows(fmt: ReportFormat, previous: Filing, shown: list) -> list[Finding]:
    """I01 when last year's numbers on the identity sheet (what the live change clauses and Y-03 read) are not the
    signed ones — a department that unhid the sheet and edited them; `shown`: the cells, in value_rows' order."""
    sheet = fmt.workbook["identity"]
    bad = []
    for (key, row), got in zip(value_rows(fmt).items(), shown):
        want = previous.raw.get(key)
        number = isinstance(got, (int, float)) and not isinstance(got, bool)
        if (want is None) != (got is None) or (want is not None and (not number or abs(got - want) > 1e-9)):
            bad.append(f"{sheet}!B{row + 1}")
    if not bad:
        return []
    first = "、".join(c.rpartition("!")[2] for c in bad[:5]) + ("、…" if len(bad) > 5 else "")
    return [Finding("I01", "error", fmt.rules["I01"].text("previous_rows", sheet=sheet, n=len(bad), first=first),
                    cells=bad)]


# ------------------------------------------------------------------------------------------------ loading
def light(filing: Filing) -> tuple:
    """A filing as little data (it crosses process boundaries): layout, values, who and which year."""
    return filing.layout, numbers(filing), {"unit": filing.unit or "", "unit_code": filing.unit_code or "",
                                            "year": str(filing.year or "")}


def filing_of(data: tuple) -> Filing:
    layout, values, identity = data
    return Filing.from_values(load_format(layout), values, identity=dict(identity))


def _read_one(path: str) -> tuple[list, list[str]]:
    from .returns import load_previous

    warnings: list[str] = []
    found = load_previous(path, warn=warnings.append, read_workbook=_read_numbers)
    filings = list({id(f): f for f in found.values()}.values())
    return [light(f) for f in filings] + [u for f in filings for u in _breakdown(path, f)], warnings


def _read_numbers(path) -> Filing:
    """A workbook of last year as far as a template needs it: who sent it, its layout and its numbers (the tables
    and the identity sheet, opened once; not the narrative, the results or the checks of a whole reading)."""
    from .xlsx_read import NUMBERS_FIRST, Book, read_tables

    book = Book(Path(path), first=NUMBERS_FIRST)
    fmt, identity, raw, where, findings, _ = read_tables(book)
    filing = Filing(fmt=fmt, identity=identity, raw=raw, where=where, source=str(path), origin="return",
                    findings=findings)
    filing.book = book  # a district summary's breakdown is read from the same book (_breakdown)
    return filing


def _breakdown(path: str, summary: Filing) -> list[tuple]:
    """Each unit of a district summary (collect's 汇总.xlsx): its row of the breakdown sheet — or, for a district
    too big for a sheet, of the breakdown CSV beside the summary, which the sheet names — keyed as the field row
    says: one file of last year for a whole roster."""
    from .summary import BREAKDOWN_CSV
    from .xlsx_read import Book

    if not path.lower().endswith(".xlsx"):
        return []
    book = getattr(summary, "book", None) or Book(Path(path))
    sheet = BREAKDOWN_CSV.rsplit(".", 1)[0]  # the sheet of the breakdown, named like its CSV
    if sheet not in book.sheets:
        return []
    rows = book.rows(sheet)
    units = _unit_rows(rows)
    if not units and any(BREAKDOWN_CSV in str(r[0]) for r in rows[2:] if r):  # "分单位明细另存为 分单位明细.csv"
        beside = Path(path).with_name(BREAKDOWN_CSV)
        if not beside.is_file():
            raise NianbaoError(f"上年汇总表 {Path(path).name} 的分单位明细另存在同一文件夹的 {BREAKDOWN_CSV} 中，"
                               f"但 {beside.parent} 中没有这个文件：请把它与汇总表放在一起，否则各单位没有上年数据")
        rows = _csv_rows(beside)
        units = _unit_rows(rows)
    keys = rows[1][2:] if len(rows) > 1 else []
    # each key's column, and whether a whole float there is a count (an int): worked out once, not per cell
    cols = [(2 + i, k, summary.fmt.cells[k].type != "decimal") for i, k in enumerate(keys) if k in summary.fmt.cells]
    out = []
    for row in units:
        n = len(row)
        values = {k: int(v) if whole and v.__class__ is float and v.is_integer() else v
                  for c, k, whole in cols if c < n for v in (row[c],) if isinstance(v, (int, float))}
        out.append((summary.layout, values, {"unit": row[1], "unit_code": str(row[0] or ""),
                                             "year": str(summary.year or "")}))
    return out


def _unit_rows(rows: list) -> list:
    """The units' rows under the two header rows: not a note under them, nor the total."""
    return [r for r in rows[2:] if len(r) >= 2 and r[1] and isinstance(r[1], str) and r[1] != "合计"]


def _csv_rows(path: Path) -> list[list]:
    """The breakdown CSV (summary.write_breakdown_csv) as the sheet's rows: numbers as numbers, a code or name
    that was neutralised against formula injection ('=…) as written."""
    import csv
    import math

    def number(text: str):
        try:
            return int(text)
        except ValueError:
            try:
                v = float(text)
                return v if math.isfinite(v) else text
            except ValueError:
                return text

    def text(t: str) -> str:
        return t[1:] if t[:2] in ("'=", "'+", "'-", "'@") else t
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return [[text(x) for x in row[:2]] + [number(x) for x in row[2:]] for row in csv.reader(f)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise NianbaoError(f"上年汇总表的分单位明细 {path.name} 无法读取：{e}") from None


class LastYears:
    """Last year's filings under a file or folder (returns, a district summary, published reports — what
    check --previous and collect --previous take), matched to a unit by code, then name. `stamped_first`: a return
    whose template carried its own last year (signed) is checked against that, not against these (the desk)."""

    def __init__(self, by: dict, stamped_first: bool = False):
        self.by = by
        self.stamped_first = stamped_first

    @functools.cached_property
    def all(self) -> list:
        return list({id(v): v for v in self.by.values()}.values())

    @classmethod
    def load(cls, path, warn=None, meanwhile=None) -> "LastYears":
        """`meanwhile()` runs in this process while the files are read in others (a template's base is built)."""
        p = Path(path)
        if not p.exists():
            raise NianbaoError(f"找不到上年数据 {p}")
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        by: dict = {}
        for lights, warnings in _read_all([str(q) for q in files], meanwhile):
            for w in warnings if warn else ():
                warn(w)
            for data in lights:  # files in order: the first one found for a unit is used, as collect does
                identity = data[2]
                for k in (("code", identity["unit_code"].strip()), ("name", _norm(identity["unit"]))):
                    if k[1]:
                        by.setdefault(k, data)
        if not by:
            raise NianbaoError(f"{p} 中没有可用的上年数据（上年的返回表、汇总表或已发布的年度报告）")
        return cls(by)

    def __len__(self) -> int:
        return len(self.all)

    @property
    def years(self) -> set[int]:
        return {int(d[2]["year"]) for d in self.all if d[2]["year"].isdigit()}

    def light(self, code, name, single: bool = False):
        from .returns import match_previous

        found = match_previous(self.by, code, name)
        if found is None and single and len(self.all) == 1:
            return self.all[0]  # one file of last year for one template: used as check --previous uses it
        return found

    def match(self, code, name, single: bool = False) -> Filing | None:
        data = self.light(code, name, single)
        return filing_of(data) if data is not None else None


def _read_all(names: list[str], meanwhile=None):
    """_read_one of each file, in order: in a process pool (or, for one file, a process of its own) while
    `meanwhile()` runs here; should no other process start, it runs after the first file."""
    from .review import Aside, parallel_map

    if meanwhile is None or not names:
        yield from parallel_map(_read_one, names)
        return
    if len(names) == 1:
        reading = Aside(lambda: _read_one(names[0]))
        meanwhile()
        yield reading.result()
        return
    results = parallel_map(_read_one, names)
    yield next(results)  # the pool has all the files now
    meanwhile()
    yield from results


def _norm(name) -> str:
    from .register import norm_name as norm

    return norm(name)
