"""Round trip: template → filled the way a person fills it (openpyxl, finding each cell by the official row and
column labels on the sheet, not by the definition's cell positions) → saved → read → checked."""
from __future__ import annotations

import hashlib
import random
import unicodedata

import openpyxl
import pytest

from nianbao.checks import check
from nianbao.formats import load_format, normalize_label
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import read
from nianbao.xlsx_template import build_workbook

IDENTITY = {"unit": "示例区教育局", "unit_code": "11130300MB0000001X", "year": 2023}
NARRATIVE = {
    "overview": "2023年，本局认真贯彻《中华人民共和国政府信息公开条例》。\n主动公开、依申请公开工作有序开展，"
                "加强政府信息管理和平台建设，强化监督保障。",
    "problems": "存在的主要问题：公开内容不够全面。\n改进措施：加强培训。",
    "other": "本年度未收取信息处理费。",
}


# ------------------------------------------------------------------------------------------ label-based locating
class LabelGrid:
    """Where each text stands on a worksheet, with merged ranges: normalized text → [(r1, c1, r2, c2)], 1-based."""

    def __init__(self, ws):
        merged = {(m.min_row, m.min_col): (m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges}
        self.at: dict[str, list[tuple[int, int, int, int]]] = {}
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.strip():
                    box = merged.get((c.row, c.column), (c.row, c.column, c.row, c.column))
                    self.at.setdefault(normalize_label(c.value), []).append(box)

    def find(self, text: str) -> list[tuple[int, int, int, int]]:
        return self.at.get(normalize_label(text), [])

    def input_cell(self, row_label: str, col_label: str) -> str:
        """The number cell of a row and a column, found from their labels alone."""
        boxes = self.find(row_label)
        assert len(boxes) == 1, f"row label {row_label!r} found {len(boxes)} times"
        r1, c1, r2, c2 = boxes[0]
        headers = self.find(col_label)
        # 表四: the "row" is a block caption above its own column headers; the number sits under the header
        under = [h for h in headers if c1 <= h[1] and h[3] <= c2 and h[0] > r2]
        if under:
            h = min(under, key=lambda h: h[0])
            return f"{openpyxl.utils.get_column_letter(h[1])}{h[2] + 1}"
        # 表二/表三: the row label on the left, the nearest header of that column above it
        above = [h for h in headers if h[2] < r1 and h[1] > c2]
        assert above, f"no header {col_label!r} above {row_label!r}"
        h = max(above, key=lambda h: h[2])
        return f"{openpyxl.utils.get_column_letter(h[1])}{r1}"

    def below(self, heading: str) -> str:
        (r1, c1, r2, c2), = self.find(heading)
        return f"{openpyxl.utils.get_column_letter(c1)}{r2 + 1}"


def locate(wb, fmt) -> dict[str, str]:
    """key → 'sheet!A1' for every number cell, by the labels printed on each table's sheet."""
    out = {}
    for t in fmt.tables.values():
        grid = LabelGrid(wb[t.sheet])
        for key, cell in t.cells.items():
            out[key] = f"{t.sheet}!{grid.input_cell(t.row(cell.row).label, t.column(cell.col).label)}"
    return out


def fill_by_labels(template: bytes | str, fmt, values: dict, out_path, narrative: dict | None = None):
    """Fill a template as a person would (cells found by their labels) and save it to out_path."""
    import io

    src = io.BytesIO(template) if isinstance(template, bytes) else template
    wb = openpyxl.load_workbook(src)
    where = locate(wb, fmt)
    for key, v in values.items():
        sheet, ref = where[key].split("!")
        wb[sheet][ref].value = v
    if narrative:
        grid = LabelGrid(wb[fmt.workbook["narrative"]])
        for s in fmt.narrative_sections:
            if s.id in narrative:
                wb[fmt.workbook["narrative"]][grid.below(s.heading)].value = narrative[s.id]
    wb.save(out_path)
    return out_path


def full_width(n: int) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) for ch in str(n))


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def fmt():
    return load_format("2021")


@pytest.fixture(scope="module")
def template(fmt) -> bytes:
    return build_workbook(fmt, IDENTITY)


@pytest.fixture(scope="module")
def where(fmt, template):
    import io

    return locate(openpyxl.load_workbook(io.BytesIO(template)), fmt)


