"""Files a hostile tester (or a real school) sends: each case here was a bug found in review."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from sync.load import run_sync
from sync.migrate import upgrade
from sync.report import check_file
from sync.store import make_engine, records, sources
from tests.sync_helpers import bureau_book, school_book, write, write_ods, write_xlsx

TODAY = date(2026, 11, 28)


def _lines(report):
    return [p.as_text() for p in report.problems]


# ---------------------------------------------------------------- school codes that lost leading zeros

def test_a_code_that_excel_stripped_of_its_leading_zero_matches_the_registry(tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", school_book(code=123))  # typed 0123, Excel kept the number 123
    report = check_file(path, registry={"0123", "1001"}, today=TODAY)
    assert not report.refused, _lines(report)
    assert report.school_code == "0123"
    assert {r["school_code"] for r in report.rows["drills"]} == {"0123"}
    # read so, never silently (data-contract.md; an audit): the school is told, on its 學校代碼
    [note] = report.problems
    assert note.level == "note" and note.column == "學校代碼" and "'123' was read as the registry writes it, '0123'" in note.reason_en


def test_a_stripped_code_that_two_registered_codes_could_be_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", school_book(code=123))
    report = check_file(path, registry={"0123", "00123"}, today=TODAY)
    assert report.refused and report.school_code == "123"
    assert any("registry" in p.reason_en for p in report.file_problems)


def test_inspections_name_a_school_by_its_code_without_leading_zeros(tmp_path):
    book = bureau_book(("0123", "1002"))
    book["督查記錄"][1][1] = 123
    report = check_file(write_xlsx(tmp_path / "b.xlsx", book), today=TODAY)
    [note] = report.problems  # the one note saying so: a code is never respelt silently
    assert note.level == "note" and "123 → 0123" in note.reason_en, _lines(report)
    assert report.rows["inspections"][0]["school_code"] == "0123"


@pytest.fixture
def sqlite_engine(sqlite_url):
    """A migrated store on SQLite only; `engine` (conftest) runs on PostgreSQL too."""
    eng = make_engine(sqlite_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def test_a_run_loads_a_stripped_code_as_the_registered_school(sqlite_engine, tmp_path):
    box = tmp_path / "inbox"
    box.mkdir()
    write_xlsx(box / "bureau.xlsx", bureau_book(("0123", "1002")))
    write_xlsx(box / "a.xlsx", school_book(code=123))
    summary = run_sync(sqlite_engine, box, today=TODAY, sql_sources=[], recompute=False)
    assert summary.status == "ok", [(o.source_key, o.message) for o in summary.sources]
    with sqlite_engine.connect() as conn:
        codes = set(conn.execute(select(records["drills"].c.school_code)).scalars())
        src = conn.execute(select(sources.c.school_code).where(sources.c.source_key == "file:a.xlsx")).scalar()
    assert codes == {"0123"} and src == "0123"


def test_two_files_of_one_school_are_found_when_one_lost_its_leading_zero(sqlite_engine, tmp_path):
    box = tmp_path / "inbox"
    box.mkdir()
    write_xlsx(box / "bureau.xlsx", bureau_book(("0123", "1002")))
    write_xlsx(box / "a.xlsx", school_book(code=123))
    write_xlsx(box / "b.xlsx", school_book(code="0123"))
    summary = run_sync(sqlite_engine, box, today=TODAY, sql_sources=[], recompute=False)
    refused = {o.source_key: o.message for o in summary.sources if o.action == "refused"}
    assert set(refused) == {"file:a.xlsx", "file:b.xlsx"}
    assert all("a.xlsx" in m and "b.xlsx" in m for m in refused.values())


# ---------------------------------------------------------------- title rows above, signature lines below

def _book_with_paperwork(tmp_path, footer):
    """Every sheet as a school prints it: a title, a date line, a blank column on the left, a blank row
    under the header, and `footer` lines under the table."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in school_book().items():
        ws = wb.create_sheet(name)
        ws.append(["城關小學安全工作台賬"])
        ws.merge_cells("A1:F1")
        ws.append(["填報日期：2026年5月1日"])
        for i, row in enumerate(rows):
            ws.append([None, *row])
            if i == 0:
                ws.append([])
        ws.append([])
        for line in footer:
            ws.append([None, *line])
    wb["校區"]["C5"] = "六百"  # header on row 3, blank row 4, the first record on row 5
    return wb.save(tmp_path / "paper.xlsx") or tmp_path / "paper.xlsx"


@pytest.mark.parametrize("footer", [
    [["單位（蓋章）"]],
    [["學校(公章)", None, "校長簽字："]],
    [["負責人（簽字）："], ["2026年  月  日"]],
    [["年　月　日"]],
    [["备注：以上内容属实"], ["填表人：张三", None, "审核人：李四"], ["单位（盖章）"]],
])
def test_signature_lines_under_a_table_are_notes_and_row_numbers_are_as_seen(tmp_path, footer):
    report = check_file(_book_with_paperwork(tmp_path, footer), registry={"1001"}, today=TODAY)
    assert not report.refused, _lines(report)
    assert [(p.sheet, p.row, p.column, p.value) for p in report.problems] == [("校區", 5, "在校學生數", "六百")]
    assert report.problems[0].col_no == 3


# ---------------------------------------------------------------- privacy

@pytest.mark.parametrize("sheet,row,col,value", [
    ("安全經費", 1, 2, 13800000000.00),  # an amount of 13.8 billion is not a phone number
    ("安全經費", 1, 2, "13800000000.00"),
    ("隱患整改", 1, 0, "20260312001"),  # a hazard number made of a date and a serial
    ("應急演練", 1, 7, 13900000000),  # a count with a typo is a count, checked as one
])
def test_long_numbers_that_are_not_phone_numbers_do_not_refuse_the_file(tmp_path, sheet, row, col, value):
    book = school_book()
    book[sheet][row][col] = value
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not any("phone" in p.reason_en for p in report.problems), _lines(report)


@pytest.mark.parametrize("value,kind", [
    ("110105194912310021", "identity-card"), ("11010519491231002X", "identity-card"),
    ("110105491231002", "identity-card"),  # the old 15-digit card
    ("13812345678", "phone"), ("138 1234 5678", "phone"), ("0351-1234567", "phone"), ("+86 13812345678", "phone"),
])
def test_identity_and_phone_numbers_in_any_text_column_refuse_the_file(tmp_path, value, kind):
    book = school_book()
    book["保安人員"][1][3] = value  # 保安公司
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused
    [p] = report.file_problems
    assert kind in p.reason_en and (p.sheet, p.row, p.column) == ("保安人員", 2, "保安公司")
    assert value not in (p.value or "")  # the number itself is not repeated in the report


