"""Import of the real published reports in ../shared/real-reports: every printed table value, annotated by hand
from the source files (not produced by the importer), must be read back exactly, in the right layout, with no
false error. The two 平潭 reports chain across years (Y-01, Y-02)."""
from __future__ import annotations

import pytest

from nianbao.checks import check
from nianbao.importer import import_report
from nianbao.narrative_numbers import check_numbers_in_text

T3_ROWS = ["new", "carried_over", "granted", "partial", "denied_secret", "denied_law", "denied_safety",
           "denied_third_party", "denied_internal", "denied_process", "denied_enforcement", "denied_inquiry",
           "unable_not_held", "unable_need_creation", "unable_unclear", "ignored_petition", "ignored_repeat",
           "ignored_publication", "ignored_mass_repeat", "ignored_confirmation", "other_no_correction",
           "other_unpaid_fee", "other_other", "total", "carry_forward"]
T3_COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]
T4_KEYS = [f"t4.{b}.{c}" for b in ("review", "litigation_direct", "litigation_after_review")
           for c in ("upheld", "corrected", "other", "pending", "total")]
Z = [0] * 7


def expected(t2, t3, t4) -> dict:
    """t2: (regulations ×3, normative_docs ×3, licensing, penalty, coercion, fees); t3: 25 rows of 7; t4: 15."""
    keys = [f"t2.{r}.{c}" for r in ("regulations", "normative_docs") for c in ("issued", "repealed", "in_force")]
    keys += ["t2.licensing.decisions", "t2.penalty.decisions", "t2.coercion.decisions", "t2.fees.amount"]
    out = dict(zip(keys, t2, strict=True))
    assert len(t3) == 25
    for row, vals in zip(T3_ROWS, t3):
        out.update({f"t3.{row}.{c}": v for c, v in zip(T3_COLS, vals, strict=True)})
    out.update(dict(zip(T4_KEYS, t4, strict=True)))
    return out


# 淮安市人民政府 2024 (huaian-city-2024.pdf, pp. 3–5, and its pdftotext)
HUAIAN = expected(
    [1, 0, 11, 8, 26, 66, 447228, 3985758, 88283, 96171.6],
    [[3001, 53, 0, 0, 61, 4, 3119], [34, 0, 0, 0, 0, 0, 34], [1288, 21, 0, 0, 50, 3, 1362],
     [447, 7, 0, 0, 0, 0, 454], [2, 0, 0, 0, 0, 0, 2], [30, 1, 0, 0, 0, 0, 31], [5, 0, 0, 0, 0, 0, 5],
     [6, 0, 0, 0, 0, 0, 6], [7, 1, 0, 0, 0, 0, 8], [12, 0, 0, 0, 0, 0, 12], [9, 0, 0, 0, 0, 0, 9],
     [105, 0, 0, 0, 0, 0, 105], [746, 12, 0, 0, 10, 1, 769], [11, 0, 0, 0, 0, 0, 11], [1, 0, 0, 0, 0, 0, 1],
     [56, 6, 0, 0, 0, 0, 62], [25, 0, 0, 0, 0, 0, 25], Z, Z, [1, 0, 0, 0, 0, 0, 1],
     [67, 3, 0, 0, 1, 0, 71], [6, 0, 0, 0, 0, 0, 6], [108, 2, 0, 0, 0, 0, 110],
     [2932, 53, 0, 0, 61, 4, 3050], [103, 0, 0, 0, 0, 0, 103]],
    [72, 64, 178, 37, 351, 13, 4, 8, 1, 26, 12, 1, 1, 6, 20])

# 平潭综合实验区 2021 (web text, cells run together). "行政规范性文件693665": 665 in force is confirmed by the 2022
# report (698 = 665 + 88 − 55); 69 / 3 for 制发 / 废止 is the importer's stated preference (it warns).
PINGTAN_2021 = expected(
    [0, 0, 0, 69, 3, 665, 2293, 1282, 42, 24252.311082],
    [[64, 0, 0, 2, 0, 4, 70], Z, [27, 0, 0, 2, 0, 1, 30], [5, 0, 0, 0, 0, 0, 5], Z, Z, Z, Z,
     [1, 0, 0, 0, 0, 0, 1], Z, [6, 0, 0, 0, 0, 0, 6], [1, 0, 0, 0, 0, 0, 1], [22, 0, 0, 0, 0, 3, 25], Z, Z,
     Z, Z, Z, Z, Z, Z, Z, [1, 0, 0, 0, 0, 0, 1], [63, 0, 0, 2, 0, 4, 69], [1, 0, 0, 0, 0, 0, 1]],
    [1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0])

