"""Last year inside the template (template --previous) and blanks grouped per table: what a department receives,
what `check` makes of it, and that the stamped last-year values cannot be edited to silence the check."""
from __future__ import annotations

import csv
import io
import json
import random

import openpyxl
import pytest

import nianbao
from helpers import run_cli, write_return
from nianbao.checks import check
from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.identity import load_key, verify
from nianbao.last_year import stamps
from nianbao.report import render
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import read
from nianbao.xlsx_template import build_workbook
from test_roundtrip import fill_by_labels

UNIT, CODE = "测试区教育局", "T01"
NARRATIVE = {"overview": "主动公开。依申请公开。", "problems": "问题。改进。", "other": "未收取信息处理费。"}


@pytest.fixture(scope="module")
def fmt():
    return load_format("2021")


@pytest.fixture(scope="module")
def last_year(fmt):
    return random_valid_values(fmt, random.Random(7), scale=20, zero_share=0.2)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    d = tmp_path_factory.mktemp("office")
    key, path, _ = load_key(d / "office.key")
    return key, path


def consistent(fmt, this: dict, last: dict) -> dict:
    """This year's values moved to agree with last year's (Y-01, Y-02), every table identity kept."""
    this = dict(this)
    cols = [c.key for c in fmt.tables["t3"].columns if c.key != "total"]
    for col in cols:
        k = last[f"t3.carry_forward.{col}"] - this[f"t3.carried_over.{col}"]
        this[f"t3.carried_over.{col}"] += k
        this[f"t3.carry_forward.{col}" if k >= 0 else f"t3.new.{col}"] += abs(k)
    for row in ("new", "carried_over", "carry_forward"):
        this[f"t3.{row}.total"] = sum(this[f"t3.{row}.{c}"] for c in cols)
    for row in ("regulations", "normative_docs"):
        this[f"t2.{row}.repealed"] = 0
        this[f"t2.{row}.in_force"] = last[f"t2.{row}.in_force"] + this[f"t2.{row}.issued"]
    return this


def instructions(path) -> str:
    ws = openpyxl.load_workbook(path, read_only=True)["填报说明"]
    return "\n".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)


def shown(path, sheet, ref):
    wb = openpyxl.load_workbook(path)
    return wb[sheet][ref].value, wb[sheet][ref].number_format, wb[sheet][ref].protection.locked


def test_previous_workbook_is_stamped_beside_the_inputs(tmp_path, fmt, last_year, office):
    key, key_path = office
    write_return(tmp_path / "2024" / "上年.xlsx", last_year, UNIT, CODE, 2024, key=key)
    out = tmp_path / "模板.xlsx"
    r = run_cli("template", "--year", 2025, "--unit", UNIT, "--unit-code", CODE, "--key-file", key_path,
                "--previous", tmp_path / "2024" / "上年.xlsx", "-o", out)
    assert r.returncode == 0, r.stderr
    for s in stamps(fmt):  # every value a cross-year rule needs, shown beside the cell it checks, locked
        value, number_format, locked = shown(out, s.sheet, s.ref)
        assert value == last_year[s.key] and number_format == '"上年："0' and locked is not False, s
    assert shown(out, "表三", "D30")[0] == last_year["t3.carry_forward.natural_person"]
    assert shown(out, "表二", "E5")[0] == last_year["t2.normative_docs.in_force"]
    assert "上年“四、结转下年度继续办理”" in str(shown(out, "表三", "A30")[0])
    text = instructions(out)
    assert f"{UNIT} 2024 年度" in text and "Y-01 上年结转衔接" in text and "Y-02 现行有效件数衔接" in text
    assert "即时核对：Y-01 上年结转衔接、Y-02 现行有效件数衔接、Y-03 内容雷同。" in text
    filing = read(out)
    assert verify(filing.identity, key) is None
    assert filing.previous.values == {k: last_year[k] for k in fmt.cells}
    # a department typing the 上年结转 that last year carried forward passes; one typing another gets check's Y-01
    this = consistent(fmt, random_valid_values(fmt, random.Random(8)), last_year)
    fill_by_labels(out.read_bytes(), fmt, this, tmp_path / "ok.xlsx", NARRATIVE)
    assert [f for f in check(read(tmp_path / "ok.xlsx")) if f.severity == "error" or f.rule.startswith("Y")] == []
    wrong = dict(this, **{"t3.carried_over.total": this["t3.carried_over.total"] + 1,
                          "t3.new.total": this["t3.new.total"] - 1})
    fill_by_labels(out.read_bytes(), fmt, wrong, tmp_path / "wrong.xlsx", NARRATIVE)
    y01 = [f for f in check(read(tmp_path / "wrong.xlsx")) if f.rule == "Y-01"]
    assert [(f.severity, f.keys) for f in y01] == [("error", ["t3.carried_over.total"])]
    assert y01[0].message == (f"表三“总计”列：本年“上年结转”（{wrong['t3.carried_over.total']}）应等于上年“结转下年度继续办理”"
                              f"（{last_year['t3.carry_forward.total']}）")
    r = run_cli("check", tmp_path / "wrong.xlsx", "--key-file", key_path)
    assert r.returncode == 1 and "[错误 Y-01]" in r.stdout and y01[0].message in r.stdout
    # a --previous given to check wins over what the template carried
    write_return(tmp_path / "other.xlsx", dict(last_year, **{"t3.carry_forward.total": 999}), UNIT, CODE, 2024)
    again = [f.expected for f in check(read(tmp_path / "wrong.xlsx"), read(tmp_path / "other.xlsx"))
             if f.rule == "Y-01" and f.keys == ["t3.carried_over.total"]]
    assert again == [999]


