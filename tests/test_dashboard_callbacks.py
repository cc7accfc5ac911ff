"""Page callbacks called as Dash calls them: inside a request with a signed-in viewer, and over HTTP."""

from __future__ import annotations

import re

import pytest
from dash import no_update

from dashboard import queries
from sync.store import make_engine
from tests.dashboard_fixtures import (
    PASSWORD,
    a_day_with_month_ends_behind_it,
    as_viewer,
    dashboard_on_own_store,
    find_element,
    page_text,
)


@pytest.fixture
def own_county(tmp_path, monkeypatch):
    """A county of four schools in a store of the test's own, for a test that changes it: (app, county, engine)."""
    with dashboard_on_own_store(tmp_path, monkeypatch) as own:
        yield own




def test_overview_for_the_bureau_has_every_school_and_the_county_todos(app):
    app_module, c = app
    from dashboard.pages import overview

    with as_viewer(app_module, c.users["admin"]):
        out = overview.render_overview("zh-Hant", c.year)
    grid = find_element(out, "ranking-grid")
    assert len(grid.rowData) == 8
    assert grid.rowData[-1]["school_code"] == c.disqualified
    assert grid.rowData[-1]["rank_text"] == "取消資格"
    assert find_element(out, "county-todos") is not None
    # the ages and days the to-dos count by, as the rubric and the queries set them
    todos = page_text(find_element(out, "county-todos"))
    assert "已超過55周歲的在崗保安" in todos and "90天內年滿56周歲的保安" in todos and "14天內到期的隱患" in todos
    assert "上週未記錄安全教育課的學校" in todos
    assert "草稿" in page_text(out) and find_element(out, "county-figures-note") is None
    locale = grid.dashGridOptions["localeText"]  # the grid's own filter words, in the reader's language
    assert (locale["contains"], locale["filterOoo"], locale["andCondition"]) == ("包含", "篩選…", "並且")


def test_a_school_is_asked_to_record_last_weeks_class_when_none_is_on_record():
    """The school's to-do for the week just over names that week and its dates, and what to do."""
    from dashboard.pages import school
    from dashboard.queries import TODO_COLUMNS

    counts = dict.fromkeys(TODO_COLUMNS, 0) | {"class_missed": 1}
    todo = {"running_year": True, "counts": counts, "guards": [], "guard_age_limit": 55, "guard_training_days": 3.0,
            "labels": {"week": "2026-W49", "last_week": "2026-W48", "drill_period": "2026-11", "semester": "2026-autumn"}}
    text = page_text(school.todo_list(todo, "zh-Hant"))
    assert "上週" in text and "11月23日" in text and "請補記" in text and "本週" not in text
    assert "record it" in page_text(school.todo_list(todo, "en"))


def test_overview_for_a_school_in_a_draft_year_shows_only_its_row_and_no_county_todos(app):
    app_module, c = app
    from dashboard.pages import overview

    with as_viewer(app_module, c.users["school"]):
        out = overview.render_overview("en", c.year)
        published = overview.render_overview("en", c.year - 1)
    assert [r["school_code"] for r in find_element(out, "ranking-grid").rowData] == [c.codes[0]]
    assert find_element(out, "county-todos") is None
    assert "Overview" in page_text(out) and "Draft" in page_text(out)
    assert "not your school's" in page_text(find_element(out, "county-figures-note"))  # the cards are the county's
    assert len(find_element(published, "ranking-grid").rowData) == 8
    assert "Published" in page_text(published)


def test_the_rankings_area_points_round_halves_up_as_the_circular_does(app):
    """An audit: B 9.25 showed 9.2 on the ranking (round half to even) and 9.3 in the circular.  The
    deduction is shown as entered, to two decimals, as the circular prints it."""
    import pandas as pd

    from dashboard import queries
    from dashboard.pages import overview

    frame = pd.DataFrame([{
        "school_code": "S1", "position": 1, "qualified": True, "rank": 1, "name": "第一中學", "submitted": True,
        "refused": False, "type": "高中", "township": "城關鎮", "campus_count": 1, "people": 900,
        **dict.fromkeys(queries.AREAS, 10.0), "B": 9.25, "E": 0.25, "deduction": 0.25, "total": 80.5,
        "grade": "良好", "change": float("nan")}])
    [row] = overview.ranking_rows(frame, "zh-Hant")
    assert (row["B"], row["E"], row["deduction"]) == (9.3, 0.3, 0.25)


def test_ranking_filter_builds_the_grid_filter_model(app):
    app_module, c = app
    from dashboard.pages import overview

    with as_viewer(app_module, c.users["leader"]):
        model = overview.filter_ranking("小學", None, "優秀")
        none = overview.filter_ranking(None, None, None)
    assert model == {"type": {"filterType": "text", "type": "equals", "filter": "小學"},
                     "grade": {"filterType": "text", "type": "equals", "filter": "優秀"}}
    assert none == {}


def test_ranking_click_opens_a_school_only_when_the_viewer_may_see_it(app):
    app_module, c = app
    from dashboard.pages import overview

    with as_viewer(app_module, c.users["school"]):
        assert overview.open_school_from_ranking({"rowId": c.codes[1]}) is no_update
        assert overview.open_school_from_ranking({"rowId": c.codes[0]}) == f"/school/{c.codes[0]}"
    with as_viewer(app_module, c.users["admin"]):
        assert overview.open_school_from_ranking({"rowId": c.codes[1]}) == f"/school/{c.codes[1]}"


def test_school_page_shows_the_school_and_refuses_another(app):
    app_module, c = app
    from dashboard.pages import school

    with as_viewer(app_module, c.users["school"]):
        own = school.render_school_page("zh-Hant", c.year, c.codes[0])
        other = school.render_school_page("zh-Hant", c.year, c.codes[1])
    assert find_element(own, "school-total") is not None
    assert find_element(own, "indicator-table") is not None
    # the same rows as cards for a phone, hint for hint
    table, cards = find_element(own, "indicator-table"), find_element(own, "indicator-cards")
    assert len(cards.children) == len(table.rowData) >= 30
    assert [row["hint"] for row in table.rowData if row["hint"]] == [
        item["props"]["children"][2]["props"]["children"] for item in cards.children
        if len(item["props"]["children"]) == 4]
    assert "還需 1 名" in page_text(own)  # guards: 4 required, 3 on duty
    assert "逾期未整改" in page_text(own)  # the hazard ledger
    # each of the three charts (areas, the year so far, the drill calendar) says its data in words beside it,
    # for a screen reader (found by the accessibility audit)
    assert page_text(own).count("圖表數據：") == 3
    assert "日期無法識別" in page_text(own)  # a refused row
    refused = find_element(own, "refused-table")
    assert refused.rowData[0]["level"] == "該行" and refused.columnDefs[0]["field"] == "level"  # row, file or note
    assert len(refused.rowData) == 2  # the line passed over as paperwork is no problem: listed below, folded
    folded = find_element(own, "school-paperwork")
    assert "另有 1 行" in page_text(folded) and "校長：王五" in page_text(folded) and "行 12 · 簽名：" in page_text(folded)
    assert find_element(other, "school-total") is None
    assert "只能查看本校" in page_text(other)
    assert find_element(other, "school-content-title") is not None  # a heading above the refusal
    # and the way back to its own page (a UX review: a dead end)
    assert find_element(other, "own-school-link").href == f"/school/{c.users['school'].school_code}"
    assert c.names[c.codes[1]] not in page_text(other)


def test_school_page_in_simplified_chinese_converts_data_text(app):
    app_module, c = app
    from dashboard.pages import school

    with as_viewer(app_module, c.users["admin"]):
        out = school.render_school_page("zh-Hans", c.year, c.codes[0])
    text = page_text(out)
    assert "隐患整改台账" in text and "城关" in text
    assert "隱患整改台賬" not in text


def test_heatmap_callback_draws_one_row_per_school_and_a_click_opens_it(app):
    app_module, c = app
    from dashboard.pages import heatmaps

    with as_viewer(app_module, c.users["admin"]):
        fig, pages, summary, _hint, _text = heatmaps.render_heatmap("en", c.year, "classes", "township", [], "group", 1)
        filtered, *_ = heatmaps.render_heatmap("zh-Hant", c.year, "classes", "township", ["城關鎮"], "group", 1)
        opened = heatmaps.open_school_from_heatmap({"points": [{"customdata": c.codes[2]}]})
    trace = fig["data"][0]
    # the row of all schools chosen first ("are classes held every week?"), then one row per school
    assert len(trace["y"]) == 1 + 8 and pages == 1 and trace["y"][0] == "All schools chosen"
    assert "8 of 8" in summary
    assert {row[0] for row in trace["customdata"][1:]} == set(c.codes) and set(trace["customdata"][0]) == {""}
    shares = [[v for v in column if v is not None] for column in zip(*trace["z"][1:], strict=True)]
    assert all((mean is None and not col) or abs(mean - sum(col) / len(col)) < 1e-9
               for mean, col in zip(trace["z"][0], shares, strict=True))  # the mean of the schools' shares
    assert filtered["data"][0]["y"][0] == "所選學校合計"
    assert all(label.startswith("城關鎮") for label in filtered["data"][0]["y"][1:])
    assert opened == f"/school/{c.codes[2]}"
    with as_viewer(app_module, c.users["admin"]):
        assert heatmaps.open_school_from_heatmap({"points": [{"customdata": ""}]}) is no_update


