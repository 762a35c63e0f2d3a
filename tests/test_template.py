"""The generated template as a department would receive it: locked, validated, live, stamped."""
from __future__ import annotations

import zipfile

import openpyxl
import pytest

from helpers import run_cli
from nianbao.formats import load_format, parse_range
from nianbao.identity import load_key, verify
from nianbao.xlsx_read import read
from nianbao.xlsx_template import build_workbook


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    d = tmp_path_factory.mktemp("tpl")
    key, _, _ = load_key(d / "office.key")
    path = d / "t.xlsx"
    path.write_bytes(build_workbook(load_format("2021"), {"unit": "山海关区发展和改革局", "unit_code": "U01",
                                                          "year": 2025}, key=key))
    return path, key


def test_sheets_are_chinese_and_machinery_is_very_hidden(template):
    wb = openpyxl.load_workbook(template[0])
    assert wb.sheetnames == ["填报说明", "表二", "表三", "表四", "正文", "校验结果", "_身份", "_校验"]
    assert wb["_身份"].sheet_state == "veryHidden" and wb["_校验"].sheet_state == "veryHidden"
    assert all(wb[s].sheet_state == "visible" for s in wb.sheetnames[:6])


def test_only_input_cells_are_editable(template, fmt2021):
    wb = openpyxl.load_workbook(template[0])
    for table in fmt2021.tables.values():
        ws = wb[table.sheet]
        assert ws.protection.sheet
        unlocked = {c.coordinate for row in ws.iter_rows() for c in row
                    if c.protection.locked is False and c.value is None or c.protection.locked is False}
        expected = {c.ref for c in table.cells.values()}
        # merged input cells (表二's single-number rows) unlock their whole range
        for c in table.cells.values():
            if c.merge:
                r1, c1, r2, c2 = parse_range(c.merge)
                expected |= {openpyxl.utils.get_column_letter(cc + 1) + str(r1 + 1) for cc in range(c1, c2 + 1)}
        assert unlocked == expected, table.sheet
    with zipfile.ZipFile(template[0]) as z:
        assert b'lockStructure="1"' in z.read("xl/workbook.xml")


def test_every_number_cell_is_validated_with_a_chinese_prompt(template, fmt2021):
    wb = openpyxl.load_workbook(template[0])
    for table in fmt2021.tables.values():
        dvs = wb[table.sheet].data_validations.dataValidation
        covered = {}
        for dv in dvs:
            for rng in dv.sqref.ranges:
                for row in rng.cells:
                    covered[openpyxl.utils.get_column_letter(row[1]) + str(row[0])] = dv
        for cell in table.cells.values():
            dv = covered[cell.ref]
            assert dv.type == ("decimal" if cell.type == "decimal" else "whole")
            assert dv.showErrorMessage and "0" in dv.error and dv.prompt


def test_official_layout_of_table_three(template):
    ws = openpyxl.load_workbook(template[0])["表三"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A2:C4", "D2:J2", "D3:D4", "E3:I3", "J3:J4", "A7:A28", "B9:B16"} <= merged
    assert ws["A2"].value == "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert ws["E3"].value == "法人或其他组织" and ws["D2"].value == "申请人情况"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage  # 1 × 1 pages: the OOXML defaults, so not written out
    assert ws.page_setup.fitToHeight in (None, 1) and ws.page_setup.fitToWidth in (None, 1)


def test_table_three_prints_on_one_a4_landscape_page(template, soffice, tmp_path):
    import subprocess

    import pdfplumber

    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(template[0])], check=True, capture_output=True, timeout=180)
    with pdfplumber.open(tmp_path / "t.pdf") as pdf:
        pages = [(p.width, p.height, p.extract_text() or "") for p in pdf.pages]
    first = [p for p in pages if "收到和处理政府信息公开申请情况" in p[2]]
    assert len(first) == 1, "表三 starts on exactly one page"
    w, h, text = first[0]
    assert w > h and abs(w - 842) < 3 and abs(h - 595) < 3  # A4 landscape, in points
    for label in ("一、本年新收政府信息公开申请数量", "（七）总计", "四、结转下年度继续办理", "法律服务机构"):
        assert label in text.replace("\n", ""), label


