"""An annotated copy of a failing return: the problem cells filled red, each with a Chinese comment.
The input file is never touched; the copy is written atomically into the output folder."""
from __future__ import annotations

import io
import re
from pathlib import Path

from .atomic import write_bytes

_LEVEL = {"error": "错误", "warning": "警告"}  # anything else (info) is a 说明
_CELL = re.compile(r"^(?P<sheet>[^!]+)!(?P<ref>[A-Z]{1,3}[0-9]+)")


def annotated_name(source: Path) -> str:
    return f"{source.stem}-批注.xlsx"


def annotate(source, findings: list[dict], outdir, filing=None, name: str | None = None) -> Path:
    """Write <outdir>/<name>-批注.xlsx (or <outdir>/<name> when given). `findings` are Finding dicts; xls/ods sources
    are rebuilt as a template filled with what was read (openpyxl edits only xlsx)."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    from .xlsx_read import Book

    source = Path(source)
    book = Book(source)
    if book.kind == "xlsx":  # by its content, as the reader tells it: the desk keeps uploads under their hash
        # opened from the members as the reader bounded and checked them, never through the file's own zip
        # headers: zipfile inflates a member whose header understates its size in full before cutting it
        wb = openpyxl.load_workbook(io.BytesIO(book.complete()), keep_vba=False, rich_text=False)
    else:
        from .xlsx_template import build_workbook
        from .xlsx_read import read

        filing = filing or read(source)
        data = build_workbook(filing.fmt, filing.identity, filing.raw, filing.narrative)
        wb = openpyxl.load_workbook(io.BytesIO(data))
    notes: dict[tuple[str, str], list[str]] = {}
    general = []
    for f in findings:
        placed = False
        for place in f.get("cells") or []:
            m = _CELL.match(place)
            if m and m.group("sheet") in wb.sheetnames:
                notes.setdefault((m.group("sheet"), m.group("ref")), []).append(
                    f"[{f['rule']}{_LEVEL.get(f['severity'], '说明')}] {f['message']}")
                placed = True
        if not placed:
            general.append(f)
    red = PatternFill("solid", fgColor="FFC7CE")
    amber = PatternFill("solid", fgColor="FFEB9C")
    for (sheet, ref), msgs in notes.items():
        ws = wb[sheet]
        cell = ws[ref]
        if type(cell).__name__ == "MergedCell":
            continue
        cell.fill = red if any("错误]" in m for m in msgs) else amber
        text = "\n".join(dict.fromkeys(msgs))
        cell.comment = Comment(text[:30000], "nianbao 校验")
        cell.comment.width, cell.comment.height = 320, 40 + 18 * min(len(msgs) * 2, 30)
    # every finding in one list, first sheet, so nothing depends on hovering over comments
    ws = wb.create_sheet("校验问题", 0)
    ws.append(["规则", "级别", "位置", "问题"])
    for f in findings:
        ws.append([f["rule"], _LEVEL.get(f["severity"], "说明"), "、".join(f.get("cells") or []),
                   f["message"]])
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 6
    ws.column_dimensions["C"].width = 30
    ws.column_dimensions["D"].width = 100
    wb.active = 0
    # saved in memory, then written atomically: openpyxl leaves its zip open when a save to disk fails (a full
    # disk), and the zip's clean-up then fails again at exit with a traceback
    buf = io.BytesIO()
    wb.save(buf)
    return write_bytes(Path(outdir) / (name or annotated_name(source)), buf.getvalue())
