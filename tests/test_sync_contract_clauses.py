"""data-contract.md, clause by clause, on inputs an outside audit found mishandled: each test names the
clause it pins.  Workbooks are written by real writers (openpyxl, xlwt, odfpy)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from sync import contract
from sync.report import check_file
from tests.sync_helpers import bureau_book, school_book, write, write_merged, write_xlsx

TODAY = date(2026, 11, 28)


def _check(tmp_path, book, fmt="xlsx", registry=frozenset({"1001"})):
    return check_file(write(fmt, tmp_path / "s", book), registry=set(registry), today=TODAY)


def _lines(report):
    return "\n".join(report.lines())


# ---------------------------------------------------------------- "the reader forgives what a person would"

@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_cell_merged_down_over_rows_holds_its_value_for_each_row(tmp_path, fmt):
    """One 責任人 and one 整改時限 merged over three hazards, one 校區 over three drills: each row has them
    (F2 reads the owner and deadline of every problem)."""
    book = school_book()
    book["隱患整改"] += [["H2", date(2026, 3, 2), "消防栓過期", "消防", None, None, None],
                      ["H3", date(2026, 3, 3), "監控損壞", "設施", None, None, None]]
    book["應急演練"].append([date(2026, 5, 12), None, "防踩踏", "是", "良好", 12, 12, 600])
    merges = [("隱患整改", 4, 1, 3), ("隱患整改", 5, 1, 3), ("應急演練", 1, 1, 3)]
    report = check_file(write_merged(fmt, tmp_path / "merged", book, merges), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)
    assert [(h["id"], h["owner"], h["deadline"]) for h in report.rows["hazards"]] == [
        ("H1", "張主任", date(2026, 4, 1)), ("H2", "張主任", date(2026, 4, 1)), ("H3", "張主任", date(2026, 4, 1))]
    assert [d["campus"] for d in report.rows["drills"]] == ["本部", "本部", "本部"]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_an_amount_merged_down_over_rows_is_not_each_rows_own(tmp_path, fmt):
    """"Never silently fixed": 2,000 yuan merged over two purchases is one sum, not 4,000 yuan.  The top
    row keeps its amount; the row under it is refused saying why.  A count merged over rows (the same 12
    classes in two drills, as WPS's 合併相同單元格 leaves it) and a merged date are each row's own."""
    book = school_book()
    book["安全經費"] = [book["安全經費"][0], [date(2026, 3, 1), "隱患整治", 2000], [date(2026, 3, 1), "安全宣傳", None]]
    book["應急演練"][2][5] = None
    merges = [("安全經費", 2, 1, 2), ("安全經費", 0, 1, 2), ("應急演練", 5, 1, 2)]
    report = check_file(write_merged(fmt, tmp_path / "merged", book, merges), registry={"1001"}, today=TODAY)
    assert [(f["date"], f["use"], f["amount"]) for f in report.rows["funds"]] == [
        (date(2026, 3, 1), "隱患整治", 2000)]
    assert [d["classes"] for d in report.rows["drills"]] == [12, 12]
    [p] = report.problems
    assert (p.sheet, p.row, p.column, p.value) == ("安全經費", 3, "金額", "2000")
    assert "merged with row 2" in p.reason_en and "第2行" in p.reason_zh


def test_a_serial_number_merged_down_over_blank_form_rows_leaves_them_blank(tmp_path):
    """A printed form's 序號 merged down over its empty rows: still rows holding only a serial number."""
    book = school_book()
    book["保安演練"][0].insert(0, "序號")
    book["保安演練"][1].insert(0, 1)
    book["保安演練"] += [[2], [None], [None], ["填表人:張三"]]  # the signature line keeps the rows above it
    report = check_file(write_merged("xlsx", tmp_path / "form", book, [("保安演練", 0, 2, 4)]), registry={"1001"},
                        today=TODAY)
    assert not report.problems, _lines(report)
    assert len(report.rows["guard_drills"]) == 1


def test_an_extra_column_headed_like_another_sheets_column_is_an_unknown_extra_column(tmp_path):
    """"Unknown extra columns are kept out of scoring but do not fail the file": 上崗日期 beside the
    training's 開始日期, 日期 beside 演練日期."""
    book = school_book()
    book["保安培訓"][0].insert(1, "上崗日期")
    book["保安培訓"][1].insert(1, date(2024, 1, 1))
    book["應急演練"][0].append("日期")
    for row in book["應急演練"][1:]:
        row.append(date(2026, 5, 1))
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert report.rows["guard_training"][0]["start_date"] == date(2026, 3, 1)
    assert [d["date"] for d in report.rows["drills"]] == [date(2026, 3, 10), date(2026, 4, 14)]


def test_a_column_headed_only_as_another_sheet_heads_it_is_still_read(tmp_path):
    book = school_book()
    book["保安培訓"][0][1] = "上崗日期"  # no 開始日期 at all: the borrowed heading stands in for it
    report = _check(tmp_path, book)
    assert not report.problems and report.rows["guard_training"][0]["start_date"] == date(2026, 3, 1)


@pytest.mark.parametrize("headers", [
    ["School code 學校代碼", "School name 學校名稱", "School type 學校類別", "Township 所屬鄉鎮", "Boarding 寄宿制"],
    ["學校代碼 School code", "學校名稱 School name", "學校類別 School type", "所屬鄉鎮 Township", "寄宿制 Boarding"],
    ["學校代碼(school_code)", "學校名稱(name)", "學校類別(type)", "所屬鄉鎮(township)", "寄宿制(boarding)"],
])
def test_a_bilingual_heading_matches_in_either_order(tmp_path, headers):
    """"the English key is accepted too": with the Chinese name, before it or after it."""
    book = school_book()
    book["學校概況"][0] = headers
    report = _check(tmp_path, book)
    assert not report.refused, _lines(report)
    assert report.school_code == "1001" and report.rows["school"][0]["name"] == "城關小學"


def test_an_amount_excel_calculated_is_the_amount_it_shows(tmp_path):
    """Numbers: =100.1+200.2 is saved as 300.29999999999995 and shown as 300.3; the amount is 300.3."""
    book = school_book()
    book["安全經費"][1][2] = 100.1 + 200.2
    book["安全經費"].append([date(2026, 3, 2), "安全宣傳", 0.1 + 0.2])
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert [f["amount"] for f in report.rows["funds"]] == [300.3, 0.3]


def test_an_amount_with_three_decimals_is_still_refused(tmp_path):
    book = school_book()
    book["安全經費"][1][2] = 12.345
    [p] = _check(tmp_path, book).problems
    assert (p.row, p.column, p.value) == (2, "金額", "12.345") and "two decimals" in p.reason_en


# ---------------------------------------------------------------- "a bad row is reported back", never a crash

@pytest.mark.parametrize("sheet,col", [("校區", 1), ("責任書", 0)])
def test_a_number_of_thousands_of_digits_is_a_row_problem_not_a_crash(tmp_path, sheet, col):
    book = school_book()
    book[sheet][1][col] = "9" * 5000
    report = _check(tmp_path, book)
    [p] = report.problems
    assert p.level == "row" and p.row == 2 and "too large" in p.reason_en
    assert len(p.reason_en) < 200  # the value is quoted cut short


def test_a_deduction_above_a_schools_total_is_accepted_for_the_floor_at_zero(tmp_path):
    """rules.md 督查: a deduction is "subtracted from the total, floor 0": 250 takes any school to 0,
    so the row stands (refused, the finding would lose its deduction and leave the school its total)."""
    book = bureau_book()
    book["督查記錄"][1][4] = 250
    report = check_file(write_xlsx(tmp_path / "b.xlsx", book), today=TODAY)
    assert report.problems == []
    assert [r["deduction"] for r in report.rows["inspections"]] == [250.0]


def test_a_deduction_of_ten_thousand_points_is_refused(tmp_path):
    book = bureau_book()
    book["督查記錄"][1][4] = 10000
    report = check_file(write_xlsx(tmp_path / "b.xlsx", book), today=TODAY)
    [p] = report.problems
    assert (p.level, p.sheet, p.row, p.column) == ("row", "督查記錄", 2, "扣分") and "too large" in p.reason_en
    assert report.rows["inspections"] == []


def test_a_phone_number_typed_as_a_deduction_refuses_the_bureau_workbook(tmp_path):
    book = bureau_book()
    book["督查記錄"][1][4] = "13800138000"
    report = check_file(write_xlsx(tmp_path / "b.xlsx", book), today=TODAY)
    assert report.refused and "phone" in report.file_problems[0].reason_en


def test_true_in_a_date_column_is_called_a_yes_no_value(tmp_path):
    book = school_book()
    book["應急演練"][1][0] = True
    [p] = _check(tmp_path, book).problems
    assert p.value == "TRUE" and "yes/no" in p.reason_en and "number" not in p.reason_en


def test_an_unregistered_school_code_is_refused_with_its_row(tmp_path):
    """"a workbook whose school code is not registered is refused": file, sheet, row, column, value."""
    report = _check(tmp_path, school_book("1009"))
    [p] = report.file_problems
    assert (p.sheet, p.row, p.column, p.value) == ("學校概況", 2, "學校代碼", "1009")


# ---------------------------------------------------------------- people: one record a row, a person may come back

def test_a_guard_who_left_and_was_rehired_on_the_same_campus_has_two_rows(tmp_path):
    book = school_book()
    book["保安人員"][1][5] = date(2025, 1, 31)
    book["保安人員"].append(["王保安", "本部", date(1975, 5, 1), "平安保安公司", date(2026, 2, 1), None] + ["是"] * 7)
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert [(g["name"], g["start_date"]) for g in report.rows["guards"]] == [
        ("王保安", date(2024, 1, 1)), ("趙保安", date(2024, 1, 1)), ("王保安", date(2026, 2, 1))]


def test_one_person_listed_twice_at_once_is_refused_with_what_to_do(tmp_path):
    """Two rows for one person at the same time would count him twice (B2 head count)."""
    book = school_book()
    book["安全辦人員"].append(["張主任", "工作人員", date(2025, 9, 1), None])
    report = _check(tmp_path, book)
    [p] = report.problems
    assert (p.level, p.sheet, p.row, p.column) == ("row", "安全辦人員", 4, "到崗日期")
    assert "row 2" in p.reason_en and "end date" in p.reason_en and "張主任(二)" in p.reason_zh
    assert [s["name"] for s in report.rows["office_staff"]] == ["張主任", "李幹事"]


# ---------------------------------------------------------------- "No identity-card numbers or phone numbers"

@pytest.mark.parametrize("value,kind", [
    ("１３８００１３８０００", "phone"),  # full-width digits, as a Chinese input method types them
    ("１１０１０１１９９００３０７１２３４", "identity-card"),
    ("0086 138 0013 8000", "phone"), ("138–0013–8000", "phone"), ("138－0013－8000", "phone"),
    ("138\u00a00013\u00a08000", "phone"),
    ("0755 12345678", "phone"), ("（0755）12345678", "phone"), ("0871—12345678", "phone"),
    ("+86 755 12345678", "phone"), ("聯繫人王五 138.0013.8000", "phone"),
])
def test_identity_and_phone_numbers_in_the_forms_people_type_refuse_the_file(tmp_path, value, kind):
    book = school_book()
    book["應急演練"][1][4] = value  # 評定結果
    report = _check(tmp_path, book)
    [p] = report.file_problems
    assert kind in p.reason_en and (p.sheet, p.row, p.column) == ("應急演練", 2, "評定結果")


@pytest.mark.parametrize("value", ["075512345678", "2026-03-05 10:00", "縣教體〔2026〕12號", "H-2026-0001", "12345678",
                                   "0720-0800 1630-1710", "H-026-2026-0001", "第1.3.5.7.9.11.13.15周班會:交通安全",
                                   "資產編號 0451 2019 0001", "SN 0571-2026-0001", "1410200001/2",
                                   # three zero-led groups without a phone's label (found by an audit)
                                   "YH-012-2611-0001", "宿舍0101-0110 2201-2210室門鎖損壞", "檔號 0301-2501-0003",
                                   "夜間巡邏演練 0630-0700 2130-2200", "ZC-0101-3002-0001", "发票号 0440 3216 0011",
                                   "序列号 031 2300 1234"])
def test_text_that_only_has_digits_is_not_taken_for_a_phone(tmp_path, value):
    book = school_book()
    book["應急演練"][1][4] = value
    assert not _check(tmp_path, book).file_problems


@pytest.mark.parametrize("header", ["身分證字號", "座機", "Tel.", "Tel No", "ID No.", "聯繫號碼", "座机号码", "固話",
                                    "Contact number", "Contact No."])
def test_a_private_column_in_other_spellings_is_refused(tmp_path, header):
    book = school_book()
    book["保安人員"][0].append(header)
    report = _check(tmp_path, book)
    assert report.refused and report.file_problems[0].column == header


@pytest.mark.parametrize("hidden", [False, True])
def test_identity_numbers_on_a_sheet_outside_the_contract_refuse_the_file(tmp_path, hidden):
    """The file is kept as sent: a roster of guards' identity numbers beside the tables is collected too."""
    roster = [["姓名", "身份證號", "手機"], ["王保安", "110101197505011234", "13800138000"]]
    book = school_book()
    path = tmp_path / "s.xlsx"
    write_xlsx(path, book if hidden else {**book, "保安花名冊": roster}, hidden={"保安花名冊": roster} if hidden else None)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert report.refused
    assert {(p.sheet, p.row, p.col_no) for p in report.file_problems} == {("保安花名冊", 2, 2), ("保安花名冊", 2, 3)}
    assert all(p.value.endswith("…") for p in report.file_problems)
    assert ("hidden" in report.file_problems[0].reason_en) == hidden
    # the Chinese reason punctuated as Chinese is, its hidden-sheet advice too (found by an audit)
    assert all(mark not in p.reason_zh for p in report.file_problems for mark in "(:)")


def test_a_phone_written_as_text_in_a_count_column_refuses_the_file(tmp_path):
    book = school_book()
    book["應急演練"][1][7] = "138-0013-8000"  # 參演人數
    report = _check(tmp_path, book)
    assert any(p.level == "file" and "phone" in p.reason_en and p.column == "參演人數" for p in report.problems)


def test_a_phone_typed_as_a_number_into_a_count_is_a_count_too_large_and_never_kept(tmp_path):
    """A count with a typo is checked as a count; its rejected row does not keep the number."""
    book = school_book()
    book["校區"][1][1] = 13800138000
    report = _check(tmp_path, book)
    assert not report.refused
    [p] = report.problems
    assert p.value == "138…" and "13800138000" not in p.reason_zh + p.reason_en
    [row] = report.rejected
    assert "13800138000" not in str(row)


def test_a_director_in_office_since_before_2000_is_kept(tmp_path):
    """rules.md: "a person counts from start date"; a start in 1998 is a long career, not a typo."""
    book = school_book()
    book["安全辦人員"][1][2] = date(1998, 9, 1)
    book["保安人員"][1][4] = date(1999, 3, 1)
    report = check_file(write_xlsx(tmp_path / "old.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, _lines(report)
    assert report.rows["office_staff"][0]["start_date"] == date(1998, 9, 1)


def test_a_drill_before_2000_is_still_a_year_to_check(tmp_path):
    book = school_book()
    book["應急演練"][1][0] = date(1998, 9, 1)
    [p] = _check(tmp_path, book).problems
    assert "before 2000" in p.reason_en


def test_a_workbook_too_large_to_annotate_is_refused_by_the_annotator_not_opened(tmp_path, monkeypatch):
    """openpyxl holds every cell as an object: a file that unpacks large is never opened for the marked
    copy (a web worker's memory), whatever its report says."""
    import sync.report as report_module
    from sync.formats import UnreadableWorkbook

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    report = check_file(path, registry={"1009"}, today=TODAY)  # refused: not registered, so a problem to mark
    assert report_module.annotate_workbook(path, report)  # a normal workbook is annotated
    monkeypatch.setattr(report_module, "ANNOTATE_MAX_BYTES", 10_000)
    with pytest.raises(UnreadableWorkbook):
        report_module.annotate_workbook(path, report)


# ---------------------------------------------------------------- files laid out too far for calamine

def _far_xlsx(path, sheet, cell):
    from openpyxl import load_workbook

    write_xlsx(path, school_book())
    wb = load_workbook(path)
    wb[sheet][cell] = "x"
    wb.save(path)
    return path


@pytest.mark.parametrize("sheet", ["安全經費", "學校概況"])
def test_a_value_in_the_last_cell_of_a_sheet_refuses_the_file_instead_of_aborting(tmp_path, sheet):
    """One value at XFD1048576 would make calamine ask for 512 GB and abort the process (uncatchable):
    the extent is read from the file first, and the file refused naming the sheet and the cell."""
    report = check_file(_far_xlsx(tmp_path / "far.xlsx", sheet, "XFD1048576"), registry={"1001"}, today=TODAY)
    [p] = report.file_problems
    assert sheet in p.reason_zh and "XFD1048576" in p.reason_en and "outside the table" in p.reason_en


def test_a_far_cell_in_the_school_sheet_is_refused_by_a_whole_sync_which_goes_on(tmp_path):
    """The sync's peek reads the school sheet on its own: it must measure it first too."""

    box = tmp_path / "inbox"
    box.mkdir()
    write_xlsx(box / "bureau.xlsx", bureau_book(("1001", "1002")))
    _far_xlsx(box / "1001.xlsx", "學校概況", "XFD1048576")
    write_xlsx(box / "1002.xlsx", school_book("1002", name="東關小學"))
    assert _sync_actions(tmp_path, box) == {
        "file:bureau.xlsx": "loaded", "file:1001.xlsx": "refused", "file:1002.xlsx": "loaded"}


def _sync_actions(tmp_path, box) -> dict[str, str]:
    """What a whole sync of `box` into a fresh SQLite store did with each source."""
    from sync.load import run_sync
    from sync.migrate import upgrade
    from sync.store import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    try:
        summary = run_sync(engine, box, sql_sources=[], recompute=False, today=TODAY)
    finally:
        engine.dispose()
    return {o.source_key: o.action for o in summary.sources}


def _rewrite_sheet(path, part: str, change) -> None:
    """Rewrite one part of an .xlsx or .ods as another program would have written it."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts.items():
            z.writestr(info.filename, change(data.decode()).encode() if info.filename == part else data)


_SPREADSHEETML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _with_prefix(xml: str) -> str:
    """SpreadsheetML as the .NET Open XML SDK writes it: every element under an x: prefix."""
    import re

    xml = xml.replace(f'xmlns="{_SPREADSHEETML}"', f'xmlns:x="{_SPREADSHEETML}"')
    return re.sub(r"<(/?)(?!\?|[A-Za-z]+:)([A-Za-z]+)", r"<\1x:\2", xml)


_FAR_ROW = '<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'


@pytest.mark.parametrize("written", ["prefixed", "cells without address", "a newline in the cell tag",
                                     "part beyond 100 MB"])
def test_a_far_cell_written_as_other_programs_write_it_is_refused_before_calamine(tmp_path, written, monkeypatch):
    """The extent guard reads SpreadsheetML as any valid writer spells it (an x: prefix, cells with no
    r= address); a sheet too large to measure is refused outright.  Any of them getting past the
    guard aborts the process (calamine asks for 512 GB), so a failing case kills this test."""
    import sync.formats as formats

    path = write_xlsx(tmp_path / "far.xlsx", school_book())
    far = {
        "prefixed": lambda xml: _with_prefix(xml.replace("</sheetData>", _FAR_ROW)),
        "cells without address": lambda xml: xml.replace(
            "</sheetData>", '<row r="1048576">' + '<c t="n"><v>1</v></c>' * 16384 + "</row></sheetData>"),
        "a newline in the cell tag": lambda xml: xml.replace(
            "</sheetData>", '<row r="1048576"><c\nr="XFD1048576" t="n"><v>1</v></c></row></sheetData>'),
        "part beyond 100 MB": lambda xml: xml.replace("</sheetData>", " " * 20_000 + _FAR_ROW),
    }[written]
    _rewrite_sheet(path, "xl/worksheets/sheet6.xml", far)
    if written == "part beyond 100 MB":
        monkeypatch.setattr(formats, "MAX_SHEET_PART_BYTES", 20_000)  # 100 MB of padding, scaled down
    [p] = check_file(path, registry={"1001"}, today=TODAY).file_problems
    assert "應急演練" in p.reason_zh and ("XFD1048576" in p.reason_en or "unpacks to" in p.reason_en), p.reason_en


_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _rel_prefix(xml: str) -> str:
    """The relationships' namespace bound to rel: rather than r: (as valid as r:; calamine reads it)."""
    return xml.replace(f'xmlns:r="{_RELATIONSHIPS}"', f'xmlns:rel="{_RELATIONSHIPS}"').replace(" r:id=", " rel:id=")


def _package_prefix(xml: str) -> str:
    """A package's relationships part with its elements under a prefix."""
    import re

    xml = xml.replace('xmlns="http://schemas.openxmlformats.org/package/2006/relationships"',
                      'xmlns:pr="http://schemas.openxmlformats.org/package/2006/relationships"')
    return re.sub(r"<(/?)(?!\?|[A-Za-z]+:)([A-Za-z]+)", r"<\1pr:\2", xml)


_WORKBOOK_SPELLINGS = {
    "the relationships under rel:": ("xl/workbook.xml", _rel_prefix),
    "the workbook's elements under x:": ("xl/workbook.xml", _with_prefix),
    "the workbook's relationships under a prefix": ("xl/_rels/workbook.xml.rels", _package_prefix),
}


@pytest.mark.parametrize("spelling", list(_WORKBOOK_SPELLINGS))
def test_a_workbook_part_spelt_as_other_writers_spell_it_still_has_its_far_cell_refused_and_errors_named(
        tmp_path, spelling):
    """Found by an audit: with <sheet rel:id=...> or an SDK's <x:sheet>, calamine read every sheet but the
    sync found none to look into, and every check made before calamine opens a file was passed over: a
    cell at XFD1048576 reached calamine (which asks for 512 GB and aborts the process: a failing case kills
    this test), a #DIV/0! read as an empty cell, a hidden column went unsaid."""
    from openpyxl import load_workbook

    part, spell = _WORKBOOK_SPELLINGS[spelling]
    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = load_workbook(path)
    wb["應急演練"]["H2"] = "=F2/0"
    wb.save(path)
    _rewrite_sheet(path, "xl/worksheets/sheet6.xml", lambda xml: xml.replace(
        '<c r="H2"><f>F2/0</f><v></v></c>', '<c r="H2" t="e"><f>F2/0</f><v>#DIV/0!</v></c>'))
    _rewrite_sheet(path, part, spell)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.row, p.value) for p in report.problems] == [("應急演練", 2, "#DIV/0!")], spelling
    _rewrite_sheet(path, "xl/worksheets/sheet6.xml", lambda xml: xml.replace("</sheetData>", _FAR_ROW))
    [p] = check_file(path, registry={"1001"}, today=TODAY).file_problems
    assert "XFD1048576" in p.reason_en, (spelling, p.reason_en)


_X = f'xmlns:x="{_SPREADSHEETML}" '


@pytest.mark.parametrize("spelling", [
    pytest.param(lambda xml: xml.replace("<worksheet ", "<worksheet " + _X, 1).replace(
        "</sheetData>", '<x:row r="1048576"><x:c r="XFD1048576" t="n"><x:v>1</x:v></x:c></x:row></sheetData>'),
        id="prefixed cells under a plain root"),
    pytest.param(lambda xml: _with_prefix(xml.replace("</sheetData>", _FAR_ROW)).replace(
        "?>", "?><!--" + "x" * 3000 + "-->", 1), id="a long comment before a prefixed root"),
])
def test_a_far_cell_spelt_past_the_sheets_own_root_is_still_refused_before_calamine(tmp_path, spelling):
    """Found by an audit: <x:row><x:c r="XFD1048576"> under a plain <worksheet>, or 3,000 bytes of comment
    before <x:worksheet>, went to calamine unmeasured (a failing case kills this test)."""
    path = write_xlsx(tmp_path / "far.xlsx", school_book())
    _rewrite_sheet(path, "xl/worksheets/sheet6.xml", spelling)
    [p] = check_file(path, registry={"1001"}, today=TODAY).file_problems
    assert "XFD1048576" in p.reason_en, p.reason_en


def test_a_hidden_column_and_a_ten_thousands_style_are_read_with_spaces_and_quotes_of_any_kind(tmp_path):
    """Found by an audit: hidden = "1" (spaces about =) and numFmtId='166' (single quotes), valid XML that
    office suites honour, hid the hidden column and the 萬元 format."""
    import re

    from openpyxl import load_workbook

    from tests.sync_helpers import with_last_years_count_hidden

    path = with_last_years_count_hidden(tmp_path / "s.xlsx")
    wb = load_workbook(path)
    wb["安全經費"].cell(2, 3).number_format = '0.00"萬元"'
    wb.save(path)
    _rewrite_sheet(path, "xl/styles.xml", lambda xml: re.sub(r'<xf numFmtId="(\d+)"', r"<xf numFmtId = '\1'", xml))
    _rewrite_sheet(path, "xl/worksheets/sheet6.xml", lambda xml: xml.replace('hidden="1"', 'hidden = "1"'))
    report = check_file(path, registry={"1001"}, today=TODAY)
    [p] = report.file_problems
    assert (p.sheet, p.row, p.column) == ("安全經費", 2, "金額") and "formatted" in p.reason_en
    assert [(n.sheet, n.column) for n in report.problems if n.level == "note" and "hidden" in n.reason_en] == [
        ("應急演練", "參演人數")]


def test_an_amount_in_ten_thousands_is_found_when_the_styles_are_under_a_prefix(tmp_path):
    """Found by an audit: styles.xml written as the .NET SDK writes it (<x:numFmt>, <x:cellXfs>, <x:xf>)
    hid a 0.00"萬元" format, and 3490.59 shown as 萬元 was taken as 3,490.59 yuan."""
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = load_workbook(path)
    wb["安全經費"].cell(2, 3).number_format = '0.00"萬元"'
    wb.save(path)
    _rewrite_sheet(path, "xl/styles.xml", _with_prefix)
    [p] = check_file(path, registry={"1001"}, today=TODAY).file_problems
    assert (p.sheet, p.row, p.column) == ("安全經費", 2, "金額") and "formatted" in p.reason_en


def test_a_prefixed_sheet_is_read_with_its_error_cells_named(tmp_path):
    """Prefixed SpreadsheetML is read like Excel's own: its #DIV/0! is a row problem, not an empty cell."""
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = load_workbook(path)
    wb["應急演練"]["H2"] = "=F2/0"
    wb.save(path)
    _rewrite_sheet(path, "xl/worksheets/sheet6.xml", lambda xml: _with_prefix(
        xml.replace('<c r="H2"><f>F2/0</f><v></v></c>', '<c r="H2" t="e"><f>F2/0</f><v>#DIV/0!</v></c>')))
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.row, p.value) for p in report.problems] == [("應急演練", 2, "#DIV/0!")]