@pytest.mark.parametrize("header", ["身份證號", "聯繫電話", "手機", "Phone", "ID card"])
def test_a_private_column_is_refused_even_when_empty(tmp_path, header):
    book = school_book()
    book["保安人員"][0].append(header)
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused and report.file_problems[0].column == header


@pytest.mark.parametrize("sheet,header,answer", [
    ("校區", "報警電話是否暢通", "是"), ("應急演練", "是否撥打119電話演練", "是"), ("保安人員", "對講機/手機配備", "是"),
    ("安全教育", "通知方式（電話/短信）", "短信"), ("隱患整改", "聯繫方式是否公示", "否"),
    # found by an audit: any digit under 證件 or 電話 refused the whole workbook
    ("保安人員", "保安員證件號", "BA2021001"), ("保安人員", "證件有效期", date(2027, 6, 30)),
    ("校區", "值班電話數量", 2), ("校區", "電話機數", "3"), ("校區", "Phone lines", 2),
])
def test_an_extra_column_about_phones_or_papers_holding_no_such_number_is_kept_out_not_refused(
        tmp_path, sheet, header, answer):
    """data-contract.md 1: unknown extra columns "do not fail the file"; only a column that looks like
    identity-card or phone numbers is refused.  These hold answers, counts, dates or a certificate's
    code: questions about phones and papers, not lists of them."""
    book = school_book()
    book[sheet][0].append(header)
    for row in book[sheet][1:]:
        row.extend([None] * (len(book[sheet][0]) - 1 - len(row)) + [answer])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, [p.as_text() for p in report.problems]


@pytest.mark.parametrize("header", ["報警電話是否暢通", "值班電話數量", "證件有效期", "證件類型", "手機有無"])
def test_an_empty_extra_column_asking_about_phones_or_papers_is_kept_out_not_refused(tmp_path, header):
    """data-contract.md: only "a column that looks like" identity-card or phone numbers is refused.  A heading
    that asks whether, how many, until when or what kind (報警電話是否暢通, 值班電話數量, 證件有效期) names a
    column of answers, counts, dates or kinds, which it still is left empty: the whole workbook was refused
    for an empty column of an office's own form (found by a contract audit)."""
    book = school_book()
    book["校區"][0].append(header)
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)


def test_an_empty_phone_column_whose_bracket_asks_a_question_is_still_a_phone_column(tmp_path):
    book = school_book()
    book["校區"][0].append("聯繫電話（是否公開）")
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused and report.file_problems[0].column == "聯繫電話（是否公開）"


@pytest.mark.parametrize("header,number", [("值班電話數量", "6123456"), ("證件類型", "110101199003071234")])
def test_a_number_under_a_heading_asking_about_phones_or_papers_still_refuses_the_file(tmp_path, header, number):
    """The heading says what the column is about; a number of that kind in it is still refused."""
    book = school_book()
    book["校區"][0].append(header)
    book["校區"][1].append(number)
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused and {p.column for p in report.file_problems} == {header}


@pytest.mark.parametrize("header,number", [
    ("值班電話", "6123456"), ("聯繫電話", "值班室 612 3456"), ("證件號", 6123456.0),
    # found by a regression audit: grouped by dashes or dots, as people write them
    ("值班電話", "6512-3456"), ("值班電話", "0351-612-3456"), ("手機號", "138.0013.8000"),
])
def test_a_local_number_under_a_phone_or_papers_heading_is_refused_though_no_area_code_shows_it(
        tmp_path, header, number):
    book = school_book()
    book["保安人員"][0].append(header)
    book["保安人員"][1].append(number)
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused and {p.column for p in report.file_problems} == {header}


def test_a_phone_column_with_one_number_among_answers_is_refused(tmp_path):
    book = school_book()
    book["保安人員"][0].append("手機")
    book["保安人員"][1].append("有")
    book["保安人員"][2].append("138 0013 8000")
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused and {p.column for p in report.file_problems} >= {"手機"}


# ---------------------------------------------------------------- formulas that failed

def _with_error_cell(path, sheet, cell, error):
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb[sheet][cell] = error
    wb[sheet][cell].data_type = "e"  # what Excel saves for a formula that failed: the error, not a value
    wb.save(path)
    return path


@pytest.mark.parametrize("sheet,cell,column", [
    ("校區", "B2", "在校學生數"), ("校區", "A2", "校區名稱"), ("安全經費", "C2", "金額"), ("應急演練", "B2", "校區"),
])
@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#REF!"])
def test_an_excel_error_cell_is_a_row_problem_that_names_the_error(tmp_path, sheet, cell, column, error):
    path = _with_error_cell(write_xlsx(tmp_path / "s.xlsx", school_book()), sheet, cell, error)
    report = check_file(path, registry={"1001"}, today=TODAY)
    bad = [p for p in report.problems if (p.sheet, p.row, p.column) == (sheet, 2, column)]
    assert bad and bad[0].value == error and error in bad[0].reason_zh and "formula" in bad[0].reason_en
    assert bad[0].level == "row"


@pytest.mark.parametrize("error", ["#DIV/0!", "#REF!"])  # xlwt writes these two faithfully
def test_an_excel_error_cell_in_an_xls_is_a_row_problem_that_names_the_error(tmp_path, error):
    from tests.sync_helpers import ErrorCell, write_xls

    book = school_book()
    book["校區"][1][1] = ErrorCell(error)  # 在校學生數 of the first campus
    book["安全經費"].append([date(2026, 3, 1), "安全宣傳", ErrorCell(error)])
    report = check_file(write_xls(tmp_path / "s.xls", book), registry={"1001"}, today=TODAY)
    bad = {(p.sheet, p.row, p.column): p for p in report.problems}
    for where in (("校區", 2, "在校學生數"), ("安全經費", len(book["安全經費"]), "金額")):
        assert where in bad and bad[where].value == error and error in bad[where].reason_zh, where
    assert not report.refused and report.rows["campuses"] == []  # its only campus row is refused, not emptied


