"""Evaluate every registered school for one year on one evaluation date.

`evaluate(frames, year, as_of=None, rubric=None)` runs each indicator over the
whole tables at once (group-bys, no per-school loops), then applies the
rubric's points, the C4 redistribution, assessors' points, inspection
deductions, the veto, grades and ranks (rules.md).  It never reads the clock:
the caller passes `as_of` (None = 31 Dec of the year).

Readings of rules.md where it leaves room (audited against every sentence):
- 31 Dec "closes every period of that year", so the autumn semester that starts in the year
  (and ISO week 53 running into January) is counted on 31 Dec even though it ends later; records
  dated after 31 Dec never count.  Hence nothing is pending on 31 Dec.
- A pending indicator's ratio, points and max are null in the JSON ("its max is left out"), and its max
  is left out of the assessable points; the points it will count for are in an added field, "weight"
  (every indicator has one: its max once measured).
- C4 where it does not apply earns 0 of 0 (points 0, ratio null); its points go pro rata to C1-C3, C5, C6.
- Published totals round half up on the one-decimal value (89.95 -> 90.0); grades and ranks use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from scoring.context import Context
from scoring.guards import campus_guards
from scoring.registry import PERIODIC, all_indicators
from scoring.rubric import AREA_IDS, INDICATOR_IDS, Rubric, load_rubric

DISQUALIFIED = "取消資格"
VETO_FALSIFICATION = "弄虛作假"
VETO_MAJOR_INCIDENT = "重大安全事故"


def round_half_up(values, digits: int = 1):
    """Published totals round halves up (86.25 -> 86.3), as people expect, not to even."""
    scale = 10 ** digits
    return np.floor(np.asarray(values, dtype=float) * scale + 0.5 + 1e-9) / scale


def deduction_points(points) -> float:
    """An inspection deduction as the bureau entered it, to two decimals (halves up): at one decimal a
    10.05 printed 10.1 beside a total of 90.0 (優秀) that the reader's own subtraction made 89.9 (an audit)."""
    return float(round_half_up(float(points or 0.0), 2))


def points_text(points) -> str:
    """10.05, 1.5, 2.0, 0.75: to the hundredth (halves up), two decimals where the figure has them, else one,
    as the indicators' points are printed; the one spelling of a deduction in the dashboard, the exports and
    the CLI, and of the gain a hint promises."""
    text = f"{deduction_points(points):.2f}"
    return text[:-1] if text.endswith("0") else text


deduction_text = points_text  # a deduction is written as any points are


@dataclass
class Evaluation:
    year: int
    as_of: date
    rubric: Rubric
    schools: pd.DataFrame  # one row per school, in rank order (disqualified last)
    indicators: pd.DataFrame  # long: one row per school and indicator
    periods: pd.DataFrame  # long: school_code, indicator, period, required, held, covered, counted
    campuses: pd.DataFrame  # one row per campus

    def to_json(self, with_periods: bool = True) -> list[dict]:
        """The objects `safeschool score --json` prints (rules.md), in rank order."""
        return to_json(self, with_periods)


