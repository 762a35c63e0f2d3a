"""The register: every roster unit, its returns and which one counts; strangers; unusable files; the summary.

Which return of a unit counts: the latest genuine one (identity intact and issued by this office, this year, this
unit), whether it passed or not — it is the unit's latest word, so a failing correction is sent back rather than an
older passing return silently used. "Latest" is the stamped save time; two returns saved in the same second are
told apart by when they were received (the desk) or last modified (a folder), and only then by the file name.

`Register.add` takes one examined return at a time (`collect` adds a folder's, the desk each upload's), so the
register and its summary stay right without re-reading the others. Written out as rows, CSV, XLSX and JSON here.
"""
from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .roster import Unit

STATUS = {  # JSON status → the register's Chinese
    "passed": "通过",
    "passed_with_warnings": "通过（有警告）",
    "failed": "未通过",
    "missing": "未返回",
}
INCLUDED = ("passed", "passed_with_warnings")
SAVED_FROM = {"core": "文件属性中的保存时间", "mtime": "文件修改时间"}
REGISTER_COLUMNS = ["类别", "单位代码", "单位名称", "单位类型", "状态", "文件", "SHA-256", "收到时间（保存时间）",
                    "时间来源", "提交次数", "错误数", "警告数", "主要问题", "说明", "备注"]
CATEGORY = {"unit": "名单单位", "earlier": "较早提交", "stranger": "名单外单位", "unusable": "无法使用的文件"}
REGISTER_NAME = "登记表"


def norm_name(name) -> str:
    """A unit name as matched: without whitespace."""
    return re.sub(r"\s+", "", str(name or ""))


@dataclass
class Submission:
    file: str  # the path under RETURNS, with "/" separators (the desk: "<submission id>/<file name>")
    path: Path | None  # where the file is, for its annotated copy
    result: dict  # as returns.examine gives it

    @property
    def saved_at(self) -> str:
        return self.result.get("saved_at", "")

    @property
    def order(self) -> tuple:
        """Which of a unit's returns is later: saved, then received (or modified), only then the file name."""
        return self.saved_at, self.result.get("received_at", ""), self.file

    @property
    def errors(self) -> list[dict]:
        return [f for f in self.result["findings"] if f["severity"] == "error"]

    @property
    def warnings(self) -> list[dict]:
        return [f for f in self.result["findings"] if f["severity"] == "warning"]  # a 说明 (info) is neither

    @property
    def notices(self) -> list[dict]:
        """The 说明 (info): e.g. that last year's data lacks the unit, so the cross-year checks did not run."""
        return [f for f in self.result["findings"] if f["severity"] == "info"]


class Values:
    """A return's numbers in its format's key order, read like a dict: a tenth of a dict's memory, which counts
    when a national collection keeps 100,000 of them."""

    __slots__ = ("index", "data")

    def __init__(self, index: dict, data: tuple):
        self.index, self.data = index, data

    def __getitem__(self, key):
        return self.data[self.index[key]]

    def get(self, key, default=None):
        i = self.index.get(key)
        return default if i is None else self.data[i]


@functools.lru_cache(maxsize=None)
def _key_index(layout: str) -> dict:
    from .formats import load_format

    return {k: i for i, k in enumerate(load_format(layout).cells)}


@dataclass
class Record:
    """A unit and its returns, oldest first: the last one counts."""

    unit: Unit
    submissions: list[Submission] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def latest(self) -> Submission | None:
        return self.submissions[-1] if self.submissions else None

    @property
    def status(self) -> str:
        s = self.latest
        if s is None:
            return "missing"
        if s.errors:
            return "failed"
        return "passed_with_warnings" if s.warnings else "passed"

    @property
    def included(self) -> bool:
        return self.status in INCLUDED


