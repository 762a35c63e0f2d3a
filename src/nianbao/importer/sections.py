"""The six parts of a report, found by their headings' words and, for a table part whose heading is not
recognised, by the table's own labels.

Provinces number the parts their own way (一、 / 第一部分 / 1. / （一）) and word them their own way
(labels.READING_VARIANTS), and some add a part (a separate 工作机制 section makes seven). So a heading is an ordinal of
one style followed by words close to a part's official heading; the style that finds the most parts wins, the
ordinals must increase, and an ordinal of that style between two parts that matches none is an added part, named
in the outline. Nothing here depends on the ordinal matching the official number.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

from ..formats import ReportFormat
from . import labels
from .document import Doc, plain

_CN = "一二三四五六七八九十"
_BEFORE = r"(?:^|(?<=[\s。；;：:！？!?）)」”\d\x02\x03\x1e\x1f>*]))"
STYLES = {  # name → the ordinal, its number in group n
    "一、": rf"(?P<n>[{_CN}]{{1,2}})\s*[、．.，,]",
    "第一部分": rf"第(?P<n>[{_CN}]{{1,2}})部分[、：:．.\s]*",
    "1.": r"(?P<n>\d{1,2})\s*[、．.](?!\d)",
    "（一）": rf"[（(](?P<n>[{_CN}]{{1,2}})[）)]\s*",
}
# headings without an ordinal: Word's automatic numbering (the "一、" is not in the text), a page's <ol>; a line of
# its own that reads as a part's heading, tried only when no style finds every part
UNNUMBERED = "无序号"
_ORDINAL = re.compile("|".join(f"(?:{p.replace('(?P<n>', '(')})" for p in STYLES.values()))
_LINE_START = re.compile(r"(?m)^[ \t\u3000*#]*(?=\S)")
THRESHOLD = 0.6
UNNUMBERED_THRESHOLD = 0.8


def _number(s: str) -> int:
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN.index(s[1]) + 1
    if s.endswith("十"):
        return 10 * (_CN.index(s[0]) + 1)
    return _CN.index(s[0]) + 1 if len(s) == 1 else 10 * (_CN.index(s[0]) + 1) + _CN.index(s[-1]) + 1


def _targets(heading: str) -> list[str]:
    core = labels.core(heading)
    return [core] + [labels.norm(v) for k, vs in labels.READING_VARIANTS.items() if k == core for v in vs]


@dataclass
class Outline:
    spans: dict = field(default_factory=dict)  # section id → (heading start, heading end, section end)
    printed: dict = field(default_factory=dict)  # section id → the heading as printed ("" when found by its table)
    added: list = field(default_factory=list)  # (position, heading as printed) of parts not among the six
    style: str | None = None


def _words(text: str, at: int, limit: int) -> tuple[str, list[int]]:
    """The words after an ordinal up to the end of its line (normalised), and each character's place in `text`."""
    chars, pos = [], []
    i, end = at, len(text)
    while i < end and len(chars) < limit:
        if text[i] == "\n" and chars:
            break  # a heading ends with its line
        if not labels._SPACE.match(text[i]):
            chars.append(text[i])
            pos.append(i)
        i += 1
    return labels.norm("".join(chars)), pos


def _similarity(text: str, words: tuple[str, list[int]], targets: list[str]) -> tuple[float, int]:
    """How close the words are to the heading, and where the matched words end in `text`."""
    after, pos = words
    best, best_len = 0.0, 0
    sm = difflib.SequenceMatcher(None, autojunk=False)
    have = Counter(after)
    for t in targets:
        common = sum(min(k, have[ch]) for ch, k in Counter(t).items())
        if 2 * common / (2 * len(t) + 4) < max(best, THRESHOLD) - 0.15:
            continue  # too few of the heading's characters follow: no length can match
        sm.set_seq2(t)
        for n in range(max(2, len(t) - 4), min(len(after), len(t) + 4) + 1):
            sm.set_seq1(after[:n])
            bound = max(best, THRESHOLD - 0.01)
            if sm.real_quick_ratio() <= bound or sm.quick_ratio() <= bound:
                continue  # upper bounds: this length cannot do better
            r = sm.ratio()
            if r > best:
                best, best_len = r, n
    if not best_len:
        return 0.0, 0
    stop = pos[min(best_len, len(pos)) - 1] + 1
    while stop < len(text) and text[stop] in "。．.":  # "六、其他需要报告的事项。"
        stop += 1
    return best, stop


def _whole_line(words: tuple[str, list[int]], targets: list[str]) -> tuple[float, int]:
    """An unnumbered heading: the whole line must read as the part's heading (no ordinal tells a heading from a
    sentence that starts with the same words), so it is compared whole, and more strictly."""
    line, pos = words
    if not pos:
        return 0.0, 0
    best = max(difflib.SequenceMatcher(None, line, t, autojunk=False).ratio() for t in targets)
    return (best if best >= UNNUMBERED_THRESHOLD else 0.0), pos[-1] + 1


def _line(text: str, start: int) -> str:
    end = text.find("\n", start)
    return plain(text[start:end if end >= 0 else len(text)]).strip()[:40]


