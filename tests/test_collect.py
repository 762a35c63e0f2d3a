"""nianbao collect on a district's January inbox: 30 units, returns as they arrive by e-mail."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.formats import load_format
from nianbao.identity import load_key
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_template import build_workbook

from helpers import saved

YEAR = 2025
FMT = load_format("2021")
TYPES = ["部门"] * 28 + ["乡镇街道", "区政府本级"]
NAMES = ["区教育局", "区财政局", "区民政局", "区司法局", "区卫生健康委员会", "区住房和城乡建设局", "区交通运输局",
         "区水利局", "区农业农村局", "区商务局", "区文化和旅游局", "区应急管理局", "区审计局", "区统计局",
         "区医疗保障局", "区市场监督管理局", "区档案馆", "区退役军人事务局", "区人力资源和社会保障局",
         "区自然资源局", "区生态环境分局", "区城市管理局", "区发展和改革局", "区科学技术局", "区工业和信息化局",
         "区公安分局", "区信访局", "区林业局", "东城街道办事处", "某某区人民政府办公室"]
UNITS = [(f"U{i:02d}", NAMES[i - 1], TYPES[i - 1]) for i in range(1, 31)]
NAME = {code: name for code, name, _ in UNITS}

# what each unit's inbox holds decides its status
EXPECTED = {code: "passed" for code, _, _ in UNITS}
EXPECTED.update({"U19": "failed", "U20": "failed", "U21": "missing", "U26": "missing", "U28": "missing",
                 "U29": "missing", "U30": "passed_with_warnings"})


def run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return r


def fill(template: Path, target: Path, values: dict, when: dt.datetime, text_cells=(), explanations=None):
    """What a unit does: open the issued template, type the numbers (and maybe an explanation), save, e-mail."""
    wb = openpyxl.load_workbook(template)
    for key, v in values.items():
        c = FMT.cells[key]
        wb[c.sheet][c.ref] = str(v) if key in text_cells else v
    ws = wb[FMT.workbook["results"]]
    for row in ws.iter_rows(min_row=3):
        rid = row[0].value
        if rid in (explanations or {}):
            row[5].value = explanations[rid]
            row[5].data_type = "s"  # typed as text, as Excel does for '=…
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    saved(target, when)


def district_values(rng) -> dict:
    """A valid return of a district unit: districts make no 规章 (T2-01)."""
    v = random_valid_values(FMT, rng)
    return {k: 0 if k.startswith("t2.regulations.") else x for k, x in v.items()}


def tree_hash(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    base = tmp_path_factory.mktemp("district")
    roster = base / "名单.csv"
    rows = ["单位代码,单位名称,单位类型,联系人"] + [f"{c},{n},{t},联系人{c}" for c, n, t in UNITS]
    roster.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    key_file = base / "office.key"
    r = run("template", "--roster", roster, "--year", YEAR, "-o", base / "templates", "--key-file", key_file)
    assert r.exit_code == 0, r.output
    key = load_key(key_file, create=False)[0]
    templates = {p.name.split("-")[0]: p for p in (base / "templates").glob("*.xlsx")}
    assert len(templates) == 30

    rng = random.Random(2025)
    values = {code: district_values(rng) for code, _, _ in UNITS}
    final = {}  # code -> the values of the return that should count
    day = lambda d, h=10: dt.datetime(2026, 1, d, h, 0, 0)  # noqa: E731
    ret = base / "返回表"
    inbox_of = lambda code, d: ret / "收件箱" / f"2026-01-{d:02d}"  # noqa: E731

    for n, (code, name, _) in enumerate(UNITS, start=1):
        if code in ("U19", "U20", "U21", "U22", "U23", "U24", "U26", "U28", "U29", "U30"):
            continue
        # valid returns, some renamed the way mail clients do, some in nested folders
        folder = inbox_of(code, 5 + n % 10) if n % 3 else ret
        fname = templates[code].name if n % 4 else f"{name}年报（定稿）.xlsx"
        fill(templates[code], folder / fname, values[code], day(5 + n % 10))
        final[code] = values[code]
    # invalid: a row total that does not add up (T3-02), a blank cell (C03)
    bad = dict(values["U19"], **{"t3.new.total": values["U19"]["t3.new.total"] + 1})
    fill(templates["U19"], inbox_of("U19", 6) / templates["U19"].name, bad, day(6))
    blank = {k: v for k, v in values["U20"].items() if k != "t4.review.upheld"}
    fill(templates["U20"], ret / "U20.xlsx", blank, day(7))
    # resubmitted: an invalid first try, then a valid one
    first = dict(values["U22"], **{"t3.granted.total": values["U22"]["t3.granted.total"] + 2})
    fill(templates["U22"], inbox_of("U22", 5) / templates["U22"].name, first, day(5))
    fill(templates["U22"], inbox_of("U22", 12) / templates["U22"].name, values["U22"], day(12))
    final["U22"] = values["U22"]
    # resubmitted twice, both valid; the later save is named first and has the older file time
    second = district_values(rng)
    fill(templates["U23"], ret / "z-U23-第一次.xlsx", values["U23"], day(8))
    fill(templates["U23"], ret / "a-U23-更正.xlsx", second, day(9))
    os.utime(ret / "a-U23-更正.xlsx", (1_600_000_000, 1_600_000_000))
    final["U23"] = second
    # renamed to another unit's name: U24's return under U25's file name (U25 sends its own as well)
    fill(templates["U24"], inbox_of("U24", 10) / "转发" / templates["U25"].name, values["U24"], day(10))
    final["U24"] = values["U24"]
    # an edited identity: U26 claims to be U27 on the hidden sheet
    fill(templates["U26"], ret / "U26-编辑过.xlsx", values["U26"], day(9))
    wb = openpyxl.load_workbook(ret / "U26-编辑过.xlsx")
    ws = wb[FMT.workbook["identity"]]
    for row in ws.iter_rows():
        if row[0].value == "unit":
            row[1].value = NAME["U27"]
    wb.save(ret / "U26-编辑过.xlsx")
    # another office's template
    (base / "other.key").write_text("ab" * 32)
    other = load_key(base / "other.key", create=False)[0]
    (ret / "U28-外来.xlsx").write_bytes(build_workbook(FMT, {"unit": NAME["U28"], "unit_code": "U28", "year": YEAR},
                                                        values=values["U28"], key=other))
    # last year's template, filled and sent again by mistake
    (ret / "U29-去年.xlsx").write_bytes(build_workbook(FMT, {"unit": NAME["U29"], "unit_code": "U29", "year": YEAR - 1},
                                                        values=values["U29"], key=key))
    # passed with a warning (a number typed as text), explained on 校验结果; one explanation starts like a formula
    fill(templates["U30"], inbox_of("U30", 14) / templates["U30"].name, values["U30"], day(14),
         text_cells=("t4.review.total",), explanations={"C01/C02/C03": "=SUM(A1) 系统导出数字为文本",
                                                         "T2-01": "本单位未制发规章"})
    final["U30"] = values["U30"]
    # a unit that is not in the roster, a corrupt file, an unrelated workbook, mail debris
    (ret / "X99-外单位.xlsx").write_bytes(build_workbook(FMT, {"unit": "区外单位", "unit_code": "X99", "year": YEAR},
                                                         values=values["U01"], key=key))
    good = (ret / "U20.xlsx").read_bytes()
    (ret / "损坏.xlsx").write_bytes(good[:3000])
    book = openpyxl.Workbook()
    book.active.append(["姓名", "电话"])
    book.save(ret / "通讯录.xlsx")
    (ret / "邮件正文.txt").write_text("请查收")
    (ret / "~$U01.xlsx").write_bytes(b"lock")
    return dict(base=base, roster=roster, key_file=key_file, key=key, returns=ret, final=final, values=values)


@pytest.fixture(scope="module")
def collected(inbox):
    before = tree_hash(inbox["returns"])
    out = inbox["base"] / "输出"
    r = run("collect", inbox["returns"], "--roster", inbox["roster"], "--year", YEAR, "-o", out,
            "--key-file", inbox["key_file"], "--json")
    after = tree_hash(inbox["returns"])
    return dict(inbox, out=out, result=r, data=json.loads(r.stdout), before=before, after=after)


def test_statuses_equal_what_was_built(collected):
    data = collected["data"]
    assert collected["result"].exit_code == 1  # missing and failed units
    assert set(data) == {"units", "unusable", "summary"} and set(data["summary"]) == {"cells"}
    assert all(set(u) == {"code", "name", "status", "files", "errors", "warnings", "notices"} for u in data["units"])
    assert all(set(u) == {"file", "reason"} for u in data["unusable"])
    got = {u["code"]: u["status"] for u in data["units"]}
    assert got == EXPECTED
    assert [u["code"] for u in data["units"]] == [c for c, _, _ in UNITS]
    u19 = next(u for u in data["units"] if u["code"] == "U19")
    assert u19["errors"] >= 1
    u30 = next(u for u in data["units"] if u["code"] == "U30")
    assert u30["errors"] == 0 and u30["warnings"] >= 1


def test_identified_by_identity_not_file_name(collected):
    units = {u["code"]: u for u in collected["data"]["units"]}
    u24 = units["U24"]["files"]
    assert u24 and all(Path(f).name.startswith("U25-") for f in u24)  # named like U25, is U24
    assert len(units["U25"]["files"]) == 1
    assert "收件箱/" in units["U24"]["files"][0]  # nested folders are read
    rows = _register(collected)
    note = next(r for r in rows if r["类别"] == "名单单位" and r["单位代码"] == "U24")["备注"]
    assert NAME["U25"] in note and NAME["U24"] in note


def test_unusable_files_listed_with_reason(collected):
    unusable = {u["file"]: u["reason"] for u in collected["data"]["unusable"]}
    assert set(unusable) == {"U26-编辑过.xlsx", "U28-外来.xlsx", "U29-去年.xlsx", "X99-外单位.xlsx", "损坏.xlsx",
                             "通讯录.xlsx"}
    i01 = FMT.rules["I01"]
    assert unusable["U29-去年.xlsx"] == i01.text("other_year", actual=YEAR - 1, expected=YEAR)
    assert "改动" in unusable["U26-编辑过.xlsx"] and NAME["U27"] in unusable["U26-编辑过.xlsx"]
    assert "其他机关" in unusable["U28-外来.xlsx"]
    assert unusable["X99-外单位.xlsx"] == i01.text("not_in_roster", actual="区外单位", expected="X99")
    assert "损坏" in unusable["损坏.xlsx"]
    assert "不是年度报告填报表" in unusable["通讯录.xlsx"]


def test_latest_return_wins_and_earlier_ones_are_kept_with_a_diff(collected):
    units = {u["code"]: u for u in collected["data"]["units"]}
    assert units["U23"]["files"] == ["z-U23-第一次.xlsx", "a-U23-更正.xlsx"]  # by stamped save time
    assert units["U22"]["status"] == "passed" and len(units["U22"]["files"]) == 2
    rows = _register(collected)
    earlier = [r for r in rows if r["类别"] == "较早提交"]
    assert {r["单位代码"] for r in earlier} == {"U22", "U23"}
    u22 = next(r for r in earlier if r["单位代码"] == "U22")
    assert u22["状态"] == "已被替代（未通过）"
    cell = FMT.cells["t3.granted.total"]
    v = collected["values"]["U22"]["t3.granted.total"]
    assert f"{cell.where}{cell.label}：{v + 2} → {v}" in u22["备注"]
    main_row = next(r for r in rows if r["类别"] == "名单单位" and r["单位代码"] == "U23")
    assert main_row["文件"] == "a-U23-更正.xlsx" and main_row["提交次数"] == "2"
    assert main_row["收到时间（保存时间）"] == "2026-01-09T10:00:00Z"


def test_summary_equals_independent_sums_and_passes_every_error_rule(collected):
    from nianbao.checks import check
    from nianbao.identity import verify
    from nianbao.xlsx_read import read

    final = collected["final"]
    assert set(final) == {c for c, s in EXPECTED.items() if s.startswith("passed")}
    want = {}
    for key, cell in FMT.cells.items():
        total = sum(v[key] for v in final.values())
        want[key] = round(total, 4) if cell.type == "decimal" else total
    cells = collected["data"]["summary"]["cells"]
    assert set(cells) == set(FMT.cells)
    for k in FMT.cells:
        assert cells[k] == pytest.approx(want[k], abs=1e-9), k
    filing = read(collected["out"] / "汇总.xlsx")
    for k in FMT.cells:
        assert filing.values[k] == pytest.approx(want[k], abs=1e-9), k
    assert [f for f in check(filing) if f.severity == "error"] == []
    assert verify(filing.identity, collected["key"]) is None
    assert filing.unit == NAME["U30"]  # the roster's 区政府本级 names the district report


def test_breakdown_rows_are_each_units_numbers_and_libreoffice_totals_them_to_the_summary(collected, soffice,
                                                                                          tmp_path):
    """The breakdown's rows after the first are stamped, not written cell by cell: each must still be its unit's
    numbers, styled like the first row, and read the same by openpyxl, calamine and a recalculating LibreOffice."""
    from libreoffice import convert

    from nianbao.xlsx_read import Book

    path = collected["out"] / "汇总.xlsx"
    final = collected["final"]
    keys = list(FMT.cells)
    ws = openpyxl.load_workbook(path)["分单位明细"]
    rows = list(ws.iter_rows(min_row=3, max_row=2 + len(final)))
    assert len(rows) == len(final) >= 3
    for row in rows:
        code = row[0].value
        assert [c.value for c in row[2:2 + len(keys)]] == [final[code][k] for k in keys], code
        assert row[1].value == NAME[code]
        assert all(c.border.left.style == rows[0][2].border.left.style == "thin" for c in row[:2 + len(keys)])
    grid = Book(path).rows("分单位明细")
    assert [r[:2 + len(keys)] for r in grid[2:2 + len(final)]] == [
        [c.value if not isinstance(c.value, int) else float(c.value) for c in row[:2 + len(keys)]] for row in rows]
    converted = convert(soffice, [path], tmp_path)[0]
    totals = list(openpyxl.load_workbook(converted, data_only=True)["分单位明细"].iter_rows(
        min_row=3 + len(final), max_row=3 + len(final), values_only=True))[0]
    summary = collected["data"]["summary"]["cells"]
    assert totals[1] == "合计"
    for k, v in zip(keys, totals[2:]):
        assert v == pytest.approx(summary[k], abs=1e-9), k


def test_summary_breakdown_scope_and_native_charts(collected):
    path = collected["out"] / "汇总.xlsx"
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        kinds = "".join(z.read(n).decode() for n in charts)
    assert len(charts) == 2
    assert "<c:barChart>" in kinds and "<c:pieChart>" in kinds
    wb = openpyxl.load_workbook(path)
    ws = wb["分单位明细"]
    keys = [c.value for c in ws[2]][2:]
    assert keys == list(FMT.cells)
    units = [ws.cell(r, 1).value for r in range(3, ws.max_row)]
    assert units == [c for c, s in EXPECTED.items() if s.startswith("passed")]
    col = keys.index("t3.new.total") + 3
    assert sum(ws.cell(r, col).value for r in range(3, ws.max_row)) == collected["data"]["summary"]["cells"][
        "t3.new.total"]
    scope = "\n".join(str(c.value) for row in wb["汇总范围"].iter_rows() for c in row if c.value)
    d02 = FMT.rules["D02"]
    assert d02.text(unit=NAME["U21"], status="未返回") in scope
    assert d02.text(unit=NAME["U19"], status="未通过") in scope


def test_returns_folder_is_byte_identical(collected):
    assert collected["before"] == collected["after"]


def test_register_and_send_backs(collected):
    out = collected["out"]
    rows = _register(collected)
    status = {r["单位代码"]: r["状态"] for r in rows if r["类别"] == "名单单位"}
    chinese = {"passed": "通过", "passed_with_warnings": "通过（有警告）", "failed": "未通过", "missing": "未返回"}
    assert status == {k: chinese[v] for k, v in EXPECTED.items()}
    u01 = next(r for r in rows if r["单位代码"] == "U01" and r["类别"] == "名单单位")
    assert u01["SHA-256"] == hashlib.sha256((collected["returns"] / u01["文件"]).read_bytes()).hexdigest()
    u30 = next(r for r in rows if r["单位代码"] == "U30" and r["类别"] == "名单单位")
    assert "本单位未制发规章" in u30["说明"]
    assert "'=SUM(A1)" in u30["说明"] or u30["说明"].startswith("C01")  # never a live formula
    raw = (out / "登记表.csv").read_text(encoding="utf-8-sig")
    assert not any(cell.startswith(("=", "+", "@")) for row in csv.reader(io.StringIO(raw)) for cell in row)
    assert {r["类别"] for r in rows} == {"名单单位", "较早提交", "名单外单位", "无法使用的文件"}
    sent = sorted(p.name for p in (out / "退回").iterdir())
    assert len(sent) == 2 and sent[0].startswith("U19-") and sent[1].startswith("U20-")
    wb = openpyxl.load_workbook(out / "退回" / sent[0])
    assert wb.sheetnames[0] == "校验问题"
    reg = openpyxl.load_workbook(out / "登记表.xlsx").active
    assert [c.value for c in reg[1]][:5] == ["类别", "单位代码", "单位名称", "单位类型", "状态"]
    assert reg.max_row == len(rows) + 1


def test_district_report_and_annex(collected):
    folder = collected["out"] / "报告"
    names = sorted(p.name for p in folder.iterdir())
    title = FMT.report_title(NAME["U30"], YEAR)
    assert {f"{title}.docx", f"{title}.html", f"{title}.md"} == set(names)
    # the annex is part of the report, after its last section
    md = (folder / f"{title}.md").read_text(encoding="utf-8")
    annex = md[md.index("## 附件"):]
    assert md.index("## 六、其他需要报告的事项") < md.index("## 附件")
    assert f"| U21 | {NAME['U21']} | 未返回 | 否 |" in annex
    assert "本单位未制发规章" in annex
    assert 'id="table-annex"' in (folder / f"{title}.html").read_text(encoding="utf-8")
    import docx

    d = docx.Document(str(folder / f"{title}.docx"))
    assert len(d.tables[-1].rows) == 31 and d.tables[-1].rows[0].cells[3].text == "报送情况"


def test_deterministic(collected):
    out2 = collected["base"] / "输出2"
    r = run("collect", collected["returns"], "--roster", collected["roster"], "--year", YEAR, "-o", out2,
            "--key-file", collected["key_file"], "--json", "--no-report")
    assert r.stdout == collected["result"].stdout
    assert (out2 / "登记表.csv").read_bytes() == (collected["out"] / "登记表.csv").read_bytes()
    assert (out2 / "登记表.xlsx").read_bytes() == (collected["out"] / "登记表.xlsx").read_bytes()


def test_human_output_and_misuse(collected, tmp_path):
    r = run("collect", collected["returns"], "--roster", collected["roster"], "--year", YEAR, "-o", tmp_path / "o",
            "--key-file", collected["key_file"], "--no-report")
    assert r.exit_code == 1
    assert "未返回" in r.output and "U21" in r.output and "无法使用：损坏.xlsx" in r.output
    # the output folder may not lie inside the returns folder
    r = run("collect", collected["returns"], "--roster", collected["roster"], "--year", YEAR,
            "-o", collected["returns"] / "输出", "--key-file", collected["key_file"])
    assert r.exit_code == 2 and "返回表文件夹" in r.output
    assert not (collected["returns"] / "输出").exists()
    r = run("collect", tmp_path / "nowhere", "--roster", collected["roster"], "--year", YEAR, "-o", tmp_path / "o2",
            "--key-file", collected["key_file"])
    assert r.exit_code == 2 and "找不到" in r.output
    r = run("collect", collected["returns"], "--roster", collected["roster"], "--year", YEAR, "-o", tmp_path / "o3",
            "--key-file", tmp_path / "no.key")
    assert r.exit_code == 2 and "密钥" in r.output


def test_previous_year_matched_by_code_then_name_and_all_passed_exits_zero(inbox, tmp_path):
    """Three units; last year's returns (one without a unit code) bring in the cross-year rules."""
    roster = tmp_path / "roster.csv"
    roster.write_text("code,name\nU01,区教育局\nU02,区财政局\nU03,区民政局\n", encoding="utf-8")
    key = inbox["key"]
    rng = random.Random(3)
    ret, prev = tmp_path / "returns", tmp_path / "previous"
    ret.mkdir()
    prev.mkdir()
    for code, name in (("U01", "区教育局"), ("U02", "区财政局"), ("U03", "区民政局")):
        last = district_values(rng)
        last["t3.carry_forward.natural_person"] += 1  # so that a forgotten carry-over always shows
        last["t3.carry_forward.total"] += 1
        last["t3.new.natural_person"] += 1
        last["t3.new.total"] += 1
        last_code = "" if code == "U02" else code  # matched by name
        (prev / f"{code}.xlsx").write_bytes(build_workbook(
            FMT, {"unit": name, "unit_code": last_code, "year": YEAR - 1}, values=last, key=key))
        now = district_values(rng)
        if code != "U03":  # U03 forgot to carry last year's pending applications over
            now = _carry(now, last)
        (ret / f"{code}.xlsx").write_bytes(build_workbook(FMT, {"unit": name, "unit_code": code, "year": YEAR},
                                                          values=now, key=key))
    args = ["collect", ret, "--roster", roster, "--year", YEAR, "--key-file", inbox["key_file"], "--json",
            "--no-report"]
    r = run(*args, "-o", tmp_path / "out", "--previous", prev)
    units = json.loads(r.stdout)["units"]
    assert [u["errors"] for u in units][:2] == [0, 0]
    assert [u["status"] for u in units][2] == "failed" and r.exit_code == 1
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "登记表.csv").read_text(encoding="utf-8-sig"))))
    assert "[Y-01]" in next(x for x in rows if x["单位代码"] == "U03")["主要问题"]
    # without last year everyone passes: exit 0, no send-backs
    r = run(*args, "-o", tmp_path / "out2")
    assert r.exit_code == 0
    assert [u["status"] for u in json.loads(r.stdout)["units"]] == ["passed"] * 3
    assert list((tmp_path / "out2" / "退回").glob("*")) == []


