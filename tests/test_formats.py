"""The format definitions load, are complete, and match the official labels of FORMAT.md §2–6.

The labels are parsed out of ../shared/reference/FORMAT.md here (never retyped), so a label missing from, misspelt in,
or added to workbook_templates/layout-*.toml fails a test.
"""
from __future__ import annotations

import re
from itertools import product

import pytest

from nianbao import formats
from nianbao.errors import FormatDefinitionError
from nianbao.formats import load_format


# ------------------------------------------------------------------------------------------ FORMAT.md parsing
def md_section(md: str, number: int) -> str:
    """The text of '## <number>. …' up to the next '## '."""
    m = re.search(rf"^## {number}\. .*?(?=^## |\Z)", md, re.S | re.M)
    assert m, f"FORMAT.md has no section {number}"
    return m.group(0)


def split_items(text: str, sep: str) -> list[str]:
    return [x.strip() for x in text.split(sep) if x.strip()]


def parse_braces(text: str) -> list[tuple[str, list]]:
    """'a | b { x · y } | c' → [(a, []), (b, [(x, []), (y, [])]), (c, [])]; '{same five}' repeats the last leaf list."""
    tokens = re.findall(r"\{|\}|\||·|[^{}|·]+", text)
    tokens = [t.strip() for t in tokens if t.strip()]
    pos = 0
    last_leaves: list = []

    def parse_list():
        nonlocal pos, last_leaves
        items = []
        while pos < len(tokens) and tokens[pos] != "}":
            tok = tokens[pos]
            pos += 1
            if tok in ("|", "·"):
                continue
            if pos < len(tokens) and tokens[pos] == "{":
                pos += 1
                if tokens[pos] == "same five" or tokens[pos].startswith("same "):
                    children = list(last_leaves)
                    pos += 1
                else:
                    children = parse_list()
                assert tokens[pos] == "}"
                pos += 1
                if children and all(not c[1] for c in children):
                    last_leaves = children
                items.append((tok, children))
            else:
                items.append((tok.rstrip("."), []))
        return items

    return parse_list()


def leaves(tree) -> list[str]:
    out = []
    for label, children in tree:
        out += leaves(children) if children else [label]
    return out


def heading_facts(sec: str) -> tuple[str, int]:
    """'## 3. Table 三 — <caption>: … = 175 integer cells' → (caption, 175)."""
    first = sec.splitlines()[0]
    caption = re.search(r"— ([^:(]+?)\s*[(:]", first).group(1)
    count = int(re.findall(r"(\d+) (?:integer )?cells", first)[-1])
    return caption, count


