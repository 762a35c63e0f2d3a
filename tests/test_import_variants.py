"""Import of report shapes built here: rendered reports (round trip), the variants of FORMAT.md §8, the layouts,
and inputs that cannot be read. Texts are built from the format definition in the shape of the seed report."""
from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from nianbao.checks import check
from nianbao.cli import main
from nianbao.filing import Filing
from nianbao.formats import load_format, parse_cell
from nianbao.importer import import_report
from nianbao.narrative_numbers import check_numbers_in_text
from nianbao.sample_data import random_valid_values

NARRATIVE = {"overview": "本年度依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。",
             "problems": "存在的问题是公开不够及时。改进措施是加强培训。", "other": "本年度未收取信息处理费。"}


def seed_text(fmt, values, unit="测试县发展和改革局", year=2022, cell=str, run_together=False, headings=None):
    """A report flattened from Word like the seed (one cell a line, tab-indented), or with run_together the
    cells of a row written without separators, like a crawled web page."""
    out = [unit, f"{year}年政府信息公开工作年度报告", f"本报告统计期限为{year}年1月1日至{year}年12月31日。"]
    headings = headings or {}
    for s in fmt.sections:
        out.append(headings.get(s.id, s.heading))
        if s.kind == "narrative":
            out.append(NARRATIVE[s.id])
            continue
        table = fmt.tables[s.table]
        flat = len({parse_cell(c.ref)[0] for c in table.cells.values()}) == 1
        rows = []
        if flat:
            rows.append([t.text for t in table.texts] + [r.label for r in table.rows])
            rows.append([cell(values[k]) for k in sorted(table.cells, key=lambda k: parse_cell(table.cells[k].ref)[::-1])])
        else:
            rows.append([t.text for t in table.texts if t.role != "group"] + [c.label for c in table.columns])
            for r in table.rows:
                rows.append(([r.group] if r.group else []) + [r.label] + [cell(values[f"{table.id}.{r.key}.{c}"]) for c in r.columns])
        for r in rows:
            if run_together:
                out.append("".join(r))
            else:
                out += ["\t" + c for c in r] + [""]
    return "\n".join(out) + "\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("layout,year", [("2021", 2022), ("2019", 2020)])
@pytest.mark.parametrize("kind", ["md", "html", "docx"])
def test_rendered_report_imports_back(tmp_path, layout, year, kind):
    from nianbao.report import render

    fmt = load_format(layout)
    values = random_valid_values(fmt, random.Random(f"{layout}{kind}"), scale=400)
    filing = Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": year}, raw=values, narrative=NARRATIVE)
    data = render(filing, fmt=kind)
    path = tmp_path / f"report.{kind}"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    back = import_report(path)
    assert back.layout == layout and (back.unit, back.year) == ("测试县发展和改革局", year)
    assert back.values == values  # all 200 (2021) / 203 (2019) numbers
    assert not [f for f in check(back) if f.severity == "error"]
    assert back.narrative["problems"] == NARRATIVE["problems"]


@pytest.mark.parametrize("page", ["", "<p>-3-</p>", "<p>第 3 页</p>", "<p>— 3 —</p>", "<p>3/8</p>"])
@pytest.mark.parametrize("repeat_header", [False, True])
def test_table_three_split_over_two_pages_of_a_web_page(tmp_path, page, repeat_header):
    """A web page made from a PDF: 表三 broken into two tables at a page break, the page number between them and
    maybe the header rows again; the page number is no cell of the last row before it."""
    import re

    from nianbao.report import render

    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(7), scale=400)
    html = render(Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": 2022}, raw=values, narrative=NARRATIVE),
                  fmt="html")
    t3 = re.search(r"(<table[^>]*>)((?:(?!</table>).)*?自然人.*?)</table>", html, re.S)
    rows = re.findall(r"<tr.*?</tr>", t3.group(2), re.S)
    cut = next(i for i, r in enumerate(rows) if "rowspan" not in r and "（四）" not in r and i > len(rows) // 2)
    second = "".join(rows[:3]) * repeat_header + "".join(rows[cut:])
    split = t3.group(1) + "".join(rows[:cut]) + "</table>" + page + t3.group(1) + second + "</table>"
    back = import_report(write(tmp_path, "r.html", html.replace(t3.group(), split)))
    assert back.values == values
    assert not [f for f in check(back) if f.severity == "error"]


def test_merged_cells_split_with_their_text_repeated(tmp_path):
    """A converter that splits merged cells and repeats their text in each (pandas.read_html, some site editors):
    表二's one number under a header spanning three columns comes three times — it is one number."""
    import re

    from nianbao.report import render

    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(9), scale=400)
    html = render(Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": 2022}, raw=values, narrative=NARRATIVE),
                  fmt="html")
    split = re.sub(r'<(t[dh])([^>]*?) colspan="(\d+)"([^>]*)>(.*?)</\1>',
                   lambda m: f"<{m[1]}{m[2]}{m[4]}>{m[5]}</{m[1]}>" * int(m[3]), html)
    assert ' colspan="' not in split and split.count(f">{values['t2.penalty.decisions']}<") >= 3
    back = import_report(write(tmp_path, "r.html", split))
    assert back.values == values
    assert not [f for f in check(back) if f.severity == "error"]


