"""An independent audit of the scoring against rules.md: expected points worked out by hand.

Default 2026 calendar: spring 2026-02-20..07-10, autumn 2025-09-01..2026-01-20 and
2026-09-01..2027-01-20.  Term months of 2026: Jan (20 days of autumn 2025), Mar-Jun, Sep-Dec;
Feb (9 days) and Jul (10 days) are not.  Term weeks: W01-W03 (W01 starts Mon 2025-12-29),
W09-W28, W36-W53 (2026 has 53 ISO weeks; W53 runs 2026-12-28..2027-01-03) = 41.
"""

from __future__ import annotations

from datetime import date

import pytest

from scoring import calendar, evaluate
from scoring.engine import round_half_up
from scoring.rubric import load_rubric
from sync import contract
from tests.synthetic import Records, compliant_school

Y = 2026
KIT = {item: True for item in contract.GUARD_KIT}


def school(type_="高中", code="S1", **kw) -> Records:
    return compliant_school(Records(), code, Y, type=type_, **kw)


def row(rec: Records, ind: str, as_of=None, code="S1"):
    ev = evaluate(rec.frames(), Y, as_of)
    return ev.indicators.set_index(["school_code", "indicator"]).loc[(code, ind)]


def test_who_is_measured_term_months_weeks_and_quarters_of_2026():
    rubric = load_rubric()
    months = calendar.term_months(rubric, Y)["period"].tolist()
    assert months == [f"2026-{m:02d}" for m in (1, 3, 4, 5, 6, 9, 10, 11, 12)]
    weeks = set(calendar.term_weeks(rubric, Y)["period"])
    expected = {f"2026-W{w:02d}" for w in [*range(1, 4), *range(9, 29), *range(36, 54)]}
    assert weeks == expected and len(weeks) == 41
    assert calendar.term_quarters(rubric, Y)["period"].tolist() == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def test_who_is_measured_calendar_override_makes_february_a_term_month():
    rubric = load_rubric()
    assert "2028-02" not in set(calendar.term_months(rubric, 2028)["period"])  # 20..29 Feb: 10 days
    early = rubric.with_calendar({2028: {"spring": (date(2028, 2, 10), date(2028, 7, 10))}})
    assert "2028-02" in set(calendar.term_months(early, 2028)["period"])  # 10..29 Feb: 20 days


def test_4_3_2_c2_class_in_late_december_counts_for_iso_week_one():
    rec = school()
    rec.remove("education", "S1", date=date(2025, 12, 31), kind="安全教育課")  # the only class of 2026-W01
    assert row(rec, "C2")["points"] == pytest.approx(6 * 40 / 41)


def test_rules_pending_total_is_100_x_earned_over_assessable_minus_deduction():
    # 10 Jan 2026, a 高中 with only its checklist: A1-A4 11, B1 3, B3 3, C1 2, D2 2, F1 2, and F2 3 + F3 5
    # (nothing to count, list filed) = 31 earned.  Pending: C4, C5, C6, D1 (Jan running), E4, E8 = 21;
    # C2 is not pending (W01 ended 4 Jan, no class: 0), E7 has no guard (0, not pending).
    rec = Records().school("S1", type="高中")
    for item in contract.CHECKLIST_ITEMS:
        rec.add("checklist", "S1", item=item, done=True, date=date(Y, 1, 5))
    rec.add("inspections", "S1", date=date(Y, 1, 8), kind="不定期", deduction=2.5)
    ev = evaluate(rec.frames(), Y, date(Y, 1, 10))
    pending = set(ev.indicators.loc[ev.indicators["pending"], "indicator"])
    assert pending == {"C4", "C5", "C6", "D1", "E4", "E8"}
    s = ev.schools.iloc[0]
    assert s["earned"] == pytest.approx(31) and s["assessable"] == pytest.approx(79)
    assert s["total"] == pytest.approx(round_half_up(100 * 31 / 79 - 2.5, 1))  # 36.7405 -> 36.7
    assert s["total"] == pytest.approx(36.7)


def test_4_3_4_c4_31_december_closes_the_autumn_semester_and_total_rounds_half_up():
    rec = school()
    rec.remove("education", "S1", date=date(Y, 9, 28), kind="安全講座")  # autumn keeps 1 of 2 lectures
    # 30 Nov: autumn still running and not covered -> not counted; spring covered -> 3 of 3
    assert row(rec, "C4", date(Y, 11, 30))["points"] == pytest.approx(3.0)
    # 31 Dec closes every period of the year: (1 + 0.5) / 2 x 3 = 2.25; total 99.25 -> 99.3 (half up)
    assert row(rec, "C4")["points"] == pytest.approx(2.25)
    ev = evaluate(rec.frames(), Y)
    assert ev.schools.iloc[0]["total"] == pytest.approx(99.3)


def test_4_3_4_c4_not_applicable_earns_0_of_0_and_c_keeps_20():
    out = evaluate(school("小學").frames(), Y).to_json()[0]
    c4 = out["indicators"]["C4"]
    assert (c4["points"], c4["max"], c4["ratio"], c4["pending"]) == (0.0, 0.0, None, False)
    assert out["indicators"]["C1"]["max"] == pytest.approx(2 * 20 / 17, abs=1e-4)
    assert out["indicators"]["C2"]["max"] == pytest.approx(6 * 20 / 17, abs=1e-4)
    assert sum(out["indicators"][i]["max"] for i in ("C1", "C2", "C3", "C4", "C5", "C6")) == pytest.approx(20, abs=1e-3)
    assert out["total"] == 100.0


