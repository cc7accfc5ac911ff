"""A second held-out county, scored by hand (audit): ten schools of 2020 where the rules meet.

Unlike test_scoring_reference.py (random counties against a second implementation), every figure here
was worked out by hand from rules.md before the scoring was run, and the same county was written as
real workbooks (.xlsx, .ods, .xls), synced, scored, published and exported with the same results.

Default calendar, 2020: spring 02-20..07-10, autumn 2019-09-01..2020-01-20 and 2020-09-01..2021-01-20.
Term months: Jan (20 days), Mar-Jun, Sep-Dec = 9 (Feb has 10 days of term, Jul 10).  Quarters Q1-Q4 all
overlap a semester.  Term weeks: W01-W03 (W01 = Mon 2019-12-30..), W09-W28, W36-W53 = 41 (2020 has 53
ISO weeks; W53 = 2020-12-28..2021-01-03, closed by 31 Dec).  Below high-school level C4's 3 points go
pro rata to C1, C2, C3, C5, C6 (17 points): each x 20/17 (C2 120/17 = 7.0588, C3/C5/C6 60/17 = 3.5294).

3101 幼兒園      D1 quarters: drills 1-15, 3-31, 9-30, 12-31 (two in Q1 do not cover Q2) 3/4 x 8 = 6;
                 C2 no class in W09, W53: 39/41 x 120/17 = 6.7145.  Total 97.6557 -> 97.7.
3102 小學        本部 1400+99 = 1499 people -> 4 (299 boarders +0): 4 on duty; 分校 470+30 = 500 -> 4,
                 300 boarders +2 = 6: 5 on duty (one left 12-30, one starts 12-31) -> E1 1/2 x 5 = 2.5;
                 of 9 on duty: one born 1964-12-31 (56 on 31 Dec: over; one born 1965-01-01 is not) E3 8/9,
                 one with no company E2 8/9, one without a vest E6 8/9 (x 2 = 1.7778 each); 分校 no alarm
                 E5 1/2 x 3 = 1.5; E7 19 guard-semesters (9 spring, 10 autumn), 17 trained (one's course
                 08-30..09-01 has 1 day in autumn, the 12-31 starter none) 17/19 x 2 = 1.7895; B2 1870
                 students need 3, the third from 12-31: 3 -> 4.  Total 95.1228 -> 95.1.
3103 九年一貫制  1000 students need 3 office staff, 2: B2 2/3 x 4 = 2.6667; classes on 2019-12-30 (W01),
                 Sun 2020-01-19 (W03), Sun 03-01 (W09), 07-10 (W28), Mon 08-31 (W36, before term) all count,
                 W53's on 2021-01-01 does not: C2 40/41 x 120/17 = 6.8867; a parent meeting of three
                 without safety content C3 2/3 x 60/17 = 2.3529.  Total 97.3180 -> 97.3.
3104 完全中學    C4 spring: 02-19 is outside, 02-20 and 07-10 inside -> 2; autumn 11-18 (2021-01-05 is
                 after 31 Dec) -> 1/2: (1 + .5)/2 x 3 = 2.25; C6 autumn 133 of 140: (1 + .95)/2 x 3 = 2.925;
                 hazards: closed on the deadline (pass), a day late (fail), open past it (fail), closed
                 2021-01-02 after a 12-20 deadline (fail); deadline 12-31 or 2021 and open: not counted ->
                 F3 1/4 x 5 = 1.25; one owner 待定 of 6: F2 5/6 x 3 = 2.5.  本部 1300 people -> 4,
                 650 boarders +4 = 8.  Total 94.925 -> 94.9.
3105 初中        a drill signed by 10 of 12 classes: D5 8/9 x 4 = 3.5556; falsification (5-08), deduction 2:
                 97.5556 -> 97.6 for its own view, 不合格, no rank, listed last.
3106 初中        funds: 1000 隱患整治, 0 安全宣傳 (not covered), 0.01 應急救援 (covered), 表彰獎勵 only on
                 2019-12-31: G1 2/4 x 5 = 2.5; 45 of 50 signed: A5 3.6; 450+49 = 499 people -> 2 guards;
                 deductions 10 + 7.1.  Total 100 - 2.9 - 17.1 = 80.0, 良好.
3107 小學        opened 2020-09-01: D1 4/9 x 8 = 3.5556, E4 and E8 4/9 x 2 = 0.8889, C2 18/41 x 120/17
                 = 3.0990, C5 2/3 x 60/17 = 2.3529 (drowning missed), C6 1/2 x 60/17 = 1.7647.
                 Total 86.4323 -> 86.4.
3108 小學        A4 not done (-2), no 表彰獎勵 fund (G1 3.75), deduction 6.8: 89.95 -> 90.0, 優秀.
3109 小學        drills on month ends (1-31, 3-31, 5-31, 6-30, 9-30, 10-31, 12-31; none in Apr, Nov): D1 7/9 x
                 8 = 6.2222; June's without a plan: D3 6/7 x 3 = 2.5714; 1450+50 = 1500 people -> 6;
                 deduction 17.8: 79.9937 -> 80.0, 良好, tied with 3106 (rank 7, 7, then 9).
3110 高中        2000 people -> 8 guards; assessors: E1 0 (3-15), C4 3 (5-01) then 1.5 (10-01, the latest
                 wins); deduction 33.5: 100 - 5 - 1.5 - 33.5 = 60.0, 合格.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from scoring import evaluate
from sync import contract
from tests.synthetic import Records

Y = 2020
D = date
TERM_MONTHS = (1, 3, 4, 5, 6, 9, 10, 11, 12)
TERM_WEEKS = (*range(1, 4), *range(9, 29), *range(36, 54))
CO = "平安保安服務公司"
KIT = dict.fromkeys(contract.GUARD_KIT, True)


def wednesday(week: int) -> date:
    return date.fromisocalendar(Y, week, 3)


def compliant(rec: Records, code: str, type_: str, campuses: list[tuple], guards: list[dict], *,
              opened: date | None = None, office: list[tuple] | None = None) -> None:
    """A school meeting every duty on the dates the docstring's arithmetic assumes: drills on the 15th,
    guard drills the 10th, gate duty the 12th of each term month, a class each term week's Wednesday."""
    rec.school(code, type=type_)
    for name, students, staff, boarders, room, alarm in campuses:
        rec.add("campuses", code, campus=name, students=students, staff=staff, boarders=boarders,
                security_room=room, alarm=alarm)
    for item in contract.CHECKLIST_ITEMS:
        rec.add("checklist", code, item=item, done=True, reference="校發1號", date=opened or D(Y, 2, 1))
    staff = sum(c[2] for c in campuses)
    rec.add("agreements", code, year=Y, staff_total=staff, signed=staff)
    start = opened or D(2018, 3, 1)
    big = sum(c[1] for c in campuses) >= 1000
    office = office or [("劉主任", "主任", start), ("陳幹事", "工作人員", start)] + (
        [("黃幹事", "工作人員", start)] if big else [])
    for name, role, since in office:
        rec.add("office_staff", code, name=name, role=role, start_date=since)
    campus = campuses[0][0]
    for m in TERM_MONTHS if opened is None else (9, 10, 11, 12):
        rec.add("drills", code, date=D(Y, m, 15), campus=campus, kind="消防疏散", has_plan=True, evaluation="良好",
                classes=12, signed_classes=12, participants=500)
        rec.add("guard_drills", code, date=D(Y, m, 10), campus=campus, content="防暴演練")
        rec.add("gate_duty", code, date=D(Y, m, 12), campus=campus, slot="早", police=True)
    for w in TERM_WEEKS if opened is None else range(36, 54):
        rec.add("education", code, date=wednesday(w), kind="安全教育課", topic="校園安全", safety_content=True)
    events = [(D(Y, 9, 25), "家長會", "秋季家長會"), (D(Y, 9, 16), "專題教育", "交通安全教育"),
              (D(Y, 11, 11), "專題教育", "冬季防火"), (D(Y, 9, 11), "教職工培訓", "全員安全培訓")]
    if opened is None:
        events += [(D(Y, 3, 20), "家長會", "期初家長會"), (D(Y, 6, 10), "專題教育", "防溺水專題"),
                   (D(Y, 3, 6), "教職工培訓", "全員安全培訓")]
    for day, kind, topic in events:
        rec.add("education", code, date=day, kind=kind, topic=topic, safety_content=True, attendees=staff,
                expected=staff)
    if type_ in contract.HIGH_SCHOOL_TYPES:
        for day in (D(Y, 4, 8), D(Y, 5, 13), D(Y, 10, 14), D(Y, 11, 18)):
            rec.add("education", code, date=day, kind="安全講座", topic="安全講座")
    for g in guards:
        rec.add("guards", code, **{"company": CO, "start_date": D(2018, 1, 1), "birth_date": D(1980, 6, 1), **KIT,
                                   **g})
        if g.get("start_date", D(2018, 1, 1)) <= D(Y, 7, 10):
            rec.add("guard_training", code, name=g["name"], start_date=D(Y, 3, 2), end_date=D(Y, 3, 4), off_duty=True)
        rec.add("guard_training", code, name=g["name"], start_date=D(Y, 10, 12), end_date=D(Y, 10, 14), off_duty=True)
    found = D(Y, 9, 5) if opened else D(Y, 3, 1)
    rec.add("hazards", code, id="YH-01", found_date=found, description="圍墻破損", owner="劉主任",
            deadline=found + timedelta(days=31), closed_date=found + timedelta(days=19))
    for use in contract.FUND_USES:
        rec.add("funds", code, date=D(Y, 9, 10) if opened else D(Y, 3, 1), use=use, amount=1000.0)


