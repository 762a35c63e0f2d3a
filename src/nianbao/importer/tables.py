"""Reading the three tables out of a stretch of a document, for one format definition.

The stretch is cut into tokens: text, and values (a number as printed, an empty cell, a "/"). Row labels are found
in order in the text (labels.find); a row's values are the value tokens between its label and the next one. Web
text runs a row's cells together ("640020470"); such a run is split into the row's number of values, and when more
than one split is possible the table identities of the format decide — or, failing that, a stated preference, with
a warning that names the other readings. Numbers are never changed, only read.
"""
from __future__ import annotations

import bisect
import copy
import re
from dataclasses import dataclass, field

from ..filing import BLANK_MARKS, Finding
from ..formats import ReportFormat, Table, parse_cell, parse_range
from . import labels, short_rows
from .document import CELL, END, ROW, Doc
from .digit_runs import SPLIT_LIMIT, as_number, split_candidates, split_search
from .splitting import resolve, violations

_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")
_NUMBER_OR_MARK = re.compile(_NUMBER.pattern + rf"|(?:(?<=\s)|^)({labels.BLANK_SYMBOL})(?=\s|$)")
_NOTE = re.compile(r"\s*[（(]([^（）()\n]{1,40})[）)]")
_VALUE_CELL = re.compile(r"^\s*(?P<num>[+\-－−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(?P<unit>万元|元|件|个|项|条)?\s*"
                         r"(?:[（(](?P<note>[^（）()]*)[）)])?\s*$")
_SIGNS = "+-－−"
_UNIT = re.compile(r"\s*(万元|元)(?![\u4e00-\u9fff]*[：:])")
_GENERIC_HEADER = re.compile(r"^(?:数据|列|字段|栏目?|column|col)\s*\d{1,2}$", re.IGNORECASE)
_CN_ORDINAL = re.compile(r"^[一二三四五六七八九十]+$")
PROSE = 8  # a text this long that is not the table's own labels ends a row's values


@dataclass
class Token:
    kind: str  # "text" | "value"
    raw: str  # as printed
    pos: int  # position in the document text
    row: int | None = None  # the table row of a source with real tables; None in running text
    number: str | None = None  # the number as printed; None for an empty cell or a mark such as "/"
    note: str | None = None  # "其中修订16件" of "22（其中修订16件）"
    splittable: bool = False  # a run of digits in running text, possibly several cells
    unit: str | None = None  # "万元" of "300.5万元", kept beside the number
    mark: bool = False  # a blank cell's mark ("—", "/") in running text: its number stands in for the blank


def _running_text(text: str, pos: int, row: int | None, out: list[Token]):
    i = 0
    for m in _NUMBER_OR_MARK.finditer(text):
        s, e = m.start(), m.end()
        if s < i:
            continue
        if m.group(1) is None:  # a blank cell's mark standing alone ("0 — 3"): a cell, printed blank
            if s > i:
                out.append(Token("text", text[i:s], pos + i, row))
            # placed among the row's columns as a 0 would be (a blank counts as 0 in every identity), read blank
            out.append(Token("value", m.group(2), pos + s, row, "0", mark=True))
            i = e
            continue
        digits = m.group(1)
        nxt = text[e:e + 2]
        if "." not in digits and len(nxt) == 2 and nxt[0] in ".、．" and not nxt[1].isdigit():
            digits, e = digits[:-1], e - 1  # "…00000002.其他" : the last digit numbers the next row label
            if not digits:
                continue
        sign = ""
        # a sign after a space, or right after the previous cell's digits ("2648-18538": 2648 and −18538, 2019 本年增/减)
        if s > 0 and text[s - 1] in _SIGNS and (s == 1 or text[s - 2].isspace() or text[s - 2].isdigit()):
            sign, s = "-" if text[s - 1] != "+" else "", s - 1
        unit = None
        u = _UNIT.match(text, e)
        if u:
            unit, e = u.group(1), u.end()
        note = None
        n = _NOTE.match(text, e)
        if n and not _CN_ORDINAL.match(n.group(1)) and not re.match(r"^\d[.、]", n.group(1)):
            note, end = n.group(1).strip(), n.end()
        else:
            end = e
        if s > i:
            out.append(Token("text", text[i:s], pos + i, row))
        whole = digits.split(".")[0]
        out.append(Token("value", text[s:end], pos + s, row, sign + digits.replace(",", ""), note,
                         splittable="," not in digits and len(whole) > 1, unit=unit))
        i = end
    if i < len(text):
        out.append(Token("text", text[i:], pos + i, row))