def test_4_3_5_c5_fire_theme_held_in_january_covers_the_running_window():
    rec = school()
    rec.remove("education", "S1", date=date(Y, 11, 18), kind="專題教育")  # drop the November fire theme
    assert row(rec, "C5", date(Y, 11, 30))["points"] == pytest.approx(3.0)  # fire not counted yet: 2 of 2
    assert row(rec, "C5")["points"] == pytest.approx(2.0)  # 31 Dec: 2 of 3
    rec.add("education", "S1", date=date(Y, 1, 15), kind="安全講座", topic="冬季防火講座")
    assert row(rec, "C5", date(Y, 11, 30))["points"] == pytest.approx(3.0)
    assert row(rec, "C5")["points"] == pytest.approx(3.0)


def test_4_4_1_d1_kindergarten_quarter_still_running_counts_only_when_covered():
    rec = school("幼兒園")
    for month in (10, 11, 12):
        rec.remove("drills", "S1", date=date(Y, month, 15))
    assert row(rec, "D1", date(Y, 11, 30))["points"] == pytest.approx(8.0)  # Q1-Q3 covered, Q4 running
    assert row(rec, "D1")["points"] == pytest.approx(6.0)  # 3 of 4 quarters


def test_4_5_3_e7_guard_hired_in_autumn_is_one_guard_semester():
    rec = school()
    rec.add("guards", "S1", name="新保安", campus="本部", birth_date=date(1990, 1, 1), company="平安保安公司",
            start_date=date(Y, 10, 1), **KIT)
    # 31 Dec: 2 guards x 2 semesters covered + the newcomer's autumn uncovered = 4 of 5 -> 1.6, not pending
    r = row(rec, "E7")
    assert r["points"] == pytest.approx(1.6) and not r["pending"]
    assert row(rec, "E7", date(Y, 11, 30))["points"] == pytest.approx(2.0)  # his autumn still running


def test_5_3_f3_open_problem_on_its_deadline_day_is_not_yet_counted():
    rec = school()
    rec.add("hazards", "S1", id="H2", found_date=date(Y, 5, 1), description="消防栓損壞", category="消防",
            owner="李幹事", deadline=date(Y, 6, 30), closed_date=date(Y, 7, 5))
    assert row(rec, "F3", date(Y, 6, 30))["points"] == pytest.approx(5.0)  # H1 on time, H2 inside its deadline
    assert row(rec, "F3", date(Y, 7, 1))["points"] == pytest.approx(2.5)  # H2 open past its deadline
    assert row(rec, "F3")["points"] == pytest.approx(2.5)  # H2 closed late
    assert row(rec, "F2")["points"] == pytest.approx(3.0)


def test_4_2_2_b2_students_of_all_campuses_reach_1000():
    rec = school("小學", students=400)
    rec.add("campuses", "S1", campus="分校", students=600, staff=10, boarders=0, security_room=True, alarm=True)
    assert row(rec, "B2")["points"] == pytest.approx(4 * 2 / 3)  # director + 1 of the 3 needed


def test_4_5_1_e1_campus_of_1500_people_and_650_boarders_needs_10():
    rec = school("小學")
    rec.add("campuses", "S1", campus="分校", students=1400, staff=100, boarders=650, security_room=True, alarm=True)
    for n in range(9):
        rec.add("guards", "S1", name=f"分校保安{n}", campus="分校", birth_date=date(1985, 1, 1),
                company="平安保安公司", start_date=date(Y, 1, 1), **KIT)
    r = row(rec, "E1")
    assert r["points"] == pytest.approx(2.5) and "分校 needs 1 more" in r["detail_en"]
    rec.add("guards", "S1", name="分校保安9", campus="分校", birth_date=date(1985, 1, 1), company="平安保安公司",
            start_date=date(Y, 1, 1), **KIT)
    assert row(rec, "E1")["points"] == pytest.approx(5.0)


@pytest.mark.parametrize("raw,published,grade", [(89.95, 90.0, "優秀"), (86.25, 86.3, "良好"),
                                                 (79.95, 80.0, "良好"), (59.95, 60.0, "合格"),
                                                 (59.94, 59.9, "不合格")])
def test_5_4_total_is_published_half_up_and_graded_on_the_published_value(raw, published, grade):
    total = float(round_half_up(raw, 1))
    assert total == published
    assert load_rubric().grade_for(total).name == grade


def test_4_5_3_e7_guard_with_two_spells_is_employed_in_both_semesters():
    rec = school()
    rec.add("guards", "S1", name="王保安", campus="本部", birth_date=date(1985, 1, 1), company="平安保安公司",
            start_date=date(2020, 1, 1), end_date=date(Y, 3, 31), **KIT)
    rec.add("guards", "S1", name="王保安", campus="分校", birth_date=date(1985, 1, 1), company="平安保安公司",
            start_date=date(Y, 9, 1), **KIT)
    rec.add("guard_training", "S1", name="王保安", start_date=date(Y, 2, 25), end_date=date(Y, 2, 27),
            off_duty=True)
    # pairs: 2 guards x 2 semesters (covered) + 王 spring (covered) + 王 autumn (not) = 5 of 6
    assert row(rec, "E7")["points"] == pytest.approx(2 * 5 / 6)
