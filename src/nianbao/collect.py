"""Collect a folder of returns against the roster: who sent what, which return counts, the district summary.

`collect(returns, roster, year, key)` reads every workbook under RETURNS (any name, nested folders) in a process
pool, streaming one small result per file (never the workbooks), and identifies each by its stamped, signed
identity — never by its file name. `write_outputs(collection, outdir, ...)` then writes the register, the
annotated send-backs, the summary workbook and the district report. RETURNS is only ever read.

Which return of a unit counts: the latest genuine one (identity intact and issued by this office, this year, this
unit), whether it passed or not — it is the unit's latest word, so a failing correction is sent back rather than an
older passing return silently used. "Latest" is the stamped save time: `dcterms:modified` in docProps/core.xml
(xlsx; Excel, WPS and LibreOffice set it on every save) or `dc:date` in meta.xml (ods); a file without one (xls)
falls back to the file's modification time, and the register says which was used. Ties go to the path sorted last.
The identity's `generated_at` is when the template was issued, not when it was filled, so it is not used.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .errors import NianbaoError
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
SUMMARY_NAME = "汇总.xlsx"
SENDBACK_DIR = "退回"
REPORT_DIR = "报告"

_MODIFIED = re.compile(rb"<(?:dcterms:modified|dc:date)\b[^>]*>\s*([^<]+?)\s*<")


# ------------------------------------------------------------------------------------------------ one file
def saved_time(path: Path, properties: bytes = b"") -> tuple[str, str]:
    """(UTC ISO time, "core" | "mtime"): the save time in the file's document properties (docProps/core.xml of
    .xlsx, meta.xml of .ods, as the reader inflated them), else the file's mtime."""
    m = _MODIFIED.search(properties[:1 << 16])
    if m:
        try:
            t = dt.datetime.fromisoformat(m.group(1).decode("ascii").replace("Z", "+00:00"))
            if t.tzinfo is None:
                t = t.replace(tzinfo=dt.timezone.utc)  # ods dc:date is often local without a zone
            if t.year > 1980:
                return _iso(t), "core"
        except (ValueError, UnicodeDecodeError):
            pass
    return _iso(dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)), "mtime"


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_KEY: bytes | None = None
_PREVIOUS: dict = {}


def _init(key, previous):
    global _KEY, _PREVIOUS
    _KEY, _PREVIOUS = key, previous or {}


def _previous_for(path: Path):
    """Last year's filing of the unit this file says it is (by unit code, then name)."""
    from .xlsx_read import Book, read_identity

    try:
        idt = read_identity(Book(path))
    except Exception:
        return None
    return match_previous(_PREVIOUS, idt.get("unit_code"), idt.get("unit"))


def _examine(path_str: str) -> dict:
    from .review import review_file, sha256

    path = Path(path_str)
    prev = _previous_for(path) if _PREVIOUS else None
    r = review_file(path, prev, _KEY, keep_filing=True)
    r.pop("raw", None)
    if "values" in r:  # in the format's key order; the parent wraps them (Values) with one shared index
        r["values"] = tuple(r["values"].values())
    try:
        if "sha256" not in r:  # unreadable: hash what is on disk
            r["sha256"] = sha256(path)
        r["saved_at"], r["saved_from"] = saved_time(path, r.pop("properties", b""))
    except OSError as e:
        r.update(sha256="", saved_at="", saved_from="mtime", error=r.get("error") or f"无法读取文件：{e}")
    return r


def examine_all(paths: list[Path], key: bytes, previous: dict | None = None, workers: int | None = None):
    """One result per path, in order, streamed from a process pool on every core (one process as a fallback)."""
    from .review import parallel_map, preload

    preload()

    yield from parallel_map(_examine, [str(p) for p in paths], _init, (key, previous), workers,
                            on_crash=_crashed)


def _crashed(path_str: str) -> dict:
    from .review import crashed

    return crashed(path_str)


# ------------------------------------------------------------------------------------------------ last year
def _norm(name) -> str:
    return re.sub(r"\s+", "", str(name or ""))


def match_previous(previous: dict, code, name):
    code = str(code or "").strip()
    return (previous.get(("code", code)) if code else None) or previous.get(("name", _norm(name)))


