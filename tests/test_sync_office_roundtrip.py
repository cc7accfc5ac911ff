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


@pytest.mark.parametrize("saved_as", ["ods", "xlsx"])
def test_a_drill_dated_by_today_is_refused_as_libreoffice_saves_it(tmp_path, saved_as):
    """LibreOffice keeps =TODAY() as a formula with the day of the save as its value (of:=TODAY() in an
    .ods): the row is refused, never stored under the day the file was saved."""
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
