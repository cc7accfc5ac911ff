"""The log-in page in the viewer's language: Traditional first, Simplified and English a link away.

A Chinese page keeps the English beside each label (an English reader finds the form before the
switch); the language asked for rides along with a failed log-in, and the links keep where the viewer
was going.  The browser test (test_browser_admin_flows) pins that the page and the dashboard share the
choice kept in the browser.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.test_security_support import dash_app


@pytest.fixture
def app():
    return dash_app()


def _links(page: str) -> dict[str, dict]:
    return {lang: parse_qs(urlsplit(href.replace("&amp;", "&")).query)
            for href, lang in re.findall(r'<a href="([^"]+)" lang="([^"]+)"', page)}


@pytest.mark.parametrize("asked, shown, absent", [
    (None, ["賬號 / User name", "密碼 / Password", "登錄 / Sign in", '<html lang="zh-Hant">'], ["账号"]),
    ("zh-Hans", ["账号 / User name", "密码 / Password", "登录 / Sign in", "学校本质安全考评", '<html lang="zh-Hans">'],
     ["賬號", "密碼", "學校"]),
    ("en", [">User name<", ">Password<", ">Sign in<", "School Safety Evaluation", '<html lang="en">'],
     ["賬號", "账号", "登錄"]),
    ("klingon", ["賬號 / User name", '<html lang="zh-Hant">'], ["klingon"]),
])
def test_the_log_in_page_speaks_the_language_asked_for(store, app, asked, shown, absent):
    page = app.server.test_client().get("/login" + (f"?lang={asked}" if asked else "")).get_data(as_text=True)
    for text in shown:
        assert text in page
    for text in absent:
        assert text not in page


def test_the_other_languages_are_a_link_away_and_keep_where_the_viewer_was_going(store, app):
    page = app.server.test_client().get("/login?next=/trends&lang=zh-Hans").get_data(as_text=True)
    links = _links(page)
    assert set(links) == {"zh-Hant", "en"}  # the page's own language is not a link
    assert links["en"] == {"lang": ["en"], "next": ["/trends"]}
    assert "繁體中文" in page and "English" in page and "简体中文" in page
    # the chosen one is heard as the current one, not only seen in bold (found by the accessibility audit)
    assert re.findall(r'aria-current="true">([^<]+)<', page) == ["简体中文"]


def test_a_failed_log_in_answers_in_the_language_of_its_form(store, app):
    response = app.server.test_client().post("/login", data={"username": "nobody", "password": "wrong-password",
                                                             "lang": "zh-Hans"})
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "账号或密码不正确，或账号已停用 / Wrong user name or password" in page
    assert '<input type="hidden" name="lang" value="zh-Hans">' in page
    english = app.server.test_client().post("/login", data={"username": "nobody", "password": "wrong-password",
                                                            "lang": "en"}).get_data(as_text=True)
    assert "Wrong user name or password" in english and "账号或密码" not in english and "賬號或密碼" not in english


def test_a_log_in_while_the_store_is_down_is_told_so_not_a_bare_server_error(store, app, monkeypatch):
    """Found by an audit: a bare 500."""
    from sync.settings import reset_caches

    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none")  # port 1: nobody
    reset_caches()
    try:
        response = app.server.test_client().post("/login", data={"username": "boss", "password": "admin-pass-1",
                                                                 "lang": "zh-Hans"})
    finally:
        monkeypatch.undo()
        reset_caches()
    assert response.status_code == 503
    assert "数据库没有响应" in response.get_data(as_text=True)


def test_a_session_ends_after_a_working_day_unused_and_is_secure_when_served_over_https(store, app):
    """Found by an audit: a session cookie was good for Flask's 31 days, and never marked Secure."""
    from dashboard.access import SESSION_IDLE

    _, accounts = store
    response = app.server.test_client().post("/login", data=dict(zip(("username", "password"), accounts["admin"],
                                                                     strict=True)))
    cookie = response.headers["Set-Cookie"]
    assert response.status_code == 302 and "Expires=" in cookie and "HttpOnly" in cookie
    assert app.server.permanent_session_lifetime == SESSION_IDLE and SESSION_IDLE.total_seconds() == 12 * 3600
    assert "Secure" not in cookie  # a bureau intranet on plain http keeps its log-ins (SAFESCHOOL_HTTPS unset)
    assert app.server.config["SESSION_COOKIE_SECURE"] is False


def test_the_https_setting_marks_the_session_cookie_secure(monkeypatch):
    from flask import Flask

    from dashboard.access import install_gate
    from sync.settings import reset_caches

    monkeypatch.setenv("SAFESCHOOL_HTTPS", "true")
    monkeypatch.setenv("SAFESCHOOL_SECRET_KEY", "test-secret-of-32-characters-or-more")
    reset_caches()
    try:
        server = Flask("https-test")
        install_gate(server, lambda: None)
    finally:
        monkeypatch.undo()
        reset_caches()
    assert server.config["SESSION_COOKIE_SECURE"] is True and server.config["REMEMBER_COOKIE_SECURE"] is True