def official_2021(md: str) -> dict:
    """Every label of FORMAT.md §2–4, by table and role."""
    out = {}
    # §2: | block caption | rows; separated | columns · separated |
    s2 = md_section(md, 2)
    blocks = []
    for line in s2.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[0].startswith("第"):
            blocks.append((cells[0], split_items(cells[1], ";"), split_items(cells[2], "·")))
    caption, count = heading_facts(s2)
    out["t2"] = dict(caption=caption, count=count, rows=[r for _, rows, _ in blocks for r in rows],
                     columns=list(dict.fromkeys(c for _, _, cols in blocks for c in cols)),
                     row_columns={r: cols for _, rows, cols in blocks for r in rows},
                     texts=[b for b, _, _ in blocks], groups={})
    # §3: the note, the header tree, and the numbered rows with their bracketed groups
    s3 = md_section(md, 3)
    note = next(x for x in re.findall(r"`([^`]+)`", s3) if "勾稽关系" in x)
    over = re.search(r"then (\S+) over", s3).group(1)
    header_line = next(line for line in s3.splitlines() if "{" in line and "|" in line)
    tree = parse_braces(header_line)
    rows, groups, group = [], {}, None
    for line in s3.splitlines():
        m = re.match(r"^\| ([\d–]+|–) \| (.+) \|$", line.strip())
        if not m:
            continue
        label = m.group(2).strip()
        if label.startswith("[") and label.endswith("]"):
            group = label[1:-1]
            continue
        items = split_items(label, " · ")
        rows += items
        if len(items) > 1:  # a run of numbered sub-rows belongs to the bracketed group just above it
            for it in items:
                groups[it] = group
    bracketed = re.findall(r"^\| – \| \[(.+)\] \|$", s3, re.M)
    caption, count = heading_facts(s3)
    out["t3"] = dict(caption=caption, count=count, rows=rows, columns=leaves(tree), groups=groups,
                     texts=[note, over] + [label for label, ch in tree if ch] + bracketed)
    # §4: 行政复议 { five } | 行政诉讼 { 未经复议直接起诉 {same five} · 复议后起诉 {same five} }
    s4 = md_section(md, 4)
    body = " ".join(s4.splitlines()[1:]).strip()
    tree = parse_braces(body)

    def blocks_of(t):
        res = []
        for label, ch in t:
            if ch and all(not c[1] for c in ch):
                res.append((label, [c[0] for c in ch]))
            elif ch:
                res += blocks_of(ch)
        return res

    def super_headers(t):
        return [label for label, ch in t if ch and any(c[1] for c in ch)] + \
            [x for label, ch in t if ch for x in super_headers(ch)]

    b4 = blocks_of(tree)
    caption, count = heading_facts(s4)
    out["t4"] = dict(caption=caption, count=count, rows=[b for b, _ in b4], columns=b4[0][1],
                     row_columns={b: cols for b, cols in b4}, texts=super_headers(tree), groups={})
    return out


def canonical_keys(md: str) -> dict[str, set[str]]:
    """The cell keys of FORMAT.md §6, by table id."""
    out = {}
    for bullet in re.split(r"\n- ", md_section(md, 6)):
        bullet = " ".join(bullet.split())
        ticks = re.findall(r"`([^`]+)`", bullet)
        if not ticks or not re.fullmatch(r"t\d(_\d+)?", ticks[0]):
            continue
        tid = ticks[0]
        body = bullet.split(f"`{tid}`", 1)[1]
        body = re.sub(r"\([^)]*\)", "", body)  # labels in brackets (one of them holds a ';')
        body = re.split(r"\. A cell is|, e\.g\.", body)[0]
        keys, pending_rows = set(), None
        for part in body.split(";"):
            t = re.findall(r"`([^`]+)`", part)
            if "×" in part:
                a, b = part.split("×")
                keys |= {f"{tid}.{r}.{c}" for r, c in product(re.findall(r"`([^`]+)`", a), re.findall(r"`([^`]+)`", b))}
            elif part.strip().startswith("rows"):
                pending_rows = t
            elif part.strip().startswith("cols"):
                keys |= {f"{tid}.{r}.{c}" for r, c in product(pending_rows, t)}
            else:
                keys |= {f"{tid}.{k}" for k in t if "." in k}
        out[tid] = keys
    return out


def key_labels(md: str) -> dict[str, dict[str, str]]:
    """`key` (label…) pairs of FORMAT.md §6, by table id: the label a row or column key stands for."""
    out = {}
    for bullet in re.split(r"\n- ", md_section(md, 6)):
        bullet = " ".join(bullet.split())
        ticks = re.findall(r"`([^`]+)`", bullet)
        if ticks and re.fullmatch(r"t\d(_\d+)?", ticks[0]):
            pairs = re.findall(r"`(\w+)` \(([^,)]+)", bullet)
            out[ticks[0]] = {k: v.strip() for k, v in pairs if re.search(r"[\u4e00-\u9fff]", v) and v != "万元"}
    return out


@pytest.fixture(scope="module")
def md() -> str:
    from conftest import need_shared

    return (need_shared() / "reference" / "FORMAT.md").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def fresh_cache():
    load_format.cache_clear()
    yield
    load_format.cache_clear()


