"""A row printed with fewer numbers than columns: plain text keeps no empty cell, so a blank cell simply vanishes
("0  19 17 4 15 55" for seven columns). Which column is blank is read, in this order, from the row's own
identities, the table's identities (splitting.resolve), and the columns' positions where the text keeps them
(`pdftotext -layout`): where a row's numbers stand against where the table's complete rows print theirs, or
else against the centres of the header's words above the row (表二's small tables, 表四's single row). A row
nothing decides is read by preference with a warning. The printed numbers are never split or changed here.
"""
from __future__ import annotations

import bisect
import functools
import itertools
import re
import statistics

BLANK = ""  # an inserted blank cell in a candidate
# how much clearer a placement must fit than the next, in pdftotext's text, when the two differ only by where a
# blank and a 0 stand: on a line of SWAP_FEW numbers or fewer, or one whose best fit is half a column off (N = 200:
# 4 such cells were placed wrong without a warning; 28 more are now warned instead of placed)
SWAP_LEAD = 2.0
SWAP_FEW = 2
# how unevenly a header's words may be spread and still be taken for its columns: pdftotext -layout lays 表三's
# header out squeezed, each line its own way (商业企 over 科研机构's numbers, 其他 on a line of its own far right:
# gaps 4 and 13.5), and 15 cells of a clerk's report were placed under the wrong column
EVEN = 3.0


def fillable(text: str, vals, keys) -> bool:
    """A short row of running text whose numbers are printed apart, each from the next and the first from the
    label by white space (not digits run together, "13-10", nor a run glued to its label, "规章1710")."""
    return (0 < len(vals) < len(keys) and all(t.row is None and t.number is not None for t in vals)
            and vals[0].pos > 0 and text[vals[0].pos - 1].isspace()
            and all(text[a.pos + len(a.raw):b.pos].strip() == "" < text[a.pos + len(a.raw):b.pos]
                    for a, b in zip(vals, vals[1:])))


def grid_fillable(vals, keys) -> bool:
    """A short row of a real table (its cells apart by construction) whose cells are numbers or empty: a cell left
    out, as PDF-to-Markdown tools do when they merge two columns under one header cell and print one number there
    ("本年废止件数<br>现行有效件数" over "0": which column's is it?)."""
    nums = [t for t in vals if t.raw]
    return (0 < len(nums) and len(vals) < len(keys) and all(t.row is not None for t in vals)
            and all(t.number is not None and not t.splittable for t in nums))


_APART = re.compile(r"(?m)(?:^|\s)[+\-]?\d[\d,.]*(?:[ \t]+[+\-]?\d[\d,.]*){2,}[ \t]*$")


# or a cell a line (PyMuPDF, mammoth's Markdown): three lines or more of one number each, in a row
_ONE_A_LINE = re.compile(r"(?m)^[ \t]*[+\-]?\d[\d,.]*[ \t]*(?:\n[ \t]*)+[+\-]?\d[\d,.]*[ \t]*(?:\n[ \t]*)+"
                         r"[+\-]?\d[\d,.]*[ \t]*$")


@functools.lru_cache(maxsize=8)
def prints_apart(text: str) -> bool:
    """Whether the text prints a table's numbers apart: three lines or more end in three numbers or more, each
    from the next by white space (pdftotext, a page flattened with spaces), or three lines running hold one number
    each (PyMuPDF, mammoth's Markdown), as no text running cells together does."""
    return any(sum(1 for _ in itertools.islice(p.finditer(text), 3)) >= 3 for p in (_APART, _ONE_A_LINE))


def coefficients(instances, keys) -> list[list[int]]:
    """Each of a row's identities as one coefficient per column (left side +, right side −): sum(c·value) = 0."""
    index = {k: i for i, k in enumerate(keys)}
    rows = []
    for inst in instances:
        c = [0] * len(keys)
        for t in inst.lhs:
            c[index[t.key]] += t.coef
        for t in inst.rhs:
            c[index[t.key]] -= t.coef
        rows.append(c)
    return rows


