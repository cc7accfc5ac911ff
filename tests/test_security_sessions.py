"""Log-in, log-out and the gate, against the requests an attacker sends (found by an audit).

A copied session cookie must stop working at log-out and at a new password; a `next=` that a
browser reads as another host never redirects there; guessing passwords is stopped; only the
log-in page, the health check and real asset files are open without a session; values a page
never sends get a message, not a server error.
"""

from __future__ import annotations

import dash
import pytest

from dashboard import access
from dashboard.access import MAX_FAILED_LOGINS, _safe_next, authenticate
from sync import accounts as account_store
from sync.accounts import has_password, set_active, set_password
from tests.test_security_support import DRAFT_YEAR, call, client_for, dash_app, response_text


@pytest.fixture
def app():
    return dash_app()


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _client_with(app, cookie: str):
    client = app.server.test_client()
    client.set_cookie("session", cookie)
    return client


def test_a_session_cookie_copied_before_log_out_is_refused_after_it(store, app):
    _engine, accounts = store
    client = client_for(app, accounts["school"], fresh=True)
    copied = _cookie(client)
    assert _client_with(app, copied).get("/upload").status_code == 200
    client.get("/logout")
    assert _client_with(app, copied).get("/upload").status_code == 302
    assert _client_with(app, copied).post("/_dash-update-component", json={}).status_code == 401


def test_a_new_password_ends_the_sessions_of_the_account(store, app):
    engine, accounts = store
    copied = _cookie(client_for(app, accounts["school"], fresh=True))
    set_password(engine, accounts["school"][0], "a-new-pass-77")
    assert _client_with(app, copied).get("/upload").status_code == 302
    fresh = app.server.test_client()
    assert fresh.post("/login", data={"username": accounts["school"][0], "password": "a-new-pass-77"}).status_code == 302


@pytest.mark.parametrize("next_url", ["/%09/evil.example", "/\t/evil.example", "/\n/evil.example", "//evil.example",
                                      "/\\evil.example", "https://evil.example/", "/ /evil.example"])
def test_a_next_address_a_browser_reads_as_another_host_goes_home(next_url):
    from urllib.parse import unquote

    assert _safe_next(unquote(next_url)) == "/"


def test_log_in_with_a_tab_trick_in_next_lands_on_this_server(store, app):
    _engine, accounts = store
    client = app.server.test_client()
    user, password = accounts["school"]
    response = client.post("/login?", data={"username": user, "password": password, "next": "/\t/evil.example"})
    # home: for a school's account, its own page
    assert response.status_code == 302 and response.headers["Location"] == f"/school/{user}"


def test_guessing_a_password_locks_the_account_for_a_while_from_that_address_only(store, app):
    """Ten wrong passwords refuse the account to the guesser's address; the account's owner, elsewhere,
    still logs in (counted per account only, anyone could lock the bureau out of its own accounts)."""
    _engine, accounts = store
    user, password = accounts["leader"]
    client = app.server.test_client()
    guesser, owner = {"REMOTE_ADDR": "10.9.9.9"}, {"REMOTE_ADDR": "10.1.1.1"}
    for _ in range(MAX_FAILED_LOGINS):
        assert client.post("/login", data={"username": user, "password": "guess-guess"},
                           environ_base=guesser).status_code == 401
    refused = client.post("/login", data={"username": user, "password": password}, environ_base=guesser)
    assert refused.status_code == 429 and "15" in refused.get_data(as_text=True)
    other_user, other_password = accounts["admin"]  # another account is not locked
    assert client.post("/login", data={"username": other_user, "password": other_password},
                       environ_base=guesser).status_code == 302
    assert app.server.test_client().post("/login", data={"username": user, "password": password},
                                         environ_base=owner).status_code == 302


