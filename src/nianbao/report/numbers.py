"""The drafted numbers paragraph (nianbao.paragraph) put into a report's narrative.

Where the narrative writes the marker (【数字段落】) the paragraph replaces it, in any section. With `draft` and no
marker, it becomes a paragraph of its own at the end of 一、总体情况's 依申请公开 part: the part opens with the
paragraph whose ordinal heading（（二）依申请公开…）names the topic (S04's wordings of it, from the format definition)
and ends before the next ordinal heading; without such a part, at the end of 一、总体情况.
"""
from __future__ import annotations

import re

from ..paragraph import draft_numbers

_ORDINAL = re.compile(r"^（[一二三四五六七八九十]{1,3}）")
_TOPIC = "依申请公开"  # the S04 topic whose part the paragraph joins


def _previous_values(filing) -> dict | None:
    """Last year's numbers the filing carries (a template stamped with last year), for the change clauses."""
    prev = getattr(filing, "previous", None)
    return getattr(prev, "values", None)


def _request_part_end(lines: list[str], words: tuple[str, ...]) -> int | None:
    """The index after the last line of the 依申请公开 part, or None when the overview has no such part."""
    start = next((i for i, line in enumerate(lines) if _ORDINAL.match(line)
                  and any(w in line[:24] for w in words)), None)
    if start is None:
        return None
    end = start + 1
    while end < len(lines) and not _ORDINAL.match(lines[end]):
        end += 1
    return end


def with_numbers(filing, narrative: dict | None, draft: bool = False) -> dict:
    """The narrative with the drafted paragraph where the marker is (and, with `draft`, at the end of the 依申请公开
    part when there is no marker). The filing's numbers and, when it carries them, last year's."""
    fmt = filing.fmt
    par = fmt.paragraph
    narrative = dict(narrative or {})
    if par is None:
        return narrative
    marked = [sid for sid, text in narrative.items() if text and par.marker in text]
    if not marked and not draft:
        return narrative
    text = draft_numbers(fmt, filing.values, _previous_values(filing))
    for sid in marked:
        narrative[sid] = narrative[sid].replace(par.marker, text)
    if marked:
        return narrative
    overview = next(s for s in fmt.narrative_sections if s.topics)
    topic = next((t for t in overview.topics if t.split("|")[0] == _TOPIC), _TOPIC)
    lines = [line for line in (narrative.get(overview.id) or "").split("\n") if line.strip()]
    end = _request_part_end(lines, tuple(topic.split("|")))
    lines.insert(len(lines) if end is None else end, text)
    narrative[overview.id] = "\n".join(lines)
    return narrative
