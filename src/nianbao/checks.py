"""Every rule of the format definition, evaluated in Python on a Filing. Nothing the workbook computed is trusted."""
from __future__ import annotations

import difflib
import re
from decimal import Decimal

from .filing import Filing, Finding
from .formats import RuleInstance


def fmt_num(x) -> str:
    if x is None:
        return "空"
    if isinstance(x, float):
        return f"{x:.6f}".rstrip("0").rstrip(".")
    return str(x)


def decimals(x: float) -> int:
    """Digits after the decimal point of a float as typed; repr is '1e-05' for 0.00001, so go through Decimal."""
    return max(0, -Decimal(repr(x)).as_tuple().exponent)


def check_cells(filing: Filing) -> list[Finding]:
    """C01–C03: each number cell holds what its column type allows."""
    fmt = filing.fmt
    rules = fmt.rules
    imported = filing.origin == "import"
    # a cell rule the reader already applied (a formula in an input cell) is not reported a second time
    done = {k for f in filing.findings if f.rule in ("C01", "C02", "C03") for k in f.keys}
    out = []
    blanks: dict[str, list[str]] = {}  # table → its blank cells: one finding per table (a fresh return has 200)
    limit = fmt.count_limit
    for key, p in filing.parsed().items():
        if key in done or key in filing.unread:  # a cell the import could not read: its own finding says so
            continue
        cell = fmt.cells[key]
        if p.problem is None and not p.note and (
                (cell.type != "decimal" and -limit <= p.value <= limit) or (cell.type == "decimal" and p.value < 10000
                                                                           and p.value.__class__ is int)):
            continue  # the usual case, decided before any message is built
        raw = filing.raw.get(key)
        where = f"{filing.place(key)}（{cell.label}）"
        base = dict(rule="", severity="error", message="", keys=[key], cells=[filing.place(key)], actual=raw)
        if p.problem == "blank" or (imported and p.problem == "invalid" and p.note == "mark"):
            if imported:
                out.append(Finding(**{**base, "rule": "C03", "severity": "warning",
                                      "message": rules["C03"].text("import_mark" if str(raw or "").strip() else "import",
                                                                   where=where, actual=str(raw or "").strip())}))
            else:
                blanks.setdefault(cell.table, []).append(key)
            continue
        rid = "C02" if cell.type == "decimal" else "C01"
        if p.problem == "invalid":
            variant = "signed" if cell.type == "signed" else None
            out.append(Finding(**{**base, "rule": rid, "message": rules[rid].text(variant, where=where, actual=raw)}))
            continue
        v = p.value
        if cell.type != "decimal" and abs(v) > fmt.count_limit:
            out.append(Finding(**{**base, "rule": rid, "expected": fmt.count_limit, "message": rules[rid].text(
                "too_large", where=where, actual=fmt_num(v), expected=fmt.count_limit)}))
            continue
        if p.note:
            out.append(Finding(**{**base, "rule": rid, "severity": "warning", "expected": v, "message": rules[
                "C01"].text("lenient", where=where, actual=raw, note=p.note, expected=fmt_num(v))}))
        if cell.type == "decimal":
            if isinstance(v, float) and decimals(v) > 4:
                out.append(Finding(**{**base, "rule": "C02", "severity": "warning", "actual": v,
                                      "message": rules["C02"].text("decimals", where=where,
                                                                    actual=format(Decimal(repr(v)), "f"))}))
            elif v >= 10000:
                out.append(Finding(**{**base, "rule": "C02", "severity": "warning", "actual": v,
                                      "message": rules["C02"].text("yuan", where=where, actual=fmt_num(v))}))
    return _blanks(filing, blanks) + out


def _blanks(filing: Filing, blanks: dict[str, list[str]], shown: int = 5) -> list[Finding]:
    """C03 of a return: per table, how many cells are blank and the first of them; the finding names them all."""
    rule = filing.fmt.rules["C03"]
    out = []
    for keys in blanks.values():
        places = [filing.place(k) for k in keys]
        refs = [p.rsplit("!", 1)[-1] for p in places]
        first = "、".join(refs[:shown]) + ("、…" if len(refs) > shown else "")
        if len(keys) == 1:
            cell = filing.fmt.cells[keys[0]]
            message = rule.text(where=f"{places[0]}（{cell.label}）")
        else:
            message = rule.text("grouped", sheet=places[0].rsplit("!", 1)[0], n=len(keys), first=first)
        out.append(Finding("C03", "error", message, keys, places, actual=None))
    return out


def evaluate(inst: RuleInstance, values: dict, previous: dict | None = None, blank_as_zero: bool = False,
             unknown: frozenset = frozenset()):
    """(lhs, rhs) of one equation, or None when a value it needs is missing (blank, unless `blank_as_zero`; or one
    of the `unknown` cells)."""
    sums = []
    for side in (inst.lhs, inst.rhs):
        total = 0
        for t in side:
            src = previous if t.prev else values
            v = None if src is None else src.get(t.key)
            if v is None:
                if not blank_as_zero or t.prev or t.key in unknown:
                    return None
                v = 0
            total += t.coef * v
        sums.append(total)
    return sums[0], sums[1]


def _same(a, b) -> bool:
    return abs(a - b) < 1e-9


