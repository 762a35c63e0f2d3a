"""nianbao import: a published report read back as data, checked on what was printed."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import NianbaoError

_TAGS = {"error": ("错误", "red"), "warning": ("警告", "yellow"), "info": ("说明", None)}


def findings_for(filing, previous=None) -> list:
    """Everything found: what the import noticed, and every check on what was printed (narrative included)."""
    from ..checks import check

    return check(filing, previous, narrative=True)


def as_dict(filing, findings) -> dict:
    return {
        "layout": filing.layout,
        "unit": filing.unit,
        "year": filing.year,
        "cues": filing.identity.get("layout_cues", []),
        "parts": filing.identity.get("parts", []),
        "source": filing.source,
        "cells": filing.values,  # None: printed blank (counted as 0), or one of "unread"
        "unread": sorted(filing.unread, key=list(filing.fmt.cells).index),  # cells that could not be read
        "where": {k: filing.where.get(k) for k in filing.fmt.cells},
        "narrative": filing.narrative,
        "findings": [f.to_dict() for f in findings],
    }


@click.command("import", help="把已发布的年度报告（.docx、.doc、.wps、.html、.mht、.txt、.md、.pdf）读回为数据并校验。"
                              "退出码：0 没有错误，1 有错误，2 无法读取。")
@click.argument("report", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="输出文件：.xlsx（填好的 nianbao 工作簿）或 .json")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出到屏幕")
@click.option("--previous", type=click.Path(dir_okay=False),
              help="上年数据（填报表或已发布的年度报告）：用于跨年度校验，并帮助拆分连写的数字")
def command(report, output, as_json, previous):
    from ..atomic import write_bytes, write_text
    from ..importer import import_report
    from .check import _load_previous

    suffix = Path(output).suffix.lower() if output else None
    if output and suffix not in (".xlsx", ".json"):
        raise NianbaoError(f"输出文件应为 .xlsx 或 .json，现为“{Path(output).name}”")
    if output and Path(output).resolve() == Path(report).resolve():
        raise NianbaoError("输出文件不能与输入文件相同")
    last_year = _load_previous(previous) if previous else None
    filing = import_report(report, last_year)  # NianbaoError(…, 2) when unreadable: nothing is written
    findings = findings_for(filing, last_year)
    data = as_dict(filing, findings)
    if output:
        if suffix == ".json":
            write_text(output, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        else:
            from ..xlsx_template import build_workbook

            identity = {k: v for k, v in filing.identity.items() if k in ("unit", "unit_code", "year") and v}
            write_bytes(output, build_workbook(filing.fmt, identity, values=filing.values,
                                               narrative=filing.narrative))
    errors = [f for f in findings if f.severity == "error"]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        who = f"{filing.unit or '（未识别单位）'} {filing.year or '？'}年度"
        read = sum(v is not None for v in filing.values.values())
        click.echo(f"{Path(report).name}：{who}，{filing.layout} 版格式，读出 {read}/{len(filing.fmt.cells)} 个数")
        warnings = [f for f in findings if f.severity == "warning"]
        for f in sorted(findings, key=lambda f: ["error", "warning", "info"].index(f.severity)
                        if f.severity in ("error", "warning", "info") else 3):
            tag, color = _TAGS.get(f.severity, (f.severity, None))
            click.secho(f"  [{tag} {f.rule}] {f.message}", fg=color)
        summary = f"{len(errors)} 处错误，{len(warnings)} 处警告"
        click.secho(("✗ " if errors else "✓ ") + summary, fg="red" if errors else "green", bold=True)
        if output:
            click.echo(f"已写入 {output}")
    raise SystemExit(1 if errors else 0)
