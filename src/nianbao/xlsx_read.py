"""Returned workbooks → Filing. Reads what the department typed, never what a formula computed.

Cell values of .xlsx/.xlsm/.xls/.ods come from python-calamine. A zip container is first inflated under the limits
of nianbao.limits (members carrying a DTD are refused) and calamine reads those checked members, never the file's
own zip headers; the XML parsed here (workbook.xml, its relationships, the custom properties) goes through defusedxml
with DTDs, entities and external references forbidden.
"""
from __future__ import annotations

import functools
import hashlib
import io
import operator
import posixpath
import re
from pathlib import Path

from defusedxml import ElementTree as SafeET

from . import identity as ident
from .last_year import check_stamped_cells, check_value_rows, stamped_filing, value_rows
from .errors import NianbaoError, UnreadableFile
from .filing import Filing, Finding
from .formats import (DEFAULT_LAYOUT, ReportFormat, available_layouts, col_letters, load_format, normalize_label,
                      parse_cell)
from .limits import LIMITS, BoundedZip, Limits, read_bounded, repack

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml(data: bytes):
    return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)


_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f(?=[\s>/])")
_FORMULA_UNPREFIXED = re.compile(rb"<f(?=[\s>/])")  # a literal start: re scans for it at C speed
_PREFIXED_F = re.compile(rb":f[\s>/]")  # an <x:f> somewhere: only then the general pattern
_CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br=\"([A-Z]{1,3}[0-9]{1,7})\"")
_FORMULA_TEXT = re.compile(rb"[^>]*?(?:/>|>([^<]*)<)")


def formulas_in(sheet_xml: bytes) -> dict[str, str]:
    """{cell: formula} of a worksheet part. Values come from calamine, which gives a formula's cached result;
    this finds the cells whose content is a formula, so that no computed value is taken for typed input."""
    from html import unescape  # XML's five entities and numeric references (openpyxl writes 他 as &#20182;)

    out = {}
    for m in (_FORMULA if _PREFIXED_F.search(sheet_xml) else _FORMULA_UNPREFIXED).finditer(sheet_xml):
        cell = None
        for cell in _CELL_START.finditer(sheet_xml, max(0, m.start() - 400), m.start()):
            pass  # the last cell start before the formula is its cell
        if cell is None:
            continue
        t = _FORMULA_TEXT.match(sheet_xml, m.end())
        text = t.group(1) if t and t.group(1) else b""
        out[cell.group(1).decode()] = unescape(text.decode("utf-8", "replace")) or "（共享公式）"
    return out


