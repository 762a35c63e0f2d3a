"""A table printed column by column (`pdftotext` without -layout or -raw): recognised and refused with what to do,
never read into wrong cells; a row's numbers one a line under its label (PyMuPDF, LibreOffice text) still read."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.errors import NianbaoError
from nianbao.formats import load_format
from nianbao.importer import import_report
from nianbao.importer.column_order import longest_number_run
from nianbao.sample_data import random_valid_values
from report_shapes import report_text, table_lines


def _values(seed=3):
    return random_valid_values(load_format("2021"), random.Random(seed), scale=40)


def _column_by_column(fmt, values) -> str:
    """表三 as pdftotext's default mode prints it: the row labels first, then every number one a line."""
    text = report_text(fmt, values, sep="\n")
    t3 = fmt.tables["t3"]
    lines = table_lines(t3, values)
    row_text = "\n".join("\n".join(ln) for ln in lines)
    labels = [p for ln in lines for p in ln if p and not p.replace(".", "").isdigit()]
    numbers = [p for ln in lines for p in ln if p and p.replace(".", "").isdigit()]
    assert row_text in text
    return text.replace(row_text, "\n".join(labels) + "\n\n" + "\n\n".join(numbers))


def test_column_by_column_text_is_refused_with_what_to_do(tmp_path):
    fmt = load_format("2021")
    p = tmp_path / "r.txt"
    p.write_text(_column_by_column(fmt, _values()), encoding="utf-8")
    with pytest.raises(NianbaoError) as e:
        import_report(p)
    assert e.value.exit_code == 2
    assert "表三" in e.value.message and "逐列" in e.value.message and "pdftotext -layout" in e.value.message


def _in_blocks(fmt, values, size: int) -> str:
    """表三 as pdftotext's default mode often prints it: row labels and blocks of `size` numbers in turn, the blocks
    wider than any row (no run is twice a row's width, but several exceed it)."""
    text = report_text(fmt, values, sep="\n")
    lines = table_lines(fmt.tables["t3"], values)
    row_text = "\n".join("\n".join(ln) for ln in lines)
    labels = [p for ln in lines for p in ln if p and not p.replace(".", "").isdigit()]
    numbers = [p for ln in lines for p in ln if p and p.replace(".", "").isdigit()]
    out = []
    for i in range(0, len(numbers), size):
        out += labels[i // size: i // size + 1] + numbers[i:i + size]
    return text.replace(row_text, "\n".join(labels[len(numbers) // size + 1:] + out))


@pytest.mark.parametrize("size", [9, 12, 14])
def test_blocks_wider_than_a_row_are_column_by_column_too(tmp_path, size):
    fmt = load_format("2021")
    p = tmp_path / "r.txt"
    p.write_text(_in_blocks(fmt, _values(6), size), encoding="utf-8")
    with pytest.raises(NianbaoError) as e:
        import_report(p)
    assert "逐列" in e.value.message


def test_column_by_column_through_the_command_line(tmp_path):
    from click.testing import CliRunner

    from nianbao.cli import main

    fmt = load_format("2021")
    p = tmp_path / "r.txt"
    p.write_text(_column_by_column(fmt, _values(4)), encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(p)])
    assert r.exit_code == 2 and "逐列" in r.output and "Traceback" not in r.output


def test_a_rows_numbers_one_a_line_under_its_label_still_read(tmp_path):
    fmt = load_format("2021")
    values = _values(5)
    p = tmp_path / "r.txt"
    p.write_text(report_text(fmt, values, sep="\n"), encoding="utf-8")
    back = import_report(p)
    assert back.values == values


def test_one_number_alone_on_its_line_is_no_position(tmp_path):
    """A cell a line with the blank cells gone (PyMuPDF's text): a 2019 表二 row printed as just “0” could be any of
    its three cells — a named warning, never taken from the number's place at the start of its line."""
    fmt = load_format("2019")
    values = random_valid_values(fmt, random.Random(2), scale=40)
    values.update({"t2_2019.regulations.new_made": None, "t2_2019.regulations.new_published": None,
                   "t2_2019.regulations.total_published": 0})
    text = report_text(fmt, values, year=2020, sep="\n", cell=lambda v: "" if v is None else str(v))
    p = tmp_path / "r.txt"
    p.write_text("\n".join(ln for ln in text.split("\n") if ln.strip()), encoding="utf-8")
    back = import_report(p)
    keys = {"t2_2019.regulations.new_made", "t2_2019.regulations.new_published", "t2_2019.regulations.total_published"}
    warned = {k for f in back.findings if f.rule == "IMP-BLANK" and f.severity == "warning" for k in f.keys}
    assert keys <= warned
    assert sorted(back.values[k] for k in keys if back.values[k] is not None) == [0]


_LINE = st.one_of(st.integers(0, 10 ** 6).map(str), st.sampled_from(["规章", "（一）予以公开", "总计", "", "—3—",
                                                                     "第 2 页", "12 件", "1.属于国家秘密"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE, max_size=40))
def test_longest_number_run_counts_lines_of_one_number(lines):
    """Blank lines and page numbers neither count nor break a run; any other text breaks it."""
    best = run = 0
    for ln in lines:
        if ln in ("", "—3—", "第 2 页"):
            continue
        run = run + 1 if ln.isdigit() else 0
        best = max(best, run)
    assert longest_number_run("\n".join(lines)) == best
