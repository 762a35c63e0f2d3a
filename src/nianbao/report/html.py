"""The report as one self-contained HTML page for a government website's 政府信息公开年报 column.

Semantic tables whose rowspan/colspan mirror the official layout, <caption> and <th scope> for screen readers, print
CSS for A4, no external resource (fonts are named with local fallbacks, nothing is fetched).
"""
from __future__ import annotations

from html import escape

from . import ReportDoc, split_run_in

CSS = """
:root { --ink: #111; --rule: #333; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: "FangSong_GB2312", "仿宋_GB2312", "FangSong", "仿宋", "STFangsong", "Noto Serif CJK SC",
    "Source Han Serif SC", "Songti SC", serif;
  font-size: 16pt; line-height: 1.8; }
article { max-width: 46em; margin: 0 auto; padding: 2em 1.5em; }
h1 { font-family: "方正小标宋简体", "FZXiaoBiaoSong-B05S", "STZhongsong", "华文中宋", "SimSun", "宋体",
    "Noto Serif CJK SC", serif;
  font-size: 22pt; font-weight: normal; text-align: center; line-height: 1.5; margin: 0 0 1em; }
h2 { font-family: "SimHei", "黑体", "Heiti SC", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif;
  font-size: 16pt; font-weight: normal; margin: 0; text-indent: 2em; }
p { margin: 0; text-indent: 2em; text-align: justify; }
.run-in { font-family: "KaiTi_GB2312", "楷体_GB2312", "KaiTi", "楷体", "STKaiti", "Noto Serif CJK SC", serif; }
table { border-collapse: collapse; margin: .6em auto 1em; font-size: 10.5pt; line-height: 1.4; }
table.wide { font-size: 9pt; }
th, td { border: 1px solid var(--rule); padding: .25em .35em; text-align: center; vertical-align: middle; }
th { font-weight: normal; }
th[scope="row"] { text-align: left; }
td { font-variant-numeric: tabular-nums; min-width: 2.2em; }
caption { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.table-wrap { overflow-x: auto; }
.draft { position: sticky; top: 0; z-index: 1; text-align: center; color: #b00; background: #fff4f4;
  border-bottom: 2px solid #b00; font-family: "SimHei", "黑体", sans-serif; font-size: 16pt; padding: .2em; }
@page { size: A4; margin: 37mm 26mm 35mm 28mm; }
@media print {
  body { font-size: 16pt; }
  article { max-width: none; padding: 0; }
  .table-wrap { overflow: visible; }
  table { page-break-inside: auto; }
  tr { page-break-inside: avoid; }
  thead { display: table-header-group; }
  h2 { page-break-after: avoid; }
  .draft { position: fixed; top: 0; left: 0; right: 0; background: none; }
}
"""


def _cell(cell, numbers: dict) -> str:
    span = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + \
           (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
    if cell.kind == "value":
        return f'<td{span} data-key="{cell.key}">{escape(numbers[cell.key])}</td>'
    if cell.kind == "empty":
        return f"<td{span}></td>"
    scope = f' scope="{cell.scope}"' if cell.scope else ""
    return f"<th{scope}{span}>{escape(cell.text)}</th>"


def _table(sec, numbers: dict) -> str:
    g = sec.grid
    cls = ' class="wide"' if g.ncols >= 10 else ""
    out = [f'<div class="table-wrap"><table id="table-{g.table.id}"{cls}><caption>{escape(g.table.caption)}</caption>']
    for r, row in enumerate(g.rows):
        if r == 0 and g.header_rows:
            out.append("<thead>")
        if r == g.header_rows:
            out.append("<tbody>")
        out.append("<tr>" + "".join(_cell(c, numbers) for c in row) + "</tr>")
        if r == g.header_rows - 1:
            out.append("</thead>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _paragraph(text: str) -> str:
    lead, rest = split_run_in(text)
    lead = f'<span class="run-in">{escape(lead)}</span>' if lead else ""
    return f"<p>{lead}{escape(rest)}</p>"


def render_html(doc: ReportDoc) -> str:
    out = ['<!DOCTYPE html>', '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(doc.title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>"]
    if doc.draft_mark:
        out.append(f'<div class="draft" role="note">{escape(doc.draft_mark)}</div>')
    out.append("<article>")
    out.append("<h1>" + "<br>".join(escape(x) for x in doc.title_lines) + "</h1>")
    out += [f'<p class="preamble">{escape(p)}</p>' for p in doc.preamble]
    for sec in doc.sections:
        out.append(f'<section id="{sec.id}" aria-labelledby="h-{sec.id}">')
        out.append(f'<h2 id="h-{sec.id}">{escape(sec.heading)}</h2>')
        if sec.grid is not None:
            out.append(_table(sec, doc.numbers))
        else:
            out += [_paragraph(p) for p in sec.paragraphs]
        out.append("</section>")
    if doc.annex is not None:
        a = doc.annex
        out.append('<section id="annex" aria-labelledby="h-annex">')
        out.append(f'<h2 id="h-annex">{escape(a.title)}</h2>')
        out.append(f'<div class="table-wrap"><table id="table-annex"><caption>{escape(a.title)}</caption><thead><tr>'
                   + "".join(f'<th scope="col">{escape(h)}</th>' for h in a.header) + "</tr></thead><tbody>")
        out += ["<tr>" + "".join(f"<td>{escape(str(x))}</td>" for x in r) + "</tr>" for r in a.rows]
        out.append("</tbody></table></div></section>")
    out += ["</article>", "</body>", "</html>", ""]
    return "\n".join(out)
