"""One return as `collect` and the desk read it, and last year's data it is compared with.

`examine(path, key, previous)` is the one reading both use: the verdict of `review.review_file`, the numbers in the
format's key order, the file's SHA-256, its save time and when it was received. "Save time" is the stamped
`dcterms:modified` in docProps/core.xml (xlsx; Excel, WPS and LibreOffice set it on every save) or `dc:date` in
meta.xml (ods); a file without one (xls) falls back to the file's modification time, and the register says which
was used. "Received" is the file's modification time here (the desk records its own upload time instead).
The identity's `generated_at` is when the template was issued, not when it was filled, so it is not used.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .errors import NianbaoError
from .register import norm_name

_MODIFIED = re.compile(rb"<(?:dcterms:modified|dc:date)\b[^>]*>\s*([^<]+?)\s*<")



def saved_time(path: Path, properties: bytes = b"", received: dt.datetime | None = None) -> tuple[str, str]:
    """(UTC ISO time, "core" | "mtime"): the save time in the file's document properties (docProps/core.xml of
    .xlsx, meta.xml of .ods, as the reader inflated them), else the file's mtime (or when it was `received`)."""
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
    return _iso(received or _mtime(path)), "mtime"


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_precise(t: dt.datetime) -> str:
    """UTC ISO time to the microsecond: which of two returns saved in the same second arrived later."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_KEY: bytes | None = None
_PREVIOUS = None  # last_year.LastYears: each file matched to its unit from its one reading (review.review_file)


def _init(key, previous):
    global _KEY, _PREVIOUS
    _KEY, _PREVIOUS = key, previous


def examine(path: Path, key: bytes | None, previous=None, received: dt.datetime | None = None) -> dict:
    """The verdict of one file with what the register needs of it (see the module docstring); a plain dict of
    plain values (it crosses process boundaries, and the desk stores it as JSON). `received`: when the desk took
    the upload (else the file's mtime stands for it)."""
    from .review import review_file, sha256

    r = review_file(path, previous, key, keep_filing=True)
    r.pop("raw", None)
    if "values" in r:  # in the format's key order; the register wraps them (Values) with one shared index
        r["values"] = tuple(r["values"].values())
    try:
        if "sha256" not in r:  # unreadable: hash what is on disk
            r["sha256"] = sha256(path)
        r["saved_at"], r["saved_from"] = saved_time(path, r.pop("properties", b""), received)
        r["received_at"] = iso_precise(received or _mtime(path))
    except OSError as e:
        r.update(sha256="", saved_at="", saved_from="mtime", error=r.get("error") or f"无法读取文件：{e}")
    return r


def _examine(path_str: str) -> dict:
    return examine(Path(path_str), _KEY, _PREVIOUS)


def examine_all(paths: list[Path], key: bytes, previous=None, workers: int | None = None):
    """One result per path, in order, streamed from a process pool on every core (one process as a fallback).
    `previous`: last_year.LastYears (a unit it lacks is told which cross-year checks did not run)."""
    from .review import parallel_map, preload

    preload()

    yield from parallel_map(_examine, [str(p) for p in paths], _init, (key, previous), workers,
                            on_crash=_crashed)


def _crashed(path_str: str) -> dict:
    from .review import crashed

    return crashed(path_str)


# ------------------------------------------------------------------------------------------------ last year
def match_previous(previous: dict, code, name):
    code = str(code or "").strip()
    return (previous.get(("code", code)) if code else None) or previous.get(("name", norm_name(name)))


def load_previous(path, warn=None, read_workbook=None) -> dict:
    """Last year's filings under a folder (returned workbooks, or published reports), keyed by
    ("code", unit code) and ("name", unit name). `read_workbook(path)` reads a workbook (xlsx_read.read: all of it)."""
    from .review import WORKBOOK_SUFFIXES
    from .xlsx_read import read

    read = read_workbook or read

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
            else:
                from .importer import import_report
                from .importer.kinds import REPORT_SUFFIXES

                if suffix not in REPORT_SUFFIXES:
                    continue
                filing = import_report(q)
        except NianbaoError as e:
            if warn:
                warn(f"上年数据 {q.name} 无法读取，已跳过：{e.message}")
            continue
        except Exception as e:  # one bad file of last year must not stop this year's collection
            if warn:
                warn(f"上年数据 {q.name} 无法读取，已跳过（{type(e).__name__}: {e}）")
            continue
        for k in (("code", str(filing.unit_code or "").strip()), ("name", norm_name(filing.unit))):
            if k[1]:
                out.setdefault(k, filing)  # files are sorted: the first one found for a unit is used
    return out