@pytest.mark.parametrize("layout,year", [("2021", 2022), ("2019", 2020)])
def test_markdown_from_pdf_tools(tmp_path, layout, year):
    """PDF-to-Markdown tools: MinerU writes each table as an HTML block inside the Markdown; marker breaks a
    header cell with <br> inside a pipe table."""
    import re

    from nianbao.report import render

    fmt = load_format(layout)
    values = random_valid_values(fmt, random.Random(f"md{layout}"), scale=400)
    filing = Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": year}, raw=values, narrative=NARRATIVE)
    md, html = render(filing, fmt="md"), render(filing, fmt="html")
    tables = iter(re.findall(r"<table.*?</table>", html, re.S))
    mineru = re.sub(r"(?m)(?:^\|.*\n)+", lambda m: "\n" + next(tables) + "\n\n", md)
    assert "<table" in mineru and "|---" not in mineru
    marker = md.replace("商业企业", "商业<br>企业").replace("信息内容", "信息<br/>内容")
    for name, text in (("mineru.md", mineru), ("marker.md", marker)):
        back = import_report(write(tmp_path, name, text))
        assert back.layout == layout and back.values == values, name
        assert not [f for f in check(back) if f.severity == "error"], name


def test_markdown_whose_label_a_tool_cut_at_a_guessed_column_edge(tmp_path):
    """PyMuPDF4LLM guesses columns from the characters: a long label is cut into two cells, each a stack of its
    lines, read line after line across the two; two labels side by side stack their lines alike and stay two."""
    from nianbao.report import render

    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random("cut"), scale=400)
    filing = Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": 2023}, raw=values, narrative=NARRATIVE)
    md = render(filing, fmt="md")
    cut = md.replace("| （二）部分公开（区分处理的，只计这一情形，不计其他情形） |  |",
                     "| （二）部<br>只计这一 | 分公开（区分处理的，<br>情形，不计其他情形） |")
    cut = cut.replace("| （三）不予公开 | 1.属于国家秘密 |", "| （三）不<br>予公开 | 1.属于国<br>家秘密 |")
    assert cut.count("<br>") == 4
    back = import_report(write(tmp_path, "pymupdf4llm.md", cut))
    assert back.layout == "2021" and back.values == values
    assert not [f for f in check(back) if f.severity == "error"]


def test_markdown_written_without_spaces_keeps_a_row_ending_in_empty_cells(tmp_path):
    """PyMuPDF4LLM writes "|规章|0|9||": the last "||" is an empty cell, not an edge (before, every trailing empty
    cell of a row was stripped with the edge, and the row was short or shifted)."""
    import re

    from test_import_matrix import matrix

    cases = [c for c in matrix.make_cases(12, seed=2026) if None in c.values.values()][:3]
    src = matrix.render_sources(cases, tmp_path)
    for case in cases:
        md = src[case.name]["md"].read_text(encoding="utf-8")
        tight = write(tmp_path, f"{case.name}-tight.md", re.sub(r" *\| *", "|", md))
        assert re.search(r"(?m)\|\|$", tight.read_text(encoding="utf-8"))  # rows that end in an empty cell
        g = matrix.grade("md", case, tight)
        assert g.refused is None and g.wrong == {} and g.false_errors == [], (case.name, dict(list(g.wrong.items())[:4]))