def load_previous(path, warn=None) -> dict:
    """Last year's filings under a folder (returned workbooks, or published reports), keyed by
    ("code", unit code) and ("name", unit name)."""
    from .review import WORKBOOK_SUFFIXES
    from .xlsx_read import read

    p = Path(path)
    if not p.exists():
        raise NianbaoError(f"找不到上年数据 {p}")
    files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
    out: dict = {}
    for q in files:
        suffix = q.suffix.lower()
        try:
            if suffix in WORKBOOK_SUFFIXES:
                filing = read(q)
            elif suffix in (".docx", ".html", ".htm", ".txt", ".pdf", ".md"):
                try:
                    from .importer import import_report
                except ImportError:
                    if warn:
                        warn(f"上年数据 {q.name}：尚不能读取已发布的报告，已跳过")
                    continue
                filing = import_report(q)
            else:
                continue
        except NianbaoError as e:
            if warn:
                warn(f"上年数据 {q.name} 无法读取，已跳过：{e.message}")
            continue
        except Exception as e:  # one bad file of last year must not stop this year's collection
            if warn:
                warn(f"上年数据 {q.name} 无法读取，已跳过（{type(e).__name__}: {e}）")
            continue
        for k in (("code", str(filing.unit_code or "").strip()), ("name", _norm(filing.unit))):
            if k[1]:
                out.setdefault(k, filing)  # files are sorted: the first one found for a unit is used
    return out


# ------------------------------------------------------------------------------------------------ the collection
@dataclass
class Submission:
    file: str  # the path under RETURNS, with "/" separators
    path: Path
    result: dict

    @property
    def saved_at(self) -> str:
        return self.result.get("saved_at", "")

    @property
    def errors(self) -> list[dict]:
        return [f for f in self.result["findings"] if f["severity"] == "error"]

    @property
    def warnings(self) -> list[dict]:
        return [f for f in self.result["findings"] if f["severity"] != "error"]


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


@dataclass
class Collection:
    fmt: object
    year: int
    returns: Path
    records: list[Record]  # roster units, in roster order
    strangers: list[Record]  # genuine returns of units not in the roster
    unusable: list[tuple[str, str]]  # (file, reason), sorted by file
    summary: dict  # key -> the sum over included units

    @property
    def included(self) -> list[Record]:
        return [r for r in self.records if r.included]

    @property
    def excluded(self) -> list[Record]:
        return [r for r in self.records if not r.included]


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


class RosterIndex:
    """The roster looked up by code, by name and by a name inside a file name: built once, so that matching
    N returns costs N look-ups, not N scans of the roster (10,000 × 10,000 at a national scale)."""

    def __init__(self, units: list[Unit]):
        self.by_code: dict[str, Unit] = {}
        self.by_name: dict[str, Unit] = {}
        for u in units:
            self.by_code.setdefault(u.code, u)
            self.by_name.setdefault(_norm(u.name), u)
        self.names = {u.name: u for u in reversed(units) if u.name}  # the first of a repeated name wins
        self.position = {id(u): i for i, u in enumerate(units)}
        self.sizes = sorted({len(n) for n in self.names}, reverse=True)  # longest first: 区财政局 over 财政局

    def match(self, code, name) -> Unit | None:
        """The unit a return says it is: by its code when it has one, else by its name."""
        code = str(code or "").strip()
        return self.by_code.get(code) if code else self.by_name.get(_norm(name))

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


def collect(returns, roster: list[Unit], year: int, key: bytes, previous: dict | None = None,
            workers: int | None = None, progress=None, files: list[Path] | None = None) -> Collection:
    """Read every workbook under `returns` (or the given `files` found there) and sort it out against the roster.
    `progress(n)` is called per file."""
    from .formats import format_for_year
    from .review import find_workbooks

    fmt = format_for_year(year)
    base = Path(returns)
    if files is None:
        files, missing = find_workbooks([base])
        if missing:
            raise NianbaoError(f"找不到返回表文件夹 {base}")
    i01 = fmt.rules["I01"]
    records = {u.code: Record(u) for u in roster}
    index = RosterIndex(roster)
    strangers: dict[str, Record] = {}
    unusable = []
    for path, r in zip(files, examine_all(files, key, previous, workers)):
        if progress:
            progress(1)
        rel = _rel(path, base)
        if r.get("error"):
            unusable.append((rel, r["error"]))
            continue
        identity_problem = next((f["message"] for f in r["findings"] if f["rule"] == "I01"), None)
        if not r.get("unit"):
            unusable.append((rel, identity_problem or i01.text("no_identity")))
            continue
        who = f"“{r['unit']}”" + (f"（{r['unit_code']}）" if r.get("unit_code") else "")
        if identity_problem:
            unusable.append((rel, f"标明为{who}的填报表，但{identity_problem}"))
            continue
        if r.get("year") != year:
            unusable.append((rel, i01.text("other_year", actual=r.get("year") or "未知", expected=year)))
            continue
        r["values"] = Values(_key_index(r["layout"]), r["values"])
        sub = Submission(rel, path, r)
        unit = index.match(r.get("unit_code"), r["unit"])
        if unit is None:
            code = str(r.get("unit_code") or "").strip()
            rec = strangers.setdefault(code or _norm(r["unit"]), Record(Unit(code, r["unit"])))
        else:
            rec = records[unit.code]
            named = index.named_after(Path(rel).name)
            if named is not None and named.code != unit.code:
                rec.notes.append(f"{rel}：" + i01.text("other_unit", actual=r["unit"], expected=named.name))
        rec.submissions.append(sub)
    for rec in list(records.values()) + list(strangers.values()):
        rec.submissions.sort(key=lambda s: (s.saved_at, s.file))
    unusable.sort()
    collection = Collection(fmt, year, base, list(records.values()),
                            [strangers[k] for k in sorted(strangers)], unusable, {})
    collection.summary = sum_values(fmt, [r.latest.result["values"] for r in collection.included])
    return collection


