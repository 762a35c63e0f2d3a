"""Splitting a row whose cells ran together ("640020470", "2648-18538", "300.0") into one number per column.

Every reading of the digits as one number per key is a candidate (digit_runs: no leading zeros; a sign only where
the column is signed, 2019 本年增/减; a decimal point only in a decimal column, the last piece of its run). The
row's own identities prune the search; the table's identities decide among the rows' candidates; then, where they cannot,
what else the report states: a number the narrative quotes for one of the row's cells ("制发规范性文件77件"), and
with last year's report the cross-year identities (Y-02). Each decision is named in a finding; a row nothing decides
is read by a stated preference with a warning that names the other readings. Numbers are never changed.
"""
from __future__ import annotations

import functools
import itertools
import random

from ..filing import BLANK_MARKS, Finding
from . import short_rows
from .column_search import NOT_BY_COLUMNS, by_columns
from .digit_runs import arrangements, value, zero_stretches
from .pruning import BLANKS, DIGITS, narrow_pending


def violations(instances, values: dict, previous: dict | None = None) -> int:
    """How many identities the values break (those whose cells are not all known are not counted)."""
    bad = 0
    for inst in instances:
        try:
            side = [sum(t.coef * ((previous or {})[t.key] if t.prev else values[t.key]) for t in terms)
                    for terms in (inst.lhs, inst.rhs)]
        except (KeyError, TypeError):
            continue
        bad += abs(side[0] - side[1]) > 1e-9
    return bad


def blank_pattern(table, reading, pending) -> dict[str, int]:
    """Per column of a table (the last part of its cells' keys): how many cells the rows already decided leave
    blank, less how many they print — publishers blank the same columns in every row (a 法人 column never used)."""
    score: dict[str, int] = {}
    cells = [(k, v is None) for k, v in reading.raw.items() if k in table.cells]
    for keys, _, options, *_ in pending:
        if len(options) == 1:  # not the cells of a stretch of zeros whose blanks nothing placed
            unsure = {c for a, b, _ in zero_stretches(options[0]) for c in range(a, b)}
            cells += [(k, p == "") for c, (k, p) in enumerate(zip(keys, options[0])) if c not in unsure]
    for k, blank in cells:
        col = k.rsplit(".", 1)[1]
        score[col] = score.get(col, 0) + (1 if blank else -1)
    return score


def off_pattern(keys: list[str], parts: tuple, pattern: dict[str, int], instances) -> int:
    """How many cells of a reading go against the table's blank pattern (blank where the decided rows print,
    printed where they leave it blank), and a row's 总计 left blank while the row prints digits."""
    def lean(k: str) -> int:  # > 0: the column mostly blank in the decided rows, < 0: mostly printed
        return pattern.get(k.rsplit(".", 1)[1], 0)

    n = sum(lean(k) < 0 if p == "" else lean(k) > 0 for k, p in zip(keys, parts))
    totals = {i.lhs[0].key for i in instances if len(i.lhs) == 1}
    return n + sum(1 for k, p in zip(keys, parts) if k in totals and p == "" and any(parts))


def _preference(keys: list[str], parts: tuple, instances, limit: float = float("inf"), pattern=None) -> tuple:
    """Order of preference among splits nothing else tells apart (the first is taken, with a warning): no
    identity broken, counts within the format's limit, plausible stocks, the table's blank pattern (blank_pattern),
    then numbers of like length, fewer blanks, numbers to the left."""
    vals = {k: value(p) for k, p in zip(keys, parts)}
    too_large = sum(abs(v) > limit for v in vals.values())  # a count beyond the format's limit is no likely reading
    cols = {k.rsplit(".", 1)[1]: v for k, v in vals.items()}
    implausible = 0
    if "in_force" in cols:  # the stock in force is at least this year's flows
        implausible = (cols["in_force"] < cols.get("issued", 0)) + (cols["in_force"] < cols.get("repealed", 0))
    return (violations(instances, vals), too_large, implausible, off_pattern(keys, parts, pattern or {}, instances),
            sum(len(p) ** 2 for p in parts), parts.count(""), tuple(-len(p) for p in parts))


def _label(table, key: str) -> str:
    return f"“{table.column(table.cells[key].col).label}”"


def _show(parts) -> str:
    return " / ".join(parts)