def test_heatmap_for_a_school_has_only_its_own_row(app):
    app_module, c = app
    from dashboard.pages import heatmaps

    with as_viewer(app_module, c.users["school"]):
        fig, *_ = heatmaps.render_heatmap("zh-Hant", c.year, "gate_duty", "type", None, "worst", 1)
        assert heatmaps.open_school_from_heatmap({"points": [{"customdata": c.codes[1]}]}) is no_update
    assert len(fig["data"][0]["y"]) == 1


def _pressed(group: str, groups: list[str]) -> None:
    """As Dash tells a callback that the button of `group` in the heatmap's table was pressed (Enter or a
    click), a browser naming the group as it is: Dash finds no value for that id (it looks it up written
    with \\u escapes), the count is in the buttons' inputs."""
    import json

    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    prop = json.dumps({"group": group, "type": "hm-open-group"}, ensure_ascii=False, separators=(",", ":"))
    buttons = [{"id": AttributeDict(group=g, type="hm-open-group"), "property": "n_clicks", "value": int(g == group)}
               for g in groups]
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{prop}.n_clicks", "value": None}],
                                    inputs_list=[buttons, {"id": "hm-figure", "property": "clickData", "value": None}]))


def test_the_heatmap_by_group_agrees_with_each_groups_schools_period_by_period(app):
    """The bureau's summary and the school-by-school view of the group it opens show one county: each group's
    share of a month is its schools' cells held among those due, its count of schools that held every month
    due is the schools' own counts, and the school view's top row is the group's row."""
    app_module, c = app
    from dashboard.pages import heatmaps
    from tests.dashboard_fixtures import page_text

    with as_viewer(app_module, c.users["leader"]):
        summary_fig, pages, line, _hint, text = heatmaps.render_heatmap(
            "zh-Hant", c.year, "drills", "township", [], "group", 1, "groups")
        trace = summary_fig["data"][0]
        groups = [row[0].removeprefix("group:") for row in trace["customdata"][1:]]
        # a click on a group's row shows its schools and opens no school
        assert heatmaps.open_school_from_heatmap({"points": [{"customdata": trace["customdata"][1][0]}]}) is no_update
        assert trace["y"][0] == "所選學校合計（7所學校）" and pages == 1  # 8 schools less the kindergarten
        assert len(groups) == 4 and "4 個分組，共 7 所學校" in line
        said = page_text(text)
        for i, group in enumerate(groups, start=1):
            _pressed(group, groups)
            view, chosen, page, opened = heatmaps.open_group([int(g == group) for g in groups], None)
            assert (view, chosen, page, opened) == ("schools", [group], 1, "keys")
            school_fig, _, _, _, school_text = heatmaps.render_heatmap(
                "zh-Hant", c.year, "drills", "township", chosen, "group", page, view)
            school_trace = school_fig["data"][0]
            z = school_trace["z"][1:]  # the schools, under the row of every school chosen
            assert trace["y"][i] == f"{group}（{len(z)}所學校）"
            assert school_trace["z"][0] == trace["z"][i]
            for j in range(len(trace["x"])):
                due = [row[j] for row in z if row[j] is not None]
                held = sum(value == 1.0 for value in due)  # a drill month is held (1) or not (0)
                assert trace["z"][i][j] == (pytest.approx(held / len(due)) if due else None), (group, j)
            counts = [(int(n), int(of)) for of, n in re.findall(r"(\d+) 期中 (\d+) 期", page_text(school_text))]
            assert len(counts) == len(z)
            on_track = sum(n == of > 0 for n, of in counts)
            assert f"{group}（{len(z)}所學校）" in said
            assert re.search(rf"{group}（{len(z)}所學校）.{{0,200}}{sum(of > 0 for _, of in counts)} 所中 {on_track} 所",
                             said), group


def test_the_heatmaps_counts_in_english_say_one_school_and_one_period(app):
    """The table under the figure: "0 of 1 school" (a township of one school), never "0 of 1 schools"."""
    app_module, c = app
    from dashboard.pages import heatmaps
    from tests.dashboard_fixtures import page_text

    with as_viewer(app_module, c.users["leader"]):
        groups = page_text(heatmaps.render_heatmap("en", c.year, "drills", "township", [], "group", 1, "groups")[4])
        schools = page_text(heatmaps.render_heatmap("en", c.year, "staff_training", "township", [], "group", 1,
                                                    "schools")[4])
    assert re.search(r"\d of 1 school\b", groups) and not re.search(r"of 1 schools", groups)
    assert re.search(r"\d of 2 schools", groups)
    assert not re.search(r"of 1 periods", schools) and re.search(r"\d of \d periods?\b", schools)


def test_the_bureau_opens_on_its_groups_and_a_school_on_its_own_school(app):
    app_module, c = app
    from dashboard.pages import heatmaps

    opened, hidden = {}, {}
    for role in ("leader", "school"):
        with as_viewer(app_module, c.users[role]):
            page = heatmaps.layout()
        opened[role] = find_element(page, "hm-view").value
        # the grouping, filter and order sort many schools: a school's one row has nothing to sort (a UX review)
        hidden[role] = {control for control in ("hm-group-by", "hm-groups", "hm-order")
                        if _column_of(page, control).style == {"display": "none"}}
    assert opened == {"leader": "groups", "school": "schools"}
    assert hidden == {"leader": set(), "school": {"hm-group-by", "hm-groups", "hm-order"}}


def _column_of(tree, element_id: str):
    """The layout column holding the component `element_id`."""
    for column in _columns(tree):
        if find_element(column, element_id) is not None:
            return column
    raise AssertionError(element_id)


def _columns(tree):
    import dash_bootstrap_components as dbc

    if isinstance(tree, dbc.Col):
        yield tree
        return
    children = getattr(tree, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "children") or isinstance(child, dbc.Col):
            yield from _columns(child)


def test_a_school_reads_an_empty_list_of_movers_as_about_itself(app):
    """In a draft year a school's officer sees its own row only: an empty list means its school is not on
    it, not that no school in the county fell."""
    app_module, c = app
    from dashboard.i18n import t
    from dashboard.pages import trends

    with as_viewer(app_module, c.users["school"]):
        out, _title = trends.render_trends("zh-Hant", c.year, "township")
    text = page_text(out)
    assert t("trends.no_fallers", "zh-Hant") not in text and t("trends.no_risers", "zh-Hant") not in text
    assert any(t(key, "zh-Hant") in text for key in ("trends.not_listed", "trends.no_movers", "trends.movers_running"))
    # and why there are none: a school sees others' rises only where this year and last are both published
    assert "本年度和上年度都已發布" in text



def test_a_school_is_told_that_small_groups_are_not_shown_and_every_type_keeps_its_colour(app):
    """A UX review: a school's trends left out its county's two-school types without a word, and coloured the
    types it did show by their place among them.  The note is the school's alone; the colours follow
    queries.county_groups (the contract's order of types), as the bureau's do."""
    app_module, c = app
    from dashboard import figures
    from dashboard.pages import trends
    from sync import contract

    with as_viewer(app_module, c.users["school"]):
        school_view, _title = trends.render_trends("zh-Hant", c.year, "type")
        order = queries.county_groups(c.users["school"], c.year, "type")
    with as_viewer(app_module, c.users["leader"]):
        bureau_view, _title = trends.render_trends("zh-Hant", c.year, "type")
    assert "少於3所學校的類別或鄉鎮不單獨顯示" in page_text(find_element(school_view, "trends-small-groups"))
    assert find_element(bureau_view, "trends-small-groups") is None
    assert list(order) == [g for g in contract.SCHOOL_TYPES if g in set(c.types.values())]

    # each line's colour is its type's place in that order, whichever lines are drawn (the school's view in
    # this county draws none: the bureau's pins the wiring; a diff review found the comparison empty)
    drawn = {trace["name"]: trace["line"]["color"] for trace in find_element(bureau_view, "trend-monthly").figure["data"][1:]}
    assert len(drawn) >= 2 and drawn == {name: figures.GROUP_PALETTE[list(order).index(name)] for name in drawn}


def test_trends_render_every_figure(tmp_path, monkeypatch):
    """On a day with month ends of the running year behind it (in January there is none, as in the
    product: the shared county's monthly figure was empty every January)."""
    from dashboard.pages import trends

    with dashboard_on_own_store(tmp_path, monkeypatch, n=8, today=a_day_with_month_ends_behind_it()) as own:
        app_module, c, _engine = own
        with as_viewer(app_module, c.users["leader"]):
            out, title = trends.render_trends("en", c.year, "township")
    assert title == f"Trends {c.year}"
    for element_id in ("trend-monthly", "trend-yoy", "trend-annual", "trend-spread", "trend-histogram"):
        assert find_element(out, element_id) is not None, element_id
    # a running year is compared with last year once it is over (a turn-of-the-year audit), and says so
    from dashboard.i18n import t

    assert page_text(out).count(t("trends.movers_running", "en")) == 2
    monthly = find_element(out, "trend-monthly").figure
    assert monthly["data"][0]["name"] == "County"
    assert len(monthly["data"]) == 1 + 4  # the county and four townships
    # last year is published, this year a draft: its bars say so beside the final year's
    years = [trace["name"] for trace in find_element(out, "trend-annual").figure["data"]]
    assert f"{c.year} (draft)" in years and str(c.year - 1) in years
    # each chart's data in words beside it, for a screen reader: the county's line, point by point
    assert page_text(out).count("Chart data: ") == 5
    assert "Chart data: County: " in page_text(out)