def check_sums(filing: Filing, previous: Filing | None = None) -> list[Finding]:
    """The table identities (T3-01 …) and, given last year's filing, the cross-year rules (Y-01, Y-02)."""
    fmt = filing.fmt
    values = filing.values
    prev_values = previous.values if previous is not None else None
    # values of the other year are looked up by key; a key of another layout simply is absent
    blank_zero = filing.origin == "import"
    out = []
    unknown = filing.unread
    for inst in fmt.sum_instances(previous=False):
        out += _sum_finding(filing, inst, evaluate(inst, values, None, blank_zero, unknown))
    if prev_values is not None:
        for inst in fmt.sum_instances(previous=True):
            out += _sum_finding(filing, inst, evaluate(inst, values, prev_values, blank_zero, unknown), previous)
    return out


def _sum_finding(filing: Filing, inst: RuleInstance, result, previous: Filing | None = None) -> list[Finding]:
    if result is None or _same(*result):
        return []
    lhs, rhs = result
    keys = inst.keys
    cells = [filing.place(k) for k in dict.fromkeys(keys)]
    if previous is not None:
        cells += [f"上年 {previous.place(t.key)}" for t in inst.lhs + inst.rhs if t.prev]
    return [Finding(inst.rule.id, inst.severity, inst.rule.text(label=inst.label, lhs=fmt_num(lhs), rhs=fmt_num(rhs)),
                    list(dict.fromkeys(keys)), cells, expected=rhs, actual=lhs)]


def check_year(filing: Filing) -> list[Finding]:
    """S03: the layout fits the report year."""
    year = filing.year
    fmt = filing.fmt
    if year is None or fmt.first_year <= year <= fmt.last_year:
        return []
    from .formats import format_for_year

    try:
        expected = format_for_year(year).layout
    except Exception:
        expected = "?"
    return [Finding("S03", "error", fmt.rules["S03"].text(year=year, expected=expected, actual=fmt.layout),
                    expected=expected, actual=fmt.layout)]


# a unit of a 区/县/旗 (a district bureau, a county government); not a city government whose name holds a 区
_COUNTY = re.compile(r"[区县旗](?!.*[市省州]人民政府$)")


def check_advice(filing: Filing) -> list[Finding]:
    """T2-01: a 区/县 unit makes no 规章."""
    rule = filing.fmt.rules.get("T2-01")
    if rule is None or not filing.unit or not _COUNTY.search(filing.unit):
        return []
    out = []
    for key in rule.keys:
        v = filing.values.get(key)
        if v:
            out.append(Finding("T2-01", rule.severity, rule.text(actual=v), [key], [filing.place(key)], 0, v))
    return out


def tables_repeated(now: dict, before: dict) -> bool:
    """Y-03's tables part: every number last year had is this year's again, and they are not all 0 (a cell last
    year left blank, or its layout did not have, is not compared: the template's live check reads the same)."""
    shared = [k for k in now if before.get(k) is not None]
    return bool(shared) and any(now[k] for k in shared) and all(now[k] == before[k] for k in shared)


def check_repetition(filing: Filing, previous: Filing) -> list[Finding]:
    """Y-03: the same tables, or mostly the same narrative, as last year."""
    rule = filing.fmt.rules.get("Y-03")
    if rule is None:
        return []
    out = []
    if tables_repeated(filing.values, previous.values):
        out.append(Finding("Y-03", rule.severity, rule.text("tables")))
    for s in filing.fmt.narrative_sections:
        a, b = filing.narrative.get(s.id, ""), previous.narrative.get(s.id, "")
        if len(a) >= 50 and len(b) >= 50:
            ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
            if ratio >= 0.8:
                out.append(Finding("Y-03", rule.severity, rule.text(what=f"“{s.heading}”", how=f"{ratio:.0%} 相同")))
    return out


def damaged_sheets(filing: Filing) -> set[str]:
    """Table sheets whose labels are not where the layout puts them (S02): their numbers sit in the wrong cells, so
    checking them would bury the one finding that matters under dozens that follow from it."""
    out = set()
    for f in filing.findings:
        if f.rule == "S02":
            for place in f.cells:
                out.add(place.split("!")[0])
    return out & {t.sheet for t in filing.fmt.tables.values()}


def check_text(filing: Filing, always: bool = False, previous: Filing | None = None) -> list[Finding]:
    """The narrative rules (S01, S04–S07) and numbers quoted in the narrative (S08, its change clauses too when
    last year is known), when there is a narrative."""
    if not always and not any((filing.narrative or {}).values()):
        return []
    from .narrative_checks import check_narrative
    from .narrative_numbers import check_numbers_in_text

    return check_narrative(filing, filing.identity.get("title")) + check_numbers_in_text(filing, previous)


def check(filing: Filing, previous: Filing | None = None, narrative: bool | None = None) -> list[Finding]:
    """All findings for one filing: what reading found, then cells, identities, year, advice, cross-year, and the
    narrative's rules — when it has a narrative (`narrative=True`: always, as for a report)."""
    findings = list(filing.findings)
    if previous is None:
        previous = getattr(filing, "previous", None)  # what the template carried of last year, signed
    damaged = damaged_sheets(filing)
    numbers = [f for f in check_cells(filing) + check_sums(filing, previous)
               if not damaged or not any(c.split("!")[0] in damaged for c in f.cells)]
    findings += numbers
    findings += check_year(filing)
    findings += check_advice(filing)
    if previous is not None:
        findings += check_repetition(filing, previous)
    if narrative is not False:
        findings += check_text(filing, always=bool(narrative), previous=previous)
    return findings


def has_errors(findings) -> bool:
    return any(f.severity == "error" for f in findings)
