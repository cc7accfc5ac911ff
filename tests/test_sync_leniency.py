"""The reader forgives what a person would (data-contract.md section 1), in .xlsx, .xls and .ods.

Each messy workbook below must give exactly the records of the clean one:
nothing refused, nothing dropped, nothing altered.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from sync import cells, contract
from sync.contract import SHEETS
from sync.report import check_file
from tests.sync_helpers import bureau_book, school_book, write, write_ods, write_xls, write_xlsx

FORMATS = ["xlsx", "xls", "ods"]
TODAY = date(2026, 11, 28)


def _records(report) -> dict[str, list[dict]]:
    return {k: [{c: v for c, v in r.items() if c != "row_no"} for r in rows] for k, rows in report.rows.items()}


def _messy_book() -> dict:
    """The clean school_book() as a person keeps it: every leniency of the contract at once."""
    clean = school_book()
    book = {}
    renamed = {
        "應急演練": "应急演练",  # Simplified sheet name
        "保安人員": "guards",  # English key
        "基礎工作": "3.基礎工作",  # numbered
        "安全經費": " 安全經費 ",  # stray spaces
        "護學崗": "护学岗",
    }
    for name, rows in clean.items():
        header = list(rows[0])
        body = [list(r) for r in rows[1:]]
        book[renamed.get(name, name)] = [["XX縣學校安全工作台賬(" + name + ")"], [], header] + body
    drills = book["应急演练"]
    drills[2] = ["演练日期", "校区", "演练类型", "有预案", "评定结果", "参演班级数", "签到班级数", "参演人数"]
    drills[3] = ["2026-03-10", " 本部 ", "消防疏散", "Y", "良好", "１２", "12", "600"]
    drills[4] = ["2026/4/14", "本部", "地震避險", "✓", "良好", 12, "１１", "590"]
    drills.insert(4, [None] * 8)  # a blank row between records
    drills.append([])
    drills.append(["備註:本表由學校安全辦填寫,每次演練後一週內登記。"])
    drills.append(["填表人:張三", None, "審核人:李四", None, "日期:2026-04-20"])
    campuses = book["校區"]
    campuses[2] = ["校区名称", "students", "教職工數", " 寄宿生數 ", "安全保衛室", "一鍵報警"]
    campuses[3] = ["本部", "600", "５０", "0", "是", "true"]
    guards = book["guards"]
    guards[2] = guards[2] + ["備註"]  # an unknown extra column is kept out, not failing
    guards[3] = ["王保安", "本部", "1975年5月1日", "平安保安公司", "2024.1.1", None] + ["是", "1", "√", "✔", "Y", "yes", "是"] + ["老員工"]
    guards[4] = ["趙保安", "本部", "1980-06-01", "平安保安公司", datetime(2024, 1, 1), ""] + ["是"] * 7
    funds = book[" 安全經費 "]
    funds[3] = ["2026年3月1日", "隐患整治", "1,200.50"]
    edu = book["安全教育"]
    edu[3] = [date(2026, 3, 2), "安全教育课", "防溺水", "是", "600", "600"]
    checklist = book["3.基礎工作"]
    checklist[2] = ["项目", "是否完成", "文号或说明", "日期"]
    checklist[3][0] = "安全工作领导小组"  # a Simplified choice value
    checklist[4][1] = "TRUE"
    return book


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_messy_workbook_gives_exactly_the_clean_records(tmp_path, fmt):
    clean = check_file(write(fmt, tmp_path / "clean", school_book()), registry={"1001"}, today=TODAY)
    assert not clean.problems
    messy_book = _messy_book()
    path = tmp_path / f"messy.{fmt}"
    if fmt == "xlsx":
        write_xlsx(path, messy_book, hidden={"下拉選項": [["是", "否"], ["主任", "工作人員"]]})
    elif fmt == "xls":
        write_xls(path, messy_book, hidden={"下拉選項": [["是", "否"]]})
    else:
        write_ods(path, messy_book)
    messy = check_file(path, registry={"1001"}, today=TODAY)
    assert [p.as_text() for p in messy.problems] == []
    assert _records(messy) == _records(clean)
    assert {n["text"][:2] for n in messy.notes} == {"備註", "填表"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_title_rows_above_the_header_merged_or_not(tmp_path, fmt):
    book = school_book()
    if fmt == "xlsx":
        path = write_xlsx(tmp_path / "t.xlsx", book, title="2026年度城關小學安全台賬", merge_title=True)
    elif fmt == "xls":
        path = write_xls(tmp_path / "t.xls", book, title="2026年度城關小學安全台賬")
    else:
        titled = {name: [["2026年度城關小學安全台賬"], ["單位:城關小學", None, "填報日期:2026-05-01"]] + rows
                  for name, rows in book.items()}
        path = write(fmt, tmp_path / "t", titled)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.problems
    assert report.rows["drills"][0]["row_no"] in (3, 4)
    assert len(report.rows["checklist"]) == 14


def test_header_and_values_in_simplified_full_width_and_english(tmp_path):
    book = school_book()
    book["學校概況"] = [["ｓｃｈｏｏｌ_ｃｏｄｅ", "学校名称", "type", "所属乡镇", "寄宿制"], ["１００１", "城關小學", "小学", "城關鎮", "否"]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems
    assert report.school_code == "1001"
    assert report.rows["school"][0]["type"] == "小學"


def test_a_row_that_looks_like_a_record_under_the_table_is_never_dropped(tmp_path):
    book = school_book()
    book["應急演練"].append(["五月", "本部", "消防", "是", "好", 3, 3, 100])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [("應急演練", 4, "演練日期")]
    assert report.rejected[0]["raw"]["演練日期"] == "五月"


@pytest.mark.parametrize("fmt", FORMATS)
def test_notes_written_right_of_the_tables_edge_or_bracketed_are_notes(tmp_path, fmt):
    """Found by an audit: notes in column B or C, or opening with a bracket or ※, were each refused as a
    broken record ('date' must be filled in).  A note alone on its line is paperwork wherever it
    starts; a record never is (the next test, and every record-like line under the table)."""
    book = school_book()
    book["保安演練"] += [[None, "備註：本表由保衛科填寫", None], [None, "注：演練照片另存", None],
                      ["（注：本表每月更新）", None, None], ["※說明：無", None, None], [None, None, "以上情況屬實"]]
    report = check_file(write(fmt, tmp_path / "book", book), registry={"1001"}, today=TODAY)
    assert not report.problems, report.lines()
    assert [n["kind"] for n in report.notes if n["sheet"] == "保安演練"] == ["note"] * 5
    assert len(report.rows["guard_drills"]) == 1


@pytest.mark.parametrize("line", [[None, "本部", "說明會後的疏散演練"], [None, None, "說明會後的疏散演練"]])
def test_a_record_starting_right_of_the_tables_edge_is_still_a_record(tmp_path, line):
    book = school_book()
    book["保安演練"].append(line)  # its date left out: a record to fix, however like a note it starts
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert [(p.row, p.column) for p in report.problems] == [(3, "日期")]


def test_a_time_in_a_text_column_is_kept_as_the_cell_shows_it():
    """Found by an audit: 護學崗's 時段 typed 7:20 in a time-formatted cell was stored as '07:20:00'."""
    from datetime import time

    slot = SHEETS["gate_duty"].column("slot")
    assert cells.parse_cell(slot, time(7, 20)) == ("07:20", None)
    assert cells.parse_cell(slot, time(7, 20, 30)) == ("07:20:30", None)


