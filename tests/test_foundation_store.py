"""The store: migrations up from empty, on SQLite and PostgreSQL (and MariaDB), match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from sync import contract
from sync.migrate import current_revision, schema_problem, upgrade
from sync.store import make_engine, metadata, records, sources


def _upgraded(url):
    engine = make_engine(url)
    upgrade(engine)
    return engine


def test_migrations_create_every_table_from_empty(store_url):
    engine = _upgraded(store_url)
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert set(contract.SHEETS) <= tables
    assert current_revision(engine) is not None
    engine.dispose()


def test_migrations_match_the_models_so_no_change_goes_unmigrated(store_url):
    engine = _upgraded(store_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    assert diff == []
    engine.dispose()


def test_upgrading_twice_keeps_the_data(store_url):
    engine = _upgraded(store_url)
    with engine.begin() as conn:
        sid = conn.execute(
            sources.insert().values(source_key="file:a.xlsx", kind="school_workbook", status="loaded")
        ).inserted_primary_key[0]
        conn.execute(records["drills"].insert().values(source_id=sid, school_code="S1", kind="疏散", classes=3))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(records["drills"].c.classes)).scalar_one() == 3
    engine.dispose()


def test_the_schema_also_migrates_on_mariadb(mariadb_url):
    engine = _upgraded(mariadb_url)
    assert set(contract.SHEETS) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_a_mariadb_store_whose_url_names_a_narrower_charset_keeps_every_character(mariadb_url):
    """Found by an audit: SAFESCHOOL_DATABASE_URL=...?charset=utf8 (MySQL's 3-byte utf8, as older guides
    write it) made a school's guard 王𠀀明 fail its whole source with "Incorrect string value"."""
    engine = _upgraded(mariadb_url.replace("charset=utf8mb4", "charset=utf8"))
    with engine.begin() as conn:
        sid = conn.execute(
            sources.insert().values(source_key="file:a.xlsx", kind="school_workbook", status="loaded")
        ).inserted_primary_key[0]
        conn.execute(records["guards"].insert().values(source_id=sid, school_code="S1", name="王𠀀明"))
    with engine.connect() as conn:
        assert conn.execute(select(records["guards"].c.name)).scalar_one() == "王𠀀明"
    engine.dispose()


def test_a_store_that_takes_the_connection_and_never_answers_fails_the_run_instead_of_hanging(
        tmp_path, monkeypatch, silent_port):
    """Found by an audit: a MariaDB store behind a hung server held the scheduler's job, and every later
    tick, for good (PyMySQL waits for an answer without limit by default)."""
    import time

    from sync import store
    from sync.load import run_sync

    monkeypatch.setattr(store, "STORE_CONNECT_SECONDS", 2)
    (tmp_path / "inbox").mkdir()
    for url in (f"mysql+pymysql://root@127.0.0.1:{silent_port}/x", f"postgresql+psycopg://postgres@127.0.0.1:{silent_port}/x"):
        eng = make_engine(url)
        started = time.monotonic()
        summary = run_sync(eng, tmp_path / "inbox", sql_sources=[], recompute=False)
        assert summary.status == "failed" and "the store cannot be used" in summary.message, url
        assert time.monotonic() - started < 30, url
        eng.dispose()


def test_a_mariadb_store_waits_for_answers_as_long_as_its_url_says_else_ten_minutes(mariadb_url):
    """The limit against a hung server is ours only where the bureau set none (found by a regression
    audit: ?read_timeout=3600 was cut to 600 s)."""
    from sync.store import STORE_ANSWER_SECONDS

    for url, expected in ((mariadb_url, STORE_ANSWER_SECONDS), (mariadb_url + "&read_timeout=3600", 3600)):
        eng = make_engine(url)
        with eng.connect() as conn:
            assert conn.connection.dbapi_connection._read_timeout == expected, url
        eng.dispose()


