"""nianbao template --roster: one stamped, signed template per unit, and the distribution list."""
from __future__ import annotations

import csv
import io
import os

from click.testing import CliRunner

from nianbao.cli import main
from nianbao.identity import load_key, office_id, verify
from nianbao.xlsx_read import Book, read_identity


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_one_signed_template_per_unit_and_a_distribution_list(tmp_path):
    roster = tmp_path / "名单.csv"
    roster.write_text("单位代码,单位名称,单位类型,联系人\nU01,区教育局,部门,张三\nU02,区财政局,部门,李四\n"
                      "U03,=区/审计局,部门,@王五\n", encoding="utf-8")
    key_file = tmp_path / "keys" / "office.key"
    out = tmp_path / "模板"
    r = run("template", "--roster", roster, "--year", 2025, "-o", out, "--key-file", key_file)
    assert r.exit_code == 0, r.output
    assert str(key_file) in r.output and "已创建" in r.output  # the key is created on first use and its path shown
    assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"
    key = load_key(key_file, create=False)[0]
    files = sorted(p.name for p in out.glob("*.xlsx"))
    assert files == ["U01-区教育局-2025年报.xlsx", "U02-区财政局-2025年报.xlsx", "U03-区_审计局-2025年报.xlsx"]
    for name, (code, unit) in zip(files, [("U01", "区教育局"), ("U02", "区财政局"), ("U03", "=区/审计局")]):
        idt = read_identity(Book(out / name))
        assert (idt["unit_code"], idt["unit"], idt["year"]) == (code, unit, "2025")
        assert verify(idt, key) is None
        assert idt["office"] == office_id(key)
    ids = {read_identity(Book(out / n))["template_id"] for n in files}
    assert len(ids) == 3  # every template has its own id
    rows = list(csv.reader(io.StringIO((out / "分发清单.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["单位代码", "单位名称", "单位类型", "联系人", "模板文件"]
    assert rows[1] == ["U01", "区教育局", "部门", "张三", files[0]]
    assert rows[3] == ["U03", "'=区/审计局", "部门", "'@王五", files[2]]  # formula-safe

    # a second run reuses the key: the same office signs
    r = run("template", "--roster", roster, "--year", 2025, "-o", tmp_path / "again", "--key-file", key_file)
    assert r.exit_code == 0 and "已创建" not in r.output
    idt = read_identity(Book(tmp_path / "again" / files[0]))
    assert verify(idt, key) is None


def test_another_key_does_not_verify(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("code,name\nU01,区教育局\n", encoding="utf-8")
    run("template", "--roster", roster, "--year", 2025, "-o", tmp_path / "a", "--key-file", tmp_path / "a.key")
    other = load_key(tmp_path / "b.key")[0]
    idt = read_identity(Book(tmp_path / "a" / "U01-区教育局-2025年报.xlsx"))
    assert "其他机关" in verify(idt, other)
    edited = dict(idt, unit="区财政局")
    assert "改动" in verify(edited, load_key(tmp_path / "a.key", create=False)[0])


def test_bad_roster_and_misuse_exit_2(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("单位代码,单位名称\nU01,甲\nU01,乙\n", encoding="utf-8")
    r = run("template", "--roster", roster, "--year", 2025, "-o", tmp_path / "o", "--key-file", tmp_path / "k")
    assert r.exit_code == 2 and "第 3 行" in r.output
    assert not (tmp_path / "o").exists()
    r = run("template", "--roster", roster, "--unit", "甲", "--year", 2025, "-o", tmp_path / "o",
            "--key-file", tmp_path / "k")
    assert r.exit_code == 2
    (tmp_path / "file").write_text("x")
    roster.write_text("code,name\nU01,甲\n", encoding="utf-8")
    r = run("template", "--roster", roster, "--year", 2025, "-o", tmp_path / "file", "--key-file", tmp_path / "k")
    assert r.exit_code == 2 and "不是文件夹" in r.output
