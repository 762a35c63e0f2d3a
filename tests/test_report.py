"""The final report: seed reproduction in Word, HTML and Markdown, the official grids, drafts and refusals."""
from __future__ import annotations

import random
import re

import docx
import lxml.html
import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.filing import Filing
from nianbao.formats import load_format, normalize_label, parse_range
from nianbao.report import ReportRefused, render, texts, write_reports
from nianbao.report.layout import grid
from nianbao.report.narrative import parse_docx, parse_markdown, read_narrative
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import read

from conftest import REPO
from helpers import write_return

SEED_RETURN = REPO / "samples" / "seed" / "山海关区发展和改革局-2021年报.xlsx"
SEED_NARRATIVE = REPO / "samples" / "narratives" / "山海关区发展和改革局-2021.md"
UNIT = "山海关区发展和改革局"


def norm(s: str) -> str:
    return normalize_label(s)


def in_order(items: list[str], units: list[str]) -> list[str]:
    """The items not found, in order, among the units (each item must equal one unit, after the previous one)."""
    units = [norm(u) for u in units]
    pos, missing = 0, []
    for item in items:
        try:
            pos = units.index(norm(item), pos) + 1
        except ValueError:
            missing.append(item)
    return missing


def expected_items(filing: Filing) -> list[str]:
    """Title, then each section's heading and its table labels (row by row) or narrative paragraphs."""
    fmt = filing.fmt
    items = [fmt.report_title(filing.unit, filing.year)]
    for s in fmt.sections:
        items.append(s.heading)
        if s.table:
            items += [c.text for c in grid(fmt.tables[s.table]).cells() if c.kind == "label"]
        else:
            items += [p for p in filing.narrative[s.id].split("\n") if p.strip()]
    return items


@pytest.fixture(scope="module")
def seed():
    filing = read(SEED_RETURN)
    narrative, title = read_narrative(SEED_NARRATIVE, filing.fmt)
    filing.narrative = narrative
    return filing


def docx_units(data: bytes) -> list[str]:
    """Every paragraph and every (merged) table cell of the body, in reading order."""
    import io

    d = docx.Document(io.BytesIO(data))
    units = []
    body = d.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            units.append(docx.text.paragraph.Paragraph(child, d).text)
        elif tag == "tbl":
            seen = set()
            for row in docx.table.Table(child, d).rows:
                for cell in row.cells:
                    if cell._tc not in seen:  # a merged cell is listed once, at its first position
                        seen.add(cell._tc)
                        units.append(cell.text)
    return units


def html_units(text: str) -> list[str]:
    root = lxml.html.fromstring(text)
    return [el.text_content() for el in root.iter("h1", "h2", "p", "th", "td")]


def md_units(text: str) -> list[str]:
    units = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|"):
            units += [c.replace("\\", "") for c in line.strip("|").split("|")]
        else:
            units.append(re.sub(r"^#+\s*", "", line).replace("\\", ""))
    return units


def test_seed_order_matches_the_published_seed(seed, shared):
    """What the tests below expect is the seed's own sequence: the published report holds it in this order."""
    text = norm((shared / "reference" / "seed-shanhaiguan-fgj-2021.txt").read_text(encoding="utf-8"))
    pos = 0
    for item in expected_items(seed):
        found = text.find(norm(item), pos)
        assert found >= 0, f"not in the seed after position {pos}: {item}"
        pos = found + len(norm(item))


@pytest.mark.parametrize("fmt", ["docx", "html", "md"])
def test_seed_reproduction(seed, fmt):
    out = render(seed, fmt=fmt)
    units = {"docx": docx_units, "html": html_units, "md": md_units}[fmt](out)
    assert in_order(expected_items(seed), units) == []
    # the preamble: legal basis, the unit, the statistics period
    preamble = next(u for u in units if "条例" in u)
    assert "《中华人民共和国政府信息公开条例》" in preamble and UNIT in preamble
    assert "2021年1月1日至2021年12月31日" in norm(preamble)
    assert texts()["draft_mark"] not in "".join(units)


def test_docx_typography(seed):
    import io

    d = docx.Document(io.BytesIO(render(seed, fmt="docx")))
    sec = d.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    east_asia = lambda style: style.element.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia"))  # noqa: E731
    assert east_asia(d.styles["Title"]) == "方正小标宋简体"
    assert east_asia(d.styles["Normal"]) == "仿宋_GB2312"
    assert east_asia(d.styles["Heading 1"]) == "黑体"
    assert "PAGE" in sec.footer._element.xml
    # every face has a fallback a Windows machine has
    font_table = next(p for p in d.part.package.iter_parts() if p.partname == "/word/fontTable.xml").blob.decode()
    assert re.search(r'w:name="仿宋_GB2312"><w:altName w:val="仿宋"', font_table)
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert headings == [s.heading for s in seed.fmt.sections]
    title = next(p for p in d.paragraphs if p.style.name == "Title")
    assert title.text.split("\n") == [UNIT, "2021年政府信息公开工作年度报告"]


