"""Import of the shapes a clerk's Word report takes (benchmarks/clerk.py renders them for the matrix): a blank cell
printed as a mark ("—", "/", "－") in the text a PDF or a Word file gives, and 表四's headers broken inside their
narrow cells. Inputs are built from the format definition (report_shapes.py); nothing is copied from a real report."""
from __future__ import annotations

import random

import pytest

from nianbao.checks import check
from nianbao.formats import load_format
from nianbao.importer import import_report
from nianbao.sample_data import random_valid_values
from report_shapes import report_text, table_lines


def _values(layout: str, seed: int, blank_share: float = 0.4) -> dict:
    rng = random.Random(seed)
    values = random_valid_values(load_format(layout), rng, scale=50, zero_share=0.6)
    for k, v in values.items():
        if v == 0 and rng.random() < blank_share:
            values[k] = None
    assert any(v is None for v in values.values()) or not blank_share
    return values


def _errors(filing) -> list[str]:
    return [f"{f.rule} {f.message}" for f in check(filing) if f.severity == "error"]


def _marked(mark: str):
    return lambda v: mark if v is None else str(v)


@pytest.mark.parametrize("mark", ["—", "/", "－"])
@pytest.mark.parametrize("layout", ["2021", "2019"])
def test_marked_blanks_in_a_word_table_saved_as_text(tmp_path, mark, layout):
    """A Word table saved as text (LibreOffice, WPS): every cell on a line of its own, a blank cell printed as a
    mark. The mark is the cell (read as blank), not a label that shifts the row's numbers."""
    year = 2020 if layout == "2019" else 2023
    values = _values(layout, 3)
    p = tmp_path / "r.txt"
    p.write_text(report_text(load_format(layout), values, year=year, cell=_marked(mark), sep="\n"), encoding="utf-8")
    back = import_report(p)
    assert back.layout == layout
    assert back.values == values
    assert _errors(back) == []


@pytest.mark.parametrize("mixed", [False, True])
@pytest.mark.parametrize("mark", ["—", "/", "－"])
def test_marked_blanks_in_pdftotext_layout(tmp_path, mark, mixed):
    """`pdftotext -layout` of a PDF whose blank cells print a mark: the mark holds its column. `mixed`: every
    other blank cell left empty instead (nothing printed, its column kept by the spaces)."""
    fmt = load_format("2021")
    values = _values("2021", 8)
    blanks = iter(range(10_000))

    def cell(v):  # numbers right-aligned in 8-character columns, as the layout mode prints them
        if v is not None:
            return str(v).rjust(8)
        return ("" if mixed and next(blanks) % 2 else mark).rjust(8)

    text = report_text(fmt, values, cell=cell, label_width=40, jitter=lambda i: i % 2)
    p = tmp_path / "r.txt"
    p.write_text(text, encoding="utf-8")
    back = import_report(p)
    assert back.layout == "2021"
    assert _errors(back) == []
    wrong = {k for k in values if back.values[k] != values[k] or (back.values[k] is None) != (values[k] is None)}
    if not mixed:
        assert wrong == set()
    else:  # where the spaces alone leave the blank's column open, the cells are named, never silently wrong
        named = {k for f in back.findings if f.severity == "warning" for k in f.keys}
        assert wrong <= named
        assert len(wrong) < 10


def test_table_four_headers_broken_in_their_cells(tmp_path):
    """表四's block headers (未经复议直接起诉, 复议后起诉, 行政复议) broken over two lines of their narrow cells, the
    other cells' words between the halves (a PDF's text line by line): the blocks are there, no S02 error."""
    fmt = load_format("2021")
    values = _values("2021", 5, blank_share=0.0)
    t4 = fmt.tables["t4"]
    halves = [(r.label[:len(r.label) // 2], r.label[len(r.label) // 2:]) for r in t4.rows]
    header = ["   ".join(a for a, _ in halves), "   ".join(b for _, b in halves),
              "   ".join([c.label for c in t4.columns] * len(t4.rows))]
    text = report_text(fmt, values)
    numbers = [x for line in table_lines(t4, values) for x in line if x.isdigit()]
    block = "\n".join(header + ["  ".join(numbers)])
    start = text.index(next(s.heading for s in fmt.sections if s.table == "t4"))
    end = text.index(next(s.heading for s in fmt.sections if s.id == "problems"))
    heading = next(s.heading for s in fmt.sections if s.table == "t4")
    p = tmp_path / "r.txt"
    p.write_text(text[:start] + heading + "\n" + block + "\n" + text[end:], encoding="utf-8")
    back = import_report(p)
    assert {k: back.values[k] for k in t4.cells} == {k: values[k] for k in t4.cells}
    assert [e for e in _errors(back) if e.startswith("S02")] == []


def test_positions_that_break_the_identities_are_not_believed(tmp_path):
    """A short row of `pdftotext -layout` whose numbers stand off their columns (a line shifted by its label's
    wrapping in the PDF): the positions put the blank in 科研机构 and every column's identities would fail; the
    identities place it where it was (自然人) — no wrong number, no error the report does not have."""
    from report_shapes import laid_out

    fmt = load_format("2021")
    t3 = fmt.tables["t3"]
    row = t3.row("partial")
    keys = [f"t3.{row.key}.{c}" for c in row.columns]
    seed = next(s for s in range(500) if (v := random_valid_values(fmt, random.Random(s), scale=60, zero_share=0.3))
                and v[keys[0]] == 0 and all(v[k] for k in keys[1:]) and len({v[k] for k in keys[1:]}) == 6)
    values = random_valid_values(fmt, random.Random(seed), scale=60, zero_share=0.3)
    values[keys[0]] = None
    def cell(x):
        return ("" if x is None else str(x)).rjust(8)

    text = report_text(fmt, values, cell=cell, label_width=40)
    printed = [cell(values[k]) for k in keys[1:]]
    right = laid_out([row.label, cell(None), *printed], 40)
    off = laid_out([row.label, *printed[:2], cell(None), *printed[2:]], 40)  # the gap two columns on
    assert right in text
    p = tmp_path / "r.txt"
    p.write_text(text.replace(right, off), encoding="utf-8")
    back = import_report(p)
    assert {k: back.values[k] for k in keys} == {k: values[k] for k in keys}
    assert _errors(back) == []
