"""The live checks of the workbook agree with the Python checker in a real spreadsheet engine (LibreOffice headless).

Every workbook of the session goes through ONE LibreOffice run that recalculates all formulas on load and saves
.xlsx; the status cell of each table sheet (and the ✓/✗ of 校验结果) is then read from the saved file and compared
with `check(read(original))`. The fillings are random per run (NIANBAO_LO_SEED=<n> repeats a run): valid ones and
invalid ones (one cell off, totals broken, blanks, negatives, decimals, "无", too large), written by
`build_workbook(values=...)` and by openpyxl filling a template the way a person does. Partly blank fillings are
incomplete, not wrong: the status then reads 待填写 and the count of blanks, in LibreOffice as in `check`.
Templates that carry last year's values (template --previous) are recalculated too: the cross-year checks agree with
`check`, word for word. Which cells the conditional formats colour is asked of LibreOffice as well, through probe
cells holding the formats' formulas (tests/libreoffice.py): a fresh template shows no red anywhere.

Not compared here, on purpose, because the two sides knowingly differ: a number stored as text (the workbook's status
marks it, the formulas cannot add a text; `nianbao check` reads it with a warning) and a formula typed into an input
cell (`nianbao check` refuses it; no formula that Excel 2010 can evaluate tells a formula from a typed number).
test_roundtrip covers the checker's side of both.
"""
from __future__ import annotations

import os
import random
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import openpyxl
import pytest

from helpers import rewrite_sheets
from libreoffice import WARN, add_format_probes, coloured, convert
from nianbao import identity as ident
from nianbao.checks import check
from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.last_year import stamps
from nianbao.live_checks import status_text, statuses
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import Book, read
from nianbao.xlsx_template import build_workbook
from test_roundtrip import fill_by_labels

pytestmark = pytest.mark.libreoffice

SEED = int(os.environ.get("NIANBAO_LO_SEED") or random.SystemRandom().randrange(10**6))
YEAR = {"2021": 2023, "2019": 2020}
STATUS_OK, STATUS_TODO, STATUS_BAD = statuses(load_format("2021"))
WARNED = load_format("2021").workbook["status_warned"].partition("{message}")[0]
KEY = bytes(range(32))


@dataclass
class Case:
    name: str
    layout: str
    values: dict
    writer: str = "build"  # build | openpyxl
    numbers_valid: bool = True  # every filled cell a valid number (the others are wrong ones, counted the same)
    previous: dict | None = None  # last year's values (2021 layout) stamped into the template
    probe: bool = False  # also ask LibreOffice which cells the conditional formats colour
    path: Path | None = field(default=None, repr=False)
    converted: Path | None = field(default=None, repr=False)
    probes: dict | None = field(default=None, repr=False)
    probed: Path | None = field(default=None, repr=False)


def _valid(fmt, rng) -> dict:
    return random_valid_values(fmt, rng, scale=rng.choice([3, 20, 500]), zero_share=rng.choice([0.2, 0.5, 0.8]))


def _bump(fmt, values, rng, keys=None) -> str:
    """+k on one cell, the cell itself still valid."""
    key = rng.choice(sorted(keys or fmt.cells))
    v, cell = values[key], fmt.cells[key]
    k = 0
    while k == 0 or (cell.type != "signed" and v + k < 0):
        k = rng.randint(-5, 5)
    values[key] = v + k
    return key


def _bump_failing(fmt, values, rng, year) -> str:
    """As _bump, on a cell whose change breaks one of its equations (an error naming it), as a probed case needs:
    a cell in no equation, or in a rule that only warns, would leave nothing red to look for."""
    while True:
        v = dict(values)
        key = _bump(fmt, v, rng)
        filing = Filing(fmt=fmt, identity={"unit": "测试区", "year": year}, raw=v)
        if any(f.severity == "error" and key in f.keys for f in check(filing)):
            values.update(v)
            return key