def tokenize(text: str, start: int, end: int) -> list[Token]:
    out: list[Token] = []
    i, row_id = start, 0
    while i < end:
        r = text.find(ROW, i, end)
        if r < 0:
            _running_text(text[i:end], i, None, out)
            break
        if r > i:
            _running_text(text[i:r], i, None, out)
        e = text.find(END, r, end)
        e = end if e < 0 else e
        row_id += 1
        p = r + 1
        for cell in text[r + 1:e].split(CELL):
            stripped = cell.strip()
            m = _VALUE_CELL.match(cell)
            if _GENERIC_HEADER.match(stripped):  # "数据3", "列2": a header garbled by OCR, not a number
                out.append(Token("text", cell, p, row_id))
            elif not stripped or stripped.lower() in BLANK_MARKS:
                out.append(Token("value", stripped, p, row_id))
            elif m:
                unit = m.group("unit") if m.group("unit") in ("万元", "元") else None
                out.append(Token("value", stripped, p, row_id, m.group("num").replace(",", "").replace("－", "-")
                                 .replace("−", "-").lstrip("+"), m.group("note"), unit=unit))
            else:
                _running_text(cell, p, row_id, out)
            p += len(cell) + 1
        i = e + 1
    return out


@dataclass
class Reading:
    """What one format definition made of the document's tables."""

    fmt: ReportFormat
    raw: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)
    clean: int = 0  # cells read without doubt about which row or column they belong to
    rows_found: set = field(default_factory=set)  # (table id, row key)
    variants: list = field(default_factory=list)  # (sheet, printed, official)


_KEY_SETS: dict[int, tuple[ReportFormat, list]] = {}  # id(format) → (the format, its sums with their cells)


def _instances(fmt: ReportFormat, keys: set[str]):
    """The format's sums (within one year) whose cells are all among `keys` (asked once per doubtful row)."""
    known = _KEY_SETS.get(id(fmt))
    if known is None or known[0] is not fmt:
        known = _KEY_SETS[id(fmt)] = (fmt, [(frozenset(i.keys), i) for i in fmt.sum_instances(previous=False)])
    return (inst for cells, inst in known[1] if cells <= keys)


def read_tables(doc: Doc, fmt: ReportFormat, regions: dict[str, tuple[int, int]], claims=(),
                previous: dict | None = None) -> Reading:
    """Read every table of `fmt` from its region (by sheet name) of the document. `claims`: what the narrative
    states about cells (narrative_numbers.claims), and `previous`: last year's values, both used only to choose
    among the splits of digits run together that the identities cannot decide.
    A report whose digits ran together leaves cells blank only if it shows that it does: a row, in any of its
    tables, that no reading without a blank fits (a report that prints every 0, 表三's empty rows as "0000000",
    shows none). Then a blank may hide in any row of any table, one that also splits without it too: every table
    is read again allowing for blanks. Where none shows, the rows are read without blanks, but a row that a blank
    left out would let read otherwise is still named in a warning: not seeing one is no proof there is none."""
    tables = [(t, regions[t.sheet]) for t in fmt.tables.values() if regions.get(t.sheet)]
    read = [_read_alone(doc, fmt, t, region, claims, previous, False) for t, region in tables]
    shown = any(searched.showed_blanks for _, searched in read)
    for i, ((t, region), (r, searched)) in enumerate(zip(tables, read)):
        if searched.without_blanks:
            alt = _read_alone(doc, fmt, t, region, claims, previous, True)
            if shown:
                read[i] = alt
            else:
                r.findings += _unless_blanks(doc, t, r, alt[0])
    reading = Reading(fmt)
    for r, _ in read:  # each table's reading uses no other table's cells
        reading.raw.update(r.raw)
        reading.where.update(r.where)
        reading.findings += r.findings
        reading.clean += r.clean
        reading.rows_found |= r.rows_found
        reading.variants += r.variants
    return reading


