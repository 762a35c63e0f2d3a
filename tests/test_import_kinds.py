"""Import reads a report by what the file holds, not by its name: pages saved as .shtml/.jsp or without a suffix,
Word's "web page" and "single file web page" saved as .doc or .mht, a PDF from a download link, and old Word/WPS
files (converted by LibreOffice)."""
from __future__ import annotations

import email.mime.multipart
import email.mime.text
import random
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.importer import import_report
from nianbao.report import render
from nianbao.sample_data import random_valid_values

NARRATIVE = {"overview": "本年度依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。",
             "problems": "存在的问题是公开不够及时。改进措施是加强培训。", "other": "本年度未收取信息处理费。"}
UNIT = "测试县自然资源和规划局"


@pytest.fixture(scope="module")
def filing():
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(21), scale=300)
    return Filing(fmt=fmt, identity={"unit": UNIT, "year": 2023}, raw=values, narrative=NARRATIVE)


def _mhtml(html: str) -> bytes:
    msg = email.mime.multipart.MIMEMultipart("related")
    msg.attach(email.mime.text.MIMEText(html, "html", "gb2312"))
    return msg.as_bytes()


def _same(back, filing):
    assert (back.unit, back.year, back.layout) == (UNIT, 2023, "2021")
    assert back.values == filing.raw


@pytest.mark.parametrize("name,make", [
    ("page.shtml", lambda f: render(f, fmt="html").encode()),
    ("index.jsp", lambda f: render(f, fmt="html").encode()),
    ("page", lambda f: render(f, fmt="html").encode()),
    ("source.txt", lambda f: render(f, fmt="html").encode()),  # a page's source saved as text
    ("word-web-page.doc", lambda f: render(f, fmt="html").encode("gb18030").replace(b'charset="utf-8"', b'charset="gb2312"')),
    ("single-file.mht", lambda f: _mhtml(render(f, fmt="html"))),
    ("single-file.doc", lambda f: _mhtml(render(f, fmt="html"))),
    ("report.html", lambda f: render(f, fmt="docx")),  # a Word file under a page's name
])
def test_read_by_what_the_file_holds(tmp_path, filing, name, make):
    p = tmp_path / name
    data = make(filing)
    p.write_bytes(data)
    _same(import_report(p), filing)
    assert p.read_bytes() == data


def test_pdf_from_a_download_link_without_suffix(tmp_path, filing, soffice):
    docx = tmp_path / "r.docx"
    docx.write_bytes(render(filing, fmt="docx"))
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)], check=True, capture_output=True,
                   timeout=180)
    download = tmp_path / "download.do"
    (tmp_path / "r.pdf").rename(download)
    _same(import_report(download), filing)


@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_old_word_and_wps_files_converted_by_libreoffice(tmp_path, filing, soffice, suffix):
    docx = tmp_path / "r.docx"
    docx.write_bytes(render(filing, fmt="docx"))
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "doc:MS Word 97", "--outdir", str(tmp_path), str(docx)], check=True,
                   capture_output=True, timeout=180)
    old = tmp_path / f"年度报告{suffix}"
    (tmp_path / "r.doc").rename(old)
    data = old.read_bytes()
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # the compound file of Word 97–2003
    _same(import_report(old), filing)
    assert old.read_bytes() == data and sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["r.docx", old.name, "profile"])  # nothing written beside it


def test_old_word_file_without_libreoffice_is_a_clear_message(tmp_path, monkeypatch):
    old = tmp_path / "年度报告.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    r = CliRunner().invoke(main, ["import", str(old)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "未安装 LibreOffice" in r.output and "另存为 .docx" in r.output


def test_a_file_that_is_nothing_readable(tmp_path):
    junk = tmp_path / "report.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    r = CliRunner().invoke(main, ["import", str(junk)])
    assert r.exit_code == 2 and "不支持的文件类型" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("kind", ["html", "docx"])
def test_tables_pasted_as_pictures_are_named_in_the_message(tmp_path, filing, kind):
    """A department pasted screenshots of its tables: there is nothing to read, and the message says why."""
    import base64
    import io
    import re

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(png, "PNG")
    p = tmp_path / f"r.{kind}"
    if kind == "html":
        img = f'<p><img src="data:image/png;base64,{base64.b64encode(png.getvalue()).decode()}"></p>'
        p.write_text(re.sub(r"<table.*?</table>", img, render(filing, fmt="html"), flags=re.S), encoding="utf-8")
    else:
        import docx

        d = docx.Document()
        for s in filing.fmt.sections:
            d.add_paragraph(s.heading)
            if s.kind == "table":
                png.seek(0)
                d.add_picture(png)
            else:
                d.add_paragraph(NARRATIVE[s.id])
        d.save(p)
    r = CliRunner().invoke(main, ["import", str(p)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "找不到可读取的统计表" in r.output and "3 张图片" in r.output and "图片中的数字无法读取" in r.output


RARE = "测试县堃镕街道办事处"  # 堃 and 镕 are GBK, not GB2312: common in names, and pages declare gb2312 all the same


def _mhtml_declared(html: str, declared: str) -> bytes:
    msg = email.mime.multipart.MIMEMultipart("related")
    part = email.mime.text.MIMEText(html, "html", "gb18030")
    part.set_param("charset", declared)
    msg.attach(part)
    return msg.as_bytes()


def _declared(html: str, declared: str, encoding: str) -> bytes:
    return html.replace('<meta charset="utf-8">', f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">'
                        ).encode(encoding)


@pytest.mark.parametrize("name,make", [
    ("gb2312-holding-gbk.html", lambda h: _declared(h, "gb2312", "gb18030")),
    ("utf8-under-gb2312.html", lambda h: _declared(h, "gb2312", "utf-8")),  # a crawler's UTF-8 copy
    ("gbk-under-utf8.html", lambda h: _declared(h, "utf-8", "gb18030")),
    ("xhtml.html", lambda h: ('<?xml version="1.0" encoding="gb2312"?>\n' + h.split("\n", 1)[1]).encode("gb18030")),
    ("single-file.mht", lambda h: _mhtml_declared(h, "gb2312")),
])
def test_a_page_is_read_by_its_bytes_not_only_its_declared_encoding(tmp_path, name, make):
    """Before, one GBK character in a page declared gb2312 (or a page whose bytes are not what it declares) lost
    the whole page: "不像政府信息公开工作年度报告"."""
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(22), scale=300)
    f = Filing(fmt=fmt, identity={"unit": RARE, "year": 2023}, raw=values,
               narrative=dict(NARRATIVE, overview="本年度由张喆同志负责政府信息公开工作。"))
    p = tmp_path / name
    p.write_bytes(make(render(f, fmt="html")))
    back = import_report(p)
    assert (back.unit, back.year, back.values) == (RARE, 2023, values)
    assert "张喆" in back.narrative["overview"]
