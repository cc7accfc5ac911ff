"""What the bureau's own pages read (publish, exports, inspections, audit, accounts) and what a school's upload
page reads of its own: each asks who is asking, as every query does, so that no page reads the store but
through this package.  The reads themselves are sync's (sync.results, sync.inspections, sync.upload,
sync.accounts, dashboard.audit); nothing here is cached, for the bureau's pages must show a change at once.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.access import Viewer
from dashboard.queries.base import Refused, Scope, _engine


def _bureau(viewer: Viewer | None) -> Viewer:
    if not Scope.of(viewer).bureau:
        raise Refused("refused.bureau_only")
    return viewer


def _admin(viewer: Viewer | None) -> Viewer:
    _bureau(viewer)
    if not viewer.is_admin:
        raise Refused("admin.refused_admin")
    return viewer


def _own_school(viewer: Viewer | None) -> str:
    scope = Scope.of(viewer)
    if scope.bureau or not scope.school_code:
        raise Refused("refused.other_school")
    return scope.school_code


# --- publications (the publish and exports pages) ---------------------------------------------------


def publication(viewer: Viewer | None, year: int) -> dict | None:
    """The year's active publication (its version and date: what the circular itself prints), or None."""
    from sync.results import active_publication

    Scope.of(viewer)
    return active_publication(_engine(), year)


def publication_files_kept(viewer: Viewer | None, published: dict) -> bool:
    """Whether the publication kept its circular's files when it was made (an earlier version kept none)."""
    from sync.results import kept_formats

    Scope.of(viewer)
    return bool(kept_formats(_engine(), published))


def publication_state(viewer: Viewer | None, year: int) -> tuple[dict | None, pd.DataFrame]:
    """The year's active publication (or None) and what the draft would change of it, school by school."""
    from sync.results import active_publication, publication_diff

    _bureau(viewer)
    engine = _engine()
    return active_publication(engine, year), publication_diff(engine, year)


def draft_years(viewer: Viewer | None) -> list[int]:
    from sync.results import draft_years as years

    _bureau(viewer)
    return years(_engine())


def draft_as_of(viewer: Viewer | None, year: int) -> date | None:
    """The day the year's draft is computed to, or None when nothing is computed."""
    from sync.results import draft_as_of as as_of

    _bureau(viewer)
    return as_of(_engine(), year)


def submissions(viewer: Viewer | None) -> list[dict]:
    """Every registered school's workbook as the last run left it (loaded, refused, not submitted)."""
    from dashboard import audit

    _bureau(viewer)
    return audit.submissions(_engine())


# --- inspections, the audit trail and accounts ---------------------------------------------------------


def inspection_list(viewer: Viewer | None, year: int | None = None) -> list[dict]:
    """The bureau's findings (of one year, or all), the page's own marked editable."""
    from sync.inspections import list_inspections

    _bureau(viewer)
    return list_inspections(_engine(), year)


def inspection_history(viewer: Viewer | None, limit: int = 200) -> list[dict]:
    """The page's changes to findings, newest first: who, when, before and after."""
    from sync.inspections import changes

    _bureau(viewer)
    return changes(_engine(), limit=limit)


def registry_names(viewer: Viewer | None) -> dict[str, str]:
    """school_code -> name of every registered school, as the sync checks a code."""
    from sync.inspections import registered_schools

    _bureau(viewer)
    return registered_schools(_engine())


def audit_trail(viewer: Viewer | None, action: str | None = None, limit: int = 500) -> list[dict]:
    """The newest rows of the audit trail the viewer may read (the accounts' changes are the admins')."""
    from dashboard import audit

    _bureau(viewer)
    return audit.entries(_engine(), limit=limit, action=action, actions=audit.actions_for(viewer))


def sync_runs(viewer: Viewer | None, limit: int = 100) -> list[dict]:
    from dashboard import audit

    _bureau(viewer)
    return audit.recent_sync_runs(_engine(), limit=limit)


def accounts(viewer: Viewer | None) -> list[dict]:
    """Every account, by role then name, without its password hash (the safety office's business)."""
    from sync.accounts import list_accounts

    _admin(viewer)
    return list_accounts(_engine())


# --- a school's upload page -------------------------------------------------------------------------


def own_draft_score(viewer: Viewer | None, year: int) -> dict | None:
    """The viewer's own school in the year's draft results (what an upload just changed); no other school's
    indicators are parsed (every school's were, for one school's total: a memory audit)."""
    from sync.results import annual_results

    code = _own_school(viewer)
    return next((result for result in annual_results(_engine(), year, publication="draft", indicators_of=code)
                 if result.get("school_code") == code), None)


def shared_folder_copy(viewer: Viewer | None) -> str | None:
    """The file through which the shared folder sends the viewer's school's workbook, or None."""
    from sync.upload import shared_folder_file

    return shared_folder_file(_engine(), _own_school(viewer))


def uploaded_copy_too(viewer: Viewer | None) -> bool:
    """Whether the school has an upload as well as its shared-folder file (both refused at every sync)."""
    from sync.upload import uploaded_copy_too as both

    return both(_engine(), _own_school(viewer))
