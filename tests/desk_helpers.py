"""Shared by the desk's tests: a workspace with a roster, a logged-in client, CSRF tokens, returns signed with the
workspace's key, a real uvicorn server on a free loopback port."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from helpers import write_return

YEAR = 2025
PASSWORD = "办公室的密码-2025"
HOSTILE_NAME = "<script>alert(1)</script>"
UNITS = [("D01", "测试区教育局"), ("D02", "测试区财政局"), ("D03", HOSTILE_NAME)]


def make_workspace(ws: Path, units=UNITS, password=PASSWORD):
    from nianbao.desk.store import Desk

    desk = Desk(ws)
    desk.set_password(password)
    roster = ws.parent / f"{ws.name}-roster.csv"
    roster.write_text("单位代码,单位名称,单位类型,联系人\n" + "".join(f"{c},\"{n}\",部门,张三\n" for c, n in units),
                      encoding="utf-8")
    desk.open_collection(YEAR, roster)
    return desk


def signed_return(desk, path: Path, code: str, name: str, seed: int = 0, values=None, **kw) -> Path:
    write_return(path, values=values, unit=name, code=code, year=YEAR, seed=seed, key=desk.office_key(), **kw)
    return path


def failing_values(seed: int = 0) -> dict:
    """Valid numbers with one total off by one: an E rule fails."""
    import random

    from nianbao.formats import load_format
    from nianbao.sample_data import random_valid_values

    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(seed))
    values["t3.new.total"] = values["t3.new.total"] + 1
    return values


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client, password=PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"csrf_token": token, "password": password, "next": "/office"},
                       follow_redirects=False)


def link_path(desk, code: str) -> str:
    return f"/u/{desk.link_for(YEAR, code)}"


def upload(client, path_on_site: str, file: Path, name: str | None = None, csrf: str | None = None):
    page = client.get(path_on_site)
    token = csrf if csrf is not None else csrf_of(page.text)
    with open(file, "rb") as f:
        return client.post(path_on_site + "/upload", data={"csrf_token": token},
                           files={"file": (name or file.name, f, "application/octet-stream")},
                           follow_redirects=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`nianbao serve WORKSPACE` as a real process on a free loopback port."""

    def __init__(self, ws: Path, password_file: Path | None = None, extra=(), cwd=None):
        self.ws, self.port = ws, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "nianbao", "serve", str(ws), "--port", str(self.port), *extra]
        if password_file:
            args += ["--password-file", str(password_file)]
        self.log = open(ws.parent / f"server-{self.port}.log", "w+")  # a file, not a pipe nobody drains
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, cwd=cwd,
                                     env=dict(os.environ, PYTHONUNBUFFERED="1"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.output())
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become ready")

    def kill(self):
        self.proc.kill()
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")
