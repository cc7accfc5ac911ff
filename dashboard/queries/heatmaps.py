"""Heatmaps: each school's drills, classes and trainings per term month, and their coverage by group."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from dashboard.access import Viewer
from dashboard.queries.base import (
    KINDERGARTEN,
    MEASURES,
    NotFound,
    Refused,
    Scope,
    _annual,
    _engine,
    _group_column,
    data_version,
    version_cached,
)
from dashboard.queries.todos import _guard_semesters, _periods_long


def _period_sort_key(period: pd.Series) -> pd.Series:
    return period.astype(str).str.replace("spring", "1", regex=False).str.replace("autumn", "2", regex=False)


@version_cached
def _heatmap_cells(engine: Engine, scope: Scope, year: int, measure: str, version: tuple) -> pd.DataFrame:
    indicator, who = MEASURES[measure]
    annual = _annual(engine, year, version)
    if annual.empty:
        return pd.DataFrame(columns=["school_code", "name", "type", "township", "period", "required", "held",
                                     "covered", "counted", "value", "total"])
    if not scope.bureau:
        annual = annual[annual.index == scope.school_code]
    if who == "kindergartens":
        annual = annual[annual["type"] == KINDERGARTEN]
    elif who == "schools":
        annual = annual[annual["type"] != KINDERGARTEN]
    long = _periods_long(engine, year, version, annual, indicator)
    if indicator == "E7":
        long = _guard_semesters(long)
    info = annual[["name", "type", "township", "total"]]
    long = long.join(info, on="school_code")
    share = (long["held"] / long["required"].where(long["required"] > 0)).clip(upper=1)
    share = share.where(share.notna(), long["covered"].astype("float64"))
    if indicator == "C6":
        # A staff training held without everyone present does not cover the semester: half tone at most.
        share = share.where(long["covered"], 0.5 * share)
    # A period not yet countable (still running, not yet covered) has no colour: nobody owes it yet.
    long["value"] = share.where(long["counted"] | long["covered"], np.nan)
    long = long.assign(_k=_period_sort_key(long["period"])).sort_values(["_k"]).drop(columns="_k")
    return long.reset_index(drop=True)


def heatmap_cells(viewer: Viewer, year: int, measure: str) -> pd.DataFrame:
    """One row per (school, period) of a measure: required, held, covered, counted, value 0..1 (NaN: not due yet).

    A school viewer sees only its own school's rows.
    """
    if measure not in MEASURES:
        raise NotFound("heatmap.unknown_measure")
    scope = Scope.of(viewer)
    engine = _engine()
    return _heatmap_cells(engine, scope, year, measure, data_version(engine))


def coverage(cells: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Periods due and covered per `keys` (a school, a school and period, a group and period), counted as
    the scoring counts them ("7 of 9 covered"): due is a period the scoring counts (over, or covered
    early), covered is one of those the school covered.  Columns: keys..., due, covered."""
    due = cells["counted"].astype(bool) | cells["covered"].astype(bool)
    frame = cells[keys].assign(due=due.astype("int64"), covered=(cells["covered"].astype(bool) & due).astype("int64"))
    return frame.groupby(keys, sort=False, dropna=False)[["due", "covered"]].sum().reset_index()


@dataclass(frozen=True)
class GroupCoverage:
    """A heatmap by group.  periods: group, period, schools, due, covered, share (covered / due, NaN
    while no school of the group is due); rows: group, schools, with_due (schools with a period due),
    on_track (of those, the ones that covered every period due).  group None: every school chosen."""

    periods: pd.DataFrame
    rows: pd.DataFrame


def group_coverage(cells: pd.DataFrame, group_by: str, chosen: tuple[str, ...] = ()) -> GroupCoverage:
    """heatmap_cells summed per group (township or type) and for the chosen groups together: the same
    cells the school-by-school heatmap draws, so a group's share is the share of its schools' cells
    covered among those due (the two views cannot disagree)."""
    col = _group_column(group_by)
    if chosen:
        cells = cells[cells[col].isin(chosen)]
    if not cells.empty:  # a school with no township (or type) is a group of its own, not the row of all
        cells = cells.assign(**{col: cells[col].where(cells[col].notna() & (cells[col] != ""), "–")})
    if cells.empty:
        return GroupCoverage(pd.DataFrame(columns=["group", "period", "schools", "due", "covered", "share"]),
                             pd.DataFrame(columns=["group", "schools", "with_due", "on_track"]))
    whole = cells.assign(_all="")
    periods, rows = [], []
    for key, group_col in ((col, col), ("_all", "_all")):
        by_period = coverage(whole, [key, "period"])
        by_period = by_period.merge(whole.groupby([key, "period"], sort=False)["school_code"].nunique()
                                    .rename("schools").reset_index(), on=[key, "period"])
        periods.append(by_period.rename(columns={key: "group"}))
        schools = coverage(whole, [group_col, "school_code"])
        schools["on_track"] = (schools["due"] > 0) & (schools["covered"] == schools["due"])
        rows.append(schools.groupby(group_col, sort=False).agg(
            schools=("school_code", "size"), with_due=("due", lambda d: int((d > 0).sum())),
            on_track=("on_track", "sum")).reset_index().rename(columns={group_col: "group"}))
    periods_frame = pd.concat(periods, ignore_index=True)
    periods_frame["share"] = periods_frame["covered"] / periods_frame["due"].where(periods_frame["due"] > 0)
    rows_frame = pd.concat(rows, ignore_index=True)
    # the row of every school chosen is group None, as in the trends' frames
    for frame in (periods_frame, rows_frame):
        frame["group"] = frame["group"].astype("object").where(frame["group"] != "", None)
    rows_frame[["schools", "with_due", "on_track"]] = rows_frame[["schools", "with_due", "on_track"]].astype("int64")
    return GroupCoverage(periods_frame[["group", "period", "schools", "due", "covered", "share"]], rows_frame)


def heatmap_groups(viewer: Viewer, year: int, measure: str, group_by: str,
                   chosen: tuple[str, ...] = ()) -> GroupCoverage:
    """The heatmap by group (group_coverage of heatmap_cells), for the bureau alone: a school sees its
    own school's row only, and a group's share over a township of two schools would be the other's."""
    scope = Scope.of(viewer)
    if not scope.bureau:
        raise Refused("refused.bureau_only")
    return group_coverage(heatmap_cells(viewer, year, measure), group_by, tuple(chosen))
