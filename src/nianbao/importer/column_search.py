"""The readings of a table's doubtful rows searched column by column, for tables whose identities each stay within
one column (表三: T3-01 and T3-03 for every column; a row's own 总计 is kept by every reading already).

A row by row search carries every identity's partial sum along and drowns in them when many blanks were dropped
(each row then has a dozen readings, the blanks in any of its columns). Column by column, an identity is complete
within its column: the search picks every row's number in column 1, keeps the picks that satisfy column 1's
identities, then column 2, … What a row can still read after its first columns depends only on which of its
readings are left — so rows whose readings' first columns differ but leave the same rest meet in one state, and a
state found dead once is not searched again. Within a column, where the rows have few numbers each to choose from
(blank cells left out) and the numbers are whole, what the rows after can still add is kept per identity as the bits
of an integer, so a row's number is tried only where its identities can still hold (a report that blanks every
zero has 18 such rows in 表三: the sums one by one ran out of steps). Bounded by a count of steps (pruning.Effort);
None when it runs out or does not apply.
"""
from __future__ import annotations

import functools


class _OutOfSteps(Exception):
    pass


NOT_BY_COLUMNS = False  # what by_columns returns for a table an identity of which spans columns


def by_columns(instances, base: dict, rows, value, limit: int, every: int):
    """For rows (keys, readings) of one table, all of the same columns: (for each row, the readings that take part
    in some choice of one reading per row under which every identity holds; one such choice), ([], []) when there
    is none, None when the steps run out (`limit` ≤ `every`: none spent on finding one choice once listing every
    one has run out), NOT_BY_COLUMNS when the rows' columns differ or an identity spans columns."""
    n = len(rows[0][0])
    cols = [k.rsplit(".", 1)[1] for k in rows[0][0]]
    if any(len(keys) != n or [k.rsplit(".", 1)[1] for k in keys] != cols for keys, _ in rows):
        return NOT_BY_COLUMNS
    where = {k: (r, c) for r, (keys, _) in enumerate(rows) for c, k in enumerate(keys)}
    per_col: list[list] = [[] for _ in range(n)]
    for inst in instances:
        terms = [(t.coef, t.key) for t in inst.lhs] + [(-t.coef, t.key) for t in inst.rhs]
        open_terms = [(c, where[k]) for c, k in terms if k in where]
        if not open_terms or len({r for _, (r, _) in open_terms}) == 1 and all(k in where for _, k in terms):
            continue  # the row's own identity: every reading keeps it
        if any(k not in where and k not in base for _, k in terms):
            continue
        if len({c for _, (_, c) in open_terms}) > 1:
            return NOT_BY_COLUMNS
        const = sum(c * base[k] for c, k in terms if k not in where)
        coef: dict[int, float] = {}
        for c, (r, _) in open_terms:
            coef[r] = coef.get(r, 0) + c
        per_col[open_terms[0][1][1]].append((const, coef))
    numbers = [[tuple(value(x) for x in o) for o in options] for _, options in rows]
    start = tuple(frozenset(range(len(o))) for o in numbers)
    steps = [0]
    dead: set = set()
    good: dict = {}  # (column, state) → the picks from it that lead to a complete choice: [(values, next state)]

    def picks(c: int, state: tuple):
        """Every choice of one number per row in column c, from the readings each row has left, that satisfies
        column c's identities; with the readings each row then keeps."""
        firsts = []
        for r, alive in enumerate(state):
            seen: dict = {}
            for o in sorted(alive):  # the preferred reading's number first
                seen.setdefault(numbers[r][o][c], set()).add(o)
            firsts.append([(v, frozenset(s)) for v, s in seen.items()])
        eqs = per_col[c]
        order = sorted(range(len(rows)), key=lambda r: (-len(eqs) + sum(r in coef for _, coef in eqs), len(firsts[r])))
        amounts = [[tuple(coef.get(r, 0) * v for _, coef in eqs) for v, _ in firsts[r]] for r in order]
        whole = _as_bits(eqs, amounts, spend)
        if whole is not None:
            start, fits = tuple(const for const, _ in eqs), functools.partial(_reaches, whole)
        else:
            start, fits = _by_sums(eqs, amounts, spend)
        if start is None or not fits(0, start):
            return
        chosen: list = [None] * len(rows)

        def rec(i: int, x: tuple):
            if i == len(order):
                yield tuple(chosen)
                return
            r = order[i]
            for (v, keep), a in zip(firsts[r], amounts[i]):
                y = tuple(round(p + q, 6) for p, q in zip(x, a))
                if fits(i + 1, y):
                    spend(1)
                    chosen[r] = (v, keep)
                    yield from rec(i + 1, y)

        yield from rec(0, start)

    def spend(n: int) -> None:
        steps[0] += n
        if steps[0] > budget[0]:
            raise _OutOfSteps

    def complete(c: int, state: tuple, every: bool) -> bool:
        """Whether the state leads to a complete choice; `every`: find all the picks that do (else the first)."""
        if c == n:
            return True
        if (c, state) in dead:
            return False
        if (c, state) in good:
            return True
        ok = []
        for pick in picks(c, state):
            nxt = tuple(keep for _, keep in pick)
            if complete(c + 1, nxt, every):
                ok.append((tuple(v for v, _ in pick), nxt))
                if not every:
                    break
        if ok:
            good[(c, state)] = ok
            return True
        dead.add((c, state))
        return False

    budget = [every]
    try:
        if not complete(0, start, True):
            return [], []
    except _OutOfSteps:  # too many choices to list them all: one of them, the rows left as they were
        if limit <= every:
            return None
        steps[0], good, dead = every, {}, set()
        budget[0] = limit
        try:
            if not complete(0, start, False):
                return [], []
        except _OutOfSteps:
            return None
        state = start
        for c in range(n):
            state = good[(c, state)][0][1]
        return [list(options) for _, options in rows], [rows[r][1][min(alive)] for r, alive in enumerate(state)]
    # the readings each row keeps on some complete path, and the first path (the preferred readings first)
    used = [set() for _ in rows]
    frontier = {start}
    for c in range(n):
        nxt = set()
        for state in frontier:
            for _, after in good.get((c, state), ()):
                nxt.add(after)
        frontier = nxt
    for state in frontier:
        for r, alive in enumerate(state):
            used[r] |= alive
    one, state = [], start
    for c in range(n):
        state = good[(c, state)][0][1]
    one = [rows[r][1][min(alive)] for r, alive in enumerate(state)]
    return [[o for i, o in enumerate(options) if i in u] for (_, options), u in zip(rows, used)], one