def test_tampering_with_stamped_values_is_i01(tmp_path, fmt, last_year, office):
    key, key_path = office
    prev = Filing.from_values(fmt, last_year, identity={"unit": UNIT, "unit_code": CODE, "year": "2024"})
    out = tmp_path / "t.xlsx"
    out.write_bytes(nianbao.template(UNIT, 2025, CODE, previous=prev, key=key))  # the desk's call
    this = random_valid_values(fmt, random.Random(9))
    this["t3.carried_over.total"] = last_year["t3.carry_forward.total"] + 5  # wrong, and the unit knows it
    # 1. the unit unprotects 表三 and overwrites the shown 上年 value so the sheet stops showing red
    wb = openpyxl.load_workbook(out)
    wb["表三"]["J30"].value = this["t3.carried_over.total"]
    wb.save(tmp_path / "edited-cell.xlsx")
    fill_by_labels(str(tmp_path / "edited-cell.xlsx"), fmt, this, tmp_path / "edited-cell.xlsx")
    findings = check(read(tmp_path / "edited-cell.xlsx"))
    i01 = [f for f in findings if f.rule == "I01"]
    assert [f.cells for f in i01] == [["表三!J30"]] and "上年数据被改动过" in i01[0].message
    assert any(f.rule == "Y-01" and f.severity == "error" for f in findings)  # checked against the signed value
    # 2. the unit edits last year's values in the hidden identity sheet too: the signature no longer holds
    wb = openpyxl.load_workbook(tmp_path / "edited-cell.xlsx")
    ws = wb["_身份"]
    row = next(r for r in range(1, 20) if ws.cell(r, 1).value == "previous")
    data = json.loads(ws.cell(row, 2).value)
    data["values"]["t3.carry_forward.total"] = this["t3.carried_over.total"]
    ws.cell(row, 2).value = json.dumps(data, ensure_ascii=False)
    wb.save(tmp_path / "edited-both.xlsx")
    r = run_cli("check", tmp_path / "edited-both.xlsx", "--key-file", key_path, "--json")
    result = json.loads(r.stdout)[0]
    assert r.returncode == 1 and "改动" in next(f["message"] for f in result["findings"] if f["rule"] == "I01")
    assert not verify(read(tmp_path / "edited-both.xlsx").identity, key) is None


def test_roster_with_a_folder_of_last_years_returns(tmp_path, fmt, office):
    key, key_path = office
    roster = tmp_path / "名单.csv"
    roster.write_text("单位代码,单位名称\nA01,甲局\nA02,乙局\nA03,新设局\n", encoding="utf-8")
    for code, name, seed in (("A01", "甲局", 1), ("A02", "乙局", 2)):
        write_return(tmp_path / "上年" / "子目录" / f"{code}.xlsx", None, name, code, 2024, seed=seed, key=key)
    (tmp_path / "上年" / "说明.txt").write_text("不是报告", encoding="utf-8")
    r = run_cli("template", "--year", 2025, "--roster", roster, "--key-file", key_path, "--previous",
                tmp_path / "上年", "-o", tmp_path / "模板")
    assert r.returncode == 0, r.stderr
    assert "上年数据：2 个单位" in r.stdout and "新设局" in r.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "模板" / "分发清单.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][-1] == "上年数据" and [x[-1] for x in rows[1:]] == ["有", "有", "无"]
    for (code, name, _, _, file, has), seed in zip(rows[1:], (1, 2, None)):
        filing = read(tmp_path / "模板" / file)
        assert filing.unit == name
        if seed is None:
            # a unit without last year: no stamped cells, and 填报说明 says so
            assert filing.previous is None and shown(tmp_path / "模板" / file, "表三", "D30")[0] is None
            assert "没有本单位上年的数据" in instructions(tmp_path / "模板" / file)
        else:
            want = random_valid_values(fmt, random.Random(seed))
            assert filing.previous.values == want and filing.previous.unit == name
            assert shown(tmp_path / "模板" / file, "表三", "J30")[0] == want["t3.carry_forward.total"]