def evaluate(frames: dict[str, pd.DataFrame], year: int, as_of: date | None = None,
             rubric: Rubric | None = None, with_periods: bool = True, today: date | None = None) -> Evaluation:
    """today: the county's day, when the caller knows it; where it is the evaluation date, a period ending
    that day can still be met, and its hint asks for it (the clock itself is never read here)."""
    rubric = rubric or load_rubric()
    as_of = as_of or date(year, 12, 31)
    if as_of.year != year:
        raise ValueError(f"evaluation date {as_of} is not in {year}")
    ctx = Context(frames, year, as_of, rubric, day_runs=today == as_of)
    registry = all_indicators()
    pieces, periods = [], []
    for ind_id, ind in registry.items():
        out = ind.fn(ctx)
        pieces.append(out.frame.assign(indicator=ind_id))
        if with_periods and out.periods is not None:
            periods.append(out.periods.assign(indicator=ind_id))
    long = pd.concat(pieces).rename_axis("school_code").reset_index()
    long["area"] = long["indicator"].str[0]
    long["clause"] = long["indicator"].map(lambda i: rubric.clauses.get(i) or registry[i].clause)
    long["title"] = long["indicator"].map(lambda i: registry[i].title)
    long["title_en"] = long["indicator"].map(lambda i: registry[i].title_en)
    long["max"] = _max_points(long, rubric)
    _apply_assessed_points(ctx, long)
    _hints(long)
    schools = _totals(ctx, long)
    period_frame = (pd.concat(periods, ignore_index=True) if periods else
                    pd.DataFrame(columns=["school_code", "indicator", "period", "required", "held", "covered", "counted"]))
    campuses = campus_guards(ctx)[["school_code", "campus", "people", "boarders", "guards_required", "guards_active"]]
    long["periods"] = _period_lists(long, period_frame) if with_periods else None
    order = {code: n for n, code in enumerate(schools["school_code"])}
    ind_order = {i: n for n, i in enumerate(INDICATOR_IDS)}
    long = long.assign(_s=long["school_code"].map(order), _i=long["indicator"].map(ind_order))
    long = long.sort_values(["_s", "_i"]).drop(columns=["_s", "_i"]).reset_index(drop=True)
    return Evaluation(year, as_of, rubric, schools, long, period_frame, campuses)


def _period_lists(long: pd.DataFrame, periods: pd.DataFrame) -> list:
    """Per indicator row, the compact list of its periods (for the heatmaps); None for other indicators."""
    lists: dict = {}
    for code, i, period, required, held, covered, counted in zip(
            periods["school_code"].tolist(), periods["indicator"].tolist(), periods["period"].tolist(),
            periods["required"].astype(int).tolist(), periods["held"].astype(int).tolist(),
            periods["covered"].astype(bool).tolist(), periods["counted"].astype(bool).tolist(), strict=True):
        lists.setdefault((code, i), []).append(
            {"period": period, "required": required, "held": held, "covered": covered, "counted": counted})
    return [lists.get((code, i), []) if i in PERIODIC else None
            for code, i in zip(long["school_code"].tolist(), long["indicator"].tolist(), strict=True)]


def _max_points(long: pd.DataFrame, rubric: Rubric) -> pd.Series:
    """Rubric points; C4 goes pro rata to the other C indicators where it does not apply (never free, never lost)."""
    base = long["indicator"].map(rubric.points).astype(float)
    c_others = sum(p for i, p in rubric.points.items() if i.startswith("C") and i != "C4")
    c4 = rubric.points["C4"]
    not_applicable = ~long["applicable"]
    schools_without = set(long.loc[not_applicable & (long["indicator"] == "C4"), "school_code"])
    in_such_school = long["school_code"].isin(schools_without)
    other_c = in_such_school & long["area"].eq("C") & long["indicator"].ne("C4")
    if c_others > 0:
        base = base.where(~other_c, base * (c_others + c4) / c_others)
    return base.where(~not_applicable, 0.0)