def guards(prefix: str, campus: str, n: int, **kw) -> list[dict]:
    return [{"name": f"{prefix}{i + 1}號", "campus": campus, **kw} for i in range(n)]


def county() -> Records:
    rec = Records()
    compliant(rec, "3101", "幼兒園", [("本園", 180, 30, 0, True, True)], guards("園保安", "本園", 2))
    rec.rows["drills"] = [r for r in rec.rows["drills"] if r["school_code"] != "3101"]
    for day in (D(Y, 1, 15), D(Y, 3, 31), D(Y, 9, 30), D(Y, 12, 31)):
        rec.add("drills", "3101", date=day, campus="本園", kind="消防疏散", has_plan=True, evaluation="良好",
                classes=6, signed_classes=6, participants=180)
    for w in (9, 53):
        rec.remove("education", "3101", date=wednesday(w), kind="安全教育課")

    west = [{"name": "甲保安", "campus": "本部", "birth_date": D(1964, 12, 31)},
            {"name": "乙保安", "campus": "本部", "birth_date": D(1965, 1, 1)},
            {"name": "丙保安", "campus": "本部", "company": None},
            {"name": "丁保安", "campus": "本部"},
            {"name": "戊保安", "campus": "分校"},
            {"name": "己保安", "campus": "分校", "vest": False},
            {"name": "庚保安", "campus": "分校"},
            {"name": "辛保安", "campus": "分校"},
            {"name": "壬保安", "campus": "分校", "start_date": D(Y, 12, 31)},
            {"name": "癸保安", "campus": "分校", "end_date": D(Y, 12, 30)}]
    compliant(rec, "3102", "小學", [("本部", 1400, 99, 299, True, True), ("分校", 470, 30, 300, True, False)], west,
              office=[("劉主任", "主任", D(2018, 3, 1)), ("陳幹事", "工作人員", D(2018, 3, 1)),
                      ("黃幹事", "工作人員", D(Y, 12, 31))])
    rec.remove("guard_training", "3102", name="壬保安", start_date=D(Y, 10, 12))
    rec.remove("guard_training", "3102", name="庚保安", start_date=D(Y, 10, 12))
    rec.add("guard_training", "3102", name="庚保安", start_date=D(Y, 8, 30), end_date=D(Y, 9, 1), off_duty=True)

    compliant(rec, "3103", "九年一貫制", [("本部", 1000, 80, 0, True, True)], guards("北保安", "本部", 4),
              office=[("劉主任", "主任", D(2018, 3, 1)), ("陳幹事", "工作人員", D(2018, 3, 1))])
    for week, day in {1: D(2019, 12, 30), 3: D(Y, 1, 19), 9: D(Y, 3, 1), 28: D(Y, 7, 10), 36: D(Y, 8, 31),
                      53: D(2021, 1, 1)}.items():
        rec.remove("education", "3103", date=wednesday(week), kind="安全教育課")
        rec.add("education", "3103", date=day, kind="安全教育課", topic="校園安全", safety_content=True)
    rec.add("education", "3103", date=D(Y, 5, 22), kind="家長會", topic="期中家長會", safety_content=False)

    compliant(rec, "3104", "完全中學", [("本部", 1200, 100, 650, True, True), ("東校區", 300, 40, 0, True, True)],
              guards("南保安", "本部", 8) + guards("東保安", "東校區", 2))
    rec.rows["education"] = [r for r in rec.rows["education"]
                             if not (r["school_code"] == "3104" and r["kind"] == "安全講座")]
    for day in (D(Y, 2, 19), D(Y, 2, 20), D(Y, 7, 10), D(Y, 11, 18), D(2021, 1, 5)):
        rec.add("education", "3104", date=day, kind="安全講座", topic="安全講座")
    rec.remove("education", "3104", date=D(Y, 9, 11), kind="教職工培訓")
    rec.add("education", "3104", date=D(Y, 9, 11), kind="教職工培訓", topic="全員安全培訓", attendees=133, expected=140)
    rec.rows["hazards"] = [r for r in rec.rows["hazards"] if r["school_code"] != "3104"]
    for id_, found, owner, deadline, closed in (
            ("YH-01", D(Y, 3, 1), "王主任", D(Y, 4, 1), D(Y, 4, 1)),
            ("YH-02", D(Y, 5, 1), "王主任", D(Y, 6, 1), D(Y, 6, 2)),
            ("YH-03", D(Y, 9, 1), "李老師", D(Y, 10, 1), None),
            ("YH-04", D(Y, 12, 1), "待定", D(2021, 1, 15), None),
            ("YH-05", D(Y, 11, 1), "李老師", D(Y, 12, 20), D(2021, 1, 2)),
            ("YH-06", D(Y, 12, 1), "李老師", D(Y, 12, 31), None)):
        rec.add("hazards", "3104", id=id_, found_date=found, description="隱患", owner=owner, deadline=deadline,
                closed_date=closed)

    compliant(rec, "3105", "初中", [("本部", 800, 70, 0, True, True)], guards("青保安", "本部", 4))
    for r in rec.rows["drills"]:
        if r["school_code"] == "3105" and r["date"] == D(Y, 4, 15):
            r["signed_classes"] = 10

    compliant(rec, "3106", "初中", [("本部", 450, 49, 0, True, True)], guards("河保安", "本部", 2))
    rec.rows["agreements"][-1].update(staff_total=50, signed=45)
    rec.rows["funds"] = [r for r in rec.rows["funds"] if r["school_code"] != "3106"]
    for day, use, amount in ((D(Y, 3, 1), "隱患整治", 1000.0), (D(Y, 3, 1), "安全宣傳", 0.0),
                             (D(Y, 3, 1), "應急救援", 0.01), (D(Y - 1, 12, 31), "表彰獎勵", 500.0)):
        rec.add("funds", "3106", date=day, use=use, amount=amount)

    compliant(rec, "3107", "小學", [("本部", 400, 40, 0, True, True)],
              guards("新保安", "本部", 2, start_date=D(Y, 9, 1)), opened=D(Y, 9, 1))

    compliant(rec, "3108", "小學", [("本部", 950, 50, 0, True, True)], guards("老保安", "本部", 4))
    rec.remove("checklist", "3108", item="文件下發全體教職工")
    rec.add("checklist", "3108", item="文件下發全體教職工", done=False)
    rec.remove("funds", "3108", use="表彰獎勵")

    compliant(rec, "3109", "小學", [("本部", 1450, 50, 0, True, True)], guards("石保安", "本部", 6))
    rec.rows["drills"] = [r for r in rec.rows["drills"] if r["school_code"] != "3109"]
    for day in (D(Y, 1, 31), D(Y, 3, 31), D(Y, 5, 31), D(Y, 6, 30), D(Y, 9, 30), D(Y, 10, 31), D(Y, 12, 31)):
        rec.add("drills", "3109", date=day, campus="本部", kind="消防疏散", has_plan=day.month != 6,
                evaluation="良好", classes=12, signed_classes=12, participants=500)

    compliant(rec, "3110", "高中", [("本部", 1850, 150, 0, True, True)], guards("城保安", "本部", 8))

    for day, code, kind, deduction, falsified, ind, points in (
            (D(Y, 5, 8), "3105", "不定期", 2.0, True, None, None),
            (D(Y, 4, 10), "3106", "定期", 10.0, False, None, None),
            (D(Y, 11, 20), "3106", "定期", 7.1, False, None, None),
            (D(Y, 6, 15), "3108", "不定期", 6.8, False, None, None),
            (D(Y, 12, 1), "3109", "定期", 17.8, False, None, None),
            (D(Y, 3, 15), "3110", "考評", 0.0, False, "E1", 0.0),
            (D(Y, 5, 1), "3110", "考評", 0.0, False, "C4", 3.0),
            (D(Y, 10, 1), "3110", "考評", 0.0, False, "C4", 1.5),
            (D(Y, 12, 10), "3110", "定期", 33.5, False, None, None)):
        rec.add("inspections", code, date=day, kind=kind, finding="督查", deduction=deduction, falsification=falsified,
                major_incident=False, indicator=ind, assessed_points=points)
    return rec


