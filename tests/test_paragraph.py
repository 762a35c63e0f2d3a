"""The drafted numbers paragraph (nianbao.paragraph): its wording, its validation on load, and S08's reading of it —
a narrative built with the drafted paragraph never contradicts the tables, nor, when last year is known, its change
clauses last year, on random filings of every layout (valid or not, with and without last year, all zeros, blanks),
while a number changed in it, or a last year other than the one it was drafted from, is caught."""
from __future__ import annotations

import copy
import html
import io
import random
import re
import zipfile

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.errors import FormatDefinitionError
from nianbao.filing import Filing
from nianbao.formats import _raw_definition, available_layouts, load_format
from nianbao.narrative_numbers import check_numbers_in_text
from nianbao.paragraph import change_keys, draft_numbers, load_paragraph
from nianbao.paragraph_xlsx import MAX_FORMULA, MAX_LITERAL, write_paragraph
from nianbao.sample_data import random_valid_values

LAYOUTS = available_layouts()  # 2019, 2021 and the import-only 2021-merged-other
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OTHER_TEXT = ["（一）主动公开。全年主动公开政府信息1234条。", "（二）依申请公开。统一受理、办理、答复流程。",
              "（三）政府信息管理。落实保密审查。", "全年受理网络问政182件，人大建议15件。"]


def _filing(fmt, values, overview):
    return Filing(fmt=fmt, identity={"unit": "示例区教育局", "year": fmt.first_year}, raw=values,
                  narrative={"overview": overview}, origin="import")


def _cell_value(draw, cell):
    kind = draw(st.sampled_from(["zero", "small", "large", "blank", "bad"]))
    if kind == "zero":
        return 0 if cell.type != "decimal" else 0.0
    if kind == "blank":
        return None
    if kind == "bad":
        return draw(st.sampled_from([-3, 2.5, "无", ""]))
    top = 30 if kind == "small" else 10**7
    if cell.type == "decimal":
        return draw(st.floats(min_value=0, max_value=top, allow_nan=False).map(lambda x: round(x, 4)))
    return draw(st.integers(min_value=-top if cell.type == "signed" else 0, max_value=top))


@st.composite
def fillings(draw, fmt):
    """Any filling at all: consistent or not, zeros, blanks, invalid cells (S08 must agree structurally)."""
    if draw(st.booleans()):
        values = random_valid_values(fmt, random.Random(draw(st.integers(0, 2**32 - 1))),
                                     scale=draw(st.sampled_from([3, 20, 5000])),
                                     zero_share=draw(st.sampled_from([0.0, 0.5, 0.95])))
    else:
        values = {k: _cell_value(draw, c) for k, c in fmt.cells.items()}
    return values


@pytest.mark.parametrize("layout", LAYOUTS)
@SETTINGS
@given(data=st.data())
def test_drafted_paragraph_never_raises_s08(layout, data):
    fmt = load_format(layout)
    values = data.draw(fillings(fmt))
    previous = data.draw(st.one_of(st.none(), fillings(fmt), fillings(load_format("2019"))))
    paragraph = draft_numbers(fmt, values, previous)
    assert paragraph.endswith("。") and "{" not in paragraph
    # the paragraph alone, as a paragraph of its own among other text, and run on after a sentence
    before, after = data.draw(st.lists(st.sampled_from(OTHER_TEXT), max_size=3)), \
        data.draw(st.lists(st.sampled_from(OTHER_TEXT), max_size=2))
    for overview in (paragraph, "\n".join(before + [paragraph] + after), "依申请公开方面。" + paragraph + "".join(after)):
        # with last year known the change clauses are checked too, against the same last year
        for last in (None, previous) if previous is not None else (None,):
            found = check_numbers_in_text(_filing(fmt, values, overview), last)
            assert found == [], (overview, [f.message for f in found])


