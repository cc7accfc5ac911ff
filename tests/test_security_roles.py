"""Every role against every admin callback and download, with requests crafted by hand.

The browser is not trusted: each test sends the request a hostile page could
send (another school's code, an admin-only callback, a direct URL) and checks
that the server refuses it or answers with the caller's own data only.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, update

from dashboard.downloads import publication_files
from sync.store import audit_log, inspection_changes, publications, records, scores, users
from tests.test_admin_support import SCHOOLS, count
from tests.test_security_support import (
    DRAFT_YEAR,
    PUBLISHED_YEAR,
    call,
    client_for,
    dash_app,
    response_text,
    school_workbook,
    upload_contents,
    xlsx_cells,
)

REFUSED_ADMIN = "此頁僅供教體局安全辦使用"


@pytest.fixture
def app():
    return dash_app()


# --- nobody logged in ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/", 302),
        ("get", "/admin/users", 302),
        ("get", "/_dash-layout", 401),
        ("post", "/_dash-update-component", 401),
        ("get", f"/download/circular/{PUBLISHED_YEAR}.xlsx", 401),
        ("get", f"/download/school/S001/{PUBLISHED_YEAR}.csv", 401),
        ("get", "/download/template/S001", 401),
        ("get", "/download/annotated/S001", 401),
    ],
)
def test_without_a_session_everything_is_refused(store, app, method, path, status):
    response = getattr(client_for(app, None), method)(path)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/login")


def test_a_wrong_password_does_not_log_in(store, app):
    client = app.server.test_client()
    response = client.post("/login", data={"username": "boss", "password": "wrong-password"})
    assert response.status_code == 401
    assert client.get("/admin/users").status_code == 302


def test_a_login_is_recorded_in_the_audit_trail(store, app):
    engine, accounts = store
    client_for(app, accounts["school"], fresh=True)
    with engine.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.action == "login")).mappings().one()
    assert row["username"] == "S001" and row["school_code"] == "S001"


# --- admin-only callbacks refuse the other roles ------------------------------------------------

ADMIN_CALLBACKS = [
    ("users-table.children", {"lang-store.data": "zh-Hant"}),
    ("users-add-result.children", {"users-add.n_clicks": 1, "users-new-name.value": "mole", "users-new-role.value": "admin",
                                   "users-new-password.value": "mole-pass-123"}),
    ("users-toggle-result.children", {"users-disable.n_clicks": 1, "users-pick.value": "boss"}),
    ("users-toggle-result.children", {"users-reset.n_clicks": 1, "users-pick.value": "boss",
                                      "users-reset-password.value": "taken-over-1"}),
    ("insp-result.children", {"insp-save.n_clicks": 1, "insp-date.value": "2026-05-01", "insp-school.value": "S002",
                              "insp-kind.value": "定期", "insp-falsification.value": True}),
    ("pub-result.children", {"pub-confirm.n_clicks": 1, "pub-year.value": DRAFT_YEAR, "pub-force.value": True}),
]
# What a leader reads (issue 6: "reads everything") and a school may not.
BUREAU_READS = [
    ("insp-list.children", {"year.value": DRAFT_YEAR}),
    ("pub-state.children", {"pub-year.value": DRAFT_YEAR}),
    ("audit-entries.children", {"audit-action.value": None}),
]
REFUSED_SCHOOL = "此內容僅供教體局查看"


@pytest.mark.parametrize("role", ["school", "leader"])
@pytest.mark.parametrize(("output", "values"), ADMIN_CALLBACKS,
                         ids=[f"{o}-{i}" for i, (o, _) in enumerate(ADMIN_CALLBACKS)])
def test_admin_callbacks_refuse_school_and_leader(store, app, role, output, values):
    engine, accounts = store
    before = {t.name: count(engine, t) for t in (users, publications, records["inspections"], inspection_changes)}
    response = call(client_for(app, accounts[role]), output, values)
    text = response_text(response)
    assert response.status_code in (200, 204)
    if response.status_code == 200:
        assert REFUSED_ADMIN in text
    for forbidden in ("boss", "mole", "chief", "第一中學", "S003"):
        assert forbidden not in text
    after = {t.name: count(engine, t) for t in (users, publications, records["inspections"], inspection_changes)}
    assert after == before
    with engine.connect() as conn:
        assert conn.execute(select(users.c.active).where(users.c.username == "boss")).scalar() is True
    from dashboard.access import authenticate

    assert authenticate(engine, "boss", "taken-over-1") is None


def test_the_pick_callback_of_inspections_gives_a_school_nothing(store, app):
    _, accounts = store
    response = call(client_for(app, accounts["school"]), "insp-date.value", {"insp-pick.value": 1})
    assert response.status_code == 204


@pytest.mark.parametrize(("output", "values"), BUREAU_READS, ids=[o for o, _ in BUREAU_READS])
def test_what_a_leader_reads_a_school_may_not(store, app, output, values):
    """Issue 6: a leader "reads everything": the findings, the publication and the trail, which a school
    never sees (another school's findings, the accounts behind the trail)."""
    _, accounts = store
    refused = response_text(call(client_for(app, accounts["school"]), output, values))
    assert REFUSED_SCHOOL in refused
    for forbidden in ("boss", "chief", "S002", "S003"):
        assert forbidden not in refused
    read = call(client_for(app, accounts["leader"]), output, values)
    assert read.status_code == 200
    assert REFUSED_SCHOOL not in response_text(read) and REFUSED_ADMIN not in response_text(read)


def _page(app, account, path: str) -> str:
    response = call(client_for(app, account), "_pages_content.children",
                    {"_pages_location.pathname": path, "_pages_location.search": ""})
    assert response.status_code == 200
    return response_text(response)


@pytest.mark.parametrize("role", ["school", "leader"])
def test_the_accounts_page_renders_a_refusal_for_other_roles(store, app, role):
    text = _page(app, store[1][role], "/admin/users")
    assert REFUSED_ADMIN in text and "users-add" not in text


@pytest.mark.parametrize("path", ["/admin/inspections", "/admin/publish", "/admin/audit"])
def test_the_bureau_pages_render_a_refusal_for_a_school(store, app, path):
    text = _page(app, store[1]["school"], path)
    assert REFUSED_SCHOOL in text
    assert "pub-confirm" not in text and "insp-save" not in text and "audit-entries" not in text


@pytest.fixture
def in_december(monkeypatch):
    """The county's clock inside DRAFT_YEAR: whether a year runs is the county's today, not the machine's."""
    import sync.results

    monkeypatch.setattr(sync.results, "county_today", lambda: date(DRAFT_YEAR, 12, 2))


def test_a_leader_is_told_a_year_is_running_without_the_box_only_the_office_sees(store, app, in_december):
    """A second audit: the leader was told to tick a box hidden from him."""
    from sync.store import scores

    engine, accounts = store
    with engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.year == DRAFT_YEAR).values(as_of=date(DRAFT_YEAR, 11, 20)))
    asked = {"pub-year.value": DRAFT_YEAR, "lang-store.data": "zh-Hant"}
    leader = response_text(call(client_for(app, accounts["leader"]), "pub-running.children", asked))
    admin = response_text(call(client_for(app, accounts["admin"]), "pub-running.children", asked))
    assert f"{DRAFT_YEAR}年尚未結束" in leader and "勾選" not in leader
    assert "勾選" in admin


