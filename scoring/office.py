"""Area B, safety office 安全管理機構 (plan 4.2)."""

from __future__ import annotations

import numpy as np

from scoring.context import Context, Outcome, texts
from scoring.registry import indicator

B3_ITEMS = ("醒目標牌", "安全制度上墻", "專用檔案柜", "視頻監控系統")
B3_ITEMS_EN = ("a prominent sign", "the rules on the wall", "a dedicated archive cabinet", "video surveillance")


@indicator("B1", "4.2.1", "獨立安全辦公室", "own safety office room")
def b1_office_room(ctx: Context) -> Outcome:
    """4.2.1: the safety office has its own room."""
    return ctx.yes_no(ctx.checklist_done("獨立安全辦公室"), "獨立安全辦公室", "own safety office room",
                      "設立獨立的安全辦公室", "give the safety office its own room")


def office_required(ctx: Context, students):
    """4.2.2: people the safety office needs (director included) for a school of `students`."""
    t = ctx.rubric.thresholds["office"]
    return np.where(np.asarray(students) >= t["students"], t["large"], t["small"])


@indicator("B2", "4.2.2", "安全辦人員配備", "safety office staffing")
def b2_office_staffing(ctx: Context) -> Outcome:
    """4.2.2: a director plus staff, at least 2 people below 1000 students and 3 from 1000 on."""
    students = ctx.students_total()
    required = office_required(ctx, students)
    staff = ctx.on_duty("office_staff")
    active = ctx.count_per_school(staff["school_code"]).astype(int)
    directors = ctx.count_per_school(staff["school_code"][staff["role"] == "主任"]).astype(int)
    ratio = np.where(directors > 0, np.minimum(1.0, active / required), 0.0)
    short = np.maximum(0, required - active)
    detail = texts("學生{s}人，應配{r}人（含主任）；在崗{a}人，其中主任{d}人", s=students.astype(int), r=required,
                   a=active, d=directors)
    detail_en = texts("{s} students need {r} office staff incl. a director; {a} on duty, {d} director(s)",
                      s=students.astype(int), r=required, a=active, d=directors)
    action = np.where(directors == 0, "任命在崗的安全辦主任", texts("增配{n}名安全辦人員", n=short))
    action_en = np.where(directors == 0, "appoint a safety office director",
                         texts("add {n} safety office staff", n=short))
    # A director appointed from the staff on duty, or the first person when there is none, brings the
    # head count's share (min(1, 1/2) for an empty office), not the whole indicator.
    gain = np.where(directors == 0, np.minimum(1.0, np.maximum(active, 1) / required), 1.0 - ratio)
    return ctx.outcome(ratio, detail, detail_en, action, action_en, gain=gain)


@indicator("B3", "4.2.3", "標牌、制度上墻、檔案柜、視頻監控", "sign, rules, cabinet, video")
def b3_office_fittings(ctx: Context) -> Outcome:
    """4.2.3: a sign, rules on the wall, a dedicated archive cabinet and video surveillance (a quarter each)."""
    has = {item: ctx.checklist_done(item) for item in B3_ITEMS}
    count = sum(v.astype(int) for v in has.values())
    missing = [";".join(i for i, v in zip(B3_ITEMS, row, strict=False) if not v) for row in zip(*has.values(), strict=False)]
    missing_en = [", ".join(i for i, v in zip(B3_ITEMS_EN, row, strict=False) if not v) for row in zip(*has.values(), strict=False)]
    n = len(B3_ITEMS)
    detail = texts(f"{n}項中已完成{{c}}項{{m}}", c=count, m=["；缺：" + m.replace(";", "、") if m else "" for m in missing])
    detail_en = texts(f"{{c}} of {n} done{{m}}", c=count, m=["; missing " + m if m else "" for m in missing_en])
    # Every missing fitting at once, with what all of them bring (a quarter each).
    action = ["完成" + m.replace(";", "、") if m else "" for m in missing]
    action_en = ["provide " + m if m else "" for m in missing_en]
    return ctx.outcome(count / n, detail, detail_en, action, action_en, gain=(n - count) / n)