@pytest.mark.parametrize("layout", ["2021", "2019"])
@pytest.mark.parametrize("key", ["t3.new.total", "t3.carried_over.total", "t3.total.total", "t3.carry_forward.total",
                                 "t4.review.total", "t4.review.upheld", "t4.litigation_direct.total",
                                 "t2.normative_docs.issued", "t2.normative_docs.repealed", "t2.normative_docs.in_force",
                                 "t2.regulations.issued"])
def test_a_number_changed_in_the_paragraph_is_caught_by_s08(layout, key):
    """S08 really reads every count the paragraph quotes: the agreement above is not S08 looking away."""
    fmt = load_format(layout)
    if key not in fmt.cells:
        pytest.skip(f"{layout} has no {key}")
    values = random_valid_values(fmt, random.Random(7), scale=50, zero_share=0.0)
    wrong = dict(values, **{key: values[key] + 7})
    found = check_numbers_in_text(_filing(fmt, values, draft_numbers(fmt, wrong)))
    assert values[key] + 7 in [f.actual for f in found], [f.message for f in found]  # (and a sum that holds it)


CHANGED = [k for k in change_keys(load_format("2021")) if load_format("2021").cells[k].type == "count"]


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), key=st.sampled_from(CHANGED), change=st.integers(-60, 60).filter(bool),
       other=st.integers(-9, 9).filter(bool), zero_share=st.sampled_from([0.0, 0.5, 0.95]))
def test_a_change_clause_drafted_from_another_last_year_is_caught_by_s08(seed, key, change, other, zero_share):
    """S08 really reads the change clauses with last year: drafted against last year, nothing; against a last year
    that had `other` more of the number, the clause says the wrong difference, and S08 quotes it."""
    fmt = load_format("2021")
    values = random_valid_values(fmt, random.Random(seed), scale=40, zero_share=zero_share)
    last = dict(values, **{key: max(values[key] - change, 0)})  # the cells of other readings: the same both years
    if last[key] + other < 0 or last[key] == values[key]:
        other, last[key] = abs(other), values[key] + 1  # "与上年持平" fits a reading that left the number out
    text = draft_numbers(fmt, values, last)
    assert check_numbers_in_text(_filing(fmt, values, text), last) == []
    found = check_numbers_in_text(_filing(fmt, values, text), dict(last, **{key: last[key] + other}))
    assert [f.rule for f in found] == ["S08"] and "较上年" in found[0].actual, (text, [f.message for f in found])
    assert found[0].expected == values[key] - last[key] - other, found[0].message


def _par(fmt, **changes):
    values = {k: 0 for k in fmt.cells}
    values.update(changes)
    return values


def test_wording_of_numbers_zeros_and_changes():
    fmt = load_format("2021")
    v = _par(fmt, **{"t3.new.total": 45, "t3.carried_over.total": 3, "t3.total.total": 40, "t3.granted.total": 40,
                     "t3.carry_forward.total": 8, "t2.fees.amount": 0.12345, "t2.normative_docs.in_force": 12})
    text = draft_numbers(fmt, v, {"t3.new.total": 40, "t2.fees.amount": 0.5})
    assert text.startswith("本年度共收到政府信息公开申请45件，较上年增加5件，增长12.5%，上年结转3件。")
    assert "本年度办结政府信息公开申请40件，其中予以公开40件，部分公开0件，" in text
    assert "，结转下年度继续办理8件。" in text
    assert "本年度未发生政府信息公开行政复议案件。未发生政府信息公开行政诉讼案件。" in text
    assert "本年度未制发行政规范性文件，未废止行政规范性文件，现行有效12件。" in text
    assert "规章" not in text  # no 规章 at all: nothing said
    # an amount: at most 4 decimals (rounded half up), no trailing zeros; its change in 万元
    assert text.endswith("本年度行政事业性收费金额0.1235万元，较上年减少0.3765万元，下降75.3%。")
    # last year unknown, the same, from 0; decreases
    assert "较上年" not in draft_numbers(fmt, v) and "持平" not in draft_numbers(fmt, v)
    assert "申请45件，与上年持平，" in draft_numbers(fmt, v, {"t3.new.total": 45})
    assert "申请45件，较上年增加45件（上年为0），" in draft_numbers(fmt, v, {"t3.new.total": 0})
    assert "申请45件，较上年减少15件，下降25.0%，" in draft_numbers(fmt, v, {"t3.new.total": 60})
    assert "申请45件，较上年增加2件，增长4.7%，" in draft_numbers(fmt, v, {"t3.new.total": 43})  # 4.651… → 4.7
    assert "金额2万元" in draft_numbers(fmt, dict(v, **{"t2.fees.amount": 2.0}))