def test_a_store_made_before_0001_had_the_computed_at_index_gets_it_and_matches_the_models(store_url):
    """0001 was given ix_scores_computed_at after stores had been made with it (found by an audit): such a
    store, upgraded, kept its data but missed the index for good.  0003 adds it where it is missing."""
    from alembic import command

    from sync.migrate import alembic_config

    engine = make_engine(store_url)
    upgrade(engine, "0002")  # such a store stood at 0002: the later migrations (a new table) run on it
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_scores_computed_at" + (" ON scores" if "mysql" in store_url else ""))
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.stamp(cfg, "0002")  # as such a store stood
    upgrade(engine)
    assert schema_problem(engine) is None  # at the head revision
    assert "ix_scores_computed_at" in {i["name"] for i in inspect(engine).get_indexes("scores")}
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata) == []
    engine.dispose()


def test_a_mariadb_store_keeps_points_and_totals_as_the_scoring_made_them(mariadb_url):
    """Found by the held-out county audit: MySQL's FLOAT (what SQLAlchemy's Float makes there) is single
    precision, so a deduction of 1234.567 came back 1234.57 and an unrounded total 86.2499999 as 86.25,
    which rounds (halves up) to 86.3 where the scoring said 86.2.  0004 makes them DOUBLE."""
    from datetime import date, datetime

    from sync.store import scores

    engine = make_engine(mariadb_url)
    upgrade(engine, "0003")  # a store made before 0004, holding a finding
    with engine.begin() as conn:
        sid = conn.execute(sources.insert().values(source_key="file:b.xlsx", kind="bureau_workbook",
                                                   status="loaded")).inserted_primary_key[0]
        conn.execute(records["inspections"].insert().values(source_id=sid, school_code="S0", deduction=2.5))
    upgrade(engine)
    columns = {c["name"]: c for c in inspect(engine).get_columns("inspections")}
    assert columns["deduction"]["comment"] == "扣分" and columns["assessed_points"]["comment"] == "考評得分"
    with engine.begin() as conn:
        assert conn.execute(select(records["inspections"].c.deduction)).scalar_one() == 2.5
        conn.execute(records["inspections"].insert().values(source_id=sid, school_code="S1", deduction=1234.567,
                                                            assessed_points=2.6666666666666665))
        conn.execute(scores.insert().values(year=2026, kind="annual", as_of=date(2026, 12, 31), school_code="S1",
                                            total=86.24999999999999, deduction=0.1 + 0.2,
                                            computed_at=datetime(2026, 12, 31)))
    with engine.connect() as conn:
        assert conn.execute(select(records["inspections"].c.deduction, records["inspections"].c.assessed_points)
                            .where(records["inspections"].c.school_code == "S1")).one() == (1234.567, 2.6666666666666665)
        assert conn.execute(select(scores.c.total, scores.c.deduction)).one() == (86.24999999999999, 0.1 + 0.2)
    engine.dispose()


def test_a_mariadb_store_upgraded_past_0004_keeps_the_totals_and_points_its_float_columns_gave(mariadb_url):
    """Found by the deployment audit: 0004 retyped FLOAT to DOUBLE, and MariaDB turns each single-precision
    value into its exact binary value, so a published total of 87.8 came back 87.80000305175781 (printed
    so in the circular, the JSON and the dashboard) and a deduction of 0.3 as 0.30000001192092896.  The
    store must give after the upgrade what it gave before it; a double the scoring wrote since stays."""
    from datetime import date, datetime

    from sync.store import scores

    engine = make_engine(mariadb_url)
    upgrade(engine, "0003")  # a store made before 0004, holding findings and a published year
    inspections = records["inspections"]
    with engine.begin() as conn:
        sid = conn.execute(sources.insert().values(source_key="file:b.xlsx", kind="bureau_workbook",
                                                   status="loaded")).inserted_primary_key[0]
        conn.execute(inspections.insert().values(source_id=sid, school_code="S0", deduction=0.3,
                                                 assessed_points=2.7))
        conn.execute(scores.insert().values(year=2025, kind="annual", as_of=date(2025, 12, 31), school_code="S0",
                                            total=87.8, deduction=1.3, computed_at=datetime(2026, 1, 5)))
    with engine.connect() as conn:
        before = (conn.execute(select(inspections.c.deduction, inspections.c.assessed_points)).one(),
                  conn.execute(select(scores.c.total, scores.c.deduction)).one())
    assert before == ((0.3, 2.7), (87.8, 1.3))  # what every page and the circular showed
    upgrade(engine, "0004")
    with engine.begin() as conn:  # the scoring's doubles written after 0004 (86.25 and 1234.5625 are floats too)
        conn.execute(scores.insert().values(year=2026, kind="annual", as_of=date(2026, 12, 31), school_code="S1",
                                            total=86.24999999999999, deduction=1234.5625,
                                            computed_at=datetime(2026, 12, 31)))
        conn.execute(scores.insert().values(year=2026, kind="annual", as_of=date(2026, 12, 31), school_code="S2",
                                            total=86.25, deduction=0.1 + 0.2, computed_at=datetime(2026, 12, 31)))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(inspections.c.deduction, inspections.c.assessed_points)).one() == (0.3, 2.7)
        assert conn.execute(select(scores.c.total, scores.c.deduction).order_by(scores.c.school_code)).all() == [
            (87.8, 1.3), (86.24999999999999, 1234.5625), (86.25, 0.1 + 0.2)]
    engine.dispose()


