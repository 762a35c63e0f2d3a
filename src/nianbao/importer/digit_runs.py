"""Reading one row whose cells ran together ("640020470", "2648-18538", "300.0"): every way to cut its digits into
one number per column (a blank where a crawler dropped an empty cell) that keeps the row's own identities.
Which of them the report means is for the table's identities and the report's other statements to say
(splitting.resolve)."""
from __future__ import annotations

import functools
import itertools
import math

from .short_rows import coefficients

SPLIT_LIMIT = 30_000  # steps of the search for one row (a number, not a time: the same on every machine)
WIDEST = 9  # digits of the largest count a format allows (count_limit 100 000 000); tables pass the format's own


def as_number(s: str):
    return float(s) if "." in s else int(s)


def value(s: str):
    """A candidate's part as a number for the identities: an inserted blank ("") counts as 0."""
    return as_number(s) if s else 0


def split_candidates(tokens, keys: list[str], instances=(), limit: int = SPLIT_LIMIT, types=None) -> list[tuple]:
    """Every reading of the tokens as one number per key that satisfies the row's own identities; [] if there is
    none or the search is too large (split_search says which)."""
    found, finished = split_search(tokens, keys, instances, limit, types)
    return found if finished else []


def split_search(tokens, keys: list[str], instances=(), limit: int = SPLIT_LIMIT, types=None, blanks: int = 0,
                 widest: int = WIDEST):
    """(every reading of the tokens as one number per key, each splittable run cut into one or more numbers, that
    satisfies the row's own identities; whether the search finished within `limit` steps). `types`: the columns'
    types (count | signed | decimal), which say where a sign and a decimal point may go. `blanks`: up to how many
    cells may be blank ("" in a reading): a crawler that runs a row's cells together drops an empty one entirely.
    `widest`: the most digits a number may have before its decimal point (the format's count_limit has 9).

    Depth first from the row's end, cell by cell: a row prints its totals last, so they are read first and every
    part read after them can only use up what is left of them. Each identity's partial sum is carried along; a
    suffix is dropped as soon as an identity it completes fails, or when what the digits left could still add
    cannot bring an identity to zero. Suffixes that leave the same digits and the same partial sums have the same
    beginnings: they are searched once (memoised), which keeps the search polynomial, not exponential.
    A blank and a printed 0 add the same to every identity: of the readings that differ only in which cells of a
    stretch of zeros are blank, one is listed, the printed zeros rightmost (`arrangements` gives the others)."""
    n = len(keys)
    printed = tuple((t.number, t.splittable) for t in tokens)
    eqs = tuple(map(tuple, coefficients(instances, keys)))
    types = tuple(types or ["count"] * n)
    groups = _blocks(eqs, n)
    if sum(1 for a, b in groups if any(co[a] for co in eqs)) < 2:
        found, finished = _search(printed, eqs, types, limit, blanks, widest)
        return list(found), finished
    return _by_blocks(printed, eqs, types, limit, blanks, widest, groups)


def _blocks(eqs, n: int) -> list[tuple[int, int]]:
    """The row's cells as consecutive ranges, each holding whole identities (表四's three blocks of five), the
    cells in none in ranges of their own."""
    spans = sorted((min(j for j, c in enumerate(co) if c), max(j for j, c in enumerate(co) if c) + 1)
                   for co in eqs if any(co))
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, at = [], 0
    for a, b in merged:
        if a > at:
            out.append((at, a))
        out.append((a, b))
        at = b
    return out + ([(at, n)] if at < n else [])


def _units(printed) -> list[int]:
    """How many digits each printed token has to cut between cells (1 for a token that is not a run)."""
    out = []
    for number, splittable in printed:
        out.append(len(number.lstrip("-").partition(".")[0]) if splittable else 1)
    return out


def _cut(printed, units: list[int], a: int, b: int) -> tuple:
    """The printed tokens from digit a to digit b (a run cut inside keeps its sign at its start, its decimals at
    its end)."""
    out, u = [], 0
    for (number, splittable), w in zip(printed, units):
        lo, hi = max(a, u), min(b, u + w)
        if lo < hi:
            if not splittable:
                out.append((number, False))
            else:
                neg = number.startswith("-")
                whole, dot, frac = number[neg:].partition(".")
                piece = ("-" if neg and lo == u else "") + whole[lo - u:hi - u] + (dot + frac if hi == u + w else "")
                out.append((piece, hi - lo > 1))
        u += w
    return tuple(out)


