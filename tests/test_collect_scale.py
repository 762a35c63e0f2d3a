"""Collect at scale: beyond BREAKDOWN_SHEET_MAX units the breakdown streams to CSV instead of the summary sheet."""
from __future__ import annotations

import csv
import random

import openpyxl

from nianbao import collect as coll
from nianbao import summary
from nianbao.summary import BREAKDOWN_CSV
from nianbao.formats import load_format
from nianbao.identity import load_key
from nianbao.roster import Unit
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_template import build_workbook


def test_breakdown_goes_to_csv_for_many_units(tmp_path, monkeypatch):
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
    monkeypatch.setattr(summary, "BREAKDOWN_SHEET_MAX", 3)
    c = coll.collect(tmp_path / "in", roster, 2025, key, workers=1)
    out = coll.write_outputs(c, tmp_path / "out", key, "测试区", formats=())
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


def test_many_send_backs_are_made_in_parallel_and_one_that_cannot_be_made_is_named(tmp_path):
    """20 failing returns: each gets its annotated copy (a process pool makes them); one whose attachment carries
    a DTD gets none, and the run says which and why instead of stopping."""
    import zipfile

    from helpers import run_cli

    fmt = load_format("2021")
    key_file = tmp_path / "office.key"
    key, _, _ = load_key(key_file)
    roster = [Unit(f"U{i:02d}", f"测试区第{i}局") for i in range(20)]
    (tmp_path / "roster.csv").write_text("单位代码,单位名称\n" + "".join(f"{u.code},{u.name}\n" for u in roster),
                                         encoding="utf-8")
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
