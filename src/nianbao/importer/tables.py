"""Reading the three tables out of a stretch of a document, for one format definition.

The stretch is cut into tokens: text, and values (a number as printed, an empty cell, a "/"). Row labels are found
in order in the text (labels.find); a row's values are the value tokens between its label and the next one. Web
text runs a row's cells together ("640020470"); such a run is split into the row's number of values, and when more
than one split is possible the table identities of the format decide — or, failing that, a stated preference, with
a warning that names the other readings. Numbers are never changed, only read.
"""
from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

from ..filing import BLANK_MARKS, Finding
from ..formats import ReportFormat, Table, parse_cell
from . import labels
from .document import CELL, END, ROW, Doc

_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")
_NOTE = re.compile(r"\s*[（(]([^（）()\n]{1,40})[）)]")
_VALUE_CELL = re.compile(r"^\s*(?P<num>[+\-－]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(?P<unit>万元|元|件|个|项|条)?\s*"
                         r"(?:[（(](?P<note>[^（）()]*)[）)])?\s*$")
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


def _running_text(text: str, pos: int, row: int | None, out: list[Token]):
    i = 0
    for m in _NUMBER.finditer(text):
        s, e = m.start(), m.end()
        if s < i:
            continue
        digits = m.group(1)
        nxt = text[e:e + 2]
        if "." not in digits and len(nxt) == 2 and nxt[0] in ".、．" and not nxt[1].isdigit():
            digits, e = digits[:-1], e - 1  # "…00000002.其他" : the last digit numbers the next row label
            if not digits:
                continue
        sign = ""
        if s > 0 and text[s - 1] in "+-－" and (s == 1 or text[s - 2].isspace()):
            sign, s = text[s - 1].replace("－", "-"), s - 1
        note = None
        n = _NOTE.match(text, e)
        if n and not _CN_ORDINAL.match(n.group(1)) and not re.match(r"^\d[.、]", n.group(1)):
            note, end = n.group(1).strip(), n.end()
        else:
            end = e
        if s > i:
            out.append(Token("text", text[i:s], pos + i, row))
        out.append(Token("value", text[s:end], pos + s, row, sign + digits.replace(",", ""), note,
                         splittable="." not in digits and "," not in digits and len(digits) > 1))
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
            if not stripped or stripped.lower() in BLANK_MARKS:
                out.append(Token("value", stripped, p, row_id))
            elif m:
                note = m.group("note")
                if m.group("unit"):
                    note = f"单位“{m.group('unit')}”" + (f"；{note}" if note else "")
                out.append(Token("value", stripped, p, row_id, m.group("num").replace(",", "").replace("－", "-"),
                                 note))
            else:
                _running_text(cell, p, row_id, out)
            p += len(cell) + 1
        i = e + 1
    return out


def as_number(s: str):
    return float(s) if "." in s else int(s)


# ---------------------------------------------------------------- splitting digits run together
SPLIT_LIMIT = 300_000  # steps of the search; beyond this a row is too ambiguous to choose among


def split_candidates(tokens: list[Token], keys: list[str], instances=(), limit: int = SPLIT_LIMIT) -> list[tuple[str, ...]]:
    """Every reading of the tokens as one number per key (each splittable run cut into one or more numbers, no
    leading zeros) that satisfies the row's own identities; [] if there is none or the search is too large.

    The search checks an identity as soon as its cells are read, and stops early when the cells read so far
    already add up to more than the digits left could hold for a total printed after them."""
    n = len(keys)
    index = {k: i for i, k in enumerate(keys)}
    eqs = [(max(index[t.key] for t in inst.lhs + inst.rhs),
            [(index[t.key], t.coef) for t in inst.lhs] + [(index[t.key], -t.coef) for t in inst.rhs])
           for inst in instances]
    # "total == a + b + …" with the total printed last: its parts may not outgrow the digits left for it
    sums = []
    for inst in instances:
        if len(inst.lhs) == 1 and all(t.coef == 1 for t in inst.rhs):
            last = index[inst.lhs[0].key]
            parts = [index[t.key] for t in inst.rhs]
            if all(p < last for p in parts):
                sums.append((last, parts))
    chars = [t.number if t.splittable else None for t in tokens]
    digits_after = [0] * (len(tokens) + 1)
    for i in range(len(tokens) - 1, -1, -1):
        digits_after[i] = digits_after[i + 1] + (len(chars[i]) if chars[i] is not None else 1)
    out: list[tuple[str, ...]] = []
    steps = [0]

    def ok(parts: list[str], left_digits: int) -> bool:
        k = len(parts) - 1
        nums = None
        for last, eq in eqs:
            if last == k:
                nums = nums or [int(p) for p in parts]
                if sum(c * nums[i] for i, c in eq) != 0:
                    return False
        for last, members in sums:
            if last > k:
                done = [int(parts[i]) for i in members if i <= k]
                room = left_digits - (n - len(parts) - 1)
                if done and room >= 0 and sum(done) >= 10 ** room:
                    return False
        return True

    def rec(i: int, offset: int, parts: list[str]) -> bool:
        steps[0] += 1
        if steps[0] > limit:
            return False
        if len(parts) == n:
            if i == len(tokens):
                out.append(tuple(parts))
            return True
        if i == len(tokens):
            return True
        t = tokens[i]
        if chars[i] is None:
            parts.append(t.number)
            good = ok(parts, digits_after[i + 1])
            cont = rec(i + 1, 0, parts) if good else True
            parts.pop()
            return cont
        d = chars[i]
        for j in range(offset + 1, len(d) + 1):
            head = d[offset:j]
            if len(head) > 1 and head[0] == "0":
                break
            parts.append(head)
            left = len(d) - j + digits_after[i + 1]
            if ok(parts, left):
                cont = rec(i + 1, 0, parts) if j == len(d) else rec(i, j, parts)
                if not cont:
                    parts.pop()
                    return False
            parts.pop()
        return True

    finished = rec(0, 0, [])
    return out if finished else []


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


