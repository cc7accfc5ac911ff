"""A form's totals and "nothing below" lines, as WPS and Excel forms print them, are paperwork, not records.

data-contract.md 1: the reader forgives "a notes or signature line under the table".  Found by an audit:
合計 under the drills was paperwork already (test_sync_hostile), but 本頁小計 (a printed form's page
subtotal), 全年合計, 合計(元), 合計（次）, 共2次, and 以下空白 after the form's next serial number were
each a record refused five times over, for the school to "fix"."""

from __future__ import annotations

from datetime import date

import pytest

from sync.report import check_file
from tests.sync_helpers import school_book, write_xlsx

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize("label", ["本頁小計", "全年合計", "合計(元)", "合計（次）", "合  計：", "總 計", "共2次"])
def test_a_totals_line_in_a_forms_words_is_paperwork_not_a_refused_record(tmp_path, label):
    book = school_book()
    book["應急演練"].append([label, None, None, None, None, 24, 23, 1190])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.rejected, [p.as_text() for p in report.problems]
    assert len(report.rows["drills"]) == 2


def test_nothing_below_after_the_forms_next_serial_number_is_paperwork(tmp_path):
    book = school_book()
    drills = book["應急演練"]
    drills[0] = ["序號"] + drills[0]
    for i in range(1, len(drills)):
        drills[i] = [i] + drills[i]
    drills.append([len(drills), "以下空白"])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.rejected, [p.as_text() for p in report.problems]
    assert len(report.rows["drills"]) == 2


def test_a_record_that_starts_with_an_english_word_of_totals_is_read(tmp_path):
    """A guard named Sum (岑, as Hong Kong and Macau write it) was taken for a totals line and vanished
    unseen (found by a regression audit): only the Chinese words of a form's totals are paperwork."""
    book = school_book()
    guard = list(book["保安人員"][1])
    guard[0] = "Sum"
    book["保安人員"].append(guard)
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert "Sum" in [g["name"] for g in report.rows["guards"]], [p.as_text() for p in report.problems]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_line_filled_only_in_a_column_of_the_schools_own_is_shown_not_refused(tmp_path, fmt):
    """Found by a contract audit: 「三月補記」 in the school's own 備註 column, on a line otherwise empty, was a
    drill refused five times over ("drill date must be filled in"); it holds no record of the contract's
    and is shown as a line not read.  A record with a remark beside it is read as ever."""
    from tests.sync_helpers import write

    book = school_book()
    drills = book["應急演練"]
    drills[0] = drills[0] + ["備註"]
    drills[1] = drills[1] + ["消防大隊指導"]
    drills.insert(2, [None] * 8 + ["三月補記"])
    drills.append([None] * 8 + ["已上報教育局"])
    report = check_file(write(fmt, tmp_path / "s", book), registry={"1001"}, today=TODAY)
    assert not report.rejected, [p.as_text() for p in report.problems]
    assert [(p.level, p.row, p.value) for p in report.problems] == [("note", 3, "三月補記"), ("note", 5, "已上報教育局")]
    assert all("not read" in p.reason_en and "未作為記錄讀入" in p.reason_zh for p in report.problems)
    assert len(report.rows["drills"]) == 2


def test_a_row_of_numbers_in_columns_of_the_schools_own_is_shown_not_passed_over(tmp_path):
    """Found by a fuzz: four numbers right of the template's columns, on a line otherwise empty, were taken
    for a printed form's serial number and passed over unseen.  Only one number alone is a serial number;
    more are something the school wrote, shown to it as a line not read."""
    book = school_book()
    drills = book["應急演練"]
    width = len(drills[0])
    drills.append([None] * width + [45369, 22, 22, 971])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert len(report.rows["drills"]) == 2
    lines = [p for p in report.problems if p.sheet == "應急演練" and p.row == len(drills)]
    assert len(lines) == 1 and "outside the template" in lines[0].reason_en, [p.as_text() for p in report.problems]