def test_status_cells_are_live_formulas(template, fmt2021):
    wb = openpyxl.load_workbook(template[0])
    for table in fmt2021.tables.values():
        f = wb[table.sheet][table.status].value
        assert f.startswith("=IF(") and "校验通过" in f and "校验未通过：" in f and "待填写：" in f and "_校验" in f
    # the cached result of a blank template already says how many cells are still to be filled — not errors
    data = openpyxl.load_workbook(template[0], data_only=True)
    assert data["表三"]["A31"].value == "待填写：还有 175 格未填"
    assert data["校验结果"]["A2"].value == "待填写：还有 200 格未填"


def test_identity_is_stamped_and_signed(template):
    path, key = template
    filing = read(path)
    assert filing.identity["unit"] == "山海关区发展和改革局" and filing.identity["unit_code"] == "U01"
    assert filing.year == 2025 and filing.identity["layout"] == "2021" and filing.identity["template_id"]
    assert verify(filing.identity, key) is None
    other, _, _ = load_key(path.parent / "other.key")
    assert "其他机关" in verify(filing.identity, other)
    assert "改动" in verify(dict(filing.identity, unit="山海关区教育局"), key)


def test_instructions_explain_rules_and_deadline(template, fmt2021):
    ws = openpyxl.load_workbook(template[0])["填报说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "2026年1月31日" in text and "山海关区发展和改革局" in text
    for rid in ("T3-01", "T3-02", "T3-03", "T4-01", "C01", "C03"):
        assert fmt2021.rules[rid].plain in text


def test_template_command(tmp_path):
    env_key = tmp_path / "k" / "office.key"
    r = run_cli("template", "--year", "2025", "--unit", "区教育局", "--unit-code", "U01", "--key-file", env_key,
                "-o", tmp_path / "out" / "t.xlsx")
    assert r.returncode == 0, r.stderr
    assert "已创建" in r.stdout and env_key.is_file()
    assert read(tmp_path / "out" / "t.xlsx").unit == "区教育局"
    r = run_cli("template", "--year", "1999", "--unit", "区教育局", "--key-file", env_key, "-o", tmp_path / "x.xlsx")
    assert r.returncode == 2 and "年度" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("template", "--year", "2025", "--key-file", env_key, "-o", tmp_path / "x.xlsx")
    assert r.returncode == 2 and "--unit" in r.stderr


def test_stamped_rows_read_back_literally_in_openpyxl_and_calamine(tmp_path):
    """stamp_rows: text stays text (a leading = is no formula), markup and control characters cannot break the
    part, numbers keep their value and the model row's style."""
    import zipfile

    import xlsxwriter

    from nianbao.xlsx_read import Book
    from nianbao.xlsx_template import stamp_rows

    src = tmp_path / "model.xlsx"
    wb = xlsxwriter.Workbook(src)
    boxed = wb.add_format({"border": 1})
    ws = wb.add_worksheet("明细")
    ws.write_row(0, 0, ["代码", "名称", "数"])
    ws.write_row(1, 0, ["A", "甲", 1], boxed)
    ws.write_row(6, 0, ["", "合计"])
    wb.close()
    rows = [("=1+1", "<b>&amp;\x07乙 ", 2.5), ("-2", "丙", 10**15), ("x", "", 0.1 + 0.2)]
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["xl/worksheets/sheet1.xml"] = stamp_rows(members["xl/worksheets/sheet1.xml"], 2, rows)
    out = tmp_path / "stamped.xlsx"
    with zipfile.ZipFile(out, "w") as z:
        for n, d in members.items():
            z.writestr(n, d)
    ws = openpyxl.load_workbook(out)["明细"]
    got = [[c.value for c in r] for r in ws.iter_rows(min_row=3, max_row=5)]
    assert got == [["=1+1", "<b>&amp;乙 ", 2.5], ["-2", "丙", 10**15], ["x", None, 0.1 + 0.2]]
    assert all(c.data_type != "f" and c.border.left.style == "thin" for r in ws.iter_rows(min_row=3, max_row=5)
               for c in r if c.value is not None)
    assert ws["B7"].value == "合计"
    grid = Book(out).rows("明细")
    assert grid[2] == ["=1+1", "<b>&amp;乙 ", 2.5] and grid[3][2] == 1e15 and grid[4][2] == 0.1 + 0.2
    with pytest.raises(ValueError):
        stamp_rows(members["xl/worksheets/sheet1.xml"], 2, rows)  # rows 3-5 are taken now