@pytest.mark.parametrize("spelling", [
    pytest.param(lambda cell: cell.replace('<c r="H2" t="e">', '<c t="e" r="H2">'), id="type before address"),
    pytest.param(lambda cell: cell.replace('"', "'"), id="single quotes"),
    pytest.param(lambda cell: cell.replace('<c r="H2" t="e">', '<c r = "H2"\n t = "e" >'), id="spaces and a newline"),
])
def test_an_error_cell_and_a_today_formula_are_named_whatever_the_order_and_quotes_of_their_attributes(
        tmp_path, spelling):
    """Found by an audit: <c t="e" r="H2"> (valid XML; the attribute order is free) and single quotes hid a
    #DIV/0! in an optional count, stored as empty, and a =TODAY() date, taken as the day of the save."""
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = load_workbook(path)
    wb["應急演練"]["H2"] = "=F2/0"
    wb["保安演練"]["A2"] = "=TODAY()"
    wb.save(path)
    error = '<c r="H2" t="e"><f>F2/0</f><v>#DIV/0!</v></c>'
    _rewrite_sheet(path, "xl/worksheets/sheet6.xml", lambda xml: xml.replace(
        '<c r="H2"><f>F2/0</f><v></v></c>', spelling(error)))
    _rewrite_sheet(path, "xl/worksheets/sheet10.xml", lambda xml: xml.replace(
        '<c r="A2"><f>TODAY()</f><v></v></c>', spelling('<c r="A2" t="n"><f>TODAY()</f><v>46346</v></c>')))
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [("應急演練", 2, "參演人數"), ("保安演練", 2, "日期")]