@pytest.fixture(scope="module")
def base_values(fmt) -> dict:
    """A valid filing whose cells the invalid cases below can move without going negative."""
    need = ["t3.carry_forward.other_org", "t3.granted.natural_person", "t4.review.total"]
    for seed in range(1000):
        v = random_valid_values(fmt, random.Random(seed), zero_share=0.2)
        if all(v[k] >= 1 for k in need):
            # a 区 unit makes no 规章 (T2-01 would warn, rightly)
            return v | {k: 0 for k in v if k.startswith("t2.regulations.")}
    raise AssertionError("no suitable random filing")


def read_back(tmp_path, template, fmt, values, name="return.xlsx", narrative=None):
    path = fill_by_labels(template, fmt, values, tmp_path / name, narrative)
    return path, read(path)


# ------------------------------------------------------------------------------------------ tests
def test_labels_on_the_sheet_lead_to_the_definitions_cells(fmt, where):
    # the template prints every official label where a person expects it: locating by labels finds the very cell
    # the definition declares, for all 200 numbers
    assert len(where) == 200
    assert where == {k: c.where for k, c in fmt.cells.items()}


def test_valid_return_checks_clean(tmp_path, fmt, template, base_values):
    path, filing = read_back(tmp_path, template, fmt, base_values, narrative=NARRATIVE)
    assert filing.layout == "2021"
    assert {k: filing.identity[k] for k in ("unit", "unit_code", "year")} == {k: str(v) for k, v in IDENTITY.items()}
    assert filing.values == base_values
    assert filing.narrative == NARRATIVE
    assert check(filing) == []


def test_all_zero_return_checks_clean(tmp_path, fmt, template):
    _, filing = read_back(tmp_path, template, fmt, {k: 0 for k in fmt.cells})
    assert check(filing) == []


def test_untouched_template_reports_every_blank(tmp_path, fmt, template):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template)
    findings = check(read(path))
    assert {(f.rule, f.severity) for f in findings} == {("C03", "error")}
    # one finding per table: its count and first cells in the message, every cell in the finding
    assert [f.keys for f in findings] == [list(t.cells) for t in fmt.tables.values()]
    assert findings[1].message.startswith("表三有 175 格未填写：D5、E5、")
    assert findings[1].cells == [c.where for c in fmt.tables["t3"].cells.values()]


def _column(col):
    return [f"t3.{r}.{col}" for r in ("new", "carried_over", "total", "carry_forward")]


# (name, changes as key → new value or a function of the old value, expected [(rule, severity, keys)])
INVALID = [
    ("T3-01 off by one in two columns (the 总计 column still balances)",
     {"t3.carry_forward.natural_person": lambda v: v + 1, "t3.carry_forward.other_org": lambda v: v - 1},
     [("T3-01", "error", _column("natural_person")), ("T3-01", "error", _column("other_org"))]),
    ("one column off by one, row total kept",
     {"t3.carry_forward.natural_person": lambda v: v + 1, "t3.carry_forward.total": lambda v: v + 1},
     [("T3-01", "error", _column("natural_person")), ("T3-01", "error", _column("total"))]),
    ("a blank", {"t3.granted.commercial": None}, [("C03", "error", ["t3.granted.commercial"])]),
    ("无", {"t4.review.upheld": "无"}, [("C01", "error", ["t4.review.upheld"])]),
    ("a negative", {"t2.licensing.decisions": -3}, [("C01", "error", ["t2.licensing.decisions"])]),
    ("a negative fee", {"t2.fees.amount": -0.5}, [("C02", "error", ["t2.fees.amount"])]),
    ("a decimal count", {"t3.new.research": 2.5}, [("C01", "error", ["t3.new.research"])]),
    ("a formula instead of a number (reported once)", {"t4.review.total": "=2+3"},
     [("C01", "error", ["t4.review.total"])]),
    ("a fee with more than 4 decimals", {"t2.fees.amount": 0.00001}, [("C02", "warning", ["t2.fees.amount"])]),
    ("a number stored as text", {"t3.granted.natural_person": str},
     [("C01", "warning", ["t3.granted.natural_person"])]),
    ("full-width digits", {"t4.review.total": full_width}, [("C01", "warning", ["t4.review.total"])]),
    ("surrounding spaces", {"t2.normative_docs.issued": lambda v: f" {v} "},
     [("C01", "warning", ["t2.normative_docs.issued"])]),
    ("表四 total broken", {"t4.litigation_direct.total": lambda v: v + 2},
     [("T4-01", "error", [f"t4.litigation_direct.{c}" for c in ("total", "upheld", "corrected", "other", "pending")])]),
]


