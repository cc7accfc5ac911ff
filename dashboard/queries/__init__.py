"""Every read the dashboard makes: stored results and records, filtered by who is asking.

Callbacks call these functions and nothing else touches the database.  Each
public function takes the Viewer (from the session, never from the browser)
and returns only what that viewer may see:

- admin and leader (the bureau) see everything;
- a school sees its own school in full, the county aggregates, and other
  schools' totals only in a published year's ranking (what the circular makes
  public anyway).

Results are read as stored (no scoring here).  Loads are cached per viewer
scope and keyed by the store's data version (newest sync run, newest computed
score, newest publication), read once per request, so a sync or a publication
invalidates them without any explicit flush.

The package's modules, each a layer over the ones before it: base (scope, data version, stored
results, shared record loads), privacy (what a school may see of the others' totals), todos, county
(ranking, headline), school, trends, heatmaps; admin (the bureau's own pages: publications, findings,
the audit trail, accounts; a school's upload page).  Pages import this package and call what it exports.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from dashboard.queries import admin  # noqa: F401 - queries.admin: the bureau's own pages and a school's upload
from dashboard.queries.base import (
    AREAS,
    GRADES,
    GUARD_BIRTHDAY_WARNING_DAYS,
    HAZARD_SOON_DAYS,
    MEASURES,
    NotFound,
    Refused,
    Scope,
    _inspections_by_school,
    _is_running,
    _reference_day,
    _results,
    _year_status,
    clear_caches,
    county_groups,
    data_version,
    forget_on_new_data,
    get_engine,
    grade_names,
    hazard_status,
    registered_schools,
    scope_viewer,
    year_status,
    years,
)
from dashboard.queries.county import _headline, _ranking, headline, ranking
from dashboard.queries.heatmaps import GroupCoverage, coverage, group_coverage, heatmap_cells, heatmap_groups
from dashboard.queries.school import (
    _last_run,
    _ledgers,
    _refused_by_school,
    _sheets_from_database,
    _sources_by_school,
    _trend_lists,
    campus_guards,
    data_state,
    hazard_rows,
    newer_draft,
    own_school_name,
    own_school_type,
    published_total,
    school_choices,
    school_inspections,
    school_result,
    school_trend_lists,
)
from dashboard.queries.todos import (
    TODO_COLUMNS,
    _guards_to_watch,
    _todo_counts,
    county_todos,
    guard_age_limit,
    school_todos,
)
from dashboard.queries.trends import (
    annual_by_year,
    county_by_month_all_years,
    risers_fallers,
    spread,
    trend_by_month,
)


def warm_year(engine: Engine, year: int, version: tuple, today: date | None = None) -> None:
    """Build one year's county-wide loads (what the overview and any school page read) for this version."""
    day = _reference_day(year, today)
    running = _is_running(year, today)
    bureau = Scope(True, None)
    _results(engine, year, version)
    _ranking(engine, bureau, year, version)
    _headline(engine, year, day, version)
    age_limit = guard_age_limit()
    _todo_counts(engine, year, day, running, version, age_limit)
    _ledgers(engine, year, day, version)
    _guards_to_watch(engine, day, version, age_limit)
    _trend_lists(engine, year, version)
    _year_status(engine, year, version)
    _inspections_by_school(engine, year, version)


def warm_school_loads(engine: Engine, version: tuple, limit: int = 200) -> None:
    """Build the loads of the school pages' data section (sources, refused rows, last run) for this version."""
    _sources_by_school(engine, version)
    _sheets_from_database(engine, version)
    _refused_by_school(engine, limit, version)
    _last_run(engine, version)


__all__ = [
    "AREAS", "GRADES", "GUARD_BIRTHDAY_WARNING_DAYS", "GroupCoverage", "HAZARD_SOON_DAYS", "MEASURES", "NotFound",
    "Refused", "Scope", "TODO_COLUMNS", "annual_by_year", "campus_guards", "clear_caches", "county_groups",
    "county_by_month_all_years", "county_todos", "coverage", "data_state", "data_version", "forget_on_new_data",
    "get_engine", "grade_names", "group_coverage", "hazard_rows",
    "hazard_status", "headline", "heatmap_cells", "heatmap_groups", "newer_draft", "own_school_name", "own_school_type",
    "published_total", "ranking", "registered_schools", "risers_fallers", "school_choices", "school_inspections",
    "school_result", "school_todos", "school_trend_lists", "scope_viewer", "spread",
    "trend_by_month", "warm_school_loads", "warm_year", "year_status", "years",
]
