"""Which layout a report prints, by its structure: the labels only one layout's 表二 has (2019: 本年新制作数量,
上一年项目数量, 政府集中采购 …; 2021: 本年制发件数, 本年收费金额 …) and the shape of 表三's （六）其他处理 (three sub-rows,
or the single 2019-style row). The report year never decides the layout — a mismatch is S03, the publisher's own —
and it only breaks a tie when the structure says nothing (headers garbled, a table missing)."""
from __future__ import annotations

from ..formats import load_format
from . import labels
from .document import Doc, plain
from .tables import Reading


def _printed(doc: Doc, fmt, sections: dict, sheet: str) -> str:
    section = next((s for s in fmt.sections if s.kind == "table" and fmt.tables[s.table].sheet == sheet), None)
    if section is None or section.id not in sections:
        return ""
    _, b, e = sections[section.id]
    return labels.norm(plain(doc.text[b:e]))


def _forms(table) -> dict[str, str]:
    """Normalised label → the label, with the short form of a label that ends in a note (本年收费金额（单位：万元）)."""
    out = {}
    for x in [t for _, t, _ in table.labels()] + [c.label for c in table.columns]:
        n = labels.norm(x)
        out[n] = x
        short = labels._TRAILING_NOTE.sub("", n)
        if len(short) >= 4:
            out.setdefault(short, x)
    return out


def table_two(doc: Doc, sections: dict) -> tuple[str | None, list[str]]:
    """'2019' or '2021' by the 表二 labels printed that only one of the two layouts has (a label contained in the
    other's, like 规范性文件 in 行政规范性文件, tells nothing), with those labels."""
    fmts = {k: load_format(k) for k in ("2021", "2019")}
    forms = {k: _forms(next(t for t in f.tables.values() if t.sheet == "表二")) for k, f in fmts.items()}
    printed = _printed(doc, fmts["2021"], sections, "表二")
    hits = {}
    for k, mine in forms.items():
        theirs = [y for j, f in forms.items() if j != k for y in f]
        hits[k] = list(dict.fromkeys(mine[x] for x in mine if x in printed and not any(x in y for y in theirs)))
    if len(hits["2019"]) == len(hits["2021"]):
        return None, []
    k = max(hits, key=lambda j: len(hits[j]))
    return k, hits[k]


def other_rows_split(doc: Doc, sections: dict) -> bool | None:
    """Whether 表三 prints （六）其他处理 as the 2021 layout's three sub-rows (None: 表三 not found)."""
    fmt = load_format("2021")
    printed = _printed(doc, fmt, sections, "表三")
    if not printed:
        return None
    subs = [r for r in fmt.tables["t3"].rows if r.key.startswith("other_") and len(labels.core(r.label)) > 6]
    return sum(labels.core(r.label)[:10] in printed for r in subs) >= max(1, len(subs) - 1)


def by_structure(doc: Doc, sections: dict) -> tuple[str | None, list[str]]:
    """The layout the structure points to, and why (Chinese cues)."""
    t2, hits = table_two(doc, sections)
    split = other_rows_split(doc, sections)
    cues = [f"表二有“{x}”" for x in hits[:3]]
    if t2 == "2019":
        return t2, cues
    if split is None or (t2 is None and not split):  # 2019 and 2021-merged-other both print （六） as one row
        return t2, cues
        return t2, cues
    if split:
        return "2021", cues + ["表三“（六）其他处理”分为 3 项"]
    return ("2021-merged-other" if t2 else None), cues + ["表三“（六）其他处理”为一行数字，没有分项"]


def choose(readings: dict[str, Reading], structural: str | None, expected: str | None, order) -> str:
    """The structure's layout, unless it reads far fewer cells than another; else the layout that reads most."""
    best = max(order, key=lambda k: (readings[k].clean, k == expected, -order.index(k)))
    if structural in readings and readings[structural].clean >= 0.8 * readings[best].clean > 0:
        return structural
    return best
