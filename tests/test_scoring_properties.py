"""Invariants of the scoring, checked by hypothesis over random small counties and evaluation dates."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import evaluate
from tests.synthetic import county_frames, typed

Y = 2026
SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])

counties = st.integers(min_value=0, max_value=10_000)
days = st.integers(min_value=0, max_value=364)
school_pick = st.integers(min_value=0, max_value=3)


def _frames(seed):
    return county_frames(4, seed=seed, year=Y)


def _append(frames, key, row):
    frames = dict(frames)
    frames[key] = pd.concat([frames[key], typed(key, [row])], ignore_index=True)
    return frames


def _by_code(ev):
    return ev.schools.set_index("school_code")


@SETTINGS
@given(counties, days)
def test_points_within_bounds_and_total_at_most_100(seed, day):
    ev = evaluate(_frames(seed), Y, date(Y, 1, 1) + timedelta(days=day))
    ind = ev.indicators
    scored = ind[ind["points"].notna()]
    assert (scored["points"] >= -1e-9).all() and (scored["points"] <= scored["max"] + 1e-9).all()
    assert ind.loc[ind["pending"], "points"].isna().all()
    assert (ev.schools["total"] <= 100).all() and (ev.schools["total"] >= 0).all()


@SETTINGS
@given(counties, days, days, school_pick)
def test_one_more_fully_documented_drill_never_lowers_a_score(seed, as_of_day, drill_day, pick):
    frames = _frames(seed)
    as_of = date(Y, 1, 1) + timedelta(days=max(as_of_day, drill_day))
    code = frames["registry"]["school_code"].iloc[pick]
    before = _by_code(evaluate(frames, Y, as_of))
    drill = {"school_code": code, "date": date(Y, 1, 1) + timedelta(days=drill_day), "campus": "本部",
             "kind": "疏散", "has_plan": True, "evaluation": "良好", "classes": 8, "signed_classes": 8}
    after = _by_code(evaluate(_append(frames, "drills", drill), Y, as_of))
    assert after.loc[code, "raw_total"] >= before.loc[code, "raw_total"] - 1e-9
    assert after.loc[code, "total"] >= before.loc[code, "total"]


@SETTINGS
@given(counties, days, days, school_pick, st.booleans())
def test_one_more_training_never_lowers_a_score(seed, as_of_day, training_day, pick, guard):
    frames = _frames(seed)
    as_of = min(date(Y, 12, 31), date(Y, 1, 1) + timedelta(days=max(as_of_day, training_day + 3)))
    code = frames["registry"]["school_code"].iloc[pick]
    start = date(Y, 1, 1) + timedelta(days=training_day)
    before = _by_code(evaluate(frames, Y, as_of))
    if guard and (frames["guards"]["school_code"] == code).any():
        name = frames["guards"].loc[frames["guards"]["school_code"] == code, "name"].iloc[0]
        row = {"school_code": code, "name": name, "start_date": start, "end_date": start + timedelta(days=2),
               "off_duty": True}
        frames = _append(frames, "guard_training", row)
    else:
        staff = int(frames["campuses"].loc[frames["campuses"]["school_code"] == code, "staff"].sum())
        row = {"school_code": code, "date": start, "kind": "教職工培訓", "attendees": staff, "expected": staff}
        frames = _append(frames, "education", row)
    after = _by_code(evaluate(frames, Y, as_of))
    assert after.loc[code, "raw_total"] >= before.loc[code, "raw_total"] - 1e-9


@SETTINGS
@given(counties, days, school_pick, st.sampled_from(["falsification", "major_incident"]))
def test_a_veto_never_raises_a_score_or_a_place(seed, day, pick, flag):
    frames = _frames(seed)
    as_of = date(Y, 12, 31)
    code = frames["registry"]["school_code"].iloc[pick]
    before = evaluate(frames, Y, as_of)
    finding = {"school_code": code, "date": date(Y, 1, 1) + timedelta(days=day), "kind": "不定期", flag: True}
    after = evaluate(_append(frames, "inspections", finding), Y, as_of)
    b, a = _by_code(before).loc[code], _by_code(after).loc[code]
    assert a["total"] <= b["total"] and not a["qualified"] and pd.isna(a["rank"]) and a["grade"] == "不合格"
    order = after.schools["school_code"].tolist()
    qualified = after.schools["qualified"].tolist()
    assert order.index(code) >= sum(qualified)  # listed after every qualified school


def _without_records_after(frames, as_of):
    out = {}
    for key, frame in frames.items():
        dated = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
        first = frame[dated].min(axis=1, skipna=True) if dated and len(frame) else None
        out[key] = frame if first is None else frame[first.isna() | (first <= pd.Timestamp(as_of))]
    return out


@SETTINGS
@given(counties, days)
def test_records_dated_wholly_after_the_evaluation_date_change_nothing(seed, day):
    """rules.md, How the shares are measured: "Only records dated on or before the evaluation date count".

    The store's recompute relies on it (sync.results.InputDigest): an indicator that looked at a
    record dated after the evaluation date would make the stored trend go stale."""
    as_of = date(Y, 1, 1) + timedelta(days=day)
    frames = _frames(seed)
    cut = _without_records_after(frames, as_of)
    # Not a vacuous check: before December some record always lies after the date (late in the year the
    # county may have none left).
    assert any(len(f) != len(c) for f, c in zip(frames.values(), cut.values(), strict=True)) or day >= 334
    assert evaluate(cut, Y, as_of).to_json() == evaluate(frames, Y, as_of).to_json()


def test_records_dated_after_the_evaluation_date_change_nothing_in_the_demo_county():
    """The same over three years of the demo county, its mistakes included."""
    from sync.demo import county_frames as demo_frames

    frames = demo_frames(16, seed=5)
    for as_of in (date(2024, 9, 30), date(2025, 12, 31), date(2026, 4, 30)):
        cut = _without_records_after(frames, as_of)
        assert evaluate(cut, as_of.year, as_of).to_json() == evaluate(frames, as_of.year, as_of).to_json()
