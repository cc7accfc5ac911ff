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
    assert _detail({"year": 2025, "version": 2, "via": "cli"}) == "year: 2025; version: 2; via: command line"
    assert _detail({}) == ""
    assert _detail({"schools": ["S1", "S2"]}) == 'schools: ["S1", "S2"]'


def test_audit_details_are_in_the_readers_words():
    """In Chinese the keys are Chinese too (the trail showed raw English keys to Chinese readers)."""
    assert _detail({"what": "circular", "year": 2026, "draft": True, "spare": 1}, "zh-Hant") == \
        "內容：通報；年度：2026；草稿：是；spare：1"
    assert _detail({"refused": False}, "en") == "refused: no"
    assert _detail({"from": "10.0.0.1", "file": "c.xlsx"}, "zh-Hant") == "來源地址：10.0.0.1；文件：c.xlsx"


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


PAGER_KEYS = ("page", "of", "to", "more", "pageSizeSelectorLabel", "ariaPageSizeSelectorLabel", "firstPage",
              "previousPage", "nextPage", "lastPage")


def test_a_paginated_grid_names_its_pager_in_the_readers_language():
    """Found by an audit: 「Page Size: 50 · 1 to 50 of 60 · Page 1 of 2」 under the Chinese audit, inspection
    and publication tables; the pager's words come from the catalogue like the filter menus' do."""
    from dashboard.i18n import t
    from dashboard.pages._admin import PLAIN_TABLE_ROWS, text_table

    rows = [[n, f"學校{n}"] for n in range(PLAIN_TABLE_ROWS + 1)]
    words = {}
    for lang in ("zh-Hant", "zh-Hans", "en"):
        grid = text_table(["序號", "學校"], rows, "audit-table", lang)
        assert grid.dashGridOptions["pagination"] is True
        words[lang] = grid.dashGridOptions["localeText"]
    for lang in ("zh-Hant", "zh-Hans"):
        assert all(words[lang].get(key) for key in PAGER_KEYS), (lang, words[lang])
        assert not any(word in " ".join(words[lang][k] for k in PAGER_KEYS)
                       for word in ("Page", "to", "of", "more", "First", "Last", "Next", "Previous")), words[lang]
    assert words["zh-Hant"]["pageSizeSelectorLabel"] == "每頁行數：" and words["zh-Hans"]["nextPage"] == "下一页"
    # English is AG Grid's own; the catalogue has the same words for it
    assert words["en"].get("pageSizeSelectorLabel", "Page Size:") == t("grid.pageSizeSelectorLabel", "en") == "Page Size:"
    assert all(t(f"grid.{key}", "en") != f"grid.{key}" for key in PAGER_KEYS)


def test_every_action_a_sync_records_for_a_source_is_a_word_in_each_language():
    """Found by an audit: 「來源：被拒收 1、skipped 59」; every action sync.load gives a source has a label."""
    import re

    from dashboard.i18n import catalogue, t
    from dashboard.pages.audit import sync_summary

    actions = ("loaded", "skipped", "refused", "removed", "failed")  # sync.load.SourceOutcome.action
    for action in actions:
        assert f"sync.action.{action}" in catalogue(), action
        assert len({t(f"sync.action.{action}", lang) for lang in ("zh-Hant", "en")}) == 2, action
    counts = {action: n for n, action in enumerate(sorted(actions), start=1)}
    for lang in ("zh-Hant", "zh-Hans"):
        shown = sync_summary({"counts": counts}, lang)
        assert not re.search(r"[A-Za-z]", shown), shown
    assert sync_summary({"counts": {"refused": 1, "skipped": 59}}, "zh-Hant") == "來源：被拒收 1、未變更 59"
    assert sync_summary({"counts": {"refused": 1, "skipped": 59}}, "zh-Hans") == "来源：被拒收 1、未变更 59"
    assert sync_summary({"counts": {"refused": 1, "skipped": 59}}, "en") == "sources: refused 1, unchanged 59"


def test_a_failed_sync_runs_message_is_shown_in_the_readers_language():
    """Found by an audit: a run's "中文 / English" message stayed Traditional and English in the Simplified view."""
    from datetime import datetime

    from dashboard.pages.audit import sync_run_rows

    stored = ("收件夾 /srv/inbox 不存在(共享文件夾是否已掛載?),其工作簿的記錄保留 / the inbox /srv/inbox is not there "
              "(is the share mounted?); its workbooks' records are kept")
    runs = [{"started_at": datetime(2026, 3, 1, 8, 0), "trigger": "scheduler", "status": "failed", "message": stored,
             "summary": {}},
            {"started_at": datetime(2026, 3, 1, 7, 0), "trigger": "cli", "status": "ok", "message": None, "summary": {}}]
    message = {lang: [row[3] for row in sync_run_rows(runs, lang)] for lang in ("zh-Hant", "zh-Hans", "en")}
    assert message["zh-Hant"] == [stored, ""]  # as stored, as the school page shows a source's message
    assert message["zh-Hans"][0].startswith("收件夹 /srv/inbox 不存在(共享文件夹是否已挂载?),其工作簿的记录保留")
    assert "夾" not in message["zh-Hans"][0] and "掛載" not in message["zh-Hans"][0]
    assert message["en"] == ["the inbox /srv/inbox is not there (is the share mounted?); its workbooks' records are kept",
                             ""]
    # a message in one language only is shown as it is
    english_only = [{**runs[0], "message": "this run was cut short; the next run completed its work"}]
    assert sync_run_rows(english_only, "en")[0][3] == sync_run_rows(english_only, "zh-Hant")[0][3] == \
        "this run was cut short; the next run completed its work"