def _may_close(span, eqs, types, widest: int) -> bool:
    """False when digits cannot be a block of parts and their total (总计 last, every other cell a part) under any
    cut: the total's digits t and the rest r keep t − 1 ≤ r ≤ (parts)·t, and casting out nines, the total's digit sum
    ≡ the parts'. True whenever the block is of another kind, or not all digits."""
    digits = "".join(number or "" for number, _ in span)  # an empty cell (None) holds no digits
    parts = len(types) - 1
    if not (len(eqs) == 1 and 0 < parts < 10 and set(types) == {"count"} and digits.isdigit()
            and (set(eqs[0][:-1]), eqs[0][-1]) in (({1}, -1), ({-1}, 1))):
        return True
    if set(digits) == {"0"}:
        return True
    total = sum(map(int, digits))
    tail = 0
    for t in range(1, min(widest, len(digits)) + 1):
        tail += int(digits[-t])
        rest = len(digits) - t
        if digits[-t] == "0" and t > 1:
            continue
        if (rest == 0 or t - 1 <= rest <= parts * t) and (total - 2 * tail) % 9 == 0:
            return True
    return False


def _by_blocks(printed, eqs, types, limit, blanks, widest, groups):
    """split_search for a row of blocks (表四): each block read on its own from every stretch of the digits that
    the blocks after it can finish (far fewer steps than one search over the whole row, which cannot bound a
    block's sum before it knows where the block begins)."""
    units = _units(printed)
    end = sum(units)
    finished = [True]
    tails: dict = {}

    def block(g: int, a: int, b: int) -> tuple:
        ga, gb = groups[g]
        size = gb - ga
        if a == b:
            return (("",) * size,) if blanks >= size else ()
        sub = tuple(tuple(co[ga:gb]) for co in eqs if any(co[ga:gb]))
        span = _cut(printed, units, a, b)
        if not _may_close(span, sub, types[ga:gb], widest):
            return ()
        found, done = _search(span, sub, types[ga:gb], limit, min(blanks, size), widest)
        finished[0] &= done
        return found

    def tail(g: int, a: int) -> list[tuple]:
        if g == len(groups):
            return [()] if a == end else []
        if (g, a) not in tails:
            ga, gb = groups[g]
            res = []
            for b in range(a, min(end, a + (gb - ga) * widest) + 1):
                rest = tail(g + 1, b)
                if not rest:
                    continue
                for r in block(g, a, b):
                    # one stretch of zeros over two blocks is listed once too: its blanks first
                    res += [r + t for t in rest if not (r[-1] and value(r[-1]) == 0 and t and t[0] == "")]
                if len(res) > limit:
                    finished[0] = False
                    break
            tails[(g, a)] = res
        return tails[(g, a)]

    found = sorted((r for r in tail(0, 0) if r.count("") <= blanks), key=lambda r: tuple(len(p) for p in r))
    return found, finished[0]


def forget():
    """Drop the rows' readings kept across layouts (a benchmark's repeated import of one report reads it anew)."""
    _search.cache_clear()
    _every_reading.cache_clear()


