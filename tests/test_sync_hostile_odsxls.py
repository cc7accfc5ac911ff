""".ods and .xls files built to get past the reader's measure and make calamine (Rust) lay out gigabytes,
abort the whole process, or drop a record unseen.

Found by an audit: the .ods measure resolved namespaces where calamine matches literal names, skipped
formula-only cells, and measured nothing at all after one repeat count that was not a number; the .xls
measure gave up on any record xlrd could not parse (calamine reads past them) and never looked at the
DIMENSIONS record calamine reserves memory by; an .xlsb named .xlsx was not measured at all.  Each file
that could abort or balloon is checked in a process of its own, with a deadline and an address-space
cap, so a regression fails the test and never takes the suite with it.
"""

from __future__ import annotations

import io
import json
import re
import resource
import struct
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from sync import formats
from sync.report import check_file
from tests.sync_helpers import ErrorCell, school_book, write_ods, write_xls, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 28)
DEADLINE_S = 120
ADDRESS_SPACE = 1_500_000_000  # a refused file needs a tenth of this; what the audit's files asked for is more
CALCEXT = b'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _checked_apart(path: Path) -> dict:
    """check_file on `path` in a process of its own (deadline, address-space cap): refused, problems."""
    code = ("import json, sys; from datetime import date; from pathlib import Path; from sync.report import check_file; "
            "r = check_file(Path(sys.argv[1]), registry={'1001'}, today=date(2026, 11, 28)); "
            "print(json.dumps({'refused': r.refused, 'problems': [p.as_text() for p in r.problems]}))")
    try:
        done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True,
                              timeout=DEADLINE_S, preexec_fn=_cap)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path.name}: still reading after {DEADLINE_S} s")
    assert done.returncode == 0 and "Traceback" not in done.stderr, (
        f"{path.name}: the check crashed (rc {done.returncode}): {done.stderr[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _refused_saying(result: dict, *words: str) -> str:
    assert result["refused"], result["problems"][:3]
    text = " ".join(result["problems"])
    assert "無法讀取" in text and "cannot be read" in text, text[:500]
    for word in words:
        assert word in text, text[:800]
    return text


# ---------------------------------------------------------------- .ods

def _ods(tmp_path: Path, change, book=None, name: str = "hostile.ods", mimetype: bytes | None = None) -> Path:
    """The school's .ods (odfpy) with change(content.xml) -> content.xml applied, the mimetype stored first."""
    base = write_ods(tmp_path / "base.ods", book or school_book())
    with zipfile.ZipFile(base) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["content.xml"] = change(parts["content.xml"])
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype or parts["mimetype"], compress_type=zipfile.ZIP_STORED)
        for member, data in parts.items():
            if member != "mimetype":
                z.writestr(member, data)
    return path


def _with_sheet(table_body: str):
    """One more table 附註 at the end of the book, holding `table_body`."""
    def change(xml: bytes) -> bytes:
        at = xml.rindex(b"</table:table>") + len(b"</table:table>")
        return xml[:at] + f'<table:table table:name="附註">{table_body}</table:table>'.encode() + xml[at:]
    return change


def _value_cells(columns: int) -> str:
    return f'<table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="{columns}"/>'


def test_an_ods_row_under_a_rebound_table_prefix_is_measured_as_calamine_reads_it(tmp_path):
    """Found by an audit: a row written <table:table-row xmlns:table="urn:not-odf"> is no row to a reader that
    resolves namespaces, but calamine matches the literal name: 20 million cells were read unmeasured (2 GB),
    90 million aborted the process."""
    row = (f'<table:table-row xmlns:table="urn:not-odf" table:number-rows-repeated="2000">{_value_cells(10_000)}'
           "</table:table-row>")
    result = _checked_apart(_ods(tmp_path, _with_sheet(row)))
    _refused_saying(result, "prefix 'table'", "「table」")