def test_error_cells_are_found_in_a_workbook_too_large_to_hold_in_memory(tmp_path, monkeypatch):
    """A workbook with pictures can be large: it is scanned from disk, with the same findings."""
    import sync.formats as formats

    path = _with_error_cell(write_xlsx(tmp_path / "s.xlsx", school_book()), "校區", "B2", "#DIV/0!")
    held = check_file(path, registry={"1001"}, today=TODAY)
    monkeypatch.setattr(formats, "HELD_IN_MEMORY_BYTES", 100)
    assert formats.Package.of(path).data is None
    from_disk = check_file(path, registry={"1001"}, today=TODAY)
    assert from_disk.problems == held.problems and any("#DIV/0!" in p.reason_zh for p in from_disk.problems)


def test_an_error_typed_as_text_in_a_text_column_is_not_taken_as_a_name(tmp_path):
    book = school_book()
    book["應急演練"][1][1] = "#N/A"  # an .ods or a pasted value: the error as text
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.row, p.column, p.value) for p in report.problems][:1] == [("應急演練", 2, "校區", "#N/A")]


# ---------------------------------------------------------------- values the store could not hold

def _county(tmp_path):
    box = tmp_path / "inbox"
    box.mkdir()
    write_xlsx(box / "bureau.xlsx", bureau_book(("1001", "1002")))
    write_xlsx(box / "1002.xlsx", school_book("1002", name="東關小學"))
    return box


@pytest.mark.parametrize("sheet,row,col,value,word,fmt", [
    ("安全經費", 1, 2, 10 ** 13, "too large", "xlsx"),  # beyond NUMERIC(14, 2)
    ("應急演練", 1, 7, 3_000_000_000, "too large", "xlsx"),  # beyond a 32-bit INTEGER
    ("隱患整改", 1, 2, "圍墻\x00破損", "control character", "xls"),  # PostgreSQL text cannot hold NUL
    # XML 1.0 holds no U+FFFE/U+FFFF: a name with one stopped the Word circular (python-docx refuses it) and
    # made the .xlsx exports a file Excel repairs (an audit of the circulated files)
    ("隱患整改", 1, 2, "圍墻\uffff破損", "control character", "xls"),
    ("隱患整改", 1, 2, "圍墻\ufffe破損", "control character", "xls"),
])
def test_a_value_the_store_cannot_hold_is_a_row_problem_not_a_failed_run(engine, tmp_path, sheet, row, col,
                                                                         value, word, fmt):
    box = _county(tmp_path)
    book = school_book("1001")
    book[sheet][row][col] = value
    path = write(fmt, box / "1001", book)
    summary = run_sync(engine, box, today=TODAY, sql_sources=[], recompute=False)
    assert summary.status == "ok", summary.message
    [outcome] = [o for o in summary.sources if o.source_key == f"file:{path.name}"]
    assert outcome.action == "loaded" and outcome.rows_rejected == 1
    assert any(word in p.reason_en and p.row == row + 1 for p in outcome.problems)


def test_a_long_code_and_a_long_header_do_not_break_the_run(engine, tmp_path):
    box = _county(tmp_path)
    book = school_book("1001")
    book["學校概況"][1][0] = "1001" * 12  # 48 characters, over the store's 32
    book["校區"][0][1] = "在校學生數(" + "說明" * 80 + ")"  # found by its name, stored shortened
    book["校區"][1][1] = "abc"
    write_xlsx(box / "1001.xlsx", book)
    summary = run_sync(engine, box, today=TODAY, sql_sources=[], recompute=False)
    assert summary.status == "refused", summary.message
    actions = {o.source_key: o.action for o in summary.sources}
    assert actions == {"file:bureau.xlsx": "loaded", "file:1002.xlsx": "loaded", "file:1001.xlsx": "refused"}


def test_an_error_while_storing_one_source_rolls_back_that_source_only(sqlite_engine, tmp_path, monkeypatch):
    import sync.load as load

    box = _county(tmp_path)
    write_xlsx(box / "1001.xlsx", school_book("1001"))
    assert run_sync(sqlite_engine, box, today=TODAY, sql_sources=[], recompute=False).status == "ok"
    book = school_book("1001")
    book["應急演練"].pop()  # 1001 changes: one drill fewer
    write_xlsx(box / "1001.xlsx", book)
    write_xlsx(box / "1002.xlsx", school_book("1002", name="東關小學", campus="東校區"))
    real = load._bulk_insert

    def broken(conn, sheet_key, columns, count, source_id):
        if sheet_key == "drills" and columns["school_code"][0] == "1001":
            raise RuntimeError("disk full in the middle of a source")
        return real(conn, sheet_key, columns, count, source_id)

    monkeypatch.setattr(load, "_bulk_insert", broken)
    summary = run_sync(sqlite_engine, box, today=TODAY, sql_sources=[], recompute=False)
    actions = {o.source_key: o.action for o in summary.sources}
    assert actions["file:1001.xlsx"] == "failed" and actions["file:1002.xlsx"] == "loaded"
    assert summary.status == "refused" and summary.finished_at is not None
    with sqlite_engine.connect() as conn:
        drills = conn.execute(select(records["drills"].c.school_code)).scalars().all()
        campuses = set(conn.execute(select(records["campuses"].c.campus)).scalars())
    assert sorted(drills) == ["1001", "1001", "1002", "1002"]  # 1001's two old drills, whole
    assert campuses == {"本部", "東校區"}
    monkeypatch.setattr(load, "_bulk_insert", real)
    again = run_sync(sqlite_engine, box, today=TODAY, sql_sources=[], recompute=False)
    assert {o.source_key: o.action for o in again.sources}["file:1001.xlsx"] == "loaded"


# ---------------------------------------------------------------- the bureau workbook refused, the inbox as people leave it

@pytest.mark.parametrize("how", ["a column missing", "no registry sheet"])
def test_a_refused_bureau_workbook_keeps_the_registry_for_the_schools_in_the_same_run(sqlite_engine, tmp_path, how):
    box = _county(tmp_path)
    assert run_sync(sqlite_engine, box, today=TODAY, sql_sources=[], recompute=False).status == "ok"
    book = bureau_book(("1001", "1002"))
    if how == "a column missing":
        book["學校名冊"] = [row[:1] + row[2:] for row in book["學校名冊"]]  # no 學校名稱
    else:
        del book["學校名冊"]
    write_xlsx(box / "bureau.xlsx", book)
    write_xlsx(box / "1001.xlsx", school_book("1001"))  # a school that sends its workbook now
    summary = run_sync(sqlite_engine, box, today=TODAY, sql_sources=[], recompute=False)
    actions = {o.source_key: o.action for o in summary.sources}
    assert actions["file:bureau.xlsx"] == "refused" and actions["file:1001.xlsx"] == "loaded", actions
    with sqlite_engine.connect() as conn:
        assert set(conn.execute(select(records["registry"].c.school_code)).scalars()) == {"1001", "1002"}