def _apply_assessed_points(ctx: Context, long: pd.DataFrame) -> None:
    """Assessors' points replace computed ones (latest finding of the year wins); both stay visible."""
    # a duty that does not apply (C4 below high-school level) earns 0 of 0: a number, not null,
    # so the points of every school add up the same way; null is kept for pending indicators
    computed = (long["max"] * long["ratio"]).where(long["applicable"], 0.0)
    long["computed_points"] = computed.where(~long["pending"])
    findings = ctx.dated("inspections")
    # people type "d1" or " D1 " as readily as "D1"
    findings = findings.assign(indicator=findings["indicator"].astype("object").fillna("").astype(str)
                               .str.strip().str.upper())
    findings = findings[findings["indicator"].isin(INDICATOR_IDS) & findings["assessed_points"].notna()]
    if findings.empty:  # most evaluations (every month end before the year's first finding): points as computed
        long["assessed_points"] = np.nan
        long["points"] = long["computed_points"]
        _ratio_of_points(long)
        return
    order = ["date", "row_no"] if "row_no" in findings else ["date"]
    latest = findings.sort_values(order, kind="stable").groupby(["school_code", "indicator"])["assessed_points"].last()
    long["assessed_points"] = pd.MultiIndex.from_frame(long[["school_code", "indicator"]]).map(latest.to_dict().get)
    long["assessed_points"] = pd.to_numeric(long["assessed_points"], errors="coerce")
    # Assessors mark on the published rubric (C2 out of 6, the range the sync accepts); where C4 does
    # not apply, the other C indicators carry its points, so their marks count on that larger scale:
    # full marks stay full marks, never lost.
    published = long["indicator"].map(ctx.rubric.points).astype(float)
    # An indicator the rubric gives no points: its assessed 0 is 0 points, not "unknown".
    share = (long["assessed_points"].clip(lower=0) / published.where(published > 0)).where(published > 0, 0.0)
    assessed = long["assessed_points"].notna() & long["applicable"]
    ignored = long["assessed_points"].notna() & ~long["applicable"]
    long["points"] = long["computed_points"].where(~assessed, (share.clip(upper=1) * long["max"]))
    long["pending"] = long["pending"] & ~assessed
    _ratio_of_points(long)
    marks = long["assessed_points"].map("{:g}".format, na_action="ignore")
    scaled = assessed & (long["max"] - published).abs().gt(1e-9)
    long.loc[assessed, "detail"] = long.loc[assessed, "detail"] + "（督查考評得分" + marks[assessed] + "分" + \
        published[assessed].map("/{:g}".format) + scaled[assessed].map({True: "，按本校滿分折算", False: ""}) + \
        "，取代計算得分）"
    long.loc[assessed, "detail_en"] = long.loc[assessed, "detail_en"] + " (assessors set " + marks[assessed] + \
        published[assessed].map(" of {:g}".format) + " points" + \
        scaled[assessed].map({True: ", scaled to this school's maximum", False: ""}) + ", replacing the computed ones)"
    long.loc[ignored, "detail"] = long.loc[ignored, "detail"] + "（督查考評得分" + marks[ignored] + \
        "分不計：本指標不適用於本校）"
    long.loc[ignored, "detail_en"] = long.loc[ignored, "detail_en"] + " (the assessors' " + marks[ignored] + \
        " points do not count: the indicator does not apply to this school)"


def _ratio_of_points(long: pd.DataFrame) -> None:
    """Each indicator's ratio as its points make it (none where it does not apply)."""
    long["ratio"] = (long["points"] / long["max"].where(long["max"] > 0)).where(long["applicable"])


def _hints(long: pd.DataFrame) -> None:
    gain = (long["max"] * long["gain"]).fillna(0)
    # Where the assessors' points count, more records raise only the computed points, which do not:
    # what raises the score is a new assessment (5.3).
    assessed = long["assessed_points"].notna() & long["applicable"]
    shown = (long["action"] != "") & long["applicable"] & ~assessed
    # A small gain is still the way up (one more covered week of forty): shown to the hundredth.  A duty
    # over periods promises what its next open period is worth on 31 Dec.  Pending, or fully met so far,
    # the next period is still named (without it the year ends short: December's drill) but promises no
    # points: none rise today, and "the three things that would raise the total most" would have added
    # up past 100 (found by an audit).
    doable = shown & (gain >= 0.005)
    worth = doable & ~long["pending"] & (long["ratio"] < 1)
    # To the hundredth, halves up, as the points beside it are shown (B3 2.25/3 promised "+0.8", a UX review):
    # two decimals where the gain has them, else one (+0.75, +1.25, +2.0).
    plus = pd.Series([points_text(g) for g in round_half_up(gain, 2).tolist()], index=gain.index, dtype=object)
    # The points the hint promises, the very figure it shows, as a number for whoever ranks the ways up
    # (the school page's "three things that would raise your total most"); None where no hint promises any.
    long["gain_points"] = plus.astype(float).where(worth)
    reassess = assessed & (long["ratio"] < 1)
    named = doable | (shown & long["pending"])
    long["hint"] = np.where(worth, long["action"] + "：+" + plus, np.where(named, long["action"], ""))
    long["hint"] = long["hint"].where(~reassess, _REASSESS)
    long["hint_en"] = np.where(worth, long["action_en"] + ": +" + plus, np.where(named, long["action_en"], ""))
    long["hint_en"] = long["hint_en"].where(~reassess, _REASSESS_EN)


