"""The narrative rules (S01, S04–S07) on a filing's sections 一、五、六 and, when known, the report's title.

The messages and severities are the format definition's; the word lists below are tolerant readings of what people
write (e.g. “整改” for 改进), not labels.
"""
from __future__ import annotations

import re

from .filing import Filing, Finding
from .formats import normalize_label

NOTHING = {"无", "暂无", "没有", "无。", "暂无。", "没有。", "无相关情况", "无其他需要报告的事项"}
IMPROVEMENT_WORDS = ("改进", "整改", "措施", "加强", "提升", "完善", "下一步")
FEE_WORDS = ("信息处理费", "处理费")
# a statistics period written out: 2021年1月1日至2021年12月31日 (the second year may be left out)
PERIOD = re.compile(r"(\d{4})年1月1日(?:起)?(?:至|到|—|－|-|~|～)(?:(\d{4})年)?12月31日")


def _finding(filing: Filing, rid: str, **kw) -> list[Finding]:
    rule = filing.fmt.rules.get(rid)
    if rule is None:
        return []
    return [Finding(rid, rule.severity, rule.text(**kw), expected=kw.get("expected"), actual=kw.get("actual"))]


def check_narrative(filing: Filing, title: str | None = None) -> list[Finding]:
    fmt = filing.fmt
    narrative = filing.narrative or {}
    out: list[Finding] = []
    for s in fmt.narrative_sections:
        if not (narrative.get(s.id) or "").strip():
            out += _finding(filing, "S01", expected=s.heading)
    text = {s.id: normalize_label(narrative.get(s.id) or "") for s in fmt.narrative_sections}

    overview = next((s for s in fmt.narrative_sections if s.topics), None)
    if overview is not None and text.get(overview.id):
        missing = [t.split("|")[0] for t in overview.topics
                   if not any(w in text[overview.id] for w in t.split("|"))]
        if missing:
            out += _finding(filing, "S04", missing="“" + "”“".join(missing) + "”", actual=missing)

    problems = text.get("problems")
    if problems:
        if problems in NOTHING:
            out += _finding(filing, "S05", problem=f"只写了“{narrative['problems'].strip()}”", actual=problems)
        elif not any(w in problems for w in IMPROVEMENT_WORDS):
            out += _finding(filing, "S05", problem="未写明改进措施", actual=problems[:40])

    other = text.get("other")
    if other and not any(w in other for w in FEE_WORDS):
        out += _finding(filing, "S06", actual=other[:40])

    unit, year = filing.unit, filing.year
    if title is not None and unit and year:
        expected = fmt.report_title(unit, year)
        if normalize_label(title) != normalize_label(expected):
            out += _finding(filing, "S07", what="标题", expected=expected, actual=title)
    if year:
        for sid, t in text.items():
            for m in PERIOD.finditer(t):
                if int(m.group(1)) != year or (m.group(2) and int(m.group(2)) != year):
                    out += _finding(filing, "S07", what="统计期", expected=f"{year}年1月1日至{year}年12月31日",
                                    actual=m.group(0))
    return out
