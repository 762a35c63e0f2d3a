"""What the pages show, as plain values: the register's rows and progress line, a submission's verdict with its
findings' sheet!cell, what changed between a unit's submissions. The templates only lay these out."""
from __future__ import annotations

from ..register import STATUS

FILTERS = [("", "全部"), ("missing", STATUS["missing"]), ("failed", STATUS["failed"]),
           ("passed_with_warnings", STATUS["passed_with_warnings"]), ("passed", STATUS["passed"])]
VERDICT = dict(STATUS, unusable="无法使用")
SEVERITY = {"error": "错误", "warning": "警告"}


def _time(iso: str | None) -> str:
    """A stored UTC time as the server's local time, to the second: '2026-01-10 16:03:04'."""
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(iso or "")
    except ValueError:
        return (iso or "").replace("T", " ")[:19]
    return (t.astimezone() if t.tzinfo else t).strftime("%Y-%m-%d %H:%M:%S")


PAGE_ROWS = 500  # a register page; a national roster of 10,000 units is 20 pages (and the live refresh stays light)


def register_view(desk, year: int, status: str | None = None, page: int = 1) -> dict:
    with desk.lock:  # one consistent view while uploads arrive
        return _register_view(desk.register(year), status, page)


def _row(rec, st: str) -> dict:
    latest = rec.latest
    return {"code": rec.unit.code, "name": rec.unit.name, "status": st, "status_text": STATUS[st],
            "submissions": len(rec.submissions),
            "received": _time(max((s.result.get("received_at", "") for s in rec.submissions), default="")),
            "errors": len(latest.errors) if latest else 0, "warnings": len(latest.warnings) if latest else 0,
            "problems": [f"{f['rule']} {f['message']}" for f in (latest.errors if latest else [])[:3]]}


def _register_view(register, status: str | None, page: int) -> dict:
    counts = {k: 0 for k in STATUS}
    shown = []
    for rec in register.records:
        st = rec.status
        counts[st] += 1
        if not status or st == status:
            shown.append((rec, st))
    pages = max(1, -(-len(shown) // PAGE_ROWS))
    page = min(max(1, page), pages)
    first = (page - 1) * PAGE_ROWS
    rows = [_row(rec, st) for rec, st in shown[first:first + PAGE_ROWS]]
    n = len(register.records)
    returned = n - counts["missing"]
    passed = counts["passed"] + counts["passed_with_warnings"]
    return {"rows": rows, "counts": counts, "total": n, "returned": returned, "passed": passed,
            "shown": status or "", "matching": len(shown), "page": page, "pages": pages, "first": first + 1,
            "progress": f"已返回 {returned} / {n}，通过 {passed}",
            "unusable": list(register.unusable), "strangers": [r.unit.name for r in register.strangers]}


def findings_view(result: dict) -> list[dict]:
    return [{"rule": f["rule"], "severity": f["severity"], "severity_text": SEVERITY.get(f["severity"], "说明"),
             "message": f["message"], "cells": "、".join(f.get("cells") or [])}
            for f in result.get("findings", [])]


def submission_view(sub) -> dict:
    result = sub.result or {}
    return {"id": sub.id, "file": sub.file, "filename": sub.filename, "received": _time(sub.received_at), "status": sub.status,
            "status_text": VERDICT.get(sub.status, sub.status), "error": result.get("error"),
            "errors": len(sub.errors), "warnings": len(sub.warnings), "findings": findings_view(result),
            "explanations": dict(sub.explanations or {}), "note": sub.note,
            "unit": result.get("unit"), "unit_code": result.get("unit_code")}
