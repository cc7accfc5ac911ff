"""Hardening found by a second audit: huge years, log-out and log-in from another site, response headers,
the favicon, callback bodies Dash cannot read, and one school's uploads flooding the workers.

Each request is the one the audit sent (through Flask's test client, to the real app and a seeded store).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sync.load import UPLOADS
from sync.settings import get_settings
from tests.test_admin_support import SCHOOLS
from tests.test_security_support import (
    DRAFT_YEAR,
    call,
    client_for,
    dash_app,
    response_text,
    school_workbook,
    upload_contents,
)

HUGE_YEARS = [10**20, 1e30, -1, 1989, 10_000]
BAD_REQUEST_EN = "The request was not valid"


@pytest.fixture
def app():
    return dash_app()


# --- 1. years no picker holds, callback bodies Dash cannot read ---------------------------------------


@pytest.mark.parametrize("year", HUGE_YEARS)
@pytest.mark.parametrize("output", ["school-content.children", "overview-content.children",
                                    "trends-content.children", "exp-links.children"])
def test_a_huge_year_gets_the_pages_message_not_a_server_error(store, app, output, year):
    _engine, accounts = store
    response = call(client_for(app, accounts["school"]), output,
                    {"lang-store.data": "en", "year.value": year, "school-code.data": "S001",
                     "trends-group.value": "type"})
    assert response.status_code == 200, response_text(response)[:300]
    assert BAD_REQUEST_EN in response_text(response)


@pytest.mark.parametrize("year", HUGE_YEARS)
def test_a_huge_year_on_the_heatmap_is_answered(store, app, year):
    _engine, accounts = store
    client = client_for(app, accounts["school"])
    figure = call(client, "hm-figure.figure", {"lang-store.data": "en", "year.value": year,
                                               "hm-measure.value": "drills", "hm-group-by.value": "type"})
    assert figure.status_code == 200 and BAD_REQUEST_EN in response_text(figure)
    groups = call(client, "hm-groups.options", {"lang-store.data": "en", "year.value": year,
                                                "hm-group-by.value": "type"})
    assert groups.status_code == 200
    assert json.loads(groups.data)["response"]["hm-groups"]["options"] == []


def test_the_admin_pages_answer_a_huge_year(store, app):
    _engine, accounts = store
    client = client_for(app, accounts["admin"])
    for output, values in [("pub-state.children", {"pub-year.value": 10**20}),
                           ("insp-list.children", {"year.value": 10**20})]:
        response = call(client, output, {"lang-store.data": "en", **values})
        assert response.status_code == 200 and BAD_REQUEST_EN in response_text(response), output


def test_a_real_year_is_still_rendered(store, app):
    _engine, accounts = store
    response = call(client_for(app, accounts["school"]), "exp-links.children",
                    {"lang-store.data": "en", "year.value": DRAFT_YEAR})
    assert response.status_code == 200 and f"/download/school/S001/{DRAFT_YEAR}.xlsx" in response_text(response)


def test_guarded_answers_an_overflow_with_the_message():
    from dashboard.layout import guarded

    def render():
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    assert BAD_REQUEST_EN in str(guarded(render, "en").children)


@pytest.mark.parametrize("who,path", [
    ("leader", "/download/circular/99999999999999999999.csv"),
    ("leader", "/download/circular/99999999999999999999.xlsx?draft=1"),
    ("school", "/download/school/S001/99999999999999999999.csv"),
    ("school", "/download/school/S001/0.csv?draft=1"),
])
def test_a_download_of_a_huge_year_is_a_short_refusal(store, app, who, path):
    _engine, accounts = store
    client = client_for(app, accounts[who])
    program = client.get(path)
    assert program.status_code == 404 and program.json == {"error": "no such year", "error_zh": "沒有這個年度"}
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 404 and "沒有這個年度" in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/download/circular/abc.xlsx", "/download/school/S001/abc.csv",
                                  "/download/nothing-here", "/download/school/S001"])
def test_a_download_address_that_is_none_is_a_404_in_both_languages(store, app, path):
    """An audit: a year that is no number fell to the app's "page not found", a 200 in one language."""
    _engine, accounts = store
    client = client_for(app, accounts["school"])
    program = client.get(path)
    assert program.status_code == 404 and program.json["error_zh"].startswith("沒有這個下載")
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 404 and "沒有這個下載" in page.get_data(as_text=True) and "no such download" in page.get_data(as_text=True)
    assert app.server.test_client().get(path).status_code in (302, 401)  # no session: the log-in, as every download