def consistent_previous(fmt, values: dict) -> dict:
    """Last year's values that every cross-year rule accepts for this year's `values` (which it may raise)."""
    prev = random_valid_values(fmt, random.Random(sum(map(hash, map(str, values.values())))))
    for s in stamps(fmt):
        inst = s.inst
        # prev = this year's side minus the other terms of last year's side (one prev term per equation)
        this = sum(t.coef * values[t.key] for t in inst.lhs if not t.prev) - sum(
            t.coef * values[t.key] for t in inst.rhs if not t.prev)
        if this < 0:  # no valid last year fits: this year's checked cell goes up instead
            values[inst.keys[0]] -= this
            this = 0
        prev[s.key] = this
    return prev


def retyped_carried_over(fmt, values: dict, col: str, k: int) -> dict:
    """The department types 上年结转 k higher in one column (and 本年新收 k lower, so 表三 still adds up)."""
    v = dict(values)
    for c in (col, "total"):
        v[f"t3.carried_over.{c}"] += k
        v[f"t3.new.{c}"] -= k
    return v


def repeatable(fmt, values: dict) -> dict:
    """Values that last year could have had too, every rule holding: 上年结转 = 结转下年度 (so 新收 = 总计), and as
    many repealed as issued (so 现行有效 stays) — a return that copies last year's numbers passes every other check."""
    v = dict(values)
    for col in (c.key for c in fmt.tables["t3"].columns):
        v[f"t3.carried_over.{col}"] = v[f"t3.carry_forward.{col}"]
        v[f"t3.new.{col}"] = v[f"t3.total.{col}"]
    for row in ("regulations", "normative_docs"):
        v[f"t2.{row}.repealed"] = v[f"t2.{row}.issued"]
    return v