def _stated(keys: list[str], options: list[tuple], claims) -> tuple[list[tuple], list[str]]:
    """The options that agree with every narrative claim about this row's cells, and the sentences used."""
    used, keep = [], list(options)
    for sentence, n, readings in claims:
        about = [r for r in readings if set(r) <= set(keys)]
        if not about:
            continue
        agree = [o for o in keep if any(sum(value(o[keys.index(k)]) for k in r) == n for r in about)]
        if agree and len(agree) < len(keep):
            keep = agree
            used.append(sentence)
    return keep, used


def _by_last_year(fmt, keys: list[str], options: list[tuple], previous: dict | None) -> list[tuple]:
    if not previous:
        return options
    cross = [i for i in fmt.sum_instances(previous=True) if set(i.keys) <= set(keys)]
    if not cross:
        return options
    agree = [o for o in options if violations(cross, {k: value(p) for k, p in zip(keys, o)}, previous) == 0]
    return agree or options


def resolve(doc, table, pending, reading, assign, claims=(), previous: dict | None = None, gaps=None, partial=()):
    """Choose a reading for every row whose digits ran together (kind "split") or whose blank cells were left out
    (kind "blank"): the table identities, then the columns' positions (blanks), the narrative, last year's report,
    then preference with a warning. `assign(keys, tokens, numbers)` stores a row. `partial`: the rows (indices in
    pending) whose readings could not all be listed within the search's budget — the table's identities then
    decide nothing for sure (the reading they would need may be one not listed), so every split row that had
    several readings keeps them, the one that fits the identities first, with a warning."""
    fmt = reading.fmt
    table_keys = set(table.cells)
    instances = [i for i in fmt.sum_instances(previous=False) if set(i.keys) <= table_keys]
    within = [(frozenset(i.keys), i) for i in instances]
    row_inst = [[i for cells, i in within if cells <= set(p[0])] for p in pending]  # each row's own identities
    pattern = blank_pattern(table, reading, pending)
    preferred: dict = {}  # (row, reading) → _preference: each reading is ranked twice

    def preference(j: int, parts: tuple) -> tuple:
        if (j, parts) not in preferred:
            preferred[j, parts] = _preference(pending[j][0], parts, row_inst[j], fmt.count_limit, pattern)
        return preferred[j, parts]

    for j, p in enumerate(pending):  # the preferred first: the table's search takes the first readings that fit
        if p[5] == "split":
            pending[j] = (*p[:2], sorted(p[2], key=functools.partial(preference, j)), *p[3:])
    listed = {j: list(p[2]) for j, p in enumerate(pending)} if partial else {}
    # a cell printed blank (empty, or a mark such as "—") counts as 0 in the identities, as the checks read an
    # imported report
    fixed = {k: (v if isinstance(v, (int, float)) else 0) for k, v in reading.raw.items()
             if k in table_keys and (v is None or isinstance(v, (int, float)) or str(v).lower() in BLANK_MARKS)}
    ambiguous = [j for j, p in enumerate(pending) if len(p[2]) > 1]
    # identity by identity, the columns' positions, then a short search: fast, and it decides most rows (pruning.py)
    effort = DIGITS if any(pending[j][5] == "split" for j in ambiguous) else BLANKS

    def heads(keys):  # the headings of a row's columns, to place it by, in a PDF read here: laid out by its x
        # positions (from_pdf._laid_out); pdftotext -layout moves a line's numbers by the wide characters before
        # them, so there a heading misleads (N = 200: 20 cells wrong without a warning)
        return [table.column(table.cells[k].col).label for k in keys] if doc.kind == "pdf" else None

    decided_by_table, by_position, first, settled = narrow_pending(doc.text, instances, fixed, pending, value, gaps,
                                                                   effort, heads)
    ambiguous = [j for j in ambiguous if len(pending[j][2]) > 1]
    space = 1
    for j in ambiguous:
        space *= len(pending[j][2])
    base = dict(fixed)
    for p in pending:
        if len(p[2]) == 1:
            base.update({k: value(x) for k, x in zip(p[0], p[2][0])})
    rows = [(pending[j][0], pending[j][2]) for j in ambiguous]
    found = None
    # row → its reading in one choice that satisfies every identity (taken where still ambiguous)
    joint = {j: first[j] for j in ambiguous if first.get(j) is not None}
    if ambiguous and not (settled and first):  # column by column where it applies (表三), else row by row
        # with one choice in hand, the steps go only to listing every choice
        found = by_columns(instances, base, rows, value, effort.every if joint else effort.steps, effort.every)
        found = _consistent(instances, base, rows) if found is NOT_BY_COLUMNS else found
    if found is None and ambiguous and not joint:  # too many to search exactly: one choice that keeps the identities
        one = _descend(instances, base, rows)
        joint = dict(zip(ambiguous, one)) if one else {}
    if found and found[0]:  # keep only the rows' readings that take part in a choice satisfying every identity
        for j, options, chosen in zip(ambiguous, *found):
            pending[j] = (*pending[j][:2], options, *pending[j][3:])
            joint[j] = chosen
            if len(options) == 1:
                decided_by_table.add(j)
    elif ambiguous and space <= 50_000 and not (settled and first):  # narrow settled: nothing left to search
        for j, p in enumerate(pending):
            if len(p[2]) == 1:
                base.update({k: value(x) for k, x in zip(p[0], p[2][0])})
        touching = [i for i in instances if any(k in i.keys for j in ambiguous for k in pending[j][0])]
        best, winners = None, []
        for combo in itertools.product(*(pending[j][2] for j in ambiguous)):
            vals = dict(base)
            for j, parts in zip(ambiguous, combo):
                vals.update({k: value(x) for k, x in zip(pending[j][0], parts)})
            bad = violations(touching, vals)
            if best is None or bad < best:
                best, winners = bad, [combo]
            elif bad == best:
                winners.append(combo)
        for pos, j in enumerate(ambiguous):
            options = list(dict.fromkeys(w[pos] for w in winners))
            if best == 0:  # readings that break an identity anyway are no better than others: all stay, warned
                pending[j] = (*pending[j][:2], options, *pending[j][3:])
                if len(options) == 1:
                    decided_by_table.add(j)
            else:
                joint.setdefault(j, winners[0][pos])
    # no choice found under which the identities hold, though one may exist: a row's cells that its readings
    # disagree on are left unread (named in a warning) rather than read so that the checks report an error the
    # publisher may not have made
    unsure = set() if joint else {j for j in ambiguous if any(set(i.keys) & set(pending[j][0]) for i in instances
                                                               if not set(i.keys) <= set(pending[j][0]))}
    unique, by_table = [], []
    for j, (keys, vals, options, what, identity_ok, kind) in enumerate(pending):
        inst = row_inst[j]
        printed = " ".join(t.number or t.raw for t in vals)  # a blank's mark ("—") is printed too
        if kind == "blank":
            if j in joint:
                options = [joint[j]] + [o for o in options if o != joint[j]]
            if j in unsure and len({tuple(value(p) for p in o) for o in options}) > 1:
                printed = " ".join(t.number for t in vals)
                _leave_unread(doc, table, keys, vals, options[0], options, reading, assign,
                              f"{what}只印了 {len(vals)} 个数（{printed}），应为 {len(keys)} 个，空白的位置有多种可能", False)
                continue
            _place_blanks(doc, table, keys, vals, options, what, "position" if j in by_position else
                          j in decided_by_table, reading, assign, gaps or {}, claims, joint.get(j), heads(keys))
            continue
        how = []
        if len(options) > 1:
            options, sentences = _stated(keys, options, claims)
            how += [f"正文“{s}”" for s in sentences]
            narrowed = _by_last_year(fmt, keys, options, previous)
            if len(narrowed) < len(options):
                options = narrowed
                how.append("上年报告（现行有效件数衔接 Y-02 等跨年度关系）")
        ranked = sorted(options, key=lambda c: (c != joint.get(j), preference(j, c)))
        doubt = bool(partial) and len(listed[j]) > 1 and not how
        if doubt:  # what the identities chose among readings not all listed: still a guess, named with the others
            options = ranked = ranked + [o for o in listed[j] if o not in ranked]
        # which zeros of a stretch were the blanks: as the table's other rows leave them, else the printed 0 first
        parts = min(arrangements(ranked[0], limit=200)[1],
                    key=lambda a: (off_pattern(keys, a, pattern, inst), tuple(-len(p) for p in a)))
        if j in unsure and len(options) > 1:
            _leave_unread(doc, table, keys, vals, parts, ranked, reading, assign,
                          f"{what}的数字在原文中连写为“{printed}”，拆法很多", True)
            continue
        assign(keys, _expand(vals, parts), [p or None for p in parts])
        stretches = zero_stretches(parts)
        if stretches and len(options) == 1:  # every number decided, not which of a stretch's zeros were blank
            cols = [c for a, b, _ in stretches for c in range(a, b)]
            reading.findings.append(Finding(
                "IMP-BLANK", "warning", f"{table.sheet}{what}的数字在原文中连写为“{printed}”，各数已确定为 {_show(parts)}；"
                f"但连写时省略了空白单元格，{'、'.join(_label(table, keys[c]) for c in cols)}中哪些是空白、哪些印的是 0 "
                "无法区分，暂按此读取（空白按 0 计，各数值不受影响），请核对原文", keys=[keys[c] for c in cols],
                cells=[doc.place(vals[0].pos)], actual=printed, expected=_show(parts)))
        if len(options) == 1 and how:
            reading.findings.append(Finding(
                "IMP-SPLIT", "info", f"{table.sheet}{what}的数字在原文中连写为“{printed}”，表格勾稽关系无法确定拆分，"
                f"按{'和'.join(how)}确定为 {_show(parts)}", keys=keys, cells=[doc.place(vals[0].pos)],
                actual=printed, expected=_show(parts)))
        elif len(options) == 1 and j not in decided_by_table:
            unique.append(f"{what}“{printed}”→ {_show(parts)}")
        elif len(options) == 1:
            by_table.append(f"{what}“{printed}”→ {_show(parts)}")
        else:
            others = "；".join(_show(o) for o in ranked[1:4]) + ("……" if len(ranked) > 4 else "")
            why = "表格勾稽关系无法确定拆分" if identity_ok or not inst else "任何拆法都不满足本行勾稽关系"
            if doubt:
                why = "本表有的行可能的拆法太多、未能全部列出，表格勾稽关系不能确定拆分"
            reading.findings.append(Finding(
                "IMP-SPLIT", "warning",
                f"{table.sheet}{what}的数字在原文中连写为“{printed}”，{why}，暂按 {_show(parts)} 读取"
                f"（其他可能：{others}），请核对原文", keys=keys, cells=[doc.place(vals[0].pos)],
                actual=printed, expected=_show(parts)))
    if unique or by_table:
        msg = f"{table.sheet}有 {len(unique) + len(by_table)} 行数字在原文中连写（各单元格之间没有分隔），已拆分"
        if by_table:
            msg += f"；其中 {len(by_table)} 行有多种拆法，由表格勾稽关系确定：" + "；".join(by_table)
        reading.findings.append(Finding("IMP-SPLIT", "info", msg))