def sum_values(fmt, values_list: list[dict]) -> dict:
    """Cell-wise sums; amounts rounded to 4 decimals (0.0001 万元 = 1 元) so float noise cannot break a rule."""
    out = {}
    if values_list and all(isinstance(v, Values) and v.index is values_list[0].index for v in values_list):
        columns = dict(zip(values_list[0].index, zip(*(v.data for v in values_list))))  # one pass, not 200
    else:
        columns = {key: [v[key] for v in values_list] for key in fmt.cells}
    for key, cell in fmt.cells.items():
        total = sum(columns.get(key, ()))
        out[key] = round(float(total), 4) if cell.type == "decimal" else int(total)
    return out


def diff_values(fmt, old: dict, new: dict) -> list[str]:
    from .checks import fmt_num

    return [f"{c.where}{c.label}：{fmt_num(old.get(k))} → {fmt_num(new.get(k))}"
            for k, c in fmt.cells.items() if old.get(k) != new.get(k)]


# ------------------------------------------------------------------------------------------------ JSON
def to_json(c: Collection) -> dict:
    units = [{"code": r.unit.code, "name": r.unit.name, "status": r.status,
              "files": [s.file for s in r.submissions],
              "errors": len(r.latest.errors) if r.latest else 0,
              "warnings": len(r.latest.warnings) if r.latest else 0} for r in c.records]
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


def register_rows(c: Collection) -> list[list]:
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


def register_csv(c: Collection) -> str:
    import csv
    import io

    from .safe_text import neutral_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(REGISTER_COLUMNS)
    for row in register_rows(c):
        w.writerow([neutral_cell(x) for x in row])
    return "\ufeff" + buf.getvalue()  # BOM: Excel opens UTF-8 CSV correctly only with it


def register_xlsx(c: Collection) -> bytes:
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


# ------------------------------------------------------------------------------------------------ the summary
def _short(label: str) -> str:
    """A row label without its ordinal or trailing note, for a chart axis: “（二）部分公开（区分…）” → “（二）部分公开”."""
    label = re.sub(r"^[一二三四五六七八九十]+、", "", label)
    m = re.search(r"(?<=.)（", label[3:])
    return label[: m.start() + 3] if m else label


def summary_identity(c: Collection, district: str) -> dict:
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


def breakdown_header(fmt) -> list[str]:
    return ["单位代码", "单位名称"] + [f"{fmt.cells[k].where} {fmt.cells[k].label}" for k in fmt.cells]


def write_breakdown_csv(c: Collection, target: Path) -> Path:
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


def summary_extend(c: Collection, district: str):
    """Adds the breakdown, the included/excluded lists (D02) and native charts to the summary workbook."""
    fmt = c.fmt
    t3 = fmt.tables.get("t3")
    inline = len(c.included) <= BREAKDOWN_SHEET_MAX
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


def build_summary(c: Collection, district: str, key: bytes, narrative: dict | None = None) -> bytes:
    from .xlsx_template import build_workbook

    extend, rewrite = summary_extend(c, district)
    return build_workbook(c.fmt, summary_identity(c, district), values=c.summary, narrative=narrative, key=key,
                          extend=extend, rewrite=rewrite)


def check_summary(c: Collection, filing, key: bytes) -> list[dict]:
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
def annex_rows(c: Collection) -> list[list[str]]:
    rows = []
    for n, rec in enumerate(c.records, start=1):
        rows.append([str(n), rec.unit.code, rec.unit.name, STATUS[rec.status], "是" if rec.included else "否",
                     _explained(rec.latest)])
    return rows


