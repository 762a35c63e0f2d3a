"""Run LibreOffice headless on many workbooks at once: open each (formulas recalculated on load) and save as .xlsx.

Starting soffice costs about two seconds, so every file of a test session goes through ONE invocation. The user
profile is a throwaway directory whose registrymodifications.xcu makes Calc always recalculate on load: without it
LibreOffice would keep the cached formula results that our own writer put in the file, and the test would compare
Python with Python.
"""
from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path

_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse">\
<value>false</value></prop></item>
</oor:items>
"""


def make_profile(root: Path) -> Path:
    """A fresh LibreOffice user installation that recalculates every formula on load."""
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_XCU, encoding="utf-8")
    return root


def convert(soffice: str, files, outdir, timeout: float = 180) -> list[Path]:
    """Open every file in LibreOffice (recalculating) and save it as .xlsx into outdir; the converted paths, in
    the order of `files`. Input names must be distinct (the output is named after the input's stem)."""
    files = [Path(f).resolve() for f in files]
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        raise ValueError("input files must have distinct names")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    expected = [outdir / f"{s}.xlsx" for s in stems]
    with tempfile.TemporaryDirectory(prefix="nianbao-lo-") as tmp:
        profile = make_profile(Path(tmp) / "profile")
        env = dict(os.environ, HOME=tmp)  # nothing of the user's own LibreOffice is read or written
        cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
               "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), *map(str, files)]
        # its own process group, so that a hung soffice.bin (started by the soffice script) can be stopped
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RuntimeError(f"LibreOffice did not finish converting {len(files)} files in {timeout} s") from None
    missing = [p.name for p in expected if not p.is_file()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"LibreOffice conversion failed (exit {proc.returncode}); missing {missing[:5]}…\n"
                           f"stdout: {out[-2000:]}\nstderr: {err[-2000:]}")
    return expected


RED = "FFC7CE"  # the template's fill for a failing cell (xlsx_template "bad")
WARN = "F8CBAD"  # … and for a warning (xlsx_template "warn")


def add_format_probes(src, dst, sheets) -> dict[str, list[tuple[str, str, str]]]:
    """A copy of the workbook in which every conditional format's formula is also written into a cell of its own
    (column AA on, same sheet), as it reads for each cell it formats (relative references moved there). After
    LibreOffice recalculates the copy, the probes say which cells the format colours: a real engine's verdict on
    the formulas. Returns {sheet: [(probe cell, formatted cell, fill colour)]}."""
    import openpyxl
    from openpyxl.formula.translate import Translator
    from openpyxl.utils import get_column_letter

    wb = openpyxl.load_workbook(src)
    out = {}
    for name in sheets:
        ws = wb[name]
        probes = []
        for cf in ws.conditional_formatting:
            ranges = cf.sqref.ranges
            # relative references are relative to the format's first cell: the top-left one in our templates
            # (a multi-range format, an equation's, has absolute references only)
            top = min((r.min_row, r.min_col) for r in ranges)
            origin = f"{get_column_letter(top[1])}{top[0]}"
            for rule in cf.rules:
                if not rule.formula:
                    continue
                fill = rule.dxf.fill if rule.dxf is not None else None
                colour = str((fill.bgColor.rgb if fill is not None and fill.bgColor is not None else "") or "")[-6:]
                for rng in ranges:
                    for row, col in rng.cells:
                        dest = f"{get_column_letter(col)}{row}"
                        formula = Translator("=" + rule.formula[0], origin=origin).translate_formula(dest)
                        probe = f"{get_column_letter(27 + len(probes) // 1000)}{len(probes) % 1000 + 1}"
                        ws[probe] = f"=IF({formula[1:]},1,0)"
                        probes.append((probe, dest, colour))
        out[name] = probes
    wb.save(dst)
    return out


def coloured(converted, probes: dict, colour: str = RED) -> set[str]:
    """The cells ("表三!D6") that a format of this colour colours, by the probes' recalculated values."""
    import openpyxl

    wb = openpyxl.load_workbook(converted, read_only=True, data_only=True)
    try:
        found = set()
        for sheet, items in probes.items():
            ws = wb[sheet]
            for probe, cell, c in items:
                if c == colour and ws[probe].value in (1, True):
                    found.add(f"{sheet}!{cell}")
        return found
    finally:
        wb.close()
