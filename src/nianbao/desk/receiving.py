"""Receiving an upload: streamed into files/incoming/ (bounded while streaming), stored as a content-addressed
blob (fsync'd, linked into place, the folder fsync'd), examined with the engine of `check`/`collect` (in worker
processes when the desk has them), then recorded in one committed transaction and added to the live register.

`Receiving` is a part of `store.Desk` (it uses the desk's db, lock, _tx, _need, _unit_row, _live); see store's
docstring for the API.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

from ..errors import NianbaoError
from ..limits import LIMITS
from ..returns import iso_precise
from .records import Submission, display_name

CHUNK = 1 << 20
_HEX64 = re.compile("[0-9a-f]{64}")
STALE_SECONDS = 3600  # an upload still in incoming/ after this long was cut off by a crash


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _examine_file(args) -> dict:
    """returns.examine in a worker process (a file that crashes its reader takes the worker, not the desk), with
    the collection's last year of the unit the file says it is (when its template did not carry its own; a unit
    it does not hold is told which cross-year checks did not run)."""
    from ..returns import examine
    from .previous import for_upload

    path, key, received, last_years = args
    return examine(Path(path), key, for_upload(last_years) if last_years else None, received)


class Receiving:
    def incoming_dir(self) -> Path:
        return self.files / "incoming"

    def blob_path(self, sha256: str) -> Path:
        if not _HEX64.fullmatch(sha256):
            raise NianbaoError("文件标识无效")
        return self.files / sha256[:2] / sha256

    def _clear_stale(self):
        """Uploads cut off by a crash (never acknowledged, never counted); a running server's are fresh."""
        for stale in self.incoming_dir().iterdir():
            try:
                if stale.lstat().st_mtime < _now().timestamp() - STALE_SECONDS:
                    shutil.rmtree(stale) if stale.is_dir() and not stale.is_symlink() else stale.unlink()
            except OSError:
                pass  # gone meanwhile, or not ours to remove: it is never counted either way

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
        from .previous import lights

        received, last_years = _now(), lights(self, year)
        try:
            digest, size = _digest(path)
            # a worker reads the file while it is made durable here: the two overlap
            pending = self._examine_start(path, received, last_years)
            self._place(path, digest)
            result = self._examine_result(pending, self.blob_path(digest), received, last_years)
        finally:
            path.unlink(missing_ok=True)
        result["received_at"] = iso_precise(received)
        result["file"] = display_name(filename)  # not the blob's path: the workspace may be restored elsewhere
        row = (year, unit, digest, display_name(filename), size, result["received_at"],
               json.dumps(result, ensure_ascii=False))
        sid = self._commits().insert(row)  # committed (durable) when it returns
        with self.lock:
            live = self._live(year)  # loads this one too (it is committed), or adds it below
            if sid not in live.subs:
                live.add(Submission(sid, year, unit, digest, display_name(filename), size, result["received_at"],
                                    result))
            return live.subs[sid][0]

    def _store(self, path: Path) -> tuple[str, int]:
        """The file as a blob named by its SHA-256 (see _place)."""
        digest, size = _digest(path)
        self._place(path, digest)
        return digest, size

    def _place(self, path: Path, digest: str):
        """The file linked into place as its blob once its bytes are on disk (fsync'd first: a name never points
        at bytes a crash could lose; an existing blob is never replaced: same name, same content), the folder
        fsync'd."""
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            blob = self.blob_path(digest)
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

    def _examine_start(self, path: Path, received: dt.datetime, last_years: dict | None):
        """The examination handed to a worker (a future), or None when the desk examines in this process."""
        if not self._workers:
            return None
        return self._examiner().submit(_examine_file, (str(path), self.office_key(), received, last_years))

    def _examine_result(self, pending, blob: Path, received: dt.datetime, last_years: dict | None) -> dict:
        if pending is None:
            return _examine_file((str(blob), self.office_key(), received, last_years))
        from concurrent.futures.process import BrokenProcessPool

        try:
            return pending.result()
        except BrokenProcessPool:  # the file crashed its reader: this upload is unusable, the desk goes on
            from ..review import crashed

            with self.lock:
                self._pool = None
            return dict(crashed(blob), sha256=blob.name, saved_at="", saved_from="mtime")

    def _close_receiving(self):
        with self.lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None
            if getattr(self, "_group", None) is not None:
                self._group.close()
                self._group = None

    def _commits(self) -> "GroupCommit":
        with self.lock:
            if getattr(self, "_group", None) is None:
                self._group = GroupCommit(self.workspace / "desk.sqlite3")
            return self._group

    def _examiner(self):
        with self.lock:
            if self._pool is None:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                from ..review import preload

                self._pool = ProcessPoolExecutor(self._workers, multiprocessing.get_context("spawn"),
                                                 initializer=preload)
            return self._pool


def _digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of an upload, refused past the size limit."""
    h, size = hashlib.sha256(), 0
    limit = LIMITS.max_file_bytes
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                size += len(chunk)
                if size > limit:
                    raise NianbaoError(f"文件太大（上限 {LIMITS.max_file_mb} MB），未收下")
                h.update(chunk)
    except OSError as e:
        raise NianbaoError(f"无法保存上传的文件：{e.strerror or e}") from None
    return h.hexdigest(), size


class GroupCommit:
    """The submissions' inserts, on a connection of their own: uploads that finish together are committed in one
    transaction (one fsync of the WAL for all of them), and the desk's pages read on meanwhile (WAL readers do not
    wait for a writer's fsync). Each caller returns only once its row is committed."""

    INSERT = ("INSERT INTO submissions (year, unit, sha256, filename, size, received_at, result)"
              " VALUES (?, ?, ?, ?, ?, ?, ?)")

    def __init__(self, path: Path):
        from .database import connect

        self.db = connect(path)
        self.writing = threading.Lock()  # one transaction at a time; whoever holds it commits all that wait
        self.queued = threading.Lock()
        self.pending: list[tuple[tuple, dict]] = []

    def insert(self, row: tuple) -> int:
        """The new submission's id, once committed."""
        slot: dict = {}
        with self.queued:
            self.pending.append((row, slot))
        with self.writing:
            if not slot:  # not committed by the one before: this caller commits what waits (its own row too)
                with self.queued:
                    batch, self.pending = self.pending, []
                self._commit(batch)
        if "error" in slot:
            raise slot["error"]
        return slot["id"]

    def _commit(self, batch):
        from .database import Transaction

        try:
            with Transaction(self.db):
                ids = [self.db.execute(self.INSERT, row).lastrowid for row, _ in batch]
        except (sqlite3.Error, OSError) as e:  # none of them is recorded: each upload is refused, none half-kept
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            for _, slot in batch:
                slot["error"] = NianbaoError(f"无法记录上传的文件：{e}")
            return
        for (_, slot), sid in zip(batch, ids):
            slot["id"] = sid

    def close(self):
        with self.writing:
            self.db.close()


def _fsync_dir(folder: Path):
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
