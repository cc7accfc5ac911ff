"""Area C, education and training 安全教育培訓 (plan 4.3)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from scoring import calendar
from scoring.context import Context, Outcome
from scoring.registry import indicator
from sync.cells import canon

THEME_KINDS = ("安全教育課", "專題教育", "安全講座")


@indicator("C1", "4.3.1", "安全教育納入教學計劃", "safety education in the teaching plan")
def c1_teaching_plan(ctx: Context) -> Outcome:
    """4.3.1: safety education is in the teaching plan with class hours."""
    return ctx.yes_no(ctx.checklist_done("安全教育納入教學計劃"), "安全教育納入教學計劃",
                      "safety education in the teaching plan", "將安全教育納入教學計劃並安排課時",
                      "put safety education into the teaching plan with class hours")


@indicator("C2", "4.3.2", "每教學周一節安全教育課", "a safety class every term week")
def c2_weekly_class(ctx: Context) -> Outcome:
    """4.3.2: one safety class every term week, in every school type including kindergartens."""
    classes = ctx.dated("education", in_year=False)
    first_monday = pd.Timestamp(date.fromisocalendar(ctx.year, 1, 1))  # ISO week 1 may start in December
    classes = classes[(classes["kind"] == "安全教育課") & (classes["date"] >= first_monday)]
    # an ISO week is named by its Monday, which is also each term week's start
    monday = classes["date"].dt.normalize() - pd.to_timedelta(classes["date"].dt.day_of_week, unit="D")
    counts = classes.assign(start=monday.to_numpy()).groupby(["school_code", "start"]).size()
    long = ctx.held_per_period(ctx.cross(ctx.term_weeks()), counts, on="start")
    return ctx.over_periods(long, "教學周", "term weeks", "在{p}上一節安全教育課", "hold a safety class in {p}")


@indicator("C3", "4.3.3", "家長會含安全內容", "parent meetings with safety content")
def c3_parent_meetings(ctx: Context) -> Outcome:
    """4.3.3: every parent meeting carries safety content."""
    meetings = ctx.dated("education")
    meetings = meetings[meetings["kind"] == "家長會"]
    safe = meetings["safety_content"].fillna(False).astype(bool)
    return ctx.share(ctx.count_per_school(meetings["school_code"][safe]), ctx.count_per_school(meetings["school_code"]),
                     "次", "meetings", "含安全內容", "with safety content",
                     "下一次家長會安排安全教育內容", "put safety content into the next parent meeting",
                     "本年度無家長會記錄", "no parent meeting recorded this year", held_events=True)


@indicator("C4", "4.3.4", "每學期安全講座（高中階段）", "safety lectures each semester (high school)")
def c4_lectures(ctx: Context) -> Outcome:
    """4.3.4: schools with a high-school level hold at least two safety lectures per semester (the rubric's
    thresholds.lectures.per_semester; the title names no number, as E3's and E7's do not: a rubric of three was
    titled 「兩次」, a rubric audit)."""
    need = int(ctx.rubric.thresholds["lectures"]["per_semester"])
    lectures = ctx.dated("education", in_year=False)
    lectures = lectures[lectures["kind"] == "安全講座"]
    long = _per_semester_counts(ctx, lectures)
    long["required"] = need
    long["score"] = np.minimum(1.0, long["held"] / need)
    partly = (long["held"] > 0) & (long["held"] < need)
    long["figure"] = np.where(partly, long["held"].astype(str) + f"/{need}次", "")
    long["figure_en"] = np.where(partly, long["held"].astype(str) + f" of {need}", "")
    out = ctx.over_periods(long, "學期", "semesters", f"在{{p}}舉辦足{need}次安全講座",
                           f"hold {need} safety lectures in {{p}}")
    frame = out.frame
    applicable = ctx.schools["high_school"]
    frame["applicable"] = applicable
    frame.loc[~applicable, ["ratio", "gain"]] = np.nan
    frame.loc[~applicable, "pending"] = False
    frame.loc[~applicable, "detail"] = "非高中階段學校，不適用；本項分值按比例分配至本領域其他指標"
    frame.loc[~applicable, "detail_en"] = "no high-school level: not applicable; its points go pro rata to the other C indicators"
    frame.loc[~applicable, ["action", "action_en"]] = ""
    out.periods = out.periods[out.periods["school_code"].isin(ctx.codes[applicable.to_numpy()])]
    return out


def _per_semester_counts(ctx: Context, records: pd.DataFrame) -> pd.DataFrame:
    """Records per (school, semester that starts in the year), dated inside the semester."""
    return ctx.cross_counts(ctx.semesters(), [records["school_code"][inside] for inside in _in_semesters(ctx, records)])


def _in_semesters(ctx: Context, records: pd.DataFrame) -> list[np.ndarray]:
    """For each semester that starts in the year, in turn: which records are dated inside it."""
    return [((records["date"] >= sem.start) & (records["date"] <= sem.end)).to_numpy()
            for sem in ctx.semesters().itertuples()]


@indicator("C5", "4.3.5", "季節性專題教育", "seasonal safety themes")
def c5_seasonal_themes(ctx: Context) -> Outcome:
    """4.3.5: each seasonal theme is taught inside its window (drowning May-Jul, fire Nov-Jan, road Sep-Oct)."""
    records = ctx.dated("education")
    records = records[records["kind"].isin(THEME_KINDS)]
    # Compared as labels are (canon): a theme the bureau writes 防震減災 is held by a topic written
    # 防震减灾 or 防震 減災 (found by an audit).  Each distinct topic is converted once.
    topic = records["topic"].fillna("").astype(str)
    topic = topic.map({t: canon(t) for t in topic.unique()})
    month = records["date"].dt.month
    windows = calendar.theme_windows(ctx.rubric, ctx.year)
    long = ctx.cross_counts(windows[["period", "start", "end"]], [
        records["school_code"][topic.str.contains(canon(theme.period), regex=False) & month.isin(theme.months)]
        for theme in windows.itertuples()])
    long["required"] = 1
    long["score"] = (long["held"] >= 1).astype(float)
    # The hint names the theme that can be held soonest: in January fire (Nov-Jan) can be held now, while
    # drowning (May-Jul), whose window closes first, cannot before May (it named drowning).
    opens = {theme.period: _next_month_of(theme.months, ctx.as_of) for theme in windows.itertuples()}
    long["opens"] = long["period"].map(opens)
    english = {t.name: t.name_en for t in ctx.rubric.themes}  # the rubric's own English theme names
    return ctx.over_periods(long, "季節專題", "seasonal themes", "在規定月份開展「{p}」專題教育",
                            "hold the '{p}' theme inside its months", period_en=english)


def _next_month_of(months, day: pd.Timestamp) -> pd.Timestamp:
    """The first day of `months` (within day's year) on or after `day`: day itself inside one of them."""
    if day.month in months:
        return day
    later = [m for m in months if m > day.month]
    return pd.Timestamp(day.year, min(later), 1) if later else pd.Timestamp(day.year, 12, 31)


@indicator("C6", "4.3.6", "教職工每學期全員培訓", "all-staff training every semester")
def c6_staff_training(ctx: Context) -> Outcome:
    """4.3.6: every staff member is trained once per semester (best all-staff training's attendance share)."""
    trainings = ctx.dated("education", in_year=False)
    trainings = trainings[(trainings["kind"] == "教職工培訓") & (trainings["date"] >= ctx.semesters()["start"].min())]
    staff = ctx.staff_total()
    expected = trainings["expected"].astype(float)
    expected = expected.where(expected > 0, trainings["school_code"].map(staff))
    attendance = (trainings["attendees"].astype(float) / expected.where(expected > 0)).clip(upper=1).fillna(0)
    within = _in_semesters(ctx, trainings)
    long = ctx.cross_counts(ctx.semesters(), [trainings["school_code"][inside] for inside in within])
    # each school's best attendance in each semester, placed as cross() lists them (school by school)
    best = np.full((len(ctx.codes), len(within)), -np.inf)
    at, attendance = ctx.codes.get_indexer(trainings["school_code"]), attendance.to_numpy()
    for column, inside in enumerate(within):
        ours = inside & (at >= 0)
        np.maximum.at(best[:, column], at[ours], attendance[ours])
    long["score"] = np.where(np.isfinite(best), best, 0.0).reshape(-1)
    long["required"] = 1
    percent = np.floor(long["score"] * 100).astype(int).astype(str) + "%"  # 99.6% is not yet everyone
    trained = long["held"] > 0
    long["figure"] = np.where(trained, "最高出席率" + percent, "")
    long["figure_en"] = np.where(trained, "best attendance " + percent, "")
    return ctx.over_periods(long, "學期", "semesters", "在{p}組織一次全員到齊的教職工安全培訓",
                            "train all staff in {p} with full attendance")
