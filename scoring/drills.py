"""Area D, emergency drills 應急演練 (plan 4.4)."""

from __future__ import annotations

import pandas as pd

from scoring.context import Context, Outcome
from scoring.registry import indicator


def _student_drills(ctx: Context) -> pd.DataFrame:
    return ctx.dated("drills")


@indicator("D1", "4.4.1", "演練頻次", "drill frequency")
def d1_drill_frequency(ctx: Context) -> Outcome:
    """4.4.1: schools drill once every term month; kindergartens once every quarter that overlaps a semester."""
    drills = _student_drills(ctx)
    quarter = drills["date"].dt.year * 10 + drills["date"].dt.quarter
    kinder = ctx.schools["kindergarten"]
    by_month = ctx.month_counts(drills)
    by_quarter = drills.assign(key=quarter.to_numpy()).groupby(["school_code", "key"]).size()
    schools = ctx.held_per_period(ctx.cross(ctx.term_months(), ctx.codes[~kinder.to_numpy()]), by_month, on="key")
    kindergartens = ctx.held_per_period(ctx.cross(ctx.term_quarters(), ctx.codes[kinder.to_numpy()]), by_quarter,
                                        on="key")
    long = pd.concat([schools, kindergartens], ignore_index=True)
    out = ctx.over_periods(long, "應演練期", "drill periods", "在{p}舉行一次應急演練", "hold a drill in {p}")
    frame = out.frame
    months = ~kinder
    frame.loc[months, "detail"] = frame.loc[months, "detail"].str.replace("應計應演練期", "應演練月")
    frame.loc[kinder, "detail"] = frame.loc[kinder, "detail"].str.replace("應計應演練期", "應演練季度")
    frame.loc[months, "detail_en"] = frame.loc[months, "detail_en"].str.replace("drill periods", "term months")
    frame.loc[kinder, "detail_en"] = frame.loc[kinder, "detail_en"].str.replace("drill periods", "term quarters")
    return out


@indicator("D2", "4.4.1", "年度演練計劃", "annual drill plan")
def d2_annual_plan(ctx: Context) -> Outcome:
    """4.4.1: an annual drill plan exists."""
    return ctx.yes_no(ctx.checklist_done("年度演練計劃"), "年度演練計劃", "annual drill plan",
                      "制定年度應急演練計劃", "draw up the annual drill plan")


def _drill_share(ctx: Context, passed: pd.Series, what: str, what_en: str, action: str, action_en: str,
                 held_events: bool = True) -> Outcome:
    drills = _student_drills(ctx)
    passed = passed.reindex(drills.index).fillna(False).astype(bool)
    return ctx.share(ctx.count_per_school(drills["school_code"][passed]),
                     ctx.count_per_school(drills["school_code"]), "次演練", "drills", what, what_en, action, action_en,
                     "本年度無演練記錄", "no drill recorded this year", held_events=held_events)


@indicator("D3", "4.4.2", "演練預案", "detailed plan before each drill")
def d3_drill_plans(ctx: Context) -> Outcome:
    """4.4.2: each drill had a detailed plan (預案) beforehand."""
    drills = _student_drills(ctx)
    return _drill_share(ctx, drills["has_plan"].fillna(False).astype(bool), "有預案", "had a plan",
                        "下一次演練前制定詳細預案（並填寫評定結果、各班簽到）",
                        "prepare a detailed plan before the next drill (and record its result, every class signed in)")


@indicator("D4", "4.4.3", "演練評定結果", "evaluation result of each drill")
def d4_drill_evaluations(ctx: Context) -> Outcome:
    """4.4.3: each drill has an evaluation result."""
    drills = _student_drills(ctx)
    result = drills["evaluation"].fillna("").astype(str).str.strip()
    evaluated = (result != "") & ~result.str.contains(_NO_RESULT_YET, regex=True)
    # A result can be written down after the drill: every drill still missing one is a way up.
    return _drill_share(ctx, evaluated, "有評定結果", "have an evaluation result",
                        "為每次演練填寫評定結果", "record an evaluation result for every drill", held_events=False)


# 「待評定」「尚未評定」「無評價」「待定」 in the result cell say the drill has no result yet: not one.
# 「不合格」「待改進」 are results (a poor one is still an evaluation).
_NO_RESULT_YET = (r"^[(（【\[［]?(?:暫|暂|尚|還|还|仍|目前)?(?:未|待|無|无|沒有|没有|沒|没)(?:進行|进行|作|做|經|经|組織|组织)?"
                  r"(?:評|评|考評|考评)|^[(（【\[［]?(?:待定|未定|待補|待补|待填|待確認|待确认)[)）】\]］]?$")


@indicator("D5", "4.4.4", "班主任簽到", "every class signed in")
def d5_drill_sign_in(ctx: Context) -> Outcome:
    """4.4.4: the head teacher of every participating class signs in (no proxy signatures)."""
    drills = _student_drills(ctx)
    classes = drills["classes"].astype(float)
    signed = drills["signed_classes"].astype(float)
    complete = (classes > 0) & (signed >= classes)
    return _drill_share(ctx, complete.fillna(False), "全部參演班級已簽到", "signed by every participating class",
                        "下一次演練由各參演班級班主任親自簽到（並備預案、填寫評定結果）",
                        "have every participating class's head teacher sign in at the next drill (with its plan and "
                        "result recorded)")
