"""Workbooks as an office suite saves them: LibreOffice opens a school's workbook and saves it as
.xlsx, .xls (Excel 97-2003) and .ods, as a safety officer does with "Save as", and the sync reads the
same records from each as from the file it started from.

The files start as the demo writes them (sync.template: xlsxwriter for .xlsx, our own writers for
.xls and .ods), so this also pins that those writers make files an office suite understands the
same way we do: a date written without a date style opens in LibreOffice as the number 45752.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from sync import contract
from sync.report import check_file, indicator_max
from sync.template import Quirks, sheet_rows, write_workbook
from tests.conftest import require

TODAY = date(2026, 11, 29)


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        require("libreoffice", "no soffice on PATH")
    return found


def _saved_as(soffice: str, files: list[Path], fmt: str, out: Path, profile: Path) -> dict[str, Path]:
    """Each file opened and saved as `fmt` by LibreOffice; {original name: saved file}."""
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(out), *map(str, files)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HOME": str(profile)}, check=False,
    )
    saved = {f.name: out / f"{f.stem}.{fmt}" for f in files}
    missing = [name for name, path in saved.items() if not path.is_file()]
    assert not missing, f"LibreOffice did not save {missing}: {done.stdout} {done.stderr}"
    return saved


def _read(path: Path) -> tuple[bool, dict[str, list[list[str]]], list[tuple]]:
    report = check_file(path, registry=None, today=TODAY, maxima=indicator_max())
    records = {key: [[str(v) for v in row] for row in frame.drop(columns="row_no").itertuples(index=False)]
               for key, frame in report.records.items()}
    problems = sorted((p.sheet_key or "", p.row or 0, p.column_key or "", p.value or "", p.reason_en)
                      for p in report.problems)
    return report.refused, records, problems


@pytest.fixture(scope="module")
def office_files(tmp_path_factory) -> dict[str, Path]:
    """A demo school's workbook as the demo writes it in each format, and the bureau workbook."""
    from sync.demo import BUREAU_FILE, write_demo

    work = tmp_path_factory.mktemp("office")
    summary = write_demo(work / "inbox", schools=30, seed=2026, today=TODAY)
    flawed = {m.file for m in summary.mistakes}
    plain = next(work / "inbox" / f for f in summary.school_files if f not in flawed and f.endswith(".xlsx"))
    records = check_file(plain, registry=None, today=TODAY, maxima=indicator_max()).records
    parts = [sheet_rows(s.key, records.get(s.key)) for s in contract.SCHOOL_SHEETS]
    files = {"xlsx": plain, "bureau": work / "inbox" / BUREAU_FILE}
    for fmt in ("xls", "ods"):
        files[fmt] = work / f"{plain.stem}-{fmt}.{fmt}"
        write_workbook(files[fmt], parts, Quirks(fmt=fmt), "學校安全工作台賬")
    return files


@pytest.mark.parametrize("saved_as", ["xlsx", "xls", "ods"])
def test_a_workbook_saved_again_by_libreoffice_gives_the_same_records(office_files, saved_as, tmp_path):
    soffice = _soffice()
    originals = list(office_files.values())
    saved = _saved_as(soffice, originals, saved_as, tmp_path / "saved", tmp_path / "profile")
    for original in originals:
        refused, records, problems = _read(original)
        assert not refused and (records.get("drills") or records.get("inspections")), (
            f"{original.name} should hold records to compare")
        again = _read(saved[original.name])
        assert again[0] == refused, f"{original.name} saved as .{saved_as}: refused {again[2][:3]}"
        for key in records:
            assert again[1].get(key) == records[key], f"{original.name} saved as .{saved_as}: {key} differs"
        assert again[1].keys() == records.keys()
        assert again[2] == problems, f"{original.name} saved as .{saved_as}"


