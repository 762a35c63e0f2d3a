"""The roster: which units the district office expects a return from (CSV or XLSX)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .errors import NianbaoError

COLUMNS = {  # accepted header → field
    "单位代码": "code", "code": "code",
    "单位名称": "name", "name": "name",
    "单位类型": "type", "type": "type",
    "联系人": "contact", "contact": "contact",
}
TYPES = ("部门", "乡镇街道", "区政府本级")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    type: str = ""
    contact: str = ""
    line: int = 0


def _rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        from .formats import parse_cell
        from .xlsx_read import Book  # the same bounded, DTD-refusing reading as a return

        try:
            book = Book(path)
            cells = book.cells(book.sheets[0])
        except NianbaoError as e:
            raise NianbaoError(f"名单文件 {path.name} 无法读取：{e.message}") from None
        grid: dict[int, dict[int, str]] = {}
        for ref, c in cells.items():
            r, col = parse_cell(ref)
            grid.setdefault(r, {})[col] = "" if c.value is None else str(c.value)
        width = 1 + max((max(row) for row in grid.values()), default=0)
        return [[grid.get(r, {}).get(c, "") for c in range(width)] for r in range(1 + max(grid, default=-1))]
    try:
        data = path.read_bytes()
    except OSError as e:
        raise NianbaoError(f"无法读取名单文件 {path}：{e.strerror or e}") from None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise NianbaoError(f"名单文件 {path.name} 的编码无法识别（请另存为 UTF-8 的 CSV）")
    return list(csv.reader(io.StringIO(text)))


def read_roster(path) -> list[Unit]:
    path = Path(path)
    if not path.is_file():
        raise NianbaoError(f"找不到名单文件 {path}")
    rows = _rows(path)
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise NianbaoError(f"名单文件 {path.name} 是空的")
    header = [c.strip() for c in rows[0]]
    fields = []
    for h in header:
        f = COLUMNS.get(h) or COLUMNS.get(h.lower())
        if f is None and h:
            raise NianbaoError(f"名单文件第 1 行：未知的列“{h}”（可用的列：单位代码、单位名称、单位类型、联系人）")
        fields.append(f)
    if "code" not in fields or "name" not in fields:
        raise NianbaoError("名单文件第 1 行须包含“单位代码”和“单位名称”两列")
    units, seen = [], {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        rec = {f: (row[i].strip() if i < len(row) else "") for i, f in enumerate(fields) if f}
        if not rec.get("code"):
            raise NianbaoError(f"名单文件第 {n} 行：单位代码为空")
        if not rec.get("name"):
            raise NianbaoError(f"名单文件第 {n} 行：单位名称为空")
        if rec["code"] in seen:
            raise NianbaoError(f"名单文件第 {n} 行：单位代码“{rec['code']}”与第 {seen[rec['code']]} 行重复")
        if rec.get("type") and rec["type"] not in TYPES:
            raise NianbaoError(f"名单文件第 {n} 行：单位类型“{rec['type']}”无效（可用：{'、'.join(TYPES)}）")
        seen[rec["code"]] = n
        units.append(Unit(rec["code"], rec["name"], rec.get("type", ""), rec.get("contact", ""), n))
    if not units:
        raise NianbaoError(f"名单文件 {path.name} 中没有单位")
    return units
