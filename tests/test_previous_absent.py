"""Last year for many units (a district summary, a folder of last year's returns, the desk's uploaded data) and a
return whose unit is not among them: `check` and the desk say, in a 说明 naming the unit, that the cross-year
checks (Y-01, Y-02, Y-03) did not run — never silence, which reads as a pass. The 说明 is no warning: the return
still passes, nothing asks the department to explain it."""
from __future__ import annotations

import json
import random

import pytest
from starlette.testclient import TestClient

import nianbao
from desk_helpers import YEAR, HOSTILE_NAME, csrf_of, link_path, login, signed_return, upload
from helpers import run_cli, write_return
from nianbao import collect as coll
from nianbao.desk.app import create_app
from nianbao.formats import load_format
from nianbao.identity import load_key
from nianbao.last_year import cross_year_rules
from nianbao.roster import Unit
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import read
from nianbao.xlsx_template import build_workbook
from test_desk_web import desk  # noqa: F401  (the fixture: a workspace with its roster)

FMT = load_format("2021")
RULES = [r.id for r in cross_year_rules(FMT)]
THERE = [Unit("A01", "测试区教育局"), Unit("A02", "测试区财政局")]  # last year holds these two
ABSENT = Unit("A03", "测试区民政局")


def notices(result: dict) -> list[dict]:
    return [f for f in result["findings"] if f["severity"] == "info"]


def said_absent(notice: dict, unit: Unit) -> bool:
    return f"“{unit.name}（{unit.code}）”" in notice["message"] and all(
        f"{r.id} {r.name}" in notice["message"] for r in cross_year_rules(FMT)) and "未进行" in notice["message"]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """Last year's two returns, their district summary (collect), and this year's valid returns of all three."""
    d = tmp_path_factory.mktemp("office")
    key, _, _ = load_key(d / "office.key")
    for i, u in enumerate(THERE):
        write_return(d / "上年" / f"{u.code}.xlsx", random_valid_values(FMT, random.Random(i)), u.name, u.code, 2024,
                     key=key)
    c = coll.collect(d / "上年", THERE, 2024, key, workers=1)
    coll.write_outputs(c, d / "汇总", key, "测试区", formats=())
    for i, u in enumerate(THERE + [ABSENT]):
        write_return(d / "本年" / f"{u.code}.xlsx", random_valid_values(FMT, random.Random(10 + i)), u.name, u.code,
                     2025, key=key)
    return d


@pytest.mark.parametrize("source", ["汇总/汇总.xlsx", "上年"])
def test_check_says_which_cross_year_checks_did_not_run_for_a_unit_last_year_lacks(office, source):
    r = run_cli("check", office / "本年", "--previous", office / source, "--key-file", office / "office.key", "--json")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr  # A01/A02 contradict their last year
    results = {x["unit_code"]: x for x in json.loads(r.stdout)}
    absent = results[ABSENT.code]
    assert absent["ok"] and len(notices(absent)) == 1 and said_absent(notices(absent)[0], ABSENT), absent["findings"]
    assert notices(absent)[0]["rule"] == "/".join(RULES)
    assert not any(f["rule"].startswith("Y-") and f["severity"] != "info" for f in absent["findings"])
    for u in THERE:  # checked against their own last year: Y-01 findings, no 说明
        assert any(f["rule"] == "Y-01" for f in results[u.code]["findings"]) and not notices(results[u.code])
    text = run_cli("check", office / "本年" / f"{ABSENT.code}.xlsx", "--previous", office / source,
                   "--key-file", office / "office.key")
    assert text.returncode == 0, text.stdout + text.stderr  # a 说明 does not fail the return
    line = next(x for x in text.stdout.splitlines() if "上年数据中没有" in x)
    assert line.strip().startswith(f"[说明 {'/'.join(RULES)}]") and f"“{ABSENT.name}（{ABSENT.code}）”" in line
    assert "校验通过" in text.stdout and "警告" not in text.stdout


def test_a_return_carrying_its_own_last_year_gets_no_notice(office, tmp_path):
    """Its template carried last year (signed): check compares with that when the summary lacks the unit."""
    key, _, _ = load_key(office / "office.key")
    last = random_valid_values(FMT, random.Random(5))
    carried = nianbao.Filing.from_values(FMT, last, identity={"unit": ABSENT.name, "unit_code": ABSENT.code,
                                                              "year": "2024"})
    ret = tmp_path / "带上年.xlsx"
    ret.write_bytes(build_workbook(FMT, {"unit": ABSENT.name, "unit_code": ABSENT.code, "year": 2025},
                                   values=random_valid_values(FMT, random.Random(6)), key=key, previous=carried))
    assert read(ret).previous is not None
    r = run_cli("check", ret, "--previous", office / "汇总" / "汇总.xlsx", "--key-file", office / "office.key",
                "--json")
    result = json.loads(r.stdout)[0]
    assert not notices(result) and any(f["rule"] == "Y-01" for f in result["findings"]), result["findings"]