def test_an_ods_with_a_control_character_reference_is_read_not_refused_as_damaged(tmp_path):
    """&#1; in a text is a control character XML forbids and calamine reads past: the file is read (its
    row reported for the character), not refused as a damaged file."""
    book = school_book()
    book["保安演練"][1][2] = "CTRL"
    path = write("ods", tmp_path / "s", book)
    _rewrite_sheet(path, "content.xml", lambda xml: xml.replace(">CTRL<", ">防暴&#1;演練<", 1))
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.file_problems, _lines(report)


def test_an_ods_with_a_control_character_is_still_measured_before_calamine(tmp_path):
    """XML forbids a control character that calamine reads past; the extent guard must not give up on it."""
    path = write(ods := "ods", tmp_path / "s", school_book())
    assert path.suffix == "." + ods
    far = ('<table:table-row table:number-rows-repeated="97000"><table:table-cell '
           'table:number-columns-repeated="1024" office:value-type="float" office:value="1"/></table:table-row>')
    _rewrite_sheet(path, "content.xml", lambda xml: xml.replace(
        "</table:table>", far + "</table:table>", 1).replace("<text:p>本部</text:p>", "<text:p>本部\x01</text:p>", 1))
    [p] = check_file(path, registry={"1001"}, today=TODAY).file_problems
    assert "far beyond any table" in p.reason_en


