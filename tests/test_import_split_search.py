"""The search for the readings of digits run together (a page flattened the way crawlers do: a row's cell texts
joined with no separator, an empty cell vanishing altogether): every reading that satisfies the row's identities is
listed, the true one among them; a budget of steps bounds the search and says when it ran out; and a whole report
flattened that way imports with every wrong number named and no error the publisher did not make."""
from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.checks import check
from nianbao.formats import load_format
from nianbao.importer import import_report
from nianbao.importer.digit_runs import arrangements, split_search, value
from nianbao.importer.short_rows import coefficients
from nianbao.importer.tables import tokenize
from nianbao.sample_data import random_valid_values
from report_shapes import report_text

_ROW = [f"t3.granted.{c}" for c in ("natural_person", "commercial", "research", "social_welfare", "legal_service",
                                    "other_org", "total")]
_T4 = [f"t4.{g}.{c}" for g in ("review", "litigation_direct", "litigation_after_review")
       for c in ("upheld", "corrected", "other", "pending", "total")]


def _run(cells: list) -> list:
    text = "".join("" if c is None else str(c) for c in cells)
    return [t for t in tokenize(text, 0, len(text)) if t.kind == "value"]


def _instances(keys):
    return [i for i in load_format("2021").sum_instances(previous=False) if set(i.keys) <= set(keys)]


def _listed(found) -> set:
    """Every reading the listed ones stand for: each stretch of zeros listed once, its blanks in any of its cells."""
    return {a for r in found for a in arrangements(r, limit=10 ** 4)[1]}


def _holds(keys, reading) -> bool:
    v = {k: int(p) if p else 0 for k, p in zip(keys, reading)}
    return all(sum(t.coef * v[t.key] for t in i.lhs) == sum(t.coef * v[t.key] for t in i.rhs)
               for i in _instances(keys))


_cell = st.one_of(st.none(), st.integers(0, 3000), st.integers(0, 9))


@settings(max_examples=150, deadline=None)
@given(st.lists(_cell, min_size=6, max_size=6))
def test_a_row_run_together_lists_its_true_reading_blanks_included(parts):
    row = parts + [sum(p or 0 for p in parts)]
    tokens = _run(row)
    found, finished = split_search(tokens, _ROW, _instances(_ROW), blanks=len(_ROW) - 1)
    assert finished
    assert tuple("" if c is None else str(c) for c in row) in _listed(found)
    digits = "".join(t.number for t in tokens)
    for r in found:
        assert "".join(r) == digits and _holds(_ROW, r)
        assert all(p == "0" or not p.startswith("0") for p in r)  # no leading zeros
    assert len({tuple(value(p) for p in r) for r in found}) == len(found)  # readings equal in every number: once


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_cell, min_size=4, max_size=4), min_size=3, max_size=3))
def test_table_four_in_one_run_lists_its_true_reading(groups):
    row = [c for g in groups for c in g + [sum(x or 0 for x in g)]]
    found, finished = split_search(_run(row), _T4, _instances(_T4), blanks=len(_T4) - 1)
    if finished:  # fifteen cells in one run: the budget may run out, and says so
        assert tuple("" if c is None else str(c) for c in row) in _listed(found)
    assert all(_holds(_T4, r) for r in found)
    assert len({tuple(value(p) for p in r) for r in found}) == len(found)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 99)), min_size=4, max_size=4), min_size=3, max_size=3),
       st.integers(0, 14))
def test_table_four_read_block_by_block_lists_what_one_search_does(groups, blanks):
    """表四's fifteen cells are read block by block (each block's digits bounded on their own): the same readings
    as one search over the whole row."""
    from nianbao.importer.digit_runs import _search

    row = [c for g in groups for c in g + [sum(x or 0 for x in g)]]
    tokens = _run(row)
    found, finished = split_search(tokens, _T4, _instances(_T4), blanks=blanks, limit=10 ** 6)
    eqs = tuple(map(tuple, coefficients(_instances(_T4), _T4)))
    whole, done = _search(tuple((t.number, t.splittable) for t in tokens), eqs, ("count",) * 15, 10 ** 6, blanks, 9)
    assert finished and done
    assert sorted(found) == sorted(whole)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 999), min_size=6, max_size=6), st.integers(1, 400))
