"""Trends: month-end means of the county and its groups, year on year, spread, risers and fallers."""

from __future__ import annotations

import pandas as pd

from dashboard.access import Viewer
from dashboard.queries.base import (
    Scope,
    _annual,
    _engine,
    _group_column,
    _publication,
    _ranked,
    _years,
    data_version,
)
from dashboard.queries.county import ranking
from dashboard.queries.privacy import (
    GROUPINGS,
    _annual_county_withheld,
    _annual_groups,
    _county_withheld_days,
    _group_means,
    _groups_shown_to_a_school,
    _not_submitted,
    _own_group,
    _shown_to_a_school,
    _small_groups_hidden,
    _trend_means,
)
from scoring.engine import round_half_up


def trend_by_month(viewer: Viewer, year: int, group_by: str = "type") -> pd.DataFrame:
    """Mean year-to-date total at each month end: the county and each type or township (long: as_of, group, mean)."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    trend = _trend_means(engine, year, version)
    if trend.empty:
        return pd.DataFrame(columns=["as_of", "group", "mean", "schools"])
    col = _group_column(group_by)
    if scope.bureau:
        groups = _group_means(engine, year, version, col)
    else:
        groups = _groups_shown_to_a_school(engine, year, version, col, scope.school_code)
    county = _ranked(trend).groupby("as_of")["total"].agg(["mean", "size"]).reset_index().assign(group=None)
    county = county[~county["as_of"].isin(list(_county_withheld_days(scope, engine, year, version)))]
    out = pd.concat([county, groups], ignore_index=True).rename(columns={"size": "schools"})
    # halves up, as the overview's mean and the year-on-year chart beside it (72.45 read 72.4 here, 72.5 there)
    out["mean"] = round_half_up(out["mean"].astype("float64"))
    return out[["as_of", "group", "mean", "schools"]]


def county_by_month_all_years(viewer: Viewer) -> pd.DataFrame:
    """County mean at each month end for every stored year (year on year): year, month, mean."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    parts = []
    for year in _years(engine, version):
        trend = _trend_means(engine, year, version)
        if trend.empty:
            continue
        means = _ranked(trend).groupby("as_of")["total"].mean().reset_index()
        means = means[~means["as_of"].isin(list(_county_withheld_days(scope, engine, year, version)))]
        means["total"] = round_half_up(means["total"])
        parts.append(pd.DataFrame({"year": year, "month": means["as_of"].dt.month, "mean": means["total"]}))
    if not parts:
        return pd.DataFrame(columns=["year", "month", "mean"])
    return pd.concat(parts, ignore_index=True)


def annual_by_year(viewer: Viewer, group_by: str = "type") -> pd.DataFrame:
    """Mean annual total per year, county and per group (long: year, group, mean)."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    col = _group_column(group_by)
    parts = []
    for year in _years(engine, version):
        annual = _annual(engine, year, version)
        ranked, blocks = _annual_groups(engine, year, version)
        if ranked.empty:
            continue
        if not _annual_county_withheld(scope, engine, year, version):
            parts.append(pd.DataFrame({"year": [year], "group": [None], "mean": [ranked["total"].mean()]}))
        groups = blocks[col]
        if not scope.bureau:
            own_groups = {c: _own_group(scope, annual[c]) for c in GROUPINGS}
            seen = _shown_to_a_school(ranked, scope.school_code, blocks, own_groups,
                                      _not_submitted(engine, year, version))[col]
            groups = groups[groups["group"].isin(seen)]
        parts.append(groups.drop(columns="size").assign(year=year))
    if not parts:
        return pd.DataFrame(columns=["year", "group", "mean"])
    out = pd.concat(parts, ignore_index=True)
    out["mean"] = round_half_up(out["mean"].astype("float64"))  # halves up, as every mean shown
    return out[["year", "group", "mean"]]


def spread(viewer: Viewer, year: int, group_by: str = "type") -> pd.DataFrame:
    """The year's totals with each school's group (for the spread plots); no names for a school viewer,
    and for a school viewer nothing in a draft year: one total per school, asked once by type and once
    by township, would pair each total with its school's type and township, which name most schools."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    annual = _annual(engine, year, version)
    if annual.empty or (not scope.bureau and _publication(engine, year, version) is None):
        return pd.DataFrame(columns=["group", "total", "name"])
    col = _group_column(group_by)
    annual = _ranked(annual)
    out = pd.DataFrame({"group": annual[col].to_numpy(), "total": annual["total"].to_numpy(),
                        "name": annual["name"].to_numpy() if scope.bureau else None})
    return _small_groups_hidden(scope, out, out.groupby("group")["total"].transform("size"))


def risers_fallers(viewer: Viewer, year: int, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The n ranked schools whose total rose most and fell most on last year (only schools the viewer may
    rank)."""
    frame = ranking(viewer, year)
    # Ranked schools only: a disqualified school's rise is not one (取消資格, whatever its points did).
    frame = frame[frame["change"].notna() & frame["qualified"].astype(bool)]
    cols = ["school_code", "name", "type", "township", "total", "change"]
    risers = frame[frame["change"] > 0].sort_values("change", ascending=False).head(n)[cols]
    fallers = frame[frame["change"] < 0].sort_values("change").head(n)[cols]
    return risers.reset_index(drop=True), fallers.reset_index(drop=True)
