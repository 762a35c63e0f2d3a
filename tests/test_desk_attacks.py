"""The desk against a curious department and a hostile file: what a valid link, a copied cookie, a page on
another site or a crafted request can and cannot reach (each test here was an attack tried for real)."""
from __future__ import annotations

import asyncio
import io
import zipfile
from collections import Counter

import httpx
import pytest
from starlette.testclient import TestClient

from desk_helpers import PASSWORD, YEAR, csrf_of, link_path, login, signed_return, upload
from nianbao.desk.app import create_app
from test_desk_web import app, client, desk, office  # noqa: F401  (the same fixtures)


def _asgi(app, client_host: str, base_url: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(client_host, 4321)), base_url=base_url)


# ------------------------------------------------------------------------------------------------ the office's login
def test_logins_sent_all_at_once_are_throttled_too(app):
    async def attack():
        async with _asgi(app, "10.0.0.9") as c:
            token = csrf_of((await c.get("/login")).text)
            answers = await asyncio.gather(*[c.post("/login", data={"csrf_token": token, "password": f"猜测-{i:04d}"})
                                             for i in range(30)])
            return Counter(r.status_code for r in answers)

    counts = asyncio.run(attack())
    assert counts[401] <= 5 and counts[429] >= 25, counts


def test_a_copy_of_the_session_cookie_is_no_good_after_logout(app):
    with TestClient(app) as c:
        assert login(c).status_code == 303
        copied = c.cookies.get("nianbao_session")
        c.post("/logout", data={"csrf_token": csrf_of(c.get("/office").text)})
    with TestClient(app) as thief:
        thief.cookies.set("nianbao_session", copied)
        assert thief.get("/office", follow_redirects=False).status_code == 303
        assert thief.get(f"/office/{YEAR}/download/summary.xlsx").status_code == 403


def test_each_login_gets_a_new_session(app):
    with TestClient(app) as c:
        login(c)
        first = c.cookies.get("nianbao_session")
        login(c)
        assert c.cookies.get("nianbao_session") != first
    with TestClient(app) as other:
        other.cookies.set("nianbao_session", first)  # the login before is still a login of its own, not shared
        assert other.get("/office").status_code == 200


def test_the_first_password_is_set_on_the_desks_own_machine_only(tmp_path):
    from nianbao.desk.store import Desk

    with Desk(tmp_path / "ws") as d:
        app = create_app(d)

        async def attempt(client_host: str, base_url: str):
            async with _asgi(app, client_host, base_url) as c:
                page = await c.get("/setup")
                if page.status_code != 200:
                    return page.status_code, page.text
                r = await c.post("/setup", data={"csrf_token": csrf_of(page.text), "password": "攻击者的密码-1234",
                                                 "password2": "攻击者的密码-1234"})
                return r.status_code, r.text

        # a neighbour through a reverse proxy (its forwarded address), a page on another site rebound to 127.0.0.1
        for who, url in (("10.1.2.3", "http://127.0.0.1:8750"), ("127.0.0.1", "http://evil.example:8750")):
            status, text = asyncio.run(attempt(who, url))
            assert status == 403 and "运行收集台的电脑" in text and "--password-file" in text, (who, url)
            assert not d.has_password()
        status, _ = asyncio.run(attempt("127.0.0.1", "http://localhost:8750"))
        assert status == 303 and d.has_password()


def test_a_unit_link_is_no_api_token(desk, client):
    for token in (desk.link_for(YEAR, "D01"), ""):
        r = client.get(f"/api/register?year={YEAR}", headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 403 and "API 令牌" in r.json()["error"]
    good = desk.new_api_token()
    assert client.get(f"/api/register?year={YEAR}", headers={"authorization": f"Bearer {good}"}).status_code == 200


@pytest.mark.parametrize("target", ["/\t/evil.example", "/%2F%2Fevil.example", " //evil.example", "\\\\evil.example"])
def test_login_never_leads_to_another_site(client, target):
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"csrf_token": token, "password": PASSWORD, "next": target},
                    follow_redirects=False)
    location = httpx.URL("http://127.0.0.1:8750").join(r.headers["location"])
    assert location.host == "127.0.0.1", r.headers["location"]


