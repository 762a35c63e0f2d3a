"""Import a published annual report (.docx/.doc/.wps, .html/.mht, .txt/.md, .pdf) as a Filing with origin "import".

    filing = import_report("report.pdf")
    filing.identity   # {"unit": …, "year": …, "layout": …}
    filing.raw        # canonical key → the number as printed (None where the cell is empty)
    filing.where      # canonical key → a place in the source, e.g. "表三 第5行 自然人"
    filing.narrative  # section id → text
    filing.findings   # what the import noticed: layout cues, splits of run-together cells, notes kept, …

Each source kind is turned into one Doc (document.py); the six headings cut it into sections; the tables are read
with each candidate layout (2021, 2019, 2021 with the single （六）其他处理 row) and the layout that places the
most cells wins. Numbers are never repaired: the checks run on what was printed.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import NianbaoError, UnreadableFile
from ..filing import Filing, Finding
from ..formats import ReportFormat, load_format
from . import labels
from .column_order import column_by_column
from .document import Doc, paragraphs, plain
from .identity import read_identity
from .layout import by_structure, choose
from .sections import Outline, find_outline
from .tables import Reading, read_tables

LAYOUTS = ("2021", "2019", "2021-merged-other")  # candidates, in order of preference on a tie

def read_document(path: Path) -> Doc:
    """The source file as a Doc, by what it holds (kinds.py)."""
    import importlib

    from .kinds import read_legacy, reader_for

    try:
        kind = reader_for(path)
        if kind == "legacy":
            return read_legacy(path)
        return importlib.import_module(f"{__name__}.{kind}").read(path)
    except UnreadableFile as e:  # the limits' words do not name the file
        raise NianbaoError(f"{path.name}：{e.message}", 2) from None
    except NianbaoError:
        raise
    except OSError as e:
        raise NianbaoError(f"无法读取 {path}：{e.strerror or e}", 2) from None


def import_report(path, previous=None) -> Filing:
    """`previous`: last year's Filing (a workbook read, or a report imported), used only to decide run-together
    digits that nothing in this report decides (Y-02), each such decision named in a finding."""
    path = Path(path)
    if not path.is_file():
        raise NianbaoError(f"找不到文件 {path}", 2)
    return read_doc(read_document(path), source=str(path), previous=previous)


def _narrative(doc: Doc, span: tuple[int, int, int], unit: str | None) -> str:
    text = paragraphs(doc.text[span[1]:span[2]], doc.wrapped).lstrip("。.：: \n")
    lines = text.split("\n")
    # the signature under section 六: the unit's name and the date
    while len(lines) > 1 and (re.fullmatch(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日", lines[-1].strip())
                              or (unit and lines[-1].strip() == unit)):
        lines.pop()
    return "\n".join(lines).strip()


def _regions(doc: Doc, fmt: ReportFormat, sections: dict) -> dict[str, tuple[int, int]]:
    regions = {}
    for s in fmt.sections:
        if s.kind == "table" and s.id in sections:
            _, b, e = sections[s.id]
            regions[fmt.tables[s.table].sheet] = (b, e)
    return regions


def _expected_layout(year: int | None) -> str | None:
    if year is None:
        return None
    return "2019" if year <= 2020 else "2021"


def _cues(doc: Doc, readings: dict[str, Reading], chosen: str, sections: dict, year: int | None) -> list[str]:
    """Why this layout: the labels only it has that the report prints, and the shape of 表三's （六）."""
    mine = readings[chosen].fmt
    out = []
    for table in mine.tables.values():
        section = next((s for s in mine.sections if s.table == table.id), None)
        if section is None or section.id not in sections:
            continue
        _, b, e = sections[section.id]
        printed = labels.norm(plain(doc.text[b:e]))
        own = [x for _, x, _ in table.labels()] + [c.label for c in table.columns]
        hits = []
        for k, r in readings.items():
            other = next((t for t in r.fmt.tables.values() if t.sheet == table.sheet), None)
            if k == chosen or other is None or other.id == "t3":
                continue  # 表三's difference is the shape of （六）, reported below
            theirs = {labels.norm(x) for _, x, _ in other.labels()} | {labels.norm(c.label) for c in other.columns}
            # a label contained in the other layout's (规范性文件 in 行政规范性文件) tells nothing
            normed = [(x, labels.norm(x)) for x in own]
            hits += [x for x, n in normed if n in printed and not any(n in y for y in theirs)]
        hits = list(dict.fromkeys(hits))
        out += [f"{table.sheet}有“{x}”" for x in hits[:3]]
    t3 = mine.tables.get("t3")
    if t3 is not None:
        other_rows = [r for r in t3.rows if r.key == "other" or r.key.startswith("other_")]
        if len(other_rows) == 1:
            if "t3.other.total" in readings[chosen].raw:
                out.append(f"表三“{other_rows[0].label}”为一行数字，没有分项")
        elif other_rows and all((t3.id, r.key) in readings[chosen].rows_found for r in other_rows):
            out.append(f"表三“{other_rows[0].group}”分为 {len(other_rows)} 项")
    if year is not None:
        out.append(f"报告年度 {year}（适用 {_expected_layout(year)} 版）")
    return list(dict.fromkeys(out))