@functools.lru_cache(maxsize=256)  # the same row is read once for each layout tried (its cells' names differ)
def _search(tokens: tuple, eqs: tuple, types: tuple, limit: int, blanks: int, widest: int) -> tuple[tuple, bool]:
    """split_search on the row's printed (number, splittable) pairs and its identities as coefficient vectors."""
    n = len(types)
    every = _every_reading(tokens, eqs, types, limit, widest)
    if every is not None:  # the readings with any number of blanks, listed once for all the searches of a row
        if every[1] or blanks >= n - 1:
            return tuple(r for r in every[0] if r.count("") <= blanks), every[1]
        return _parts_then_total(tokens, eqs, types, limit, blanks, widest)
    first = [min((j for j, c in enumerate(co) if c), default=n) for co in eqs]
    # what the cells before k can add to each identity, per unit of the largest value one of them can hold
    up = [[sum(abs(c) if types[j] == "signed" else max(c, 0) for j, c in enumerate(co[:k])) for co in eqs]
          for k in range(n + 1)]
    down = [[sum(abs(c) if types[j] == "signed" else max(-c, 0) for j, c in enumerate(co[:k])) for co in eqs]
            for k in range(n + 1)]
    # +1 / −1 where every cell before k takes part in an identity with that coefficient (a row's parts before its
    # total): then what they add is bounded below too, by the digits they must use up
    same = [[next(iter({c for c in co[:k]}), 0) if k and len(set(co[:k])) == 1 and abs(co[0]) == 1
             and all(types[j] != "signed" for j in range(k)) else 0 for co in eqs] for k in range(n + 1)]
    shape = []  # (run or None, negative, integer digits, decimals or None) of each token
    for number, splittable in tokens:
        d = number if splittable else None
        neg = bool(d) and d.startswith("-")
        whole, dot, frac = (d or "")[neg:].partition(".")
        shape.append((d, neg, whole, frac if dot else None))
    before = [0]  # digits of the tokens before token i
    nines: list = [0]  # their digit sum modulo 9; None once a token is no whole number ≥ 0
    for (number, _), (d, neg, whole, frac) in zip(tokens, shape):
        before.append(before[-1] + max(len(whole), 1))
        if d is not None:
            for c in whole:
                nines.append(None if nines[-1] is None or neg or frac is not None else (nines[-1] + int(c)) % 9)
        else:
            nines.append((nines[-1] + int(number)) % 9 if nines[-1] is not None and number and number.isdigit() else None)
    integral = [all(types[j] == "count" for j in range(k)) for k in range(n + 1)]  # cells before k: whole numbers
    memo: dict = {}
    steps = [0]
    exhausted = [False]

    cut: dict = {}

    def pieces(i: int, end: int, kind: str | None) -> list[tuple]:
        """(the number that ends at digit `end` of token i, for a column of type `kind` (None: any); where the
        digits before it end; its value), shortest first."""
        key = (i, end, kind)
        if key not in cut:
            cut[key] = [(h, ni, nend, value(h)) for h, ni, nend in _pieces(i, end, kind)]
        return cut[key]

    def _pieces(i: int, end: int, kind: str | None):
        d, neg, whole, frac = shape[i]
        if d is None:  # a number printed apart: it too only where its column's type allows it
            number = tokens[i][0] or ""
            if kind is None or not ("." in number and kind != "decimal" or number.startswith("-") and kind != "signed"):
                yield number, i - 1, None
            return
        tail = ""
        if end == len(whole) and frac is not None:  # the last number of a run keeps its decimals
            if kind not in (None, "decimal"):
                return
            tail = "." + frac
        for j in range(end - 1, max(end - widest, 0) - 1, -1):
            head = whole[j:end]
            if len(head) > 1 and head[0] == "0":
                continue
            if j:
                yield head + tail, i, j
            elif not neg:
                yield head + tail, i - 1, None
            elif kind in (None, "signed"):
                yield "-" + head + tail, i - 1, None

    def possible(sums: tuple, k: int, left: int, b: int) -> bool:
        """Cells 0 … k−1 are still to read, from `left` digits, b of them blank."""
        m = k - b  # the cells that take digits
        if left < m or m < 0 or (m == 0) != (left == 0):
            return False
        cap = 10 ** (left - m + 1) - 1 if m else 0
        for e, s in enumerate(sums):
            if first[e] >= k:
                if abs(s) > 1e-9:
                    return False
            elif same[k][e] and m:  # the least and the most m numbers made of the first `left` digits add up to
                if not (least[left][m] - 1e-9 <= -same[k][e] * s <= most[left][m] + 1e-9):
                    return False
                # and, whole numbers, as many nines as their digits (casting out nines: a number ≡ its digit sum)
                if nines[left] is not None and integral[k] and isinstance(s, int) and (-same[k][e] * s - nines[left]) % 9:
                    return False
            elif not (s - cap * down[k][e] - 1e-9 <= 0 <= s + cap * up[k][e] + 1e-9):
                return False
        return True

    def left_of(i: int, end: int | None) -> int:
        return before[i] + end if end is not None else before[i + 1]

    def rec(i: int, end: int | None, k: int, sums: tuple, b: int, z: bool) -> list[tuple]:
        key = (i, end, k, sums, b, z)
        if key in memo:
            return memo[key]
        steps[0] += 1
        if steps[0] > limit:
            exhausted[0] = True
            return []
        if k == 0 or i < 0:
            res = [()] if k == 0 and i < 0 else ([("",) * k] if i < 0 and b == k else [])
        else:
            res = []
            left = left_of(i, end)
            options = [("", None, None, 0)] if b else []
            options += pieces(i, len(shape[i][2]) if end is None else end, types[k - 1])
            # the parts (of an identity whose cells before this one are all its parts) only grow with more digits:
            # once one overshoots what is left of the total, the longer ones do too
            grows = [e for e, co in enumerate(eqs) if same[k - 1][e] and same[k - 1][e] * co[k - 1] > 0]
            for head, ni, nend, v in options:
                steps[0] += 1
                naught = not head or v == 0
                if z and head and naught:  # a printed 0 left of a blank in one stretch of zeros: listed once
                    continue
                nb = b - (ni is None)
                if ni is None:  # a blank cell: the digits stay where they are
                    ni, nend, rest_left = i, end, left
                else:
                    rest_left = left_of(ni, nend) if ni >= 0 else 0
                new = tuple(s + co[k - 1] * v for s, co in zip(sums, eqs)) if head else sums
                if head and any(same[k - 1][e] * new[e] > 1e-9 for e in grows):
                    break
                if not possible(new, k - 1, rest_left, nb):
                    continue
                for rest in rec(ni, nend, k - 1, new, nb, naught and (z or not head)):
                    steps[0] += 1
                    res.append((*rest, head))
                if exhausted[0]:
                    return res
        memo[key] = res
        return res

    # least[p][c] / most[p][c]: the smallest / largest sum of c numbers that use up the first p digits exactly
    inf = float("inf")
    least = [[inf] * (n + 1) for _ in range(before[-1] + 1)]
    most = [[-inf] * (n + 1) for _ in range(before[-1] + 1)]
    least[0][0] = most[0][0] = 0
    for i, (d, _, digits, _) in enumerate(shape):
        for end in range(1, len(digits) + 1) if d is not None else [None]:
            q = left_of(i, end if end != len(digits) else None)
            for head, ni, nend, v in pieces(i, len(digits) if end is None else end, None):
                p = left_of(ni, nend) if ni >= 0 else 0
                for c in range(1, n + 1):
                    if least[p][c - 1] < inf:
                        least[q][c] = min(least[q][c], least[p][c - 1] + v)
                        most[q][c] = max(most[q][c], most[p][c - 1] + v)
    zero = tuple(0 for _ in eqs)
    last = len(tokens) - 1
    found = []
    for b in range(min(blanks, n) + 1):  # exactly b blank cells (a row with a blank may also split without one)
        if possible(zero, n, left_of(last, None) if tokens else 0, b):
            found += rec(last, None, n, zero, b, False)
        if exhausted[0]:
            break
    found.sort(key=lambda r: tuple(len(p) for p in r))  # the order of reading from the left, short numbers first
    return tuple(found), not exhausted[0]