def _unless_blanks(doc: Doc, table: Table, ours: Reading, alt: Reading) -> list[Finding]:
    """Warnings on the rows read without blanks that, allowing for blanks left out (`alt`), read otherwise or
    become doubtful."""
    def doubted(r: Reading) -> set:
        return {k for f in r.findings if f.severity != "info" for k in f.keys}

    differ = {k for k in table.cells if ours.raw.get(k) != alt.raw.get(k)}
    doubt = differ | (doubted(alt) - doubted(ours))
    out = []
    for f in alt.findings:
        keys = [k for k in f.keys if k in doubt]
        if not keys or f.severity == "info" or not f.actual:
            continue
        doubt -= set(f.keys)
        read = " / ".join("空" if ours.raw.get(k) is None else str(ours.raw.get(k)) for k in f.keys)
        out.append(Finding("IMP-BLANK", "warning", f"{table.sheet}连写的“{f.actual}”按每个单元格都印有数字读取为 {read}；"
                           "本报告未见省略的空白单元格，但若原表此处有空白单元格被略去，这些数字另有拆法，请核对原文",
                           keys=list(f.keys), cells=f.cells, actual=f.actual))
    if doubt:
        out.append(Finding("IMP-BLANK", "warning", f"{table.sheet}按每个单元格都印有数字读取；若原表有空白单元格被略去，"
                           "这些单元格的数字另有读法，请核对原文", keys=sorted(doubt, key=list(table.cells).index)))
    return out


def _read_alone(doc: Doc, fmt: ReportFormat, table: Table, region, claims, previous, blanks: bool):
    """(one table's reading, how its rows were searched: _split_rows)."""
    reading = Reading(fmt)
    searched = _read_with_blanks_if_needed(doc, table, tokenize(doc.text, *region), reading, claims, previous,
                                           blanks)
    return reading, searched


def _read_with_blanks_if_needed(doc: Doc, table: Table, tokens, reading: Reading, claims, previous,
                                blanks: bool = False):
    """A table whose rows ran together is first read without blank cells where every row splits without one;
    if its identities then fail, a blank a crawler dropped may hide in a row that also splits without it: read
    again with blanks allowed in every row, and keep that reading if it breaks fewer identities. Returns how the
    table's rows were first searched (_split_rows)."""
    before = copy.deepcopy((reading.raw, reading.where, reading.findings, reading.clean, reading.rows_found,
                            reading.variants))
    searched = _read_table(doc, table, tokens, reading, claims, previous, blanks)
    if not searched.without_blanks:
        return searched
    inst = [i for i in reading.fmt.sum_instances(previous=False) if set(i.keys) <= set(table.cells)]

    def broken(r: Reading) -> int:
        return violations(inst, {k: (v if isinstance(v, (int, float)) else 0) for k, v in r.raw.items()})

    first = broken(reading)
    if not first:
        return searched
    again = Reading(reading.fmt)
    again.raw, again.where, again.findings, again.clean, again.rows_found, again.variants = copy.deepcopy(before)
    _read_table(doc, table, tokens, again, claims, previous, blanks=True)
    if broken(again) < first:
        reading.raw, reading.where, reading.findings = again.raw, again.where, again.findings
        reading.clean, reading.rows_found, reading.variants = again.clean, again.rows_found, again.variants
    return searched


