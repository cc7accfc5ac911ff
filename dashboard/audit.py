"""The audit trail: who logged in, uploaded, inspected, published and exported.

Every action that changes data or takes it out of the system writes one row
to `audit_log` (who, when, what, which school, details as JSON).  Sync runs
keep their own history in `sync_runs`; the admin audit page shows both side
by side.  Writing the trail never stops the action it records: a failure to
write is logged and swallowed, because a bureau would rather keep a
successful upload than lose it to a full audit table.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import desc, select
from sqlalchemy.engine import Engine

from sync.audit import ACTIONS, record
from sync.store import audit_log, sync_runs

__all__ = ["ACTIONS", "actions_for", "entries", "recent_sync_runs", "record", "record_login"]

def record_login(viewer) -> None:
    """`install_gate(..., on_login=record_login)`: one row per successful log-in, with the address it came
    from (an account guessed at from many addresses is let in from the addresses it used before)."""
    from flask import has_request_context, request

    address = (request.remote_addr or "") if has_request_context() else ""
    record(None, viewer.username, "login", viewer.school_code, {"role": viewer.role, "from": address})


# What the accounts page shows (who has an account, each reset and disabling): the safety office's business,
# not the leaders' (found by an audit: the trail gave them the list the accounts page withholds).
ADMIN_ONLY_ACTIONS = ("users",)


def actions_for(viewer) -> tuple[str, ...]:
    return ACTIONS if viewer.is_admin else tuple(a for a in ACTIONS if a not in ADMIN_ONLY_ACTIONS)


def entries(engine: Engine, limit: int = 500, action: str | None = None, username: str | None = None,
            actions: tuple[str, ...] = ACTIONS) -> list[dict]:
    """The newest audit rows first, of `actions`, optionally only one action or one user."""
    query = select(audit_log).order_by(desc(audit_log.c.at), desc(audit_log.c.id)).limit(limit)
    if actions != ACTIONS:
        query = query.where(audit_log.c.action.in_(actions))
    if action:
        query = query.where(audit_log.c.action == action)
    if username:
        query = query.where(audit_log.c.username == username)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def submissions(engine: Engine) -> list[dict]:
    """Each registered school's workbook as the last sync left it (sync.load.submission_status): refused
    first, then not submitted, then loaded; for the office that tells a school what to fix (its "message" in
    Chinese, "message_en" in English)."""
    from sync.load import submission_status

    frame = submission_status(engine)
    order = {"refused": 0, "not submitted": 1}
    frame = frame.assign(_order=frame["status"].map(order).fillna(2)).sort_values(["_order", "school_code"])
    return frame.drop(columns="_order").to_dict("records")


# The catalogue's label of each group `outstanding` returns.
_OUTSTANDING_KEYS = {"refused": "pub.out_refused", "not submitted": "pub.out_missing", "rows refused": "pub.out_rows"}


def outstanding(listed: list[dict]) -> dict[str, list[dict]]:
    """The schools of `submissions` whose records a publication would be frozen without, by why: "refused"
    (the workbook refused whole), "not submitted", "rows refused" (loaded, with rows refused); a group with
    none is left out."""
    groups = {"refused": [s for s in listed if s["status"] == "refused"],
              "not submitted": [s for s in listed if s["status"] == "not submitted"],
              "rows refused": [s for s in listed if s["status"] == "loaded" and s["rejected_rows"] > 0]}
    return {why: schools for why, schools in groups.items() if schools}


def outstanding_note(listed: list[dict], lang: str, named: Callable[[dict], str], most: int) -> str | None:
    """`outstanding` said in the catalogue's words (the publish page's confirmation, `safeschool publish`):
    each group with its count and its first `most` schools as `named` names them; None when there is none."""
    from dashboard.i18n import t

    def some(schools: list[dict]) -> str:
        names = t("pub.out_names_sep", lang).join(named(s) for s in schools[:most])
        return t("pub.out_more", lang, names=names) if len(schools) > most else names

    parts = [t(_OUTSTANDING_KEYS[why], lang, n=len(schools), schools=some(schools))
             for why, schools in outstanding(listed).items()]
    return t("pub.outstanding", lang, parts=t("pub.out_sep", lang).join(parts)) if parts else None


def recent_sync_runs(engine: Engine, limit: int = 100) -> list[dict]:
    """The sync history (kept by the sync itself in `sync_runs`), newest first."""
    query = select(sync_runs).order_by(desc(sync_runs.c.started_at), desc(sync_runs.c.run_id)).limit(limit)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]
