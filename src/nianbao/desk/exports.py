"""The office's downloads, as bytes (no HTTP here): made by the same code as `nianbao template --roster` and
`nianbao collect`, from the desk's live register, so the desk and the command line give the same files.

    templates_zip(desk, year, public_url) -> bytes      every unit's template + 分发清单.csv with 填报链接
    distribution_csv(desk, year, public_url) -> str      分发清单.csv alone
    unit_template(desk, year, code) -> (name, bytes)
    register_xlsx(desk, year) -> bytes                   登记表.xlsx
    register_json(desk, year) -> bytes                   as `nianbao collect --json` prints it
    annotated(desk, submission_id) -> (name, bytes)      one failing submission's 批注 copy
    sendbacks_zip(desk, year) -> bytes                   every unit's failing latest return, annotated
    summary_xlsx(desk, year) -> bytes                    汇总.xlsx
    district_report(desk, year, "docx" | "html") -> (name, bytes)
    unit_report(desk, year, code, "docx" | "html") -> (name, bytes)
    missing(desk, year) -> (units, notice text)          who has not sent anything yet, and a 催报 notice
    write_received(desk, year, folder)                   the received files as `collect` would find them
"""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

from ..errors import NianbaoError


def _zip(members) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def _roster(desk, year: int):
    from ..roster import Unit

    return [Unit(u.code, u.name, u.type, u.contact) for u in desk.units(year)]


def _fmt(desk, year: int):
    from ..formats import load_format

    info = desk.collection(year)
    if info is None:
        raise NianbaoError(f"还没有 {year} 年度的收集")
    return load_format(info.layout)


# ------------------------------------------------------------------------------------------------ templates
def links(desk, year: int, public_url: str) -> dict[str, str]:
    """{unit code: its upload address} (a revoked unit: none)."""
    from .store import unit_url

    out = {}
    for u in desk.units(year):
        token = desk.link_for(year, u.code)
        out[u.code] = unit_url(public_url, token) if token else ""
    return out


def distribution_csv(desk, year: int, public_url: str) -> str:
    from ..commands.template import distribution_csv as csv_text

    from .previous import for_units

    units = _roster(desk, year)
    return csv_text(units, year, links(desk, year, public_url), for_units(desk, year, units))


def templates_zip(desk, year: int, public_url: str) -> bytes:
    from ..commands.template import DISTRIBUTION_NAME, stamp_templates
    from .previous import for_units

    units = _roster(desk, year)
    members = list(stamp_templates(_fmt(desk, year), units, year, None, desk.office_key(),
                                   for_units(desk, year, units)))
    members.append((DISTRIBUTION_NAME, distribution_csv(desk, year, public_url).encode("utf-8")))
    return _zip(members)


def unit_template(desk, year: int, code: str) -> tuple[str, bytes]:
    """The unit's template, with its last year when the collection has it (see desk.previous)."""
    from ..commands.template import stamp_templates
    from .previous import for_units

    units = [u for u in _roster(desk, year) if u.code == code]
    if not units:
        raise NianbaoError(f"{year} 年度的名单中没有单位代码“{code}”")
    return next(iter(stamp_templates(_fmt(desk, year), units, year, None, desk.office_key(),
                                     for_units(desk, year, units))))


# ------------------------------------------------------------------------------------------------ the register
def register_xlsx(desk, year: int) -> bytes:
    from ..register import register_xlsx as xlsx

    with desk.lock:
        return xlsx(desk.register(year))


def register_json(desk, year: int) -> bytes:
    """The bytes `nianbao collect --json` prints for the same returns."""
    with desk.lock:
        return desk.register(year).json_text().encode("utf-8")


# ------------------------------------------------------------------------------------------------ send-backs
def annotated(desk, submission_id: int) -> tuple[str, bytes]:
    from ..annotate import annotate, annotated_name

    sub = desk.submission(submission_id)
    if sub is None:
        raise NianbaoError("没有这次提交")
    if sub.category == "unusable":
        raise NianbaoError("这个文件无法读取，没有批注副本")
    name = annotated_name(Path(sub.file))
    with tempfile.TemporaryDirectory() as tmp:
        path = annotate(desk.blob_path(sub.sha256), sub.result["findings"], tmp, name=name)
        return name, path.read_bytes()