def test_a_short_single_cell_under_the_table_is_a_row_problem_not_a_note(tmp_path):
    book = school_book()
    book["保安人員"].append(["孫保安"])  # a guard's name alone: a record with its cells missing
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert {p.column for p in report.problems} >= {"出生日期", "上崗日期"}
    assert all(p.row == 4 for p in report.problems)


@pytest.mark.parametrize("text,expected", [
    ("2026-03-05", date(2026, 3, 5)), ("2026/3/5", date(2026, 3, 5)), ("2026.3.5", date(2026, 3, 5)),
    ("2026年3月5日", date(2026, 3, 5)), ("２０２６年３月５日", date(2026, 3, 5)), (" 2026-3-5 ", date(2026, 3, 5)),
    (datetime(2026, 3, 5, 8, 30), date(2026, 3, 5)), (date(2026, 3, 5), date(2026, 3, 5)),
    ("2026年3月5日 星期四", date(2026, 3, 5)), ("2026-03-05(周四)", date(2026, 3, 5)),  # WPS's long date, pasted
    ("2026-03-08（週日）", date(2026, 3, 8)), ("2026-03-05（四）", date(2026, 3, 5)),  # a diary's weekday in brackets
    # a time of day after the date: a drill's hour, or Chinese Windows' text of a date and time
    ("2026-03-05 09:00", date(2026, 3, 5)), ("2026年3月5日9:30", date(2026, 3, 5)),
    ("2026年3月5日 9時30分", date(2026, 3, 5)), ("2026年3月5日下午3點半", date(2026, 3, 5)),
    ("2026年3月5日 上午", date(2026, 3, 5)), ("2026-3-5上午", date(2026, 3, 5)),
    ("2026/03/05 下午 02:30:00", date(2026, 3, 5)), ("2026/3/5 2:30 PM", date(2026, 3, 5)),
    ("2026年3月5日 星期四 上午9:00", date(2026, 3, 5)), ("2026-03-05 09:00（四）", date(2026, 3, 5)),
    ("2026-3-5 23時59分59秒", date(2026, 3, 5)), ("2026-03-05（四）09:00", date(2026, 3, 5)),
])
def test_date_forms(text, expected):
    assert cells.parse_date(text) == (expected, None)