def test_an_xls_with_a_value_at_its_last_cell_is_refused_before_calamine_opens_it(tmp_path):
    import xlwt

    from tests.sync_helpers import write_xls

    path = write_xls(tmp_path / "s.xls", school_book())
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("學校概況")
    ws.write(0, 0, "學校代碼")
    ws.write(65535, 255, "x")
    book.save(str(path))
    [p] = check_file(path, registry={"1001"}, today=TODAY).file_problems
    assert "IV65536" in p.reason_en


def test_an_ods_row_with_a_value_repeated_a_million_times_is_refused(tmp_path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="安全經費")
    row = TableRow(numberrowsrepeated=1_048_576)
    cell = TableCell(valuetype="string")
    cell.addElement(P(text="x"))
    row.addElement(cell)
    table.addElement(row)
    doc.spreadsheet.addElement(table)
    doc.save(str(tmp_path / "s.ods"))
    [p] = check_file(tmp_path / "s.ods", registry={"1001"}, today=TODAY).file_problems
    assert "1,048,576 rows" in p.reason_en


# ---------------------------------------------------------------- odd characters in numbers, names and long cells

@pytest.mark.parametrize("typed", ["1200¹", "1²", "①", "١٢٣", "$1200", "𝟏𝟐𝟎𝟎"])
def test_only_full_width_digits_are_read_as_digits(tmp_path, typed):
    """"Numbers accept full-width digits": a footnote mark is not a digit (1200¹ is not 12001), nor a
    dollar a yuan."""
    book = school_book()
    book["安全經費"][1][2] = typed
    [p] = _check(tmp_path, book).problems
    assert "not a number" in p.reason_en


def test_full_width_digits_and_yuan_signs_still_read(tmp_path):
    book = school_book()
    book["安全經費"][1][2] = "￥１，２００．５"
    report = _check(tmp_path, book)
    assert not report.problems and report.rows["funds"][0]["amount"] == 1200.5


def test_a_terminal_escape_in_a_cell_is_printed_escaped(tmp_path):
    book = school_book()
    book["校區"][1][1] = "\x1b[2J5"
    [p] = _check(tmp_path, book, fmt="xls").problems  # openpyxl will not write an ESC; xlwt does
    assert "\x1b" not in p.as_text("s.xlsx") and "\\x1b[2J5" in p.as_text("s.xlsx")


def test_a_page_of_text_in_cells_is_checked_quickly_and_quoted_short(tmp_path):
    import time

    book = school_book()
    for n in range(200):
        book["安全經費"].append([date(2026, 3, 1), f"{n}" + "很長的說明" * 6000, 10])
    started = time.process_time()
    report = _check(tmp_path, book)
    assert time.process_time() - started < 20  # hours before (OpenCC a character at a time); a guard, not a goal
    assert len(report.row_problems) == 200
    assert all(len(p.reason_en) < 400 and len(p.value) <= 500 for p in report.row_problems)
    assert all(len(v) <= 500 for r in report.rejected for v in r["raw"].values())