def _nav_body(**change) -> str:
    """A body the navbar's toggler sends, with one part changed as the second audit's fuzzer did."""
    body = {"output": "..nav-collapse.is_open...nav-toggler.aria-expanded..",
            "outputs": [{"id": "nav-collapse", "property": "is_open"}, {"id": "nav-toggler", "property": "aria-expanded"}],
            "inputs": [{"id": "nav-toggler", "property": "n_clicks", "value": 1},
                       {"id": "nav-location", "property": "pathname", "value": "/"},
                       {"id": "lang-store", "property": "data", "value": "zh-Hant"}],
            "state": [{"id": "nav-collapse", "property": "is_open", "value": False}],
            "changedPropIds": ["nav-toggler.n_clicks"]}
    return json.dumps({**body, **change})


_ROUTER = {"output": ".._pages_content.children..._pages_store.data..",
           "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
           "state": [], "changedPropIds": ["_pages_location.pathname"]}
# Each was a 500 with a traceback in the log (the second audit's fuzzer, 3,202 bodies a role).
MALFORMED = [
    _nav_body(outputs=None), _nav_body(outputs={"id": "nope", "property": "children"}), _nav_body(outputs=[1, 2, 3]),
    _nav_body(inputs=[1, 1]), _nav_body(inputs=[{"property": "n_clicks"}, {"property": "pathname"}]),
    _nav_body(state=[1]), _nav_body(changedPropIds=[1, {}, None]),
    _nav_body(inputs=[{"id": "nav-location", "property": "pathname", "value": "/"},
                      {"id": "nav-toggler", "property": "n_clicks", "value": 1}]),  # another callback's order
    json.dumps({**_ROUTER, "outputs": [{"id": "_pages_content", "property": "children"}]}),
] + [json.dumps({**_ROUTER, "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                                       {"id": "_pages_location", "property": "search", "value": None}]})
     for path in (None, 5, ["/"], "abc", {})]


@pytest.mark.parametrize("body", ["null", "[]", "[1, 2]", "{}", '"x"', "{{{", "[" * 100_000 + "]" * 100_000,
                                  json.dumps({"output": "school-content.children", "inputs": "x"}),
                                  json.dumps({"output": "school-content.children"}),
                                  json.dumps({"output": ["x"], "inputs": []}),
                                  json.dumps({"output": "school-content.children", "inputs": [], "state": {}}),
                                  json.dumps({"output": "nope.children", "inputs": [], "state": []}),
                                  json.dumps({"output": "school-content.children",
                                              "outputs": {"id": "school-content", "property": "children"},
                                              "inputs": [{"id": "lang-store", "property": "data", "value": "en"}]}),
                                  json.dumps({"output": "upload-outcome.data",
                                              "outputs": {"id": "upload-outcome", "property": "data"},
                                              "inputs": [{"id": "upload-workbook", "property": "contents",
                                                          "value": {"a": 1}}]})] + MALFORMED)
def test_a_callback_body_dash_cannot_read_is_a_400(store, app, body):
    _engine, accounts = store
    response = client_for(app, accounts["school"]).post("/_dash-update-component", data=body,
                                                        content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:200]


def test_a_body_naming_a_callback_that_runs_in_the_browser_is_a_400(store, app):
    """The tab's title, the page language, the focus after opening a heatmap group: callbacks the browser
    runs itself, which the server holds no function for.  A body naming one, with its own inputs in its own
    order, passed every check and was a 500 with a traceback in the log (an adversarial audit)."""
    _engine, accounts = store
    client = client_for(app, accounts["school"])
    client.get("/")  # Dash's pages add their own (the document's title) on the first request
    in_browser = [(key, spec) for key, spec in app.callback_map.items() if "callback" not in spec]
    assert {"lang-sink.title", "school-tab-sink.title", "_pages_dummy.children"} <= {k for k, _ in in_browser}
    for key, spec in in_browser:
        parts = key.strip(".").split("...")
        outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1].split("@")[0]} for part in parts]
        body = {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
                "inputs": [{"id": i["id"], "property": i["property"], "value": None} for i in spec["inputs"]],
                "state": [{"id": i["id"], "property": i["property"], "value": None} for i in spec.get("state", [])],
                "changedPropIds": [f"{i['id']}.{i['property']}" for i in spec["inputs"][:1]]}
        response = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 400, (key, response.status_code)


