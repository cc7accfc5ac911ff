"""Admin pages speak the reader's language: inspection kinds translated, audit details as words."""

from dashboard.app import app  # noqa: F401  (pages register themselves on the app)
from dashboard.layout import inspection_kind_label as _kind_label
from dashboard.pages.audit import _detail


def test_inspection_kinds_are_translated_for_english_readers_and_kept_in_chinese():
    assert _kind_label("不定期", "en") == "unannounced"
    assert _kind_label("不定期", "zh-Hant") == "不定期"
    assert _kind_label("考評", "zh-Hans") == "考评"


def test_an_inspection_kind_the_catalogue_does_not_know_shows_as_stored():
    assert _kind_label("專項", "en") == "專項" and _kind_label("專項", "zh-Hans") == "专项"
    assert _kind_label(None, "en") == ""


def test_audit_details_read_as_key_value_pairs_not_json():
    assert _detail({"year": 2025, "version": 2, "via": "cli"}) == "year: 2025; version: 2; via: cli"
    assert _detail({}) == ""
    assert _detail({"schools": ["S1", "S2"]}) == 'schools: ["S1", "S2"]'


def test_audit_details_are_in_the_readers_words():
    """In Chinese the keys are Chinese too (the trail showed raw English keys to Chinese readers)."""
    assert _detail({"what": "circular", "year": 2026, "draft": True, "spare": 1}, "zh-Hant") == \
        "內容: circular；年度: 2026；草稿: 是；spare: 1"
    assert _detail({"refused": False}, "en") == "refused: no"
    assert _detail({"from": "10.0.0.1", "file": "c.xlsx"}, "zh-Hant") == "來源地址: 10.0.0.1；文件: c.xlsx"


def test_a_long_admin_table_is_a_grid_that_draws_the_rows_in_view_and_keeps_text_as_text():
    """Found by an audit: 287 findings as a plain table took the browser 14 s to draw (and again at every
    switch of language); beyond PLAIN_TABLE_ROWS the table is a grid, its cells still plain text."""
    import dash_ag_grid as dag
    import dash_bootstrap_components as dbc

    from dashboard.pages._admin import PLAIN_TABLE_ROWS, text_table

    rows = [[n, "<script>alert(1)</script>", None, f"{95 - n / 10:.1f}", f"0{n:03d}"] for n in range(PLAIN_TABLE_ROWS + 1)]
    grid = text_table(["序號", "學校", "備註", "總分", "代碼"], rows, "insp-table", "zh-Hant")
    assert isinstance(grid, dag.AgGrid) and grid.id == "insp-table"
    assert len(grid.rowData) == PLAIN_TABLE_ROWS + 1
    # numbers sort as numbers ("100.0" came before "59.7" as text), shown with their decimals; a code with
    # a leading zero stays text; text stays text
    assert grid.rowData[3] == {"c0": 3.0, "c1": "<script>alert(1)</script>", "c2": "", "c3": 94.7, "c4": "0003"}
    formats = [c.get("valueFormatter", {}).get("function", "") for c in grid.columnDefs]
    assert "toFixed(0)" in formats[0] and "toFixed(1)" in formats[3] and formats[1] == formats[4] == ""
    assert [c["headerName"] for c in grid.columnDefs] == ["序號", "學校", "備註", "總分", "代碼"]
    assert not any("cellRenderer" in c or "dangerously_allow_code" in str(c) for c in grid.columnDefs)
    assert isinstance(text_table(["序號"], [[1]], "insp-table", "zh-Hant"), dbc.Table)