def test_the_budget_bounds_the_search_and_says_when_it_ran_out(parts, limit):
    row = parts + [sum(parts)]
    found, finished = split_search(_run(row), _ROW, _instances(_ROW), limit=limit, blanks=6)
    full, done = split_search(_run(row), _ROW, _instances(_ROW), blanks=6)
    assert done
    assert set(found) <= set(full)  # what a cut-short search lists is right, only maybe not all
    if finished:
        assert sorted(found) == sorted(full)


# reports printed without blanks; with blank cells dropped: tests/test_import_flat_nosep.py
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10 ** 6), st.sampled_from((0.0,)))
def test_a_report_flattened_without_separators_names_every_doubtful_number(tmp_path, seed, blanks):
    fmt = load_format("2021")
    rng = random.Random(seed)
    values = random_valid_values(fmt, rng, scale=40, zero_share=0.5)
    values = {k: (None if v == 0 and rng.random() < blanks else v) for k, v in values.items()}
    p = tmp_path / f"r{seed}.txt"
    p.write_text(report_text(fmt, values, sep="", cell=lambda v: "" if v is None else str(v)), encoding="utf-8")
    back = import_report(p)
    named = {k for f in back.findings if f.severity in ("warning", "error") for k in f.keys}
    wrong = {k for k in values if back.values[k] != values[k] or (back.values[k] is None) != (values[k] is None)}
    assert wrong <= named
    assert [f.message for f in check(back) if f.severity == "error"] == []


def test_a_row_with_one_number_printed_apart_still_lists_its_readings():
    """"1705 3 1708" (a crawler that kept a space here and there, the 3 a number of its own): the readings are
    listed as for "170531708" — the search once lost every one of them (casting out nines forgot the digits before
    a number printed apart) and the row was left unread."""
    toks = [t for t in tokenize("1705 3 1708", 0, 11) if t.kind == "value"]
    found, finished = split_search(toks, _ROW, _instances(_ROW), blanks=6)
    assert finished and ("", "", "", "", "1705", "3", "1708") in found
    assert ("1705", "", "", "", "", "3", "1708") in found and all(_holds(_ROW, r) for r in found)


_piece = st.one_of(st.none(), st.integers(0, 9), st.integers(0, 400), st.integers(0, 60000))


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 7), st.lists(_piece, min_size=6, max_size=6), st.integers(0, 7), st.sampled_from((9, 4)),
       st.lists(st.booleans(), min_size=7, max_size=7), st.booleans(), st.booleans())
def test_a_row_of_parts_and_their_total_reads_as_the_general_search_reads(n, parts, blanks, widest, apart, off,
                                                                           flip):
    """表三's rows and 表四's blocks (the last cell the sum of the others) are read by a quicker search of their
    own: it lists exactly the readings the general search lists, with numbers printed apart here and there, blanks,
    rows whose printed total disagrees, and the identity written either way round."""
    from nianbao.importer import digit_runs

    row = parts[:n - 1] + [sum(p or 0 for p in parts[:n - 1]) + (7 if off else 0)]
    printed = ["" if c is None else str(c) for c in row]
    tokens, run = [], ""
    for cell, cut in zip(printed, apart):  # a cell printed apart closes the run before it
        if cell and cut and run:
            tokens.append(run)
            run = ""
        run += cell
    tokens = tuple((t, len(t) > 1) for t in tokens + [run] if t)
    if not tokens:
        return
    eqs = ((1,) * (n - 1) + (-1,),) if flip else ((-1,) * (n - 1) + (1,),)
    types = ("count",) * n
    digit_runs.forget()
    quick = digit_runs._search(tokens, eqs, types, 10 ** 6, blanks, widest)
    digit_runs.forget()
    saved = digit_runs._every_reading
    try:
        digit_runs._every_reading = lambda *a: None
        general = digit_runs._search(tokens, eqs, types, 10 ** 6, blanks, widest)
    finally:
        digit_runs._every_reading = saved
        digit_runs.forget()
    assert quick[1] and general[1]
    assert sorted(quick[0]) == sorted(general[0])
