"""A small file that makes the reader copy one long text into every cell is refused, and the run goes on.

A 4 KB .ods repeating one 32,767-character text over 100 columns x 600 rows, or a 135 KB .xlsx whose
sheet points 60,000 cells at one such shared string: within every measure of sync.formats (cells, rows,
part sizes), yet calamine copies the text into each cell it lays out, some 6 to 12 GB.  The checks ran
in capped workers, but the sync's peek (and `sync --check`'s, for the registry) ran in the command's own
process: the whole run died (SIGABRT, or a PanicException that `except Exception` let through), the
bureau workbook unloaded, and the scheduler died the same way every run (found by an audit).  The text
such a file asks calamine to copy is now measured first (sync.formats.MAX_BOOK_TEXT), and the peek runs in
a capped worker besides.

README: "a hostile file that aborts the reader costs its own report, not the command, the scheduler or
a dashboard worker".  The command runs under a 4 GB address-space limit, a modest server's."""

from __future__ import annotations

import os
import re
import resource
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sync import formats
from tests.sync_helpers import bureau_book, school_book, write_ods, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
ADDRESS_SPACE = 4_000_000_000
DEADLINE_S = 240
LONG_TEXT = "安" * 32767  # the most a cell holds


def _repeated_text_ods(path: Path, scratch: Path) -> Path:
    """The school's workbook with an extra sheet 附註: one long text repeated 600 rows x 100 columns."""
    base = write_ods(scratch / "base.ods", school_book())
    with zipfile.ZipFile(base) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    body = ('<table:table-row table:number-rows-repeated="600"><table:table-cell office:value-type="string" '
            f'table:number-columns-repeated="100"><text:p>{LONG_TEXT}</text:p></table:table-cell></table:table-row>')
    xml = parts["content.xml"]
    at = xml.rindex(b"</table:table>") + len(b"</table:table>")
    parts["content.xml"] = xml[:at] + f'<table:table table:name="附註">{body}</table:table>'.encode() + xml[at:]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), parts["mimetype"], compress_type=zipfile.ZIP_STORED)
        for member, data in parts.items():
            if member != "mimetype":
                z.writestr(member, data)
    return path


def _written_by_xlsxwriter(path: Path, book: dict) -> Path:
    """`book` as Excel saves it: each text once, in the shared-string table (openpyxl writes them inline)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in book.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if hasattr(value, "isoformat"):
                    sheet.write_datetime(r, c, value, dates)
                else:
                    sheet.write(r, c, value)
    workbook.close()
    return path


def _shared_string_xlsx(path: Path, _scratch: Path) -> Path:
    """The school's workbook whose 學校概況 points 60,000 cells at one long shared string."""
    book = school_book()
    book["學校概況"] += [[]] * 8 + [[None] * 8 + [LONG_TEXT] * 20 for _ in range(3000)]
    return _written_by_xlsxwriter(path, book)