def _read_table(doc: Doc, table: Table, tokens: list[Token], reading: Reading, claims, previous,
                blanks: bool = False):
    """Read one table into `reading`; how its rows were searched (_split_rows: read without blank cells allowed
    for, and whether a row showed some)."""
    fmt = reading.fmt
    known = labels.table_texts(table)
    # the text of the region, normalised, and for each of its characters the token it came from
    stream, starts, owners = [], [], []
    length = 0
    for i, t in enumerate(tokens):
        if t.kind == "text":
            n = labels.norm(t.raw)
            if n:
                stream.append(n)
                starts.append(length)
                owners.append(i)
                length += len(n)
    stream = "".join(stream)
    ends = {a + len(labels.norm(tokens[i].raw)) for a, i in zip(starts, owners)}

    def token_at(k: int) -> int:
        return owners[bisect.bisect_right(starts, k) - 1]

    rows_with_text = {t.row for t in tokens if t.kind == "text" and t.row is not None and labels.norm(t.raw)}

    def prose(t: Token) -> bool:
        return t.kind == "text" and len(labels.leftover(t.raw, known)) >= PROSE

    def values_between(a: int, b: int, label_row: int | None, label_end: int = -1, label: str = "") -> list[Token]:
        # a label broken over two table rows (OCR): both rows are the label's; the cells before its second
        # line are the group label's columns, not values
        label_rows = {label_row} | {t.row for t in tokens[a:label_end + 1] if t.kind == "text"}
        second = tokens[label_end].row if label_end >= a and tokens[label_end].row != label_row else None
        out = []
        for i, t in enumerate(tokens[a:b], a):
            if t.kind == "text":
                # the label's own second line is not prose, nor the rest of it on the row after its numbers'
                # row ("2.申请人逾期未按收费" | empty cells, then "通知要求缴纳费用、行…" and the numbers: PyMuPDF4LLM)
                if out and i > label_end and prose(t) and labels.norm(t.raw) not in label:
                    break
                continue
            if second is not None and t.row == second and i < label_end:
                continue
            if t.number is None and t.row is not None and t.row not in label_rows and t.row in rows_with_text:
                continue  # an empty cell of a header row or of a row read under another label
            out.append(t)
        return out

    flat = len({parse_cell(c.ref)[0] for c in table.cells.values()}) == 1 and len(table.rows) > 1
    groups: list[tuple[list[str], list[Token], str]] = []  # (keys, value tokens, what) to assign
    if flat:
        # 表四: the row labels are headers; the values follow them, in the sheet's column order
        keys = sorted(table.cells, key=lambda k: parse_cell(table.cells[k].ref)[::-1])
        vals = [t for t in tokens if t.kind == "value" and not (t.number is None and t.row in rows_with_text)]
        first = next((i for i, t in enumerate(tokens) if t.kind == "value" and t in vals), None)
        if first is not None:
            run = []
            for t in tokens[first:]:
                if t.kind == "text":
                    if prose(t):
                        break
                    continue
                if t in vals:
                    run.append(t)
            vals = run
        # a header broken inside its narrow cell ("未经复议" over "直接起诉") is printed in words apart, with the
        # words of the cells beside it between them (a PDF's text line by line)
        words = [labels.norm(w) for t in tokens[:first] if t.kind == "text" for w in t.raw.split()]
        for r in table.rows:
            if labels.find(stream, r.label) or labels.in_words(words, r.label):
                reading.rows_found.add((table.id, r.key))
        groups.append((keys, vals, table.caption, tokens[0].pos if tokens else 0))
    else:
        cursor, found = 0, []
        for r in table.rows:
            m = labels.find(stream, r.label, cursor, ends=ends)
            if m is None:
                continue
            found.append((r, token_at(m.start), m))
            cursor = m.end
            reading.rows_found.add((table.id, r.key))
            if not m.exact and labels.core(r.label) != m.text and not labels.norm(r.label).startswith(m.text):
                reading.variants.append((table.sheet, m.text, r.label))
        for i, (r, ti, m) in enumerate(found):
            nxt = found[i + 1][1] if i + 1 < len(found) else len(tokens)
            keys = [f"{table.id}.{r.key}.{c}" for c in r.columns]
            groups.append((keys, values_between(ti + 1, max(nxt, ti + 1), tokens[ti].row, token_at(m.end - 1),
                                                labels.norm(r.label)), f"“{r.label}”行", tokens[ti].pos))

    pending = []  # (keys, tokens, candidates, what, identities hold, "split" | "blank")
    partial = []  # the rows of pending whose readings the search could not all list
    index = {id(t): i for i, t in enumerate(tokens)}

    def room(keys, vals):
        # cells one a line under a label printed as a line of its own (a Word table saved as text): nothing pads
        # the row's start, what it has too many are empty lines after it
        before = next((t for t in reversed(tokens[:index[id(vals[0])]]) if t.kind == "text" and labels.norm(t.raw)),
                      None) if vals else None
        if before is not None and before.row is None and all(t.row is not None for t in vals):
            return 0, 0
        return _label_span(table, keys)

    rows = [(keys, _spanned(_drop_padding(_under_headings(doc.text, vals, len(keys)), len(keys), room(keys, vals)),
                            len(keys)), what, at)
            for keys, vals, what, at in groups]
    # the table prints its numbers apart (some complete row has white space between them): a short row of numbers
    # printed apart has blank cells left out, rather than digits run together ("规章 000")
    apart = (any(len(v) == len(k) > 1 and short_rows.fillable(doc.text, v[1:], k) for k, v, _, _ in rows)
             or short_rows.prints_apart(doc.text))
    searched = _split_rows(fmt, rows, blanks)
    for keys, vals, what, at in rows:
        if len(vals) == len(keys):
            _assign(doc, table, keys, vals, reading)
            continue
        if not any(t.raw for t in vals):  # a row whose label is printed with nothing after it (or only empty
            # cells, fewer than its columns: a crawler's tabs with the row's end cut): every cell left blank
            _assign(doc, table, keys, [Token("value", "", at)] * len(keys), reading)
            reading.findings.append(Finding("IMP-BLANK", "info", f"{table.sheet}{what}未印任何数字：各列按空白读取",
                                            keys=keys, cells=[doc.place(at)]))
            continue
        types = [fmt.cells[k].type for k in keys]
        if apart and short_rows.fillable(doc.text, vals, keys):  # numbers printed apart: a blank cell left out
            inst = list(_instances(fmt, set(keys)))
            blanks = short_rows.placements(vals, keys, inst, types)
            if blanks:
                pending.append((keys, vals, blanks, what, True, "blank"))
                continue
        if short_rows.grid_fillable(vals, keys):  # a table's row with a cell left out: its empty cells are blanks
            vals = [t for t in vals if t.raw]
            blanks = short_rows.placements(vals, keys, list(_instances(fmt, set(keys))), types)
            if blanks:
                pending.append((keys, vals, blanks, what, True, "blank"))
                continue
        splittable = len(vals) < len(keys) and (all(t.row is None for t in vals) or any(t.splittable for t in vals))
        inst = list(_instances(fmt, set(keys))) if splittable else []
        good, finished = searched(keys, vals, types, inst) if splittable else ([], True)
        if not finished:
            _over_budget(doc, table, keys, vals, what, bool(good), reading)
            partial.append(len(pending) if good else -1)  # -1: a row left unread
        # no split satisfies the row's identity (a printed total that disagrees): every split, if few
        cands = good or (split_candidates(vals, keys, limit=20_000, types=types) if splittable and inst and finished
                         else [])
        if not cands and not finished:
            continue
        if cands:
            pending.append((keys, vals, good or cands, what, bool(good), "split"))
        else:
            shown = " ".join(t.raw for t in vals) or "（无）"
            reading.findings.append(Finding(
                "IMP-ROW", "error",
                f"{table.sheet}{what}读到 {len(vals)} 个数（{shown}），应为 {len(keys)} 个：无法确定各数所属的列，"
                f"该行按未填写处理，请核对原文", keys=keys, cells=[doc.place(vals[0].pos)] if vals else []))
    if pending:
        gaps = short_rows.reference_columns(doc.text, [(k, v) for k, v, _, _ in rows])
        resolve(doc, table, pending, reading, lambda k, v, n: _assign(doc, table, k, v, reading, n), claims, previous,
                gaps, partial)
    return searched


