"""The school workbook template (sync.template): every sheet and header of the contract, dropdowns,
date formats, instructions in Chinese; and the round trip write -> fill in code -> read back."""

from __future__ import annotations

import zipfile
from datetime import date

import openpyxl
import pandas as pd
import pytest
import python_calamine

from sync import contract
from sync.demo import county_frames
from sync.errors import UserError
from sync.report import check_file
from sync.template import (
    INSTRUCTIONS_SHEET,
    SHEET_PURPOSE,
    instructions_lines,
    write_bureau_workbook,
    write_template,
)
from tests.test_demo_files import plain_records

TODAY = date(2026, 11, 28)
SCHOOL = {"school_code": "1410200007", "name": "城關鎮第一小學", "type": "小學", "township": "城關鎮"}


def _grid(path, sheet_name):
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet_name).to_python()


def test_blank_template_has_every_school_sheet_and_header_of_the_contract(tmp_path):
    path = write_template(tmp_path / "blank.xlsx")
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == [INSTRUCTIONS_SHEET] + [s.zh for s in contract.SCHOOL_SHEETS]
    for sheet in contract.SCHOOL_SHEETS:
        grid = book.get_sheet_by_name(sheet.zh).to_python()
        assert grid[0] == [c.zh for c in sheet.columns], sheet.key
        assert all(all(v == "" for v in row) for row in grid[1:]), sheet.key


def test_dropdowns_for_yes_no_and_every_fixed_list(tmp_path):
    path = write_template(tmp_path / "blank.xlsx")
    book = openpyxl.load_workbook(path)
    for sheet in contract.SCHOOL_SHEETS:
        ws = book[sheet.zh]
        lists = {}
        for rule in ws.data_validations.dataValidation:
            if rule.type == "list":
                for cell_range in rule.sqref.ranges:
                    lists[cell_range.min_col - 1] = rule.formula1.strip('"').split(",")
        for i, column in enumerate(sheet.columns):
            if column.kind == contract.BOOL:
                assert lists.get(i) == ["是", "否"], (sheet.key, column.key)
            elif column.kind == contract.CHOICE:
                assert lists.get(i) == list(column.choices), (sheet.key, column.key)
            else:
                assert i not in lists, (sheet.key, column.key)


def test_the_template_asks_for_whole_counts_and_any_amount(tmp_path):
    """A count is whole (the sync refuses 3.5 classes): Excel warns as it is typed; amounts and points
    take decimals (found by an audit: counts were checked as decimals)."""
    book = openpyxl.load_workbook(write_template(tmp_path / "blank.xlsx"))
    for sheet in contract.SCHOOL_SHEETS:
        ws = book[sheet.zh]
        kinds = {r.min_col - 1: rule.type for rule in ws.data_validations.dataValidation for r in rule.sqref.ranges}
        for i, column in enumerate(sheet.columns):
            expected = {contract.INT: "whole", contract.MONEY: "decimal", contract.SCORE: "decimal"}.get(column.kind)
            if expected:
                assert kinds.get(i) == expected, (sheet.key, column.key)


def test_the_templates_date_checks_are_the_checkers_own_ranges(tmp_path):
    """A guard born in 1975 or a director in office since 1998 is accepted by the sync, so Excel must not
    warn about them either."""
    from datetime import datetime

    path = write_template(tmp_path / "blank.xlsx")
    book = openpyxl.load_workbook(path)

    def earliest(sheet_zh: str, header: str) -> date:
        ws = book[sheet_zh]
        col = [c.value for c in ws[1]].index(header) + 1
        for rule in ws.data_validations.dataValidation:
            if rule.type == "date" and any(r.min_col == col for r in rule.sqref.ranges):
                serial = int(float(rule.formula1))
                return (datetime(1899, 12, 30) + pd.Timedelta(days=serial)).date()
        raise AssertionError(f"no date check on {sheet_zh} {header}")

    assert earliest("保安人員", "出生日期") <= date(1950, 1, 1)
    assert earliest("保安人員", "上崗日期") <= date(1995, 1, 1)
    assert earliest("安全辦人員", "到崗日期") <= date(1995, 1, 1)
    assert earliest("應急演練", "演練日期") == date(2000, 1, 1)


def test_instructions_sheet_explains_each_sheet_its_clause_and_the_accepted_forms(tmp_path):
    path = write_template(tmp_path / "blank.xlsx")
    text = "\n".join("\t".join(str(v) for v in row) for row in _grid(path, INSTRUCTIONS_SHEET))
    for name, purpose, clause in instructions_lines(contract.SCHOOL_SHEETS):
        assert name in text and purpose in text and clause in text, name
    assert len(instructions_lines(contract.SCHOOL_SHEETS)) == len(SHEET_PURPOSE) - 2  # the bureau's two sheets apart
    for needed in ("是", "否", "2026-03-05", "2026年3月5日", "身份證", "電話", "季節專題的名稱（防溺水、防火、交通安全）"):
        assert needed in text, needed