def test_language_switch_translates_static_labels(app):
    app_module, _ = app
    from dashboard import layout

    ids = [{"type": "t", "key": "nav.overview", "n": 1}, {"type": "t", "key": "nav.heatmaps", "n": 2}]
    assert layout.translate_labels("en", ids) == ["Overview", "Heatmaps"]
    assert layout.translate_labels("zh-Hans", ids) == ["总览", "热力图"]
    assert layout.translate_labels("nonsense", ids) == ["總覽", "熱力圖"]


def _dash_post(client, output: str, outputs: dict, inputs: list[dict]):
    body = {"output": output, "outputs": outputs, "inputs": inputs, "changedPropIds": [], "state": []}
    return client.post("/_dash-update-component", json=body)


def test_http_callbacks_need_a_session_and_never_leak_another_school(app):
    app_module, c = app
    client = app_module.server.test_client()
    inputs = [{"id": "lang-store", "property": "data", "value": "zh-Hant"},
              {"id": "year", "property": "value", "value": c.year},
              {"id": "school-code", "property": "data", "value": c.codes[1]}]
    outputs = {"id": "school-content", "property": "children"}
    assert _dash_post(client, "school-content.children", outputs, inputs).status_code == 401
    login = client.post("/login", data={"username": "school1", "password": PASSWORD})
    assert login.status_code == 302
    response = _dash_post(client, "school-content.children", outputs, inputs)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert c.names[c.codes[1]] not in text
    assert "school-total" not in text
    inputs[2]["value"] = c.codes[0]
    own = _dash_post(client, "school-content.children", outputs, inputs).get_data(as_text=True)
    assert "school-total" in own


def test_rendered_pages_are_shared_within_a_scope_and_never_across_scopes(app):
    app_module, c = app
    from dashboard.pages import overview, school

    rendered = {}
    for role in ("admin", "leader", "school"):
        with as_viewer(app_module, c.users[role]):
            rendered[role] = (overview.render_overview("zh-Hant", c.year),
                              school.render_school_page("zh-Hant", c.year, c.codes[0]))
    assert rendered["admin"][0] is rendered["leader"][0]  # the bureau's overview is built once
    assert rendered["admin"][1] is rendered["leader"][1]
    assert rendered["school"][0] is not rendered["admin"][0]
    assert len(find_element(rendered["school"][0], "ranking-grid").rowData) == 1


@pytest.mark.parametrize("lang, label", [("zh-Hant", "（未提交）"), ("zh-Hans", "（未提交）"), ("en", " (not submitted)")])
def test_not_submitted_shows_in_the_ranking_headline_and_school_page(app, lang, label):
    app_module, c = app
    from dashboard.i18n import t
    from dashboard.pages import overview, school

    with as_viewer(app_module, c.users["admin"]):
        out = overview.render_overview(lang, c.year)
        page = school.render_school_page(lang, c.year, c.not_submitted)
        other = school.render_school_page(lang, c.year, c.codes[0])
    rows = {r["school_code"]: r for r in find_element(out, "ranking-grid").rowData}
    assert rows[c.not_submitted]["not_submitted"] == label
    assert [code for code, r in rows.items() if r["not_submitted"]] == [c.not_submitted]
    assert find_element(out, "stat-overview.not_submitted").children == "1"
    assert find_element(page, "school-not-submitted") is not None
    assert t("submitted.not", lang) in page_text(find_element(page, "school-name").children)
    assert find_element(other, "school-not-submitted") is None


@pytest.mark.parametrize("lang, veto, grade", [("zh-Hant", "弄虛作假", "等次為不合格"), ("zh-Hans", "弄虚作假", "等次为不合格"),
                                               ("en", "falsified records", "its grade is Fail,")])
def test_a_disqualified_school_reads_why_and_the_finding_behind_it(app, lang, veto, grade):
    """rules.md: a school sees why.  The veto names its reason, and the inspection finding it rests on is
    listed with this year's other findings on the school.  Its grade in the page's language (the English
    said 「its grade is 不合格 (fail)」: found by the language audit)."""
    app_module, c = app
    from dashboard.pages import school

    with as_viewer(app_module, c.users["admin"]):
        page = school.render_school_page(lang, c.year, c.disqualified)
        qualified = school.render_school_page(lang, c.year, c.codes[0])
    assert veto in page_text(find_element(page, "school-veto")) and grade in page_text(find_element(page, "school-veto"))
    assert "演練簽到表代簽" in page_text(find_element(page, "inspection-table")) or "演练签到表代签" in page_text(
        find_element(page, "inspection-table"))
    assert find_element(qualified, "school-veto") is None


def test_a_school_sees_the_findings_behind_its_deduction_and_no_other_schools(app):
    app_module, c = app
    from dashboard.pages import school

    with as_viewer(app_module, c.users["school"]):
        page = page_text(school.render_school_page("zh-Hant", c.year, c.codes[0]))
    assert "消防通道堵塞" in page and "−1.5" in page
    assert "去年的發現" not in page and "演練簽到表代簽" not in page


def test_a_refused_workbook_is_not_called_no_workbook_received(own_county):
    """A school whose only workbook was refused as a whole reads that it arrived and was refused, not that
    nothing was received."""
    from sqlalchemy import update

    from dashboard.i18n import t
    from dashboard.pages import school
    from sync import store

    app_module, c, engine = own_county
    with engine.begin() as conn:
        conn.execute(update(store.sources).where(store.sources.c.school_code == c.not_submitted).values(
            status="refused", message="缺少工作表「應急演練」"))
    with as_viewer(app_module, c.users["admin"]):
        page = school.render_school_page("en", c.year, c.not_submitted)
    notice = page_text(find_element(page, "school-not-submitted"))
    assert t("school.refused_not_loaded", "en") in notice and "no workbook received" not in notice
    assert t("submitted.refused", "en") in page_text(find_element(page, "school-name").children)


def test_a_school_whose_new_workbook_was_refused_reads_so_at_the_top_above_its_earlier_score(own_county):
    """An upload audit: a school with records loaded before, whose new workbook was refused as a whole, saw its
    old score with nothing said at the top; the refusal was in the last card of the page.  A school whose
    workbook loaded reads no such notice."""
    from sqlalchemy import update

    from dashboard.i18n import t
    from dashboard.pages import school
    from sync import store

    app_module, c, engine = own_county
    with engine.begin() as conn:
        conn.execute(update(store.sources).where(store.sources.c.school_code == c.codes[0]).values(
            status="refused", message="身份證號碼"))
    with as_viewer(app_module, c.users["admin"]):
        page = school.render_school_page("en", c.year, c.codes[0])
        assert find_element(school.render_school_page("en", c.year, c.codes[1]), "school-refused-kept") is None
    notice = find_element(page, "school-refused-kept")
    assert t("school.refused_kept", "en") in page_text(notice) and "#data-state" in str(notice)
    assert find_element(page, "school-not-submitted") is None


def test_a_kindergarten_opens_the_heatmap_of_quarterly_drills(app):
    """4.4.1: kindergartens drill by quarter; their officer's heatmap opens on that measure, not on the
    schools' monthly one where their row is absent."""
    app_module, c = app
    from dashboard.pages import heatmaps
    from tests.dashboard_fixtures import add_user

    kindergarten = next(code for code in c.codes if c.types[code] == "幼兒園")
    primary = next(code for code in c.codes if c.types[code] != "幼兒園")
    engine = make_engine(queries.get_engine().url.render_as_string(hide_password=False))
    users = {code: add_user(engine, f"hm-{code}", "school", code) for code in (kindergarten, primary)}
    engine.dispose()
    opened = {}
    for code, viewer in users.items():
        with as_viewer(app_module, viewer):
            opened[code] = find_element(heatmaps.layout(), "hm-measure").value
    assert opened == {kindergarten: "drills_kindergarten", primary: "drills"}


def test_the_publish_preview_marks_the_schools_the_veto_takes_out(app):
    """The admin about to freeze the year sees 取消資格 where a disqualified school's rank would be."""
    app_module, c = app
    from dashboard.pages import publish

    with as_viewer(app_module, c.users["admin"]):
        out = publish.render_state(c.year, "zh-Hant", None)
    row = next(line for line in page_text(find_element(out, "pub-diff")).split("]") if c.disqualified in line)
    assert "取消資格" in row
    # The draft year was never published: no "4 of 4 changed" and no empty columns of what was before.
    assert "首次發布" in page_text(find_element(out, "pub-changed")) and "原總分" not in page_text(find_element(out, "pub-diff"))
    with as_viewer(app_module, c.users["admin"]):
        again = publish.render_state(c.year - 1, "zh-Hant", None)  # published last year: the changes since
    assert "首次發布" not in page_text(find_element(again, "pub-changed"))