def make_cases(seed: int) -> list[Case]:
    rng = random.Random(seed)
    f21, f19 = load_format("2021"), load_format("2019")
    counts = [k for k, c in f21.cells.items() if c.type == "count"]
    totals = [k for k in counts if k.endswith(".total") or ".total." in k]
    cases: list[Case] = []

    def add(kind, layout, values, writer="build", numbers_valid=True, previous=None, probe=False):
        cases.append(Case(f"{len(cases):02d}-{kind}-{layout}-{writer}", layout, values, writer, numbers_valid,
                          previous, probe))

    for i in range(7):
        add("valid", "2021", _valid(f21, rng), probe=i == 0)
    for _ in range(3):
        add("valid", "2021", _valid(f21, rng), "openpyxl")
    for _ in range(3):
        add("valid", "2019", _valid(f19, rng))
    add("zeros", "2021", {k: 0 for k in f21.cells})
    add("fee-decimals", "2021", _valid(f21, rng) | {"t2.fees.amount": 0.12345})
    for writer, n in (("build", 10), ("openpyxl", 2)):
        for _ in range(n):
            v = _valid(f21, rng)
            if writer == "openpyxl":  # probed: its red cells are looked at, so the bump must break an equation
                _bump_failing(f21, v, rng, YEAR["2021"])
            else:
                _bump(f21, v, rng)
            add("one-off", "2021", v, writer, probe=writer == "openpyxl")
    for _ in range(2):
        v = _valid(f19, rng)
        _bump(f19, v, rng)
        add("one-off", "2019", v)
    for _ in range(4):
        v = _valid(f21, rng)
        _bump(f21, v, rng, totals)
        add("total-broken", "2021", v)
    for _ in range(2):
        v = _valid(f21, rng)
        for _ in range(rng.randint(2, 6)):
            _bump(f21, v, rng)
        add("several-off", "2021", v)
    for writer, n in (("build", 6), ("openpyxl", 2)):
        for _ in range(n):
            v = _valid(f21, rng)
            for key in rng.sample(sorted(f21.cells), rng.choice([1, 2, 3, 20, 120])):
                v[key] = None
            add("blank", "2021", v, writer)
    for _ in range(2):  # partly blank and something filled that is wrong: red wins over amber
        v = _valid(f21, rng)
        _bump(f21, v, rng)
        for key in rng.sample(sorted(f21.cells), rng.randint(5, 60)):
            v[key] = None
        add("blank-and-off", "2021", v)
    for _ in range(3):
        v = _valid(f21, rng)
        for key in rng.sample(counts, rng.randint(1, 2)):
            v[key] = -rng.randint(1, 9)
        add("negative", "2021", v, numbers_valid=False)
    add("negative-fee", "2021", _valid(f21, rng) | {"t2.fees.amount": -1.5}, numbers_valid=False)
    for writer, n in (("build", 3), ("openpyxl", 1)):
        for _ in range(n):
            v = _valid(f21, rng)
            for key in rng.sample(counts, rng.randint(1, 2)):
                v[key] = v[key] + 0.5
            add("decimal", "2021", v, writer, False)
    for _ in range(2):
        v = _valid(f21, rng)
        v[rng.choice(counts)] = "无"
        add("wu", "2021", v, numbers_valid=False)
    v = _valid(f21, rng)
    v[rng.choice(counts)] = f21.count_limit + 1
    add("too-large", "2021", v, numbers_valid=False)
    v = _valid(f19, rng)
    v[rng.choice([k for k, c in f19.cells.items() if c.type == "signed"])] = 1.5
    add("signed-decimal", "2019", v, numbers_valid=False)
    v = _valid(f21, rng)
    _bump(f21, v, rng)
    v[rng.choice(counts)] = None
    add("off-and-blank", "2021", v, numbers_valid=False)
    add("untouched", "2021", {}, probe=True)
    # last year inside the template: fresh, consistent, and a department retyping one 上年结转
    v = _valid(f21, rng)
    add("prev-fresh", "2021", {}, previous=consistent_previous(f21, v), probe=True)
    for writer in ("build", "openpyxl"):
        v = _valid(f21, rng)
        add("prev-valid", "2021", v, writer, previous=consistent_previous(f21, v), probe=writer == "openpyxl")
    for writer, col in (("openpyxl", "natural_person"), ("build", "commercial"), ("openpyxl", "total")):
        v = _valid(f21, rng)
        prev = consistent_previous(f21, v)
        add("prev-retyped", "2021", retyped_carried_over(f21, v, col, rng.randint(1, 4)), writer, previous=prev,
            probe=writer == "openpyxl")
    # 上年结转 typed in the wrong column, 总计 right (表三 still adds up): Y-01 warns per column, orange, never red
    v, k = {}, 0
    while not k:
        v = _valid(f21, rng)
        prev = consistent_previous(f21, v)
        k = min(3, v["t3.new.natural_person"], v["t3.carried_over.commercial"])
    for key, d in (("carried_over.natural_person", k), ("new.natural_person", -k), ("carried_over.commercial", -k),
                   ("new.commercial", k)):
        v[f"t3.{key}"] += d
    add("prev-moved", "2021", v, "openpyxl", previous=prev, probe=True)
    v = _valid(f21, rng)
    prev = consistent_previous(f21, v)
    prev["t2.normative_docs.in_force"] += 2
    add("prev-in-force", "2021", v, previous=prev)
    v = _valid(f21, rng)
    prev = consistent_previous(f21, v) | {"t3.carry_forward.research": 0}
    add("prev-blank", "2021", v | {"t3.carried_over.total": None, "t3.new.research": None}, previous=prev)
    # Y-03: this year's tables the same as last year's (live in the template, red on 校验结果), or all but one cell,
    # or the same where last year had numbers (its blanks not compared), or all 0 (not a copy)
    for writer in ("build", "openpyxl"):
        v = repeatable(f21, _valid(f21, rng))
        add("prev-same", "2021", v, writer, previous=dict(v), probe=True)
    v = repeatable(f21, _valid(f21, rng))
    other = rng.choice([k for k in counts if not k.startswith(("t3.carry_forward.", "t2."))])
    add("prev-same-but-one", "2021", v, "openpyxl", previous=v | {other: v[other] + 1}, probe=True)
    v = repeatable(f21, _valid(f21, rng))
    gone = rng.sample([k for k in counts if not k.startswith(("t3.carry_forward.", "t2."))], 5)
    add("prev-same-last-blank", "2021", v, previous={k: x for k, x in v.items() if k not in gone})
    add("prev-same-zeros", "2021", {k: 0 for k in f21.cells}, previous={k: 0 for k in f21.cells}, probe=True)
    v = repeatable(f21, _valid(f21, rng))
    add("prev-same-one-blank", "2021", v | {rng.choice(counts): None}, previous=dict(v))
    # last year's tables retyped whole: 上年结转 then fails Y-01 (red) and the status adds Y-03's warning; and cells
    # last year's return did not have left blank (amber, with the warning)
    v = _valid(f21, rng)
    v["t3.carry_forward.total"] += 1 if v["t3.carried_over.total"] == v["t3.carry_forward.total"] else 0
    add("prev-same-and-off", "2021", v, "openpyxl", previous=dict(v), probe=True)
    v = repeatable(f21, _valid(f21, rng))
    gone = rng.sample([k for k in counts if not k.startswith(("t3.carry_forward.", "t2."))], 3)
    add("prev-same-new-blank", "2021", v | {k: None for k in gone},
        previous={k: x for k, x in v.items() if k not in gone})
    return cases


