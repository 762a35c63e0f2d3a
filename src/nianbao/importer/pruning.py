"""Narrowing the readings of a table's doubtful rows (digits run together, blank cells left out) by the table's
identities, one identity at a time, then by a short search over the rows together.

For one identity (a column's sum, T3-01 …) every doubtful row adds one of a few amounts, whichever of its readings
is taken; a reading is kept only if the other rows can still bring that identity to zero with it. Over and over,
identity by identity, until nothing changes: the sets of sums stay small (one number each, not one per identity),
so this is fast where a search over all identities at once is not, and it decides most rows of a real table. Then
a depth-first search, one row's readings at a time with the same narrowing after each, keeps the readings that
take part in some choice under which every identity holds, and one such choice (so that no error is reported that
the publisher did not make); when it runs out of steps, the rows stay as narrowed, to be decided by the positions,
the narrative or a warning. An identity that no choice satisfies (the publisher's own error) is left out.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

SUMS_LIMIT = 50_000  # sums kept for one identity; beyond this it is left to the search


@dataclass(frozen=True)
class Effort:
    """How far the searches for a table's readings go: counts, not times, the same on every machine."""
    # sums listed in one narrowing of a table, all identities and steps together; beyond it the identities left
    # are not looked at, and the search's choices are checked one by one
    work: int = 300_000
    call: int = 50_000  # of it for one identity at a time
    steps: int = 20_000  # sums and picks tried by the column search (column_search)
    every: int = 8_000  # of which on listing every choice, before settling for one


DIGITS = Effort()
# rows whose blank cells were left out have few readings each (where the blanks go), but a report that blanks its
# zeros has dozens of such rows a table: the search goes further before the rows are left unread, and is still
# quick (a digits row has hundreds of readings: there the small budget keeps flat text at ~50 ms)
BLANKS = Effort(work=10_000_000, call=1_000_000, steps=250_000, every=40_000)


def _amount(x) -> float | int:
    return round(x, 6) if isinstance(x, float) else x


def _sums(a: set, b, decimals: bool | None = None) -> set:
    """Every sum of one from a and one from b (rounded, for amounts with decimals; `decimals`: whether any of
    them has decimals, if the caller knows)."""
    s = {x + y for x in a for y in b}
    if decimals is None:
        decimals = any(isinstance(x, float) for x in s)
    return {_amount(x) for x in s} if decimals else s


def _prepared(instances, base: dict, rows, value):
    """Per identity: the known cells' amount, and for each row that has cells in it the amount of each reading."""
    open_keys = {k for keys, _ in rows for k in keys}
    numbers = [[[value(x) for x in o] for o in options] for _, options in rows]
    out = []
    for inst in instances:
        coef: dict[str, float] = {}
        for t in inst.lhs:
            coef[t.key] = coef.get(t.key, 0) + t.coef
        for t in inst.rhs:
            coef[t.key] = coef.get(t.key, 0) - t.coef
        if not any(k in open_keys for k in coef) or not all(k in base or k in open_keys for k in coef):
            continue
        const = _amount(sum(c * base[k] for k, c in coef.items() if k not in open_keys))
        members = []
        for j, (keys, _) in enumerate(rows):
            at = [(i, coef[k]) for i, k in enumerate(keys) if k in coef]
            if at:
                members.append((j, [_amount(sum(c * o[i] for i, c in at)) for o in numbers[j]]))
        out.append((const, members))
    return out


def _completes(front: set, x, need: set) -> bool:
    """Whether some f in front has f + x in need (looked up from the smaller set: no set of sums is built)."""
    if len(front) <= len(need):
        return any(_amount(f + x) in need for f in front)
    return any(_amount(n - x) in front for n in need)


BITS_LIMIT = 1 << 20  # the widest spread of sums kept as one integer's bits (128 KiB)
UNSAT = "unsat"  # what _supported says of an identity no choice satisfies