_REASSESS = "本項得分由督查考評評定，補充記錄不會改變；整改後可請教育局重新考評"
_REASSESS_EN = ("these points are the assessors'; more records do not change them; once improved, ask the bureau "
                "to assess again")


def _totals(ctx: Context, long: pd.DataFrame) -> pd.DataFrame:
    # Summed by position (school x area), not grouped: four group-bys and an unstack were a tenth of an
    # evaluation of a small county.  An indicator with no points (pending) adds nothing, as sum() skips it.
    n, areas = len(ctx.codes), len(AREA_IDS)
    at = ctx.codes.get_indexer(long["school_code"]) * areas + pd.Index(AREA_IDS).get_indexer(long["area"])
    counted = ~long["pending"].to_numpy(dtype=bool)
    points = np.nan_to_num(long["points"].to_numpy(dtype=float, na_value=np.nan))
    maxima = np.nan_to_num(long["max"].to_numpy(dtype=float, na_value=np.nan))
    area_points = np.bincount(at[counted], weights=points[counted], minlength=n * areas).reshape(n, areas)
    area_max = np.bincount(at[counted], weights=maxima[counted], minlength=n * areas).reshape(n, areas)
    earned = pd.Series(area_points.sum(axis=1), index=ctx.codes)
    assessable = pd.Series(area_max.sum(axis=1), index=ctx.codes)
    any_pending = np.bincount(at[~counted] // areas, minlength=n) > 0
    score = np.where(any_pending, 100 * earned / assessable.where(assessable > 0, 1), earned)
    score = np.minimum(score, 100.0)
    findings = ctx.dated("inspections")
    deduction = ctx.per_school(findings.groupby("school_code")["deduction"].sum().astype(float))
    falsified = findings[findings["falsification"].fillna(False).astype(bool)]["school_code"]
    incident = findings[findings["major_incident"].fillna(False).astype(bool)]["school_code"]
    reasons = pd.Series("", index=ctx.codes)
    reasons[ctx.codes.isin(falsified)] = VETO_FALSIFICATION
    both = ctx.codes.isin(incident) & (reasons != "")
    reasons[ctx.codes.isin(incident)] = VETO_MAJOR_INCIDENT
    reasons[both] = VETO_FALSIFICATION + "、" + VETO_MAJOR_INCIDENT
    raw_total = np.maximum(0.0, score - deduction.to_numpy())
    schools = ctx.schools.reset_index()[["school_code", "name", "type", "township", "submitted"]].copy()
    schools["raw_total"] = raw_total
    schools["total"] = round_half_up(raw_total, 1)
    schools["earned"] = earned.to_numpy()
    schools["assessable"] = assessable.to_numpy()
    schools["deduction"] = deduction.to_numpy()
    schools["veto_reason"] = reasons.to_numpy()
    schools["qualified"] = reasons.to_numpy() == ""
    grades = ctx.rubric.grades
    fail = grades[-1].name
    schools["grade"] = [ctx.rubric.grade_for(t).name for t in schools["total"]]
    schools.loc[~schools["qualified"], "grade"] = fail
    ranks = schools.loc[schools["qualified"], "total"].rank(method="min", ascending=False)
    schools["rank"] = ranks.reindex(schools.index).astype("Int64")
    # each area's points and maximum per school (an area with nothing counted: 0 of 0)
    for column, area in enumerate(AREA_IDS):
        schools[f"{area}_points"] = area_points[:, column]
        schools[f"{area}_max"] = area_max[:, column]
    schools = schools.assign(_q=~schools["qualified"]).sort_values(
        ["_q", "total", "school_code"], ascending=[True, False, True], kind="stable").drop(columns="_q")
    return schools.reset_index(drop=True)


# Indicator points, maxima and shares keep ten decimals: rules.md fixes only the total (one decimal),
# and 8 x 7/9 printed as 6.2222 is a different number to anyone who checks it (found by an audit).
# Ten, not all seventeen: 0.1 + 0.2 stays 0.3 in the JSON and in the store.
DIGITS = 10


def _clean(value, digits: int = DIGITS):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)):
        return round(float(value), digits)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _column(frame: pd.DataFrame, col: str, digits: int | None = None) -> list:
    """A column as plain Python values (None for missing), floats rounded: fast, no per-cell pandas boxing."""
    values = frame[col]
    if digits is not None:
        arr = np.round(values.to_numpy(dtype=float, na_value=np.nan), digits)
        return [None if x != x else x for x in arr.tolist()]
    if values.dtype == bool:
        return values.tolist()
    return [None if (x is None or x is pd.NA or (isinstance(x, float) and x != x)) else x
            for x in values.to_numpy(dtype=object).tolist()]


