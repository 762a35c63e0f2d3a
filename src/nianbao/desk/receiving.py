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
import tempfile
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
    the collection's last year of the unit the file says it is (when its template did not carry its own)."""
    from ..returns import examine
    from .previous import previous_for

    path, key, received, last_years = args
    return examine(Path(path), key, previous_for(Path(path), last_years) if last_years else None, received)


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


def _fsync_dir(folder: Path):
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
