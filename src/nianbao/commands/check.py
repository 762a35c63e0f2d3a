"""nianbao check: every rule, re-checked in Python, for one return or a folder of them."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import NianbaoError, UnreadableFile


def _load_previous(path):
    """Last year's filing: a returned workbook or a published report; or last year's district summary, whose
    units (its breakdown sheet, or the breakdown CSV beside it) are matched to each return by code, then name; or
    a folder of them (returns, summaries, published reports), matched alike. A return whose unit is not there is
    told which cross-year checks did not run (review.review_file)."""
    from ..xlsx_read import read

    p = Path(path)
    if not p.exists():
        raise NianbaoError(f"找不到上年数据 {p}")
    if p.is_dir():
        from ..last_year import LastYears

        return LastYears.load(p, warn=lambda m: click.secho(m, fg="yellow", err=True))
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        filing = read(p)
        if p.suffix.lower() == ".xlsx":
            from ..last_year import LastYears

            units = LastYears.load(p)
            if len(units) > 1:
                return units
        return filing
    from ..importer import import_report

    return import_report(p)


def print_result(r: dict, out=None):
    echo = lambda *a, **k: click.echo(*a, file=out, **k)  # noqa: E731
    name = Path(r["file"]).name
    if r.get("error"):
        click.secho(f"✗ {name}：无法读取 — {r['error']}", fg="red", file=out)
        return
    errors = [f for f in r["findings"] if f["severity"] == "error"]
    warnings = [f for f in r["findings"] if f["severity"] == "warning"]
    notes = [f for f in r["findings"] if f["severity"] not in ("error", "warning")]
    who = f"{r['unit'] or '（无单位标识）'} {r['year'] or ''}年度"
    if r["unit_code"]:
        who += f"（{r['unit_code']}）"
    if errors:
        click.secho(f"✗ {name}：{who}，{len(errors)} 处错误，{len(warnings)} 处警告", fg="red", bold=True, file=out)
    elif warnings:
        click.secho(f"✓ {name}：{who}，校验通过，{len(warnings)} 处警告", fg="yellow", file=out)
    else:
        click.secho(f"✓ {name}：{who}，校验通过", fg="green", file=out)
    for f in errors + warnings + notes:
        tag = {"error": "错误", "warning": "警告"}.get(f["severity"], "说明")
        cells = f.get("cells") or []
        # a message that names its cells (C01, the blanks of a table by their first cells) is printed alone
        named = cells and ("、".join(cells) in f["message"] or cells[0].rsplit("!", 1)[-1] in f["message"])
        echo(f"    [{tag} {f['rule']}] {f['message']}" + (f"（{'、'.join(cells)}）" if cells and not named else ""))


@click.command("check", help="校验返回的填报表。PATH 可以是文件或文件夹（递归查找其中的工作簿）。")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（每个文件一个对象）")
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False),
              help="把未通过的表另存一份批注副本到此文件夹（原文件不动）")
@click.option("--previous", type=click.Path(),
              help="上年数据（填报表、上年的区级汇总表或已发布的年度报告，或存放它们的文件夹），用于跨年度校验；"
                   "汇总表和文件夹按单位代码、名称对应各单位，没有对应的单位会注明哪些跨年度校验未进行")
@click.option("--key-file", type=click.Path(dir_okay=False), help="本办公室的签名密钥，用于核验模板身份")
def command(paths, as_json, annotate_dir, previous, key_file):
    from ..review import find_workbooks, review_many

    files, missing = find_workbooks(paths)
    if missing:
        raise NianbaoError("找不到：" + "、".join(missing))
    if not files:
        raise NianbaoError("没有找到任何工作簿（.xlsx/.xlsm/.xls/.ods）")
    prev = _load_previous(previous) if previous else None
    key = None
    if key_file:
        from ..identity import load_key

        key = load_key(key_file, create=False)[0]
    results, counts = [], {"total": 0, "passed": 0, "failed": 0, "unreadable": 0}
    # a batch's JSON is streamed, one result at a time, unless annotating adds to the results afterwards
    stream = as_json and not annotate_dir and len(files) > 20
    if stream:
        sys.stdout.write("[")
    for r in review_many(files, prev, key):
        counts["total"] += 1
        counts["unreadable" if r.get("error") else "passed" if r["ok"] else "failed"] += 1
        if stream:
            sys.stdout.write((", " if counts["total"] > 1 else "") + json.dumps(r, ensure_ascii=False, default=str))
        elif as_json or (annotate_dir and not r.get("error") and not r["ok"]):
            results.append(r)
        if not as_json:
            print_result(r)
    if annotate_dir:
        from ..annotate import annotate

        for r in results:
            if not r.get("error") and not r["ok"]:
                try:
                    target = annotate(r["file"], r["findings"], annotate_dir)
                    r["annotated"] = str(target)
                    if not as_json:
                        click.echo(f"    批注副本：{target}")
                except UnreadableFile as e:  # this file only (a part that fails the limits): the rest go on
                    r["annotate_error"] = e.message
                    click.secho(f"    无法生成批注副本：{e.message}", fg="red", err=True)
                except NianbaoError:
                    raise  # the output folder: every copy would fail alike
                except Exception as e:
                    click.secho(f"    无法生成批注副本：{e}", fg="red", err=True)
    unreadable, failed, total = counts["unreadable"], counts["failed"], counts["total"]
    if stream:
        sys.stdout.write("]\n")
    elif as_json:
        # indented for a few files; compact for a batch (only then does json use its C encoder)
        json.dump(results, sys.stdout, ensure_ascii=False, default=str, indent=1 if len(results) <= 20 else None)
        sys.stdout.write("\n")
    else:
        click.echo(f"共 {total} 个文件：通过 {total - failed - unreadable}，未通过 {failed}，无法读取 {unreadable}。")
    sys.exit(2 if unreadable else 1 if failed else 0)
