"""The store: migrations up from empty, on SQLite and PostgreSQL (and MariaDB), match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from sync import contract
from sync.migrate import current_revision, upgrade
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