CASES = make_cases(SEED)


def _stale(data: bytes) -> bytes:
    """The workbook with every cached status replaced by a wrong text: only a real recalculation shows the truth."""
    return rewrite_sheets(data, lambda xml: xml.replace(f"<v>{STATUS_OK}</v>", "<v>STALE</v>"))


@dataclass
class Batch:
    cases: list[Case]
    stale: tuple[Path, Path]
    signed: tuple[Path, Path, dict, dict, dict]  # original, converted, identity, values, narrative


def _last_year(layout: str, case: Case) -> Filing | None:
    if case.previous is None:
        return None
    return Filing.from_values(load_format("2021"), case.previous,
                              identity={"unit": "示例区教育局", "year": str(YEAR[layout] - 1)})


def _build_file(layout: str, identity: dict, case: Case, path: Path) -> None:
    values = case.values or None  # no values: the template itself, as issued
    path.write_bytes(build_workbook(load_format(layout), identity, values=values, previous=_last_year(layout, case)))


@pytest.fixture(scope="session")
def lo_batch(soffice):
    # a directory of our own, not pytest's basetemp: a concurrent pytest session may prune old basetemps
    with tempfile.TemporaryDirectory(prefix="nianbao-lo-batch-") as tmp:
        yield _run_batch(soffice, Path(tmp))


def _run_batch(soffice: str, root: Path) -> Batch:
    src = root / "in"
    src.mkdir()
    templates = {}
    jobs = []
    for c in CASES:
        fmt = load_format(c.layout)
        identity = {"unit": "示例区教育局", "unit_code": f"U{c.name[:2]}", "year": YEAR[c.layout]}
        c.path = src / f"{c.name}.xlsx"
        if c.writer == "build":
            jobs.append((c.layout, identity, c, c.path))
        elif c.previous is not None:
            fill_by_labels(build_workbook(fmt, identity, previous=_last_year(c.layout, c)), fmt, c.values, c.path)
        else:
            if c.layout not in templates:
                templates[c.layout] = build_workbook(fmt, identity)
            fill_by_labels(templates[c.layout], fmt, c.values, c.path)
    fmt = load_format("2021")
    stale = src / "guard-stale.xlsx"
    stale.write_bytes(_stale(build_workbook(fmt, {"unit": "示例区教育局", "year": 2023},
                                            values=random_valid_values(fmt, random.Random(SEED)))))
    identity = {"unit": "示例区市场监督管理局（知识产权局）", "unit_code": "11130300MB0000002X", "year": 2023}
    values = random_valid_values(fmt, random.Random(SEED + 1))
    values = values | {k: 0 for k in values if k.startswith("t2.regulations.")} | {"t2.fees.amount": 0.0125}
    narrative = {"overview": "第一段：主动公开。\n第二段：依申请公开。", "problems": "问题：……\n改进：……", "other": "未收取信息处理费。"}
    signed = src / "signed-return.xlsx"
    signed.write_bytes(build_workbook(fmt, identity, values=values, narrative=narrative, key=KEY))
    # building a filled workbook takes ~0.15 s of pure Python: spread them over the CPUs
    with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1), mp_context=get_context("fork")) as pool:
        list(pool.map(_build_file, *zip(*jobs)))
    probed = [c for c in CASES if c.probe]
    sheets = [t.sheet for t in fmt.tables.values()] + [fmt.workbook["results"]]
    for c in probed:
        c.probes = add_format_probes(c.path, src / f"probe-{c.name}.xlsx", sheets)
    paths = [c.path for c in CASES] + [stale, signed] + [src / f"probe-{c.name}.xlsx" for c in probed]
    converted = convert(soffice, paths, root / "out", timeout=600)  # ~90 files on a busy machine
    for c, p in zip(CASES, converted):
        c.converted = p
    for c, p in zip(probed, converted[len(CASES) + 2:]):
        c.probed = p
    converted = converted[:len(CASES) + 2]
    original_identity = read(signed).identity
    return Batch(CASES, (stale, converted[-2]), (signed, converted[-1], original_identity, values, narrative))


