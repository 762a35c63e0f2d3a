"""The desk over HTTP (Starlette's TestClient against the real store): the department's round trip, the office's
pages, and every security point — sessions, CSRF, links, escaping, limits, headers, error pages."""
from __future__ import annotations

import asyncio
import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from desk_helpers import (HOSTILE_NAME, PASSWORD, UNITS, YEAR, csrf_of, failing_values, link_path, login,
                          make_workspace, signed_return, upload)
from nianbao.desk.app import create_app


@pytest.fixture
def desk(tmp_path):
    d = make_workspace(tmp_path / "ws")
    yield d
    d.close()


@pytest.fixture
def app(desk):
    return create_app(desk, "http://127.0.0.1:8750")


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def office(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        assert login(c).status_code == 303
        yield c


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_test_client_runs_on_the_client_starlette_is_built_on():
    """Starlette's TestClient is built on httpx2 (the `test` extra); on httpx it warns that it is deprecated."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", "import starlette.testclient"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-500:]


# ------------------------------------------------------------------------------------------------ department
def test_department_uploads_and_reads_its_verdict_with_sheet_and_cell(desk, client, tmp_path):
    f = signed_return(desk, tmp_path / "教育局.xlsx", "D01", "测试区教育局", values=failing_values())
    r = upload(client, link_path(desk, "D01"), f)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "未通过校验" in page.text and "表三!J5" in page.text
    annotated = client.get(r.headers["location"] + "/annotated")
    assert annotated.status_code == 200
    with zipfile.ZipFile(BytesIO(annotated.content)) as z:
        assert "xl/workbook.xml" in z.namelist()
    assert desk.register(YEAR).to_json()["units"][0]["status"] == "failed"


def test_explanation_for_a_warning_is_saved_with_that_submission(desk, client, tmp_path):
    f = signed_return(desk, tmp_path / "r.xlsx", "D02", "测试区财政局", seed=0)  # seed 0: a T2-01 warning
    base = link_path(desk, "D02")
    loc = upload(client, base, f).headers["location"]
    sub = desk.submission(int(loc.rsplit("/", 1)[1]))
    warnings = [x["rule"] for x in sub.result["findings"] if x["severity"] != "error"]
    assert warnings and sub.status == "passed_with_warnings"
    page = client.get(loc)
    r = client.post(loc + "/explain", data={"csrf_token": csrf_of(page.text), "rule": warnings[0],
                                            "text": "本年无依申请公开，系实际情况"}, follow_redirects=False)
    assert r.status_code == 303
    assert desk.submission(sub.id).explanations[warnings[0]] == "本年无依申请公开，系实际情况"
    assert "本年无依申请公开，系实际情况" in client.get(loc).text
    assert "本年无依申请公开，系实际情况" in desk.register(YEAR).records[1].latest.result["explanations"].values()


def test_a_link_shows_its_own_unit_and_nothing_else(desk, client, tmp_path):
    f1 = signed_return(desk, tmp_path / "a.xlsx", "D01", "测试区教育局")
    loc1 = upload(client, link_path(desk, "D01"), f1).headers["location"]
    sid = loc1.rsplit("/", 1)[1]
    other = link_path(desk, "D02")
    for suffix in ("", "/annotated"):
        r = client.get(f"{other}/s/{sid}{suffix}")
        assert r.status_code == 404 and chinese(r.text)
    page = client.get(other)
    assert "测试区教育局" not in page.text and "测试区财政局" in page.text
    # a department's session never reaches the office
    for path in ("/office", f"/office/{YEAR}", f"/office/{YEAR}/download/summary.xlsx", f"/api/register?year={YEAR}",
                 f"/office/submission/{sid}/original"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code in (303, 403), path
        assert r.status_code == 403 or r.headers["location"].startswith("/login")


def test_unknown_or_revoked_link_is_refused_in_chinese(desk, client, office):
    old = link_path(desk, "D01")
    assert client.get(old).status_code == 200
    page = office.get(f"/office/{YEAR}/unit/D01")
    r = office.post(f"/office/{YEAR}/unit/D01/link", data={"csrf_token": csrf_of(page.text), "action": "renew"},
                    follow_redirects=False)
    assert r.status_code == 303
    gone = client.get(old)
    assert gone.status_code == 404 and "撤销" in gone.text
    new = link_path(desk, "D01")
    assert new != old and client.get(new).status_code == 200
    page = office.get(f"/office/{YEAR}/unit/D01")
    assert new in page.text
    office.post(f"/office/{YEAR}/unit/D01/link", data={"csrf_token": csrf_of(page.text), "action": "revoke"})
    assert client.get(new).status_code == 404
    assert "链接已撤销" in office.get(f"/office/{YEAR}/unit/D01").text
    assert client.get("/u/" + "A" * 43).status_code == 404


def test_a_file_name_never_becomes_a_path(desk, client, tmp_path):
    f = signed_return(desk, tmp_path / "r.xlsx", "D01", "测试区教育局")
    evil = "../../../../tmp/逃逸<b>.xlsx"
    r = upload(client, link_path(desk, "D01"), f, name=evil)
    assert r.status_code == 303
    assert not Path("/tmp/逃逸<b>.xlsx").exists()
    ws = Path(desk.incoming_dir()).parent.parent.resolve()
    for p in ws.rglob("*"):
        assert "逃逸" not in p.name
    page = client.get(r.headers["location"]).text
    assert "逃逸&lt;b&gt;.xlsx" in page and "逃逸<b>" not in page


# ------------------------------------------------------------------------------------------------ office
def test_office_pages_and_downloads_refuse_without_a_session(desk, client):
    for path in ("/office", f"/office/{YEAR}", f"/office/{YEAR}/missing", f"/office/{YEAR}/unit/D01"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    for what in ("templates.zip", "register.xlsx", "sendbacks.zip", "summary.xlsx", "report.docx", "report.html"):
        assert client.get(f"/office/{YEAR}/download/{what}").status_code == 403, what
    assert client.get(f"/office/{YEAR}/unit/D01/download/template").status_code == 403
    assert client.get(f"/office/{YEAR}/live").status_code == 403
    assert client.get(f"/api/register?year={YEAR}").status_code == 403
    token = csrf_of(client.get("/login").text)
    assert client.post(f"/office/{YEAR}/drop", data={"csrf_token": token}).status_code == 403
    assert client.post("/office/open", data={"csrf_token": token, "year": "2026"}).status_code == 403


def test_login_wrong_password_then_throttled(client):
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        r = client.post("/login", data={"csrf_token": token, "password": "不对的密码"})
        assert r.status_code == 401 and "密码不正确" in r.text
    r = client.post("/login", data={"csrf_token": token, "password": PASSWORD})
    assert r.status_code == 429 and "次数过多" in r.text  # even the right password waits
    assert client.get("/office", follow_redirects=False).status_code == 303


def test_a_slow_password_check_does_not_use_up_the_wait(desk, client, monkeypatch):
    import time

    real = desk.verify_password

    def slow(password):
        time.sleep(2.5)  # a machine so busy that one argon2 check outlasts the first wait (2 s)
        return real(password)

    token = csrf_of(client.get("/login").text)
    for n in range(5):
        if n == 4:
            monkeypatch.setattr(desk, "verify_password", slow)
        assert client.post("/login", data={"csrf_token": token, "password": "不对的密码"}).status_code == 401
    monkeypatch.setattr(desk, "verify_password", real)
    assert client.post("/login", data={"csrf_token": token, "password": PASSWORD}).status_code == 429


def test_session_cookie_is_signed_httponly_and_secure_behind_https(desk):
    with TestClient(create_app(desk, "https://nianbao.example.gov.cn"), base_url="https://testserver") as c:
        r = login(c)
        cookie = r.headers["set-cookie"]
        assert "nianbao_session=" in cookie and "httponly" in cookie.lower() and "secure" in cookie.lower()
        assert "samesite=lax" in cookie.lower()
        assert c.get("/office", follow_redirects=False).status_code == 200
        c.cookies.clear()  # only the forged one is sent (the jar would send the login's too)
        forged = {"cookie": "nianbao_session=eyJvZmZpY2UiOiB0cnVlfQ==.forged.sig"}
        assert c.get("/office", headers=forged, follow_redirects=False).status_code == 303


def test_every_form_needs_its_csrf_token(desk, client, office, tmp_path):
    f = signed_return(desk, tmp_path / "r.xlsx", "D01", "测试区教育局")
    base = link_path(desk, "D01")
    for token in ("", "forged##token"):
        r = upload(client, base, f, csrf=token)
        assert r.status_code == 403 and "刷新页面" in r.text
    assert desk.unit_submissions(YEAR, "D01") == []
    assert client.post("/login", data={"password": PASSWORD}).status_code == 403
    assert office.post("/logout", data={}).status_code == 403
    assert office.post(f"/office/{YEAR}/unit/D01/link", data={"action": "revoke"}).status_code == 403
    assert client.get(base).status_code == 200
    # a token from another session is no good either
    other = csrf_of(client.get("/login").text)
    assert office.post("/logout", data={"csrf_token": other}).status_code == 403
    assert office.get("/office").status_code == 200


def test_unit_named_script_shows_as_text(desk, office, client, tmp_path):
    f = signed_return(desk, tmp_path / "r.xlsx", "D03", HOSTILE_NAME, values=failing_values())
    upload(client, link_path(desk, "D03"), f)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for page in (office.get(f"/office/{YEAR}").text, office.get(f"/office/{YEAR}/unit/D03").text,
                 office.get(f"/office/{YEAR}/live").text, client.get(link_path(desk, "D03")).text,
                 office.get(f"/office/{YEAR}/missing").text):
        assert HOSTILE_NAME not in page
    assert escaped in office.get(f"/office/{YEAR}").text
    assert escaped in client.get(link_path(desk, "D03")).text


def test_security_headers_on_pages_errors_and_static_files(client):
    for path in ("/login", "/nowhere", "/static/desk.css", "/healthz"):
        h = client.get(path).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"], path
        assert "script-src 'self'" in h["content-security-policy"] and "unsafe-inline" not in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
    assert "<script>" not in client.get("/login").text.replace('<script src="/static/desk.js" defer></script>', "")


def test_error_pages_are_chinese(desk, app, client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and "找不到页面" in r.text
    r = client.post("/healthz")
    assert r.status_code == 405 and "不支持的操作" in r.text
    desk_register = desk.register
    desk.register = lambda year: (_ for _ in ()).throw(RuntimeError("boom"))
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            login(c)
            r = c.get(f"/office/{YEAR}")
    finally:
        desk.register = desk_register
    assert r.status_code == 500 and "系统出错" in r.text and "Traceback" not in r.text and "boom" not in r.text


def test_healthz(client):
    assert client.get("/healthz").status_code == 200


# ------------------------------------------------------------------------------------------------ limits
def small_limit(monkeypatch, mb: int):
    from nianbao.desk import uploads
    from nianbao.limits import Limits

    monkeypatch.setattr(uploads, "LIMITS", Limits(max_file_mb=mb))


def test_oversized_upload_declared_up_front_is_refused_with_413(desk, client, monkeypatch):
    small_limit(monkeypatch, 1)
    base = link_path(desk, "D01")
    token = csrf_of(client.get(base).text)
    r = client.post(base + "/upload", data={"csrf_token": token},
                    files={"file": ("big.xlsx", b"\0" * (3 << 20), "application/octet-stream")})
    assert r.status_code == 413 and "文件太大" in r.text
    assert desk.unit_submissions(YEAR, "D01") == []


def test_oversized_upload_is_refused_while_streaming_not_after(desk, app, client, monkeypatch):
    """A chunked body without Content-Length: the desk stops reading at the limit (a few MB of a 200 MB upload)."""
    small_limit(monkeypatch, 2)
    base = link_path(desk, "D01")
    token = csrf_of(client.get(base).text)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    boundary = "XyZ"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.xlsx\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode()
    chunk, total = b"\0" * (1 << 20), 200
    sent = {"chunks": 0}
    statuses = []

    async def receive():
        if sent["chunks"] == 0:
            sent["chunks"] = 1
            return {"type": "http.request", "body": head, "more_body": True}
        sent["chunks"] += 1
        return {"type": "http.request", "body": chunk, "more_body": sent["chunks"] < total}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {"type": "http", "method": "POST", "path": base + "/upload", "raw_path": (base + "/upload").encode(),
             "query_string": b"", "root_path": "", "scheme": "http", "server": ("testserver", 80),
             "client": ("127.0.0.1", 5000), "http_version": "1.1",
             "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode()),
                         (b"content-type", f"multipart/form-data; boundary={boundary}".encode())]}
    asyncio.run(app(scope, receive, send))
    assert statuses == [413]
    assert sent["chunks"] <= 4, f"read {sent['chunks']} MB before refusing"
    assert desk.unit_submissions(YEAR, "D01") == []
    assert not any(Path(desk.incoming_dir()).iterdir())


def test_hostile_files_get_the_same_answers_as_check(desk, client, tmp_path):
    from helpers import run_cli
    from test_hostile import build_unreadable

    from helpers import write_return

    valid = tmp_path / "valid.xlsx"
    write_return(valid, seed=7)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-TOKEN-DESK\n")
    folder = tmp_path / "inbox"
    cases = build_unreadable((valid, None), folder, secret)
    checked = {Path(r["file"]).name: r for r in json.loads(run_cli("check", folder, "--json").stdout)}
    base = link_path(desk, "D01")
    for name in cases:
        if (folder / name).is_dir():
            continue
        r = upload(client, base, folder / name)
        assert r.status_code == 303, name
        page = client.get(r.headers["location"]).text
        assert "SECRET-TOKEN-DESK" not in page
        expected = checked[name].get("error") or checked[name]["findings"][0]["message"]
        from html import escape

        assert escape(expected, quote=True) in page or escape(expected, quote=False) in page, (name, expected)


# ------------------------------------------------------------------------------------------------ office flow
def test_office_register_drop_and_api(desk, office, client, tmp_path):
    files = [signed_return(desk, tmp_path / "in" / f"{c}.xlsx", c, n, seed=i) for i, (c, n) in enumerate(UNITS[:2])]
    junk = tmp_path / "in" / "通讯录.xlsx"
    junk.write_bytes(b"not a workbook")
    page = office.get(f"/office/{YEAR}")
    assert "已返回 0 / 3，通过 0" in page.text
    handles = [open(f, "rb") for f in files + [junk]]
    try:
        r = office.post(f"/office/{YEAR}/drop", data={"csrf_token": csrf_of(page.text)},
                        files=[("file", (Path(h.name).name, h, "application/octet-stream")) for h in handles])
    finally:
        for h in handles:
            h.close()
    assert r.status_code == 200
    assert "通讯录.xlsx" in r.text and "无法使用" in r.text
    page = office.get(f"/office/{YEAR}")
    assert "已返回 2 / 3" in page.text
    live = office.get(f"/office/{YEAR}/live?status=missing")
    assert "D03" in live.text and "D01" not in live.text
    api = office.get(f"/api/register?year={YEAR}")
    assert api.json() == desk.register(YEAR).to_json()
    token = desk.new_api_token()
    assert client.get(f"/api/register?year={YEAR}", headers={"Authorization": f"Bearer {token}"}).json() == api.json()
    assert client.get(f"/api/register?year={YEAR}", headers={"Authorization": "Bearer nope"}).status_code == 403
    for what in ("register.xlsx", "summary.xlsx", "templates.zip"):
        d = office.get(f"/office/{YEAR}/download/{what}")
        assert d.status_code == 200 and d.content[:2] == b"PK", what
    for path in (f"/office/{YEAR}/download/report.docx", f"/office/{YEAR}/unit/D01/download/report.docx",
                 f"/office/{YEAR}/unit/D01/download/template"):
        d = office.get(path)
        assert d.status_code == 200 and d.content[:2] == b"PK" and "filename*=UTF-8''" in d.headers["content-disposition"]
    html = office.get(f"/office/{YEAR}/download/report.html")
    assert html.status_code == 200 and "年度报告" in html.text
    assert "script-src" not in html.headers["content-security-policy"]  # default-src 'none': no script runs
    missing = office.get(f"/office/{YEAR}/missing")
    assert "&lt;script&gt;" in missing.text and "催报" in missing.text


def test_office_sees_every_submission_and_what_changed(desk, office, client, tmp_path):
    import time

    base = link_path(desk, "D01")
    bad = signed_return(desk, tmp_path / "1.xlsx", "D01", "测试区教育局", values=failing_values(4))
    upload(client, base, bad)
    time.sleep(1.1)  # the second is saved a second later: the save time orders them
    good_values = failing_values(4)
    good_values["t3.new.total"] -= 1
    good = signed_return(desk, tmp_path / "2.xlsx", "D01", "测试区教育局", values=good_values)
    upload(client, base, good)
    page = office.get(f"/office/{YEAR}/unit/D01").text
    assert page.count("下载原文件") == 2
    assert "与上一次提交相比改动的数字" in page
    assert f"→ {good_values['t3.new.total']}" in page
    assert page.index("（以此为准）") < page.index("未通过")  # the newer, passing one counts and comes first
    assert office.get(f"/office/submission/1/original").content == bad.read_bytes()


def test_office_opens_a_collection_from_a_roster_upload(office, tmp_path):
    page = office.get("/office")
    roster = "单位代码,单位名称,单位类型,联系人\nN01,新区教育局,部门,李四\n".encode("utf-8")
    r = office.post("/office/open", data={"csrf_token": csrf_of(page.text), "year": "2026"},
                    files={"roster": ("名单.csv", roster, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/office/2026"
    assert "新区教育局" in office.get("/office/2026").text
    assert "2026 年度" in office.get("/office").text
    bad = office.post("/office/open", data={"csrf_token": csrf_of(page.text), "year": "2027"},
                      files={"roster": ("名单.txt", b"x", "text/plain")})
    assert bad.status_code == 400 and ".csv" in bad.text


def test_a_large_register_is_paged_and_the_progress_counts_every_unit(tmp_path):
    from nianbao.desk.views import PAGE_ROWS

    units = [(f"P{i:05d}", f"分页测试第{i:05d}号单位") for i in range(PAGE_ROWS * 2 + 7)]
    desk = make_workspace(tmp_path / "big", units)
    try:
        with TestClient(create_app(desk)) as c:
            login(c)
            first = c.get(f"/office/{YEAR}").text
            assert f"已返回 0 / {len(units)}" in first
            assert first.count("<tr><td>P") == PAGE_ROWS and "P00000" in first and f"P{PAGE_ROWS:05d}" not in first
            last = c.get(f"/office/{YEAR}?page=3").text
            assert last.count("<tr><td>P") == 7 and f"P{len(units) - 1:05d}" in last
            assert "第 3 / 3 页" in last
            live = c.get(f"/office/{YEAR}/live?page=3&status=missing").text
            assert live.count("<tr><td>P") == 7
    finally:
        desk.close()


def test_login_goes_back_to_a_page_of_this_desk_only(client):
    for target, expected in (("/office/2025", "/office/2025"), ("//evil.example", "/office"),
                             ("/\\evil.example", "/office"), ("https://evil.example", "/office")):
        with TestClient(client.app) as c:
            token = csrf_of(c.get("/login").text)
            r = c.post("/login", data={"csrf_token": token, "password": PASSWORD, "next": target},
                       follow_redirects=False)
            assert r.headers["location"] == expected, target
