"""The desk's storage: one workspace folder, the standard library's sqlite3, content-addressed files.

Workspace layout (default ./nianbao-desk/):
    desk.sqlite3          the database (WAL, synchronous=FULL)
    office.key            the office's signing key for templates (hex, as `nianbao template --key-file` reads it)
    files/ab/abcdef…      every upload as received, named by its SHA-256; never overwritten, never modified
    files/incoming/       temporary files of uploads being received (never counted; cleared on open)

API for the web layer (everything raises NianbaoError with a Chinese message on bad input):

    desk = Desk(workspace)                        # creates the folder and the schema on first use
    desk.has_password() -> bool
    desk.set_password(pw)                         # argon2id; also creates the office key on first set
    desk.verify_password(pw) -> bool
    desk.office_key() -> bytes                    # signing key for templates; also desk.key_path
    desk.secret_key() -> bytes                    # random, kept in the workspace: for SessionMiddleware
    desk.new_api_token() -> str                   # shown once; only its hash is stored
    desk.check_api_token(token) -> bool
    desk.open_collection(year, roster_path) -> CollectionInfo     # again with a new roster: replaces its units
    desk.collections() -> list[CollectionInfo]    # newest year first
    desk.collection(year) -> CollectionInfo | None
    desk.units(year) -> list[UnitInfo]            # roster order (code, name, type, contact, generation, revoked)
    desk.incoming_dir() -> Path                   # where a web layer may stream an upload before receive_path
    desk.receive(year, chunks, filename, unit=None) -> Submission
        chunks: an iterable of bytes; refused past LIMITS.max_file_bytes while streaming (never all in memory).
        unit: the unit code of the link it came through, or None for an office drop.
        Stored durably (blob fsync'd + renamed + dir fsync'd, then one committed transaction), examined with the
        same review_file as `check`/`collect`, added to the register. Returned only after commit.
    desk.receive_path(year, path, filename, unit=None) -> Submission
        the same for a file the web layer already streamed into desk.incoming_dir() (it is moved, not copied;
        a file elsewhere is copied in and left alone).
    desk.register(year) -> Register               # nianbao.register.Register, kept live; .to_json() is collect --json
    desk.submission(id) -> Submission | None
    desk.submissions(year) -> list[Submission]    # in the order received
    desk.unit_submissions(year, code) -> list[Submission]   # oldest first (the register's order)
    desk.changes(submission_id) -> list[str]      # what it changed against the unit's previous submission
    desk.set_explanation(submission_id, rule, text)  # '' removes it; shown in the register's 说明 column
    desk.link_for(year, code) -> str              # the unit's link token (base64url); same until revoked
    desk.unit_for_token(token) -> (year, UnitInfo) | None   # constant-time per look-up (hash index)
    desk.revoke(year, code)                       # the unit's link dies (generation bumped; link_for -> None)
    desk.renew(year, code) -> str                 # a new link (generation bumped; the old one dies)
    unit_url(public_url, token) -> str            # <public_url>/u/<token>: the address written into 分发清单
    desk.blob_path(sha256) -> Path                # the stored upload (read only)
    desk.keep(chunks) -> (sha256, size)           # an upload stored as a blob, not examined (last year's data)
    desk.close()

The parts: `database` (schema, connection, transaction), `access` (password, keys, API tokens, the units' links:
HMAC tokens, stored hashed), `receiving` (an upload from its bytes to its committed record), `records` (the records
and the live register). `Desk` puts them together with the collections and the register.

Records (nianbao.desk.records, importable from here too) — Submission fields: id, year, unit (link's unit code or None), sha256, filename (display only, never a path),
size, received_at (UTC ISO, microseconds), result (the examined dict: unit, unit_code, year, findings, error, …),
explanations ({rule: text} typed in the browser), file (the register's name for it: "<id>/<safe filename>"),
status ("unusable" | "failed" | "passed_with_warnings" | "passed"), errors, warnings, note (why it does not count
for the link's unit, or "").
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from pathlib import Path

from ..errors import NianbaoError
from .access import Access, sha, unit_url
from .database import Transaction, connect
from .receiving import Receiving
from .records import CollectionInfo, Live, Submission, UnitInfo, display_name

__all__ = ["Desk", "CollectionInfo", "UnitInfo", "Submission", "DEFAULT_WORKSPACE", "unit_url", "display_name"]

DEFAULT_WORKSPACE = Path("nianbao-desk")
MAX_EXPLANATION = 2000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Desk(Access, Receiving):
    """The workspace: database, files, office secrets and the live registers (see the module docstring).
    Safe to share between threads: one connection behind a lock; files are written and examined outside it."""

    def __init__(self, workspace=DEFAULT_WORKSPACE, workers: int | None = 0):
        """`workers`: processes that examine uploads (0: in this process, None: one per core, at most 4)."""
        self.workspace = Path(workspace)
        self.files = self.workspace / "files"
        self.key_path = self.workspace / "office.key"
        try:
            (self.files / "incoming").mkdir(parents=True, exist_ok=True)
            self._clear_stale()
            self.db = connect(self.workspace / "desk.sqlite3")
            self._secrets = self._load_secrets()
        except (OSError, sqlite3.Error) as e:
            raise NianbaoError(f"无法打开工作区 {self.workspace}：{e}") from None
        self.lock = threading.RLock()
        self._registers: dict[int, Live] = {}
        self._workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
        self._pool = None
        self._key: bytes | None = None

    # ------------------------------------------------------------------------------------------ database
    def _tx(self):
        return Transaction(self.db)

    def _one(self, sql, *args):
        with self.lock:
            return self.db.execute(sql, args).fetchone()

    def close(self):
        with self.lock:
            self._close_receiving()  # the examining workers and the submissions' own connection
            self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------------------------------ collections
    def open_collection(self, year: int, roster_path) -> CollectionInfo:
        """The collection of `year` with the units of the roster (csv/xlsx, as `template --roster` reads it); its
        layout follows the year. Again with another roster: the units are replaced; links of units that stay
        are kept, and what they sent stays."""
        from ..commands.template import _year
        from ..formats import format_for_year
        from ..roster import read_roster

        year = _year(int(year))
        units = read_roster(roster_path)
        layout = format_for_year(year).layout
        with self.lock, self._tx():
            self.db.execute("INSERT INTO collections (year, layout, created_at) VALUES (?, ?, ?) ON CONFLICT (year)"
                            " DO UPDATE SET version = version + 1, layout = excluded.layout",
                            (year, layout, _now().isoformat()))
            old = {code: (gen, revoked) for code, gen, revoked in self.db.execute(
                "SELECT code, generation, revoked FROM units WHERE year = ?", (year,))}
            self.db.execute("DELETE FROM units WHERE year = ?", (year,))
            for n, u in enumerate(units):
                gen, revoked = old.get(u.code, (1, 0))
                self.db.execute("INSERT INTO units (year, position, code, name, type, contact, generation, revoked,"
                                " link_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (year, n, u.code, u.name, u.type, u.contact, gen, revoked,
                                 None if revoked else sha(self._token(year, u.code, gen))))
            self._registers.pop(year, None)
        return self.collection(year)

    def collection(self, year: int) -> CollectionInfo | None:
        row = self._one("SELECT c.year, c.layout, (SELECT count(*) FROM units u WHERE u.year = c.year), c.created_at"
                        " FROM collections c WHERE c.year = ?", int(year))
        return CollectionInfo(*row) if row else None

    def collections(self) -> list[CollectionInfo]:
        with self.lock:
            years = [y for (y,) in self.db.execute("SELECT year FROM collections ORDER BY year DESC")]
        return [self.collection(y) for y in years]

    def units(self, year: int) -> list[UnitInfo]:
        with self.lock:
            return [UnitInfo(c, n, t, ct, g, bool(r)) for c, n, t, ct, g, r in self.db.execute(
                "SELECT code, name, type, contact, generation, revoked FROM units WHERE year = ? ORDER BY position",
                (int(year),))]

    def _need(self, year: int) -> int:
        if self._one("SELECT 1 FROM collections WHERE year = ?", int(year)) is None:  # not counting its units
            raise NianbaoError(f"还没有 {year} 年度的收集（请先用名单建立）")
        return int(year)

    # ------------------------------------------------------------------------------------------ the register
    def register(self, year: int):
        """The live register of the collection (nianbao.register.Register), with what was committed since (also by
        another process). It changes as uploads arrive: hold `desk.lock` while reading it for one consistent view."""
        with self.lock:
            return self._live(self._need(year)).register

    def _live(self, year: int) -> "Live":
        version = self._one("SELECT version FROM collections WHERE year = ?", year)[0]
        seen = self.db.execute("PRAGMA data_version").fetchone()[0]  # changes when another connection commits
        live = self._registers.get(year)
        if live is None or live.version != version:
            live = self._registers[year] = Live(self, year, version)
            live.seen = seen
        live.catch_up()
        if live.seen != seen:
            live.read_explanations()
            live.seen = seen
        return live

    def submissions(self, year: int) -> list[Submission]:
        """Every submission of the collection, in the order received."""
        with self.lock:
            return [s for s, _ in self._live(self._need(year)).subs.values()]

    def submission(self, submission_id: int) -> Submission | None:
        row = self._one("SELECT year FROM submissions WHERE id = ?", int(submission_id))
        if row is None:
            return None
        with self.lock:
            return self._live(row[0]).subs[int(submission_id)][0]

    def unit_submissions(self, year: int, code: str) -> list[Submission]:
        """What the unit sent through its link, and every return the register counts for it, oldest first."""
        with self.lock:
            live = self._live(self._need(year))
            ids = {i for (i,) in self.db.execute("SELECT id FROM submissions WHERE year = ? AND unit = ?",
                                                 (year, code))}
            rec = live.register.record(code)
            ids |= {live.ids[id(s)] for s in (rec.submissions if rec else [])}
            return sorted((live.subs[i][0] for i in ids), key=lambda s: (s.result.get("saved_at", ""),
                                                                         s.received_at, s.file))

    def changes(self, submission_id: int) -> list[str]:
        """What this submission changed against the unit's previous one in the register, one line per number
        ("表三…：12 → 13", as the register's earlier rows say it); [] for the first or an unusable one."""
        from ..register import diff_values

        sub = self.submission(submission_id)
        if sub is None:
            return []
        with self.lock:
            live = self._live(sub.year)
            placed, record = live.subs[sub.id][1], live.records.get(sub.id)
            if placed is None:
                return []
            i = next(n for n, s in enumerate(record.submissions) if s is placed)
            return diff_values(live.register.fmt, record.submissions[i - 1].result["values"],
                               placed.result["values"]) if i else []

    def set_explanation(self, submission_id: int, rule: str, text: str):
        """An explanation typed for one of the submission's findings ('' removes it): it shows in the register's
        说明 column as one written in the workbook does."""
        sub = self.submission(submission_id)
        if sub is None:
            raise NianbaoError("没有这次提交")
        if rule not in {f["rule"] for f in sub.result.get("findings", [])}:
            raise NianbaoError(f"这次提交没有规则 {rule} 的问题，无需说明")
        text = (text or "").strip()
        if len(text) > MAX_EXPLANATION:
            raise NianbaoError(f"说明太长（上限 {MAX_EXPLANATION} 字）")
        with self.lock:
            with self._tx():
                if text:
                    self.db.execute("INSERT INTO explanations (submission, rule, text) VALUES (?, ?, ?) ON CONFLICT"
                                    " (submission, rule) DO UPDATE SET text = excluded.text",
                                    (sub.id, rule, text))
                else:
                    self.db.execute("DELETE FROM explanations WHERE submission = ? AND rule = ?", (sub.id, rule))
            live = self._live(sub.year)
            typed = {r: t for r, t in live.subs[sub.id][0].explanations.items() if r != rule}
            live.explain(sub.id, {**typed, rule: text} if text else typed)
