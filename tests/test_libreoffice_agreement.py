"""The live checks of the workbook agree with the Python checker in a real spreadsheet engine (LibreOffice headless).

Every workbook of the session goes through ONE LibreOffice run that recalculates all formulas on load and saves
.xlsx; the status cell of each table sheet (and the ✓/✗ of 校验结果) is then read from the saved file and compared
with `check(read(original))`. The fillings are random per run (NIANBAO_LO_SEED=<n> repeats a run): valid ones and
invalid ones (one cell off, totals broken, blanks, negatives, decimals, "无", too large), written by
`build_workbook(values=...)` and by openpyxl filling a template the way a person does.

Not compared here, on purpose, because the two sides knowingly differ: a number stored as text (the workbook's status
marks it, the formulas cannot add a text; `nianbao check` reads it with a warning) and a formula typed into an input
cell (`nianbao check` refuses it; no formula that Excel 2010 can evaluate tells a formula from a typed number).
test_roundtrip covers the checker's side of both.
"""
from __future__ import annotations

import io
import os
import random
import re
import tempfile
import zipfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import openpyxl
import pytest

from libreoffice import convert
from nianbao import identity as ident
from nianbao.checks import check
from nianbao.formats import load_format
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import Book, read
from nianbao.xlsx_template import STATUS_BAD, STATUS_OK, build_workbook
from test_roundtrip import fill_by_labels

pytestmark = pytest.mark.libreoffice

SEED = int(os.environ.get("NIANBAO_LO_SEED") or random.SystemRandom().randrange(10**6))
YEAR = {"2021": 2023, "2019": 2020}
STATUS_RE = re.compile("^" + re.escape(STATUS_BAD).replace(re.escape("{n}"), r"(\d+)") + "$")
KEY = bytes(range(32))


@dataclass
class Case:
    name: str
    layout: str
    values: dict
    writer: str = "build"  # build | openpyxl
    numbers_valid: bool = True  # every cell a valid number: then the error COUNT must agree too
    path: Path | None = field(default=None, repr=False)
    converted: Path | None = field(default=None, repr=False)


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


def make_cases(seed: int) -> list[Case]:
    rng = random.Random(seed)
    f21, f19 = load_format("2021"), load_format("2019")
    counts = [k for k, c in f21.cells.items() if c.type == "count"]
    totals = [k for k in counts if k.endswith(".total") or ".total." in k]
    cases: list[Case] = []

    def add(kind, layout, values, writer="build", numbers_valid=True):
        cases.append(Case(f"{len(cases):02d}-{kind}-{layout}-{writer}", layout, values, writer, numbers_valid))

    for _ in range(7):
        add("valid", "2021", _valid(f21, rng))
    for _ in range(3):
        add("valid", "2021", _valid(f21, rng), "openpyxl")
    for _ in range(3):
        add("valid", "2019", _valid(f19, rng))
    add("zeros", "2021", {k: 0 for k in f21.cells})
    add("fee-decimals", "2021", _valid(f21, rng) | {"t2.fees.amount": 0.12345})
    for writer, n in (("build", 10), ("openpyxl", 2)):
        for _ in range(n):
            v = _valid(f21, rng)
            _bump(f21, v, rng)
            add("one-off", "2021", v, writer)
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
    for writer, n in (("build", 3), ("openpyxl", 1)):
        for _ in range(n):
            v = _valid(f21, rng)
            for key in rng.sample(sorted(f21.cells), rng.randint(1, 3)):
                v[key] = None
            add("blank", "2021", v, writer, False)
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
    add("untouched", "2021", {}, numbers_valid=False)
    return cases


CASES = make_cases(SEED)


def _stale(data: bytes) -> bytes:
    """The workbook with every cached status replaced by a wrong text: only a real recalculation shows the truth."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            member = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                member = member.replace(f"<v>{STATUS_OK}</v>".encode(), "<v>STALE</v>".encode())
            z.writestr(info, member)
    return out.getvalue()


@dataclass
class Batch:
    cases: list[Case]
    stale: tuple[Path, Path]
    signed: tuple[Path, Path, dict, dict, dict]  # original, converted, identity, values, narrative


def _build_file(layout: str, identity: dict, values: dict, path: Path) -> None:
    path.write_bytes(build_workbook(load_format(layout), identity, values=values))


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
            jobs.append((c.layout, identity, c.values, c.path))
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
    paths = [c.path for c in CASES] + [stale, signed]
    converted = convert(soffice, paths, root / "out")
    for c, p in zip(CASES, converted):
        c.converted = p
    original_identity = read(signed).identity
    return Batch(CASES, (stale, converted[-2]), (signed, converted[-1], original_identity, values, narrative))


def engine_view(path: Path, fmt) -> tuple[dict[str, object], list[tuple[str, str, str]]]:
    """What the saved file shows (openpyxl, cached results): each table's status cell, and the rows of 校验结果 as
    (rule ids, cells involved, ✓/✗ text)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        status = {t.id: wb[t.sheet][t.status].value for t in fmt.tables.values()}
        rows = wb[fmt.workbook["results"]].iter_rows(min_row=3, values_only=True)
        return status, [(r[0], r[3], r[4]) for r in rows if r and r[0] and r[3]]
    finally:
        wb.close()


