"""Accounts and sessions: argon2 hashes, roles, disabled accounts, the log-in redirect, the navbar per role."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard import access
from dashboard.access import Viewer, authenticate, load_viewer
from sync.accounts import create_user, set_active, set_password
from sync.errors import UserError
from sync.store import users
from tests.test_admin_support import make_store
from tests.test_security_support import client_for, dash_app, response_text


@pytest.fixture
def engine(sqlite_url):
    engine = make_store(sqlite_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("", "long-enough-1", "admin"), "user name"),
        (("x", "long-enough-1", "root"), "unknown"),
        (("x", "long-enough-1", "school"), "--school"),
        (("x", "long-enough-1", "leader", "S001"), "leave out"),
        (("x", "short", "admin"), "at least 8"),
        # what a guesser tries first: refused whatever the length
        (("x", "12345678", "admin"), "first anyone guesses"),
        (("x", "87654321", "admin"), "first anyone guesses"),
        (("x", "abcdefghij", "admin"), "first anyone guesses"),
        (("x", "88888888", "leader"), "first anyone guesses"),
        (("x", "11112222", "leader"), "first anyone guesses"),
        (("x", "Password1", "admin"), "first anyone guesses"),
        (("x", "woaini1314", "admin"), "first anyone guesses"),
        (("S001", "s001", "school", "S001"), "at least 8"),
        (("school-one", "School-One", "school", "S001"), "not be the user name"),
        # a configuration audit: PostgreSQL said "the store cannot be used (value too long)"; SQLite kept it
        (("a" * 101, "long-enough-1", "admin"), "at most 100 characters"),
        (("x", "long-enough-1", "admin", None, "名" * 201), "at most 200 characters"),
    ],
)
def test_bad_accounts_are_refused_with_a_reason(engine, args, words):
    with pytest.raises(UserError, match=words) as err:
        create_user(engine, *args)
    assert err.value.zh, "said in Chinese too (an admin with --school was English only: a configuration audit)"


def test_a_user_name_is_taken_once(engine):
    create_user(engine, "boss", "admin-pass-1", "admin")
    with pytest.raises(UserError, match="exists already"):
        create_user(engine, "boss", "other-pass-2", "admin")


def test_passwords_are_stored_as_argon2_and_checked(engine):
    create_user(engine, "S001", "school-pass-1", "school", "S001")
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$")
    assert authenticate(engine, "S001", "school-pass-1") == Viewer(1, "S001", "school", "S001", None)
    assert authenticate(engine, "S001", "school-pass-2") is None
    assert authenticate(engine, "nobody", "school-pass-1") is None


def test_a_disabled_account_can_neither_log_in_nor_keep_its_session(engine):
    viewer = create_user(engine, "chief", "leader-pass-1", "leader")
    session = f"{viewer.user_id}.0"  # the session id as the log-in gives it: the account and its epoch
    assert load_viewer(engine, session) is not None
    set_active(engine, "chief", False)
    assert authenticate(engine, "chief", "leader-pass-1") is None
    assert load_viewer(engine, session) is None
    assert load_viewer(engine, f"{viewer.user_id}.1") is None  # the epoch disabling moved to: still disabled
    assert load_viewer(engine, "not a number") is None


def test_a_school_sees_its_own_details_only():
    school = Viewer(3, "S001", "school", "S001")
    assert school.can_see_school("S001") and not school.can_see_school("S002") and not school.can_see_school(None)
    assert Viewer(1, "boss", "admin", None).can_see_school("S002")
    assert Viewer(2, "chief", "leader", None).can_see_school("S002")


@pytest.mark.parametrize("target", ["//evil.example/x", "http://evil.example/", "\\\\evil", "javascript:alert(1)", ""])
def test_the_login_never_redirects_off_this_server(target):
    assert access._safe_next(target) == "/"


def test_a_session_ends_when_the_account_is_disabled(store):
    engine, accounts = store
    client = client_for(dash_app(), accounts["leader"], fresh=True)
    assert client.get("/_dash-layout").status_code == 200
    set_active(engine, "chief", False)
    assert client.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("admin", {"nav-users", "nav-publish", "nav-inspections", "nav-audit", "nav-exports"}, {"nav-upload"}),
        ("leader", {"nav-exports", "nav-publish", "nav-inspections", "nav-audit"}, {"nav-users", "nav-upload"}),
        ("school", {"nav-upload", "nav-exports"}, {"nav-users", "nav-publish", "nav-inspections", "nav-audit"}),
    ],
)
def test_the_navbar_offers_each_role_its_own_pages(store, role, shown, hidden):
    _, accounts = store
    layout = response_text(client_for(dash_app(), accounts[role]).get("/_dash-layout"))
    for element in shown:
        assert f'"{element}"' in layout
    for element in hidden:
        assert f'"{element}"' not in layout


_SECRET_RACE = """
import sys, time
start_at = float(sys.argv[1])
from dashboard.access import secret_key
while time.time() < start_at:
    pass
