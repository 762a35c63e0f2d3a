"""nianbao template: one locked, stamped, signed template — or one per unit of a roster."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import click

from ..errors import NianbaoError


def _year(value: int) -> int:
    if not 2019 <= value <= 2100:
        raise NianbaoError(f"报告年度 {value} 不合理（应为 2019 年及以后的年份）")
    return value


@click.command("template", help="生成填报模板。单个单位：--unit；按名单批量：--roster（输出到文件夹）。")
@click.option("--year", "year", type=int, required=True, help="报告年度，例如 2025")
@click.option("--unit", help="单位名称（单个模板）")
@click.option("--unit-code", default="", help="单位代码（单个模板）")
@click.option("--roster", type=click.Path(dir_okay=False), help="单位名单（CSV 或 XLSX），每个单位生成一个模板")
@click.option("--layout", default=None, help="格式版本（默认按年度：2021 年起为 2021 版）")
@click.option("--password", default=None, help="保护密码（默认不设密码，仅锁定）")
@click.option("--key-file", type=click.Path(dir_okay=False), default=None,
              help="本办公室的签名密钥文件（默认 ~/.config/nianbao/office.key，首次使用时创建）")
@click.option("--previous", type=click.Path(), default=None,
              help="上年数据：上年的返回表、汇总表或已发布的年度报告（文件或文件夹），按单位代码或名称对应；"
                   "模板中带上年数据并即时核对跨年度衔接")
@click.option("-o", "--output", required=True, type=click.Path(), help="输出文件（--unit）或文件夹（--roster）")
def command(year, unit, unit_code, roster, layout, password, key_file, previous, output):
    from ..formats import format_for_year, load_format
    from ..identity import load_key
    from ..xlsx_template import build_workbook, prepare_base

    year = _year(year)
    fmt = load_format(layout) if layout else format_for_year(year)
    if fmt.import_only:
        raise NianbaoError(f"格式“{layout}”只用于读取已发布的报告，不能生成模板（请用 2021 或 2019）")
    if bool(unit) == bool(roster):
        raise NianbaoError("请指定 --unit（单个模板）或 --roster（按名单批量），二者选一")
    key, key_path, created = load_key(key_file)
    if created:
        click.echo(f"已创建本办公室的签名密钥：{key_path}（请妥善保管，收集返回表时要用同一个密钥）")
    else:
        click.echo(f"签名密钥：{key_path}")
    last_years = load_last_years(previous, year, lambda: prepare_base(fmt, password)) if previous else None
    if unit:
        from ..atomic import write_bytes

        out = Path(output)
        if out.is_dir():
            raise NianbaoError(f"{out} 是文件夹；单个模板请给出文件名，例如 -o 模板.xlsx")
        prev = None
        if last_years is not None:
            prev = last_years.match(unit_code.strip(), unit.strip(), single=True)
            _say_previous(unit.strip(), prev)
        data = build_workbook(fmt, {"unit": unit.strip(), "unit_code": unit_code.strip(), "year": year},
                              password=password, key=key, previous=prev)
        write_bytes(out, data)
        click.echo(f"已生成模板：{out}")
        return
    issue_roster(fmt, roster, year, Path(output), password, key, last_years)


def load_last_years(path, year: int, meanwhile=None):
    """Last year's data under PATH (what check --previous and collect --previous take), read in a process pool
    while `meanwhile()` runs here; a file that cannot be read is named and skipped."""
    from ..last_year import LastYears

    found = LastYears.load(path, warn=lambda m: click.secho(m, fg="yellow", err=True), meanwhile=meanwhile)
    click.echo(f"上年数据：{len(found)} 个单位（{path}）")
    if found.years and year - 1 not in found.years:
        click.secho(f"注意：上年数据的年度为 {'、'.join(map(str, sorted(found.years)))}，不是 {year - 1} 年", fg="yellow",
                    err=True)
    return found


def _say_previous(unit: str, prev) -> None:
    if prev is None:
        click.secho(f"{unit}：上年数据中没有这个单位，模板不含上年数据（已在“填报说明”中写明）", fg="yellow", err=True)
    elif (prev.unit or "") != unit:
        click.secho(f"上年数据是“{prev.unit}”的，已用于“{unit}”（只给了一份上年数据）", fg="yellow", err=True)


def template_name(unit, year: int) -> str:
    """The file name of a unit's template (what 分发清单 lists)."""
    from ..safe_text import safe_filename

    return f"{safe_filename(unit.code)}-{safe_filename(unit.name)}-{year}年报.xlsx"


def _stamp_one(job) -> bytes:
    """One unit's template, stamped and signed (run in a worker process); with its last year when there is one."""
    from ..formats import load_format
    from ..last_year import filing_of
    from ..xlsx_template import build_workbook

    layout, identity, password, key, prev = job
    return build_workbook(load_format(layout), identity, password=password, key=key,
                          previous=filing_of(prev) if prev else None)


def stamp_templates(fmt, units, year: int, password, key, previous: list | None = None):
    """(file name, bytes) of each unit's template, in roster order, from a process pool for a long roster;
    `previous` holds each unit's last year (`last_year.light`, or None), in the same order."""
    from ..review import parallel_map

    prevs = previous if previous is not None else [None] * len(units)
    jobs = [(fmt.layout, {"unit": u.name, "unit_code": u.code, "year": year}, password, key, p)
            for u, p in zip(units, prevs)]
    return zip((template_name(u, year) for u in units), parallel_map(_stamp_one, jobs))


DISTRIBUTION_NAME = "分发清单.csv"


def distribution_csv(units, year: int, links: dict | None = None, previous: list | None = None) -> str:
    """分发清单: who gets which template (from the desk, each unit's upload link by unit code; with last year's data,
    whether the unit's template carries it)."""
    from ..safe_text import neutral_cell

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["单位代码", "单位名称", "单位类型", "联系人", "模板文件"] + (["填报链接"] if links is not None else [])
               + (["上年数据"] if previous is not None else []))
    for i, u in enumerate(units):
        row = [u.code, u.name, u.type, u.contact, template_name(u, year)]
        row += [links.get(u.code, "")] if links is not None else []
        row += ["有" if previous[i] else "无"] if previous is not None else []
        w.writerow([neutral_cell(x) for x in row])
    return "\ufeff" + buf.getvalue()


def issue_roster(fmt, roster_path, year, outdir: Path, password, key, last_years=None):
    from ..atomic import write_bytes, write_text
    from ..roster import read_roster

    units = read_roster(roster_path)
    if outdir.exists() and not outdir.is_dir():
        raise NianbaoError(f"{outdir} 已存在且不是文件夹")
    prevs = [last_years.light(u.code, u.name) for u in units] if last_years is not None else None
    done = stamp_templates(fmt, units, year, password, key, prevs)  # a process pool for a long roster: CPU work
    with click.progressbar(done, length=len(units), label="生成模板") if len(units) > 50 else _plain(done) as bar:
        for name, data in bar:
            write_bytes(outdir / name, data)
    write_text(outdir / DISTRIBUTION_NAME, distribution_csv(units, year, previous=prevs))
    click.echo(f"已为 {len(units)} 个单位生成模板：{outdir}（分发清单：{outdir / DISTRIBUTION_NAME}）")
    if prevs is not None:
        without = [u.name for u, p in zip(units, prevs) if not p]
        if without:
            click.secho(f"{len(without)} 个单位没有上年数据，其模板不含上年数据：" + "、".join(without[:10]) +
                        ("……" if len(without) > 10 else ""), fg="yellow", err=True)


class _plain:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *a):
        return False
