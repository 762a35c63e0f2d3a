"""nianbao desk: the collection desk's workspace from the command line (for an office's scripts)."""
from __future__ import annotations

from pathlib import Path

import click

from ..cli import HELP_TEXT, NianbaoContext
from ..errors import NianbaoError

DEFAULT_URL = "http://127.0.0.1:8750"


def _desk(workspace):
    from ..desk.store import Desk

    p = Path(workspace)
    if p.exists() and not p.is_dir():
        raise NianbaoError(f"{p} 已存在且不是文件夹（工作区应为文件夹）")
    return Desk(p)


@click.group("desk", help="收集台工作区的命令行操作：建立年度收集、生成接口令牌。")
def command():
    pass


@command.command("open",
                 help="按名单建立（或更新）一个年度的收集，并写出分发清单（含各单位的专属填报链接）。"
                      "WORKSPACE 是收集台的工作区文件夹（与 nianbao serve 相同）。")
@click.argument("workspace", type=click.Path(file_okay=False))
@click.option("--year", "year", type=int, required=True, help="报告年度，例如 2025")
@click.option("--roster", required=True, type=click.Path(dir_okay=False), help="单位名单（CSV 或 XLSX）")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="分发清单的保存位置（默认 WORKSPACE/分发清单-年度.csv）")
@click.option("--public-url", default=DEFAULT_URL, show_default=True,
              help="各部门访问收集台的地址（写进填报链接），例如 https://gkb.example.gov.cn")
@click.option("--previous", type=click.Path(exists=True), default=None,
              help="上年数据：上年的返回表、汇总表或已发布的年度报告（文件、文件夹或 .zip），按单位代码或名称对应；"
                   "模板带上年数据，返回表据此核对跨年度衔接")
@click.help_option("-h", "--help", help=HELP_TEXT)
def open_(workspace, year, roster, output, public_url, previous):
    from ..atomic import write_text
    from ..desk.exports import distribution_csv

    if not public_url.startswith(("http://", "https://")):
        raise NianbaoError(f"--public-url 应以 http:// 或 https:// 开头：{public_url}")
    with _desk(workspace) as desk:
        info = desk.open_collection(year, roster)
        if previous:
            _last_year(desk, info.year, Path(previous))
        target = Path(output) if output else Path(workspace) / f"分发清单-{info.year}.csv"
        write_text(target, distribution_csv(desk, info.year, public_url))
    click.echo(f"已建立 {info.year} 年度的收集：{info.units} 个单位（格式 {info.layout} 版）")
    click.echo(f"分发清单（含填报链接）：{target}")


def _last_year(desk, year: int, path: Path):
    """Last year's files kept in the workspace as the page's upload keeps them (the originals are left alone)."""
    from ..desk import previous

    files = sorted(q for q in path.rglob("*") if q.is_file()) if path.is_dir() else [path]
    kept = []
    for q in files:
        with open(q, "rb") as f:
            kept.append((desk.keep(iter(lambda: f.read(1 << 20), b""))[0], q.name))
    found = previous.set_files(desk, year, kept)
    for note in previous.summary(desk, year)["notes"]:
        click.secho(note, fg="yellow", err=True)
    without = previous.summary(desk, year)["without"]
    click.echo(f"上年数据：{len(found)} 个单位；名单中 {len(desk.units(year)) - len(without)} 个单位的模板带上年数据")
    if without:
        click.secho(f"{len(without)} 个单位没有上年数据，其模板不含上年数据：" + "、".join(u.name for u in without[:10])
                    + ("……" if len(without) > 10 else ""), fg="yellow", err=True)


@command.command("token", help="生成一个办公室接口令牌（用于 GET /api/register 的 Authorization: Bearer）。"
                               "令牌只显示这一次，工作区只保存它的摘要。")
@click.argument("workspace", type=click.Path(file_okay=False))
@click.help_option("-h", "--help", help=HELP_TEXT)
def token(workspace):
    if not Path(workspace).is_dir():
        raise NianbaoError(f"找不到工作区 {workspace}")
    with _desk(workspace) as desk:
        click.echo(desk.new_api_token())


for _sub in command.commands.values():
    _sub.context_class = NianbaoContext
