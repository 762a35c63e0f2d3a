"""`nianbao serve` as a user starts it: the first start asks for the office password in the browser (or takes it
from a file), refuses to face the network before there is one, prints the address; `--demo` opens the samples."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from desk_helpers import YEAR, Server, csrf_of, free_port

REPO = Path(__file__).resolve().parents[1]


def serve(*args, cwd=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "nianbao", "serve", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)


def test_binding_beyond_loopback_is_refused_until_a_password_exists(tmp_path):
    r = serve(tmp_path / "ws", "--host", "0.0.0.0", "--port", free_port())
    assert r.returncode == 2
    assert "尚未设置办公室密码" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "ws").exists()  # refused before anything was made


def test_an_existing_workspace_without_a_password_is_refused_beyond_loopback_and_left_as_it_was(tmp_path):
    from nianbao.desk.store import Desk

    Desk(tmp_path / "ws").close()
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "ws").rglob("*"))
    r = serve(tmp_path / "ws", "--host", "0.0.0.0", "--port", free_port())
    assert r.returncode == 2 and "尚未设置办公室密码" in r.stderr
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "ws").rglob("*")) == before


def test_a_bad_password_file_is_a_chinese_error(tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("short\n", encoding="utf-8")
    r = serve(tmp_path / "ws", "--password-file", pw, "--port", free_port())
    assert r.returncode != 0 and "至少需要 10 个字符" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "ws").exists()


def test_first_start_asks_for_the_password_in_the_browser(tmp_path):
    server = Server(tmp_path / "ws")
    try:
        with httpx.Client(base_url=server.url, follow_redirects=True) as c:
            r = c.get("/", follow_redirects=True)
            assert r.url.path == "/setup" and "首次设置" in r.text
            token = csrf_of(r.text)
            bad = c.post("/setup", data={"csrf_token": token, "password": "1234567890", "password2": "x"})
            assert bad.status_code == 400 and "不一致" in bad.text
            short = c.post("/setup", data={"csrf_token": token, "password": "123", "password2": "123"})
            assert short.status_code == 400 and "至少需要 10 个字符" in short.text
            ok = c.post("/setup", data={"csrf_token": token, "password": "新的办公室密码123", "password2": "新的办公室密码123"})
            assert ok.status_code == 200 and ok.url.path == "/office"
            # the setup page is gone once a password exists
            assert c.get("/setup", follow_redirects=False).headers["location"] == "/login"
    finally:
        server.stop()


def test_password_file_starts_without_a_question_and_prints_the_address(tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("脚本设置的密码-0001\n", encoding="utf-8")
    server = Server(tmp_path / "ws", password_file=pw)
    try:
        with httpx.Client(base_url=server.url, follow_redirects=True) as c:
            assert c.get("/setup", follow_redirects=False).headers["location"] == "/login"
            token = csrf_of(c.get("/login").text)
            r = c.post("/login", data={"csrf_token": token, "password": "脚本设置的密码-0001"})
            assert r.url.path == "/office"
    finally:
        server.stop()


def test_env_password_file_and_printed_address(tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("环境变量给的密码-0002\n", encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nianbao", "serve", str(tmp_path / "ws"), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, NIANBAO_DESK_PASSWORD_FILE=str(pw), PYTHONUNBUFFERED="1"))
    try:
        first = proc.stdout.readline() + proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    from nianbao.desk.store import Desk

    with Desk(tmp_path / "ws") as desk:
        assert desk.verify_password("环境变量给的密码-0002")


def test_demo_opens_the_samples(tmp_path):
    server = Server(tmp_path / "demo-ws", extra=["--demo"], cwd=REPO)
    try:
        with httpx.Client(base_url=server.url, follow_redirects=True) as c:
            from nianbao.commands.serve import DEMO_PASSWORD

            token = csrf_of(c.get("/login").text)
            c.post("/login", data={"csrf_token": token, "password": DEMO_PASSWORD})
            page = c.get(f"/office/{YEAR}")
            assert page.status_code == 200
            samples = len(list((REPO / "samples" / "returns").iterdir()))
            roster = len((REPO / "samples" / "roster.csv").read_text(encoding="utf-8-sig").splitlines()) - 1
            assert f"已返回 {samples} / {roster}" in page.text or f"/ {roster}" in page.text
    finally:
        server.stop()