def _supported(const, amounts: list[list], budget: list | None = None) -> list[set] | str | None:
    """For each member, the amounts that some choice of the others completes to zero; UNSAT when the identity
    cannot hold at all, None when its sums grow too many to tell (or use up what is left of `budget`: [sums])."""
    if budget is not None and budget[0] <= 0:
        return None
    sets = [set(a) for a in amounts]
    fixed = [i for i, a in enumerate(sets) if len(a) == 1]
    if fixed:  # a member with one amount left adds it whatever is chosen: the rest decide
        rest = [i for i, a in enumerate(sets) if len(a) != 1]
        found = _supported(_amount(const + sum(next(iter(sets[i])) for i in fixed)), [sets[i] for i in rest], budget)
        if found is None or found == UNSAT:
            return found
        out = list(sets)
        for i, a in zip(rest, found):
            out[i] = a
        return out
    # the least and the most the members from i on can add: a partial sum they cannot bring to zero is dropped
    low, high = [0] * (len(sets) + 1), [0] * (len(sets) + 1)
    for i in range(len(sets) - 1, -1, -1):
        low[i], high[i] = low[i + 1] + min(sets[i]), high[i + 1] + max(sets[i])
    if not low[0] - 1e-6 <= -const <= high[0] + 1e-6:
        return UNSAT
    # whole numbers add up to whole numbers: only amounts with decimals need their sums rounded
    decimals = isinstance(const, float) or any(isinstance(x, float) for a in sets for x in a)
    if not decimals and high[0] - low[0] < BITS_LIMIT:  # sums spread over a million or more: bits would not fit
        return _supported_whole(const, sets, low, high, budget)
    forward = [{const}]
    for i, a in enumerate(sets):
        if _spent(budget, len(forward[-1]) * len(a)):
            return None
        lo, hi = -high[i + 1] - 1e-6, -low[i + 1] + 1e-6
        nxt = {x for x in _sums(forward[-1], a, decimals) if lo <= x <= hi}
        if len(nxt) > SUMS_LIMIT:
            return None
        forward.append(nxt)
    if 0 not in forward[-1]:
        return UNSAT
    back = {0}
    out: list[set] = [set()] * len(sets)
    for i in range(len(sets) - 1, -1, -1):
        need = {-b for b in back}  # what rows before i and row i must add
        if _spent(budget, len(sets[i]) * min(len(forward[i]), len(need)) + len(back) * len(sets[i])):
            return None
        out[i] = {x for x in sets[i] if _completes(forward[i], x, need)}
        back = _sums(back, out[i], decimals)
        if len(back) > SUMS_LIMIT:
            return None
    return out