# ------------------------------------------------------------------------------------------------ a curious department
def test_a_link_cannot_send_for_another_unit(desk, client, office, tmp_path):
    theirs = signed_return(desk, tmp_path / "财政局.xlsx", "D02", "测试区财政局")
    r = upload(client, link_path(desk, "D01"), theirs)
    assert r.status_code == 303  # kept as received, never lost ...
    page = client.get(r.headers["location"]).text
    assert "不计入任何单位" in page
    units = {u["code"]: u["status"] for u in desk.register(YEAR).to_json()["units"]}
    assert units["D02"] == "missing" and units["D01"] == "missing"  # ... but it counts for no one
    assert {u["code"]: u["status"] for u in office.get(f"/api/register?year={YEAR}").json()["units"]}["D02"] == "missing"
    from nianbao.desk import exports

    assert exports.write_received(desk, YEAR, tmp_path / "received") == []
    # the office dropping the same file counts it for its unit, as collect does
    office_page = office.get(f"/office/{YEAR}")
    with open(theirs, "rb") as f:
        office.post(f"/office/{YEAR}/drop", data={"csrf_token": csrf_of(office_page.text)},
                    files={"file": ("财政局.xlsx", f, "application/octet-stream")})
    assert {u["code"]: u["status"] for u in desk.register(YEAR).to_json()["units"]}["D02"] != "missing"


def test_a_link_cannot_explain_another_units_submission(desk, client, tmp_path):
    f = signed_return(desk, tmp_path / "r.xlsx", "D02", "测试区财政局", seed=0)
    loc = upload(client, link_path(desk, "D02"), f).headers["location"]
    sid = int(loc.rsplit("/", 1)[1])
    rule = next(x["rule"] for x in desk.submission(sid).result["findings"] if x["severity"] != "error")
    mine = link_path(desk, "D01")
    token = csrf_of(client.get(mine).text)
    r = client.post(f"{mine}/s/{sid}/explain", data={"csrf_token": token, "rule": rule, "text": "别人写的"})
    assert r.status_code == 404
    assert desk.submission(sid).explanations == {}


def test_an_explanation_and_a_file_name_show_as_text(desk, client, office, tmp_path):
    f = signed_return(desk, tmp_path / "r.xlsx", "D02", "测试区财政局", seed=0)
    base = link_path(desk, "D02")
    loc = upload(client, base, f, name="<img src=x onerror=alert(1)>.xlsx").headers["location"]
    sid = int(loc.rsplit("/", 1)[1])
    rule = next(x["rule"] for x in desk.submission(sid).result["findings"] if x["severity"] != "error")
    evil = "</textarea><script>alert(2)</script>"
    client.post(loc + "/explain", data={"csrf_token": csrf_of(client.get(loc).text), "rule": rule, "text": evil})
    for page in (client.get(loc).text, office.get(f"/office/{YEAR}/unit/D02").text):
        assert "<script>alert(2)" not in page and "<img src=x" not in page
        assert "&lt;/textarea&gt;&lt;script&gt;" in page
    api = office.get(f"/api/register?year={YEAR}")
    assert api.headers["content-type"].startswith("application/json") and api.headers["x-content-type-options"] == "nosniff"