def _leave_unread(doc, table, keys, vals, parts, ranked, reading, assign, head, split: bool):
    """A row whose readings (`ranked`) no choice found keeps the table's identities: the cells every reading agrees
    on are read (as `parts`, the reading taken: a split's zeros arranged as the table leaves its blanks), the
    others left unread, named in a warning that opens with `head` (the row and what makes it doubtful). `split`:
    digits run together, where a stretch of cells reading 0 in any reading may hold its blanks anywhere."""
    agree = [c for c in range(len(keys)) if len({value(o[c]) for o in ranked}) == 1]
    cells = _expand(vals, parts) if split else short_rows.fill(vals, parts)
    assign([keys[c] for c in agree], [cells[c] for c in agree], [parts[c] or None for c in agree])
    printed = " ".join(t.number for t in vals)
    left = [k for c, k in enumerate(keys) if c not in agree]
    reading.clean += len(left)  # the row was found and its numbers read: for the choice of layout, as if assigned
    zeros = {c for o in ranked for a, b, _ in zero_stretches(o) for c in range(a, b)} if split else set()
    doubt = [k for c, k in enumerate(keys) if c not in agree or c in zeros or len({o[c] for o in ranked}) > 1]
    others = "；".join(" / ".join(p or "空" for p in o) for o in ranked[:3]) + ("……" if len(ranked) > 3 else "")
    reading.findings.append(Finding(
        "IMP-SPLIT" if split else "IMP-BLANK", "warning", f"{table.sheet}{head}（{others}），未能找到一种"
        f"使本表勾稽关系都成立的读法：{'、'.join(_label(table, k) for k in left)}未读取（按未填写处理），请核对原文",
        keys=doubt, cells=[doc.place(vals[0].pos)], actual=printed))