def _split_rows(fmt: ReportFormat, rows, force: bool = False):
    """The search for a row's readings (split_search), with blank cells allowed in running text only where the
    table has them: a crawler that runs a row's cells together drops an empty one entirely, so a row whose digits
    split in no way without a blank shows that the table has blank cells — then any of its rows may have some.
    A table printed without blanks is read without them (its readings are not doubled by blank-or-0 guesses)."""
    plain: dict = {}

    def search(keys, vals, types, inst, blanks=0):
        key = (tuple(keys), blanks)
        if key not in plain:
            plain[key] = split_search(vals, keys, inst, types=types, blanks=blanks, widest=len(str(fmt.count_limit)))
        return plain[key]

    flat = [(keys, vals) for keys, vals, _, _ in rows
            if 0 < len(vals) < len(keys) and all(t.row is None for t in vals)]
    has_blanks = force
    for keys, vals in flat if not force else ():
        found, finished = search(keys, vals, [fmt.cells[k].type for k in keys], list(_instances(fmt, set(keys))))
        if finished and not found:
            has_blanks = True
            break

    def searched(keys, vals, types, inst):
        blanks = len(keys) - 1 if has_blanks and all(t.row is None for t in vals) else 0
        return search(keys, vals, types, inst, blanks)

    searched.without_blanks = bool(flat) and not has_blanks
    searched.showed_blanks = has_blanks and not force
    return searched


