"""Collect at scale: beyond BREAKDOWN_SHEET_MAX units the breakdown streams to CSV instead of the summary sheet."""
from __future__ import annotations

import csv
import random

import openpyxl

from nianbao import collect as coll
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
    monkeypatch.setattr(coll, "BREAKDOWN_SHEET_MAX", 3)
    c = coll.collect(tmp_path / "in", roster, 2025, key, workers=1)
    out = coll.write_outputs(c, tmp_path / "out", key, "测试区", formats=())
    assert not [f for f in out.summary_findings if f["severity"] == "error"]
    rows = list(csv.reader(open(tmp_path / "out" / coll.BREAKDOWN_CSV, encoding="utf-8-sig")))
    keys = rows[1][2:]
    assert keys == list(fmt.cells) and [r[0] for r in rows[2:7]] == [u.code for u in roster]
    total = dict(zip(keys, rows[7][2:]))
    assert rows[7][1] == "合计"
    for k in fmt.cells:
        assert abs(float(total[k]) - expected[k]) < 1e-6, k
        assert sum(float(r[2 + keys.index(k)]) for r in rows[2:7]) == float(total[k])
    ws = openpyxl.load_workbook(tmp_path / "out" / "汇总.xlsx")["分单位明细"]
    notes = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(coll.BREAKDOWN_CSV in n for n in notes)
