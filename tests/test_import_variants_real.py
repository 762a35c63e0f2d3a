"""Import of the real-world variants a report takes on its way to a reader (issue 12): each input is built here
from the format definition in the shape real reports take (tests/report_shapes.py), never copied from one."""
from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from nianbao.checks import check
from nianbao.cli import main
from nianbao.formats import load_format
from nianbao.importer import import_report
from nianbao.importer.digit_runs import split_candidates
from nianbao.importer.tables import tokenize
from nianbao.sample_data import random_valid_values
from report_shapes import report_text


def imported(tmp_path, text, name="r.txt", **kw):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return import_report(p, **kw)


def values_for(layout, seed, scale=40, **kw):
    return random_valid_values(load_format(layout), random.Random(seed), scale=scale, **kw)


def errors(filing, previous=None):
    return [f"{f.rule} {f.message}" for f in check(filing, previous) if f.severity == "error"]


def guessed(filing):
    return {k for f in filing.findings if f.rule == "IMP-SPLIT" and f.severity == "warning" for k in f.keys}


# ------------------------------------------------------------------ 2019-layout web pages, cells run together
@pytest.mark.parametrize("seed", range(8))
def test_2019_web_page_cells_run_together(tmp_path, seed):
    """Signed 本年增/减 cells ("13-10", "0-3") and a decimal 采购总金额 run into the next cell: every number is read,
    or its row named in a warning; nothing is lost and no error is invented."""
    fmt = load_format("2019")
    values = values_for("2019", seed)
    back = imported(tmp_path, report_text(fmt, values, year=2020, sep=""))
    assert back.layout == "2019"
    wrong = {k for k in values if back.values[k] != values[k]}
    assert wrong <= guessed(back), wrong - guessed(back)
    assert errors(back) == []


def test_2019_signed_and_amount_cells(tmp_path):
    fmt = load_format("2019")
    values = values_for("2019", 3)
    values.update({"t2_2019.fees.prev_year_items": 2648, "t2_2019.fees.change": -18538,
                   "t2_2019.licensing.prev_year_items": 0, "t2_2019.licensing.change": -3,
                   "t2_2019.licensing.decisions": 5, "t2_2019.procurement.items": 12,
                   "t2_2019.procurement.amount": 3456.78})
    text = report_text(fmt, values, year=2020, sep="", cell=lambda v: f"{v}万元" if v == 3456.78 else str(v))
    assert "行政事业性收费2648-18538" in text and "行政许可0-35" in text and "政府集中采购123456.78万元" in text
    back = imported(tmp_path, text)
    for k in ("t2_2019.fees.prev_year_items", "t2_2019.fees.change", "t2_2019.licensing.change",
              "t2_2019.licensing.decisions"):
        assert back.values[k] == values[k], k
    # "123456.78": 12 / 3456.78, 1 / 23456.78 … — not decided, and said so; the unit is kept as a note
    amount = back.values["t2_2019.procurement.amount"]
    assert amount == 3456.78 or "t2_2019.procurement.amount" in guessed(back)
    (unit,) = [f for f in back.findings if f.rule == "IMP-UNIT"]
    assert unit.actual == "万元" and unit.keys == ["t2_2019.procurement.amount"] and unit.severity == "info"


def test_2019_html_cells_keep_sign_and_unit(tmp_path):
    fmt = load_format("2019")
    values = values_for("2019", 5)
    values.update({"t2_2019.penalty.change": -7, "t2_2019.procurement.amount": 1250000})
    rows = []
    for s in fmt.sections:
        rows.append(f"<h2>{s.heading}</h2>")
        if s.kind == "table":
            from report_shapes import table_lines
            cell = (lambda v: f"{v}元" if v == 1250000 else ("−7" if v == -7 else str(v)))
            lines = table_lines(fmt.tables[s.table], values, cell)
            rows.append("<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in ln) + "</tr>" for ln in lines)
                        + "</table>")
        else:
            rows.append("<p>本年度依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。未收取信息处理费。</p>")
    html = f"<html><head><title>测试县农业农村局2020年政府信息公开工作年度报告</title></head><body>{''.join(rows)}</body></html>"
    back = imported(tmp_path, html, "r.html")
    assert back.layout == "2019" and back.values == values
    (unit,) = [f for f in back.findings if f.rule == "IMP-UNIT"]
    assert unit.actual == "元" and unit.severity == "info"


