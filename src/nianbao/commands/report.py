"""nianbao report: a returned workbook (+ narrative) → the annual report in Word, HTML and Markdown."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import NianbaoError


def _formats(value: str) -> list[str]:
    from ..report import FORMATS

    chosen = [f.strip().lower().lstrip(".") for f in value.replace("，", ",").split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise NianbaoError(f"不支持的报告格式“{value}”（可用：{','.join(FORMATS)}，以逗号分隔）")
    return chosen


def _echo_findings(findings):
    for f in sorted(findings, key=lambda f: f.severity != "error"):
        tag = "错误" if f.severity == "error" else "警告"
        cells = "、".join(f.cells or [])
        click.secho(f"    [{tag} {f.rule}] {f.message}" + (f"（{cells}）" if cells and cells not in f.message else ""),
                    fg="red" if f.severity == "error" else "yellow", err=True)


@click.command("report", help="把填报表（及正文）合成年度报告：<单位名称><年度>年政府信息公开工作年度报告.docx/.html/.md。"
                              "正文默认取自填报表的“正文”表，也可用 --narrative 指定 Markdown 或 Word 文件"
                              "（以“## 一、总体情况”等二级标题分节）。")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--narrative", type=click.Path(path_type=Path),
              help="正文文件（.md 或 .docx），含“一、总体情况”“五、存在的主要问题及改进情况”“六、其他需要报告的事项”")
@click.option("--format", "formats", default="docx,html,md", show_default=True, help="输出格式，以逗号分隔")
@click.option("--reference-docx", type=click.Path(path_type=Path), help="使用本单位 Word 文档的样式（同 pandoc）")
@click.option("--draft", is_flag=True, help="有错误时仍生成报告，每页标注“草稿（未通过校验）”")
@click.option("--draft-numbers", is_flag=True,
              help="由表格数字生成数字段落，放在“一、总体情况”依申请公开部分的末尾（正文中写“【数字段落】”处总会替换为数字段落）")
@click.option("-o", "--out", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹")
def command(workbook, narrative, formats, reference_docx, draft, draft_numbers, outdir):
    from ..report import ReportRefused, review, texts, with_numbers, write_reports
    from ..xlsx_read import read

    chosen = _formats(formats)
    if not workbook.is_file():
        raise NianbaoError(f"找不到填报表 {workbook}")
    if reference_docx is not None and not reference_docx.is_file():
        raise NianbaoError(f"找不到样式参考文件 {reference_docx}")
    filing = read(workbook)
    title = None
    sections = None
    if narrative is not None:
        from ..report.narrative import read_narrative

        sections, title = read_narrative(narrative, filing.fmt)
    # the drafted numbers paragraph is placed first, so that S08 reviews what will be published
    sections = with_numbers(filing, filing.narrative if sections is None else sections, draft_numbers)
    findings = review(filing, sections, title)
    errors = [f for f in findings if f.severity == "error"]
    try:
        paths = write_reports(filing, outdir, chosen, draft, reference_docx, sections, title, findings)
    except ReportRefused as e:
        click.secho(f"✗ {workbook.name}：{len(e.findings)} 处错误，未生成报告", fg="red", bold=True, err=True)
        _echo_findings(findings)
        raise
    if errors:
        click.secho(f"! {workbook.name}：{len(errors)} 处错误，已生成草稿（每页标注“{texts()['draft_mark']}”），不可发布",
                    fg="red", bold=True, err=True)
    elif draft:
        click.secho("校验通过，报告未标注草稿。", err=True)
    if findings:
        _echo_findings(findings)
    for p in paths:
        click.echo(str(p))
