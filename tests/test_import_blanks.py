"""Blank cells that plain text leaves out (issue 12): the identities narrow each short row's placements
(importer.pruning), a page flattened with one space between cells keeps its empty cells (importer.cell_lines), and
`pdftotext -layout` keeps the columns' positions, read against the header's words (importer.short_rows)."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.formats import RuleInstance, Term
from nianbao.importer import pruning, short_rows
from nianbao.importer.cell_lines import one_cell_a_line
from nianbao.importer.digit_runs import value
from nianbao.importer.tables import tokenize


def _sum(total: str, parts: list[str]) -> RuleInstance:
    return RuleInstance(None, total, None, (Term(1, total),), tuple(Term(1, p) for p in parts))


def _table(grid: list[list[int]]):
    """A grid whose last column is each row's total and whose last row is each column's total, and its sums."""
    rows = [r + [sum(r)] for r in grid]
    rows.append([sum(c) for c in zip(*rows)])
    keys = [[f"r{i}.c{j}" for j in range(len(rows[0]))] for i in range(len(rows))]
    inst = [_sum(k[-1], k[:-1]) for k in keys]
    inst += [_sum(keys[-1][j], [keys[i][j] for i in range(len(keys) - 1)]) for j in range(len(keys[0]))]
    return rows, keys, inst


def _holds(inst, vals: dict) -> bool:
    return all(sum(vals[t.key] for t in i.lhs) == sum(vals[t.key] for t in i.rhs) for i in inst)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_narrowing_keeps_the_truth_and_only_readings_some_choice_holds_with(data):
    """Rows printed with some cells left blank: the printed numbers in order, every placement that keeps the row's
    own total as candidates. The true placement is never dropped, every reading kept takes part in a choice under
    which every identity holds (checked by trying them all), and the choice returned is one."""
    n_rows, n_cols = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 3))
    grid = [[data.draw(st.integers(0, 4)) for _ in range(n_cols)] for _ in range(n_rows)]
    rows, keys, inst = _table(grid)
    doubtful, base = [], {}
    for r, k in zip(rows, keys):
        blank = {j for j, v in enumerate(r) if v == 0 and data.draw(st.booleans())}
        printed = [SimpleNamespace(number=str(v)) for j, v in enumerate(r) if j not in blank]
        if not blank or not printed:
            base.update(zip(k, r))
            continue
        options = short_rows.placements(printed, k, [i for i in inst if set(i.keys) <= set(k)], ["count"] * len(k))
        truth = tuple("" if j in blank else str(v) for j, v in enumerate(r))
        assert truth in options
        doubtful.append((k, options, truth))
    if not doubtful:
        return
    kept, one, finished = pruning.narrow(inst, base, [(k, o) for k, o, _ in doubtful], value)
    for (_, _, truth), options in zip(doubtful, kept):
        assert truth in options
    assert one is not None
    chosen = dict(base)
    for (k, _, _), o in zip(doubtful, one):
        chosen.update({key: value(x) for key, x in zip(k, o)})
    assert _holds(inst, chosen)
    if finished:
        holding = [set() for _ in doubtful]
        for combo in itertools.product(*(o for _, o, _ in doubtful)):
            vals = dict(base)
            for (k, _, _), o in zip(doubtful, combo):
                vals.update({key: value(x) for key, x in zip(k, o)})
            if _holds(inst, vals):
                for h, o in zip(holding, combo):
                    h.add(o)
        assert [set(o) for o in kept] == holding


_cells = st.lists(st.one_of(st.just(""), st.integers(0, 99_999).map(str)), min_size=2, max_size=9)


@settings(max_examples=150, deadline=None)
@given(_cells)
def test_a_page_flattened_with_single_spaces_keeps_its_empty_cells(cells):
    """A crawler joins a table row's cells with one space: an empty cell is one more space, at the end too. The
    text reader gets back every cell of such a row, in its column."""
    if "" not in cells or not any(cells):
        return
    complete = ["规章 1 2 3", "行政规范性文件 4 5 6", "行政许可 7 8 9"]  # rows without a blank: single spaces
    lines = ["二、主动公开政府信息情况", *complete, "行政处罚 " + " ".join(cells), "三、其他"]
    out = one_cell_a_line(lines)
    at = out.index("行政处罚")
    assert out[at + 1] == ""
    assert [c[1:] for c in out[at + 2:at + 2 + len(cells)]] == cells
    assert all(c.startswith("\t") for c in out[at + 2:at + 2 + len(cells)])
    assert out[:4] == lines[:4]  # rows without an empty cell stay as they are


def test_columns_laid_out_with_runs_of_spaces_are_not_single_spaced():
    """`pdftotext -layout` separates its columns by runs of spaces: nothing there is taken for empty cells."""
    lines = ["规章          0        12       3", "行政规范性文件   4    5     6", "行政许可   7      8   9",
             "行政处罚     1         2"]
    assert one_cell_a_line(lines) == lines


_HEADS = st.text(alphabet="本年制发件数废止现行有效处理决定数量结果维持纠正", min_size=2, max_size=6)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_layout_positions_under_the_header_decide_which_cells_are_blank(data):
    """A row of `pdftotext -layout` with blank cells left out, under a header whose words stand over their columns
    (no complete row to compare with), after its label or with none: the placement read from the positions is the
    printed one (a short line's blank beside a 0 is left to a warning unless its position shows it clearly)."""
    n = data.draw(st.integers(2, 6))
    heads = [data.draw(_HEADS) for _ in range(n)]
    width = max(*map(len, heads), 6) + 4  # a column wider than its widest number (6 digits), as a layout prints
    centres = [10 + width * i + width // 2 for i in range(n)]
    header = [" "] * (centres[-1] + width)
    for c, h in zip(centres, heads):
        start = c - (len(h) - 1) // 2
        header[start:start + len(h)] = h
    numbers = [str(data.draw(st.integers(0, 10 ** data.draw(st.integers(1, 5))))) for _ in range(n)]
    blank = set(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n - 1, unique=True)))
    row = [" "] * (centres[-1] + width)
    label = data.draw(st.sampled_from(["行政处罚", ""]))  # 表四's row of numbers has no label before it
    row[:len(label)] = label
    for j, (c, v) in enumerate(zip(centres, numbers)):
        if j not in blank:
            start = c - (len(v) - 1) // 2
            row[start:start + len(v)] = v
    text = "信息内容\n" + "".join(header).rstrip() + "\n" + "".join(row).rstrip() + "\n"
    last = text.rindex("\n", 0, len(text) - 1)
    vals = [t for t in tokenize(text, 0, len(text)) if t.kind == "value" and t.pos > last]
    keys = [f"k{j}" for j in range(n)]
    options = short_rows.placements(vals, keys, [], ["count"] * n)
    truth = tuple("" if j in blank else v for j, v in enumerate(numbers))
    got = short_rows.by_position(text, vals, options, {})
    if got is None:  # a blank beside a 0 on a line of few numbers: placed only by a clear lead, else warned
        assert len(vals) <= short_rows.SWAP_FEW and "0" in truth, (truth, text)
    else:
        assert got == truth


def test_flattened_pages_with_blank_cells_read_exactly(tmp_path):
    """Random valid filings with blank cells, rendered to HTML by `report` and flattened as a crawler does with one
    space between cells: every cell exact, blank where the filing is blank, and no error the filing lacks."""
    from test_import_matrix import matrix

    cases = [c for c in matrix.make_cases(24, 5) if any(v is None for v in c.values.values())][:6]
    assert len(cases) == 6
    graded, _ = matrix.run(cases, [p for p in matrix.PATHS if p.name == "flat-space"], tmp_path)
    for g in graded:
        assert g.refused is None and g.layout_ok, g.case
        assert g.wrong == {} and g.false_errors == [], (g.case, dict(list(g.wrong.items())[:5]), g.false_errors[:3])