# ------------------------------------------------------------------------------------------ 2021
def test_2021_has_200_number_cells_with_the_canonical_keys(md):
    fmt = load_format("2021")
    assert len(fmt.cells) == 200
    facts = official_2021(md)
    expected = canonical_keys(md)
    for tid in ("t2", "t3", "t4"):
        table = fmt.tables[tid]
        assert len(table.cells) == facts[tid]["count"], tid
        assert set(table.cells) == expected[tid], tid
    assert set(fmt.cells) == expected["t2"] | expected["t3"] | expected["t4"]
    assert fmt.cells["t2.fees.amount"].type == "decimal"
    assert {c.type for k, c in fmt.cells.items() if k != "t2.fees.amount"} == {"count"}


def test_2021_sections_in_official_order(md):
    fmt = load_format("2021")
    headings = [line.split()[0] for line in md_section(md, 1).splitlines() if re.match(r"^[一二三四五六]、", line)]
    assert len(headings) == 6
    assert [s.heading for s in fmt.sections] == headings
    # the table sections are the tables of §2–4, in that order
    facts = official_2021(md)
    assert [fmt.tables[s.table].caption for s in fmt.sections if s.kind == "table"] == \
        [facts[t]["caption"] for t in ("t2", "t3", "t4")]


@pytest.mark.parametrize("tid", ["t2", "t3", "t4"])
def test_every_official_label_present_once(md, tid):
    fmt = load_format("2021")
    facts = official_2021(md)[tid]
    table = fmt.tables[tid]
    assert table.caption == facts["caption"]
    # rows: exactly the official ones, in the official order, none added
    assert [r.label for r in table.rows] == facts["rows"]
    # columns: exactly the official ones, each once
    col_labels = [c.label for c in table.columns]
    assert sorted(col_labels) == sorted(facts["columns"])
    assert len(set(col_labels)) == len(col_labels)
    if tid == "t3":
        assert col_labels == facts["columns"]  # the order of the seven columns is official too
    # which columns each row has (表二's blocks, 表四's blocks)
    for row_label, cols in facts.get("row_columns", {}).items():
        row = next(r for r in table.rows if r.label == row_label)
        assert [table.column(k).label for k in row.columns] == cols, row_label
    # block captions, group labels, the 勾稽关系 note, super-headers: each exactly once on the sheet
    texts = [t.text for t in table.texts]
    for label in facts["texts"]:
        assert texts.count(label) == 1, label
    # every column header is printed on the sheet above its numbers
    for label in facts["columns"]:
        assert label in texts, label
    # 表三's numbered sub-rows belong to their bracketed group
    for row_label, group in facts["groups"].items():
        assert next(r for r in table.rows if r.label == row_label).group == group, row_label


def test_2021_key_labels_match_format_md(md):
    fmt = load_format("2021")
    for key, label in key_labels(md)["t2"].items():
        table = fmt.tables["t2"]
        names = {r.key: r.label for r in table.rows} | {c.key: c.label for c in table.columns}
        assert names[key] == label


def test_every_sum_rule_of_format_md_is_defined(md):
    fmt = load_format("2021")
    ids = re.findall(r"^- (T\d-\d\d) E", md_section(md, 7), re.M)
    assert ids
    for rid in ids:
        assert fmt.rules[rid].kind == "sum" and fmt.rules[rid].severity == "error"
    # T3-01 holds per column (all 7), T3-02 per row (all 25), T3-03 per column, T4-01 per block
    assert len(fmt.rules["T3-01"].instances) == len(fmt.tables["t3"].columns)
    assert len(fmt.rules["T3-02"].instances) == len(fmt.tables["t3"].rows)
    assert len(fmt.rules["T3-03"].instances) == len(fmt.tables["t3"].columns)
    assert len(fmt.rules["T4-01"].instances) == len(fmt.tables["t4"].rows)
    for rid in re.findall(r"^- ([CS]\d\d) ", md_section(md, 7), re.M):
        assert rid in fmt.rules


