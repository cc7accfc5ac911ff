"""What every command family needs: the store's engine and who is running the command."""

from __future__ import annotations

import getpass
import logging
from datetime import datetime

from sqlalchemy.engine import Engine


def store_engine() -> Engine:
    """The store, for a command that needs one made by `safeschool init`: a SQLite file that is not
    there is not created empty (in whatever folder the command was typed) but asked for."""
    from sync.errors import UserError
    from sync.migrate import schema_problem
    from sync.store import get_engine

    missing = missing_sqlite_store()
    if missing:
        raise UserError(f"找不到數據庫 {missing}：請先運行 `safeschool init`，或設置 SAFESCHOOL_DATABASE_URL / "
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


class CountyClockFormatter(logging.Formatter):
    """Log lines timed on the county's clock (schedule.timezone), as every stored run, upload and audit
    line is: on a server kept on UTC a scheduled run logged at 04:30 was the audit page's 12:30 (found by
    the deployment audit)."""

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        from sync.settings import county_zone

        moment = datetime.fromtimestamp(record.created, county_zone())
        return moment.strftime(datefmt or "%Y-%m-%d %H:%M:%S") + f",{int(record.msecs):03d}"


def log_to_stderr(level: int) -> logging.Handler:
    """The commands' log: one line a record, on the county's clock."""
    handler = logging.StreamHandler()
    handler.setFormatter(CountyClockFormatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler.addFilter(_not_the_interruption)
    logging.basicConfig(level=level, handlers=[handler])
    return handler


def _not_the_interruption(record: logging.LogRecord) -> bool:
    """Whether a record is more than Ctrl-C passing through: SQLAlchemy's pool logs the KeyboardInterrupt
    that lands while it hands a connection back, with a traceback, before the command says "interrupted"
    in its one line (seen in a full test run: the Ctrl-C test met it once in a few hundred runs)."""
    return not (record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt))
