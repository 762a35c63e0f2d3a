"""Rebuilds the sample returns in samples/ (run from the repository root: .venv/bin/python samples/make_samples.py).

The samples are the demo's default input: the seed's unit (山海关区发展和改革局, 2021, all zeros, its narrative) and
the returns of a fictional 示例区 for 2025, signed with the demo key samples/office.key (a demo key, not a secret).
Numbers are random but seeded and satisfy every identity; one return carries the typical mistake: 表三's 结转下年度
continues one application too many in the 自然人 column (and its 总计), so T3-01 fails there.
"""
from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from nianbao.formats import load_format  # noqa: E402
from nianbao.identity import load_key  # noqa: E402
from nianbao.sample_data import random_valid_values  # noqa: E402
from nianbao.xlsx_template import build_workbook  # noqa: E402

YEAR = 2025
NARRATIVE = {
    "overview": (
        "{year}年，{unit}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外。\n"
        "（一）主动公开。围绕重点领域及时公开政策文件、行政执法和财政预决算信息，全年主动公开信息{n}条。\n"
        "（二）依申请公开。规范受理、办理、答复流程，全年新收政府信息公开申请{new}件，均在法定期限内答复。\n"
        "（三）政府信息管理。落实公开前保密审查和公开属性源头认定，动态更新政府信息公开指南和目录。\n"
        "（四）政府信息公开平台建设。依托区政府门户网站政府信息公开专栏集中发布信息，同步更新政务新媒体。\n"
        "（五）监督保障。将政务公开纳入年度绩效考核，全年未发生因政府信息公开引发的责任追究情况。"),
    "problems": (
        "存在的主要问题：一是政策解读形式较为单一；二是部分栏目信息更新不够及时。\n"
        "改进措施：一是丰富图文、视频等解读形式；二是建立栏目更新台账，明确责任人和更新时限。"),
    "other": "本年度未收取信息处理费。",
}
UNITS = [  # code, name, type, contact, seed, returned, mistake
    ("SL01", "示例区教育局", "部门", "王敏", 11, True, False),
    ("SL02", "示例区自然资源局", "部门", "李强", 12, True, False),
    ("SL03", "示例区市场监督管理局", "部门", "张丽", 13, True, True),
    ("SL04", "示例区住房和城乡建设局", "部门", "刘洋", 14, True, False),
    ("SL05", "示例区城关街道办事处", "乡镇街道", "陈静", 15, True, False),
    ("SL06", "示例区卫生健康委员会", "部门", "赵磊", 16, False, False),
]


def realistic(fmt, seed: int) -> dict:
    """Mostly zeros, a few dozen applications: what a district department's tables look like."""
    values = random_valid_values(fmt, random.Random(seed), scale=9, zero_share=0.85)
    for col in ("issued", "repealed", "in_force"):
        values[f"t2.regulations.{col}"] = 0  # districts make no 规章
    values["t2.fees.amount"] = 0.0
    return values


def main():
    fmt = load_format("2021")
    key, _, _ = load_key(HERE / "office.key")
    out = HERE / "returns"
    out.mkdir(exist_ok=True)
    with open(HERE / "roster.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单位代码", "单位名称", "单位类型", "联系人"])
        for code, name, typ, contact, *_ in UNITS:
            w.writerow([code, name, typ, contact])
    for code, name, typ, contact, seed, returned, mistake in UNITS:
        if not returned:
            continue
        values = realistic(fmt, seed)
        if mistake:
            values["t3.carry_forward.natural_person"] += 1
            values["t3.carry_forward.total"] += 1
        narrative = {k: v.format(year=YEAR, unit=name, n=60 + seed * 7, new=values["t3.new.total"])
                     for k, v in NARRATIVE.items()}
        identity = {"unit": name, "unit_code": code, "year": YEAR, "generated_at": "2026-01-05T09:00:00+08:00",
                    "template_id": f"00000000-0000-4000-8000-0000000000{seed:02d}"}
        data = build_workbook(fmt, identity, values=values, narrative=narrative, key=key)
        (out / f"{code}-{name}-{YEAR}年报.xlsx").write_bytes(data)
    # the seed: 山海关区发展和改革局 2021, all zeros, its narrative (samples/narratives/)
    from nianbao.report.narrative import read_narrative

    seed_md = HERE / "narratives" / "山海关区发展和改革局-2021.md"
    narrative = read_narrative(seed_md, fmt)[0] if seed_md.is_file() else None
    seed_dir = HERE / "seed"
    seed_dir.mkdir(exist_ok=True)
    identity = {"unit": "山海关区发展和改革局", "unit_code": "SHG-FGJ", "year": 2021,
                "generated_at": "2022-01-04T09:00:00+08:00", "template_id": "00000000-0000-4000-8000-000000002021"}
    data = build_workbook(fmt, identity, values={k: 0 for k in fmt.cells}, narrative=narrative, key=key)
    (seed_dir / "山海关区发展和改革局-2021年报.xlsx").write_bytes(data)


if __name__ == "__main__":
    main()
