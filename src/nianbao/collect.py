"""Collect a folder of returns against the roster: who sent what, which return counts, the district summary.

`collect(returns, roster, year, key)` reads every workbook under RETURNS (any name, nested folders) in a process
pool, streaming one small result per file (never the workbooks), and adds each to the register
(`nianbao.register`), which identifies it by its stamped, signed identity — never by its file name.
`write_outputs(register, outdir, ...)` then writes the register, the annotated send-backs, the summary workbook
(`nianbao.summary`) and the district report. RETURNS is only ever read. Reading one file: `nianbao.returns`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .errors import NianbaoError
from .register import REGISTER_NAME, Register, register_csv, register_xlsx
from .roster import Unit
from .summary import (BREAKDOWN_CSV, BREAKDOWN_SHEET_MAX, annex, breakdown_apart, build_summary, check_summary,
                      write_breakdown_csv)

SUMMARY_NAME = "汇总.xlsx"
SENDBACK_DIR = "退回"
REPORT_DIR = "报告"


def collect(returns, roster: list[Unit], year: int, key: bytes, previous=None,
            workers: int | None = None, progress=None, files: list[Path] | None = None) -> Register:
    """Read every workbook under `returns` (or the given `files` found there) and add each to a register of the
    roster. `progress(n)` is called per file."""
    from .formats import format_for_year
    from .review import find_workbooks
    from .returns import examine_all

    base = Path(returns)
    if files is None:
        files, missing = find_workbooks([base])
        if missing:
            raise NianbaoError(f"找不到返回表文件夹 {base}")
    register = Register(format_for_year(year), year, roster, base)
    for path, r in zip(files, examine_all(files, key, previous, workers)):
        if progress:
            progress(1)
        register.add(_rel(path, base), path, r)
    return register


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def clear_stale_sendbacks(folder: Path):
    """Annotated copies from an earlier run of this folder (a unit that has since passed must not be sent back)."""
    if folder.is_dir():
        for p in folder.glob("*-批注.xlsx"):
            p.unlink()


def write_sendbacks(c: Register, folder: Path) -> tuple[dict[str, Path], list[str]]:
    """An annotated copy of each unit's failing latest return ({unit: path}), in a process pool when there are
    many (openpyxl takes a tenth of a second for each); and what could not be copied, one line each."""
    from .annotate import annotated_name
    from .review import parallel_map
    from .safe_text import safe_filename

    clear_stale_sendbacks(folder)
    jobs = []
    for rec in c.records + c.strangers:
        s = rec.latest
        if s is None or not s.errors:
            continue
        # one flat folder, named by unit code: two units' files may share a name
        name = annotated_name(Path(s.file))  # the name it came with (the desk keeps files by hash)
        prefix = f"{safe_filename(rec.unit.code)}-" if rec.unit.code else ""
        jobs.append(SendBack(rec.unit.code or rec.unit.name, s.file, s.path, s.result["findings"], folder,
                             name if name.startswith(prefix) else prefix + name))
    out, problems = {}, []
    for job, made in zip(jobs, parallel_map(_sendback, jobs, on_crash=lambda job: "处理进程意外终止")):
        if isinstance(made, Path):
            out[job.unit] = made
        else:
            problems.append(f"{job.unit}（{job.file}）：无法生成批注副本 — {made}")
    return out, problems


class SendBack(NamedTuple):
    unit: str  # code, or name for a unit without one
    file: str  # as in the register
    path: Path
    findings: list
    folder: Path
    name: str  # of the annotated copy


def _sendback(job: SendBack) -> Path | str:
    from .annotate import annotate
    from .errors import UnreadableFile

    try:
        return annotate(job.path, job.findings, job.folder, name=job.name)
    except UnreadableFile as e:  # this file only (a part that fails the limits); the folder's own errors stop all
        return e.message


def default_district(roster: list[Unit]) -> str:
    top = [u for u in roster if u.type == "区政府本级"]
    return top[0].name if len(top) == 1 else "全区"


@dataclass
class Outputs:
    register_csv: Path
    register_xlsx: Path
    summary: Path
    sendbacks: dict
    summary_findings: list
    reports: list
    report_note: str | None = None
    sendback_problems: list = field(default_factory=list)


def write_outputs(c: Register, outdir, key: bytes, district: str, narrative: dict | None = None,
                  formats=("docx", "html", "md"), reference_docx=None,
                  breakdown_sheet_max: int = BREAKDOWN_SHEET_MAX) -> Outputs:
    """Register (CSV, XLSX), send-backs, the summary workbook (checked after it is written) and the district
    report with its annex. Nothing is written under RETURNS. Above `breakdown_sheet_max` included units the
    breakdown is written beside the summary as its CSV."""
    from .atomic import write_bytes, write_text

    from .review import Aside
    from .xlsx_read import read

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    # the summary is built in a process of its own while this one writes the register and the send-backs
    summary = Aside(lambda: write_bytes(outdir / SUMMARY_NAME, build_summary(c, district, key, narrative,
                                                                             breakdown_sheet_max)))
    csv_path = write_text(outdir / f"{REGISTER_NAME}.csv", register_csv(c))
    xlsx_path = write_bytes(outdir / f"{REGISTER_NAME}.xlsx", register_xlsx(c))
    sendbacks, sendback_problems = write_sendbacks(c, outdir / SENDBACK_DIR)
    if breakdown_apart(c, breakdown_sheet_max):
        write_breakdown_csv(c, outdir / BREAKDOWN_CSV)
    summary_path = summary.result()
    filing = read(summary_path)  # checked, then reported, from what was written
    findings = check_summary(c, filing, key)
    reports, note = [], None
    if formats:
        from .report import write_reports

        target = outdir / REPORT_DIR
        # a district without its narrative yet still gets its numbers laid out: as a marked draft
        reports = write_reports(filing, target, tuple(formats), draft=True, reference_docx=reference_docx,
                                narrative=narrative, annex=annex(c))
        if not narrative:
            note = "未提供区级正文（--narrative），报告按草稿生成（每页标注草稿）"
    return Outputs(csv_path, xlsx_path, summary_path, sendbacks, findings, reports, note, sendback_problems)