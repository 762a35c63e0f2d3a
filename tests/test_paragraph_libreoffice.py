"""The live numbers paragraph on the template's 正文 sheet equals Python's draft_numbers, character for character, in a
real spreadsheet engine (LibreOffice headless, every formula recalculated on load).

Random fillings of both layouts (NIANBAO_LO_SEED=<n> repeats a run), with and without last year stamped into the
template (same layout, or a 2019 last year under a 2021 template), all zeros, blanks and invalid cells, amounts with
many decimals, and the untouched template. The cached results our writer stores are replaced by "STALE" before
LibreOffice opens the files, so only a real recalculation can give the paragraph; all files go through ONE run.
Not compared, on purpose: a number typed as text (the formulas cannot read it; `check` reads it with a warning).
"""
from __future__ import annotations

import os
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from libreoffice import convert
from nianbao.filing import Filing
from nianbao.formats import load_format, parse_range
from nianbao.paragraph import draft_numbers
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import read
from nianbao.xlsx_template import build_workbook

from helpers import rewrite_sheets

pytestmark = pytest.mark.libreoffice

SEED = int(os.environ.get("NIANBAO_LO_SEED") or random.SystemRandom().randrange(10**6))
YEAR = {"2021": 2023, "2019": 2020}
_CACHED_TEXT = re.compile(r'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")? t="str"><f>[^<]*</f>)<v>[^<]*</v>')


@dataclass
class Case:
    name: str
    layout: str
    values: dict | None
    previous: tuple[str, dict] | None  # (last year's layout, its values)


def _random(fmt, rng) -> dict:
    return random_valid_values(fmt, rng, scale=rng.choice([3, 20, 500]), zero_share=rng.choice([0.2, 0.5, 0.9]))


def make_cases(seed: int) -> list[Case]:
    rng = random.Random(seed)
    f21, f19 = load_format("2021"), load_format("2019")
    counts = [k for k, c in f21.cells.items() if c.type == "count"]
    cases: list[Case] = []

    def add(kind, layout, values, previous=None):
        cases.append(Case(f"{len(cases):02d}-{kind}-{layout}", layout, values, previous))

    for i in range(30):
        last = [None, ("2021", _random(f21, rng)), ("2019", _random(f19, rng))][i % 3]
        add("valid", "2021", _random(f21, rng), last)
    for i in range(10):
        add("valid", "2019", _random(f19, rng), ("2019", _random(f19, rng)) if i % 2 else None)
    for _ in range(4):  # this year or last year nothing, or the same as last year
        v = _random(f21, rng)
        add("same-as-last", "2021", v, ("2021", dict(v)))
        add("from-zero", "2021", v, ("2021", {k: 0 for k in f21.cells}))
    zeros = {k: 0 for k in f21.cells}
    add("zeros", "2021", zeros)
    add("zeros-after-some", "2021", zeros, ("2021", _random(f21, rng)))
    for _ in range(4):
        v = _random(f21, rng)
        for key in rng.sample(sorted(f21.cells), rng.randint(1, 12)):
            v[key] = None
        add("blank", "2021", v, ("2021", _random(f21, rng)))
    for bad in (-3, 2.5, "无"):
        v = _random(f21, rng)
        for key in rng.sample(counts, 3) + ["t3.new.total"]:
            v[key] = bad
        add("invalid", "2021", v, ("2021", _random(f21, rng)))
    for fee, last in ((0.12345, 0.5), (12.0, 12), (1234.5678, 0), (0.0001, 0.0003), (-1.5, 2)):
        last_year = _random(f21, rng) | {"t2.fees.amount": last}
        add("fee", "2021", _random(f21, rng) | {"t2.fees.amount": fee}, ("2021", last_year))
    add("untouched", "2021", None)
    return cases


CASES = make_cases(SEED)


def _stale(data: bytes) -> bytes:
    """Every cached text result of a formula replaced: only a real recalculation shows the paragraph."""
    return rewrite_sheets(data, lambda xml: _CACHED_TEXT.sub(r"\1<v>STALE</v>", xml))


def _previous(case: Case) -> Filing | None:
    if case.previous is None:
        return None
    layout, values = case.previous
    return Filing.from_values(load_format(layout), values, identity={"unit": "示例区教育局", "unit_code": "U01",
                                                                     "year": str(YEAR[layout] - 1)})


@pytest.fixture(scope="module")
def converted(soffice):
    with tempfile.TemporaryDirectory(prefix="nianbao-lo-paragraph-") as tmp:
        root = Path(tmp)
        (root / "orig").mkdir()
        (root / "stale").mkdir()
        for c in CASES:
            data = build_workbook(load_format(c.layout), {"unit": "示例区教育局", "unit_code": "U01",
                                                          "year": YEAR[c.layout]}, values=c.values, previous=_previous(c))
            (root / "orig" / f"{c.name}.xlsx").write_bytes(data)
            (root / "stale" / f"{c.name}.xlsx").write_bytes(_stale(data))
        out = convert(soffice, [root / "stale" / f"{c.name}.xlsx" for c in CASES], root / "out")
        yield {c.name: (root / "orig" / f"{c.name}.xlsx", p) for c, p in zip(CASES, out)}


def _shown(path: Path, fmt) -> str:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        r1, c1, _, _ = parse_range(fmt.paragraph.at)
        return wb[fmt.workbook["narrative"]].cell(r1 + 1, c1 + 1).value
    finally:
        wb.close()


def test_enough_random_fillings():
    assert sum(c.name.split("-")[1] in ("valid", "blank", "invalid", "fee") for c in CASES) >= 50
    assert sum(c.previous is not None for c in CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_live_paragraph_equals_python(converted, case):
    fmt = load_format(case.layout)
    original, recalculated = converted[case.name]
    filing = read(original)
    previous = filing.previous.values if filing.previous is not None else None
    assert (previous is None) == (case.previous is None)
    expected = draft_numbers(fmt, filing.values, previous)
    where = f"seed {SEED}, case {case.name}"
    assert _shown(recalculated, fmt) == expected, where
    assert _shown(original, fmt) == expected, where  # what our writer cached, for viewers that never recalculate
    if case.previous is not None and case.name.split("-", 1)[1].rsplit("-", 1)[0] in ("valid", "same-as-last",
                                                                                  "from-zero"):
        assert "上年" in expected, where  # the change clause is there
