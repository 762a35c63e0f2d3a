"""`make demo`: the whole job on samples/, as a district office would run it, each step a real `nianbao` command.

    python -m nianbao.demo --samples samples --out demo-output
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def run(step: str, args: list[str], ok_codes=(0,)) -> int:
    print(f"\n== {step}\n$ nianbao {' '.join(args)}", flush=True)
    code = subprocess.call([sys.executable, "-m", "nianbao", *args])
    if code not in ok_codes:
        print(f"演示中断：第“{step}”步返回 {code}", file=sys.stderr)
        sys.exit(code)
    return code


def main(argv=None):
    ap = argparse.ArgumentParser(description="在 samples/ 上演示完整流程")
    ap.add_argument("--samples", default="samples")
    ap.add_argument("--out", default="demo-output")
    a = ap.parse_args(argv)
    samples, out = Path(a.samples), Path(a.out)
    if not (samples / "roster.csv").is_file():
        sys.exit(f"找不到示例文件夹 {samples}（应包含 roster.csv、returns/、seed/）")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    key = ["--key-file", str(samples / "office.key")]
    seed = next((samples / "seed").glob("*.xlsx"))
    run("1. 按名单生成 2025 年度填报模板", ["template", "--roster", str(samples / "roster.csv"), "--year", "2025",
                                     "-o", str(out / "1-模板"), *key])
    run("2. 校验各单位返回的填报表（有错误的生成批注副本）",
        ["check", str(samples / "returns"), "--annotate", str(out / "2-批注"), *key], ok_codes=(0, 1))
    run("3. 校验并生成山海关区发展和改革局 2021 年度报告（Word、HTML、Markdown）",
        ["report", str(seed), "-o", str(out / "3-报告")])
    district = samples / "narratives" / "示例区-2025.md"
    run("4. 收集返回表：登记、退回、区级汇总和全区报告", [
        "collect", str(samples / "returns"), "--roster", str(samples / "roster.csv"), "--year", "2025",
        "-o", str(out / "4-收集"), "--district", "示例区", "--narrative", str(district), *key], ok_codes=(0, 1))
    report_md = next((out / "3-报告").glob("*.md"))
    run("5. 把已发布的年度报告读回为数据并校验", ["import", str(report_md), "-o", str(out / "5-导入.json")])
    print(f"\n演示完成。输出都在 {out.resolve()}：")
    for p in sorted(out.iterdir()):
        print(f"  {p.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
