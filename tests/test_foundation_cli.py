"""The CLI: help on every command, and one readable line (exit 2) for a user mistake, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sync.cli import main


def _run(*args, env=None, cwd=None):
    full_env = {**os.environ, **(env or {})}
    for name, value in list(full_env.items()):
        if value is None:
            del full_env[name]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    full_env["PYTHONPATH"] = root  # `python -m sync` from any folder
    return subprocess.run(
        [sys.executable, "-m", "sync", *args], capture_output=True, text=True, env=full_env, timeout=120, cwd=cwd
    )


def test_every_command_has_help():
    runner = CliRunner()
    names = list(main.commands)
    assert {"init"} <= set(names)
    for name in names:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output


def _commands(group, prefix=""):
    for name, command in group.commands.items():
        yield prefix + name, command
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")


def test_the_command_list_says_what_each_command_does_in_chinese_first_then_english():
    """The bureau's safety office reads Chinese first: `safeschool --help` lists each command (and each
    `users` subcommand) as 中文 / English."""
    for name, command in _commands(main):
        short = command.get_short_help_str(200)
        zh, _, en = short.partition(" / ")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.isascii() and en, (name, short)
    listed = CliRunner().invoke(main, ["--help"]).output
    assert "同步：讀入收件夾與 SQL 來源" in listed and "常用 / most used" in listed


def test_init_creates_then_reports_an_up_to_date_store(tmp_path):
    env = {"SAFESCHOOL_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    first = _run("init", env=env)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty" in first.stdout
    again = _run("init", env=env)
    assert "up to date" in again.stdout


@pytest.mark.parametrize(
    "url, expected",
    [
        ("definitely not a url", "SAFESCHOOL_DATABASE_URL:"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/none", "the store cannot be used"),
    ],
)
def test_a_bad_store_gives_one_line_and_exit_2(url, expected):
    result = _run("init", env={"SAFESCHOOL_DATABASE_URL": url})
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_config_file_gives_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("rubric = [", encoding="utf-8")
    result = _run("init", env={"SAFESCHOOL_CONFIG": str(bad)})
    assert result.returncode == 2, result.stderr
    assert "SAFESCHOOL_CONFIG" in result.stderr and "Traceback" not in result.stderr


def test_a_misspelt_county_time_zone_stops_every_command_with_one_line(tmp_path):
    """schedule.timezone dates a database's times as well as running the cron: a typo is caught when the
    configuration is read, not at the first timestamp."""
    bad = tmp_path / "c.toml"
    bad.write_text('[schedule]\ntimezone = "Asia/Shanghia"\n', encoding="utf-8")
    result = _run("init", env={"SAFESCHOOL_CONFIG": str(bad)})
    assert result.returncode == 2 and "'Asia/Shanghia' is not a time zone" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_on_a_port_another_program_holds_says_so_in_one_line(silent_port):
    """Found by an audit: gunicorn printed 'Connection in use' for five seconds, then exited 1."""
    assert _run("init").returncode == 0  # serve asks for a store first
    result = _run("serve", "--port", str(silent_port), env={"SAFESCHOOL_SECRET_KEY": "test-secret-of-32-characters-or-more"})
    assert result.returncode == 2, result.stderr
    assert f"port {silent_port} on 127.0.0.1 is in use" in result.stderr and "已被佔用" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Connection in use" not in result.stderr


@pytest.mark.parametrize("command", [("init",), ("sync", "--once")])
def test_a_bad_schedule_cron_stops_every_command_with_one_line(tmp_path, command):
    """Found by an audit: `cron = "every day"` was refused by `scheduler` alone, taken by every other command."""
    bad = tmp_path / "c.toml"
    bad.write_text('[schedule]\ncron = "every day"\n', encoding="utf-8")
    result = _run(*command, env={"SAFESCHOOL_CONFIG": str(bad), "SAFESCHOOL_INBOX": str(tmp_path / "inbox")})
    assert result.returncode == 2 and "'every day' is not a valid cron expression" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "schedule" in result.stderr


@pytest.mark.parametrize("command", [("init",), ("users", "list"), ("score", "--year", "2026")])
def test_a_store_url_naming_a_file_that_is_no_database_says_so_in_one_line(tmp_path, command):
    not_a_store = tmp_path / "safeschool.db"
    not_a_store.write_text("學校代碼,學校名稱\n" * 200, encoding="utf-8")  # a CSV saved over the store's name
    result = _run(*command, env={"SAFESCHOOL_DATABASE_URL": f"sqlite:///{not_a_store}"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "not a safeschool store" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "無法使用數據庫" in result.stderr  # the bureau office's clerk reads Chinese first


def test_init_failing_does_not_tell_the_operator_to_run_init():
    result = _run("init", env={"SAFESCHOOL_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    assert result.returncode == 2 and "safeschool init" not in result.stderr


@pytest.mark.parametrize("title", ["{yr} 通報", "{year}年 {", "{0}"])
def test_a_circular_title_with_a_placeholder_other_than_the_year_stops_start_up(tmp_path, title):
    """It failed first when the bureau exported its circular (KeyError)."""
    config = tmp_path / "c.toml"
    config.write_text(f'[circular]\ntitle = "{title}"\n', encoding="utf-8")
    result = _run("users", "list", env={"SAFESCHOOL_CONFIG": str(config)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "circular.title" in result.stderr and "{year}" in result.stderr


@pytest.mark.parametrize("command", [("users", "list"), ("sync", "--once"), ("score", "--year", "2026")])
def test_a_command_typed_before_init_or_in_another_folder_asks_for_the_store_and_creates_none(tmp_path, command):
    result = _run(*command, env={"SAFESCHOOL_DATABASE_URL": None, "SAFESCHOOL_INBOX": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 2 and "run `safeschool init` first" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []  # no empty ./data/safeschool.db, no lock file


def test_a_store_named_by_sqlites_own_uri_form_is_used_not_called_missing(tmp_path):
    store = tmp_path / "s.db"
    assert _run("init", env={"SAFESCHOOL_DATABASE_URL": f"sqlite:///{store}"}).returncode == 0
    result = _run("users", "list", env={"SAFESCHOOL_DATABASE_URL": f"sqlite:///file:{store}?mode=rw&uri=true"})
    assert result.returncode == 0, result.stderr


def test_a_failed_sync_says_why_once_not_again_as_a_log_line(tmp_path):
    """The summary says what went wrong in both languages; the same words again as a log record with a
    timestamp (and, for a hostile file, a traceback) were noise for the office clerk."""
    env = {"SAFESCHOOL_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "SAFESCHOOL_INBOX": str(tmp_path / "nope")}
    assert _run("init", env=env).returncode == 0
    result = _run("sync", "--once", env=env)
    both = " ".join((result.stdout + result.stderr).split())  # the console wraps long lines at any width
    assert result.returncode == 1 and both.count("is the share mounted") == 1, both


@pytest.mark.parametrize("command", [("users", "list"), ("score", "--year", "2026"), ("sync", "--once"),
                                     ("publish", "--year", "2025"), ("scheduler",), ("serve", "--port", "18767")])
@pytest.mark.parametrize("state", ["empty", "newer"])
def test_a_store_never_set_up_or_made_by_a_newer_version_is_refused_before_use(tmp_path, command, state):
    """Found by an audit: only init checked the store's schema; score, sync and publish wrote to a newer
    one, the scheduler logged "no such table" every minute, and serve answered /healthz "ok" while every
    log-in failed."""
    import sqlite3

    store = tmp_path / "s.db"
    env = {"SAFESCHOOL_DATABASE_URL": f"sqlite:///{store}", "SAFESCHOOL_INBOX": str(tmp_path / "inbox"),
           "SAFESCHOOL_SECRET_KEY": "test-secret-of-32-characters-or-more"}
    if state == "empty":
        sqlite3.connect(store).close()  # a database, with nothing in it
    else:
        assert _run("init", env=env).returncode == 0
        with sqlite3.connect(store) as conn:
            conn.execute("UPDATE alembic_version SET version_num = 'ffff9999'")
    result = _run(*command, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    said = {"empty": "the store was never set up: run `safeschool init`",
            "newer": "is not one this version knows"}[state]
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr



def test_init_on_a_store_made_by_a_newer_version_says_so_in_one_line(tmp_path):
    """init is the command that reaches alembic's own refusal (a revision it cannot locate), caught by the CLI
    without importing alembic for every other command (sync.cli._alembic_command_error)."""
    import sqlite3

    env = {"SAFESCHOOL_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "SAFESCHOOL_INBOX": str(tmp_path / "inbox")}
    assert _run("init", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff9999'")
    result = _run("init", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "made by a newer safeschool" in result.stderr and len(result.stderr.strip().splitlines()) == 1

def test_init_shows_the_store_without_its_password(pg_url):
    """Found by an audit: `init` printed postgresql+psycopg://postgres:S3cretPW@... in full."""
    with_password = pg_url.replace("postgres@", "postgres:S3cretPW@", 1)  # trust auth: taken, not checked
    assert with_password != pg_url
    result = _run("init", env={"SAFESCHOOL_DATABASE_URL": with_password})
    assert result.returncode == 0 and "store upgraded" in result.stdout, result.stderr
    assert "S3cretPW" not in result.stdout + result.stderr and "***" in result.stdout


