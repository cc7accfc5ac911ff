"""Frames for tests and benchmarks, in the exact shape `sync.frames.load_frames` returns.

- `Records`: build a few schools by hand (tests state expected points worked out from rules.md);
  `compliant_school` fills one school with everything a full-marks year needs.
- `county_frames(n_schools, seed, year)`: a random county of any size, generated with
  whole-array numpy work (the scoring benchmark uses 10,000 schools).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from scoring import calendar
from scoring.rubric import Rubric, load_rubric
from sync import contract
from sync.sheet_frames import empty_frame


def typed(key: str, rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Rows of one sheet as a frame with load_frames' columns and dtypes."""
    template = empty_frame(key)
    frame = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy()
    for col in template.columns:
        if col not in frame:
            frame[col] = None
    frame = frame[list(template.columns)]
    if "row_no" in frame:
        frame["row_no"] = np.arange(1, len(frame) + 1) if frame["row_no"].isna().all() else frame["row_no"]
    frame["source_id"] = frame["source_id"].fillna(1) if len(frame) else frame["source_id"]
    for col in template.columns:
        dtype = template[col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        elif str(dtype) in ("Int64", "boolean", "float64"):
            frame[col] = frame[col].astype(dtype)
        else:
            frame[col] = frame[col].astype("object")
    return frame.reset_index(drop=True)


class Records:
    """A county built by hand: `add(sheet, school_code, **values)`, then `frames()`."""

    def __init__(self):
        self.rows: dict[str, list[dict]] = {key: [] for key in contract.SHEETS}

    def school(self, code: str, type: str = "小學", boarding: bool = False, name: str | None = None,
               township: str = "城關鎮", submitted: bool = True) -> Records:
        name = name or f"{code}學校"
        self.rows["registry"].append({"school_code": code, "name": name, "type": type, "township": township})
        if submitted:
            self.rows["school"].append({"school_code": code, "name": name, "type": type, "township": township,
                                        "boarding": boarding})
        return self

    def add(self, key: str, school_code: str, **values) -> Records:
        self.rows[key].append({"school_code": school_code, **values})
        return self

    def remove(self, key: str, school_code: str, **match) -> Records:
        """Drop rows of `key` for the school whose values equal every `match` item."""
        def hit(row):
            return row["school_code"] == school_code and all(_same(row.get(k), v) for k, v in match.items())
        self.rows[key] = [r for r in self.rows[key] if not hit(r)]
        return self

    def frames(self) -> dict[str, pd.DataFrame]:
        return {key: typed(key, rows) for key, rows in self.rows.items()}


def _same(a, b) -> bool:
    if isinstance(a, (date, pd.Timestamp)) or isinstance(b, (date, pd.Timestamp)):
        return pd.Timestamp(a) == pd.Timestamp(b)
    return a == b


def _weekday_in(period_start: pd.Timestamp, weekday: int = 2) -> date:
    return (period_start + timedelta(days=weekday)).date()


def compliant_school(rec: Records, code: str, year: int, type: str = "小學", rubric: Rubric | None = None,
                     students: int = 400, staff: int = 50) -> Records:
    """One school that meets every duty of rules.md in `year` (full marks on 31 Dec)."""
    rubric = rubric or load_rubric()
    rec.school(code, type=type)
    rec.add("campuses", code, campus="本部", students=students, staff=staff, boarders=0, security_room=True,
            alarm=True)
    for item in contract.CHECKLIST_ITEMS:
        rec.add("checklist", code, item=item, done=True, reference="校安〔2026〕1號", date=date(year, 1, 5))
    rec.add("agreements", code, year=year, staff_total=staff, signed=staff)
    rec.add("office_staff", code, name="王主任", role="主任", start_date=date(year - 3, 9, 1))
    rec.add("office_staff", code, name="李幹事", role="工作人員", start_date=date(year - 3, 9, 1))
    if students >= rubric.thresholds["office"]["students"]:
        rec.add("office_staff", code, name="趙幹事", role="工作人員", start_date=date(year - 3, 9, 1))
    for month in calendar.term_months(rubric, year).itertuples():
        day = (month.start + timedelta(days=14)).date()
        rec.add("drills", code, date=day, campus="本部", kind="疏散", has_plan=True, evaluation="良好",
                classes=12, signed_classes=12, participants=500)
        rec.add("guard_drills", code, date=day, campus="本部", content="防暴演練")
        rec.add("gate_duty", code, date=day, campus="本部", slot="上午", police=True)
    for week in calendar.term_weeks(rubric, year).itertuples():
        rec.add("education", code, date=_weekday_in(week.start), kind="安全教育課", topic="安全教育",
                safety_content=True)
    for theme in rubric.themes:
        month = theme.months[0]
        rec.add("education", code, date=date(year, month, 18), kind="專題教育", topic=f"{theme.name}專題",
                safety_content=True)
    for sem in calendar.semesters(rubric, year).itertuples():
        start = sem.start.date()
        rec.add("education", code, date=start + timedelta(days=10), kind="家長會", topic="家長會",
                safety_content=True)
        for n in range(int(rubric.thresholds["lectures"]["per_semester"])):
            rec.add("education", code, date=start + timedelta(days=20 + 7 * n), kind="安全講座", topic="講座")
        rec.add("education", code, date=start + timedelta(days=12), kind="教職工培訓", topic="全員培訓",
                attendees=staff, expected=staff)
    guards = [("張保安", date(1975, 6, 1)), ("陳保安", date(1980, 3, 3))]
    for name, born in guards:
        rec.add("guards", code, name=name, campus="本部", birth_date=born, company="平安保安公司",
                start_date=date(year - 2, 1, 1), **{item: True for item in contract.GUARD_KIT})
        for sem in calendar.semesters(rubric, year).itertuples():
            first = sem.start.date() + timedelta(days=5)
            days = int(rubric.thresholds["guard_training"]["days"])
            rec.add("guard_training", code, name=name, start_date=first,
                    end_date=first + timedelta(days=days - 1), off_duty=True, content="技能培訓")
    rec.add("hazards", code, id="H1", found_date=date(year, 3, 2), description="圍墙破損", category="設施",
            owner="王主任", deadline=date(year, 4, 30), closed_date=date(year, 4, 10))
    for use in contract.FUND_USES:
        rec.add("funds", code, date=date(year, 3, 1), use=use, amount=1000.0)
    return rec


# -- a random county ------------------------------------------------------------

TOWNSHIPS = ("城關鎮", "河東鄉", "石橋鎮", "南山鄉", "新華鎮", "雙溪鄉")
_TYPE_WEIGHTS = {"幼兒園": 0.2, "小學": 0.4, "初中": 0.15, "九年一貫制": 0.1, "高中": 0.07, "完全中學": 0.04,
                 "中職": 0.04}


def _dates_within(rng, starts: np.ndarray, spans: np.ndarray) -> np.ndarray:
    offset = (rng.random(len(starts)) * np.maximum(spans, 1)).astype("int64")
    return starts + offset.astype("timedelta64[D]")


def county_frames(n_schools: int, seed: int = 2026, year: int = 2026, rubric: Rubric | None = None) -> dict:
    """A random county: each school has its own diligence, and its records follow it."""
    rubric = rubric or load_rubric()
    rng = np.random.default_rng(seed)
    codes = np.array([f"S{n:06d}" for n in range(n_schools)], dtype=object)
    types = rng.choice(list(_TYPE_WEIGHTS), size=n_schools, p=list(_TYPE_WEIGHTS.values()))
    diligence = rng.beta(5, 1.6, size=n_schools)
    frames: dict[str, pd.DataFrame] = {}
    base = pd.DataFrame({"school_code": codes, "name": [f"{c}學校" for c in codes], "type": types,
                         "township": rng.choice(TOWNSHIPS, size=n_schools)})
    frames["registry"] = typed("registry", base)
    submitted = rng.random(n_schools) < 0.97
    frames["school"] = typed("school", base[submitted].assign(boarding=rng.random(submitted.sum()) < 0.3))

    def pick(p_scale=1.0):
        return rng.random(n_schools) < np.clip(diligence * p_scale, 0, 1)

    n_campus = 1 + (rng.random(n_schools) < 0.2)
    camp_school = np.repeat(np.arange(n_schools), n_campus)
    camp_name = np.where(np.arange(len(camp_school)) - np.repeat(np.cumsum(n_campus) - n_campus, n_campus) == 0,
                         "本部", "分校")
    students = rng.integers(80, 2500, size=len(camp_school))
    frames["campuses"] = typed("campuses", pd.DataFrame({
        "school_code": codes[camp_school], "campus": camp_name, "students": students,
        "staff": (students / 12).astype(int) + 5, "boarders": np.where(rng.random(len(camp_school)) < 0.3,
                                                                         (students * 0.4).astype(int), 0),
        "security_room": rng.random(len(camp_school)) < diligence[camp_school] + 0.1,
        "alarm": rng.random(len(camp_school)) < diligence[camp_school] + 0.05,
    }))
    items = np.array(contract.CHECKLIST_ITEMS, dtype=object)
    cl_school = np.repeat(np.arange(n_schools), len(items))
    frames["checklist"] = typed("checklist", pd.DataFrame({
        "school_code": codes[cl_school], "item": np.tile(items, n_schools),
        "done": rng.random(len(cl_school)) < diligence[cl_school] + 0.1, "date": pd.Timestamp(year, 1, 10)}))
    staff_total = frames["campuses"].groupby("school_code")["staff"].sum().reindex(codes).fillna(0).astype(int)
    frames["agreements"] = typed("agreements", pd.DataFrame({
        "school_code": codes, "year": year, "staff_total": staff_total.to_numpy(),
        "signed": (staff_total.to_numpy() * np.minimum(1, diligence + 0.1)).astype(int)}))
    n_office = rng.integers(1, 4, size=n_schools)
    of_school = np.repeat(np.arange(n_schools), n_office)
    first = np.arange(len(of_school)) == np.repeat(np.cumsum(n_office) - n_office, n_office)
    frames["office_staff"] = typed("office_staff", pd.DataFrame({
        "school_code": codes[of_school], "name": [f"員{i}" for i in range(len(of_school))],
        "role": np.where(first & (rng.random(len(of_school)) < 0.95), "主任", "工作人員"),
        "start_date": pd.Timestamp(year - 2, 9, 1)}))

    months = calendar.term_months(rubric, year)
    weeks = calendar.term_weeks(rubric, year)

    def per_period(periods: pd.DataFrame, p_scale: float, span_days: int):
        n = len(periods)
        school = np.repeat(np.arange(n_schools), n)
        starts = np.tile(periods["start"].to_numpy().astype("datetime64[D]"), n_schools)
        keep = rng.random(len(school)) < np.clip(diligence[school] * p_scale, 0, 1)
        school, starts = school[keep], starts[keep]
        return school, _dates_within(rng, starts, np.full(len(starts), span_days))

    d_school, d_date = per_period(months, 1.0, 27)
    ok = diligence[d_school]
    classes = rng.integers(5, 30, size=len(d_school))
    frames["drills"] = typed("drills", pd.DataFrame({
        "school_code": codes[d_school], "date": d_date, "campus": "本部", "kind": "疏散",
        "has_plan": rng.random(len(d_school)) < ok + 0.1,
        "evaluation": np.where(rng.random(len(d_school)) < ok + 0.05, "良好", None),
        "classes": classes,
        "signed_classes": np.where(rng.random(len(d_school)) < ok, classes, classes - 1),
        "participants": classes * 40}))
    w_school, w_date = per_period(weeks, 1.05, 4)
    edu = [pd.DataFrame({"school_code": codes[w_school], "date": w_date, "kind": "安全教育課", "topic": "安全教育",
                         "safety_content": True})]
    for theme in rubric.themes:
        keep = pick(1.0)
        edu.append(pd.DataFrame({"school_code": codes[keep], "date": pd.Timestamp(year, theme.months[0], 15),
                                 "kind": "專題教育", "topic": f"{theme.name}教育", "safety_content": True}))
    for sem in calendar.semesters(rubric, year).itertuples():
        keep = pick(1.0)
        edu.append(pd.DataFrame({"school_code": codes[keep], "date": sem.start + pd.Timedelta(days=10),
                                 "kind": "家長會", "topic": "家長會", "safety_content": rng.random(keep.sum()) < 0.9}))
        for n in range(2):
            keep = pick(1.0)
            edu.append(pd.DataFrame({"school_code": codes[keep], "date": sem.start + pd.Timedelta(days=20 + 9 * n),
                                     "kind": "安全講座", "topic": "講座"}))
        keep = pick(1.1)
        exp = staff_total.to_numpy()[keep]
        edu.append(pd.DataFrame({"school_code": codes[keep], "date": sem.start + pd.Timedelta(days=12),
                                 "kind": "教職工培訓", "topic": "全員培訓", "expected": exp,
                                 "attendees": (exp * np.minimum(1, diligence[keep] + 0.15)).astype(int)}))
    frames["education"] = typed("education", pd.concat(edu, ignore_index=True))

    camp = frames["campuses"]
    people = (camp["students"] + camp["staff"]).astype(float).to_numpy()
    from scoring.guards import guards_required

    need = guards_required(rubric.thresholds["guards"], people, camp["boarders"].astype(float).to_numpy())
    n_guards = np.maximum(1, need - (rng.random(len(need)) > diligence[camp_school]).astype(int) * 2)
    g_camp = np.repeat(np.arange(len(camp)), n_guards)
    g_school = camp_school[g_camp]
    n_g = len(g_camp)
    births = np.datetime64(f"{year - 56}-06-01") + rng.integers(-3000, 9000, size=n_g).astype("timedelta64[D]")
    kit = {item: rng.random(n_g) < diligence[g_school] + 0.1 for item in contract.GUARD_KIT}
    names = np.array([f"保安{i}" for i in range(n_g)], dtype=object)
    frames["guards"] = typed("guards", pd.DataFrame({
        "school_code": codes[g_school], "name": names, "campus": camp["campus"].to_numpy()[g_camp],
        "birth_date": births, "company": np.where(rng.random(n_g) < diligence[g_school] + 0.1, "平安保安公司", None),
        "start_date": pd.Timestamp(year - 1, 3, 1), **kit}))
    train = []
    for sem in calendar.semesters(rubric, year).itertuples():
        keep = rng.random(n_g) < diligence[g_school]
        train.append(pd.DataFrame({"school_code": codes[g_school][keep], "name": names[keep],
                                   "start_date": sem.start + pd.Timedelta(days=7),
                                   "end_date": sem.start + pd.Timedelta(days=9), "off_duty": True, "content": "技能"}))
    frames["guard_training"] = typed("guard_training", pd.concat(train, ignore_index=True))
    gd_school, gd_date = per_period(months, 1.0, 27)
    frames["guard_drills"] = typed("guard_drills", pd.DataFrame({"school_code": codes[gd_school], "date": gd_date}))
    gt_school, gt_date = per_period(months, 1.0, 27)
    frames["gate_duty"] = typed("gate_duty", pd.DataFrame({
        "school_code": codes[gt_school], "date": gt_date, "slot": "上午",
        "police": rng.random(len(gt_school)) < 0.95}))
    n_haz = rng.integers(0, 5, size=n_schools)
    h_school = np.repeat(np.arange(n_schools), n_haz)
    found = _dates_within(rng, np.full(len(h_school), np.datetime64(f"{year}-01-05")), np.full(len(h_school), 300))
    deadline = found + np.timedelta64(30, "D")
    late = rng.random(len(h_school)) > diligence[h_school]
    closed = found + rng.integers(1, 29, size=len(h_school)).astype("timedelta64[D]") + \
        np.where(late, np.timedelta64(40, "D"), np.timedelta64(0, "D"))
    frames["hazards"] = typed("hazards", pd.DataFrame({
        "school_code": codes[h_school], "id": [f"H{i}" for i in range(len(h_school))], "found_date": found,
        "description": "隱患", "owner": np.where(rng.random(len(h_school)) < diligence[h_school] + 0.1, "主任", None),
        "deadline": deadline, "closed_date": np.where(rng.random(len(h_school)) < 0.9, closed,
                                                      np.datetime64("NaT"))}))
    uses = np.array(contract.FUND_USES, dtype=object)
    f_school = np.repeat(np.arange(n_schools), len(uses))
    keep = rng.random(len(f_school)) < diligence[f_school] + 0.1
    frames["funds"] = typed("funds", pd.DataFrame({
        "school_code": codes[f_school][keep], "date": pd.Timestamp(year, 4, 1), "use": np.tile(uses, n_schools)[keep],
        "amount": 5000.0}))
    n_insp = max(1, n_schools // 20)
    insp_school = rng.choice(n_schools, size=n_insp, replace=False)
    frames["inspections"] = typed("inspections", pd.DataFrame({
        "school_code": codes[insp_school], "date": pd.Timestamp(year, 6, 15), "kind": "不定期",
        "finding": "台賬不全", "deduction": rng.choice([0.0, 0.5, 1.0, 2.0], size=n_insp),
        "falsification": rng.random(n_insp) < 0.05, "major_incident": False}))
    return frames