def test_a_file_name_in_another_encoding_is_read_under_an_escaped_name(tmp_path):
    import os

    from sync.load import list_inbox

    (tmp_path / os.fsdecode(b"\xb3\xc7\xea.xlsx")).write_bytes(b"x")
    (tmp_path / "學校．xlsx").write_bytes(b"x")  # a full-width dot
    assert sorted(key for key, _p in list_inbox(tmp_path)) == ["file:\\xb3\\xc7\\xea.xlsx", "file:學校．xlsx"]


def test_a_file_replaced_while_the_run_reads_it_is_not_loaded_and_keeps_its_records(tmp_path, monkeypatch):
    import sync.load as load
    from sync.migrate import upgrade
    from sync.store import make_engine

    box = tmp_path / "inbox"
    box.mkdir()
    write_xlsx(box / "bureau.xlsx", bureau_book(("1001", "1002")))
    write_xlsx(box / "1001.xlsx", school_book("1001"))
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    assert load.run_sync(engine, box, sql_sources=[], recompute=False, today=TODAY).status == "ok"
    write_xlsx(box / "1001.xlsx", school_book("1001", campus="三部"))
    real = load._check_many

    def replaced_meanwhile(*args, **kwargs):
        # Saved over after the run hashed and planned it, before its worker reads it.  Patched here, in
        # this process: a worker started by a fork server (any thread left running by an earlier test)
        # would not see a patch of safe_check, and the file was then never replaced (a flaky failure).
        write_xlsx(box / "1001.xlsx", school_book("1002", campus="二部"))
        return real(*args, **kwargs)

    monkeypatch.setattr(load, "_check_many", replaced_meanwhile)
    summary = load.run_sync(engine, box, sql_sources=[], recompute=False, today=TODAY, workers=1)
    [outcome] = [o for o in summary.sources if o.source_key == "file:1001.xlsx"]
    assert outcome.action == "refused" and "changed while it was being read" in outcome.message
    with engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("select school_code, campus from campuses")).fetchall() == [("1001", "本部")]
    engine.dispose()


# ---------------------------------------------------------------- "never silently dropped"

def test_a_record_above_the_header_is_shown_as_not_read(tmp_path):
    """After a sort, a record can land above the header: it is not read, and the school is told."""
    book = school_book()
    book["安全經費"].insert(0, [date(2026, 1, 5), "安全宣傳", 300])
    report = _check(tmp_path, book)
    [p] = report.problems
    assert (p.level, p.sheet, p.row) == ("note", "安全經費", 1) and "above the header" in p.reason_en
    assert not report.refused and len(report.rows["funds"]) == 1


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_group_headings_over_the_header_are_no_record_and_no_note(tmp_path, fmt):
    """Found by a held-out county's audit: 基本信息 | 在崗情況 | 器械配備 over the 保安人員 header (a
    two-level heading, and what pandas writes for a MultiIndex) was told to the school as a record above
    the header, not read.  Words alone are no record: every sheet's record holds a date, a number or a
    yes/no.  A record typed with its yes/no above the header is still pointed out."""
    book = school_book()
    book["保安人員"].insert(0, ["基本信息", None, None, None, "在崗情況", None, "器械配備"] + [None] * 6)
    report = _check(tmp_path, book, fmt)
    assert not report.problems, _lines(report)
    assert len(report.rows["guards"]) == 2
    book["基礎工作"].insert(0, ["安全工作領導小組", "是", "文號"])
    [p] = _check(tmp_path, book, fmt).problems
    assert (p.level, p.sheet, p.row) == ("note", "基礎工作", 1)


def test_a_line_that_fills_the_table_is_a_record_whatever_its_first_cell_says(tmp_path):
    """A hazard numbered 說明2 and a staff member written 審核:王五 are records, not a note and a
    signature line; a signature line of labelled cells (審核人：李四, 日期：...) stays paperwork."""
    book = school_book()
    book["隱患整改"].append(["說明2", date(2026, 3, 2), "消防栓過期", "消防", "張主任", date(2026, 4, 1), None])
    book["安全辦人員"].append(["審核:王五", "工作人員", date(2025, 3, 1), None])
    book["安全經費"].append(["填表人：張三", None, "審核人：李四"])
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert [h["id"] for h in report.rows["hazards"]] == ["H1", "說明2"]
    assert [s["name"] for s in report.rows["office_staff"]][-1] == "審核:王五"


def test_one_long_text_alone_on_a_line_is_shown_as_a_note_not_read(tmp_path):
    book = school_book()
    book["隱患整改"].append(["東側圍墻破損已報告教育局等待維修隊進場"])
    report = _check(tmp_path, book)
    [p] = report.problems
    assert (p.level, p.row) == ("note", 3) and "read as a note" in p.reason_en


@pytest.mark.parametrize(("sheet", "line"), [
    ("保安人員", "本校暫無保安人員"), ("隱患整改", "無"), ("隱患整改", "本年度未發現安全隱患。"), ("安全經費", "（无）"),
    ("保安培訓", "本学期暂无"), ("護學崗", "/"),
])
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_line_saying_there_is_nothing_to_record_is_a_note_not_a_record_to_fill_in(tmp_path, fmt, sheet, line):
    """Found by a contract audit: an office writes 「本校暫無保安人員」 or 「無」 under the header where it has
    nothing to record, a notes line the contract forgives; it was a record refused ten times over (「校區」
    必須填寫, 「出生日期」必須填寫 ...), telling the school to fill in a guard it does not have.  It is shown
    as a note, not read; a name alone stays a record to complete
    (test_a_short_single_cell_under_the_table_is_a_row_problem_not_a_note)."""
    book = school_book()
    book[sheet] = book[sheet][:1] + [[line]]
    if sheet == "保安人員":
        book["保安培訓"] = book["保安培訓"][:1]
    report = _check(tmp_path, book, fmt)
    [p] = report.problems
    assert (p.level, p.sheet, p.row, p.value) == ("note", sheet, 2, line)
    assert "nothing to record" in p.reason_en and "未作為記錄讀入" in p.reason_zh
    key = next(s.key for s in contract.SCHOOL_SHEETS if s.zh == sheet)
    assert not report.rejected and not report.rows.get(key)


@pytest.mark.parametrize(("sheet", "line", "column"), [
    ("隱患整改", "未配備滅火器", 1), ("隱患整改", "無障礙通道損壞", 3), ("隱患整改", "无证摊贩占用校门口", 3),
    ("安全教育", "無人機安全", 3), ("保安人員", "無名", 1),
])
def test_a_record_begun_with_a_negative_word_is_a_record_to_complete_not_a_nothing_line(tmp_path, sheet, line,
                                                                                      column):
    """Found by a regression audit: any short text alone on its line that began with 無, 未配備 ...
    was read as 'nothing to record' and the school told the line may be deleted: a hazard 未配備滅火器 (no
    extinguisher fitted) or 無障礙通道損壞 typed first, the rest to follow, a topic 無人機安全.  A line
    says there is nothing to record when it is the negative word alone or names what the sheet records
    (保安, 隱患, 記錄 ...); any other is a record to complete, as a name alone is."""
    book = school_book()
    book[sheet] = book[sheet][:1] + [[None] * (column - 1) + [line]]
    if sheet == "保安人員":
        book["保安培訓"] = book["保安培訓"][:1]
    report = _check(tmp_path, book)
    assert report.problems and all(p.level == "row" and p.row == 2 for p in report.problems), \
        [p.as_text() for p in report.problems]
    assert any("必須填寫" in p.reason_zh for p in report.problems)


@pytest.mark.parametrize("sheet_name", ["安全經費/2026", "安全經費[2026]"])
def test_the_marked_copy_of_an_ods_with_a_sheet_name_xlsx_forbids_is_made(tmp_path, sheet_name):
    """The school's .ods (or .xls) is rebuilt as .xlsx to be marked: a sheet name an .xlsx cannot
    hold is made safe, and the bad cell is still marked on its own sheet."""
    import openpyxl

    from sync.report import annotate_workbook

    book = school_book()
    book[sheet_name] = book.pop("安全經費")
    book[sheet_name][1][2] = "abc"  # not an amount
    path = write("ods", tmp_path / "s", book)  # xlwt refuses such names; LibreOffice writes them
    report = check_file(path, registry={"1001"}, today=TODAY)
    marked = openpyxl.load_workbook(io.BytesIO(annotate_workbook(path, report)))
    [funds] = [ws for ws in marked.worksheets if ws.title.startswith("安全經費")]
    assert funds["C2"].fill.fgColor.rgb.endswith("FFC7CE") and "not a number" in funds["C2"].comment.text