def test_wording_when_nothing_happened_and_when_blank():
    fmt = load_format("2021")
    assert draft_numbers(fmt, _par(fmt)) == (
        "本年度未收到政府信息公开申请，无上年结转的申请。本年度未发生政府信息公开行政复议案件。未发生政府信息公开行政诉讼案件。"
        "本年度未制发、废止行政规范性文件，无现行有效的行政规范性文件。本年度未收取行政事业性收费。")
    assert draft_numbers(fmt, _par(fmt), {"t3.new.total": 4}).startswith(
        "本年度未收到政府信息公开申请，较上年减少4件，下降100.0%，无上年结转的申请。")
    blank = fmt.paragraph.blank
    text = draft_numbers(fmt, {})
    assert text.startswith(f"本年度共收到政府信息公开申请{blank}件，上年结转{blank}件。")
    assert "本年度未" not in text  # a blank is not a zero
    # one blank cell among the eight 不予公开 rows: their sum waits too, the rest is drafted
    v = _par(fmt, **{"t3.denied_law.total": None, "t3.new.total": 2, "t3.total.total": 2, "t3.granted.total": 2})
    assert f"不予公开{blank}件" in draft_numbers(fmt, v) and "予以公开2件" in draft_numbers(fmt, v)


def test_layouts_word_their_own_tables():
    f19, merged = load_format("2019"), load_format("2021-merged-other")
    v = _par(f19, **{"t3.other.total": 3, "t3.total.total": 3, "t3.new.total": 3,
                     "t2_2019.normative_docs.new_made": 2})
    assert "其他处理3件" in draft_numbers(f19, v) and "新制作规范性文件2件" in draft_numbers(f19, v)
    assert "收费" not in draft_numbers(f19, v)
    assert "其他处理3件" in draft_numbers(merged, _par(merged, **{"t3.other.total": 3, "t3.total.total": 3}))
    assert change_keys(load_format("2021")) == ["t3.new.total", "t4.review.total", "t4.litigation_direct.total",
                                                "t4.litigation_after_review.total", "t2.fees.amount"]


def test_review_and_litigation_say_their_change_and_s08_reads_it_as_one():
    fmt = load_format("2021")
    v = _par(fmt, **{"t4.review.total": 3, "t4.review.upheld": 3, "t4.litigation_direct.total": 2,
                     "t4.litigation_direct.pending": 2})
    last = {"t4.review.total": 1, "t4.litigation_direct.total": 1, "t4.litigation_after_review.total": 3}
    text = draft_numbers(fmt, v, last)
    assert "本年度发生政府信息公开行政复议3件，较上年增加2件，增长200.0%，其中结果维持3件，" in text
    assert "发生政府信息公开行政诉讼2件，较上年减少2件，下降50.0%，其中未经复议直接起诉2件，" in text
    assert "本年度未发生政府信息公开行政复议案件，较上年减少1件，下降100.0%。" in draft_numbers(fmt, _par(fmt), last)
    assert check_numbers_in_text(_filing(fmt, v, text)) == []
    # the count itself is still read: a wrong one beside a change clause is caught, the clause's number is not
    wrong = text.replace("行政复议3件", "行政复议4件")
    assert [f.actual for f in check_numbers_in_text(_filing(fmt, v, wrong))] == [4]