def _candidates(text: str, style: str) -> list[tuple[int, int, int]]:
    """(start, end of the ordinal, its number) of every place a heading of the style may start; unnumbered, every
    short line, numbered by its order."""
    if style != UNNUMBERED:
        return [(m.start(), m.end(), _number(m.group("n"))) for m in re.finditer(_BEFORE + STYLES[style], text)]
    out = []
    for m in _LINE_START.finditer(text):
        end = text.find("\n", m.end())
        line = text[m.end():end if end >= 0 else len(text)].strip()
        # a line that starts with an ordinal is a numbered heading or a sub-heading (（二）依申请公开情况), not this
        if len(line) <= 30 and not _ORDINAL.match(line):
            out.append((m.start(), m.end(), len(out) + 1))
    return out


def _by_style(text: str, fmt: ReportFormat, style: str):
    cands = _candidates(text, style)
    numbered = style != UNNUMBERED
    targets = {s.id: _targets(s.heading) for s in fmt.sections}
    limit = max(len(t) for ts in targets.values() for t in ts) + 6
    sims: dict = {}
    words: dict = {}

    def closeness(c, sid):
        if (c, sid) not in sims:
            if c not in words:
                words[c] = _words(text, c[1], limit)
            sims[c, sid] = (_similarity(text, words[c], targets[sid]) if numbered
                            else _whole_line(words[c], targets[sid]))
        return sims[c, sid]

    order = list(targets)

    def similarity(c, sid):  # worked out once per candidate and part, and for the parts after it only if needed
        one = closeness(c, sid)
        if one[0] < THRESHOLD:
            return one[0], one[1], 1.0
        later = order[order.index(sid) + 1:order.index(sid) + 3]  # a later part's words met too early
        return one[0], one[1], max([one[0]] + [closeness(c, k)[0] for k in later])

    found, cursor, last, score = [], 0, 0, 0.0
    for s in fmt.sections:
        for c in cands:
            start, _, number = c
            if start < cursor or (numbered and not last < number <= last + 3):
                continue
            sim, stop, best = similarity(c, s.id)
            # the words must be closest to this part's heading ("（二）依申请公开情况" under 总体情况 is not 二)
            if sim >= THRESHOLD and sim >= best:
                found.append((s.id, start, stop, number))
                cursor, last, score = stop, number, score + sim
                break
    return found, cands, score


def find_outline(doc: Doc, fmt: ReportFormat) -> Outline:
    text = doc.text
    best = None
    for style in (*STYLES, UNNUMBERED):
        found, cands, score = _by_style(text, fmt, style)
        if best is None or (len(found), score) > (len(best[1]), best[3]):
            best = (style, found, cands, score)
        if len(found) == len(fmt.sections):
            break  # every part found in this style (styles are tried most common first)
    style, found, cands, _ = best
    out = Outline(style=style if found else None)
    used = {start for _, start, _, _ in found}
    for (_, a, _, n1), (_, b, _, n2) in zip(found, found[1:] + [(None, len(text), None, 10 ** 6)]):
        # ordinals of the same style numbered between two parts: parts the report added
        between = [c for c in cands if a < c[0] < b and c[0] not in used and n1 < c[2] < n2] if style != UNNUMBERED else []
        nxt = n1 + 1
        for start, _, number in between:
            line = _line(text, start)
            # an added part is a heading: a short line of its own, not a sub-heading running into its text
            if number == nxt and (start == 0 or text[start - 1] == "\n") and len(line) <= 25 and "。" not in line[:-1]:
                out.added.append((start, _line(text, start)))
                nxt += 1
    # an added part stays inside the part before it (its text is that part's narrative): nothing is dropped
    for k, (sid, a, b, _) in enumerate(found):
        end = found[k + 1][1] if k + 1 < len(found) else len(text)
        out.spans[sid] = (a, b, end)
        out.printed[sid] = _line(text, a)
    _tables_by_content(doc, fmt, out)
    return out


def _tables_by_content(doc: Doc, fmt: ReportFormat, out: Outline):
    """A table part whose heading was not recognised: where its own labels are printed, between the parts found
    around it."""
    order = [s.id for s in fmt.sections]
    for i, s in enumerate(fmt.sections):
        if s.kind != "table" or s.id in out.spans:
            continue
        before = [out.spans[x] for x in order[:i] if x in out.spans]
        after = [out.spans[x] for x in order[i + 1:] if x in out.spans]
        lo = before[-1][1] if before else 0
        hi = after[0][0] if after else len(doc.text)
        table = fmt.tables[s.table]
        first = None
        for _, label, _ in table.labels():
            core = labels.core(label)
            if len(core) < 6:
                continue
            pattern = r"\s*".join(re.escape(ch) for ch in core[:8]).replace("（", "[（(]").replace("）", "[）)]")
            m = re.compile(pattern).search(doc.text, lo, hi)
            if m and (first is None or m.start() < first):
                first = m.start()
        if first is None:
            continue
        # the part before it now ends where the table starts
        for x in order[:i]:
            if x in out.spans and out.spans[x][0] < first < out.spans[x][2]:
                out.spans[x] = (out.spans[x][0], out.spans[x][1], first)
        out.spans[s.id] = (first, first, hi)
        out.printed[s.id] = ""
    out.spans = dict(sorted(out.spans.items(), key=lambda kv: order.index(kv[0])))
