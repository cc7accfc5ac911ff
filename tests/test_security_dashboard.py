"""The dashboard's own pages (overview, school, trends, heatmaps) against a school asking for others' data.

Issue 6: a school sees its own page and data, the county aggregates, and
other schools' totals only in a published year's ranking.  The requests are
crafted by hand: another school's code in the school page's store, a click
on another school's ranking row or heatmap cell.
"""

from __future__ import annotations

import pytest

from tests.test_security_support import (
    DRAFT_YEAR,
    PUBLISHED_YEAR,
    call,
    client_for,
    copied_store,
    dash_app,
    response_text,
)

OTHER_NAMES = ("<script>alert(1)</script>", "=1+2 小學")


@pytest.fixture
def school_client(template_store, sqlite_url):
    path, accounts = template_store
    engine = copied_store(path, sqlite_url)
    yield client_for(dash_app(), accounts["school"])
    engine.dispose()


@pytest.mark.parametrize("year", [DRAFT_YEAR, PUBLISHED_YEAR])
def test_another_schools_page_is_refused(school_client, year):
    text = response_text(call(school_client, "school-content.children",
                              {"lang-store.data": "zh-Hant", "year.value": year, "school-code.data": "S002"}))
    assert "只能查看本校" in text
    assert not any(name in text for name in OTHER_NAMES)
    assert "detail A1" not in text


def test_the_own_school_page_is_served(school_client):
    text = response_text(call(school_client, "school-content.children",
                              {"lang-store.data": "zh-Hant", "year.value": DRAFT_YEAR, "school-code.data": "S001"}))
    assert "第一中學" in text and "只能查看本校" not in text


@pytest.mark.parametrize("output", ["overview-content.children", "trends-content.children"])
def test_a_draft_year_shows_a_school_no_other_school(school_client, output):
    text = response_text(call(school_client, output, {"lang-store.data": "zh-Hant", "year.value": DRAFT_YEAR,
                                                      "trends-group.value": "type"}))
    assert not any(name in text for name in OTHER_NAMES)


def test_a_published_year_shows_a_school_the_public_ranking(school_client):
    text = response_text(call(school_client, "overview-content.children",
                              {"lang-store.data": "zh-Hant", "year.value": PUBLISHED_YEAR}))
    assert "<script>alert(1)</script>" in text  # the circular makes names and totals public
    assert "detail A1" not in text  # but never another school's indicator details


def test_a_heatmap_of_a_draft_year_names_no_other_school(school_client):
    text = response_text(call(school_client, "hm-figure.figure", {
        "lang-store.data": "zh-Hant", "year.value": DRAFT_YEAR, "hm-measure.value": "drills",
        "hm-group-by.value": "township", "hm-order.value": "name", "hm-page.active_page": 1}))
    assert not any(name in text for name in OTHER_NAMES)


@pytest.mark.parametrize(
    ("output", "values"),
    [
        ("nav-location.pathname", {"ranking-grid.cellClicked": {"rowId": "S002", "value": "x", "colId": "name"}}),
        ("nav-location.pathname", {"school-picker.value": "S002"}),
        ("nav-location.pathname", {"hm-figure.clickData": {"points": [{"customdata": ["S002"], "y": "S002"}]}}),
    ],
)
def test_clicks_naming_another_school_never_open_it(school_client, output, values):
    app = dash_app()
    if not app.callback_map:
        app._setup_server()
    keys = [k for k in app.callback_map if k.split("@")[0] == output
            and any(f"{i['id']}.{i['property']}" in values for i in app.callback_map[k]["inputs"])]
    assert keys, f"no callback for {values}"
    response = _call_key(school_client, app, keys[0], values)
    assert "/school/S002" not in response_text(response)