def test_the_demo_ods_dates_carry_a_date_style(office_files):
    """Without a date style LibreOffice reads office:value-type="date" cells as plain numbers; the
    round trip above shows it, this shows why without needing LibreOffice."""
    import zipfile

    content = zipfile.ZipFile(office_files["ods"]).read("content.xml").decode()
    assert 'office:value-type="date"' in content
    assert 'table:style-name="date" office:value-type="date"' in content
    assert '<style:style style:name="date" style:family="table-cell" style:data-style-name="N1"/>' in content
    assert '<number:date-style style:name="N1">' in content


@pytest.mark.parametrize("saved_as", ["ods", "xlsx", "xls"])
def test_a_drill_dated_by_today_is_refused_as_libreoffice_saves_it(tmp_path, saved_as):
    """LibreOffice keeps =TODAY() as a formula with the day of the save as its value (of:=TODAY() in an
    .ods): the row is refused, never stored under the day the file was saved.  In an .xls too, read from
    the formula's own record (found by an audit: xlrd and calamine give the saved day only)."""
    from tests.test_sync_hostile import _drills_with_a_formula_date

    soffice = _soffice()
    original = _drills_with_a_formula_date(tmp_path / "today.xlsx", "=TODAY()", 46091)
    saved = _saved_as(soffice, [original], saved_as, tmp_path / "saved", tmp_path / "profile")[original.name]
    report = check_file(saved, registry={"1001"}, today=TODAY, maxima=indicator_max())
    assert [(p.level, p.row, p.column) for p in report.problems] == [("row", 3, "演練日期")], report.lines()
    assert "changes with every save" in report.problems[0].reason_en


@pytest.mark.parametrize("number_format", ['0.00"萬元"', '"$"#,##0.00'], ids=["ten thousands", "dollars as text"])
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_a_workbook_saved_by_an_office_suite_shows_its_ten_thousands_and_hidden_columns_as_an_xlsx_does(
        tmp_path, fmt, number_format):
    """Amounts formatted 0.00"萬元" (or "$"#,##0.00, Excel's own dollars) refuse the file, and a hidden
    contract column is said to be hidden, in an .xls or .ods as in an .xlsx (calamine gives neither: xlrd
    reads the .xls's formats and column records, the .ods's content.xml and styles.xml say them).  The
    dollars are a text "$" before the number in LibreOffice's .ods, no currency style (found by an audit:
    taken as yuan)."""
    import openpyxl

    from tests.sync_helpers import with_last_years_count_hidden

    path = with_last_years_count_hidden(tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(path)
    for r in range(2, wb["安全經費"].max_row + 1):
        wb["安全經費"].cell(r, 3).number_format = number_format
    wb.save(path)
    saved = _saved_as(_soffice(), [path], fmt, tmp_path / "out", tmp_path / "profile")["s.xlsx"]
    for report in (check_file(path, registry={"1001"}, today=TODAY), check_file(saved, registry={"1001"}, today=TODAY)):
        assert [(p.sheet, p.row, p.column) for p in report.file_problems] == [("安全經費", 2, "金額")]
        assert "formatted" in report.file_problems[0].reason_en
        hidden = [p for p in report.problems if p.level == "note" and "hidden" in p.reason_en]
        assert [(p.sheet, p.column) for p in hidden] == [("應急演練", "參演人數")]


def test_an_xls_text_formula_libreoffice_saved_as_0_is_refused_in_a_text_column_not_read_as_0(tmp_path):
    """LibreOffice saves a text formula's result (cached, as Excel saves it) in an .xls as the number 0, with
    no text (found by an audit: 演練類型 ="防踩踏"&"演練" and =IF(1,"","") were both stored as "0").  Such a
    cell refuses its row in a text column, saying what to do; in a count column it is the 0 a COUNTIF may
    well give."""
    from datetime import datetime

    import xlsxwriter

    from tests.sync_helpers import school_book

    path = tmp_path / "s.xlsx"
    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    formulas = {(1, 2): ('="防踩踏"&"演練"', "防踩踏演練"), (2, 2): ('=IF(1,"","")', ""),
                (3, 7): ('=COUNTIF(A1:A3,"x")', 0)}
    for name, rows in school_book().items():
        sheet = book.add_worksheet(name)
        if name == "應急演練":
            assert rows[0][2] == "演練類型" and rows[0][7] == "參演人數"
            rows = [*rows, [date(2026, 5, 12), rows[1][1], "防溺水", "是", "良好", 12, 12, None]]
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if name == "應急演練" and (r, c) in formulas:
                    sheet.write_formula(r, c, *formulas[r, c][:1], None, formulas[r, c][1])
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), dates)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    saved = _saved_as(_soffice(), [path], "xls", tmp_path / "out", tmp_path / "profile")["s.xlsx"]
    report = check_file(saved, registry={"1001"}, today=TODAY)
    # =IF(1,"","") saved with its empty text is the empty cell it shows
    assert [(p.row, p.column, "saved value is 0" in p.reason_en, "must be filled in" in p.reason_en)
            for p in report.problems] == [(2, "演練類型", True, False), (3, "演練類型", False, True)], report.lines()
    [counted] = [r for r in report.rows["drills"] if r["row_no"] == 4]
    assert (counted["kind"], counted["participants"]) == ("防溺水", 0)