def _over_budget(doc: Doc, table: Table, keys, vals, what: str, some: bool, reading: Reading):
    printed = " ".join(t.number or "" for t in vals)
    reading.findings.append(Finding(
        "IMP-SPLIT", "warning", f"{table.sheet}{what}的数字在原文中连写为“{printed}”，可能的拆法太多，超出拆分计算的限额"
        f"（{SPLIT_LIMIT} 步），未能逐一比对：" + ("暂按找到的满足勾稽关系的拆法读取" if some else "该行未读取（按未填写处理）") +
        "，请核对原文", keys=keys, cells=[doc.place(vals[0].pos)], actual=printed))


def _label_span(table: Table, keys: list[str]) -> tuple[int, int] | None:
    """The grid columns before a row's first value: beside its label (2 for 表三's "一、本年新收…", which spans
    three), and in all (the group labels' columns too). None for 表四, whose labels head columns."""
    cell = table.cells[keys[0]]
    row = next((r for r in table.rows if r.key == cell.row), None)
    if row is None or len({table.cells[k].row for k in keys}) > 1:
        return None
    _, c1, _, c2 = parse_range(row.at)
    return c2 - c1, c2 - parse_range(table.grid)[1] + 1


def _spanned(vals: list[Token], n: int) -> list[Token]:
    """A number under a header cell that spans m columns, printed m times: a converter that splits merged cells
    repeats their text (pandas.read_html, some site editors). n runs of m equal numbers are n numbers."""
    m = len(vals) // n if n else 0
    if m < 2 or len(vals) != m * n:
        return vals
    runs = [vals[i * m:(i + 1) * m] for i in range(n)]
    return [r[0] for r in runs] if all(len({t.raw for t in r}) == 1 for r in runs) else vals


def _drop_padding(vals: list[Token], n: int, room: tuple[int, int] | None = None) -> list[Token]:
    """Empty cells that only pad a row (a label spanning three columns in Markdown, a 4-column grid holding two
    values): the surplus is taken from the empty cells before the first value first (as many as the grid has
    columns there: `room`, beside the label / in a row of numbers printed without its label), then from the
    row's end."""
    excess = len(vals) - n
    if excess <= 0 or any(t.row is None for t in vals):
        return vals
    lead_room = room[0] if room else None
    # a row broken over two source rows (OCR, PDF-to-Markdown): the part printed without numbers only pads
    blank_rows = {t.row for t in vals} - {t.row for t in vals if t.number is not None or t.raw}
    kept = [t for t in vals if t.row not in blank_rows]
    if blank_rows and n <= len(kept) < len(vals):
        vals, excess = kept, len(kept) - n
        lead_room = room[1] if room and vals[0].row != min(blank_rows) else lead_room
        if not excess:
            return vals
    lead = next((i for i, t in enumerate(vals) if t.number is not None or t.raw), len(vals))
    trail = next((i for i, t in enumerate(reversed(vals)) if t.number is not None or t.raw), len(vals))
    if lead + trail < excess:
        return vals
    a = min(lead, excess, excess if lead_room is None else lead_room)
    if trail < excess - a:
        a = excess - trail
    return vals[a:len(vals) - (excess - a)]


