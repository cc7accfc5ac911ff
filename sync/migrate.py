"""Bring a store up to the newest schema with Alembic (`safeschool init`)."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

# Alembic 1.18 says "setup plugin alembic.autogenerate.schemas" seven times as it is imported (by the web
# process's first /healthz): noise in the log, nothing of ours (a README audit).  Quietened before the import.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

MIGRATIONS = Path(__file__).parent / "migrations"


def _not_a_schema_check_line(record: logging.LogRecord) -> bool:
    """Alembic's two INFO lines each time a migration context opens ("Context impl PostgresqlImpl.", "Will
    assume transactional DDL."): /healthz and every scheduler tick read the store's schema, and a monitor
    probing every 10 s wrote 17,000 such lines a day (a deployment audit).  What a migration does stays."""
    return not record.getMessage().startswith(("Context impl ", "Will assume "))


logging.getLogger("alembic.runtime.migration").addFilter(_not_a_schema_check_line)


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_problem(engine: Engine) -> str | None:
    """Why a command cannot use this store as it is (never initialised, made by a newer safeschool,
    older than this one), in Chinese and English; None when it is at this version's schema."""
    revision = current_revision(engine)
    if revision == _head():
        return None
    if revision is None:
        return ("數據庫尚未建立:請先運行 `safeschool init` / the store was never set up: run `safeschool init` "
                "first (or point SAFESCHOOL_DATABASE_URL at the store)")
    if revision not in _known():
        return (f"數據庫版本比本程序新 / the store's schema ({revision}) is not one this version knows: it was made "
                "by a newer safeschool; run that version, or point SAFESCHOOL_DATABASE_URL at this version's store")
    return (f"數據庫版本較舊,請先運行 `safeschool init` 升級(保留全部數據)/ the store's schema ({revision}) is older "
            "than this version's: run `safeschool init` to upgrade it (all data is kept)")


@lru_cache(maxsize=1)
def _head() -> str:
    """This version's newest schema (read once: /healthz asks at every probe)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions())


# Tables a database extension makes in every database it is installed in (PostGIS's template databases).
_EXTENSION_TABLES = frozenset({"spatial_ref_sys"})


def foreign_tables_problem(engine: Engine) -> tuple[str, str] | None:
    """Why a database safeschool never set up cannot take a new store (zh, en), or None: it holds tables
    already, another program's (the shared school information system named by mistake), or safeschool's own
    left by a set-up that did not finish.  SQLite (and MariaDB) do not roll back CREATE TABLE, so an `init`
    that met a table of one of its names left half a store in the other program's file (found by a
    configuration audit)."""
    from sqlalchemy import inspect

    from sync.store import metadata

    names = sorted(set(inspect(engine).get_table_names()) - {"alembic_version"} - _EXTENSION_TABLES)
    if not names:
        return None
    others = [name for name in names if name not in metadata.tables]
    if not others:
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        return (f"這個數據庫中有一次未完成的建立留下的 safeschool 表({'、'.join(names[:8])}{'等' if len(names) > 8 else ''}),"
                "沒有記錄版本;請刪除這些表(或換一個新的空數據庫)後再運行 `safeschool init`",
                f"this database holds safeschool's tables left by a set-up that did not finish ({shown}), with no "
                "schema version; drop them (or use a new, empty database) and run `safeschool init` again")
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    shown_zh = "、".join(names[:8]) + (f" 等 {len(names)} 個" if len(names) > 8 else "")
    return (f"這個數據庫已有其他表({shown_zh}),不是 safeschool 建立的;請給 safeschool 一個專用的空數據庫"
            "(或一個新的 SQLite 文件),並把 SAFESCHOOL_DATABASE_URL 指向它;未建立或改動任何表",
            f"this database already holds tables safeschool did not make ({shown}); give safeschool an empty "
            "database of its own (or a new SQLite file) and point SAFESCHOOL_DATABASE_URL at it; no table was "
            "created or changed")


def charset_problem(engine: Engine) -> tuple[str, str] | None:
    """Why a MySQL/MariaDB database cannot take a new store's tables (zh, en), or None: tables take the
    database's charset, and in latin1 (an older server's default) or 3-byte utf8 no Chinese name, or no
    𠀀, can be stored: every sync failed storing its first source (found by an audit)."""
    if engine.dialect.name not in ("mysql", "mariadb"):
        return None
    with engine.connect() as conn:
        database, charset = conn.exec_driver_sql("SELECT DATABASE(), @@character_set_database").one()
    if charset == "utf8mb4":
        return None
    fix = f"ALTER DATABASE `{database}` CHARACTER SET utf8mb4"
    return (f"數據庫 {database} 的字符集是 {charset},存不下中文(或 𠀀 等字);請先執行 {fix},再運行 `safeschool init`",
            f"the database {database} keeps text as {charset}, which cannot hold Chinese (or characters such as "
            f"𠀀); run {fix}, then `safeschool init` again")