def _parts(doc: Doc, fmt: ReportFormat, outline: Outline) -> tuple[list[dict], str]:
    """What was found where: each part's heading as printed (or the place its table was found by its labels),
    and the parts the report added."""
    parts, said = [], []
    for s in fmt.sections:
        if s.id not in outline.spans:
            continue
        a = outline.spans[s.id][0]
        printed = outline.printed.get(s.id) or ""
        parts.append({"section": s.id, "heading": s.heading, "printed": printed, "where": doc.place(a)})
        if not printed:
            said.append(f"{s.heading}：未找到标题，按表格内容定位于{doc.place(a)}")
        elif labels.norm(printed) != labels.norm(s.heading):
            said.append(f"{s.heading}：原文为“{printed}”（{doc.place(a)}）")
    for a, printed in outline.added:
        host = next((s for s in fmt.sections if s.id in outline.spans
                     and outline.spans[s.id][0] < a < outline.spans[s.id][2]), None)
        parts.append({"section": None, "printed": printed, "where": doc.place(a), "within": host and host.id})
        said.append(f"另有“{printed}”（{doc.place(a)}），不属于规定的六个部分" +
                    (f"，其内容计入“{host.heading}”" if host else ""))
    found = sum(1 for p in parts if p["section"])
    head = f"找到 {found} 个部分" + (f"（序号样式“{outline.style}”）" if outline.style else "")
    return parts, head + ("：" + "；".join(said) if said else "，标题与规定一致")


def _values_of(previous: Filing | None) -> dict | None:
    if previous is None:
        return None
    return {k: v for k, v in previous.values.items() if isinstance(v, (int, float))}