# 平潭综合实验区 2022 (web text; 表四 space-separated). The narrative confirms 698 in force and 88 issued.
PINGTAN_2022 = expected(
    [0, 0, 0, 88, 55, 698, 10690, 2113, 0, 9116.36],
    [[71, 3, 0, 0, 0, 0, 74], [1, 0, 0, 0, 0, 0, 1], [21, 0, 0, 0, 0, 0, 21], [8, 1, 0, 0, 0, 0, 9], Z, Z, Z, Z,
     [1, 0, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 0, 2], [1, 0, 0, 0, 0, 0, 1], Z, [37, 0, 0, 0, 0, 0, 37], Z, Z,
     Z, Z, Z, Z, Z, [2, 0, 0, 0, 0, 0, 2], Z, [0, 2, 0, 0, 0, 0, 2], [72, 3, 0, 0, 0, 0, 75], Z],
    [0, 1, 1, 0, 2, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0])

# 沭阳县发展和改革局 2023 (HTML): the five 法人或其他组织 cells of every 表三 row are EMPTY in the source.
_N = None
SHUYANG = expected(
    [0, 0, 0, 8, 0, 18, 0, 0, 0, 0],
    [[26, _N, _N, _N, _N, _N, 26], [0, _N, _N, _N, _N, _N, 0], [26, _N, _N, _N, _N, _N, 26]]
    + [[0, _N, _N, _N, _N, _N, 0]] * 20 + [[26, _N, _N, _N, _N, _N, 26], [0, _N, _N, _N, _N, _N, 0]],
    [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])

# "测试市" 2025 (semi-synthetic HTML)
SAMPLE = expected(
    [3, 5, 74, 564, 984, 4185, 11398889, 6937489, 166105, 316441],
    [[13612, 252, 0, 45, 128, 32, 14069], [535, 6, 0, 1, 18, 0, 560], [5345, 129, 0, 41, 19, 14, 5548],
     [2120, 39, 0, 1, 6, 2, 2168], [13, 0, 0, 0, 0, 0, 13], [30, 0, 0, 0, 0, 0, 30], [11, 0, 0, 0, 0, 0, 11],
     [49, 2, 0, 0, 0, 0, 51], [103, 1, 0, 0, 0, 0, 104], [84, 1, 0, 0, 0, 0, 85], [282, 4, 0, 0, 0, 0, 286],
     [147, 0, 0, 0, 1, 2, 150], [3075, 50, 0, 0, 89, 8, 3222], [177, 3, 0, 0, 0, 0, 180],
     [19, 0, 0, 0, 0, 0, 19], [199, 1, 0, 0, 3, 0, 203], [147, 1, 0, 0, 0, 0, 148], Z,
     [100, 1, 0, 0, 0, 0, 101], [5, 0, 0, 0, 0, 0, 5], [315, 3, 0, 0, 0, 0, 318], [202, 0, 0, 1, 0, 0, 203],
     [941, 17, 0, 1, 3, 3, 965], [13364, 252, 0, 44, 121, 29, 13810], [783, 6, 0, 2, 25, 3, 819]],
    [376, 97, 196, 121, 790, 16, 1, 12, 27, 56, 74, 1, 30, 51, 156])

SEED = expected([0] * 10, [Z] * 25, [0] * 15)

REPORTS = [
    ("real-reports/huaian-city-2024.pdf", HUAIAN, "淮安市人民政府", 2024),
    ("real-reports/huaian-city-2024.pdftotext.txt", HUAIAN, "淮安市人民政府", 2024),
    ("real-reports/pingtan-2021.webtext.txt", PINGTAN_2021, "平潭综合实验区", 2021),
    ("real-reports/pingtan-2022.webtext.txt", PINGTAN_2022, "平潭综合实验区", 2022),
    ("real-reports/shuyang-fgj-2023.html", SHUYANG, "沭阳县发展和改革局", 2023),
    ("real-reports/sample-city-2025.semisynthetic.html", SAMPLE, "测试市", 2025),
    ("reference/seed-shanhaiguan-fgj-2021.txt", SEED, "山海关区发展和改革局", 2021),
]


