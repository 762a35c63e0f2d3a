"""The table-label matcher shared by every source kind.

Every label comes from the format definition; what is added here is only the tolerance that published reports
need (FORMAT.md §8): white space and line breaks anywhere, half-width brackets and quotes, "1、" for "1.",
the long parenthetical of a row label left out, a label broken by stray text (read by its prefix), and the few
wordings named in READING_VARIANTS.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..filing import BLANK_MARKS
from ..formats import ReportFormat, Table

FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")  # digits and the decimal point (OCR, WPS)
_QUOTES = re.compile(r"[“”‘’\"'「」『』]")
_SPACE = re.compile(r"[\s\u3000\x1e\x1f\x02\x03]+")
_ORDINAL_DIGIT = re.compile(r"(?<!\d)(\d)[、．.](?=\D)")
_LEADING_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d\.|第[一二三四五六七八九十]+项)")
_TRAILING_NOTE = re.compile(r"（[^（）]{4,}）$")
# the marks of a blank cell that are no word ("—", "/", "－"): in running text, one standing alone is a cell
BLANK_SYMBOL = "(?:" + "|".join(re.escape(m) for m in sorted(
    (m for m in BLANK_MARKS if m and not any(c.isalnum() for c in m)), key=len, reverse=True)) + ")"

# Official wording → wordings seen in real reports for the same row or heading (read, never written).
READING_VARIANTS = {
    "行政规范性文件": ("规范性文件",),
    # section headings (matched by similarity, sections.py)
    "总体情况": ("概述", "总体概述", "基本情况", "工作概述", "政府信息公开工作概述", "总体工作情况"),
    "主动公开政府信息情况": ("主动公开情况", "主动公开政府信息"),
    "收到和处理政府信息公开申请情况": ("依申请公开情况", "依申请公开政府信息情况"),
    "政府信息公开行政复议、行政诉讼情况": ("因政府信息公开申请行政复议、提起行政诉讼的情况", "行政复议、行政诉讼情况",
                                      "政府信息公开行政复议和行政诉讼情况"),
    "存在的主要问题及改进情况": ("存在的主要问题及整改措施", "存在问题及改进情况", "存在的主要问题及改进措施",
                              "存在问题及改进措施", "政府信息公开工作存在的主要问题及改进情况", "主要问题和改进措施"),
    "其他需要报告的事项": ("其他需要说明的事项", "其他事项", "其他需要报告事项"),
}


@functools.lru_cache(maxsize=16384)  # the same labels and header words are compared for every table and layout
def norm(text: str) -> str:
    """A label as compared: no white space, full-width brackets, no quotes, "1、"/"1．" as "1."."""
    s = _SPACE.sub("", str(text).translate(FULLWIDTH_DIGITS))
    s = s.replace("(", "（").replace(")", "）").replace(":", "：")
    s = _QUOTES.sub("", s)
    return _ORDINAL_DIGIT.sub(r"\1.", s)


def core(label: str) -> str:
    """The label without its ordinal: "（一）予以公开" → "予以公开"."""
    return _LEADING_ORDINAL.sub("", norm(label))


def variants(label: str) -> list[str]:
    """Normalised forms to look for, most exact first."""
    n = norm(label)
    out = [n]
    c = core(label)
    for official, seen in READING_VARIANTS.items():
        if c == official or n == official:
            out += [norm(s) for s in seen]
    if c != n:
        out.append(c)
    short = _TRAILING_NOTE.sub("", n)
    if short != n and len(core(short)) >= 2:
        out.append(short)
    # a label broken by stray text (a vertical group label printed into it): its beginning identifies it
    if len(n) > 10:
        out.append(n[:10])
    elif len(n) >= 8 and re.match(r"\d\.", n):  # "3.危及三安全一稳" + "（三）" + "定": all but its last character
        out.append(n[:-1])
    return list(dict.fromkeys(v for v in out if v))


@dataclass
class Match:
    start: int  # index in the normalised stream
    end: int
    exact: bool  # the official label itself (else a variant)
    text: str


def find(stream: str, label: str, start: int = 0, end: int | None = None, ends: set[int] | None = None) -> Match | None:
    """The first place at or after `start` where the label (or a tolerated variant) is printed.

    A short variant ("其他" of "3.其他") must end where a piece of text ends (`ends`), so that it is not found
    inside a longer label ("（六）其他处理")."""
    end = len(stream) if end is None else end
    for i, v in enumerate(variants(label)):
        at = stream.find(v, start, end)
        while at >= 0 and i > 0 and len(v) <= 3 and ends is not None and at + len(v) not in ends:
            at = stream.find(v, at + 1, end)
        if at >= 0:
            return Match(at, at + len(v), i == 0, v)
    return None


def in_words(words: list[str], label: str, pieces: int = 3) -> bool:
    """Whether the label is printed as up to `pieces` whole words in order (normalised, not necessarily adjacent):
    a header broken over the lines of its cell."""
    n = norm(label)

    def rest(i: int, at: int, left: int) -> bool:
        if at == len(n):
            return True
        if left == 0:
            return False
        return any(n.startswith(w, at) and len(w) >= 2 and rest(j + 1, at + len(w), left - 1)
                   for j, w in enumerate(words[i:], i))

    return len(n) >= 4 and rest(0, 0, pieces)


def table_texts(table: Table) -> list[str]:
    """Every fixed text of a table (row labels, headers, captions), normalised, longest first."""
    texts = {norm(t) for _, t, _ in table.labels()} | {norm(c.label) for c in table.columns}
    for t in list(texts):
        texts.add(core(t))
    return sorted((t for t in texts if t), key=len, reverse=True)


def leftover(text: str, known: list[str]) -> str:
    """What remains of a text once the table's own labels are taken out: prose, if it is long."""
    s = norm(text)
    for k in known:
        if len(k) >= 2 and k in s:
            s = s.replace(k, "")
    return s


def layout_labels(fmt: ReportFormat) -> set[str]:
    """Every normalised fixed text of a format's tables, for telling layouts apart."""
    out = set()
    for t in fmt.tables.values():
        out.update(norm(x) for _, x, _ in t.labels())
        out.update(norm(c.label) for c in t.columns)
    return out
