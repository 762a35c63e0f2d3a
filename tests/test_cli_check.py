"""`nianbao check` as a user runs it: verdicts, exit codes, JSON, annotated copies, untouched inputs."""
from __future__ import annotations

import hashlib
import json

import openpyxl

from helpers import run_cli, write_return


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_valid_return_passes_with_exit_0(tmp_path):
    write_return(tmp_path / "ok.xlsx", seed=1)
    r = run_cli("check", tmp_path / "ok.xlsx")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "校验通过" in r.stdout and "测试区教育局" in r.stdout


def test_error_is_reported_with_sheet_and_cell_and_exit_1(tmp_path):
    values = write_return(tmp_path / "bad.xlsx", seed=2)
    values["t3.new.natural_person"] += 1
    write_return(tmp_path / "bad.xlsx", values=values)
    r = run_cli("check", tmp_path / "bad.xlsx")
    assert r.returncode == 1
    assert "T3-01" in r.stdout and "表三!D5" in r.stdout and "自然人" in r.stdout
    assert "Traceback" not in r.stderr


def test_json_output_schema(tmp_path):
    values = write_return(tmp_path / "a" / "bad.xlsx", seed=3)
    values["t4.review.total"] += 2
    write_return(tmp_path / "a" / "bad.xlsx", values=values)
    write_return(tmp_path / "a" / "b" / "ok.xlsx", seed=4, unit="测试区财政局", code="T02")
    r = run_cli("check", tmp_path / "a", "--json")
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert len(data) == 2  # the folder is searched recursively
    by_unit = {d["unit"]: d for d in data}
    assert by_unit["测试区财政局"]["ok"] is True
    bad = by_unit["测试区教育局"]
    assert bad["ok"] is False and bad["unit_code"] == "T01" and bad["year"] == 2025 and bad["layout"] == "2021"
    f = next(f for f in bad["findings"] if f["rule"] == "T4-01")
    assert set(f) >= {"rule", "severity", "keys", "cells", "expected", "actual", "message"}
    assert f["severity"] == "error" and "t4.review.total" in f["keys"] and "表四!E5" in f["cells"]
    assert f["actual"] - f["expected"] == 2


def test_unreadable_file_does_not_stop_the_others_and_exits_2(tmp_path):
    write_return(tmp_path / "ok.xlsx", seed=5)
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not a zip")
    (tmp_path / "text.xlsx").write_text("单位,数量\n教育局,3\n", encoding="utf-8")
    r = run_cli("check", tmp_path)
    assert r.returncode == 2
    assert "ok.xlsx" in r.stdout and "校验通过" in r.stdout
    assert "broken.xlsx" in r.stdout and "text.xlsx" in r.stdout and "无法读取" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_misuse_exits_2_in_chinese(tmp_path):
    r = run_cli("check", tmp_path / "nowhere.xlsx")
    assert r.returncode == 2 and "找不到" in r.stderr and "Traceback" not in r.stderr


def test_lenient_reading_warns_but_passes(tmp_path):
    values = write_return(tmp_path / "x.xlsx", seed=6)
    wb = openpyxl.load_workbook(tmp_path / "x.xlsx")
    ws = wb["表三"]
    ws["D5"].value = "  " + "".join(chr(ord(c) + 0xFEE0) for c in str(values["t3.new.natural_person"])) + " "
    wb.save(tmp_path / "x.xlsx")
    r = run_cli("check", tmp_path / "x.xlsx", "--json")
    data = json.loads(r.stdout)[0]
    assert r.returncode == 0 and data["ok"]
    assert all(f["severity"] == "warning" for f in data["findings"])
    d5 = [f for f in data["findings"] if f["cells"] == ["表三!D5"]]
    assert [f["rule"] for f in d5] == ["C01"] and "已按" in d5[0]["message"]


def test_annotate_writes_a_marked_copy_and_leaves_the_input_alone(tmp_path):
    src = tmp_path / "in"
    values = write_return(src / "bad.xlsx", seed=7)
    values["t3.carry_forward.other_org"] += 1
    values["t2.licensing.decisions"] = None
    write_return(src / "bad.xlsx", values=values)
    write_return(src / "ok.xlsx", seed=8, unit="测试区财政局", code="T02")
    before = digest(src)
    r = run_cli("check", src, "--annotate", tmp_path / "out")
    assert r.returncode == 1
    assert digest(src) == before
    outs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert outs == ["bad-批注.xlsx"]  # only the failing return gets a copy
    wb = openpyxl.load_workbook(tmp_path / "out" / "bad-批注.xlsx")
    assert wb.sheetnames[0] == "校验问题"
    c = wb["表三"]["I29"]
    assert c.comment is not None and "T3-01" in c.comment.text
    assert c.fill.fgColor.rgb.endswith("FFC7CE")
    assert "C03" in wb["表二"]["B8"].comment.text
    rules = {row[0] for row in wb["校验问题"].iter_rows(min_row=2, values_only=True)}
    assert rules == {"T3-01", "T3-02", "C03"}


def test_the_annotated_copy_keeps_every_sheet_formula_and_property_of_the_return(tmp_path):
    """The copy is the department's workbook to fix: its instructions, its live checks and its identity stay."""
    src = tmp_path / "in" / "bad.xlsx"
    values = write_return(src, seed=7)
    values["t3.carry_forward.other_org"] += 1
    write_return(src, values=values)
    r = run_cli("check", src, "--annotate", tmp_path / "out")
    assert r.returncode == 1
    before = openpyxl.load_workbook(src)
    after = openpyxl.load_workbook(tmp_path / "out" / "bad-批注.xlsx")
    assert after.sheetnames == ["校验问题"] + before.sheetnames
    for ws in before.worksheets:
        formulas = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.data_type == "f"}
        assert formulas == {c.coordinate: c.value for row in after[ws.title].iter_rows() for c in row
                            if c.data_type == "f"}, ws.title
        assert after[ws.title].sheet_state == ws.sheet_state
    assert after.custom_doc_props["nianbao_unit"].value == before.custom_doc_props["nianbao_unit"].value


def test_formula_in_an_input_cell_is_not_trusted(tmp_path):
    write_return(tmp_path / "f.xlsx", seed=9)
    wb = openpyxl.load_workbook(tmp_path / "f.xlsx")
    wb["表四"]["A5"].value = "=1/0"
    wb.save(tmp_path / "f.xlsx")
    r = run_cli("check", tmp_path / "f.xlsx", "--json")
    data = json.loads(r.stdout)[0]
    assert r.returncode == 1
    f = next(f for f in data["findings"] if f["cells"] == ["表四!A5"])
    assert f["rule"] == "C01" and "公式" in f["message"]


def test_misused_commands_answer_in_chinese():
    for args, expected in [(["check"], "缺少参数"), (["check", "--bogus", "x"], "没有选项 --bogus"),
                           (["template", "--year", "abc", "--unit", "x", "-o", "y"], "“abc”不是整数"),
                           (["nosuch"], "没有命令")]:
        r = run_cli(*args)
        assert r.returncode == 2, args
        assert expected in r.stderr and "用法错误" in r.stderr and "Error" not in r.stderr, (args, r.stderr)


def test_help_pages_are_chinese():
    for args in (["--help"], ["check", "--help"], ["collect", "-h"]):
        r = run_cli(*args)
        assert r.returncode == 0 and "用法：" in r.stdout and "选项" in r.stdout and "显示本帮助并退出" in r.stdout
        assert "Show this message" not in r.stdout and "Usage:" not in r.stdout