def test_office_lock_files_and_system_files_in_the_inbox_are_ignored(sqlite_engine, tmp_path):
    box = _county(tmp_path)
    write_xlsx(box / "1001.XLSX", school_book("1001"))
    (box / "~$1001.XLSX").write_bytes(b"\x0bowner lock")  # Excel's lock while the file is open
    (box / ".~lock.1002.xlsx#").write_text("user,host")  # LibreOffice's
    (box / "__MACOSX").mkdir()
    (box / "__MACOSX" / "._1001.xlsx").write_bytes(b"\x00\x05\x16\x07")
    (box / "__MACOSX" / "1002.xlsx").write_bytes(b"\x00\x05\x16\x07 resource fork")
    (box / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (box / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (box / "loop").symlink_to(box, target_is_directory=True)
    summary = run_sync(sqlite_engine, box, today=TODAY, sql_sources=[], recompute=False)
    actions = {o.source_key: o.action for o in summary.sources}
    assert actions == {"file:bureau.xlsx": "loaded", "file:1001.XLSX": "loaded", "file:1002.xlsx": "loaded"}


# ---------------------------------------------------------------- files that are not what their name says

def _encrypted_xlsx() -> bytes:
    """An OLE compound file holding an EncryptionInfo stream: what Excel saves with a password."""
    name = "EncryptionInfo".encode("utf-16-le")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + name + b"\x00" * 600


@pytest.mark.parametrize("content,zh,en", [
    (b"", "空文件", "empty"),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "網頁", "web page"),
    ("學校代碼,學校名稱\n1001,城關小學\n".encode(), "文本", "text"),
    (_encrypted_xlsx(), "密碼", "password"),
    (b"     ", "空文件", "empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF", "PDF"),
    (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x\r\n\r\n--x\r\n", "網頁", "web page"),
    (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns='
     b'"urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="x"/></Workbook>', "2003 XML", "2003 XML"),
    ("學校代碼\t學校名稱\n1001\t城關小學\n".encode("utf-16"), "文本", "text file"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "圖片", "picture"),
])
def test_a_file_that_is_not_a_workbook_says_what_it_is(tmp_path, content, zh, en):
    path = tmp_path / "1001.xlsx"
    path.write_bytes(content)
    report = check_file(path, today=TODAY)
    [p] = report.file_problems
    assert zh in p.reason_zh and en in p.reason_en, p.as_text()


@pytest.mark.parametrize("header,refused", [("金額（元）", False), ("金額(￥)", False), ("金額（萬元）", True),
                                            ("金额(万元)", True), ("金額(千元)", True)])
def test_an_amount_column_in_another_unit_is_refused_not_stored_ten_thousand_times_off(tmp_path, header, refused):
    book = school_book()
    book["安全經費"][0][2] = header
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused == refused, _lines(report)
    if refused:
        [p] = report.file_problems
        assert (p.sheet, p.row, p.column) == ("安全經費", 1, header) and "元" in p.reason_zh and "yuan" in p.reason_en


@pytest.mark.parametrize("above,refused", [
    ([[None, None, "單位：萬元"]], True), ([["2026年安全經費支出明細（單位：萬元）"]], True),
    ([["單位:千元"]], True), ([[None, None, "單位：元"]], False), ([["2026年安全經費支出明細"]], False),
])
def test_a_unit_line_above_the_amounts_is_read_like_a_unit_in_the_heading(tmp_path, above, refused):
    """「單位：萬元」 over the table makes 1.2 mean 12,000 yuan: refused as 金額（萬元） is, never stored 1.2."""
    book = school_book()
    book["安全經費"] = above + book["安全經費"]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused == refused, _lines(report)
    if refused:
        [p] = report.file_problems
        assert (p.sheet, p.row) == ("安全經費", 1) and "yuan" in p.reason_en and "unit line" in p.reason_en


@pytest.mark.parametrize("where,line,row", [
    ("below", "注：本表金額單位為萬元", 6), ("below", "備註：單位：萬元", 6), ("below", "以千元為單位", 6),
    ("beside", "單位：萬元", 1), ("below", "注：金額單位：元", None),
    # an organisation (本單位, 各單位) and a threshold (萬元以上) say nothing of the amounts' unit
    ("below", "注：各單位千元以上支出須附發票和審批單", None), ("below", "說明：本單位萬元以上安全設備已全部登記入賬", None),
])
def test_a_unit_said_beside_or_under_the_table_is_read_like_one_above_it(tmp_path, where, line, row):
    """Found by an audit: a note under the funds table, or a unit cell at the end of its header row, left
    1.5 stored as 1.5 yuan where the school meant 15,000."""
    book = school_book()
    funds = book["安全經費"]
    if where == "beside":
        funds[0] = funds[0] + [None, line]
    else:
        book["安全經費"] = funds + [[]] * (4 - len(funds)) + [[], [line]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused == (row is not None), _lines(report)
    if row is not None:
        [p] = report.file_problems
        assert (p.sheet, p.row) == ("安全經費", row) and "yuan" in p.reason_en and "元為單位" in p.reason_zh


@pytest.mark.parametrize("number_format,refused", [('0.00"萬元"', True), ('#,##0"千元"', True),
                                                   ('0.00"元"', False), ("#,##0.00", False),
                                                   # yuan stored, shown as ten thousands or thousands: as asked
                                                   ('0!.0000"萬元"', False), ('0.0,"千元"', False)])
def test_amount_cells_formatted_to_show_ten_thousands_refuse_the_file(tmp_path, number_format, refused):
    """0.00"萬元" shows 1.50萬元 while the cell holds 1.5: the value is not yuan as the school sees it."""
    import openpyxl

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    book = openpyxl.load_workbook(path)
    sheet = book["安全經費"]
    for r in range(2, sheet.max_row + 1):
        sheet.cell(r, 3).number_format = number_format
    book.save(path)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert report.refused == refused, _lines(report)
    if refused:
        [p] = report.file_problems
        assert (p.sheet, p.row, p.column) == ("安全經費", 2, "金額") and "formatted" in p.reason_en


def test_an_amount_formatted_in_ten_thousands_is_found_whatever_the_order_of_its_cells_attributes(tmp_path):
    """<c s="5" r="C2"> is the same cell as <c r="C2" s="5"> (valid XML; the order is free): its 萬元
    format is seen either way, as its error cells are (an audit found those missed)."""
    import re
    import zipfile

    import openpyxl

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    book = openpyxl.load_workbook(path)
    book["安全經費"].cell(2, 3).number_format = '0.00"萬元"'
    book.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts.items():
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<c r="([A-Z]+\d+)"([^<>]*?)(/?)>', rb"<c\2 r='\1'\3>", data)
            z.writestr(info, data)
    report = check_file(path, registry={"1001"}, today=TODAY)
    [p] = report.file_problems
    assert (p.sheet, p.row, p.column) == ("安全經費", 2, "金額") and "formatted" in p.reason_en


@pytest.mark.parametrize("number_format,refused", [("$#,##0.00", True), ('[$€-407]#,##0.00', True),
                                                   ('"US$"#,##0.00', True), ('[$¥-804]#,##0.00', False),
                                                   ("¥#,##0.00", False), ('[$-804]#,##0.00', False)])
def test_amounts_formatted_in_another_currency_refuse_the_file_not_taken_as_yuan(tmp_path, number_format, refused):
    """$1,200.50 is no amount in yuan (found by an audit: an amount in USD was stored as 1200.5 yuan);
    ¥ and a format with only a language tag ([$-804]) are yuan."""
    import openpyxl

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    book = openpyxl.load_workbook(path)
    book["安全經費"].cell(2, 3).number_format = number_format
    book.save(path)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert report.refused == refused, _lines(report)
    if refused:
        [p] = report.file_problems
        assert (p.sheet, p.column) == ("安全經費", "金額") and "another currency" in p.reason_en and "外幣" in p.reason_zh


@pytest.mark.parametrize("currency,refused", [("USD", True), ("CNY", False)])
def test_an_ods_amount_in_another_currency_is_not_taken_as_yuan(tmp_path, currency, refused):
    import zipfile

    path = write_ods(tmp_path / "s.ods", school_book())
    with zipfile.ZipFile(path) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts.items():
            if info.filename == "content.xml":
                data = data.replace(b'office:value-type="float" office:value="1200.5"',
                                    f'office:value-type="currency" office:currency="{currency}" '
                                    'office:value="1200.5"'.encode())
            z.writestr(info, data)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert report.refused == refused, _lines(report)
    if not refused:
        assert [f["amount"] for f in report.rows["funds"]] == [1200.5]


def test_an_amount_cell_formatted_to_show_ten_thousands_among_yuan_refuses_its_row(tmp_path):
    """Fewer than half of the amounts formatted 0.00"萬元" do not refuse the file, but each of them is
    not yuan as the school sees it (1.50萬元 shown, 1.5 stored): its row is refused with the reason and
    kept, never stored as 1.5 yuan; the amounts formatted as numbers are stored."""
    import openpyxl

    book = school_book()
    funds = book["安全經費"]
    funds += [[funds[1][0], "安全宣傳", 1200], [funds[1][0], "應急救援", 800]]
    path = write_xlsx(tmp_path / "s.xlsx", book)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["安全經費"]
    sheet.cell(2, 3).value = 1.5
    sheet.cell(2, 3).number_format = '0.00"萬元"'
    workbook.save(path)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.refused, _lines(report)
    assert [(p.sheet, p.row, p.column, p.value) for p in report.row_problems] == [("安全經費", 2, "金額", "1.5")]
    [p] = report.row_problems
    assert "萬元" in p.reason_zh and "yuan" in p.reason_en
    assert sorted(r["amount"] for r in report.rows["funds"]) == [800.0, 1200.0]
    assert [r["row_no"] for r in report.rejected if r["sheet_key"] == "funds"] == [2]


def test_a_contract_column_under_an_offices_own_heading_refuses_the_file_and_names_the_rename(tmp_path):
    """Every column the contract lists is part of the table (data-contract.md 1; the issue: a missing
    column refuses the file): 整改完成日期 where the contract says 完成日期 would leave every hazard
    open, so the file is refused and the school is told which heading to rename."""
    book = school_book()
    book["隱患整改"][0][6] = "整改完成日期"
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    [p] = report.problems
    assert (p.level, p.sheet, p.row, p.column) == ("file", "隱患整改", 1, "完成日期")
    assert "「整改完成日期」就是「完成日期」" in p.reason_zh and "name it '完成日期'" in p.reason_en


@pytest.mark.parametrize("sheet, heading", [
    ("保安人員", "離崗日期"), ("保安人員", "保安公司"), ("應急演練", "評定結果"), ("校區", "寄宿生數"),
    ("安全教育", "應參加人數"), ("隱患整改", "責任人"), ("護學崗", "時段"),
])
def test_a_contract_column_left_out_refuses_the_file_rather_than_reading_it_empty(tmp_path, sheet, heading):
    """A column whose cells may be empty may not be left out (data-contract.md 1 lists it): without
    離崗日期 a departed guard would count on E1, without 保安公司 every guard would be directly hired
    (E2), without 評定結果 no drill evaluated (D4): the score would change without a word."""
    book = school_book()
    at = book[sheet][0].index(heading)
    book[sheet] = [row[:at] + row[at + 1:] for row in book[sheet]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    [p] = report.file_problems
    assert (p.sheet, p.column) == (sheet, heading) and report.refused
    assert "請按模板補上" in p.reason_zh and "add it as in the template" in p.reason_en


def test_a_serial_number_or_remarks_column_is_no_note(tmp_path):
    book = school_book()
    for row in book["隱患整改"]:
        row.append("備註" if row is book["隱患整改"][0] else "")
    book["保安人員"][0].insert(0, "序號")
    for n, row in enumerate(book["保安人員"][1:], start=1):
        row.insert(0, n)
    assert not check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY).problems


# ---------------------------------------------------------------- invisible characters pasted from the web or WeChat

def test_zero_width_and_byte_order_marks_are_stray_spaces(tmp_path):
    zw, bom, nbsp = "\u200b", "\ufeff", "\u00a0"
    book = school_book()
    book["學校概況"][0][0] = bom + "學校代碼"
    book["學校概況"][1][0] = "1001" + zw
    book["校區"][1][1] = "600" + zw
    book["應急演練"][1][0] = "2026-03-10" + zw
    book["應急演練"][1][3] = "是" + nbsp
    book["安全辦人員"][1][1] = zw + "主任"
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)
    assert report.school_code == "1001" and report.rows["campuses"][0]["students"] == 600
    assert report.rows["office_staff"][0]["role"] == "主任"


def test_direction_overrides_are_taken_out_as_other_invisible_characters_are(tmp_path):
    """Found by an audit: U+202E kept in a 隱患描述 showed 「abc」 as 「cba」 on the school's page; a name or
    campus carrying one did not match its other rows."""
    book = school_book()
    book["隱患整改"][1][2] = "\u202e圍墻破損\u202c"
    book["保安人員"][1][1] = "本部\u2067"
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)
    assert report.rows["hazards"][0]["description"] == "圍墻破損"
    assert report.rows["guards"][0]["campus"] == "本部"


def test_a_run_on_a_store_nobody_initialised_says_to_run_init(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    box = _county(tmp_path)
    summary = run_sync(eng, box, today=TODAY, sql_sources=[], recompute=False)
    assert summary.status == "failed" and "safeschool init" in summary.message


# ---------------------------------------------------------------- a numbered form with rows left empty

def test_rows_that_hold_only_a_printed_serial_number_are_blank_rows(tmp_path):
    book = school_book()
    drills = book["應急演練"]
    book["應急演練"] = [["序號", *drills[0]]] + [[i, *row] for i, row in enumerate(drills[1:], start=1)]
    book["應急演練"] += [[i] + [None] * 8 for i in range(3, 21)]  # the form numbers rows to 20
    book["應急演練"] += [["21", None, None, "本部"]]  # a serial and one cell: a record, checked as one
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert len(report.rows["drills"]) == 2
    assert {p.row for p in report.problems} == {22}, _lines(report)


@pytest.mark.parametrize("first", ["合計", "合計：", "合計：1,200.50元", "總計 1200", "小 計", "匯總", "汇总"])
def test_a_totals_line_under_the_funds_is_not_a_record(tmp_path, first):
    book = school_book()
    book["安全經費"] += [[first, None, 1200.5]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)
    assert len(report.rows["funds"]) == 1 and report.notes[-1]["row"] == 3


@pytest.mark.parametrize("name,key", [
    ("应急演练记录", "drills"), ("隱患整改台賬", "hazards"), ("保安人員名冊", "guards"), ("安全經費統計表", "funds"),
    ("2026年護學崗登記表", "gate_duty"), ("學校名冊", "registry"), ("學校概況表", "school"), ("Sheet1", None),
    ("名冊", None),
])
def test_a_sheet_named_with_a_ledger_word_is_found(name, key):
    from sync.reader import sheet_key_of

    assert sheet_key_of(name) == key


def test_the_sheet_with_the_contract_name_wins_over_a_summary_beside_it(tmp_path):
    book = school_book()
    book["安全經費統計表"] = [["用途", "金額"], ["隱患整治", 1200.5]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)


def test_a_ledger_named_sheet_is_read_as_the_contract_sheet(tmp_path):
    book = school_book()
    book["應急演練記錄"] = book.pop("應急演練")
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems and len(report.rows["drills"]) == 2, _lines(report)


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_old_copy_of_a_sheet_gives_way_to_the_visible_one(tmp_path, state):
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = load_workbook(path)
    old = wb.create_sheet("应急演练")  # last year's copy, in Simplified, hidden
    for row in [["演练日期", "校区"], ["2025-03-10", "舊校區"]]:
        old.append(row)
    old.sheet_state = state
    wb.save(path)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.problems and len(report.rows["drills"]) == 2, _lines(report)


def test_two_visible_sheets_for_one_table_refuse_the_file_naming_both(tmp_path):
    book = school_book()
    book["应急演练"] = [list(r) for r in book["應急演練"]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert report.refused
    [p] = report.file_problems
    assert "應急演練" in p.reason_zh and "应急演练" in p.reason_zh


def test_a_formula_saved_without_its_value_asks_for_the_file_to_be_saved_in_excel(tmp_path):
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = load_workbook(path)
    wb["校區"]["B2"] = "=300+300"  # written by a program: a formula, no value calculated yet
    wb.save(path)
    report = check_file(path, registry={"1001"}, today=TODAY)
    [p] = report.problems
    assert (p.sheet, p.row, p.column, p.value) == ("校區", 2, "在校學生數", "=300+300")
    assert "save it again" in p.reason_en and "保存" in p.reason_zh


def test_a_formula_excel_calculated_to_empty_text_is_an_empty_cell(tmp_path):
    import zipfile

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    part = "xl/worksheets/sheet5.xml"  # 安全辦人員, the fifth sheet; D is the optional 離崗日期
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    assert b'<row r="3"' in parts[part] and b'r="D2"' not in parts[part]
    # D2 as Excel saves =IF(C2="","",C2+365) when it came out as empty text
    parts[part] = parts[part].replace(
        b'</row><row r="3"', b'<c r="D2" t="str"><f>IF(C2="","",C2+365)</f><v></v></c></row><row r="3"', 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, d in parts.items():
            z.writestr(n, d)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)
    assert report.rows["office_staff"][0]["end_date"] is None


def test_a_time_of_day_in_a_date_column_is_called_a_time():
    from datetime import time

    from sync.cells import parse_date

    value, problem = parse_date(time(10, 30))
    assert value is None and "time of day" in problem[1]


@pytest.mark.parametrize("made,named", [("xls", "1001.xlsx"), ("xlsx", "1001.xls"), ("ods", "1001.xlsx"),
                                        ("xlsx", "1001.ods")])
def test_a_workbook_whose_extension_lies_is_read_by_its_content(tmp_path, made, named):
    from sync.report import peek

    real = write(made, tmp_path / "real", school_book())
    path = tmp_path / named
    path.write_bytes(real.read_bytes())
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.problems and len(report.rows["drills"]) == 2, _lines(report)
    assert peek(path) == ("school_workbook", "1001")


def test_a_contract_column_whose_header_mentions_a_phone_line_is_not_private(tmp_path):
    book = school_book()
    book["校區"][0][5] = "一鍵報警（電話聯網）"
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)


@pytest.mark.parametrize("text,expected", [("1 200", 1200), (" 12 ", 12), ("１２", 12), ("12 34", None), ("1 2", None)])
def test_a_space_inside_a_number_is_a_thousands_separator_only_between_groups_of_three(text, expected):
    from sync.cells import parse_int, parse_money

    assert parse_int(text)[0] == expected
    assert parse_money(text)[0] == expected
    assert parse_money(f"¥ {text} 元")[0] == expected


def test_a_second_header_row_in_english_is_part_of_the_header_not_a_record(tmp_path):
    from sync import contract

    book = school_book()
    for spec in contract.SCHOOL_SHEETS:
        rows = book[spec.zh]
        rows.insert(1, [c.key for c in spec.columns])  # 學校代碼 over school_code, 學校名稱 over name ...
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)[:3]
    assert len(report.rows["drills"]) == 2 and report.rows["drills"][0]["row_no"] == 3


def test_a_column_named_as_on_another_sheet_is_the_same_column(tmp_path):
    book = school_book()
    book["應急演練"][0][:2] = ["日期", "校區名稱"]  # as 安全教育 and 校區 call them
    book["校區"][0][0] = "校區"
    book["安全辦人員"][0][2] = "上崗日期"  # as 保安人員 calls it
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)
    assert report.rows["drills"][0]["campus"] == "本部" and report.rows["office_staff"][0]["start_date"]