STATE_LIMIT = 40_000  # partial sums kept while searching the readings of a table's rows
TABLE_LIMIT = 60_000  # (partial sum, reading) pairs tried in that search: a count of steps, the same on every machine


def _identity_sums(instances, base: dict, rows):
    """The identities the rows' cells take part in (all their other cells known), a function giving what a set of
    values adds to each (lhs − rhs), and what the known cells add; None when the rows touch no identity."""
    open_keys = {k for keys, _ in rows for k in keys}
    eqs = [i for i in instances if any(k in open_keys for k in i.keys)
           and all(k in base or k in open_keys for k in i.keys)]
    if not eqs:
        return None

    def contribution(values: dict) -> tuple:
        return tuple(sum(t.coef * values[t.key] for t in i.lhs if t.key in values)
                     - sum(t.coef * values[t.key] for t in i.rhs if t.key in values) for i in eqs)

    return eqs, contribution, contribution({k: v for k, v in base.items() if k not in open_keys})


def _consistent(instances, base: dict, rows) -> tuple[list[list[tuple]], list[tuple]] | None:
    """For each row (keys, options), the options that take part in some choice of one option per row satisfying
    every identity the rows touch, and one such choice — exact: the identities' partial sums row by row, each kept
    only while the rows left can still bring it to zero, then traced back. ([], []) when no choice satisfies them
    all, None when the search is too large."""
    sums = _identity_sums(instances, base, rows)
    if sums is None:
        return None
    eqs, contribution, start = sums
    # options of a row that add the same to every identity (a blank and a 0 swapped) are searched once
    steps, groups = [], []
    for keys, options in rows:
        by_sum: dict = {}
        for oi, o in enumerate(options):
            by_sum.setdefault(contribution({k: value(x) for k, x in zip(keys, o)}), []).append(oi)
        steps.append(list(by_sum))
        groups.append(list(by_sum.values()))
    m, width = len(steps), len(eqs)
    lo, hi = [[0] * width for _ in range(m + 1)], [[0] * width for _ in range(m + 1)]
    for j in range(m - 1, -1, -1):  # what the rows from j on can still add to each identity
        for e in range(width):
            lo[j][e] = lo[j + 1][e] + min(c[e] for c in steps[j])
            hi[j][e] = hi[j + 1][e] + max(c[e] for c in steps[j])
    forward = [{start}]
    work = 0
    for j, cs in enumerate(steps):
        bound_lo, bound_hi = lo[j + 1], hi[j + 1]
        work += len(forward[-1]) * len(cs)
        if work > TABLE_LIMIT:
            return None
        nxt = set()
        for r in forward[-1]:
            for c in cs:
                x = tuple(a + b for a, b in zip(r, c))
                if all(bound_lo[e] <= -x[e] <= bound_hi[e] for e in range(width)):
                    nxt.add(x)
        if len(nxt) > STATE_LIMIT:
            return None
        forward.append(nxt)
    zero = tuple(0 for _ in eqs)
    if zero not in forward[-1]:
        return [], []
    used, back = [set() for _ in rows], {zero}
    for j in range(m - 1, -1, -1):
        before = set()
        for g, c in enumerate(steps[j]):
            came = {tuple(a - b for a, b in zip(r, c)) for r in back} & forward[j]
            if came:
                used[j].update(groups[j][g])
                before |= came
        back = before
    one, target = [None] * m, zero
    for j in range(m - 1, -1, -1):  # one choice: walk back from zero through sums that were reached
        for g, c in enumerate(steps[j]):
            prev = tuple(a - b for a, b in zip(target, c))
            if prev in forward[j]:
                one[j], target = rows[j][1][groups[j][g][0]], prev
                break
    return [[o for oi, o in enumerate(options) if oi in u] for (_, options), u in zip(rows, used)], one