def _shown(node, element_id: str, hidden: bool = False) -> bool | None:
    """Whether the component `element_id` of a Dash layout (JSON) shows: None when it is not there, False
    when it or a component around it carries Bootstrap's d-none."""
    if isinstance(node, list):
        found = [_shown(child, element_id, hidden) for child in node]
        return next((f for f in found if f is not None), None)
    if not isinstance(node, dict):
        return None
    props = node.get("props", {})
    hidden = hidden or "d-none" in (props.get("className") or "").split()
    if props.get("id") == element_id:
        return not hidden
    return _shown(props.get("children"), element_id, hidden)


@pytest.mark.parametrize(("path", "notice", "controls"), [
    ("/admin/inspections", "insp-read-only", ("insp-save", "insp-pick")),
    ("/admin/publish", "pub-read-only", ("pub-open", "pub-force")),
])
def test_a_leader_reads_inspections_and_publishing_without_their_controls(store, app, path, notice, controls):
    """The page opens for a leader with a line saying who changes it; its controls are in the page for the
    callbacks but hidden (d-none), and the server refuses their changes (test_admin_callbacks_refuse_...)."""
    page = json.loads(_page(app, store[1]["leader"], path))["response"]["_pages_content"]["children"]
    assert _shown(page, notice) is True
    for control in controls:
        assert _shown(page, control) is False, control
    admin_page = json.loads(_page(app, store[1]["admin"], path))["response"]["_pages_content"]["children"]
    assert _shown(admin_page, notice) is None
    assert all(_shown(admin_page, control) is True for control in controls)


def test_admin_sees_admin_pages_and_the_account_list(store, app):
    _, accounts = store
    client = client_for(app, accounts["admin"])
    page = response_text(call(client, "_pages_content.children", {"_pages_location.pathname": "/admin/users"}))
    assert "users-add" in page and REFUSED_ADMIN not in page
    listing = response_text(call(client, "users-table.children", {"lang-store.data": "en"}))
    assert "boss" in listing and "chief" in listing and "S002" in listing


