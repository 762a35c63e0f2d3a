"""The drafted numbers paragraph in reports: where the narrative writes 【数字段落】, or with --draft-numbers at the end
of 一、总体情况's 依申请公开 part (else of 一、总体情况), in Word (read back with python-docx), HTML and Markdown; and the
district report's own paragraph, drafted from the summary."""
from __future__ import annotations

import csv
import random

import docx
import lxml.html
import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.formats import load_format
from nianbao.paragraph import draft_numbers
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import read

from conftest import REPO
from helpers import consistent_last_year, write_return

FMT = load_format("2021")
MARKER = FMT.paragraph.marker
OTHER = "## 五、存在的主要问题及改进情况\n\n问题：培训不足。改进措施：加强培训。\n\n## 六、其他需要报告的事项\n\n未收取信息处理费。\n"


def _run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r


def _paragraphs(folder):
    """The body paragraphs of the Word, HTML and Markdown reports in folder."""
    (d,) = folder.glob("*.docx")
    (h,) = folder.glob("*.html")
    (m,) = folder.glob("*.md")
    word = [p.text.strip() for p in docx.Document(str(d)).paragraphs if p.text.strip()]
    page = [p.text_content().strip() for p in lxml.html.fromstring(h.read_text(encoding="utf-8")).iter("p", "h2")]
    md = [line.strip().lstrip("# ") for line in m.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {"docx": word, "html": page, "md": md}


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    base = tmp_path_factory.mktemp("numbers")
    values = random_valid_values(FMT, random.Random(13), scale=40)
    values.update({k: 0 for k in values if k.startswith("t2.regulations.")})  # no T2-01 warning
    path = base / "返回表.xlsx"
    write_return(path, values, narrative={"overview": "（一）主动公开。全年主动公开政府信息。", "problems": "问题：无。改进：加强。",
                                          "other": "未收取信息处理费。"})
    return base, path, draft_numbers(FMT, read(path).values)


def test_marker_is_replaced_in_every_format(filled, tmp_path):
    _, path, paragraph = filled
    narrative = tmp_path / "正文.md"
    narrative.write_text("## 一、总体情况\n\n（一）主动公开。全年主动公开政府信息。\n\n（二）依申请公开。依法答复。" + MARKER
                         + "\n\n（三）政府信息管理。落实保密审查。\n\n" + OTHER, encoding="utf-8")
    r = _run("report", path, "--narrative", narrative, "-o", tmp_path / "out")
    assert "S08" not in r.output
    for kind, paras in _paragraphs(tmp_path / "out").items():
        assert "（二）依申请公开。依法答复。" + paragraph in paras, kind
        assert not any(MARKER in p for p in paras), kind


def test_draft_numbers_ends_the_requests_part(filled, tmp_path):
    _, path, paragraph = filled
    narrative = tmp_path / "正文.md"
    narrative.write_text("## 一、总体情况\n\n（一）主动公开。全年主动公开政府信息。\n\n### （二）依申请公开\n\n依法答复。\n\n"
                         "全部按期办结。\n\n（三）政府信息管理。落实保密审查。\n\n" + OTHER, encoding="utf-8")
    _run("report", path, "--narrative", narrative, "--draft-numbers", "-o", tmp_path / "out")
    for kind, paras in _paragraphs(tmp_path / "out").items():
        i = paras.index(paragraph)
        assert paras[i - 1] == "全部按期办结。" and paras[i + 1] == "（三）政府信息管理。落实保密审查。", kind
    # without the flag and without the marker the narrative is left as written
    _run("report", path, "--narrative", narrative, "-o", tmp_path / "plain")
    assert all(paragraph not in paras for paras in _paragraphs(tmp_path / "plain").values())


def test_draft_numbers_without_a_requests_part_ends_the_overview(filled, tmp_path):
    """The workbook's own 正文 (no 依申请公开 part): the paragraph closes 一、总体情况."""
    _, path, paragraph = filled
    _run("report", path, "--draft-numbers", "-o", tmp_path / "out")
    for kind, paras in _paragraphs(tmp_path / "out").items():
        i = paras.index(paragraph)
        assert paras[i - 1] == "（一）主动公开。全年主动公开政府信息。" and paras[i + 1].startswith("二、"), kind


def test_district_report_drafts_its_own_paragraph_from_the_summary(tmp_path):
    year = 2025
    key_file = tmp_path / "office.key"
    roster = tmp_path / "名单.csv"
    units = [("D01", "示例区教育局"), ("D02", "示例区民政局"), ("D03", "示例区司法局")]
    with open(roster, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([["单位代码", "单位名称"], *units])
    _run("template", "--roster", roster, "--year", year, "-o", tmp_path / "模板", "--key-file", key_file)
    from nianbao.identity import load_key

    key = load_key(key_file, create=False)[0]
    for i, (code, name) in enumerate(units):
        values = random_valid_values(FMT, random.Random(i), scale=30)
        write_return(tmp_path / "返回" / f"{code}.xlsx", values, unit=name, code=code, year=year, key=key)
    out = tmp_path / "收集"
    r = CliRunner().invoke(main, ["collect", str(tmp_path / "返回"), "--roster", str(roster), "--year", str(year),
                                  "-o", str(out), "--district", "示例区", "--narrative",
                                  str(REPO / "samples" / "narratives" / "示例区-2025.md"), "--key-file", str(key_file)])
    assert r.exit_code in (0, 1), r.output
    summary = read(out / "汇总.xlsx")
    paragraph = draft_numbers(FMT, summary.values)
    assert str(sum(read(p).values["t3.new.total"] for p in (tmp_path / "返回").glob("*.xlsx"))) in paragraph
    for kind, paras in _paragraphs(out / "报告").items():
        assert any(p.endswith(paragraph) and p.startswith("（二）依申请公开") for p in paras), kind


def test_a_return_carrying_last_year_drafts_the_change(tmp_path):
    from nianbao.filing import Filing
    from nianbao.xlsx_template import build_workbook

    values = random_valid_values(FMT, random.Random(21), scale=40, zero_share=0.0)
    values.update({k: 0 for k in values if k.startswith("t2.regulations.")})
    last = consistent_last_year(FMT, values, **{"t3.new.total": values["t3.new.total"] + 4})  # 4 more last year
    previous = Filing.from_values(FMT, last, identity={"unit": "测试区教育局", "unit_code": "T01", "year": "2024"})
    path = tmp_path / "返回表.xlsx"
    path.write_bytes(build_workbook(FMT, {"unit": "测试区教育局", "unit_code": "T01", "year": 2025}, values=values,
                                    narrative={"overview": "（一）主动公开。", "problems": "问题：无。改进：加强。",
                                               "other": "未收取信息处理费。"}, previous=previous))
    paragraph = draft_numbers(FMT, values, last)
    assert f"申请{values['t3.new.total']}件，较上年减少4件，下降" in paragraph
    r = _run("report", path, "--draft-numbers", "--format", "md", "-o", tmp_path / "out")
    assert "S08" not in r.output and "Y-0" not in r.output, r.output  # checked with the last year it carries
    (md,) = (tmp_path / "out").glob("*.md")
    assert paragraph in md.read_text(encoding="utf-8").splitlines()