def _instances(fmt: ReportFormat, keys: set[str]):
    for inst in fmt.sum_instances(previous=False):
        if set(inst.keys) <= keys:
            yield inst


def _violations(instances, values: dict) -> int:
    bad = 0
    for inst in instances:
        try:
            lhs = sum(t.coef * values[t.key] for t in inst.lhs)
            rhs = sum(t.coef * values[t.key] for t in inst.rhs)
        except (KeyError, TypeError):
            continue
        bad += abs(lhs - rhs) > 1e-9
    return bad


def _preference(keys: list[str], parts: tuple, support: set[int], instances) -> tuple:
    """Order of preference among splits the identities cannot tell apart (the first is taken, with a warning)."""
    vals = {k: int(p) for k, p in zip(keys, parts)}
    cols = {k.rsplit(".", 1)[1]: v for k, v in vals.items()}
    implausible = 0
    if "in_force" in cols:  # the stock in force is at least this year's flows
        implausible = (cols["in_force"] < cols.get("issued", 0)) + (cols["in_force"] < cols.get("repealed", 0))
    quoted = -sum(1 for p in parts if len(p) > 1 and int(p) in support)
    return (_violations(instances, vals), implausible, quoted, sum(len(p) ** 2 for p in parts),
            tuple(-len(p) for p in parts))


def _show(parts) -> str:
    return " / ".join(parts)


def read_tables(doc: Doc, fmt: ReportFormat, regions: dict[str, tuple[int, int]], support: set[int]) -> Reading:
    """Read every table of `fmt` from its region (by sheet name) of the document."""
    reading = Reading(fmt)
    for table in fmt.tables.values():
        region = regions.get(table.sheet)
        if region:
            _read_table(doc, table, tokenize(doc.text, *region), reading, support)
    return reading


def _read_table(doc: Doc, table: Table, tokens: list[Token], reading: Reading, support: set[int]):
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

    def values_between(a: int, b: int, label_row: int | None) -> list[Token]:
        out = []
        for t in tokens[a:b]:
            if t.kind == "text":
                if out and prose(t):
                    break
                continue
            if t.number is None and t.row is not None and t.row != label_row and t.row in rows_with_text:
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
        for r in table.rows:
            if labels.find(stream, r.label):
                reading.rows_found.add((table.id, r.key))
        groups.append((keys, vals, table.caption))
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
            groups.append((keys, values_between(ti + 1, max(nxt, ti + 1), tokens[ti].row), f"“{r.label}”行"))

    pending = []  # (keys, tokens, candidates, what)
    for keys, vals, what in groups:
        vals = _drop_padding(vals, len(keys))
        if len(vals) == len(keys):
            _assign(doc, table, keys, vals, reading)
            continue
        splittable = len(vals) < len(keys) and any(t.splittable for t in vals)
        inst = list(_instances(fmt, set(keys))) if splittable else []
        good = split_candidates(vals, keys, inst) if splittable else []
        # no split satisfies the row's identity (a printed total that disagrees): every split, if few
        cands = good or (split_candidates(vals, keys, limit=20_000) if splittable and inst else [])
        if cands:
            pending.append((keys, vals, good or cands, what, bool(good)))
        else:
            shown = " ".join(t.raw for t in vals) or "（无）"
            reading.findings.append(Finding(
                "IMP-ROW", "error",
                f"{table.sheet}{what}读到 {len(vals)} 个数（{shown}），应为 {len(keys)} 个：无法确定各数所属的列，"
                f"该行按未填写处理，请核对原文", keys=keys, cells=[doc.place(vals[0].pos)] if vals else []))
    if pending:
        _resolve(doc, table, pending, reading, support)