def _source_row(text: str, pos: int) -> tuple[int, list[str]]:
    """The source row holding a position: where it starts, and its cells."""
    r = text.rfind(ROW, 0, pos + 1)
    return r, text[r + 1:text.find(END, r)].split(CELL)


def _header_above(text: str, pos: int, n: int) -> list[str] | None:
    """The cells of the header of the source row at pos: the nearest row above without a digit and with n cells
    filled or more (not a row left blank), it and the rows between of the same grid (as many cells) and printed
    right above one another; None if there is none."""
    start, cells = _source_row(text, pos)
    while True:
        end = text.rfind(END, 0, start)
        if end < 0 or text[end + 1:start].strip():
            return None
        start, head = _source_row(text, end - 1)
        if start < 0 or len(head) != len(cells):
            return None
        if not any(c.isdigit() for c in "".join(head)) and sum(bool(c.strip()) for c in head) >= n:
            return head


def _under_headings(text: str, vals: list[Token], n: int) -> list[Token]:
    """A row of more cells than columns, in a grid whose header names the n columns in its last n filled cells
    (a PDF-to-Markdown tool's grid: a column of its own between two of the table's, "|规章|0||37269436|0|" under
    "|信息内容|本年新制作数量||本年新公开数量|…", or the labels one cell right of the header's, "|规章|||54||" under
    "||信息内容|本年新制作数量|…"): the cells under those headings, when every other cell is empty."""
    if len(vals) <= n or len({t.row for t in vals}) != 1 or vals[0].row is None:
        return vals
    head = _header_above(text, vals[0].pos, n)
    filled = [i for i, c in enumerate(head or []) if c.strip()]
    if len(filled) not in (n, n + 1):
        return vals
    heads = set(filled[-n:])
    index = {id(t): text.count(CELL, text.rfind(ROW, 0, t.pos + 1), t.pos) for t in vals}
    kept = [t for t in vals if index[id(t)] in heads]
    if len(kept) != n or any(t.raw or t.number is not None for t in vals if index[id(t)] not in heads):
        return vals
    return kept


def _where(doc: Doc, table: Table, key: str, tok: Token) -> str:
    cell = table.cells[key]
    row = table.row(cell.row)
    col = table.column(cell.col).label
    what = col if len(row.columns) > 1 and table.id.startswith("t3") else (
        f"{row.label}·{col}" if len(row.columns) > 1 else row.label)
    return f"{table.sheet} {doc.place(tok.pos)} {what}".strip()


def _assign(doc: Doc, table: Table, keys: list[str], vals: list[Token], reading: Reading, numbers=None):
    for i, (key, tok) in enumerate(zip(keys, vals)):
        number = numbers[i] if numbers is not None else tok.number
        where = _where(doc, table, key, tok)
        reading.where[key] = where
        if number is None or tok.mark:
            reading.raw[key] = tok.raw or None  # None for an empty cell, the mark ("/", "—", "无") as printed
        else:
            reading.raw[key] = as_number(number)
        reading.clean += 1
        if tok.note:
            reading.findings.append(Finding(
                "IMP-NOTE", "warning", f"{where}原文为“{tok.raw.strip()}”，按 {number} 读取；注释“{tok.note}”保留在此",
                keys=[key], cells=[where], actual=tok.raw.strip(), expected=reading.raw[key]))
        if tok.unit:
            _unit_note(table, key, tok.unit, where, reading)


def _unit_note(table: Table, key: str, unit: str, where: str, reading: Reading):
    """The unit printed beside an amount (元 or 万元) is kept as a note; one that differs from the column's own
    unit (表二 收费金额 is in 万元) is a warning: the number is read as printed, never converted."""
    col = table.column(table.cells[key].col)
    if col.unit == unit:
        return
    differs = col.unit is not None
    reading.findings.append(Finding(
        "IMP-UNIT", "warning" if differs else "info",
        f"{where}印有单位“{unit}”" + (f"，而该栏单位为“{col.unit}”：按原数读取，未换算" if differs else "，按原数读取并保留此单位"),
        keys=[key], cells=[where], actual=unit, expected=col.unit))


