"""The rendition matrix: random valid filings, rendered by `report`, taken through the extraction paths a publisher
or a crawler uses, imported back and compared cell by cell with the filing.

    .venv/bin/python benchmarks/import_matrix.py [--n 200] [--seed 12] [--paths pdf,pdftotext-layout] [--keep DIR]

Each filing (seeded: the same --seed gives the same filings) is one of the three layouts (2021, 2019 and the
import-only 2021-merged-other), with blank cells, large numbers, a fee with up to 4 decimals and a unit name of
2–40 Chinese characters. Its docx, html and md go through every path below; every rendition is imported with
`nianbao.importer.import_report` (what the CLI runs) and graded: cells exact, layout right, false errors (an error
the filing does not have), silent wrong cells (a wrong number that no warning names), whether a text extraction of
the PDF reads the same as the PDF itself, and the import's time.
The clerk-* paths start from a second rendition of each filing, the report as a clerk types it in Word
(clerk.py: other table shapes than `report` draws — label columns, header rows, split tables, marks for blanks),
and take its .docx as is, through LibreOffice to PDF (and that PDF's `pdftotext -layout`), to HTML and to text.
A path whose tool is missing is skipped (and fails the run under CI=true).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(HERE))  # noise.py
sys.path.insert(0, str(REPO / "tests"))  # libreoffice.py: one soffice run for many files, a private profile

LAYOUTS = ("2021", "2019", "2021-merged-other")
# characters of unit names (place names, 沭 among them for the OCR pass, and the words of departments)
_NAME_CHARS = ("沭阳淮安平潭山海关泗洪宿迁徐州南京苏州无锡常州镇江扬州泰州盐城连云港福建浙江杭州宁波温州"
               "市县区镇乡街道人民政府办公室发展和改革委员会局教育卫生健康自然资源规划生态环境住房城乡建设交通运输"
               "水利农业农村商务文化广电旅游体育应急管理审计市场监督统计医疗保障退役军人事务民政司法财政")
NARRATIVE = {
    "overview": "本年度依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。\n（一）主动公开。"
                "本年度通过政府网站主动公开各类政府信息。\n（二）依申请公开。依法按时答复每一件申请。",
    "problems": "存在的主要问题是公开内容不够及时。\n改进措施是加强培训，完善制度。",
    "other": "本年度未收取信息处理费。",
}


@dataclass
class Case:
    name: str  # file stem: f001 …
    layout: str
    unit: str
    year: int
    values: dict
    blanks: str = "cells"  # the pattern of its blank cells (make_cases)


def unit_name(rng: random.Random) -> str:
    n = rng.choice((2, 3, 4, rng.randint(5, 20), rng.randint(20, 40), 40))
    return "".join(rng.choice(_NAME_CHARS) for _ in range(n))


def make_cases(n: int, seed: int = 12) -> list[Case]:
    """n random valid filings, the three layouts in turn.

    Zeros are left blank in one of three patterns, drawn for filing i from a generator of its own
    (random.Random(f"{seed}:{i}")), so that the main generator's draws, and every filing of the first pattern, are
    the same as before the patterns came (seed 2026's cells-pattern filings are those of the earlier tables):
    - cells (3 in 5): each zero blank with a rate drawn per filing (0, 0, 5 % or 30 %);
    - columns (1 in 5): some of 表三's 法人或其他组织 columns had no applicant all year, every cell 0 (the values
      drawn again with those columns zero), printed blank top to bottom (3 in 4) or 0 top to bottom; the other
      zeros as in the cells pattern;
    - zeros (1 in 5): every zero left blank, so a row where nothing happened prints its label alone.
    """
    from nianbao.formats import load_format

    rng = random.Random(seed)
    out = []
    for i in range(n):
        layout = LAYOUTS[i % 3]
        fmt = load_format(layout)
        values = _numbers(fmt, rng)
        blanks = rng.choice((0.0, 0.0, 0.05, 0.3))  # a cell left empty where nothing happened
        for key, v in values.items():
            if v == 0 and rng.random() < blanks:
                values[key] = None
        year = rng.choice((2019, 2020)) if layout == "2019" else rng.randint(2021, 2025)
        unit = unit_name(rng)
        own = random.Random(f"{seed}:{i}")
        pattern = own.choices(BLANK_PATTERNS, weights=(3, 1, 1))[0]
        if pattern == "columns":
            values = _blank_columns(fmt, own, blanks)
        elif pattern == "zeros":
            values = {k: v if v else None for k, v in values.items()}
        out.append(Case(f"f{i:03d}", layout, unit, year, values, pattern))
    return out


BLANK_PATTERNS = ("cells", "columns", "zeros")


def _numbers(fmt, rng: random.Random, zero: frozenset = frozenset()) -> dict:
    """A valid filing's numbers (the keys in `zero` 0), 表二's of any size."""
    from nianbao.sample_data import random_valid_values

    zeros = rng.choice((0.2, 0.5, 0.8))
    while True:  # 表三/表四 at most 5 digits: wider numbers wrap in the Word table's narrow columns
        values = random_valid_values(fmt, rng, scale=rng.choice((20, 400, 2000, 4000)), zero_share=zeros, zero=zero)
        if max(abs(v) for k, v in values.items() if not k.startswith("t2")) < 100_000:
            break
    big = rng.choice((100, 10_000, 1_000_000, 100_000_000))  # 表二 has no identities: any size
    for key, cell in fmt.cells.items():
        if not key.startswith("t2") or not values[key]:
            continue
        if cell.type == "decimal":  # the fee (万元) or the procurement amount: up to 4 decimal places
            places = rng.randint(0, 4)
            values[key] = round(rng.uniform(0, big), places) if places else rng.randint(1, big)
        elif cell.type == "signed":
            values[key] = rng.randint(-big, big)
        else:
            values[key] = rng.randint(1, big)
    return values


def _blank_columns(fmt, rng: random.Random, blanks: float) -> dict:
    """Numbers where k of 表三's 法人或其他组织 columns (those between 自然人 and 总计) are 0 in every row, printed
    blank (or 0) top to bottom; the other zeros blank at the rate `blanks`."""
    t3 = fmt.tables["t3"]
    orgs = [c.key for c in t3.columns[1:-1]]
    cols = set(rng.sample(orgs, rng.randint(1, len(orgs))))
    zero = frozenset(k for k, c in t3.cells.items() if c.col in cols)
    values = _numbers(fmt, rng, zero)
    empty = None if rng.random() < 0.75 else 0
    for key, v in values.items():
        if key in zero:
            values[key] = empty
        elif v == 0 and rng.random() < blanks:
            values[key] = None
    return values


def filing_of(case: Case):
    from nianbao.filing import Filing
    from nianbao.formats import load_format

    return Filing(fmt=load_format(case.layout), identity={"unit": case.unit, "year": case.year},
                  raw=dict(case.values), narrative=dict(NARRATIVE), origin="import")


# ------------------------------------------------------------------------------------------------ extraction paths
@dataclass
class Path_:
    name: str
    source: str  # the rendition it starts from: docx | html | md | pdf
    suffix: str  # of the file handed to import
    tool: str | None = None  # what must be installed (an executable or a Python module)


PATHS = [Path_(*p) for p in (
    ("docx", "docx", ".docx"), ("html", "html", ".html"), ("md", "md", ".md"),
    ("pdf", "pdf", ".pdf", "soffice"), ("chromium-pdf", "html", ".pdf", "chromium"),
    ("pdf-norules", "docx", ".pdf", "soffice"),
    ("pdftotext-layout", "pdf", ".txt", "pdftotext"), ("pdftotext-raw", "pdf", ".txt", "pdftotext"),
    ("pdftotext", "pdf", ".txt", "pdftotext"),
    ("pdfplumber-text", "pdf", ".txt", "pdfplumber"), ("pymupdf-text", "pdf", ".txt", "pymupdf"),
    ("pymupdf4llm", "pdf", ".md", "pymupdf4llm"),
    ("lo-txt", "docx", ".txt", "soffice"),
    ("pandoc-md", "docx", ".md", "pandoc"), ("mammoth-md", "docx", ".md", "mammoth"),
    ("mammoth-html", "docx", ".html", "mammoth"),
    ("html2text", "html", ".md", "html2text"), ("trafilatura", "html", ".txt", "trafilatura"),
    ("flat-nosep", "html", ".txt"), ("flat-space", "html", ".txt"), ("flat-tab", "html", ".txt"),
    ("flat-lines", "html", ".txt"),
    ("ocr-noise", "md", ".md"), ("html-tables-md", "md", ".md"),
    # the report typed by a clerk in Word from the template (clerk.py: other table shapes than `report` draws)
    ("clerk-docx", "clerk", ".docx"), ("clerk-pdf", "clerk", ".pdf", "soffice"),
    ("clerk-layout", "clerk-pdf", ".txt", "pdftotext"), ("clerk-html", "clerk", ".html", "soffice"),
    ("clerk-txt", "clerk", ".txt", "soffice"),
)]
# LibreOffice's conversions of the clerk's .docx: the PDF, Word's 另存为网页 (HTML), 另存为纯文本
CLERK_LO = {"clerk-pdf": ("pdf:writer_pdf_Export", ".pdf"), "clerk-html": ("html:HTML (StarWriter)", ".html"),
            "clerk-txt": ("txt:Text (encoded):UTF8", ".txt")}
CLERK_SHAPES: dict[str, list[str]] = {}  # case → the shapes its clerk rendition drew (for the failures shown)


CHROMIUM = Path("/usr/bin/chromium")  # Debian's, driven by Playwright (as tests/test_desk_browser.py does)


def tool_missing(tool: str | None) -> bool:
    if tool is None:
        return False
    if tool == "chromium":
        import importlib.util

        return not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None
    if tool in ("soffice", "pdftotext", "pandoc"):
        return shutil.which(tool) is None
    import importlib.util

    return importlib.util.find_spec(tool) is None


def _run(cmd, **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120, **kw).stdout


def flatten_html(html: str, sep: str, empty_cells: bool = True) -> str:
    """A page as a crawler keeps it: one line a block, the cells of a table row joined by `sep` (an empty cell
    left out when not `empty_cells`)."""
    import lxml.html

    root = lxml.html.document_fromstring(html)
    lines = []
    for el in root.iter("h1", "h2", "p", "caption", "tr"):
        if el.tag == "tr":
            cells = [c.text_content().strip() for c in el if c.tag in ("td", "th")]
            lines.append(sep.join(c for c in cells if c or empty_cells))
        else:
            lines.append(el.text_content().strip())
    return "\n".join(ln for ln in lines if ln) + "\n"


def html_tables_in_md(md: str, html: str) -> str:
    """Markdown as PDF-to-Markdown tools such as MinerU write it: the text as Markdown, each table an HTML block."""
    import re

    tables = iter(re.findall(r"<table.*?</table>", html, re.S))
    return re.sub(r"(?m)(?:^\|.*\n)+", lambda m: "\n" + next(tables) + "\n\n", md)


def pdfplumber_text(pdf: Path) -> str:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return "\n".join(p.extract_text() or "" for p in doc.pages)


def pymupdf_text(pdf: Path) -> str:
    import pymupdf

    with pymupdf.open(pdf) as doc:
        return "".join(p.get_text() for p in doc)


def pymupdf4llm_of(pdf: Path) -> str:
    """PyMuPDF4LLM's Markdown of the PDF, as LLM pipelines take it (its layout model when PyMuPDF has it); its
    messages kept out of the matrix's table."""
    import contextlib
    import io

    import pymupdf4llm

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return pymupdf4llm.to_markdown(str(pdf))