def test_the_marked_copy_of_an_xls_with_a_nul_in_a_cell_is_made(tmp_path):
    import openpyxl

    from sync.report import annotate_workbook

    book = school_book()
    book["安全經費"][1][2] = "abc"
    book["保安演練"][1][2] = "防暴\x00演練"  # an old system's NUL, which an .xlsx cannot hold
    path = write("xls", tmp_path / "s", book)
    report = check_file(path, registry={"1001"}, today=TODAY)
    marked = openpyxl.load_workbook(io.BytesIO(annotate_workbook(path, report)))
    assert marked["保安演練"]["C2"].value == "防暴?演練" and marked["安全經費"]["C2"].comment is not None



def test_a_second_sheet_of_one_table_is_said_not_read(tmp_path):
    """The school's own 應急演練記錄 beside the template's 應急演練: the table is read from the
    contract's sheet, and the other is reported, never dropped unseen."""
    book = school_book()
    book["應急演練記錄"] = [list(book["應急演練"][0]), [date(2026, 5, 12), "本部", "防踩踏", "是", "良好", 12, 12, 600]]
    report = _check(tmp_path, book)
    [p] = report.problems
    assert (p.level, p.sheet) == ("note", "應急演練記錄") and "was not read" in p.reason_en


@pytest.mark.parametrize("copy", ["應急演練_2", "應急演練2", "應急演練 1", "应急演练_3"])
def test_a_copy_of_a_sheet_named_as_libreoffice_names_it_is_the_same_table(tmp_path, copy):
    """Found by a contract audit: LibreOffice names a copied sheet 應急演練_2, and a person 應急演練2; the copy
    was matched to no table, so its drills were passed over without a word.  Beside the original it is said
    not read, as 應急演練 (2) (Excel's and WPS's copy) was; with the original wholly blank the file is refused,
    as for any blank sheet beside another of its table."""
    book = school_book()
    book[copy] = [list(book["應急演練"][0]), [date(2026, 5, 12), "本部", "防踩踏", "是", "良好", 12, 12, 600]]
    [p] = _check(tmp_path, book).problems
    assert (p.level, p.sheet) == ("note", copy) and "was not read" in p.reason_en
    book["應急演練"] = []
    report = _check(tmp_path, book)
    assert report.refused and any(copy in p.reason_zh for p in report.problems), _lines(report)


def test_training_of_a_name_on_no_guard_row_is_pointed_out(tmp_path):
    """E7 counts training per guard by name: 錢保安, whom no 保安人員 row names (a guard left off the
    sheet, or 趙保安 mistyped), counts for nobody."""
    book = school_book()
    book["保安培訓"].append(["錢保安", date(2026, 9, 1), date(2026, 9, 3), "是", "技能"])
    report = _check(tmp_path, book)
    [p] = report.problems
    assert (p.level, p.sheet, p.row, p.value) == ("note", "保安培訓", 3, "錢保安") and "王保安" in p.reason_zh
    assert len(report.rows["guard_training"]) == 2  # kept as written; the school decides


@pytest.mark.parametrize("typed", ["本部(東區)", "本部（东区）", "本部 (東區)"])
def test_a_guards_campus_in_another_width_or_script_is_the_campus(tmp_path, typed):
    """E1 counts guards per campus: 本部(東區) for the campuses sheet's 本部（東區） is that campus, as a
    person reads it, and is stored in the campuses sheet's spelling."""
    book = school_book(campus="本部（東區）")
    book["保安人員"][1][1] = typed
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert {g["campus"] for g in report.rows["guards"]} == {"本部（東區）"}


def test_a_guards_campus_not_on_the_campuses_sheet_is_still_refused(tmp_path):
    book = school_book()
    book["保安人員"][1][1] = "西校區"
    [p] = _check(tmp_path, book).problems
    assert "not listed on the campuses sheet" in p.reason_en


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_guards_beside_a_campuses_sheet_that_lists_no_campus_are_kept_and_the_school_told_once(tmp_path, fmt):
    """Found by a contract audit: with the 校區 sheet left at its header every guard was let in, at a campus
    counted nowhere (E1 counts guards per campus, 4.5.1), and the school was told nothing.  Refusing each
    guard (the first mend) refused those of a county whose campuses come from a query (the regression
    audit: 60.1 合格 to 53.1 不合格): the guards are kept and the school is told once, on the guards sheet."""
    book = school_book()
    book["校區"] = book["校區"][:1]
    report = _check(tmp_path, book, fmt)
    assert not report.refused and len(report.rows["guards"]) == 2
    assert [(p.level, p.sheet, p.row, p.column) for p in report.problems] == [("note", "保安人員", None, "校區")]
    [p] = report.problems
    assert "the campuses sheet lists no campus" in p.reason_en and "「校區」表中還沒有任何校區" in p.reason_zh


@pytest.mark.parametrize(("renamed", "sheet"), [("附表1 學校概況", "學校概況"), ("第5表 安全辦人員", "安全辦人員"),
                                              ("安全教育2026", "安全教育"), ("安全教育2026年度", "安全教育")])
def test_a_sheet_named_in_an_offices_own_words_is_read(tmp_path, renamed, sheet):
    """Sheet names match "after trimming": an attachment number or the year around the name too."""
    book = school_book()
    book[renamed] = book.pop(sheet)
    report = _check(tmp_path, book)
    assert not report.problems and report.school_code == "1001", _lines(report)


# ---------------------------------------------------------------- what today's fixes must not catch (regressions)

@pytest.mark.parametrize("line", [
    ["填表人", "張三", "審核人", "李四", "填表日期", date(2026, 4, 20)],
    ["負責人", "張主任", "校長簽字", "王校長"],
    ["審核", "李四", "制表", "張三"],
    ["備註", "王保安", "已於2026年9月離崗"],
    ["注:1.", "民警到崗填是", "2.時段填早/午/晚"],
])
def test_paperwork_spread_over_cells_under_a_table_stays_quiet(tmp_path, line):
    book = school_book()
    book["保安人員"].append(line)
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)


def test_paperwork_above_the_header_stays_quiet(tmp_path):
    book = school_book()
    book["安全經費"].insert(0, ["填報單位", "城關小學", None, "填報日期", "2026年4月20日"])
    assert not _check(tmp_path, book).problems


@pytest.mark.parametrize("extra", ["第二校區", "第一校區", "第1護學崗"])
def test_a_sheet_named_like_a_table_after_a_number_never_ties_with_the_table(tmp_path, extra):
    book = school_book()
    book[extra] = [["說明"], ["東側新建,2027年啟用"]]
    report = _check(tmp_path, book)
    assert not report.refused, _lines(report)


def test_a_placeholder_in_an_optional_column_of_any_kind_is_the_empty_cell(tmp_path):
    """完成日期「/」 is a problem not closed yet, 離崗日期「—」 a guard still on duty, 弄虛作假「無」 no
    falsification: the empty cell they stand for, as in a text column, never "not a date"."""
    book = school_book()
    book["隱患整改"][1][6] = "/"
    book["保安人員"][1][5] = "—"
    book["安全教育"][1][3] = "無"
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert report.rows["hazards"][0]["closed_date"] is None and report.rows["guards"][0]["end_date"] is None
    assert report.rows["education"][0]["safety_content"] is None
    bureau = bureau_book()
    bureau["督查記錄"][1][5] = "無"
    bureau["督查記錄"][1][6] = "/"
    checked = check_file(write_xlsx(tmp_path / "b.xlsx", bureau), today=TODAY)
    assert not checked.problems, _lines(checked)
    assert (checked.rows["inspections"][0]["falsification"], checked.rows["inspections"][0]["major_incident"]) == (
        None, None)


@pytest.mark.parametrize("written", ["（無）", "(无)", "【無】", "無。", "「/」", "（N/A）"])
def test_a_placeholder_in_brackets_or_with_a_full_stop_is_still_the_empty_cell(tmp_path, written):
    """保安公司「（無）」 is no company (a held-out county's form wrote it so, and it was credited as one),
    完成日期「（無）」 a problem not closed yet."""
    book = school_book()
    book["保安人員"][1][3] = written
    book["隱患整改"][1][6] = written
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert (report.rows["guards"][0]["company"], report.rows["hazards"][0]["closed_date"]) == (None, None)