def test_the_bodies_a_browser_sends_still_reach_their_callbacks(store, app):
    _engine, accounts = store
    client = client_for(app, accounts["school"])
    assert client.post("/_dash-update-component", data=_nav_body(), content_type="application/json").status_code == 200
    router = json.dumps({**_ROUTER, "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/upload"},
                                               {"id": "_pages_location", "property": "search", "value": ""}]})
    assert client.post("/_dash-update-component", data=router, content_type="application/json").status_code == 200


@pytest.mark.parametrize("output, values, answer", [
    ("school-picker-row.children", {"year.value": {}}, '"children": null'),  # no picker for a year it never holds
    ("school-picker-row.children", {"year.value": [2026]}, '"children": null'),
    ("audit-entries.children", {"audit-action.value": {}}, "not valid"),
    ("audit-entries.children", {"audit-action.value": 10**30}, "not valid"),
])
def test_a_value_of_a_kind_no_picker_holds_is_answered_not_a_server_error(store, app, output, values, answer):
    _engine, accounts = store
    response = call(client_for(app, accounts["admin"]), output, {**values, "lang-store.data": "en"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert answer in response_text(response)


# --- 2. log-out started by another site ------------------------------------------------------------


def test_a_log_out_started_by_another_site_ends_no_session(store, app):
    _engine, accounts = store
    client = client_for(app, accounts["school"], fresh=True)
    for site in ("cross-site", "same-site"):
        response = client.get("/logout", headers={"Sec-Fetch-Site": site})
        assert response.status_code == 302 and response.headers["Location"] == "/"
        assert client.get("/upload").status_code == 200  # still logged in, the cookie still good


@pytest.mark.parametrize("headers", [{}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}])
def test_the_navbars_log_out_still_logs_out(store, app, headers):
    _engine, accounts = store
    client = client_for(app, accounts["school"], fresh=True)
    copied = client.get_cookie("session").value
    response = client.get("/logout", headers=headers)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    other = app.server.test_client()
    other.set_cookie("session", copied)
    assert other.get("/upload").status_code == 302


# --- 3. log-in posted from another site -------------------------------------------------------------


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Origin": "http://localhost:8050"},
                                     {"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"}])
def test_a_log_in_posted_from_another_site_is_refused(store, app, headers):
    _engine, accounts = store
    user, password = accounts["school"]
    client = app.server.test_client()
    response = client.post("/login", data={"username": user, "password": password, "next": "/"}, headers=headers)
    text = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "來自其他網站" in text and "came from another website" in text and 'name="username"' in text
    assert client.get("/upload").status_code == 302  # no session was made


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://localhost"}, {"Origin": "HTTPS://LOCALHOST"},
                                     {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}])
def test_a_log_in_from_this_server_is_let_in(store, app, headers):
    """An https origin of this host is this server behind a proxy that ends TLS."""
    _engine, accounts = store
    user, password = accounts["school"]
    client = app.server.test_client()
    response = client.post("/login", data={"username": user, "password": password, "next": "/"}, headers=headers)
    assert response.status_code == 302 and response.headers["Location"] == f"/school/{user}"