@pytest.mark.parametrize("text", ["2026-02-30", "5/3/2026", "三月五日", 46086.0, "2026-3",
                                  "2026年3月5日 星期五", "2026-03-05（五）",  # the weekday says another day: which was meant?
                                  "2026年3月5日 下午3點 星期五",
                                  "2026-03-05 星期四 09:00 星期五",  # two weekdays, the second another day
                                  # more than a time of day after the date: perhaps not one day
                                  "2026-3-5 上午第二節", "2026-3-5至3-8", "2026-3-5 9", "2026-3-5 25:00",
                                  "2026-03-05 24:59"])
def test_dates_that_are_not_clearly_one_day_are_problems(text):
    value, problem = cells.parse_date(text)
    assert value is None and problem is not None and ("date" in problem[1] or "day" in problem[1])


@pytest.mark.parametrize("raw,expected", [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("✓", True), ("✗", False), ("√", True), ("×", False),
    (1.0, True), (0.0, False), ("1", True), ("0", False), ("true", True), ("FALSE", False), (True, True), ("ｙ", True),
])
def test_yes_no_forms(raw, expected):
    assert cells.parse_bool(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["可能", "2", "x", "ok?", "有", "無", "对", "t", "f", "没有"])
def test_yes_no_that_is_neither_is_a_problem(raw):
    assert cells.parse_bool(raw)[1] is not None


@pytest.mark.parametrize("raw,expected", [
    ("１２", 12), ("1,200", 1200), ("1，200", 1200), (" 12 ", 12), (12.0, 12), ("12.0", 12), ("+3", 3),
    (599.9999999999999, 600), (42.00000000000001, 42),  # counts Excel calculated, as it shows them
    ("-0", 0), ("-0.00", 0), (-0.0, 0),  # zero with a sign is still zero, not a negative count
])
def test_whole_counts_as_people_type_them(raw, expected):
    value, problem = cells.parse_int(raw)
    assert (value, problem) == (expected, None) and value.__class__ is int


@pytest.mark.parametrize("raw,word", [("-3", "negative"), (-1.0, "negative"), ("2.5", "whole"), (599.99, "whole"), ("12人", "number"),
                                      ("1,20", "number"), (True, "number")])
def test_counts_that_are_not_non_negative_whole_numbers(raw, word):
    value, problem = cells.parse_int(raw)
    assert value is None and word in problem[1]


@pytest.mark.parametrize("raw,expected", [("1,200.50", 1200.5), ("¥300", 300.0), ("３００元", 300.0), (99.99, 99.99),
                                          ("-0", 0.0), ("－０.00", 0.0), (-0.0, 0.0),
                                          ("100.", 100.0), ("1,200.", 1200.0)])  # a point typed, no cents: as a count's 600.
def test_amounts(raw, expected):
    amount, problem = cells.parse_money(raw)
    assert (amount, problem) == (expected, None) and str(amount) == str(expected)  # -0.0 == 0.0, but shows '-0.0'


def test_labels_meet_across_traditional_simplified_and_width():
    assert cells.canon("學校代碼") == cells.canon("学校代码") == cells.canon(" 學校 代碼 ")
    assert cells.canon("安全制度上墻") == cells.canon("安全制度上牆") == cells.canon("安全制度上墙")
    assert cells.canon("ＳＣＨＯＯＬ") == cells.canon("school")
    assert cells.canon("安全保衞室") == cells.canon("安全保衛室") == cells.canon("安全保卫室")  # Hong Kong's 衞