def test_an_ods_cell_with_only_a_formula_counts_towards_its_sheets_extent(tmp_path):
    """Found by an audit: a cell with table:formula and no value type was not "filled" to the measure, but
    calamine lays it out: 20 million of them were read unmeasured (1.2 GB)."""
    row = ('<table:table-row table:number-rows-repeated="2000"><table:table-cell table:formula="of:=1" '
           'table:number-columns-repeated="10000"/></table:table-row>')
    result = _checked_apart(_ods(tmp_path, _with_sheet(row)))
    _refused_saying(result, "'附註' reaches cell", "2,000 rows x 10,000 columns")


@pytest.mark.parametrize("element,count", [
    ('<table:table-column table:number-columns-repeated="{}"/>', "many"),  # calamine ignores table-column
    ('<table:table-row><table:table-cell table:number-rows-spanned="{}" office:value-type="float" office:value="1"/>'
     "</table:table-row>", "2x"),
    ('<table:table-row table:number-rows-repeated="{}"><table:table-cell office:value-type="float" office:value="1"/>'
     "</table:table-row>", "-3"),
])
def test_an_ods_repeat_count_that_is_no_number_refuses_the_file_naming_the_sheet(tmp_path, element, count):
    """Found by an audit: int("many") raised, the measure returned nothing, and the whole book went to calamine
    unmeasured: the table after it, repeated to 20 million cells, was read (2.1 GB), 90 million aborted."""
    body = element.format(count) + (f'<table:table-row table:number-rows-repeated="2000">{_value_cells(10_000)}'
                                    "</table:table-row>")
    result = _checked_apart(_ods(tmp_path, _with_sheet(body)))
    _refused_saying(result, "sheet '附註'", f"'{count}'", "工作表「附註」")


def _record_row(sheet: str, change):
    """change(the first record row's tag, its first cell's tag) of `sheet` -> (row tag, cell tag)."""
    def edit(xml: bytes) -> bytes:
        start = xml.index(f'table:name="{sheet}"'.encode())
        row = xml.index(b"<table:table-row>", xml.index(b"</table:table-row>", start))
        cell = xml.index(b"<table:table-cell ", row)
        row_tag, cell_tag = change(b"<table:table-row>", b"<table:table-cell ")
        return xml[:row] + row_tag + xml[row + len(b"<table:table-row>"):cell] + cell_tag + \
            xml[cell + len(b"<table:table-cell "):]
    return edit


@pytest.mark.parametrize("where", ["rows", "columns"])
def test_an_ods_record_repeated_zero_times_refuses_the_file_not_dropped_unseen(tmp_path, where):
    """Found by an audit: 安全經費's record row marked number-rows-repeated="0" was dropped by calamine, and
    the file passed with "no problems found" (LibreOffice shows the row); its first cell repeated zero times
    shifted the row's cells left into three misleading problems."""
    def zero(row: bytes, cell: bytes):
        if where == "rows":
            return b'<table:table-row table:number-rows-repeated="0">', cell
        return row, b'<table:table-cell table:number-columns-repeated="0" '
    report = check_file(_ods(tmp_path, _record_row("安全經費", zero)), registry={"1001"}, today=TODAY)
    assert report.refused
    [p] = report.file_problems
    assert "sheet '安全經費'" in p.reason_en and "'0'" in p.reason_en and "工作表「安全經費」" in p.reason_zh


def _error_cell_in_end_date(xml: bytes) -> bytes:
    """保安人員's record with LibreOffice's own error cell (#DIV/0!) in its optional 離崗日期."""
    xml = xml.replace(b"<office:document-content ", b"<office:document-content " + CALCEXT, 1)
    start = xml.index('table:name="保安人員"'.encode())
    at = xml.index(b"<table:table-row>", xml.index(b"</table:table-row>", start))
    for _ in range(5):
        at = xml.index(b"</table:table-cell>", at) + len(b"</table:table-cell>")
    empty = b'<table:table-cell office:value-type="string" office:string-value=""><text:p/></table:table-cell>'
    assert xml[at:at + len(empty)] == empty
    error = (b'<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" '
             b'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>')
    return xml[:at] + error + xml[at + len(empty):]


