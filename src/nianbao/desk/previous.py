"""Last year's data of a collection: what its templates carry (`template --previous`) and what its uploads are
checked against when their template carried none (`collect --previous`).

Either files the office uploaded (last year's returns, the district summary, published reports; one or many, or
a zip of them), kept as blobs like every upload, or the desk's own collection of the year before (its counted
returns). Both are read by `last_year.LastYears.load` and matched to a unit by its `light` — the loader and the
matching of the command line, nothing else.

    set_files(desk, year, [(sha256, name)]) -> LastYears     # refused with a Chinese message when unusable
    use_collection(desk, year) -> LastYears                  # the desk's collection of year - 1
    clear(desk, year)
    last_years(desk, year) -> LastYears | None               # loaded once, again when the source changes
    lights(desk, year) -> dict | None                        # LastYears.by, for the examining worker
    for_units(desk, year, units) -> list | None              # each unit's light tuple (or None), in order
    unit_has(desk, year, unit) -> bool | None                # its template carries last year (None: no data)
    for_upload(by) -> LastYears                              # in the worker: what an upload is checked against
    summary(desk, year) -> dict                              # what the collection page says about it
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import threading
from pathlib import Path

from ..errors import NianbaoError

MAX_FILES = 200  # one upload of last year's data through the page (more: one .zip)
_LOADED: dict = {}  # (workspace, year) -> (marker of the source, LastYears)
_LOCK = threading.Lock()


def _suffixes() -> tuple[str, ...]:
    from ..importer.kinds import REPORT_SUFFIXES
    from ..review import WORKBOOK_SUFFIXES

    return WORKBOOK_SUFFIXES + REPORT_SUFFIXES


def _suffix(name: str) -> str:
    """Only the suffix of what the browser named the file: the reader goes by it; the name is never a path."""
    suffix = Path(str(name or "")).suffix.lower()
    return suffix if suffix in _suffixes() + (".zip",) else ""


def _row(desk, year: int):
    return desk._one("SELECT source, files, notes, set_at FROM last_year WHERE year = ?", int(year))


def _write(desk, year: int, source: str, files: list, notes: list):
    with desk.lock, desk._tx():
        desk.db.execute("INSERT INTO last_year (year, source, files, notes, set_at) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT (year) DO UPDATE SET source = excluded.source, files = excluded.files,"
                        " notes = excluded.notes, set_at = excluded.set_at",
                        (int(year), source, json.dumps(files, ensure_ascii=False),
                         json.dumps(notes, ensure_ascii=False), dt.datetime.now(dt.timezone.utc).isoformat()))


# ------------------------------------------------------------------------------------------------ reading
def _unpack(blob: Path, folder: Path, n: int):
    """A zip of last year's files, inflated under the reader's limits; its members' names give only a suffix."""
    from ..limits import unzip

    members = unzip(blob.read_bytes(), what="压缩包", want=lambda name: bool(_suffix(name)) and _suffix(name) != ".zip")
    for m, (name, data) in enumerate(sorted(members.items())):
        (folder / f"{n:04d}-{m:04d}{_suffix(name)}").write_bytes(data)


def _load(folder: Path, notes: list):
    """LastYears of a folder, a failure said in Chinese (a hostile file must not become a 500)."""
    from ..last_year import LastYears

    try:
        return LastYears.load(folder, warn=notes.append)
    except NianbaoError as e:
        if "没有可用的上年数据" in e.message:
            raise NianbaoError("所给文件中没有可用的上年数据（应为上年的返回表、全区汇总表或已发布的年度报告）"
                               + ("：" + "；".join(notes[:5]) if notes else "")) from None
        raise
    except Exception as e:  # a reader bug on a hostile file: named, never a traceback
        raise NianbaoError(f"上年数据无法读取（{type(e).__name__}），请检查文件后重新上传") from None


def _load_files(desk, files: list, notes: list):
    from ..limits import UnreadableFile

    with tempfile.TemporaryDirectory(dir=desk.incoming_dir()) as tmp:
        folder = Path(tmp)
        for n, (digest, name) in enumerate(files):
            suffix = _suffix(name)
            try:
                if suffix == ".zip":
                    _unpack(desk.blob_path(digest), folder, n)
                elif suffix:
                    shutil.copyfile(desk.blob_path(digest), folder / f"{n:04d}{suffix}")
                else:
                    notes.append(f"{name}：不是可用的文件类型（应为 .xlsx、.xls、.ods、.docx、.doc、.pdf、.html 或 .zip），已跳过")
            except UnreadableFile as e:
                notes.append(f"{name}：{e.message}，已跳过")
        names = {f"{n:04d}": name for n, (_, name) in enumerate(files)}
        found = _load(folder, notes)
    # the notes name the temporary copies: say the names the office gave them
    notes[:] = [_rename(note, names) for note in notes]
    return found


