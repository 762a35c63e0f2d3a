"""The desk under load, on loopback and bounded: 100 departments uploading at once are all recorded and the
register is right; a desk killed with SIGKILL in the middle of 50 uploads keeps, after a restart, every upload it
had acknowledged (HTTP 303 received), each with its stored file, and no half record."""
from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from desk_helpers import YEAR, Server, csrf_of, failing_values, make_workspace, signed_return

pytestmark = pytest.mark.slow


def units(n):
    return [(f"L{i:03d}", f"负载测试第{i:03d}号单位") for i in range(n)]


def prepare(base: Path, n: int):
    roster = units(n)
    desk = make_workspace(base / "ws", roster)
    token = desk.new_api_token()
    files, expected = {}, {}
    for i, (code, name) in enumerate(roster):
        bad = i % 5 == 0
        files[code] = signed_return(desk, base / "in" / f"{code}.xlsx", code, name, seed=i,
                                    values=failing_values(i) if bad else None)
        expected[code] = "failed" if bad else None  # a passing one may carry warnings
    links = {code: f"/u/{desk.link_for(YEAR, code)}" for code, _ in roster}
    desk.close()
    return roster, files, expected, links, token


FAILURES: list[str] = []


def send(url: str, link: str, file: Path) -> int | None:
    """Upload as a department does; the submission's id when the desk acknowledged it (303), else None."""
    try:
        with httpx.Client(base_url=url, timeout=120) as c:
            token = csrf_of(c.get(link).text)
            r = c.post(link + "/upload", data={"csrf_token": token}, files={"file": (file.name, file.read_bytes())})
    except httpx.HTTPError as e:
        FAILURES.append(f"{file.name}: {type(e).__name__} {e}")
        return None
    if r.status_code != 303:
        FAILURES.append(f"{file.name}: HTTP {r.status_code} {r.text[:300]}")
        return None
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_a_hundred_departments_at_once(tmp_path):
    roster, files, expected, links, token = prepare(tmp_path, 100)
    server = Server(tmp_path / "ws")
    try:
        barrier = threading.Barrier(100)

        def one(code):
            barrier.wait(60)
            return send(server.url, links[code], files[code])

        with ThreadPoolExecutor(100) as pool:
            ids = list(pool.map(one, [c for c, _ in roster]))
        assert all(ids), f"{ids.count(None)} uploads not acknowledged: {FAILURES}\n{server.output()[-3000:]}"
        reg = httpx.get(f"{server.url}/api/register?year={YEAR}", headers={"Authorization": f"Bearer {token}"},
                        timeout=60).json()
    finally:
        server.stop()
    assert len(reg["units"]) == 100
    for u in reg["units"]:
        assert len(u["files"]) == 1, u
        if expected[u["code"]] == "failed":
            assert u["status"] == "failed" and u["errors"] >= 1, u
        else:
            assert u["status"] in ("passed", "passed_with_warnings"), u
    assert len(set(ids)) == 100


def test_sigkill_in_the_middle_of_fifty_uploads_loses_nothing_acknowledged(tmp_path):
    roster, files, _, links, token = prepare(tmp_path, 50)
    server = Server(tmp_path / "ws")
    acked: dict[str, int] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def one(code):
        sid = send(server.url, links[code], files[code])
        if sid is not None:
            with lock:
                acked[code] = sid
                if len(acked) >= 15:
                    enough.set()

    pool = ThreadPoolExecutor(8)
    futures = [pool.submit(one, c) for c, _ in roster]
    assert enough.wait(180), "fewer than 15 uploads acknowledged"
    server.kill()  # SIGKILL, uploads still in flight
    pool.shutdown(wait=True)
    for f in futures:
        f.result()
    assert 15 <= len(acked) < 50, "the kill came too late to be in the middle"

    from nianbao.desk.store import Desk

    desk = Desk(tmp_path / "ws")
    try:
        for code, sid in acked.items():
            sub = desk.submission(sid)
            assert sub is not None and sub.unit == code, code
            stored = desk.blob_path(sub.sha256).read_bytes()
            assert hashlib.sha256(stored).hexdigest() == sub.sha256 == hashlib.sha256(files[code].read_bytes()).hexdigest()
        for code, _ in roster:  # no half record: whatever exists has its file
            for sub in desk.unit_submissions(YEAR, code):
                assert desk.blob_path(sub.sha256).is_file()
    finally:
        desk.close()
    server = Server(tmp_path / "ws")
    try:
        reg = httpx.get(f"{server.url}/api/register?year={YEAR}", headers={"Authorization": f"Bearer {token}"},
                        timeout=60).json()
        for u in reg["units"]:
            if u["code"] in acked:
                assert u["status"] != "missing" and u["files"], u
        # and the restarted desk takes the rest
        for code, _ in roster:
            if code not in acked and not [u for u in reg["units"] if u["code"] == code and u["files"]]:
                assert send(server.url, links[code], files[code]) is not None
        reg = httpx.get(f"{server.url}/api/register?year={YEAR}", headers={"Authorization": f"Bearer {token}"},
                        timeout=60).json()
        assert all(u["files"] for u in reg["units"])
    finally:
        server.stop()