def test_previous_published_report(tmp_path, fmt, last_year, office):
    key, key_path = office
    report = tmp_path / "2024年报.html"
    report.write_text(render(Filing.from_values(fmt, last_year, identity={"unit": UNIT, "year": "2024"}),
                             NARRATIVE, "html"), encoding="utf-8")
    out = tmp_path / "t.xlsx"
    r = run_cli("template", "--year", 2025, "--unit", UNIT, "--key-file", key_path, "--previous", report, "-o", out)
    assert r.returncode == 0, r.stderr
    assert read(out).previous.values == {k: last_year[k] for k in fmt.cells}
    assert shown(out, "表二", "E4")[0] == last_year["t2.regulations.in_force"]


def test_a_2019_layout_last_year_says_which_checks_do_not_apply(tmp_path, office):
    key, key_path = office
    f19, f21 = load_format("2019"), load_format("2021")
    prev = random_valid_values(f19, random.Random(3))
    write_return(tmp_path / "2020.xlsx", prev, UNIT, CODE, 2020, key=key, layout="2019")
    out = tmp_path / "t.xlsx"
    r = run_cli("template", "--year", 2021, "--unit", UNIT, "--unit-code", CODE, "--key-file", key_path,
                "--previous", tmp_path / "2020.xlsx", "-o", out)
    assert r.returncode == 0, r.stderr
    text = instructions(out)
    assert "Y-02 现行有效件数衔接不适用：上年（2020 年度，2019 版格式）没有" in text and "现行有效件数" in text
    assert "Y-01 上年结转衔接" in text
    assert shown(out, "表三", "J30")[0] == prev["t3.carry_forward.total"]  # 2019's 表三 still carries forward
    assert shown(out, "表二", "E4")[0] is None  # no 现行有效件数 in 2019's 表二
    assert {s.key for s in stamps(f21)} - set(read(out).previous.values) == {
        "t2.regulations.in_force", "t2.normative_docs.in_force"}


def test_a_single_previous_for_another_unit_is_used_and_said(tmp_path, office):
    key, key_path = office
    write_return(tmp_path / "old.xlsx", None, "测试区教育体育局", "OLD", 2024, key=key)  # the unit was renamed
    r = run_cli("template", "--year", 2025, "--unit", UNIT, "--key-file", key_path, "--previous",
                tmp_path / "old.xlsx", "-o", tmp_path / "t.xlsx")
    assert r.returncode == 0 and "测试区教育体育局" in r.stderr
    assert read(tmp_path / "t.xlsx").previous is not None
    r = run_cli("template", "--year", 2025, "--unit", UNIT, "--key-file", key_path, "--previous",
                tmp_path / "nothing-here", "-o", tmp_path / "t2.xlsx")
    assert r.returncode == 2 and "找不到上年数据" in r.stderr and "Traceback" not in r.stderr


def test_blanks_are_grouped_per_table_in_text_and_json(tmp_path, fmt, office):
    key, key_path = office
    path = tmp_path / "空白.xlsx"
    path.write_bytes(build_workbook(fmt, {"unit": UNIT, "unit_code": CODE, "year": 2025}, key=key))
    r = run_cli("check", path, "--key-file", key_path)
    assert r.returncode == 1
    lines = [ln for ln in r.stdout.splitlines() if "C03" in ln]
    assert lines == [
        "    [错误 C03] 表二有 10 格未填写：B4、C4、D4、B5、C5、…（没有发生的请填 0）",
        "    [错误 C03] 表三有 175 格未填写：D5、E5、F5、G5、H5、…（没有发生的请填 0）",
        "    [错误 C03] 表四有 15 格未填写：A5、B5、C5、D5、E5、…（没有发生的请填 0）",
    ]
    assert "✗ 空白.xlsx" in r.stdout and "3 处错误" in r.stdout
    found = json.loads(run_cli("check", path, "--json", "--key-file", key_path).stdout)[0]["findings"]
    assert [(f["rule"], len(f["cells"]), len(f["keys"])) for f in found] == [("C03", 10, 10), ("C03", 175, 175),
                                                                            ("C03", 15, 15)]
    assert found[1]["cells"] == [c.where for c in fmt.tables["t3"].cells.values()]
    # partly blank: the blanks grouped, the one wrong equation whose cells are all filled reported, the equations
    # with a blank cell not
    values = random_valid_values(fmt, random.Random(4))
    values["t3.granted.research"] = None
    values["t4.review.total"] += 1
    write_return(path, values, UNIT, CODE, 2025, key=key)
    found = check(read(path))
    assert [(f.rule, f.keys) for f in found] == [("C03", ["t3.granted.research"]),
                                                  ("T4-01", [f"t4.review.{c}" for c in
                                                             ("total", "upheld", "corrected", "other", "pending")])]