def test_the_publish_page_opens_on_the_year_picked_in_the_navbar(app):
    """In December the office picks last year in the navbar and opens 發布: the page showed the running year,
    its own picker ignoring the navbar.  A year without a draft, or a school account, changes nothing."""
    from dash import no_update

    app_module, c = app
    from dashboard.pages import publish

    with as_viewer(app_module, c.users["admin"]):
        years = find_element(publish.layout(), "pub-year").options
        assert c.year - 1 in years
        assert publish.follow_the_navbar_year(c.year - 1, years) == c.year - 1
        assert publish.follow_the_navbar_year(1999, years) is no_update
    with as_viewer(app_module, c.users["school"]):
        assert publish.follow_the_navbar_year(c.year - 1, years) is no_update


def test_a_published_school_page_says_when_newer_data_changed_the_draft(own_county):
    """rules.md: a published evaluation is frozen.  The page shows it, and says that data received since
    makes the draft another score (an upload after publication did not seem to count at all)."""
    from datetime import datetime

    from sqlalchemy import insert, select

    from dashboard.pages import school
    from sync import store

    app_module, c, engine = own_county
    with engine.begin() as conn:
        frozen = conn.execute(select(store.scores).where(
            store.scores.c.year == c.year - 1, store.scores.c.school_code == c.codes[0],
            store.scores.c.kind == "annual")).mappings().one()
        draft = {k: v for k, v in frozen.items() if k != "id"} | {"publication_id": None, "total": 12.3,
                                                                  "computed_at": datetime.now()}
        conn.execute(insert(store.scores), [draft])
    with as_viewer(app_module, c.users["school"]):
        changed = school.render_school_page("zh-Hant", c.year - 1, c.codes[0])
        current = school.render_school_page("zh-Hant", c.year, c.codes[0])
    assert "12.3" in page_text(find_element(changed, "school-newer-draft"))
    assert find_element(changed, "school-total").children != "12.3"  # the frozen total stays what the page shows
    assert find_element(current, "school-newer-draft") is None  # a draft year has nothing frozen


def test_warm_up_builds_what_a_school_page_reads_so_the_first_visitor_loads_nothing(app):
    app_module, c = app
    from dashboard import warm
    from dashboard.pages import school

    queries.clear_caches()
    version = warm.warm_once()
    assert version == queries.data_version()
    # every cached load of the queries: the first visitor after a sync waited 5 ms for one not listed here
    # (the sheets a mapped query gives, 13 queries)
    # (but those kept per viewer's scope: a bureau viewer's, which this is, cost no query)
    per_scope = {queries.privacy._county_withheld_days}
    loads = [fn for fn in queries.base.cached_loads() if fn not in per_scope]
    assert len(loads) > 20, loads
    misses = {fn: fn.cache_info().misses for fn in loads}
    with as_viewer(app_module, c.users["admin"]):
        page = school.render_school_page("zh-Hant", c.year, c.codes[5])
    assert find_element(page, "school-total") is not None
    assert {fn.__name__: fn.cache_info().misses - n for fn, n in misses.items()} == {fn.__name__: 0 for fn in loads}
    assert warm.start_in_gunicorn_worker() is None  # not under gunicorn: no thread in tests or the CLI


def test_a_workers_warm_up_freezes_its_loads_and_frees_the_last_versions_at_the_next(app):
    """Frozen, the loads are not walked by every full collection until the next sync; unfrozen first at the
    next warm-up, whatever of them was dropped meanwhile (a reference cycle) is freed then, not leaked."""
    import gc
    import weakref

    from dashboard import warm

    class Load:
        pass

    load = Load()
    load.itself = load  # a cycle: only the collector frees it
    dropped = weakref.ref(load)
    try:
        warm.warm_and_freeze()
        assert gc.get_freeze_count() > 0
        del load
        gc.collect()
        assert dropped() is not None  # frozen: the collector leaves it until the next warm-up
        warm.warm_and_freeze()
        assert dropped() is None
    finally:
        gc.unfreeze()


def _shown_text(tree) -> list[str]:
    """What a reader sees: element text, grid headers and cells, figure trace names, axis labels and cell text."""
    if hasattr(tree, "to_plotly_json"):
        tree = tree.to_plotly_json()
    out: list[str] = []
    if isinstance(tree, dict) and "props" in tree:
        props = tree["props"]
        for key in ("children", "placeholder", "label", "headerName"):
            value = props.get(key)
            if isinstance(value, str):
                out.append(value)
        for row in props.get("rowData") or []:
            out += [v for v in row.values() if isinstance(v, str)]
        out += [c["headerName"] for c in props.get("columnDefs") or [] if c.get("headerName")]
        figure = props.get("figure")
        if figure:
            out += _figure_text(figure)
        children = props.get("children")
        for child in children if isinstance(children, list) else [children]:
            if isinstance(child, dict) or hasattr(child, "to_plotly_json"):
                out += _shown_text(child)
    return out


def _figure_text(figure: dict) -> list[str]:
    out = []
    for trace in figure.get("data", []):
        out += [str(trace.get("name") or "")]
        for axis in ("x", "y"):
            out += [v for v in trace.get(axis) or [] if isinstance(v, str)]
    return out


RAW_KEY = r"^[a-z_]+\.[A-Za-z_0-9.]+$"
ENGLISH_WORD = r"[A-Za-z]{3,}"


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-Hans"])
def test_chinese_pages_show_no_catalogue_keys_and_no_english_words(app, lang):
    import re

    app_module, c = app
    from dashboard.pages import heatmaps, overview, school, trends, upload

    with as_viewer(app_module, c.users["admin"]):
        pages = {
            "overview": overview.render_overview(lang, c.year),
            "school": school.render_school_page(lang, c.year, c.codes[0]),
            "school, not submitted": school.render_school_page(lang, c.year, c.not_submitted),
            "trends": trends.render_trends(lang, c.year, "type")[0],
            "heatmap": {"props": {"children": [
                {"props": {"figure": heatmaps.render_heatmap(lang, c.year, m, "type", None, "group", 1)[0]}}
                for m in queries.MEASURES]}},
            # the bureau's groups, and both views' rows in words under the figure
            "heatmap by group": {"props": {"children": [
                {"props": {"figure": heatmaps.render_heatmap(lang, c.year, m, "township", None, "group", 1, view)[0],
                           "children": heatmaps.render_heatmap(lang, c.year, m, "township", None, "group", 1, view)[4]}}
                for m in queries.MEASURES for view in ("groups", "schools")]}},
            # the too-big template as assets/34-upload-size.js shows it, its size put in
            "upload label": {"props": {"children": [{"props": {"children": said.replace("{size}", "50.0")}}
                                                    for said in upload.drop_label(lang)]}},
        }
    for name, tree in pages.items():
        shown = _shown_text(tree)
        assert shown, name
        raw = [s for s in shown if re.match(RAW_KEY, s)]
        english = [s for s in shown if re.search(ENGLISH_WORD, s.replace("xlsx", "").replace("xls", "")
                                                 .replace("ods", "").replace("MB", ""))]
        assert not raw, (name, raw)
        assert not english, (name, english[:10])
    heatmap_text = _shown_text(pages["heatmap"])
    assert any(("學期" if lang == "zh-Hant" else "学期") in s for s in heatmap_text)  # semesters were checked


def test_semesters_read_as_words_in_every_language():
    from dashboard.layout import period_label

    assert period_label("2026-autumn", "zh-Hant") == "2026年秋季學期"
    assert period_label("2026-spring", "zh-Hans") == "2026年春季学期"
    assert period_label("2026-spring", "en") == "spring 2026"
    assert period_label("2026-03", "zh-Hant") == "2026-03"


def test_an_unknown_address_gets_a_page_in_the_catalogue_not_dashs_english():
    import dash

    from dashboard.app import app  # noqa: F401  (registers the pages)

    entry = next(p for p in dash.page_registry.values() if p["module"].endswith("not_found_404"))
    text = page_text(entry["layout"]())
    assert "找不到這個頁面" in text and "Page not found" not in text


def test_admin_placeholders_labels_and_grades_follow_the_language(app):
    from dashboard.pages import audit, exports, inspections, publish, upload, users

    assert publish.force_label("en")[0] == t_en("pub.force") and publish.force_label("zh-Hant")[0] != t_en("pub.force")
    roles, choose, password, school = users.form_labels("en")
    assert password == t_en("users.new_password")  # the reset box asks for a new password, not a first one
    assert [r["label"] for r in roles] == [t_en(f"role.{r}") for r in users.ROLES] and choose == t_en("users.choose")
    assert school == t_en("choose.school") == exports.school_placeholder("en") != exports.school_placeholder("zh-Hans")
    options, placeholder = audit.action_choices("en")
    assert placeholder == t_en("audit.all") and options[0]["label"] == t_en(f"action.{options[0]['value']}")
    *labels, kinds, school, indicator, deduction = inspections.form_labels("en")
    assert labels == [t_en("insp.pick"), t_en("insp.falsification"), t_en("insp.major_incident")]
    assert (school, indicator, deduction) == (t_en("choose.school"), t_en("choose.indicator"), "points taken off, e.g. 0.5")
    assert inspections.form_labels("zh-Hans")[-2] == "不指定（无考评得分时）"
    assert inspections.form_labels("zh-Hans")[-1] == "扣去的分数，如 0.5"
    assert kinds == [{"label": t_en(f"insp.kind.{k}"), "value": k} for k in ("定期", "不定期", "考評")]
    assert [k["label"] for k in inspections.form_labels("zh-Hans")[3]] == ["定期", "不定期", "考评"]
    assert "MB" in upload.drop_label("en")[0] and "拖放" not in "".join(upload.drop_label("en"))
    assert publish._grade("優秀", "en") == t_en("grade.優秀") != "優秀"


