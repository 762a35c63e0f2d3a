"""Small builders shared by tests: filled returns written to disk, CLI runs."""
from __future__ import annotations

import datetime as dt
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from nianbao.formats import load_format
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_template import build_workbook


def write_return(path: Path, values=None, unit="测试区教育局", code="T01", year=2025, seed=0, key=None,
                 narrative=None, layout="2021") -> dict:
    fmt = load_format(layout)
    if values is None:
        values = random_valid_values(fmt, random.Random(seed))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_workbook(fmt, {"unit": unit, "unit_code": code, "year": year}, values=values,
                                    narrative=narrative, key=key))
    return values


def run_cli(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def saved(path: Path, when: dt.datetime):
    """Set the save time a spreadsheet program stamps into docProps/core.xml (openpyxl stamps 'now')."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\2", data)
            z.writestr(info, data)


def rewrite_sheets(data: bytes, change) -> bytes:
    """The workbook with each worksheet's XML passed through change(text) -> text, e.g. to make cached formula
    results stale, so that only a real recalculation shows the truth."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            member = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                member = change(member.decode("utf-8")).encode("utf-8")
            z.writestr(info, member)
    return out.getvalue()


def consistent_last_year(fmt, values: dict, **changes) -> dict:
    """Last year's values that the cross-year rules accept for this year's `values`: 结转下年度 = this year's
    上年结转, 现行有效 = this year's less what was issued plus what was repealed (at least 0); then `changes`."""
    last = dict(values)
    for col in (c.key for c in fmt.tables["t3"].columns):
        last[f"t3.carry_forward.{col}"] = values[f"t3.carried_over.{col}"]
    for row in ("regulations", "normative_docs"):
        last[f"t2.{row}.in_force"] = max(values[f"t2.{row}.in_force"] - values[f"t2.{row}.issued"]
                                         + values[f"t2.{row}.repealed"], 0)
    return last | changes