RUBRIC = {"A1": 3, "A2": 3, "A3": 3, "A4": 2, "A5": 4, "B1": 3, "B2": 4, "B3": 3, "C1": 2, "C2": 6, "C3": 3,
          "C4": 3, "C5": 3, "C6": 3, "D1": 8, "D2": 2, "D3": 3, "D4": 3, "D5": 4, "E1": 5, "E2": 2, "E3": 2,
          "E4": 2, "E5": 3, "E6": 2, "E7": 2, "E8": 2, "F1": 2, "F2": 3, "F3": 5, "G1": 5}
HIGH = {"3104", "3110"}
# The shares worked out in the docstring; every other indicator earns its whole maximum.
SHARES = {
    "3101": {"D1": 3 / 4, "C2": 39 / 41},
    "3102": {"E1": 1 / 2, "E2": 8 / 9, "E3": 8 / 9, "E5": 1 / 2, "E6": 8 / 9, "E7": 17 / 19},
    "3103": {"B2": 2 / 3, "C2": 40 / 41, "C3": 2 / 3},
    "3104": {"C4": 3 / 4, "C6": 39 / 40, "F2": 5 / 6, "F3": 1 / 4},
    "3105": {"D5": 8 / 9},
    "3106": {"G1": 1 / 2, "A5": 9 / 10},
    "3107": {"D1": 4 / 9, "E4": 4 / 9, "E8": 4 / 9, "C2": 18 / 41, "C5": 2 / 3, "C6": 1 / 2},
    "3108": {"A4": 0, "G1": 3 / 4},
    "3109": {"D1": 7 / 9, "D3": 6 / 7},
    "3110": {"E1": 0, "C4": 1 / 2},
}
# published total, grade, rank (None: 取消資格), in the ranking's order
ANNUAL = [("3101", 97.7, "優秀", 1), ("3103", 97.3, "優秀", 2), ("3102", 95.1, "優秀", 3), ("3104", 94.9, "優秀", 4),
          ("3108", 90.0, "優秀", 5), ("3107", 86.4, "良好", 6), ("3106", 80.0, "良好", 7), ("3109", 80.0, "良好", 7),
          ("3110", 60.0, "合格", 9), ("3105", 97.6, "不合格", None)]