def _descend(instances, base: dict, rows, passes: int = 8, restarts: int = 3) -> list[tuple] | None:
    """One choice of a reading per row under which every identity holds, found by changing one row at a time to
    the reading that leaves the identities least broken; None if none is found. It decides nothing (the rows stay
    ambiguous, with their warnings): it only keeps the checks from reporting an error the publisher did not make."""
    sums = _identity_sums(instances, base, rows)
    if sums is None:
        return None
    _, contribution, start = sums
    steps = [[contribution({k: value(x) for k, x in zip(keys, o)}) for o in options] for keys, options in rows]
    rng = random.Random(0)  # restarts from other readings, the same on every run
    for attempt in range(restarts):
        pick = [0 if attempt == 0 else rng.randrange(len(cs)) for cs in steps]
        residual = list(start)
        for cs, p in zip(steps, pick):
            residual = [a + b for a, b in zip(residual, cs[p])]
        for _ in range(passes):
            if not any(residual):
                return [options[p] for (_, options), p in zip(rows, pick)]
            changed = False
            for j, cs in enumerate(steps):
                without = [a - b for a, b in zip(residual, cs[pick[j]])]
                best = min(range(len(cs)), key=lambda o: (sum(abs(a + b) for a, b in zip(without, cs[o])), o != pick[j]))
                if best != pick[j]:
                    pick[j], changed = best, True
                    residual = [a + b for a, b in zip(without, cs[best])]
            if not changed:
                break
    return None