def engine_view(path: Path, fmt) -> tuple[dict[str, object], list[tuple[str, str, str]]]:
    """What the saved file shows (openpyxl, cached results): each table's status cell and 校验结果's ("all"), and
    the rows of 校验结果 as (rule ids, what "*" stands for, cells involved, ✓/✗ text)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        status = {t.id: wb[t.sheet][t.status].value for t in fmt.tables.values()}
        status["all"] = wb[fmt.workbook["results"]]["A2"].value
        rows = wb[fmt.workbook["results"]].iter_rows(min_row=4, values_only=True)
        return status, [(r[0], r[2], r[3], r[4]) for r in rows if r and r[0] and r[3]]
    finally:
        wb.close()


def cached_statuses(path: Path, fmt) -> dict[str, object]:
    """The status cells' cached results as our writer stored them (the fast reader: no full workbook load)."""
    book = Book(path)
    out = {t.id: book.cells(t.sheet)[t.status].value for t in fmt.tables.values()}
    out["all"] = book.cells(fmt.workbook["results"])["A2"].value
    return out


def python_view(fmt, filing, findings) -> tuple[dict, Counter, Counter]:
    """What `check` says, per table: the status it implies, the cell rules' errors (C03, the blanks, apart)."""
    errors, blanks, cell_errors = Counter(), Counter(), Counter()
    for f in findings:
        if f.severity != "error":
            continue
        assert f.keys, f"an error without cells: {f.rule} {f.message}"
        table = fmt.cells[f.keys[0]].table
        if f.rule == "C03":
            blanks[table] += len(f.keys)
        else:
            errors[table] += 1
            cell_errors[table] += fmt.rules[f.rule].kind == "cell"
    # Y-03 (the tables copied from last year), checked live with last year: every status says check's warning
    warning = next((f.message for f in findings if f.rule == "Y-03" and f.message == fmt.rules["Y-03"].text("tables")
                    and filing.previous is not None), None)
    status = {t: status_text(fmt, errors[t], blanks[t], warning) for t in fmt.tables}
    status["all"] = status_text(fmt, sum(errors.values()), sum(blanks.values()), warning)
    return status, cell_errors, blanks


def expected_mark(inst, findings, values) -> str:
    """校验结果's result for one equation, from `check`'s findings: ✗ (with the message, for a cross-year one),
    待填 while a cell of it is blank or unusable, ✓."""
    keys = list(dict.fromkeys(inst.keys))
    found = [f for f in findings if f.rule == inst.rule.id and f.keys == keys]
    if found:
        if not inst.uses_previous:
            return "✗"
        return ("✗ " if found[0].severity == "error" else "⚠ ") + found[0].message
    return "待填" if any(values.get(k) is None for k in keys) else "✓"


