"""Copy a whole store into an empty one on another database (`safeschool copy-store`).

A desk that began on SQLite moves to the bureau's PostgreSQL (or MariaDB) with every record, rejected
row, run, score, publication, account, inspection change and audit line it holds.  Copied table by table
with the ids as they are (the rows refer to one another by them), so each id sequence is then set past its
table's largest id: a copy left at 1 failed the next account or sync on a duplicate key.

- The source is read in one snapshot, holding its sync lock: no sync, upload or publication changes it
  half-way through.
- The target is brought to this version's schema first and must hold nothing: a copy never merges into,
  or overwrites, another store.
- The target is written in one transaction: a copy that fails leaves it empty, as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Integer, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from sync.errors import UserError
from sync.lock import sync_lock
from sync.migrate import charset_problem, current_revision, upgrade
from sync.store import locks, metadata

BATCH_ROWS = 2000

# Held while something runs, by whoever runs it: nothing to carry to another store.
_NOT_COPIED = {locks.name}


def copy_store(source: Engine, target: Engine, progress: Callable[[str, int], None] = lambda table, n: None
               ) -> dict[str, int]:
    """Copy every table of `source` into `target` (empty; made ready here); the rows copied per table."""
    if source.url.render_as_string(hide_password=False) == target.url.render_as_string(hide_password=False):
        raise UserError("the target is the store itself: give another database", zh="目標就是當前數據庫本身,請指定另一個數據庫")
    _ready(target)
    copied: dict[str, int] = {}
    with sync_lock(source, doing="copying the store"), source.connect() as reading, target.begin() as writing:
        if source.dialect.name != "sqlite":
            reading = reading.execution_options(isolation_level="REPEATABLE READ")
        with reading.begin():
            if source.dialect.name == "sqlite":  # pysqlite begins no transaction for a SELECT: one snapshot
                reading.exec_driver_sql("BEGIN")
            for table in metadata.sorted_tables:
                if table.name in _NOT_COPIED:
                    continue
                copied[table.name] = _copy_table(reading, writing, table)
                progress(table.name, copied[table.name])
        _sequences_past_their_ids(writing)
    return copied


def _ready(target: Engine) -> None:
    """The target at this version's schema, holding no row: refused otherwise, untouched."""
    try:
        revision = current_revision(target)
    except DBAPIError as err:  # not the store's problem, which the command's own handler would call it
        reason = str(err.orig).strip().splitlines()[0][:300] if err.orig is not None else type(err).__name__
        name = target.url.database
        raise UserError(f"the target database cannot be used ({reason}); check TARGET_URL, and create the database "
                        f"first if it is not there (PostgreSQL: CREATE DATABASE \"{name}\"; MariaDB: CREATE DATABASE "
                        f"`{name}` CHARACTER SET utf8mb4)",
                        zh=f"無法使用目標數據庫({reason});請核對 TARGET_URL,如數據庫尚不存在請先建立"
                           f"(PostgreSQL:CREATE DATABASE \"{name}\";MariaDB:CREATE DATABASE `{name}` CHARACTER SET utf8mb4)"
                        ) from None
    problem = charset_problem(target) if revision is None else None
    if problem:
        raise UserError(problem[1], zh=problem[0])
    upgrade(target)
    with target.connect() as conn:
        held = [t.name for t in metadata.sorted_tables if t.name not in _NOT_COPIED
                and conn.execute(select(func.count()).select_from(t)).scalar()]
    if held:
        raise UserError(f"the target store is not empty (it holds {', '.join(held)}): copy only into a new, empty "
                        "database, so that nothing of it is merged or overwritten",
                        zh=f"目標數據庫不是空的(已有 {'、'.join(held)}):只能複製到新建的空數據庫,以免合併或覆蓋其中的數據")


def _copy_table(reading, writing, table) -> int:
    n = 0
    rows = reading.execution_options(yield_per=BATCH_ROWS).execute(select(table)).mappings()
    try:
        for batch in rows.partitions(BATCH_ROWS):
            writing.execute(table.insert(), [dict(row) for row in batch])
            n += len(batch)
    except DBAPIError as err:  # a value the target's stricter columns refuse (SQLite kept it as it came)
        reason = str(err.orig).strip().splitlines()[0][:300] if err.orig is not None else type(err).__name__
        raise UserError(f"copying table {table.name} failed after {n:,} of its rows ({reason}); nothing was written "
                        "to the target", zh=f"複製表 {table.name} 時出錯(已讀 {n:,} 行:{reason}),目標數據庫未寫入任何內容"
                        ) from None
    return n


def _sequences_past_their_ids(writing) -> None:
    """PostgreSQL's id sequences past the ids copied in (MariaDB's AUTO_INCREMENT and SQLite's rowid
    follow the largest id inserted by themselves)."""
    if writing.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                writing.execute(text(
                    "SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f"COALESCE((SELECT max({column.name}) FROM {table.name}), 0) + 1, false) "
                    "WHERE pg_get_serial_sequence(:table, :column) IS NOT NULL"),
                    {"table": table.name, "column": column.name})
