"""A report flattened the way crawlers do, a row's cell texts run together with no separator and an empty cell
vanishing altogether (issue 12, the matrix's flat-nosep path): a number the digits cannot decide is read with a
warning that names its cell — never a wrong number no warning names — and no error the publisher did not make."""
from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.checks import check
from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.importer import import_report
from nianbao.sample_data import random_valid_values
from report_shapes import report_text


def _flat(tmp_path, fmt, values, name="r"):
    p = tmp_path / f"{name}.txt"
    p.write_text(report_text(fmt, values, year=2022 if fmt.layout != "2019" else 2020, sep="",
                             cell=lambda v: "" if v is None else str(v)), encoding="utf-8")
    back = import_report(p)
    named = {k for f in back.findings if f.severity in ("warning", "error") for k in f.keys}
    wrong = {k for k in values if back.values[k] != values[k] or (back.values[k] is None) != (values[k] is None)}
    return back, wrong, named


def _quiet(fmt) -> dict:
    """A valid filing with every count 0 (the identities hold), to set a few cells on."""
    values = random_valid_values(fmt, random.Random(1), scale=20, zero_share=0.5)
    return {k: (0 if fmt.cells[k].type != "decimal" else 0.0) if k.startswith(("t3", "t4")) else v
            for k, v in values.items()}


def test_a_blank_shown_in_one_table_may_hide_in_another(tmp_path):
    """表三 shows that the publisher leaves cells blank ("00000" for seven cells); 表四's 00160160|0116401164|
    000632632 then reads as 160 and 1164 with a blank each, or as 16 and 1164 in other columns without one: both
    keep every identity, so the cells that differ are named in a warning (they were once read silently as the
    reading without blanks)."""
    fmt = load_format("2021")
    values = _quiet(fmt)
    values.update({"t3.carried_over.natural_person": None, "t3.carried_over.commercial": None})
    for block, cells in (("review", (0, 0, 160, None, 160)), ("litigation_direct", (0, 1164, 0, None, 1164)),
                         ("litigation_after_review", (0, 0, 0, 632, 632))):
        values.update(zip((f"t4.{block}.{c}" for c in ("upheld", "corrected", "other", "pending", "total")), cells))
    back, wrong, named = _flat(tmp_path, fmt, values)
    assert wrong <= named
    assert {"t4.review.other", "t4.litigation_direct.corrected"} <= named
    assert not [f for f in check(back) if f.severity == "error"]


def test_a_report_that_prints_every_zero_is_read_without_blanks(tmp_path):
    """Nothing in the report shows a dropped blank (every row, 表三's empty ones too, prints a digit a cell): the
    same 表四 reads as printed, 16 and 1164 in their columns — with a warning that says so, since a blank left out
    would let it read otherwise, and not seeing one elsewhere is no proof."""
    fmt = load_format("2021")
    values = _quiet(fmt)
    for block, cells in (("review", (0, 0, 16, 0, 16)), ("litigation_direct", (0, 0, 1164, 0, 1164)),
                         ("litigation_after_review", (0, 0, 0, 632, 632))):
        values.update(zip((f"t4.{block}.{c}" for c in ("upheld", "corrected", "other", "pending", "total")), cells))
    back, wrong, named = _flat(tmp_path, fmt, values)
    assert not {k for k in wrong if k.startswith(("t3", "t4"))}
    t4 = [f for f in back.findings if f.severity == "warning" and any(k.startswith("t4") for k in f.keys)]
    assert [f.rule for f in t4] == ["IMP-BLANK"] and "未见省略的空白单元格" in t4[0].message


def test_a_2019_row_with_its_blanks_dropped_is_named(tmp_path):
    """2019 表二 has no identities: "规范性文件100" with 新制作 and 新公开 left blank also reads 1 / 0 / 0 — once
    read so silently; in a report that shows blanks elsewhere, it is a warning naming the row's cells."""
    fmt = load_format("2019")
    values = _quiet(fmt)
    values.update({"t2_2019.normative_docs.new_made": None, "t2_2019.normative_docs.new_published": None,
                   "t2_2019.normative_docs.total_published": 100,
                   "t3.carried_over.natural_person": None, "t3.carried_over.commercial": None})
    back, wrong, named = _flat(tmp_path, fmt, values)
    assert wrong <= named
    assert "t2_2019.normative_docs.total_published" in named