def kind(case: Case) -> str:
    return case.name.split("-", 1)[1].rsplit("-", 2)[0]


def test_enough_fillings_of_every_kind():
    kinds = Counter(kind(c) for c in CASES)
    assert len(CASES) - kinds["zeros"] - kinds["untouched"] >= 50  # random ones
    for k in ("valid", "one-off", "total-broken", "blank", "blank-and-off", "negative", "decimal", "wu",
              "prev-fresh", "prev-valid", "prev-retyped", "prev-moved", "prev-in-force", "prev-blank", "prev-same",
              "prev-same-but-one", "prev-same-last-blank", "prev-same-zeros", "prev-same-and-off",
              "prev-same-new-blank"):
        assert kinds[k] >= 1, k
    assert sum(c.writer == "openpyxl" for c in CASES) >= 5
    assert sum(not c.numbers_valid for c in CASES) >= 10


def test_libreoffice_recalculated(lo_batch):
    original, converted = lo_batch.stale
    fmt = load_format("2021")
    assert set(cached_statuses(original, fmt).values()) == {"STALE"}
    assert set(engine_view(converted, fmt)[0].values()) == {STATUS_OK}, f"seed {SEED}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_status_cells_agree_with_python(lo_batch, case):
    fmt = load_format(case.layout)
    filing = read(case.path)
    findings = check(filing)  # with last year as the template carried it, when it did
    assert (filing.previous is not None) == (case.previous is not None)
    assert not [f for f in findings if f.rule.startswith("S") or f.rule == "I01"], [f.message for f in findings]
    expected, cell_errors, blanks = python_view(fmt, filing, findings)
    lo, marks = engine_view(case.converted, fmt)
    where = f"seed {SEED}, case {case.name}: " + "; ".join(f.message for f in findings if f.severity == "error")
    assert lo == expected, where
    # 校验结果: the cell rules' count per table, and ✓/✗/待填 per equation match Python too
    by_label = {(i.rule.id, fmt.cells[i.keys[0]].sheet, i.label): i for i in fmt.sum_instances()}
    by_label |= {(s.inst.rule.id, s.sheet, s.inst.label): s.inst for s in stamps(fmt) if filing.previous
                 and filing.previous.values.get(s.key) is not None}
    seen = Counter()
    for rules, label, cells, mark in marks:
        sheet, _, refs = cells.partition("!")
        if ":" in refs:  # the cell-rule row of a table: "✗ n 处" counts its bad cells, "待填 n 格" its blanks
            table = next(t for t in fmt.tables.values() if t.sheet == sheet)
            want = (f"✗ {cell_errors[table.id]} 处" if cell_errors[table.id] else
                    f"待填 {blanks[table.id]} 格" if blanks[table.id] else "✓")
            assert mark == want, f"{rules} on {sheet}: LibreOffice {mark!r}; {where}"
            seen["cells"] += 1
        else:
            inst = by_label[(rules, sheet, label)]
            assert mark == expected_mark(inst, findings, filing.values), f"{rules} {cells}: {mark!r}; {where}"
            seen["equations"] += 1
    assert seen == {"cells": len(fmt.tables), "equations": len(by_label)}
    # what our writer cached (for viewers that never recalculate) is what LibreOffice computes
    if case.writer == "build":
        assert cached_statuses(case.path, fmt) == lo, where
    # the file LibreOffice saved still reads, with the same content
    again = read(case.converted)
    assert again.raw == filing.raw and again.identity == filing.identity, where
    assert [(f.rule, f.severity, f.cells) for f in check(again)] == [(f.rule, f.severity, f.cells) for f in findings]


SIGN = {"error": "✗ ", "warning": "⚠ "}  # as 校验结果 marks its rows


def _probed(kind_name):
    return [c for c in CASES if c.probe and kind(c) == kind_name]


