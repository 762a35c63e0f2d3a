"""Which reader a file needs: by what it holds first, by its name after. Sites publish reports under names that do
not say what they are — a crawled page saved as .shtml, .jsp or .aspx, a Word "web page" or "single file web page"
saved as .doc, a PDF behind a download link without its suffix — and old Word (.doc) and WPS (.wps) files, which
LibreOffice turns into .docx when the machine has it."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..errors import NianbaoError
from .from_html import MHTML

BY_SUFFIX = {".docx": "from_docx", ".html": "from_html", ".htm": "from_html", ".xhtml": "from_html",
             ".mht": "from_html", ".mhtml": "from_html",
             ".txt": "from_text", ".text": "from_text", ".md": "from_text", ".markdown": "from_text",
             ".pdf": "from_pdf"}
LEGACY = (".doc", ".wps")
_SHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".et", ".csv")
REPORT_SUFFIXES = (*BY_SUFFIX, *LEGACY)  # what `import` reads by name (and anything it recognises inside)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of old Word, WPS and Excel
_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|title|table|div|p)[\s>]", re.IGNORECASE)
CONVERT_SECONDS = 120


def reader_for(path: Path) -> str:
    """The reader module's name, or "legacy" for an old Word/WPS file."""
    suffix = path.suffix.lower()
    if suffix in _SHEETS:
        raise NianbaoError(f"{path.name} 是表格文件，不是已发布的年度报告：填报表请用 nianbao check 校验", 2)
    with open(path, "rb") as f:
        head = f.read(4096)
    if b"%PDF-" in head[:1024]:  # the standard allows bytes before the header
        return "from_pdf"
    if head.startswith(b"PK\x03\x04"):
        return "from_docx"
    if head.startswith(_OLE):
        return "legacy"
    text = head.replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")  # UTF-16 too
    if suffix in (".txt", ".text", ".md", ".markdown"):  # text, unless it is a page's source
        return "from_html" if re.match(rb"<(?:!doctype\s+html|html)[\s>]", text, re.IGNORECASE) else BY_SUFFIX[suffix]
    if MHTML.match(text) or _HTML.search(text):
        return "from_html"
    if suffix in BY_SUFFIX:
        return BY_SUFFIX[suffix]
    if suffix in LEGACY:
        raise NianbaoError(f"{path.name} 不是可读取的 Word/WPS 文档：内容已损坏或不是文档", 2)
    if head and b"\x00" not in head[:1024]:
        return "from_text"  # a page or a text saved without a suffix, or with one that says nothing
    raise NianbaoError(f"不支持的文件类型“{suffix or path.name}”：可导入 .docx、.doc、.wps、.html、.txt、.md、.pdf", 2)


def legacy_to_docx(path: Path, tmp: Path) -> Path:
    """An old Word/WPS file converted to .docx by LibreOffice (a private throwaway profile; the input copied first,
    so LibreOffice never holds the user's file)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise NianbaoError(f"{path.name} 是旧版 Word/WPS 文档：本机未安装 LibreOffice，无法转换；"
                           "请在 Word 或 WPS 中另存为 .docx 再导入", 2)
    src = tmp / f"report{path.suffix.lower()}"
    shutil.copyfile(path, src)
    out = tmp / "out"
    cmd = [soffice, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless", "--norestore", "--nologo",
           "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(src)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, HOME=str(tmp)),
                            start_new_session=True)  # its own group: a hung soffice.bin is stopped with it
    try:
        proc.wait(timeout=CONVERT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise NianbaoError(f"{path.name}：LibreOffice 转换超时（{CONVERT_SECONDS} 秒），请在 Word 或 WPS 中另存为 .docx 再导入",
                           2) from None
    docx = out / "report.docx"
    if not docx.is_file():
        raise NianbaoError(f"{path.name}：LibreOffice 无法转换此文档（文件可能已损坏），请在 Word 或 WPS 中另存为 .docx 再导入", 2)
    return docx


def read_legacy(path: Path):
    from . import from_docx

    with tempfile.TemporaryDirectory(prefix="nianbao-doc-") as tmp:
        return from_docx.read(legacy_to_docx(path, Path(tmp)))