print(secret_key())
"""


def test_workers_starting_together_on_a_new_server_share_one_whole_secret_key(tmp_path, monkeypatch):
    """gunicorn starts its workers at once: each must read the same, complete session key (an empty
    one, read while another worker was still writing it, refused every log-in of that worker)."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    monkeypatch.delenv("SAFESCHOOL_SECRET_KEY", raising=False)
    script = tmp_path / "race.py"
    script.write_text(_SECRET_RACE)
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != "SAFESCHOOL_SECRET_KEY"} | {"PYTHONPATH": str(root)}
    for attempt in range(2):
        work = tmp_path / f"server{attempt}"
        work.mkdir()
        start_at = time.time() + 2.0  # every process imported and waiting, then all at once
        procs = [subprocess.Popen([sys.executable, str(script), str(start_at)], cwd=work, env=env,
                                  stdout=subprocess.PIPE, text=True) for _ in range(6)]
        keys = {p.communicate(timeout=60)[0].strip() for p in procs}
        assert len(keys) == 1 and len(keys.pop()) == 64, attempt
        assert [p.name for p in (work / "data").iterdir()] == [".secret_key"]  # no draft left behind


def test_an_empty_secret_key_file_is_replaced_not_used(tmp_path, monkeypatch):
    """What a worker killed between creating and writing the key leaves: never a key of nothing."""
    monkeypatch.delenv("SAFESCHOOL_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    from sync.settings import reset_caches

    reset_caches()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / ".secret_key").write_text("")
    key = access.secret_key()
    assert len(key) == 64 and access.secret_key() == key
    assert (tmp_path / "data" / ".secret_key").read_text() == key


def test_the_last_active_admin_cannot_be_disabled(engine):
    """Found by an audit: `users disable admin` left no admin to manage accounts or publish."""
    create_user(engine, "boss", "admin-pass-1", "admin")
    create_user(engine, "clerk", "school-pass-1", "leader")
    with pytest.raises(UserError, match="the only active admin") as refused:
        set_active(engine, "boss", False)
    assert "唯一可用的管理員" in refused.value.zh
    assert authenticate(engine, "boss", "admin-pass-1") is not None
    set_active(engine, "clerk", False)  # any other account may be
    create_user(engine, "deputy", "admin-pass-2", "admin")
    set_active(engine, "boss", False)  # with another admin there
    assert authenticate(engine, "boss", "admin-pass-1") is None


def test_an_admin_account_given_a_school_is_told_so_in_plain_english(engine):
    with pytest.raises(UserError, match="an admin account reads every school; leave out --school"):
        create_user(engine, "boss", "admin-pass-1", "admin", school_code="S1")


@pytest.mark.parametrize("password", ["correct horse 1", "school-demo-2026", "a1b2c3d4", "湖畔小學保安室2026"])
def test_a_password_no_guesser_tries_first_is_taken(engine, password):
    create_user(engine, "clerk", password, "admin")
    assert authenticate(engine, "clerk", password) is not None


def test_a_new_password_is_held_to_the_same_rule_as_the_first(engine):
    create_user(engine, "safety-clerk", "long-enough-1", "admin")
    with pytest.raises(UserError, match="first anyone guesses") as refused:
        set_password(engine, "safety-clerk", "qwertyuiop")
    assert "很容易被猜中" in refused.value.zh
    with pytest.raises(UserError, match="not be the user name"):
        set_password(engine, "safety-clerk", "SAFETY-CLERK")
    assert authenticate(engine, "safety-clerk", "long-enough-1") is not None


def test_every_page_names_the_configured_issuer_not_the_placeholder(store, tmp_path, monkeypatch):
    """A deployment audit: with [circular] issuer = "測試縣教育和體育局" every page's footer still read
    XX縣教育和體育局 (the catalogue's text)."""
    from sync.settings import reset_caches

    (tmp_path / "county.toml").write_text('[circular]\nissuer = "測試縣教育和體育局"\n', encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(tmp_path / "county.toml"))
    reset_caches()
    _, accounts = store
    layout = response_text(client_for(dash_app(), accounts["school"]).get("/_dash-layout"))
    assert "測試縣教育和體育局" in layout and "XX縣" not in layout


@pytest.mark.parametrize("key", ["x", "abcdefghij01234", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababab"])
def test_a_session_key_that_could_be_guessed_stops_the_dashboard_but_not_a_sync(monkeypatch, key):
    """A deployment audit: SAFESCHOOL_SECRET_KEY=x served the dashboard, and whoever guesses the key can sign a
    cookie that logs in as any account.  A review: checked where the key is used, so a short key set on a server
    never stops its scheduled syncs."""
    from sync.errors import ConfigError
    from sync.settings import get_settings, reset_caches

    monkeypatch.setenv("SAFESCHOOL_SECRET_KEY", key)
    reset_caches()
    assert get_settings().secret_key == key  # read, as the sync reads its settings
    with pytest.raises(ConfigError, match="could be guessed") as err:
        access.secret_key()
    assert "token_hex(32)" in str(err.value) and "可被猜出" in err.value.zh


def test_a_random_key_of_sixteen_characters_or_more_is_taken(monkeypatch):
    from sync.settings import reset_caches

    monkeypatch.setenv("SAFESCHOOL_SECRET_KEY", "Zq4+8nW0vK2pLx7e")  # openssl rand -base64 12
    reset_caches()
    assert access.secret_key() == "Zq4+8nW0vK2pLx7e"


def test_a_password_reset_of_an_account_gone_says_so_in_chinese_too(engine):
    """The Accounts page shows the error in the reader's language: a reset of an account removed meanwhile (a
    stale picker) said "There is no user 'nobody'" on a Chinese page, where disabling it says 沒有賬號 (a review)."""
    from sync.errors import UserError

    with pytest.raises(UserError) as err:
        set_password(engine, "nobody", "long-enough-1")
    assert err.value.zh == "沒有賬號「nobody」" and "there is no user 'nobody'" in str(err.value)