def mammoth_of(docx: Path, markdown: bool) -> str:
    import mammoth

    with open(docx, "rb") as f:
        if markdown:
            return mammoth.convert_to_markdown(f).value
        return "<html><body>" + mammoth.convert_to_html(f).value + "</body></html>"


def html2text_of(html: str) -> str:
    import html2text

    h = html2text.HTML2Text()
    h.body_width = 0
    return h.handle(html)


def trafilatura_of(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_tables=True, favor_recall=True) or ""


def extract(path: Path_, case: Case, src: dict[str, Path], out: Path, rng: random.Random) -> Path:
    """The rendition of `case` along `path`, written into `out`; the file to import."""
    target = out / f"{case.name}.{path.name}{path.suffix}"
    if path.name in ("docx", "html", "md", "pdf"):
        return src[path.name]
    if path.name in ("lo-txt", "chromium-pdf", "pdf-norules", "pymupdf4llm", "clerk-docx", *CLERK_LO):
        return src[path.name]
    if path.name == "clerk-layout":
        _run(["pdftotext", "-layout", "-enc", "UTF-8", str(src["clerk-pdf"]), str(target)])
        return target
    text = None
    if path.name.startswith("pdftotext"):
        mode = {"pdftotext-layout": ["-layout"], "pdftotext-raw": ["-raw"], "pdftotext": []}[path.name]
        _run(["pdftotext", *mode, "-enc", "UTF-8", str(src["pdf"]), str(target)])
        return target
    if path.name == "pdfplumber-text":
        text = pdfplumber_text(src["pdf"])
    elif path.name == "pymupdf-text":
        text = pymupdf_text(src["pdf"])
    elif path.name == "pandoc-md":
        text = _run(["pandoc", "-f", "docx", "-t", "gfm", "--wrap=none", str(src["docx"])])
    elif path.name in ("mammoth-md", "mammoth-html"):
        text = mammoth_of(src["docx"], path.name == "mammoth-md")
    else:
        html = src["html"].read_text(encoding="utf-8")
        if path.name == "html2text":
            text = html2text_of(html)
        elif path.name == "trafilatura":
            text = trafilatura_of(html)
        elif path.name == "flat-nosep":
            text = flatten_html(html, "")
        elif path.name == "flat-space":
            text = flatten_html(html, " ")
        elif path.name == "flat-tab":  # the page's tables copied from the browser into a text editor
            text = flatten_html(html, "\t")
        elif path.name == "flat-lines":  # BeautifulSoup's get_text("\n"): a cell a line, an empty cell is nothing
            text = flatten_html(html, "\n", empty_cells=False)
        elif path.name == "html-tables-md":
            text = html_tables_in_md(src["md"].read_text(encoding="utf-8"), html)
        elif path.name == "ocr-noise":
            from noise import damage

            text = damage(src["md"].read_text(encoding="utf-8"), rng)
    target.write_text(text, encoding="utf-8")
    return target


