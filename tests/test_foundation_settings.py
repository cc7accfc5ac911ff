"""Configuration errors stop start-up with one line naming the setting and what is wrong."""

from __future__ import annotations

import pytest

from sync.settings import ConfigError, get_settings, load_file_config, reset_caches


def test_default_store_is_an_sqlite_file_under_data(monkeypatch):
    monkeypatch.delenv("SAFESCHOOL_DATABASE_URL")
    reset_caches()
    url = get_settings().store_url
    assert url.startswith("sqlite:///") and url.endswith("data/safeschool.db")


def test_a_database_url_that_does_not_parse_names_the_setting(monkeypatch):
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", "not a url")
    reset_caches()
    with pytest.raises(ConfigError) as err:
        get_settings()
    assert str(err.value).startswith("SAFESCHOOL_DATABASE_URL:")
    assert "\n" not in str(err.value)


def test_a_database_url_with_an_unknown_driver_is_refused(monkeypatch):
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", "oracle+nosuchdriver://x@y/z")
    reset_caches()
    with pytest.raises(ConfigError, match="SAFESCHOOL_DATABASE_URL: .*driver"):
        get_settings()


def test_a_sqlite_store_url_naming_a_folder_says_to_name_a_file_in_it(monkeypatch, tmp_path):
    """Found by the SQL/CLI audit: sqlite:////srv/safeschool (a folder) said only SQLite's "unable to open
    database file" and "run safeschool init", which failed the same way."""
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", f"sqlite:///{tmp_path}")
    reset_caches()
    with pytest.raises(ConfigError, match="is a folder, not a database file") as err:
        get_settings()
    assert f"sqlite:///{tmp_path}/safeschool.db" in str(err.value) and "是文件夾" in err.value.zh


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:",
                                 "sqlite:///file:x?mode=memory&uri=true"])
def test_a_sqlite_store_url_naming_no_file_is_refused_as_kept_in_memory_only(monkeypatch, url):
    """A configuration audit: sqlite:/// (sqlite:///$DB with DB unset) made `init` say "upgraded ... schema 0006"
    and `copy-store` "copied 2,642 rows", into a database in memory, gone when the command ended."""
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    reset_caches()
    with pytest.raises(ConfigError, match="names no database file") as err:
        get_settings()
    assert "只在內存中" in err.value.zh


def test_a_postgres_url_as_psql_writes_it_reaches_the_store(monkeypatch, pg_url):
    """Found by an audit: postgres://, what psql, libpq and many hosts give, was refused as an unknown driver."""
    from sqlalchemy import text

    from sync.store import make_engine

    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", pg_url.replace("postgresql+psycopg://", "postgres://", 1))
    reset_caches()
    url = get_settings().store_url
    assert url.startswith("postgresql+psycopg://")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("select 1")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("name, value, says, says_zh", [
    ("SAFESCHOOL_INBOX", "", "is empty", "是空的"),  # would be the current folder, read recursively
    ("SAFESCHOOL_INBOX", "  ", "is empty", "是空的"),
    ("SAFESCHOOL_MAX_UPLOAD_MB", "-5", "greater than 0", "應大於 0"),
    ("SAFESCHOOL_MAX_UPLOAD_MB", "0", "greater than 0", "應大於 0"),
    ("SAFESCHOOL_SYNC_WORKERS", "-1", "greater than or equal to 0", "應不小於 0"),
    ("SAFESCHOOL_SYNC_WORKERS", "1000", "less than or equal to 64", "應不大於 64"),
])
def test_a_setting_that_is_set_but_meaningless_is_named(monkeypatch, name, value, says, says_zh):
    """The Chinese says what is wrong too: it read 值不對，見後面的英文說明 (a configuration audit)."""
    monkeypatch.setenv(name, value)
    reset_caches()
    with pytest.raises(ConfigError, match=f"^{name}: .*{says}") as err:
        get_settings()
    assert says_zh in err.value.zh


def test_an_empty_config_setting_is_no_configuration_file(monkeypatch):
    monkeypatch.setenv("SAFESCHOOL_CONFIG", "")
    reset_caches()
    assert get_settings().config is None