def test_serve_on_an_address_this_machine_does_not_have_says_so_not_that_the_port_is_taken():
    assert _run("init").returncode == 0
    result = _run("serve", "--host", "10.254.254.254", "--port", "18768", env={"SAFESCHOOL_SECRET_KEY": "test-secret-of-32-characters-or-more"})
    assert result.returncode == 2 and "is not an address of this machine" in result.stderr, result.stderr
    assert "in use" not in result.stderr


def test_a_commands_help_is_shown_whatever_the_configuration_says(tmp_path):
    """Found by an audit: with a typo in the configuration even `safeschool sync --help` failed."""
    bad = tmp_path / "c.toml"
    bad.write_text('[schedule]\ncron = "every day"\n', encoding="utf-8")
    result = _run("sync", "--help", env={"SAFESCHOOL_CONFIG": str(bad)})
    assert result.returncode == 0 and "--check" in result.stdout, result.stderr
    assert _run("sync", "--once", env={"SAFESCHOOL_CONFIG": str(bad)}).returncode == 2  # the command itself stops


def test_init_on_a_mariadb_database_that_keeps_text_as_latin1_says_to_make_it_utf8mb4_and_creates_nothing(
        mariadb_url):
    """Found by an audit: init made every table in a latin1 database (an older server's default), and
    every sync then failed storing its first source with "Incorrect string value: '\\xE6\\xAD...'"."""
    from sqlalchemy import create_engine, inspect, text

    database = mariadb_url.rsplit("/", 1)[1].split("?", 1)[0]
    admin = create_engine(mariadb_url)
    with admin.begin() as conn:
        conn.execute(text(f"ALTER DATABASE `{database}` CHARACTER SET latin1"))
    result = _run("init", env={"SAFESCHOOL_DATABASE_URL": mariadb_url})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "utf8mb4" in result.stderr and "ALTER DATABASE" in result.stderr and "latin1" in result.stderr
    assert "數據庫" in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert inspect(admin).get_table_names() == []
    admin.dispose()