# What a return's reading inflates of an .xlsx: the structure first (to know which sheet is which), then what
# calamine reads (its package relationships, the workbook parts under xl/, the sheets that may be read). Themes,
# pictures, printer settings and document properties are never needed for the values; the template's instructions
# and its flag sheet are never read at all (inflating them would cost a third of the time).
_STRUCTURE = ("mimetype", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")
_NOT_FOR_VALUES = ("xl/theme/", "xl/media/", "xl/printerSettings/", "xl/drawings/", "xl/vbaProject", "xl/embeddings/",
                   "xl/externalLinks/", "xl/calcChain.xml", "xl/persons/", "xl/threadedComments/")
# the sheets it reads (the same names in every layout); any other sheet (a renamed table, the summary's breakdown)
# is inflated when it is asked for, and the template's instructions and flag sheet never are
_READ_FIRST = frozenset([t.sheet for t in load_format(DEFAULT_LAYOUT).tables.values()] + [
    load_format(DEFAULT_LAYOUT).workbook[k] for k in ("narrative", "results", "identity")])
# what last year's reading needs (read_tables): the numbers and who sent them
NUMBERS_FIRST = frozenset([t.sheet for t in load_format(DEFAULT_LAYOUT).tables.values()] + [
    load_format(DEFAULT_LAYOUT).workbook["identity"]])


class Content(tuple):
    """(value, formula): what a cell holds; formula is None for a typed value."""

    __slots__ = ()  # built as Content((value, formula)): tuple's own constructor, no Python-level __new__

    value = property(operator.itemgetter(0))
    formula = property(operator.itemgetter(1))


_STRUCTURES: dict[tuple[bytes, bytes], dict[str, str]] = {}
_ref = functools.lru_cache(maxsize=4096)(parse_cell)  # the same few hundred cell references in every return


class Book:
    """The sheets of a workbook file, read on demand.

    Cell values of .xlsx/.xlsm/.xls/.ods come from python-calamine (Rust, ~10× faster than parsing the sheet XML
    in Python). For zip containers the members are inflated under the limits and refused if they carry a DTD
    (nianbao.limits.BoundedZip), so calamine only ever sees bounded, DTD-free XML, repacked: never the file's own
    zip headers. The parts this module parses itself (workbook.xml, its relationships, the custom properties) go
    through defusedxml. A member that is never inflated is never parsed by anything.
    """

    def __init__(self, path: Path, limits: Limits = LIMITS, first: frozenset = _READ_FIRST):
        self.path = path
        self.limits = limits
        self._grids: dict[str, list[list]] = {}
        self._formulas: dict[str, dict[str, str]] = {}
        self._cache: dict[str, dict[str, Content]] = {}
        self.members: dict[str, bytes] = {}
        self.sheet_paths: dict[str, str] = {}
        self.kind = "xlsx"
        self._zip: BoundedZip | None = None
        data = read_bounded(path, limits, "工作簿")
        self.data = data
        self.sha256 = hashlib.sha256(data).hexdigest()  # of the file as received, for the register
        head = data[:8]
        if head.startswith(OLE_MAGIC):
            if "EncryptionInfo".encode("utf-16-le") in data:
                raise UnreadableFile("工作簿设置了打开密码（已加密），无法读取。请在 Excel/WPS 中打开，"
                                     "在“文件→信息→保护工作簿→用密码进行加密”（WPS：“文件→文档加密”）中清除密码后另存，再重新提交")
            self.kind = "xls"
            self._open_calamine()
            return
        if not head.startswith(b"PK"):
            raise UnreadableFile("不是 Excel 工作簿（文件内容不是 xlsx/xls/ods 格式，可能是改了扩展名的其他文件）")
        self._zip = z = BoundedZip(data, limits)
        self.members = z.inflate(lambda n: n in _STRUCTURE)
        if b"opendocument.spreadsheet" in self.members.get("mimetype", b""):
            self.kind = "ods"
            self.members = z.inflate()
            self.data = repack(self.members)
        elif "xl/workbook.xml" not in self.members:
            raise UnreadableFile("压缩包中没有工作簿内容（xl/workbook.xml），不是 Excel 工作簿")
        else:
            self._read_structure()
            skip = {p for n, p in self.sheet_paths.items() if n not in first} | set(self.members)
            self.members.update(z.inflate(lambda n: n == "_rels/.rels" or (
                n.startswith("xl/") and not n.startswith(_NOT_FOR_VALUES) and n not in skip)))
            # calamine reads the members as inflated and checked, never the original: a header that lies about a
            # member's size cannot make it inflate more than was bounded
            self.data = repack(self.members)
        self._open_calamine()

    def part(self, name: str) -> bytes | None:
        """A member of the zip that reading the values does not need (document properties), inflated when asked."""
        if name not in self.members and self._zip is not None and name in self._zip.names:
            self.members.update(self._zip.inflate(lambda n: n == name))
        return self.members.get(name)

    def complete(self) -> bytes:
        """Every member, bounded and checked, in a fresh zip: for a library that edits the whole workbook."""
        if self._zip is None:
            return self.data
        return repack(self._zip.inflate())

    def _member(self, name: str) -> bytes:
        data = self.members.get(name)
        if data is None:
            raise UnreadableFile(f"工作簿缺少部件 {name}")
        return data

    def _parse(self, name: str, data: bytes | None = None):
        try:
            return _xml(self._member(name) if data is None else data)
        except UnreadableFile:
            raise
        except SafeET.ParseError as e:
            raise UnreadableFile(f"工作簿部件 {name} 已损坏（XML 错误：{e}）") from None
        except Exception as e:  # defusedxml's DTD/entity refusals and anything else malformed
            raise UnreadableFile(f"工作簿部件 {name} 含有不允许的内容（{type(e).__name__}），已拒绝读取") from None

    def _read_structure(self):
        """Which part holds which sheet: from workbook.xml and its relationships (the same two parts in every return
        made from one template, so worked out once per process for each distinct pair)."""
        key = (self.members["xl/workbook.xml"], self.members.get("xl/_rels/workbook.xml.rels", b""))
        known = _STRUCTURES.get(key)
        if known is None:
            wb = self._parse("xl/workbook.xml")
            rels, known = {}, {}
            if key[1]:
                for r in self._parse("xl/_rels/workbook.xml.rels"):
                    target = r.get("Target", "")
                    path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
                    rels[r.get("Id")] = posixpath.normpath(path)
            for el in wb.iter():
                if _local(el.tag) == "sheet":
                    rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
                    known[el.get("name", "")] = rels.get(rid, "")
            if len(_STRUCTURES) >= 64:
                _STRUCTURES.clear()
            _STRUCTURES[key] = known
        self.sheet_paths = dict(known)

    @functools.cached_property
    def custom(self) -> dict[str, str]:
        """The custom document properties (the identity's second copy; read only when the hidden sheet is gone)."""
        out = {}
        try:
            data = self.part("docProps/custom.xml")
            if data:
                for prop in self._parse("docProps/custom.xml", data):
                    val = next(iter(prop), None)
                    out[prop.get("name", "")] = (val.text or "") if val is not None else ""
        except UnreadableFile:
            pass
        return out

    def _open_calamine(self):
        from python_calamine import CalamineWorkbook

        try:
            self._cal = CalamineWorkbook.from_filelike(io.BytesIO(self.data))
            self.sheets = list(self._cal.sheet_names)
        except Exception as e:
            if self.kind == "xls":  # calamine cannot tell a damaged .xls from one with a password to open
                raise UnreadableFile(f"无法读取 .xls 工作簿（{e}）：文件已损坏，或设置了打开密码（已加密）。请在 Excel/WPS "
                                     "中打开，清除密码后另存为 .xlsx，再重新提交") from None
            raise UnreadableFile(f"无法读取工作簿：{e}") from None

    def _ensure(self, sheet: str):
        """Inflate a sheet that was left out at first (not one a return's reading reads), and show it to calamine."""
        part = self.sheet_paths.get(sheet)
        if part and part not in self.members and self._zip is not None and part in self._zip.names:
            self.members.update(self._zip.inflate(lambda n: n == part))
            self.data = repack(self.members)
            self._open_calamine()

    def rows(self, sheet: str) -> list[list]:
        """The sheet's values as rows from A1 (calamine's "" for empty)."""
        grid = self._grids.get(sheet)
        if grid is None:
            self._ensure(sheet)
            try:
                grid = self._cal.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as e:
                raise UnreadableFile(f"工作簿已损坏，无法读取工作表“{sheet}”（{e}）；请重新保存后提交") from None
            self._grids[sheet] = grid
        return grid

    def formulas(self, sheet: str) -> dict[str, str]:
        """{cell: formula} of the sheet's cells whose content is a formula."""
        found = self._formulas.get(sheet)
        if found is None:
            self._ensure(sheet)
            member = self.members.get(self.sheet_paths.get(sheet, ""))
            found = self._formulas[sheet] = formulas_in(member) if member else {}
        return found

    def values(self, sheet: str, refs) -> list:
        """The typed or cached value of each of these cells (None for an empty one; whole numbers as int): look-ups
        in the sheet's rows, so that reading the 200 number cells and the labels of a return builds no dict of
        every cell. Which of them hold a formula is formulas()'s to say."""
        rows = self.rows(sheet)
        height, out = len(rows), []
        for ref in refs:
            r, c = _ref(ref) if ref.__class__ is str else ref  # "D5" or (row, column) from zero
            v = rows[r][c] if r < height and c < len(rows[r]) else None
            if v.__class__ is float and v.is_integer() and abs(v) < 2**53:
                v = int(v)
            out.append(None if v == "" else v)
        return out

    def cells(self, sheet: str) -> dict[str, Content]:
        """{"D5": Content(value, formula)} of every non-empty cell: for searching a sheet (a label moved, a sheet
        renamed) and for the roster."""
        if sheet not in self._cache:
            self._cache[sheet] = self._read_sheet(sheet)
        return self._cache[sheet]

    def may_hold(self, sheet: str, column: str, first_row: int = 1) -> bool:
        """False only when the sheet's XML has no cell with content in the column from first_row down (every such
        cell an empty <c …/>): then reading the sheet can be skipped. True whenever in doubt."""
        self._ensure(sheet)
        member = self.members.get(self.sheet_paths.get(sheet, ""))
        if not member:
            return True
        for m in re.finditer(rb'r="' + column.encode() + rb'([0-9]+)"[^>]*>', member):  # a literal start, scanned fast
            if member[m.start() - 1] in b" \t\r\n" and member[m.end() - 2] != 0x2F and int(m.group(1)) >= first_row:
                return True  # the r attribute of a cell that is not "<c …/>": it has content
        return False

    def value(self, rows: list[list], ref: str):
        r, c = _ref(ref)
        v = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
        return None if v == "" else v

    def _read_sheet(self, sheet: str) -> dict[str, Content]:
        out: dict[str, Content] = {}
        rows = self.rows(sheet)
        letters = _letters(max((len(r) for r in rows), default=0))
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                if v != "" and v is not None:
                    if v.__class__ is float and v.is_integer() and abs(v) < 2**53:
                        v = int(v)
                    out[f"{letters[c]}{r}"] = Content((v, None))
        for ref, formula in self.formulas(sheet).items():
            out[ref] = Content((out[ref][0] if ref in out else None, formula))
        return out


@functools.lru_cache(maxsize=8)
def _letters(n: int) -> tuple[str, ...]:
    return tuple(col_letters(c) for c in range(n))


# ------------------------------------------------------------------------------------------ identity and layout
def read_identity(book: Book, fmt_hint: ReportFormat | None = None) -> dict:
    """The stamped identity: the hidden sheet's cells, else the custom document properties."""
    name = (fmt_hint or load_format(DEFAULT_LAYOUT)).workbook["identity"]
    found = {}
    if name in book.sheets:
        rows = book.rows(name)
        if rows and rows[0] and rows[0][0] == ident.MARKER:
            for row in rows[1:2 + len(ident.FIELDS) + 5]:
                if len(row) >= 2 and row[0] in ident.FIELDS:
                    v = row[1]
                    found[row[0]] = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    if not found and book.custom:
        for f in ident.FIELDS:
            if f"nianbao_{f}" in book.custom:
                found[f] = book.custom[f"nianbao_{f}"]
    return found


def _labels_in_place(book: Book, sheet: str, table) -> int:
    """How many of the table's fixed labels stand on this sheet where the format puts them."""
    got = book.values(sheet, table.label_coords)
    return sum(1 for v, (_, _, want) in zip(got, table.label_cells) if normalize_label(v) == want)


def _label_score(book: Book, fmt: ReportFormat) -> int:
    """How many of the format's fixed labels stand where the format puts them."""
    return sum(_labels_in_place(book, t.sheet, t) for t in fmt.tables.values() if t.sheet in book.sheets)


def detect_format(book: Book, identity: dict) -> tuple[ReportFormat, list[str]]:
    stamped = identity.get("layout")
    if stamped and re.fullmatch(r"[0-9a-z-]{1,40}", stamped):
        try:
            fmt = load_format(stamped)
            if not fmt.import_only:
                return fmt, [f"模板身份标识：{stamped} 版"]
        except NianbaoError:
            pass  # an unknown stamped layout: recognise the tables by their labels
    layouts = available_layouts(include_import_only=False)
    scores = {l: _label_score(book, load_format(l)) for l in layouts}
    best = max(scores, key=scores.get)
    if scores[best] == 0:
        raise UnreadableFile("不是年度报告填报表：既没有 nianbao 模板的身份标识，也找不到表二、表三、表四的官方标签")
    return load_format(best), [f"按表格标签识别为 {best} 版（{scores[best]} 个标签吻合）"]


# ------------------------------------------------------------------------------------------ structure (S02)
def _find_label(cells: dict[str, Content], text: str) -> str | None:
    want = normalize_label(text)
    for ref, c in cells.items():
        if isinstance(c.value, str) and normalize_label(c.value) == want:
            return ref
    return None


def check_structure(book: Book, fmt: ReportFormat) -> tuple[list[Finding], dict[str, str]]:
    """S02 findings, and which sheet each table is actually read from (a renamed sheet is still read)."""
    rule = fmt.rules["S02"]
    findings, sheet_of = [], {}
    for t in fmt.tables.values():
        sheet = t.sheet
        if sheet not in book.sheets:
            # renamed? a sheet that is not ours and carries this table's labels where they belong
            ours = {x.sheet for x in fmt.tables.values()} | set(fmt.workbook[k] for k in
                                                               ("instructions", "narrative", "results", "identity", "flags"))
            candidates = [s for s in book.sheets if s not in ours]
            renamed = None
            for s in candidates:
                if _labels_in_place(book, s, t) >= max(3, len(t.label_cells) // 2):
                    renamed = s
                    break
            if renamed is None:
                findings.append(Finding("S02", "error", rule.text("sheet_missing", expected=sheet), keys=[],
                                        cells=[sheet], expected=sheet, actual=None))
                continue
            findings.append(Finding("S02", "error", rule.text("sheet_renamed", expected=sheet, actual=renamed),
                                    cells=[renamed], expected=sheet, actual=renamed))
            sheet = renamed
        sheet_of[t.id] = sheet
        for (top, text, want), got_v in zip(t.label_cells, book.values(sheet, t.label_coords)):
            if got_v == text or normalize_label(got_v) == want:
                continue
            elsewhere = _find_label(book.cells(sheet), text)
            where = f"{sheet}!{top}"
            if elsewhere:
                msg = rule.text("moved", expected=text, where=where, actual=f"{sheet}!{elsewhere}")
            else:
                msg = rule.text(where=where, expected=text, actual="" if got_v is None else got_v)
            findings.append(Finding("S02", "error", msg, cells=[where], expected=text,
                                    actual=f"{sheet}!{elsewhere}" if elsewhere else got_v))
    return findings, sheet_of


# ------------------------------------------------------------------------------------------ the filing
def read_tables(book: Book) -> tuple[ReportFormat, dict, dict, dict, list[Finding], list[str]]:
    """(format, identity, raw cells by key, where each was read, findings, cues): who sent the workbook and the
    numbers they typed, all that last year's reading needs (last_year); read() adds the rest."""
    identity = read_identity(book)
    fmt, cues = detect_format(book, identity)
    findings, sheet_of = check_structure(book, fmt)
    raw, where = {}, {}
    formula_rule = fmt.rules["S02"]
    for t in fmt.tables.values():
        sheet = sheet_of.get(t.id)
        if sheet is None:
            continue  # the sheet is missing: S02 says so; its cells stay blank
        raw.update(zip(t.cells, book.values(sheet, t.cell_coords)))
        where.update(t.places if sheet == t.sheet else {key: f"{sheet}!{c.ref}" for key, c in t.cells.items()})
        formulas = book.formulas(sheet)
        for key, cell in t.cells.items() if formulas else ():
            if cell.ref in formulas:
                # never trust a computed value: the cell must hold what the unit typed
                raw[key] = "=" + formulas[cell.ref]
                findings.append(Finding("C01", "error", formula_rule.text(
                    "formula", where=f"{where[key]}（{cell.label}）", actual=raw[key]),
                    keys=[key], cells=[where[key]], actual=raw[key]))
    return fmt, identity, raw, where, findings, cues


def read(path, limits: Limits = LIMITS) -> Filing:
    """Read a returned workbook into a Filing. Raises UnreadableFile (exit 2) for what is not a nianbao workbook."""
    path = Path(path)
    book = Book(path, limits)
    fmt, identity, raw, where, findings, cues = read_tables(book)
    narrative = {}
    wbk = fmt.workbook
    if wbk["narrative"] in book.sheets:
        rows = book.rows(wbk["narrative"])
        for s in fmt.narrative_sections:
            v = book.value(rows, s.input_at.split(":")[0]) if s.input_at else None
            if v is not None:
                narrative[s.id] = str(v).replace("\r\n", "\n").strip()
    explanations = {}
    if wbk["results"] in book.sheets and book.may_hold(wbk["results"], "F", 3):
        # the 说明 column (F) beside each rule id (A), below the title and header rows
        for row in book.rows(wbk["results"])[2:]:
            if len(row) > 5 and row[5] not in ("", None) and isinstance(row[0], str):
                for one in row[0].split("/"):
                    if one in fmt.rules:
                        explanations[one] = (explanations.get(one, "") + "\n" + str(row[5])).strip()
                        break
    filing = Filing(fmt=fmt, identity=identity, raw=raw, where=where, narrative=narrative,
                    explanations=explanations, source=str(path), origin="return", findings=findings)
    filing.cues = cues
    # last year's values the template carried (template --previous), and whether its stamped cells still show them
    filing.previous = stamped_filing(identity) if identity.get("previous") else None
    if filing.previous is not None:
        findings += check_stamped_cells(fmt, filing.previous, lambda sheet, ref: book.values(
            sheet, [ref])[0] if sheet in book.sheets else None)
        findings += check_value_rows(fmt, filing.previous, book.values(
            wbk["identity"], [(r, 1) for r in value_rows(fmt).values()]))
    # the hidden sheet gone, the identity read from the document properties (which cannot hold last year's values)
    filing.identity_sheet = wbk["identity"] in book.sheets
    filing.container = book.kind
    filing.sha256 = book.sha256
    # the document properties that carry the save time (collect: the latest return wins)
    filing.properties = book.part("docProps/core.xml") or book.members.get("meta.xml") or b""
    return filing