def test_admin_adds_an_account_and_it_is_audited(store, app):
    engine, accounts = store
    response = call(client_for(app, accounts["admin"]), "users-add-result.children", {
        "users-add.n_clicks": 1, "users-new-name.value": "S003", "users-new-role.value": "school",
        "users-new-school.value": "S003", "users-new-password.value": "school-pass-3"})
    assert "S003" in response_text(response) and "users-add-ok" in response_text(response)
    cleared = response.get_json()["response"]  # the next account starts from an empty form, not this one's school
    assert all(cleared[field]["value"] is None for field in ("users-new-name", "users-new-school", "users-new-display"))
    from dashboard.access import authenticate

    assert authenticate(engine, "S003", "school-pass-3").school_code == "S003"
    assert count(engine, audit_log, audit_log.c.action == "users") == 1


def test_leader_may_not_publish_but_admin_may(store, app):
    engine, accounts = store
    values = {"pub-confirm.n_clicks": 1, "pub-year.value": DRAFT_YEAR, "pub-force.value": True}
    call(client_for(app, accounts["leader"]), "pub-result.children", values)
    assert count(engine, publications, publications.c.year == DRAFT_YEAR) == 0
    text = response_text(call(client_for(app, accounts["admin"]), "pub-result.children", values))
    assert "pub-done" in text
    assert count(engine, publications, publications.c.year == DRAFT_YEAR) == 1
    assert count(engine, audit_log, audit_log.c.action == "publish") == 1


def test_a_running_year_is_said_to_need_the_box_before_publishing_is_offered(store, app, in_december):
    """The page asked for a confirmation, then refused, naming the CLI's --force (found by an audit): now
    the page says it beside the year, and the confirmation offers nothing to confirm until it is ticked."""
    engine, accounts = store
    with engine.begin() as conn:  # the draft as a sync on 20 Nov leaves it
        conn.execute(update(scores).where(scores.c.year == DRAFT_YEAR).values(as_of=date(DRAFT_YEAR, 11, 20)))
    client = client_for(app, accounts["admin"])
    beside = response_text(call(client, "pub-running.children", {"pub-year.value": DRAFT_YEAR, "lang-store.data": "en"}))
    assert f"{DRAFT_YEAR} is still running" in beside and "year-to-date results early" in beside
    assert "--force" not in beside
    assert "null" in response_text(call(client, "pub-running.children", {"pub-year.value": PUBLISHED_YEAR}))
    asked = {"pub-open.n_clicks": 1, "pub-year.value": DRAFT_YEAR, "pub-force.value": False, "lang-store.data": "zh-Hans"}
    answer = json.loads(response_text(call(client, "pub-confirm-body.children", asked)))["response"]
    assert answer["pub-confirm"]["disabled"] is True
    assert "pub-tick-first" in json.dumps(answer, ensure_ascii=False) and "请先勾选上方" in json.dumps(answer, ensure_ascii=False)
    ticked = json.loads(response_text(call(client, "pub-confirm-body.children", {**asked, "pub-force.value": True})))
    assert ticked["response"]["pub-confirm"]["disabled"] is False
    refused = response_text(call(client, "pub-result.children", {"pub-confirm.n_clicks": 1, "pub-year.value": DRAFT_YEAR,
                                                                 "pub-force.value": False, "lang-store.data": "en"}))
    assert "still running" in refused and "--force" not in refused and "year-to-date results early" in refused