def test_seed_shaped_text_round_trip(tmp_path):
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(7), scale=50)
    back = import_report(write(tmp_path, "r.txt", seed_text(fmt, values)))
    assert back.values == values and len(values) == 200
    assert back.narrative == NARRATIVE


@pytest.mark.parametrize("seed", range(6))
def test_run_together_cells_split_by_identities(tmp_path, seed):
    """Web text with every row's cells run together: the identities decide; where they cannot, the importer says so."""
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(seed), scale=30)
    back = import_report(write(tmp_path, "web.txt", seed_text(fmt, values, run_together=True)))
    guessed = {k for f in back.findings if f.rule == "IMP-SPLIT" and f.severity == "warning" for k in f.keys}
    wrong = {k for k in values if back.values[k] != values[k]}
    assert wrong <= guessed  # a wrong value only where a warning says the split is a guess
    assert not {k for k in wrong if k.startswith("t3.") or k.startswith("t4.")} or guessed
    assert any(f.rule == "IMP-SPLIT" for f in back.findings)


def test_merged_other_row_layout(tmp_path):
    """A 2021 report that kept the 2019 single （六）其他处理 row: read into t3.other.*, and said so."""
    fmt = load_format("2021-merged-other")
    values = random_valid_values(fmt, random.Random(3), scale=40)
    back = import_report(write(tmp_path, "m.txt", seed_text(fmt, values)))
    assert back.layout == "2021-merged-other"
    assert back.values == values
    assert back.values["t3.other.total"] == values["t3.other.total"]
    assert any("为一行数字" in c for c in back.identity["layout_cues"])
    assert any(f.rule == "IMP-LAYOUT" and f.severity == "warning" for f in back.findings)
    assert not [f for f in check(back) if f.severity == "error"]


def test_2019_layout_detected_with_cues(tmp_path):
    fmt = load_format("2019")
    values = random_valid_values(fmt, random.Random(4), scale=40)
    back = import_report(write(tmp_path, "old.txt", seed_text(fmt, values, year=2020)))
    assert back.layout == "2019" and back.values == values
    assert any("本年新制作数量" in c or "政府集中采购" in c for c in back.identity["layout_cues"])


def test_variants_of_real_reports(tmp_path):
    """Half-width brackets, "1、" numbering, a "/" cell, a note inside a cell, 整改措施, a Shanghai-style ordinal."""
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(9), scale=40)
    values["t2.normative_docs.issued"] = 22
    text = seed_text(fmt, values, headings={"problems": "五、存在的主要问题及整改措施", "appeals": "4.政府信息公开行政复议、行政诉讼情况"})
    text = text.replace("\t（一）予以公开", "\t(一)予以公开").replace("\t1.申请人无正当理由", "\t1、申请人无正当理由")
    lines = text.split("\n")
    i = lines.index("\t行政规范性文件")
    lines[i + 1] = "\t22（其中修订16件）"
    j = lines.index("\t3.属于国家秘密".replace("3.属于国家秘密", "1.属于国家秘密"))
    lines[j + 2] = "\t/"  # 商业企业 of 1.属于国家秘密
    back = import_report(write(tmp_path, "v.txt", "\n".join(lines)))
    assert back.values["t2.normative_docs.issued"] == 22
    (note,) = [f for f in back.findings if f.rule == "IMP-NOTE"]
    assert "其中修订16件" in note.message and note.keys == ["t2.normative_docs.issued"]
    assert back.raw["t3.denied_secret.commercial"] == "/" and back.values["t3.denied_secret.commercial"] is None
    assert any(f.rule == "C03" and f.severity == "warning" for f in check(back))
    assert back.values["t3.granted.total"] == values["t3.granted.total"]
    assert back.values["t3.other_no_correction.total"] == values["t3.other_no_correction.total"]
    assert "problems" in back.narrative and "appeals" not in back.narrative
    assert not [f for f in back.findings if f.rule == "S01"]