# ------------------------------------------------------------------ ambiguous digits: the narrative, last year
def _ambiguous_2021(seed=0):
    values = values_for("2021", seed)
    values.update({"t2.normative_docs.issued": 77, "t2.normative_docs.repealed": 3, "t2.normative_docs.in_force": 665})
    return values


def test_narrative_number_decides_a_split(tmp_path):
    fmt = load_format("2021")
    values = _ambiguous_2021()
    plain = imported(tmp_path, report_text(fmt, values, sep=""), "a.txt")
    assert "t2.normative_docs.issued" in guessed(plain)  # "773665": 77/3/665, 7/73/665, 77/36/65 …
    # 77 制发 alone leaves 77/3/665, 77/36/65, 77/366/5: still a warning
    narrative = {"overview": "本年度制发的规范性文件77件，均按规定公开。依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。"}
    back = imported(tmp_path, report_text(fmt, values, sep="", narrative=narrative), "b.txt")
    assert "t2.normative_docs.issued" in guessed(back)
    narrative = {"overview": "本年度制发的规范性文件77件，现行有效规范性文件665件。依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。"}
    back = imported(tmp_path, report_text(fmt, values, sep="", narrative=narrative), "c.txt")
    assert [back.values[f"t2.normative_docs.{c}"] for c in ("issued", "repealed", "in_force")] == [77, 3, 665]
    assert "t2.normative_docs.issued" not in guessed(back)
    (decided,) = [f for f in back.findings if f.rule == "IMP-SPLIT" and "正文" in f.message]
    assert "规范性文件77件" in decided.message and "665件" in decided.message and decided.severity == "info"


def test_narrative_that_contradicts_every_split_keeps_the_warning(tmp_path):
    fmt = load_format("2021")
    values = _ambiguous_2021()
    narrative = {"overview": "本年度制发的规范性文件12件。依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。"}
    back = imported(tmp_path, report_text(fmt, values, sep="", narrative=narrative))
    assert "t2.normative_docs.issued" in guessed(back)


def test_previous_year_decides_a_split_through_y02(tmp_path):
    fmt = load_format("2021")
    last = values_for("2021", 1)
    last["t2.normative_docs.in_force"] = 591
    values = _ambiguous_2021()  # 665 = 591 + 77 − 3
    last_path = tmp_path / "2021.txt"
    last_path.write_text(report_text(fmt, last, year=2021, sep=" "), encoding="utf-8")
    prev = import_report(last_path)
    back = imported(tmp_path, report_text(fmt, values, sep=""), previous=prev)
    assert [back.values[f"t2.normative_docs.{c}"] for c in ("issued", "repealed", "in_force")] == [77, 3, 665]
    assert any(f.rule == "IMP-SPLIT" and "上年报告" in f.message for f in back.findings)
    # and through the command line
    path = tmp_path / "r.txt"
    r = CliRunner().invoke(main, ["import", str(path), "--previous", str(last_path), "--json"])
    data = json.loads(r.output)
    assert data["cells"]["t2.normative_docs.issued"] == 77


# ------------------------------------------------------------------ property: a split is right or named
_ROW_KEYS = [f"t3.granted.{c}" for c in ("natural_person", "commercial", "research", "social_welfare",
                                         "legal_service", "other_org", "total")]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=6, max_size=6))
