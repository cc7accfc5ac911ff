"""The store: one SQLAlchemy metadata for SQLite, PostgreSQL (and MariaDB).

Record tables are built from the data contract, one per sheet key, each with
the owning source, the school and the row the record came from, so any number
shown to a school can be traced back to a cell.  Everything else (sources,
sync runs, rejected rows, scores, publications, users, audit) is declared
below.  Schema changes go through Alembic (sync/migrations): never edit a
released migration, add one.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine

from sync import contract

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SCHOOL_CODE = String(32)
NAME = String(200)

_KIND_TYPES = {
    contract.TEXT: lambda: Text(),
    contract.CHOICE: lambda: String(50),
    contract.INT: lambda: Integer(),
    contract.DATE: lambda: Date(),
    contract.BOOL: lambda: Boolean(),
    contract.MONEY: lambda: Numeric(14, 2),
    contract.SCORE: lambda: Double(),  # not Float: MySQL/MariaDB make that single precision (see 0004)
}

sources = Table(
    "sources",
    metadata,
    Column("source_id", Integer, primary_key=True),
    # file:<path relative to the inbox>, sql:<source name>, upload:<school code>, manual:inspections
    Column("source_key", String(500), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),  # school_workbook, bureau_workbook, sql, manual
    Column("school_code", SCHOOL_CODE, index=True),
    Column("display_name", Text),
    Column("content_hash", String(64)),
    Column("status", String(20), nullable=False, default="new"),  # loaded, refused, missing
    Column("message", Text),
    Column("rows", Integer, default=0),
    Column("first_seen_at", DateTime),
    Column("last_seen_at", DateTime),
    Column("loaded_at", DateTime),
)


def _record_table(sheet: contract.Sheet) -> Table:
    cols = [
        Column("record_id", Integer, primary_key=True),
        Column("source_id", Integer, ForeignKey("sources.source_id"), nullable=False, index=True),
        Column("row_no", Integer),  # 1-based row in the sheet (or in the query result)
    ]
    if "school_code" not in sheet.keys:
        cols.append(Column("school_code", SCHOOL_CODE, nullable=False, index=True))
    for col in sheet.columns:
        kw = {}
        if col.key == "school_code":
            kw = {"nullable": False, "index": True}
            cols.append(Column(col.key, SCHOOL_CODE, **kw))
            continue
        cols.append(Column(col.key, _KIND_TYPES[col.kind](), nullable=True, comment=col.zh))
    return Table(sheet.key, metadata, *cols, comment=sheet.zh)


records: dict[str, Table] = {key: _record_table(sh) for key, sh in contract.SHEETS.items()}

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("trigger", String(20), nullable=False),  # cli, scheduler, upload, demo
    Column("status", String(20), nullable=False),  # running, ok, refused, failed
    Column("message", Text),
    Column("summary", JSON),
)

sync_run_sources = Table(
    "sync_run_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("sync_runs.run_id"), nullable=False, index=True),
    Column("source_key", String(500), nullable=False),
    Column("action", String(20), nullable=False),  # loaded, skipped, refused, removed, failed
    Column("rows_read", Integer, default=0),
    Column("rows_added", Integer, default=0),
    Column("rows_removed", Integer, default=0),
    Column("rows_rejected", Integer, default=0),
    Column("message", Text),
)

# A problem found in a source: level "file" refuses the whole source, level
# "row" refuses one row (kept here with its raw values so nobody loses it).
rejected_rows = Table(
    "rejected_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.source_id"), nullable=False, index=True),
    Column("run_id", Integer, ForeignKey("sync_runs.run_id")),
    Column("school_code", SCHOOL_CODE, index=True),
    Column("level", String(10), nullable=False),
    Column("sheet", String(50)),
    Column("row_no", Integer),
    Column("column", String(100)),
    Column("value", Text),
    Column("reason_zh", Text, nullable=False),
    Column("reason_en", Text, nullable=False),
    Column("raw", JSON),
)

# Computed results.  publication_id NULL = the current draft; kind "annual"
# is the evaluation on as_of (31 Dec, or today in the running year), kind
# "trend" the year-to-date evaluation at one month end.
scores = Table(
    "scores",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("publication_id", Integer, ForeignKey("publications.publication_id"), index=True),
    Column("year", Integer, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("school_code", SCHOOL_CODE, nullable=False),
    Column("name", NAME),
    Column("type", String(20)),
    Column("township", NAME),
    Column("total", Double),
    Column("grade", String(10)),
    Column("rank", Integer),
    Column("qualified", Boolean),
    Column("deduction", Double),
    Column("areas", JSON),  # {"A": {"points": .., "max": ..}, ...}
    Column("indicators", JSON),  # as in `safeschool score --json`
    Column("campuses", JSON),
    Column("computed_at", DateTime, nullable=False),
    Index("ix_scores_lookup", "publication_id", "year", "kind", "as_of"),
    Index("ix_scores_school", "school_code", "year"),
    # The dashboard reads max(computed_at) on every request to know whether its caches still hold.
    Index("ix_scores_computed_at", "computed_at"),
)

publications = Table(
    "publications",
    metadata,
    Column("publication_id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("active", Boolean, nullable=False, default=True),  # False once superseded
    Column("published_at", DateTime, nullable=False),
    Column("published_by", String(100)),
    Column("rubric_version", String(50)),
    Column("data_timestamp", DateTime),
    Column("note", Text),
    UniqueConstraint("year", "version"),
)

# The circular's files as the bureau circulated them, made once when a year is published and kept with
# that publication: a published year's circular downloads as these bytes whatever version of safeschool
# runs later (an upgrade changed the A-G rounding and added columns; found by an audit).  One row per
# format and language of the exports page.
circular_files = Table(
    "circular_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("publication_id", Integer, ForeignKey("publications.publication_id"), nullable=False),
    Column("format", String(10), nullable=False),  # xlsx, docx, csv
    Column("language", String(10), nullable=False),  # the files' script: zh-Hant, as the plan's
    Column("file_name", String(100), nullable=False),
    # a length past MEDIUMBLOB's 16 MB: LONGBLOB on MySQL/MariaDB, where a plain BLOB stops at 64 KB
    # (a county's Word circular is larger); BYTEA and BLOB elsewhere
    Column("content", LargeBinary(length=2**32 - 1), nullable=False),
    UniqueConstraint("publication_id", "format", "language"),
)

users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(10), nullable=False),  # admin, leader, school
    Column("school_code", SCHOOL_CODE),
    Column("display_name", NAME),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    # Part of every session's id: log-out and a new password raise it, so a copied cookie stops working.
    Column("session_epoch", Integer, nullable=False, server_default="0"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("username", String(100)),
    Column("action", String(30), nullable=False),  # login, upload, sync, inspection, publish, export
    Column("school_code", SCHOOL_CODE),
    Column("detail", JSON),
)

# Inspections entered in the dashboard keep every change: who, when, before, after.
inspection_changes = Table(
    "inspection_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("record_id", Integer),
    Column("changed_at", DateTime, nullable=False),
    Column("changed_by", String(100), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
)

# One row per lock name; the sync takes it so two runs never overlap
# (PostgreSQL uses an advisory lock instead; see sync.lock).
locks = Table(
    "locks",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("holder", String(200)),
    Column("acquired_at", DateTime),
)


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: crash-safe, no fsync per commit
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        from pathlib import Path

        from sqlalchemy.engine import make_url

        db = make_url(url).database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_pre_ping=True, connect_args=_store_time_limits(url))
    if engine.dialect.driver == "pymysql" and "read_timeout" not in engine.url.query:  # the bureau's own stands
        event.listen(engine, "connect", _answer_limit)
    return engine


STORE_CONNECT_SECONDS = 15
# PyMySQL waits for every answer as long as its read_timeout (none by default): a store that takes the
# connection and never answers held the scheduler's job, and every later tick behind it, for good
# (found by an audit).  Its greeting within the connect limit, then any answer within this, far above
# any one statement of a county's sync.
STORE_ANSWER_SECONDS = 600


def _answer_limit(dbapi_connection, _record) -> None:
    if hasattr(dbapi_connection, "_read_timeout"):
        dbapi_connection._read_timeout = dbapi_connection._write_timeout = STORE_ANSWER_SECONDS


def _store_time_limits(url: str) -> dict:
    """The driver's limits for a server store; a limit written into the URL is the bureau's and is kept."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    driver, given = parsed.get_driver_name(), set(parsed.query)
    limits = {}
    if driver in ("psycopg", "pymysql"):
        limits["connect_timeout"] = STORE_CONNECT_SECONDS
    if driver == "pymysql":
        limits["read_timeout"] = limits["write_timeout"] = STORE_CONNECT_SECONDS  # the greeting; then _answer_limit
    limits = {k: v for k, v in limits.items() if k not in given}
    if driver in ("pymysql", "mysqldb"):
        # Whatever charset the URL names: ?charset=utf8 (MySQL's 3-byte utf8, as older guides write it)
        # failed a school's whole source for a guard named 王𠀀明 (found by an audit).
        limits["charset"] = "utf8mb4"
    return limits


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    from sync.settings import get_settings

    return engine_for(get_settings().store_url)