def test_roster_with_last_years_district_summary(tmp_path, fmt, office):
    # collect's 汇总.xlsx of last year: the district's own numbers and, in its breakdown, every unit's
    key, key_path = office
    roster = tmp_path / "名单.csv"
    roster.write_text("单位代码,单位名称\nB01,丙局\nB02,丁局\n", encoding="utf-8")
    for code, name, seed in (("B01", "丙局", 11), ("B02", "丁局", 12)):
        write_return(tmp_path / "2024" / f"{code}.xlsx", None, name, code, 2024, seed=seed, key=key)
    r = run_cli("collect", tmp_path / "2024", "--roster", roster, "--year", 2024, "-o", tmp_path / "收集",
                "--no-report", "--key-file", key_path)
    assert r.returncode == 0, r.stderr
    r = run_cli("template", "--year", 2025, "--roster", roster, "--key-file", key_path, "--previous",
                tmp_path / "收集" / "汇总.xlsx", "-o", tmp_path / "模板")
    assert r.returncode == 0, r.stderr
    for code, name, seed in (("B01", "丙局", 11), ("B02", "丁局", 12)):
        filing = read(next((tmp_path / "模板").glob(f"{code}-*.xlsx")))
        assert filing.previous.unit == name and filing.previous.year == 2024
        assert filing.previous.values == random_valid_values(fmt, random.Random(seed))


def _edited(src, dst, edit):
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst


def test_the_identity_sheet_carrying_last_year_deleted_unhidden_or_edited(tmp_path, fmt, last_year, office):
    """A return that carries last year verifies while its hidden identity sheet is intact (even unhidden); deleting
    the sheet, or editing last year's numbers on it (the live formulas read them), is I01 in check's words."""
    from nianbao.last_year import value_rows

    key, key_path = office
    prev = Filing.from_values(fmt, last_year, identity={"unit": UNIT, "unit_code": CODE, "year": "2024"})
    this = consistent(fmt, random_valid_values(fmt, random.Random(21)), last_year)
    ret = tmp_path / "返回.xlsx"
    ret.write_bytes(build_workbook(fmt, {"unit": UNIT, "unit_code": CODE, "year": 2025}, values=this,
                                   narrative=NARRATIVE, previous=prev, key=key))
    ident = fmt.workbook["identity"]

    def unhide(wb):
        wb[ident].sheet_state = "visible"

    def delete(wb):
        del wb[ident]

    row = value_rows(fmt)["t3.new.total"] + 1

    def edit_row(wb):
        unhide(wb)
        wb[ident].cell(row, 2).value = last_year["t3.new.total"] + 3

    def clear_rows(wb):
        for r in value_rows(fmt).values():
            wb[ident].cell(r + 1, 2).value = None

    def i01(path):
        r = run_cli("check", path, "--key-file", key_path, "--json")
        assert "Traceback" not in r.stderr
        found = json.loads(r.stdout)[0]["findings"]
        return r.returncode, [f["message"] for f in found if f["rule"] == "I01"]

    assert i01(ret) == (0, [])  # as issued and filled: verifies, passes
    assert i01(_edited(ret, tmp_path / "unhidden.xlsx", unhide)) == (0, [])
    code, said = i01(_edited(ret, tmp_path / "deleted.xlsx", delete))
    assert code == 1 and len(said) == 1 and f"隐藏的身份工作表“{ident}”被删除" in said[0] and "签名不符" in said[0]
    code, said = i01(_edited(ret, tmp_path / "row.xlsx", edit_row))
    assert code == 1 and said == [f"隐藏的身份工作表“{ident}”中有 1 个上年数据被改动过（B{row}）：上年数据随模板下发，不能修改"]
    code, said = i01(_edited(ret, tmp_path / "rows.xlsx", clear_rows))
    assert code == 1 and len(said) == 1 and f"有 {len(fmt.cells)} 个上年数据被改动过" in said[0]
    # the signed values still rule check's own verdict: last year's 结转 was not changed by editing the sheet
    assert read(tmp_path / "row.xlsx").previous.values == read(ret).previous.values
