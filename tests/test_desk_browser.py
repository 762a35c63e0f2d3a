"""The desk in a real browser: Debian's Chromium driven by Playwright against `nianbao serve` on a free loopback
port. The department uploads through the file chooser and reads its verdict; the office logs in, watches the
register change without reloading, and downloads the summary. Every page is photographed into /tmp/desk-shots/."""
from __future__ import annotations

import zipfile
from pathlib import Path

import httpx
import pytest

from conftest import IN_CI
from desk_helpers import (HOSTILE_NAME, PASSWORD, YEAR, Server, csrf_of, failing_values, make_workspace,
                          signed_return)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = Path("/tmp/desk-shots")
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("/usr/bin/chromium is missing under CI=true: .ci/run must install chromium")
        pytest.skip("Chromium (/usr/bin/chromium) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("desk")
    desk = make_workspace(base / "ws")
    links = {code: f"/u/{desk.link_for(YEAR, code)}" for code in ("D01", "D02", "D03")}
    files = {"bad": signed_return(desk, base / "教育局-年报.xlsx", "D01", "测试区教育局", values=failing_values()),
             "good": signed_return(desk, base / "财政局-年报.xlsx", "D02", "测试区财政局", seed=5),
             "drop": signed_return(desk, base / "d03.xlsx", "D03", HOSTILE_NAME, seed=1)}
    desk.close()
    server = Server(base / "ws")
    yield dict(url=server.url, links=links, files=files, base=base)
    server.stop()


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_department_uploads_through_the_file_chooser_and_reads_its_verdict(browser, site):
    page = browser.new_page(locale="zh-CN")
    page.goto(site["url"] + site["links"]["D01"])
    assert "测试区教育局" in page.inner_text("h1")
    shot(page, "department-before")
    with page.expect_file_chooser() as fc:
        page.click("#file")
    fc.value.set_files(str(site["files"]["bad"]))
    page.click("button:has-text('上传并校验')")
    page.wait_for_selector("#verdict")
    text = page.inner_text("main")
    assert "未通过校验" in text and "表三!J5" in text
    shot(page, "department-after-errors")
    with page.expect_download() as dl:
        page.click("text=下载批注副本")
    assert zipfile.is_zipfile(dl.value.path())
    # the same browser, another unit's link, asking for the first unit's submission
    sid = page.url.rsplit("/", 1)[1]
    r = page.goto(site["url"] + site["links"]["D02"] + f"/s/{sid}")
    assert r.status == 404 and "找不到页面" in page.inner_text("main")
    shot(page, "other-unit-refused")
    page.close()


def test_office_logs_in_sees_the_register_change_and_downloads_the_summary(browser, site):
    ctx = browser.new_context(accept_downloads=True, locale="zh-CN")
    page = ctx.new_page()
    page.goto(site["url"] + f"/office/{YEAR}")
    assert "/login" in page.url  # logged out: the login page, never the register
    shot(page, "office-login")
    page.fill("#pw", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url("**/office/2025")
    before = page.inner_text("#progress")
    shot(page, "office-register")
    # a department uploads meanwhile (not through this page): the register updates itself
    with httpx.Client(base_url=site["url"]) as dept:
        link = site["links"]["D02"]
        token = csrf_of(dept.get(link).text)
        with open(site["files"]["good"], "rb") as f:
            assert dept.post(link + "/upload", data={"csrf_token": token},
                             files={"file": ("财政局-年报.xlsx", f)}).status_code in (200, 303)
    from playwright.sync_api import expect

    expect(page.locator("#progress")).not_to_have_text(before, timeout=15000)  # no reload: desk.js refreshed it
    after = page.inner_text("#progress")
    assert "通过 1" in after
    assert "未返回（1）" in page.inner_text(".filters")  # the filters' counts are refreshed with the rows
    row = page.locator("#register tr", has_text="测试区财政局")
    assert "通过" in row.inner_text()
    shot(page, "office-register-updated")
    with page.expect_download() as dl:
        page.click("text=全区汇总表（.xlsx）")
    with zipfile.ZipFile(dl.value.path()) as z:
        assert "xl/workbook.xml" in z.namelist()
    page.click("text=测试区财政局")
    page.wait_for_selector("h1:has-text('测试区财政局')")
    shot(page, "office-unit")
    page.goto(site["url"] + "/office")
    shot(page, "office-collections")
    page.goto(site["url"] + f"/office/{YEAR}/missing")
    assert "&lt;script&gt;" not in page.inner_text("main") and "<script>alert(1)</script>" in page.inner_text("main")
    shot(page, "office-missing")
    ctx.close()


def test_department_drops_its_file_and_a_hostile_unit_name_stays_text(browser, site):
    good = site["files"]["drop"]
    # Playwright's evaluate needs eval, which the desk's CSP forbids: this context only lets the test build a drop
    ctx = browser.new_context(bypass_csp=True, locale="zh-CN")
    page = ctx.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(site["url"] + site["links"]["D03"])
    assert HOSTILE_NAME in page.inner_text("h1")  # shown as text, never run
    transfer = page.evaluate_handle(
        "([bytes, name]) => { const t = new DataTransfer();"
        " t.items.add(new File([new Uint8Array(bytes)], name)); return t; }", [list(good.read_bytes()), good.name])
    with page.expect_navigation():
        page.dispatch_event(".dropzone", "drop", {"dataTransfer": transfer})
    page.wait_for_selector("#verdict")
    assert "校验通过" in page.inner_text("main")
    assert dialogs == []
    shot(page, "department-after-drop")
    ctx.close()



def test_first_start_the_office_sets_its_password_in_the_browser(browser, tmp_path):
    server = Server(tmp_path / "fresh")
    try:
        page = browser.new_page(locale="zh-CN")
        page.goto(server.url + "/")
        assert page.url.endswith("/setup")
        shot(page, "office-setup")
        page.fill("#pw", "第一次设置的密码-2025")
        page.fill("#pw2", "第一次设置的密码-2025")
        page.click("button:has-text('设置密码')")
        page.wait_for_url("**/office")
        assert "还没有任何收集" in page.inner_text("main")
        shot(page, "office-collections-empty")
        page.click("button:has-text('退出登录')")
        page.wait_for_url("**/login")
        page.goto(server.url + "/office")
        assert page.url.endswith("/login?next=/office")
        page.close()
    finally:
        server.stop()
