"""Area E, security guards 專職安保力量 (plan 4.5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.context import Context, Outcome, texts
from scoring.registry import indicator
from sync.cells import canon
from sync.contract import GUARD_KIT


def guards_required(thresholds: dict, people, boarders):
    """4.5.1 每校區配備標準: guards a campus needs for its people (students + staff) and boarders."""
    t = thresholds
    people = np.asarray(people, dtype=float)
    boarders = np.nan_to_num(np.asarray(boarders, dtype=float))
    steps = np.floor if t["rounding"] == "full" else np.ceil
    above = steps(np.maximum(0.0, people - t["people_high"]) / t["step_people"])
    base = np.where(people < t["people_low"], t["base_low"],
                    np.where(people <= t["people_high"], t["base_mid"], t["base_mid"] + t["step_guards"] * above))
    extra = t["boarders_guards"] * steps(boarders / t["boarders_step"])
    return (base + extra).astype(int)


def _names(values: pd.Series) -> pd.Series:
    """Campus and guard names as written, without the stray spaces around them."""
    return values.astype("object").fillna("").astype(str).str.strip()


def _spelt_as(values: pd.Series, codes: pd.Series, reference: pd.DataFrame) -> pd.Series:
    """`values` (names as written, per school `codes`) in the spelling `reference` (school_code, name)
    gives the same name in, where a person reads them as one: spaces (張　強, a form's alignment),
    width and script (张强, 东区) make no other guard or campus, whichever source wrote each (a
    workbook's training of a guard a shared database lists, a query's campus the workbook spells
    otherwise).  Only names with no exact match are read so (10,000 schools' names are not)."""
    values = _names(values)
    known = set(zip(reference["school_code"], reference["name"], strict=True))
    unmatched = [(code, name) not in known for code, name in zip(codes, values, strict=True)]
    if not any(unmatched):
        return values
    schools = set(codes[unmatched])
    spelling: dict[tuple, set] = {}
    for code, name in known:
        if code in schools:
            spelling.setdefault((code, canon(name)), set()).add(name)
    out = values.copy()
    for i in np.flatnonzero(unmatched):
        same = spelling.get((codes.iat[i], canon(values.iat[i])), ())
        if len(same) == 1:  # two names read alike at one school: which one is meant is not guessed
            out.iat[i] = next(iter(same))
    return out


def campus_guards(ctx: Context) -> pd.DataFrame:
    """Per campus: people, boarders, guards required and guards on duty on the evaluation date."""
    if "campus_guards" in ctx._cache:
        return ctx._cache["campus_guards"]
    campuses = ctx.campuses()
    people = campuses["students"].astype(float).fillna(0) + campuses["staff"].astype(float).fillna(0)
    boarders = campuses["boarders"].astype(float).fillna(0)
    guards = ctx.on_duty("guards")
    listed = pd.DataFrame({"school_code": campuses["school_code"], "name": _names(campuses["campus"])})
    on_duty = guards.assign(campus=_spelt_as(guards["campus"], guards["school_code"], listed))
    on_duty = on_duty.groupby(["school_code", "campus"]).size().rename("guards_active")
    out = pd.DataFrame({
        "school_code": campuses["school_code"].to_numpy(),
        "campus": campuses["campus"].to_numpy(),
        "people": people.astype(int).to_numpy(),
        "boarders": boarders.astype(int).to_numpy(),
        "guards_required": guards_required(ctx.rubric.thresholds["guards"], people, boarders),
        "security_room": campuses["security_room"].fillna(False).astype(bool).to_numpy(),
        "alarm": campuses["alarm"].fillna(False).astype(bool).to_numpy(),
    })
    out["listed"] = listed["name"].to_numpy()
    out = out.merge(on_duty.reset_index().rename(columns={"campus": "listed"}), on=["school_code", "listed"],
                    how="left").drop(columns="listed")
    out["guards_active"] = out["guards_active"].fillna(0).astype(int)
    ctx._cache["campus_guards"] = out
    return out


@indicator("E1", "4.5.1", "保安配備人數", "guards per campus")
def e1_guard_numbers(ctx: Context) -> Outcome:
    """4.5.1: each campus has the guards its people and boarders require (2 / 4 / +2 per 500; +2 per 300 boarders)."""
    campuses = campus_guards(ctx)
    short = (campuses["guards_required"] - campuses["guards_active"]).clip(lower=0)
    campuses = campuses.assign(short=short, met=short == 0)
    total = ctx.count_per_school(campuses["school_code"]).astype(int)
    met = ctx.per_school(campuses.groupby("school_code")["met"].sum()).astype(int)
    lacking = campuses[~campuses["met"]]
    needs = lacking.assign(t=lacking["campus"].astype(str) + "應配" + lacking["guards_required"].astype(str) + "人、在崗"
                           + lacking["guards_active"].astype(str) + "人，尚缺" + lacking["short"].astype(str) + "人")
    needs_en = lacking.assign(t=lacking["campus"].astype(str) + " needs " + lacking["short"].astype(str) + " more ("
                              + lacking["guards_active"].astype(str) + " of " + lacking["guards_required"].astype(str)
                              + ")")
    needs = needs.groupby("school_code")["t"].agg("；".join).reindex(ctx.codes).fillna("")
    needs_en = needs_en.groupby("school_code")["t"].agg("; ".join).reindex(ctx.codes).fillna("")
    first = lacking.groupby("school_code").first().reindex(ctx.codes)
    ratio = np.where(total > 0, met / total.where(total > 0, 1), 0.0)
    detail = np.where(total > 0, texts("{t}個校區中{m}個保安人數達標{n}", t=total, m=met,
                                       n=["；" + n if n else "" for n in needs]), "未填報校區")
    detail_en = np.where(total > 0, texts("{m} of {t} campuses have enough guards{n}", t=total, m=met,
                                          n=["; " + n if n else "" for n in needs_en]), "no campus reported")
    has_gap = first["campus"].notna().to_numpy()
    trained, trained_en = _new_guards_trained(ctx)
    action = np.where(has_gap, texts("{c}增配{n}名保安" + trained, c=first["campus"].fillna(""),
                                     n=first["short"].fillna(0).astype(int)), "填報校區及保安人員")
    action_en = np.where(has_gap, texts("add {n} guard(s) at {c}" + trained_en, c=first["campus"].fillna(""),
                                        n=first["short"].fillna(0).astype(int)), "report campuses and guards")
    gain = np.where(total > 0, 1 / total.where(total > 0, 1), 1.0)
    return ctx.outcome(ratio, detail, detail_en, action, action_en, gain=np.where(ratio < 1, gain, 0.0))


# What a guard indicator says of a school with no guard on duty on the evaluation date (the dashboard
# reads it to tell such a school to record its guards rather than replace them).
NO_GUARD_ON_DUTY = ("評估日無在崗保安", "no guard on duty on the evaluation date")


def _new_guards_trained(ctx: Context) -> tuple[str, str]:
    """Said beside a hint that brings new guards: each is a guard-semester of E7 from the day he starts,
    and untrained he costs it (an audit: adding the guards E1 asked for took E7 down a term later)."""
    days = int(ctx.rubric.thresholds["guard_training"]["days"])
    return (f"（新保安本學期須參加{days}天脫產培訓）", f" (each new guard needs {days} days' off-duty training "
            "this semester)")


def _guard_share(ctx: Context, passed: pd.Series, what: str, what_en: str, action: str, action_en: str) -> Outcome:
    guards = ctx.on_duty("guards")
    ok = passed.reindex(guards.index).fillna(False).astype(bool)
    total = ctx.count_per_school(guards["school_code"])
    out = ctx.share(ctx.count_per_school(guards["school_code"][ok]), total,
                    "名在崗保安", "guards on duty", what, what_en, action, action_en, *NO_GUARD_ON_DUTY)
    # With no guard on duty there is nobody to replace or equip: the way up is the guards themselves
    # (found by an audit: the hint said "replace guards over 55").
    nobody = ctx.per_school(total).astype(int) == 0
    out.frame.loc[nobody, "action"] = NO_GUARD_ACTION[0]
    out.frame.loc[nobody, "action_en"] = NO_GUARD_ACTION[1]
    return out


NO_GUARD_ACTION = ("在「保安人員」表登記由保安公司派遣的在崗保安", "record the guards on duty, sent by a security company, "
                   "in the 保安人員 sheet")


@indicator("E2", "4.5.1", "保安公司派遣", "guards sent by a security company")
def e2_company_guards(ctx: Context) -> Outcome:
    """4.5.1 不得聘用社會人員: every guard is sent by a security company (an empty company cell is a direct hire)."""
    guards = ctx.on_duty("guards")
    company = guards["company"].fillna("").astype(str).str.strip()
    # 「學校自聘」「臨時聘用」「直聘」「無保安公司」 in the company cell say the guard was hired directly, as an
    # empty cell does; so does a 公益性崗位 (a public-welfare post the school fills itself).
    sent = (company != "") & ~company.str.contains(_HIRED_DIRECTLY, regex=True)
    trained, trained_en = _new_guards_trained(ctx)
    return _guard_share(ctx, sent, "由保安公司派遣", "sent by a security company",
                        "改由保安公司派遣保安，不直接聘用社會人員" + trained,
                        "replace direct hires with company guards" + trained_en)


_HIRED_DIRECTLY = (r"自聘|自行聘|自招|自行招|學校聘|学校聘|校聘|直聘|直接聘|本校聘|學校直|学校直|臨時聘|临时聘|臨時工|临时工|"
                   r"社會人員|社会人员|公益性崗|公益性岗|公益崗|公益岗|^[(（【\[［]?(?:無|无|沒有|没有|沒|没)(?:保安)?公司[)）】\]］]?$")


def over_age(birth: pd.Series, on: pd.Timestamp, limit: int) -> pd.Series:
    """4.5.1 不得超過55周歲: over the limit from the (limit+1)th birthday on (the day before is not)."""
    before_birthday = (birth.dt.month > on.month) | ((birth.dt.month == on.month) & (birth.dt.day > on.day))
    age = on.year - birth.dt.year - before_birthday.astype(int)
    return (age > limit).fillna(False)


def first_day_over_age(birth: pd.Series, limit: int) -> pd.Series:
    """The day over_age first holds: the (limit+1)th birthday, and for one born on 29 February 1 March of
    a common year (the to-do list dated it 28 February, a day before the score counted the guard over)."""
    day = birth + pd.DateOffset(years=limit + 1)
    leap_born = (birth.dt.month == 2) & (birth.dt.day == 29)
    return day.where(~(leap_born & (day.dt.day == 28)), day + pd.Timedelta(days=1))


@indicator("E3", "4.5.1", "保安年齡", "guard age limit")
def e3_guard_age(ctx: Context) -> Outcome:
    """4.5.1: no guard is over 55 on the evaluation date."""
    guards = ctx.on_duty("guards")
    limit = int(ctx.rubric.thresholds["guard_age"]["limit"])
    young = ~over_age(guards["birth_date"], ctx.as_of, limit) & guards["birth_date"].notna()
    trained, trained_en = _new_guards_trained(ctx)
    return _guard_share(ctx, young, f"未超過{limit}周歲", f"not over {limit}",
                        f"更換超過{limit}周歲的保安" + trained, f"replace guards over {limit}" + trained_en)


@indicator("E4", "4.5.1", "保安每月演練", "guards' monthly drill")
def e4_guard_drills(ctx: Context) -> Outcome:
    """4.5.1: the guards hold their own emergency drill every month."""
    long = ctx.held_per_period(ctx.cross(ctx.term_months()), ctx.month_counts(ctx.dated("guard_drills")), on="key")
    return ctx.over_periods(long, "教學月", "term months", "在{p}組織一次保安應急演練", "hold a guard drill in {p}")


@indicator("E5", "4.5.2", "安全保衛室與一鍵報警", "security room with one-button alarm")
def e5_security_room(ctx: Context) -> Outcome:
    """4.5.2: each campus has a security room with a one-button alarm."""
    campuses = campus_guards(ctx)
    ok = campuses["security_room"] & campuses["alarm"]
    return ctx.share(ctx.count_per_school(campuses["school_code"][ok]), ctx.count_per_school(campuses["school_code"]),
                     "個校區", "campuses", "有保衛室及一鍵報警", "have a security room with a one-button alarm",
                     "為每個校區設安全保衛室並安裝一鍵報警", "give every campus a security room with an alarm",
                     "未填報校區", "no campus reported")


@indicator("E6", "4.5.2", "保安裝備", "guard kit")
def e6_guard_kit(ctx: Context) -> Outcome:
    """4.5.2: each guard has the full kit (helmet, steel fork, baton, pepper spray, shield, gloves, vest)."""
    guards = ctx.on_duty("guards")
    full = pd.Series(True, index=guards.index)
    for item in GUARD_KIT:
        full &= guards[item].fillna(False).astype(bool)
    return _guard_share(ctx, full, "裝備齊全（7件）", "have all seven kit items",
                        "為保安配齊頭盔、鋼叉、橡皮棍、辣椒水、防護盾牌、防割手套、防刺背心",
                        "complete every guard's seven-piece kit")


@indicator("E7", "4.5.3", "保安脫產培訓", "guards' off-duty training")
def e7_guard_training(ctx: Context) -> Outcome:
    """4.5.3: each guard has at least 3 days of off-duty skills training per semester."""
    need = int(ctx.rubric.thresholds["guard_training"]["days"])
    guards = ctx.frame("guards")
    guards = guards[guards["start_date"].notna() & (guards["start_date"] <= ctx.as_of)]
    # a guard may have several rows (moved campus, left and came back): each row is a spell of employment
    guards = guards.assign(name=_names(guards["name"]))
    training = ctx.frame("guard_training")
    training = training[training["off_duty"].fillna(False).astype(bool) & training["start_date"].notna()]
    training = training.assign(name=_spelt_as(training["name"], training["school_code"], guards))
    t_end = training["end_date"].fillna(training["start_date"])
    pieces = []
    for sem in ctx.semesters().itertuples():
        employed = guards[(guards["start_date"] <= sem.end) & (guards["end_date"].isna() | (guards["end_date"] >= sem.start))]
        employed = employed.drop_duplicates(["school_code", "name"])
        stop = min(sem.end, ctx.as_of)
        per_guard = _training_days(training, training["start_date"].clip(lower=sem.start), t_end.clip(upper=stop))
        pairs = employed[["school_code", "name"]].merge(per_guard.reset_index(), on=["school_code", "name"], how="left")
        pairs["held"] = pairs["days"].fillna(0).astype(int)
        pairs["period"] = pairs["name"].astype(str) + "（" + sem.period + "）"
        pairs["end"] = sem.end
        pieces.append(pairs)
    long = pd.concat(pieces, ignore_index=True)
    long["required"] = need
    long["score"] = (long["held"] >= need).astype(float)
    out = ctx.over_periods(long[["school_code", "period", "end", "required", "held", "score"]],
                           "保安學期", "guard-semesters", f"安排{{p}}參加{need}天脫產培訓",
                           f"send {{p}} to {need} days of off-duty training")
    # No guard employed in the year's semesters: nothing to measure and 0 (rules.md), and the way up is the
    # guards themselves, as E2/E3/E6 say (an audit: E7 alone gave no hint).
    nobody = ~ctx.codes.isin(long["school_code"].unique())
    out.frame.loc[nobody, "action"] = NO_GUARD_ACTION[0]
    out.frame.loc[nobody, "action_en"] = NO_GUARD_ACTION[1]
    out.frame.loc[nobody, "gain"] = 1.0
    return out


def _training_days(training: pd.DataFrame, first: pd.Series, last: pd.Series) -> pd.Series:
    """Distinct days of training per (school_code, name) between each row's first and last day: a
    course typed twice, or two overlapping rows, are the same days (4.5.3 asks for three days)."""
    n = ((last - first).dt.days + 1).clip(lower=0).fillna(0).astype(int).to_numpy()
    rows = np.flatnonzero(n > 0)
    counts = n[rows]
    each = np.repeat(rows, counts)
    offsets = np.arange(len(each)) - np.repeat(np.cumsum(counts) - counts, counts)
    days = pd.DataFrame({
        "school_code": training["school_code"].to_numpy()[each],
        "name": training["name"].to_numpy()[each],
        "day": first.to_numpy()[each] + offsets.astype("timedelta64[D]"),
    })
    return days.drop_duplicates().groupby(["school_code", "name"]).size().rename("days")


@indicator("E8", "4.5.4", "高峰勤務護學崗", "peak-hour gate duty with police")
def e8_gate_duty(ctx: Context) -> Outcome:
    """4.5.4: peak-hour gate duty with the police is logged in every term month."""
    duty = ctx.dated("gate_duty")
    duty = duty[duty["police"].fillna(False).astype(bool)]
    long = ctx.held_per_period(ctx.cross(ctx.term_months()), ctx.month_counts(duty), on="key")
    return ctx.over_periods(long, "教學月", "term months", "在{p}安排民警到崗的護學崗", "log gate duty with police in {p}")
