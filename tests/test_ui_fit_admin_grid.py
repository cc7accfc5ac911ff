"""The admin pages' long tables (inspections, each school's workbook, the publication diff) at 1366 px.

Found by an audit: headers cut (「弄虛作假（一票否決）」 83 px of 140, "Major safety incident (veto)"), every
row 3 to 5 lines tall because a file's path wrapped in a 90 px column, and school codes right-aligned as
numbers with their filter button alone at the cell's left edge.
"""

from __future__ import annotations

from dashboard.pages._admin import PLAIN_TABLE_ROWS, text_table

COLUMNS = ["學校代碼", "弄虛作假（一票否決）", "Major safety incident (veto)", "文件", "記錄行數", "原因"]


def _rows(n: int = PLAIN_TABLE_ROWS + 5) -> list[list]:
    return [[f"14102000{i:02d}", "是" if i % 7 == 0 else "", "", f"schools/北塬鄉/14102000{i:02d}-北塬鄉中心幼兒園.xlsx",
             200 + i, "缺少工作表「應急演練」，請按模板補上（沒有記錄也要保留表頭）" if i == 3 else ""] for i in range(n)]


def _columns(grid) -> dict[str, dict]:
    return {col["headerName"]: col for col in grid.columnDefs}


def test_every_header_has_a_tooltip_wraps_and_has_room_for_its_words():
    grid = text_table(COLUMNS, _rows(), "insp-table", "zh-Hant")
    assert grid.defaultColDef.get("wrapHeaderText") and grid.defaultColDef.get("autoHeaderHeight")
    columns = _columns(grid)
    assert all(col.get("headerTooltip") == name for name, col in columns.items())
    # 「弄虛作假（一票否決）」 on at most three lines of about four characters, beside its filter button
    assert columns["弄虛作假（一票否決）"]["minWidth"] >= 4 * 13 + 16 + 16
    assert columns["Major safety incident (veto)"]["minWidth"] >= len("incident") * 6 + 16 + 16


def test_a_school_code_is_text_on_the_left_not_a_number():
    grid = text_table(COLUMNS, _rows(), "audit-submissions-table", "zh-Hant")
    code = _columns(grid)["學校代碼"]
    assert code.get("type") != "numericColumn" and "valueFormatter" not in code
    assert grid.rowData[1]["c0"] == "1410200001"
    # a count is still a number (sorted as one, on the right)
    assert _columns(grid)["記錄行數"].get("type") == "numericColumn" and grid.rowData[1]["c4"] == 201.0


def test_a_path_stays_on_one_line_with_the_whole_of_it_on_hover():
    grid = text_table(COLUMNS, _rows(), "audit-submissions-table", "en")
    path = _columns(grid)["文件"]
    assert not path.get("wrapText") and not path.get("autoHeight")
    assert path.get("tooltipField") == path["field"]
    assert path.get("minWidth", 0) >= 150  # enough to tell schools/北塬鄉/14102000… from the next
    # a reason is prose: it may wrap, in a column wide enough not to make it a word a line
    reason = _columns(grid)["原因"]
    assert reason.get("wrapText") and reason.get("minWidth", 0) >= 100