def test_4_3_5_the_instructions_name_the_seasonal_themes_of_the_bureaus_rubric(tmp_path, bureau_rubric):
    """C5 counts a topic that names one of the rubric's themes: under a bureau's themes the template asks for
    those (it named 防火 and 交通安全 whatever the rubric said: a rubric audit)."""
    bureau_rubric(('name = "防火"', 'name = "防震減災"'))
    path = write_template(tmp_path / "blank.xlsx")
    text = "\n".join("\t".join(str(v) for v in row) for row in _grid(path, INSTRUCTIONS_SHEET))
    assert "季節專題的名稱（防溺水、防震減災、交通安全）" in text and "防火" not in text


def test_prefilled_template_carries_the_schools_registry_data(tmp_path):
    path = write_template(tmp_path / "mine.xlsx", school=SCHOOL)
    grid = _grid(path, "學校概況")
    assert grid[1][:4] == [SCHOOL["school_code"], SCHOOL["name"], SCHOOL["type"], SCHOOL["township"]]
    assert grid[1][4] == ""  # boarding is the school's to say


@pytest.fixture(scope="module")
def one_school():
    frames = county_frames(12, 4, TODAY)
    code = frames["school"]["school_code"].iloc[3]
    return {key: frame[frame["school_code"] == code] for key, frame in frames.items()}, code


def test_filled_template_reads_back_as_the_records_written(tmp_path, one_school):
    records, code = one_school
    path = write_template(tmp_path / "filled.xlsx", records={s.key: records[s.key] for s in contract.SCHOOL_SHEETS})
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for sheet in contract.SCHOOL_SHEETS:
        grid = book.get_sheet_by_name(sheet.zh).to_python()
        assert grid[0] == [c.zh for c in sheet.columns]
        assert len([r for r in grid[1:] if any(v != "" for v in r)]) == len(records[sheet.key]), sheet.key
    report = check_file(path, today=TODAY)
    assert not report.problems, [p.reason_en for p in report.problems]
    assert report.school_code == code
    for sheet in contract.SCHOOL_SHEETS:
        assert plain_records(report.rows[sheet.key], sheet.key) == plain_records(records[sheet.key], sheet.key), sheet.key


def test_records_filled_in_code_land_in_the_right_cells_with_date_formats(tmp_path):
    drills = pd.DataFrame({
        "date": pd.to_datetime(["2026-03-05", "2026-04-09"]), "campus": ["本部", None], "kind": ["消防疏散", "地震"],
        "has_plan": pd.array([True, False], dtype="boolean"), "evaluation": ["良好", None],
        "classes": pd.array([12, 8], dtype="Int64"), "signed_classes": pd.array([12, 7], dtype="Int64"),
        "participants": pd.array([540, None], dtype="Int64"),
    })
    path = write_template(tmp_path / "drills.xlsx", school=SCHOOL, records={"drills": drills})
    assert _grid(path, "應急演練")[1:] == [
        [date(2026, 3, 5), "本部", "消防疏散", "是", "良好", 12.0, 12.0, 540.0],
        [date(2026, 4, 9), "", "地震", "否", "", 8.0, 7.0, ""],
    ]
    ws = openpyxl.load_workbook(path)["應急演練"]
    assert ws["A2"].number_format == "yyyy-mm-dd" and ws["A2"].is_date


def test_bureau_workbook_round_trip(tmp_path):
    frames = county_frames(10, 8, TODAY)
    path = write_bureau_workbook(tmp_path / "bureau.xlsx", frames["registry"], frames["inspections"])
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == [INSTRUCTIONS_SHEET, "學校名冊", "督查記錄"]
    report = check_file(path, today=TODAY)
    assert report.kind == "bureau_workbook" and not report.problems
    for key in ("registry", "inspections"):
        assert plain_records(report.rows[key], key) == plain_records(frames[key], key)


def test_the_same_content_gives_the_same_bytes(tmp_path):
    first = write_template(tmp_path / "a.xlsx", school=SCHOOL).read_bytes()
    second = write_template(tmp_path / "b.xlsx", school=SCHOOL).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as book:
        assert "2020-01-01T00:00:00Z" in book.read("docProps/core.xml").decode()


def test_a_name_not_ending_in_xlsx_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match=r"\.xlsx"):
        write_template(tmp_path / "template.xls")


def test_an_unwritable_place_is_a_user_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot write"):
        write_template(blocker / "template.xlsx")