def test_a_run_together_row_split_is_the_unique_split_or_ambiguous(parts):
    """split_candidates never misses the true reading: it is among the candidates; when it is the only one, the
    importer takes it, otherwise the importer names the row in a warning (tested above)."""
    fmt = load_format("2021")
    row = parts + [sum(parts)]
    text = "".join(str(x) for x in row)
    tokens = [t for t in tokenize(text, 0, len(text)) if t.kind == "value"]
    inst = [i for i in fmt.sum_instances() if set(i.keys) <= set(_ROW_KEYS)]
    cands = split_candidates(tokens, _ROW_KEYS, inst)
    assert tuple(str(x) for x in row) in cands
    for c in cands:
        assert sum(int(x) for x in c[:6]) == int(c[6])


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 5000), st.integers(-5000, 5000), st.integers(0, 5000))
def test_signed_2019_cells_split_with_their_sign(prev, change, decisions):
    keys = [f"t2_2019.licensing.{c}" for c in ("prev_year_items", "change", "decisions")]
    types = [load_format("2019").cells[k].type for k in keys]
    text = f"{prev}{change}{decisions}"
    tokens = [t for t in tokenize(text, 0, len(text)) if t.kind == "value"]
    cands = split_candidates(tokens, keys, (), types=types)
    assert (str(prev), str(change), str(decisions)) in cands
    assert all(not c[0].startswith("-") and not c[2].startswith("-") for c in cands)
    if change < 0:  # the sign fixes where 上一年项目数量 ends
        assert {c[0] for c in cands} == {str(prev)}


# ------------------------------------------------------------------ layout by structure
def test_merged_other_row_is_2021_merged_other_not_2019(tmp_path):
    """A 2021 report that kept the single （六）其他处理 row, whose 表二 lost its one-column rows' numbers and whose
    title names no year: as many cells fit 2019 as 2021-merged-other, and the structure decides."""
    fmt = load_format("2021-merged-other")
    values = values_for("2021-merged-other", 2)
    lost = {"t2.licensing.decisions", "t2.penalty.decisions", "t2.coercion.decisions", "t2.fees.amount"}
    shown = {k: ("" if k in lost else v) for k, v in values.items()}
    text = report_text(fmt, shown, sep=" ", title="测试县水利局政府信息公开工作年度报告",
                       preamble="本报告由测试县水利局编制。")
    back = imported(tmp_path, text)
    assert back.layout == "2021-merged-other"
    assert {k: back.values[k] for k in values if k not in lost} == {k: v for k, v in values.items() if k not in lost}
    assert any(f.rule == "IMP-LAYOUT" and f.severity == "warning" for f in back.findings)
    assert not [f for f in check(back) if f.rule in ("S02", "S03")]


@pytest.mark.parametrize("year", [2020, 2021, None])
def test_2019_report_is_recognised_by_its_table_two(tmp_path, year):
    fmt = load_format("2019")
    values = values_for("2019", 6)
    title = f"测试县民政局{year}年政府信息公开工作年度报告" if year else "测试县民政局政府信息公开工作年度报告"
    back = imported(tmp_path, report_text(fmt, values, year=year or 2020, sep=" ", title=title,
                                          preamble="本报告由测试县民政局编制。"))
    assert back.layout == "2019" and back.values == values
    cues = back.identity["layout_cues"]
    assert any(w in c for c in cues for w in ("其他对外管理服务事项", "政府集中采购", "本年新制作数量", "上一年项目数量"))
    assert not any("“规范性文件”" in c for c in cues)  # printed in 2021 reports too: no evidence
    s03 = [f for f in check(back) if f.rule == "S03"]
    assert bool(s03) == (year == 2021)  # a 2021 report in the 2019 layout: the publisher's own error


# ------------------------------------------------------------------ other section numberings
_SIX = tuple(s.id for s in load_format("2021").sections)


