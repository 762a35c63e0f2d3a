"""Import speed, in-process: `nianbao.importer.import_report` of each real report, and of one generated Word report
(no real .docx is kept), a generated text whose blank cells were left out (its 表三 undecided) and the Word
report's PDF made by LibreOffice (when soffice is installed; the only PDF when ../shared is absent), median of
repeated imports after one warm-up import (module imports and the format definitions' loading are not counted:
they are paid once per process).

    .venv/bin/python benchmarks/import_speed.py [--real-reports DIR] [--repeat 7]

Targets (issue 12): ≤ 50 ms for text, HTML and Word; ≤ 300 ms for a PDF. Run by `benchmarks/run.py` (`make bench`)
in a child process, so its figures come from a fresh interpreter like a user's.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

LIMIT_MS = {".pdf": 300.0}
DEFAULT_LIMIT_MS = 50.0
KINDS = (".pdf", ".txt", ".md", ".html", ".htm", ".docx")


def generated_docx(folder: Path) -> Path:
    from nianbao.filing import Filing
    from nianbao.formats import load_format
    from nianbao.report import render
    from nianbao.sample_data import random_valid_values

    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(12), scale=400)
    narrative = {"overview": "本年度依法做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。",
                 "problems": "存在的问题是公开不够及时。改进措施是加强培训。", "other": "本年度未收取信息处理费。"}
    filing = Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": 2024}, raw=values, narrative=narrative)
    path = folder / "generated-2024.docx"
    path.write_bytes(render(filing, fmt="docx"))
    return path


def generated_undecided(folder: Path) -> Path:
    """A report whose 表三 the identities cannot decide: a filing with blank cells in most rows, its Markdown
    report's tables printed a cell a line with the empty cells left out, as text extracted from a PDF or a page
    gives them (pdftotext -raw, PyMuPDF, mammoth's Markdown). The import's slowest kind of text: which cells were
    blank is searched table-wide, then named in warnings."""
    from nianbao.filing import Filing
    from nianbao.formats import load_format
    from nianbao.report import render
    from nianbao.sample_data import random_valid_values

    fmt = load_format("2021")
    rng = random.Random(2026)
    values = random_valid_values(fmt, rng, scale=2000, zero_share=0.8)
    values = {k: None if v == 0 and rng.random() < 0.3 else v for k, v in values.items()}
    filing = Filing(fmt=fmt, identity={"unit": "测试县发展和改革局", "year": 2024}, raw=values,
                    narrative={"overview": "本年度依法做好主动公开、依申请公开工作。", "problems": "存在的问题是公开不够及时。",
                               "other": "本年度未收取信息处理费。"})
    lines = []
    for line in render(filing, fmt="md").split("\n"):
        s = line.strip()
        if not s.startswith("|"):
            lines.append(line)
        elif not set(s) <= set("|-: "):
            lines += [c.strip() for c in s.strip("|").split("|") if c.strip()]
    path = folder / "generated-undecided-2024.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def generated_pdf(docx: Path) -> list[Path]:
    """The Word report through LibreOffice (docx → PDF), as a publisher makes its PDF; [] without soffice."""
    import shutil

    if not shutil.which("soffice"):
        print("import_speed: soffice not found, no generated PDF measured", file=sys.stderr)
        return []
    from import_matrix import libreoffice

    return libreoffice([docx], "pdf:writer_pdf_Export", ".pdf", docx.parent / "pdf")


def measure(files: list[Path], repeat: int) -> list[dict]:
    from nianbao.importer import import_report
    from nianbao.importer.digit_runs import forget

    out = []
    for p in files:
        import_report(p)  # warm-up: the reader's modules and the format definitions
        times, cpu = [], []
        for _ in range(repeat):
            forget()  # the rows' splits the warm-up cached: each run reads the report anew, as a user's import does
            t0, c0 = time.perf_counter(), time.process_time()
            import_report(p)
            times.append(1000 * (time.perf_counter() - t0))
            cpu.append(1000 * (time.process_time() - c0))
        limit = LIMIT_MS.get(p.suffix.lower(), DEFAULT_LIMIT_MS)
        med = statistics.median(times)
        # the target is on the wall clock; the CPU time is what the import itself costs when other work shares
        # the cores (on a busy machine the wall clock also counts the time spent waiting for one)
        out.append({"file": p.name, "median_ms": round(med, 1), "runs_ms": [round(t, 1) for t in times],
                    "cpu_median_ms": round(statistics.median(cpu), 1), "limit_ms": limit, "pass": med <= limit})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--real-reports", default=str(HERE.parent.parent / "shared" / "real-reports"))
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args(argv)
    folder = Path(a.real_reports)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in KINDS and not p.name.lower().startswith("readme")
                   ) if folder.is_dir() else []
    with tempfile.TemporaryDirectory(prefix="nianbao-import-speed-") as tmp:
        docx = generated_docx(Path(tmp))
        results = measure(files + [docx, generated_undecided(Path(tmp))] + generated_pdf(docx), max(a.repeat, 1))
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