def _biff(kind: int, payload: bytes) -> bytes:
    import struct

    return struct.pack("<HH", kind, len(payload)) + payload


@pytest.mark.parametrize("kind", [0x04BC, 0x0221], ids=["shared formula", "array formula"])
def test_a_today_filled_down_as_an_xls_shared_or_array_formula_is_named_in_each_of_its_cells(kind):
    """Excel saves a formula filled down a column once (SHRFMLA), an array formula once (ARRAY), and each of
    their cells as "the formula whose top-left cell is R, C" (ptgExp): =TODAY() over drills 4 to 6 is named
    in each of the three, and a fixed date over drills 2 to 6 before it, whose range covers them too (a
    hostile overlap, found by an audit), hides none of them nor is named itself.  BIFF8 records as Excel
    lays them out."""
    import struct

    from sync.cells import VolatileFormula
    from sync.formats import _xls_formula_cells

    def formula(row: int, col: int, tokens: bytes) -> bytes:
        return _biff(0x0006, struct.pack("<HHH", row, col, 15) + struct.pack("<d", 46000.0)
                     + struct.pack("<HIH", 0x0008, 0, len(tokens)) + tokens)

    def shared(top: int, bottom: int, tokens: bytes) -> bytes:
        head = struct.pack("<HHBB", top, bottom, 0, 0) + (
            struct.pack("<BBH", 0, bottom - top + 1, len(tokens)) if kind == 0x04BC
            else struct.pack("<HIH", 0, 0, len(tokens)))
        return _biff(kind, head + tokens)

    def exp(row: int) -> bytes:
        return b"\x01" + struct.pack("<HH", row, 0)  # ptgExp: the formula anchored at (row, A)

    today = b"\x41" + struct.pack("<H", 221)  # ptgFunc (value class) TODAY
    fixed = b"\x1e" + struct.pack("<H", 46000)  # ptgInt: a day of its own
    name = "應急演練".encode("utf-16-le")
    globals_size = 4 + 8 + len(name) + 4  # this BOUNDSHEET record and the globals' EOF
    bound = _biff(0x0085, struct.pack("<IBBBB", globals_size, 0, 0, len("應急演練"), 1) + name)
    sheet = (formula(1, 0, exp(1)) + shared(1, 5, fixed) + formula(2, 0, exp(1))
             + formula(3, 0, exp(3)) + shared(3, 5, today) + formula(4, 0, exp(3)) + formula(5, 0, exp(3))
             + _biff(0x000A, b""))
    stream = bound + _biff(0x000A, b"") + sheet
    assert len(bound) + 4 == globals_size
    cells = _xls_formula_cells(stream)["應急演練"]
    assert [(r, c) for r, c, *_ in cells] == [(3, 0), (4, 0), (5, 0)]
    assert all(marker.__class__ is VolatileFormula and str(marker) == "=TODAY()" for _r, _c, marker, *_ in cells)