def _blank_columns(fmt, values: dict, columns) -> dict:
    """表三 with the given applicant columns empty in every row (no 法人 applicants at all): their cells 0, each
    row's 总计 its sum again — every identity still holds."""
    values = dict(values)
    for k in [k for k in values if k.startswith("t3.") and k.rsplit(".", 1)[1] in columns]:
        values[k] = 0
    for k in [k for k in values if k.startswith("t3.") and k.endswith(".total")]:
        row = k.rsplit(".", 1)[0]
        values[k] = sum(v for c, v in values.items() if c.startswith(row + ".") and c != k)
    return values


_APPLICANTS = [k.rsplit(".", 1)[1] for k in load_format("2021").cells if k.startswith("t3.new.")][1:-1]


# blanks for a share of the zeros as the matrix has them, up to every zero left blank (each number then free to stand
# in any column), and whole 法人 columns left empty
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10 ** 6), st.sampled_from(("2021", "2019", "2021-merged-other")),
       st.sampled_from((0.05, 0.3, 0.9, 1.0)), st.sampled_from((20, 400, 4000)),
       st.sets(st.sampled_from(_APPLICANTS)))
def test_every_number_is_exact_or_named(tmp_path, seed, layout, blanks, scale, empty_columns):
    """Random valid filings, some or all of their zeros left blank, some 法人 columns empty throughout, flattened
    without separators: every cell read is the filing's or named in a warning (a row whose readings no choice
    keeping the identities was found for leaves the cells they disagree on unread, and says so), and the checks
    find no error the filing does not have."""
    fmt = load_format(layout)
    rng = random.Random(seed)
    values = _blank_columns(fmt, random_valid_values(fmt, rng, scale=scale, zero_share=0.5), empty_columns)
    values = {k: (None if v == 0 and rng.random() < blanks else v) for k, v in values.items()}
    back, wrong, named = _flat(tmp_path, fmt, values, f"r{seed}")
    assert wrong <= named, sorted(wrong - named)[:5]
    truth = Filing(fmt=fmt, identity=back.identity, raw=dict(values), narrative=back.narrative, origin="import")
    reference = {(f.rule, tuple(f.keys)) for f in check(truth) if f.severity == "error"}
    assert [f.message for f in check(back) if f.severity == "error" and (f.rule, tuple(f.keys)) not in reference] == []


def test_every_zero_blank_and_the_legal_persons_empty_is_no_error(tmp_path):
    """A publisher who leaves every empty cell blank, with no 法人 applicants at all: each of 表三's numbers may
    stand in any of six columns, far too many choices to search; once the checks then found T3-03 broken in every
    column (an error the publisher did not make). Now no error, and every cell not read as printed is named."""
    fmt = load_format("2021")
    values = _blank_columns(fmt, random_valid_values(fmt, random.Random(14), scale=4000, zero_share=0.5),
                            _APPLICANTS[2:])
    values = {k: None if v == 0 else v for k, v in values.items()}
    back, wrong, named = _flat(tmp_path, fmt, values)
    assert wrong <= named
    assert [f.rule for f in check(back) if f.severity == "error"] == []