def _supported_whole(const: int, sets: list[set], low: list, high: list, budget: list | None):
    """_supported for whole numbers: each set of partial sums is one integer's bits (bit k: the sum base + k), so
    a member's amounts are added by shifting, many sums a machine word, not sum by sum."""
    forward, bases = [1], [const]  # bit k of forward[i]: bases[i] + k is a sum of const and the members before i
    for i, a in enumerate(sets):
        least = min(a)
        got = 0
        for x in a:
            got |= forward[-1] << (x - least)
        base = bases[-1] + least
        lo, hi = -high[i + 1] - base, -low[i + 1] - base  # the sums the members after i can still bring to zero
        got = (got >> lo << lo if lo > 0 else got) & ((1 << (hi + 1)) - 1) if hi >= 0 else 0
        if _spent(budget, len(a) * (got.bit_length() // 512 + 1)):
            return None
        forward.append(got)
        bases.append(base)
    if bases[-1] > 0 or not forward[-1] >> -bases[-1] & 1:
        return UNSAT
    out: list[set] = [set()] * len(sets)
    need, base = 1, 0  # bit k: base + k is minus what some choice of the members after i adds
    for i in range(len(sets) - 1, -1, -1):
        if _spent(budget, 2 * len(sets[i]) * (max(need.bit_length(), forward[i].bit_length()) // 512 + 1)):
            return None
        keep = set()
        for x in sets[i]:  # some sum before i, plus x, is minus what the members after i add
            d = bases[i] + x - base
            if (forward[i] << d if d >= 0 else forward[i] >> -d) & need:
                keep.add(x)
        if not keep:
            return UNSAT
        out[i] = keep
        most = max(keep)
        grown = 0
        for x in keep:
            grown |= need << (most - x)
        need, base = grown, base - most
    return out


def _spent(budget: list | None, n: int) -> bool:
    if budget is None:
        return False
    budget[0] -= n
    return budget[0] < 0


def _touching(prepared) -> dict[int, list[int]]:
    """Row → the identities it takes part in."""
    touching: dict[int, list[int]] = {}
    for e, (_, members) in enumerate(prepared):
        for j, _ in members:
            touching.setdefault(j, []).append(e)
    return touching


def _propagate(prepared, alive: list[set], strict: bool, touching=None, start=None, budget=None,
               unsat: list | None = None) -> bool:
    """Drop, identity by identity until nothing changes, the readings (indices in `alive`) some identity rules out.
    False when a row is left with none, or (`strict`) an identity can no longer hold (not `strict`: such
    identities are added to `unsat`). `start`: the identities to look at first (all of them if None; after a
    change to one row of a state already narrowed, only that row's). `budget`: see _supported."""
    touching = touching if touching is not None else _touching(prepared)

    def size(e: int) -> int:  # how many choices the identity's rows leave: the smallest are looked at first
        n = 1
        for j, _ in prepared[e][1]:
            n = min(n * len(alive[j]), 10 ** 12)
        return n

    queue = [(size(e), e) for e in (range(len(prepared)) if start is None else start)]
    heapq.heapify(queue)
    queued = {e for _, e in queue}
    while queue:  # an identity is looked at again only when one of its rows lost a reading
        _, e = heapq.heappop(queue)
        queued.discard(e)
        const, members = prepared[e]
        ok = _bounded(const, [{am[oi] for oi in alive[j]} for j, am in members], budget)
        if ok is None or ok == UNSAT:
            if strict and ok == UNSAT:
                return False
            if ok == UNSAT and unsat is not None:
                unsat.append(e)
            continue
        for (j, am), good in zip(members, ok):
            drop = {oi for oi in alive[j] if am[oi] not in good}
            if drop:
                alive[j] -= drop
                if not alive[j]:
                    return False
                for f in touching[j]:
                    if f not in queued:
                        heapq.heappush(queue, (size(f), f))
                        queued.add(f)
    return True


def _bounded(const, amounts, budget: list | None):
    """_supported within Effort.call (budget[1]) of what is left of `budget`: one identity whose sums grow too many is left
    for now (looked at again when its rows have fewer readings), not allowed to use up the whole budget."""
    if budget is None:
        return _supported(const, amounts)
    call = [min(budget[1], budget[0])]
    given = call[0]
    ok = _supported(const, amounts, call)
    budget[0] -= given - max(call[0], 0)
    return ok


def narrow(instances, base: dict, rows, value, budget: int = 30, effort: Effort = DIGITS):
    """For each row (keys, readings): the readings that take part in some choice of one reading per row under which
    every identity holds (given the cells already known, `base`), and one such choice; with whether the search
    finished within `budget` steps (if not: the readings single identities leave, and the first choice found, if
    any). Identities no choice satisfies from the start (the publisher's own error) are left out. `value` turns a
    reading's part into a number (a blank counts as 0)."""
    prepared = _prepared(instances, base, rows, value)
    alive = [set(range(len(o))) for _, o in rows]
    work = [effort.work, effort.call]
    root_ok = []
    for const, members in prepared:  # an identity broken whatever the rows read is the publisher's, not ours
        amounts = [am for _, am in members]
        if _supported(const, amounts, work) != UNSAT:
            root_ok.append((const, members))
    prepared = root_ok
    touching = _touching(prepared)
    # the search below looks again only at the identities of the row it changes: the state it starts from must
    # hold strictly (an identity no longer able to hold stays so: no choice satisfies every identity)
    broken: list = []
    _propagate(prepared, alive, strict=False, touching=touching, budget=work, unsat=broken)
    can_hold = not broken
    # readings that add the same to every identity (a blank and a 0 swapped) are one branch of the search
    amounts_of: list[list] = [[] for _ in rows]
    for _, members in prepared:
        for j, am in members:
            amounts_of[j].append(am)
    sig = [[tuple(am[oi] for am in amounts_of[j]) for oi in range(len(o))] for j, (_, o) in enumerate(rows)]
    used = [set() for _ in rows]
    choice: list | None = None
    steps = [0]

    def search(alive) -> bool:
        nonlocal choice
        steps[0] += 1
        if steps[0] > budget:
            return False
        groups = [{} for _ in rows]
        for j, a in enumerate(alive):
            for oi in a:
                groups[j].setdefault(sig[j][oi], set()).add(oi)
        open_rows = [j for j, g in enumerate(groups) if len(g) > 1]
        if not open_rows:
            # every identity checked on the choice itself: one left unlooked at (too many sums) may not hold
            if not all(abs(const + sum(am[min(alive[j])] for j, am in members)) < 1e-6 for const, members in prepared):
                return True
            for j, a in enumerate(alive):
                used[j] |= a
            if choice is None:
                choice = [min(a) for a in alive]
            return True
        j = min(open_rows, key=lambda r: len(groups[r]))
        for members in groups[j].values():
            trial = [set(a) for a in alive]
            trial[j] = set(members)
            if (can_hold and _propagate(prepared, trial, True, touching, touching.get(j, ()), work)
                    and not search(trial)):
                return False
        return True

    finished = search([set(a) for a in alive])
    # a row in no identity takes no part in the choice (None): nothing tells its readings apart
    one = None if choice is None else [opts[c] if amounts_of[j] else None
                                       for j, ((_, opts), c) in enumerate(zip(rows, choice))]
    if not finished or choice is None:
        return [[o for oi, o in enumerate(opts) if oi in a] for (_, opts), a in zip(rows, alive)], one, finished
    return [[o for oi, o in enumerate(opts) if oi in u] for (_, opts), u in zip(rows, used)], one, True


def _broken(instances, base: dict, rows, value, effort: Effort = DIGITS) -> int:
    """How many identities no choice of the rows' readings can satisfy."""
    work = [effort.work, effort.call]
    return sum(1 for const, members in _prepared(instances, base, rows, value)
               if _supported(const, [am for _, am in members], work) == UNSAT)


def narrow_pending(text: str, instances, fixed: dict, pending: list, value, gaps=None, effort: Effort = DIGITS,
                   heads=None):
    """Narrow the doubtful rows of a table in place (resolve's `pending`: keys, tokens, readings, …, kind): a
    row of blank cells left out is first placed by the columns' positions where the text keeps them, then every
    row by the identities (`narrow`); positions that leave the identities unable to hold are not used. Returns
    (rows the identities decided, rows the positions decided, row → its reading in one choice under which every
    identity holds, whether that search was exhaustive). `heads`: a row's keys → its columns' headings."""
    from . import short_rows

    open_rows = [j for j, p in enumerate(pending) if len(p[2]) > 1]
    if not open_rows:
        return set(), set(), {}, False
    before = {j: pending[j][2] for j in open_rows}
    placed = set()
    for j in open_rows:
        if pending[j][5] == "blank":
            chosen = short_rows.by_position(text, pending[j][1], pending[j][2], gaps or {},
                                            heads and heads(pending[j][0]))
            if chosen is not None:
                pending[j] = (*pending[j][:2], [chosen], *pending[j][3:])
                placed.add(j)
    known = dict(fixed)
    for j, p in enumerate(pending):
        if len(p[2]) == 1 and j not in before:
            known.update({k: value(x) for k, x in zip(p[0], p[2][0])})
    if placed and _broken(instances, known, [(pending[j][0], pending[j][2]) for j in open_rows], value, effort) > \
            _broken(instances, known, [(pending[j][0], before[j]) for j in open_rows], value, effort):
        # an identity that some reading satisfies, none does with the rows placed: the positions misread a row
        # (a line of pdftotext -layout shifted by its label's wrapping); identities alone
        for j in placed:
            pending[j] = (*pending[j][:2], before[j], *pending[j][3:])
        placed = set()
    for attempt in (0, 1):
        rest = open_rows  # the rows placed by position too: the identities must hold with them
        kept, one, settled = narrow(instances, known, [pending[j][:3:2] for j in rest], value, effort=effort)
        if placed and settled and one is None and attempt == 0:  # the positions misread a row: identities alone
            for j in placed:
                pending[j] = (*pending[j][:2], before[j], *pending[j][3:])
            placed = set()
            continue
        break
    decided = set()
    for j, options in zip(rest, kept):
        if options and len(options) < len(pending[j][2]):
            pending[j] = (*pending[j][:2], options, *pending[j][3:])
            if len(options) == 1:
                decided.add(j)
    return decided, placed, dict(zip(rest, one or [])), settled