def _numbered(style: str, titles=None, seven=False) -> tuple[dict, list]:
    """Headings numbered in a province's style; with seven a separate 工作机制 part after 总体情况 (the rest shift)."""
    fmt = load_format("2021")
    cn = "一二三四五六七八"
    titles = titles or {}
    out, n = {}, 0
    for s in fmt.sections:
        n += 1
        words = titles.get(s.id, s.heading.split("、", 1)[1])
        mark = {"cn": f"{cn[n - 1]}、", "part": f"第{cn[n - 1]}部分 ", "arabic": f"{n}.", "paren": f"（{cn[n - 1]}）",
                "half": f"({cn[n - 1]})", "dun": f"{n}、"}[style]
        out[s.id] = mark + words
        if seven and s.id == "overview":
            n += 1
    extra = []
    if seven:
        mark = {"cn": "二、", "part": "第二部分 ", "arabic": "2.", "paren": "（二）", "half": "(二)", "dun": "2、"}[style]
        extra = [("overview", mark + "工作机制", "建立健全政府信息公开工作机制，明确分管领导和专职人员。")]
    return out, extra


_TITLES = {"overview": "政府信息公开工作概述", "problems": "存在的主要问题及整改措施", "other": "其他需要说明的事项",
           "appeals": "因政府信息公开申请行政复议、提起行政诉讼的情况", "requests": "依申请公开情况"}


@pytest.mark.parametrize("style", ["cn", "part", "arabic", "paren", "half", "dun"])
@pytest.mark.parametrize("seven", [False, True])
@pytest.mark.parametrize("titled", [False, True])
def test_parts_numbered_and_named_their_own_way(tmp_path, style, seven, titled):
    fmt = load_format("2021")
    values = values_for("2021", 8)
    headings, extra = _numbered(style, _TITLES if titled else None, seven)
    narrative = {"overview": "本年度依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。"
                             "（一）主动公开情况。全年主动公开信息1200条。（二）依申请公开情况。办理申请若干。"}
    text = report_text(fmt, values, sep="\t", headings=headings, extra=extra, narrative=narrative)
    back = imported(tmp_path, text)
    assert back.layout == "2021" and back.values == values
    assert set(back.narrative) == {"overview", "problems", "other"}
    assert back.narrative["problems"].startswith("存在的问题") and back.narrative["other"].startswith("本年度未收取")
    assert "（二）依申请公开情况" in back.narrative["overview"]  # a sub-heading is not taken for a part
    assert errors(back) == []
    parts = back.identity["parts"]
    assert [p["section"] for p in parts if p["section"]] == list(_SIX)
    added = [p for p in parts if not p["section"]]
    if seven:
        assert [p["printed"] for p in added] == [extra[0][1]] and added[0]["within"] == "overview"
        assert "工作机制" in back.narrative["overview"]
        (said,) = [f for f in back.findings if f.rule == "IMP-PARTS"]
        assert "工作机制" in said.message and "不属于规定的六个部分" in said.message
    else:
        assert added == []


@pytest.mark.parametrize("titled", [False, True])
@pytest.mark.parametrize("kind", ["txt", "html"])
def test_parts_without_ordinals(tmp_path, titled, kind):
    """Headings whose 一、 is Word's automatic numbering or a page's <ol> (not in the text): each part found by its
    words on a line of its own — and a sub-heading on its own line (（二）依申请公开情况) is still no part."""
    fmt = load_format("2021")
    values = values_for("2021", 8)
    headings = {s.id: (_TITLES.get(s.id) if titled and s.id in _TITLES else s.heading.split("、", 1)[1])
                for s in fmt.sections}
    narrative = {"overview": "本年度依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。\n"
                             "（一）主动公开情况\n全年主动公开信息1200条。\n（二）依申请公开情况\n办理申请若干。"}
    text = report_text(fmt, values, sep="\t", headings=headings, narrative=narrative)
    if kind == "html":
        import html as h

        text = "<html><body>" + "".join(
            f"<h2>{h.escape(ln)}</h2>" if ln in headings.values() else
            "<table><tr>" + "".join(f"<td>{h.escape(c)}</td>" for c in ln.split("\t")) + "</tr></table>"
            if "\t" in ln else f"<p>{h.escape(ln)}</p>" for ln in text.split("\n")) + "</body></html>"
    back = imported(tmp_path, text, f"r.{kind}")
    assert back.layout == "2021" and back.values == values
    assert back.narrative["problems"].startswith("存在的问题") and back.narrative["other"].startswith("本年度未收取")
    assert "（二）依申请公开情况" in back.narrative["overview"]
    assert [p["section"] for p in back.identity["parts"]] == list(_SIX)
    assert errors(back) == []