@pytest.mark.parametrize("sentence", [
    "全年共收到政府信息公开申请45件，较上年增加5件，增长12.5%。",
    "全年共收到政府信息公开申请45件，同比减少3件。",
    "本年度发生政府信息公开行政复议3件，比去年多2件。",
    "行政诉讼2件，较2022年减少了4件。",
    "本年度比上年增加受理政府信息公开申请5件，共收到申请45件。",
    "制发行政规范性文件3件，比上年增加1件。",
])
def test_s08_reads_a_change_clause_of_a_real_report_as_a_difference(sentence):
    fmt = load_format("2021")
    v = _par(fmt, **{"t3.new.total": 45, "t4.review.total": 3, "t4.litigation_direct.total": 2,
                     "t2.normative_docs.issued": 3})
    assert check_numbers_in_text(_filing(fmt, v, sentence)) == []
    # the same sentence with the count wrong is still caught
    wrong = re.sub(r"(申请|复议|诉讼|文件)(45|3|2)件", lambda m: f"{m.group(1)}{int(m.group(2)) + 10}件", sentence, count=1)
    assert wrong != sentence and check_numbers_in_text(_filing(fmt, v, wrong)), wrong


def _definition(layout="2021"):
    fmt = load_format(layout)
    return fmt, copy.deepcopy(_raw_definition(layout))


@pytest.mark.parametrize("mutate, words", [
    (lambda d: d["sentences"][0]["parts"][0].update(text="收到{t3.new.nonsense}件"), "unknown key"),
    (lambda d: d["sentences"][0]["parts"][0].update(text="收到{t9.new.total}件"), "cannot read"),
    (lambda d: d["sentences"][1]["parts"][1].update(when=["t3.granted..new.total"]), "bad row range"),
    (lambda d: d["sentences"][0]["parts"][0].update(zero=""), "first part"),
    (lambda d: d["paragraph"]["change"].update(up="增加{diff}{percent}"), "unknown fields"),
    (lambda d: d["paragraph"].update(at="A41:B"), "bad cell"),
    (lambda d: d["sentences"].append(dict(d["sentences"][0])), "defined twice"),
    (lambda d: d["sentences"][6]["parts"][0].update(text="{t2.fees.amount + t2.fees.amount}"), "one amount"),
])
def test_a_bad_sentence_is_a_load_error(mutate, words):
    fmt, data = _definition()
    mutate(data)
    with pytest.raises(FormatDefinitionError, match=words):
        load_paragraph(data, fmt.cells, fmt.tables)


EXCEL_2010 = {"IF", "AND", "ISNUMBER", "INT", "SUM", "ROUND", "MOD", "ABS", "TEXT"}


@pytest.mark.parametrize("layout", ["2021", "2019"])
def test_live_formulas_use_excel_2010_functions_within_excel_limits(layout):
    fmt = load_format(layout)
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet(fmt.workbook["narrative"])
    wb.add_worksheet("上年")
    write_paragraph(wb, ws, fmt, None, {k: f"'上年'!A{i + 1}" for i, k in enumerate(fmt.cells)})
    wb.close()
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    formulas = [html.unescape(f) for f in re.findall(r"<f>(.*?)</f>", xml)]
    assert len(formulas) > len(fmt.paragraph.sentences)
    for f in formulas:
        assert len(f) + 1 <= MAX_FORMULA
        literals = re.findall(r'"((?:[^"]|"")*)"', f)
        assert all(len(x.replace('""', '"')) <= MAX_LITERAL for x in literals)
        assert set(re.findall(r"([A-Z][A-Z0-9.]*)\(", re.sub(r'"(?:[^"]|"")*"', '""', f))) <= EXCEL_2010, f
