"""The desk's figures for `make bench` (called by run.py; or alone: `python benchmarks/desk_bench.py WORKDIR`):

  desk_check_one    nianbao check FILE --json, a whole process (the baseline: checking the same file by hand)
  desk_upload       one department's upload → its verdict page, through `nianbao serve` on loopback: POST the
                    workbook, follow the redirect to the verdict (sequential uploads; p50 / p95)
  desk_upload_x10   the same with 10 departments uploading at once (p95)
  desk_register     the office's register page of a 10,000-unit roster (median of the renders; its first page of
                    500 units, with the progress line and the filters' counts over all 10,000)

Every figure is also given as a ratio to desk_check_one in the same run. Set-up (not timed): a workspace whose
roster is 10,000 units, the first of them the bench's returns' units, with the bench's office key.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

YEAR = 2025
ROSTER_UNITS = 10_000
PASSWORD = "bench-password-2025"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _unit(i: int) -> tuple[str, str]:
    return f"BM{i:06d}", f"基准区第{i:06d}号单位"  # as run.py's unit_of: the returns' units


def _p(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def set_up(workdir: Path, units: int) -> tuple[Path, dict]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from nianbao.desk.store import Desk

    ws = workdir / "desk-ws"
    if ws.exists():
        shutil.rmtree(ws)
    ws.mkdir()
    shutil.copy(workdir / "office.key", ws / "office.key")
    roster = workdir / "desk-roster.csv"
    with open(roster, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单位代码", "单位名称", "单位类型", "联系人"])
        for i in range(units):
            w.writerow([*_unit(i), "部门", "联系人"])
    desk = Desk(ws)
    desk.set_password(PASSWORD)
    desk.open_collection(YEAR, roster)
    links = {_unit(i)[0]: f"/u/{desk.link_for(YEAR, _unit(i)[0])}" for i in range(min(units, 200))}
    desk.close()
    return ws, links


def _serve(ws: Path):
    import httpx

    port = _free_port()
    nb = Path(sys.executable).with_name("nianbao")
    cmd = [str(nb)] if nb.exists() else [sys.executable, "-m", "nianbao"]
    proc = subprocess.Popen([*cmd, "serve", str(ws), "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("nianbao serve did not start: " + proc.stderr.read().decode(errors="replace")[-2000:])


def _upload(url: str, link: str, file: Path) -> tuple[float, bool]:
    """Seconds from sending the workbook to holding its verdict page; and whether the verdict is there."""
    import httpx

    with httpx.Client(base_url=url, timeout=60) as c:
        token = CSRF.search(c.get(link).text).group(1)
        data = file.read_bytes()
        t = time.perf_counter()
        r = c.post(link + "/upload", data={"csrf_token": token}, files={"file": (file.name, data)},
                   follow_redirects=True)
        seconds = time.perf_counter() - t
    return seconds, r.status_code == 200 and "校验结果" in r.text


def _register_render(url: str, rounds: int, units: int) -> tuple[list[float], bool]:
    import httpx

    with httpx.Client(base_url=url, timeout=120) as c:
        token = CSRF.search(c.get("/login").text).group(1)
        c.post("/login", data={"csrf_token": token, "password": PASSWORD})
        times, ok = [], True
        for _ in range(rounds):
            t = time.perf_counter()
            r = c.get(f"/office/{YEAR}")
            times.append(time.perf_counter() - t)
            # the progress line counts every unit; the page holds its rows (500 a page)
            rows = r.text.count("<tr><td>BM")
            ok = ok and r.status_code == 200 and f" / {units}，" in r.text and rows == min(units, 500)
    return times, ok


def run(workdir: Path, runs: int = 3, uploads: int = 40, units: int = ROSTER_UNITS) -> dict:
    files = sorted((workdir / "returns").glob("*.xlsx"))
    uploads = min(uploads, len(files))
    nb = Path(sys.executable).with_name("nianbao")
    cmd = [str(nb)] if nb.exists() else [sys.executable, "-m", "nianbao"]
    check = []
    for _ in range(max(5, runs * 3)):
        t = time.perf_counter()
        subprocess.run([*cmd, "check", str(files[0]), "--json", "--key-file", str(workdir / "office.key")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        check.append(time.perf_counter() - t)
    base = statistics.median(check)
    ws, links = set_up(workdir, units)
    proc, url = _serve(ws)
    try:
        load = [os.getloadavg()[0]]  # the machine is shared: every figure goes with the load it was measured under
        seq = [_upload(url, links[f.stem], f) for f in files[:uploads]]
        load.append(os.getloadavg()[0])
        with ThreadPoolExecutor(10) as pool:
            par = list(pool.map(lambda f: _upload(url, links[f.stem], f), files[:uploads]))
        load.append(os.getloadavg()[0])
        render, render_ok = _register_render(url, max(5, runs * 2), units)
    finally:
        proc.terminate()
        proc.wait(30)
    seq_s, par_s = [s for s, _ in seq], [s for s, _ in par]
    out = {
        "desk_check_one": {"median_s": round(base, 4), "what": "nianbao check FILE --json (whole process)"},
        "desk_upload": {"p50_s": round(_p(seq_s, .5), 4), "p95_s": round(_p(seq_s, .95), 4), "n": len(seq),
                        "ok": all(ok for _, ok in seq), "load": load[:2],
                        "what": "upload → verdict page, one department at a time"},
        "desk_upload_x10": {"p50_s": round(_p(par_s, .5), 4), "p95_s": round(_p(par_s, .95), 4), "n": len(par),
                            "ok": all(ok for _, ok in par), "load": load[1:],
                            "what": "upload → verdict page, 10 departments at once"},
        "desk_register": {"median_s": round(statistics.median(render), 4), "max_s": round(max(render), 4),
                          "units": units, "ok": render_ok, "what": f"register page, {units:,}-unit roster"},
    }
    for name in ("desk_upload", "desk_upload_x10"):
        out[name]["p95_vs_check"] = round(out[name]["p95_s"] / base, 2)
    out["desk_register"]["vs_check"] = round(out["desk_register"]["median_s"] / base, 2)
    shutil.rmtree(ws, ignore_errors=True)
    return out


def targets(d: dict) -> list[dict]:
    def target(tid, text, value, limit, note):
        return {"id": tid, "target": text, "value": round(value, 3), "limit": limit, "unit": "s",
                "pass": value <= limit, "note": note}

    return [target("desk_upload_p95", "desk: upload → verdict p95 ≤ 1 s", d["desk_upload"]["p95_s"], 1.0,
                   f"{d['desk_upload']['p95_vs_check']}× nianbao check of the same file; "
                   f"10 at once: p95 {d['desk_upload_x10']['p95_s']} s"),
            target("desk_register_10000", "desk: register page of a 10,000-unit roster ≤ 1 s",
                   d["desk_register"]["median_s"], 1.0, f"{d['desk_register']['vs_check']}× nianbao check"
                   + ("" if d["desk_register"]["units"] == ROSTER_UNITS else
                      f"; measured with {d['desk_register']['units']} units"))]


def lines(d: dict) -> list[str]:
    out = ["", "| desk | p50 / median s | p95 s | × nianbao check of one file | load average (1 min) |",
           "|---|---:|---:|---:|---|"]
    base = d["desk_check_one"]["median_s"]
    out.append(f"| {d['desk_check_one']['what']} | {base} | | 1 | |")
    for k in ("desk_upload", "desk_upload_x10"):
        r = d[k]
        load = " → ".join(f"{x:.1f}" for x in r.get("load", []))
        out.append(f"| {r['what']}{'' if r['ok'] else ' ⚠'} | {r['p50_s']} | {r['p95_s']} | {r['p95_vs_check']} "
                   f"| {load} |")
    r = d["desk_register"]
    out.append(f"| {r['what']}{'' if r['ok'] else ' ⚠'} | {r['median_s']} | | {r['vs_check']} | |")
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(Path(sys.argv[1])), ensure_ascii=False, indent=1))