def test_printed_total_that_disagrees_is_an_error_not_a_fix(tmp_path):
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(1), scale=40)
    values.update({"t4.review.upheld": 10, "t4.review.corrected": 1, "t4.review.other": 0, "t4.review.pending": 0,
                   "t4.review.total": 0})  # as a real district report printed it
    path = write(tmp_path, "bad.txt", seed_text(fmt, values))
    back = import_report(path)
    assert back.values["t4.review.total"] == 0
    (err,) = [f for f in check(back) if f.rule == "T4-01"]
    assert err.severity == "error" and err.actual == 0 and err.expected == 11
    out = tmp_path / "bad.json"
    r = CliRunner().invoke(main, ["import", str(path), "-o", str(out)])
    assert r.exit_code == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["cells"]["t4.review.total"] == 0 and any(f["rule"] == "T4-01" for f in data["findings"])


def test_a_row_that_cannot_be_read_is_unknown_not_zero(tmp_path):
    """A row printed with a number too many cannot be placed: it is an error of its own, and the identities it takes
    part in are not checked with 0 in its place (that would report the column sums wrong, which the publisher did
    not do); a published total that disagrees elsewhere is still an error."""
    from report_shapes import report_text

    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(11), scale=40)
    values["t3.new.total"] += 1  # the publisher's own error: row 一 does not add up
    label = fmt.tables["t3"].row("unable_not_held").label
    row = "\t".join([label] + [str(values[f"t3.unable_not_held.{c}"]) for c in fmt.tables["t3"].row("unable_not_held").columns])
    text = report_text(fmt, values, sep="\t").replace(row, row + "\t3")
    assert row + "\t3" in text
    back = import_report(write(tmp_path, "r.txt", text))
    unread = {k for k in fmt.cells if k.startswith("t3.unable_not_held.")}
    assert back.unread == unread
    (row_error,) = [f for f in back.findings if f.rule == "IMP-ROW"]
    assert set(row_error.keys) == unread
    found = [f for f in check(back) if f.severity == "error" and not f.rule.startswith("IMP")]
    # row 一's total: its row sum, and the 总计 column's T3-01 (rows 一, 二, 七, 四); none with the unread row in it
    assert sorted((f.rule, "t3.new.total" in f.keys) for f in found) == [("T3-01", True), ("T3-02", True)]
    assert not [f for f in check(back) if f.rule == "C03" and set(f.keys) & unread]
    r = CliRunner().invoke(main, ["import", str(tmp_path / "r.txt"), "--json"])
    assert set(json.loads(r.output)["unread"]) == unread


