"""A report's narrative sections (一、五、六) read from a Markdown file or a Word document.

The sections are found by their headings (`## 一、总体情况` in Markdown; a paragraph holding the heading in Word).
A heading matches its section exactly, or by its ordinal (一、…) when the wording varies, e.g. the real-world
“五、存在的主要问题及整改措施”. Text under the table sections (二、三、四) and before the first heading is ignored: the
preamble is generated and the tables come from the numbers. Each line (Markdown) or paragraph (Word) is one
paragraph of the result, the sections' texts joined by "\n" like `Filing.narrative`.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..errors import NianbaoError
from ..formats import ReportFormat, normalize_label

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")
_ORDINAL = re.compile(r"^([一二三四五六七八九十]+)[、.．]")


def _clean(text: str) -> str:
    return normalize_label(text).rstrip("。：:；;.")


def match_section(text: str, fmt: ReportFormat, loose: bool = True):
    """The section a heading names, or None. `loose`: a heading that keeps the ordinal but varies the words."""
    t = _clean(text)
    if not t:
        return None
    for s in fmt.sections:
        if t == _clean(s.heading):
            return s
    m = _ORDINAL.match(t)
    if loose and m:
        for s in fmt.sections:
            if _ORDINAL.match(s.heading).group(1) == m.group(1):
                return s
    return None


class _Collector:
    def __init__(self, fmt: ReportFormat):
        self.fmt = fmt
        self.sections: dict[str, list[str]] = {}
        self.current = None  # the section being read; None before the first heading
        self.front: list[str] = []  # paragraphs before the first heading (the title lives there)

    def heading(self, section):
        self.current = section
        if section.kind == "narrative":
            self.sections.setdefault(section.id, [])

    def text(self, line: str):
        line = line.strip()
        if not line:
            return
        if self.current is None:
            self.front.append(line)
        elif self.current.kind == "narrative":
            self.sections[self.current.id].append(line)

    def result(self, source) -> tuple[dict, str | None]:
        if self.current is None:
            wanted = "、".join(s.heading for s in self.fmt.narrative_sections)
            raise NianbaoError(f"{source} 中没有找到报告正文的章节标题（应有：{wanted}）")
        return {k: "\n".join(v) for k, v in self.sections.items()}, self._title()

    def _title(self) -> str | None:
        """The leading lines up to the one that ends like the definition's title (“…年政府信息公开工作年度报告”)."""
        suffix = re.split(r"\{year\}", self.fmt.title)[-1]
        lines = []
        for line in self.front:
            lines.append(line.lstrip("# ").strip())
            if normalize_label(line).endswith(normalize_label(suffix)):
                return "".join(lines)
        return None


def parse_markdown(text: str, fmt: ReportFormat, source="Markdown") -> tuple[dict, str | None]:
    c = _Collector(fmt)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)  # comments are notes to the writer
    for raw in text.splitlines():
        m = _MD_HEADING.match(raw.strip())
        if m:
            level, words = len(m.group(1)), _MD_ESCAPE.sub(r"\1", m.group(2))
            section = match_section(words, fmt) if level <= 2 else None
            if section is not None:
                c.heading(section)
                continue
            if level == 1 and c.current is None:
                c.text("# " + words)  # the title
                continue
            raw = words  # a lower heading (### （一）…) is a paragraph of its section
        line = raw.strip()
        if line.startswith("|") or line.startswith(">"):
            continue  # a table (the tables come from the numbers) or the draft banner of a rendered report
        c.text(_MD_ESCAPE.sub(r"\1", line))
    return c.result(source)


def parse_docx(path: Path, fmt: ReportFormat) -> tuple[dict, str | None]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise NianbaoError(f"{path} 不是可读的 Word 文档（.docx）：{e}") from None
    c = _Collector(fmt)
    for p in d.paragraphs:  # body paragraphs only: text in tables is the tables'
        text = p.text
        style = (p.style.name if p.style is not None else "").lower()
        is_heading = style.startswith(("heading", "title", "标题"))
        # a heading is a paragraph that is exactly a section heading; a varied wording counts when the paragraph
        # is styled as a heading, or is short and names a later section (so “一、…” inside a section is text)
        section = match_section(text, fmt, loose=False)
        if section is None and (is_heading or len(_clean(text)) <= 20):
            later = match_section(text, fmt)
            order = [s.id for s in fmt.sections]
            if later is not None and (is_heading or c.current is None
                                      or order.index(later.id) > order.index(c.current.id)):
                section = later
        if section is not None:
            c.heading(section)
        else:
            c.text(text)
    return c.result(path)


def read_narrative(path, fmt: ReportFormat) -> tuple[dict, str | None]:
    """({section id: text}, the title if the file has one) from a .md/.markdown/.txt or .docx file."""
    path = Path(path)
    if not path.is_file():
        raise NianbaoError(f"找不到正文文件 {path}")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return parse_docx(path, fmt)
    if suffix in (".md", ".markdown", ".txt"):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = path.read_text(encoding="gb18030")  # saved by a Chinese Windows editor
            except UnicodeDecodeError:
                raise NianbaoError(f"{path} 不是 UTF-8 或 GB18030 编码的文本文件") from None
        return parse_markdown(text, fmt, path)
    raise NianbaoError(f"正文文件 {path} 应为 Markdown（.md）或 Word（.docx）文件")