def test_the_boxs_label_says_what_ticking_it_does_for_the_year_picked(store, app, in_december):
    """A review: one label, 「重新發布……；年度未結束時提前發布」, for a year that needed only one of the two.
    A running year never published: publish early; a year over and published: publish again; both: both.
    Each label holds the words the refusals and the note beside the year quote."""
    from dashboard import queries
    from dashboard.i18n import t
    from sync import results

    engine, accounts = store
    with engine.begin() as conn:  # the draft as a sync on 20 Nov leaves it
        conn.execute(update(scores).where(scores.c.year == DRAFT_YEAR).values(as_of=date(DRAFT_YEAR, 11, 20)))
    client = client_for(app, accounts["admin"])

    def label(year, lang="zh-Hant", who=client):
        answer = json.loads(response_text(call(who, "pub-force.label", {"pub-year.value": year, "lang-store.data": lang})))
        shown[year] = "d-none" not in answer["response"]["pub-force"]["className"]
        return answer["response"]["pub-force"]["label"]

    shown = {}

    assert label(DRAFT_YEAR) == t("pub.force_early", "zh-Hant") == "提前發布截至今天的結果（年度尚未結束）"
    assert label(PUBLISHED_YEAR, "en") == t("pub.force_again", "en") == "Publish again (supersedes the published version, which is kept)"
    assert "year-to-date results early" in label(DRAFT_YEAR, "en") and "提前发布截至今天的结果" in label(DRAFT_YEAR, "zh-Hans")
    assert "重新發布" in label(PUBLISHED_YEAR)
    assert shown == {DRAFT_YEAR: True, PUBLISHED_YEAR: True}
    # a year over and never published needs no box: none is shown (a UX review: whether to tick it was unclear)
    assert label(PUBLISHED_YEAR - 1) and shown[PUBLISHED_YEAR - 1] is False
    label(DRAFT_YEAR, who=client_for(app, accounts["leader"]))
    assert shown[DRAFT_YEAR] is False  # a leader's page holds it hidden: publishing is the office's
    results.publish(engine, DRAFT_YEAR, files=publication_files, by="office", force=True)  # the running year published early: both now
    queries.clear_caches()
    both = label(DRAFT_YEAR)
    assert both == t("pub.force", "zh-Hant") and both.startswith("重新發布") and "提前發布截至今天的結果" in both
    # a leader's page holds the box hidden; a school's account gets no year's state
    school = client_for(app, accounts["school"])
    answer = json.loads(response_text(call(school, "pub-force.label", {"pub-year.value": DRAFT_YEAR})))
    assert answer["response"]["pub-force"]["label"] == t("pub.force", "zh-Hant")


def test_republishing_needs_the_force_box(store, app):
    engine, accounts = store
    client = client_for(app, accounts["admin"])
    asked = {"pub-confirm.n_clicks": 1, "pub-year.value": PUBLISHED_YEAR, "pub-force.value": False}
    text = response_text(call(client, "pub-result.children", asked))
    assert "pub-error" in text and "已發布" in text and "重新發布" in text  # the page's own box, not --force
    english = response_text(call(client, "pub-result.children", {**asked, "lang-store.data": "en"}))
    assert "already published" in english and "--force" not in english and "tick" in english
    assert count(engine, publications, publications.c.year == PUBLISHED_YEAR) == 1


# --- the exports page and the download routes -----------------------------------------------------


def test_a_school_naming_another_school_on_the_exports_page_gets_its_own_links(store, app):
    _, accounts = store
    text = response_text(call(client_for(app, accounts["school"]), "exp-links.children",
                              {"year.value": PUBLISHED_YEAR, "exp-school.value": "S002", "lang-store.data": "zh-Hant"}))
    assert "/download/school/S001/" in text
    assert "S002" not in text and "/download/circular/" not in text


@pytest.mark.parametrize(
    "path",
    [
        f"/download/school/S002/{PUBLISHED_YEAR}.xlsx",
        f"/download/school/S002/{DRAFT_YEAR}.csv?draft=1",
        f"/download/circular/{PUBLISHED_YEAR}.xlsx",
        f"/download/circular/{DRAFT_YEAR}.docx?draft=1",
        "/download/template/S002",
        "/download/annotated/S002",
    ],
)
def test_a_school_cannot_download_another_schools_files_or_the_circular(store, app, path):
    _, accounts = store
    response = client_for(app, accounts["school"]).get(path)
    assert response.status_code in (403, 404)
    assert "Content-Disposition" not in response.headers
    assert "第一中學" not in response_text(response) and "alert(1)" not in response_text(response)


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_refused_download_followed_in_a_browser_is_a_page_not_json(store, app):
    """A school officer who clicks another school's link reads a page in Chinese and English with the way
    back; a program asking for JSON still gets JSON."""
    _, accounts = store
    client = client_for(app, accounts["school"])
    page = client.get(f"/download/school/S002/{PUBLISHED_YEAR}.xlsx", headers=BROWSER)
    text = page.get_data(as_text=True)
    assert page.status_code == 403 and page.mimetype == "text/html"
    assert "只能導出本校資料" in text and "a school exports only its own data" in text and 'href="/"' in text
    assert "\\u" not in text and "Content-Disposition" not in page.headers
    as_json = client.get(f"/download/school/S002/{PUBLISHED_YEAR}.xlsx")
    assert as_json.status_code == 403 and as_json.get_json()["error"] == "a school exports only its own data"


def test_a_program_asking_for_anything_gets_json_not_a_page(store, app):
    """curl, wget and python-requests send Accept: */*: they get the status and JSON, never a redirect."""
    _, accounts = store
    anything = {"Accept": "*/*"}
    logged_out = app.server.test_client().get(f"/download/school/S001/{PUBLISHED_YEAR}.csv", headers=anything)
    assert logged_out.status_code == 401 and logged_out.get_json()["error"] == "login required"
    refused = client_for(app, accounts["school"]).get(f"/download/school/S002/{PUBLISHED_YEAR}.xlsx", headers=anything)
    assert refused.status_code == 403 and refused.mimetype == "application/json"


