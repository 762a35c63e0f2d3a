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

Links: a unit's token is HMAC-SHA256(the workspace's link secret, "year|code|generation"), base64url (192 bits),
so the office can download 分发清单 with the same links again; only its SHA-256 is stored, indexed for look-up.

Records (nianbao.desk.records, importable from here too) — Submission fields: id, year, unit (link's unit code or None), sha256, filename (display only, never a path),
size, received_at (UTC ISO, microseconds), result (the examined dict: unit, unit_code, year, findings, error, …),
explanations ({rule: text} typed in the browser), file (the register's name for it: "<id>/<safe filename>"),
status ("unusable" | "failed" | "passed_with_warnings" | "passed"), errors, warnings, note (why it does not count
for the link's unit, or "").
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import tempfile
import threading
from pathlib import Path

from ..errors import NianbaoError
from ..limits import LIMITS
from ..returns import iso_precise
from .records import CollectionInfo, Live, Submission, UnitInfo, display_name

__all__ = ["Desk", "CollectionInfo", "UnitInfo", "Submission", "DEFAULT_WORKSPACE", "unit_url", "display_name"]

DEFAULT_WORKSPACE = Path("nianbao-desk")
UNIT_PATH = "/u/"
CHUNK = 1 << 20
MAX_EXPLANATION = 2000
_HEX64 = re.compile("[0-9a-f]{64}")
STALE_SECONDS = 3600  # an upload still in incoming/ after this long was cut off by a crash

SCHEMA = """
CREATE TABLE IF NOT EXISTS office (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  password_hash TEXT NOT NULL,          -- argon2id
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (    -- random, made once: link tokens, sessions
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
  hash TEXT PRIMARY KEY,                -- SHA-256 of the token; the token itself is shown once
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS collections (
  year INTEGER PRIMARY KEY,
  layout TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,   -- bumped when its roster changes: a register is rebuilt
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS units (
  year INTEGER NOT NULL REFERENCES collections(year),
  position INTEGER NOT NULL,            -- roster order
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  generation INTEGER NOT NULL DEFAULT 1,
  revoked INTEGER NOT NULL DEFAULT 0,
  link_hash TEXT UNIQUE,                -- SHA-256 of the unit's link token; NULL while revoked
  PRIMARY KEY (year, code)
);
CREATE TABLE IF NOT EXISTS submissions (
  id INTEGER PRIMARY KEY,
  year INTEGER NOT NULL REFERENCES collections(year),
  unit TEXT,                            -- the code of the link it came through; NULL for the office's drop
  sha256 TEXT NOT NULL,                 -- files/<2>/<64>
  filename TEXT NOT NULL,               -- as the browser named it: for display only, never a path
  size INTEGER NOT NULL,
  received_at TEXT NOT NULL,            -- UTC ISO, microseconds
  result TEXT NOT NULL                  -- the examined result (returns.examine) as JSON
);
CREATE TABLE IF NOT EXISTS last_year (  -- the last-year data a collection's templates and checks use
  year INTEGER PRIMARY KEY REFERENCES collections(year),
  source TEXT NOT NULL,                 -- 'files' (uploaded) | 'collection' (the desk's previous year)
  files TEXT NOT NULL DEFAULT '[]',     -- JSON [[sha256, name as sent], ...]: blobs in files/, like uploads
  notes TEXT NOT NULL DEFAULT '[]',     -- JSON: the files that could not be read, and why
  set_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_unit ON submissions (year, unit);
CREATE TABLE IF NOT EXISTS explanations (
  submission INTEGER NOT NULL REFERENCES submissions(id),
  rule TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (submission, rule)
);
"""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unit_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + UNIT_PATH + token


def _examine_file(args) -> dict:
    """returns.examine in a worker process (a file that crashes its reader takes the worker, not the desk), with
    the collection's last year of the unit the file says it is (when its template did not carry its own)."""
    from ..returns import examine
    from .previous import previous_for

    path, key, received, last_years = args
    return examine(Path(path), key, previous_for(Path(path), last_years) if last_years else None, received)


class Desk:
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
            self.db = sqlite3.connect(self.workspace / "desk.sqlite3", check_same_thread=False,
                                      isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=10000")
            self.db.executescript(SCHEMA)
            self._secrets = self._load_secrets()
        except (OSError, sqlite3.Error) as e:
            raise NianbaoError(f"无法打开工作区 {self.workspace}：{e}") from None
        self.lock = threading.RLock()
        self._registers: dict[int, Live] = {}
        self._workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
        self._pool = None
        self._key: bytes | None = None

    def _clear_stale(self):
        """Uploads cut off by a crash (never acknowledged, never counted); a running server's are fresh."""
        import shutil

        for stale in self.incoming_dir().iterdir():
            try:
                if stale.lstat().st_mtime < _now().timestamp() - STALE_SECONDS:
                    shutil.rmtree(stale) if stale.is_dir() and not stale.is_symlink() else stale.unlink()
            except OSError:
                pass  # gone meanwhile, or not ours to remove: it is never counted either way

    # ------------------------------------------------------------------------------------------ database
    def _tx(self):
        return _Transaction(self.db)

    def _one(self, sql, *args):
        with self.lock:
            return self.db.execute(sql, args).fetchone()

    def _secret(self, name: str) -> bytes:
        return self._secrets[name]

    def _load_secrets(self) -> dict[str, bytes]:
        with self._tx():
            for name in ("links", "session"):
                self.db.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)",
                                (name, secrets.token_bytes(32)))
            return {n: bytes(v) for n, v in self.db.execute("SELECT name, value FROM secrets")}

    def close(self):
        with self.lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None
            self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------------------------------ the office
    def has_password(self) -> bool:
        return self._one("SELECT 1 FROM office WHERE id = 1") is not None

    def set_password(self, password: str):
        """Sets (or changes) the office's password, argon2id-hashed; the office key is created with it."""
        from argon2 import PasswordHasher

        if len(password or "") < 10:
            raise NianbaoError("密码至少需要 10 个字符")
        digest = PasswordHasher().hash(password)
        self.office_key()
        with self.lock, self._tx():
            self.db.execute("INSERT INTO office (id, password_hash, created_at) VALUES (1, ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash",
                            (digest, _now().isoformat()))

    def verify_password(self, password: str) -> bool:
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        row = self._one("SELECT password_hash FROM office WHERE id = 1")
        if row is None or not password:
            return False
        ph = PasswordHasher()
        try:
            ph.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            return False
        if ph.check_needs_rehash(row[0]):
            with self.lock, self._tx():
                self.db.execute("UPDATE office SET password_hash = ? WHERE id = 1", (ph.hash(password),))
        return True

    def office_key(self) -> bytes:
        """The key templates are signed with (<workspace>/office.key; an existing one is kept)."""
        from ..identity import load_key

        if self._key is None:
            self._key = load_key(self.key_path, create=True)[0]
        return self._key

    def secret_key(self) -> bytes:
        return self._secret("session")

    def new_api_token(self) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock, self._tx():
            self.db.execute("INSERT INTO api_tokens (hash, created_at) VALUES (?, ?)",
                            (_sha(token), _now().isoformat()))
        return token

    def check_api_token(self, token: str) -> bool:
        return bool(token) and self._one("SELECT 1 FROM api_tokens WHERE hash = ?", _sha(token)) is not None

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
                                 None if revoked else _sha(self._token(year, u.code, gen))))
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
        if self.collection(year) is None:
            raise NianbaoError(f"还没有 {year} 年度的收集（请先用名单建立）")
        return int(year)

    # ------------------------------------------------------------------------------------------ links
    def _token(self, year: int, code: str, generation: int) -> str:
        mac = hmac.new(self._secret("links"), f"{year}|{code}|{generation}".encode("utf-8"), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode("ascii")

    def _unit_row(self, year: int, code: str):
        row = self._one("SELECT generation, revoked FROM units WHERE year = ? AND code = ?", int(year), str(code))
        if row is None:
            raise NianbaoError(f"{year} 年度的名单中没有单位代码“{code}”")
        return row

    def link_for(self, year: int, code: str) -> str | None:
        """The unit's link token (the same every time until it is revoked or renewed); None while revoked."""
        gen, revoked = self._unit_row(year, code)
        return None if revoked else self._token(int(year), str(code), gen)

    def unit_for_token(self, token: str) -> tuple[int, UnitInfo] | None:
        if not token or len(token) > 100:
            return None
        row = self._one("SELECT year, code, name, type, contact, generation, revoked FROM units WHERE link_hash = ?",
                        _sha(token))
        return (row[0], UnitInfo(*row[1:6], bool(row[6]))) if row else None

    def revoke(self, year: int, code: str):
        self._unit_row(year, code)
        with self.lock, self._tx():
            self.db.execute("UPDATE units SET generation = generation + 1, revoked = 1, link_hash = NULL"
                            " WHERE year = ? AND code = ?", (int(year), str(code)))

    def renew(self, year: int, code: str) -> str:
        gen, _ = self._unit_row(year, code)
        token = self._token(int(year), str(code), gen + 1)
        with self.lock, self._tx():
            self.db.execute("UPDATE units SET generation = ?, revoked = 0, link_hash = ? WHERE year = ? AND code = ?",
                            (gen + 1, _sha(token), int(year), str(code)))
        return token

    # ------------------------------------------------------------------------------------------ receiving
    def incoming_dir(self) -> Path:
        return self.files / "incoming"

    def blob_path(self, sha256: str) -> Path:
        if not _HEX64.fullmatch(sha256):
            raise NianbaoError("文件标识无效")
        return self.files / sha256[:2] / sha256

    def _spool(self, chunks) -> Path:
        """An upload streamed as chunks of bytes into incoming/, refused past the limit while streaming."""
        limit = LIMITS.max_file_bytes
        fd, tmp = tempfile.mkstemp(dir=self.incoming_dir(), prefix="up-", suffix=".part")
        try:
            size = 0
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise NianbaoError(f"文件太大（上限 {LIMITS.max_file_mb} MB），未收下")
                    f.write(chunk)
        except BaseException:
            os.unlink(tmp)
            raise
        return Path(tmp)

    def receive(self, year: int, chunks, filename: str, unit: str | None = None) -> Submission:
        """Stores an upload streamed as chunks of bytes, then as receive_path."""
        self._need(year)
        tmp = self._spool(chunks)
        try:
            return self.receive_path(year, tmp, filename, unit)
        finally:
            tmp.unlink(missing_ok=True)

    def keep(self, chunks) -> tuple[str, int]:
        """An upload stored durably as a blob, as a submission is (streamed, bounded, named by its SHA-256), but
        not examined: (sha256, size). Last year's data is kept so."""
        tmp = self._spool(chunks)
        try:
            return self._store(tmp)
        finally:
            tmp.unlink(missing_ok=True)

    def receive_path(self, year: int, path, filename: str, unit: str | None = None) -> Submission:
        """Stores a file streamed into incoming_dir() (moved there, never copied), examines it with the engine of
        `check`/`collect` and adds it to the register; returned only once it is durably recorded."""
        year = self._need(year)
        if unit is not None:
            self._unit_row(year, unit)
        path = Path(path)
        if path.resolve().parent != self.incoming_dir().resolve():  # elsewhere: copied in, the original left alone
            with open(path, "rb") as f:
                return self.receive(year, iter(lambda: f.read(CHUNK), b""), filename, unit)
        received = _now()
        try:
            digest, size = self._store(path)
        finally:
            if path.exists():
                path.unlink()
        from .previous import lights

        result = self._examine(self.blob_path(digest), received, lights(self, year))
        result["received_at"] = iso_precise(received)
        result["file"] = display_name(filename)  # not the blob's path: the workspace may be restored elsewhere
        with self.lock:
            with self._tx():
                cur = self.db.execute(
                    "INSERT INTO submissions (year, unit, sha256, filename, size, received_at, result)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (year, unit, digest, display_name(filename), size, result["received_at"],
                     json.dumps(result, ensure_ascii=False)))
            sub = Submission(cur.lastrowid, year, unit, digest, display_name(filename), size,
                             result["received_at"], result)
            live = self._live(year)  # loads this one too (it is committed), or adds it below
            if sub.id not in live.subs:
                live.add(sub)
            return live.subs[sub.id][0]

    def _store(self, path: Path) -> tuple[str, int]:
        """The file as a blob named by its SHA-256: fsync'd, linked into place (an existing blob is never replaced:
        same name, same content), the folder fsync'd."""
        h, size = hashlib.sha256(), 0
        limit = LIMITS.max_file_bytes
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(CHUNK), b""):
                    size += len(chunk)
                    if size > limit:
                        raise NianbaoError(f"文件太大（上限 {LIMITS.max_file_mb} MB），未收下")
                    h.update(chunk)
                os.fsync(f.fileno())
            blob = self.blob_path(h.hexdigest())
            if not blob.parent.is_dir():
                blob.parent.mkdir(exist_ok=True)
                _fsync_dir(self.files)
            try:
                os.link(path, blob)
            except FileExistsError:
                pass
            _fsync_dir(blob.parent)
        except OSError as e:
            raise NianbaoError(f"无法保存上传的文件：{e.strerror or e}") from None
        return h.hexdigest(), size

    def _examine(self, blob: Path, received: dt.datetime, last_years: dict | None = None) -> dict:
        args = (str(blob), self.office_key(), received, last_years)
        if not self._workers:
            return _examine_file(args)
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._examiner().submit(_examine_file, args).result()
        except BrokenProcessPool:  # the file crashed its reader: this upload is unusable, the desk goes on
            from ..review import crashed

            with self.lock:
                self._pool = None
            return dict(crashed(blob), sha256=blob.name, saved_at="", saved_from="mtime")

    def _examiner(self):
        with self.lock:
            if self._pool is None:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                from ..review import preload

                self._pool = ProcessPoolExecutor(self._workers, multiprocessing.get_context("spawn"),
                                                 initializer=preload)
            return self._pool

    # ------------------------------------------------------------------------------------------ the register
    def register(self, year: int):
        """The live register of the collection (nianbao.register.Register), with what was committed since (also by
        another process). It changes as uploads arrive: hold `desk.lock` while reading it for one consistent view."""
        with self.lock:
            return self._live(self._need(year)).register

    def _live(self, year: int) -> "Live":
        version = self._one("SELECT version FROM collections WHERE year = ?", year)[0]
        live = self._registers.get(year)
        if live is None or live.version != version:
            live = self._registers[year] = Live(self, year, version)
        live.catch_up()
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
            stored, placed = live.subs[sub.id]
            if text:
                stored.explanations[rule] = text
            else:
                stored.explanations.pop(rule, None)
            if placed is not None:
                placed.result["explanations"] = {**(stored.result.get("explanations") or {}), **stored.explanations}


class _Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, *_):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _fsync_dir(folder: Path):
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