def t_en(key: str) -> str:
    from dashboard.i18n import t

    return t(key, "en")


def test_sync_history_reads_as_words_in_each_language(app):
    from dashboard.pages import audit

    summary = {"counts": {"loaded": 59, "refused": 1}, "rows_added": 15734, "rows_removed": 0, "rows_rejected": 3}
    assert audit.sync_summary(summary, "zh-Hant") == "來源：已導入 59、被拒收 1；新增 15734 行，刪除 0 行，拒收 3 行"
    english = audit.sync_summary(summary, "en")
    assert "15734 rows added" in english and "{" not in english
    assert audit._known("sync.status.refused", "refused", "zh-Hant") == "部分拒收"
    assert audit._known("sync.status.someday", "someday", "zh-Hant") == "someday"


def test_an_upload_of_many_problems_shows_the_first_ones_and_says_how_many(own_county):
    """15,000 bad rows gave a table of 30,000 lines (10 MB to the browser, drawn again at every switch
    of language): the page shows the first SHOWN_PROBLEMS, file problems first, and the count."""
    from dashboard.pages import upload
    from sync.report import FileReport
    from sync.validate import Problem

    app_module, c, _engine = own_county
    report = FileReport("mine.xlsx")
    report.problems = [Problem("row", "應急演練", n, "演練日期", "2026-13-45", "日期不存在", "no such day")
                       for n in range(2, 2 + upload.SHOWN_PROBLEMS + 50)]
    report.add_file_problem("缺少工作表「經費」", "the sheet 經費 is missing")
    outcome = upload._outcome(report, annotated=True, year=c.year)
    assert len(outcome["problems"]) == upload.SHOWN_PROBLEMS and outcome["total"] == upload.SHOWN_PROBLEMS + 51
    assert outcome["problems"][0]["level"] == "file"
    with as_viewer(app_module, c.users["school"]):
        en = upload.show_outcome(outcome, "en")
        hans = upload.show_outcome(outcome, "zh-Hans")
    assert f"first {upload.SHOWN_PROBLEMS} of 251 problems" in page_text(find_element(en, "upload-more-problems"))
    table = page_text(find_element(hans, "upload-problems"))
    assert "应急演练" in table and "演练日期" in table and "應急演練" not in table  # the sheet as the reader reads


def test_an_upload_lists_the_lines_passed_over_as_paperwork_folded(own_county, tmp_path):
    """A line-classification audit found records the reader took for paperwork (a hazard numbered 說明2)
    and dropped unseen: the signature, totals and note lines passed over are listed under the report,
    folded, so the school sees that none of them was a record.  The sync's own notes stay in the table."""
    from dashboard.pages import upload
    from sync.report import check_file
    from tests.sync_helpers import school_book, write_xlsx

    app_module, c, _engine = own_county
    book = school_book()
    book["隱患整改"] += [["校長：王五"], ["合計", None, "共1項"]]
    book["安全經費"].append(["備註：金額單位為元"])
    report = check_file(write_xlsx(tmp_path / "mine.xlsx", book), registry={"1001"}, today=c.today)
    outcome = upload._outcome(report, annotated=False, year=c.year)
    with as_viewer(app_module, c.users["school"]):
        hant, en = upload.show_outcome(outcome, "zh-Hant"), upload.show_outcome(outcome, "en")
    folded = find_element(hant, "upload-paperwork")
    assert folded is not None and "另有 3 行" in page_text(folded)
    assert "備註：備註" not in page_text(folded) and "備註：金額單位為元" in page_text(folded)  # said once (a UX audit)
    assert "行 3 · 簽名：" in page_text(folded) and "校長：王五" in page_text(folded) and "合計 共1項" in page_text(folded)
    assert "3 more line(s) were passed over as paperwork" in page_text(find_element(en, "upload-paperwork"))


def test_an_unreadable_upload_says_so_without_no_problems_found(own_county):
    from dashboard.pages import upload

    app_module, c, _engine = own_county
    outcome = {"status": ("upload.unreadable", {}, "danger"), "problems": [], "annotated": False, "year": c.year}
    with as_viewer(app_module, c.users["school"]):
        out = upload.show_outcome(outcome, "en")
    assert find_element(out, "upload-problems") is None and t_en("upload.no_problems") not in page_text(out)
    assert t_en("upload.unreadable") in page_text(out)


def test_an_empty_upload_is_said_to_be_empty(own_county):
    """An upload audit: an empty file read "could not be read; choose the file again"."""
    from dashboard.pages import upload

    app_module, c, _engine = own_county
    with as_viewer(app_module, c.users["school"]):
        empty = upload.receive_workbook("data:application/octet-stream;base64,", "mine.xlsx", c.year)
        broken = upload.receive_workbook("data:application/octet-stream;base64,@@@", "mine.xlsx", c.year)
        shown = page_text(upload.show_outcome(empty, "en"))
    assert (empty["status"][0], broken["status"][0]) == ("upload.empty", "upload.unreadable")
    assert t_en("upload.empty") in shown and find_element(upload.show_outcome(empty, "en"), "upload-problems") is None


def test_totals_read_to_one_decimal_as_rules_md_publishes_them(own_county):
    """Found by an audit: 100 and 99 beside 99.8 (the school page and the ranking dropped a .0)."""
    from sqlalchemy import update

    from dashboard import queries
    from dashboard.pages import overview, school
    from sync.store import scores

    app_module, c, engine = own_county
    with engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.school_code == c.codes[0]).values(total=100.0))
    queries.clear_caches()
    with as_viewer(app_module, c.users["school"]):
        page = school.render_school_page("zh-Hant", c.year, c.codes[0])
    assert find_element(page, "school-total").children == "100.0"
    formats = {col["field"]: col.get("valueFormatter", {}).get("function", "") for col in overview.ranking_columns("zh-Hant")}
    assert "toFixed(1)" in formats["total"] and "toFixed(1)" in formats["A"]


def test_a_file_refused_from_the_start_says_nothing_was_loaded_from_it(app):
    """Found by an audit: a school whose only workbook was refused read 「導入於 –，0 行」, as if loaded."""
    from datetime import datetime

    from dashboard.pages import school

    state = {"last_run": {"finished_at": datetime(2026, 11, 29, 9, 0)}, "refused_total": 1, "refused": [],
             "sources": [{"status": "refused", "loaded_at": None, "rows": 0, "display_name": "1001.xlsx",
                          "source_key": "file:1001.xlsx", "message": "缺少工作表"}]}
    text = page_text(school.data_state_view(state, "zh-Hant"))
    assert "尚未導入任何記錄" in text and "導入於 –" not in text
    assert "nothing loaded from it yet" in page_text(school.data_state_view(state, "en"))


def test_the_sheets_from_the_shared_database_are_named_in_the_readers_language(app):
    from datetime import datetime

    from dashboard.pages import school

    state = {"last_run": {"finished_at": datetime(2026, 11, 29, 9, 0)}, "refused_total": 0, "refused": [],
             "sources": [], "from_database": [{"sheet_key": "guards", "source": "county-sis"}]}
    assert "保安人員（county-sis）" in page_text(school.data_state_view(state, "zh-Hant"))
    assert "保安人员（county-sis）" in page_text(school.data_state_view(state, "zh-Hans"))
    assert "Security guards（county-sis）" in page_text(school.data_state_view(state, "en"))


def test_a_schools_page_names_the_three_things_that_would_raise_its_total_most_now(app):
    """The gains are what each indicator's hint promises for the next step (a missed month already
    closed cannot be won back), largest first."""
    app_module, c = app
    from dashboard import queries
    from dashboard.pages import school

    with as_viewer(app_module, c.users["school"]):
        page = school.render_school_page("zh-Hant", c.year, c.codes[0])
        indicators = queries.school_result(c.users["school"], c.codes[0], c.year)["indicators"]
    promised = sorted(((v["gain"], k) for k, v in indicators.items() if v.get("gain")), reverse=True)
    text = page_text(find_element(page, "school-gains"))
    assert promised and f"{promised[0][1]} " in text and f"+{promised[0][0]:g} 分" in text
    assert text.count(" 分") == min(3, len(promised))


def test_a_year_published_before_scoring_gave_the_gain_still_shows_the_biggest_gains():
    """A publication is frozen: one made before "gain" was in the results keeps it only at the end of its
    hint, and the card reads it there (found by a regression audit: such years showed no gains at all)."""
    from dashboard.pages import school

    frozen = {"D1": {"title": "演練", "points": 6, "max": 8, "hint": "補一次演練：+2.0", "hint_en": "hold a drill: +2.0"},
              "C2": {"title": "安全教育", "points": 5, "max": 6, "hint": "補課：+0.5", "hint_en": "teach a class: +0.5"}}
    card = page_text(school.biggest_gains(school.indicator_rows(frozen, "en"), frozen, "en"))
    assert card.index("D1") < card.index("C2") and "2" in card and "0.5" in card


