"""The desk knows last year (issue 13 through the desk): the office gives last year's data on a collection's page
(uploaded files, a zip, or the desk's own previous collection); the templates it stamps carry each unit's last
year, 分发清单 says who has it, and the check of an upload compares with it (Y-01 with sheet!cell in the verdict)."""
from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import nianbao
from desk_helpers import YEAR, csrf_of, link_path, login, make_workspace, signed_return, upload
from helpers import run_cli, write_return
from hostile_corpus import repeated, write_zip
from nianbao.desk.app import create_app
from nianbao.formats import load_format
from nianbao.sample_data import random_valid_values
from test_desk_web import desk  # noqa: F401  (the fixture: a workspace with its roster)
from test_roundtrip import fill_by_labels

LAST = YEAR - 1
CARRY = [c.key for c in load_format("2021").tables["t3"].columns]  # 结转下年度 → 上年结转, per column


@pytest.fixture
def office(desk):
    with TestClient(create_app(desk, "http://127.0.0.1:8750"), raise_server_exceptions=False) as c:
        assert login(c).status_code == 303
        yield c


def last_values(seed: int) -> dict:
    return random_valid_values(load_format("2021"), random.Random(100 + seed), scale=20)


def last_returns(desk, folder: Path) -> dict:
    """Last year's signed returns of D01 and D02 (D03 has none): {code: (path, values)}."""
    out = {}
    for n, (code, name) in enumerate([("D01", "测试区教育局"), ("D02", "测试区财政局")]):
        path = folder / f"{LAST}-{code}.xlsx"
        out[code] = (path, write_return(path, last_values(n), name, code, LAST, key=desk.office_key()))
    return out


def give(office, files: list[tuple[str, bytes]], action="upload"):
    token = csrf_of(office.get(f"/office/{YEAR}").text)
    return office.post(f"/office/{YEAR}/last-year", data={"csrf_token": token, "action": action},
                       files=[("file", (name, data, "application/octet-stream")) for name, data in files],
                       follow_redirects=False)


def stamped(data: bytes, tmp_path: Path):
    path = tmp_path / "模板.xlsx"
    path.write_bytes(data)
    return nianbao.read(path).previous


def contradicting(last: dict) -> dict:
    """A valid return whose 上年结转 is not what last year carried forward."""
    values = random_valid_values(load_format("2021"), random.Random(3))
    assert any(values[f"t3.carried_over.{c}"] != last[f"t3.carry_forward.{c}"] for c in CARRY)
    return values


def y01(page_text: str, sub) -> list[dict]:
    found = [f for f in sub.result["findings"] if f["rule"] == "Y-01"]
    assert found, sub.result["findings"]
    for f in found:
        assert f["message"] in page_text or f["message"].replace("\n", " ") in page_text
        here = [c for c in f["cells"] if c.startswith("表三!")]  # this year's cell (last year's is named 上年 …)
        assert here and all(c in page_text for c in here)
    return found


def test_office_uploads_last_years_returns_and_templates_carry_them(desk, office, tmp_path):
    last = last_returns(desk, tmp_path)
    r = give(office, [(p.name, p.read_bytes()) for p, _ in last.values()])
    assert r.status_code == 303
    page = office.get(f"/office/{YEAR}").text
    assert "已上传 2 个文件" in page and "名单中 2 个单位有上年数据" in page
    assert "以下 1 个单位没有上年数据" in page and "&lt;script&gt;" in page  # D03, escaped
    for code, (_, values) in last.items():
        prev = stamped(office.get(f"/office/{YEAR}/unit/{code}/download/template").content, tmp_path)
        assert prev is not None and prev.year == LAST
        assert all(prev.values[f"t3.carry_forward.{c}"] == values[f"t3.carry_forward.{c}"] for c in CARRY)
    assert stamped(office.get(f"/office/{YEAR}/unit/D03/download/template").content, tmp_path) is None
    assert "上年数据中没有本单位：其模板不含上年数据" in office.get(f"/office/{YEAR}/unit/D03").text
    with zipfile.ZipFile(io.BytesIO(office.get(f"/office/{YEAR}/download/templates.zip").content)) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("分发清单.csv").decode("utf-8-sig"))))
        assert [row["上年数据"] for row in rows] == ["有", "有", "无"]
        d01 = next(n for n in z.namelist() if n.startswith("D01-"))
        assert stamped(z.read(d01), tmp_path).values["t3.carry_forward.total"] == last["D01"][1]["t3.carry_forward.total"]


