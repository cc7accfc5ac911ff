"""`safeschool template` and `safeschool demo`: they work, and a user's mistake gives one line, exit 2,
never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import python_calamine
from click.testing import CliRunner

from sync.cli import main
from sync.settings import reset_caches

TODAY = "2026-11-28"


def run(*args: str):
    reset_caches()
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("safeschool: "), result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_template_writes_the_blank_school_workbook(tmp_path):
    out = tmp_path / "學校台賬模板.xlsx"
    result = run("template", str(out))
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    names = python_calamine.CalamineWorkbook.from_path(str(out)).sheet_names
    assert names[0] == "填表說明" and "應急演練" in names


def test_template_to_an_unwritable_path_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_one_line_error(run("template", str(blocker / "t.xlsx")), "cannot write", "t.xlsx")


def test_template_with_another_suffix_is_one_line(tmp_path):
    assert_one_line_error(run("template", str(tmp_path / "t.csv")), ".xlsx")


def test_template_for_a_school_before_the_store_exists_is_one_line(tmp_path, monkeypatch):
    store = tmp_path / "data" / "store.db"
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", f"sqlite:///{store}")
    reset_caches()
    assert_one_line_error(run("template", str(tmp_path / "t.xlsx"), "--school", "1410200001"), "safeschool init")
    assert not store.exists()  # nothing left behind for the next command to trip over


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--schools", "0"], "between 1 and"),
        (["--schools", "twenty"], "whole number"),
        (["--schools", "20001"], "between 1 and"),
        (["--seed", "-1"], "--seed"),
        (["--today", "2026-13-01"], "YYYY-MM-DD"),
    ],
)
def test_demo_with_a_bad_option_is_one_line(tmp_path, args, needle):
    result = run("demo", "--inbox", str(tmp_path / "inbox"), *args)
    assert_one_line_error(result, needle)
    assert not (tmp_path / "inbox").exists()


def test_demo_into_an_unwritable_inbox_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_one_line_error(run("demo", "--schools", "3", "--inbox", str(blocker / "inbox")), "cannot write")


def test_demo_writes_the_county_and_lists_its_mistakes(tmp_path):
    inbox = tmp_path / "inbox"
    result = run("demo", "--schools", "15", "--seed", "3", "--inbox", str(inbox), "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert (inbox / "bureau" / "教體局督查與名冊.xlsx").is_file()
    shared = [p for p in (inbox / "schools").rglob("*") if p.is_file()]
    uploaded = [p for p in (inbox / "uploads").iterdir() if p.is_file()]
    assert (len(shared), len(uploaded)) == (11, 3)  # 14 submitted, every fourth through the upload page
    assert "never submitted" in result.output and "mistakes people really make (11)" in result.output
    assert "file refused" in result.output and "row refused" in result.output


def test_demo_defaults_to_the_configured_inbox(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFESCHOOL_INBOX", str(tmp_path / "configured"))
    result = run("demo", "--schools", "4", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "configured" / "bureau" / "教體局督查與名冊.xlsx").is_file()


def _register(code: str, name: str) -> None:
    """Put one school in the store's registry, as loading the bureau workbook would."""
    from sync.store import get_engine, records, sources

    with get_engine().begin() as conn:
        source_id = conn.execute(sources.insert().values(
            source_key="file:bureau/教體局督查與名冊.xlsx", kind="bureau_workbook", status="loaded")).inserted_primary_key[0]
        conn.execute(records["registry"].insert().values(
            source_id=source_id, row_no=2, school_code=code, name=name, type="初中", township="東河鄉"))


def test_template_for_a_registered_school_is_prefilled_from_the_registry(tmp_path):
    assert run("init").exit_code == 0
    _register("1410200031", "東河鄉初級中學")
    out = tmp_path / "mine.xlsx"
    result = run("template", str(out), "--school", "1410200031")
    assert result.exit_code == 0, result.output
    assert "1410200031 東河鄉初級中學" in result.output
    grid = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name("學校概況").to_python()
    assert grid[1][:4] == ["1410200031", "東河鄉初級中學", "初中", "東河鄉"]