ANNEX_HEAD = ["序号", "单位代码", "单位名称", "报送情况", "纳入汇总", "单位说明"]


def annex_title(c: Collection) -> str:
    return f"附件：{c.year}年度各单位报送情况"


def annex(c: Collection):
    from .report import Annex

    return Annex(annex_title(c), ANNEX_HEAD, annex_rows(c))


# ------------------------------------------------------------------------------------------------ everything
def clear_stale_sendbacks(folder: Path):
    """Annotated copies from an earlier run of this folder (a unit that has since passed must not be sent back)."""
    if folder.is_dir():
        for p in folder.glob("*-批注.xlsx"):
            p.unlink()


def write_sendbacks(c: Collection, folder: Path) -> tuple[dict[str, Path], list[str]]:
    """An annotated copy of each unit's failing latest return ({unit: path}), in a process pool when there are
    many (openpyxl takes a tenth of a second for each); and what could not be copied, one line each."""
    from .annotate import annotated_name
    from .review import parallel_map
    from .safe_text import safe_filename

    clear_stale_sendbacks(folder)
    jobs = []
    for rec in c.records + c.strangers:
        s = rec.latest
        if s is None or not s.errors:
            continue
        # one flat folder, named by unit code: two units' files may share a name
        name = annotated_name(s.path)
        prefix = f"{safe_filename(rec.unit.code)}-" if rec.unit.code else ""
        jobs.append(SendBack(rec.unit.code or rec.unit.name, s.file, s.path, s.result["findings"], folder,
                             name if name.startswith(prefix) else prefix + name))
    out, problems = {}, []
    for job, made in zip(jobs, parallel_map(_sendback, jobs, on_crash=lambda job: "处理进程意外终止")):
        if isinstance(made, Path):
            out[job.unit] = made
        else:
            problems.append(f"{job.unit}（{job.file}）：无法生成批注副本 — {made}")
    return out, problems


class SendBack(NamedTuple):
    unit: str  # code, or name for a unit without one
    file: str  # as in the register
    path: Path
    findings: list
    folder: Path
    name: str  # of the annotated copy


def _sendback(job: SendBack) -> Path | str:
    from .annotate import annotate
    from .errors import UnreadableFile

    try:
        return annotate(job.path, job.findings, job.folder, name=job.name)
    except UnreadableFile as e:  # this file only (a part that fails the limits); the folder's own errors stop all
        return e.message


def default_district(roster: list[Unit]) -> str:
    top = [u for u in roster if u.type == "区政府本级"]
    return top[0].name if len(top) == 1 else "全区"


@dataclass
class Outputs:
    register_csv: Path
    register_xlsx: Path
    summary: Path
    sendbacks: dict
    summary_findings: list
    reports: list
    report_note: str | None = None
    sendback_problems: list = field(default_factory=list)


def write_outputs(c: Collection, outdir, key: bytes, district: str, narrative: dict | None = None,
                  formats=("docx", "html", "md"), reference_docx=None) -> Outputs:
    """Register (CSV, XLSX), send-backs, the summary workbook (checked after it is written) and the district
    report with its annex. Nothing is written under RETURNS."""
    from .atomic import write_bytes, write_text

    from .review import Aside
    from .xlsx_read import read

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    # the summary is built in a process of its own while this one writes the register and the send-backs
    summary = Aside(lambda: write_bytes(outdir / SUMMARY_NAME, build_summary(c, district, key, narrative)))
    csv_path = write_text(outdir / f"{REGISTER_NAME}.csv", register_csv(c))
    xlsx_path = write_bytes(outdir / f"{REGISTER_NAME}.xlsx", register_xlsx(c))
    sendbacks, sendback_problems = write_sendbacks(c, outdir / SENDBACK_DIR)
    if len(c.included) > BREAKDOWN_SHEET_MAX:
        write_breakdown_csv(c, outdir / BREAKDOWN_CSV)
    summary_path = summary.result()
    filing = read(summary_path)  # checked, then reported, from what was written
    findings = check_summary(c, filing, key)
    reports, note = [], None
    if formats:
        from .report import write_reports

        target = outdir / REPORT_DIR
        # a district without its narrative yet still gets its numbers laid out: as a marked draft
        reports = write_reports(filing, target, tuple(formats), draft=True, reference_docx=reference_docx,
                                narrative=narrative, annex=annex(c))
        if not narrative:
            note = "未提供区级正文（--narrative），报告按草稿生成（每页标注草稿）"
    return Outputs(csv_path, xlsx_path, summary_path, sendbacks, findings, reports, note, sendback_problems)