def cached_statuses(path: Path, fmt) -> dict[str, object]:
    """The status cells' cached results as our writer stored them (the fast reader: no full workbook load)."""
    book = Book(path)
    return {t.id: book.cells(t.sheet)[t.status].value for t in fmt.tables.values()}


def python_errors(fmt, findings) -> tuple[Counter, Counter, set]:
    """Python's error findings per table: all of them, the cell rules' ones, and the failing equations."""
    per_table, per_table_cells, equations = Counter(), Counter(), set()
    for f in findings:
        if f.severity != "error":
            continue
        assert f.keys, f"an error without cells: {f.rule} {f.message}"
        table = fmt.cells[f.keys[0]].table
        per_table[table] += 1
        if fmt.rules[f.rule].kind == "cell":
            per_table_cells[table] += 1
        else:
            equations.add((f.rule, frozenset(f.cells)))
    return per_table, per_table_cells, equations


def kind(case: Case) -> str:
    return case.name.split("-", 1)[1].rsplit("-", 2)[0]


def test_enough_fillings_of_every_kind():
    kinds = Counter(kind(c) for c in CASES)
    assert len(CASES) - kinds["zeros"] - kinds["untouched"] >= 50  # random ones
    for k in ("valid", "one-off", "total-broken", "blank", "negative", "decimal", "wu"):
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
    findings = check(filing)
    assert not [f for f in findings if f.rule.startswith("S")], [f.message for f in findings]
    errors, cell_errors, failing = python_errors(fmt, findings)
    lo, marks = engine_view(case.converted, fmt)
    where = f"seed {SEED}, case {case.name}: " + "; ".join(f.message for f in findings if f.severity == "error")
    for t in fmt.tables.values():
        status = lo[t.id]
        m = STATUS_RE.match(status or "")
        assert status == STATUS_OK or m, f"{t.sheet} status {status!r}; {where}"
        assert (status == STATUS_OK) == (errors[t.id] == 0), f"{t.sheet}: LibreOffice {status!r}; {where}"
        if case.numbers_valid and m:
            assert int(m.group(1)) == errors[t.id], f"{t.sheet}: LibreOffice {status!r}; {where}"
    # 校验结果: the cell rules' count per table, and ✓/✗ per equation (with valid numbers) match Python too
    seen = Counter()
    for rules, cells, mark in marks:
        sheet, _, refs = cells.partition("!")
        if ":" in refs:  # the cell-rule row of a table: "✗ n 处" counts its bad cells
            table = next(t for t in fmt.tables.values() if t.sheet == sheet)
            n = int(re.search(r"\d+", mark).group()) if mark.startswith("✗") else 0
            assert n == cell_errors[table.id], f"{rules} on {sheet}: LibreOffice {mark!r}; {where}"
            seen["cells"] += 1
        else:
            places = frozenset(f"{sheet}!{r}" for r in refs.split(","))
            if case.numbers_valid:
                assert mark.startswith("✗") == ((rules, places) in failing), f"{rules} {cells}: {mark!r}; {where}"
            seen["equations"] += 1
    assert seen == {"cells": len(fmt.tables), "equations": len(list(fmt.sum_instances()))}
    # what our writer cached (for viewers that never recalculate) is what LibreOffice computes
    if case.writer == "build":
        assert cached_statuses(case.path, fmt) == lo, where
    # the file LibreOffice saved still reads, with the same content
    again = read(case.converted)
    assert again.raw == filing.raw and again.identity == filing.identity, where
    assert [(f.rule, f.severity, f.cells) for f in check(again)] == [(f.rule, f.severity, f.cells) for f in findings]


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
    assert {f: custom.get(f"nianbao_{f}") for f in ident.SIGNED} == {f: identity[f] for f in ident.SIGNED}
