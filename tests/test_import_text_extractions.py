"""Text extractions of a published PDF or docx (issue 12): blank cells vanish from the text. The identities narrow
which cells were blank (importer.pruning), exactly and without building every sum; `pdftotext -layout` keeps the
columns' positions, found from every row laid out when too few rows are complete (importer.short_rows)."""
from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.importer import pruning, short_rows
from nianbao.importer.tables import tokenize


@settings(max_examples=300, deadline=None)
@given(st.integers(-20, 20), st.lists(st.lists(st.integers(-9, 9), min_size=1, max_size=4), min_size=1, max_size=5))
def test_an_identity_keeps_exactly_the_amounts_some_choice_completes(const, amounts):
    """One identity over a few doubtful rows (each adds one of a few amounts): the amounts kept for each row are
    those some choice of the others brings to zero, as trying every choice finds; none left is UNSAT."""
    kept = [set() for _ in amounts]
    for combo in itertools.product(*amounts):
        if const + sum(combo) == 0:
            for k, x in zip(kept, combo):
                k.add(x)
    got = pruning._supported(const, amounts)
    assert got == (pruning.UNSAT if not any(kept) else kept)


def _laid_out(rows: list[list[str]], width: int, align: str) -> str:
    """Rows of a table as `pdftotext -layout` prints them: a label, then each cell in its column (an empty cell as
    spaces), the numbers centred or right-aligned; between the rows, a row label's second line without digits."""
    lines = []
    for i, cells in enumerate(rows):
        line = f"{'（' + '一二三四五六七八'[i] + '）某项申请':<12}"
        for v in cells:
            line += v.center(width) if align == "centre" else v.rjust(width)
        lines += [line.rstrip(), "    另行制作"]
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_columns_from_rows_with_blanks_decide_which_cells_are_blank(data):
    """A table laid out by `pdftotext -layout` where at most two rows are complete (too few to take the columns
    from) and no header stands above the rows: every row's numbers, complete or not, show where the columns are,
    and each row's blank cells are read from where its numbers stand."""
    n = data.draw(st.integers(3, 7))
    width = data.draw(st.integers(7, 10))
    align = data.draw(st.sampled_from(["centre", "right"]))
    rows, blanks = [], []
    for _ in range(data.draw(st.integers(3, 8))):
        values = [str(data.draw(st.integers(0, 10 ** data.draw(st.integers(1, 5)) - 1))) for _ in range(n)]
        blank = set(data.draw(st.lists(st.integers(0, n - 1), max_size=n - 1, unique=True)))
        rows.append(["" if j in blank else v for j, v in enumerate(values)])
        blanks.append(blank)
    if sum(not b for b in blanks) > 2 or any(all(r[j] == "" for r in rows) for j in range(n)):
        return  # enough complete rows for the columns, or a column blank in every row: nothing to find
    if len({len(b) for b in blanks}) == 1:
        # every row prints as many numbers: read as the same columns left blank in every row, which the numbers
        # cannot place (test_layout_text_whose_rows_all_leave_the_same_columns_blank_is_never_placed_silently)
        return
    text = _laid_out(rows, width, align)
    tokens = [t for t in tokenize(text, 0, len(text)) if t.kind == "value"]
    line_of = [text.count("\n", 0, t.pos) for t in tokens]
    keys = [f"k{j}" for j in range(n)]
    printed = [[t for t, ln in zip(tokens, line_of) if ln == 2 * i] for i in range(len(rows))]
    reference = short_rows.reference_columns(text, [(keys, vals) for vals in printed])
    assert n in reference
    for cells, vals in zip(rows, printed):
        if len(vals) == n:
            continue
        options = short_rows.placements(vals, keys, [], ["count"] * n)
        got = short_rows.by_position(text, vals, options, reference)
        if got is None:  # a blank beside a 0 on a line of few numbers: placed only by a clear lead, else warned
            assert len(vals) <= short_rows.SWAP_FEW and "0" in cells, (cells, text)
        else:
            assert got == tuple(cells)


def test_rows_out_of_step_with_the_others_give_no_columns():
    """Numbers that do not fall into the table's columns (one row laid out apart from the rest) give no columns:
    the rows stay for the identities and the header to decide."""
    text = ("一、某项     10     20     30\n"
            "二、某项        10     20\n"
            "三、某项   10  20   30    40\n")
    tokens = [t for t in tokenize(text, 0, len(text)) if t.kind == "value"]
    keys = ["a", "b", "c", "d"]
    rows = [(keys, [t for t in tokens if text.count("\n", 0, t.pos) == i]) for i in range(3)]
    assert short_rows.clustered_columns(text, [v for _, v in rows], 4) is None