@pytest.mark.parametrize("junk", [b"", b"JUNK"])  # a zip behind a few junk bytes is still a zip to calamine
def test_a_workbook_that_unpacks_to_a_huge_size_is_refused_before_reading(tmp_path, monkeypatch, junk):
    import sync.formats as formats

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    path.write_bytes(junk + path.read_bytes())
    monkeypatch.setattr(formats, "MAX_UNPACKED_BYTES", 10_000)  # a zip bomb, scaled down
    report = check_file(path, registry={"1001"}, today=TODAY)
    [p] = report.file_problems
    assert "unpacks to" in p.reason_en and "解壓" in p.reason_zh


@pytest.mark.parametrize("typed", ["'0123", "’0123", " ０１２３ ", 123, 123.0, "0123\u200b"])
def test_a_school_code_as_people_keep_its_zeros_is_the_registered_code(tmp_path, typed):
    report = check_file(write_xlsx(tmp_path / "s.xlsx", school_book(code=typed)), registry={"0123"}, today=TODAY)
    assert not report.refused and report.school_code == "0123", _lines(report)


@pytest.mark.parametrize("typed", ["hz001", "Hz001", " ｈｚ００１ "])
def test_a_school_code_in_another_letter_case_is_the_registered_code(tmp_path, typed):
    """Found by a contract audit: hz001 for the registry's HZ001 was refused as unregistered."""
    report = check_file(write_xlsx(tmp_path / "s.xlsx", school_book(code=typed)), registry={"HZ001", "HZ002"},
                        today=TODAY)
    assert not report.refused and report.school_code == "HZ001", _lines(report)


