"""The narrative rules S01, S04–S07: what a reviewer is told about sections 一、五、六 and the title."""
from __future__ import annotations

import pytest

from nianbao.filing import Filing
from nianbao.narrative_checks import check_narrative

GOOD = {
    "overview": "本年度主动公开、依申请公开、政府信息管理、平台建设、监督保障工作有序开展。",
    "problems": "信息发布不够及时。下一步将加强培训，完善机制。",
    "other": "本年度未收取信息处理费。",
}


def filing(fmt, **narrative):
    return Filing.from_values(fmt, {}, identity={"unit": "某区教育局", "year": 2021}, narrative={**GOOD, **narrative})


def rules(findings):
    return [(f.rule, f.severity) for f in findings]


def test_a_complete_narrative_passes(fmt2021):
    assert check_narrative(filing(fmt2021), title="某区教育局2021年政府信息公开工作年度报告") == []


@pytest.mark.parametrize("sid", ["overview", "problems", "other"])
def test_missing_section_is_an_error(fmt2021, sid):
    found = check_narrative(filing(fmt2021, **{sid: "  "}))
    assert rules(found) == [("S01", "error")]
    assert fmt2021.section(sid).heading in found[0].message


def test_overview_topics(fmt2021):
    found = check_narrative(filing(fmt2021, overview="本年度主动公开和依申请公开工作有序开展。"))
    assert rules(found) == [("S04", "warning")]
    assert "政府信息管理" in found[0].message and "主动公开”" not in found[0].message


@pytest.mark.parametrize("text, words", [("无", "只写了“无”"), ("工作很好。", "未写明改进措施")])
def test_problems_section(fmt2021, text, words):
    found = check_narrative(filing(fmt2021, problems=text))
    assert rules(found) == [("S05", "warning")] and words in found[0].message


def test_other_section_must_mention_the_fee(fmt2021):
    assert rules(check_narrative(filing(fmt2021, other="无"))) == [("S06", "warning")]
    assert check_narrative(filing(fmt2021, other="本年度收取信息处理费 0 元。")) == []


def test_title_and_period(fmt2021):
    found = check_narrative(filing(fmt2021), title="某区教育局2020年政府信息公开工作年度报告")
    assert rules(found) == [("S07", "warning")] and "标题" in found[0].message
    found = check_narrative(filing(fmt2021, overview=GOOD["overview"] + "统计期为2020年1月1日至12月31日。"))
    assert rules(found) == [("S07", "warning")] and "2021年1月1日至2021年12月31日" in found[0].message