@pytest.mark.parametrize("value", ["-1", "two"])
def test_a_sync_worker_count_that_is_not_a_whole_number_from_zero_is_named(monkeypatch, value):
    monkeypatch.setenv("SAFESCHOOL_SYNC_WORKERS", value)
    reset_caches()
    with pytest.raises(ConfigError, match="^SAFESCHOOL_SYNC_WORKERS: "):
        get_settings()


def test_sync_workers_default_to_one_per_core_and_follow_the_setting(monkeypatch):
    import os

    from sync.parallel import configured_workers as _workers

    monkeypatch.delenv("SAFESCHOOL_SYNC_WORKERS", raising=False)
    reset_caches()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert _workers(None) == cores and _workers(1) == 1
    monkeypatch.setenv("SAFESCHOOL_SYNC_WORKERS", "3")
    reset_caches()
    assert _workers(None) == 3


def test_a_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="SAFESCHOOL_CONFIG: .*nowhere.toml does not exist"):
        load_file_config(tmp_path / "nowhere.toml")


def test_a_config_file_that_is_not_toml_says_where(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[schedule\ncron = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid TOML .*line 1"):
        load_file_config(path)


def test_an_unknown_config_key_is_named(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[schedule]\ncron = "*/5 * * * *"\nevery = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.schedule\.every: Extra inputs are not permitted"):
        load_file_config(path)


def test_a_sql_source_mapping_an_unknown_sheet_is_refused(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[[sources]]\nname = "sis"\nurl = "sqlite:///x.db"\n[sources.queries]\nteachers = "select 1"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"config\.sources\.0\.queries: unknown sheet key\(s\) teachers"):
        load_file_config(path)


def test_a_rubric_path_is_relative_to_the_config_file(tmp_path):
    (tmp_path / "my-rubric.toml").write_text("", encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text('rubric = "my-rubric.toml"\n[calendar.2026]\nspring = [2026-02-23, 2026-07-03]\n', encoding="utf-8")
    cfg = load_file_config(path)
    assert cfg.rubric == (tmp_path / "my-rubric.toml").resolve()
    assert str(cfg.calendar[2026].spring[1]) == "2026-07-03"


def test_a_rubric_file_that_does_not_exist_is_refused(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('rubric = "gone.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="rubric: .*gone.toml does not exist"):
        load_file_config(path)


def test_a_source_url_message_hides_the_password_and_names_the_driver_to_use(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[[sources]]\nname = \"sis\"\nurl = \"mysql://reader:S3cretPassw0rd@db/sis\"\n"
                    "queries = {}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_file_config(path)
    assert "S3cretPassw0rd" not in str(err.value) and "mysql+pymysql://" in str(err.value)


@pytest.mark.parametrize(("toml", "says"), [
    # Each source owns its records by name: two of one name would replace each other's every run.
    ('[[sources]]\nname = "sis"\nurl = "sqlite:///a.db"\nqueries = {guards = "SELECT 1"}\n'
     '[[sources]]\nname = "sis"\nurl = "sqlite:///b.db"\nqueries = {guards = "SELECT 1"}\n',
     "'sis' is used more than once"),
    # A configuration audit: a source mapping nothing was taken silently, an empty query refused only at sync.
    ('[[sources]]\nname = "sis"\nurl = "sqlite:///a.db"\nqueries = {}\n', "maps no sheet"),
    ('[[sources]]\nname = "sis"\nurl = "sqlite:///a.db"\nqueries = {guards = "  "}\n', "the query for guards is empty"),
])
def test_a_sql_source_configuration_that_could_lose_or_write_data_is_refused(tmp_path, toml, says):
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=says):
        load_file_config(path)


@pytest.mark.parametrize("line", ['issuer = ""', 'issuer = "  "', 'title = ""'])
def test_a_blank_circular_issuer_or_title_is_refused(tmp_path, line):
    """issuer = "" gave a circular whose sentence 「，組織考評組對全縣…」 had no one issuing it."""
    path = tmp_path / "c.toml"
    path.write_text(f"[circular]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.circular\.(issuer|title): .*may not be empty"):
        load_file_config(path)


@pytest.mark.parametrize("url", [
    "mysql+pymysql://reader:Zk@9917@db.intranet/sis",  # the password as typed: its @ ends it early
    "postgresql+psycopg://reader:Qw@5531:Tp@db.intranet:5432/sis",  # ... and what follows reads as a port
])
def test_a_password_with_an_at_sign_is_refused_saying_how_to_write_it_and_never_shown(tmp_path, monkeypatch, url):
    """Found by an audit: Admin@123 written as it is typed made the host '123@db.intranet'; the source
    failed with "failed to resolve host '123@db.intranet'" printed, logged and stored, a piece of the
    password in each, and no word of how to write an @."""
    path = tmp_path / "c.toml"
    path.write_text(f'[[sources]]\nname = "sis"\nurl = "{url}"\nqueries = {{}}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_file_config(path)
    said = str(err.value)
    assert "%40" in said and "9917" not in said and "5531" not in said and "Tp" not in said, said
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    reset_caches()
    with pytest.raises(ConfigError) as err:
        get_settings()
    said = str(err.value)
    assert said.startswith("SAFESCHOOL_DATABASE_URL:") and "%40" in said and "9917" not in said and "5531" not in said


def test_a_port_that_is_not_a_number_is_named(monkeypatch):
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", "postgresql+psycopg://reader:S3cret@db:pg/safeschool")
    reset_caches()
    with pytest.raises(ConfigError) as err:
        get_settings()
    assert "port" in str(err.value) and "S3cret" not in str(err.value) and "invalid literal" not in str(err.value)


@pytest.mark.parametrize("name", ["", "  ", "db.intranet:5432", "x" * 201])
def test_a_sql_source_name_that_cannot_name_its_records_is_refused(tmp_path, name):
    """Found by an audit: a source owns its records as sql:<name>:<sheet>.  A blank name was taken (the
    source shown as ':guards'); a name with a ':' (db.intranet:5432) was read back as 'db.intranet', so
    the first-configured source no longer stood over the second for a school's guards; a name past the
    store's key length fails the store on PostgreSQL and MariaDB."""
    path = tmp_path / "c.toml"
    path.write_text(f'[[sources]]\nname = "{name}"\nurl = "sqlite:///a.db"\nqueries = {{}}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.sources\.0\.name: .*name"):
        load_file_config(path)


def test_a_password_given_in_the_urls_query_is_not_shown_either(monkeypatch):
    """Found by an audit: hide_password hides only user:password@; ?password=... was printed as written."""
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", "oracle+nosuchdriver://reader@db/x?password=Qk7Secret&port=1")
    reset_caches()
    with pytest.raises(ConfigError) as err:
        get_settings()
    assert "Qk7Secret" not in str(err.value) and "Qk7Secret" not in (err.value.zh or "") and "***" in str(err.value)


def test_a_cron_that_names_a_day_that_never_comes_is_refused(tmp_path):
    """A configuration audit: cron = "0 8 30 2 *" (30 February) was taken; the scheduler said "sync on cron ..."
    and never synced.  29 February comes every four years, and is taken."""
    config = tmp_path / "county.toml"
    config.write_text('[schedule]\ncron = "0 8 30 2 *"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="names a day that never comes") as err:
        load_file_config(config)
    assert "日期不存在" in err.value.zh
    config.write_text('[schedule]\ncron = "0 8 29 2 *"\n', encoding="utf-8")
    assert load_file_config(config).schedule.cron == "0 8 29 2 *"


@pytest.mark.parametrize("toml", ['[calendar]\nspring = [2026-02-23, 2026-07-03]\n',
                                  '[calendar.abc]\nspring = [2026-02-23, 2026-07-03]\n'])
def test_a_calendar_not_set_by_year_says_to_write_one_table_a_year(tmp_path, toml):
    """A configuration audit: [calendar] spring = [...] (no year) said "Input should be a valid integer"."""
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"is set year by year: write \[calendar.2026\]") as err:
        load_file_config(path)
    assert "須按年份設置" in err.value.zh