def test_one_file_of_last_year_of_another_unit_is_used_and_said(office):
    """One return of last year (not a summary of many units) is used for every return, as check --previous always
    has; when it is another unit's, a 说明 names both, so a wrong file given is seen, and the return still passes."""
    r = run_cli("check", office / "本年" / f"{ABSENT.code}.xlsx", "--previous", office / "上年" / "A01.xlsx",
                "--json")
    result = json.loads(r.stdout)[0]
    assert any(f["rule"] == "Y-01" for f in result["findings"])  # compared with it, as asked
    (notice,) = notices(result)
    assert f"“{THERE[0].name}（{THERE[0].code}）”" in notice["message"], notice
    assert f"“{ABSENT.name}（{ABSENT.code}）”" in notice["message"] and notice["rule"] == "/".join(RULES)
    text = run_cli("check", office / "本年" / f"{ABSENT.code}.xlsx", "--previous", office / "上年" / "A01.xlsx")
    assert "[说明 " in text.stdout and THERE[0].name in text.stdout, text.stdout
    own = run_cli("check", office / "本年" / f"{THERE[0].code}.xlsx", "--previous", office / "上年" / "A01.xlsx",
                  "--json")
    assert not notices(json.loads(own.stdout)[0])  # its own last year: nothing to say


# ------------------------------------------------------------------------------------------------ the desk
@pytest.fixture
def office_client(desk):  # noqa: F811
    with TestClient(create_app(desk, "http://127.0.0.1:8750"), raise_server_exceptions=False) as c:
        assert login(c).status_code == 303
        yield c


def test_the_desk_says_so_on_the_verdict_of_a_unit_its_last_year_lacks(desk, office_client, tmp_path):  # noqa: F811
    last = []
    for n, (code, name) in enumerate([("D01", "测试区教育局"), ("D02", "测试区财政局")]):
        path = tmp_path / f"{YEAR - 1}-{code}.xlsx"
        write_return(path, random_valid_values(FMT, random.Random(100 + n), scale=20), name, code, YEAR - 1,
                     key=desk.office_key())
        last.append((path.name, path.read_bytes()))
    token = csrf_of(office_client.get(f"/office/{YEAR}").text)
    r = office_client.post(f"/office/{YEAR}/last-year", data={"csrf_token": token, "action": "upload"},
                           files=[("file", (n, b, "application/octet-stream")) for n, b in last],
                           follow_redirects=False)
    assert r.status_code == 303
    dept = TestClient(office_client.app, raise_server_exceptions=False)
    subs = {}
    for code, name in [("D02", "测试区财政局"), ("D03", HOSTILE_NAME)]:
        f = signed_return(desk, tmp_path / f"{code}.xlsx", code, name, seed=7)  # templates without last year
        r = upload(dept, link_path(desk, code), f)
        assert r.status_code == 303
        subs[code] = (desk.submission(int(r.headers["location"].rsplit("/", 1)[1])), dept.get(r.headers["location"]))
    sub, page = subs["D03"]
    found = notices(sub.result)
    assert len(found) == 1 and said_absent(found[0], Unit("D03", HOSTILE_NAME)), sub.result["findings"]
    assert sub.status == "passed" and "校验通过。" in page.text  # a 说明, not a warning to explain
    assert found[0]["message"].replace("<", "&lt;").replace(">", "&gt;") in page.text.replace("&#34;", '"')
    assert "<script>" not in page.text and "保存说明" not in page.text
    sub, page = subs["D02"]  # held: compared with its own last year, no 说明
    assert not notices(sub.result) and any(f["rule"] == "Y-01" for f in sub.result["findings"])


def test_collect_says_so_too(office, tmp_path):
    """collect --previous: the unit last year lacks passes as before, and the 说明 is printed and in the JSON."""
    roster = tmp_path / "名单.csv"
    roster.write_text("单位代码,单位名称\n" + "".join(f"{u.code},{u.name}\n" for u in THERE + [ABSENT]),
                      encoding="utf-8")
    args = ["collect", office / "本年", "--roster", roster, "--year", "2025", "--previous", office / "上年",
            "--no-report", "--key-file", office / "office.key"]
    text = run_cli(*args, "-o", tmp_path / "out")
    assert text.returncode == 1 and "Traceback" not in text.stderr  # A01/A02 contradict their last year
    (line,) = [x for x in text.stdout.splitlines() if "上年数据中没有" in x]
    assert line.strip().startswith(f"{ABSENT.code} {ABSENT.name} — 说明：")
    data = json.loads(run_cli(*args, "-o", tmp_path / "out2", "--json").stdout)
    units = {u["code"]: u for u in data["units"]}
    assert units[ABSENT.code]["status"] == "passed" and len(units[ABSENT.code]["notices"]) == 1
    assert said_absent({"message": units[ABSENT.code]["notices"][0]}, ABSENT)
    assert all(units[u.code]["notices"] == [] for u in THERE)
