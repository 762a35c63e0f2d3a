"""Collect at scale: beyond BREAKDOWN_SHEET_MAX units the breakdown streams to CSV instead of the summary sheet."""
from __future__ import annotations

import csv
import random

import openpyxl

from nianbao import collect as coll
from nianbao.summary import BREAKDOWN_CSV
from nianbao.formats import load_format
from nianbao.identity import load_key
from nianbao.roster import Unit
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_template import build_workbook


def test_breakdown_goes_to_csv_for_many_units(tmp_path):
    fmt = load_format("2021")
    key, _, _ = load_key(tmp_path / "office.key")
    roster = [Unit(f"U{i}", f"测试区第{i}局") for i in range(5)]
    expected = {k: 0 for k in fmt.cells}
    for i, u in enumerate(roster):
        values = random_valid_values(fmt, random.Random(i))
        for k in fmt.cells:
            expected[k] += values[k]
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"{u.code}.xlsx").write_bytes(
            build_workbook(fmt, {"unit": u.name, "unit_code": u.code, "year": 2025}, values=values, key=key))
    c = coll.collect(tmp_path / "in", roster, 2025, key, workers=1)
    # (above 2,000 units in real use: the threshold lowered to 3 so that 5 units are "many")
    out = coll.write_outputs(c, tmp_path / "out", key, "测试区", formats=(), breakdown_sheet_max=3)
    assert not [f for f in out.summary_findings if f["severity"] == "error"]
    rows = list(csv.reader(open(tmp_path / "out" / BREAKDOWN_CSV, encoding="utf-8-sig")))
    keys = rows[1][2:]
    assert keys == list(fmt.cells) and [r[0] for r in rows[2:7]] == [u.code for u in roster]
    total = dict(zip(keys, rows[7][2:]))
    assert rows[7][1] == "合计"
    for k in fmt.cells:
        assert abs(float(total[k]) - expected[k]) < 1e-6, k
        assert sum(float(r[2 + keys.index(k)]) for r in rows[2:7]) == float(total[k])
    ws = openpyxl.load_workbook(tmp_path / "out" / "汇总.xlsx")["分单位明细"]
    notes = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(BREAKDOWN_CSV in n for n in notes)


def _office_and_roster(tmp_path, n: int):
    """The office's key file and key, and a roster of n units written to roster.csv."""
    key_file = tmp_path / "office.key"
    key, _, _ = load_key(key_file)
    roster = [Unit(f"U{i:02d}", f"测试区第{i}局") for i in range(n)]
    (tmp_path / "roster.csv").write_text("单位代码,单位名称\n" + "".join(f"{u.code},{u.name}\n" for u in roster),
                                         encoding="utf-8")
    return key_file, key, roster