def test_a_real_page_that_blanks_whole_columns_reads_as_the_page(tmp_path, shared):
    """shuyang's 表三 leaves the five 法人或其他组织 columns blank in every row ("26 26", "0 0" printed): flattened
    without separators ("2626", "00") nothing in a row says where its numbers stand; the table's own pattern and
    the 自然人 column first read it as the page itself, each such row named in a warning."""
    from test_import_matrix import matrix

    page = shared / "real-reports/shuyang-fgj-2023.html"
    p = tmp_path / "shuyang.txt"
    p.write_text(matrix.flatten_html(page.read_text(encoding="utf-8"), ""), encoding="utf-8")
    want, back = import_report(page).values, import_report(p)
    assert {k for k in want if back.values[k] != want[k] or (back.values[k] is None) != (want[k] is None)} == set()
    named = {k for f in back.findings if f.severity == "warning" for k in f.keys}
    assert "t3.new.natural_person" in named and not [f for f in check(back) if f.severity == "error"]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_the_column_search_keeps_the_truth_and_a_choice_that_holds(data):
    """A small table whose last row and last column are totals, its rows' numbers run together with every zero
    blank (so each row's numbers may stand in several columns): the true reading of every row is kept, the
    choice returned satisfies every identity, and the readings kept are those of some choice that does — the
    same whether a column's sums are kept as the bits of an integer or one by one."""
    import itertools
    from unittest import mock

    from nianbao.formats import RuleInstance, Term
    from nianbao.importer import column_search
    from nianbao.importer.column_search import by_columns
    from nianbao.importer.digit_runs import value
    from nianbao.importer.pruning import BLANKS

    def total(t, parts):
        return RuleInstance(None, t, None, (Term(1, t),), tuple(Term(1, p) for p in parts))

    n_rows, n_cols = data.draw(st.integers(2, 4)), data.draw(st.integers(2, 3))
    grid = [[data.draw(st.sampled_from((0, 0, 1, 2, 3, 12))) for _ in range(n_cols)] for _ in range(n_rows)]
    grid = [r + [sum(r)] for r in grid]
    grid.append([sum(c) for c in zip(*grid)])
    keys = [[f"r{i}.c{j}" for j in range(n_cols + 1)] for i in range(len(grid))]
    inst = [total(k[-1], k[:-1]) for k in keys] + [total(keys[-1][j], [k[j] for k in keys[:-1]])
                                                   for j in range(n_cols + 1)]
    rows, truth = [], []
    for r, k in zip(grid, keys):
        nums = [str(v) for v in r[:-1] if v]
        options = []
        for slots in itertools.combinations(range(n_cols), len(nums)):
            o = [""] * n_cols
            for s, x in zip(slots, nums):
                o[s] = x
            options.append(tuple(o) + (str(r[-1]) if r[-1] else "",))
        rows.append((k, options))
        truth.append(tuple(str(v) if v else "" for v in r))
    found = by_columns(inst, {}, rows, value, BLANKS.steps, BLANKS.every)
    with mock.patch.object(column_search, "CHOICES_LIMIT", 0):  # the sums one by one, not as bits
        assert by_columns(inst, {}, rows, value, BLANKS.steps, BLANKS.every) == found
    assert found is not None and found[0]
    kept, one = found
    for t, options in zip(truth, kept):
        assert t in options
    def holds(choice) -> bool:
        vals = {k: value(x) for (ks, _), o in zip(rows, choice) for k, x in zip(ks, o)}
        return all(sum(vals[t.key] for t in i.lhs) == sum(vals[t.key] for t in i.rhs) for i in inst)

    assert holds(one)
    # a table this small is searched in full: the readings kept are exactly those of some choice that holds
    every = [set() for _ in rows]
    for choice in itertools.product(*(o for _, o in rows)):
        if holds(choice):
            for e, o in zip(every, choice):
                e.add(o)
    assert [set(o) for o in kept] == every


def test_a_number_printed_apart_goes_only_where_its_type_may():
    """2019 采购项目数量 blank, 采购总金额 2.25: "2.25" is no count, so the only reading puts it in the amount."""
    from nianbao.importer.digit_runs import split_search
    from nianbao.importer.tables import tokenize

    tokens = [t for t in tokenize("2.25", 0, 4) if t.kind == "value"]
    found, finished = split_search(tokens, ["t2_2019.procurement.items", "t2_2019.procurement.amount"],
                                   types=["count", "decimal"], blanks=1)
    assert finished and found == [("", "2.25")]
