"""Writing the audit trail (`audit_log`): who logged in, uploaded, inspected, published, exported.

The CLI and the dashboard both write it, so it lives with the store; the
dashboard's admin page reads it through dashboard.audit.  Writing the trail
never stops the action it records: a failure is logged and swallowed, because
a bureau would rather keep a successful publication than lose it to a full
audit table.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from sync.settings import county_now
from sync.store import audit_log, get_engine

ACTIONS = ("login", "login_failed", "upload", "sync", "inspection", "publish", "export", "users")
_log = logging.getLogger(__name__)


def record(
    engine: Engine | None,
    username: str | None,
    action: str,
    school_code: str | None = None,
    detail: dict | None = None,
) -> None:
    """Append one row to the audit trail (never raises: see the module note)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    try:
        with (engine or get_engine()).begin() as conn:
            conn.execute(
                audit_log.insert().values(
                    at=county_now(),
                    username=username,
                    action=action,
                    school_code=school_code,
                    detail=_jsonable(detail or {}),
                )
            )
    except Exception:  # the trail must not break the action; the log keeps the failure
        _log.exception("could not write the audit trail (%s by %s)", action, username)


def _jsonable(detail: dict) -> dict:
    return {str(k): (v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)) for k, v in detail.items()}