POSITION = "各数在行中的位置（与本表完整各行或表头各栏的位置比对）"


def _place_blanks(doc, table, keys, vals, options, what, by_table, reading, assign, gaps, claims=(), joint=None,
                  heads=None):
    """Store a row whose blank cells were left out: decided (`by_table`: "position", or whether the table's
    identities decided it), else by its numbers' positions, else by the narrative, else `options`' first with a
    warning. `joint`: the row's reading in the one choice found under which the table's identities hold — a
    position that would change the row's numbers is not taken then (the other rows were chosen with it). `heads`:
    its columns' headings, for the positions."""
    how = POSITION if by_table == "position" else "表格勾稽关系" if by_table else "本行勾稽关系"
    if len(options) > 1:
        chosen = short_rows.by_position(doc.text, vals, options, gaps, heads)
        if chosen is not None and (joint is None or [value(p) for p in chosen] == [value(p) for p in joint]):
            options, how = [chosen], POSITION
    # a number the narrative states ("行政复议结果纠正146件") decides a row whose identities stay within it (表二,
    # 表四's one row): a row sharing identities with others keeps the reading chosen with theirs
    if len(options) > 1 and all(set(i.keys) <= set(keys) for i in reading.fmt.sum_instances(previous=False)
                                if set(i.keys) & set(keys)):
        stated, sentences = _stated(keys, options, claims)
        if sentences:
            options, how = stated, "和".join(f"正文“{s}”" for s in sentences)
    parts = options[0]
    assign(keys, short_rows.fill(vals, parts), [p or None for p in parts])
    blank = "、".join(f"“{table.column(table.cells[k].col).label}”" for k, p in zip(keys, parts) if not p)
    printed = " ".join(t.number for t in vals)
    head = f"{table.sheet}{what}只印了 {len(vals)} 个数（{printed}），应为 {len(keys)} 个"
    if len(options) == 1:
        reading.findings.append(Finding("IMP-BLANK", "info", f"{head}：按{how}，空白的是{blank}列（按空白读取）",
                                        keys=keys, cells=[doc.place(vals[0].pos)], actual=printed))
    elif len({tuple(value(p) for p in o) for o in options}) == 1:
        reading.findings.append(Finding(
            "IMP-BLANK", "warning", f"{head}：空白与相邻的 0 位置无法区分，暂按空白在{blank}列读取；"
            "各数值不受影响（空白按 0 计），请核对原文", keys=keys, cells=[doc.place(vals[0].pos)], actual=printed))
    else:
        others = "；".join(" / ".join(p or "空" for p in o) for o in options[1:4]) + ("……" if len(options) > 4 else "")
        reading.findings.append(Finding(
            "IMP-BLANK", "warning", f"{head}：无法确定空白的是哪一列，暂按 {' / '.join(p or '空' for p in parts)} "
            f"读取（其他可能：{others}），请核对原文", keys=keys, cells=[doc.place(vals[0].pos)], actual=printed))


def _expand(vals, parts: tuple):
    """One token per part (a run's parts all point at the run's place in the source; a blank part, "", is an empty
    cell there)."""
    from .tables import Token

    out, it, used = [], 0, ""
    for p in parts:
        t = vals[min(it, len(vals) - 1)]
        if p == "":
            out.append(Token("value", "", t.pos, t.row, None))
        elif not t.splittable:
            out.append(t)
            it += 1
        else:  # consume the run's characters until it is used up; its unit and note belong to its last number
            used += p
            last = len(used) >= len(t.number)
            out.append(Token("value", p, t.pos, t.row, p, t.note if last else None, unit=t.unit if last else None))
            if last:
                it, used = it + 1, ""
    return out