@pytest.mark.parametrize(("args", "zh"), [
    (("score", "--year", "abc"), "的值不對"),
    (("explain", "--year", "2026"), "缺少"),
    (("sync", "--bogus"), "沒有這個選項"),
    (("nosuchcommand",), "命令寫法有誤"),
    (("users", "add", "x", "--role", "god"), "的值不對"),
])
def test_a_command_typed_wrong_is_told_in_chinese_first_as_every_other_mistake(args, zh):
    """Found by an audit: click's own lines (a value that is no number, a missing argument, an unknown
    option or command) were the CLI's only words in English alone."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 2 and "Traceback" not in result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert error and zh in error[0] and " / " in error[0], result.output


@pytest.mark.parametrize(("toml", "zh"), [
    ('[schedul]\ncron = "0 8 * * *"\n', "不是可用的設置項"),  # a misspelt section
    ('[schedule]\ncron = 5\n', "類型不對"),
    ('[schedule]\ncron = "*/30 * * *"\n', "cron"),
    ('[schedule]\ntimezone = "Asia/Shangai"\n', "時區"),
    ('[[sources]]\nname = "sis"\nurl = "mysql+pymysql://reader:Zk@9917@db/sis"\nqueries = {}\n', "%40"),
    ('[[sources]]\nname = "sis"\nurl = "mysql+pymysql://reader@db/sis"\n', "缺少"),
    ("rubric = \n", "TOML"),
])
def test_a_configuration_mistake_is_told_in_chinese_too_naming_the_setting(tmp_path, toml, zh):
    """Found by an audit: a configuration mistake said 配置有誤 and the rest in English only, where every
    other mistake the CLI reports is in both languages."""
    config = tmp_path / "c.toml"
    config.write_text(toml, encoding="utf-8")
    result = _run("users", "list", env={"SAFESCHOOL_CONFIG": str(config)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1, line
    chinese, _, english = line.partition(" / configuration: ")
    assert zh in chinese and english, line
    assert "9917" not in line


def test_a_misspelt_safeschool_setting_is_named_with_the_one_meant(tmp_path):
    """Found by an audit: SAFESCHOOL_DB=postgresql+psycopg://... (the name a bureau's IT wrote) was ignored
    without a word, and `init` made an SQLite store in ./data beside it."""
    env = {"SAFESCHOOL_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "SAFESCHOOL_DB": "postgresql+psycopg://x@y/z",
           "SAFESCHOOL_INBX": str(tmp_path)}
    result = _run("init", env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "SAFESCHOOL_DB " in result.stderr and "SAFESCHOOL_DATABASE_URL" in result.stderr, result.stderr
    assert "SAFESCHOOL_INBX" in result.stderr and "SAFESCHOOL_INBOX" in result.stderr and "忽略" in result.stderr
    quiet = _run("init", env={"SAFESCHOOL_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"})
    assert quiet.stderr == ""


def test_a_setting_written_in_another_case_is_used_and_not_called_ignored(tmp_path):
    """Found by a regression audit: a SAFESCHOOL_* name is read whatever its case (pydantic's
    settings are case-insensitive), yet SAFESCHOOL_database_url was named 'not a setting, ignored' while
    init made its store there.  It says nothing; a misspelt name in any case is still named."""
    store = tmp_path / "s.db"
    result = _run("init", env={"SAFESCHOOL_database_url": f"sqlite:///{store}", "Safeschool_Inbx": str(tmp_path)})
    assert result.returncode == 0 and store.exists(), result.stderr
    assert "database_url" not in result.stderr and "Safeschool_Inbx" in result.stderr, result.stderr


@pytest.mark.parametrize("server_url", ["pg_url", "mariadb_url"])
def test_init_on_a_database_not_created_yet_says_how_to_create_it(request, server_url):
    """Found by an audit: init on a database the server does not have said only "Check
    SAFESCHOOL_DATABASE_URL", in English; the URL was right, the database had to be made first."""
    url = request.getfixturevalue(server_url)
    missing = url.replace("safeschool_test_", "safeschool_nothere_", 1)
    result = _run("init", env={"SAFESCHOOL_DATABASE_URL": missing})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    said = result.stderr.strip()
    assert len(said.splitlines()) == 1 and "CREATE DATABASE" in said and "先建立" in said, said