def test_the_bureau_overview_names_the_lowest_ranked_schools_with_links(app):
    """Found by an audit: the ranking opens best first, and a leader could not find the worst in 30 s."""
    app_module, c = app
    from dashboard import queries
    from dashboard.pages import overview

    with as_viewer(app_module, c.users["leader"]):
        out = overview.render_overview("zh-Hant", c.year)
        frame = queries.ranking(c.users["leader"], c.year)
    ranked = frame[frame["qualified"].astype(bool)].sort_values(["total", "name"])
    lowest = find_element(out, "lowest-schools")
    links = re.findall(r'"href": "(/school/[^"]+)"', page_text(lowest))
    assert links == [f"/school/{code}" for code in ranked["school_code"].head(overview.LOWEST_SHOWN)]
    assert c.disqualified not in " ".join(links)
    # the disqualified, listed last in the grid, are named above them (found by an audit)
    vetoed = page_text(find_element(out, "disqualified-schools"))
    assert re.findall(r'"href": "(/school/[^"]+)"', vetoed) == [f"/school/{c.disqualified}"] and "取消資格" in vetoed
    with as_viewer(app_module, c.users["school"]):
        assert find_element(overview.render_overview("zh-Hant", c.year), "lowest-schools") is None


def test_the_submissions_list_is_the_bureaus_alone(app):
    """The office's list of every school's workbook: a leader reads it too (issue 6), a school never."""
    app_module, c = app
    from dashboard.pages import audit

    with as_viewer(app_module, c.users["school"]):
        refused = page_text(audit.render_submissions("zh-Hant"))
    for role in ("admin", "leader"):
        with as_viewer(app_module, c.users[role]):
            assert "audit-submissions-table" in page_text(audit.render_submissions("en"))
    assert "教體局" in refused and c.codes[0] not in refused


def test_an_upload_while_the_schools_last_one_loads_says_wait_not_refused(own_county):
    """Found by an audit: it showed the red "refused" and deleted the marked-up copy of the last upload."""
    from dashboard.pages import upload
    from sync.report import FileReport

    app_module, c, _engine = own_county
    report = FileReport("mine.xlsx")
    report.add_file_problem("本校的另一次上傳正在導入", "another upload of your school is being loaded")
    report.busy = True
    outcome = upload._outcome(report, annotated=False, year=c.year)
    assert outcome["status"][0] == "upload.wait"
    with as_viewer(app_module, c.users["school"]):
        text = page_text(upload.show_outcome(outcome, "en"))
    assert t_en("upload.wait") in text and t_en("upload.refused") not in text and t_en("upload.no_problems") not in text


def test_an_upload_kept_while_another_sync_runs_says_the_next_sync_loads_it(own_county):
    """Found by an audit: "the sync is busy; try again" for a workbook that was kept and is loaded by the
    next sync: the school uploaded again, or thought it lost."""
    from types import SimpleNamespace

    from dashboard.pages import upload
    from sync.report import FileReport

    app_module, c, _engine = own_county
    report = FileReport("mine.xlsx")
    report.run = SimpleNamespace(status="busy")
    outcome = upload._outcome(report, annotated=False, year=c.year)
    assert outcome["status"][0] == "upload.busy"
    with as_viewer(app_module, c.users["school"]):
        text = page_text(upload.show_outcome(outcome, "en"))
    assert "received and kept" in text and "next sync loads it" in text and "try again" not in text


def test_the_ranking_says_what_its_columns_a_to_g_are(app):
    app_module, c = app
    from dashboard.pages import overview

    with as_viewer(app_module, c.users["leader"]):
        out = overview.render_overview("zh-Hant", c.year)
    key = page_text(find_element(out, "area-key"))
    assert "A 責任體系" in key and "G 經費保障" in key


@pytest.mark.parametrize(("lang", "heading"), [("zh-Hant", "校區 · 人數"), ("zh-Hans", "校区 · 人数"),
                                             ("en", "Campuses · people")])
def test_the_ranking_lists_each_schools_campuses_and_people(app, lang, heading):
    app_module, c = app
    from dashboard.pages import overview

    with as_viewer(app_module, c.users["leader"]):
        out = overview.render_overview(lang, c.year)
    grid = find_element(out, "ranking-grid")
    headers = [col["headerName"] for col in grid.columnDefs]
    assert headers[6] == heading  # after total and grade (beside the name), type and township
    row = next(r for r in grid.rowData if r["school_code"] == c.codes[0])
    assert (row["campus_count"], row["people"]) == (1, 900)  # the fixture's one campus of 900


def test_the_ranking_shows_the_deduction_that_makes_a_to_g_differ_from_the_total(own_county):
    """Found by an audit: fourteen schools' A to G did not add up to their total (89.4 against 85.4) and a
    leader could not see why; the circular has 督查扣分, the ranking had nothing."""
    from sqlalchemy import update

    from sync.store import scores

    _app, c, engine = own_county
    from dashboard.pages.overview import ranking_columns, ranking_rows

    code = c.codes[0]
    with engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.school_code == code, scores.c.year == c.year,
                                          scores.c.kind == "annual").values(deduction=4.0))
    queries.clear_caches()
    rows = {r["school_code"]: r for r in ranking_rows(queries.ranking(c.users["leader"], c.year), "zh-Hant")}
    assert rows[code]["deduction"] == 4.0 and rows[c.codes[1]]["deduction"] == 0.0
    [column] = [col for col in ranking_columns("en") if col["field"] == "deduction"]
    assert column["headerName"] == "Ded." and "less the deduction" in column["headerTooltip"]


def test_a_school_whose_workbook_was_refused_is_not_labelled_as_one_that_sent_nothing(own_county):
    """Found by two audits: a school whose only workbook was refused read （未提交） in the ranking, as if it
    had sent nothing; the bureau chases the wrong thing.  In a draft year it reads （工作簿被拒收）."""
    from sqlalchemy import update

    from dashboard.pages.overview import ranking_rows
    from sync.store import sources

    _app, c, engine = own_county
    frame = queries.ranking(c.users["leader"], c.year)
    [silent] = list(frame.loc[~frame["submitted"].astype(bool), "school_code"])

    def label(lang: str) -> str:
        queries.clear_caches()
        rows = ranking_rows(queries.ranking(c.users["leader"], c.year), lang)
        return next(r["not_submitted"] for r in rows if r["school_code"] == silent)

    assert label("zh-Hant") == "（未提交）"
    with engine.begin() as conn:  # its one workbook, refused whole
        conn.execute(update(sources).where(sources.c.school_code == silent).values(status="refused"))
    assert label("zh-Hant") == "（工作簿被拒收）" and label("en") == " (workbook refused)"
    assert label("zh-Hans") == "（工作簿被拒收）"


def test_the_phone_menu_button_is_named_in_the_chosen_language():
    """dbc.NavbarToggler said "Toggle navigation" whatever the language (the tenth session's UI audit)."""
    from dashboard import layout

    assert [layout.mark_language(lang)[-1] for lang in ("zh-Hant", "zh-Hans", "en")] == ["選單", "菜单", "Menu"]


def _marked_as_chinese(component) -> list[str]:
    """The texts of the spans marked lang="zh-Hant" in a component tree, in order."""
    import json

    found = []

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if node.get("type") == "Span" and props.get("lang") == "zh-Hant":
                found.append(props.get("children"))
            walk(props.get("children"))
    walk(json.loads(page_text(component)))
    return found