def test_table_part_found_by_its_content(tmp_path):
    """表三's heading worded beyond recognition: the table is found by its own labels, and the output says so."""
    fmt = load_format("2021")
    values = values_for("2021", 9)
    text = report_text(fmt, values, sep="\t", headings={"requests": "三、群众申请办理统计"})
    back = imported(tmp_path, text)
    assert back.values == values and errors(back) == []
    (part,) = [p for p in back.identity["parts"] if p["section"] == "requests"]
    assert part["printed"] == ""
    assert any("按表格内容定位" in f.message for f in back.findings if f.rule == "IMP-PARTS")


def test_parts_in_the_json_output(tmp_path):
    fmt = load_format("2021")
    headings, _ = _numbered("part")
    path = tmp_path / "r.txt"
    path.write_text(report_text(fmt, values_for("2021", 1), sep="\t", headings=headings), encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(path), "--json"])
    data = json.loads(r.output)
    assert [p["printed"] for p in data["parts"]][:2] == ["第一部分 总体情况", "第二部分 主动公开政府信息情况"]


# ------------------------------------------------------------------ short rows: a blank cell left out of plain text
def _with_blanks(seed, count=12):
    """A 2021 filing whose 表三 has `count` cells left blank (published as nothing), and the values expected back."""
    values = values_for("2021", seed)
    rng = random.Random(seed)
    zeros = [k for k in values if k.startswith("t3.") and not k.endswith(".total") and values[k] == 0]
    blank = set(rng.sample(zeros, min(count, len(zeros))))
    shown = {k: ("" if k in blank else v) for k, v in values.items()}
    return shown, {k: (None if k in blank else v) for k, v in values.items()}


@pytest.mark.parametrize("seed", range(5))
def test_short_rows_in_layout_text_read_by_column_positions(tmp_path, seed):
    """`pdftotext -layout`-like text: numbers right-aligned in columns, a blank cell printed as spaces."""
    fmt = load_format("2021")
    shown, expect = _with_blanks(seed)
    rng = random.Random(seed)
    text = report_text(fmt, shown, cell=lambda v: f"{v:>9}" if v != "" else " " * 9, label_width=110,
                       jitter=lambda i: rng.randint(0, 2))
    back = imported(tmp_path, text)
    assert back.values == expect
    assert errors(back) == []
    assert any(f.rule == "IMP-BLANK" and "位置" in f.message for f in back.findings)
    assert not [f for f in back.findings if f.rule == "IMP-BLANK" and f.severity == "warning"]


@pytest.mark.parametrize("seed", range(5))
def test_short_rows_in_single_spaced_text_decided_by_identities_or_named(tmp_path, seed):
    """Single spaces keep no positions: the identities decide where they can; anything else is a named warning,
    and no identity error is invented."""
    fmt = load_format("2021")
    shown, expect = _with_blanks(seed)
    back = imported(tmp_path, report_text(fmt, shown, sep=" "))
    warned = {k for f in back.findings if f.rule == "IMP-BLANK" and f.severity == "warning" for k in f.keys}
    wrong = {k for k in expect if back.values[k] != expect[k]}
    assert wrong <= warned
    assert errors(back) == []


