"""The Word report in a real engine: LibreOffice converts it to PDF, and 表三 lies whole within its page."""
from __future__ import annotations

import os
import random
import subprocess

import pdfplumber
import pytest

from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.report import texts, write_reports
from nianbao.sample_data import random_valid_values

pytestmark = pytest.mark.libreoffice


def to_pdf(soffice: str, docx_path, tmp_path):
    profile = tmp_path / "lo-profile"
    env = dict(os.environ, HOME=str(tmp_path))
    proc = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                           "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(docx_path)],
                          capture_output=True, text=True, timeout=180, env=env)
    pdf = tmp_path / "pdf" / (docx_path.stem + ".pdf")
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr
    return pdf


@pytest.fixture(scope="module")
def filled():
    fmt = load_format("2021")
    # numbers as large as a big city's (totals of five digits) so that a column too narrow would show
    values = random_valid_values(fmt, random.Random(11), scale=300, zero_share=0.2)
    narrative = {"overview": "主动公开、依申请公开、政府信息管理、平台建设、监督保障情况。\n" * 12,
                 "problems": "存在的问题及改进措施。\n" * 6, "other": "本年度未收取信息处理费。"}
    return Filing.from_values(fmt, values, identity={"unit": "测试区发展和改革局", "year": 2021}, narrative=narrative)


def test_docx_converts_to_pdf_with_table3_within_its_page(soffice, filled, tmp_path):
    docx_path = write_reports(filled, tmp_path, ["docx"])[0]
    pdf = to_pdf(soffice, docx_path, tmp_path)
    t3 = filled.fmt.tables["t3"]
    t3_numbers = {str(filled.values[k]) for k in t3.cells}
    with pdfplumber.open(pdf) as doc:
        assert 3 <= len(doc.pages) <= 8
        pages = [(p, p.extract_words(keep_blank_chars=False)) for p in doc.pages]
        text = "".join(p.extract_text() or "" for p, _ in pages)
        for s in filled.fmt.sections:
            assert s.heading in text  # Chinese rendered as text, not as missing glyphs
        note = next(t.text for t in t3.texts if t.role == "note")
        page, words = next((p, w) for p, w in pages if note[1:9] in (p.extract_text() or "").replace("\n", ""))
        # 表三 is on one page: every one of its numbers printed whole there (none wrapped), within the page's edges
        numbers = [w for w in words if w["text"].isdigit()]
        assert t3_numbers <= {w["text"] for w in numbers}
        for w in numbers:
            assert 0 <= w["x0"] and w["x1"] <= page.width and 0 <= w["top"] and w["bottom"] <= page.height
        assert texts()["draft_mark"] not in text


def test_draft_mark_on_every_pdf_page(soffice, filled, tmp_path):
    raw = dict(filled.raw)
    raw["t4.review.total"] = raw["t4.review.total"] + 1  # T4-01
    bad = Filing.from_values(filled.fmt, raw, identity=filled.identity, narrative=filled.narrative)
    docx_path = write_reports(bad, tmp_path, ["docx"], draft=True)[0]
    with pdfplumber.open(to_pdf(soffice, docx_path, tmp_path)) as doc:
        assert all(texts()["draft_mark"] in (p.extract_text() or "") for p in doc.pages)