@pytest.mark.slow
@pytest.mark.libreoffice
def test_layout_text_of_a_table_with_few_complete_rows_reads_exactly(tmp_path, soffice):
    """A filing whose 表三 has blank cells in nearly every row, rendered by `report`, printed to PDF by LibreOffice
    and taken through `pdftotext -layout`: every cell exact, blank where the filing is blank."""
    from test_import_matrix import matrix

    from nianbao.formats import load_format
    from nianbao.sample_data import random_valid_values

    fmt = load_format("2021")
    rows = {k.rsplit(".", 1)[0] for k in fmt.cells if k.startswith("t3.")}
    for seed in itertools.count():  # the first seeded filing with at most two complete rows in 表三
        rng = random.Random(seed)
        values = random_valid_values(fmt, rng, scale=2000, zero_share=0.8)
        for key, v in values.items():
            if v == 0 and key.startswith("t3.") and rng.random() < 0.5:
                values[key] = None
        if sum(all(values[k] is not None for k in fmt.cells if k.startswith(r + ".")) for r in rows) <= 2:
            break
    case = matrix.Case("few", "2021", "测试市人民政府", 2024, values)
    graded, _ = matrix.run([case], [p for p in matrix.PATHS if p.name == "pdftotext-layout"], tmp_path)
    (g,) = graded
    assert g.refused is None and g.wrong == {} and g.false_errors == [], (dict(list(g.wrong.items())[:5]),)


def _a_cell_a_line(md: str) -> str:
    """A page's text taken a cell a line (BeautifulSoup's get_text("\\n"), PyMuPDF): every non-empty cell of a
    table on a line of its own, an empty cell left out; the empty lines between paragraphs kept."""
    out = []
    for line in md.split("\n"):
        s = line.strip()
        if s.startswith("|"):
            if not set(s) <= set("|-: "):
                out += [c.strip() for c in s.strip("|").split("|") if c.strip()]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def test_a_paragraph_gap_after_a_table_taken_a_cell_a_line_is_no_blank_cell(tmp_path):
    """Random valid filings with blank cells in 表四 (and elsewhere), their text a cell a line with the empty cells
    left out: the empty line after 表四's last number ends a paragraph; it is not read as its 总计 left blank (which
    moved every number of the row one column on, into errors the filing does not have). Every cell is exact or
    named in a warning, and no error is reported that the filing does not have."""
    from test_import_matrix import matrix

    from nianbao.checks import check
    from nianbao.importer import import_report
    from nianbao.report import render

    cases = [c for c in matrix.make_cases(60, 5) if c.layout == "2021"
             and sum(k.startswith("t4.") and v in (0, None) for k, v in c.values.items()) >= 2][:6]
    assert len(cases) == 6
    for i, c in enumerate(cases):
        t4 = [k for k in c.values if k.startswith("t4.") and c.values[k] in (0, None)]
        for k in t4[:1 + i % 2]:  # one blank cell, or two (the row then looked a cell short: read as not filled)
            c.values[k] = None
        f = tmp_path / f"{c.name}.txt"
        f.write_text(_a_cell_a_line(render(matrix.filing_of(c), fmt="md")), encoding="utf-8")
        back = import_report(f)
        reference = {(x.rule, tuple(x.keys)) for x in check(matrix.filing_of(c)) if x.severity == "error"}
        assert [x.message for x in check(back) if x.severity == "error"
                and (x.rule, tuple(x.keys)) not in reference] == [], c.name
        assert [x.message for x in back.findings if x.severity == "error"] == [], c.name  # IMP-ROW: a row lost
        named = {k for x in back.findings if x.severity == "warning" for k in x.keys}
        assert [k for k, v in c.values.items() if back.values[k] != v and k not in named] == [], c.name


def test_empty_lines_are_cells_only_where_the_text_keeps_them_between_numbers():
    """LibreOffice's text of a Word table keeps an empty cell as an empty line between numbers; a text that leaves
    empty cells out has empty lines only after a paragraph."""
    from nianbao.importer.cell_lines import keeps_empty_cells, one_cell_a_line

    kept = ["（一）予以公开", "0", "", "18", "3", "", "总计", "7", ""]
    assert keeps_empty_cells(kept)
    assert one_cell_a_line(kept)[:3] == ["（一）予以公开", "", "\t0"]
    left_out = ["（一）予以公开", "0", "18", "3", "", "五、存在的主要问题及改进情况"]
    assert not keeps_empty_cells(left_out)
    assert one_cell_a_line(left_out) == left_out