def sendbacks_zip(desk, year: int) -> bytes:
    """The annotated copies `collect` writes to 退回/, zipped (and what could not be copied, as 说明.txt)."""
    from ..collect import write_sendbacks

    with tempfile.TemporaryDirectory() as tmp:
        with desk.lock:
            made, problems = write_sendbacks(desk.register(year), Path(tmp))
        members = [(p.name, p.read_bytes()) for p in sorted(made.values())]
        if problems:
            members.append(("说明.txt", "\n".join(problems).encode("utf-8")))
        return _zip(members)


# ------------------------------------------------------------------------------------------------ summary, reports
def _district(desk, year: int) -> str:
    from ..collect import default_district

    return default_district(_roster(desk, year))


def summary_xlsx(desk, year: int) -> bytes:
    from ..summary import build_summary

    with desk.lock:
        c = desk.register(year)
        return build_summary(c, _district(desk, year), desk.office_key())


def _report(filing, kind: str, annex=None) -> tuple[str, bytes]:
    from ..report import write_reports

    if kind not in ("docx", "html"):
        raise NianbaoError(f"不支持的报告格式“{kind}”（可用：docx、html）")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_reports(filing, tmp, (kind,), draft=True, annex=annex)[0]
        return path.name, path.read_bytes()


def district_report(desk, year: int, kind: str = "docx") -> tuple[str, bytes]:
    """The district report as `collect` writes it: from the summary workbook as read back, with its annex; a
    draft (every page marked) while the desk holds no district narrative."""
    from ..summary import annex
    from ..xlsx_read import read

    data = summary_xlsx(desk, year)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "汇总.xlsx"
        path.write_bytes(data)
        filing = read(path)
    with desk.lock:
        table = annex(desk.register(year))
    return _report(filing, kind, table)


def unit_report(desk, year: int, code: str, kind: str = "docx") -> tuple[str, bytes]:
    """A unit's report from the return that counts for it (a draft while it has errors)."""
    from ..xlsx_read import read

    with desk.lock:
        rec = desk.register(year).record(code)
        latest = rec.latest if rec else None
    if latest is None:
        raise NianbaoError("该单位还没有可用的返回表，无法生成报告")
    return _report(read(latest.path), kind)


# ------------------------------------------------------------------------------------------------ reminders
def missing(desk, year: int) -> tuple[list, str]:
    """The roster units that have sent nothing usable yet, and a 催报 notice the office can copy."""
    with desk.lock:
        units = [r.unit for r in desk.register(year).records if r.status == "missing"]
    if not units:
        return [], f"{year}年度政府信息公开工作年度报告填报表已全部收到，无需催报。"
    lines = "\n".join(f"{n}. {u.name}" + (f"（{u.code}）" if u.code else "") for n, u in enumerate(units, 1))
    text = (f"各有关单位：\n\n截至目前，以下 {len(units)} 个单位尚未报送{year}年度政府信息公开工作年度报告填报表：\n\n"
            f"{lines}\n\n请上述单位尽快通过本单位的专属填报链接上传填报表（使用下发的模板填写，勿改动模板结构），"
            "并在页面上查看校验结果；校验未通过的，请按提示修改后重新上传。\n\n政务公开办")
    return units, text


# ------------------------------------------------------------------------------------------------ received files
def write_received(desk, year: int, folder) -> list[Path]:
    """Every received file of the collection under its name in the register, modified at its receipt: a folder
    on which `nianbao collect` gives the desk's register (but for another unit's workbooks sent through a link,
    which the desk counts for no one and leaves out here)."""
    import datetime as dt

    from ..atomic import write_bytes

    folder = Path(folder)
    out = []
    for s in desk.submissions(year):
        if s.foreign:  # refused by the desk (another unit's, through a link): collect would count it
            continue
        target = folder / s.file
        write_bytes(target, desk.blob_path(s.sha256).read_bytes())
        t = dt.datetime.strptime(s.received_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
        ns = int(t.timestamp()) * 10 ** 9 + t.microsecond * 1000
        os.utime(target, ns=(ns, ns))
        out.append(target)
    return out