@functools.lru_cache(maxsize=256)
def _every_reading(tokens: tuple, eqs: tuple, types: tuple, limit: int, widest: int):
    return _parts_then_total(tokens, eqs, types, limit, len(types) - 1, widest)


def _parts_then_total(tokens: tuple, eqs: tuple, types: tuple, limit: int, blanks: int, widest: int):
    """_search for the commonest row, whole numbers whose last cell is the sum of the others (表三's rows, 表四's
    blocks): the total is one of the few numbers that end the digits (casting out nines, its value ≡ the digit sum
    of what is left), the parts are the ways to cut what is left into numbers no longer than the total adding up
    to it — from its end, each cut kept only while the digits before it can still make what is left of the total
    in its last three digits (_endings) — and the blanks go anywhere among the parts (one stretch of zeros listed
    once, its blanks first). The same readings as the general search, in a fraction of its steps; None for any
    other row."""
    n = len(types)
    if (len(eqs) != 1 or n < 2 or set(types) != {"count"} or set(eqs[0][:-1]) != {-eqs[0][-1]}
            or abs(eqs[0][-1]) != 1 or not tokens
            or not all(number and set(number) <= set("0123456789") for number, _ in tokens)):
        return None
    digits = "".join(number for number, _ in tokens)
    every = _numbers_ending(tokens, widest)
    nines = [0]  # digit sums of the digits before each position, modulo 9
    for c in digits:
        nines.append((nines[-1] + int(c)) % 9)
    steps = [0]
    found = []
    for t in every[-1]:  # the total: a number that ends the digits
        total = digits[t:]
        wide = len(str(int(total)))  # a part is no larger than the total: no longer either
        if (int(total) - nines[t]) % 9 or t > (n - 1) * wide:
            continue
        starts = [[s for s in at if e - s <= wide or digits[s] == "0"] for e, at in enumerate(every[:t + 1])]
        ends = _endings(digits, starts, n - 1)
        memo: dict = {}

        def cut(e: int, rem: int, left: int, need: int) -> list[tuple]:
            """The ways to cut the digits before e into need … left numbers adding up to rem."""
            if e == 0:
                return [()] if rem == 0 and need == 0 else []
            key = (e, rem, left, need)
            if key not in memo:
                out = []
                for s in starts[e] if left else ():  # the longer the number, the larger
                    steps[0] += 1
                    v = int(digits[s:e])
                    if v > rem or steps[0] > limit:
                        break
                    can, bit = ends[s], 1 << (rem - v) % _MOD
                    if any(can[j] & bit for j in range(max(need - 1, 0), left)):
                        out += [(*r, digits[s:e]) for r in cut(s, rem - v, left - 1, max(need - 1, 0))]
                memo[key] = out
            return memo[key]

        for parts in cut(t, int(total), n - 1, max(n - 1 - blanks, 0)):
            for slots in itertools.combinations(range(n - 1), len(parts)):
                steps[0] += 1
                if steps[0] > limit:
                    found.sort(key=lambda r: tuple(len(p) for p in r))
                    return tuple(found), False
                cells = [""] * (n - 1)
                for k, p in zip(slots, parts):
                    cells[k] = p
                cells.append(total)
                if _blanks_first(cells):
                    found.append(tuple(cells))
    found.sort(key=lambda r: tuple(len(p) for p in r))
    return tuple(found), steps[0] <= limit