BITS_LIMIT = 1 << 18  # the widest spread of one identity's sums kept as the bits of an integer
CHOICES_LIMIT = 4  # numbers a row has to choose from in a column, on average: more (digits run together), one by one


def _as_bits(eqs, amounts, spend):
    """For a column whose identities' amounts are whole numbers of a modest spread: per identity, per position in
    the rows' order, what the rows from there on can add, as the bits of an integer (bit k: the sum base + k),
    with the bases. None where the amounts have decimals or spread too wide (the sums are then kept one by one)."""
    if not eqs or any(not isinstance(x, int) for am in amounts for a in am for x in a):
        return None
    if sum(len(am) for am in amounts) > CHOICES_LIMIT * len(amounts):
        return None
    if any(sum(max(a[e] for a in am) - min(a[e] for a in am) for am in amounts) > BITS_LIMIT
           for e in range(len(eqs))):
        return None
    out = []
    for e in range(len(eqs)):
        bits, bases = [1], [0]  # from the end: the rows after the last add nothing
        for am in reversed(amounts):
            least = min(a[e] for a in am)
            got = 0
            for x in {a[e] for a in am}:
                got |= bits[-1] << (x - least)
            spend(len(am) * (got.bit_length() // 4096 + 1))
            bits.append(got)
            bases.append(bases[-1] + least)
        out.append((bits[::-1], bases[::-1]))
    return out


def _reaches(whole, i: int, x: tuple) -> bool:
    """Whether the rows from position i on can bring every identity's sum x to zero (whole: _as_bits)."""
    for (bits, bases), v in zip(whole, x):
        k = -v - bases[i]
        if k < 0 or not bits[i] >> k & 1:
            return False
    return True


def _by_sums(eqs, amounts, spend):
    """The identities' partial sums after each row, forward, each kept only while the rows after can still bring
    it to zero (what they add lies between their least and their most), then only those they can: (the start,
    whether a position's sums can still be brought to zero); (None, None) when no choice can."""
    lows, highs = [[0] * len(eqs)], [[0] * len(eqs)]
    for am in reversed(amounts):
        lows.append([a + min(x[e] for x in am) for e, a in enumerate(lows[-1])])
        highs.append([a + max(x[e] for x in am) for e, a in enumerate(highs[-1])])
    lows.reverse()
    highs.reverse()
    forward = [{tuple(const for const, _ in eqs)}]
    for i, am in enumerate(amounts):
        spend(len(forward[-1]) * len(am))
        lo, hi = lows[i + 1], highs[i + 1]
        nxt = set()
        for x in forward[-1]:
            for a in am:
                y = tuple(round(p + q, 6) for p, q in zip(x, a))
                if all(-h - 1e-6 <= v <= -l + 1e-6 for v, l, h in zip(y, lo, hi)):
                    nxt.add(y)
        forward.append(nxt)
    zero = tuple(0 for _ in eqs)
    if zero not in forward[-1]:
        return None, None
    viable = [set() for _ in forward]
    viable[-1] = {zero}
    for i in range(len(amounts) - 1, -1, -1):
        spend(len(forward[i]) * len(amounts[i]))
        viable[i] = {x for x in forward[i] if any(tuple(round(p + q, 6) for p, q in zip(x, a)) in viable[i + 1]
                                                  for a in amounts[i])}
    return next(iter(forward[0])), lambda i, y: y in viable[i]