_FLOATS = ("points", "max", "ratio", "computed_points", "assessed_points", "gain_points")
_TEXTS = ("clause", "detail", "title", "title_en", "detail_en", "hint", "hint_en")


# Raised whenever to_json adds a field or changes a value's form (2: "gain"; 3: ten decimals, not four,
# a pending indicator's max null and its "weight" added; 4: C4/C6 details give a semester's partial
# figures, a duty over periods promises what its next open period is worth on 31 Dec and nothing for a
# period that is over, D3/D5/C3 hints name the next drill or meeting; 5: a hint's gain to the hundredth where it
# has one, +0.75 not +0.8): stored draft results of an earlier format are recomputed by the next sync, as after a
# rubric edit (sync.results.rubric_fingerprint).
JSON_FORMAT = 5


def to_json(ev: Evaluation, with_periods: bool = True) -> list[dict]:
    ind = ev.indicators
    codes = _column(ind, "school_code")
    ids = _column(ind, "indicator")
    floats = {c: _column(ind, c, DIGITS) for c in _FLOATS}
    texts = {c: _column(ind, c) for c in _TEXTS}
    pending = ind["pending"].astype(bool).tolist()
    applicable = ind["applicable"].astype(bool).tolist()
    periods = ind["periods"].tolist() if with_periods and "periods" in ind else [None] * len(ind)
    by_school: dict = {}
    for n, code in enumerate(codes):
        i = ids[n]
        obj = {
            "points": floats["points"][n], "max": None if pending[n] else floats["max"][n], "ratio": floats["ratio"][n],
            "clause": texts["clause"][n], "detail": texts["detail"][n], "pending": pending[n],
            "applicable": applicable[n], "title": texts["title"][n], "title_en": texts["title_en"][n],
            "detail_en": texts["detail_en"][n], "hint": texts["hint"][n], "hint_en": texts["hint_en"][n],
            "computed_points": floats["computed_points"][n], "assessed_points": floats["assessed_points"][n],
            "gain": floats["gain_points"][n], "weight": floats["max"][n],
        }
        if with_periods and periods[n] is not None:
            obj["periods"] = periods[n]
        by_school.setdefault(code, {})[i] = obj
    campuses: dict = {}
    for row in ev.campuses.to_dict("records"):
        campuses.setdefault(row["school_code"], []).append({
            "campus": row["campus"], "people": int(row["people"]), "boarders": int(row["boarders"]),
            "guards_required": int(row["guards_required"]), "guards_active": int(row["guards_active"])})
    out = []
    for s in ev.schools.to_dict("records"):
        code = s["school_code"]
        indicators = by_school.get(code, {})
        areas = {a: {"points": _clean(s[f"{a}_points"]), "max": _clean(s[f"{a}_max"])} for a in AREA_IDS}
        out.append({
            "school_code": code,
            "name": s["name"],
            "type": s["type"],
            "township": s["township"],
            "total": _clean(s["total"], 1),
            "grade": s["grade"],
            "rank": None if pd.isna(s["rank"]) else int(s["rank"]),
            "qualified": bool(s["qualified"]),
            "deduction": _clean(s["deduction"]),
            "indicators": indicators,
            "campuses": campuses.get(code, []),
            "raw_total": _clean(s["raw_total"]),
            "veto": s["veto_reason"] or None,
            "rank_label": None if s["qualified"] else DISQUALIFIED,
            "submitted": bool(s["submitted"]),
            "areas": areas,
            "as_of": ev.as_of.isoformat(),
            "year": ev.year,
            "rubric_version": ev.rubric.version,
        })
    return out