def test_one_password_tried_on_many_accounts_stops_that_address(store, app, monkeypatch):
    """MAX_FAILED_FROM_ADDRESS failures over any accounts (one guess at each school's account) refuse the
    address (made small here: the real one is high, for a county behind one network exit)."""

    monkeypatch.setattr(access, "MAX_FAILED_FROM_ADDRESS", 30)
    MAX_FAILED_FROM_ADDRESS = access.MAX_FAILED_FROM_ADDRESS
    _engine, accounts = store
    sprayer = {"REMOTE_ADDR": "10.7.7.7"}
    client = app.server.test_client()
    for n in range(MAX_FAILED_FROM_ADDRESS):
        assert client.post("/login", data={"username": f"school-{n:03d}", "password": "123456"},
                           environ_base=sprayer).status_code == 401
    user, password = accounts["admin"]
    assert client.post("/login", data={"username": user, "password": password},
                       environ_base=sprayer).status_code == 429
    assert client.post("/login", data={"username": user, "password": password},
                       environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 302


def test_an_account_guessed_at_from_many_addresses_lets_in_only_addresses_it_used_before(store, app, monkeypatch):
    """Guessers spread over many addresses stay under the per-address limits; past MAX_FAILED_OF_ACCOUNT
    failures of the account (made small here) it is let in only from an address it logged in from before:
    the leader's office keeps working, a fresh address is refused even with the right password."""

    monkeypatch.setattr(access, "MAX_FAILED_OF_ACCOUNT", 12)
    _engine, accounts = store
    user, password = accounts["leader"]
    office = {"REMOTE_ADDR": "10.1.1.1"}
    assert app.server.test_client().post("/login", data={"username": user, "password": password},
                                         environ_base=office).status_code == 302
    for n in range(access.MAX_FAILED_OF_ACCOUNT):
        assert app.server.test_client().post("/login", data={"username": user, "password": "guess"},
                                             environ_base={"REMOTE_ADDR": f"10.8.0.{n}"}).status_code == 401
    fresh = app.server.test_client().post("/login", data={"username": user, "password": password},
                                          environ_base={"REMOTE_ADDR": "10.8.1.1"})
    assert fresh.status_code == 429
    assert app.server.test_client().post("/login", data={"username": user, "password": password},
                                         environ_base=office).status_code == 302
    other, other_password = accounts["admin"]  # another account is untouched
    assert app.server.test_client().post("/login", data={"username": other, "password": other_password},
                                         environ_base={"REMOTE_ADDR": "10.8.1.1"}).status_code == 302


@pytest.mark.parametrize("path", ["/loginx", "/login/anything", "/healthzzz", "/assets/", "/assets/nothing-here.css",
                                  "/assets/../sync/settings.py"])
def test_only_exact_open_paths_and_real_assets_pass_the_gate(app, path):
    response = app.server.test_client().get(path)
    assert response.status_code in (302, 401, 404) and "dash-config" not in response.get_data(as_text=True)


def test_a_real_asset_is_served_without_a_session(app):
    assert app.server.test_client().get("/assets/00-bootstrap-5.3.3.min.css").status_code == 200


@pytest.mark.parametrize("year", ["abc", [1], {"x": 1}])
def test_a_year_the_page_never_sends_gets_a_message_not_a_server_error(store, app, year):
    _engine, accounts = store
    client = client_for(app, accounts["school"])
    response = call(client, "school-content.children", {"lang-store.data": "zh-Hant", "year.value": year,
                                                        "school-code.data": "S001"})
    assert response.status_code == 200 and "請求的內容無效" in response_text(response)


def test_the_own_page_still_renders_for_a_real_year(store, app):
    _engine, accounts = store
    response = call(client_for(app, accounts["school"]), "school-content.children",
                    {"lang-store.data": "zh-Hant", "year.value": DRAFT_YEAR, "school-code.data": "S001"})
    assert response.status_code == 200 and "請求的內容無效" not in response_text(response)


@pytest.mark.parametrize("output,values", [
    ("hm-figure.figure", {"year.value": "abc", "hm-measure.value": "drills"}),
    ("hm-figure.figure", {"year.value": DRAFT_YEAR, "hm-page.active_page": "x"}),
    ("hm-figure.figure", {"year.value": DRAFT_YEAR, "hm-measure.value": {"x": 1}, "hm-groups.value": [{"a": 1}]}),
    ("hm-groups.options", {"year.value": "abc"}),
    ("upload-result.children", {"upload-outcome.data": {"status": ["upload.loaded", {"rows": 1}, "success"],
                                                        "problems": ["x"], "annotated": False, "year": DRAFT_YEAR}}),
])
def test_forged_callback_values_get_an_answer_not_a_server_error(store, app, output, values):
    """Found by an audit: each of these was a 500 with a traceback in the log."""
    _engine, accounts = store
    response = call(client_for(app, accounts["school"]), output, {"lang-store.data": "en", **values})
    assert response.status_code in (200, 204), response_text(response)[:300]


def test_forged_clicks_and_label_ids_are_ignored(store, app):
    from flask_login import login_user

    from dashboard.access import authenticate
    from dashboard.layout import translate_labels
    from dashboard.pages import heatmaps, overview

    engine, accounts = store
    school = authenticate(engine, *accounts["school"])
    with app.server.test_request_context("/"):
        login_user(school)
        assert overview.open_school_from_ranking("S001") is dash.no_update
        assert overview.open_school_from_ranking({"rowId": ["S001"]}) is dash.no_update
        assert heatmaps.open_school_from_heatmap({"points": "S001"}) is dash.no_update
        assert heatmaps.open_school_from_heatmap({"points": ["S001"]}) is dash.no_update
        assert translate_labels("en", [{"type": "t", "n": 1}, "x"]) == ["", ""]


def test_healthz_says_ok_only_while_the_store_answers(store, app, monkeypatch):
    """Found by an audit: /healthz answered "ok" while every log-in failed on a store that was down."""
    from sync import settings
    from sync.store import engine_for

    client = app.server.test_client()
    assert client.get("/healthz").status_code == 200
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none")
    settings.reset_caches()
    try:
        down = client.get("/healthz")
        assert down.status_code == 503 and "cannot be reached" in down.get_data(as_text=True)
    finally:
        monkeypatch.undo()
        settings.reset_caches()
        engine_for.cache_clear()


def test_healthz_takes_a_dashboard_out_once_a_newer_safeschool_has_upgraded_its_store(store, app):
    """Found by the deployment audit: a gunicorn worker left running while a newer checkout ran `init`
    answered ok, and went on writing uploads, findings and publications with its older code."""
    from sqlalchemy import text

    from sync.migrate import current_revision

    engine, _accounts = store
    client = app.server.test_client()
    ours = current_revision(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    try:
        newer = client.get("/healthz")
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :ours"), {"ours": ours})
    assert newer.status_code == 503 and "newer safeschool" in newer.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_a_disabled_accounts_sessions_stay_ended_when_it_is_enabled_again(store, app):
    """Disabling ended nothing: enabled again (the office re-opens the account for the school's new
    officer; `demo-accounts` re-enables too), every cookie issued before it, the departed officer's or a
    stolen copy, worked again (found by an audit)."""
    engine, accounts = store
    name = accounts["school"][0]
    copied = client_for(app, accounts["school"], fresh=True).get_cookie("session").value
    assert _client_with(app, copied).get("/_dash-layout").status_code == 200
    set_active(engine, name, False)
    assert _client_with(app, copied).get("/_dash-layout").status_code == 401
    set_active(engine, name, True)
    # The account is open again for a new log-in, not for the cookie copied before it was disabled.
    assert _client_with(app, copied).get("/_dash-layout").status_code == 401


def test_a_password_reset_is_not_undone_by_a_log_in_that_rehashes_the_old_password(store, monkeypatch):
    """A log-in stores the password again when its hash needs newer parameters: only over the hash it
    verified, or a log-in with the old password racing the office's reset (the moment an account is
    known to be compromised) wrote it back over the new one (found by an audit).  The reset is made to
    land between the verify and the rehash."""
    from argon2 import PasswordHasher

    from sync.store import users

    engine, accounts = store
    name, old = accounts["school"]
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(old)
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.username == name).values(password_hash=weak))
    assert account_store._hasher.check_needs_rehash(weak)
    real_verify = account_store._verify
    fired = []

    def verify_then_the_office_resets(password_hash, password):
        ok = real_verify(password_hash, password)
        if not fired:
            fired.append(True)
            set_password(engine, name, "office-new-pass-77")  # the admin's reset, at that moment
        return ok

    monkeypatch.setattr(account_store, "_verify", verify_then_the_office_resets)
    authenticate(engine, name, old)
    monkeypatch.setattr(account_store, "_verify", real_verify)
    assert has_password(engine, name, "office-new-pass-77"), "the reset was overwritten by the old password"
    assert not has_password(engine, name, old)


def test_enabling_an_account_that_is_enabled_ends_no_session(store, app):
    """`demo-accounts` and a click on Enable ask an active account to be active: nothing changes, and its
    sessions go on (found by a regression audit: every demo user, or the admin clicking on himself, was
    logged out)."""
    engine, accounts = store
    cookie = client_for(app, accounts["admin"], fresh=True).get_cookie("session").value
    set_active(engine, accounts["admin"][0], True)
    assert _client_with(app, cookie).get("/_dash-layout").status_code == 200