def test_a_findings_source_file_is_named_as_on_disk_in_every_language():
    """Converted to Simplified, 教體局督查與名冊.xlsx named a file that does not exist (found by an audit);
    a finding entered on the page says so in the reader's words."""
    from dashboard.pages.inspections import _source_label

    from_workbook = {"editable": False, "source": "bureau/教體局督查與名冊.xlsx"}
    assert _source_label(from_workbook, "zh-Hans") == "bureau/教體局督查與名冊.xlsx"
    entered = {"editable": True, "source": "督查記錄（儀表板錄入）"}
    assert [_source_label(entered, lang) for lang in ("zh-Hant", "zh-Hans", "en")] == [
        "本頁錄入", "本页录入", "entered on this page"]


def test_the_publish_confirmation_names_a_rank_that_moved_where_the_total_did_not():
    """An audit of the circulated files: a school whose rank alone changed read 「64.9 → 64.9」, as if
    nothing had; a disqualified school still says so, and a school that did not move says no rank."""
    from types import SimpleNamespace

    from dashboard.pages.publish import change_line

    def row(rank_before, rank_after, qualified_after=True, total_after=64.9):
        return SimpleNamespace(school_code="3105", name="城關小學", total_before=64.9, total_after=total_after,
                               rank_before=rank_before, rank_after=rank_after, qualified_before=True,
                               qualified_after=qualified_after)

    assert change_line(row(7, 9), "zh-Hant") == "3105 城關小學: 64.9 → 64.9 (排名 7 → 9)"
    assert change_line(row(7, 9), "en") == "3105 城關小學: 64.9 → 64.9 (Rank 7 → 9)"
    assert change_line(row(7, None, False), "zh-Hant") == "3105 城關小學: 64.9 → 64.9 (排名 7 → 取消資格)"
    assert change_line(row(7, 7, total_after=65.3), "zh-Hant") == "3105 城關小學: 64.9 → 65.3"


def test_the_outstanding_schools_are_named_up_to_a_limit_then_counted():
    """The publish confirmation and `safeschool publish` name a group's first schools and say there are more."""
    from operator import itemgetter

    from dashboard.audit import outstanding_note

    listed = [{"school_code": f"S{i}", "name": f"第{i}小學", "status": "not submitted", "rejected_rows": 0}
              for i in range(1, 8)] + [{"school_code": "S9", "name": "九中", "status": "loaded", "rejected_rows": 0}]
    said = outstanding_note(listed, "zh-Hant", itemgetter("school_code"), 3)
    assert "7 所學校未提交工作簿（S1、S2、S3等）" in said and "S4" not in said and "S9" not in said
    assert "7 school(s) that sent no workbook (S1, S2, S3 and others)" in outstanding_note(
        listed, "en", itemgetter("school_code"), 3)
    assert outstanding_note(listed[-1:], "en", itemgetter("school_code"), 3) is None


def test_every_word_the_grids_filters_and_overlays_look_up_is_in_the_catalogue():
    """Found by the language audit: a filter that left no row said "No Matching Rows" under the Chinese
    ranking, and the filter's screen-reader labels read "Filter Value", "Filtering operator".  The keys are
    the ones the bundled AG Grid itself looks up (with its English beside them), so an upgrade that adds
    one fails here."""
    import re
    from pathlib import Path

    import dash_ag_grid

    from dashboard.layout import grid_locale

    bundle = (Path(dash_ag_grid.__file__).parent / "dash_ag_grid.min.js").read_text(encoding="utf-8")
    looked_up = set(re.findall(r'\("(noMatchingRows|noRowsToShow|aria\w*Filter\w*)","[^"]*"\)', bundle))
    assert {"noMatchingRows", "ariaFilterValue", "ariaFilteringOperator"} <= looked_up  # the pattern still finds them
    for lang in ("zh-Hant", "zh-Hans"):
        words = grid_locale(lang)
        assert sorted(looked_up - set(words)) == [], lang
        assert not any(re.search("[A-Za-z]{3}", words[key].replace("Ctrl+Enter", "")) for key in looked_up), lang
    assert grid_locale("zh-Hant")["noMatchingRows"] == "沒有符合篩選條件的行"
    assert grid_locale("zh-Hans")["noMatchingRows"] == "没有符合筛选条件的行"


def test_a_refusal_in_english_reads_as_a_sentence_on_the_page():
    """Found by the language audit: the inspection form said "choose a school" in English beside "Fill in
    the user name"; the command line's lower case after its "error:" is capitalised for a page."""
    from dashboard.layout import user_error_text
    from sync.errors import UserError

    refusal = UserError("choose a school", zh="請選擇學校")
    assert user_error_text(refusal, "en") == "Choose a school"
    assert user_error_text(refusal, "zh-Hans") == "请选择学校"
    assert user_error_text(UserError("'1001' is not registered"), "en") == "'1001' is not registered"


def test_a_name_shown_in_simplified_is_its_characters_not_a_word_they_spell():
    """A review: on a Simplified page the guard 沈靜 read 沉静 (OpenCC's phrase for "to sink"), not 沈静."""
    from dashboard.i18n import to_language

    assert to_language("沈靜 東區校區", "zh-Hans") == "沈静 东区校区"
    assert to_language("沈靜", "zh-Hant") == "沈靜"