def test_cli_json_and_workbook(tmp_path):
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(2), scale=40)
    path = write(tmp_path, "ok.txt", seed_text(fmt, values))
    r = CliRunner().invoke(main, ["import", str(path), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["layout"] == "2021" and data["unit"] == "测试县发展和改革局" and data["year"] == 2022
    assert data["cells"] == values and set(data["narrative"]) == {"overview", "problems", "other"}
    assert data["cues"] and isinstance(data["findings"], list)
    xlsx = tmp_path / "ok.xlsx"
    r = CliRunner().invoke(main, ["import", str(path), "-o", str(xlsx)])
    assert r.exit_code == 0, r.output
    assert "2022年度" in r.output and xlsx.read_bytes()[:2] == b"PK"
    try:
        from nianbao.xlsx_read import read
    except ImportError:  # pragma: no cover - the workbook reader is another module
        return
    assert read(xlsx).values == values


def test_unreadable_inputs_exit_2_and_write_nothing(tmp_path):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    scan = tmp_path / "scan.pdf"
    with open(scan, "wb") as f:
        w.write(f)
    old = write(tmp_path, "old.txt", "某县人民政府\n2017年政府信息公开工作年度报告\n一、概述\n二、主动公开政府信息情况\n")
    notes = write(tmp_path, "notes.txt", "会议纪要\n今天讨论了三件事。\n")
    cases = {scan: "扫描件", old: "2019 年以前", notes: "不像政府信息公开工作年度报告",
             write(tmp_path, "x.csv", "a,b"): "是表格文件，不是已发布的年度报告", tmp_path / "missing.html": "找不到文件"}
    for src, words in cases.items():
        out = tmp_path / f"{src.stem}.json"
        r = CliRunner().invoke(main, ["import", str(src), "-o", str(out)])
        assert r.exit_code == 2, (src, r.output)
        assert words in r.output
        assert not out.exists()


def test_narrative_numbers_s08(tmp_path):
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(11), scale=40)
    values.update({"t3.new.total": 30, "t3.carried_over.total": 4, "t3.total.total": 31, "t3.carry_forward.total": 3})
    filing = Filing(fmt=fmt, identity={"unit": "测试县", "year": 2022}, raw=values, origin="import")
    ok = ["本年度共受理政府信息公开申请34件，办结31件，3件结转下年度继续办理。",  # 受理 = 新收 + 上年结转
          "本年度收到政府信息公开申请30件。", "全年受理网络问政182件。"]
    for sentence in ok:
        filing.narrative = {"overview": sentence}
        assert check_numbers_in_text(filing) == [], sentence
    filing.narrative = {"overview": "本年度共收到政府信息公开申请40件，均按时答复。"}
    (f,) = check_numbers_in_text(filing)
    assert f.rule == "S08" and f.severity == "warning" and f.actual == 40
    assert "本年度共收到政府信息公开申请40件" in f.message
    review = values["t4.review.total"]
    filing.narrative = {"overview": f"发生政府信息公开行政复议案件{review + 5}件。"}
    (f,) = check_numbers_in_text(filing)
    assert f.actual == review + 5 and "行政复议" in f.message


@pytest.mark.parametrize("shape", ["a column of its own", "labels a cell left of the header"])
def test_markdown_grid_with_a_column_the_table_does_not_have(tmp_path, shape):
    """PyMuPDF4LLM's grid of a 2019 表二 can hold a column of its own: an empty one between two of the table's
    ("|规章|0||37269436|0|" under "|信息内容|本年新制作数量||本年新公开数量|…"), or one that puts every label a cell
    left of its header ("|规章|||54||" under "||信息内容|本年新制作数量|…"). Each number is read under its heading, a
    blank cell blank (before, the first gave 4 numbers for 3 columns, an error; the second shifted a row's numbers
    one column, unwarned)."""
    from nianbao.report import render

    fmt = load_format("2019")
    values = random_valid_values(fmt, random.Random(shape), scale=400)
    for k in ("t2_2019.regulations.new_made", "t2_2019.regulations.total_published", "t2_2019.licensing.change"):
        values[k] = None
    filing = Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": 2020}, raw=values, narrative=NARRATIVE)
    md = render(filing, fmt="md")
    head, rest = md.split("## 三、", 1)
    lines = []
    for line in head.split("\n"):
        cells = line.strip("|").split("|") if line.startswith("|") and "---" not in line else None
        if cells is None:
            lines.append(line)
        elif shape == "a column of its own":
            lines.append("|" + "|".join(cells[:2] + [""] + cells[2:]) + "|")
        elif any(c.strip().isdigit() or not c.strip() for c in cells[1:]) and "信息内容" not in line and "第二十条" not in line:
            lines.append("|" + "|".join(cells[:1] + [""] + cells[1:]) + "|")  # a row: its label, then the new column
        else:
            lines.append("|" + "|".join([""] + cells) + "|")  # the header and the captions: the new column first
    lines = [ln.replace("|---|---|---|---|", "|---|---|---|---|---|") for ln in lines]
    back = import_report(write(tmp_path, "pymupdf4llm.md", "\n".join(lines) + "## 三、" + rest))
    assert back.layout == "2019"
    assert {k: v for k, v in back.values.items() if k.startswith("t2")} == {
        k: v for k, v in values.items() if k.startswith("t2")}
    assert not [f for f in back.findings if f.severity == "error"]


def test_markdown_cells_that_a_tool_merged_two_columns_into(tmp_path):
    """PyMuPDF4LLM can merge 表二's last two columns into one cell of stacked lines: "本年废止件数<br>现行有效件数"
    over "4<br>24". Each line is its own cell again (joined, "4<br>24" read 424, a number nobody printed); a number
    alone broken over lines under one heading ("15470<br>6") stays one number. And a label whose rest a tool
    put on the row of its numbers ("2.申请人逾期未按收费" over empty cells, then "通知要求缴纳费用、行…" and the
    numbers) keeps them (before: read blank, and T3-03 errors the report does not have)."""
    import re

    from nianbao.report import render

    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random("stacked"), scale=400)
    values["t2.regulations.issued"] = 15470 + values["t2.regulations.issued"] * 0
    filing = Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": 2023}, raw=values, narrative=NARRATIVE)
    md = render(filing, fmt="md")
    md = md.replace("| 本年废止件数 | 现行有效件数 |", "| 本年废止件数<br>现行有效件数 |")
    md = md.replace("|---|---|---|---|\n| 信息内容 | 本年制发件数 |", "|---|---|---|\n| 信息内容 | 本年制发件数 |")
    md = re.sub(r"(?m)^\| (规章|行政规范性文件) \| (\d+) \| (\d+) \| (\d+) \|$", r"| \1 | \2 | \3<br>\4 |", md)
    md = md.replace("| 规章 | 15470 |", "| 规章 | 15470<br>6 |")
    values["t2.regulations.issued"] = 154706
    label = "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"
    md = md.replace("| 第二十条第（一）项 |  |  |  |", "| 第二十条第（一）项 |  |  |", 1)
    row = re.search(rf"(?m)^\|  \|  \| {label} \|(.*)\|$", md)
    assert row and md.count("<br>") == 4
    md = md.replace(row.group(0), "|  | 其他处 | 2.申请人逾期未按收费 |" + "  |" * row.group(1).count("|") + "\n"
                    "|  | 理 | 通知要求缴纳费用、行<br>政机关不再处理其政府<br>信息公开申请 |" + row.group(1) + "|")
    back = import_report(write(tmp_path, "pymupdf4llm.md", md))
    assert back.layout == "2021" and back.values == values
    assert not [f for f in check(back) if f.severity == "error"]