def test_a_download_link_followed_after_the_session_ended_leads_to_the_login(store, app):
    response = app.server.test_client().get(f"/download/school/S001/{PUBLISHED_YEAR}.csv", headers=BROWSER)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/download/")
    assert app.server.test_client().get(f"/download/school/S001/{PUBLISHED_YEAR}.csv").status_code == 401


@pytest.mark.parametrize("path", ["/download/annotated/..%2F..%2Fstore.db", "/download/annotated/S001%2F..%2F..%2Fstore.db",
                                  "/download/school/..%2FS002/2025.xlsx"])
def test_a_path_trick_never_serves_a_file(store, app, path):
    _, accounts = store
    response = client_for(app, accounts["school"]).get(path)
    assert "Content-Disposition" not in response.headers
    assert not response.data.startswith(b"SQLite") and not response.data.startswith(b"PK")


def test_a_school_downloads_its_own_table_and_nothing_else(store, app):
    engine, accounts = store
    response = client_for(app, accounts["school"]).get(f"/download/school/S001/{PUBLISHED_YEAR}.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    cells = [str(c) for c in xlsx_cells(response.data)]
    assert any(c.startswith("第一中學（S001）") for c in cells)
    assert not any("S002" in c or "S003" in c or "alert(1)" in c for c in cells)
    assert count(engine, audit_log, audit_log.c.action == "export") == 1


def test_a_school_downloads_its_own_prefilled_template(store, app):
    _, accounts = store
    response = client_for(app, accounts["school"]).get("/download/template/S001")
    assert response.status_code == 200
    cells = [str(c) for c in _all_cells(response.data)]
    assert "S001" in cells and "第一中學" in cells


def _all_cells(data: bytes) -> list:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    return [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_the_bureau_downloads_the_published_circular_and_a_marked_draft(store, app, role):
    _, accounts = store
    client = client_for(app, accounts[role])
    published = client.get(f"/download/circular/{PUBLISHED_YEAR}.xlsx")
    assert published.status_code == 200
    cells = xlsx_cells(published.data)
    assert cells[0] == f"關於{PUBLISHED_YEAR}年度學校本質安全考評結果的通報"
    assert "<script>alert(1)</script>" in cells and "=1+2 小學" in cells  # as registered, text (quote prefix)
    assert client.get(f"/download/circular/{DRAFT_YEAR}.xlsx").status_code == 404  # not published
    draft = client.get(f"/download/circular/{DRAFT_YEAR}.csv?draft=1")
    assert draft.status_code == 200 and "草稿" in draft.data.decode("utf-8-sig").splitlines()[0]


def test_a_csv_download_names_its_charset_once(store, app):
    """Found by an audit: "text/csv; charset=utf-8; charset=utf-8" (Flask added the charset FORMATS gave)."""
    _, accounts = store
    circular = client_for(app, accounts["leader"]).get(f"/download/circular/{DRAFT_YEAR}.csv?draft=1")
    own = client_for(app, accounts["school"]).get(f"/download/school/S001/{PUBLISHED_YEAR}.csv")
    for response in (circular, own):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    workbook = client_for(app, accounts["school"]).get(f"/download/school/S001/{PUBLISHED_YEAR}.xlsx")
    assert workbook.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the school's upload ----------------------------------------------------------------------------


def upload(client, values: dict) -> str:
    """An upload as the page makes it: the check stores its outcome, then the report is drawn from it."""
    outcome = json.loads(response_text(call(client, "upload-outcome.data", values)))
    stored = outcome["response"]["upload-outcome"]["data"] if "response" in outcome else None
    return response_text(call(client, "upload-result.children",
                              {"upload-outcome.data": stored, "lang-store.data": values.get("lang-store.data")}))


def test_an_upload_of_another_schools_workbook_is_refused(store, app, tmp_path):
    engine, accounts = store
    other = school_workbook(SCHOOLS[1], tmp_path)
    text = json.loads(upload(client_for(app, accounts["school"]),
                             {"upload-workbook.contents": upload_contents(other), "upload-workbook.filename": "S002.xlsx",
                              "lang-store.data": "zh-Hant", "year.value": DRAFT_YEAR}))
    flat = json.dumps(text, ensure_ascii=False)
    assert "不是本校代碼" in flat and "upload-problems" in flat
    with engine.connect() as conn:
        assert conn.execute(select(records["school"])).first() is None  # nothing of S002's was stored


def test_the_upload_report_follows_the_language_switch_and_says_a_published_year_is_frozen(store, app):
    """The report is drawn from the stored outcome in the language chosen now (it stayed Chinese after a
    switch to English); in a published year the score line says the School page shows the frozen result."""
    _, accounts = store
    outcome = {"status": ["upload.loaded_with_problems", {"count": 1}, "warning"], "annotated": False,
               "year": PUBLISHED_YEAR,
               "problems": [{"level": "row", "sheet": "應急演練", "row": 3, "column": "演練日期", "value": "三月",
                             "reason_zh": "「三月」不是日期", "reason_en": "'三月' is not a date"}]}
    client = client_for(app, accounts["school"])
    drawn = {lang: response_text(call(client, "upload-result.children",
                                      {"upload-outcome.data": outcome, "lang-store.data": lang}))
             for lang in ("zh-Hant", "en")}
    assert "不是日期" in drawn["zh-Hant"] and "is not a date" not in drawn["zh-Hant"]
    assert "is not a date" in drawn["en"] and "不是日期" not in drawn["en"]
    assert "frozen" in drawn["en"] and "已凍結" in drawn["zh-Hant"]


def test_an_upload_outcome_the_page_never_stores_is_a_message_not_a_server_error(store, app):
    _, accounts = store
    forged = {"status": ["users.added", {"nope": 1}, "success"], "problems": [], "annotated": False, "year": 2026}
    response = call(client_for(app, accounts["school"]), "upload-result.children",
                    {"upload-outcome.data": forged, "lang-store.data": "en"})
    assert response.status_code == 200 and "upload-status" not in response_text(response)


def test_an_oversized_upload_is_refused_before_it_is_read(store, app, monkeypatch):
    from sync.settings import reset_caches

    _, accounts = store
    monkeypatch.setenv("SAFESCHOOL_MAX_UPLOAD_MB", "0.01")  # 10 KB
    reset_caches()
    big = b"PK" + b"\0" * 20_000
    text = upload(client_for(app, accounts["school"]),
                  {"upload-workbook.contents": upload_contents(big), "upload-workbook.filename": "big.xlsx",
                   "lang-store.data": "en"})
    assert "over the 0.01 MB limit" in text


def test_a_request_bigger_than_the_flask_limit_gets_413_or_the_upload_pages_too_big(store, app, monkeypatch):
    """Flask refuses a body over the limit before it is kept: a leader's gets a bare 413; a school's
    (only the upload sends megabytes) is read off, dropped, and answered as the upload callback
    answers a file over the limit, so the page says why; beyond DRAINED_BYTES it is a bare 413 too."""
    import json

    from dashboard.downloads import request_limit
    from dashboard.pages import upload

    _, accounts = store
    assert app.server.config["MAX_CONTENT_LENGTH"] == request_limit()
    body = b"x" * (request_limit() + 10)
    leader = client_for(app, accounts["leader"])
    assert leader.post("/_dash-update-component", data=body, content_type="application/json").status_code == 413
    school = client_for(app, accounts["school"])
    response = school.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 200
    status = json.loads(response.data)["response"]["upload-outcome"]["data"]["status"]
    assert status[0] == "upload.too_big" and status[1]["mb"] == "10"
    monkeypatch.setattr(upload, "DRAINED_BYTES", request_limit())
    assert school.post("/_dash-update-component", data=body, content_type="application/json").status_code == 413


def test_upload_callback_refuses_bureau_accounts(store, app, tmp_path):
    engine, accounts = store
    mine = school_workbook(SCHOOLS[0], tmp_path)
    text = upload(client_for(app, accounts["admin"]),
                  {"upload-workbook.contents": upload_contents(mine), "upload-workbook.filename": "a.xlsx"})
    assert "此頁供學校賬號上傳本校工作簿" in text
    assert count(engine, audit_log, audit_log.c.action == "upload") == 0


# --- what the office itself gets ------------------------------------------------------------------


def test_an_assessed_score_above_the_indicator_maximum_is_refused_in_the_form(store, app):
    engine, accounts = store
    text = response_text(call(client_for(app, accounts["admin"]), "insp-result.children", {
        "insp-save.n_clicks": 1, "insp-date.value": "2026-05-01", "insp-school.value": "S002", "insp-kind.value": "考評",
        "insp-indicator.value": "D1", "insp-assessed.value": 9}))
    assert "insp-error" in text and "0 至 8" in text and "assessed points" not in text  # one language at a time
    english = response_text(call(client_for(app, accounts["admin"]), "insp-result.children", {
        "insp-save.n_clicks": 1, "insp-date.value": "2026-05-01", "insp-school.value": "S002", "insp-kind.value": "考評",
        "insp-indicator.value": "D1", "insp-assessed.value": 9, "lang-store.data": "en"}))
    assert "insp-error" in english and "0 至 8" not in english and "D1" in english
    assert count(engine, records["inspections"]) == 0 and count(engine, inspection_changes) == 0


def test_a_finding_is_deleted_only_once_the_browser_confirmation_is_accepted(store, app):
    """Deleting recomputes the county and may lift a veto: the delete button sits in a confirmation, and
    the deletion runs on its submit, never on the bare click."""
    engine, accounts = store
    client = client_for(app, accounts["admin"])
    call(client, "insp-result.children", {"insp-save.n_clicks": 1, "insp-date.value": "2026-05-01",
                                          "insp-school.value": "S002", "insp-kind.value": "定期"})
    with engine.connect() as conn:
        record_id = conn.execute(select(records["inspections"].c.record_id)).scalar_one()
    inputs = [(i["id"], i["property"]) for spec in dash_app().callback_map.values() for i in spec["inputs"]]
    assert ("insp-delete-confirm", "submit_n_clicks") in inputs and ("insp-delete", "n_clicks") not in inputs
    text = response_text(call(client, "insp-result.children", {"insp-delete-confirm.submit_n_clicks": 1,
                                                               "insp-editing.data": record_id}))
    assert "insp-saved" in text and count(engine, records["inspections"]) == 0


def test_the_confirmation_lists_the_schools_whose_result_changed(store, app):
    _, accounts = store
    text = response_text(call(client_for(app, accounts["admin"]), "pub-confirm-body.children",
                              {"pub-open.n_clicks": 1, "pub-year.value": PUBLISHED_YEAR, "lang-store.data": "zh-Hant"}))
    assert "pub-confirm-changes" in text
    assert "0 所與上次不同" in text  # the 2025 draft equals its publication
    # The draft is computed to 31 Dec: until that day is over the year still runs and publishing it needs
    # the box ticked (so on every day the suite may run, the box is ticked here).
    text = response_text(call(client_for(app, accounts["admin"]), "pub-confirm-body.children",
                              {"pub-open.n_clicks": 1, "pub-year.value": DRAFT_YEAR, "pub-force.value": True,
                               "lang-store.data": "zh-Hant"}))
    assert "S003 =1+2 小學: – → 64.0" in text
    # Never published: a first publication, not "3 of 3 different from last time" (found by an audit).
    assert "首次發布：3 所學校" in text and "與上次不同" not in text


def test_the_audit_page_shows_actions_and_sync_runs_to_the_office(store, app):
    engine, accounts = store
    from dashboard import audit

    audit.record(engine, "boss", "export", None, {"what": "circular", "year": 2025})
    text = response_text(call(client_for(app, accounts["admin"]), "audit-entries.children",
                              {"audit-action.value": "export", "lang-store.data": "zh-Hant"}))
    assert "通報" in text and "導出" in text and REFUSED_ADMIN not in text


def test_delete_is_offered_only_while_a_finding_is_open(store, app):
    """Found by an audit: with no finding open, Delete asked "delete this finding?" about nothing."""
    _, accounts = store
    client = client_for(app, accounts["admin"])
    closed = json.loads(call(client, "insp-delete.disabled", {"lang-store.data": "zh-Hant"}).get_data(as_text=True))
    opened = json.loads(call(client, "insp-delete.disabled", {"insp-editing.data": 7, "lang-store.data": "zh-Hant"})
                        .get_data(as_text=True))
    assert closed["response"]["insp-delete"]["disabled"] is True
    assert opened["response"]["insp-delete"]["disabled"] is False


def test_admin_resets_a_password_and_disables_an_account(store, app):
    from dashboard.access import authenticate

    engine, accounts = store
    client = client_for(app, accounts["admin"])
    text = response_text(call(client, "users-toggle-result.children", {
        "users-reset.n_clicks": 1, "users-pick.value": "S002", "users-reset-password.value": "fresh-pass-9"}))
    assert "users-reset-ok" in text
    assert authenticate(engine, "S002", "fresh-pass-9") is not None
    call(client, "users-toggle-result.children", {"users-disable.n_clicks": 1, "users-pick.value": "S002"})
    assert authenticate(engine, "S002", "fresh-pass-9") is None
    assert count(engine, audit_log, audit_log.c.action == "users") == 2
    for button in ("users-disable", "users-enable", "users-reset"):  # no account chosen: say so, change nothing
        text = response_text(call(client, "users-toggle-result.children", {f"{button}.n_clicks": 1}))
        assert "users-choose-first" in text and "請先在上面選擇一個賬號" in text
    assert count(engine, audit_log, audit_log.c.action == "users") == 2


def test_a_password_typed_into_the_name_box_is_never_kept_nor_shown(store, app):
    """A failed log-in under a name that is no account is recorded as a digest of it: an officer who types
    the password into the name box (a common slip) left it in clear in the trail every bureau account
    reads (found by an audit).  Its address still shows; a real account's name still shows."""
    engine, accounts = store
    typed = accounts["school"][1]  # the school's password, in the user-name box
    app.server.test_client().post("/login", data={"username": typed, "password": ""})
    app.server.test_client().post("/login", data={"username": accounts["school"][0], "password": "wrong-one"})
    for role in ("leader", "admin"):
        text = response_text(call(client_for(app, accounts[role]), "audit-entries.children",
                                  {"audit-action.value": "login_failed", "lang-store.data": "en"}))
        assert typed not in text and "no such account" in text and accounts["school"][0] in text, role
    # keyed: a plain digest of the typed text was one word list away (found by a regression audit)
    import hashlib

    from dashboard import audit

    recorded = {e["username"] for e in audit.entries(engine, action="login_failed")}
    assert "?" + hashlib.sha256(typed.encode()).hexdigest()[:10] not in recorded
    assert any(name.startswith("?") and len(name) == 11 for name in recorded), recorded


def test_a_leader_reads_no_account_administration_in_the_trail(store, app):
    """Who has an account, each reset and disabling, are the accounts page's, which leaders do not have
    (README); the trail gave them all (found by an audit).  The office reads them."""
    engine, accounts = store
    from dashboard import audit

    audit.record(engine, "admin", "users", "S001", {"change": "reset", "account": "officer-s001"})
    for role, shown in (("leader", False), ("admin", True)):
        client = client_for(app, accounts[role])
        listed = response_text(call(client, "audit-entries.children", {"audit-action.value": None, "lang-store.data": "en"}))
        assert ("officer-s001" in listed) is shown, role
        offered = response_text(call(client, "audit-action.options", {"lang-store.data": "en"}))
        assert ('"users"' in offered) is shown, role
        refused = response_text(call(client, "audit-entries.children", {"audit-action.value": "users", "lang-store.data": "en"}))
        assert ("officer-s001" in refused) is shown, role


def test_the_audit_page_leads_with_the_schools_submissions_and_the_sync_runs(store, app):
    """What the office checks each day came second, under a card of log-ins (found by an audit); and the
    action picker's choices come from the viewer's callback, not a list of every action for everyone."""
    text = _page(app, store[1]["admin"], "/admin/audit")
    assert text.index("audit-submissions") < text.index("audit-syncs") < text.index("audit-entries")
    assert '"users"' not in text


def test_a_template_for_a_code_not_in_the_registry_is_refused_in_each_language_once(store, app):
    _, accounts = store
    client = client_for(app, accounts["admin"])
    asked = client.get("/download/template/S999")
    assert asked.status_code == 404
    assert asked.get_json() == {"error": "school S999 is not in the registry", "error_zh": "學校代碼 S999 不在學校名冊中"}
    page = client.get("/download/template/S999", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert page.count("不在學校名冊中") == 1 and page.count("is not in the registry") == 1


def test_a_finished_year_whose_last_sync_ran_before_31_dec_is_offered_without_the_box(store, app, monkeypatch):
    """On 2 Jan, a draft a sync computed to 20 Nov is not "still running" (the page said so, and asked for the
    box): publishing brings it to 31 Dec first, and freezes it as of that day without --force."""
    import sync.results
    from sync.results import ANNUAL

    engine, accounts = store
    monkeypatch.setattr(sync.results, "county_today", lambda: date(DRAFT_YEAR + 1, 1, 2))
    with engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.year == DRAFT_YEAR).values(as_of=date(DRAFT_YEAR, 11, 20)))
    client = client_for(app, accounts["admin"])
    asked = {"pub-year.value": DRAFT_YEAR, "lang-store.data": "en"}
    assert "null" in response_text(call(client, "pub-running.children", asked))
    confirm = json.loads(response_text(call(client, "pub-confirm-body.children", {
        **asked, "pub-open.n_clicks": 1, "pub-force.value": False})))["response"]
    assert confirm["pub-confirm"]["disabled"] is False
    text = response_text(call(client, "pub-result.children", {**asked, "pub-confirm.n_clicks": 1, "pub-force.value": False}))
    assert "pub-done" in text
    with engine.connect() as conn:
        frozen = conn.execute(select(scores.c.as_of).where(scores.c.publication_id.is_not(None), scores.c.kind == ANNUAL,
                                                           scores.c.year == DRAFT_YEAR)).scalars().all()
    assert frozen and set(frozen) == {date(DRAFT_YEAR, 12, 31)}