FILES = {"ods_repeated_text": ("城關小學.ods", _repeated_text_ods),
         "xlsx_shared_string": ("城關小學.xlsx", _shared_string_xlsx)}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _cli(work: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SAFESCHOOL_DATABASE_URL=f"sqlite:///{work / 's.db'}",
               SAFESCHOOL_INBOX=str(work / "inbox"), SAFESCHOOL_SYNC_WORKERS="1")
    env.pop("SAFESCHOOL_CONFIG", None)
    try:
        return subprocess.run([sys.executable, "-m", "sync", *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=DEADLINE_S, preexec_fn=_limited)
    except subprocess.TimeoutExpired:
        pytest.fail(f"sync {' '.join(args)} still running after {DEADLINE_S} s")


@pytest.fixture
def county(tmp_path):
    (tmp_path / "inbox").mkdir()
    write_xlsx(tmp_path / "inbox" / "bureau.xlsx", bureau_book(("1001",)))
    assert _cli(tmp_path, "init").returncode == 0
    return tmp_path


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_file_that_copies_one_long_text_into_every_cell_is_refused_and_the_run_goes_on(county, kind):
    name, write = FILES[kind]
    write(county / "inbox" / name, county)
    done = _cli(county, "sync", "--once")
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr, done.stderr[-1500:]
    assert done.returncode == 1, (done.returncode, done.stdout[-1500:], done.stderr[-800:])
    with sqlite3.connect(county / "s.db") as con:
        status = dict(con.execute("select display_name, status from sources"))
    assert status.get("bureau.xlsx") == "loaded" and status.get(name) == "refused", status


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_check_of_such_a_file_refuses_it_in_both_languages(county, kind):
    name, write = FILES[kind]
    path = write(county / name, county)
    done = _cli(county, "sync", "--check", str(path))
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr, done.stderr[-1500:]
    assert done.returncode == 1 and "整個文件被拒收" in done.stdout and "refused" in done.stdout, done.stdout[-1500:]
    # measured before calamine opens it (sync.formats.MAX_BOOK_TEXT), so it says what is wrong with the file
    said = " ".join(done.stdout.split())
    assert "repeated over its cells" in said and "重複到大量單元格" in said, done.stdout[-1500:]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_long_note_among_many_texts_is_read_not_taken_for_such_a_file(tmp_path, fmt):
    """The measure counts what cells really take: a 32,767-character note in one cell beside two thousand
    short texts (each, by a bound, as long as the note) is a workbook like any other."""
    from datetime import date

    from sync.report import check_file

    book = school_book()
    book["附註"] = [["說明"], [LONG_TEXT]] + [[f"第{i}條記錄說明"] for i in range(2000)]
    path = _written_by_xlsxwriter(tmp_path / "s.xlsx", book) if fmt == "xlsx" else write_ods(tmp_path / "s.ods", book)
    report = check_file(path, registry={"1001"}, today=date(2026, 11, 28))
    assert not report.refused, [p.as_text() for p in report.problems]
    assert len(report.rows["drills"]) == 2


# The same file with its shared-string table spelled as calamine still reads it (found by a regression audit:
# each passed the measure, and cost a peek worker and a check worker 3 GB and 10 s each): an element prefix
# (<x:sst><x:si>, as the .NET Open XML SDK writes), a small decoy *sharedStrings.xml stored before the real
# one, an empty <si/> first.  Only the measure is called (calamine never opens these).
NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _prefixed(parts):
    out = []
    for name, data in parts:
        if name == "xl/sharedStrings.xml":
            data = re.sub(rb"<sst\b", b'<x:sst xmlns:x="' + NS + b'"', data).replace(b"</sst>", b"</x:sst>")
            data = re.sub(rb"<(/?)(si|t)\b", rb"<\1x:\2", data)
        out.append((name, data))
    return out


def _decoy(parts):
    decoy = b'<?xml version="1.0"?><sst xmlns="' + NS + b'"><si><t>a</t></si></sst>'
    return [("xl/decoy/sharedStrings.xml", decoy)] + parts


def _empty_item_first(parts):
    out = []
    for name, data in parts:
        if name == "xl/sharedStrings.xml":
            data = re.sub(rb"(<sst[^>]*>)", rb"\1<si/>", data, count=1)
        elif name.startswith("xl/worksheets/sheet"):
            data = re.sub(rb'(t="s"[^>]*><v>)(\d+)(</v>)',
                          lambda m: m.group(1) + str(int(m.group(2)) + 1).encode() + m.group(3), data)
        out.append((name, data))
    return out


@pytest.mark.parametrize("spelling", [_prefixed, _decoy, _empty_item_first], ids=lambda f: f.__name__)
def test_the_shared_string_table_is_measured_however_it_is_spelled(tmp_path, spelling):
    plain = _shared_string_xlsx(tmp_path / "plain.xlsx", tmp_path)
    with pytest.raises(formats.UnreadableWorkbook):  # as the existing test: refused before opening
        formats.xlsx_error_cells(formats.Package.of(plain))
    with zipfile.ZipFile(plain) as z:
        parts = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    path = tmp_path / "spelled.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in spelling(parts):
            z.writestr(name, data)
    with pytest.raises(formats.UnreadableWorkbook):
        formats.xlsx_error_cells(formats.Package.of(Path(path)))