def test_a_last_row_of_formulas_saved_without_values_is_refused_not_lost(tmp_path):
    """Found by a fuzz: formulas saved with no calculated value (as openpyxl and some exporters write
    them) give calamine nothing to lay out, so as the table's last row they lay beyond its grid and the
    row vanished from the report; in the middle of the table the same row was refused, as it now is
    here."""
    book = school_book()
    drills = book["應急演練"]
    last = len(drills)  # the sheet row of the last record: the formulas copy it
    drills.append([f"={chr(ord('A') + c)}{last}" for c in range(len(drills[0]))])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    refused = {p.column for p in report.problems if p.sheet == "應急演練" and p.row == last + 1}
    assert refused and all("no calculated value" in p.reason_en or "must be filled" in p.reason_en
                           for p in report.problems if p.row == last + 1), [p.as_text() for p in report.problems]
    assert len(report.rows["drills"]) == 2


def test_a_record_numbered_like_a_note_is_read_whatever_colon_another_cell_holds(tmp_path):
    """Found by an audit: a hazard numbered 說明2 whose description read 東門：圍墻破損, and a staff member
    written 審核:王五 beside the school's own remark 兼職：保衛, vanished as a note and a signature: any
    text with a colon beside the first cell was taken for a signature's label.  Only a signer's or a
    note's words make one."""
    book = school_book()
    book["隱患整改"].append(["說明2", date(2026, 4, 2), "東門：圍墻破損", "設施", "張主任", date(2026, 5, 1),
                          date(2026, 4, 20)])
    # a UX audit: a description starting with a note's word (注意：) beside it dropped an overdue hazard, and the
    # school's score went up
    book["隱患整改"].append(["說明3", date(2026, 10, 26), "注意：滅火器過期未更換", "消防", None, None,
                          date(2026, 11, 6)])
    book["安全辦人員"][0].append("備註")
    book["安全辦人員"].append(["審核:王五", "工作人員", date(2025, 9, 1), None, "兼職：保衛"])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert "說明2" in [h["id"] for h in report.rows["hazards"]], [p.as_text() for p in report.problems]
    last = len(book["隱患整改"])  # 說明3's sheet row: a record, read or refused as one, never a note
    ids = [h["id"] for h in report.rows["hazards"]]
    assert "說明3" in ids or any(p.row == last for p in report.row_problems), [p.as_text() for p in report.problems]
    assert not [line for line in report.notes if line["row"] == last]
    assert "審核:王五" in [s["name"] for s in report.rows["office_staff"]], [p.as_text() for p in report.problems]


@pytest.mark.parametrize("label", ["合計金額", "總金額", "累計支出", "2026年合計", "3月小計", "第一季度合計", "上半年合計"])
def test_a_totals_line_named_for_its_period_or_what_it_totals_is_paperwork(tmp_path, label):
    """Found by an audit: 合計金額 | | 1700.5 under the funds was a record refused as "not a date"."""
    book = school_book()
    book["安全經費"].append([label, None, 1700.5])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.rejected, [p.as_text() for p in report.problems]


@pytest.mark.parametrize("line", ["主要負責人：王五", "安全員：李四", "學校名稱：城關小學"])
def test_a_signature_line_naming_the_schools_safety_people_is_paperwork(tmp_path, line):
    book = school_book()
    book["隱患整改"].append([line])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    assert not report.rejected, [p.as_text() for p in report.problems]


def test_a_number_no_form_numbers_a_line_with_is_shown_not_passed_over(tmp_path):
    """An invoice number alone in the school's own column is something it wrote (a serial number is never
    more than its line's row): shown as a line not read; the form's own serial number passes unseen."""
    book = school_book()
    book["安全經費"][0].append("發票號")
    book["安全經費"].append([None, None, None, 123456])
    book["安全經費"].append([None, None, None, 3])
    report = check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)
    shown = [p.row for p in report.problems if p.sheet == "安全經費"]
    assert shown == [3], [p.as_text() for p in report.problems]
