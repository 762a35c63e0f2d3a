"""`make bench` runs end to end on a small corpus: every measurement is in the JSON, every command did its job, and
the fast read path agrees with openpyxl on every file. No timing is asserted here (the machine is shared)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXPECTED = ("template_roster", "check", "collect", "report_api", "report_cli", "help", "import_click",
            "openpyxl_1proc", "openpyxl_2proc", "floor_1proc", "floor_2proc")


def test_quick_benchmark_writes_every_measurement(tmp_path):
    out = tmp_path / "results.json"
    # the real reports folder is pointed at an empty one: their import timings are not this test's business
    # (and the run must say it skipped them rather than fail)
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--n", "20", "--runs", "1",
                        "--out", str(out), "--real-reports", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=600, cwd=REPO)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    data = json.loads(out.read_text(encoding="utf-8"))

    assert data["params"]["n"] == 20 and data["setup"]["files"] == 20
    res = data["measurements"]
    assert set(EXPECTED) <= set(res)
    for name in EXPECTED:
        r = res[name]
        assert r["ok"], (name, r["problems"])
        assert len(r["runs_s"]) >= 1 and r["median_s"] > 0
        assert r["peak_tree_rss_mb"] >= 0 and r["max_process_rss_mb"] > 0
    assert res["check"]["items"] == res["collect"]["items"] == res["template_roster"]["items"] == 20
    assert "skipped" in data["imports_note"]

    # correctness: fast read path == openpyxl, on every file and every cell of the definition
    c = data["correctness"]
    assert c["ok"] and c["mismatch_count"] == 0
    assert c["files"] == 20 and c["cells_compared"] >= 20 * 100

    # ratios to both baselines and every target of the issue, each with a verdict
    for name in ("check", "collect", "template_roster"):
        assert {"vs_openpyxl_1proc", "vs_openpyxl_2proc", "vs_floor_1proc", "vs_floor_2proc"} <= set(data["ratios"][name])
    ids = {t["id"] for t in data["targets"]}
    assert {"check_vs_openpyxl", "check_vs_floor", "collect_vs_openpyxl", "collect_vs_floor", "check_1000",
            "template_1000", "report_100", "help_vs_click", "check_memory", "collect_memory"} <= ids
    assert all(isinstance(t["pass"], bool) for t in data["targets"])
    # --previous against the roster of the code issue 13's target was set against: run from git, or said why not
    if "before_note" in data:
        assert "template_roster_before" not in res and "skipped" in data["before_note"]
    else:
        assert res["template_roster_before"]["ok"], res["template_roster_before"]["problems"]
        assert {"template_previous_vs_roster", "template_previous_folder_vs_roster"} <= ids
    # the summary table is printed for benchmarks/README.md
    assert "| check |" in p.stdout and ("PASS" in p.stdout or "FAIL" in p.stdout)


def test_real_report_imports_are_measured(shared, tmp_path):
    out = tmp_path / "results.json"
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--n", "2", "--runs", "1",
                        "--only", "import", "--out", str(out), "--real-reports", str(shared / "real-reports")],
                       capture_output=True, text=True, timeout=600, cwd=REPO)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    res = json.loads(out.read_text(encoding="utf-8"))["measurements"]
    names = {n for n in res if n.startswith("import:")}
    assert "import:shuyang-fgj-2023.html" in names and "import:huaian-city-2024.pdf" in names
    assert not any("README" in n for n in names)
    assert all(res[n]["ok"] for n in names), {n: res[n]["problems"] for n in names}
