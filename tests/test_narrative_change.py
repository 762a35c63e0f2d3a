"""S08 on change clauses ("较上年增加5件，增长12.5%") when last year is known: the stated difference and percentage
against this year minus last year — in check() with last year, `check --previous`, and `report` of a return that
carries last year; skipped, silently, when last year is not known."""
from __future__ import annotations

import random
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.checks import check
from nianbao.cli import main
from nianbao.filing import Filing
from nianbao.formats import load_format
from nianbao.narrative_numbers import check_numbers_in_text
from nianbao.paragraph import draft_numbers, percent_tenths
from nianbao.sample_data import random_valid_values
from nianbao.xlsx_template import build_workbook

from helpers import consistent_last_year, write_return

FMT = load_format("2021")
RULE = FMT.rules["S08"]
NOW = {"t3.new.total": 45, "t3.carried_over.total": 3, "t4.review.total": 3, "t4.litigation_direct.total": 2,
       "t4.litigation_after_review.total": 0}
LAST = {"t3.new.total": 40, "t3.carried_over.total": 3, "t4.review.total": 1, "t4.litigation_direct.total": 5,
        "t4.litigation_after_review.total": 0}


def _filing(overview, values=None, year=2023):
    v = {k: 0 for k in FMT.cells} | (NOW if values is None else values)
    return Filing(fmt=FMT, identity={"unit": "示例区教育局", "year": str(year)}, raw=v, narrative={"overview": overview},
                  origin="import")


def _s08(overview, last=LAST, **kw):
    return [f for f in check_numbers_in_text(_filing(overview, **kw), last)]


@pytest.mark.parametrize("sentence", [
    "本年度共收到政府信息公开申请45件，较上年增加5件，增长12.5%，上年结转3件。",
    "全年共收到政府信息公开申请45件，同比增加5件，增幅为12.5%。",
    "全年共收到政府信息公开申请45件，比去年多5件。",
    "全年共收到政府信息公开申请45件，同比增长13%。",  # 12.5 to an integer, half up
    "全年共收到政府信息公开申请45件，同比增长12%。",  # … half to even, or cut off
    "全年共受理政府信息公开申请48件（含上年结转3件），较上年增加5件。",  # new + carried over: 48 - 43
    "本年度比上年增加受理政府信息公开申请5件，共收到申请45件。",
    "全年共收到政府信息公开申请45件，较2022年增加5件。",
    "本年度发生政府信息公开行政复议3件，比去年多2件，增长200%。",
    "发生政府信息公开行政诉讼2件，较上年减少3件，下降60.0%。",
    "上年结转3件，与上年持平。",
    "本年度未发生政府信息公开行政诉讼案件，较上年有所减少。",  # no number: nothing to check
])
def test_a_change_clause_that_fits_last_year_is_silent(sentence):
    assert _s08(sentence) == [], [f.message for f in _s08(sentence)]


@pytest.mark.parametrize("sentence, quoted", [
    ("本年度共收到政府信息公开申请45件，较上年增加6件，增长12.5%。", "较上年增加6件，增长12.5%"),
    ("本年度共收到政府信息公开申请45件，较上年减少5件。", "较上年减少5件"),  # the direction, too
    ("本年度共收到政府信息公开申请45件，较上年增加5件，增长15%。", "较上年增加5件，增长15%"),
    ("本年度共收到政府信息公开申请45件，较上年增加5件，下降12.5%。", "较上年增加5件，下降12.5%"),
    ("全年共收到政府信息公开申请45件，同比下降12.5%。", "同比下降12.5%"),
    ("全年共收到政府信息公开申请45件，与去年持平。", "与去年持平"),
    ("本年度比上年增加受理政府信息公开申请9件，共收到申请45件。", "本年度比上年增加受理政府信息公开申请9件"),
    ("本年度发生政府信息公开行政复议3件，比去年多3件。", "比去年多3件"),
    ("本年度未发生政府信息公开行政复议案件，较上年减少2件。", "较上年减少2件"),
])
def test_a_change_clause_that_contradicts_last_year_is_s08_quoting_it(sentence, quoted):
    found = _s08(sentence, values=NOW if "未发生" not in sentence else {})
    assert [f.rule for f in found] == ["S08"] and found[0].actual == quoted, [f.message for f in found]
    assert found[0].severity == RULE.severity == "warning"
    assert found[0].message.startswith(RULE.text("change", sentence=sentence.rstrip("。"), actual=quoted, what="")[:-6])
    assert "本年 " in found[0].message and "上年 " in found[0].message  # the two numbers the reader can compare


@pytest.mark.parametrize("sentence", [
    "本年度共收到政府信息公开申请45件，较上年增加6件。",
    "全年共收到政府信息公开申请45件，较2021年增加6件。",  # not last year: another comparison
    "全年共收到政府信息公开申请45件，环比增加6件。",
    "全年共收到政府信息公开申请45件，收取费用0.5万元，较上年增长30%。",  # a change of the fee, not of the requests
    "本年度共收到政府信息公开申请45件，全部依法答复，较上年增加6件。",  # a clause between: whose change? not guessed
])
def test_a_change_that_is_not_clearly_on_last_years_number_is_left_alone(sentence):
    if "较上年增加6件。" in sentence and "全部" not in sentence:
        assert _s08(sentence, last=None) == []  # last year unknown: skipped, silently
        assert _s08(sentence)  # (and with it, caught)
    else:
        assert _s08(sentence) == [], [f.message for f in _s08(sentence)]