def _rename(note: str, names: dict) -> str:
    import re

    return re.sub(r"(?<!\d)(\d{4})(?:-\d{4})?\.[a-z]+", lambda m: names.get(m.group(1), m.group(0)), note)


def _counted(desk, year: int) -> list:
    """[(sha256, name)] of the returns the collection of `year` counts (each unit's latest genuine return)."""
    with desk.lock:
        live = desk._live(year)
        by_placed = {id(placed): sub for sub, placed in live.subs.values() if placed is not None}
        return [(by_placed[id(r.latest)].sha256, by_placed[id(r.latest)].filename)
                for r in live.register.records if r.latest is not None and id(r.latest) in by_placed]


def _marker(desk, year: int):
    row = _row(desk, year)
    if row is None:
        return None
    if row[0] == "collection":  # its counted returns change as the year before still receives
        return row + (desk._one("SELECT max(id) FROM submissions WHERE year = ?", int(year) - 1)[0],)
    return row


def last_years(desk, year: int):
    """The collection's last year (LastYears), or None; loaded once per source."""
    marker = _marker(desk, year)
    if marker is None:
        return None
    key = (str(desk.workspace.resolve()), int(year))
    with _LOCK:
        cached = _LOADED.get(key)
        if cached is not None and cached[0] == marker:
            return cached[1]
    notes: list = []
    try:
        files = _counted(desk, int(year) - 1) if marker[0] == "collection" else json.loads(marker[1])
        found = _load_files(desk, files, notes)
    except NianbaoError:
        found = None  # the previous year's returns are gone meanwhile: the page says so
    with _LOCK:
        _LOADED[key] = (marker, found)
    return found


def lights(desk, year: int) -> dict | None:
    found = last_years(desk, year)
    return found.by if found is not None else None


def for_units(desk, year: int, units) -> list | None:
    found = last_years(desk, year)
    return [found.light(u.code, u.name) for u in units] if found is not None else None


def unit_has(desk, year: int, unit) -> bool | None:
    """Whether the unit's (UnitInfo) template carries last year (None: the collection has no last-year data at
    all). Every department page asks: it looks up the one unit, never the whole roster."""
    found = last_years(desk, year)
    return None if found is None else bool(found.light(unit.code, unit.name))


def for_upload(by: dict):
    """What an upload is checked against (in the worker): the unit's last year among these, matched by the
    reading of the upload itself (review.review_file) — its template's own when it carries one (signed, it
    counts); a unit not among them gets a 说明 naming the cross-year checks that did not run."""
    from ..last_year import LastYears

    return LastYears(by, stamped_first=True)


# ------------------------------------------------------------------------------------------------ setting
def set_files(desk, year: int, files: list):
    """Uploaded files (already kept as blobs) become the collection's last year; refused when none is usable."""
    desk._need(year)
    if not files:
        raise NianbaoError("没有选择任何上年数据文件")
    notes: list = []
    found = _load_files(desk, files, notes)
    _write(desk, year, "files", [list(f) for f in files], notes)
    return found


def use_collection(desk, year: int):
    """The desk's own collection of the year before, its counted returns, as this collection's last year."""
    desk._need(year)
    if desk.collection(int(year) - 1) is None:
        raise NianbaoError(f"收集台上没有 {int(year) - 1} 年度的收集，请上传上年数据文件")
    files = _counted(desk, int(year) - 1)
    if not files:
        raise NianbaoError(f"{int(year) - 1} 年度的收集还没有可用的返回表")
    notes: list = []
    found = _load_files(desk, files, notes)
    _write(desk, year, "collection", [], notes)
    return found


def clear(desk, year: int):
    with desk.lock, desk._tx():
        desk.db.execute("DELETE FROM last_year WHERE year = ?", (int(year),))


def summary(desk, year: int) -> dict:
    """What the collection page shows: the source, how many units it covers, who has none, what was skipped."""
    row = _row(desk, year)
    out = {"source": None, "files": [], "notes": [], "units": 0, "without": [], "broken": False,
           "can_use_collection": desk.collection(int(year) - 1) is not None}
    if row is None:
        return out
    found = last_years(desk, year)
    units = desk.units(year)
    prevs = [found.light(u.code, u.name) for u in units] if found is not None else [None] * len(units)
    out.update(source=row[0], files=[name for _, name in json.loads(row[1])], notes=json.loads(row[2]),
               units=sum(1 for p in prevs if p), without=[u for u, p in zip(units, prevs) if not p],
               broken=found is None)
    return out