def test_two_registered_codes_told_apart_by_case_alone_are_not_guessed(tmp_path):
    report = check_file(write_xlsx(tmp_path / "s.xlsx", school_book(code="hz001")), registry={"HZ001", "hZ001"},
                        today=TODAY)
    assert report.refused and "hz001" in " ".join(p.reason_en for p in report.file_problems)


@pytest.mark.parametrize("first", ["示例", "例：", "（示例）2026-03-01", "样例"])
def test_an_example_row_left_from_a_form_is_a_note(tmp_path, first):
    book = school_book()
    book["應急演練"].insert(1, [first, "本部", "消防疏散", "是", "良好", 12, 12, 600])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.row_problems and not report.file_problems, _lines(report)
    assert [n["row"] for n in report.notes if n["sheet"] == "應急演練"] == [2]
    [shown] = report.problems  # not read, and the school is told so
    assert (shown.level, shown.row) == ("note", 2) and "example" in shown.reason_en


@pytest.mark.parametrize("name", ["password-abc.ods", "password-abc.xls"])
def test_a_workbook_saved_with_a_password_says_so_in_both_languages(name):
    """Found by an audit: LibreOffice's password-protected .ods was called damaged, and the .xls's
    reason was the generic one in Chinese (calamine's 'password protected' only in the English)."""
    report = check_file(Path(__file__).parent / "fixtures" / "office" / name, today=TODAY)
    [p] = report.file_problems
    assert "密碼" in p.reason_zh and "password protected" in p.reason_en, p.as_text()


