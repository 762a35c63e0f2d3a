"""The annual report: a filing's numbers and narrative rendered in the official layout (Word, HTML, Markdown).

`render(filing, narrative, fmt)` returns one document; `write_reports(...)` checks the filing, refuses one with
errors (unless a draft is asked for, which is then marked on every page) and writes the files atomically.
The three renderers draw the same `ReportDoc`: title, preamble, the six sections, the tables' grids (layout.py).
"""
from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..errors import NianbaoError
from . import layout
from .numbers import with_numbers

FORMATS = {"docx": ".docx", "html": ".html", "md": ".md"}


@functools.lru_cache(maxsize=None)
def texts() -> dict:
    """The fixed sentences of the report (texts.toml)."""
    with open(Path(__file__).with_name("texts.toml"), "rb") as f:
        return tomllib.load(f)


@dataclass
class SectionDoc:
    id: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)  # narrative sections
    grid: layout.Grid | None = None  # table sections


@dataclass
class Annex:
    """A table after the report's last section, e.g. the district report's list of units and their status."""

    title: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class ReportDoc:
    title: str
    title_lines: list[str]  # the title as printed, broken after the unit name when long
    preamble: list[str]
    sections: list[SectionDoc]
    numbers: dict[str, str]  # key -> the number as printed
    draft_mark: str | None
    annex: Annex | None = None


# （一）加强组织领导。…  — a second-level heading run into its paragraph (公文: 楷体)
_RUN_IN = re.compile(r"^(（[一二三四五六七八九十]{1,3}）[^。！？\n]{1,40}?[。！？])(?=.)")


def split_run_in(paragraph: str) -> tuple[str, str]:
    """('（一）加强组织领导。', '为实施…') for a paragraph that opens with a run-in heading, else ('', paragraph)."""
    m = _RUN_IN.match(paragraph)
    return (m.group(1), paragraph[m.end():]) if m else ("", paragraph)


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split("\n") if p.strip()]


def build(filing, narrative: dict | None = None, draft: bool = False, annex: Annex | None = None) -> ReportDoc:
    """The report's content, renderer-neutral."""
    fmt = filing.fmt
    unit, year = filing.unit, filing.year
    if not unit or not year:
        raise NianbaoError("填报表缺少单位名称或报告年度，无法生成报告")
    narrative = with_numbers(filing, filing.narrative if narrative is None else narrative)
    t = texts()
    title = fmt.report_title(unit, year)
    title_lines = [title]
    if len(title) > t["title_break_after"] and title.startswith(unit):
        title_lines = [unit, title[len(unit):]]
    names = "、".join(s.heading.split("、", 1)[-1] for s in fmt.sections)
    preamble = [p.format(unit=unit, year=year, sections=names) for p in t["preamble"]]
    sections = []
    for s in fmt.sections:
        if s.kind == "table":
            sections.append(SectionDoc(s.id, s.heading, grid=layout.grid(fmt.tables[s.table])))
        else:
            sections.append(SectionDoc(s.id, s.heading, paragraphs(narrative.get(s.id))))
    numbers = {k: layout.number_text(filing, k) for k in fmt.cells}
    return ReportDoc(title, title_lines, preamble, sections, numbers, t["draft_mark"] if draft else None, annex)


def render(filing, narrative: dict | None = None, fmt: str = "docx", *, draft: bool = False,
           reference_docx: str | Path | None = None, annex: Annex | None = None) -> bytes | str:
    """One report: .docx as bytes, HTML or Markdown as text. `narrative` ({section id: text}) defaults to the
    filing's own; `draft` marks every page 草稿（未通过校验）. No checks are run here: see write_reports."""
    doc = build(filing, narrative, draft, annex)
    if fmt == "docx":
        from .docx import render_docx

        return render_docx(doc, reference_docx)
    if fmt == "html":
        from .html import render_html

        return render_html(doc)
    if fmt == "md":
        from .markdown import render_markdown

        return render_markdown(doc)
    raise NianbaoError(f"不支持的报告格式“{fmt}”（可用：{'、'.join(FORMATS)}）")


class ReportRefused(NianbaoError):
    """The filing has errors and no draft was asked for."""

    def __init__(self, message: str, findings: list):
        super().__init__(message, 1)
        self.findings = findings


def report_filename(filing, ext: str) -> str:
    from ..safe_text import safe_filename

    return safe_filename(filing.fmt.report_title(filing.unit, filing.year)) + ext


def review(filing, narrative: dict | None = None, title: str | None = None) -> list:
    """The findings that decide whether the report may be published: the filing's checks and the narrative's."""
    from ..checks import check

    previous = getattr(filing, "previous", None)  # last year the template carried: not a field, replace() drops it
    if narrative is not None:
        filing = replace(filing, narrative=dict(narrative))
    if title:
        filing = replace(filing, identity={**filing.identity, "title": title})
    return check(filing, previous, narrative=True)


def write_reports(filing, outdir, formats=("docx", "html", "md"), draft: bool = False,
                  reference_docx: str | Path | None = None, narrative: dict | None = None,
                  title: str | None = None, findings: list | None = None, annex: Annex | None = None,
                  draft_numbers: bool = False) -> list[Path]:
    """Check, then write `<单位名称><年度>年政府信息公开工作年度报告.<ext>` in each format into outdir.

    A filing with errors is refused (ReportRefused, exit code 1) unless `draft`, which marks every page.
    `findings` may be passed when the caller has already reviewed the filing (with the numbers paragraph placed).
    The drafted numbers paragraph replaces the narrative's marker 【数字段落】, and with `draft_numbers` is added
    to 一、总体情况's 依申请公开 part when there is no marker (report/numbers.py)."""
    from ..atomic import write_bytes, write_text

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise NianbaoError(f"不支持的报告格式“{'、'.join(unknown)}”（可用：{'、'.join(FORMATS)}）")
    if not filing.unit or not filing.year:
        raise NianbaoError("填报表缺少单位名称或报告年度，无法生成报告")
    if reference_docx is not None and not Path(reference_docx).is_file():
        raise NianbaoError(f"找不到样式参考文件 {reference_docx}")
    narrative = with_numbers(filing, filing.narrative if narrative is None else narrative, draft_numbers)
    if findings is None:
        findings = review(filing, narrative, title)
    errors = [f for f in findings if f.severity == "error"]
    if errors and not draft:
        raise ReportRefused(f"填报表有 {len(errors)} 个错误，未生成报告（改正后重试，或加 --draft 生成草稿）", errors)
    doc = build(filing, narrative, draft=bool(errors), annex=annex)
    out = []
    for f in dict.fromkeys(formats):
        target = Path(outdir) / report_filename(filing, FORMATS[f])
        if f == "docx":
            from .docx import render_docx

            out.append(write_bytes(target, render_docx(doc, reference_docx)))
        elif f == "html":
            from .html import render_html

            out.append(write_text(target, render_html(doc)))
        else:
            from .markdown import render_markdown

            out.append(write_text(target, render_markdown(doc)))
    return out


__all__ = ["Annex", "render", "write_reports", "build", "review", "report_filename", "ReportRefused", "ReportDoc",
           "with_numbers"]