def _a_0005_store_upgraded_keeps_its_publication_and_holds_a_circulars_files(url) -> None:
    """0006 adds circular_files to a store made before it: its publication (published by a version that kept
    no files) stands as it was, with none kept, and a Word circular of a large county (more than the 64 KB a
    MariaDB BLOB holds) goes in and comes back whole."""
    from datetime import date, datetime

    from sync.store import circular_files, publications, scores

    engine = make_engine(url)
    upgrade(engine, "0005")
    with engine.begin() as conn:
        pub = conn.execute(publications.insert().values(
            year=2025, version=1, active=True, published_at=datetime(2026, 1, 10, 9, 0))).inserted_primary_key[0]
        conn.execute(scores.insert().values(publication_id=pub, year=2025, kind="annual", as_of=date(2025, 12, 31),
                                            school_code="S1", total=87.8, computed_at=datetime(2026, 1, 10)))
    upgrade(engine)
    assert schema_problem(engine) is None
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata) == []
        assert conn.execute(select(scores.c.total).where(scores.c.publication_id == pub)).scalar_one() == 87.8
    with engine.connect() as conn:
        assert conn.execute(select(circular_files.c.id)).all() == []
    word = bytes(range(256)) * 4096  # 1 MB, every byte value
    with engine.begin() as conn:
        conn.execute(circular_files.insert().values(publication_id=pub, format="docx", language="zh-Hant",
                                                    file_name="circular-2025.docx", content=word))
    with engine.connect() as conn:
        assert conn.execute(select(circular_files.c.content)).scalar_one() == word
        if engine.dialect.name in ("mysql", "mariadb"):
            assert conn.exec_driver_sql(
                "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = 'circular_files' AND COLUMN_NAME = 'content'").scalar_one() == "longblob"
    engine.dispose()


def test_a_0005_store_upgraded_keeps_its_publication_and_holds_a_circulars_files(store_url):
    _a_0005_store_upgraded_keeps_its_publication_and_holds_a_circulars_files(store_url)


def test_a_0005_mariadb_store_upgraded_keeps_its_publication_and_holds_a_circulars_files(mariadb_url):
    _a_0005_store_upgraded_keeps_its_publication_and_holds_a_circulars_files(mariadb_url)


def test_reading_the_stores_schema_writes_no_log_line(tmp_path, caplog):
    """A deployment audit: every /healthz probe and every scheduler tick logged alembic's "Context impl
    SQLiteImpl." and "Will assume non-transactional DDL.": 17,000 lines a day under a monitor."""
    import logging

    from sync.migrate import schema_problem

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with caplog.at_level(logging.INFO):
        assert schema_problem(engine) is None
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("alembic")]


def test_a_fresh_process_reading_the_schema_logs_nothing_of_alembics_plugins(tmp_path):
    """A README audit: the web process's first /healthz wrote alembic 1.18's seven "setup plugin ..." lines,
    which it says as it is imported, in a process that logs at INFO."""
    import subprocess
    import sys

    script = ("import logging; logging.basicConfig(level=logging.INFO)\n"
              "from sync.migrate import schema_problem, upgrade\n"
              "from sync.store import make_engine\n"
              f"engine = make_engine('sqlite:///{tmp_path / 'store.db'}'); upgrade(engine); schema_problem(engine)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "Running upgrade" in out.stderr, out.stderr  # the process logs at INFO
    assert "setup plugin" not in out.stderr, out.stderr
