"""Mutated returns (hypothesis): bytes changed in XML parts, parts truncated or removed, the zip itself cut or
corrupted, random cells edited with openpyxl. Over 1,000 cases a run, none may raise anything but the reader's own
UnreadableFile, every verdict is a Chinese message or a list of findings, and no input is ever written to."""
from __future__ import annotations

import hashlib
import io
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import run_cli, write_return
from hostile_corpus import sheet_part
from nianbao.checks import check
from nianbao.errors import NianbaoError
from nianbao.formats import load_format
from nianbao.review import review_file
from nianbao.xlsx_read import read

FMT = load_format("2021")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# parts that hold no cell data: a mutation there may make the file unreadable, never change what is read
NO_DATA = ("docProps/app.xml", "docProps/core.xml", "xl/styles.xml", "xl/theme/theme1.xml")
SNIPPETS = [b"<", b">", b"&", b"&lol;", b"\x00", b"\xff\xfe", b"]]>", b"<!DOCTYPE x>", b"<f>1/0</f>", b'"',
            b"<c r=\"D5\"><v>1e400</v></c>", b"<v>-0</v>", b"</sheetData>", b"\xe4\xb8", b"r=\"XFD1048577\""]
FUZZ = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "valid.xlsx"
    values = write_return(path, seed=11)
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    return dict(folder=folder, path=path, values=values, members=members, data=path.read_bytes())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def verdict(path: Path, original: dict | None = None) -> str:
    """Reads and checks one mutated file in-process; returns "unreadable", "findings" or "passed"."""
    before = digest(path)
    try:
        filing = read(path)
    except NianbaoError as e:
        assert e.exit_code == 2 and CHINESE.search(e.message), e.message
        outcome = "unreadable"
    else:
        findings = check(filing)
        errors = [f for f in findings + filing.findings if f.severity == "error"]
        assert all(CHINESE.search(f.message) for f in findings)
        outcome = "findings" if errors else "passed"
        if outcome == "passed" and original is not None:
            assert filing.values == original  # a part that holds no data changed what was read
    r = review_file(path)  # the batch path: a dict, never an exception, never the catch-all for reader bugs
    assert r["file"] == str(path)
    assert not (r.get("error") or "").startswith("读取时出错"), r["error"]
    assert bool(r.get("error")) == (outcome == "unreadable")
    assert digest(path) == before  # the input is never written to
    return outcome


OUTCOMES: dict[str, dict[str, int]] = {}


def tally(test: str, runs: list, outcome: str):
    """One more case of a test: in its own list (its assertions) and in the count over all three."""
    runs.append(outcome)
    OUTCOMES.setdefault(test, {}).setdefault(outcome, 0)
    OUTCOMES[test][outcome] += 1


@st.composite
def xml_edit(draw, members):
    names = sorted(n for n in members if n.endswith((".xml", ".rels")))
    data_parts = [n for n in names if n.startswith(("xl/worksheets/", "xl/sharedStrings", "xl/workbook"))]
    name = draw(st.sampled_from(names + data_parts * 2))  # the parts that hold data, three times as often
    data = bytearray(members[name])
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "digit"]))
        if op == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from(SNIPPETS))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        else:  # a digit somewhere becomes another: values, row numbers, cell references, sizes
            digits = [m.start() for m in re.finditer(rb"\d", data)]
            if digits:
                data[draw(st.sampled_from(digits))] = ord(str(draw(st.integers(0, 9))))
    return name, bytes(data)


def test_bytes_changed_in_xml_parts(base):
    path = base["folder"] / "xml.xlsx"
    runs = []

    @settings(FUZZ, max_examples=600)
    @given(xml_edit(base["members"]))
    def run(edit):
        name, data = edit
        path.write_bytes(zip_of(dict(base["members"], **{name: data})))
        outcome = verdict(path, base["values"] if name in NO_DATA else None)
        tally("xml", runs, outcome)

    run()
    assert len(runs) >= 590
    assert {"unreadable", "findings"} <= set(runs)  # the mutations do reach both kinds of verdict


@st.composite
def zip_edit(draw, members, data):
    kind = draw(st.sampled_from(["cut file", "flip file", "drop part", "cut part", "empty part", "swap parts"]))
    names = list(members)
    if kind == "cut file":
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == "flip file":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            out[draw(st.integers(0, len(out) - 1))] ^= draw(st.integers(1, 255))
        return bytes(out)
    name = draw(st.sampled_from(names))
    m = dict(members)
    if kind == "drop part":
        del m[name]
    elif kind == "cut part":
        m[name] = m[name][: draw(st.integers(0, max(0, len(m[name]) - 1)))]
    elif kind == "empty part":
        m[name] = b""
    else:
        other = draw(st.sampled_from(names))
        m[name], m[other] = m[other], m[name]
    return zip_of(m)


