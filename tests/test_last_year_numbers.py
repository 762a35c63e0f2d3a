"""last_year.numbers — last year's numbers as a template carries them, worked out without a Parsed per cell (it
runs for every unit of a roster, twice) — is exactly Filing.values without its blanks, whatever a cell holds."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.last_year import for_template, light, numbers

FMT = load_format("2021")
KEYS = list(FMT.cells)

content = st.one_of(
    st.none(), st.integers(-5, 10**6), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.sampled_from(["", " 12 ", "1,234", "３", "—", "无", "=SUM(A1)", "1.5", "-3", "abc", "12.0"]),
    st.text(max_size=6))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), content, max_size=40), st.sampled_from(["2021", "2019"]))
def test_numbers_are_the_filings_values_without_blanks(raw, layout):
    fmt = load_format(layout)
    raw = {k: v for k, v in raw.items() if k in fmt.cells}
    filing = Filing(fmt=fmt, raw=raw, identity={"unit": "某局", "unit_code": "U1", "year": "2024"})
    want = {k: v for k, v in filing.values.items() if v is not None}
    got = numbers(filing)
    assert got == want and all(type(got[k]) is type(want[k]) for k in want)
    assert light(filing)[1] == want
    # what a template carries of it: this layout's keys only (a 2019 filing's 2019-only keys dropped)
    carried = for_template(FMT, filing).values
    assert carried == {k: v for k, v in want.items() if k in FMT.cells}