class RosterIndex:
    """The roster looked up by code, by name and by a name inside a file name: built once, so that matching
    N returns costs N look-ups, not N scans of the roster (10,000 × 10,000 at a national scale)."""

    def __init__(self, units: list[Unit]):
        self.by_code: dict[str, Unit] = {}
        self.by_name: dict[str, Unit] = {}
        for u in units:
            self.by_code.setdefault(u.code, u)
            self.by_name.setdefault(norm_name(u.name), u)
        self.names = {u.name: u for u in reversed(units) if u.name}  # the first of a repeated name wins
        self.position = {id(u): i for i, u in enumerate(units)}
        self.sizes = sorted({len(n) for n in self.names}, reverse=True)  # longest first: 区财政局 over 财政局

    def match(self, code, name) -> Unit | None:
        """The unit a return says it is: by its code when it has one, else by its name."""
        code = str(code or "").strip()
        return self.by_code.get(code) if code else self.by_name.get(norm_name(name))

    def named_after(self, filename: str) -> Unit | None:
        """The roster unit a file name points to (its code before a "-", or the longest unit name in it), if any."""
        head = filename.split("-", 1)[0]
        if head in self.by_code:
            return self.by_code[head]
        n = len(filename)
        for size in (size for size in self.sizes if size <= n):
            hits = [u for u in (self.names.get(filename[i:i + size]) for i in range(n - size + 1)) if u]
            if hits:  # two names of one length: the one earlier in the roster
                return min(hits, key=lambda u: self.position[id(u)])
        return None


class Placed(NamedTuple):
    """Where `Register.add` put a return: category "unit" | "stranger" | "unusable"."""

    category: str
    record: Record | None
    submission: Submission | None
    reason: str = ""  # why it cannot be used


SCALE = 10 ** 6  # amounts are summed as integers of a millionth: exact, so no order of arrival changes a sum