def test_an_ods_array_formula_on_today_refuses_each_row_of_its_range(tmp_path):
    """LibreOffice saves an array formula once, on its range's first cell (number-matrix-rows-spanned), the
    other cells holding only values: =TODAY() over both drills refuses both (found by an audit: the second
    was stored under the day of the save)."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    from tests.sync_helpers import school_book, write_xlsx

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = openpyxl.load_workbook(path)
    wb["應急演練"]["A2"] = ArrayFormula("A2:A3", "=TODAY()+ROW(A1:A2)*0")
    wb.save(path)
    saved = _saved_as(_soffice(), [path], "ods", tmp_path / "out", tmp_path / "profile")["s.xlsx"]
    report = check_file(saved, registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.row, p.column, "changes with every save" in p.reason_en) for p in report.problems] == [
        ("應急演練", 2, "演練日期", True), ("應急演練", 3, "演練日期", True)], report.lines()


def test_an_ods_column_hidden_by_a_filter_is_said_to_be_hidden_as_a_collapsed_one_is(tmp_path):
    """table:visibility="filter" hides a column as "collapse" does (LibreOffice shows neither; found by an
    audit: only "collapse" was said)."""
    import zipfile

    from tests.sync_helpers import with_last_years_count_hidden

    path = with_last_years_count_hidden(tmp_path / "s.xlsx")
    saved = _saved_as(_soffice(), [path], "ods", tmp_path / "out", tmp_path / "profile")["s.xlsx"]
    with zipfile.ZipFile(saved) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    assert b'table:visibility="collapse"' in parts[next(i for i in parts if i.filename == "content.xml")]
    with zipfile.ZipFile(saved, "w") as z:
        for info, data in parts.items():
            z.writestr(info, data.replace(b'table:visibility="collapse"', b'table:visibility="filter"')
                       if info.filename == "content.xml" else data)
    report = check_file(saved, registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.column) for p in report.problems if p.level == "note" and "hidden" in p.reason_en] == [
        ("應急演練", "參演人數")]


@pytest.mark.parametrize("saved_as", ["xlsx", "ods", "xls"])
def test_a_drill_dated_by_a_name_defined_as_today_is_refused_as_libreoffice_saves_it(tmp_path, saved_as):
    """=MyDate, MyDate being TODAY() (or a name on such a name), is the day of the save as =TODAY() is (found
    by an audit: stored under that day in every format).  A name on a fixed day stands."""
    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    from tests.sync_helpers import school_book, write_xlsx

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = openpyxl.load_workbook(path)
    for name, text in (("MyDate", "TODAY()"), ("DrillDay", "MyDate-1"), ("FixedDay", "DATE(2026,3,10)")):
        wb.defined_names[name] = DefinedName(name, attr_text=text)
    wb["應急演練"]["A2"] = "=DrillDay"
    wb["應急演練"]["A3"] = "=FixedDay"
    wb.save(path)
    saved = _saved_as(_soffice(), [path], saved_as, tmp_path / "out", tmp_path / "profile")["s.xlsx"]
    report = check_file(saved, registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.row, p.column, "changes with every save" in p.reason_en) for p in report.problems] == [
        ("應急演練", 2, "演練日期", True)], report.lines()
    [fixed] = [r for r in report.rows["drills"] if r["row_no"] == 3]
    assert fixed["date"] == date(2026, 3, 10)


def test_an_ods_amount_whose_currency_style_alone_shows_dollars_is_not_taken_as_yuan(tmp_path):
    """An .ods currency cell says its currency by its code (office:currency="USD"); without the code, its
    style's currency symbol still shows $: that is no amount in yuan either (found by an audit)."""
    import re
    import zipfile

    import openpyxl

    from tests.sync_helpers import school_book, write_xlsx

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = openpyxl.load_workbook(path)
    for r in range(2, wb["安全經費"].max_row + 1):
        wb["安全經費"].cell(r, 3).number_format = "[$$-409]#,##0.00"
    wb.save(path)
    saved = _saved_as(_soffice(), [path], "ods", tmp_path / "out", tmp_path / "profile")["s.xlsx"]
    with zipfile.ZipFile(saved) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    content = next(info for info in parts if info.filename == "content.xml")
    assert b'office:currency="USD"' in parts[content]
    assert any(b"currency-symbol" in data and b">$<" in data for data in parts.values())
    with zipfile.ZipFile(saved, "w") as z:
        for info, data in parts.items():
            z.writestr(info, re.sub(rb' office:currency="USD"', b"", data) if info is content else data)
    [p] = check_file(saved, registry={"1001"}, today=TODAY).file_problems
    assert (p.sheet, p.column) == ("安全經費", "金額") and "another currency" in p.reason_en