def placements(vals, keys, instances, types) -> list[tuple[str, ...]]:
    """Every way to put the printed numbers, in order, into the row's columns, the others blank, that satisfies
    the row's own identities (a blank counts as 0, as a published blank is read); in the order of the columns
    taken (numbers as far left as they go first)."""
    n, m = len(keys), len(vals)
    # each identity as one coefficient per column; where each printed number may stand (a sign only in a signed
    # column, a decimal point only in a decimal one)
    coefs = coefficients(instances, keys)
    nums = [float(t.number) for t in vals]
    fits = [[not (t.number.startswith("-") and types[s] != "signed" or "." in t.number and types[s] != "decimal")
             for s in range(n)] for t in vals]
    # the identities complete at each column (its last column with a coefficient): checked as soon as it is passed
    ends: list[list[int]] = [[] for _ in range(n)]
    for e, c in enumerate(coefs):
        last = max((s for s in range(n) if c[s]), default=None)
        if last is not None:
            ends[last].append(e)
    out, parts = [], [BLANK] * n

    def place(s: int, i: int, sums: list[float]):
        """Columns s … are still to fill with the numbers from i on; sums: each identity's sum so far."""
        if s == n:
            out.append(tuple(parts))
            return
        for take in ((True, False) if i < m else (False,)):
            if take and not fits[i][s] or not take and n - s - 1 < m - i:
                continue
            new = [x + c[s] * nums[i] for x, c in zip(sums, coefs)] if take else sums
            if any(abs(new[e]) > 1e-9 for e in ends[s]):
                continue
            parts[s] = vals[i].number if take else BLANK
            place(s + 1, i + take, new)
        parts[s] = BLANK

    place(0, 0, [0.0] * len(coefs))
    return out


def fill(vals, parts):
    """The row's tokens with an empty token where a candidate leaves a cell blank."""
    from .tables import Token

    it = iter(vals)
    out, last = [], vals[0]
    for p in parts:
        if p == BLANK:
            out.append(Token("value", "", last.pos, last.row, None))
        else:
            last = next(it)
            out.append(last)
    return out


def _column(text: str, pos: int) -> int:
    """The column of a position in its line: one a character, a Chinese one too (`pdftotext -layout` lays a page
    out on a grid of one column a character, whatever its width)."""
    return pos - (text.rfind("\n", 0, pos) + 1)


_FRAGMENT = re.compile(r"\S+")
HEADER_LINES = 40  # how far above a row its table's header is looked for


def _header_lines(text: str, vals, lines: int = HEADER_LINES, through: bool = False):
    """The lines of the header printed above a row, nearest first: the lines of text without digits above the row
    and the rows of numbers between (`through`: every line of text without digits within `lines`, the labels of
    the rows between too)."""
    end, found = text.rfind("\n", 0, vals[0].pos), False
    for _ in range(lines):
        if end <= 0:
            return
        start = text.rfind("\n", 0, end) + 1
        line, end = text[start:end], start - 1
        if not line.strip() or any(c.isdigit() for c in line):
            if found and not through:
                return
            continue
        found = True
        yield line


def labelled_columns(text: str, vals, heads: list[str]) -> list[float] | None:
    """The centres of a row's columns from its columns' own headings in the header above it (`heads`, 商业企业 …):
    each found as a word of the nearest header line that is the heading or, of two characters or more, its start
    (a heading broken inside its narrow cell: "商业企" over "业"). None unless every heading is found, left to
    right — the words of a header squeezed onto lines of its own are not taken for columns they are not."""
    from .labels import norm

    want = [norm(h) for h in heads]
    at: list[float | None] = [None] * len(heads)
    for line in _header_lines(text, vals, lines=4 * HEADER_LINES, through=True):  # past the rows above, 表三's 30
        for m in _FRAGMENT.finditer(line):
            w = norm(m.group())
            for i, h in enumerate(want):
                if at[i] is None and (w == h or len(w) >= 2 and h.startswith(w) and len(h) > 2):
                    at[i] = m.start() + (len(m.group()) - 1) / 2
                    break
        if all(a is not None for a in at):
            break
    if any(a is None for a in at) or any(b <= a for a, b in zip(at, at[1:])):
        return None
    return at


def header_columns(text: str, vals, n: int) -> tuple[list[float], int] | None:
    """The centres of a row's n columns from the header printed above it (_header_lines): each word's centre, the
    same centre on the lines of one header cell counted once, the nearest lines first until there are n; the n
    rightmost (the label column's own header, "信息内容", is left of them), and how many lines they took. None
    when fewer are found."""
    centres: list[float] = []
    for lines, line in enumerate(_header_lines(text, vals), 1):
        for m in _FRAGMENT.finditer(line):
            c = m.start() + (len(m.group()) - 1) / 2
            if all(abs(c - x) > 1.5 for x in centres):
                centres.append(c)
        if len(centres) >= n:
            return sorted(centres)[-n:], lines
    return None


def _one_line(text: str, vals) -> bool:
    return "\n" not in text[vals[0].pos:vals[-1].pos]


def _anchors(text: str, t) -> tuple[float, float, float]:
    start = _column(text, t.pos)
    return start, start + len(t.raw.strip()) / 2, start + len(t.raw.strip())