@pytest.mark.slow
@pytest.mark.libreoffice
def test_a_label_with_quotes_in_a_cell_of_a_pdf_stays_one_label(tmp_path, soffice):
    """LibreOffice's PDF sets CJK text in a Type 1 font whose glyph boxes stand on the glyphs, not the font: “ and
    一 start above the baseline. Read by those boxes, "3.危及“三安全一稳定”" broke into two lines of its cell and the
    row was lost (S02 and T3-03 errors the filing does not have); read from the baseline, the PDF and its
    `pdftotext -layout` text read every cell the same."""
    from test_import_matrix import matrix

    case = matrix.make_cases(14, 7)[13]  # a seeded filing whose 表三 label wraps where the boxes part
    paths = [p for p in matrix.PATHS if p.name in ("pdf", "pdftotext-layout")]
    graded, _ = matrix.run([case], paths, tmp_path)
    for g in graded:
        assert g.refused is None and g.wrong == {} and g.false_errors == [], (g.path, g.false_errors[:2])


@pytest.mark.parametrize("stated", [True, False])
def test_a_number_the_narrative_states_places_a_blank_the_identities_cannot(tmp_path, stated):
    """表四's 行政复议 printed "146 0 0 146" with its 结果维持 left blank: 146 may be any of the four results (总计 is
    their sum whatever). "行政复议结果纠正146件" in 总体情况 decides it, and the finding quotes the sentence; without
    it the reading stays a guess, named in a warning."""
    from test_import_matrix import matrix

    from nianbao.formats import load_format
    from nianbao.importer import import_report
    from nianbao.report import render
    from nianbao.sample_data import random_valid_values

    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(3), scale=400, zero_share=0.2)
    values.update({"t4.review.upheld": None, "t4.review.corrected": 146, "t4.review.other": 0,
                   "t4.review.pending": 0, "t4.review.total": 146})
    case = matrix.Case("stated", "2021", "测试市人民政府", 2024, values)
    filing = matrix.filing_of(case)
    if stated:
        filing.narrative["overview"] += "\n本年度行政复议结果纠正146件。"
    f = tmp_path / "stated.txt"
    f.write_text(_a_cell_a_line(render(filing, fmt="md")), encoding="utf-8")
    back = import_report(f)
    review = [k for k in fmt.cells if k.startswith("t4.review.")]
    said = [x for x in back.findings if x.rule == "IMP-BLANK" and set(review) & set(x.keys)]
    assert said
    if stated:
        assert {k: back.values[k] for k in review} == {k: values[k] for k in review}
        assert said[0].severity == "info" and "正文“本年度行政复议结果纠正146件”" in said[0].message
    else:
        assert said[0].severity == "warning"


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_short_row_is_placed_in_every_way_its_identities_allow_and_no_other(data):
    """表四's blocks (总计 = the sum of the four before it) printed with cells left out: the placements are exactly
    the ways of putting the printed numbers, in order, into the columns that keep every block's sum (tried one by
    one), in the order of the columns taken."""
    from nianbao.formats import load_format

    fmt = load_format("2021")
    keys = [k for k in fmt.cells if k.startswith("t4.")]
    inst = [i for i in fmt.sum_instances(previous=False) if set(i.keys) <= set(keys)]
    printed = data.draw(st.lists(st.integers(0, 6), min_size=1, max_size=len(keys)))
    vals = [type("T", (), {"number": str(v)})() for v in printed]
    got = short_rows.placements(vals, keys, inst, ["count"] * len(keys))
    want = []
    for slots in itertools.combinations(range(len(keys)), len(vals)):
        row = dict.fromkeys(keys, 0)
        row.update({keys[s]: v for s, v in zip(slots, printed)})
        if all(sum(t.coef * row[t.key] for t in i.lhs) == sum(t.coef * row[t.key] for t in i.rhs) for i in inst):
            parts = [""] * len(keys)
            for s, v in zip(slots, printed):
                parts[s] = str(v)
            want.append(tuple(parts))
    assert got == want


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 3).flatmap(lambda n: st.lists(st.lists(st.integers(0, 3), min_size=n, max_size=n),
                                                      min_size=2, max_size=3)),
       st.sampled_from([0, 5, 50]))