# ------------------------------------------------------------------ the unit's name
@pytest.mark.parametrize("title,preamble,tail,unit,source", [
    ("测试县发展和改革局2023年政府信息公开工作年度报告", None, "", "测试县发展和改革局", "标题"),
    ("测试县发展和\n改革局2023年度政府信息\n公开工作年度报告", None, "", "测试县发展和改革局", "标题"),
    ("测试市生态环境局关于2023年政府信息公开工作年度报告", None, "", "测试市生态环境局", "标题"),
    ("关于公布测试区卫生健康委员会2023年政府信息公开工作年度报告的通知", None, "", "测试区卫生健康委员会", "标题"),
    ("首页 > 政务公开 > 年报 > 测试县交通运输局2023年政府信息公开工作年度报告", None, "", "测试县交通运输局", "标题"),
    ("2023年政府信息公开工作年度报告", "发布机构：测试县审计局\n本报告统计期限为2023年1月1日至2023年12月31日。", "",
     "测试县审计局", "发布机构"),
    ("2023年政府信息公开工作年度报告", "测试县人力资源和社会保障局根据《中华人民共和国政府信息公开条例》编制本报告。", "",
     "测试县人力资源和社会保障局", "正文开头"),
    ("2023年政府信息公开工作年度报告", "本报告统计期限为2023年1月1日至2023年12月31日。", "测试县司法局\n2024年1月20日\n",
     "测试县司法局", "落款"),
    # pandoc drops a docx's title: the preamble quotes it, and the name need not end as a unit's name does
    ("发布日期：2024-01-20", "根据《中华人民共和国政府信息公开条例》规定，现公布健安道2023年政府信息公开工作年度报告。", "", "健安道", "正文开头"),
    ("发布日期：2024-01-20", "现将测试县林业局2023年政府信息公开工作年度报告公布如下。", "", "测试县林业局", "正文开头"),
])
def test_unit_name_from_title_page_preamble_or_signature(tmp_path, title, preamble, tail, unit, source):
    fmt = load_format("2021")
    values = values_for("2021", 4)
    text = report_text(fmt, values, year=2023, sep="\t", title=title, preamble=preamble) + tail
    back = imported(tmp_path, text)
    assert (back.unit, back.year) == (unit, 2023)
    assert back.identity["unit_from"] == source
    assert back.values == values


@pytest.mark.parametrize("title", [
    "测试县林业局二〇二三年政府信息公开工作年度报告", "测试县林业局二○二三年度政府信息公开工作年度报告",
    "2023年测试县林业局政府信息公开工作年度报告", "测试县林业局政府信息公开工作2023年度报告",
    "测试县林业局政府信息公开工作年度报告（2023年）", "测试县林业局2023年度政府信息公开年报",
    "测试县林业局2023年政府信息公开工作报告",
])
def test_unit_and_year_from_the_title_worded_its_own_way(tmp_path, title):
    """Titles put the year in Chinese numerals, before the unit, after 工作 or in brackets; the preamble here names
    neither, so both come from the title."""
    text = report_text(load_format("2021"), values_for("2021", 4), year=2023, sep="\t", title=title,
                       preamble="本报告统计期限为本年度。")
    back = imported(tmp_path, text)
    assert (back.unit, back.year, back.identity["unit_from"]) == ("测试县林业局", 2023, "标题")


@pytest.mark.parametrize("page_title", ["测试县林业局2023年政府信息公开工作年度报告_测试县人民政府",
                                        "测试县林业局二〇二三年度政府信息公开工作年度报告_测试县人民政府"])
def test_unit_name_from_the_page_title_of_a_web_page(tmp_path, page_title):
    fmt = load_format("2021")
    body = report_text(fmt, values_for("2021", 5), year=2023, sep=" ", title="2023年政府信息公开工作年度报告",
                       preamble="本报告统计期限为2023年1月1日至2023年12月31日。")
    html = (f"<html><head><meta charset='utf-8'><title>{page_title}</title>"
            "</head><body>" + "".join(f"<p>{ln}</p>" for ln in body.split("\n")) + "</body></html>")
    back = imported(tmp_path, html, "r.html")
    assert back.unit == "测试县林业局"


