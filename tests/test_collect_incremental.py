"""The register one return at a time (Register.add) is the register `collect` makes of the folder, whatever the
order the returns arrive in; and of two returns saved in the same second, the one received later counts."""
from __future__ import annotations

import copy
import datetime as dt
import os
import random

import pytest

from helpers import saved, write_return
from nianbao.collect import collect
from nianbao.formats import load_format
from nianbao.identity import load_key
from nianbao.register import Register, register_rows
from nianbao.returns import examine
from nianbao.roster import Unit
from nianbao.sample_data import random_valid_values

YEAR = 2025
FMT = load_format("2021")
ROSTER = [Unit(f"U{i}", f"测试区第{i}局", "部门") for i in range(1, 9)]


def _values(seed: int) -> dict:
    v = random_valid_values(FMT, random.Random(seed))
    return {k: 0 if k.startswith("t2.regulations.") else x for k, x in v.items()}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("incremental")
    key = load_key(base / "office.key")[0]
    ret = base / "returns"
    day = lambda d: dt.datetime(2026, 1, d, 9, 0, 0)  # noqa: E731
    final = {}

    def put(name, unit, seed, when, **kw):
        p = ret / name
        values = write_return(p, _values(seed) if "values" not in kw else kw.pop("values"), unit=unit.name,
                              code=unit.code, key=key, **kw)
        saved(p, when)
        return values

    u = {x.code: x for x in ROSTER}
    for n in (1, 2, 3, 4):
        final[f"U{n}"] = put(f"U{n}.xlsx", u[f"U{n}"], n, day(5))
    # U2 resubmits: an older failing try, then a correction
    bad = dict(_values(22), **{"t3.new.total": _values(22)["t3.new.total"] + 1})
    put("sub/U2-旧.xlsx", u["U2"], 0, day(3), values=bad)
    # U5 sends a failing correction after a passing return: the failing one counts (it is the latest word)
    put("U5-第一次.xlsx", u["U5"], 5, day(4))
    put("U5-更正.xlsx", u["U5"], 0, day(6), values=dict(_values(55), **{"t3.new.total": -1}))
    # U6's return under U7's file name (a note), U7 sends nothing
    final["U6"] = put("U7-测试区第7局.xlsx", u["U6"], 6, day(7))
    # a stranger, another year, another office, a broken file
    put("外单位.xlsx", Unit("X9", "区外单位"), 9, day(7))
    put("U8-去年.xlsx", u["U8"], 8, day(7), year=YEAR - 1)
    write_return(ret / "U8-外来.xlsx", _values(81), unit=u["U8"].name, code="U8", key=b"k" * 32)
    (ret / "损坏.xlsx").write_bytes((ret / "U1.xlsx").read_bytes()[:2000])
    files = sorted(p for p in ret.rglob("*.xlsx"))
    return dict(base=base, key=key, returns=ret, files=files, final=final)


def _view(reg) -> dict:
    return {"json": reg.to_json(), "rows": register_rows(reg), "summary": reg.summary,
            "included": [r.unit.code for r in reg.included]}


def test_added_in_any_order_equals_collect(folder):
    whole = collect(folder["returns"], ROSTER, YEAR, folder["key"], workers=1)
    expected = _view(whole)
    statuses = {u["code"]: u["status"] for u in expected["json"]["units"]}
    assert statuses == {"U1": "passed", "U2": "passed", "U3": "passed", "U4": "passed", "U5": "failed",
                        "U6": "passed", "U7": "missing", "U8": "missing"}
    assert len(expected["json"]["unusable"]) == 4  # another year, another office, broken, the stranger
    assert any("U7-测试区第7局.xlsx" in row[14] for row in expected["rows"] if row[1] == "U6")
    sums = {k: sum(folder["final"][c][k] for c in ("U1", "U2", "U3", "U4", "U6")) for k in FMT.cells}
    assert all(abs(expected["summary"][k] - sums[k]) < 1e-6 for k in FMT.cells)

    examined = [(p, examine(p, folder["key"])) for p in folder["files"]]
    for seed in range(6):
        order = examined[:]
        random.Random(seed).shuffle(order)
        reg = Register(FMT, YEAR, ROSTER, folder["returns"])
        for p, r in order:
            reg.add(p.relative_to(folder["returns"]).as_posix(), p, copy.deepcopy(r))
        assert _view(reg) == expected, f"order {seed}"


def test_summary_follows_each_arrival_without_resumming(folder):
    """After every arrival the running summary is the sum over the units included at that moment."""
    reg = Register(FMT, YEAR, ROSTER, folder["returns"])
    order = folder["files"][:]
    random.Random(7).shuffle(order)
    for p in order:
        reg.add(p.name, p, examine(p, folder["key"]))
        want = {k: sum(r.latest.result["values"][k] for r in reg.included) for k in FMT.cells}
        assert all(abs(reg.summary[k] - want[k]) < 1e-6 for k in FMT.cells), p.name