def test_zip_cut_corrupted_or_missing_parts(base):
    path = base["folder"] / "zip.xlsx"
    runs = []

    @settings(FUZZ, max_examples=320)
    @given(zip_edit(base["members"], base["data"]))
    def run(data):
        path.write_bytes(data)
        outcome = verdict(path)
        tally("zip", runs, outcome)

    run()
    assert len(runs) >= 310
    assert "unreadable" in runs


CELL_VALUES = st.one_of(
    st.integers(-10**25, 10**25), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40),
    st.sampled_from(["无", "/", "－", "１２３", "1,234", " 7 ", "=1/0", "=SUM(A1:A3)", "='[他局.xlsx]表三'!D6", "=A1",
                     "@SUM(1)", "+1", "-0", "1e3", "0x10"]),
)


@st.composite
def cell_edits(draw):
    keys = sorted(FMT.cells)
    edits = [(draw(st.sampled_from(keys)), draw(CELL_VALUES)) for _ in range(draw(st.integers(1, 5)))]
    structural = draw(st.sampled_from([None, "insert_row", "delete_row", "rename", "delete_sheet"]))
    return edits, structural, draw(st.sampled_from(sorted({c.sheet for c in FMT.cells.values()})))


def test_random_cell_edits_with_openpyxl(base):
    path = base["folder"] / "cells.xlsx"
    runs = []

    @settings(FUZZ, max_examples=100)
    @given(cell_edits())
    def run(case):
        edits, structural, sheet = case
        wb = openpyxl.load_workbook(base["path"])
        for key, value in edits:
            c = FMT.cells[key]
            ws = wb[c.sheet]
            ws.protection.sheet = False
            ws[c.ref] = value
        if structural == "insert_row":
            wb[sheet].insert_rows(random.Random(len(edits)).randint(1, 20))
        elif structural == "delete_row":
            wb[sheet].delete_rows(random.Random(len(edits)).randint(1, 20))
        elif structural == "rename":
            wb[sheet].title = "改名"
        elif structural == "delete_sheet":
            del wb[sheet]
        wb.save(path)
        outcome = verdict(path)
        tally("cells", runs, outcome)

    run()
    assert len(runs) >= 95
    assert "findings" in runs


def test_at_least_a_thousand_cases_ran():
    """The three tests above, run together, fuzz over 1,000 cases (they record every one)."""
    total = sum(sum(v.values()) for v in OUTCOMES.values())
    if len(OUTCOMES) < 3:
        pytest.skip("run with the three fuzz tests")
    assert total >= 1000, OUTCOMES


def _mutants(base) -> dict[str, bytes]:
    """A handful of fixed mutations for the CLI, each certain to be unreadable or to have findings."""
    m = base["members"]
    sheet3 = sheet_part(base["path"], "表三")
    return {
        "cut.xlsx": base["data"][: len(base["data"]) * 2 // 3],
        "no-workbook.xlsx": zip_of({k: v for k, v in m.items() if k != "xl/workbook.xml"}),
        # cut in the middle of its cells (a cut after them, in the conditional formats, leaves every value readable)
        "broken-sheet.xlsx": zip_of(dict(m, **{sheet3: m[sheet3][: m[sheet3].index(b"</sheetData>") // 2]})),
        "dtd.xlsx": zip_of(dict(m, **{"xl/styles.xml": b'<!DOCTYPE x [<!ENTITY a "b">]>' + m["xl/styles.xml"]})),
        "flipped.xlsx": bytes(b ^ 0x5A if 1000 <= i < 1100 else b for i, b in enumerate(base["data"])),
        "cells.xlsx": zip_of(dict(m, **{sheet3: re.sub(rb"<v>\d+</v>", b"<v>-1</v>", m[sheet3], count=3)})),
    }


def test_a_handful_through_the_cli(base, tmp_path):
    for name, data in _mutants(base).items():
        path = tmp_path / name
        path.write_bytes(data)
        before = digest(path)
        r = run_cli("check", path)
        assert "Traceback" not in r.stdout + r.stderr, name
        assert r.returncode in (1, 2), (name, r.returncode, r.stdout)
        assert f"✗ {name}：" in r.stdout
        assert digest(path) == before