def _call_key(client, app, key, values):
    import json

    spec = app.callback_map[key]
    ident, prop = key.rsplit(".", 1)
    body = {
        "output": key,
        "outputs": {"id": ident, "property": prop},
        "inputs": [{"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
                   for i in spec["inputs"]],
        "state": [{"id": s["id"], "property": s["property"], "value": None} for s in spec.get("state", [])],
        "changedPropIds": list(values),
    }
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


@pytest.fixture
def leader_client(template_store, sqlite_url):
    path, accounts = template_store
    engine = copied_store(path, sqlite_url)
    yield client_for(dash_app(), accounts["leader"])
    engine.dispose()


def test_the_bureau_sees_every_school_in_a_draft_year(leader_client):
    """The control for the refusals above: the same request from the bureau does name the other schools."""
    text = response_text(call(leader_client, "overview-content.children",
                              {"lang-store.data": "zh-Hant", "year.value": DRAFT_YEAR}))
    assert all(name in text for name in OTHER_NAMES)
    text = response_text(call(leader_client, "school-content.children",
                              {"lang-store.data": "zh-Hant", "year.value": DRAFT_YEAR, "school-code.data": "S002"}))
    assert "只能查看本校" not in text and "<script>alert(1)</script>" in text


def test_the_bureau_picking_another_school_opens_it(leader_client):
    app = dash_app()
    if not app.callback_map:
        app._setup_server()
    key = next(k for k in app.callback_map if k.startswith("nav-location.pathname")
               and any(i["id"] == "school-picker" for i in app.callback_map[k]["inputs"]))
    assert "/school/S002" in response_text(_call_key(leader_client, app, key, {"school-picker.value": "S002"}))


# --- the heatmap by group (the bureau's summary) --------------------------------------------------

def _county_client(app, username: str):
    """A client signed in to the eight-school county (tests.dashboard_fixtures.build_county), whose heatmaps
    have periods to show (the seeded store's have none)."""
    from tests.dashboard_fixtures import PASSWORD

    app_module, county = app
    client = app_module.server.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client, county


def _heatmap_text(client, year, view, groups=None) -> str:
    return response_text(call(client, "hm-figure.figure", {
        "lang-store.data": "zh-Hant", "year.value": year, "hm-measure.value": "drills", "hm-group-by.value": "township",
        "hm-groups.value": groups, "hm-order.value": "group", "hm-page.active_page": 1, "hm-view.value": view}))


def test_a_school_asking_for_the_heatmap_by_group_gets_its_own_school_alone(app):
    """The browser says which view it wants; a school's officer gets its own school's row whatever it says:
    no group's row, no row of every school, no other school, no button opening a group."""
    client, c = _county_client(app, "school1")
    others = [c.names[code] for code in c.codes[1:]]
    for view, groups in (("groups", None), ("groups", ["東河鄉", "城關鎮"]), ("schools", ["東河鄉"])):
        text = _heatmap_text(client, c.year, view, groups)
        assert (c.names[c.codes[0]] in text) == (groups is None or "城關鎮" in groups), (view, groups)
        assert not any(name in text for name in others), view
        assert "所學校）" not in text and "所選學校合計" not in text and "hm-open-group" not in text, view
    # the control: the bureau asking the same sees the groups and every school
    leader, _ = _county_client(app, "leader")
    text = _heatmap_text(leader, c.year, "groups")
    assert "所選學校合計" in text and "hm-open-group" in text and "東河鄉（2所學校）" in text


def test_a_school_pressing_a_forged_group_button_or_row_opens_nothing(app):
    import json

    school, _ = _county_client(app, "school1")
    leader, _ = _county_client(app, "leader")
    dash = dash_app()
    key = next(k for k in dash.callback_map if "hm-view.value" in k)
    spec = dash.callback_map[key]
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1].split("@")[0]}
               for part in key.strip(".").split("...")]
    button = {"group": "東河鄉", "type": "hm-open-group"}  # named as the browser names it, not \u6771...
    for inputs, changed in (
        ([[{"id": button, "property": "n_clicks", "value": 1}],
          {"id": "hm-figure", "property": "clickData", "value": None}], [json.dumps(button, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + ".n_clicks"]),
        ([[], {"id": "hm-figure", "property": "clickData", "value": {"points": [{"customdata": "group:東河鄉"}]}}],
         ["hm-figure.clickData"]),
    ):
        assert len(spec["inputs"]) == 2
        body = json.dumps({"output": key, "outputs": outputs, "inputs": inputs, "state": [], "changedPropIds": changed})
        response = school.post("/_dash-update-component", content_type="application/json", data=body)
        assert response.status_code == 204 or "東河鄉" not in response_text(response), response_text(response)[:300]
        # the control: the same request from the bureau shows the group's schools
        opened = json.loads(leader.post("/_dash-update-component", content_type="application/json", data=body).data)
        assert opened["response"]["hm-groups"]["value"] == ["東河鄉"]
        assert opened["response"]["hm-view"]["value"] == "schools"


# --- the means by type and by township, put together ----------------------------------------------

def _group_means_shown(client, year, group_by: str) -> dict[str, set]:
    """The groups whose mean the trends page gives for `year`: in the year-by-year bars (that year's bar)
    and in the month-end lines (each group's line), as the response carries them."""
    import json

    body = json.loads(response_text(call(client, "trends-content.children", {
        "lang-store.data": "zh-Hant", "year.value": year, "trends-group.value": group_by})))
    found = {"annual": set(), "monthly": set()}

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == "trend-annual":
                bars = props["figure"]["data"]
                found["annual"] |= {g for g, y in zip(bars[-1]["x"], bars[-1]["y"], strict=True) if y is not None}
            elif props.get("id") == "trend-monthly":
                found["monthly"] |= {trace["name"] for trace in props["figure"]["data"][1:]}
            for value in props.values():
                walk(value)

    walk(body["response"]["trends-content"]["children"])
    return found


def _totals_worked_out(place: dict, own: str, types: set, townships: set) -> list[str]:
    """The other schools whose total follows from the sums a viewer knows: the county's, its own, and each
    group's shown (`place`: code -> (township, type)); found by least squares, each school's row against
    those sums' rows (a row they reproduce exactly is a total they give)."""
    import numpy as np

    codes = list(place)
    rows = [[1.0] * len(codes), [float(code == own) for code in codes]]
    rows += [[float(place[code][1] == g) for code in codes] for g in types]
    rows += [[float(place[code][0] == g) for code in codes] for g in townships]
    known = np.array(rows).T
    worked_out = []
    for i, code in enumerate(codes):
        alone = np.eye(len(codes))[i]
        weights = np.linalg.lstsq(known, alone, rcond=None)[0]
        if code != own and np.allclose(known @ weights, alone, atol=1e-8):
            worked_out.append(code)
    return worked_out


def test_a_school_cannot_take_a_type_from_a_township_to_get_another_schools_total(tmp_path, monkeypatch):
    """Each view by itself hides what would single a school out (a group under three schools, hidden groups
    adding up to one other school), but a school's officer asks for the means by type and again by township:
    a township holding the viewer's three-school type and one school more, less that type, is that school's
    draft total (an adversarial audit: 4 × 東鄉's mean − 3 × 初中's gave S0004's 78.8 as 78.6).  In a draft
    year no two of the means it sees may differ by one other school; the bureau still sees every mean."""
    from sqlalchemy import update

    from sync.store import scores
    from tests.dashboard_fixtures import PASSWORD, a_day_with_month_ends_behind_it, dashboard_on_own_store

    with dashboard_on_own_store(tmp_path, monkeypatch, n=9, today=a_day_with_month_ends_behind_it()) as own:
        app_module, c, engine = own
        k = c.codes
        place = {**{code: ("東鄉", "初中") for code in k[0:3]}, k[3]: ("東鄉", "小學"), k[4]: ("西鄉", "小學"),
                 k[5]: ("西鄉", "小學"), **{code: ("西鄉", "幼兒園") for code in k[6:9]}}
        with engine.begin() as conn:  # every school ranked: the groups are as large as they look
            for code, (township, school_type) in place.items():
                conn.execute(update(scores).where(scores.c.school_code == code).values(
                    township=township, type=school_type, qualified=True))

        def client_of(username):
            client = app_module.server.test_client()
            assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
            return client

        school, leader = client_of("school1"), client_of("leader")
        for shown in ("annual", "monthly"):
            by_type = _group_means_shown(school, c.year, "type")[shown]
            by_township = _group_means_shown(school, c.year, "township")[shown]
            assert not ("初中" in by_type and "東鄉" in by_township), (shown, by_type, by_township)
            assert not _totals_worked_out(place, k[0], by_type, by_township), (shown, by_type, by_township)
            assert _group_means_shown(leader, c.year, "type")[shown] >= {"初中", "小學", "幼兒園"}
            assert _group_means_shown(leader, c.year, "township")[shown] >= {"東鄉", "西鄉"}


@pytest.mark.parametrize("groups", [["中職"], "東河鄉", [None]])
def test_the_bureaus_heatmap_filtered_on_no_group_of_its_grouping_is_answered(app, groups):
    """A filter the page never sends with its grouping (a type while grouping by township, a bare string,
    a null) picks no school: the bureau's heatmap of them was a 500 with a traceback in the log (reading
    the row of every school chosen, which there was none of; an adversarial audit)."""
    leader, c = _county_client(app, "leader")
    response = call(leader, "hm-figure.figure", {
        "lang-store.data": "zh-Hant", "year.value": c.year, "hm-measure.value": "drills",
        "hm-group-by.value": "township", "hm-groups.value": groups, "hm-order.value": "group",
        "hm-page.active_page": 1, "hm-view.value": "schools"})
    assert response.status_code == 200, response_text(response)[:300]
    assert not any(name in response_text(response) for name in c.names.values())
