"""The county at a glance: the ranking (what a viewer may see of it) and the headline figures."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from dashboard.access import Viewer
from dashboard.queries.base import (
    AREAS,
    KINDERGARTEN,
    Scope,
    _annual,
    _engine,
    _hazards,
    _publication,
    _ranked,
    _record_table,
    _reference_day,
    _year_status,
    data_version,
    grade_names,
    hazard_status,
    version_cached,
)
from dashboard.queries.privacy import _annual_county_withheld, _known_to
from dashboard.queries.todos import _current_labels
from scoring.calendar import term_months, term_quarters
from scoring.engine import round_half_up
from sync.report import SCHOOL_WORKBOOK
from sync.settings import configured_rubric
from sync.store import sources

RANKING_COLUMNS = ["position", "rank", "qualified", "submitted", "refused", "school_code", "name", "type", "township",
                   "campus_count", "people", *AREAS, "deduction", "total", "grade", "change"]


def _visible_codes(scope: Scope, published: bool, codes: pd.Index) -> pd.Index:
    if scope.bureau or published:
        return codes
    return codes[codes == scope.school_code]


@version_cached
def _ranking(engine: Engine, scope: Scope, year: int, version: tuple) -> pd.DataFrame:
    annual = _annual(engine, year, version)
    if annual.empty:
        return pd.DataFrame(columns=RANKING_COLUMNS)
    published = _publication(engine, year, version) is not None
    frame = annual.loc[_visible_codes(scope, published, annual.index)]
    if not scope.bureau:
        # rules.md: a disqualified school keeps its computed points for its own view; to other schools
        # it is 取消資格, as in the circular, without the points.
        hidden = ~frame["qualified"].astype(bool) & (frame.index != scope.school_code)
        others = frame.index != scope.school_code
        frame = frame.copy()
        if hidden.any():
            frame.loc[hidden, [*AREAS, "deduction", "total"]] = np.nan
        # another school's campuses and head count are its own records, not the circular's
        frame.loc[others, ["campus_count", "people"]] = np.nan
    # Not submitted because the one workbook it sent was refused, which the school can mend (a draft: the
    # workbooks as they stand now; a published year keeps what it was published with).
    refused = _refused_workbooks(engine, version) if not published else frozenset()
    frame = frame.assign(refused=~frame["submitted"].astype(bool) & frame.index.isin(list(refused)))
    # A running year's total is the year so far: against last year's whole year, every school "fell" by half
    # its points in January (found by a turn-of-the-year audit).  Compared once the year is over.
    previous = (_ranking(engine, scope, year - 1, version)
                if year > 2000 and not _year_status(engine, year, version)["running"]
                and not _annual(engine, year - 1, version).empty else None)
    if previous is not None and not previous.empty:
        frame = frame.assign(change=(frame["total"] - previous["total"].reindex(frame.index)).round(1))
    else:
        frame = frame.assign(change=np.nan)
    return frame[RANKING_COLUMNS]


@version_cached
def _refused_workbooks(engine: Engine, version: tuple) -> frozenset[str]:
    """Schools whose workbook was received and refused whole, none loaded (they show as not submitted)."""
    with engine.connect() as conn:
        status = conn.execute(select(sources.c.school_code, sources.c.status).where(
            sources.c.kind == SCHOOL_WORKBOOK, sources.c.school_code.is_not(None),
            sources.c.status.in_(("loaded", "refused")))).all()
    loaded = {code for code, st in status if st == "loaded"}
    return frozenset(code for code, st in status if st == "refused" and code not in loaded)


def ranking(viewer: Viewer, year: int) -> pd.DataFrame:
    """The year's ranking in circular order (qualified by rank, then 取消資格), with the change on last year.

    A school viewer gets every school only for a published year; for a draft, only its own row.
    """
    scope = Scope.of(viewer)
    engine = _engine()
    return _ranking(engine, scope, year, data_version(engine))


@version_cached
def _headline(engine: Engine, year: int, day: date, version: tuple) -> dict:
    annual = _annual(engine, year, version)
    # the county's four bands first, then any other a bureau's rubric graded by (rules.md: grades are
    # configurable; a school graded 待改進 fell out of the count)
    named = list(dict.fromkeys([*grade_names(), *(annual["grade"].dropna() if not annual.empty else ())]))
    grades = annual["grade"].value_counts().reindex(named, fill_value=0) if not annual.empty else pd.Series(0, index=named)
    codes = set(annual.index)
    hazards = _hazards(engine, version)
    hazards = hazards[hazards["school_code"].isin(codes) & (hazards["found_date"] <= pd.Timestamp(day))]
    overdue = int((hazard_status(hazards, day) == "overdue").sum())
    drills = _record_table(engine, "drills", ("school_code", "date"), version)
    drills = drills[drills["school_code"].isin(codes)]
    month_start = pd.Timestamp(day.year, day.month, 1)
    quarter_start = pd.Timestamp(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    kinder = set(annual.index[annual["type"] == KINDERGARTEN]) if not annual.empty else set()
    # Of the schools a drill is due from this period (D1: a term month, a kindergarten's quarter of a
    # semester): in August, no term month, "0 %" of the county read as every school behind (a rubric audit).
    labels, rubric = _current_labels(day), configured_rubric()
    month_due = labels["month"] in set(term_months(rubric, day.year)["period"])
    quarter_due = labels["quarter"] in set(term_quarters(rubric, day.year)["period"])
    due = {code for code in codes if (quarter_due if code in kinder else month_due)}
    is_kinder = drills["school_code"].isin(kinder)
    since = np.where(is_kinder, quarter_start, month_start).astype("datetime64[ns]")
    recent = drills[(drills["date"] >= since) & (drills["date"] <= pd.Timestamp(day))]
    held = recent["school_code"][recent["school_code"].isin(due)].nunique()
    ranked = _ranked(annual)
    return {
        "schools": len(annual),
        # halves up, as the totals it is the mean of (and the figures' labels): 77.0 and 77.1 make 77.1
        "mean": float(round_half_up(ranked["total"].mean())) if len(ranked) else None,
        "grades": {g: int(n) for g, n in grades.items()},
        "disqualified": int((~annual["qualified"].astype(bool)).sum()) if len(annual) else 0,
        "not_submitted": int((~annual["submitted"].astype(bool)).sum()) if len(annual) else 0,
        "overdue_hazards": overdue,
        "drill_share": round(held / len(due), 3) if due else None,
        "drill_due_schools": frozenset(due),  # for headline's check of who a school viewer could read off
        "drill_due": len(due) if codes else None,  # None: no school has a result this year
        "drill_term_month": month_due,
        "drill_month": f"{day.year}-{day.month:02d}",
        "day": day,
    }


def headline(viewer: Viewer, year: int, today: date | None = None) -> dict:
    """County figures for the year (every viewer may see these aggregates, but for the county mean that
    would give one other school's total: _annual_county_withheld)."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    head = dict(_headline(engine, year, _reference_day(year, today), version))  # (the cached one stays whole)
    due = head.pop("drill_due_schools")
    if _annual_county_withheld(scope, engine, year, version):
        head["mean"] = None
    if not scope.bureau:
        # The county's overdue hazards and drill share are counts of the schools' own records: with one other
        # school besides the viewer's and those that sent nothing, they are that school's (a privacy audit:
        # 2 overdue, none of them the viewer's, in a county of three).  Whatever the year: they are live.
        # The drill share is of the schools due this period: out of term, the kindergartens alone, one of
        # which is one school however large the county (a second audit).
        known = _known_to(scope, engine, year, version)
        annual = _annual(engine, year, version)
        if int((~annual.index.isin(list(known))).sum()) == 1:
            head["overdue_hazards"] = None
        if len(due - known) == 1:
            head["drill_share"] = None
    return head