@pytest.mark.parametrize("name, changes, expected", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_return_gives_exactly_the_expected_findings(tmp_path, fmt, template, where, base_values, name,
                                                            changes, expected):
    values = dict(base_values)
    for key, change in changes.items():
        values[key] = change(values[key]) if callable(change) else change
    _, filing = read_back(tmp_path, template, fmt, values)
    findings = check(filing)
    got = sorted((f.rule, f.severity, sorted(f.cells)) for f in findings)
    want = sorted((rule, sev, sorted(where[k] for k in keys)) for rule, sev, keys in expected)
    assert got == want, [f.message for f in findings]
    # each message names the sheet (a cell rule: the very cell), in Chinese
    for f in findings:
        assert f.cells[0].split("!")[0] in f.message, f.message
        if f.rule.startswith("C"):
            assert f.cells[0] in f.message, f.message
    # the lenient readings still yield the number meant
    for key, change in changes.items():
        if change in (str, full_width) or name == "surrounding spaces":
            assert filing.values[key] == base_values[key]


def _unprotected(path):
    wb = openpyxl.load_workbook(path)
    wb.security.lockStructure = False
    for ws in wb.worksheets:
        ws.protection.sheet = False
    return wb


def test_row_inserted_on_table_three_is_s02_naming_the_moved_label(tmp_path, fmt, template, base_values):
    path = fill_by_labels(template, fmt, base_values, tmp_path / "return.xlsx")
    wb = _unprotected(path)
    t3 = fmt.tables["t3"]
    moved = t3.row("denied_safety").label
    ws = wb[t3.sheet]
    (r1, _, _, _), = LabelGrid(ws).find(moved)
    ws.insert_rows(r1)
    new_r, new_c, _, _ = LabelGrid(ws).find(moved)[0]
    assert new_r == r1 + 1
    wb.save(path)
    findings = check(read(path))
    s02 = [f for f in findings if f.rule == "S02"]
    hit = [f for f in s02 if f.expected == moved]
    assert len(hit) == 1, [f.message for f in s02]
    assert moved in hit[0].message
    assert f"{t3.sheet}!{openpyxl.utils.get_column_letter(new_c)}{new_r}" in hit[0].message
    assert all(f.severity == "error" for f in s02)
    # labels above the inserted row did not move and are not reported
    assert not [f for f in s02 if f.expected == t3.row("new").label]


def test_sheet_renamed_is_s02_and_still_read(tmp_path, fmt, template, base_values):
    path = fill_by_labels(template, fmt, base_values, tmp_path / "return.xlsx")
    wb = _unprotected(path)
    t3 = fmt.tables["t3"]
    wb[t3.sheet].title = "表3"
    wb.save(path)
    filing = read(path)
    findings = check(filing)
    assert [(f.rule, f.expected, f.actual) for f in findings] == [("S02", t3.sheet, "表3")]
    assert "表3" in findings[0].message and t3.sheet in findings[0].message
    assert filing.values == base_values
    assert filing.place("t3.new.total").startswith("表3!")


def test_sheet_deleted_is_s02(tmp_path, fmt, template, base_values):
    path = fill_by_labels(template, fmt, base_values, tmp_path / "return.xlsx")
    wb = _unprotected(path)
    t4 = fmt.tables["t4"]
    del wb[t4.sheet]
    wb.save(path)
    findings = check(read(path))
    s02 = [f for f in findings if f.rule == "S02"]
    assert [(f.severity, f.expected) for f in s02] == [("error", t4.sheet)]
    assert t4.sheet in s02[0].message
    # the other tables are read and still clean
    assert not [f for f in findings if f.keys and not f.keys[0].startswith("t4.")]


def test_reading_leaves_the_file_byte_identical(tmp_path, fmt, template, base_values):
    values = dict(base_values, **{"t3.new.research": 2.5, "t3.granted.natural_person": "7"})
    path = fill_by_labels(template, fmt, values, tmp_path / "return.xlsx")
    before = path.read_bytes()
    stat = path.stat()
    check(read(path))
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(before).digest()
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["return.xlsx"]  # nothing written beside it


def test_full_width_helper_makes_full_width_digits():
    # guard for the "full-width digits" case above: the text really is full-width and NFKC maps it back
    s = full_width(2023)
    assert s != "2023" and unicodedata.normalize("NFKC", s) == "2023"
