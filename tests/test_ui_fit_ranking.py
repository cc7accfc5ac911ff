"""The ranking grid at a bureau office's 1366 px, in each language, and who it offers to open a school to.

Found by an audit: at 1366 px the English headers read 「R.」「Gr…」「vs la…」 with no tooltip to say what
they were, a grade 「Excel…」 (read as the Excel program) and school types 「Vocationa…」; and in a published
year a school's officer saw every other school's name as a blue link, under 「click a row to open the
school」, where a click did nothing (a school opens only its own page).
"""

from __future__ import annotations

import re

import pytest

from dashboard import queries
from dashboard.i18n import LANGUAGES, t
from sync.contract import SCHOOL_TYPES
from tests.dashboard_fixtures import as_viewer, find_element, page_text


def _least_px(text: str) -> int:
    """A deliberately plain lower bound of how wide text is drawn at 14 px: 13 px a CJK character, 6 px any
    other (Chromium's fonts draw no narrower)."""
    return sum(13 if ord(ch) >= 0x2E80 else 6 for ch in text)


def _longest_word(header: str) -> str:
    """What must fit on a line of a wrapped header: its longest word (a CJK header with no space, whole)."""
    return max(header.split(), key=_least_px)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_ranking_header_says_what_it_is_and_has_room_for_its_words(app, lang):
    from dashboard.pages import overview

    for col in overview.ranking_columns(lang):
        assert col.get("headerTooltip"), (lang, col["field"])  # 「R.」 and 「vs la…」 had none
        # room for the longest word, the header's 16 px of padding and its filter button (about 16 px)
        room = col.get("minWidth", 0)
        need = _least_px(_longest_word(col["headerName"])) + 16 + (16 if col.get("filter", True) else 0)
        assert room >= need, (lang, col["field"], col["headerName"], room, need)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_school_type_grade_and_disqualified_rank_fits_its_column(app, lang):
    from dashboard.layout import grade_label, type_label
    from dashboard.pages import overview

    columns = {col["field"]: col for col in overview.ranking_columns(lang)}
    for field, words in (("type", [type_label(x, lang) for x in SCHOOL_TYPES]),
                         ("grade", [grade_label(g, lang) for g in queries.GRADES]),
                         ("rank_sort", [t("ranking.disqualified_short", lang)])):
        widest = max(words, key=_least_px)
        # the value and the cell's padding (8 px each side in the ranking)
        assert columns[field].get("minWidth", 0) >= _least_px(widest) + 16, (lang, field, widest)
    # the headers wrap onto a second line rather than being cut
    grid_defaults = {"wrapHeaderText": True, "autoHeaderHeight": True}
    with as_viewer(app[0], app[1].users["leader"]):
        grid = find_element(overview.render_overview(lang, app[1].year), "ranking-grid")
    assert grid_defaults.items() <= grid.defaultColDef.items()


def test_a_school_in_a_published_year_sees_only_its_own_row_as_a_link_and_no_click_hint(app):
    app_module, c = app
    from dashboard.pages import overview

    with as_viewer(app_module, c.users["school"]):
        published = overview.render_overview("zh-Hant", c.year - 1)
    grid = find_element(published, "ranking-grid")
    assert len(grid.rowData) == len(c.codes)  # other schools' totals, as the circular prints them
    opens = {r["school_code"] for r in grid.rowData if r.get("opens")}
    assert opens == {c.users["school"].school_code}
    [name] = [col for col in grid.columnDefs if col["field"] == "name"]
    # the link look hangs on the row's `opens`, not on every row
    assert "link-cell" not in str(name.get("cellClass", ""))
    rule = name.get("cellClassRules", {}).get("link-cell", "")
    assert re.search(r"\bparams\.data\.opens\b", rule), name
    # nor the hand cursor on every row
    assert "opens" in str((grid.dashGridOptions or {}).get("rowClassRules", {}))
    assert t("ranking.click_hint", "zh-Hant") not in page_text(published)


def test_the_bureau_opens_every_row_and_is_told_so(app):
    app_module, c = app
    from dashboard.pages import overview

    for role in ("admin", "leader"):
        with as_viewer(app_module, c.users[role]):
            out = overview.render_overview("en", c.year)
        rows = find_element(out, "ranking-grid").rowData
        assert all(r["opens"] for r in rows), role
        assert t("ranking.click_hint", "en") in page_text(out)