def matrix_from_html(table) -> list[list[str]]:
    """The table's grid with every merged cell expanded over the positions it covers."""
    rows = table.findall(".//tr")
    out: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr:
            while (r, c) in out:
                c += 1
            for dr in range(int(cell.get("rowspan", 1))):
                for dc in range(int(cell.get("colspan", 1))):
                    assert (r + dr, c + dc) not in out, "cells overlap"
                    out[(r + dr, c + dc)] = cell.text_content()
            c += int(cell.get("colspan", 1))
    nrows, ncols = max(k[0] for k in out) + 1, max(k[1] for k in out) + 1
    assert len(out) == nrows * ncols, "the table is not rectangular"
    return [[out[(r, c)] for c in range(ncols)] for r in range(nrows)]


def matrix_from_definition(table, values) -> list[list[str]]:
    gr, gc, r2, c2 = parse_range(table.grid)
    m = [[""] * (c2 - gc + 1) for _ in range(r2 - gr + 1)]

    def put(ref, text):
        a, b, c, d = parse_range(ref)
        for r in range(a, c + 1):
            for col in range(b, d + 1):
                m[r - gr][col - gc] = text

    for ref, text, _ in table.labels():
        put(ref, text)
    for key, cell in table.cells.items():
        put(cell.merge or cell.ref, values[key])
    return m


@pytest.mark.parametrize("layout", ["2021", "2019"])
def test_html_tables_rebuild_the_official_grid(layout):
    fmt = load_format(layout)
    values = random_valid_values(fmt, random.Random(7), scale=500)
    values = {k: (int(v) if fmt.cells[k].type != "decimal" else v) for k, v in values.items()}
    filing = Filing.from_values(fmt, values, identity={"unit": "某区教育局", "year": fmt.first_year},
                                narrative={s.id: "内容" for s in fmt.narrative_sections})
    root = lxml.html.fromstring(render(filing, fmt="html"))
    for table in fmt.tables.values():
        html_table = root.get_element_by_id(f"table-{table.id}")
        assert html_table.find("caption").text_content() == table.caption
        got, want = matrix_from_html(html_table), matrix_from_definition(table, values)
        assert [len(r) for r in got] == [len(r) for r in want]
        # numbers compare as numbers (0.0 万元 prints as 0), labels as text
        assert [[float(g) if isinstance(w, (int, float)) else g for g, w in zip(gr, wr)]
                for gr, wr in zip(got, want)] == want
        # accessibility: every header cell is a th (with its scope), every number a td
        numbers = html_table.xpath(".//td[@data-key]")
        assert [td.get("data-key") for td in numbers] == list(table.cells)
        assert all(th.get("scope") in ("col", "colgroup", "row", "rowgroup", None) for th in html_table.iter("th"))
    t3 = root.get_element_by_id("table-t3")
    data_rows = [tr for tr in t3.iter("tr") if tr.xpath("td[@data-key]")]
    if layout == "2021":
        assert len(data_rows) == 25 and all(len(tr.xpath("td[@data-key]")) == 7 for tr in data_rows)
    assert len(root.get_element_by_id("table-t4").xpath(".//td[@data-key]")) == 15
    row_headers = [th.text_content() for th in t3.xpath(".//th[@scope='row']")]
    assert row_headers == [r.label for r in fmt.tables["t3"].rows]


def test_html_is_self_contained(seed):
    page = render(seed, fmt="html")
    root = lxml.html.fromstring(page)
    assert root.get("lang") == "zh-CN"
    assert not root.xpath("//script|//link|//img|//iframe|//*[@src]")
    assert "url(" not in page and "@media print" in page and "@page" in page


def broken(filing: Filing) -> Filing:
    """The filing with one number that breaks 表三's 勾稽关系 (T3-01)."""
    raw = dict(filing.raw)
    key = "t3.new.natural_person"
    raw[key] = (filing.values[key] or 0) + 1
    return Filing.from_values(filing.fmt, raw, identity=filing.identity, narrative=filing.narrative)


def test_error_filing_refused_unless_draft(seed, tmp_path):
    bad = broken(seed)
    with pytest.raises(ReportRefused) as e:
        write_reports(bad, tmp_path)
    assert e.value.exit_code == 1 and {f.rule for f in e.value.findings} >= {"T3-01"}
    assert list(tmp_path.iterdir()) == []
    paths = write_reports(bad, tmp_path, draft=True)
    assert sorted(p.name for p in paths) == sorted(f"{UNIT}2021年政府信息公开工作年度报告{x}" for x in
                                                   (".docx", ".html", ".md"))
    mark = texts()["draft_mark"]
    d = docx.Document(str(tmp_path / f"{UNIT}2021年政府信息公开工作年度报告.docx"))
    assert all(mark in "".join(p.text for p in s.header.paragraphs) for s in d.sections)
    html = (tmp_path / f"{UNIT}2021年政府信息公开工作年度报告.html").read_text(encoding="utf-8")
    banner = lxml.html.fromstring(html).find_class("draft")
    assert banner and banner[0].text_content() == mark
    md = (tmp_path / f"{UNIT}2021年政府信息公开工作年度报告.md").read_text(encoding="utf-8")
    assert md.splitlines()[0].find(mark) >= 0
    # a clean filing with --draft is not marked: the mark says the checks failed
    write_reports(seed, tmp_path / "clean", formats=["md"], draft=True)
    assert mark not in next((tmp_path / "clean").iterdir()).read_text(encoding="utf-8")