def reference_columns(text: str, rows) -> dict[int, tuple[int, list[float]]]:
    """For each row width, where the table's complete rows (laid out on one line each) print each column: the
    anchor (start, centre or end of the number: how the columns are aligned) that varies least, and its median."""
    seen: dict[int, list[list[tuple]]] = {}
    for keys, vals in rows:
        # only text laid out in columns (two or more spaces between numbers) keeps positions worth comparing
        if (len(vals) == len(keys) > 2 and all(t.row is None for t in vals) and _one_line(text, vals)
                and all(text[a.pos + len(a.raw):b.pos].count(" ") >= 2 for a, b in zip(vals, vals[1:]))):
            seen.setdefault(len(keys), []).append([_anchors(text, t) for t in vals])
    out = {}
    for n, rs in seen.items():
        if len(rs) < 3:
            continue
        spread = [sum(statistics.pstdev(r[i][a] for r in rs) for i in range(n)) for a in range(3)]
        a = spread.index(min(spread))
        out[n] = (a, [statistics.median(r[i][a] for r in rs) for i in range(n)])
    widths = {len(keys) for keys, _ in rows if len(keys) > 2} - set(out)
    for n in widths:  # fewer than three complete rows: the columns from the numbers of every row laid out
        found = clustered_columns(text, [vals for keys, vals in rows if len(keys) == n], n)
        if found:
            out[n] = found
    return out


def clustered_columns(text: str, rows, n: int) -> tuple[int, list[float]] | None:
    """Where a table's n columns stand, from every number of its rows laid out on one line (complete or not): the
    numbers' anchors (start, centre or end) fall into n groups, far apart compared with each group's own width,
    and every row's numbers into distinct groups from left to right. (anchor, centre of each group), or None
    when the numbers do not group so clearly (a column blank in every row, a row laid out apart from the rest)."""
    laid = [vals for vals in rows if vals and all(t.row is None for t in vals) and _one_line(text, vals)
            and laid_out(text, vals)]
    if len({len(vals) for vals in laid}) == 1 and len(laid[0]) < n:
        return None  # every row prints as many numbers, fewer than n: the same columns left blank in every row
    best = None
    for a in range(3):
        at = [[_anchors(text, t)[a] for t in vals] for vals in laid]
        xs = sorted(x for r in at for x in r)
        if len(xs) < n:
            continue
        cuts = sorted(sorted(range(1, len(xs)), key=lambda i: xs[i] - xs[i - 1])[-(n - 1):]) if n > 1 else []
        groups = [xs[i:j] for i, j in zip([0, *cuts], [*cuts, len(xs)])]
        if len(groups) != n:
            continue
        width = max(g[-1] - g[0] for g in groups)
        apart = min((xs[i] - xs[i - 1] for i in cuts), default=0)
        if apart < max(3.0, 2 * width):
            continue
        bounds = [g[-1] for g in groups]
        for r in at:  # each row's numbers in distinct groups, left to right
            slots = [bisect.bisect_left(bounds, x) for x in r]
            if any(b <= a_ for a_, b in zip(slots, slots[1:])):
                break
        else:
            score = width / apart
            if best is None or score < best[0]:
                best = (score, a, [statistics.median(g) for g in groups])
    if best is None:
        best = _most_rows(text, laid, n)
    return None if best is None else (best[1], best[2])


def _most_rows(text: str, laid, n: int):
    """(score, anchor, columns) where most rows agree and a few do not: pdftotext -layout squeezes a line now and
    then (a complete row's numbers a column or two closer than every other row prints them), so the positions
    fall into more than n groups. The n groups held by most rows, each clearly apart from the others, are the
    columns when the groups left out are all one row's; None otherwise."""
    best = None
    for a in range(3):
        rows = [[_anchors(text, t)[a] for t in vals] for vals in laid]
        xs = sorted({x for r in rows for x in r})
        groups: list[list[float]] = []
        for x in xs:  # positions a column or less apart are one group
            if groups and x - groups[-1][-1] <= 1:
                groups[-1].append(x)
            else:
                groups.append([x])
        if len(groups) <= n:
            continue
        held = [{j for j, r in enumerate(rows) if any(g[0] <= x <= g[-1] for x in r)} for g in groups]
        keep = sorted(sorted(range(len(groups)), key=lambda i: -len(held[i]))[:n])
        off = set().union(*(held[i] for i in range(len(groups)) if i not in keep))
        if len(off) > 1 or min(len(held[i]) for i in keep) < 2:  # one line squeezed, not many
            continue
        chosen = [groups[i] for i in keep]
        width = max(g[-1] - g[0] for g in chosen)
        gaps = [b[0] - a_[-1] for a_, b in zip(chosen, chosen[1:])]
        apart = min(gaps)
        if apart < max(3.0, 2 * width) or max(gaps) > 2 * apart:  # a max far over: a column blank in every row,
            continue  # another's numbers spread over two groups
        slots = [[i for x in r for i, g in enumerate(chosen) if g[0] <= x <= g[-1]] for r in rows]
        if any(any(b <= a_ for a_, b in zip(sl, sl[1:])) for sl in slots):  # two numbers of a row in one column
            continue
        dropped = sum(len(groups[i]) for i in range(len(groups)) if i not in keep)
        score = (dropped, width / apart)
        if best is None or score < best[0]:
            best = (score, a, [statistics.median([x for r in rows for x in r if g[0] <= x <= g[-1]])
                               for g in chosen])
    return best