def _carry(values: dict, last: dict) -> dict:
    """This year's numbers with 上年结转 equal to last year's 结转下年度继续办理, every identity kept."""
    v = dict(values)
    t3 = FMT.tables["t3"]
    for col in (c.key for c in t3.columns if c.key != "total"):
        d = last[f"t3.carry_forward.{col}"] - v[f"t3.carried_over.{col}"]
        v[f"t3.carried_over.{col}"] += d
        v[f"t3.carry_forward.{col}" if d >= 0 else f"t3.new.{col}"] += abs(d)
    for row in ("new", "carried_over", "carry_forward"):
        v[f"t3.{row}.total"] = sum(v[f"t3.{row}.{c.key}"] for c in t3.columns if c.key != "total")
    return v


def _register(collected) -> list[dict]:
    text = (collected["out"] / "登记表.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_save_time_from_the_file_else_its_modification_time(tmp_path):
    from nianbao.returns import saved_time
    from nianbao.xlsx_read import read

    # a real return whose document properties say when it was saved: the reader hands them on
    stamped = tmp_path / "a.xlsx"
    build = build_workbook(load_format("2021"), {"unit": "测试区教育局", "unit_code": "U1", "year": 2025},
                           values=random_valid_values(load_format("2021"), random.Random(1)))
    with zipfile.ZipFile(io.BytesIO(build)) as src, zipfile.ZipFile(stamped, "w") as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"<dcterms:modified([^>]*)>[^<]*<", rb"<dcterms:modified\1>2026-01-09T08:30:00+08:00<",
                              data)
            z.writestr(info, data)
    os.utime(stamped, (0, 0))
    assert saved_time(stamped, read(stamped).properties) == ("2026-01-09T00:30:00Z", "core")
    bare = tmp_path / "b.xlsx"
    bare.write_bytes(b"")
    os.utime(bare, (1_767_225_600, 1_767_225_600))
    assert saved_time(bare) == ("2026-01-01T00:00:00Z", "mtime")