# Year to date (100 x earned / assessable - deductions dated by then), worked by hand:
# 31 Mar: C5 pending everywhere (no window closed, none covered), C4 for 3104 (02-20's lecture is 1 of 2)
# and 3110 (no lecture, no assessment yet), C6 for 3107.  3101 D1 Q1 covered by 3-31's drill,
# C2 7 of 8 weeks: 100 x (1700 - 60 - 15)/(1700 - 60) = 99.09 -> 99.1.  3102: B2 2/3 (third from 12-31),
# E1, E2, E5, E6 as on 31 Dec, E3 full (56 only on 31 Dec): 100 x (96.4706 - 5.7778)/96.4706 = 94.01.
# 3103 B2 2/3: 98.62.  3106 A5, G1: 100 x 93.5706/96.4706 = 96.99 -> 97.0.  3107 (opens in September):
# only A5 4 and E5 3 earned of 100 - 120/17: 7.53 -> 7.5.  3108 A4, G1: 96.63 -> 96.6.  3110 E1 0 of
# 94 assessable: 94.68 -> 94.7.  3104, 3105, 3109 (drill 3-31 counts on 3-31): 100.
# 30 Jun: C5 counted (drowning 6-10) except 3107; C4 still pending for 3104 (1 of 2 lectures, spring
# runs to 07-10); 3110's C4 assessed 3 (5-01).  3101 D1 1/2 (Q2 closed on 6-30 without a drill), C2 20/21:
# 95.66 -> 95.7.  3102 94.22 -> 94.2.  3103 B2, C3 1/2 (5-22): 96.90 -> 96.9.  3104 F3 1/2 (on the
# deadline; a day late) of 97: 97.42 -> 97.4.  3105 D5 4/5, disqualified (5-08): 97.2.  3106 97.1 - 10 = 87.1.
# 3107 7.5.  3108 89.95 -> 90.0.  3109 D1 4/5 (Apr missed), D3 3/4: 97.65 -> 97.7.  3110 95.0.
TRENDS = {
    D(Y, 3, 31): {"3101": 99.1, "3102": 94.0, "3103": 98.6, "3104": 100.0, "3105": 100.0, "3106": 97.0,
                  "3107": 7.5, "3108": 96.6, "3109": 100.0, "3110": 94.7},
    D(Y, 6, 30): {"3101": 95.7, "3102": 94.2, "3103": 96.9, "3104": 97.4, "3105": 97.2, "3106": 87.1,
                  "3107": 7.5, "3108": 90.0, "3109": 97.7, "3110": 95.0},
}


