"""Who published a report, and for which year: from the title (the page's own title or the first lines), else the
page's 发布机构/来源 line, the preamble ("本报告由……编制", "……根据《中华人民共和国政府信息公开条例》"), or the signature
under the last part (the unit's name above the date). The year from the title, else the statistics period."""
from __future__ import annotations

import re

from .document import Doc, plain

_NAME = r"[\u4e00-\u9fff（）()·]"
_WORDS = r"(?:政府信息公开|政务公开)(?:工作)?"
_REPORT = r"(?:年度?报告|年报|报告)"
_YEAR = r"(?P<year>(?:19|20)\d{2})\s*年度?"
_UNIT = rf"(?P<unit>{_NAME}{{2,60}}?)"
# the title's forms, the common one first: X2023年政府信息公开工作年度报告, X政府信息公开工作2023年度报告,
# X政府信息公开工作年度报告（2023年）, 2023年X政府信息公开工作年度报告
_TITLES = (re.compile(rf"{_UNIT}(?:关于)?(?:公布|发布|报送|印发)?{_YEAR}{_WORDS}{_REPORT}"),
           re.compile(rf"{_UNIT}{_WORDS}{_YEAR}{_REPORT}"),
           re.compile(rf"{_UNIT}{_WORDS}{_REPORT}[（(]{_YEAR}[）)]"),
           re.compile(rf"{_YEAR}{_UNIT}{_WORDS}{_REPORT}"))
_YEAR_TITLE = re.compile(rf"{_YEAR}{_WORDS}{_REPORT}|{_WORDS}(?P<y2>(?:19|20)\d{{2}})\s*年度?{_REPORT}")
# a year in Chinese numerals, as official titles print it: 二〇二三年, 二○二三年, 二零二三年
_CHINESE_YEAR = re.compile(r"[一二][〇○零Ｏ一二三四五六七八九]{3}(?=\s*年)")
_CHINESE_DIGITS = str.maketrans("〇○零Ｏ一二三四五六七八九", "0000123456789")
_PERIOD = re.compile(r"((?:19|20)\d{2})年1月1日")
# what a unit's name ends with: a government, a department, an office, a committee …
_ORGAN = re.compile(rf"^{_NAME}{{2,40}}(?:人民政府|政府|办公室|办公厅|委员会|管理委员会|管委会|局|委|办|厅|院|署|会|中心|"
                    r"处|所|站|队|部|街道办事处|街道|镇|乡|社|馆|集团|公司|省|市|区|县|州|旗|盟)$")
_FROM_PAGE = re.compile(rf"(?:发布机构|发文机关|发布单位|信息来源|来源|发布者)\s*[:：]\s*({_NAME}{{2,40}})")
_PREAMBLE = (re.compile(rf"本报告由({_NAME}{{2,40}}?)(?:编制|发布|制作|负责)"),
             re.compile(rf"(?:^|[。\n])\s*({_NAME}{{2,40}}?)(?:根据|依据|按照)《中华人民共和国政府信息公开条例》"))
_CHROME = re.compile(r"^(?:标题|题目|当前位置|您的位置|正文|关于(?:公布|发布|报送|印发)?)")
# the preamble's own announcement of the title: "……规定，现公布X2021年政府信息公开工作年度报告"
_ANNOUNCE = re.compile(r"^(?:(?:现予?|特|兹|现向社会|特此)(?:公布|发布|公开|印发|报送)|现将)")
_PATH = re.compile(r".*(?:首页|年报|年度报告|信息公开目录|政务公开)")  # a site's breadcrumb run into the title
_DATE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")


def organ(name: str | None) -> str | None:
    """The name, when it reads as a unit's name (not a phrase such as 本机关 or 我局)."""
    if not name:
        return None
    name = _CHROME.sub("", _PATH.sub("", name.strip()))
    if name.startswith(("本", "我", "各", "全")) or not _ORGAN.match(name):
        return None
    return name


def _signature(doc: Doc) -> str | None:
    lines = [ln.strip() for ln in plain(doc.text[-600:]).split("\n") if ln.strip()]
    for i in range(len(lines) - 1, 0, -1):
        if _DATE.match(re.sub(r"\s+", "", lines[i])):
            return organ(re.sub(r"\s+", "", lines[i - 1]))
    return None


def _flat(text: str) -> str:
    """The text without white space, a year in Chinese numerals written in digits."""
    return _CHINESE_YEAR.sub(lambda m: m.group().translate(_CHINESE_DIGITS), re.sub(r"\s+", "", text))


def _title(text: str):
    flat = _flat(text)
    return next(filter(None, (t.search(flat) for t in _TITLES)), None)


def names_a_report(text: str) -> bool:
    """Whether the text reads as an annual report's title (with or without the unit's name): a page's <title> or
    heading is taken as the report's title by this."""
    return bool(_title(text) or _YEAR_TITLE.search(_flat(text)))


def read_identity(doc: Doc, preamble_end: int) -> dict:
    """Unit and year, and where the unit's name was read (identity["unit_from"])."""
    ident: dict = {"unit": None, "unit_code": None, "year": None}
    head = plain(doc.text[:max(preamble_end, 0) or 3000])
    titled, title_from = None, "标题"
    for text in (doc.title or "", head):
        m = _title(text)
        if m:
            ident["year"] = int(m.group("year"))
            titled = _CHROME.sub("", m.group("unit"))
            announced = _ANNOUNCE.match(titled)
            if announced:  # the title quoted in the preamble (pandoc drops a docx's title)
                titled, title_from = titled[announced.end():], "正文开头"
            titled = titled or None
            if organ(titled):
                ident["unit"], ident["unit_from"] = organ(titled), title_from
            break
    if ident["unit"] is None:
        flat = re.sub(r"[ \t\u3000]+", "", head)
        tries = [("发布机构", m.group(1)) for m in _FROM_PAGE.finditer(flat)]
        tries += [("正文开头", m.group(1)) for p in _PREAMBLE for m in p.finditer(flat)]
        tries.append(("落款", _signature(doc)))
        for where, name in tries:
            if organ(name):
                ident["unit"], ident["unit_from"] = organ(name), where
                break
        else:
            if titled:  # a title's words that do not read as a unit's name, as a last resort
                ident["unit"], ident["unit_from"] = titled, title_from
    if ident["year"] is None:  # a title without the unit's name
        m = next(filter(None, (_YEAR_TITLE.search(_flat(t)) for t in (doc.title or "", head))), None)
        if m:
            ident["year"] = int(m.group("year") or m.group("y2"))
    if ident["year"] is None:
        m = _PERIOD.search(re.sub(r"\s+", "", head))
        if m:
            ident["year"] = int(m.group(1))
    if doc.published:
        ident["published"] = doc.published
    return ident