# ------------------------------------------------------------------------------------------------ grading
@dataclass
class Grade:
    path: str
    case: str
    cells: int = 0
    exact: int = 0
    silent_wrong: int = 0  # a number read that is not the filing's, and no warning or error names the cell
    layout_ok: bool = False
    unit_ok: bool = False
    false_errors: list = field(default_factory=list)
    seconds: float = 0.0
    refused: str | None = None
    wrong: dict = field(default_factory=dict)


class _TooLong(Exception):
    pass


def _alarm(signum, frame):
    raise _TooLong


def grade(path_name: str, case: Case, file: Path, timeout: int = 30) -> Grade:
    from nianbao.checks import check
    from nianbao.errors import NianbaoError
    from nianbao.importer import import_report

    g = Grade(path_name, case.name, cells=len(case.values))
    start = time.perf_counter()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)  # an import that runs away is a failure of its own, not a hung matrix
    try:
        back = import_report(file)
    except NianbaoError as e:
        g.refused = e.message
        return g
    except _TooLong:
        g.refused = f"import took more than {timeout} s"
        return g
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    g.seconds = time.perf_counter() - start
    g.layout_ok = back.layout == case.layout and back.year == case.year
    g.unit_ok = back.unit == case.unit
    named = {k for f in back.findings if f.severity in ("warning", "error") for k in f.keys}
    for k, want in case.values.items():
        got = back.values.get(k)
        if got == want and (got is None) == (want is None):
            g.exact += 1
        else:
            g.wrong[k] = (got, want)
            g.silent_wrong += got is not None and k not in named  # a cell left unread is not a wrong number
    reference = {(f.rule, tuple(f.keys)) for f in check(filing_of(case)) if f.severity == "error"}
    g.false_errors = [f"{f.rule} {f.message}" for f in check(back) if f.severity == "error"
                      and (f.rule, tuple(f.keys)) not in reference]
    return g