# ------------------------------------------------------------------------------------------ 2019
def test_2019_definition_differs_as_format_md_says(md):
    new, old = load_format("2021"), load_format("2019")
    s5 = " ".join(md_section(md, 5).split())
    assert (old.first_year, old.last_year) == tuple(int(y) for y in re.search(r"report years (\d+)–(\d+)", s5).groups())
    t2 = next(t for t in old.tables.values() if t.sheet == new.tables["t2"].sheet)
    assert t2.id == "t2_2019" and "t2" not in old.tables
    rows = {r.label: r for r in t2.rows}
    cols = lambda row: [t2.column(k).label for k in row.columns]  # noqa: E731

    # （一）: other columns; the row is 规范性文件 without 行政
    first_cols = split_items(re.search(r"（一）: columns ([^;]+);", s5).group(1), "·")
    plain, dropped = re.search(r"row (\S+) \(no (\S+)\)", s5).groups()
    assert plain in rows and dropped + plain not in rows
    assert cols(rows[plain]) == first_cols and cols(rows[new.tables["t2"].row("regulations").label]) == first_cols
    # （五）/（六）: their rows, with the same three columns; 本年增/减 is signed
    five = split_items(re.search(r"（五）: rows ([^;]+);", s5).group(1), "·")
    six = split_items(re.search(r"（六）: ([^;]+);", s5).group(1), "·")
    both = split_items(re.search(r"both with columns ([^(]+)\(", s5).group(1), "·")
    for label in five + six:
        assert cols(rows[label]) == both, label
    signed = re.search(r"\((\S+) is signed\)", s5).group(1)
    assert {c.label for c in t2.columns if c.type == "signed"} == {signed}
    # （八） without an amount, and the extra block （九）
    for label, with_cols in re.findall(r"([\u4e00-\u9fff]+) with ([^(.]+)", s5):
        assert cols(rows[label]) == split_items(with_cols, "·"), label
    extra = re.search(r"Extra block (\S+?):", s5).group(1)
    assert [t.text for t in t2.texts if t.role == "block"].count(extra) == 1
    assert extra not in [t.text for t in new.tables["t2"].texts]
    # keys and labels as FORMAT.md §6 gives them
    assert set(t2.cells) == canonical_keys(md)["t2_2019"]
    names = {r.key: r.label for r in t2.rows} | {c.key: c.label for c in t2.columns}
    for key, label in key_labels(md)["t2_2019"].items():
        assert names[key] == label, key

    # 表三: （六）其他处理 one data row `t3.other.*`, in place of the three other_* rows
    n_rows = int(re.search(r"\((\d+) data rows\)", s5).group(1))
    single = re.search(r"表三: (\S+) is one data row", s5).group(1)
    t3o, t3n = old.tables["t3"], new.tables["t3"]
    assert len(t3o.rows) == n_rows
    assert t3o.row("other").label == single
    assert [r.key for r in t3o.rows if r.key.startswith("other")] == ["other"]
    kept = [(r.key, r.label) for r in t3n.rows if not r.key.startswith("other_")]
    assert [(r.key, r.label) for r in t3o.rows if r.key != "other"] == kept
    assert [c.label for c in t3o.columns] == [c.label for c in t3n.columns]
    assert {f"t3.other.{c.key}" for c in t3o.columns} <= set(old.cells)
    # T3-03 sums （一）…（六） with the single （六） row
    t303 = old.rules["T3-03"].instances[0]
    assert "t3.other.natural_person" in t303.keys and not any(".other_" in k for k in t303.keys)
    # 表四 unchanged
    assert "表四: unchanged" in s5
    t4o, t4n = old.tables["t4"], new.tables["t4"]
    assert (t4o.rows, t4o.columns, t4o.texts, t4o.cells) == (t4n.rows, t4n.columns, t4n.texts, t4n.cells)


