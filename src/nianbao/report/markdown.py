"""The report as Markdown: readable as plain text, tables as pipe tables.

A pipe table has no merged cells, so the official grid is flattened the way a printed table reads: a merged cell's
text stands in its top-left position and the positions it covers stay blank. The first grid row is the pipe
table's header row.
"""
from __future__ import annotations

import re

from . import ReportDoc

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def escape(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"^([#>+-])", r"\\\1", text)  # a leading mark would start a heading, quote or list
    return re.sub(r"^(\d+)\.(\s)", r"\1\\.\2", text)


def _table(sec, numbers: dict) -> str:
    g = sec.grid
    lines = []
    for r, row in enumerate(g.rows):
        cells = [""] * g.ncols
        for c in row:
            text = numbers[c.key] if c.kind == "value" else c.text
            cells[c.col] = escape(text).replace("\n", " ")
        lines.append("| " + " | ".join(cells) + " |")
        if r == 0:
            lines.append("|" + "|".join("---" for _ in cells) + "|")
    return "\n".join(lines)


def render_markdown(doc: ReportDoc) -> str:
    out = []
    if doc.draft_mark:
        out += [f"> **{escape(doc.draft_mark)}**", ""]
    out += [f"# {escape(doc.title)}", ""]
    for p in doc.preamble:
        out += [escape(p), ""]
    for sec in doc.sections:
        out += [f"## {escape(sec.heading)}", ""]
        if sec.grid is not None:
            out += [_table(sec, doc.numbers), ""]
        else:
            for p in sec.paragraphs:
                out += [escape(p), ""]
    if doc.annex is not None:
        a = doc.annex
        out += [f"## {escape(a.title)}", "", "| " + " | ".join(escape(h) for h in a.header) + " |",
                "|" + "|".join("---" for _ in a.header) + "|"]
        out += ["| " + " | ".join(escape(str(x)).replace("\n", " ") for x in r) + " |" for r in a.rows]
        out.append("")
    return "\n".join(out)