# ------------------------------------------------------------------------------------------------ the run
def render_sources(cases: list[Case], out: Path, seed: int = 12, paths=()) -> dict[str, dict[str, Path]]:
    """Each case rendered by `report` (docx, html, md) and, for the clerk paths, typed by a clerk (clerk.py) and
    converted by LibreOffice as its paths need."""
    from clerk import render_clerk
    from nianbao.report import render

    src = {}
    for c in cases:
        f = filing_of(c)
        src[c.name] = {}
        for kind in ("docx", "html", "md"):
            data = render(f, fmt=kind)
            p = out / f"{c.name}.{kind}"
            p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
            src[c.name][kind] = p
    names = {p.name for p in paths}
    if any(p.source.startswith("clerk") for p in paths):
        (out / "clerk").mkdir(exist_ok=True)
        for c in cases:
            data, CLERK_SHAPES[c.name] = render_clerk(filing_of(c), random.Random(f"{seed}-{c.name}-clerk"))
            p = src[c.name]["clerk-docx"] = out / "clerk" / f"{c.name}.docx"
            p.write_bytes(data)
        docx = [src[c.name]["clerk-docx"] for c in cases]
        for name, (target, ext) in CLERK_LO.items():
            if name in names or name == "clerk-pdf" and "clerk-layout" in names:
                for c, f in zip(cases, libreoffice(docx, target, ext, out / name)):
                    src[c.name][name] = f
    return src