@pytest.mark.parametrize("traditional,simplified", [("沈靜", "沈静"), ("沈默", "沈默"),
                                                    ("李昇", "李升"), ("乾淨", "干净")])
def test_a_name_in_either_script_is_one_name_whatever_word_its_characters_spell(traditional, simplified):
    """A review: OpenCC's phrase dictionaries read the guard 沈靜 as the word 沉靜 (to sink) and made it 沉静, while
    沈静, the same name in Simplified, stayed 沈静: the one guard counted as two people across sheets.  Labels and
    names are compared character by character."""
    assert cells.canon(traditional) == cells.canon(simplified)


def test_every_contract_header_is_found_in_hong_kong_traditional(tmp_path):
    """data-contract.md: headers match "in either Traditional or Simplified characters"; Hong Kong's
    standard (OpenCC t2hk: 安全保衞室) is Traditional too."""
    from opencc import OpenCC

    to_hk = OpenCC("t2hk")
    book = {to_hk.convert(name): [[to_hk.convert(h) for h in rows[0]]] + rows[1:] for name, rows in school_book().items()}
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, [p.reason_en for p in report.problems]
    assert set(report.rows) == {s.key for s in SHEETS.values() if s.owner == "school"}


def test_every_contract_header_is_found_in_simplified(tmp_path):
    from opencc import OpenCC

    to_simplified = OpenCC("t2s")
    book = {to_simplified.convert(name): [[to_simplified.convert(h) for h in rows[0]]] + rows[1:]
            for name, rows in school_book().items()}
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems
    assert set(report.rows) == {s.key for s in SHEETS.values() if s.owner == "school"}


def test_a_two_level_header_with_cells_merged_down_is_read(tmp_path):
    from openpyxl import load_workbook

    book = school_book()
    path = write_xlsx(tmp_path / "s.xlsx", book)
    wb = load_workbook(path)
    ws = wb["保安人員"]
    ws.insert_rows(1)
    for col in range(1, 7):  # 姓名 ... 離崗日期 move up and are merged over two rows
        ws.cell(1, col).value, ws.cell(2, col).value = ws.cell(2, col).value, None
        ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
    ws.cell(1, 7).value = "器械配備"
    ws.merge_cells(start_row=1, start_column=7, end_row=1, end_column=13)
    wb.save(path)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.problems
    assert [g["name"] for g in report.rows["guards"]] == ["王保安", "趙保安"]
    assert report.rows["guards"][0]["row_no"] == 3


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_two_level_header_whose_single_headings_are_not_merged_down_is_read(tmp_path, fmt):
    """班級數 over 參演班級數 | 簽到班級數, the other headings in the upper row only: the columns named in
    the lower row are the table's (not "missing"), and records start under it."""
    book = school_book()
    header = book["應急演練"][0]
    upper = header[:5] + ["班級數", None] + header[7:]
    lower = [None] * 5 + header[5:7] + [None]
    book["應急演練"] = [upper, lower] + book["應急演練"][1:]
    report = check_file(write(fmt, tmp_path / "s", book), registry={"1001"}, today=TODAY)
    assert not report.problems, [p.as_text() for p in report.problems]
    assert [(d["classes"], d["signed_classes"], d["row_no"]) for d in report.rows["drills"]] == [(12, 12, 3), (12, 11, 4)]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_single_heading_under_a_group_heading_is_read(tmp_path, fmt):
    """其中 over 寄宿生數 alone (其中: "of whom", the boarders among the students): the lower row holds one
    column's name, so it is a header row, not a record and not a missing column."""
    book = school_book()
    header = book["校區"][0]
    upper = header[:3] + ["其中"] + header[4:]
    lower = [None] * 3 + [header[3]] + [None] * 2
    book["校區"] = [upper, lower] + book["校區"][1:]
    report = check_file(write(fmt, tmp_path / "s", book), registry={"1001"}, today=TODAY)
    assert not report.problems, [p.as_text() for p in report.problems]
    assert [(c["boarders"], c["row_no"]) for c in report.rows["campuses"]] == [(0, 3)]