def test_a_blank_or_invalid_number_either_year_is_not_compared():
    sentence = "本年度共收到政府信息公开申请45件，较上年增加6件。"
    for last in ({}, {"t3.new.total": None}, {"t3.new.total": "无"}, {"t3.new.total": -3}, {"t3.new.total": 2.5}):
        assert _s08(sentence, last={**last, "t3.carried_over.total": None}) == []


def _rounded(fraction: Fraction, decimals: int, mode) -> str:
    q = Decimal(1).scaleb(-decimals)
    return str((Decimal(fraction.numerator) / Decimal(fraction.denominator)).quantize(q, rounding=mode))


@settings(max_examples=300, deadline=None)
@given(last=st.integers(1, 5000), now=st.integers(0, 5000), decimals=st.sampled_from([0, 1, 2]),
       mode=st.sampled_from([ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN]))
def test_percentages_rounded_as_readers_round_them_fit_and_others_do_not(last, now, decimals, mode):
    if now == last:
        now += 1
    d = now - last
    up = d > 0
    true = Fraction(abs(d) * 100, last)

    def sentence(pct):
        return (f"本年度共收到政府信息公开申请{now}件，较上年{'增加' if up else '减少'}{abs(d)}件，"
                f"{'增长' if up else '下降'}{pct}%。")
    values, previous = {"t3.new.total": now, "t3.carried_over.total": 0}, {"t3.new.total": last,
                                                                          "t3.carried_over.total": 0}
    tenths = percent_tenths(d, last)  # the drafted paragraph's own
    for pct in (f"{tenths // 10}.{tenths % 10}", _rounded(true, decimals, mode)):
        assert _s08(sentence(pct), previous, values=values) == [], pct
    # two units of the last decimal off is no rounding of it
    unit = Fraction(1, 10 ** decimals)
    wrong = true + 2 * unit if true < 2 * unit or random.Random(now).random() < 0.5 else true - 2 * unit
    off = _rounded(wrong, decimals, ROUND_HALF_UP)
    assert [f.rule for f in _s08(sentence(off), previous, values=values)] == ["S08"], off


def test_check_compares_changes_with_last_year_given_or_carried(tmp_path):
    """check(filing, previous) and `check --previous`: the change clause is checked; without last year it is not."""
    values = random_valid_values(FMT, random.Random(5), scale=40, zero_share=0.0)
    values.update({k: 0 for k in values if k.startswith("t2.regulations.")})
    last = dict(values, **{"t3.new.total": values["t3.new.total"] - 4})  # 上年结转 the same: either reading, 4
    wrong = f"（二）依申请公开。本年度共收到政府信息公开申请{values['t3.new.total']}件，较上年增加7件。"
    narrative = {"overview": wrong, "problems": "问题：无。改进：加强。", "other": "未收取信息处理费。"}
    ret, prev = tmp_path / "返回表.xlsx", tmp_path / "上年" / "上年.xlsx"
    write_return(ret, values, narrative=narrative, year=2025)
    write_return(prev, last, year=2024)
    previous = Filing.from_values(FMT, last, identity={"unit": "测试区教育局", "year": "2024"})
    from nianbao.xlsx_read import read

    filing = read(ret)
    assert [f.actual for f in check(filing, previous) if f.rule == "S08"] == ["较上年增加7件"]
    assert not [f for f in check(filing) if f.rule == "S08"]
    r = CliRunner().invoke(main, ["check", str(ret), "--previous", str(prev)])
    assert "S08" in r.output and "较上年增加7件" in r.output, r.output
    r = CliRunner().invoke(main, ["check", str(ret)])
    assert "S08" not in r.output, r.output


def test_report_of_a_return_carrying_last_year_checks_a_hand_written_change(tmp_path):
    """The template carried last year: a drafted report is silent; a hand-written wrong change is S08 in report."""
    values = random_valid_values(FMT, random.Random(21), scale=40, zero_share=0.0)
    values.update({k: 0 for k in values if k.startswith("t2.regulations.")})
    last = consistent_last_year(FMT, values, **{"t3.new.total": values["t3.new.total"] + 4})
    previous = Filing.from_values(FMT, last, identity={"unit": "测试区教育局", "unit_code": "T01", "year": "2024"})
    identity = {"unit": "测试区教育局", "unit_code": "T01", "year": 2025}
    rest = {"problems": "问题：无。改进：加强。", "other": "未收取信息处理费。"}
    drafted = f"（二）依申请公开。{draft_numbers(FMT, values, last)}"
    assert "较上年减少4件" in drafted
    for name, overview, said in (("drafted", drafted, False),
                                 ("typed", drafted.replace("较上年减少4件", "较上年减少3件"), True)):
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(build_workbook(FMT, identity, values=values, narrative={"overview": overview, **rest},
                                        previous=previous))
        r = CliRunner().invoke(main, ["report", str(path), "--format", "md", "-o", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        assert ("S08" in r.output) == said and ("较上年减少3件" in r.output) == said, (name, r.output)


WORDS = ["本年度共收到政府信息公开申请", "行政复议", "行政诉讼", "较上年", "比去年", "同比", "与上年", "较2022年", "环比",
         "增加", "减少", "增长", "下降", "多", "少", "持平", "件", "%", "万元", "（", "）", "，", "。", "上年结转", "未收到",
         "0", "5", "12.5", "1,000", "100余"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=30), st.dictionaries(st.sampled_from(sorted(NOW)),
                                                                       st.one_of(st.none(), st.integers(-3, 60))))
def test_any_text_of_change_words_reads_without_failing(words, last):
    text = "".join(words)
    found = _s08(text, last)
    assert all(f.rule == "S08" and f.severity == "warning" and f.actual is not None for f in found), text