def test_an_ods_error_cell_is_not_read_as_empty_behind_a_bad_column_count(tmp_path):
    """Found by an audit: with one <table:table-column number-columns-repeated="x"> on the sheet, the error
    cell in the optional 離崗日期 was read as empty (29 records accepted, "no problems found"): the guard
    looked still employed."""
    def change(xml: bytes) -> bytes:
        xml = _error_cell_in_end_date(xml)
        at = xml.index('table:name="保安人員"'.encode())
        return xml[:at] + xml[at:].replace(
            b"<table:table-row>", b'<table:table-column table:number-columns-repeated="x"/><table:table-row>', 1)
    report = check_file(_ods(tmp_path, change), registry={"1001"}, today=TODAY)
    assert report.refused and "sheet '保安人員'" in report.file_problems[0].reason_en


def test_an_ods_error_cell_with_a_cached_value_is_reported_as_the_error(tmp_path):
    """Found by an audit: an amount cell of LibreOffice's error kind (calcext:value-type="error") that also
    carried office:value="0" was read as an amount of 0 and accepted: an error was put only into an empty
    cell.  LibreOffice shows #DIV/0!."""
    amount = b'<table:table-cell office:value-type="float" office:value="1200.5"><text:p>1200.5</text:p></table:table-cell>'
    error = (b'<table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0" '
             b'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>')

    def change(xml: bytes) -> bytes:
        assert amount in xml
        return xml.replace(b"<office:document-content ", b"<office:document-content " + CALCEXT, 1).replace(
            amount, error, 1)
    report = check_file(_ods(tmp_path, change), registry={"1001"}, today=TODAY)
    [p] = report.problems
    assert (p.sheet, p.row, p.column) == ("安全經費", 2, "金額") and "#DIV/0!" in p.reason_en, p.as_text()