class Register:
    """Who sent what, which return counts and the summary of the included units, kept up to date one examined
    return at a time: `add` places a return exactly as `collect` does and updates the summary by the difference
    (the unit's old latest out, its new latest in), never by re-reading or re-summing the others."""

    def __init__(self, fmt, year: int, roster: list[Unit], returns=None):
        self.fmt, self.year = fmt, year
        self.returns = Path(returns) if returns is not None else None
        self._by_code = {u.code: Record(u) for u in roster}
        self.records = list(self._by_code.values())  # roster units, in roster order
        self.index = RosterIndex(roster)
        self._strangers: dict[str, Record] = {}  # genuine returns of units not in the roster
        self._stranger_list: list[Record] | None = []
        self.unusable: list[tuple[str, str]] = []  # (file, reason), sorted by file
        self._keys = list(fmt.cells)
        self._decimal = [fmt.cells[k].type == "decimal" for k in self._keys]
        self._summary: dict | None = None
        counts = [i for i, dec in enumerate(self._decimal) if not dec]  # summed as they are
        self._amounts = [i for i, dec in enumerate(self._decimal) if dec]  # summed in millionths
        self._pick = lambda data: [data[i] for i in counts]
        if len(counts) > 1:
            self._pick = operator.itemgetter(*counts)  # one C call for ~200 numbers: adding stays cheap
        self._count_sums = [0] * len(counts)
        self._amount_sums = [0] * len(self._amounts)
        self._where = counts + self._amounts  # key positions of the two lists above

    @property
    def strangers(self) -> list[Record]:
        if self._stranger_list is None:
            self._stranger_list = [self._strangers[k] for k in sorted(self._strangers)]
        return self._stranger_list

    @property
    def summary(self) -> dict:
        """key -> the sum over included units; amounts to 4 decimals (0.0001 万元 = 1 元)."""
        if self._summary is None:
            sums = dict(zip(self._where, self._count_sums + self._amount_sums))
            self._summary = {k: round(sums[i] / SCALE, 4) if dec else int(sums[i])
                             for i, (k, dec) in enumerate(zip(self._keys, self._decimal))}
        return self._summary

    @property
    def included(self) -> list[Record]:
        return [r for r in self.records if r.included]

    @property
    def excluded(self) -> list[Record]:
        return [r for r in self.records if not r.included]

    def to_json(self) -> dict:
        return to_json(self)

    def json_text(self) -> str:
        """The register as `collect --json` prints it (indented while short enough to read)."""
        import json

        return json.dumps(to_json(self), ensure_ascii=False, indent=1 if len(self.records) <= 20 else None) + "\n"

    def record(self, code: str) -> Record | None:
        """The roster unit's record."""
        return self._by_code.get(code)

    def add(self, file: str, path, result: dict) -> Placed:
        """One examined return (`returns.examine`; its `values` a sequence in its format's key order): unusable
        (unreadable, no or a broken identity, another year), a roster unit's, or a stranger's."""
        r = result
        reason = self._unusable_reason(r)
        if reason:
            bisect.insort(self.unusable, (file, reason))
            return Placed("unusable", None, None, reason)
        if not isinstance(r["values"], Values):
            r["values"] = Values(_key_index(r["layout"]), tuple(r["values"]))
        sub = Submission(file, Path(path) if path is not None else None, r)
        unit = self.index.match(r.get("unit_code"), r["unit"])
        if unit is None:
            code = str(r.get("unit_code") or "").strip()
            rec = self._strangers.get(code or norm_name(r["unit"]))
            if rec is None:
                rec = self._strangers[code or norm_name(r["unit"])] = Record(Unit(code, r["unit"]))
                self._stranger_list = None
            bisect.insort(rec.submissions, sub, key=Submission.order.fget)
            return Placed("stranger", rec, sub)
        rec = self._by_code[unit.code]
        named = self.index.named_after(Path(file).name)
        if named is not None and named.code != unit.code:
            i01 = self.fmt.rules["I01"]
            bisect.insort(rec.notes, f"{file}：" + i01.text("other_unit", actual=r["unit"], expected=named.name))
        before = rec.latest if rec.included else None
        bisect.insort(rec.submissions, sub, key=Submission.order.fget)
        after = rec.latest if rec.included else None
        if after is not before:
            if before is not None:
                self._count(before, -1)
            if after is not None:
                self._count(after, 1)
        return Placed("unit", rec, sub)

    def _unusable_reason(self, r: dict) -> str:
        i01 = self.fmt.rules["I01"]
        if r.get("error"):
            return r["error"]
        identity_problem = next((f["message"] for f in r["findings"] if f["rule"] == "I01"), None)
        if not r.get("unit"):
            return identity_problem or i01.text("no_identity")
        if identity_problem:
            who = f"“{r['unit']}”" + (f"（{r['unit_code']}）" if r.get("unit_code") else "")
            return f"标明为{who}的填报表，但{identity_problem}"
        if r.get("year") != self.year:
            return i01.text("other_year", actual=r.get("year") or "未知", expected=self.year)
        return ""

    def _count(self, sub: Submission, sign: int):
        v = sub.result["values"]
        data = v.data if v.index is _key_index(self.fmt.layout) else [v.get(k) for k in self._keys]
        step = operator.add if sign > 0 else operator.sub
        counts = self._pick(data)
        try:
            self._count_sums = list(map(step, self._count_sums, counts))
        except TypeError:  # a blank (None) among them
            self._count_sums = [step(s, x or 0) for s, x in zip(self._count_sums, counts)]
        self._amount_sums = [step(s, round((data[i] or 0) * SCALE)) for s, i in zip(self._amount_sums,
                                                                                     self._amounts)]
        self._summary = None


def diff_values(fmt, old: dict, new: dict) -> list[str]:
    from .checks import fmt_num

    return [f"{c.where}{c.label}：{fmt_num(old.get(k))} → {fmt_num(new.get(k))}"
            for k, c in fmt.cells.items() if old.get(k) != new.get(k)]


# ------------------------------------------------------------------------------------------------ JSON
def to_json(c: Register) -> dict:
    units = [{"code": r.unit.code, "name": r.unit.name, "status": r.status,
              "files": [s.file for s in r.submissions],
              "errors": len(r.latest.errors) if r.latest else 0,
              "warnings": len(r.latest.warnings) if r.latest else 0,
              "notices": [f["message"] for f in r.latest.notices] if r.latest else []} for r in c.records]
    unusable = [{"file": f, "reason": why} for f, why in c.unusable]
    i01 = c.fmt.rules["I01"]
    for r in c.strangers:
        for s in r.submissions:
            unusable.append({"file": s.file, "reason": i01.text("not_in_roster", actual=r.unit.name,
                                                                  expected=r.unit.code or "空")})
    unusable.sort(key=lambda x: x["file"])
    return {"units": units, "unusable": unusable, "summary": {"cells": dict(c.summary)}}


