"""The desk's records as the web layer sees them (collections, units, submissions), and the live register of a
collection, rebuilt from the stored results through `Register.add` — never by re-reading a file."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath


def display_name(filename) -> str:
    """The last part of what a browser sent as the file's name, without control characters: shown, never used as
    a path (blobs are named by their hash)."""
    name = PurePosixPath(str(filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip()
    return name[:200] or "未命名.xlsx"


@dataclass(frozen=True)
class CollectionInfo:
    year: int
    layout: str
    units: int
    created_at: str


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    type: str
    contact: str
    generation: int
    revoked: bool


@dataclass
class Submission:
    """One upload as stored, with its examination (see the module docstring)."""

    id: int
    year: int
    unit: str | None
    sha256: str
    filename: str
    size: int
    received_at: str
    result: dict
    explanations: dict = field(default_factory=dict)
    category: str = ""  # where the register put it: "unit" | "stranger" | "unusable"
    note: str = ""  # why it does not count for the link's unit (or why it cannot be used)
    foreign: bool = False  # another roster unit's workbook sent through this unit's link: counts for no one

    @property
    def file(self) -> str:
        """Its name in the register: unique, and ending in the name it came with (as `collect` sees a folder)."""
        from ..safe_text import safe_filename

        return f"{self.id}/{safe_filename(self.filename)}"

    @property
    def errors(self) -> list[dict]:
        return [f for f in self.result.get("findings", []) if f["severity"] == "error"]

    @property
    def warnings(self) -> list[dict]:
        return [f for f in self.result.get("findings", []) if f["severity"] == "warning"]  # a 说明 (info) is neither

    @property
    def status(self) -> str:
        if self.category == "unusable":
            return "unusable"
        if self.errors:
            return "failed"
        return "passed_with_warnings" if self.warnings else "passed"



class Live:
    """A collection's register, built from the stored results through Register.add (files are never re-read),
    and the desk's submissions by id: {id: (Submission, the register's Submission or None)}."""

    def __init__(self, desk, year: int, version: int):
        from ..formats import format_for_year
        from ..register import Register
        from ..roster import Unit

        self.desk, self.year, self.version, self.last = desk, year, version, 0
        self.seen = None  # the database's data_version when the explanations were last read
        units = [Unit(u.code, u.name, u.type, u.contact) for u in desk.units(year)]
        self.register = Register(format_for_year(year), year, units)
        self.subs: dict[int, tuple[Submission, object]] = {}
        self.ids: dict[int, int] = {}  # id(the register's Submission) -> submission id
        self.records: dict[int, object] = {}  # submission id -> the register's Record it went to

    def catch_up(self):
        db = self.desk.db
        rows = db.execute("SELECT id, unit, sha256, filename, size, received_at, result FROM submissions"
                          " WHERE year = ? AND id > ? ORDER BY id", (self.year, self.last)).fetchall()
        if not rows:
            return
        typed: dict[int, dict] = {}
        for sid, rule, text in db.execute("SELECT submission, rule, text FROM explanations WHERE submission > ?",
                                          (self.last,)):
            typed.setdefault(sid, {})[rule] = text
        for sid, unit, digest, filename, size, received_at, result in rows:
            self.add(Submission(sid, self.year, unit, digest, filename, size, received_at, json.loads(result),
                                typed.get(sid, {})))

    def read_explanations(self):
        """Every explanation typed for the collection's submissions, as the database has it now: some may have been
        typed (or removed) through another connection — another worker, another desk process on the workspace."""
        typed: dict[int, dict] = {}
        for sid, rule, text in self.desk.db.execute(
                "SELECT e.submission, e.rule, e.text FROM explanations e JOIN submissions s ON s.id = e.submission"
                " WHERE s.year = ? AND e.submission <= ?", (self.year, self.last)):
            typed.setdefault(sid, {})[rule] = text
        for sid in self.subs:
            if self.subs[sid][0].explanations != typed.get(sid, {}):
                self.explain(sid, typed.get(sid, {}))

    def explain(self, sid: int, typed: dict):
        """The submission's typed explanations are `typed`: the register shows them over the workbook's 说明."""
        stored, placed = self.subs[sid]
        stored.explanations = dict(typed)
        if placed is not None:
            placed.result["explanations"] = {**(stored.result.get("explanations") or {}), **stored.explanations}

    def add(self, sub: Submission):
        r = dict(sub.result)
        r["explanations"] = {**(r.get("explanations") or {}), **sub.explanations}
        foreign = self._other_units(sub.unit, r)
        if foreign:  # a link sends for its own unit only: another unit's workbook never lands in that unit's record
            r["error"] = foreign
        placed = self.register.add(sub.file, self.desk.blob_path(sub.sha256), r)
        sub.category, sub.note, sub.foreign = placed.category, _note(placed, sub.unit), bool(foreign)
        self.subs[sub.id] = (sub, placed.submission)
        if placed.submission is not None:
            self.ids[id(placed.submission)] = sub.id
            self.records[sub.id] = placed.record
        self.last = max(self.last, sub.id)

    def _other_units(self, link_unit: str | None, r: dict) -> str:
        """Why a workbook sent through `link_unit`'s link is another roster unit's ('' when it is not)."""
        if link_unit is None or r.get("error") or not r.get("unit"):
            return ""
        unit = self.register.index.match(r.get("unit_code"), r["unit"])
        if unit is None or unit.code == link_unit:
            return ""
        return (f"此文件是“{unit.name}”（{unit.code}）的填报表，通过本单位的链接上传不计入任何单位；"
                "请用本单位的模板填报后重新提交")


def _note(placed, unit: str | None) -> str:
    """Why an upload does not count for the unit whose link it came through ('' when it does)."""
    if placed.category == "unusable":
        return "无法使用：" + placed.reason
    if unit is None or placed.record.unit.code == unit:
        return ""
    who = placed.record.unit.name + (f"（{placed.record.unit.code}）" if placed.record.unit.code else "")
    return f"此文件是“{who}”的填报表，不计入本单位；请用本单位的模板填报后重新提交"