def libreoffice(files: list[Path], target: str, ext: str, outdir: Path) -> list[Path]:
    """Every file through ONE soffice run (start-up costs seconds), with a private throwaway profile."""
    from libreoffice import make_profile

    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nianbao-lo-") as tmp:
        profile = make_profile(Path(tmp) / "profile")
        cmd = [shutil.which("soffice"), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--nologo", "--convert-to", target, "--outdir", str(outdir), *map(str, files)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60 + 5 * len(files), env=dict(os.environ, HOME=tmp))
    out = [outdir / f"{f.stem}{ext}" for f in files]
    missing = [p.name for p in out if not p.is_file()]
    if missing:
        raise RuntimeError(f"LibreOffice did not write {missing[:5]}")
    return out


def chromium_pdf(files: list[Path], outdir: Path) -> list[Path]:
    """Every page printed to PDF by Chromium ("Save as PDF", Skia's PDF: fonts without ascent, descent or
    bounding box), in one browser."""
    from playwright.sync_api import sync_playwright

    outdir.mkdir(parents=True, exist_ok=True)
    out = [outdir / f"{f.stem}.pdf" for f in files]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for f, pdf in zip(files, out):
            page.goto(f.resolve().as_uri())
            page.pdf(path=str(pdf))
        browser.close()
    return out


def without_rules(src: Path, dst: Path) -> None:
    """The Word report with every table and cell border removed (a table laid out without a grid, or exported
    with the grid hidden): its PDF has no lines for a table finder, only characters where the cells were."""
    import zipfile

    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zi.infolist():
            data = zi.read(item.filename)
            if item.filename in ("word/document.xml", "word/styles.xml"):
                data = re.sub(rb'<w:(top|left|bottom|right|insideH|insideV|start|end) w:val="[^"]*"',
                              rb'<w:\1 w:val="nil"', data)
            zo.writestr(item, data)


def run(cases: list[Case], paths: list[Path_], work: Path, seed: int = 12, workers: int = 1,
        timeout: int = 30) -> tuple[list[Grade], list[str]]:
    """Every case through every path whose tool is present; (grades, paths skipped for a missing tool)."""
    skipped = [p.name for p in paths if tool_missing(p.tool)]
    paths = [p for p in paths if p.name not in skipped]
    src = render_sources(cases, work, seed, paths)
    docx = [src[c.name]["docx"] for c in cases]
    if any(p.source == "pdf" for p in paths):
        for c, pdf in zip(cases, libreoffice(docx, "pdf:writer_pdf_Export", ".pdf", work / "pdf")):
            src[c.name]["pdf"] = pdf
    if any(p.name == "chromium-pdf" for p in paths):
        for c, pdf in zip(cases, chromium_pdf([src[c.name]["html"] for c in cases], work / "chromium-pdf")):
            src[c.name]["chromium-pdf"] = pdf
    if any(p.name == "pdf-norules" for p in paths):  # the Word report without rules: no lines for the finder
        (work / "norules").mkdir(exist_ok=True)
        bare = [work / "norules" / d.name for d in docx]
        for d, b in zip(docx, bare):
            without_rules(d, b)
        for c, pdf in zip(cases, libreoffice(bare, "pdf:writer_pdf_Export", ".pdf", work / "pdf-norules")):
            src[c.name]["pdf-norules"] = pdf
    if any(p.name == "pymupdf4llm" for p in paths):  # seconds a PDF (a layout model): in the pool
        with ProcessPoolExecutor(max(1, workers)) as pool:
            for c, text in zip(cases, pool.map(pymupdf4llm_of, [src[c.name]["pdf"] for c in cases])):
                src[c.name]["pymupdf4llm"] = work / f"{c.name}.pymupdf4llm.md"
                src[c.name]["pymupdf4llm"].write_text(text, encoding="utf-8")
    if any(p.name == "lo-txt" for p in paths):
        for c, txt in zip(cases, libreoffice(docx, "txt:Text (encoded):UTF8", ".txt", work / "lo-txt")):
            src[c.name]["lo-txt"] = txt
    jobs = []
    for c in cases:
        rng = random.Random(f"{seed}-{c.name}")
        jobs += [(p.name, c, extract(p, c, src[c.name], work, rng), timeout) for p in paths]
    if workers <= 1:
        return [grade(*j) for j in jobs], skipped
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_grade, jobs, chunksize=8)), skipped