def test_pages_with_a_link_are_never_cached_nor_sent_on(desk, client):
    h = client.get(link_path(desk, "D01")).headers
    assert h["cache-control"] == "no-store" and h["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("name", ['报"告;.xlsx', "a\r\nSet-Cookie: x=1.xlsx", "年报 2025 =1+1.xlsx"])
def test_a_file_name_never_breaks_the_download_header(desk, client, office, tmp_path, name):
    f = signed_return(desk, tmp_path / "r.xlsx", "D01", "测试区教育局")
    loc = upload(client, link_path(desk, "D01"), f, name=name).headers["location"]
    sid = loc.rsplit("/", 1)[1]
    for r in (office.get(f"/office/submission/{sid}/original"), client.get(loc + "/annotated")):
        assert r.status_code == 200 and "set-cookie" not in r.headers
        disposition = r.headers["content-disposition"]
        plain, star = disposition.split("; filename*=UTF-8''")
        assert plain.count('"') == 2 and ";" not in plain.removeprefix("attachment;")
        assert all(c.isalnum() or c in "%-._~" for c in star), disposition  # RFC 5987 attr-chars only


# ------------------------------------------------------------------------------------------------ hostile requests
def _multipart(desk, client, parts: str):
    base = link_path(desk, "D01")
    token = csrf_of(client.get(base).text)
    body = f'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n' + parts + "--B--\r\n"
    return client.post(base + "/upload", content=body.encode(),
                       headers={"content-type": "multipart/form-data; boundary=B"})


def test_thousands_of_parts_or_a_huge_part_header_are_refused(desk, client):
    many = "".join(f'--B\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nx\r\n' for i in range(5000))
    files = "".join(f'--B\r\nContent-Disposition: form-data; name="file"; filename="{i}.xlsx"\r\n\r\nx\r\n'
                    for i in range(50))
    huge = '--B\r\nContent-Disposition: form-data; name="f"\r\nX-Pad: ' + "a" * 2_000_000 + "\r\n\r\nx\r\n"
    for parts in (many, files, huge):
        r = _multipart(desk, client, parts)
        assert r.status_code in (400, 413) and "Traceback" not in r.text
    assert desk.unit_submissions(YEAR, "D01") == []


# ------------------------------------------------------------------------------------------------ a hostile roster
def _open(office, year: int, name: str, data: bytes):
    page = office.get("/office")
    return office.post("/office/open", data={"csrf_token": csrf_of(page.text), "year": str(year)},
                       files={"roster": (name, data, "application/octet-stream")}, follow_redirects=False)


def test_roster_names_never_become_paths_formulas_or_markup(office):
    roster = ("单位代码,单位名称,单位类型,联系人\n"
              '../../E1,"../../../etc/逃逸",部门,"=HYPERLINK(""http://evil.example"",""点我"")"\n'
              'E2,"=cmd|\' /C calc\'!A0",部门,@SUM(1)\n').encode("utf-8")
    assert _open(office, 2026, "名单.csv", roster).status_code == 303
    with zipfile.ZipFile(io.BytesIO(office.get("/office/2026/download/templates.zip").content)) as z:
        names = z.namelist()
        listing = z.read("分发清单.csv").decode("utf-8-sig")
    assert all("/" not in n and "\\" not in n and ".." not in n for n in names), names
    import csv

    for row in list(csv.reader(io.StringIO(listing)))[1:]:
        assert not any(cell.startswith(("=", "@", "+", "-")) for cell in row), row


def _xlsx_roster(sheet_xml: bytes | None, pad: bytes | None = None) -> bytes:
    from openpyxl import Workbook

    wb, buf = Workbook(), io.BytesIO()
    wb.active.append(["单位代码", "单位名称"])
    wb.active.append(["X1", "某局"])
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = sheet_xml if sheet_xml and item.filename == "xl/worksheets/sheet1.xml" else src.read(item)
            dst.writestr(item.filename, data)
        if pad:
            dst.writestr("xl/media/pad.bin", pad)
    return out.getvalue()


def test_a_roster_that_is_xxe_or_a_zip_bomb_gets_a_chinese_answer(office):
    xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           b'<row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row></sheetData></worksheet>')
    r = _open(office, 2027, "名单.xlsx", _xlsx_roster(xxe))
    assert r.status_code == 400 and "root:" not in r.text and "名单" in r.text
    bomb = _xlsx_roster(None, pad=b"\0" * (20 << 20))  # 20 MB of zeros in a few kB
    r = _open(office, 2028, "名单.xlsx", bomb)
    assert r.status_code == 400 and "Traceback" not in r.text and "名单" in r.text
    assert "2027 年度" not in office.get("/office").text and "2028 年度" not in office.get("/office").text


def test_every_office_and_department_post_wants_its_csrf_token(desk, client, office, tmp_path):
    f = signed_return(desk, tmp_path / "r.xlsx", "D02", "测试区财政局", seed=0)
    loc = upload(client, link_path(desk, "D02"), f).headers["location"]
    rule = next(x["rule"] for x in desk.submission(int(loc.rsplit("/", 1)[1])).result["findings"])
    assert client.post(loc + "/explain", data={"rule": rule, "text": "伪造"}).status_code == 403
    with open(f, "rb") as fh:
        r = office.post(f"/office/{YEAR}/drop", files={"file": ("r.xlsx", fh, "application/octet-stream")})
    assert r.status_code == 403
    roster = "单位代码,单位名称\nZ1,某局\n".encode("utf-8")
    r = office.post("/office/open", data={"year": "2029"}, files={"roster": ("名单.csv", roster, "text/csv")})
    assert r.status_code == 403 and desk.collection(2029) is None
    assert office.post(f"/office/{YEAR}/unit/D02/link", data={"action": "renew", "csrf_token": "x"}).status_code == 403
    assert len(desk.unit_submissions(YEAR, "D02")) == 1 and desk.submission(int(loc.rsplit("/", 1)[1])).explanations == {}