def read_doc(doc: Doc, source: str | None = None, previous=None) -> Filing:
    name = Path(source).name if source else "该文件"
    fmt21 = load_format("2021")
    outline = find_outline(doc, fmt21)
    sections = outline.spans
    scrambled = column_by_column(doc, fmt21, sections, [load_format(k) for k in LAYOUTS if k != "2021"])
    if scrambled:
        raise NianbaoError(f"{name} 中的{scrambled}是逐列输出的文本（如 pdftotext 不加 -layout 参数时的输出）：各数已与所在的行"
                           "分开，无法可靠地对应到行和列，未导入。请用 pdftotext -layout 重新提取，或直接导入 PDF 文件", 2)
    first = min((a for a, _, _ in sections.values()), default=len(doc.text))
    identity = read_identity(doc, first)
    year = identity["year"]
    if year is not None and year < 2019:
        raise NianbaoError(f"{name} 是 {year} 年度的报告：2019 年以前的年度报告没有统一的统计表格式，本工具不能导入", 2)
    from ..narrative_numbers import claims

    told = list(claims(paragraphs(doc.text[:first] + "\n".join(
        doc.text[sections[s.id][1]:sections[s.id][2]] for s in fmt21.narrative_sections if s.id in sections),
        doc.wrapped)))
    last_year = _values_of(previous)
    expected = _expected_layout(year)
    structural, _ = by_structure(doc, sections)
    readings: dict[str, Reading] = {}
    for layout in sorted(LAYOUTS, key=lambda k: (k != structural, k != expected)):
        fmt = load_format(layout)
        if any(r.clean == len(r.fmt.cells) and not any(f.severity == "error" for f in r.findings)
               for r in readings.values()) or (structural in readings and
                                               readings[structural].clean >= 0.95 * len(readings[structural].fmt.cells)):
            # a layout already read every cell cleanly, or the structure's layout nearly every cell (run-together
            # digits are searched once, not once per layout): no need to try others
            readings[layout] = Reading(fmt)
            continue
        readings[layout] = read_tables(doc, fmt, _regions(doc, fmt, sections), told, last_year)
    chosen = choose(readings, structural, expected, LAYOUTS)
    reading = readings[chosen]
    table_sections = [s for s in fmt21.sections if s.kind == "table"]
    if reading.clean < 20 and sum(s.id in sections for s in fmt21.sections) < 3:
        raise NianbaoError(f"{name} 不像政府信息公开工作年度报告：找不到“一、总体情况”等章节，也读不出统计表", 2)
    if reading.clean == 0 or all(v is None for v in reading.raw.values()):  # not one number printed
        pictures = (f"；其中有 {doc.images} 张图片，统计表可能是以图片插入的，图片中的数字无法读取，"
                    "请使用统计表为文字表格的版本") if doc.images else ""
        raise NianbaoError(f"{name} 中找不到可读取的统计表（{'、'.join(s.heading for s in table_sections)}）{pictures}", 2)
    fmt = reading.fmt
    identity["layout"] = fmt.layout
    cues = _cues(doc, readings, chosen, sections, year)
    identity["layout_cues"] = cues
    findings: list[Finding] = [Finding("IMP-LAYOUT", "info", f"按 {fmt.layout} 版格式读取（{fmt.basis}）；依据：" +
                                       "；".join(cues))]
    if chosen == "2021-merged-other":
        label = fmt.tables["t3"].row("other").label
        findings.append(Finding("IMP-LAYOUT", "warning", f"表三“{label}”按 2019 版印为一行，2021 版格式应分为三项；"
                                "已按单行读取（t3.other.*）", keys=[k for k in fmt.cells if k.startswith("t3.other.")]))
    identity["parts"], said = _parts(doc, fmt, outline)
    findings.append(Finding("IMP-PARTS", "info", said))
    for s in fmt.sections:
        if s.id not in sections:
            findings.append(Finding("S01", "error", fmt.rules["S01"].text(expected=s.heading), expected=s.heading))
    for sheet, printed, official in dict.fromkeys(reading.variants):
        findings.append(Finding("IMP-LABEL", "info", f"{sheet}“{printed}”按“{official}”读取"))
    missing = [r for t in fmt.tables.values() for r in t.rows if (t.id, r.key) not in reading.rows_found]
    for r in missing:
        table = next(t for t in fmt.tables.values() if r in t.rows)
        findings.append(Finding("S02", "error", fmt.rules["S02"].text(
            where=table.sheet, expected=r.label, actual="缺少此行"), expected=r.label))
    findings += reading.findings
    narrative = {s.id: _narrative(doc, sections[s.id], identity["unit"])
                 for s in fmt.narrative_sections if s.id in sections}
    return Filing(fmt=fmt, identity=identity, raw={k: reading.raw.get(k) for k in fmt.cells}, where=dict(reading.where),
                  narrative=narrative, source=source, origin="import", findings=findings,
                  unread=frozenset(k for k in fmt.cells if k not in reading.raw))
