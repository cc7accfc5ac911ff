"""`safeschool copy-store`: a desk's SQLite store moved whole into the bureau's PostgreSQL or MariaDB,
and the copy goes on working (README "Backup, restore and moving the store")."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from sync.cli import main
from sync.settings import reset_caches
from sync.store import locks, make_engine, metadata, sync_runs, users

TODAY = "2026-11-28"


def run(*args: str, stdin: str | None = None):
    reset_caches()
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.fixture(scope="module")
def desk_template(tmp_path_factory):
    """A SQLite store as a desk leaves it: a demo county synced and scored, a year published (its circular's
    files kept with it), an account (built once: each test copies the file)."""
    folder = tmp_path_factory.mktemp("desk")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFESCHOOL_DATABASE_URL", f"sqlite:///{folder / 'desk.db'}")
        patch.setenv("SAFESCHOOL_INBOX", str(folder / "inbox"))
        assert run("init").exit_code == 0
        assert run("demo", "--schools", "4", "--seed", "7", "--today", TODAY).exit_code == 0
        run("sync", "--once", "--quiet")  # the demo county's deliberate mistakes refuse a file or two: exit 1
        assert run("publish", "--year", "2025").exit_code == 0
        added = run("users", "add", "office", "--role", "admin", "--password-stdin", stdin="office-pass-1\n")
        assert added.exit_code == 0, added.output
    reset_caches()
    make_engine(f"sqlite:///{folder / 'desk.db'}").dispose()
    return folder


@pytest.fixture
def desk_store(desk_template, tmp_path, monkeypatch):
    shutil.copytree(desk_template, tmp_path / "desk")
    url = f"sqlite:///{tmp_path / 'desk' / 'desk.db'}"
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    monkeypatch.setenv("SAFESCHOOL_INBOX", str(tmp_path / "desk" / "inbox"))
    return url


def _tables(url: str, drop_microseconds: bool = False) -> dict[str, list[tuple]]:
    engine = make_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table is locks:
                continue
            keys = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*keys)).all()
            out[table.name] = [tuple(v.replace(microsecond=0) if drop_microseconds and hasattr(v, "microsecond")
                                     else v for v in row) for row in rows]
    engine.dispose()
    return out


@pytest.mark.parametrize("target", ["pg_url", "mariadb_url"])
def test_a_desks_store_copied_to_the_bureaus_database_holds_the_same_rows_and_goes_on_working(
        desk_store, target, request):
    target_url = request.getfixturevalue(target)
    copied = run("copy-store", target_url)
    assert copied.exit_code == 0, copied.output
    assert "SAFESCHOOL_DATABASE_URL" in copied.output and "Traceback" not in copied.output
    # MariaDB's DATETIME keeps whole seconds, as a store made there does
    before, after = _tables(desk_store, drop_microseconds=target == "mariadb_url"), _tables(target_url)
    assert {name: len(rows) for name, rows in after.items()} == {name: len(rows) for name, rows in before.items()}
    assert after == before
    assert before["drills"] and before["scores"] and before["publications"] and before["rejected_rows"]
    # the circular's files kept with the publication (xlsx, docx, csv), their bytes as they were
    assert len(before["circular_files"]) == 3 and all(isinstance(row[-1], bytes) and row[-1] for row in after["circular_files"])
    # Working on: a new account and a new sync run get ids past the copied ones (left at 1, the next
    # insert failed on a duplicate key).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFESCHOOL_DATABASE_URL", target_url)
        assert run("users", "add", "leader2", "--role", "leader", "--password-stdin", stdin="leader-pass-1\n").exit_code == 0
        run("sync", "--once", "--quiet")
    engine = make_engine(target_url)
    with engine.connect() as conn:
        assert conn.execute(select(users.c.username).where(users.c.username == "leader2")).scalar() == "leader2"
        assert conn.execute(select(sync_runs.c.run_id)).scalars().all() == sorted(
            {row[0] for row in before["sync_runs"]} | {max(row[0] for row in before["sync_runs"]) + 1})
    engine.dispose()


def test_a_copy_into_a_database_that_holds_a_store_is_refused_and_leaves_it_as_it_was(desk_store, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert run("copy-store", other).exit_code == 0
    again = run("copy-store", other)
    assert again.exit_code == 2 and "not empty" in again.output and "Traceback" not in again.output
    assert _tables(other) == _tables(desk_store)


def test_a_copy_into_the_store_itself_is_refused(desk_store):
    itself = run("copy-store", desk_store)
    assert itself.exit_code == 2 and "the store itself" in itself.output


def test_a_target_url_with_a_bare_at_in_its_password_is_refused_saying_how_to_write_it(desk_store):
    bad = run("copy-store", "postgresql+psycopg://postgres:Admin@123@127.0.0.1/safeschool")
    assert bad.exit_code == 2 and "%40" in bad.output and "Admin@123" not in bad.output


def test_a_copy_the_target_refuses_part_way_leaves_it_empty_and_says_which_table(desk_store, pg_url):
    """SQLite keeps a text longer than its column; PostgreSQL refuses it.  The whole copy is rolled back:
    the target holds no half of a store, and the message names the table."""
    engine = make_engine(desk_store)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET display_name = :long WHERE username = 'office'"), {"long": "辦" * 500})
    engine.dispose()
    result = run("copy-store", pg_url)
    assert result.exit_code == 2 and "users" in result.output and "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert not any(_tables(pg_url).values())


def test_a_target_database_not_yet_created_is_named_as_the_target_not_the_store(desk_store):
    missing = run("copy-store", "postgresql+psycopg://postgres@127.0.0.1:5432/safeschool_copy_never_created")
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    assert "TARGET_URL" in missing.output and 'CREATE DATABASE "safeschool_copy_never_created"' in missing.output
    assert "desk.db" not in missing.output


def test_a_store_moved_to_postgresql_comes_back_to_a_desks_sqlite_whole(desk_store, pg_url, tmp_path):
    """The way back (a bureau handing a county's store to a desk for an inspection away from the network):
    PostgreSQL's snapshot read into a SQLite file holds what the desk's store held."""
    assert run("copy-store", pg_url).exit_code == 0
    back = f"sqlite:///{tmp_path / 'back.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFESCHOOL_DATABASE_URL", pg_url)
        copied = run("copy-store", back)
    assert copied.exit_code == 0, copied.output
    assert _tables(back) == _tables(desk_store)
