"""Published-report shapes built from the format definition, for the import tests: the tables in the order a reader
of the sheet meets them (captions, headers and row labels interleaved with the cells, the way web pages and PDFs
print them), joined the way an extraction joins them. Nothing here is copied from a real report."""
from __future__ import annotations

import unicodedata

from nianbao.formats import parse_cell, parse_range

NARRATIVE = {"overview": "本年度依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。",
             "problems": "存在的问题是公开不够及时。改进措施是加强培训。", "other": "本年度未收取信息处理费。"}


def _top_left(at: str) -> tuple[int, int]:
    return parse_range(at)[:2] if ":" in at else parse_cell(at)


def table_lines(table, values, cell=str) -> list[list[str]]:
    """The table as printed lines of pieces: every fixed text and every number in sheet order (row, then column),
    one list per sheet row; a row label starts its line and its numbers follow."""
    items = []
    for t in table.texts:
        r, c = _top_left(t.at)
        items.append((r, c, t.text))
    for row in table.rows:
        r, c = _top_left(row.at)
        items.append((r, c, row.label))
    for key, cl in table.cells.items():
        r, c = parse_cell(cl.ref)
        items.append((r, c, cell(values[key]) if key in values else ""))
    lines: dict[int, list] = {}
    for r, c, text in sorted(items, key=lambda x: (x[0], x[1])):
        lines.setdefault(r, []).append(text)
    return list(lines.values())


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def laid_out(pieces: list[str], label_width: int, jitter: int = 0) -> str:
    """A line the way `pdftotext -layout` prints it: the label padded to a column, the numbers after it (each
    already padded by the caller), the whole line shifted by `jitter` spaces."""
    if len(pieces) < 2 or not pieces[0].strip() or pieces[0].strip()[0].isdigit():
        return " " * jitter + "".join(pieces)
    return " " * jitter + pieces[0] + " " * max(1, label_width - _width(pieces[0])) + "".join(pieces[1:])


def report_text(fmt, values, unit="测试县发展和改革局", year=2022, cell=str, sep="", line_sep="\n",
                headings=None, extra=(), narrative=None, title=None, preamble=None, label_width=None,
                jitter=None) -> str:
    """A whole report as text. `sep` joins the pieces of a table line ("" runs them together like a crawled page,
    " " like a flattened page, "\\t"), `line_sep` joins the lines ("" runs the whole table into one line).
    `headings`: section id → the heading printed; `extra`: (after section id, heading, text) parts added."""
    narrative = narrative or NARRATIVE
    headings = headings or {}
    out = [title or f"{unit}{year}年政府信息公开工作年度报告",
           preamble or f"本报告由{unit}编制，统计期限为{year}年1月1日至{year}年12月31日。"]
    for s in fmt.sections:
        out.append(headings.get(s.id, s.heading))
        if s.kind == "narrative":
            out.append(narrative.get(s.id, NARRATIVE.get(s.id, "")))
        else:
            lines = table_lines(fmt.tables[s.table], values, cell)
            if label_width:  # `pdftotext -layout`: columns at fixed places, each line shifted a little
                out.append(line_sep.join(laid_out(ln, label_width, jitter(i) if jitter else 0)
                                         for i, ln in enumerate(lines)))
            else:
                out.append(line_sep.join(sep.join(p for p in ln) for ln in lines))
        for after, heading, text in extra:
            if after == s.id:
                out += [heading, text]
    return "\n".join(out) + "\n"
