"""S08: numbers quoted in 一、总体情况 that contradict the tables.

Only claims whose meaning is clear are checked, each against every reading the real wording allows:
"共收到/受理 N 件申请" may be 本年新收 or 新收 + 上年结转; "答复/办结 N 件" is （七）总计; "N 件结转下年度" is row 四;
"行政复议 N 件" may be 总计 or include the cases taken on to court; "行政诉讼 N 件" is either block or both. A number
that fits none of its readings is a warning that quotes the sentence. A number in a change clause ("较上年增加 2 件",
"同比减少3件", "比去年多5件") is a difference between two years, not a count of this year: it is never read as one.
When last year is known, a change clause on last year is checked as a difference (narrative_changes.py).
Anything else (网络问政, 人大建议, 信息条数) is left alone: no guessing.
"""
from __future__ import annotations

import re

from .filing import Filing, Finding

_SENTENCE = re.compile(r"[^。；;！？!?\n]+")
_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)\s*(余|多)?\s*件")
_CLAUSE_BREAK = "，,、（）()：:"
# what makes the number after it a difference: a comparison (较/比/同比/环比 …), then 增加/减少/增长/下降/多/少 and
# at most a few words ("比上年增加受理申请5件"), within the number's own clause
_CHANGE = re.compile(r"(?:较|比|同比|环比)[^，,、（）()：:；;。]{0,16}?(?:增加|减少|增长|下降|上升|降低|增|减|多|少)[^，,、（）()：:；;。\d]{0,12}$")

# topic words, searched backwards from the number within the sentence
_TOPICS = (("review", ("行政复议",)), ("litigation", ("行政诉讼",)), ("docs", ("规范性文件",)),
           ("regulations", ("规章",)), ("requests", ("依申请", "公开申请", "申请")))
_NOT_REQUESTS = ("问政", "建议", "提案", "信访", "热线", "咨询", "留言", "投诉", "来信", "网民")
_COLUMNS = (("natural_person", "自然人"), ("commercial", "商业企业"), ("research", "科研机构"),
            ("social_welfare", "社会公益组织"), ("legal_service", "法律服务机构"))
_RESULTS = (("upheld", "维持"), ("corrected", "纠正"), ("other", "其他结果"), ("pending", "未审结"))


def _clause(sentence: str, start: int, end: int) -> str:
    a = max((sentence.rfind(c, 0, start) for c in _CLAUSE_BREAK), default=-1) + 1
    b = min((i for i in (sentence.find(c, end) for c in _CLAUSE_BREAK) if i >= 0), default=len(sentence))
    return sentence[a:b]


def _topic(sentence: str, start: int, clause: str) -> str | None:
    for topic, words in _TOPICS:  # a topic word in the number's own clause wins
        if any(w in clause for w in words):
            return topic
    best, where = None, -1
    for topic, words in _TOPICS:
        for w in words:
            i = sentence.rfind(w, 0, start)
            if i > where:
                best, where = topic, i
    return best


def _readings(topic: str, clause: str, sentence: str) -> list[tuple[str, ...]] | None:
    """The cells (a tuple of keys, summed) the number may mean; None when the claim is not one this check
    understands."""
    if topic == "requests":
        if any(w in clause for w in _NOT_REQUESTS) or not any(w in sentence for w in ("申请", "依申请")):
            return None
        col = next((c for c, word in _COLUMNS if word in clause), "total")
        if "结转" in clause or "顺延" in clause:
            if "上年" in clause:
                return [(f"t3.carried_over.{col}",)]
            if "下年" in clause or "结转至" in clause or "转入" in clause:
                return [(f"t3.carry_forward.{col}",)]
            return None
        if any(w in clause for w in ("办结", "答复", "办理完毕", "处理完毕")):
            return [(f"t3.total.{col}",)]
        if col != "total" or any(w in clause for w in ("收到", "受理", "收办", "新收", "接收", "共有", "涉及")):
            return [(f"t3.new.{col}",), (f"t3.new.{col}", f"t3.carried_over.{col}")]
        return None
    if topic in ("review", "litigation"):
        col = next((c for c, word in _RESULTS if word in clause), "total")
        review, direct, after = (f"t4.{b}.{col}" for b in ("review", "litigation_direct", "litigation_after_review"))
        if topic == "review":
            return [(review,), (review, after)]
        return [(direct, after), (direct,), (after,)]
    if topic in ("docs", "regulations"):
        row = "normative_docs" if topic == "docs" else "regulations"
        if "现行有效" in clause:
            col = "in_force"
        elif any(w in clause for w in ("废止", "失效", "宣布无效")):
            col = "repealed"
        elif any(w in clause for w in ("制发", "出台", "印发", "制定", "新增", "新制")):
            col = "issued"
        else:
            return None
        return [(f"t2.{row}.{col}",)]
    return None


def sentences(text: str):
    for sm in _SENTENCE.finditer(text or ""):
        yield sm.group(0).strip()


def counts(sentence: str):
    """(start, end, number, readings or None) for every count (N 件) of the sentence that is not a change."""
    for m in _NUMBER.finditer(sentence):
        if m.group(2):  # "100余件": an approximation, not a claim
            continue
        if _CHANGE.search(sentence, 0, m.start()):
            continue  # "较上年增加2件": the change, not a count
        clause = _clause(sentence, m.start(), m.end())
        topic = _topic(sentence, m.start(), clause)
        readings = _readings(topic, clause, sentence) if topic else None
        yield m.start(), m.end(), int(m.group(1).replace(",", "")), readings


def claims(text: str):
    """(sentence, number, readings) for every number in the text that a claim of this check understands; each
    reading is a tuple of cell keys whose sum the number may be."""
    for sentence in sentences(text):
        for _, _, n, readings in counts(sentence):
            if readings:
                yield sentence, n, readings


def subject(clause: str, sentence: str):
    """The readings of a clause without a number, by its own words ("本年度未收到政府信息公开申请"), or None."""
    topic = next((t for t, words in _TOPICS if any(w in clause for w in words)), None)
    return _readings(topic, clause, sentence) if topic else None


def label(fmt, keys) -> str:
    """The cells' labels from the format definition, for a message."""
    names = []
    for k in keys:
        c = fmt.cells.get(k)
        names.append(f"{fmt.tables[c.table].sheet}{c.label}" if c else k)
    return "加".join(names)


def check_numbers_in_text(filing: Filing, previous=None) -> list[Finding]:
    """S08 on 一、总体情况; `previous` (last year: a Filing, or its values by key) checks the change clauses too."""
    rule = filing.fmt.rules.get("S08")
    text = filing.narrative.get("overview") or ""
    if rule is None or not text:
        return []
    values, fmt = filing.values, filing.fmt
    out = []
    for sentence, n, readings in claims(text):
        known = []
        for keys in readings:
            vals = [values.get(k) for k in keys]
            if not any(x is None for x in vals):
                known.append((label(fmt, keys), sum(vals)))
        if not known or any(x == n for _, x in known):
            continue
        what, expected = known[0]
        keys = [k for k in values if values[k] is not None and values[k] == expected][:1]
        out.append(Finding("S08", rule.severity, rule.text(sentence=sentence, actual=n, expected=expected,
                                                           what="，或".join(f"{w} {x}" for w, x in known)),
                           keys=keys, expected=expected, actual=n))
    if previous is not None:
        from .narrative_changes import check_changes

        out += check_changes(filing, previous.values if isinstance(previous, Filing) else previous, rule, text)
    return out
