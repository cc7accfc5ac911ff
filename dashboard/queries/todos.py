"""To-dos (待辦): what is due, missed or about to lapse this week, month or term, by school."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from dashboard.access import Viewer
from dashboard.queries.base import (
    GUARD_BIRTHDAY_WARNING_DAYS,
    KINDERGARTEN,
    Refused,
    Scope,
    _annual,
    _annual_indicators,
    _check_school,
    _engine,
    _hazards,
    _is_running,
    _record_table,
    _reference_day,
    _results,
    _shared_texts,
    data_version,
    hazard_status,
    version_cached,
)
from scoring.guards import first_day_over_age
from sync.settings import configured_rubric

TODO_COLUMNS = ["drill_due", "class_due", "class_missed", "guards_untrained", "hazards_due_soon", "hazards_overdue",
                "guards_reaching_age_limit", "guards_over_age_limit"]


# The indicators whose stored periods a page reads for every school: the heatmaps' (MEASURES) and the to-dos'.
PERIOD_INDICATORS = ("D1", "C2", "C6", "E4", "E7", "E8")


@version_cached
def _year_periods(engine: Engine, year: int, version: tuple) -> dict[str, pd.DataFrame]:
    """The stored periods of each of PERIOD_INDICATORS for every school of the year (_annual's order), one
    row per (school, period): each school's indicators parsed once, for all of them, and not kept."""
    rows: dict[str, list] = {indicator: [] for indicator in PERIOD_INDICATORS}
    for code, ind in _annual_indicators(engine, year, version):
        for indicator, found in rows.items():
            found.extend(
                (code, p.get("period"), p.get("required"), p.get("held"), bool(p.get("covered")), bool(p.get("counted")))
                for p in (ind.get(indicator) or {}).get("periods") or [])
    return {indicator: _periods_frame(found) for indicator, found in rows.items()}


def _periods_long(engine: Engine, year: int, version: tuple, annual: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """The stored periods of one indicator for every school of `annual` (the year's, or some of them, in
    its order), one row per (school, period)."""
    every = _year_periods(engine, year, version)[indicator]
    part = every[every["school_code"].isin(annual.index)]
    return part.reset_index(drop=True) if len(part) else _periods_frame([])


def _periods_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["school_code", "period", "required", "held", "covered", "counted"])
    frame["period"] = frame["period"].astype("object")
    _shared_texts(frame, ["period"])  # a week's or a month's label on every school's row
    for col in ("required", "held"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame


_GUARD_SEMESTER = r"^(?P<guard>.*)（(?P<semester>\d{4}-(?:spring|autumn))）$"


def _guard_semesters(e7: pd.DataFrame) -> pd.DataFrame:
    """E7's (guard, semester) periods, labelled 張三（2026-autumn）, summed per school and semester.

    required = guards employed in the semester, held = guards with their training days; the
    semester is covered when every guard has them.
    """
    parts = e7["period"].astype(str).str.extract(_GUARD_SEMESTER)
    e7 = e7.assign(semester=parts["semester"], trained=(e7["held"] >= e7["required"]).astype("int64"))
    e7 = e7[e7["semester"].notna()]
    out = e7.groupby(["school_code", "semester"], sort=False).agg(
        required=("trained", "size"), held=("trained", "sum"), counted=("counted", "all")).reset_index()
    out = out.rename(columns={"semester": "period"})
    out["covered"] = out["held"] >= out["required"]
    for col in ("required", "held"):
        out[col] = out[col].astype("float64")
    return out[["school_code", "period", "required", "held", "covered", "counted"]]


def _week_label(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso[0]}-W{iso[1]:02d}"


def _current_labels(day: date) -> dict[str, str | None]:
    return {
        "month": f"{day.year}-{day.month:02d}",
        "quarter": f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "week": _week_label(day),
        "last_week": _week_label(day - timedelta(days=7)),
        "semester": _semester_on(day),
    }


def _semester_on(day: date) -> str | None:
    """The county calendar's semester `day` is in (2026-autumn into January; the rubric's, with the
    configuration's per-year dates), None between two: training outside a semester counts for none (E7),
    and the month alone (February to July spring) asked on 20 July for the training of a spring semester
    over since 10 July, and on 25 January, a spring starting on the 21st, for last autumn's (two audits)."""
    rubric = configured_rubric()
    for year, which in ((day.year - 1, "autumn"), (day.year, "spring"), (day.year, "autumn")):
        start, end = rubric.semester(year, which)
        if start <= day <= end:
            return f"{year}-{which}"
    return None


@version_cached
def _todos(engine: Engine, year: int, day: date, running: bool, version: tuple, age_limit: int) -> pd.DataFrame:
    """What falls due, per school, on `day` of the running year (all zero for any other year)."""
    annual = _annual(engine, year, version)
    todo = pd.DataFrame(0, index=annual.index, columns=TODO_COLUMNS, dtype="int64")
    if annual.empty or not running:
        return todo
    labels = _current_labels(day)
    kinder = set(annual.index[annual["type"] == KINDERGARTEN])
    d1 = _periods_long(engine, year, version, annual, "D1")
    own_period = np.where(d1["school_code"].isin(kinder), labels["quarter"], labels["month"])
    drill_due = d1[(d1["period"] == own_period) & ~d1["covered"]]["school_code"].unique()
    todo.loc[todo.index.isin(drill_due), "drill_due"] = 1
    c2 = _periods_long(engine, year, version, annual, "C2")
    class_due = c2[(c2["period"] == labels["week"]) & ~c2["covered"]]["school_code"].unique()
    todo.loc[todo.index.isin(class_due), "class_due"] = 1
    # On a Monday "no class this week" names every school; the week just over names those that missed one
    # (a holiday week is no stored period: nobody missed it).
    class_missed = c2[(c2["period"] == labels["last_week"]) & ~c2["covered"]]["school_code"].unique()
    todo.loc[todo.index.isin(class_missed), "class_missed"] = 1
    e7 = _guard_semesters(_periods_long(engine, year, version, annual, "E7"))
    e7 = e7[e7["period"] == labels["semester"]]
    missing = (e7["required"] - e7["held"]).clip(lower=0)
    todo["guards_untrained"] = missing.groupby(e7["school_code"]).sum().reindex(todo.index, fill_value=0).astype("int64")
    hazards = _hazards(engine, version)
    hazards = hazards[hazards["school_code"].isin(set(annual.index)) & (hazards["found_date"] <= pd.Timestamp(day))]
    status = hazard_status(hazards, day)
    for name, key in (("hazards_due_soon", "due_soon"), ("hazards_overdue", "overdue")):
        todo[name] = (status == key).groupby(hazards["school_code"]).sum().reindex(todo.index, fill_value=0).astype("int64")
    guards = _active_guards(engine, day, version, age_limit)
    guards = guards[guards["school_code"].isin(set(annual.index))]
    for name in ("guards_reaching_age_limit", "guards_over_age_limit"):
        todo[name] = guards[name].groupby(guards["school_code"]).sum().reindex(todo.index, fill_value=0).astype("int64")
    return todo


@version_cached
def _guards_to_watch(engine: Engine, day: date, version: tuple, age_limit: int) -> dict[str, list[dict]]:
    """Per school, the guards on duty who are over the age limit or pass it soon, soonest first."""
    guards = _active_guards(engine, day, version, age_limit)
    guards = guards[(guards["guards_reaching_age_limit"] > 0) | (guards["guards_over_age_limit"] > 0)]
    guards = guards[["school_code", "name", "campus", "limit_day"]].sort_values(["school_code", "limit_day"], kind="stable")
    return {code: part[["name", "campus", "limit_day"]].to_dict("records")
            for code, part in guards.groupby("school_code", sort=False)}


@version_cached
def _active_guards(engine: Engine, day: date, version: tuple, age_limit: int) -> pd.DataFrame:
    guards = _record_table(engine, "guards", ("school_code", "name", "campus", "birth_date", "start_date", "end_date"), version)
    ref = pd.Timestamp(day)
    # on duty as the score takes it (scoring.context: started on or before the day, not left before it)
    active = (guards["start_date"] <= ref) & (guards["end_date"].isna() | (guards["end_date"] >= ref))
    guards = guards[active & guards["birth_date"].notna()].copy()
    limit_day = first_day_over_age(guards["birth_date"], age_limit)  # 4.5.1: over 55 from the 56th birthday
    guards["limit_day"] = limit_day
    guards["guards_over_age_limit"] = (limit_day <= ref).astype("int64")
    guards["guards_reaching_age_limit"] = ((limit_day > ref) & (limit_day <= ref + pd.Timedelta(days=GUARD_BIRTHDAY_WARNING_DAYS))).astype("int64")
    return guards


def guard_age_limit() -> int:
    """The age E3 holds guards to (4.5.1 不得超過55周歲), as the configured rubric sets it: the to-do list
    that warns of it must not count a guard the score passes (it said 56 whatever the rubric said)."""
    return int(configured_rubric().thresholds["guard_age"]["limit"])


def guard_training_days() -> float:
    """The off-duty training days E7 asks of each guard a semester, as the configured rubric sets them: the
    to-do that asks for them said 3 whatever the rubric said (a rubric audit)."""
    return float(configured_rubric().thresholds["guard_training"]["days"])


def county_todos(viewer: Viewer, year: int, today: date | None = None) -> dict:
    """The to-dos summed over the county (bureau only): schools owing each duty, and counts."""
    scope = Scope.of(viewer)
    if not scope.bureau:
        raise Refused("refused.bureau_only")
    engine = _engine()
    running = _is_running(year, today)
    age_limit = guard_age_limit()
    todo = _todos(engine, year, _reference_day(year, today), running, data_version(engine), age_limit)
    summary = {name: int(todo[name].sum()) for name in TODO_COLUMNS}
    summary["guard_age_limit"] = age_limit
    summary["schools_with_todos"] = int((todo.sum(axis=1) > 0).sum())
    summary["running_year"] = running
    return summary


def school_todos(viewer: Viewer, school_code: str, year: int, today: date | None = None) -> dict:
    """One school's to-dos: counts per kind, plus the guards and hazards behind them."""
    _check_school(viewer, school_code)
    engine = _engine()
    version = data_version(engine)
    day = _reference_day(year, today)
    running = _is_running(year, today)
    age_limit = guard_age_limit()
    counts = _todo_counts(engine, year, day, running, version, age_limit).get(school_code) or dict.fromkeys(TODO_COLUMNS, 0)
    labels = _current_labels(day)
    school = _results(engine, year, version).get(school_code)
    kinder = school is not None and school["type"] == KINDERGARTEN
    labels["drill_period"] = labels["quarter"] if kinder else labels["month"]
    return {
        "counts": dict(counts),
        "running_year": running,
        "labels": labels,
        "guards": list(_guards_to_watch(engine, day, version, age_limit).get(school_code, [])),
        "guard_age_limit": age_limit,
        "guard_training_days": guard_training_days(),
    }


@version_cached
def _todo_counts(engine: Engine, year: int, day: date, running: bool, version: tuple,
                 age_limit: int) -> dict[str, dict[str, int]]:
    """Every school's to-do counts as plain ints (one conversion per year and day, not one per page)."""
    todo = _todos(engine, year, day, running, version, age_limit)
    return {code: {k: int(v) for k, v in row.items()} for code, row in todo.to_dict("index").items()}