def test_department_contradicting_its_stamped_last_year_sees_y01(desk, office, tmp_path):
    last = last_returns(desk, tmp_path)
    with zipfile.ZipFile(tmp_path / "上年.zip", "w") as z:  # one zip of last year's returns
        for p, _ in last.values():
            z.write(p, p.name)
    assert give(office, [("上年.zip", (tmp_path / "上年.zip").read_bytes())]).status_code == 303
    dept = TestClient(office.app, raise_server_exceptions=False)
    base = link_path(desk, "D01")
    assert f"模板中已带本单位 {LAST} 年度的数据" in dept.get(base).text
    assert "没有本单位的上年数据，模板不含上年数据" in dept.get(link_path(desk, "D03")).text
    template = dept.get(base + "/template").content
    filled = fill_by_labels(template, load_format("2021"), contradicting(last["D01"][1]), tmp_path / "填好.xlsx")
    assert nianbao.read(filled).previous is not None  # the department's return carries its signed last year
    r = upload(dept, base, filled)
    assert r.status_code == 303
    sub = desk.submission(int(r.headers["location"].rsplit("/", 1)[1]))
    y01(dept.get(r.headers["location"]).text, sub)
    latest = desk.register(YEAR).record("D01").latest  # the register counts it with its Y-01 warnings
    assert any(f["rule"] == "Y-01" for f in latest.result["findings"])
    warnings = [f for f in latest.result["findings"] if f["severity"] != "error"]
    assert desk.register(YEAR).to_json()["units"][0]["warnings"] == len(warnings)
    assert "Y-01" in office.get(f"/office/{YEAR}/unit/D01").text


def test_a_return_without_stamped_last_year_is_checked_against_the_collections(desk, office, tmp_path):
    last = last_returns(desk, tmp_path)
    f = signed_return(desk, tmp_path / "旧模板填的.xlsx", "D02", "测试区财政局", values=contradicting(last["D02"][1]))
    assert nianbao.read(f).previous is None
    dept = TestClient(office.app, raise_server_exceptions=False)
    before = desk.submission(int(upload(dept, link_path(desk, "D02"), f).headers["location"].rsplit("/", 1)[1]))
    assert not any(x["rule"] == "Y-01" for x in before.result["findings"])  # no last year yet: not checked
    assert give(office, [(p.name, p.read_bytes()) for p, _ in last.values()]).status_code == 303
    r = upload(dept, link_path(desk, "D02"), f)
    y01(dept.get(r.headers["location"]).text, desk.submission(int(r.headers["location"].rsplit("/", 1)[1])))


def test_the_desks_previous_collection_is_used_directly(desk, office, tmp_path):
    roster = tmp_path / "ws-roster.csv"
    desk.open_collection(LAST, roster)
    values = last_values(0)
    write_return(tmp_path / "l.xlsx", values, "测试区教育局", "D01", LAST, key=desk.office_key())
    sub = desk.receive_path(LAST, tmp_path / "l.xlsx", "教育局2024.xlsx")
    assert sub.category == "unit"
    page = office.get(f"/office/{YEAR}").text
    assert f"使用 {LAST} 年度收集的数据" in page
    r = give(office, [], action="collection")
    assert r.status_code == 303
    page = office.get(f"/office/{YEAR}").text
    assert f"使用收集台上 {LAST} 年度收集的返回表" in page and "名单中 1 个单位有上年数据" in page
    prev = stamped(office.get(f"/office/{YEAR}/unit/D01/download/template").content, tmp_path)
    assert prev.values["t3.carry_forward.total"] == values["t3.carry_forward.total"]
    assert stamped(office.get(f"/office/{YEAR}/unit/D02/download/template").content, tmp_path) is None
    token = csrf_of(page)
    assert office.post(f"/office/{YEAR}/last-year", data={"csrf_token": token, "action": "clear"},
                       follow_redirects=False).status_code == 303
    assert stamped(office.get(f"/office/{YEAR}/unit/D01/download/template").content, tmp_path) is None


def test_using_a_previous_collection_the_desk_does_not_hold_is_refused_in_chinese(office):
    r = give(office, [], action="collection")
    assert r.status_code == 400 and f"没有 {LAST} 年度的收集" in r.text