def test_markdown_a_merged_cell_with_one_number_or_none(tmp_path):
    """Under PyMuPDF4LLM's "本年废止件数<br>现行有效件数" a row may print one number ("0": which column's?) or none.
    None: both cells blank. One: read with a warning that names the row — a 0 beside a blank changes no sum —
    not an error that the row is unreadable (f161 of seed 2026: two false IMP-ROW errors, 表二 read blank)."""
    import re

    from nianbao.report import render

    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random("merged-one"), scale=40)
    values.update({"t2.regulations.issued": 3, "t2.regulations.repealed": 0, "t2.regulations.in_force": None,
                   "t2.normative_docs.issued": 5, "t2.normative_docs.repealed": None,
                   "t2.normative_docs.in_force": None})
    filing = Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": 2023}, raw=values, narrative=NARRATIVE)
    md = render(filing, fmt="md")
    md = md.replace("| 本年废止件数 | 现行有效件数 |", "| 本年废止件数<br>现行有效件数 |")
    md = md.replace("|---|---|---|---|\n| 信息内容 | 本年制发件数 |", "|---|---|---|\n| 信息内容 | 本年制发件数 |")
    md, n = re.subn(r"(?m)^\| (规章|行政规范性文件) \| (\d+) \| (\d*) \| (\d*) \|$",
                    lambda m: f"| {m[1]} | {m[2]} | {m[3]}{m[4]} |", md)
    assert n == 2 and "| 规章 | 3 | 0 |" in md and "| 行政规范性文件 | 5 |  |" in md
    back = import_report(write(tmp_path, "pymupdf4llm.md", md))
    assert back.layout == "2021" and back.values == values
    assert not [f for f in back.findings if f.severity == "error"]
    (warned,) = [f for f in back.findings if f.severity == "warning" and set(f.keys) & set(values)
                 and f.rule == "IMP-BLANK"]
    assert "规章" in warned.message and set(warned.keys) == {"t2.regulations.issued", "t2.regulations.repealed",
                                                          "t2.regulations.in_force"}