def laid_out(text: str, vals) -> bool:
    """Whether a row's numbers stand in columns (runs of spaces before them and between most of them), not
    printed one space apart (pdfplumber, pdftotext -raw), where their positions say nothing of their columns."""
    start = text.rfind("\n", 0, vals[0].pos) + 1
    before = text[start:vals[0].pos]
    gaps = [text[a.pos + len(a.raw):b.pos] for a, b in zip(vals, vals[1:])]
    wide = sum(g.count(" ") >= 2 for g in gaps)
    if not before and len(vals) == 1:
        return False  # one number alone at the start of its line (a cell a line: PyMuPDF) stands in no column
    return (before.endswith("  ") or not before.strip()) and (not gaps or 2 * wide >= len(gaps))


def _evenly_spread(cols: list[float]) -> bool:
    """Whether a header's column centres are spread like a table's columns (no gap EVEN times another): a header
    that pdftotext squeezed onto a few lines of its own, words far from the numbers they head, decides nothing."""
    gaps = [b - a for a, b in zip(cols, cols[1:])]
    return not gaps or max(gaps) <= EVEN * min(gaps)


def by_position(text: str, vals, options, reference: dict, heads=None) -> tuple | None:
    """The option whose columns fit where the row's numbers are printed clearly best, if any: each number's
    distance from its column, after the shift common to the row (a line laid out a little left or right). The
    columns: where the table's rows print them (`reference`), else the row's columns' headings (`heads`) in the
    header above it, else the header's words. `heads` are given where the positions are the characters' own (a
    PDF laid out here, from_pdf._laid_out), not pdftotext's: there a clear lead places a blank beside a 0 too."""
    n = len(options[0])
    if not _one_line(text, vals) or not laid_out(text, vals):
        return None
    cols = None if n in reference or not heads else labelled_columns(text, vals, heads)
    # columns gathered from several header lines, each laid out by pdftotext its own way, are too loose to tell a
    # blank from a 0 beside it without a clear lead (f066 of seed 2026: a 0 placed one column off, unwarned)
    squeezed = False
    if n not in reference and cols is None:
        cols, lines = header_columns(text, vals, n) or (None, 0)
        squeezed = lines > 1
    anchor, cols = reference.get(n) or (1, cols)
    if cols is None or n not in reference and not _evenly_spread(cols):
        return None
    at = [_anchors(text, t)[anchor] for t in vals]
    scored = []
    for o in options:
        slots = [i for i, p in enumerate(o) if p != BLANK]
        d = [x - cols[s] for x, s in zip(at, slots)]
        m = statistics.median(d)
        scored.append((sum(abs(x - m) for x in d) + abs(m), max(abs(x - m) for x in d), o))
    scored.sort(key=lambda x: x[0])
    gap = statistics.median(b - a for a, b in zip(cols, cols[1:]))
    # and every number under its column, after the line's shift: a line that pdftotext laid out on a grid of its
    # own (squeezed where the row prints few numbers) fits one placement best without fitting any
    if scored[0][1] > max(2.0, 0.6 * gap):
        return None
    if len(scored) == 1:
        return scored[0][2]
    # a blank and a 0 swapped change no sum: only the positions tell them apart, so only a clear lead does where
    # pdftotext -layout moves numbers (a line of few numbers, one whose numbers fit their columns loosely, or
    # columns from a header of several lines)
    swap = (not heads and all(x == y or {x, y} <= {BLANK, "0"} for x, y in zip(scored[0][2], scored[1][2]))
            and (len(vals) <= SWAP_FEW or scored[0][1] > gap / 2 or squeezed))
    if scored[1][0] - scored[0][0] >= max(3.0, gap / 2) * (SWAP_LEAD if swap else 1):
        return scored[0][2]
    return None