def test_each_layout_covers_its_years():
    assert formats.format_for_year(2020).layout == "2019"
    assert formats.format_for_year(2019).layout == "2019"
    assert formats.format_for_year(2021).layout == "2021"
    assert formats.format_for_year(2025).layout == "2021"


# ------------------------------------------------------------------------------------------ broken definitions
GOOD_TABLE = """
[[tables]]
id = "t5"
sheet = "表五"
caption = "试验表"
grid = "A2:C4"
status = "A6"
columns = [ {{ key = "a", label = "甲" }}, {{ key = "b", label = "乙" }} ]
rows = [ {{ key = "x", label = "某行", at = "A3", cells = "{cells}" }} ]
texts = [ {{ text = "甲", at = "B2" }}, {{ text = "乙", at = "C2" }} ]
"""

GOOD_RULE = """
[[rules]]
id = "X-01"
kind = "sum"
severity = "error"
name = "试验"
expr = "{expr}"
message = "试验"
"""


def write_definition(tmp_path, monkeypatch, body: str, name: str = "broken") -> str:
    (tmp_path / f"layout-{name}.toml").write_text(f'base = "2021"\n[meta]\nlayout = "{name}"\n{body}',
                                                  encoding="utf-8")
    monkeypatch.setattr(formats, "TEMPLATES_DIRS", (tmp_path, *formats.TEMPLATES_DIRS))
    load_format.cache_clear()
    return name


def test_a_sound_derived_definition_loads(tmp_path, monkeypatch):
    # the control for the broken ones below: the same mechanism, nothing wrong
    name = write_definition(tmp_path, monkeypatch, GOOD_TABLE.format(cells="B3")
                            + GOOD_RULE.format(expr="t5.x.a == t5.x.b + t3.new.total"))
    fmt = load_format(name)
    assert "t5.x.a" in fmt.cells and fmt.cells["t5.x.b"].ref == "C3"
    assert fmt.rules["X-01"].instances[0].keys == ["t5.x.a", "t5.x.b", "t3.new.total"]
    assert len(fmt.cells) == 202


@pytest.mark.parametrize("body, complaint", [
    (GOOD_RULE.format(expr="t3.new.total == t3.no_such_row.total"), "t3.no_such_row.total"),
    (GOOD_RULE.format(expr="t3.new.* == t3.granted..no_such_row.*"), "no_such_row"),
    (GOOD_RULE.format(expr="t3.new.total == t9.new.total"), "t9"),
    (GOOD_RULE.format(expr="t3.new.total + t3.carried_over.total"), "=="),
    ('[[rules]]\nid = "X-02"\nkind = "advice"\nseverity = "warning"\nname = "试验"\nmessage = "试验"\n'
     'keys = ["t2.no_such_row.issued"]\n', "t2.no_such_row.issued"),
    ('[[rules]]\nid = "X-03"\nkind = "sum"\nseverity = "fatal"\nname = "试验"\nmessage = "试验"\n'
     'expr = "t3.new.total == t3.new.total"\n', "severity"),
    (GOOD_TABLE.format(cells="B0"), "B0"),
    (GOOD_TABLE.format(cells="3B"), "3B"),
    (GOOD_TABLE.format(cells="B9"), "outside the grid"),
    (GOOD_TABLE.format(cells="B2"), "overlaps"),
])
def test_a_broken_definition_fails_at_load(tmp_path, monkeypatch, body, complaint):
    name = write_definition(tmp_path, monkeypatch, body)
    with pytest.raises(FormatDefinitionError, match=re.escape(complaint)):
        load_format(name)


def test_every_report_year_has_exactly_one_layout():
    from nianbao.formats import available_layouts, format_for_year

    spans = [(load_format(l).first_year, load_format(l).last_year, l) for l in available_layouts(False)]
    for y in range(2019, 2101):
        owners = [l for a, b, l in spans if a <= y <= b]
        assert len(owners) == 1 and format_for_year(y).layout == owners[0], (y, owners)
