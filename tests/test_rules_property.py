"""Property tests of the Python checker: valid tables pass, and a change to one cell fails exactly the equations that
contain that cell — no more (a rule that fires on untouched cells) and no fewer (a rule that misses a change)."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.checks import check
from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.sample_data import random_valid_values

LAYOUTS = ["2021", "2019"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def filing(fmt, values) -> Filing:
    return Filing.from_values(fmt, values, identity={"unit": "示例市教育局", "year": fmt.first_year})


@pytest.mark.parametrize("layout", LAYOUTS)
@SETTINGS
@given(seed=seeds, zero_share=st.sampled_from([0.0, 0.5, 0.9]))
def test_random_valid_tables_pass(layout, seed, zero_share):
    fmt = load_format(layout)
    values = random_valid_values(fmt, random.Random(seed), zero_share=zero_share)
    assert set(values) == set(fmt.cells)
    findings = check(filing(fmt, values))
    assert findings == [], [f.message for f in findings]


@pytest.mark.parametrize("layout", LAYOUTS)
@SETTINGS
@given(seed=seeds, data=st.data())
def test_one_cell_changed_fails_exactly_the_equations_containing_it(layout, seed, data):
    fmt = load_format(layout)
    values = random_valid_values(fmt, random.Random(seed))
    key = data.draw(st.sampled_from(sorted(fmt.cells)), label="key")
    cell = fmt.cells[key]
    v = values[key]
    # +k that keeps the cell itself valid, so only the identities can object
    low = -30 if cell.type == "signed" else -int(v)
    k = data.draw(st.integers(min_value=low, max_value=30).filter(lambda x: x != 0), label="k")
    values[key] = v + k

    expected = {(inst.rule.id, tuple(dict.fromkeys(inst.keys)))
                for inst in fmt.sum_instances() if key in inst.keys and inst.severity == "error"}
    findings = check(filing(fmt, values))
    errors = [f for f in findings if f.severity == "error"]
    assert {(f.rule, tuple(f.keys)) for f in errors} == expected
    assert len(errors) == len(expected)  # one finding per broken equation
    for f in errors:
        # the finding points at the changed cell, and its numbers differ by exactly k
        assert cell.where in f.cells
        assert abs(abs(f.actual - f.expected) - abs(k)) < 1e-9
    if cell.type != "decimal":
        assert [f for f in findings if f.severity != "error"] == []


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_cell_of_an_identity_is_reachable(layout):
    # guards the property above against a vacuous pass: most cells sit in some equation
    fmt = load_format(layout)
    in_rules = {k for inst in fmt.sum_instances() for k in inst.keys}
    t3_t4 = {k for k, c in fmt.cells.items() if c.table in ("t3", "t4")}
    assert t3_t4 <= in_rules
    # every 表三 cell is in its row's T3-02 and its column's T3-01 or T3-03 — the （七）总计 row in both
    for k in (k for k in t3_t4 if k.startswith("t3.")):
        n = sum(1 for inst in fmt.sum_instances() if k in inst.keys)
        assert n in (2, 3), (k, n)


@pytest.mark.parametrize("layout", LAYOUTS)
@SETTINGS
@given(seed=seeds, data=st.data())
def test_a_blank_cell_is_c03_and_nothing_else(layout, seed, data):
    fmt = load_format(layout)
    values = random_valid_values(fmt, random.Random(seed))
    key = data.draw(st.sampled_from(sorted(fmt.cells)), label="key")
    values[key] = data.draw(st.sampled_from([None, ""]))
    findings = check(filing(fmt, values))
    assert [(f.rule, f.severity, f.keys) for f in findings] == [("C03", "error", [key])]


@SETTINGS
@given(seed=seeds, fee=st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False))
def test_any_non_negative_fee_is_at_most_a_warning(seed, fee):
    # 本年收费金额 is the one decimal: 0.00001 (repr '1e-05') or 5e-324 must be read, never crash the checker
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(seed)) | {"t2.fees.amount": fee}
    findings = check(filing(fmt, values))
    assert all((f.rule, f.severity, f.keys) == ("C02", "warning", ["t2.fees.amount"]) for f in findings)
    if round(fee, 4) == fee and fee < 10000:  # at most 4 decimals (1 元), in 万元: nothing to say
        assert findings == []
    else:
        assert len(findings) == 1
