"""Y-03 (this year's tables copied from last year) on every table sheet's status, in a template that carries last
year: `校验通过，有警告：<check's message>` in orange — a warning, apart from the red of an error and the amber of
blanks; after an error or blanks it is added to their status. What the workbook caches is what `check` says (the
LibreOffice recalculation is compared in test_libreoffice_agreement)."""
from __future__ import annotations

import random

import openpyxl
import pytest

from nianbao.checks import check
from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.live_checks import statuses
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_read import read
from nianbao.xlsx_template import build_workbook

from helpers import consistent_last_year
from test_libreoffice_agreement import cached_statuses, repeatable

FMT = load_format("2021")
OK, TODO, BAD = statuses(FMT)
SAID = FMT.rules["Y-03"].text("tables")
WARNED = FMT.workbook["status_warned"].format(message=SAID)
ALSO = FMT.workbook["status_warned_also"].format(message=SAID)


def _return(tmp_path, values, last, name="返回表"):
    previous = Filing.from_values(FMT, last, identity={"unit": "示例区教育局", "year": "2022"})
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(build_workbook(FMT, {"unit": "示例区教育局", "year": 2023}, values=values, previous=previous))
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tables_copied_from_last_year_say_checks_warning_on_every_status(tmp_path, seed):
    values = repeatable(FMT, random_valid_values(FMT, random.Random(seed)))
    path = _return(tmp_path, values, dict(values))
    found = check(read(path))
    assert [(f.rule, f.severity, f.message) for f in found if f.rule == "Y-03"] == [("Y-03", "warning", SAID)]
    assert not [f for f in found if f.severity == "error"]
    assert set(cached_statuses(path, FMT).values()) == {WARNED}
    assert WARNED.startswith(OK)  # passed, with a warning: the return may be sent


def test_a_copy_with_an_error_or_blanks_adds_the_warning_to_their_status(tmp_path):
    values = random_valid_values(FMT, random.Random(4))
    # last year's tables retyped whole: this year's 上年结转 is not last year's 结转下年度 (Y-01 总计: an error)
    values["t3.carry_forward.total"] += values["t3.carried_over.total"] == values["t3.carry_forward.total"]
    path = _return(tmp_path, values, dict(values), "copied")
    errors = [f for f in check(read(path)) if f.severity == "error"]
    assert errors and any(f.rule == "Y-03" for f in check(read(path)))
    shown = cached_statuses(path, FMT)
    assert shown["t3"].startswith(BAD.partition("{n}")[0]) and shown["t3"].endswith(ALSO)
    assert shown["all"] == BAD.format(n=len(errors)) + ALSO
    # cells last year's return did not have, left blank: amber, and the warning
    values = repeatable(FMT, random_valid_values(FMT, random.Random(5)))
    gone = ["t3.new.research", "t3.granted.research", "t3.total.research"]
    path = _return(tmp_path, values | {k: None for k in gone}, {k: v for k, v in values.items() if k not in gone},
                   "blank")
    assert cached_statuses(path, FMT)["t3"] == TODO.format(n=len(gone)) + ALSO


def test_a_return_not_copied_says_no_warning(tmp_path):
    values = random_valid_values(FMT, random.Random(6))
    path = _return(tmp_path, values, consistent_last_year(FMT, values))
    assert not [f for f in check(read(path)) if f.rule == "Y-03"]
    assert set(cached_statuses(path, FMT).values()) == {OK}


def _fills(ws, cell: str) -> list[tuple[str, str, bool]]:
    """(text the rule looks for, fill colour, stop if true) of the conditional formats on a cell, by priority."""
    out = []
    for cf in ws.conditional_formatting:
        if cell in cf.sqref:
            for rule in cf.rules:
                out.append((rule.priority, rule.text, str(rule.dxf.fill.bgColor.rgb)[-6:], bool(rule.stopIfTrue)))
    return [x[1:] for x in sorted(out)]


def test_the_warning_is_orange_ahead_of_green_and_apart_from_red_and_amber(tmp_path):
    values = repeatable(FMT, random_valid_values(FMT, random.Random(7)))
    wb = openpyxl.load_workbook(_return(tmp_path, values, dict(values)))
    for t in FMT.tables.values():
        fills = _fills(wb[t.sheet], t.status)
        by_text = {text: colour for text, colour, _ in fills}
        warned = FMT.workbook["status_warned"].partition("{message}")[0]
        assert fills[0][0] == warned and fills[0][2], fills  # first, and it stops there: never green
        assert len({by_text[warned], by_text[OK], by_text[BAD.partition("{n}")[0]],
                    by_text[TODO.partition("{n}")[0]]}) == 4, fills
