"""The benchmark suite behind `make bench`: our commands, as whole processes, against two baselines in the same run.

    .venv/bin/python benchmarks/run.py [--n 1000] [--runs 3] [--out benchmarks/results/latest.json] [--quick]

Set-up (not timed): N stamped, signed, filled returns (random valid values, a narrative) and a roster of N units
in a temporary folder, built once per run of this script. Then, in rounds (every measurement once per round, so
background load on a shared machine hits all of them alike), each measured as a whole process, median of the runs:

  template_roster   nianbao template --roster (N stamped templates)
  template_roster_before  the same with the code issue 13's target was set against (ROSTER_BEFORE, unpacked by
                    git archive into the work folder): the baseline of the --previous targets
  template_previous the same for next year with --previous last-year/汇总.xlsx (last year's district summary from
                    collect, made in the set-up: every unit's values from its breakdown, matched to each unit and
                    stamped into its template): a ratio against template_roster_before
  template_previous_folder  the same with --previous returns/ (the N returns of last year, each read)
  check             nianbao check DIR --json on the N returns
  collect           nianbao collect DIR --roster R --year Y -o OUT --json --no-report
  report_api        100 reports (docx, html, md) in ONE process: xlsx_read.read + report.write_reports
  report_cli        nianbao report for one return
  import:<file>     nianbao import --json of each real report in ../shared/real-reports (skipped when absent)
  import_speed      in-process import of each real report, a generated .docx and its PDF (benchmarks/import_speed.py):
                    ≤ 50 ms for text/HTML/Word, ≤ 300 ms for a PDF
  help              nianbao --help            vs  import_click: python -c "import click"
baselines:
  openpyxl_1proc / openpyxl_2proc   openpyxl.load_workbook of every return (one process; a 2-process pool)
  floor_1proc / floor_2proc         every zip member of every return read into memory (the floor)

Peak memory is the largest sum of RSS over the measured process tree (polled from /proc; shared pages of forked
workers count once per process, so this overstates), and ru_maxrss of the largest single process (os.wait4).
Correctness: for every return, the fast read path's values (xlsx_read.read(p).raw) equal openpyxl's at every cell
of the format definition. The script exits 1 when correctness fails or a command did not do its job; targets that
are missed are reported (PASS/FAIL), not turned into an exit code.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))  # run from a checkout without an installed package too

YEAR = 2025
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024

# every measurement this script reports (import:<file> entries come on top, one per real report)
MEASUREMENTS = ("template_roster", "template_roster_before", "template_previous", "template_previous_folder",
                "check", "collect", "report_api", "report_cli", "help", "import_click",
                "openpyxl_1proc", "openpyxl_2proc", "floor_1proc", "floor_2proc")
BASELINES = {"openpyxl": ("openpyxl_1proc", "openpyxl_2proc"), "floor": ("floor_1proc", "floor_2proc")}

# --------------------------------------------------------------------------------------- baseline scripts
# Written into the work folder and run as files (not -c) so a process pool works with any start method.
# the two baselines, one script: `baseline.py openpyxl|floor FOLDER WORKERS`
BASELINE = """
import sys, zipfile
from pathlib import Path

def openpyxl_load(p):
    import openpyxl
    openpyxl.load_workbook(p).close()
    return 1

def floor(p):
    with zipfile.ZipFile(p) as z:
        return sum(len(z.read(i)) for i in z.infolist())