def test_a_fresh_template_shows_no_red_anywhere(lo_batch):
    for case in _probed("untouched") + _probed("prev-fresh"):
        fmt = load_format(case.layout)
        lo, marks = engine_view(case.converted, fmt)
        assert lo["all"] == STATUS_TODO.format(n=len(fmt.cells)), (case.name, lo)
        assert all(v.startswith(STATUS_TODO.partition("{n}")[0]) for v in lo.values()), (case.name, lo)
        assert not [m for *_, m in marks if m.startswith(("✗", "⚠"))], case.name
        assert coloured(case.probed, case.probes) == set(), case.name


def test_a_filled_valid_return_shows_passed_everywhere(lo_batch):
    cases = _probed("valid") + _probed("prev-valid")
    assert cases and any(c.previous for c in cases)
    for case in cases:
        fmt = load_format(case.layout)
        lo, marks = engine_view(case.converted, fmt)
        assert set(lo.values()) == {STATUS_OK}, (case.name, lo)
        assert {m for *_, m in marks} == {"✓"}, case.name
        assert coloured(case.probed, case.probes) == set(), case.name


def test_a_wrong_filling_is_red_in_libreoffice(lo_batch):
    # the probes can see red: one cell off turns the cells of its equations red
    cases = _probed("one-off")
    assert cases
    for case in cases:
        fmt = load_format(case.layout)
        statuses_ = {f"{t.sheet}!{t.status}" for t in fmt.tables.values()}
        red = {c for c in coloured(case.probed, case.probes) if not c.startswith(fmt.workbook["results"])}
        failing = {c for f in check(read(case.path)) if f.severity == "error" for c in f.cells}
        assert failing and failing <= red, case.name  # every cell of a failing equation is red …
        assert red - statuses_ == failing, case.name  # … and nothing else but the status cells
        assert red & statuses_, case.name


def cross_year_line(case, table) -> tuple[str, str]:
    """Where the line under a table's status is ("表三!A33"), and what LibreOffice computed there."""
    row = int(table.status[1:]) + 2
    wb = openpyxl.load_workbook(case.converted, read_only=True, data_only=True)
    try:
        return f"{table.sheet}!A{row}", wb[table.sheet][f"A{row}"].value
    finally:
        wb.close()


def test_retyped_carried_over_is_red_with_checks_own_message(lo_batch):
    cases = _probed("prev-retyped") + [c for c in CASES if kind(c) == "prev-retyped"]
    assert len({c.name for c in cases}) == 3
    for case in {c.name: c for c in cases}.values():
        fmt = load_format(case.layout)
        findings = [f for f in check(read(case.path)) if f.rule == "Y-01"]
        assert findings and {f.severity for f in findings} >= {"error"}, case.name  # 总计 is off in every case
        assert all(f.keys[0].startswith("t3.carried_over.") for f in findings)
        t3 = fmt.tables["t3"]
        where, hint = cross_year_line(case, t3)
        # the words check prints, each after 校验结果's sign; red, as 总计 is an error
        assert hint == "".join(SIGN[f.severity] + f.message + "；" for f in findings), case.name
        if case.probes:
            red, warned = coloured(case.probed, case.probes), coloured(case.probed, case.probes, WARN)
            for f in findings:  # the cell of an error red, of a warning orange
                assert fmt.cells[f.keys[0]].where in (red if f.severity == "error" else warned), (case.name, f)
            assert where in red, case.name


def test_carried_over_in_the_wrong_column_is_an_orange_warning_not_red(lo_batch):
    # 总计 agrees with last year, two columns do not: check warns (no error), and so does the template, live
    cases = [c for c in CASES if kind(c) == "prev-moved"]
    assert cases
    for case in cases:
        fmt = load_format(case.layout)
        t3 = fmt.tables["t3"]
        findings = check(read(case.path))
        y01 = [f for f in findings if f.rule == "Y-01"]
        assert len(y01) == 2 and {f.severity for f in y01} == {"warning"}, case.name
        assert not [f for f in findings if f.severity == "error"], case.name
        where, hint = cross_year_line(case, t3)
        assert hint == "".join(SIGN["warning"] + f.message + "；" for f in y01), case.name
        warned, red = coloured(case.probed, case.probes, WARN), coloured(case.probed, case.probes)
        cells = {where} | {fmt.cells[f.keys[0]].where for f in y01}
        assert cells <= warned and not cells & red, case.name  # the line and the two cells orange, none red
        assert engine_view(case.converted, fmt)[0]["t3"] == STATUS_OK, case.name