@pytest.mark.parametrize("topic", ["無人機安全", "（無人機安全）", "無煙校園"])
def test_text_that_merely_starts_with_a_placeholder_is_kept_as_written(tmp_path, topic):
    book = school_book()
    book["安全教育"][1][2] = topic
    assert _check(tmp_path, book).rows["education"][0]["topic"] == topic


@pytest.mark.parametrize("written", ["王　保安", "王 保安", "王保安 ", "ＷＡＮＧ保安", "王保安"])
def test_training_under_a_guards_name_spaced_or_in_the_other_script_is_no_stranger(tmp_path, written):
    """張　強 (a form's alignment space) or 张强 on 保安培訓 is the guard 張強 as a person reads him (the
    contract forgives spaces and script): no "on no guard row" note, and kept as written (E7 matches
    names so: tests/test_scoring_rules.py)."""
    book = school_book()
    if written.startswith("Ｗ"):
        book["保安人員"][1][0] = "wang保安"
    book["保安培訓"][1][0] = written
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert report.rows["guard_training"][0]["name"] == written.strip()


def test_training_of_a_workbook_listing_no_guard_is_no_note(tmp_path):
    """Found by an audit: guards from the shared database, training in the workbook: "on no row of the
    guards sheet ... the guards are: (無)" was said of training that counts."""
    book = school_book()
    book["保安人員"] = book["保安人員"][:1]
    assert not _check(tmp_path, book).problems


def test_a_placeholder_in_a_required_yes_no_column_is_still_refused(tmp_path):
    book = school_book()
    book["保安人員"][1][6] = "無"
    [p] = _check(tmp_path, book).problems
    assert (p.sheet, p.column, p.value) == ("保安人員", "頭盔", "無")


def test_a_placeholder_in_a_required_column_is_kept_as_written(tmp_path):
    """A campus written "/" is still the campus the guards refer to; only optional text reads as empty."""
    report = _check(tmp_path, school_book(campus="/"))
    assert not report.problems and [c["campus"] for c in report.rows["campuses"]] == ["/"]


def test_formatting_far_from_the_table_is_not_a_far_cell(tmp_path):
    from openpyxl import load_workbook
    from openpyxl.styles import Border, PatternFill, Side

    path = write_xlsx(tmp_path / "s.xlsx", school_book())
    wb = load_workbook(path)
    wb["安全教育"].cell(row=120000, column=3).fill = PatternFill("solid", fgColor="FFFF00")
    wb["安全經費"].cell(row=40000, column=60).border = Border(left=Side(style="thin"))
    wb["安全教育"].row_dimensions[1048576].height = 20
    wb.save(path)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.refused, _lines(report)


def test_a_chart_sheet_named_like_the_school_sheet_does_not_hide_a_second_file_of_the_school(tmp_path):
    """data-contract.md §1, one workbook per school: the peek that finds two files of one school skips
    chart sheets as the full read does, so 學校概況表 beside a chart named 學校概況 still names 1001."""
    from openpyxl import load_workbook
    from openpyxl.chart import BarChart, Reference

    from sync.report import SCHOOL_WORKBOOK, peek

    box = tmp_path / "inbox"
    box.mkdir()
    write_xlsx(box / "bureau.xlsx", bureau_book(("1001", "1002")))
    write_xlsx(box / "a.xlsx", school_book("1001"))
    book = school_book("1001")
    book["學校概況表"] = book.pop("學校概況")
    b = write_xlsx(box / "b.xlsx", book)
    wb = load_workbook(b)
    chart = BarChart()
    chart.add_data(Reference(wb["應急演練"], min_col=8, min_row=1, max_row=3), titles_from_data=True)
    wb.create_chartsheet("學校概況").add_chart(chart)
    wb.save(b)
    assert peek(b) == (SCHOOL_WORKBOOK, "1001")
    assert _sync_actions(tmp_path, box) == {
        "file:bureau.xlsx": "loaded", "file:a.xlsx": "refused", "file:b.xlsx": "refused"}


def test_an_ods_error_cell_is_a_row_problem_that_names_the_error(tmp_path):
    """LibreOffice saves a failed formula with calcext:value-type="error", which calamine reads as an empty
    cell: named as in an .xlsx, never a silent empty count nor a "must be filled in"."""
    from tests.sync_helpers import write_ods

    book = school_book()
    book["應急演練"][1][7] = "ERRCELL"
    path = write_ods(tmp_path / "s.ods", book)
    _rewrite_sheet(path, "content.xml", lambda xml: xml.replace(
        '<table:table-cell office:value-type="string" office:string-value="ERRCELL"><text:p>ERRCELL</text:p>',
        '<table:table-cell table:formula="of:=[.F2]/0" office:value-type="string" office:string-value="" '
        'calcext:value-type="error"><text:p>#DIV/0!</text:p>').replace(
        "<office:document-content ", '<office:document-content xmlns:calcext='
        '"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" ', 1))
    report = check_file(path, registry={"1001"}, today=TODAY)
    [p] = report.problems
    assert (p.sheet, p.row, p.column, p.value) == ("應急演練", 2, "參演人數", "#DIV/0!") and "formula error" in p.reason_en


def test_an_ods_error_cell_repeated_across_rows_is_named_on_each(tmp_path):
    """A failed formula filled down is one cell repeated over rows in an .ods: each row's cell is named."""
    from tests.sync_helpers import write_ods

    book = school_book()
    book["應急演練"][1][7] = "ERRCELL"
    path = write_ods(tmp_path / "s.ods", book)
    error = ('<table:table-cell table:formula="of:=[.F2]/0" office:value-type="string" office:string-value="" '
             'calcext:value-type="error"><text:p>#DIV/0!</text:p>')
    _rewrite_sheet(path, "content.xml", lambda xml: xml.replace(
        '<table:table-cell office:value-type="string" office:string-value="ERRCELL"><text:p>ERRCELL</text:p>',
        error).replace("<office:document-content ", '<office:document-content xmlns:calcext='
                       '"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" ', 1))
    # the drill rows' last cells become one row repeated: row 2 carries the error and stands for row 3 too
    import zipfile

    with zipfile.ZipFile(path) as z:
        xml = z.read("content.xml").decode()
    start = xml.index(error)
    row_start = xml.rindex("<table:table-row", 0, start)
    row_end = xml.index("</table:table-row>", start) + len("</table:table-row>")
    next_end = xml.index("</table:table-row>", row_end) + len("</table:table-row>")
    repeated = xml[row_start:row_end].replace("<table:table-row", '<table:table-row table:number-rows-repeated="2"', 1)
    _rewrite_sheet(path, "content.xml", lambda text: text[:row_start] + repeated + text[next_end:])
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert [(p.row, p.value) for p in report.problems if p.column == "參演人數"] == [(2, "#DIV/0!"), (3, "#DIV/0!")]


@pytest.mark.parametrize("sheet, col", [("保安人員", None), ("保安人員", 2)])  # an extra column; 出生日期
def test_an_identity_number_excel_kept_as_a_number_refuses_the_file_and_is_never_kept(tmp_path, sheet, col):
    """data-contract.md: "a column that looks like one is refused with a privacy message".  Typed into a
    General cell, 110105198001010012 is the float 1.10105198001010E+17: still the person's region and
    birth date.  Nothing of it beyond three digits is shown or kept, the row's other problems included."""
    book = school_book()
    number = float(110105198001010012)
    if col is None:
        book[sheet][0].append("備用")
        book[sheet][1].append(number)
    else:
        book[sheet][1][col] = number
    report = _check(tmp_path, book)
    privacy = [p for p in report.file_problems if "identity" in p.reason_en]
    assert privacy and privacy[0].value == "110…"
    kept = str([(p.value, p.reason_zh, p.reason_en) for p in report.problems]) + str(report.rejected)
    assert "1.1010519800101e+17" not in kept and "19800101" not in kept and "1010519800101" not in kept