# --- 4. headers --------------------------------------------------------------------------------------


def test_every_response_refuses_framing_and_sniffing(store, app):
    _engine, accounts = store
    anonymous = app.server.test_client()
    school = client_for(app, accounts["school"])
    for response in (anonymous.get("/login"), anonymous.get("/"), anonymous.get("/assets/10-safeschool.css"),
                     anonymous.post("/_dash-update-component", json={}), school.get("/upload"),
                     school.get("/download/school/S001/99999999999999999999.csv")):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src" not in response.headers.get("Content-Security-Policy", "")  # Dash's inline scripts run


def test_callback_answers_and_the_layout_are_never_stored(store, app):
    _engine, accounts = store
    client = client_for(app, accounts["school"])
    answer = call(client, "school-content.children", {"lang-store.data": "en", "year.value": DRAFT_YEAR,
                                                      "school-code.data": "S001"})
    layout = client.get("/_dash-layout")
    assert answer.status_code == 200 and layout.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store" and layout.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/_dash-component-suites/dash/nope.js", "/_dash-component-suites/os/__init__.py",
                                  "/_dash-component-suites/dash/../../../../etc/passwd"])
def test_a_script_address_dash_never_registered_is_a_404(store, app, path):
    """Dash answers a script it did not register with an exception: a 500 and the list of every script it
    serves in the log, for any address a signed-in browser types (an adversarial audit).  A 404; the
    scripts the page loads are still served."""
    _engine, accounts = store
    client = client_for(app, accounts["school"])
    assert client.get(path).status_code == 404
    served = sorted(app.registered_paths["dash"])[0]
    assert client.get(f"/_dash-component-suites/dash/{served}").status_code == 200
    assert app.server.test_client().get(path).status_code == 401  # no session: refused before Dash looks


# --- 5. the favicon ----------------------------------------------------------------------------------


def test_the_favicon_is_an_icon_or_nothing_never_the_app_shell(app):
    icon = Path(__file__).resolve().parent.parent / "assets" / "favicon.ico"
    response = app.server.test_client().get("/favicon.ico")
    assert "dash-config" not in response.get_data(as_text=True)
    if icon.is_file():
        assert response.status_code == 200 and response.data == icon.read_bytes()
    else:
        assert response.status_code == 404


# --- 6. one school's uploads at once ------------------------------------------------------------------


def _upload(client, data: bytes, lang: str) -> tuple[dict, str]:
    values = {"upload-workbook.contents": upload_contents(data), "upload-workbook.filename": "S001.xlsx",
              "year.value": DRAFT_YEAR}
    outcome = json.loads(call(client, "upload-outcome.data", values).data)["response"]["upload-outcome"]["data"]
    drawn = response_text(call(client, "upload-result.children", {"upload-outcome.data": outcome, "lang-store.data": lang}))
    return outcome, drawn


def test_a_second_upload_of_a_school_being_loaded_is_refused_at_once(store, app, tmp_path):
    """While one upload of the school is being loaded (another request holds it), another is answered at
    once, in the reader's language, and keeps nothing; after it the school's upload is taken again."""
    from dashboard.pages.upload import one_upload_of_the_school

    _engine, accounts = store
    client = client_for(app, accounts["school"])
    mine = school_workbook(SCHOOLS[0], tmp_path)
    with one_upload_of_the_school("S001") as first:
        assert first
        started = time.monotonic()
        outcome, english = _upload(client, mine, "en")
        assert time.monotonic() - started < 5
        _outcome, chinese = _upload(client, mine, "zh-Hant")
    assert outcome["status"][0] == "upload.in_progress"
    assert "Wait for it to finish and look at the result" in english
    assert "請等它完成後查看結果" in chinese
    kept = Path(get_settings().inbox) / UPLOADS / "S001.xlsx"
    assert not kept.exists()  # nothing of it was kept
    outcome, _ = _upload(client, mine, "en")
    assert outcome["status"][0] in ("upload.loaded", "upload.loaded_with_problems"), outcome
    assert kept.read_bytes() == mine