def test_many_send_backs_are_made_in_parallel_and_one_that_cannot_be_made_is_named(tmp_path):
    """20 failing returns: each gets its annotated copy (a process pool makes them); one whose attachment carries
    a DTD gets none, and the run says which and why instead of stopping."""
    import zipfile

    from helpers import run_cli

    fmt = load_format("2021")
    key_file, key, roster = _office_and_roster(tmp_path, 20)
    for i, u in enumerate(roster):
        values = random_valid_values(fmt, random.Random(i))
        values["t3.new.total"] += 1  # T3-… fails
        path = tmp_path / "in" / f"{u.code}.xlsx"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(build_workbook(fmt, {"unit": u.name, "unit_code": u.code, "year": 2025}, values=values,
                                        key=key))
    with zipfile.ZipFile(tmp_path / "in" / "U07.xlsx", "a") as z:
        z.writestr("xl/media/image9.bin", b"\x00" * 10 + b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>')
    r = run_cli("collect", tmp_path / "in", "--roster", tmp_path / "roster.csv", "--year", "2025", "-o",
                tmp_path / "out", "--key-file", key_file, "--no-report")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    made = sorted(p.name for p in (tmp_path / "out" / coll.SENDBACK_DIR).iterdir())
    assert made == [f"U{i:02d}-批注.xlsx" for i in range(20) if i != 7]
    assert "U07" in r.stderr and "DTD" in r.stderr and "批注副本" in r.stderr
    ws = openpyxl.load_workbook(tmp_path / "out" / coll.SENDBACK_DIR / "U03-批注.xlsx")["表三"]
    assert any(c.comment and "T3-" in c.comment.text for row in ws.iter_rows() for c in row)


def test_last_years_big_district_summary_gives_each_unit_its_breakdown_row(tmp_path):
    """template --previous and check --previous with last year's summary whose breakdown went to its CSV: each
    unit gets its own row of the CSV beside the summary; without the CSV both say so in Chinese and stop."""
    import shutil

    from helpers import run_cli
    from nianbao.xlsx_read import read

    fmt = load_format("2021")
    key_file, key, roster = _office_and_roster(tmp_path, 4)
    last = {u.code: random_valid_values(fmt, random.Random(30 + i)) for i, u in enumerate(roster)}
    for u in roster:
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"{u.code}.xlsx").write_bytes(
            build_workbook(fmt, {"unit": u.name, "unit_code": u.code, "year": 2024}, values=last[u.code], key=key))
    c = coll.collect(tmp_path / "in", roster, 2024, key, workers=1)
    coll.write_outputs(c, tmp_path / "2024", key, "测试区", formats=(), breakdown_sheet_max=2)
    summary_path = tmp_path / "2024" / coll.SUMMARY_NAME
    assert (tmp_path / "2024" / BREAKDOWN_CSV).is_file()
    assert not any(r[1] == roster[0].name for r in openpyxl.load_workbook(summary_path)["分单位明细"].iter_rows(
        values_only=True))  # the units are in the CSV only
    r = run_cli("template", "--year", 2025, "--roster", tmp_path / "roster.csv", "--key-file", key_file,
                "--previous", summary_path, "-o", tmp_path / "模板")
    assert r.returncode == 0, r.stderr
    for u in roster:
        filing = read(next((tmp_path / "模板").glob(f"{u.code}-*.xlsx")))
        assert filing.previous.unit == u.name and filing.previous.values == last[u.code], u.code
    # check --previous: a unit's return is compared with its own row (Y-01 against its 结转下年度, not the district's)
    this = random_valid_values(fmt, random.Random(99))
    u = roster[2]
    ret = tmp_path / "返回.xlsx"
    ret.write_bytes(build_workbook(fmt, {"unit": u.name, "unit_code": u.code, "year": 2025}, values=this, key=key))
    r = run_cli("check", ret, "--previous", summary_path, "--key-file", key_file, "--json")
    import json

    y01 = {f["keys"][0]: f["expected"] for f in json.loads(r.stdout)[0]["findings"] if f["rule"] == "Y-01"}
    want = {f"t3.carried_over.{col.key}": last[u.code][f"t3.carry_forward.{col.key}"]
            for col in fmt.tables["t3"].columns
            if this[f"t3.carried_over.{col.key}"] != last[u.code][f"t3.carry_forward.{col.key}"]}
    assert want and y01 == want
    # the summary without its CSV: a clear refusal, no traceback, nothing written
    alone = tmp_path / "只有汇总表"
    alone.mkdir()
    shutil.copy(summary_path, alone / coll.SUMMARY_NAME)
    for cmd in (["template", "--year", 2025, "--roster", tmp_path / "roster.csv", "--key-file", key_file,
                 "--previous", alone / coll.SUMMARY_NAME, "-o", tmp_path / "模板2"],
                ["check", ret, "--previous", alone / coll.SUMMARY_NAME, "--key-file", key_file]):
        r = run_cli(*cmd)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert f"{BREAKDOWN_CSV} 中" in r.stderr and "请把它与汇总表放在一起" in r.stderr, r.stderr
    assert not (tmp_path / "模板2").exists()
