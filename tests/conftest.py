"""Shared fixtures: real stores (SQLite file, PostgreSQL, MariaDB) and the browser.

A test that needs PostgreSQL, MariaDB or Chromium calls `require(...)` through
its fixture: with CI=true a missing service fails the test; on a laptop the
test is skipped with a message that says what to install.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sync import settings as settings_module

PG_ADMIN_URL = os.environ.get("SAFESCHOOL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN_URL = os.environ.get("SAFESCHOOL_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/")
CHROMIUM = os.environ.get("SAFESCHOOL_TEST_CHROMIUM", "/usr/bin/chromium")

HOW_TO_GET = {
    "postgresql": "start PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres",
    "mariadb": "start MariaDB on 127.0.0.1:3306 (root, empty password)",
    "chromium": "apt-get install -y chromium chromium-driver fonts-noto-cjk",
    "libreoffice": "apt-get install -y --no-install-recommends libreoffice-calc-nogui",
    "procfs": "run on Linux 4.14 or later, whose /proc/PID/smaps_rollup the benchmarks' memory figures read",
    "setpriv": "run the tests as root with util-linux's setpriv (apt-get install -y util-linux), as CI does",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(service: str, reason: str) -> None:
    """Fail in CI, skip elsewhere, when a real service the test needs is missing."""
    message = f"{service} is not available ({reason}); {HOW_TO_GET[service]}"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)  # only off CI: in CI the line above has failed the test


def _admin_engine(url: str, service: str):
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as err:  # any driver error means "not there"
        engine.dispose()
        require(service, str(err).splitlines()[0])
    return engine


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """No test reads the developer's own SAFESCHOOL_* environment or ./data."""
    for name in list(os.environ):
        if name.startswith("SAFESCHOOL_") and not name.startswith("SAFESCHOOL_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAFESCHOOL_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    settings_module.reset_caches()
    yield
    settings_module.reset_caches()


@pytest.fixture
def bureau_rubric(tmp_path, monkeypatch):
    """apply((old, new), ...): the default rubric with each `old` replaced by `new`, made the configured one
    (SAFESCHOOL_CONFIG names it) as a bureau's own copy is; _isolated_settings forgets it after the test."""
    from scoring.rubric import DEFAULT_RUBRIC

    def apply(*edits: tuple[str, str]) -> None:
        text = DEFAULT_RUBRIC.read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new)
        (tmp_path / "rubric.toml").write_text(text, encoding="utf-8")
        (tmp_path / "safeschool.toml").write_text('rubric = "rubric.toml"\n', encoding="utf-8")
        monkeypatch.setenv("SAFESCHOOL_CONFIG", str(tmp_path / "safeschool.toml"))
        settings_module.reset_caches()

    return apply


@pytest.fixture
def workers_see_patches(monkeypatch):
    """Checking workers forked from this process whatever threads an earlier test left running, so that a
    patch made here reaches them: sync.parallel otherwise starts them from a fork server, a clean import
    that never saw the patch (two tests failed so, now and then, after tests/test_cli_setup.py)."""
    import multiprocessing

    from sync import parallel

    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("fork"))


@pytest.fixture
def silent_port():
    """A local port whose listener takes every connection and never answers: a hung database server,
    or a firewall that drops the packets after the handshake."""
    import socket
    import threading

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    held = []
    threading.Thread(target=lambda: held.extend(silent.accept() for _ in range(16)), daemon=True).start()
    yield silent.getsockname()[1]
    silent.close()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin = _admin_engine(PG_ADMIN_URL, "postgresql")
    name = f"safeschool_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    from sync.store import engine_for

    engine_for.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def mariadb_url():
    """A fresh, empty MariaDB database for one test, dropped afterwards."""
    admin = _admin_engine(MARIADB_ADMIN_URL, "mariadb")
    name = f"safeschool_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    yield f"{MARIADB_ADMIN_URL.rstrip('/')}/{name}?charset=utf8mb4"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


# For a test of the product's logic above the store (which evaluations a recompute reruns, when a year is
# closed, what publishing refuses): the same code runs on every database, and a test of it on PostgreSQL as
# well cost the suite minutes of scoring and proved nothing more.  What the store itself does on PostgreSQL
# (the rows, JSON and dates it gives back, versions, locks, transactions) keeps its PostgreSQL variant:
# tests/test_results_store.py, test_sync_load.py and test_sync_concurrency.py each keep theirs.
sqlite_only = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """Run a store test on SQLite and on PostgreSQL: the same code must work on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(store_url):
    """A migrated, empty store on each dialect of store_url; a test file that needs one seeded, or on
    SQLite only, defines its own."""
    from sync.migrate import upgrade
    from sync.store import make_engine

    eng = make_engine(store_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def chromium() -> str:
    path = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if not path:
        require("chromium", f"{CHROMIUM} not found")
    return path


@pytest.fixture
def browser(chromium):
    """Debian's Chromium driven by Playwright (no downloaded browser), headless, as root."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM_ARGS

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def template_store(tmp_path_factory):
    """Schools, scores and one account per role, seeded once per test module (copied per test by `store`)."""
    from tests.test_security_support import seeded_store

    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    engine, accounts = seeded_store(f"sqlite:///{path}")
    engine.dispose()
    return path, accounts


@pytest.fixture
def store(template_store, sqlite_url):
    """A fresh copy of the seeded store for one test: (engine, accounts)."""
    from tests.test_security_support import copied_store

    path, accounts = template_store
    engine = copied_store(path, sqlite_url)
    yield engine, accounts
    engine.dispose()


@pytest.fixture(scope="module")
def shared_county(tmp_path_factory):
    """A county of eight schools with scores (tests.dashboard_fixtures.build_county), once per module."""
    from sync.store import make_engine
    from tests.dashboard_fixtures import build_county

    url = f"sqlite:///{tmp_path_factory.mktemp('county') / 'store.db'}"
    engine = make_engine(url)
    yield url, build_county(engine, n=8)
    engine.dispose()


@pytest.fixture
def app(monkeypatch, shared_county):
    """(the dashboard's app module, the county) reading `shared_county`; a module that needs the app on a
    store of its own defines its own `app`."""
    from dashboard import queries
    from sync import settings

    url, county = shared_county
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    monkeypatch.setenv("SAFESCHOOL_SECRET_KEY", "test-secret-of-32-characters-or-more")
    settings.reset_caches()
    queries.clear_caches()
    from dashboard import app as app_module

    yield app_module, county
    queries.clear_caches()