def test_every_real_report_is_pinned(shared):
    """A new report dropped into the folder must get its hand-annotated values here too."""
    on_disk = {p.name for p in (shared / "real-reports").iterdir() if p.name != "README.md"}
    assert on_disk == {r[0].split("/")[1] for r in REPORTS if r[0].startswith("real-reports/")}


@pytest.mark.parametrize("rel,values,unit,year", REPORTS, ids=[r[0].split("/")[1] for r in REPORTS])
def test_real_report_reads_every_printed_value(shared, rel, values, unit, year):
    filing = import_report(shared / rel)  # its speed is a benchmark (benchmarks/import_speed.py), not a test
    assert filing.origin == "import"
    assert filing.layout == "2021"
    assert (filing.unit, filing.year) == (unit, year)
    assert set(filing.values) == set(values)
    wrong = {k: (filing.values[k], v) for k, v in values.items() if filing.values[k] != v}
    assert not wrong
    # no false error: neither the import, the checks, nor the narrative check finds one
    found = check(filing) + check_numbers_in_text(filing)
    assert [f.message for f in found if f.severity == "error"] == []
    assert [f.message for f in found if f.rule == "S08"] == []
    assert set(filing.narrative) == {"overview", "problems", "other"}
    assert all(filing.narrative[s] for s in filing.narrative)
    assert all(filing.where[k] for k in values if values[k] is not None)


def test_shuyang_blank_cells_are_warnings_not_zeros(shared):
    filing = import_report(shared / "real-reports/shuyang-fgj-2023.html")
    blanks = [f for f in check(filing) if f.rule == "C03"]
    assert len(blanks) == 25 * 5 and {f.severity for f in blanks} == {"warning"}
    assert filing.raw["t3.new.commercial"] is None
    assert filing.where["t3.new.commercial"].startswith("表三 第")
    # the 2021 row is printed as "规范性文件" and the section as "存在的主要问题及整改措施"
    assert any(f.rule == "IMP-LABEL" and "规范性文件" in f.message for f in filing.findings)
    assert filing.narrative["problems"].startswith("（一）存在的主要问题")


def test_run_together_cells_are_split_and_said_so(shared):
    filing = import_report(shared / "real-reports/pingtan-2021.webtext.txt")
    splits = [f for f in filing.findings if f.rule == "IMP-SPLIT"]
    # the identities decided 表三 (several rows had more than one possible split) …
    assert any(f.severity == "info" and "由表格勾稽关系确定" in f.message and "270020130" in f.message for f in splits)
    # … but nothing decides 表二's 制发/废止/现行有效: a warning names the printed digits and the alternatives
    (warn,) = [f for f in splits if f.severity == "warning"]
    assert "693665" in warn.message and "6 / 93 / 665" in warn.message
    assert warn.keys == ["t2.normative_docs.issued", "t2.normative_docs.repealed", "t2.normative_docs.in_force"]


def test_layout_cues_are_reported(shared):
    filing = import_report(shared / "real-reports/huaian-city-2024.pdf")
    cues = filing.identity["layout_cues"]
    assert any("本年制发件数" in c for c in cues)
    assert any("（六）其他处理" in c and "3" in c for c in cues)
    assert any(f.rule == "IMP-LAYOUT" and f.severity == "info" for f in filing.findings)


def test_pingtan_years_chain(shared):
    y2021 = import_report(shared / "real-reports/pingtan-2021.webtext.txt")
    y2022 = import_report(shared / "real-reports/pingtan-2022.webtext.txt")
    cross = [f for f in check(y2022, y2021) if f.rule in ("Y-01", "Y-02", "Y-03")]
    assert cross == []
    # and the same check notices a break: last year's 结转 and 现行有效 changed
    y2021.raw["t3.carry_forward.total"] = 5
    y2021.raw["t2.normative_docs.in_force"] = 600
    y2021._parsed = None
    broken = {(f.rule, f.severity) for f in check(y2022, y2021)}
    assert ("Y-01", "error") in broken and ("Y-02", "warning") in broken
