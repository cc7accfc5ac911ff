"""The demo county generator (sync.demo): deterministic, in load_frames' shape, and realistic.

Realistic means the county exercises every indicator of rules.md: the checks
below look for the situations the issue asks for (exam-month skippers, old
guards, missing sign-ins, late hazards, a falsification finding, ...).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sync import contract
from sync.demo import build_county, county_frames
from sync.errors import UserError
from sync.settings import county_today
from sync.sheet_frames import empty_frame

TODAY = date(2026, 11, 28)
FIRST_YEAR = TODAY.year - 2


@pytest.fixture(scope="module")
def county():
    return build_county(60, 2026, TODAY)


@pytest.fixture(scope="module")
def frames(county):
    return county.frames


def test_same_seed_gives_identical_frames():
    first, second = county_frames(40, 11, TODAY), county_frames(40, 11, TODAY)
    assert first.keys() == second.keys()
    for key in first:
        pd.testing.assert_frame_equal(first[key], second[key], check_exact=True)


def test_different_seed_gives_a_different_county():
    first, second = county_frames(40, 11, TODAY), county_frames(40, 12, TODAY)
    assert not first["registry"]["name"].equals(second["registry"]["name"]) or len(first["drills"]) != len(
        second["drills"]) or not first["drills"]["date"].equals(second["drills"]["date"])


def test_frames_have_exactly_the_shape_load_frames_returns(frames):
    assert list(frames) == list(contract.SHEETS)
    for key, frame in frames.items():
        base = empty_frame(key)
        assert list(frame.columns) == list(base.columns), key
        for column in contract.SHEETS[key].keys:
            assert frame[column].dtype == base[column].dtype, (key, column, frame[column].dtype)
        assert frame["school_code"].notna().all(), key
        assert frame["row_no"].min() >= 2, key


def test_every_record_belongs_to_a_registered_school(frames):
    registered = set(frames["registry"]["school_code"])
    assert len(registered) == 60
    for key, frame in frames.items():
        assert set(frame["school_code"]) <= registered, key


def test_records_cover_the_two_previous_years_and_the_running_one_up_to_today(frames):
    events = {
        "drills": "date", "education": "date", "guard_drills": "date", "gate_duty": "date", "funds": "date",
        "hazards": "found_date", "inspections": "date", "guard_training": "end_date",
    }
    for key, column in events.items():
        days = frames[key][column]
        assert days.max() <= pd.Timestamp(TODAY), key
        assert days.min() >= pd.Timestamp(FIRST_YEAR, 1, 1), key
        assert set(days.dt.year) == {FIRST_YEAR, FIRST_YEAR + 1, TODAY.year}, key
    closed = frames["hazards"]["closed_date"].dropna()
    assert closed.max() <= pd.Timestamp(TODAY)


def test_all_seven_school_types_several_townships_and_boarding_schools(frames):
    school = frames["school"]
    assert set(frames["registry"]["type"]) == set(contract.SCHOOL_TYPES)
    assert frames["registry"]["township"].nunique() >= 5
    assert school["boarding"].any() and (~school["boarding"]).any()
    assert not school.loc[school["type"] == contract.KINDERGARTEN, "boarding"].any()
    names = frames["registry"]["name"]
    assert names.is_unique
    assert names.str.endswith(("幼兒園", "小學", "中學", "學校")).all()


def test_schools_have_one_to_three_campuses_and_80_to_3500_people(frames):
    campuses = frames["campuses"]
    per_school = campuses.groupby("school_code").size()
    assert per_school.min() == 1 and per_school.max() == 3 and (per_school == 2).any()
    people = (campuses["students"] + campuses["staff"]).groupby(campuses["school_code"]).sum()
    # the whole range, not only inside it: a school of 80-odd people and one of over 3,300
    assert 80 <= people.min() <= 90 and 3300 <= people.max() <= 3500
    boarding = set(frames["school"].loc[frames["school"]["boarding"], "school_code"])
    assert campuses.loc[campuses["school_code"].isin(boarding), "boarders"].notna().all()
    assert campuses.loc[~campuses["school_code"].isin(boarding), "boarders"].isna().all()


def test_one_registered_school_never_submitted(frames):
    never = set(frames["registry"]["school_code"]) - set(frames["school"]["school_code"])
    assert len(never) == 1
    for key in (s.key for s in contract.SCHOOL_SHEETS):
        assert not frames[key]["school_code"].isin(never).any(), key


def test_bureau_findings_one_falsification_at_most_one_major_incident(county, frames):
    inspections = frames["inspections"]
    assert inspections["falsification"].sum() == 1
    assert inspections["major_incident"].sum() <= 1
    assert set(inspections["kind"]) <= set(contract.INSPECTION_KINDS)
    assert (inspections["deduction"].dropna() > 0).any()
    assessed = inspections.dropna(subset=["indicator"])
    assert 1 <= len(assessed) <= 2
    from scoring.rubric import load_rubric

    rubric = load_rubric()
    for _, row in assessed.iterrows():
        assert 0 <= row["assessed_points"] <= rubric.points[row["indicator"]]
    assert not inspections.duplicated(["date", "school_code"]).any()
    assert county.facts.falsification == list(inspections.loc[inspections["falsification"], "school_code"])


def test_some_schools_skip_drills_in_exam_months(frames):
    drills = frames["drills"]
    kinder = frames["school"].loc[frames["school"]["type"] == contract.KINDERGARTEN, "school_code"]
    drills = drills[~drills["school_code"].isin(kinder) & (drills["date"].dt.year == 2025)]
    months = drills.groupby("school_code")["date"].agg(lambda d: set(d.dt.month))
    regular = months.map(lambda m: len(m & {3, 4, 5, 9, 10, 11}) >= 5)
    skip_exams = months.map(lambda m: not (m & {1, 6, 7}))
    assert (regular & skip_exams).any()
    assert (regular & ~skip_exams).any()


def test_drills_with_missing_sign_ins_plans_and_evaluations(frames):
    drills = frames["drills"]
    assert (drills["signed_classes"] < drills["classes"]).any()
    assert (drills["signed_classes"] == drills["classes"]).mean() > 0.5
    assert (~drills["has_plan"]).any() and drills["evaluation"].isna().any()
    assert (drills["classes"] > 0).all() and not (drills["signed_classes"] > drills["classes"]).any()
    assert not drills.duplicated(["school_code", "date", "campus"]).any()


def test_guards_over_55_one_turning_56_later_this_year_and_some_hired_directly(frames):
    guards = frames["guards"]
    on_duty = guards[guards["end_date"].isna()]
    birth = on_duty["birth_date"]
    today = pd.Timestamp(TODAY)
    turns_56 = birth + pd.DateOffset(years=56)
    assert (turns_56 <= today).any(), "a guard already over 55"
    later = (turns_56 > today) & (turns_56 <= pd.Timestamp(TODAY.year, 12, 31))
    assert later.sum() >= 1, "a guard who turns 56 after today in the running year"
    assert guards["company"].isna().any() and guards["company"].notna().mean() > 0.8
    kit = guards[list(contract.GUARD_KIT)].all(axis=1)
    assert kit.any() and (~kit).any()
    assert guards["end_date"].notna().any()


def test_guard_training_has_three_day_off_duty_courses_and_shorter_ones(frames):
    training = frames["guard_training"]
    days = (training["end_date"] - training["start_date"]).dt.days + 1
    assert ((days >= 3) & training["off_duty"]).any()
    assert (days < 3).any() and (~training["off_duty"]).any()
    guards = frames["guards"]
    known = set(zip(guards["school_code"], guards["name"], strict=True))
    assert all(pair in known for pair in zip(training["school_code"], training["name"], strict=True))


def test_education_records_exercise_c2_to_c6(frames):
    edu = frames["education"]
    assert set(edu["kind"]) == set(contract.EDUCATION_KINDS)
    high = frames["school"].loc[frames["school"]["type"].isin(contract.HIGH_SCHOOL_TYPES), "school_code"]
    assert edu.loc[edu["kind"] == "安全講座", "school_code"].isin(high).all()
    meetings = edu[edu["kind"] == "家長會"]
    assert meetings["safety_content"].any() and (~meetings["safety_content"]).any()
    training = edu[edu["kind"] == "教職工培訓"]
    assert training["attendees"].notna().all() and training["expected"].notna().all()
    assert (training["attendees"] < training["expected"]).any() and (training["attendees"] == training["expected"]).any()
    themed = edu[edu["kind"] == "專題教育"]
    for theme, months in (("防溺水", {5, 6, 7}), ("防火", {11, 12, 1}), ("交通安全", {9, 10})):
        rows = themed[themed["topic"].str.contains(theme)]
        assert len(rows) and set(rows["date"].dt.month) <= months, theme
    classes = edu[edu["kind"] == "安全教育課"]
    per_week = classes.groupby(["school_code", classes["date"].dt.isocalendar()["week"],
                                classes["date"].dt.isocalendar()["year"]]).size()
    assert per_week.max() == 1 and len(classes) > 20 * len(frames["school"])


def test_hazards_closed_late_and_still_open_past_deadline(frames):
    hazards = frames["hazards"]
    assert (hazards["closed_date"] > hazards["deadline"]).any()
    open_late = hazards["closed_date"].isna() & (hazards["deadline"] < pd.Timestamp(TODAY))
    assert open_late.any()
    assert (hazards["closed_date"] <= hazards["deadline"]).any()
    assert hazards["owner"].isna().any() and hazards["deadline"].isna().any()
    assert not hazards.duplicated(["school_code", "id"]).any()


def test_funds_missing_a_use_agreements_unsigned_and_offices_without_a_director(frames):
    funds = frames["funds"]
    uses = funds.groupby(["school_code", funds["date"].dt.year])["use"].nunique()
    assert (uses < len(contract.FUND_USES)).any() and (uses == len(contract.FUND_USES)).any()
    agreements = frames["agreements"]
    assert (agreements["signed"] < agreements["staff_total"]).any()
    assert not (agreements["signed"] > agreements["staff_total"]).any()
    office = frames["office_staff"]
    directors = office[office["role"] == "主任"]["school_code"]
    assert directors.nunique() < len(frames["school"]) and directors.nunique() > len(frames["school"]) // 2
    assert set(office["role"]) == set(contract.OFFICE_ROLES)


def test_checklist_items_are_the_contract_items_with_gaps(frames):
    checklist = frames["checklist"]
    assert set(checklist["item"]) == set(contract.CHECKLIST_ITEMS)
    assert (~checklist["done"]).any()
    per_school = checklist.groupby("school_code").size()
    assert per_school.max() == len(contract.CHECKLIST_ITEMS) and per_school.min() < len(contract.CHECKLIST_ITEMS)
    assert checklist.loc[checklist["done"], "reference"].notna().all()


def test_totals_spread_across_every_grade(frames):
    """The diligence levels must give 優秀, 良好, 合格 and 不合格 schools (rules.md grades)."""
    from scoring.engine import evaluate

    grades = evaluate(frames, 2025, with_periods=False).schools["grade"].value_counts()
    assert set(grades.index) == {"優秀", "良好", "合格", "不合格"}
    assert grades["良好"] + grades["合格"] > grades["優秀"]
    assert grades["不合格"] < grades["合格"]


@pytest.mark.parametrize("schools", [0, -3, 20_001, 2.5, "60"])
def test_a_county_size_out_of_range_is_a_user_error(schools):
    with pytest.raises(UserError, match="between 1 and"):
        county_frames(schools, 1, TODAY)


@pytest.mark.parametrize("seed", [-1, 1.5, None])
def test_a_bad_seed_is_a_user_error(seed):
    with pytest.raises(UserError, match="seed"):
        county_frames(5, seed, TODAY)


def test_tiny_counties_still_work():
    one = county_frames(1, 5, TODAY)
    assert len(one["registry"]) == 1 and len(one["school"]) == 1
    assert one["inspections"]["falsification"].sum() == 1
    two = county_frames(2, 5, TODAY)
    assert len(two["school"]) == 1  # the other registered school never submitted


def test_today_limits_the_running_year():
    early = county_frames(20, 3, date(2026, 3, 10))
    assert early["drills"]["date"].max() <= pd.Timestamp(2026, 3, 10)
    assert set(early["drills"]["date"].dt.year) == {2024, 2025, 2026}


@pytest.mark.parametrize("today", [date(2028, 1, 1), date(2026, 1, 1), date(2026, 2, 21), date(2026, 12, 31)])
def test_every_event_has_a_date_whatever_today_is(today):
    frames = county_frames(15, 2, today)
    events = {"drills": "date", "education": "date", "guard_drills": "date", "gate_duty": "date", "funds": "date",
              "hazards": "found_date", "inspections": "date", "guard_training": "start_date", "guards": "start_date"}
    for key, column in events.items():
        assert frames[key][column].notna().all(), (today, key)
        assert (frames[key][column] <= pd.Timestamp(today)).all(), (today, key)


def test_default_today_is_the_county_clocks_date():
    today = county_today()  # the county's day, as the demo takes it: the machine's (UTC) lags from 16:00
    frames = county_frames(5, 3)
    assert frames["drills"]["date"].max() <= pd.Timestamp(today)
    assert np.isin(frames["drills"]["date"].dt.year.unique(), [today.year - k for k in range(3)]).all()


@pytest.mark.parametrize(("schools", "seed"), [(10, 16), (12, 7), (20, 3)])
def test_a_small_county_of_any_seed_still_spans_the_range_among_the_schools_that_submit(schools, seed):
    """Found by an audit: with 10 schools and seed 16 the forced three-campus school was the one that never
    submits, so the range never showed."""
    import numpy as np

    from sync.demo import make_county

    county = make_county(np.random.default_rng([seed, 20260501]), schools)  # as build_county seeds it
    people = np.bincount(county.campus_school, county.campus_students + county.campus_staff, minlength=schools)
    campuses = np.bincount(county.campus_school, minlength=schools)
    sent = county.submitted
    assert 80 <= people[sent].min() <= 90 and 3300 <= people[sent].max() <= 3500 and campuses[sent].max() == 3


def test_the_demo_county_is_dated_by_the_countys_day_not_the_servers(tmp_path, monkeypatch):
    """Found by an audit: the demo wrote records "up to 2026-11-29" (the server's day) where scoring took
    2026-11-30 (the county's) for today."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sync import settings

    config = tmp_path / "safeschool.toml"
    config.write_text('[schedule]\ntimezone = "Pacific/Kiritimati"\n', encoding="utf-8")  # UTC+14
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(config))
    settings.reset_caches()
    try:
        assert build_county(10).today == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    finally:
        settings.reset_caches()