@pytest.mark.parametrize("kind, sheet, header, value", [
    ("school", "督查記錄", "聯繫電話", 13800138000),  # a bureau sheet in a school's workbook
    ("bureau", "保安人員", "身份證號", "110101197505011234"),  # a school sheet in the bureau's
])
def test_a_sheet_of_the_other_kind_of_workbook_is_looked_into_for_private_numbers(tmp_path, kind, sheet, header, value):
    """The file is kept as sent: a sheet not read because it belongs to the other kind of workbook still
    refuses the file when it holds phone or identity numbers."""
    book = school_book() if kind == "school" else bureau_book()
    book[sheet] = [["姓名", header], ["王五", value]]
    report = check_file(write_xlsx(tmp_path / "w.xlsx", book), registry={"1001", "1002"}, today=TODAY)
    assert report.refused and [(p.sheet, p.row, p.col_no) for p in report.file_problems] == [(sheet, 2, 2)]


@pytest.mark.parametrize("where", ["training name", "township"])
def test_a_note_never_repeats_the_phone_number_the_file_is_refused_for(tmp_path, where):
    """A name written 王五13800138000 refuses the file (privacy); the note that names the guards trained,
    or that the township differs from the registry, shows the number cut to its first digits."""
    book = school_book()
    if where == "training name":
        book["保安培訓"][1][0] = "王五13800138000"
    else:
        book["學校概況"][1][3] = "城關鎮 13800138000"
    path = write_xlsx(tmp_path / "s.xlsx", book)
    registry = {"1001": {"school_code": "1001", "name": "城關小學", "type": "小學", "township": "城關鎮"}}
    report = check_file(path, registry=registry, today=TODAY)
    assert report.refused and any("phone" in p.reason_en for p in report.file_problems)
    shown = str([(p.value, p.reason_zh, p.reason_en) for p in report.problems]) + str(report.rejected)
    assert "13800138000" not in shown and "0013800" not in shown


@pytest.mark.parametrize("sheet, key, column, heading, extra, read", [
    ("校區", "campuses", "students", "在校學生數", "在校學生數（女）", 600),
    ("應急演練", "drills", "participants", "參演人數", "參演人數(教師)", 600),
    ("保安人員", "guards", "helmet", "頭盔", "頭盔(型號)", True),
    ("隱患整改", "hazards", "owner", "責任人", "責任人(副)", "張主任"),
    ("應急演練", "drills", "participants", "參演人數", "參演人數 說明", 600),
])
def test_an_extra_column_qualifying_a_contract_heading_is_an_unknown_extra_column(tmp_path, sheet, key, column,
                                                                                  heading, extra, read):
    """data-contract.md: "Unknown extra columns are kept out of scoring but do not fail the file."  Beside
    the column named as the contract names it, 在校學生數（女） is another column, not the same one twice."""
    book = school_book()
    for n, row in enumerate(book[sheet]):
        row.append(extra if n == 0 else 7)
    report = _check(tmp_path, book)
    assert not report.problems, [p.reason_en for p in report.problems]
    assert report.rows[key][0][column] == read  # the contract's column, not the extra one's 7


@pytest.mark.parametrize("plain", ["在校學生數（人）", "Students 在校學生數", "2.在校學生數", "在校學生數/人"])
def test_the_contract_heading_spelled_with_a_unit_or_a_number_still_stands_beside_a_qualified_one(tmp_path, plain):
    """在校學生數（人） beside 在校學生數（女）: the unit spells the column, the 女 makes another one."""
    book = school_book()
    book["校區"][0][1] = plain
    book["校區"][0].append("在校學生數（女）")
    book["校區"][1].append(300)
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert report.rows["campuses"][0]["students"] == 600


def test_an_amount_in_figures_beside_the_amount_in_capital_numerals_is_the_amount(tmp_path):
    """Found by an audit: finance forms head 金額（小寫） | 金額（大寫） (figures, then 壹仟貳佰元整); the
    file was refused for 金額 twice.  小寫 spells the column; 大寫 is an extra column, not read."""
    book = school_book()
    book["安全經費"][0][2] = "金額（小寫）"
    book["安全經費"][0].append("金額（大寫）")
    book["安全經費"][1].append("壹仟貳佰元伍角整")
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert [r["amount"] for r in report.rows["funds"]] == [1200.5]


def test_two_qualified_headings_of_one_column_are_still_one_column_twice(tmp_path):
    """在校學生數（男） and 在校學生數（女） without the plain heading: which is meant is not guessed."""
    book = school_book()
    book["校區"][0][1] = "在校學生數（男）"
    book["校區"][0].append("在校學生數（女）")
    book["校區"][1].append(300)
    report = _check(tmp_path, book)
    assert report.refused and "2 times" in report.file_problems[0].reason_en


@pytest.mark.parametrize("found", [date(2026, 4, 2), "2026-04-02", "2026年4月2日"])
def test_a_hazard_numbered_like_a_totals_line_is_a_record_when_filled_like_one(tmp_path, found):
    """data-contract.md: a bad row is "never silently dropped".  小計1 | 2026-04-02 | 南門欄杆 | 設施 ... is
    the office's numbering of a hazard, not a sum, however its date is typed."""
    book = school_book()
    book["隱患整改"].append(["小計1", found, "南門欄杆", "設施", "張三", date(2026, 5, 1), None])
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert [r["id"] for r in report.rows["hazards"]] == ["H1", "小計1"]


@pytest.mark.parametrize("sheet, line", [
    ("隱患整改", ["合計", date(2026, 11, 20), "全年共發現1項隱患,已整改1項"]),  # dated, but a sum
    ("保安培訓", ["合計", date(2026, 3, 1), date(2026, 3, 3), None, "共1次培訓3天"]),
    ("應急演練", ["小計", date(2026, 3, 31), None, None, None, None, 12, 600]),
    ("隱患整改", ["注1", "完成日期為空表示尚未整改"]),  # a numbered footnote
])
def test_a_dated_totals_line_or_a_numbered_footnote_is_still_paperwork(tmp_path, sheet, line):
    book = school_book()
    book[sheet].append(line)
    report = _check(tmp_path, book)
    assert not report.problems, _lines(report)
    assert len(report.rows[{"隱患整改": "hazards", "保安培訓": "guard_training", "應急演練": "drills"}[sheet]]) == (
        len(book[sheet]) - 2)


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_count_written_with_its_own_unit_is_the_count(tmp_path, fmt):
    """People write 600人 and 12個班 as they write 1200元 and 扣2分: the count they mean (found by a contract
    audit: 參演人數 「1200人」 was refused while 金額 「1200元」 was read).  Only the column's own units: 12人 of
    classes, or 600人次 (person-times, not people), is refused, never read as the column's count."""
    book = school_book()
    book["校區"][1][1:4] = ["600人", "50 名", "0人"]
    book["應急演練"][1][5:8] = ["12個班", "12班", "600人"]
    book["安全教育"][1][4:6] = ["45名", "45 人"]
    book["責任書"][1][1:3] = ["50人", "48名"]
    report = _check(tmp_path, book, fmt)
    assert not report.problems, _lines(report)
    campus, drill = report.rows["campuses"][0], report.rows["drills"][0]
    assert (campus["students"], campus["staff"], campus["boarders"]) == (600, 50, 0)
    assert (drill["classes"], drill["signed_classes"], drill["participants"]) == (12, 12, 600)
    assert (report.rows["education"][0]["attendees"], report.rows["agreements"][0]["signed"]) == (45, 48)
    book["應急演練"][1][5:8] = ["12人", "12班", "600人次"]
    refused = {p.column for p in _check(tmp_path, book, fmt).problems}
    assert refused == {"參演班級數", "參演人數"}


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_heading_wrapped_onto_two_lines_names_its_column_on_one_line(tmp_path, fmt):
    """演練⏎日期, wrapped as Chinese forms wrap their headings, matches 演練日期, and a problem under it names
    the column 演練日期: the problem printed on two lines of a log (found by an audit)."""
    book = school_book()
    book["應急演練"][0][0] = "演練\n日期"
    book["應急演練"][1][0] = "3/10/2026"
    report = _check(tmp_path, book, fmt)
    [problem] = report.problems
    assert (problem.sheet, problem.row, problem.column) == ("應急演練", 2, "演練日期"), _lines(report)
    assert "\n" not in "".join(report.lines())


def test_a_heading_in_latin_letters_wrapped_keeps_a_space_between_its_words():
    from sync.cells import heading

    assert (heading(" Drill\r\ndate "), heading("演練 \n 日期"), heading("參演\n人數(人)")) == (
        "Drill date", "演練日期", "參演人數(人)")