def _numbers_ending(tokens: tuple, widest: int) -> list[list[int]]:
    """For each position of the tokens' digits, where the numbers that end there may start, nearest first: within
    a run any cut (no leading zeros, at most `widest` digits), a number printed apart only whole."""
    out: list[list[int]] = [[]]
    at = 0
    for number, splittable in tokens:
        for e in range(1, len(number) + 1):
            if not splittable:
                out.append([at] if e == len(number) else [])
            else:
                out.append([at + s for s in range(e - 1, max(e - widest, 0) - 1, -1)
                            if number[s] != "0" or s == e - 1])
        at += len(number)
    return out


_MOD = 1000  # sums compared in their last three digits
_ALL = (1 << _MOD) - 1


def _endings(digits: str, starts: list[list[int]], most: int) -> list[list[int]]:
    """For each position a and j = 0 … `most`: the last three digits of the sums the digits before a can make cut
    into j numbers, as a set of bits (bit r: some sum ≡ r mod 1000). A number's last three digits are the last
    three of its own, so these sets are built without the sums themselves."""
    out = [[1] + [0] * most]
    for e in range(1, len(starts)):
        got = [0] * most
        for s in starts[e]:
            k = int(digits[max(s, e - 3):e])
            got = [g | ((m << k | m >> (_MOD - k)) & _ALL) for g, m in zip(got, out[s])]
        out.append([0] + got)
    return out


def _blanks_first(cells) -> bool:
    """In every stretch of cells reading 0, the blanks before the printed zeros (how such a stretch is listed)."""
    zero = False
    for p in cells:
        if p == "":
            if zero:
                return False
        else:
            zero = int(p) == 0
    return True


def zero_stretches(parts: tuple) -> list[tuple[int, int, list[str]]]:
    """The stretches (start, end, printed zeros) of cells reading 0 in which some are blank and some printed 0:
    where, in digits run together, nothing tells which of them were blank."""
    stretches, j = [], 0
    while j < len(parts):
        if parts[j] and value(parts[j]) != 0:
            j += 1
            continue
        k = j
        while k < len(parts) and not (parts[k] and value(parts[k]) != 0):
            k += 1
        zeros = [p for p in parts[j:k] if p]
        if zeros and len(zeros) < k - j:
            stretches.append((j, k, zeros))
        j = k
    return stretches


def arrangements(parts: tuple, limit: int = 50) -> tuple[int, list[tuple]]:
    """The readings equal in every number to `parts` (a listed reading of split_search): in each stretch of cells
    that read 0, the same count of printed zeros in any of its cells, the others blank. (How many there are, up to
    `limit` of them, the given one first.)"""
    stretches = zero_stretches(parts)
    count = 1
    for j, k, zeros in stretches:
        count *= math.comb(k - j, len(zeros))
    out = [tuple(parts)]
    for choice in itertools.product(*(itertools.combinations(range(j, k), len(z)) for j, k, z in stretches)):
        if len(out) >= limit:
            break
        r = list(parts)
        for (j, k, zeros), at in zip(stretches, choice):
            it = iter(zeros)
            for c in range(j, k):
                r[c] = next(it) if c in at else ""
        if tuple(r) != out[0]:
            out.append(tuple(r))
    return count, out