def _drills_with_a_formula_date(path: Path, formula: str, cached) -> Path:
    """The school's workbook with its second drill dated by `formula`, saved with a calculated value as
    Excel saves it (xlsxwriter writes the value beside the formula)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in school_book().items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if name == "應急演練" and (r, c) == (2, 0):
                    sheet.write_formula(r, c, formula, dates, cached)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), dates)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


@pytest.mark.parametrize("formula,volatile", [("=TODAY()", True), ("=NOW()-1", True), ("=today()", True),
                                              ("=DATE(2026,3,10)", False)])
def test_a_record_dated_by_today_is_refused_not_read_as_the_day_of_the_last_save(tmp_path, formula, volatile):
    """Found by an audit: a drill dated =TODAY() was read as the day the file was last saved, which moves
    with every save and every sync; a formula giving a fixed day is that day."""
    path = _drills_with_a_formula_date(tmp_path / "s.xlsx", formula, 46091)  # 2026-03-10
    report = check_file(path, registry={"1001"}, today=TODAY)
    drills = report.records["drills"]
    if volatile:
        [p] = report.problems
        assert (p.level, p.sheet, p.row, p.column) == ("row", "應急演練", 3, "演練日期")
        assert "changes with every save" in p.reason_en and "直接填寫日期" in p.reason_zh
        assert len(drills) == 1
    else:
        assert report.problems == [] and str(drills["date"].iloc[1])[:10] == "2026-03-10"


def test_a_contract_column_the_sheet_hides_is_read_and_said_to_be_hidden(tmp_path):
    """Found by an audit: last year's 參演人數 hidden beside this year's 參演人數(實到) was read with no
    word; the school sees one column and the evaluation counts another."""
    from tests.sync_helpers import with_last_years_count_hidden

    report = check_file(with_last_years_count_hidden(tmp_path / "s.xlsx"), registry={"1001"}, today=TODAY)
    [p] = report.problems
    assert (p.level, p.sheet, p.row, p.column) == ("note", "應急演練", 1, "參演人數")
    assert "hidden" in p.reason_en and "隱藏" in p.reason_zh


def test_two_columns_of_one_name_say_which_is_hidden(tmp_path):
    import openpyxl

    book = school_book()
    drills = book["應急演練"]
    drills[0] = drills[0] + ["參演人數"]
    for row in drills[1:]:
        row.append(row[7])
    path = write_xlsx(tmp_path / "s.xlsx", book)
    wb = openpyxl.load_workbook(path)
    wb["應急演練"].column_dimensions["I"].hidden = True
    wb.save(path)
    [p] = check_file(path, registry={"1001"}, today=TODAY).problems
    assert p.level == "file" and "hides column I" in p.reason_en and "隱藏了 I 列" in p.reason_zh


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_header_printed_again_mid_table_is_paperwork_not_a_row_of_errors(tmp_path, fmt):
    """Found by an audit: a form laid out page by page repeats its header; each repeat gave five row
    problems ('演練日期' is not a date, '參演人數' is not a number)."""
    book = school_book()
    drills = book["應急演練"]
    book["應急演練"] = [drills[0], drills[1], list(drills[0]), drills[2]]
    report = check_file(write(fmt, tmp_path / "book", book), registry={"1001"}, today=TODAY)
    assert report.problems == [], _lines(report)
    assert len(report.records["drills"]) == 2 and list(report.records["drills"]["row_no"]) == [2, 4]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_rows_under_a_header_again_in_another_order_are_refused_not_read_by_the_first_header(tmp_path, fmt):
    """Found by an audit: last year's table pasted under this year's, its header included, with 應參加人數
    before 參加人數 (and on 應急演練 參演人數 first): the rows under it were read by the first header's
    columns, 800 expected stored as 800 attendees, no word said.  Each such row is refused and kept,
    saying which header it is under; the rows above it, and a header again in the same order, read."""
    book = school_book()
    education = book["安全教育"]
    swapped = ["日期", "類型", "主題", "含安全內容", "應參加人數", "參加人數"]
    assert education[0] == ["日期", "類型", "主題", "含安全內容", "參加人數", "應參加人數"]
    education += [[None] * 6, swapped, [date(2026, 11, 2), "家長會", "家長會安全專題", "是", 800, 650]]
    drills = book["應急演練"]
    drills += [[None] * 8, ["參演人數"] + drills[0][:5] + ["簽到班級數", "參演班級數"],
               [1300, date(2026, 11, 3), "本部", "消防疏散", "是", "良好", 28, 30]]
    report = check_file(write(fmt, tmp_path / "book", book), registry={"1001"}, today=TODAY)
    assert not report.refused, _lines(report)
    refused = {p.sheet: p for p in report.row_problems}
    assert sorted((p.sheet, p.row) for p in report.row_problems) == [("安全教育", 5), ("應急演練", 6)], _lines(report)
    assert refused["安全教育"].column in ("參加人數", "應參加人數")  # a column the header moved
    assert "在第4行的表頭之下" in refused["安全教育"].reason_zh and "header on row 4" in refused["安全教育"].reason_en
    assert "在第5行的表頭之下" in refused["應急演練"].reason_zh and "header on row 5" in refused["應急演練"].reason_en
    assert [r["attendees"] for r in report.rows["education"]] == [600]
    assert [r["participants"] for r in report.rows["drills"]] == [600, 590]
    assert {r["row_no"] for r in report.rejected} == {5, 6}


def test_one_line_under_the_amounts_shown_in_ten_thousands_is_that_lines_problem_not_the_files(tmp_path):
    """A sum under the purchases shown as 0.00"萬元" is one line; the amounts above it are yuan.  Headed
    合計（萬元）, it is the form's totals line, shown as such (the thirteenth session's audit: a totals line
    with its unit in brackets), never the file's problem."""
    import openpyxl

    book = school_book()
    book["安全經費"].append([date(2026, 4, 2), "安全宣傳", 100.0])
    book["安全經費"].append([None, "合計（萬元）", 0.13])
    path = write_xlsx(tmp_path / "s.xlsx", book)
    wb = openpyxl.load_workbook(path)
    sheet = wb["安全經費"]
    sheet.cell(sheet.max_row, 3).number_format = '0.00"萬元"'
    wb.save(path)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.refused and [(p.level, p.row) for p in report.problems] == []
    assert [n["kind"] for n in report.notes if n["row"] == sheet.max_row] == ["totals"]
    assert [r["amount"] for r in report.rows["funds"]][-1] == 100.0