def _school_book_saved_as(tmp_path, fmt: str, edit) -> Path:
    """The tests' school workbook changed by `edit(openpyxl workbook)`, as an .xlsx or saved by LibreOffice
    as `fmt`."""
    import openpyxl

    from tests.sync_helpers import school_book, write_xlsx

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path if fmt == "xlsx" else _saved_as(_soffice(), [path], fmt, tmp_path / "out", tmp_path / "profile")[
        "s.xlsx"]


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
def test_records_in_hidden_rows_or_a_hidden_sheet_are_read_and_said_to_be(tmp_path, fmt):
    """A hidden row is how people put an old record away, and a hidden sheet's records are as unseen: both
    were read and scored with nothing said (found by an audit), as a hidden column is said to be read."""
    def hide(wb) -> None:
        wb["安全經費"].row_dimensions[2].hidden = True
        wb["保安演練"].sheet_state = "hidden"

    saved = _school_book_saved_as(tmp_path, fmt, hide)
    report = check_file(saved, registry={"1001"}, today=TODAY)
    notes = [(p.sheet, p.row) for p in report.problems if p.level == "note" and "hidden" in p.reason_en]
    assert notes == [("保安演練", None), ("安全經費", 2)], report.lines()
    assert any(r["row_no"] == 2 for r in report.rows["funds"])  # read all the same


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
def test_a_count_shown_as_a_percentage_is_refused_not_stored_as_1(tmp_path, fmt):
    """100% typed into a count is stored as 1 with the format 0%: 已簽訂人數 100% was 1 of 20 signed, and
    A5 scored so (found by an audit).  The row is refused, saying why; a count shown as plain 20 stands."""
    def as_percentage(wb) -> None:
        drills = wb["應急演練"]
        assert drills["G1"].value == "簽到班級數"
        drills["G2"] = 1
        drills["G2"].number_format = "0%"

    saved = _school_book_saved_as(tmp_path, fmt, as_percentage)
    report = check_file(saved, registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [("應急演練", 2, "簽到班級數")], report.lines()
    assert "percentage" in report.problems[0].reason_en and "100%" in report.problems[0].reason_en
    assert [r["signed_classes"] for r in report.rows["drills"]] == [11]  # the other drill's, as written


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_cells_whose_format_shows_nothing_are_read_and_said_to_be(tmp_path, fmt):
    """The format ;;; shows nothing: a record's use and amount so formatted look blank, and were read and
    scored with nothing said (found by an audit).  It is read, with a note naming its row; a cell formatted
    ;;; in a column of the school's own is no record's and says nothing."""
    def show_nothing(wb) -> None:
        funds = wb["安全經費"]
        for cell in funds[2][1:]:  # its use and amount (a date so formatted is no date to calamine: refused as such)
            cell.number_format = ";;;"
        funds["H3"] = 5
        funds["H3"].number_format = ";;;"

    saved = _school_book_saved_as(tmp_path, fmt, show_nothing)
    report = check_file(saved, registry={"1001"}, today=TODAY)
    notes = [(p.sheet, p.row) for p in report.problems if p.level == "note" and "shows nothing" in p.reason_en]
    assert notes == [("安全經費", 2)], report.lines()
    assert any(r["row_no"] == 2 for r in report.rows["funds"])