def test_a_choice_found_with_the_sums_budget_used_up_still_holds(grid, limit):
    """A table's doubtful rows narrowed with (nearly) no budget for the identities' sums: whatever the search
    returns as one choice still satisfies every identity (it is checked itself), and the truth is never dropped."""

    from nianbao.formats import RuleInstance, Term
    from nianbao.importer.digit_runs import value

    def total(t, parts):
        return RuleInstance(None, t, None, (Term(1, t),), tuple(Term(1, p) for p in parts))

    rows = [r + [sum(r)] for r in grid]
    rows.append([sum(c) for c in zip(*rows)])
    keys = [[f"r{i}.c{j}" for j in range(len(rows[0]))] for i in range(len(rows))]
    inst = [total(k[-1], k[:-1]) for k in keys] + [
        total(keys[-1][j], [k[j] for k in keys[:-1]]) for j in range(len(keys[0]))]
    doubtful = []
    for r, k in zip(rows, keys):  # every reading of the row's numbers with one cell moved a column on
        options = {tuple(map(str, r))} | {tuple(map(str, r[:j] + [r[j + 1], r[j]] + r[j + 2:]))
                                          for j in range(len(r) - 1)}
        doubtful.append((k, sorted(options)))
    kept, one, _ = pruning.narrow(inst, {}, doubtful, value, effort=pruning.Effort(work=limit, call=limit))
    for (k, _), options, r in zip(doubtful, kept, rows):
        assert tuple(map(str, r)) in options
    if one is not None:
        chosen = {key: value(x) for (k, _), o in zip(doubtful, one) for key, x in zip(k, o)}
        assert all(sum(chosen[t.key] for t in i.lhs) == sum(chosen[t.key] for t in i.rhs) for i in inst)


def _at(cols: dict[int, str], label: str = "（一）某项") -> str:
    """A line of pdftotext -layout text: each number starting at its column."""
    line = label
    for c, v in sorted(cols.items()):
        line = line.ljust(c) + v
    return line


def test_a_squeezed_complete_row_does_not_set_the_columns():
    """pdftotext -layout now and then squeezes a line: the one complete row of f012 (seed 2026, every zero blank)
    printed its numbers at 24 28 32 37 41 55 60, every other row at 27 32 37 44 50 55 60. The columns are where
    most rows print them, and a short row is placed under those (before: under the squeezed row's, its 9 and 5
    one column right of where they were, unwarned)."""
    cols = [27, 32, 37, 44, 50, 55, 60]
    rows = [{24: "50", 28: "67", 32: "56", 37: "123", 41: "73", 55: "56", 60: "425"},
            {27: "17", 32: "10", 50: "11", 60: "38"}, {32: "14", 44: "20", 50: "16", 60: "50"},
            {27: "15", 37: "4", 44: "2", 60: "21"}, {27: "7", 32: "2", 37: "7", 44: "1", 60: "17"},
            {32: "2", 37: "6", 44: "4", 50: "7", 55: "19", 60: "38"}, {37: "8", 44: "11", 50: "4", 60: "23"}]
    text = "\n".join(_at(r) + "\n    另行制作" for r in rows) + "\n" + _at({32: "9", 37: "5", 55: "4", 60: "18"}) + "\n"
    tokens = [t for t in tokenize(text, 0, len(text)) if t.kind == "value"]
    keys = [f"k{j}" for j in range(7)]
    printed = [[t for t in tokens if text.count("\n", 0, t.pos) == 2 * i] for i in range(len(rows) + 1)]
    reference = short_rows.reference_columns(text, [(keys, vals) for vals in printed])
    assert reference[7] == (0, cols)
    last = printed[-1]
    options = short_rows.placements(last, keys, [], ["count"] * 7)
    assert short_rows.by_position(text, last, options, reference) == ("", "9", "5", "", "", "4", "18")


def test_a_header_spread_unevenly_places_nothing():
    """The header of a clerk's 表三 as pdftotext -layout printed it (f021 of seed 2026, its 法人 columns blank but
    商业企业): the first line squeezed (自然人 商业企 科研机 … four columns apart), 其他 on a line of its own far
    right. Its words are not where the numbers are (商业企业's 3720 under 科研机), so they place no row (before:
    3720 placed under 科研机构, and the rows after alike: 15 cells one column off, unwarned)."""
    text = "\n".join([
        "                                    法人或其他组织",
        "（本列数据的勾稽关系为：第一项加第二项之",
        "                          自然人 商业企 科研机 社会公 法律服                总计",
        "和，等于第三项加第四项之和）                                          其他",
        "                               业   构  益组织 务机构",
        "一、本年新收政府信息公开申请数量           30750   21740                     52490",
        "二、上年结转政府信息公开申请数量           3305    3720                      7025", ""])
    row = [t for t in tokenize(text, 0, len(text)) if t.kind == "value" and t.number in ("3305", "3720", "7025")]
    keys = [f"k{j}" for j in range(7)]
    options = short_rows.placements(row, keys, [], ["count"] * 7)
    assert ("3305", "3720", "", "", "", "", "7025") in options and len(options) > 1
    assert short_rows.by_position(text, row, options, {}) is None
