"""Boundaries of rules.md not pinned elsewhere: the day on either side of a date the rules name.

A fresh-eyes pass over rules.md, clause by clause; each case starts from tests.synthetic.compliant_school
(full marks, 高中, 2026 default calendar: spring 02-20..07-10, autumn 09-01..01-20; 9 term months,
41 term weeks, 2 semesters, 2 guards on 本部) and moves one record to or just past a boundary.  The
expected points are worked out by hand in each case's comment.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_scoring_rules import Y, pts, school

KIT = {k: True for k in ("helmet", "fork", "baton", "spray", "shield", "gloves", "vest")}


def _director_until(end: date):
    return school(students=999).remove("office_staff", "S1", name="王主任").add(
        "office_staff", "S1", name="王主任", role="主任", start_date=date(2020, 1, 1), end_date=end)


@pytest.mark.parametrize("end,expected", [(date(Y, 12, 31), 4), (date(Y, 12, 30), 0)])
def test_4_2_2_b2_a_director_counts_up_to_and_including_his_end_date(end, expected):
    """rules.md "Headcounts (B2 ...) are taken on the evaluation date: a person counts from start date up to
    and including end date"; "ratio 0 without an active director".  999 students need 2: director leaving on
    31 Dec is on duty on 31 Dec, 2 of 2 -> 4; leaving on 30 Dec, no director on 31 Dec -> 0."""
    assert pts(_director_until(end), "B2") == expected


@pytest.mark.parametrize("start,expected", [(date(Y, 12, 31), 5), (date(Y + 1, 1, 1), 0)])
def test_4_5_1_e1_a_guard_counts_from_his_start_date(start, expected):
    """rules.md E1 and "Headcounts": 450 students + 50 staff = 500 people need 4 guards (500 <= people
    <= 1000).  Two guards plus two starting on 31 Dec are 4 on 31 Dec -> 5 points; starting on 1 Jan of
    the next year they are not yet on duty, 2 of 4 -> the one campus fails -> 0."""
    rec = school(students=450, staff=50)
    for name in ("甲", "乙"):
        rec.add("guards", "S1", name=name, campus="本部", birth_date=date(1980, 1, 1), company="公司",
                start_date=start, **KIT)
    assert pts(rec, "E1") == expected


@pytest.mark.parametrize("students,expected", [(951, 5), (1450, 0)])
def test_4_5_1_e1_people_above_1000_add_guards_only_per_full_500(students, expected):
    """rules.md E1, rounding "full" (default): 951 + 50 = 1001 people need 4 + 2 x floor(1/500) = 4, and
    four guards meet it -> 5; 1450 + 50 = 1500 need 4 + 2 x 1 = 6, four do not -> 0."""
    rec = school(students=students, staff=50)
    for name in ("甲", "乙"):
        rec.add("guards", "S1", name=name, campus="本部", birth_date=date(1980, 1, 1), company="公司",
                start_date=date(2020, 1, 1), **KIT)
    assert pts(rec, "E1") == expected


@pytest.mark.parametrize("day,expected", [(date(Y, 7, 10), 3), (date(Y, 7, 11), 2.25)])
def test_4_3_4_c4_a_lecture_counts_only_dated_inside_its_semester(day, expected):
    """rules.md "Semester indicators (C4 ...) look at the semesters that start in the year, using records
    dated inside them".  Spring has one of its two lectures taken away (0.5) and one added: on 10 Jul,
    the spring's last day, it makes 2 of 2 -> 3 x (1 + 1) / 2 = 3; on 11 Jul, the summer holiday, it
    counts for no semester -> 3 x (0.5 + 1) / 2 = 2.25."""
    rec = school().remove("education", "S1", kind="安全講座", date=date(Y, 3, 19))
    rec.add("education", "S1", date=day, kind="安全講座", topic="講座")
    assert pts(rec, "C4") == pytest.approx(expected)


@pytest.mark.parametrize("day,expected", [(date(Y, 1, 31), 3), (date(Y, 2, 1), 2)])
def test_4_3_5_c5_the_fire_theme_window_nov_to_jan_ends_with_january_within_the_year(day, expected):
    """rules.md C5: 防火 Nov-Jan, "dated in one of the theme's months within the year".  The school's
    November 防火 record replaced by one on 31 Jan: held in its window, 3 of 3 themes -> 3; on 1 Feb:
    outside it, 2 of 3 -> 2."""
    rec = school().remove("education", "S1", kind="專題教育", topic="防火專題")
    rec.add("education", "S1", date=day, kind="專題教育", topic="防火")
    assert pts(rec, "C5") == pytest.approx(expected)


def test_4_4_1_d1_a_drill_in_a_month_that_is_no_term_month_covers_none():
    """rules.md D1 and "Who is measured": February 2026 has 9 days inside a semester (20-28), under 14,
    so it is no term month.  June's drill moved to 25 Feb: 8 of 9 term months -> 8 x 8/9."""
    rec = school().remove("drills", "S1", date=date(Y, 6, 15))
    rec.add("drills", "S1", date=date(Y, 2, 25), campus="本部", kind="疏散", has_plan=True, evaluation="好",
            classes=12, signed_classes=12)
    assert pts(rec, "D1") == pytest.approx(8 * 8 / 9)


@pytest.mark.parametrize("closed,expected", [(date(Y, 4, 30), 5), (date(Y, 5, 1), 0)])
def test_5_3_f3_a_problem_closed_on_its_deadline_passes_and_the_day_after_fails(closed, expected):
    """rules.md F3: "closed (on or before the deadline: pass; after it: fail)".  The one problem, deadline
    30 Apr: closed on 30 Apr, 1 of 1 -> 5; closed on 1 May, 0 of 1 -> 0."""
    rec = school().remove("hazards", "S1").add("hazards", "S1", id="H1", found_date=date(Y, 3, 2),
                                                description="圍墙破損", owner="王主任", deadline=date(Y, 4, 30),
                                                closed_date=closed)
    assert pts(rec, "F3") == expected


def test_6_4_g1_a_use_with_nothing_spent_or_budgeted_is_not_covered():
    """rules.md G1: "funds spent or budgeted on each of" the four uses.  表彰獎勵 with an amount of 0 is
    no money for it: 3 of 4 uses -> 5 x 3/4 = 3.75."""
    rec = school().remove("funds", "S1", use="表彰獎勵").add("funds", "S1", date=date(Y, 3, 1), use="表彰獎勵",
                                                          amount=0.0)
    assert pts(rec, "G1") == pytest.approx(3.75)


def test_4_5_3_e7_only_training_days_inside_the_semester_count():
    """rules.md E7 (">= 3 days off-duty skills training per semester") and "using records dated inside
    them": 陳保安's spring course moved to 18-20 Feb has one day (20 Feb) inside the spring semester, so
    his spring pair fails: 3 of 4 (guard, semester) pairs -> 2 x 3/4 = 1.5."""
    rec = school().remove("guard_training", "S1", name="陳保安", start_date=date(Y, 2, 25))
    rec.add("guard_training", "S1", name="陳保安", start_date=date(Y, 2, 18), end_date=date(Y, 2, 20), off_duty=True)
    assert pts(rec, "E7") == pytest.approx(1.5)