@pytest.fixture(scope="module")
def frames():
    return county().frames()


def test_every_indicator_of_the_held_out_county_earns_its_hand_worked_points(frames):
    """rules.md: max x share; C4 where it does not apply 0 of 0, its 3 points x 20/17 over the other C;
    assessors' latest points replace the computed ones (3110: E1 0, C4 1.5)."""
    ind = evaluate(frames, Y).indicators.set_index(["school_code", "indicator"])
    for code, shares in SHARES.items():
        for ind_id, points in RUBRIC.items():
            top = points
            if code not in HIGH and ind_id[0] == "C":
                top = 0 if ind_id == "C4" else points * 20 / 17
            got = ind.loc[(code, ind_id)]
            assert got["max"] == pytest.approx(top), (code, ind_id)
            assert got["points"] == pytest.approx(top * shares.get(ind_id, 1)), (code, ind_id, got["detail"])


def test_the_held_out_countys_totals_grades_ranks_ties_and_veto(frames):
    """5.4 grades by the published total (89.95 -> 90.0 優秀; 79.99 -> 80.0 ties 80.0, rank 7, 7, 9);
    the disqualified school keeps its own 97.6, is 不合格, unranked and listed after every ranked one."""
    schools = evaluate(frames, Y).schools
    ranks = [None if pd.isna(rank) else int(rank) for rank in schools["rank"]]
    got = list(zip(schools["school_code"], schools["total"], schools["grade"], ranks, strict=True))
    assert got == ANNUAL
    assert schools.set_index("school_code").loc["3105", "veto_reason"] == "弄虛作假"


@pytest.mark.parametrize("as_of", list(TRENDS))
def test_the_held_out_countys_year_to_date_totals_at_two_month_ends(frames, as_of):
    """rules.md "Scores over time": periods still running count only when covered, pending maxima are
    left out, deductions and the veto count from the finding's date (3105 is ranked on 31 Mar, not 30 Jun)."""
    schools = evaluate(frames, Y, as_of).schools.set_index("school_code")
    assert schools["total"].to_dict() == pytest.approx(TRENDS[as_of])
    assert bool(schools.loc["3105", "qualified"]) is (as_of < D(Y, 5, 8))