def test_missing_narrative_section_refuses(seed, tmp_path):
    narrative = dict(seed.narrative)
    del narrative["problems"]
    with pytest.raises(ReportRefused) as e:
        write_reports(seed, tmp_path, narrative=narrative)
    assert [f.rule for f in e.value.findings] == ["S01"]
    assert "五、存在的主要问题及改进情况" in e.value.findings[0].message


def test_cli_refuses_an_error_workbook_and_drafts_it(tmp_path, seed):
    values = dict(seed.values)
    values["t3.granted.total"] += 1  # breaks T3-02 and T3-03
    wb = tmp_path / "返回表.xlsx"
    write_return(wb, values=values, unit=UNIT, year=2021, narrative=seed.narrative)
    before = wb.read_bytes()
    runner = CliRunner()
    r = runner.invoke(main, ["report", str(wb), "-o", str(tmp_path / "out")])
    assert r.exit_code == 1, r.output
    assert "T3-02" in r.output and "T3-03" in r.output and "未生成报告" in r.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    r = runner.invoke(main, ["report", str(wb), "--draft", "--format", "docx,md", "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    out = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert out == [f"{UNIT}2021年政府信息公开工作年度报告.docx", f"{UNIT}2021年政府信息公开工作年度报告.md"]
    assert texts()["draft_mark"] in (tmp_path / "out" / out[1]).read_text(encoding="utf-8")
    assert wb.read_bytes() == before  # the input is never modified


def test_cli_seed_with_narrative_file(tmp_path):
    r = CliRunner().invoke(main, ["report", str(SEED_RETURN), "--narrative", str(SEED_NARRATIVE),
                                  "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert len(list(tmp_path.iterdir())) == 3
    assert "S06" in r.output  # the seed's 六 says only 无: a warning, not a refusal


@pytest.mark.parametrize("args, message", [
    (["nope.xlsx"], "找不到填报表"),
    ([str(SEED_RETURN), "--format", "pdf"], "不支持的报告格式"),
    ([str(SEED_RETURN), "--narrative", "nope.md"], "找不到正文文件"),
    ([str(SEED_RETURN), "--reference-docx", "nope.docx"], "找不到样式参考文件"),
])
def test_cli_bad_input(tmp_path, args, message):
    r = CliRunner().invoke(main, ["report", *args, "-o", str(tmp_path / "out")])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


def test_narrative_round_trips_through_markdown_and_docx(seed, tmp_path):
    md = render(seed, fmt="md")
    assert parse_markdown(md, seed.fmt) == (seed.narrative, seed.fmt.report_title(UNIT, 2021))
    path = tmp_path / "正文.docx"
    path.write_bytes(render(seed, fmt="docx"))
    sections, title = parse_docx(path, seed.fmt)
    assert sections == seed.narrative and norm(title) == norm(seed.fmt.report_title(UNIT, 2021))


def test_narrative_markdown_variants(fmt2021):
    text = """# 某局2021年政府信息公开工作年度报告
前言不计入。
## 一、总体情况
第一段。
### （一）主动公开
第二段，含 \\*号。
## 二、主动公开政府信息情况
| 表格 | 不计入 |
## 五、存在的主要问题及整改措施
问题和改进措施。
## 六、其他需要报告的事项。
本年度未收取信息处理费。
"""
    sections, title = parse_markdown(text, fmt2021)
    assert sections == {"overview": "第一段。\n（一）主动公开\n第二段，含 *号。", "problems": "问题和改进措施。",
                        "other": "本年度未收取信息处理费。"}
    assert title == "某局2021年政府信息公开工作年度报告"


def test_reference_docx_styles_are_used(seed, tmp_path):
    ref = docx.Document()
    ref.styles["Normal"].font.name = "Arial"
    ref.styles["Normal"].font.size = docx.shared.Pt(12)
    ref.sections[0].header.paragraphs[0].text = "某某局文件"
    ref.add_paragraph("这段内容不会出现在报告中")
    ref_path = tmp_path / "样式.docx"
    ref.save(str(ref_path))
    import io

    d = docx.Document(io.BytesIO(render(seed, fmt="docx", reference_docx=ref_path)))
    assert d.styles["Normal"].font.name == "Arial" and d.styles["Normal"].font.size.pt == 12
    assert d.sections[0].header.paragraphs[0].text == "某某局文件"
    text = "\n".join(p.text for p in d.paragraphs)
    assert "这段内容不会出现在报告中" not in text and seed.fmt.sections[0].heading in text
