"""Term periods of an evaluation year, from the school calendar (rules.md "Who is measured").

- a term month is a calendar month with at least 14 days inside a semester;
- a term week is an ISO week (of that ISO year) with at least 3 weekdays inside a semester
  (the 14 and the 3 are the rubric's [thresholds.term]);
- a kindergarten quarter is a calendar quarter that overlaps a semester;
- the semesters of a year are the spring and autumn semesters that start in it.
The year's months also see the autumn semester of the year before (January).
Each function returns a frame with columns period (label), start, end (Timestamps);
months, weeks and quarters also carry an integer key (202603, 202611, 20262) for fast joins.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from scoring.rubric import Rubric


def semesters(rubric: Rubric, year: int) -> pd.DataFrame:
    """The spring and autumn semesters that start in `year` (labels 2026-spring, 2026-autumn)."""
    rows = []
    for which in ("spring", "autumn"):
        start, end = rubric.semester(year, which)
        rows.append({"period": f"{year}-{which}", "start": pd.Timestamp(start), "end": pd.Timestamp(end)})
    return pd.DataFrame(rows)


def _school_days(rubric: Rubric, year: int) -> pd.DatetimeIndex:
    """Every day of the semesters touching `year` (autumn of year-1 through autumn of year)."""
    days = []
    for y, which in ((year - 1, "autumn"), (year, "spring"), (year, "autumn")):
        start, end = rubric.semester(y, which)
        days.append(pd.date_range(start, end, freq="D"))
    out = days[0]
    for more in days[1:]:
        out = out.union(more)
    return out


def term_months(rubric: Rubric, year: int) -> pd.DataFrame:
    """Calendar months of `year` with at least thresholds.term.month_days (14) days inside a semester
    (labels 2026-03)."""
    days = _school_days(rubric, year)
    days = days[days.year == year]
    counts = pd.Series(1, index=days).groupby(days.month).size()
    months = sorted(int(m) for m, n in counts.items() if n >= rubric.thresholds["term"]["month_days"])
    return pd.DataFrame([
        {"period": f"{year}-{m:02d}", "key": year * 100 + m, "start": pd.Timestamp(year, m, 1),
         "end": pd.Timestamp(year, m, 1) + pd.offsets.MonthEnd(0)}
        for m in months
    ], columns=["period", "key", "start", "end"])


def term_weeks(rubric: Rubric, year: int) -> pd.DataFrame:
    """ISO weeks of ISO year `year` with at least thresholds.term.week_weekdays (3) weekdays inside a
    semester (labels 2026-W11)."""
    days = _school_days(rubric, year)
    iso = days.isocalendar()
    weekdays = iso[(iso["year"] == year) & (iso["day"] <= 5)]
    counts = weekdays.groupby("week").size()
    rows = []
    for week, n in counts.items():
        if n >= rubric.thresholds["term"]["week_weekdays"]:
            monday = date.fromisocalendar(year, int(week), 1)
            rows.append({"period": f"{year}-W{int(week):02d}", "key": year * 100 + int(week), "start": pd.Timestamp(monday),
                         "end": pd.Timestamp(monday + timedelta(days=6))})
    return pd.DataFrame(rows, columns=["period", "key", "start", "end"])


def term_quarters(rubric: Rubric, year: int) -> pd.DataFrame:
    """Calendar quarters of `year` that overlap a semester (labels 2026-Q2), for kindergartens' drills."""
    days = _school_days(rubric, year)
    days = days[days.year == year]
    quarters = sorted(set(int(q) for q in days.quarter))
    rows = []
    for q in quarters:
        start = pd.Timestamp(year, 3 * q - 2, 1)
        rows.append({"period": f"{year}-Q{q}", "key": year * 10 + q, "start": start,
                     "end": start + pd.offsets.QuarterEnd(0)})
    return pd.DataFrame(rows, columns=["period", "key", "start", "end"])


def theme_windows(rubric: Rubric, year: int) -> pd.DataFrame:
    """Each seasonal theme's months within `year`; the window closes at the end of its last month in the year."""
    rows = []
    for theme in rubric.themes:
        last = max(theme.months)
        rows.append({"period": theme.name, "start": pd.Timestamp(year, min(theme.months), 1),
                     "end": pd.Timestamp(year, last, 1) + pd.offsets.MonthEnd(0), "months": theme.months,
                     "name_en": theme.name_en})
    return pd.DataFrame(rows, columns=["period", "start", "end", "months", "name_en"])