def test_the_form_needs_login_and_csrf(desk, office, tmp_path):
    last = last_returns(desk, tmp_path)
    data = last["D01"][0].read_bytes()
    files = [("file", ("a.xlsx", data, "application/octet-stream"))]
    stranger = TestClient(office.app, raise_server_exceptions=False)
    assert stranger.post(f"/office/{YEAR}/last-year", data={"action": "upload"}, files=files).status_code == 403
    dept = TestClient(office.app, raise_server_exceptions=False)
    token = csrf_of(dept.get(link_path(desk, "D01")).text)  # a department's page token is no office session
    assert dept.post(f"/office/{YEAR}/last-year", data={"csrf_token": token, "action": "upload"},
                     files=files).status_code == 403
    r = office.post(f"/office/{YEAR}/last-year", data={"csrf_token": "forged", "action": "upload"}, files=files)
    assert r.status_code == 403 and "表单已过期" in r.text
    assert "尚未提供上年数据" in office.get(f"/office/{YEAR}").text


@pytest.mark.parametrize("name,data", [
    ("上年.xlsx", b"PK\x03\x04 this is no workbook"),
    ("上年.exe", b"MZ\x90\x00"),
    ("上年.pdf", b"%PDF-1.4 broken"),
])
def test_a_hostile_file_as_last_year_gets_a_chinese_message(office, name, data):
    r = give(office, [(name, data)])
    assert r.status_code == 400 and "没有可用的上年数据" in r.text and "Traceback" not in r.text
    assert "尚未提供上年数据" in office.get(f"/office/{YEAR}").text


def test_a_zip_bomb_as_last_year_is_refused(office, tmp_path):
    bomb = write_zip(tmp_path / "bomb.zip", [repeated("a.xlsx", b"PK", b"\0" * 4096, 400 << 20)])
    r = give(office, [("上年.zip", bomb.read_bytes())])
    assert r.status_code == 400 and "没有可用的上年数据" in r.text and "上年.zip" in r.text


def test_desk_open_with_previous_from_the_command_line(desk, tmp_path):
    last = last_returns(desk, tmp_path / "2024")
    desk.close()
    out = tmp_path / "分发清单.csv"
    r = run_cli("desk", "open", tmp_path / "ws", "--year", YEAR, "--roster", tmp_path / "ws-roster.csv",
                "--previous", tmp_path / "2024", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "名单中 2 个单位的模板带上年数据" in r.stdout and "1 个单位没有上年数据" in r.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row["上年数据"] for row in rows] == ["有", "有", "无"] and all(row["填报链接"] for row in rows)
    from nianbao.desk.exports import unit_template
    from nianbao.desk.store import Desk

    with Desk(tmp_path / "ws") as again:
        prev = stamped(unit_template(again, YEAR, "D02")[1], tmp_path)
    assert prev.values["t3.carry_forward.total"] == last["D02"][1]["t3.carry_forward.total"]
    r = run_cli("desk", "open", tmp_path / "ws", "--year", YEAR, "--roster", tmp_path / "ws-roster.csv",
                "--previous", tmp_path / "ws-roster.csv")
    assert r.returncode != 0 and "没有可用的上年数据" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.browser
def test_office_gives_last_year_through_the_file_chooser_in_a_real_browser(tmp_path):
    from desk_helpers import PASSWORD, Server
    from test_desk_browser import ARGS, CHROMIUM, shot

    if not CHROMIUM.exists():
        from conftest import IN_CI

        if IN_CI:
            pytest.fail("/usr/bin/chromium is missing under CI=true: .ci/run must install chromium")
        pytest.skip("Chromium (/usr/bin/chromium) is not installed")
    from playwright.sync_api import sync_playwright

    desk = make_workspace(tmp_path / "ws")
    last = last_returns(desk, tmp_path)
    desk.close()
    server = Server(tmp_path / "ws")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(locale="zh-CN")
            page.goto(server.url + "/login")
            page.fill("#pw", PASSWORD)
            page.click("button:has-text('登录')")
            page.goto(server.url + f"/office/{YEAR}")
            assert "尚未提供上年数据" in page.inner_text("main")
            page.set_input_files("#last-year-files", [str(path) for path, _ in last.values()])
            page.click("button:has-text('上传上年数据')")
            page.wait_for_url(f"**/office/{YEAR}#last-year")
            text = page.inner_text("main")
            shot(page, "office-last-year")
            browser.close()
        assert "名单中 2 个单位有上年数据" in text and "<script>alert(1)</script>（D03）" in text
    finally:
        server.stop()
