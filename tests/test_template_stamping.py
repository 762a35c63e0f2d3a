"""Stamping a unit's template appends what changes per unit (the identity, last year's values) to the members the
same in every template, compressed once per base: the workbook a department gets holds exactly what compressing
every member for it would hold, with and without last year, and no member twice."""
from __future__ import annotations

import io
import random
import zipfile

import pytest

from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import read
from nianbao.xlsx_template import build_workbook

FMT = load_format("2021")


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert len(names) == len(set(names))
        return {n: z.read(n) for n in names}


@pytest.mark.parametrize("with_last_year", [False, True])
def test_a_stamped_template_holds_what_compressing_every_member_would(with_last_year, tmp_path):
    last = None
    if with_last_year:
        last = Filing.from_values(FMT, random_valid_values(FMT, random.Random(3)),
                                  identity={"unit": "测试区教育局", "unit_code": "T01", "year": "2024"})
    key = bytes(range(32))
    out = {}
    for unit, code in [("测试区教育局", "T01"), ("测试区财政局", "T02")]:
        identity = {"unit": unit, "unit_code": code, "year": 2025, "template_id": f"id-{code}",
                    "generated_at": "2025-12-01T08:00:00+08:00"}
        fast = build_workbook(FMT, identity, key=key, previous=last)
        whole = build_workbook(FMT, identity, key=key, previous=last, rewrite=lambda name, data: data)  # every one
        assert members(fast) == members(whole)
        (tmp_path / f"{code}.xlsx").write_bytes(fast)
        filing = read(tmp_path / f"{code}.xlsx")
        assert filing.unit == unit and filing.unit_code == code and not filing.findings
        assert (filing.previous is not None) == with_last_year
        out[code] = members(fast)
    assert out["T01"] != out["T02"]  # each its own identity