@pytest.mark.parametrize("seed", range(4))
def test_word_table_saved_as_text_one_cell_a_line(tmp_path, seed):
    """LibreOffice/WPS "save as text": every cell on its own line, an empty cell an empty line — read cell by cell."""
    fmt = load_format("2021")
    shown, expect = _with_blanks(seed)
    back = imported(tmp_path, report_text(fmt, shown, sep="\n"))
    assert back.values == expect
    assert errors(back) == []


def test_word_table_saved_as_text_whose_only_blanks_open_their_rows(tmp_path):
    """Saved as text, a blank first cell is an empty line between the row's label and its numbers — the only sign, in
    a report whose blanks all open their rows, that the text keeps empty cells (it once read as a paragraph gap)."""
    fmt = load_format("2021")
    values = values_for("2021", 12)
    for key in ("t2.regulations.issued", "t2.normative_docs.issued"):
        values[key] = None
    shown = {k: ("" if v is None else v) for k, v in values.items()}
    back = imported(tmp_path, report_text(fmt, shown, sep="\n"))
    assert back.values == values
    assert not [f for f in back.findings if f.rule == "IMP-BLANK" and f.severity == "warning"]


@pytest.mark.parametrize("seed", range(4))
def test_table_copied_as_text_with_tabs_keeps_its_blank_cells(tmp_path, seed):
    """A table copied from a web page or Word into Notepad: cells between tabs, a blank cell two tabs in a row. The
    tabs say which column each number is in, so nothing is guessed (before, the blanks shifted numbers and the
    rows' totals reported errors the publisher never made)."""
    fmt = load_format("2021")
    shown, expect = _with_blanks(seed, count=20)
    back = imported(tmp_path, report_text(fmt, shown, sep="\t"))
    assert back.values == expect
    assert errors(back) == []
    assert not [f for f in back.findings if f.rule in ("IMP-BLANK", "IMP-SPLIT", "IMP-ROW")]


def test_full_width_digits_and_decimal_point(tmp_path):
    """Numbers typed in full width (an input method left on, or OCR): the fee's decimal point “．” too."""
    values = values_for("2021", 3)
    values["t2.fees.amount"] = 12.5
    wide = str.maketrans("0123456789.", "０１２３４５６７８９．")
    back = imported(tmp_path, report_text(load_format("2021"), values, sep="\t", cell=lambda v: str(v).translate(wide)))
    assert back.values == values


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16", "utf-16-be-bom"])
def test_text_saved_in_each_encoding_windows_offers(tmp_path, encoding):
    """Notepad saves as UTF-8 (with a BOM), ANSI (GBK on a Chinese Windows) or "Unicode" (UTF-16 with a BOM)."""
    values = values_for("2021", 6)
    text = report_text(load_format("2021"), values, sep="\t")
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    p = tmp_path / "r.txt"
    p.write_bytes(data)
    back = import_report(p)
    assert back.values == values and back.unit == "测试县发展和改革局"


# ------------------------------------------------------------------ a report that cannot be read
def test_unreadable_reports_exit_2_with_a_chinese_message(tmp_path):
    cases = {
        "empty.html": (b"", "空的"),
        "binary.txt": (b"\x00\x01\x02" * 100, "不是文本文件"),
        "broken.docx": (b"PK\x03\x04 not really a zip", "不是 .docx 文件"),
        "broken.pdf": (b"%PDF-1.4 garbage", "PDF"),
        "numbers.md": ("| 数据1 | 数据2 |\n|---|---|\n| 1 | 2 |\n".encode(), "不像政府信息公开工作年度报告"),
        "gbk.txt": ("某县人民政府\n会议纪要\n".encode("gb18030"), "不像政府信息公开工作年度报告"),
    }
    for name, (data, words) in cases.items():
        src = tmp_path / name
        src.write_bytes(data)
        out = tmp_path / f"{name}.json"
        r = CliRunner().invoke(main, ["import", str(src), "-o", str(out)])
        assert r.exit_code == 2, (name, r.output)
        assert words in r.output and "Traceback" not in r.output, (name, r.output)
        assert not out.exists() and src.read_bytes() == data
