"""What every command family needs: the store's engine and who is running the command."""

from __future__ import annotations

import getpass

from sqlalchemy.engine import Engine


def store_engine() -> Engine:
    from sync.store import get_engine

    return get_engine()


def operator() -> str:
    """Who ran a command, for the audit trail: the login name of the shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"