def test_same_save_time_the_later_received_counts_then_the_name(tmp_path):
    key = load_key(tmp_path / "office.key")[0]
    unit = ROSTER[0]
    when = dt.datetime(2026, 1, 9, 10, 0, 0)
    first, second = _values(1), _values(2)
    # the later one is named to sort first: the name must not decide
    write_return(tmp_path / "r" / "z-第一次.xlsx", first, unit=unit.name, code=unit.code, key=key)
    write_return(tmp_path / "r" / "a-第二次.xlsx", second, unit=unit.name, code=unit.code, key=key)
    for name, t in (("z-第一次.xlsx", 1_700_000_000), ("a-第二次.xlsx", 1_700_000_500)):
        saved(tmp_path / "r" / name, when)
        os.utime(tmp_path / "r" / name, (t, t))
    reg = collect(tmp_path / "r", ROSTER[:1], YEAR, key, workers=1)
    rec = reg.records[0]
    assert [s.file for s in rec.submissions] == ["z-第一次.xlsx", "a-第二次.xlsx"]
    assert reg.summary["t3.new.total"] == second["t3.new.total"]
    # same save time and same modification time: only then the name (the later in sort order counts)
    os.utime(tmp_path / "r" / "z-第一次.xlsx", (1_700_000_500, 1_700_000_500))
    reg = collect(tmp_path / "r", ROSTER[:1], YEAR, key, workers=1)
    assert reg.records[0].latest.file == "z-第一次.xlsx"


# ------------------------------------------------------------------------------------------------ property
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KEYS = list(FMT.cells)
DECIMAL = [FMT.cells[k].type == "decimal" for k in KEYS]


@st.composite
def arrivals(draw):
    """Examined returns as `returns.examine` gives them, without files: roster units and strangers, passing or
    failing, some unusable, saved in a few seconds only (ties) and received one after the other."""
    n = draw(st.integers(1, 14))
    out = []
    for i in range(n):
        who = draw(st.sampled_from(ROSTER[:4] + [Unit("X1", "区外单位")]))
        kind = draw(st.sampled_from(["ok", "ok", "error", "unreadable", "other_year"]))
        values = tuple(round(draw(st.integers(0, 10 ** 6)) / 10 ** 4, 4) if dec else draw(st.integers(0, 9))
                       for dec in DECIMAL)
        findings = [{"rule": "T3-02", "severity": "error", "message": "不相等", "cells": []}] \
            if kind == "error" else []
        r = {"file": f"f{i}", "unit": who.name, "unit_code": who.code, "layout": FMT.layout, "findings": findings,
             "year": YEAR - 1 if kind == "other_year" else YEAR, "values": values, "sha256": f"{i:064x}",
             "saved_at": f"2026-01-0{draw(st.integers(1, 2))}T10:00:00Z", "saved_from": "core",
             "received_at": f"2026-01-10T10:00:{i:02d}.000000Z", "explanations": {}}
        if kind == "unreadable":
            r = {"file": f"f{i}", "unit": None, "findings": [], "error": "文件已损坏"}
        out.append((draw(st.sampled_from(["a.xlsx", "b.xlsx", "c.xlsx"])) + f"-{i}", r))
    return out


@settings(max_examples=40, deadline=None)
@given(arrivals(), st.randoms(use_true_random=False))
def test_any_order_of_arrival_gives_one_register_and_the_latest_counts(items, rnd):
    def build(order):
        reg = Register(FMT, YEAR, ROSTER)
        for name, r in order:
            reg.add(name, None, copy.deepcopy(r))
        return reg

    first = build(items)
    shuffled = items[:]
    rnd.shuffle(shuffled)
    assert _view(build(shuffled)) == _view(first)
    # by hand: per roster unit the usable return saved last, then received last, then named last, counts
    want = {k: 0 for k in KEYS}
    for unit in ROSTER:
        mine = [(r["saved_at"], r["received_at"], name, r) for name, r in items
                if not r.get("error") and r["unit_code"] == unit.code and r["year"] == YEAR]
        latest = max(mine, key=lambda x: x[:3])[3] if mine else None
        counted = first.record(unit.code).latest
        assert (counted and counted.result["sha256"]) == (latest and latest["sha256"])
        if latest is not None and not latest["findings"]:
            for k, v in zip(KEYS, latest["values"]):
                want[k] += v
    assert all(abs(first.summary[k] - want[k]) < 1e-6 for k in KEYS)