def test_chinese_data_is_marked_as_chinese_on_an_english_page_only(app):
    """A screen reader reads a school's name or township on an English page with a Chinese voice (it read
    them with an English one: found by the accessibility audit); a name in Latin letters, or any data on a
    Chinese page, is in the page's language already and carries no mark.  Among English words (a detail
    naming a campus, a chart's text, a heatmap's row) only the Chinese is marked: the words stay English."""
    import pandas as pd

    from dashboard.layout import chart_text, data_lang, data_runs, data_text
    from dashboard.pages import heatmaps, school, trends, upload
    from dashboard.pages._admin import PLAIN_TABLE_ROWS, text_table

    assert data_lang("城關鎮", "en") == {"lang": "zh-Hant"} and data_text("城關鎮", "en").lang == "zh-Hant"
    assert data_lang("=1+2 小學", "en") == {"lang": "zh-Hant"}
    assert data_lang("St. Mary's School", "en") == {} and data_text("St. Mary's School", "en") == "St. Mary's School"
    assert data_lang("城关镇", "zh-Hans") == {} and data_lang("城關鎮", "zh-Hant") == {} and data_lang("", "en") == {}
    said = data_runs("1 of 2 campuses have enough guards; 南校區（北） needs 1 more", "en")
    assert said[0] == "1 of 2 campuses have enough guards; " and said[-1] == " needs 1 more"
    assert _marked_as_chinese(said) == ["南校區（北）"] and data_runs("南校區 needs 1", "zh-Hant") == "南校區 needs 1"

    # the school page's tables: guards' campuses, hazards, inspection findings, the indicator grid
    campuses = [{"campus": "南校區", "needs": 0, "people": 300, "boarders": 0, "guards_required": 1, "guards_active": 1},
                {"campus": "North", "needs": 0, "people": 30, "boarders": 0, "guards_required": 1, "guards_active": 1}]
    hazards = [{"id": 1, "status": "open", "deadline": "2026-12-01", "description": "圍牆破損", "found_date": "2026-11-01",
                "owner": "王明", "closed_date": None}]
    finding = {"date": "2026-10-10", "kind": "定期", "finding": "滅火器過期", "deduction": 0.25,
               "falsification": False, "major_incident": False, "indicator": None, "assessed_points": None}
    assert _marked_as_chinese(school.guards_table(campuses, "en")) == ["南校區"]
    assert _marked_as_chinese(school.hazard_table(hazards, "en")) == ["圍牆破損", "王明"]
    assert _marked_as_chinese(school.inspection_table([finding], "en")) == ["滅火器過期"]
    for table in (school.guards_table(campuses, "zh-Hant"), school.hazard_table(hazards, "zh-Hans"),
                  school.inspection_table([finding], "zh-Hant")):
        assert _marked_as_chinese(table) == []
    renderers = {c["field"]: c.get("cellRendererParams") for c in school.indicator_table([], "en").columnDefs}
    assert renderers["detail"] == renderers["hint"] == renderers["title"] == {"lang": "zh-Hant", "runs": True}
    assert renderers["points"] is None
    assert all("cellRenderer" not in c for c in school.indicator_table([], "zh-Hant").columnDefs)

    # the admin pages' tables: the columns of names and findings, plain or (long) as a grid
    rows = [["1410200001", "城關小學", "2026"]]
    assert _marked_as_chinese(text_table(["code", "school", "year"], rows * 2, "t", "en", chinese=(1,))) == ["城關小學"] * 2
    assert _marked_as_chinese(text_table(["code", "school", "year"], rows, "t", "zh-Hant", chinese=(1,))) == []
    grid = text_table(["code", "school", "year"], rows * (PLAIN_TABLE_ROWS + 1), "t", "en", chinese=(1,))
    assert [c.get("cellRenderer") for c in grid.columnDefs] == [None, "DataInChinese", None]
    problem = {"level": "row", "sheet": "保安", "sheet_key": None, "row": 3, "column": "姓名", "column_key": None,
               "value": "張三", "reason_en": "张三 is not on the roster", "reason_zh": "不在名冊"}
    assert _marked_as_chinese(upload.problems_table([problem], "en")) == ["張三", "张三"]

    # the heatmaps' table of counts and a chart's words in text name townships and schools
    figure = {"data": [{"type": "bar", "name": "城關鎮", "x": ["2026-03"], "y": [1]}]}
    counts = heatmaps._text_table(figure, ({"label": "城關鎮 (9 schools)", "covered": 7, "of": 9, "unit": "schools",
                                             "group": "城關鎮"},), True, "en")
    assert _marked_as_chinese(counts) == ["城關鎮", "城關鎮"]  # the row's name, then the chart's words
    assert _marked_as_chinese(chart_text(figure, "zh-Hant")) == []
    movers = pd.DataFrame([{"school_code": "1", "name": "城關小學", "type": "小學", "township": "城關鎮", "total": 90.0,
                            "change": 1.0}])
    assert _marked_as_chinese(trends.movers_table(movers, "en", "m")) == ["城關小學", "城關鎮"]


def test_the_phone_menu_button_says_whether_the_menu_is_open():
    """aria-expanded follows the menu (the second audit: the button said nothing of it)."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    from dashboard import layout

    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "nav-toggler.n_clicks", "value": 1}]))
    assert layout.toggle_navbar(1, "/", "zh-Hant", False) == (True, "true")
    assert layout.toggle_navbar(2, "/", "zh-Hant", True) == (False, "false")


def test_the_phone_menu_folds_once_a_language_is_chosen():
    """繁 / 简 / EN sit in the phone's folded menu: a choice left it open over the page (a UX walk), as a page
    chosen there once did."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    from dashboard import layout

    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "lang-store.data", "value": "en"}]))
    assert layout.toggle_navbar(1, "/", "en", True) == (False, "false")


def test_the_overviews_drill_share_is_green_only_once_every_school_has_drilled(app):
    """The share of schools that drilled this month was always green: 22 % on the 1st read as good news to a
    leader at a glance (a UX walk).  Green when every school has; the plain figure otherwise."""
    from dashboard.pages import overview

    head = {"schools": 9, "mean": 86.4, "disqualified": 0, "not_submitted": 0, "overdue_hazards": 0,
            "grades": {"優秀": 9}, "drill_month": "2026-12"}
    colour = {share: find_element(overview.headline_cards({**head, "drill_share": share}, "zh-Hant"),
                                  "stat-overview.drill_share").className for share in (0.222, 1.0)}
    assert "text-primary" in colour[0.222] and "text-success" not in colour[0.222]
    assert "text-success" in colour[1.0]


def test_the_overviews_drill_share_never_reads_100_percent_while_a_school_has_not_drilled(app):
    """Held-out county audit: 199 of 200 schools with this month's drill is 99.5%, which the card printed
    as 100% (format's rounding); the leader reads it as every school.  Halves up as the totals, below 100."""
    from dashboard.pages import overview

    head = {"schools": 200, "mean": 86.4, "disqualified": 0, "not_submitted": 0, "overdue_hazards": 0,
            "grades": {"優秀": 200}, "drill_month": "2020-03"}
    shown = {}
    for share in (199 / 200, 0.625, 1.0):
        cards = overview.headline_cards({**head, "drill_share": round(share, 3)}, "zh-Hant")
        shown[share] = find_element(cards, "stat-overview.drill_share").children
    assert shown == {199 / 200: "99%", 0.625: "63%", 1.0: "100%"}


def test_a_deduction_in_hundredths_reads_on_the_school_page_as_in_the_ranking_and_the_circular(app):
    """An audit of the circulated files: a 0.25 deduction was 0.3 in the ranking and the circular but −0.2 on
    the school's own page (Python's format, halves to even); now it is 0.25 everywhere, as entered."""
    from dashboard.pages import school

    result = {"rank": 3, "ranked_schools": 10, "qualified": True, "grade": "優秀", "total": 94.8, "deduction": 0.25,
              "submitted": True, "veto": None, "name": "第一中學", "type": "初中", "township": "城關鎮",
              "as_of": "2026-12-31"}
    assert "−0.25" in page_text(school.header(result, {"published": True}, "zh-Hant"))
    finding = {"date": "2026-10-10", "kind": "定期", "finding": "滅火器過期", "deduction": 0.25,
               "falsification": False, "major_incident": False, "indicator": None, "assessed_points": None}
    assert "−0.25" in page_text(school.inspection_table([finding], "zh-Hant"))
    # a whole deduction reads as in the header above it (the findings said −1 under 督查扣分 −1.0; an audit)
    assert "−1.0" in page_text(school.inspection_table([{**finding, "deduction": 1.0}], "zh-Hant"))


def test_an_assessment_a_later_one_replaced_is_said_not_to_count():
    """rules.md: "When one school has several, the latest finding of the year wins."  The findings read
    「D1 考評得分 2」 and 「D1 考評得分 5」 alike, with only the 5 counting (an inspections audit)."""
    from dashboard.pages import school

    def finding(day, indicator, points):
        return {"date": day, "kind": "考評", "finding": None, "deduction": None, "falsification": False,
                "major_incident": False, "indicator": indicator, "assessed_points": points}

    findings = [finding("2026-06-01", "D1", 2), finding("2026-07-01", "C1", 1), finding("2026-09-01", "D1", 5)]
    rows = page_text(school.inspection_table(findings, "zh-Hant")).split("2026-")
    assert "已被本年較後的考評取代" in rows[1] and "D1 考評得分 2" in rows[1]
    assert "取代" not in rows[2] and "取代" not in rows[3] and "D1 考評得分 5" in rows[3]


def test_a_published_years_page_says_a_veto_found_since_publication_beside_the_frozen_result(app):
    """5.4: the published result is frozen.  A falsification found since left the total as it was: the page
    showed 82.1, 良好, 4th with the new finding's red 弄虛作假 under it and nothing said, and 督查扣分 1.0
    above findings adding up to 3.0 (an audit).  The notice gives the draft's grade and veto; the
    findings say they are the records as they stand now."""
    from dashboard.pages import school

    published = {"rank": 4, "ranked_schools": 10, "qualified": True, "grade": "良好", "total": 82.1, "deduction": 1.0,
                 "submitted": True, "veto": None, "name": "第一中學", "type": "初中", "township": "城關鎮",
                 "as_of": "2025-12-31"}
    draft = {"total": 82.1, "grade": "不合格", "qualified": False, "deduction": 3.0}
    findings = [{"date": "2025-12-15", "kind": "不定期", "finding": "演練簽到表代簽", "deduction": 2.0,
                 "falsification": True, "major_incident": False, "indicator": None, "assessed_points": None}]
    said = page_text(school.header(published, {"published": True}, "zh-Hant", newer_draft=draft))
    assert "發布後收到的數據使本校的草稿變為82.1分、不合格（取消資格），不改變已發布的結果" in said, said
    said_en = page_text(school.header(published, {"published": True}, "en", newer_draft=draft))
    assert "makes the school's draft 82.1 points, Fail (disqualified); the published" in said_en, said_en
    listed = page_text(school.inspection_table(findings, "zh-Hant", published["deduction"]))
    assert "含發布後錄入的" in listed and "督查扣分 1.0" in listed, listed
    assert "含發布後錄入的" not in page_text(school.inspection_table(findings, "zh-Hant"))
    # the finding deleted since: the frozen 督查扣分 above "none" is explained too (a diff review)
    emptied = page_text(school.inspection_table([], "zh-Hant", 3.0))
    assert "督查扣分 3.0" in emptied and "本年度沒有針對本校的督查記錄" in emptied


