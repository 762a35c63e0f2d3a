"""S08 on change clauses, when last year is known: "较上年增加 5 件，增长 12.5%" against this year minus last year.

A change clause compares with last year (较上年/比去年/同比/较2022年 for a 2023 report; not 环比, not another year)
and says a direction (增加/减少/多/少/增长/下降 …), a difference in 件, a percentage, or both — the percentage may
follow in the next clause ("，增长12.5%"), and "与上年持平" says no change. What changed is the clause's own subject
("比上年增加受理申请5件"), else the count or the no-number clause ("本年度未收到政府信息公开申请") just before it in the
sentence, read as narrative_numbers reads a count; a clause between that is neither drops the subject: no guessing.
A clause fits when one reading of its subject, with both years known, gives the stated difference (sign included)
and a percentage of last year that the stated one rounds (to its own decimals: to nearest, either way at .5, or cut
off; the drafted paragraph's one decimal half up is one of these). A percentage of last year's 0 is not checked.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

from .filing import Filing, Finding
from .narrative_numbers import _CLAUSE_BREAK, counts, label, sentences, subject
from .paragraph import scaled

# the comparison with last year; a year written out is last year only when it is the report's year - 1
_VERSUS = re.compile(r"(?:较|比|与|同|和)(?P<when>上年同期|上年度|上年|去年同期|去年|上一年度|上一年|前一年|"
                     r"(?P<year>\d{4})年度?(?:同期)?)|(?P<yoy>同比)")
_OTHER_BASE = re.compile(r"环比|上季度|上月|上半年")
_DIRECTION = re.compile(r"(增加|增长|上升|提高|增幅为?|增|多)|(减少|下降|降低|回落|降幅为?|减|少)")
_DIFF = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)\s*件")
_PCT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[%％]")
_LEVEL = re.compile(r"持平|相同|相当|一致")
_NUMBERISH = re.compile(r"\d")


class Change(NamedTuple):
    text: str  # the clause(s) as written, quoted in the message
    sign: int  # +1 more, -1 fewer, 0 the same
    diff: int | None  # the difference stated, in 件
    pct: str | None  # the percentage stated, as written ("12.5")
    pct_sign: int  # the direction said with the percentage (增长 +1, 下降 -1)
    readings: list  # tuples of keys whose sum changed


def _change(clause: str, year: int | None):
    """(sign, diff, pct, pct_sign) of a change clause on last year; "other" for a change on anything else (another
    year, another unit than 件): not checked, and nothing after it is its percentage; None: not a change clause."""
    m = _VERSUS.search(clause)
    if m is None:
        return None
    if _OTHER_BASE.search(clause) or (m.group("year") and (year is None or int(m.group("year")) != year - 1)):
        return "other"
    rest = clause[m.end():]
    if not _DIRECTION.search(rest[:16]) and _LEVEL.search(rest[:8]):
        return (0, None, None, 0)
    d = _DIRECTION.search(rest[:16])
    if d is None:
        return None
    sign = 1 if d.group(1) else -1
    after = rest[d.end():]
    diff, pct = _DIFF.search(after), _PCT.search(after)
    if diff is None and pct is None:
        return "other" if _NUMBERISH.search(after) else None  # "减少0.3万元": not a count
    pct_sign = sign
    if diff is not None and pct is not None:  # "增加5件增长12.5%": the percentage's own word, if it has one
        said = list(_DIRECTION.finditer(after, diff.end(), pct.start()))
        pct_sign = (1 if said[-1].group(1) else -1) if said else sign
    return (sign, int(diff.group(1).replace(",", "")) if diff else None, pct.group(1) if pct else None, pct_sign)


def _percent_only(clause: str):
    """(sign, pct) of a clause that only says a percentage after a change ("增长12.5%"), or None."""
    m = re.fullmatch(r"\s*(?:同比)?(?:(增长|增加|上升|提高|增幅为?)|(下降|减少|降低|回落|降幅为?))了?\s*(\d+(?:\.\d+)?)\s*[%％]\s*",
                     clause)
    return None if m is None else (1 if m.group(1) else -1, m.group(3))


def _clauses(sentence: str):
    """(start, end, within brackets) of each clause."""
    out, start, depth = [], 0, 0
    for i, ch in enumerate(sentence + _CLAUSE_BREAK[0]):
        if ch in _CLAUSE_BREAK:
            out.append((start, i, depth > 0))
            start = i + 1
            depth += (ch in "（(") - (ch in "）)")
    return out


def changes(sentence: str, year: int | None):
    """The change clauses of a sentence whose subject is understood, as Change."""
    numbers = list(counts(sentence))
    subj, last = None, None  # the readings a change would be of; the change just read (for its percentage)
    for a, b, aside in _clauses(sentence):
        clause = sentence[a:b]
        if not clause.strip() or aside and _VERSUS.search(clause) is None:
            continue  # "（含上年结转3件）", "（上年为0）": an aside, not what a change that follows is of
        found = _change(clause, year)
        if found is None:
            pct = _percent_only(clause) if last is not None else None
            if pct is not None and last.pct is None:
                last = last._replace(text=f"{last.text}，{clause.strip()}", pct=pct[1], pct_sign=pct[0])
                continue
            if last is not None:
                yield last
                last = None
            inside = [r for s, _, _, r in numbers if a <= s < b]
            subj = inside[-1] if inside else None if _NUMBERISH.search(clause) else subject(clause, sentence)
            continue
        if last is not None:
            yield last
            last = None
        if found == "other":
            subj = None
            continue
        own = subject(clause, sentence)
        readings = own or subj
        if readings:
            last = Change(clause.strip(), *found, readings)
    if last is not None:
        yield last


def _pct_fits(stated: str, diff: int, prev: int) -> bool:
    """The stated percentage is |diff| / prev rounded to its own decimals: to nearest (either way at .5) or cut off."""
    decimals = len(stated.partition(".")[2])
    unit = Fraction(1, 10 ** decimals)
    true, said = Fraction(abs(diff) * 100, prev), Fraction(stated)
    return abs(true - said) <= unit / 2 or 0 <= true - said < unit


def fits(c: Change, now: int, before: int) -> bool:
    d = now - before
    direction = (d > 0) - (d < 0)
    if (c.diff is not None and d != c.sign * c.diff) or (c.sign == 0 and d != 0):
        return False
    if c.pct is None:
        return True
    if direction and c.pct_sign != direction:  # "增长12.5%" of a decrease
        return False
    return before == 0 or _pct_fits(c.pct, d, before)


def _sum(values: dict, keys) -> int | None:
    parts = [scaled(values.get(k), "count") for k in keys]
    return None if any(x is None for x in parts) else sum(parts)


def check_changes(filing: Filing, previous: dict, rule, text: str) -> list[Finding]:
    """S08 for each change clause that no reading of its subject, with both years known, fits."""
    out = []
    for sentence in sentences(text):
        for c in changes(sentence, filing.year):
            known = [(keys, now, before) for keys in c.readings
                     for now, before in [(_sum(filing.values, keys), _sum(previous, keys))]
                     if now is not None and before is not None]
            if not known or any(fits(c, now, before) for _, now, before in known):
                continue
            same: dict = {}  # readings that give the same two numbers are named once, by the first
            for keys, now, before in known:
                same.setdefault((now, before), (keys, now, before))
            known = list(same.values())
            what = "，或".join(rule.text("change_values", what=label(filing.fmt, keys), now=now, before=before)
                              for keys, now, before in known)
            keys, now, before = known[0]
            out.append(Finding("S08", rule.severity, rule.text("change", sentence=sentence, actual=c.text, what=what),
                               keys=list(keys), expected=now - before, actual=c.text))
    return out