def _drop_padding(vals: list[Token], n: int) -> list[Token]:
    """Empty cells that only pad a row (a label spanning three columns in Markdown, a 4-column grid holding two
    values): the surplus is taken from the empty cells next to the label first, then from the row's end."""
    excess = len(vals) - n
    if excess <= 0 or any(t.row is None for t in vals):
        return vals
    lead = next((i for i, t in enumerate(vals) if t.number is not None or t.raw), len(vals))
    trail = next((i for i, t in enumerate(reversed(vals)) if t.number is not None or t.raw), len(vals))
    if lead + trail < excess:
        return vals
    a = min(lead, excess)
    return vals[a:len(vals) - (excess - a)]


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
        if number is None:
            reading.raw[key] = tok.raw or None  # None for an empty cell, the mark ("/", "—", "无") as printed
        else:
            reading.raw[key] = as_number(number)
        reading.clean += 1
        if tok.note:
            reading.findings.append(Finding(
                "IMP-NOTE", "warning", f"{where}原文为“{tok.raw.strip()}”，按 {number} 读取；注释“{tok.note}”保留在此",
                keys=[key], cells=[where], actual=tok.raw.strip(), expected=reading.raw[key]))


def _resolve(doc: Doc, table: Table, pending, reading: Reading, support: set[int]):
    """Choose a split for every row whose digits ran together: the table identities first, then preference."""
    fmt = reading.fmt
    table_keys = set(table.cells)
    instances = [i for i in fmt.sum_instances(previous=False) if set(i.keys) <= table_keys]
    fixed = {k: v for k, v in reading.raw.items() if k in table_keys and isinstance(v, (int, float))}
    ambiguous = [j for j, p in enumerate(pending) if len(p[2]) > 1]
    decided_by_table = set()
    space = 1
    for j in ambiguous:
        space *= len(pending[j][2])
    if ambiguous and space <= 50_000:
        base = dict(fixed)
        for j, p in enumerate(pending):
            if len(p[2]) == 1:
                base.update({k: int(x) for k, x in zip(p[0], p[2][0])})
        touching = [i for i in instances if any(k in i.keys for j in ambiguous for k in pending[j][0])]
        best, winners = None, []
        for combo in itertools.product(*(pending[j][2] for j in ambiguous)):
            vals = dict(base)
            for j, parts in zip(ambiguous, combo):
                vals.update({k: int(x) for k, x in zip(pending[j][0], parts)})
            bad = _violations(touching, vals)
            if best is None or bad < best:
                best, winners = bad, [combo]
            elif bad == best:
                winners.append(combo)
        for pos, j in enumerate(ambiguous):
            options = list(dict.fromkeys(w[pos] for w in winners))
            pending[j] = (*pending[j][:2], options, *pending[j][3:])
            if len(options) == 1 and best == 0:
                decided_by_table.add(j)
    unique, by_table, guessed = [], [], []
    for j, (keys, vals, options, what, identity_ok) in enumerate(pending):
        inst = list(_instances(fmt, set(keys)))
        ranked = sorted(options, key=lambda c: _preference(keys, c, support, inst))
        parts = ranked[0]
        printed = " ".join(t.number for t in vals)
        _assign(doc, table, keys, _expand(vals, parts), reading, list(parts))
        if len(options) == 1 and j not in decided_by_table:
            unique.append(f"{what}“{printed}”→ {_show(parts)}")
        elif len(options) == 1:
            by_table.append(f"{what}“{printed}”→ {_show(parts)}")
        else:
            others = "；".join(_show(o) for o in ranked[1:4]) + ("……" if len(ranked) > 4 else "")
            why = "表格勾稽关系无法确定拆分" if identity_ok or not inst else "任何拆法都不满足本行勾稽关系"
            reading.findings.append(Finding(
                "IMP-SPLIT", "warning",
                f"{table.sheet}{what}的数字在原文中连写为“{printed}”，{why}，暂按 {_show(parts)} 读取"
                f"（其他可能：{others}），请核对原文", keys=keys, cells=[doc.place(vals[0].pos)],
                actual=printed, expected=_show(parts)))
            guessed.append(what)
    if unique or by_table:
        msg = f"{table.sheet}有 {len(unique) + len(by_table)} 行数字在原文中连写（各单元格之间没有分隔），已拆分"
        if by_table:
            msg += f"；其中 {len(by_table)} 行有多种拆法，由表格勾稽关系确定：" + "；".join(by_table)
        reading.findings.append(Finding("IMP-SPLIT", "info", msg))


def _expand(vals: list[Token], parts: tuple) -> list[Token]:
    """One token per part (a run's parts all point at the run's place in the source)."""
    out, i = [], 0
    for t in vals:
        if not t.splittable:
            out.append(t)
            i += 1
            continue
        # how many parts this run produced: consume digits until the run is used up
        used = ""
        while i < len(parts) and len(used) < len(t.number):
            used += parts[i]
            out.append(Token("value", parts[i], t.pos, t.row, parts[i]))
            i += 1
    return out