def test_totals_and_signature_lines_anywhere_under_the_table_are_not_records(tmp_path):
    book = school_book()
    book["安全經費"] += [[None, "合計", 1200.5], [None, None, "審核人:王校長"]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems and len(report.rows["funds"]) == 1 and len(report.notes) == 2


@pytest.mark.parametrize("line", [
    ["校長：王五"], ["經辦人：張三"], ["統計人：張三"], ["分管領導：李四"], ["日期：2026-11-29"],
    ["校長：王五　填表人：張三"], ["合計：3次"], ["共計3次"], ["總計 3 次"], ["以下空白"], [None, "（此頁以下空白）"],
    ["校長", "王五", "填表人", "張三"], ["校長：", "王五", "日期：", "2026-11-29"],
])
def test_the_signature_and_totals_lines_offices_write_under_a_table_are_paperwork(tmp_path, line):
    """data-contract.md 1: "a notes or signature line under the table" is forgiven (found by an audit:
    these were refused rows, 「校長：王五」不是日期).  Under 保安演練, whose 校區 and 內容 may be empty, any of
    them read as a record would count as a guard drill."""
    book = school_book()
    drills_before = len(book["保安演練"]) - 1
    book["保安演練"] += [[None] * 3, line + [None] * (3 - len(line))]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, [p.as_text() for p in report.problems]
    assert len(report.rows["guard_drills"]) == drills_before and len(report.notes) == 1


@pytest.mark.parametrize("sheet,cells,column", [
    ("基礎工作", ["領導小組", "是"], "項目"),
    ("保安演練", [None, None, "主管部門檢查"], "日期"),
    ("隱患整改", [None, None, None, None, "校長", date(2026, 5, 1)], "編號"),
    ("護學崗", [None, None, "校長帶班", "是"], "日期"),
    ("安全辦人員", ["分管副校長", "主任"], "到崗日期"),
])
def test_a_half_filled_record_that_starts_with_a_signers_word_is_refused_where_the_school_sees_it(
        tmp_path, sheet, cells, column):
    """A record is never taken for paperwork and dropped unseen (found by a regression audit: these were
    read as signature lines).  Only a role alone in its cell, two of them or one with its colon, is."""
    book = school_book()
    book[sheet].append(cells)
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert [p.column for p in report.row_problems][:1] == [column], [p.as_text() for p in report.problems]


def test_a_whole_hazard_numbered_like_a_record_book_is_read(tmp_path):
    book = school_book()
    book["隱患整改"].append(["記錄1", date(2026, 3, 2), "校長室門窗", "設施設備", "校長", None, None])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems and "記錄1" in [h["id"] for h in report.rows["hazards"]]


@pytest.mark.parametrize("signature", [["校長：王五"], ["學校（蓋章）"], ["校長", "王五", "填表人", "張三"]])
@pytest.mark.parametrize("dated", ["2026年11月20日", date(2026, 11, 20)])
def test_the_date_under_a_signature_is_the_signatures_not_a_guard_drill(tmp_path, signature, dated):
    """保安演練's 校區 and 內容 may be empty, so a date alone is a drill; but under a signature or a seal it
    is the form's date (found by an audit: it counted as a guard drill).  A date alone elsewhere is
    still a record."""
    book = school_book()
    drills_before = len(book["保安演練"]) - 1
    book["保安演練"] += [[None] * 3, signature + [None] * (3 - len(signature)), [dated, None, None]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems and len(report.rows["guard_drills"]) == drills_before
    book["保安演練"] = book["保安演練"][:-3] + [[dated, None, None]]
    report = check_file(write_xlsx(tmp_path / "t.xlsx", book), registry={"1001"}, today=TODAY)
    assert len(report.rows["guard_drills"]) == drills_before + 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_date_alone_under_a_signature_is_a_drill_when_the_ledger_goes_on_under_it(tmp_path, fmt):
    """Found by an audit: a ledger signed off month by month (審核人 under September's drills), then
    October's first guard drill with only its date (校區 and 內容 may be empty): it was taken for the
    signature's date and dropped unseen.  Only a date where the table ends is the signature's."""
    book = school_book()
    book["保安演練"] += [[date(2026, 9, 10), "本部", "防暴恐處置演練"], ["審核人：李四", None, None],
                      [date(2026, 10, 12), None, None], [date(2026, 10, 20), "本部", "防暴恐處置演練"],
                      ["審核人：李四", None, None], [date(2026, 10, 31), None, None]]
    report = check_file(write(fmt, tmp_path / "book", book), registry={"1001"}, today=TODAY)
    assert not report.problems, report.lines()
    assert [r["date"] for r in report.rows["guard_drills"]] == [
        date(2026, 3, 5), date(2026, 9, 10), date(2026, 10, 12), date(2026, 10, 20)]
    assert [(n["row"], n["kind"]) for n in report.notes if n["sheet"] == "保安演練"] == [
        (4, "signature"), (7, "signature"), (8, "signature")]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_only_one_date_alone_under_a_signature_is_its_date_the_next_ones_are_drills(tmp_path, fmt):
    """Found by an audit: under 審核人, 10-12 and 10-20 each alone on a line (guard drills whose 校區 and
    內容 may be empty) were both taken for the signature's date and neither was read; with a full record
    after them, 10-12 was lost unseen.  One date under a signature can be its date; a second is a record,
    and makes the first one a record too, as a record after a signature's date does."""
    book = school_book()
    book["保安演練"] += [["審核人：李四", None, None], [date(2026, 10, 12), None, None],
                      [date(2026, 10, 20), None, None]]
    ended = check_file(write(fmt, tmp_path / "ended", book), registry={"1001"}, today=TODAY)
    assert not ended.problems, ended.lines()
    assert [r["date"] for r in ended.rows["guard_drills"]] == [date(2026, 3, 5), date(2026, 10, 12), date(2026, 10, 20)]
    book["保安演練"].append([date(2026, 10, 31), "本部", "防暴"])
    went_on = check_file(write(fmt, tmp_path / "went_on", book), registry={"1001"}, today=TODAY)
    assert [r["date"] for r in went_on.rows["guard_drills"]] == [
        date(2026, 3, 5), date(2026, 10, 12), date(2026, 10, 20), date(2026, 10, 31)]
    assert [(n["row"], n["kind"]) for n in went_on.notes if n["sheet"] == "保安演練"] == [(3, "signature")]


def test_a_hazard_numbered_like_a_note_whose_owner_is_the_principal_is_still_a_record(tmp_path):
    """校長 is a signature label on a paperwork line, and a hazard's 責任人 everywhere else."""
    book = school_book()
    book["隱患整改"].append(["說明2", date(2026, 3, 2), "消防栓過期", "消防", "校長", date(2026, 3, 20), None])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, [p.as_text() for p in report.problems]
    assert [h["owner"] for h in report.rows["hazards"] if h["id"] == "說明2"] == ["校長"]


def test_a_record_whose_text_starts_like_a_note_is_still_checked_as_a_record(tmp_path):
    book = school_book()
    book["隱患整改"].append([None, None, "注意:消防栓被雜物遮擋", "消防", None, None, None])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert {(p.row, p.column) for p in report.problems} == {(3, "編號"), (3, "發現日期")}


def test_a_bureau_workbook_with_a_hidden_copy_of_the_school_template_is_still_the_bureau_workbook(tmp_path):
    hidden = {"學校概況": [["學校代碼", "學校名稱", "學校類別", "所屬鄉鎮", "寄宿制"]]}
    report = check_file(write_xlsx(tmp_path / "b.xlsx", bureau_book(), hidden=hidden), today=TODAY)
    assert report.kind == "bureau_workbook" and not report.problems


def test_a_year_written_with_its_character_is_the_year():
    from sync.contract import SHEETS as S

    assert cells.parse_cell(S["agreements"].column("year"), "2026年") == (2026, None)
    assert cells.parse_cell(S["agreements"].column("year"), "２０２６年度") == (2026, None)


def test_a_tick_typed_on_a_phone_is_a_tick(tmp_path):
    """data-contract.md: ✓ is yes.  A phone keyboard types ✔️ and ☑️ (the tick and an invisible variation
    selector, U+FE0F): the same yes; the selector after a choice is a stray mark too."""
    book = school_book()
    book["保安人員"][1][6:13] = ["✔\ufe0f", "☑\ufe0f", "✔", "√", "是", "是", "是"]
    book["安全教育"][1][1] = "安全教育課\ufe0f"
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, [p.as_text() for p in report.problems]
    assert report.rows["guards"][0]["helmet"] is True and report.rows["guards"][0]["fork"] is True
    assert report.rows["education"][0]["kind"] == "安全教育課"


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_cross_in_another_weight_or_as_a_phones_emoji_is_a_cross(tmp_path, fmt):
    """data-contract.md: ✓/✗ are yes/no, and the reader already takes the same marks drawn otherwise (✔ ☑ √,
    ✘ × ☒).  ✕ and ✖ are × in other weights (WPS's symbol list, and ✖️ is the cross a phone's keyboard
    offers beside ✔️); ❌ and ✅ are a phone's cross and tick.  A guard's kit marked ✔️/✖️ had every row refused,
    its ✖️ no yes/no, and the guard lost from E1-E3 (found by a contract audit)."""
    book = school_book()
    book["保安人員"][1][6:13] = ["✖\ufe0f", "✕", "❌", "✅", "✖", "✔\ufe0f", "✅\ufe0f"]
    report = check_file(write(fmt, tmp_path / "s", book), registry={"1001"}, today=TODAY)
    assert not report.problems, [p.as_text() for p in report.problems]
    guard = report.rows["guards"][0]
    assert [guard[k] for k in contract.GUARD_KIT] == [False, False, False, True, False, True, True]


@pytest.mark.parametrize("typed,expected", [("2026年", 2026), ("2026年度", 2026), (" 2026 ", 2026), (2026, 2026)])
def test_the_agreements_year_as_people_write_it(typed, expected):
    assert cells.parse_cell(SHEETS["agreements"].column("year"), typed) == (expected, None)


def test_a_year_that_is_not_one_is_quoted_as_written():
    """Every problem names the value as the person typed it (data-contract.md), not what was left of it."""
    value, problem = cells.parse_cell(SHEETS["agreements"].column("year"), "2026學年")
    assert value is None and "「2026學年」" in problem[0] and "'2026學年' is not a number" in problem[1]


@pytest.mark.parametrize("sheet,column,typed,zh,en", [
    ("drills", "classes", "九個", "請只填阿拉伯數字,如 12", "write digits only, like 12"),
    ("funds", "amount", "一千二", "請只填阿拉伯數字,如 12", "write digits only, like 12"),
    ("drills", "classes", "2.5", "請填整數,如 3", "is whole, like 3"),
    ("drills", "date", time(8, 30), "請填寫日期,如 2026-03-05", "write the date, like 2026-03-05"),
])
def test_a_cell_refused_says_how_to_write_it(sheet, column, typed, zh, en):
    """data-contract.md: a bad row is reported to the person who can fix it; "「九個」不是數字" said what was wrong
    and left the officer to guess what would do (found by a UX walk): each reason ends with how to write it."""
    value, problem = cells.parse_cell(SHEETS[sheet].column(column), typed)
    assert value is None and zh in problem[0] and en in problem[1], problem


def _write_by_pandas(path, book: dict, engine: str):
    """As a script writes a county: a DataFrame per sheet, `pd.DataFrame(rows)` of an empty list for a
    sheet with no records (a sheet with no cell at all, not even the header)."""
    import pandas as pd

    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, rows in book.items():
            frame = pd.DataFrame(rows[1:], columns=rows[0]) if rows else pd.DataFrame([])
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter", "odf", "xls"])
def test_a_sheet_left_wholly_blank_is_a_sheet_with_no_records_not_a_refused_file(tmp_path, writer):
    """data-contract.md: a bad row is reported, never silently dropped; a sheet holding no cell at all
    (a script's `pd.DataFrame([]).to_excel`, a school that deleted the header with the rows) holds no row
    to drop.  Refusing the file for it lost every other record of the school (a scripted held-out county:
    a school with no hazards all year was "not submitted").  It is read as no records, with a note asking
    for the header back."""
    book = school_book()
    book["隱患整改"] = []
    book["保安培訓"] = []
    if writer == "xls":
        path = write_xls(tmp_path / "s.xls", book)
    else:
        path = _write_by_pandas(tmp_path / ("s.ods" if writer == "odf" else "s.xlsx"), book, writer)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.refused, [p.as_text() for p in report.problems]
    clean = check_file(write_xlsx(tmp_path / "clean.xlsx", school_book()), registry={"1001"}, today=TODAY)
    got, want = _records(report), _records(clean)
    assert not got.get("hazards") and not got.get("guard_training")
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if k not in ("hazards", "guard_training")}
    notes = [p for p in report.problems if p.level == "note"]
    assert sorted(p.sheet for p in notes) == ["保安培訓", "隱患整改"], [p.as_text() for p in report.problems]
    assert all("表頭" in p.reason_zh and "header" in p.reason_en for p in notes)


def test_a_sheet_blank_but_for_spaces_and_invisible_characters_is_blank(tmp_path):
    """Found by a regression audit: a sheet holding only spaces was read as blank (no records,
    a note), one holding a zero-width space or a BOM left in a cleared cell refused the whole file as a
    sheet without its header.  Invisible characters are no text anywhere else in the reader."""
    book = school_book()
    book["隱患整改"] = [["\u200b", " "], [None, "\ufeff\u3000"]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.refused, [p.as_text() for p in report.problems]
    [note] = report.problems
    assert (note.level, note.sheet) == ("note", "隱患整改") and "blank" in note.reason_en


def test_a_blank_school_sheet_still_refuses_the_file(tmp_path):
    """學校概況 names the school: without it the workbook is no one's (nothing read as 'no records')."""
    book = school_book()
    book["學校概況"] = []
    report = check_file(_write_by_pandas(tmp_path / "s.xlsx", book, "openpyxl"), registry={"1001"}, today=TODAY)
    assert report.refused


@pytest.mark.parametrize("index", [True, False])
@pytest.mark.parametrize("engine", ["openpyxl", "xlsxwriter", "odf"])
def test_a_workbook_a_script_writes_with_pandas_gives_the_clean_records(tmp_path, engine, index):
    """A held-out county is likely generated by a script: `DataFrame.to_excel` with its leading unnamed
    index column (index=True, the default), numpy int64 and float64 counts (12.0), Timestamps with and
    without a time of day, NaT and NaN for empty cells, Python bools for yes/no, English keys as headers
    and sheet names.  data-contract.md allows each: the records are exactly the clean workbook's."""
    import numpy as np
    import pandas as pd

    clean = check_file(write_xlsx(tmp_path / "clean.xlsx", school_book()), registry={"1001"}, today=TODAY)
    path = tmp_path / ("s.ods" if engine == "odf" else "s.xlsx")
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, rows in school_book().items():
            key = next(s.key for s in SHEETS.values() if s.zh == name)
            columns = SHEETS[key].columns

            def value(col, v, key=key):
                if v is None:
                    return pd.NaT if col.kind == "date" else np.nan
                if v in ("是", "否"):
                    return v == "是"
                if isinstance(v, date):
                    return pd.Timestamp(v) + (pd.Timedelta(hours=9, minutes=30) if key == "drills" else pd.Timedelta(0))
                return v

            frame = pd.DataFrame([[value(c, v) for c, v in zip(columns, row, strict=True)] for row in rows[1:]],
                                 columns=[c.key for c in columns])
            if key == "drills":
                frame["participants"] = frame["participants"].astype("float64")  # 600.0
            frame.to_excel(writer, sheet_name=key, index=index)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert not report.problems, [p.as_text() for p in report.problems]
    assert _records(report) == _records(clean)


@pytest.mark.parametrize("other", ["安全經費統計表", "hidden"])
def test_a_blank_sheet_beside_another_sheet_of_its_table_still_refuses_the_file(tmp_path, other):
    """A blank 安全經費 is read as no records only when nothing else in the workbook could be its
    table: beside 安全經費統計表 holding the amounts (or a hidden 安全經費 holding them) the blank one
    would be read and the amounts passed over, so the file is refused as before, naming the sheet."""
    book = school_book()
    funds = book.pop("安全經費")
    book["安全經費"] = []
    hidden = None
    if other == "hidden":
        hidden = {"安全經費 ": funds}
    else:
        book[other] = funds
    path = write_xlsx(tmp_path / "s.xlsx", book, hidden=hidden)
    report = check_file(path, registry={"1001"}, today=TODAY)
    assert report.refused, [p.as_text() for p in report.problems]
    assert any(p.sheet == "安全經費" for p in report.file_problems)


@pytest.mark.parametrize("mark", ["*{}", "{}*", "※{}", "{}※", "★{}", "{}（必填）"])
def test_a_header_marked_as_a_required_column_is_its_column(tmp_path, mark):
    """Templates mark the columns to fill with *, ※ or ★ (found by a contract audit: ※演練日期 refused the
    file, "no header row found")."""
    book = school_book()
    book["應急演練"][0] = [mark.format(h) for h in book["應急演練"][0]]
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.problems, [p.reason_en for p in report.problems]
    assert len(report.rows["drills"]) == 2