def _served_link(tmp_path):
    """A real `nianbao serve` on a fresh workspace, and D01's link token."""
    from desk_helpers import Server, make_workspace

    d = make_workspace(tmp_path / "ws")
    token = d.link_for(YEAR, "D01")
    d.close()
    return Server(tmp_path / "ws"), token


def test_a_link_never_shows_in_the_servers_output(tmp_path):
    server, token = _served_link(tmp_path)
    try:
        with httpx.Client(base_url=server.url) as c:
            assert c.get(f"/u/{token}").status_code == 200
            assert c.get(f"/u/{token}/s/999").status_code == 404
            assert c.post(f"/u/{token}/upload").status_code == 403
    finally:
        server.stop()
    from pathlib import Path

    output = Path(server.log.name).read_text(errors="replace")
    assert "收集台已启动" in output and token not in output


def test_send_backs_and_reports_of_a_hostile_unit_stay_inert(desk, client, office, tmp_path):
    from desk_helpers import HOSTILE_NAME, failing_values

    f = signed_return(desk, tmp_path / "r.xlsx", "D03", HOSTILE_NAME, values=failing_values())
    assert upload(client, link_path(desk, "D03"), f, name="..\\..\\..\\逃逸.xlsx").status_code == 303
    with zipfile.ZipFile(io.BytesIO(office.get(f"/office/{YEAR}/download/sendbacks.zip").content)) as z:
        names = z.namelist()
    assert names and all("/" not in n and "\\" not in n and ".." not in n and "<" not in n for n in names), names
    for path in (f"/office/{YEAR}/unit/D03/download/report.html", f"/office/{YEAR}/download/report.html"):
        r = office.get(path)
        assert r.status_code == 200, path
        assert "<script>alert(1)" not in r.text
        assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none': no script at all


def test_a_request_that_lies_about_its_length_stores_nothing(tmp_path):
    import socket

    server, token = _served_link(tmp_path)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(f"POST /u/{token}/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n"
                      "Content-Type: multipart/form-data; boundary=B\r\n\r\n".encode() + b"x" * 200_000)
            answer = s.recv(200)
        assert answer.startswith(b"HTTP/1.1 4"), answer
        assert httpx.get(server.url + "/healthz").status_code == 200
    finally:
        server.stop()
    from nianbao.desk.store import Desk

    with Desk(tmp_path / "ws") as again:
        assert again.unit_submissions(YEAR, "D01") == []


def test_the_links_handed_out_never_follow_the_host_header(office):
    r = office.get(f"/office/{YEAR}/download/templates.zip", headers={"host": "evil.example"})
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        listing = z.read("分发清单.csv").decode("utf-8-sig")
    assert "evil.example" not in listing and listing.count("http://127.0.0.1:8750/u/") == 3
    assert "evil.example" not in office.get(f"/office/{YEAR}/unit/D01", headers={"host": "evil.example"}).text


def test_a_revoked_link_opens_none_of_its_pages(desk, client, tmp_path):
    f = signed_return(desk, tmp_path / "r.xlsx", "D01", "测试区教育局")
    base = link_path(desk, "D01")
    loc = upload(client, base, f).headers["location"]
    token = csrf_of(client.get(base).text)
    desk.revoke(YEAR, "D01")
    for path in (base, base + "/template", loc, loc + "/annotated"):
        assert client.get(path).status_code == 404, path
    with open(f, "rb") as fh:
        r = client.post(base + "/upload", data={"csrf_token": token},
                        files={"file": ("r.xlsx", fh, "application/octet-stream")})
    assert r.status_code == 404 and len(desk.unit_submissions(YEAR, "D01")) == 1