if __name__ == "__main__":
    load = {"openpyxl": openpyxl_load, "floor": floor}[sys.argv[1]]
    files = sorted(Path(sys.argv[2]).glob("*.xlsx"))
    workers = int(sys.argv[3])
    if workers == 1:
        n = sum(map(load, files))
    else:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(workers) as pool:
            n = sum(pool.map(load, files, chunksize=max(1, len(files) // (workers * 8))))
    print(n)
"""

REPORTS = """
import sys
from pathlib import Path
from nianbao.report import write_reports
from nianbao.xlsx_read import read

if __name__ == "__main__":
    files = sorted(Path(sys.argv[1]).glob("*.xlsx"))
    out, count = Path(sys.argv[2]), int(sys.argv[3])
    written = 0
    for i in range(count):
        filing = read(files[i % len(files)])
        written += len(write_reports(filing, out / f"{i:04d}", ("docx", "html", "md"), draft=True))
    print(written)
"""


# --------------------------------------------------------------------------------------- set-up
def narrative_for(fmt, unit: str, values: dict) -> dict | None:
    """The samples' narrative (it passes the narrative rules), filled in for this unit."""
    try:
        sys.path.insert(0, str(REPO / "samples"))
        from make_samples import NARRATIVE
    except ImportError:
        return None
    finally:
        sys.path.remove(str(REPO / "samples"))
    return {k: v.format(year=YEAR, unit=unit, n=60, new=values.get("t3.new.total", 0)) for k, v in NARRATIVE.items()}


def unit_of(i: int) -> tuple[str, str]:
    return f"BM{i:06d}", f"基准区第{i:06d}号单位"


def _build_one(args):
    """One filled, stamped, signed return (in a worker of the set-up pool)."""
    i, workdir, key_hex = args
    from nianbao.formats import load_format
    from nianbao.sample_data import random_valid_values
    from nianbao.xlsx_template import build_workbook

    fmt = load_format("2021")
    code, name = unit_of(i)
    values = random_valid_values(fmt, random.Random(i), scale=9, zero_share=0.85)
    data = build_workbook(fmt, {"unit": name, "unit_code": code, "year": YEAR}, values=values,
                          narrative=narrative_for(fmt, name, values), key=bytes.fromhex(key_hex))
    (Path(workdir) / "returns" / f"{code}.xlsx").write_bytes(data)
    return len(data)


def _stamp_one(args):
    """Distinct-bodies mode (--distinct K < N, for large N): stamp one of K pre-built bodies for unit i.
    Uses build_workbook's own stamping helpers, so the file is what build_workbook would write for that body."""
    i, workdir, key_hex, k = args
    from nianbao import identity as ident
    from nianbao import xlsx_template as xt
    from nianbao.formats import load_format

    fmt = load_format("2021")
    code, name = unit_of(i)
    members = _bodies(workdir, k)[i % k]
    full = ident.sign(xt.complete_identity(fmt, {"unit": name, "unit_code": code, "year": YEAR}),
                      bytes.fromhex(key_hex))
    data = xt._stamp_members(members, full)
    (Path(workdir) / "returns" / f"{code}.xlsx").write_bytes(data)
    return len(data)


_BODIES: dict = {}


def _bodies(workdir, k):
    if k not in _BODIES:
        import io
        import zipfile

        from nianbao import xlsx_template as xt
        from nianbao.formats import load_format
        from nianbao.sample_data import random_valid_values

        fmt = load_format("2021")
        texts = xt._placeholders()
        bodies = []
        for j in range(k):
            values = random_valid_values(fmt, random.Random(j), scale=9, zero_share=0.85)
            # the narrative names unit j's body; the identity stamped later is the unit's own
            data = xt._build(fmt, texts, values, narrative_for(fmt, unit_of(j)[1], values), None)
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                bodies.append(tuple((m.filename, z.read(m)) for m in z.infolist()))
        _BODIES[k] = bodies
    return _BODIES[k]


def set_up(workdir: Path, n: int, distinct: int, workers: int) -> dict:
    t0 = time.perf_counter()
    (workdir / "returns").mkdir(parents=True)
    key = os.urandom(32)
    (workdir / "office.key").write_text(key.hex() + "\n", encoding="ascii")
    with open(workdir / "roster.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单位代码", "单位名称", "单位类型", "联系人"])
        for i in range(n):
            w.writerow([*unit_of(i), "部门", "联系人"])
    if distinct and distinct < n:
        jobs, fn = [(i, str(workdir), key.hex(), distinct) for i in range(n)], _stamp_one
    else:
        jobs, fn = [(i, str(workdir), key.hex()) for i in range(n)], _build_one
    with ProcessPoolExecutor(workers) as pool:
        sizes = list(pool.map(fn, jobs, chunksize=max(1, n // (workers * 16))))
    # last year's district summary (collect's 汇总.xlsx, with its breakdown by unit): template_previous's source
    subprocess.run([*nianbao_cmd(), "collect", "returns", "--roster", "roster.csv", "--year", str(YEAR), "-o",
                    "last-year", "--no-report", "--key-file", "office.key"], cwd=workdir, check=False,
                   capture_output=True)
    (workdir / "baseline.py").write_text(BASELINE, encoding="utf-8")
    (workdir / "report_loop.py").write_text(REPORTS, encoding="utf-8")
    return {"seconds": round(time.perf_counter() - t0, 2), "files": n, "bytes_total": sum(sizes),
            "bytes_mean": round(sum(sizes) / max(n, 1)), "distinct_bodies": distinct if distinct and distinct < n else n}


# --------------------------------------------------------------------------------------- correctness
def _compare(path: str) -> tuple[int, list]:
    """(cells compared, mismatches) between the fast read path and a full openpyxl load."""
    import openpyxl

    from nianbao.xlsx_read import read

    filing = read(path)
    wb = openpyxl.load_workbook(path)
    bad = []
    for key, cell in filing.fmt.cells.items():
        want = wb[cell.sheet][cell.ref].value
        got = filing.raw.get(key)
        if got != want:
            bad.append({"file": Path(path).name, "key": key, "fast": repr(got), "openpyxl": repr(want)})
    wb.close()
    return len(filing.fmt.cells), bad


def correctness(files: list[Path], workers: int) -> dict:
    t0 = time.perf_counter()
    cells, bad = 0, []
    with ProcessPoolExecutor(workers) as pool:
        for n, b in pool.map(_compare, map(str, files), chunksize=max(1, len(files) // (workers * 16))):
            cells += n
            bad += b
    return {"files": len(files), "cells_compared": cells, "mismatch_count": len(bad), "mismatches": bad[:20],
            "ok": not bad and cells > 0, "seconds": round(time.perf_counter() - t0, 2)}


# --------------------------------------------------------------------------------------- running a process
class TreeMemory(threading.Thread):
    """Polls the RSS of every process in the child's process group (pool workers included) from /proc."""

    def __init__(self, pgid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pgid, self.interval, self.peak, self.peak_pss = pgid, interval, 0, 0
        self.stop = threading.Event()

    def sample(self) -> tuple[int, int]:
        """(RSS, PSS) summed over the group. PSS shares a forked worker's pages with its parent: the honest total."""
        rss = pss = 0
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                if int(fields[2]) != self.pgid:  # fields after "comm)": state ppid pgrp ...; rss is stat field 24
                    continue
                rss += int(fields[21]) * PAGE
                with open(f"/proc/{d}/smaps_rollup", "rb") as f:
                    pss += next((int(line.split()[1]) * 1024 for line in f if line.startswith(b"Pss:")), 0)
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
        return rss, pss

    def run(self):
        while not self.stop.is_set():
            rss, pss = self.sample()
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            self.stop.wait(self.interval)


def run_once(cmd: list[str], workdir: Path, ok_codes=(0,)) -> dict:
    """Wall time of one whole process (and its pool), its peak memory, and whether it exited as expected."""
    out, err = workdir / "last.stdout", workdir / "last.stderr"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, cwd=workdir,
                             start_new_session=True)  # its own process group: the memory poller follows it
        mem = TreeMemory(p.pid)
        mem.start()
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
    mem.stop.set()
    mem.join()
    p.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
    rc = p.returncode
    return {"seconds": seconds, "rc": rc, "ok": rc in ok_codes, "tree_rss": mem.peak, "tree_pss": mem.peak_pss,
            "maxrss": usage.ru_maxrss * 1024, "stderr": err.read_text(errors="replace")[-800:] if rc not in ok_codes
            else "", "stdout": out}


# the code issue 13's target is stated against ("within 1.5× of today's template --roster"): the templates of the
# session the target was met in are faster, so --previous is measured against this roster too, in the same run
ROSTER_BEFORE = "cb59f18"


def code_before(workdir: Path) -> Path | None:
    """ROSTER_BEFORE's src/ (with its format definitions) unpacked into the work folder by git archive; None
    without git or that commit."""
    dest = workdir / "before"
    if not dest.is_dir():
        try:
            tar = subprocess.run(["git", "-C", str(REPO), "archive", ROSTER_BEFORE, "src", "workbook_templates"], capture_output=True,
                                 check=True, timeout=60).stdout
            dest.mkdir()
            subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return None
    return dest / "src"


def _before(workdir: Path, args: list[str]) -> list[str]:
    return ["env", f"PYTHONPATH={code_before(workdir)}", sys.executable, "-m", "nianbao", *args]


def nianbao_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("nianbao")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "nianbao"]


class Measurement:
    def __init__(self, name, items, make_cmd, ok_codes=(0,), validate=None, repeat=1, what=""):
        self.name, self.items, self.make_cmd, self.ok_codes = name, items, make_cmd, ok_codes
        self.validate, self.repeat, self.what = validate, repeat, what
        self.runs: list[dict] = []
        self.problems: list[str] = []

    def run(self, workdir: Path, round_no: int):
        for k in range(self.repeat):
            tag = f"{self.name.replace(':', '_')}-{round_no}-{k}"
            cmd = self.make_cmd(workdir, tag)
            r = run_once(cmd, workdir, self.ok_codes)
            if not r["ok"]:
                self.problems.append(f"exit {r['rc']}: {r['stderr'].strip()[-400:]}")
            elif self.validate:
                why = self.validate(r["stdout"], workdir, tag)
                if why:
                    self.problems.append(why)
            self.cmd = cmd
            self.runs.append(r)
            # outputs of one run are not needed once validated; keeps N = 10,000 runs within the disk
            shutil.rmtree(workdir / "out" / tag, ignore_errors=True)

    def result(self) -> dict:
        times = [r["seconds"] for r in self.runs]
        med = statistics.median(times)
        return {"what": self.what, "cmd": [Path(c).name if os.sep in c else c for c in self.cmd],
                "items": self.items, "runs_s": [round(t, 4) for t in times], "median_s": round(med, 4),
                "per_item_ms": round(1000 * med / max(self.items, 1), 3),
                "peak_tree_rss_mb": round(max(r["tree_rss"] for r in self.runs) / MB, 1),
                "peak_tree_pss_mb": round(max(r["tree_pss"] for r in self.runs) / MB, 1),
                "max_process_rss_mb": round(max(r["maxrss"] for r in self.runs) / MB, 1),
                "exit_codes": sorted({r["rc"] for r in self.runs}), "ok": not self.problems,
                "problems": self.problems[:5]}


# --------------------------------------------------------------------------------------- validators
def _json_of(stdout: Path, command: str):
    """What a command printed with --json, or the problem (a str) when it printed no JSON."""
    try:
        return json.loads(stdout.read_text(encoding="utf-8"))
    except ValueError as e:
        return f"{command} --json printed no JSON ({e})"


def _check_ok(n):
    def validate(stdout: Path, workdir, tag):
        results = _json_of(stdout, "check")
        if isinstance(results, str):
            return results
        bad = [r["file"] for r in results if not r.get("ok")]
        if len(results) != n or bad:
            return f"check: {len(results)} results for {n} returns, {len(bad)} not ok (e.g. {bad[:2]})"
    return validate


def _collect_ok(n):
    def validate(stdout: Path, workdir, tag):
        data = _json_of(stdout, "collect")
        if isinstance(data, str):
            return data
        passed = sum(1 for u in data["units"] if u["status"] in ("passed", "passed_with_warnings"))
        if len(data["units"]) != n or passed != n or data["unusable"]:
            return f"collect: {passed} of {len(data['units'])} units passed (roster {n}), {len(data['unusable'])} unusable"
    return validate


def _count_files(want, pattern):
    def validate(stdout: Path, workdir, tag):
        got = sum(1 for _ in (workdir / "out" / tag).rglob(pattern))
        if got != want:
            return f"{got} files {pattern} written, expected {want}"
    return validate


# --------------------------------------------------------------------------------------- the suite
def real_reports(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.lower().startswith("readme")
                  and p.suffix.lower() in (".pdf", ".txt", ".html", ".htm", ".docx", ".md"))


def suite(n: int, n_reports: int, runs: int, reports_dir: Path) -> list[Measurement]:
    nb, py = nianbao_cmd(), sys.executable
    key = ["--key-file", "office.key"]
    first = f"returns/{unit_of(0)[0]}.xlsx"
    short = max(runs * 5, 3)  # sub-second processes: more samples for a stable median
    m = [
        Measurement("template_roster", n, lambda w, t: [*nb, "template", "--year", str(YEAR), "--roster", "roster.csv",
                                                        "-o", f"out/{t}", *key],
                    validate=_count_files(n, "*.xlsx"), what=f"nianbao template --roster: {n} stamped templates"),
        Measurement("template_roster_before", n, lambda w, t: _before(w, [
            "template", "--year", str(YEAR), "--roster", "roster.csv", "-o", f"out/{t}", *key]),
                    validate=_count_files(n, "*.xlsx"),
            what=f"template --roster of the code issue 13's target was set against ({ROSTER_BEFORE})"),
        Measurement("template_previous", n, lambda w, t: [*nb, "template", "--year", str(YEAR + 1), "--roster",
                                                          "roster.csv", "--previous", "last-year/汇总.xlsx", "-o",
                                                          f"out/{t}", *key],
                    validate=_count_files(n, "*.xlsx"),
                    what=f"nianbao template --roster --previous 汇总.xlsx: {n} templates carrying last year's values"),
        Measurement("template_previous_folder", n, lambda w, t: [*nb, "template", "--year", str(YEAR + 1), "--roster",
                                                                 "roster.csv", "--previous", "returns", "-o",
                                                                 f"out/{t}", *key],
                    validate=_count_files(n, "*.xlsx"),
                    what=f"nianbao template --roster --previous returns/: last year read from {n} returns"),
        Measurement("check", n, lambda w, t: [*nb, "check", "returns", "--json", *key], validate=_check_ok(n),
                    what=f"nianbao check --json on {n} returns"),
        Measurement("collect", n, lambda w, t: [*nb, "collect", "returns", "--roster", "roster.csv", "--year", str(YEAR),
                                                "-o", f"out/{t}", "--json", "--no-report", *key],
                    validate=_collect_ok(n), what=f"nianbao collect --no-report on {n} returns"),
        Measurement("report_api", n_reports, lambda w, t: [py, "report_loop.py", "returns", f"out/{t}", str(n_reports)],
                    validate=_count_files(3 * n_reports, "*.*"),
                    what=f"{n_reports} reports (docx+html+md) in one process via the Python API"),
        Measurement("report_cli", 1, lambda w, t: [*nb, "report", first, "-o", f"out/{t}"], repeat=max(runs, 3),
                    validate=_count_files(3, "*.*"), what="nianbao report: one return → docx, html, md"),
        Measurement("help", 1, lambda w, t: [*nb, "--help"], repeat=short, what="nianbao --help"),
        Measurement("import_click", 1, lambda w, t: [py, "-c", "import click"], repeat=short,
                    what='python -c "import click"'),
        Measurement("openpyxl_1proc", n, lambda w, t: [py, "baseline.py", "openpyxl", "returns", "1"],
                    what=f"baseline: openpyxl.load_workbook of {n} returns, one process"),
        Measurement("openpyxl_2proc", n, lambda w, t: [py, "baseline.py", "openpyxl", "returns", "2"],
                    what=f"baseline: openpyxl.load_workbook of {n} returns, 2-process pool"),
        Measurement("floor_1proc", n, lambda w, t: [py, "baseline.py", "floor", "returns", "1"],
                    what=f"floor: every zip member of {n} returns read into memory, one process"),
        Measurement("floor_2proc", n, lambda w, t: [py, "baseline.py", "floor", "returns", "2"],
                    what=f"floor: every zip member of {n} returns read into memory, 2-process pool"),
    ]
    for p in real_reports(reports_dir):
        m.append(Measurement(f"import:{p.name}", 1, lambda w, t, p=p: [*nb, "import", str(p), "--json"],
                             ok_codes=(0, 1), repeat=max(runs, 3), what=f"nianbao import --json {p.name}"))
    return m


def import_speed(reports_dir: Path, runs: int) -> list[dict]:
    """benchmarks/import_speed.py in a fresh process: in-process import of each report, median of repeats (ms)."""
    r = subprocess.run([sys.executable, str(HERE / "import_speed.py"), "--real-reports", str(reports_dir),
                        "--repeat", str(max(runs * 3, 5))], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"import_speed failed: {r.stderr.strip()[-400:]}", file=sys.stderr)
        return []
    for row in (out := json.loads(r.stdout)):
        print(f"  import in-process {row['file']}: {row['median_ms']} ms (≤ {row['limit_ms']:g}; CPU "
              f"{row.get('cpu_median_ms')} ms)", flush=True)
    return out


def targets(res: dict, n: int) -> list[dict]:
    """The issue's targets, PASS/FAIL. Time targets stated for N = 1,000 are scaled linearly to this N."""
    med = lambda k: res[k]["median_s"] if k in res else None  # noqa: E731
    best = lambda ks: min((med(k) for k in ks if med(k) is not None), default=None)  # noqa: E731
    openpyxl, floor = best(BASELINES["openpyxl"]), best(BASELINES["floor"])
    scale = n / 1000
    out = []

    def add(tid, text, value, limit, unit, higher_is_better=False, note=""):
        if value is None or limit is None:
            return
        ok = value >= limit if higher_is_better else value <= limit
        out.append({"id": tid, "target": text, "value": round(value, 3), "limit": round(limit, 3), "unit": unit,
                    "pass": ok, "note": note})

    for cmd in ("check", "collect"):
        if med(cmd) is None:
            continue
        if openpyxl:
            add(f"{cmd}_vs_openpyxl", f"{cmd} ≥ 20× faster than openpyxl-load (its faster of 1 and 2 processes)",
                openpyxl / med(cmd), 20, "×", higher_is_better=True)
        if floor:
            add(f"{cmd}_vs_floor", f"{cmd} within 4× of the zip-read floor (its faster of 1 and 2 processes)",
                med(cmd) / floor, 4, "×")
    add("check_1000", "1,000 returns checked ≤ 2 s" + ("" if n == 1000 else f" (scaled: {n} ≤ {2 * scale:g} s)"),
        med("check"), 2 * scale, "s")
    add("template_1000", "1,000 stamped templates ≤ 5 s" + ("" if n == 1000 else f" (scaled: {n} ≤ {5 * scale:g} s)"),
        med("template_roster"), 5 * scale, "s")
    before = med("template_roster_before")
    for name, source in (("template_previous", "last year's summary"), ("template_previous_folder", "last year's returns")):
        if med(name) and before:
            add(f"{name}_vs_roster", f"template --roster --previous ({source}) within 1.5× of template --roster as it "
                f"was ({ROSTER_BEFORE})", med(name) / before, 1.5, "×",
                note="" if not med("template_roster") else f"{med(name) / med('template_roster'):.2f}× today's roster")
    if "report_api" in res:
        k = res["report_api"]["items"]
        add("report_100", "100 reports ≤ 10 s" + ("" if k == 100 else f" (scaled: {k} ≤ {k / 10:g} s)"),
            med("report_api"), k / 10, "s")
    if med("help") and med("import_click"):
        add("help_vs_click", "nianbao --help ≤ 3× python -c 'import click'", med("help") / med("import_click"), 3, "×")
    for cmd in ("check", "collect"):
        if cmd in res:
            add(f"{cmd}_memory", f"{cmd} peak memory (RSS summed over the process tree) ≤ 300 MB at N = 10,000",
                res[cmd]["peak_tree_rss_mb"], 300, "MB",
                note=(f"PSS {res[cmd]['peak_tree_pss_mb']:.0f} MB" +
                      ("" if n >= 10_000 else f"; measured at N = {n}, the target is for N = 10,000")))
    return out


def ratios(res: dict) -> dict:
    """Each of our timings per item against each baseline per return: 'x_faster' = baseline / ours (openpyxl),
    'x_floor' = ours / floor."""
    out = {}
    for name, r in res.items():
        if name in sum(BASELINES.values(), ()) or name == "import_click":
            continue
        row = {}
        for base in sum(BASELINES.values(), ()):
            if base in res:
                ratio = r["per_item_ms"] / res[base]["per_item_ms"]
                row[f"vs_{base}"] = round(1 / ratio if base.startswith("openpyxl") else ratio, 2)
        out[name] = row
    return out


def machine() -> dict:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                    if line.startswith("model name")), "")
    except OSError:
        pass
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout if shutil.which("free") else ""
    return {"nproc": os.cpu_count(), "cpu": cpu or platform.processor(), "free_h": free.strip(),
            "python": platform.python_version(), "platform": platform.platform(), "loadavg": os.getloadavg()}


def source_state() -> dict:
    """Which code was measured: the commit, the uncommitted source files, and a digest of src/ (compared at the end
    of the run: on a tree others are editing, a run that straddles an edit is flagged)."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted((REPO / "src").rglob("*")):
        if p.is_file() and p.suffix in (".py", ".toml"):
            h.update(str(p.relative_to(REPO)).encode() + p.read_bytes())
    for p in sorted((REPO / "workbook_templates").glob("*.toml")):
        h.update(p.read_bytes())
    git = lambda *a: subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True).stdout.strip()  # noqa: E731
    return {"commit": git("rev-parse", "--short", "HEAD") if shutil.which("git") else "",
            "uncommitted": git("status", "--porcelain", "--", "src", "workbook_templates").splitlines()
            if shutil.which("git") else [], "src_digest": h.hexdigest()[:16]}


def table(data: dict) -> str:
    """The Markdown table for benchmarks/README.md."""
    res, rat = data["measurements"], data["ratios"]
    m, c, prm = data["machine"], data.get("code", {}), data["params"]
    head = (f"N = {prm['n']}, median of {prm['runs']} round(s); commit {c.get('commit', '?')}"
            + (f" + {len(c['uncommitted'])} uncommitted source file(s)" if c.get("uncommitted") else "")
            + (" (src/ CHANGED during the run)" if c.get("changed_during_run") else "")
            + f"; {m['nproc']} cores, {m['cpu']}; load average {m['loadavg'][0]:.1f} before, "
            + f"{m.get('loadavg_after', [0])[0]:.1f} after")
    lines = [head, "", "| measurement | items | median s | per item ms | × faster than openpyxl (1 / 2 proc) | "
             "× floor (1 / 2 proc) | peak tree RSS / PSS MB |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in res.items():
        q = rat.get(name, {})
        fast = " / ".join(str(q.get(f"vs_openpyxl_{k}", "–")) for k in ("1proc", "2proc")) if q else ""
        floor = " / ".join(str(q.get(f"vs_floor_{k}", "–")) for k in ("1proc", "2proc")) if q else ""
        flag = "" if r["ok"] else " ⚠"
        lines.append(f"| {name}{flag} | {r['items']} | {r['median_s']:.3f} | {r['per_item_ms']:.2f} | {fast} | {floor} | "
                     f"{r['peak_tree_rss_mb']:.0f} / {r['peak_tree_pss_mb']:.0f} |")
    lines += ["", "| target | value | limit | result |", "|---|---:|---:|---|"]
    for t in data["targets"]:
        note = f" ({t['note']})" if t["note"] else ""
        lines.append(f"| {t['target']} | {t['value']} {t['unit']} | {t['limit']} {t['unit']} | "
                     f"{'PASS' if t['pass'] else 'FAIL'}{note} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="nianbao benchmark suite (see benchmarks/README.md)")
    ap.add_argument("--n", type=int, default=None, help="number of returns (default 1000; 20 with --quick)")
    ap.add_argument("--runs", type=int, default=None, help="rounds; each timing is the median (default 3; 1 with --quick)")
    ap.add_argument("--out", default=str(HERE / "results" / "latest.json"), help="results JSON")
    ap.add_argument("--quick", action="store_true", help="a small smoke run: N = 20, one round, 5 reports")
    ap.add_argument("--reports", type=int, default=None, help="reports in the report_api loop (default 100; 5 with --quick)")
    ap.add_argument("--only", default="", help="comma-separated measurements to run (e.g. check,collect,floor_1proc); "
                                               "add 'correctness' to keep the correctness pass")
    ap.add_argument("--distinct", type=int, default=0,
                    help="build only K distinct filled bodies and stamp each unit's identity onto one "
                         "(fast set-up for N = 10,000; default: every return built on its own)")
    ap.add_argument("--real-reports", default=str(REPO.parent / "shared" / "real-reports"),
                    help="folder of published reports for the import timings (skipped when absent)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    a = ap.parse_args(argv)
    n = a.n if a.n is not None else (20 if a.quick else 1000)
    runs = a.runs if a.runs is not None else (1 if a.quick else 3)
    n_reports = a.reports if a.reports is not None else (5 if a.quick else 100)
    if n < 1 or runs < 1 or n_reports < 1:
        ap.error("--n, --runs and --reports must be at least 1")
    workers = min(os.cpu_count() or 1, 8)
    only = {s.strip() for s in a.only.split(",") if s.strip()}

    data = {"started": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine(),
            "params": {"n": n, "runs": runs, "reports": n_reports, "quick": a.quick, "year": YEAR,
                       "only": sorted(only)}}
    data["code"] = source_state()
    workdir = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    try:
        print(f"set-up: {n} filled, stamped returns in {workdir} …", flush=True)
        data["setup"] = set_up(workdir, n, a.distinct, workers)
        print(f"  {data['setup']['seconds']} s, {data['setup']['bytes_mean']} bytes per return", flush=True)
        files = sorted((workdir / "returns").glob("*.xlsx"))
        if not only or "correctness" in only:
            print("correctness: fast read path vs openpyxl on every return …", flush=True)
            data["correctness"] = correctness(files, workers)
            c = data["correctness"]
            print(f"  {c['files']} files, {c['cells_compared']} cells, {c['mismatch_count']} mismatches "
                  f"→ {'OK' if c['ok'] else 'FAILED'}", flush=True)
        measurements = [m for m in suite(n, n_reports, runs, Path(a.real_reports))
                        if not only or m.name in only or (m.name.startswith("import:") and "import" in only)]
        if any(m.name == "template_roster_before" for m in measurements) and code_before(workdir) is None:
            # a shallow clone, or no git: the --previous targets are then not judged (never today's code in its place)
            data["before_note"] = f"template_roster_before skipped: git archive {ROSTER_BEFORE} failed"
            print(data["before_note"])
            measurements = [m for m in measurements if m.name != "template_roster_before"]
        reports_dir = Path(a.real_reports)
        data["imports_note"] = "" if real_reports(reports_dir) else f"skipped: no real reports in {reports_dir}"
        if data["imports_note"]:
            print(data["imports_note"])
        for r in range(runs):
            for m in measurements:
                m.run(workdir, r)
                print(f"  round {r + 1}/{runs} {m.name}: {m.runs[-1]['seconds']:.3f} s"
                      + ("" if not m.problems else f"  ⚠ {m.problems[-1][:200]}"), flush=True)
        data["measurements"] = {m.name: m.result() for m in measurements}
        data["ratios"] = ratios(data["measurements"])
        data["targets"] = targets(data["measurements"], n)
        if not only or "import_speed" in only:
            data["import_speed"] = import_speed(reports_dir, runs)
            data["targets"] += [{"id": f"import_inproc:{r['file']}", "target": f"import {r['file']} in-process "
                                 f"≤ {r['limit_ms']:g} ms", "value": r["median_ms"], "limit": r["limit_ms"],
                                 "unit": "ms", "pass": r["pass"], "note": f"CPU {r.get('cpu_median_ms')} ms"}
                                for r in data["import_speed"]]
        if not only or "desk" in only:  # the web desk: upload → verdict, the register page (desk_bench.py)
            import desk_bench

            print("desk: uploads through nianbao serve, the register page of a large roster …", flush=True)
            data["desk"] = desk_bench.run(workdir, runs, units=200 if a.quick else desk_bench.ROSTER_UNITS)
            data["targets"] += desk_bench.targets(data["desk"])
        data["machine"]["loadavg_after"] = os.getloadavg()
        data["code"]["changed_during_run"] = source_state()["src_digest"] != data["code"]["src_digest"]
        if data["code"]["changed_during_run"]:
            print("WARNING: src/ changed while the benchmark ran; the timings mix two versions of the code",
                  file=sys.stderr)
    finally:
        if a.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    print()
    print(table(data))
    if "desk" in data:
        import desk_bench

        print("\n".join(desk_bench.lines(data["desk"])))
    print(f"\nresults: {out}")
    broken = [name for name, r in data["measurements"].items() if not r["ok"]]
    broken += [name for name, r in data.get("desk", {}).items() if r.get("ok") is False]
    if broken:
        print("commands that did not do their job: " + ", ".join(broken), file=sys.stderr)
    if "correctness" in data and not data["correctness"]["ok"]:
        print("CORRECTNESS FAILED: the fast read path disagrees with openpyxl", file=sys.stderr)
        return 1
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