def _grade(job) -> Grade:
    return grade(*job)


def table(grades: list[Grade], paths: list[Path_]) -> str:
    rows = [("path", "filings", "cells exact", "silent wrong", "false errors", "layout right", "unit right",
             "refused", "same as PDF", "median ms", "max ms")]
    pdfs = {p: {g.case: g.wrong for g in grades if g.path == p and g.refused is None} for p in ("pdf", "clerk-pdf")}
    for p in paths:
        gs = [g for g in grades if g.path == p.name]
        if not gs:
            continue
        cells = sum(g.cells for g in gs)
        exact = sum(g.exact for g in gs)
        times = sorted(g.seconds * 1000 for g in gs if g.refused is None) or [0.0]
        rows.append((p.name, str(len(gs)), f"{exact}/{cells} ({100 * exact / cells:.2f}%)",
                     str(sum(g.silent_wrong for g in gs)), str(sum(len(g.false_errors) for g in gs)),
                     f"{sum(g.layout_ok for g in gs)}/{len(gs)}", f"{sum(g.unit_ok for g in gs)}/{len(gs)}",
                     str(sum(g.refused is not None for g in gs)),
                     f"{sum(pdfs[p.source].get(g.case) == g.wrong and g.refused is None for g in gs)}/{len(gs)}"
                     if pdfs.get(p.source) else "", f"{times[len(times) // 2]:.0f}", f"{times[-1]:.0f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="rendition matrix of nianbao import (issue 12)")
    ap.add_argument("--n", type=int, default=200, help="random valid filings (default 200)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--paths", default="", help="comma-separated paths (default: all)")
    ap.add_argument("--keep", default="", help="write the renditions into this folder and keep them")
    ap.add_argument("--workers", type=int, default=2, help="processes importing (default 2)")
    ap.add_argument("--details", type=int, default=5, help="failures shown per path")
    a = ap.parse_args(argv)
    paths = [p for p in PATHS if not a.paths or p.name in a.paths.split(",")]
    cases = make_cases(a.n, a.seed)
    with tempfile.TemporaryDirectory(prefix="nianbao-matrix-") as tmp:
        work = Path(a.keep) if a.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        grades, skipped = run(cases, paths, work, a.seed, a.workers)
    for p in paths:
        bad = [g for g in grades if g.path == p.name and (g.wrong or g.false_errors or g.refused or not g.layout_ok
                                                           or not g.unit_ok)]
        for g in bad[:a.details]:
            what = g.refused or f"{len(g.wrong)} wrong {dict(list(g.wrong.items())[:4])} errors {g.false_errors[:2]}"
            print(f"  {p.name} {g.case}: layout_ok={g.layout_ok} unit_ok={g.unit_ok} {what}"[:400])
            if p.source.startswith("clerk"):
                print(f"    shapes: {'; '.join(CLERK_SHAPES.get(g.case, []))}"[:400])
    print(table(grades, paths))
    print(f"{len(cases)} filings, {len(grades)} imports in {time.perf_counter() - start:.0f} s")
    if skipped:
        print("skipped (tool missing): " + ", ".join(skipped))
        if os.environ.get("CI", "").lower() == "true":
            return 1
    perfect = all(not g.wrong and not g.false_errors and not g.refused and g.layout_ok and g.unit_ok for g in grades)
    return 0 if perfect else 1


if __name__ == "__main__":
    sys.exit(main())