def test_template_for_an_unregistered_school_is_one_line(tmp_path):
    assert run("init").exit_code == 0
    _register("1410200031", "東河鄉初級中學")
    assert_one_line_error(run("template", str(tmp_path / "t.xlsx"), "--school", "9999999999"), "9999999999", "registry")
    assert not (tmp_path / "t.xlsx").exists()


def test_a_real_process_prints_one_line_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFESCHOOL_")}
    env["SAFESCHOOL_INBOX"] = str(tmp_path / "inbox")
    env["SAFESCHOOL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'store.db'}"
    proc = subprocess.run([sys.executable, "-m", "sync", "demo", "--schools", "0"], capture_output=True,
                          text=True, env=env, cwd=Path(__file__).parent.parent, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "safeschool: --schools 應在 1 與 20,000 之間（不是 0） / --schools must be between 1 and 20,000, not 0"]
    assert proc.stdout == ""


def test_init_on_a_database_holding_another_programs_tables_changes_nothing(tmp_path, monkeypatch):
    """A configuration audit: `init` on an SQLite file holding a table of its own name (users) failed, but left
    seven of its tables behind (SQLite does not roll back CREATE TABLE), and a second `init` then failed on
    those: no way out.  Such a database is refused before anything is created."""
    import sqlite3

    store = _sqlite_with_tables(tmp_path / "other.db", "users", "pupils")
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", f"sqlite:///{store}")
    assert_one_line_error(run("init"), "already holds tables safeschool did not make (pupils, users)", "已有其他表")
    with sqlite3.connect(store) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"users", "pupils"}


def test_template_onto_an_existing_workbook_is_refused_unless_asked_to_overwrite(tmp_path):
    """A configuration audit: `safeschool template existing.xlsx` silently replaced the file, a school's filled
    workbook as like as not."""
    filled = tmp_path / "城關小學.xlsx"
    filled.write_bytes(b"a school's records")
    assert_one_line_error(run("template", str(filled)), "exists already", "--overwrite", "已存在")
    assert filled.read_bytes() == b"a school's records"
    assert run("template", str(filled), "--overwrite").exit_code == 0
    assert python_calamine.CalamineWorkbook.from_path(str(filled)).sheet_names[0] == "填表說明"


def test_a_store_account_the_server_does_not_know_is_not_told_to_run_init(pg_url, monkeypatch):
    """A configuration audit: a PostgreSQL role that does not exist (or a wrong password) was told to "run
    safeschool init to create or upgrade the store", which fails the same way; only the URL can mend it."""
    from sqlalchemy.engine import make_url

    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", make_url(pg_url).set(username="no_such_role_here").render_as_string(
        hide_password=False))
    result = run("score", "--year", "2026")
    assert_one_line_error(result, "no_such_role_here", "Check SAFESCHOOL_DATABASE_URL")
    assert "safeschool init" not in result.output


def test_init_after_a_set_up_that_did_not_finish_says_so_and_an_extensions_table_is_no_obstacle(tmp_path, monkeypatch):
    """A review: tables a half-finished init left (MariaDB and SQLite keep CREATE TABLE) were called "tables
    safeschool did not make"; PostGIS's spatial_ref_sys, in every database made from its template, refused init."""
    half = _sqlite_with_tables(tmp_path / "half.db", "sources", "alembic_version (version_num VARCHAR(32))")
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", f"sqlite:///{half}")
    assert_one_line_error(run("init"), "left by a set-up that did not finish (sources)", "未完成的建立")
    postgis = _sqlite_with_tables(tmp_path / "postgis.db", "spatial_ref_sys")
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", f"sqlite:///{postgis}")
    result = run("init")
    assert result.exit_code == 0 and "upgraded from empty" in result.output, result.output


def _sqlite_with_tables(path, *names: str):
    """An SQLite file holding empty tables of these names, each with an id column unless it gives its own
    (another program's tables, or a set-up's left over)."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        for name in names:
            conn.execute(f"CREATE TABLE {name}" if "(" in name else f"CREATE TABLE {name} (id INTEGER)")
    return path