def test_an_ods_whose_content_unpacks_beyond_the_part_limit_is_refused_before_it_is_parsed(tmp_path):
    """Found by an audit: 432 MB of empty rows (1 MB deflated) were parsed whole, 3 GB in memory; 468 MB of
    tiny elements ran out of memory in the measure itself."""
    rows = "<table:table-row/>" * (formats.MAX_SHEET_PART_BYTES // len("<table:table-row/>") + 1000)
    result = _checked_apart(_ods(tmp_path, _with_sheet(rows)))
    _refused_saying(result, "content.xml", "limit 100 MB")


def test_an_ods_of_too_many_sheets_is_refused_before_calamine_opens_it(tmp_path):
    """Found by an audit: a million one-cell sheets (3 MB) took a minute and 1.5 GB; nothing counted them."""
    tables = "".join(f'<table:table table:name="s{i}"><table:table-row>'
                     '<table:table-cell office:value-type="float" office:value="7"/></table:table-row></table:table>'
                     for i in range(formats.MAX_SHEETS + 1))

    def change(xml: bytes) -> bytes:
        at = xml.rindex(b"</table:table>") + len(b"</table:table>")
        return xml[:at] + tables.encode() + xml[at:]
    _refused_saying(_checked_apart(_ods(tmp_path, change)), f"limit {formats.MAX_SHEETS}", "工作表")


def test_an_ods_whose_mimetype_is_another_kind_says_what_it_is_in_words(tmp_path):
    """Found by an audit: the refusal showed calamine's "Invalid MIME type: [97, 112, 112, ...]", the
    mimetype as a list of numbers."""
    path = _ods(tmp_path, lambda xml: xml, mimetype=b"application/vnd.oasis.opendocument.text")
    [p] = check_file(path, registry={"1001"}, today=TODAY).file_problems
    assert "application/vnd.oasis.opendocument.text" in p.reason_en and "[97," not in p.reason_en
    assert "不是 OpenDocument 電子表格" in p.reason_zh


# ---------------------------------------------------------------- .xls

def _biff_stream(book=None) -> bytes:
    """The BIFF8 Workbook stream of the school's book, as write_xls writes it (xlwt)."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in (book or school_book()).items():
        sheet = workbook.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, ErrorCell):
                    sheet.row(r).set_cell_error(c, str(value))
                elif value is not None:
                    sheet.write(r, c, value, dates if isinstance(value, date) else xlwt.Style.default_style)
    return workbook.get_biff_data()


def _substreams(data: bytes) -> list[list[tuple[int, bytes]]]:
    """[globals, sheet 1, ...], each a list of (record type, payload), split after each EOF."""
    out, current, at = [], [], 0
    while at + 4 <= len(data):
        kind, size = struct.unpack_from("<HH", data, at)
        current.append((kind, data[at + 4:at + 4 + size]))
        at += 4 + size
        if kind == 0x000A:
            out.append(current)
            current = []
    return out + ([current] if current else [])


def _xls(path: Path, subs: list[list[tuple[int, bytes]]]) -> Path:
    """The substreams joined again (each BOUNDSHEET pointing at its sheet) in an OLE file, as xlwt saves it."""
    from xlwt.CompoundDoc import XlsDoc

    def raw(records):
        return b"".join(struct.pack("<HH", kind, len(data)) + data for kind, data in records)
    pos, sheet, globals_ = len(raw(subs[0])), 1, []
    for kind, data in subs[0]:
        if kind == 0x0085 and sheet < len(subs):
            data = struct.pack("<I", pos) + data[4:]
            pos += len(raw(subs[sheet]))
            sheet += 1
        globals_.append((kind, data))
    out = io.BytesIO()
    XlsDoc().save(out, raw(globals_) + b"".join(raw(s) for s in subs[1:]))
    path.write_bytes(out.getvalue())
    return path


def _number(row: int, col: int) -> tuple[int, bytes]:
    return 0x0203, struct.pack("<HHHd", row, col, 15, 7.0)


def _before_eof(records: list, *more) -> list:
    return records[:-1] + list(more) + records[-1:]


def test_an_xls_whose_dimensions_claim_rows_beyond_an_xls_is_refused_before_calamine(tmp_path):
    """Found by an audit: every sheet's DIMENSIONS record claimed rows to 2^32 (the cells unchanged, 14 KB):
    xlrd counted the 60 real cells, calamine reserved what DIMENSIONS claims and aborted the process."""
    subs = _substreams(_biff_stream())
    subs = [subs[0]] + [[(k, struct.pack("<IIHHH", 0, 0xFFFFFFFF, 0, 0xFFFF, 0) if k == 0x0200 else d)
                         for k, d in sub] for sub in subs[1:]]
    result = _checked_apart(_xls(tmp_path / "dimensions.xls", subs))
    _refused_saying(result, "sheet '學校概況' claims rows", "65536 rows x 256 columns")


@pytest.mark.parametrize("case", ["a value in column 65536", "a short BOF record after a far value",
                                  "a far value on every sheet, one short BOF record"])
def test_an_xls_record_xlrd_cannot_read_refuses_the_file_not_measured_by_nothing(tmp_path, case):
    """Found by an audit: any xlrd failure gave "no check" and calamine read the file unmeasured: a NUMBER
    at column 65536 aborted it; a 16-byte BOF record after a value at IV65536 made it lay out 1.3 GB, or
    abort with the value on every sheet (the workbook limit would have refused it)."""
    subs = _substreams(_biff_stream())
    short_bof = (0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
    if case == "a value in column 65536":
        subs[-1] = _before_eof(subs[-1], _number(65535, 65535))
    elif case == "a short BOF record after a far value":
        subs[1] = _before_eof(subs[1], _number(65535, 255), short_bof)
    else:
        subs = [subs[0]] + [_before_eof(s, _number(65535, 255)) for s in subs[1:]]
        subs[1] = _before_eof(subs[1], short_bof)
    result = _checked_apart(_xls(tmp_path / "record.xls", subs))
    _refused_saying(result, "damaged or not a real Excel 97-2003 workbook", "Excel 97-2003")


@pytest.mark.parametrize("damage", ["a truncated XF record", "an SST claiming 2^32-1 strings"])
def test_an_xls_error_cell_is_not_read_as_empty_behind_a_record_xlrd_rejects(tmp_path, damage):
    """Found by an audit: #DIV/0! in 保安人員's optional 離崗日期 was found in the plain file, but with one XF
    record cut short (or an SST claiming 2^32-1 strings) xlrd failed, the check was dropped, and calamine
    read the error as empty: 29 records accepted, "no problems found"."""
    book = school_book()
    book["保安人員"][1][5] = ErrorCell("#DIV/0!")
    subs = _substreams(_biff_stream(book))
    if damage == "a truncated XF record":
        subs[0] = [(k, d[:4] if k == 0x00E0 else d) for k, d in subs[0]]
    else:
        subs[0] = [(k, struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF) + d[8:] if k == 0x00FC else d) for k, d in subs[0]]
    result = _checked_apart(_xls(tmp_path / "error.xls", subs))
    _refused_saying(result, "Excel 97-2003")


def _ole_with_directory_loop(path: Path) -> Path:
    """The school's .xls with the FAT entry of its directory's first sector pointing at itself."""
    data = bytearray(write_xls(tmp := path.with_name("plain.xls"), school_book()).read_bytes())
    tmp.unlink()
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    size = 1 << shift
    fat_sectors = [struct.unpack_from("<I", data, 0x4C + 4 * i)[0]
                   for i in range(min(struct.unpack_from("<I", data, 0x2C)[0], 109))]
    directory = struct.unpack_from("<I", data, 0x30)[0]
    per = size // 4
    struct.pack_into("<I", data, size + fat_sectors[directory // per] * size + 4 * (directory % per), directory)
    path.write_bytes(bytes(data))
    return path


def test_an_xls_whose_ole_chain_loops_on_itself_is_refused_before_calamine(tmp_path):
    """Found by an audit: calamine does not detect a FAT chain that loops (the directory's sector pointing at
    itself) and grows until the allocation fails and the process aborts; xlrd saw it, and was ignored."""
    result = _checked_apart(_ole_with_directory_loop(tmp_path / "loop.xls"))
    _refused_saying(result, "damaged or not a real Excel 97-2003 workbook")


@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
def test_a_workbook_of_too_many_sheets_is_refused(tmp_path, fmt):
    """Found by an audit (for .ods; the .xls BOUNDSHEET records and the .xlsx's sheets likewise): nothing
    limited the number of sheets calamine opens."""
    book = school_book()
    book.update({f"s{i}": [["x"], [1]] for i in range(formats.MAX_SHEETS)})
    path = (write_xls if fmt == "xls" else write_xlsx)(tmp_path / f"many.{fmt}", book)
    _refused_saying(_checked_apart(path), f"limit {formats.MAX_SHEETS}")


def test_the_ole_signature_alone_is_not_called_a_text_file(tmp_path):
    """Found by an audit: an .xls cut after its 8 signature bytes (no NUL among them) was called a CSV file."""
    path = tmp_path / "cut.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    [p] = check_file(path, today=TODAY).file_problems
    assert "CSV" not in p.reason_en and "damaged" in p.reason_en and "已損壞" in p.reason_zh


def test_a_bare_biff2_worksheet_is_called_a_very_old_excel_format(tmp_path):
    """Found by an audit: an Excel 2.x worksheet (not in an OLE file) was refused with calamine's raw "Cfb
    error: Invalid OLE (59 bytes is too small ...)"."""
    def record(kind: int, data: bytes) -> bytes:
        return struct.pack("<HH", kind, len(data)) + data
    path = tmp_path / "old.xls"
    path.write_bytes(record(0x0009, struct.pack("<HH", 2, 0x10)) + record(0x0000, struct.pack("<HHHH", 0, 1, 0, 1))
                     + record(0x0003, struct.pack("<HH", 0, 0) + b"\x00\x00\x00" + struct.pack("<d", 1001))
                     + record(0x000A, b""))
    [p] = check_file(path, today=TODAY).file_problems
    assert "very old Excel format" in p.reason_en and "Cfb" not in p.reason_en and "很舊的 Excel 格式" in p.reason_zh


# ---------------------------------------------------------------- .xlsb and other packages

def _varint(n: int) -> bytes:
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        out += bytes([low | (0x80 if n else 0)])
        if not n:
            return out


def _xlsb_with_a_far_cell(path: Path) -> Path:
    """A hand-made BIFF12 .xlsb, one sheet holding a cell at A1 and one at XFD1048576."""
    def rec(kind: int, data: bytes = b"") -> bytes:
        return _varint(kind) + _varint(len(data)) + data

    def wide(text: str) -> bytes:
        return struct.pack("<I", len(text)) + text.encode("utf-16-le")
    workbook = rec(0x83) + rec(0x8F) + rec(0x9C, struct.pack("<II", 0, 1) + wide("rId1") + wide("附註")) + \
        rec(0x90) + rec(0x84)
    cells = b""
    for row, col in ((0, 0), (1048575, 16383)):
        cells += rec(0x00, struct.pack("<IIHHBB", row, 0, 300, 0, 0, 0) + struct.pack("<I", 0))
        cells += rec(0x05, struct.pack("<II", col, 0) + struct.pack("<d", 2.0))
    sheet = rec(0x81) + rec(0x94, struct.pack("<IIII", 0, 1048575, 0, 16383)) + rec(0x91) + cells + rec(0x92) + \
        rec(0x82)
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>')
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.'
             'macroEnabled.main"/></Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("xl/workbook.bin", workbook)
        z.writestr("xl/_rels/workbook.bin.rels", rels)
        z.writestr("xl/worksheets/sheet1.bin", sheet)
    return path


@pytest.mark.parametrize("name", ["far.xlsx", "far.xls"])
def test_an_xlsb_under_another_name_is_refused_before_calamine(tmp_path, name):
    """Found by an audit: a 400-byte .xlsb named .xlsx was neither an .xlsx nor an .ods to the measure, and
    calamine, reading it by its content, asked for 550 GB for its cell at XFD1048576 and aborted."""
    result = _checked_apart(_xlsb_with_a_far_cell(tmp_path / name))
    _refused_saying(result, ".xlsb", "not accepted")


@pytest.mark.parametrize("damage", ["method", "local header"])
def test_a_workbook_whose_zip_members_are_damaged_is_called_damaged_not_a_failed_read(tmp_path, damage):
    """Found by a fuzz of damaged uploads: an .ods whose mimetype member was stored by an unknown method,
    or whose local header was overwritten, raised from the package check before the reader's own
    handling (NotImplementedError, BadZipFile): the school read 「讀取此文件時出錯(BadZipFile)」 and the
    log a traceback, not that the file is damaged and how to send it again."""
    from sync.report import check_bytes

    data = bytearray(write_ods(tmp_path / "1001.ods", school_book()).read_bytes())
    entry = {info.filename: info for info in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()}["mimetype"]
    if damage == "method":  # the central directory's record of it says method 99
        at = data.index(b"PK\x01\x02")
        while data[at + 46:at + 46 + 8] != b"mimetype":
            at = data.index(b"PK\x01\x02", at + 4)
        struct.pack_into("<H", data, at + 10, 99)
    else:  # its local header's signature overwritten
        data[entry.header_offset:entry.header_offset + 4] = b"XXXX"
    report = check_bytes(bytes(data), "1001.ods", today=TODAY)
    assert report.refused and len(report.file_problems) == 1
    problem = report.file_problems[0]
    assert "無法讀取此文件" in problem.reason_zh and "損壞" in problem.reason_zh and "另存" in problem.reason_zh
    assert "cannot be read" in problem.reason_en and "failed" not in problem.reason_en


# ---------------------------------------------------------------- addresses and texts calamine reads its own way

def _with_part_changed(source: Path, part: str, change) -> Path:
    """A copy of the package `source` (hostile.xlsx beside it) with change(bytes) -> bytes applied to `part`."""
    target = source.with_name("hostile" + source.suffix)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            data = src.read(name)
            out.writestr(name, change(data) if name == part else data)
    return target


def _xlsx_with_far_cell(tmp_path: Path, row: str, cell: str) -> Path:
    """The school's .xlsx with one more row, `row` (its <row> tag's number), holding `cell` (raw XML), at
    the end of 保安演練's sheet data (openpyxl writes the sheets in order: 保安演練 is the tenth)."""
    return _with_part_changed(write_xlsx(tmp_path / "school.xlsx", school_book()), "xl/worksheets/sheet10.xml",
                              lambda data: data.replace(b"</sheetData>", f'<row r="{row}">{cell}</row></sheetData>'.encode(), 1))


@pytest.mark.parametrize("row,cell", [
    ("1048576", '<c r="xfd1048576"><v>1</v></c>'),  # lower case: calamine's reading of it
    ("12345678", '<c r="C12345678"><v>1</v></c>'),  # eight digits
    ("99999999999", '<c r="C99999999999"><v>1</v></c>'),  # an address no office suite has
    ("1048576", '<c r="XFD1048576"><!-- a remark --><v>1</v></c>'),  # something before its value
], ids=["lower case", "eight-digit row", "eleven-digit row", "comment before the value"])
def test_a_far_cell_spelt_as_only_calamine_reads_it_is_refused_before_calamine_opens_the_file(tmp_path, row, cell):
    """Found by a fuzz: each of these went unmeasured (the searches took upper-case letters, rows of up to
    seven digits and a value right after the cell's tag) and calamine, laying the sheet out to that cell,
    ran for minutes or aborted the reading process; a school got "the reader stopped" and no reason."""
    result = _checked_apart(_xlsx_with_far_cell(tmp_path, row, cell))
    _refused_saying(result, "reaches cell", "far beyond any table")


def test_an_ods_text_of_a_billion_spaces_is_refused_before_calamine_writes_them_out(tmp_path):
    """Found by a fuzz: <text:s text:c="1000000000"/> in one cell is a billion spaces, which calamine
    writes out (a 3 KB file aborted the reading process): the text measure counts them."""
    def change(xml: bytes) -> bytes:
        return xml.replace("<text:p>本部</text:p>".encode(), '<text:p>本<text:s text:c="1000000000"/>部</text:p>'.encode(), 1)

    result = _checked_apart(_ods(tmp_path, change))
    _refused_saying(result, "its text, repeated over its cells")


def test_an_ods_text_with_a_few_spaces_written_as_one_element_is_read(tmp_path):
    """Two spaces as LibreOffice saves them (<text:s text:c="2"/>) are text like any other."""
    def change(xml: bytes) -> bytes:
        return xml.replace("<text:p>本部</text:p>".encode(), '<text:p>本<text:s text:c="2"/>部</text:p>'.encode(), 1)

    result = _checked_apart(_ods(tmp_path, change))
    assert not result["refused"], result["problems"][:3]


def _xlsx_with_first_shared_text_cell(tmp_path: Path, change) -> Path:
    """The school's .xlsx as Excel saves it (xlsxwriter: texts in the shared-string table) with change(the
    school's name cell, 學校概況!B2) -> that cell's new XML."""
    from tests.test_sync_hostile_amplification import _written_by_xlsxwriter

    def changed(data: bytes) -> bytes:
        cell = re.search(rb'<c r="B2"[^<>]*t="s"><v>\d+</v></c>', data)
        assert cell is not None, data[:600]
        return data.replace(cell[0], change(cell[0]), 1)

    return _with_part_changed(_written_by_xlsxwriter(tmp_path / "school.xlsx", school_book()),
                              "xl/worksheets/sheet1.xml", changed)


@pytest.mark.parametrize("value", ["-1", "abc", " 5 ", "1.9", "1e2"])
def test_a_shared_text_cell_whose_number_is_none_is_refused_not_read_as_the_first_text(tmp_path, value):
    """Found by a fuzz: calamine reads a shared-text reference it cannot parse as entry 0, so the school's
    name became the table's first text, silently; the file is refused as damaged, naming the cell."""
    path = _xlsx_with_first_shared_text_cell(tmp_path, lambda cell: re.sub(rb"<v>\d+</v>", f"<v>{value}</v>".encode(), cell))
    result = _checked_apart(path)
    _refused_saying(result, "cell B2 of sheet '學校概況' refers to text number", "單元格 B2")


def test_a_shared_text_cell_spelt_otherwise_is_read_one_cell_at_a_time(tmp_path):
    """t="s" before the address (no office suite writes it so) is found by the cell-by-cell reading:
    a broken number is refused, a sound one read as ever."""
    def reordered(value: bytes):
        return lambda cell: b'<c t="s" r="B2"><v>' + value + b"</v></c>"

    _refused_saying(_checked_apart(_xlsx_with_first_shared_text_cell(tmp_path, reordered(b"-1"))), "refers to text number")
    path = _xlsx_with_first_shared_text_cell(tmp_path, lambda cell: re.sub(rb'<c r="B2"([^<>]*) t="s">', rb'<c t="s"\1 r="B2">', cell))
    result = check_file(path, registry={"1001"}, today=TODAY)
    assert not result.refused and result.rows["school"][0]["name"] == school_book()["學校概況"][1][1]


def test_a_sheet_pointed_at_a_part_that_is_no_sheet_is_refused_not_read_blank(tmp_path):
    """Found by a fuzz: 安全辦人員's relationship pointed at workbook.xml; calamine read the sheet as blank
    and its records, in a part nothing pointed at any more, were lost with only "the sheet is blank" said."""
    def repointed(rels: bytes) -> bytes:
        rels = re.sub(rb'Target="(/xl/)?worksheets/sheet4.xml"', b'Target="/xl/workbook.xml"', rels)
        assert b"sheet4.xml" not in rels
        return rels

    target = _with_part_changed(write_xlsx(tmp_path / "school.xlsx", school_book()), "xl/_rels/workbook.xml.rels",
                                repointed)
    _refused_saying(_checked_apart(target), "points at something that is not a sheet (xl/workbook.xml)")


def _with_a_stale_checksum(source: Path, target: Path, part: str, old: bytes, new: bytes) -> Path:
    """A copy of the package stored uncompressed, with `old` changed to `new` (as long) inside `part` and
    the part's checksum left as it was: a bit flipped on a disk or in a copy."""
    assert len(old) == len(new)
    stored = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as out:
        for name in src.namelist():
            out.writestr(name, src.read(name))
    data = stored.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(part)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    at = data.index(old, start, start + info.file_size)
    target.write_bytes(data[:at] + new + data[at + len(old):])
    return target


def test_a_flipped_bit_in_the_shared_texts_is_refused_not_read_as_written(tmp_path):
    """Found by a fuzz: calamine checks a sheet part's checksum, not the shared-string table's: 城關小學
    changed to 城關中學 there was read as the school's name."""
    from tests.test_sync_hostile_amplification import _written_by_xlsxwriter

    source = _written_by_xlsxwriter(tmp_path / "school.xlsx", school_book())
    target = _with_a_stale_checksum(source, tmp_path / "flipped.xlsx", "xl/sharedStrings.xml",
                                    "城關小學".encode(), "城關中學".encode())
    _refused_saying(_checked_apart(target), "xl/sharedStrings.xml fails its checksum")


def test_a_flipped_bit_in_an_ods_styles_part_is_refused(tmp_path):
    source = write_ods(tmp_path / "school.ods", school_book())
    with zipfile.ZipFile(source) as archive:
        styles = archive.read("styles.xml")
    old = styles[styles.index(b"<office:styles"):][:14]
    target = _with_a_stale_checksum(source, tmp_path / "flipped.ods", "styles.xml", old, old.upper())
    _refused_saying(_checked_apart(target), "styles.xml fails its checksum")