def test_a_campus_named_alone_over_its_rows_is_a_heading_not_a_row_of_errors(tmp_path):
    """Found by an audit: 「東區校區」 alone on a line between a school's drills gave 'not a date' and four
    'must be filled in'; it is a heading of the office's own, shown to the school as such."""
    book = school_book()
    drills = book["應急演練"]
    book["應急演練"] = [drills[0], ["東區校區"], drills[1], ["西區分校："], drills[2]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert [(p.level, p.row) for p in report.problems] == [("note", 2), ("note", 4)], _lines(report)
    assert "heading inside the table" in report.problems[0].reason_en
    assert len(report.records["drills"]) == 2


@pytest.mark.parametrize("spelt", ["shared", "array"])
def test_a_today_filled_down_or_over_an_array_is_refused_in_every_row_it_dates(tmp_path, spelt):
    """Excel saves =TODAY() filled down as one shared formula (its first cell holds the text, the others
    <f t="shared" si="0"/>), and an array formula once over its range (the other cells hold only values):
    both drills are dated by the day of the save, and both are refused (found by an audit: only the first
    row was)."""
    import re
    import zipfile

    path = _drills_with_a_formula_date(tmp_path / "s.xlsx", "=DATE(2026,3,10)", 46091)
    first = {"shared": '<f t="shared" ref="A2:A3" si="0">TODAY()</f>', "array": '<f t="array" ref="A2:A3">TODAY()</f>'}
    other = {"shared": '<f t="shared" si="0"/>', "array": ""}
    with zipfile.ZipFile(path) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts.items():
            if info.filename == "xl/worksheets/sheet6.xml":
                text = data.decode()
                text, n2 = re.subn(r'(<c r="A2"[^<>]*>)(?:<f>[^<]*</f>)?(<v>)', rf"\1{first[spelt]}\2", text)
                text, n3 = re.subn(r'(<c r="A3"[^<>]*>)(?:<f>[^<]*</f>)?(<v>)', rf"\1{other[spelt]}\2", text)
                assert (n2, n3) == (1, 1)
                data = text.encode()
            z.writestr(info, data)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [("應急演練", 2, "演練日期"), ("應急演練", 3, "演練日期")]
    assert all("changes with every save" in p.reason_en for p in report.problems)
