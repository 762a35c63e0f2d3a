"""Word reports whose tables sit inside the structures Word and WPS add: content controls (a province's fill-in
form puts a control around a cell or a row), a one-cell table framing the whole report, and changes left tracked
(text deleted or moved). The generated report of a random valid filing is changed in its XML, and must still
import with every cell exact and no error the filing does not have."""
from __future__ import annotations

import random
import zipfile

import pytest
from lxml import etree

from test_import_matrix import matrix

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def q(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _wrap(node, rng, share: float):
    """Each of the node's kind put inside a content control (w:sdt/w:sdtContent), with probability `share`."""
    parent = node.getparent()
    if rng.random() >= share:
        return
    sdt = etree.Element(q("sdt"))
    etree.SubElement(sdt, q("sdtPr"))
    parent.replace(node, sdt)
    etree.SubElement(sdt, q("sdtContent")).append(node)


def controls_around_cells(body, rng):
    for tc in list(body.iter(q("tc"))):
        _wrap(tc, rng, 0.5)


def controls_around_rows(body, rng):
    for tr in list(body.iter(q("tr"))):
        _wrap(tr, rng, 0.5)


def framed_in_a_table(body, rng):
    """The whole report inside a one-cell table (a layout frame)."""
    kids = [k for k in body if k.tag != q("sectPr")]
    tbl = etree.Element(q("tbl"))
    tc = etree.SubElement(etree.SubElement(tbl, q("tr")), q("tc"))
    for k in kids:
        tc.append(k)  # moved from the body
    body.insert(0, tbl)


def changes_tracked(body, rng):
    """Before each number of the tables, an old number deleted and another moved away, changes tracked."""
    for t in list(body.iter(q("t"))):
        if (t.text or "").isdigit() and next(t.iterancestors(q("tc")), None) is not None:
            run = t.getparent()
            gone = etree.Element(q("del"))
            etree.SubElement(etree.SubElement(gone, q("r")), q("delText")).text = str(rng.randint(1, 99))
            moved = etree.Element(q("moveFrom"))
            etree.SubElement(etree.SubElement(moved, q("r")), q("t")).text = str(rng.randint(1, 99))
            run.addprevious(gone)
            run.addprevious(moved)


MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def title_in_a_text_box(body, rng):
    """The title typed into a text box: Word writes the box twice, for new readers (mc:Choice) and old (mc:Fallback)."""
    title = body.find(q("p"))
    holder = etree.Element(q("p"))
    run = etree.SubElement(holder, q("r"))
    alt = etree.SubElement(run, f"{{{MC}}}AlternateContent")
    for kind in ("Choice", "Fallback"):
        box = etree.SubElement(etree.SubElement(alt, f"{{{MC}}}{kind}"), q("txbxContent"))
        box.append(etree.fromstring(etree.tostring(title)))
    body.replace(title, holder)


def _changed(src, dst, change, seed: int):
    rng = random.Random(seed)
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zi.infolist():
            data = zi.read(item.filename)
            if item.filename == "word/document.xml":
                root = etree.fromstring(data)
                change(root.find(q("body")), rng)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zo.writestr(item, data)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    work = tmp_path_factory.mktemp("docx")
    cases = matrix.make_cases(6, seed=2026)  # two of each layout
    return cases, matrix.render_sources(cases, work)


@pytest.mark.parametrize("change", [controls_around_cells, controls_around_rows, framed_in_a_table,
                                    changes_tracked, title_in_a_text_box], ids=lambda f: f.__name__)
def test_word_structures_around_the_tables_keep_every_cell(reports, tmp_path, change):
    cases, src = reports
    for i, case in enumerate(cases):
        docx = tmp_path / f"{case.name}.docx"
        _changed(src[case.name]["docx"], docx, change, i)
        g = matrix.grade("docx", case, docx)
        assert g.refused is None and g.layout_ok and g.unit_ok, (case.name, g.refused)
        assert g.wrong == {} and g.false_errors == [], (case.name, dict(list(g.wrong.items())[:4]), g.false_errors[:2])


def test_a_title_in_a_text_box_is_read_once(reports, tmp_path):
    from nianbao.importer.from_docx import read

    cases, src = reports
    docx = tmp_path / "文本框.docx"
    _changed(src[cases[0].name]["docx"], docx, title_in_a_text_box, 0)
    assert read(docx).text.count("年政府信息公开工作年度报告") == 2  # the title, and the preamble's 现公布…