def test_a_school_graded_by_a_band_of_the_bureaus_own_rubric_can_be_filtered_for(own_county):
    """rules.md: grades are configurable.  The ranking's grade filter offered the county's four bands only,
    so the schools a bureau's rubric graded 待改進 could not be picked out; it follows the four, best first."""
    from sqlalchemy import update

    from dashboard.pages import overview
    from sync import store

    app_module, c, engine = own_county
    with engine.begin() as conn:
        conn.execute(update(store.scores).where(store.scores.c.school_code == c.codes[1], store.scores.c.year == c.year,
                                                store.scores.c.kind == "annual").values(grade="待改進"))
    queries.clear_caches()
    with as_viewer(app_module, c.users["admin"]):
        out = overview.render_overview("zh-Hant", c.year)
    offered = [o["value"] for o in find_element(out, "filter-grade").options]
    assert offered[-1] == "待改進" and len(offered) == len(set(offered))
    assert offered[:-1] == [g for g in queries.GRADES if g in offered]


def test_the_county_mean_rounds_halves_up_as_the_totals_do(own_county):
    """rules.md publishes totals to one decimal, halves up (86.25 -> 86.3); the overview's mean of 77.0,
    77.1, 77.0 and 77.1 read 77.0 (Python's round of the float 77.04999...), where the figures said 77.1."""
    from sqlalchemy import update

    from sync import store

    _app_module, c, engine = own_county
    with engine.begin() as conn:
        for i, code in enumerate(c.codes):
            conn.execute(update(store.scores).where(store.scores.c.school_code == code, store.scores.c.year == c.year)
                         .values(total=77.0 + 0.1 * (i % 2), qualified=True))
    queries.clear_caches()
    assert len(c.codes) == 4
    assert queries.headline(c.users["admin"], c.year, today=c.today)["mean"] == 77.1


def test_an_area_the_bureaus_rubric_renames_is_shown_by_that_name_as_the_circular_prints_it(app, bureau_rubric):
    """The area bars and the ranking's area names under a rubric that renames area G (a rubric audit: the
    dashboard kept 經費保障 beside a circular headed 經費投入); an area it leaves alone keeps the short label."""
    from dashboard.layout import area_label
    from dashboard.pages import school as school_page

    app_module, c = app
    assert area_label("G", "en") == "Funding" and area_label("F", "en") == "Hazards"
    bureau_rubric(('name = "經費保障"', 'name = "經費投入"'), ('name_en = "Funding"', 'name_en = "Funds spent"'))
    labels = {lang: area_label("G", lang) for lang in ("zh-Hant", "zh-Hans", "en")}
    with as_viewer(app_module, c.users["admin"]):
        page = school_page.render_school(c.users["admin"], c.codes[0], c.year, "en")
    assert labels == {"zh-Hant": "經費投入", "zh-Hans": "经费投入", "en": "Funds spent"}
    bars = find_element(page, "area-bars").figure["data"][0]["y"]
    assert "G Funds spent" in bars and "F Hazards" in bars


def test_the_overview_says_early_in_the_year_that_totals_are_low_by_the_rules(tmp_path, monkeypatch):
    """A turn-of-the-year audit: on 5 January the overview read 優秀0 良好0 合格5 不合格25 with nothing said;
    rules.md scores what has no record of the year yet at 0.  The note goes once the year's third month begins."""
    from datetime import date

    from dashboard.i18n import t
    from dashboard.pages import overview
    from sync.settings import county_today

    year = county_today().year
    for day, said in ((date(year, 1, 20), True), (date(year, 3, 1), False)):
        with dashboard_on_own_store(tmp_path / day.isoformat(), monkeypatch, n=4, today=day) as own:
            app_module, c, _engine = own
            with as_viewer(app_module, c.users["leader"]):
                out = overview.render_overview("en", c.year)
        note = find_element(out, "early-year-note")
        assert (note is not None) is said, day
        if said:
            assert t("overview.early_year", "en", date=day) in page_text(out)


def test_a_grade_badge_takes_its_colour_from_its_place_among_the_rubrics_bands(bureau_rubric):
    """rules.md: grades are configurable.  The school page coloured 優秀 ... 不合格 by name, so a bureau that
    renamed its bands (甲 乙 丙 丁) saw every badge grey; the badge follows the band's place, as the
    overview's colours do."""
    from dashboard.pages import school

    default = [school._grade_colour(g) for g in ("優秀", "良好", "合格", "不合格", "待定")]
    assert default == ["success", "info", "warning", "danger", "secondary"]
    bureau_rubric(*((f'name = "{old}"', f'name = "{new}"') for old, new in zip(
        ("優秀", "良好", "合格", "不合格"), ("甲等", "乙等", "丙等", "丁等"), strict=True)))
    renamed = [school._grade_colour(g) for g in ("甲等", "乙等", "丙等", "丁等", "優秀")]
    assert renamed == ["success", "info", "warning", "danger", "secondary"]


def test_the_change_on_last_year_is_hidden_while_no_school_has_one():
    """A running year is not compared with last year: the 較上年 column read "–" on every row, taking the room
    the school names need on a narrow screen (a UX review).  It shows once a school has a change."""
    from dashboard.pages import overview

    def change_column(rows):
        return next(c for c in overview.ranking_columns("zh-Hant", rows) if c["field"] == "change")

    running = [{"type": "小學", "township": "城關鎮", "change": None}, {"type": "初中", "township": "東鄉", "change": None}]
    assert change_column(running)["hide"] is True
    assert change_column([*running[:1], {**running[1], "change": -2.5}])["hide"] is False


def test_the_spread_of_totals_says_how_to_read_it_and_why_a_school_sees_none_in_a_draft_year(app):
    """A UX review: the box plot did not say its solid line is the median and its dashed one the mean, and a
    school's empty charts of totals said it sees "other schools' rankings" only once published."""
    app_module, c = app
    from dashboard.pages import trends

    with as_viewer(app_module, c.users["leader"]):
        bureau, _title = trends.render_trends("zh-Hant", c.year, "type")
    with as_viewer(app_module, c.users["school"]):
        school, _title = trends.render_trends("zh-Hant", c.year, "type")
    assert "實線為中位數，虛線為平均數" in page_text(find_element(bureau, "trends-spread-key"))
    said = find_element(school, "trend-spread").figure["layout"]["annotations"][0]["text"]  # the empty chart's words
    assert said == "學校賬號在年度發布後才能看到全縣得分的分佈。"


def test_the_monthly_drills_map_says_the_kindergartens_are_in_their_own(app):
    """A UX review: the bureau's drill map said "44 schools" of a county of 60, with nothing saying the
    kindergartens drill by quarter and have a map of their own.  Said under the drills only, to the bureau."""
    app_module, c = app
    from dashboard.pages import heatmaps

    with as_viewer(app_module, c.users["leader"]):
        drills = heatmaps.render_heatmap("zh-Hant", c.year, "drills", "township", [], "group", 1)[3]
        classes = heatmaps.render_heatmap("zh-Hant", c.year, "classes", "township", [], "group", 1)[3]
    with as_viewer(app_module, c.users["school"]):
        own = heatmaps.render_heatmap("zh-Hant", c.year, "drills", "township", [], "group", 1)[3]
    apart = "幼兒園按季度演練，不在此表中"
    assert apart in page_text(drills) and apart not in page_text(classes) and apart not in page_text(own)


def test_a_county_to_do_count_opens_the_heatmap_where_those_schools_are(app):
    """A UX review: "47 schools have not held this period's drill" and no way to see which.  A count of schools
    owing a drill, a class or a guard's training opens the heatmap of that measure; an empty count, and the
    hazards and guards' ages (no county map of their own), open nothing."""
    app_module, c = app
    from dashboard.pages import heatmaps, overview

    todo = {"running_year": True, "guard_age_limit": 55, "drill_due": 47, "class_due": 0, "class_missed": 3,
            "guards_untrained": 5, "hazards_overdue": 2, "hazards_due_soon": 0, "guards_reaching_age_limit": 1,
            "guards_over_age_limit": 0}
    items = find_element(overview.county_todo_card(todo, "zh-Hant"), "county-todos").children
    assert [getattr(item, "href", None) for item in items] == [
        "/heatmaps?measure=drills", None, "/heatmaps?measure=classes", "/heatmaps?measure=guard_training",
        None, None, None, None]
    with as_viewer(app_module, c.users["leader"]):
        assert find_element(heatmaps.layout(measure="classes"), "hm-measure").value == "classes"
        assert find_element(heatmaps.layout(measure="<script>"), "hm-measure").value == "drills"  # only its own


def test_on_a_phone_the_heatmap_says_it_scrolls_sideways(app):
    """A UX review: on a phone the map (720 px) is wider than the screen and nothing said it scrolls.  The line
    shows below the md breakpoint only."""
    app_module, c = app
    from dashboard.pages import heatmaps

    with as_viewer(app_module, c.users["leader"]):
        swipe = find_element(heatmaps.layout(), "hm-swipe")
    assert swipe.className == "d-md-none" and "左右滑動" in page_text(swipe)