def test_libreoffice_saved_return_keeps_identity_and_values(lo_batch):
    original, converted, identity, values, narrative = lo_batch.signed
    filing = read(converted)
    for f in ("unit", "unit_code", "year", "layout", "template_version", "template_id", "generated_at", "office",
              "signature"):
        assert filing.identity[f] == identity[f], f
    assert identity["signature"] and identity["template_id"]
    assert ident.verify(filing.identity, KEY) is None  # the signature still proves who issued it
    assert filing.values == values
    assert filing.narrative == narrative
    assert check(filing, narrative=False) == []  # the numbers; the short test narrative may draw S04–S06 warnings
    assert not [f for f in check(filing) if f.severity == "error"]
    # both stamps survive: the very hidden sheet (read above) and the custom document properties
    custom = Book(converted).custom
    # (last year's values, too long for a document property, are on the hidden sheet only)
    fields = [f for f in ident.SIGNED if f != "previous"]
    assert {f: custom.get(f"nianbao_{f}") for f in fields} == {f: identity[f] for f in fields}


def test_tables_copied_from_last_year_are_a_warning_exactly_when_check_says_y03(lo_batch):
    # Y-03 is live in a template that carries last year: 校验结果's Y-03 row and every table sheet's status show
    # check's own warning, orange (a warning: never the red of an error), exactly when `check` reports the tables
    # copied; ✓ otherwise (the statuses' words are compared with check's in test_status_cells_agree_with_python)
    cases = [c for c in CASES if c.previous is not None]
    fmt = load_format("2021")
    rule = fmt.rules["Y-03"]
    said = {}
    for case in cases:
        found = [f for f in check(read(case.path)) if f.rule == "Y-03"]
        want = "⚠ " + found[0].message if found else "✓"
        assert not found or found[0].message == rule.text("tables")
        wb = openpyxl.load_workbook(case.converted, read_only=True, data_only=True)
        try:
            n, row = next((n, r) for n, r in enumerate(wb[fmt.workbook["results"]].iter_rows(min_row=4, values_only=True),
                                                       start=4) if r and r[0] == "Y-03")
            shown, where = row[4], f"{fmt.workbook['results']}!E{n}"
        finally:
            wb.close()
        assert shown == want, (case.name, shown, want)
        said[kind(case)] = said.get(kind(case), set()) | {bool(found)}
        if case.probes:
            warned, red = coloured(case.probed, case.probes, WARN), coloured(case.probed, case.probes)
            assert (where in warned) == bool(found) and where not in red, case.name
            # each status cell: orange when the warning is all it says, red when it says an error (and the warning)
            lo = engine_view(case.converted, fmt)[0]
            cells = {t.id: f"{t.sheet}!{t.status}" for t in fmt.tables.values()} | {
                "all": f"{fmt.workbook['results']}!A2"}
            for t, cell in cells.items():
                assert (cell in red) == lo[t].startswith(STATUS_BAD.partition("{n}")[0]), (case.name, lo[t])
                assert (cell in warned) == (bool(found) and lo[t].startswith(WARNED)), (case.name, lo[t])
                assert (rule.text("tables") in lo[t]) == bool(found), (case.name, lo[t])
    assert said["prev-same"] == {True} and said["prev-same-last-blank"] == {True}
    assert said["prev-same-and-off"] == said["prev-same-new-blank"] == {True}
    assert said["prev-same-but-one"] == said["prev-same-zeros"] == said["prev-same-one-blank"] == {False}
    assert said["prev-valid"] == {False}
