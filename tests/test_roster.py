"""The roster: which units the district expects a return from."""
from __future__ import annotations

import openpyxl
import pytest

from nianbao.errors import NianbaoError
from nianbao.roster import read_roster


def write(tmp_path, text: str, name="名单.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_csv_with_bom_and_optional_columns(tmp_path):
    p = write(tmp_path, "\ufeff单位代码,单位名称,单位类型,联系人\nU01, 区教育局 ,部门,张三\n\nU02,东城街道办事处,乡镇街道,\n")
    units = read_roster(p)
    assert [(u.code, u.name, u.type, u.contact) for u in units] == [
        ("U01", "区教育局", "部门", "张三"), ("U02", "东城街道办事处", "乡镇街道", "")]
    assert units[1].line == 4  # the blank line is skipped but still counted


def test_english_headers_without_bom_and_gb18030(tmp_path):
    assert [u.code for u in read_roster(write(tmp_path, "Code,Name\nA1,区财政局\n"))] == ["A1"]
    p = write(tmp_path, "单位代码,单位名称\nU9,区民政局\n", "gbk.csv", "gb18030")
    assert read_roster(p)[0].name == "区民政局"


def test_xlsx_roster_with_numeric_codes(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "单位代码", "单位类型"])
    ws.append(["区教育局", 101, "部门"])
    ws.append(["某区人民政府", 102, "区政府本级"])
    wb.save(tmp_path / "名单.xlsx")
    units = read_roster(tmp_path / "名单.xlsx")
    assert [(u.code, u.name) for u in units] == [("101", "区教育局"), ("102", "某区人民政府")]


@pytest.mark.parametrize("text, words", [
    ("单位代码,单位名称\nU01,甲\nU01,乙\n", ["第 3 行", "U01", "第 2 行"]),
    ("单位代码,单位名称\nU01,\n", ["第 2 行", "单位名称为空"]),
    ("单位代码,单位名称\n,甲\n", ["第 2 行", "单位代码为空"]),
    ("单位代码,单位名称,电话\nU01,甲,123\n", ["第 1 行", "电话"]),
    ("单位代码,联系人\nU01,甲\n", ["单位代码", "单位名称"]),
    ("单位代码,单位名称,单位类型\nU01,甲,局\n", ["第 2 行", "单位类型"]),
    ("单位代码,单位名称\n", ["没有单位"]),
    ("", ["空"]),
])
def test_bad_rosters_name_the_line(tmp_path, text, words):
    with pytest.raises(NianbaoError) as e:
        read_roster(write(tmp_path, text))
    assert e.value.exit_code == 2
    for w in words:
        assert w in e.value.message


def test_missing_and_unreadable_roster(tmp_path):
    with pytest.raises(NianbaoError, match="找不到名单文件"):
        read_roster(tmp_path / "nope.csv")
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(NianbaoError, match="无法读取"):
        read_roster(tmp_path / "bad.xlsx")


def test_a_file_name_points_to_its_unit_by_code_or_by_the_longest_name_in_it():
    from nianbao.register import RosterIndex
    from nianbao.roster import Unit

    units = [Unit("A01", "财政局"), Unit("A02", "区财政局"), Unit("A03", "民政局"), Unit("A04", "区民政局"),
             Unit("B01", "教育局"), Unit("B02", "卫健委")]
    index = RosterIndex(units)
    assert index.named_after("B01-随便什么.xlsx").code == "B01"  # the code before "-" first
    assert index.named_after("2025年区财政局年报.xlsx").code == "A02"  # 区财政局 over 财政局
    assert index.named_after("财政局.xlsx").code == "A01"
    assert index.named_after("教育局和卫健委.xlsx").code == "B01"  # same length: earlier in the roster
    assert index.named_after("卫健委和教育局.xlsx").code == "B01"
    assert index.named_after("别的单位.xlsx") is None
    assert index.match("A03", "随便").code == "A03" and index.match("", " 区民政局 ").code == "A04"
    assert index.match("Z99", "区民政局") is None  # a code that is not on the roster is not matched by name
