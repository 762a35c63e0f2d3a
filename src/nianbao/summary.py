"""The district summary workbook (the included units' sums, their breakdown, who was left out, charts), its check
as read back from the file, and the report's annex listing every unit."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .register import STATUS, Register, _explained

def _short(label: str) -> str:
    """A row label without its ordinal or trailing note, for a chart axis: “（二）部分公开（区分…）” → “（二）部分公开”."""
    label = re.sub(r"^[一二三四五六七八九十]+、", "", label)
    m = re.search(r"(?<=.)（", label[3:])
    return label[: m.start() + 3] if m else label


def summary_identity(c: Register, district: str) -> dict:
    import hashlib
    import uuid

    seed = "|".join([district, str(c.year)] + [r.latest.result["sha256"] for r in c.included])
    return {"unit": district, "unit_code": "", "year": c.year,
            "template_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "nianbao-summary:" + hashlib.sha256(
                seed.encode()).hexdigest()))}


# above this many included units the breakdown goes to 分单位明细.csv: a sheet of 200 numbers per unit would hold
# every cell in memory while the workbook is written (xlsxwriter), 2 million cells at 10,000 units
BREAKDOWN_SHEET_MAX = 2000
BREAKDOWN_CSV = "分单位明细.csv"


def breakdown_apart(c: Register, limit: int = BREAKDOWN_SHEET_MAX) -> bool:
    """Whether the breakdown goes to its own CSV file rather than a sheet of the summary (above `limit` units)."""
    return len(c.included) > limit


def breakdown_header(fmt) -> list[str]:
    return ["单位代码", "单位名称"] + [f"{fmt.cells[k].where} {fmt.cells[k].label}" for k in fmt.cells]


def write_breakdown_csv(c: Register, target: Path) -> Path:
    """The breakdown, one row per included unit, streamed to CSV (neutralised against formula injection)."""
    import csv

    from .atomic import atomic_path
    from .safe_text import neutral_cell

    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(breakdown_header(c.fmt))
        w.writerow(["", "（字段）"] + list(c.fmt.cells))
        for rec in c.included:
            w.writerow([neutral_cell(rec.unit.code), neutral_cell(rec.unit.name), *rec.latest.result["values"].data])
        w.writerow(["", "合计", *(c.summary[k] for k in c.fmt.cells)])
    return target


def summary_extend(c: Register, district: str, breakdown_sheet_max: int = BREAKDOWN_SHEET_MAX):
    """Adds the breakdown, the included/excluded lists (D02) and native charts to the summary workbook."""
    fmt = c.fmt
    t3 = fmt.tables.get("t3")
    inline = not breakdown_apart(c, breakdown_sheet_max)
    breakdown = {}

    def rewrite(name: str, data: bytes) -> bytes:
        if name != breakdown.get("part") or len(c.included) < 2 or not inline:
            return data
        from .xlsx_template import stamp_rows

        return stamp_rows(data, 3, ((rec.unit.code, rec.unit.name, *rec.latest.result["values"].data)
                                    for rec in c.included[1:]))

    def extend(wb):
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                              "valign": "top", "font_name": "宋体", "font_size": 10})
        plain = wb.add_format({"border": 1, "font_name": "宋体", "font_size": 10, "valign": "top"})
        title = wb.add_format({"bold": True, "font_size": 14, "font_name": "宋体"})
        wb.doc_properties["created"] = dt.datetime(2000, 1, 1)
        keys = list(fmt.cells)
        # ---- 分单位明细: every summary number traces to its units
        ws = wb.add_worksheet("分单位明细")
        ws.write_row(0, 0, breakdown_header(fmt), head)
        ws.write_row(1, 0, ["", "（字段）"] + keys, plain)
        included = c.included if inline else []
        for i, rec in enumerate(included[:1], start=2):  # the first unit's row; the others are stamped like it
            ws.write_string(i, 0, rec.unit.code, plain)
            ws.write_string(i, 1, rec.unit.name, plain)
            ws.write_row(i, 2, rec.latest.result["values"].data, plain)
        breakdown["part"] = f"xl/worksheets/sheet{ws.index + 1}.xml"  # xlsxwriter names sheet parts in order
        last = len(included) + 2
        if not inline:
            ws.write_string(last + 1, 0, f"纳入汇总的单位有 {len(c.included)} 个，分单位明细另存为 {BREAKDOWN_CSV}"
                                         "（与本表同一文件夹）。", title)
        ws.write_string(last, 0, "", head)
        ws.write_string(last, 1, "合计", head)
        from xlsxwriter.utility import xl_col_to_name

        for j, k in enumerate(keys, start=2):
            col = xl_col_to_name(j)
            if included:
                ws.write_formula(last, j, f"=SUM({col}3:{col}{last})", head, c.summary[k])
            else:
                ws.write_number(last, j, c.summary[k], head)
        ws.set_row(0, 60)
        ws.set_column(0, 0, 10)
        ws.set_column(1, 1, 22)
        ws.set_column(2, len(keys) + 1, 14)
        ws.freeze_panes(2, 2)
        # ---- 汇总范围 (D02)
        d02 = fmt.rules["D02"]
        ws2 = wb.add_worksheet("汇总范围")
        ws2.write_string(0, 0, f"纳入汇总的单位（{len(included)} 个）", title)
        ws2.write_row(1, 0, ["单位代码", "单位名称", "状态", "文件"], head)
        r = 2
        for rec in included:
            ws2.write_row(r, 0, [rec.unit.code, rec.unit.name, STATUS[rec.status], rec.latest.file], plain)
            r += 1
        r += 1
        excluded = c.excluded
        ws2.write_string(r, 0, f"未纳入汇总的单位（{len(excluded)} 个）", title)
        ws2.write_row(r + 1, 0, ["单位代码", "单位名称", "状态", "文件", "说明"], head)
        r += 2
        for rec in excluded:
            ws2.write_row(r, 0, [rec.unit.code, rec.unit.name, STATUS[rec.status],
                                 rec.latest.file if rec.latest else "",
                                 d02.text(unit=rec.unit.name, status=STATUS[rec.status])], plain)
            r += 1
        ws2.set_column(0, 0, 10)
        ws2.set_column(1, 1, 24)
        ws2.set_column(2, 2, 14)
        ws2.set_column(3, 3, 36)
        ws2.set_column(4, 4, 40)
        # ---- 图表: native charts (applications by unit; how they were handled)
        if t3 is None:
            return
        ws3 = wb.add_worksheet("图表")
        new_key = "t3.new.total"
        if new_key in keys and included:  # (a bar per unit: only while the units fit on the sheet)
            j = keys.index(new_key) + 2
            chart = wb.add_chart({"type": "bar"})
            chart.add_series({"name": _short(t3.row("new").label),
                              "categories": ["分单位明细", 2, 1, last - 1, 1],
                              "values": ["分单位明细", 2, j, last - 1, j],
                              "data_labels": {"value": True}})
            chart.set_title({"name": "各单位" + _short(t3.row("new").label)})
            chart.set_legend({"none": True})
            chart.set_y_axis({"reverse": True})
            chart.set_size({"width": 720, "height": max(320, 22 * len(included) + 100)})
            ws3.insert_chart("A1", chart)
        # handling: the rows that add up to （七）总计, by group, in the total column (from rule T3-03)
        inst = next((i for i in fmt.rules["T3-03"].instances if i.star == "total"), None) if "T3-03" in fmt.rules \
            else None
        if inst is not None:
            groups: dict[str, int] = {}
            for term in inst.rhs:
                row = t3.row(fmt.cells[term.key].row)
                name = _short(row.group or row.label)
                groups[name] = groups.get(name, 0) + c.summary[term.key]
            start = 0
            ws3.write_row(start, 12, ["办理结果", "件数"], head)
            for n, (name, v) in enumerate(groups.items(), start=1):
                ws3.write_string(start + n, 12, name, plain)
                ws3.write_number(start + n, 13, v, plain)
            pie = wb.add_chart({"type": "pie"})
            pie.add_series({"name": "办理结果", "categories": ["图表", 1, 12, len(groups), 12],
                            "values": ["图表", 1, 13, len(groups), 13],
                            "data_labels": {"value": True, "percentage": True, "leader_lines": True}})
            pie.set_title({"name": f"申请办理结果（{c.year}年度，{len(included)} 个单位合计）"})
            pie.set_size({"width": 720, "height": 420})
            ws3.insert_chart("A" + str(max(18, (22 * len(included) + 100) // 20 + 3)), pie)
            ws3.set_column(12, 12, 20)

    return extend, rewrite


def build_summary(c: Register, district: str, key: bytes, narrative: dict | None = None,
                  breakdown_sheet_max: int = BREAKDOWN_SHEET_MAX) -> bytes:
    from .xlsx_template import build_workbook

    extend, rewrite = summary_extend(c, district, breakdown_sheet_max)
    return build_workbook(c.fmt, summary_identity(c, district), values=c.summary, narrative=narrative, key=key,
                          extend=extend, rewrite=rewrite)


def check_summary(c: Register, filing, key: bytes) -> list[dict]:
    """The summary as read back from its file: every E rule of a return, D01 against the included units' sums,
    D02 for each unit left out."""
    from .checks import check, fmt_num
    from .filing import Finding
    from .identity import verify

    findings = [f for f in check(filing) if f.severity == "error"]
    problem = verify(filing.identity, key)
    if problem:
        findings.append(Finding("I01", "error", problem))
    d01 = c.fmt.rules["D01"]
    got = filing.values
    for k, want in c.summary.items():
        if got.get(k) is None or abs(got[k] - want) > 1e-9:
            findings.append(Finding("D01", "error", d01.text(where=filing.place(k), actual=fmt_num(got.get(k)),
                                                             expected=fmt_num(want)),
                                    [k], [filing.place(k)], want, got.get(k)))
    d02 = c.fmt.rules["D02"]
    for rec in c.excluded:
        findings.append(Finding("D02", "warning", d02.text(unit=rec.unit.name, status=STATUS[rec.status])))
    return [f.to_dict() for f in findings]


# ------------------------------------------------------------------------------------------------ the annex
def annex_rows(c: Register) -> list[list[str]]:
    rows = []
    for n, rec in enumerate(c.records, start=1):
        rows.append([str(n), rec.unit.code, rec.unit.name, STATUS[rec.status], "是" if rec.included else "否",
                     _explained(rec.latest)])
    return rows


ANNEX_HEAD = ["序号", "单位代码", "单位名称", "报送情况", "纳入汇总", "单位说明"]


def annex_title(c: Register) -> str:
    return f"附件：{c.year}年度各单位报送情况"


def annex(c: Register):
    from .report import Annex

    return Annex(annex_title(c), ANNEX_HEAD, annex_rows(c))

