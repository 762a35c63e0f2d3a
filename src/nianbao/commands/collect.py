"""nianbao collect: a folder of returns + the roster → register, send-backs, district summary and report."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import NianbaoError


def _inside(a: Path, b: Path) -> bool:
    """a is b or lies under b."""
    a, b = a.resolve(), b.resolve()
    return a == b or b in a.parents


@click.command("collect", help="收集返回表：按模板内的身份标识（而非文件名）登记每个单位的返回情况，生成登记表、"
                               "退回批注副本、汇总表和全区年度报告。RETURNS 是存放返回表的文件夹（可含子文件夹），不会被改动。")
@click.argument("returns", type=click.Path())
@click.option("--roster", required=True, type=click.Path(dir_okay=False), help="单位名单（CSV 或 XLSX）")
@click.option("--year", "year", type=int, required=True, help="报告年度，例如 2025")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="输出文件夹（不能在 RETURNS 内）")
@click.option("--previous", type=click.Path(), help="上年数据（上年的返回表、上年的区级汇总表或已发布的年度报告，文件或文件夹），按单位代码、名称对应")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.option("--key-file", type=click.Path(dir_okay=False), default=None,
              help="本办公室的签名密钥文件（与生成模板时相同；默认 ~/.config/nianbao/office.key）")
@click.option("--district", default=None, help="汇总报告的机关名称（默认取名单中“区政府本级”的单位，否则为“全区”）")
@click.option("--narrative", type=click.Path(dir_okay=False), help="全区报告的正文（Markdown 或 Word），不给时报告按草稿生成")
@click.option("--report-format", "formats", multiple=True, type=click.Choice(["docx", "html", "md"]),
              help="报告格式，可重复；默认 docx、html、md 三种")
@click.option("--no-report", is_flag=True, help="不生成全区报告")
@click.option("--reference-docx", type=click.Path(dir_okay=False), help="Word 样式参考文件")
def command(returns, roster, year, output, previous, as_json, key_file, district, narrative, formats, no_report,
            reference_docx):
    from .. import collect as col
    from ..formats import format_for_year
    from ..identity import load_key
    from ..roster import read_roster
    from .template import _year

    year = _year(year)
    returns, outdir = Path(returns), Path(output)
    if not returns.is_dir():
        raise NianbaoError(f"找不到返回表文件夹 {returns}" if not returns.exists() else f"{returns} 不是文件夹")
    if outdir.exists() and not outdir.is_dir():
        raise NianbaoError(f"{outdir} 已存在且不是文件夹")
    if _inside(outdir, returns) or _inside(returns, outdir / col.SENDBACK_DIR):
        raise NianbaoError("输出文件夹不能放在返回表文件夹里（返回表文件夹只读不写），请换一个 -o")
    units = read_roster(roster)
    key = load_key(key_file, create=False)[0]
    fmt = format_for_year(year)
    text = None
    if narrative:
        from ..report.narrative import read_narrative

        text = read_narrative(narrative, fmt)[0]
    district = (district or col.default_district(units)).strip()
    warn = lambda m: click.secho(m, fg="yellow", err=True)  # noqa: E731
    if previous:
        from ..last_year import LastYears

        prev = LastYears.load(previous, warn)  # a return whose unit is not there is told so (review.review_file)
    else:
        prev = None

    from ..review import find_workbooks

    files, _ = find_workbooks([returns])
    bar = None
    if sys.stderr.isatty() and len(files) > 20:
        bar = click.progressbar(length=len(files), label="读取返回表", file=sys.stderr)
        bar.__enter__()
    try:
        c = col.collect(returns, units, year, key, prev, progress=bar.update if bar else None, files=files)
    finally:
        if bar:
            bar.__exit__(None, None, None)
    out = col.write_outputs(c, outdir, key, district, text, () if no_report else (formats or ("docx", "html", "md")),
                            reference_docx)
    failed = [r for r in c.records if r.status in ("failed", "missing")]
    for line in out.sendback_problems:
        click.secho(line, fg="red", err=True)
    if as_json:
        sys.stdout.write(c.json_text())
    else:
        _print(c, out, outdir)
    sys.exit(1 if failed or any(f["severity"] == "error" for f in out.summary_findings) else 0)


def _print(c, out, outdir: Path):
    from ..register import STATUS

    counts = {k: sum(1 for r in c.records if r.status == k) for k in STATUS}
    colour = {"passed": "green", "passed_with_warnings": "yellow", "failed": "red", "missing": None}
    for r in c.records:
        if r.status != "passed":
            extra = f"：{r.latest.file}，{len(r.latest.errors)} 处错误，{len(r.latest.warnings)} 处警告" if r.latest else ""
            click.secho(f"  {r.unit.code} {r.unit.name} — {STATUS[r.status]}{extra}", fg=colour[r.status])
    for r in c.records:  # a 说明 does not change the status, but is said: last year lacked the unit, say
        for f in r.latest.notices if r.latest else ():
            click.secho(f"  {r.unit.code} {r.unit.name} — 说明：{f['message']}")
    for r in c.strangers:
        click.secho(f"  名单外单位：{r.unit.name}（{r.unit.code or '无代码'}）— {', '.join(s.file for s in r.submissions)}",
                    fg="yellow")
    for f, why in c.unusable:
        click.secho(f"  无法使用：{f} — {why}", fg="yellow")
    click.echo(f"名单 {len(c.records)} 个单位：通过 {counts['passed']}，通过（有警告）{counts['passed_with_warnings']}，"
               f"未通过 {counts['failed']}，未返回 {counts['missing']}；无法使用的文件 {len(c.unusable)} 个。")
    click.echo(f"登记表：{out.register_xlsx}（及 {out.register_csv.name}）")
    if out.sendbacks:
        click.echo(f"退回批注副本 {len(out.sendbacks)} 份：{outdir / '退回'}")
    errors = [f for f in out.summary_findings if f["severity"] == "error"]
    click.echo(f"汇总表：{out.summary}（纳入 {len(c.included)} 个单位）"
               + ("" if not errors else f"，{len(errors)} 处错误"))
    for f in errors:
        click.secho(f"    [{f['rule']}] {f['message']}", fg="red")
    if out.reports:
        click.echo("全区报告：" + "、".join(str(p) for p in out.reports))
    if out.report_note:
        click.secho(out.report_note, fg="yellow")