# ------------------------------------------------------------------------------------------------ the register
def _problems(sub: Submission, limit: int = 5) -> str:
    """The first few errors, then warnings: enough to phone the unit without opening the file."""
    found = sub.errors + sub.warnings
    text = "；".join(f"[{f['rule']}{'' if f['severity'] == 'error' else ' 警告'}] {f['message']}"
                    for f in found[:limit])
    return text + (f"；等共 {len(found)} 处" if len(found) > limit else "")


def _explained(sub: Submission | None) -> str:
    if sub is None:
        return ""
    return "；".join(f"{rid}：{text}" for rid, text in sorted((sub.result.get("explanations") or {}).items()))


def _row(category, unit: Unit, status: str, sub: Submission | None, count: int, notes: str) -> list:
    r = sub.result if sub else {}
    return [CATEGORY[category], unit.code, unit.name, unit.type, status, sub.file if sub else "",
            r.get("sha256", ""), r.get("saved_at", ""), SAVED_FROM.get(r.get("saved_from"), "") if sub else "",
            count, len(sub.errors) if sub else "", len(sub.warnings) if sub else "",
            _problems(sub) if sub else "", _explained(sub), notes]


def register_rows(c: Register) -> list[list]:
    rows = []
    i01 = c.fmt.rules["I01"]
    for group, category in ((c.records, "unit"), (c.strangers, "stranger")):
        for rec in group:
            latest = rec.latest
            notes = list(rec.notes)
            if category == "stranger":
                notes.insert(0, i01.text("not_in_roster", actual=rec.unit.name, expected=rec.unit.code or "空"))
            rows.append(_row(category, rec.unit, STATUS[rec.status], latest, len(rec.submissions), "；".join(notes)))
            for n, s in enumerate(rec.submissions[:-1], start=1):
                changes = diff_values(c.fmt, s.result["values"], latest.result["values"])
                note = (f"第 {n} 次提交，已被 {latest.file} 替代；"
                        + (f"改动了 {len(changes)} 个数：" + "；".join(changes) if changes else "数字没有改动"))
                status = "未通过" if s.errors else "通过（有警告）" if s.warnings else "通过"
                rows.append(_row("earlier", rec.unit, f"已被替代（{status}）", s, n, note))
    for f, why in c.unusable:
        rows.append([CATEGORY["unusable"], "", "", "", "无法使用", f, "", "", "", "", "", "", why, "", ""])
    return rows


def register_csv(c: Register) -> str:
    import csv
    import io

    from .safe_text import neutral_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(REGISTER_COLUMNS)
    for row in register_rows(c):
        w.writerow([neutral_cell(x) for x in row])
    return "\ufeff" + buf.getvalue()  # BOM: Excel opens UTF-8 CSV correctly only with it


def register_xlsx(c: Register) -> bytes:
    import io

    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": f"{c.year}年度政府信息公开工作年度报告 返回登记表", "author": "nianbao",
                       "created": dt.datetime(2000, 1, 1)})  # fixed: the same inputs give the same file
    base = {"font_name": "宋体", "font_size": 10, "valign": "top", "text_wrap": True, "border": 1}
    head = wb.add_format({**base, "bold": True, "bg_color": "#D9E1F2", "align": "center"})
    cell = wb.add_format(base)
    colours = {"通过": "#C6EFCE", "通过（有警告）": "#FFEB9C", "未通过": "#FFC7CE", "未返回": "#D9D9D9",
               "无法使用": "#F2DCDB"}
    status_fm = {k: wb.add_format({**base, "bg_color": v}) for k, v in colours.items()}
    ws = wb.add_worksheet(REGISTER_NAME)
    ws.write_row(0, 0, REGISTER_COLUMNS, head)
    rows = register_rows(c)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            fm = status_fm.get(v, cell) if j == 4 else cell
            if isinstance(v, int):
                ws.write_number(i, j, v, fm)
            else:
                ws.write_string(i, j, str(v), fm)  # text stays text: nothing typed by a unit becomes a formula
    widths = [10, 10, 22, 10, 14, 34, 18, 21, 12, 8, 7, 7, 50, 30, 50]
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    ws.freeze_panes(1, 3)
    ws.autofilter(0, 0, max(1, len(rows)), len(REGISTER_COLUMNS) - 1)
    wb.close()
    return out.getvalue()

