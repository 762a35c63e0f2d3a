"""Random filings that satisfy every identity of a format: for samples, tests and benchmarks.

Derived from the rules, not from the table shapes: each sum equation is solved for its first term, repeatedly,
until every equation holds (the identities are consistent, so this settles in a few passes).
"""
from __future__ import annotations

import random


def random_valid_values(fmt, rng: random.Random, scale: int = 20, zero_share: float = 0.5,
                        zero: frozenset = frozenset()) -> dict:
    """Values keeping every identity of `fmt`; the keys in `zero` are 0 (e.g. a column no applicant ever filled:
    0 from the start, and a filing is kept only when the sums left them 0)."""
    instances = list(fmt.sum_instances(previous=False))
    for _ in range(200):
        values = {}
        for key, cell in fmt.cells.items():
            if key in zero or rng.random() < zero_share:
                values[key] = 0 if cell.type != "decimal" else 0.0
            elif cell.type == "decimal":
                values[key] = round(rng.uniform(0, scale), 2)
            elif cell.type == "signed":
                values[key] = rng.randint(-scale // 4, scale // 4)
            else:
                values[key] = rng.randint(0, scale)
        for _ in range(10):
            changed = False
            for inst in instances:
                target = inst.lhs[0]
                rest = sum(t.coef * values[t.key] for t in inst.rhs) - sum(t.coef * values[t.key] for t in inst.lhs[1:])
                new = rest * target.coef
                if values[target.key] != new:
                    values[target.key] = new
                    changed = True
            if not changed:
                break
        if not changed and all(v >= 0 for k, v in values.items() if fmt.cells[k].type != "signed") \
                and not any(values[k] for k in zero):
            return values
    raise RuntimeError("could not build a valid filing")  # pragma: no cover - the identities are consistent
