"""A workbook's XML is hostile input: every search over it before calamine opens the file must be
linear in the part's size.

A 28 KB .xlsx whose sheet held an XML comment of 30,000 `<c r="AA1"` (valid XML: "<" may stand in a
comment) kept `sync --check` busy for over six minutes and a whole sync holding its lock, because a
lazy `[^>]*?` crossed every later "<" (found by an audit).  Each case below is read in a process of
its own with a deadline a hundred times what the linear scans take, so a regression fails, never hangs
the suite.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 60  # the linear scans read each of these files in about two seconds, most of it start-up


def _school_workbook(path: Path) -> Path:
    from sync.template import write_template

    write_template(path, school={"school_code": "S001", "name": "第一中學", "type": "初中", "township": "城關鎮"})
    return path


def _with_parts(source: Path, target: Path, change) -> Path:
    """A copy of the workbook with change(member name, bytes) -> bytes applied to every part."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, change(info.filename, src.read(info.filename)))
    return target


def _in_a_comment(marks: bytes, times: int):
    """A comment full of `marks` at the top of every sheet's data: valid XML, nothing for a reader."""
    def change(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet") and b"<sheetData>" in data:
            return data.replace(b"<sheetData>", b"<sheetData><!--" + marks * times + b"-->", 1)
        return data
    return change


def _in_one_tag(part: str, tag: bytes, attribute: bytes, times: int):
    """One start tag of `part` carrying an attribute thousands of times over (no longer well-formed:
    the scans before the parser still read it, and must do so in one pass)."""
    def change(name: str, data: bytes) -> bytes:
        if name == part:
            return data.replace(tag, tag + b" " + attribute * times, 1)
        return data
    return change


CASES = {
    "cell starts in a comment (far cells)": _in_a_comment(b'<c r="AA1"', 30_000),
    "error cell starts in a comment": _in_a_comment(b'<c r="A1" t="e"', 20_000),
    "formula cells without an end": _in_a_comment(b'<c r="A1"><f>', 20_000),
    "cell tags never closed": _in_a_comment(b"<c<row", 40_000),
    "a sheet entry with its name a thousand times": _in_one_tag("xl/workbook.xml", b"<sheet", b'name="x" ', 20_000),
    "a relationship with its id a thousand times": _in_one_tag("xl/_rels/workbook.xml.rels", b"<Relationship",
                                                               b'Id="x" ', 20_000),
    "a column hidden a thousand times": _in_a_comment(b'<col min="1" hidden="1" hidden="1" ', 20_000),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_workbook_built_to_make_the_scans_rescan_is_read_or_refused_in_one_pass(tmp_path, case):
    hostile = _with_parts(_school_workbook(tmp_path / "school.xlsx"), tmp_path / "hostile.xlsx", CASES[case])
    code = ("import sys; from pathlib import Path; from sync.report import check_file; "
            "report = check_file(Path(sys.argv[1])); print('REFUSED' if report.refused else 'READ')")
    try:
        done = subprocess.run([sys.executable, "-c", code, str(hostile)], cwd=ROOT, capture_output=True, text=True,
                              timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: still scanning after {DEADLINE_S} s (a search rescans the part)")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stdout.strip() in ("READ", "REFUSED")


def test_the_linear_scans_still_find_what_they_look_for():
    """Error cells, formulas without a value, hidden columns and far cells, as Excel writes them."""
    from sync import formats

    sheet = (b'<worksheet><cols><col min="3" max="4" width="9" hidden="1"/><col min="5" max="5" hidden="0"/></cols>'
             b'<sheetData><row r="1"><c r="A1" s="2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
             b'<c r="B1"><f>SUM(A1:A2)</f></c><c r="C1" t="str"><f>IF(A1="","",1)</f><v></v></c>'
             b'<c r="D1" t="e"/></row><row r="2"><c r="AB2"><v>1</v></c></row></sheetData></worksheet>')
    assert formats._hidden_columns(sheet) == frozenset({2, 3})
    marked = [(r, c, type(e).__name__, str(e)) for r, c, e in formats._error_and_formula_cells(sheet)]
    # A1's error as saved; B1's formula has no value; C1's calculated an empty text; the self-closing D1
    # has no body, no value to read
    assert marked == [(0, 0, "ExcelError", "#DIV/0!"), (0, 1, "FormulaWithoutValue", "=SUM(A1:A2)")]
    extents = formats._Extents()
    formats._measure_xlsx_sheet(extents, "s", sheet)
    assert extents.total == 2 * 28  # up to AB2: the far cell with a value is measured, the empty D1 is not
