"""What every command family needs: the store's engine and who is running the command."""

from __future__ import annotations

import getpass

from sqlalchemy.engine import Engine


def store_engine() -> Engine:
    """The store, for a command that needs one made by `safeschool init`: a SQLite file that is not
    there is not created empty (in whatever folder the command was typed) but asked for."""
    from sync.errors import UserError
    from sync.migrate import schema_problem
    from sync.store import get_engine

    missing = missing_sqlite_store()
    if missing:
        raise UserError(f"找不到數據庫 {missing}:請先運行 `safeschool init`,或設置 SAFESCHOOL_DATABASE_URL / "
                        f"there is no store at {missing}: run `safeschool init` first, or set "
                        "SAFESCHOOL_DATABASE_URL to the store (commands run from another folder use ./data/)")
    engine = get_engine()
    # An empty database, or one of a newer safeschool: refused before anything reads or writes it (only
    # init checked, and score, sync and publish wrote to a newer schema; found by an audit).
    problem = schema_problem(engine)
    if problem:
        raise UserError(problem)
    return engine


def missing_sqlite_store() -> str | None:
    """The configured SQLite store's path when its file does not exist yet (connecting would create an
    empty one); None for an existing file or another database."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from sync.settings import get_settings

    url = get_settings().store_url
    database = make_url(url).database
    # file:...?mode=rw&uri=true: SQLite's own URI form names the file its own way; the driver says if it is missing
    if (url.startswith("sqlite") and database and database != ":memory:" and not database.startswith("file:")
            and not Path(database).exists()):
        return database
    return None


def operator() -> str:
    """Who ran a command, for the audit trail: the login name of the shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"
