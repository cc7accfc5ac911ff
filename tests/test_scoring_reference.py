"""The scoring against a second reading of rules.md (tests/reference_scoring.py), on random counties.

The hand-worked tests (test_scoring_rules.py, test_scoring_audit.py) pin each rule at its boundaries;
this one checks that the rules still add up the same way when they meet: every school of a county,
every indicator, on the annual date and on days inside the year (pending periods, month ends,
mid-month), with the edge cases the rules name mixed in (assessed points, a deduction past the total,
a veto, a guard who left, a school without guards, a director who left, hazards without a deadline).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from scoring import evaluate
from scoring.rubric import load_rubric
from tests.reference_scoring import evaluate_county
from tests.synthetic import county_frames, typed

YEAR = 2026
DAYS = [date(YEAR, 12, 31), date(YEAR, 1, 10), date(YEAR, 3, 15), date(YEAR, 6, 30), date(YEAR, 9, 20),
        date(YEAR, 11, 30)]


def with_edge_cases(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The random county with the cases the rules name added to a few of its schools."""
    frames = dict(frames)
    registry = frames["registry"].set_index("school_code")
    codes = list(registry.index)
    primary = next(c for c in codes if registry.loc[c, "type"] not in ("高中", "完全中學", "中職"))
    high = next((c for c in codes if registry.loc[c, "type"] in ("高中", "完全中學", "中職")), codes[1])
    findings = [
        # assessors' points: on the published scale, the latest of the year wins
        dict(school_code=primary, date=date(YEAR, 4, 1), kind="考評", indicator="C2", assessed_points=3.0),
        dict(school_code=primary, date=date(YEAR, 5, 1), kind="考評", indicator=" c2 ", assessed_points=5.0),
        dict(school_code=primary, date=date(YEAR, 5, 2), kind="考評", indicator="C4", assessed_points=3.0),
        dict(school_code=high, date=date(YEAR, 7, 1), kind="考評", indicator="E7", assessed_points=1.5),
        dict(school_code=high, date=date(YEAR, 2, 1), kind="考評", indicator="D1", assessed_points=8.0),
        # a deduction past the total (floor 0), a veto, a finding dated after some evaluation days
        dict(school_code=codes[2], date=date(YEAR, 3, 1), kind="定期", deduction=120.0),
        dict(school_code=codes[3], date=date(YEAR, 10, 8), kind="不定期", falsification=True, deduction=2.0),
        dict(school_code=codes[4], date=date(YEAR, 8, 8), kind="不定期", major_incident=True),
    ]
    frames["inspections"] = typed("inspections", pd.concat(
        [frames["inspections"], pd.DataFrame(findings)], ignore_index=True))
    guards = frames["guards"].copy()
    guards.loc[guards["school_code"] == codes[5], "end_date"] = pd.Timestamp(YEAR, 5, 31)  # all left in May
    guards = guards[guards["school_code"] != codes[6]]  # a school without guards
    frames["guards"] = typed("guards", guards)
    office = frames["office_staff"].copy()
    office.loc[(office["school_code"] == codes[7]) & (office["role"] == "主任"), "end_date"] = pd.Timestamp(YEAR, 4, 30)
    frames["office_staff"] = typed("office_staff", office)
    hazards = frames["hazards"].copy()
    hazards.loc[hazards["school_code"] == codes[8], "deadline"] = pd.NaT
    frames["hazards"] = typed("hazards", hazards)
    return frames


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_every_school_scores_as_a_second_reading_of_rules_md_works_it_out(seed):
    rubric = load_rubric()
    frames = with_edge_cases(county_frames(24, seed=seed, year=YEAR, rubric=rubric))
    compared = 0
    for day in DAYS:
        ev = evaluate(frames, YEAR, day, rubric=rubric, with_periods=False)
        ours = ev.schools.set_index("school_code")
        points = ev.indicators.set_index(["school_code", "indicator"])
        expected = evaluate_county(frames, YEAR, day, rubric)
        assert list(ours.index[~ours["qualified"].astype(bool)]) == [r["school_code"] for r in expected
                                                                     if not r["qualified"]], day
        for want in expected:
            code, got = want["school_code"], ours.loc[want["school_code"]]
            where = f"{code} on {day}"
            assert got["total"] == pytest.approx(want["total"], abs=1e-9), where
            assert (got["grade"], bool(got["qualified"])) == (want["grade"], want["qualified"]), where
            assert (None if pd.isna(got["rank"]) else int(got["rank"])) == want["rank"], where
            assert got["deduction"] == pytest.approx(want["deduction"]), where
            for key, ind in want["indicators"].items():
                row = points.loc[(code, key)]
                assert bool(row["pending"]) == ind["pending"], f"{key} of {where}"
                if not ind["pending"]:
                    assert row["points"] == pytest.approx(float(ind["points"]), abs=1e-9), f"{key} of {where}"
                    assert row["max"] == pytest.approx(float(ind["max"]), abs=1e-9), f"{key} of {where}"
                compared += 1
    assert compared == 24 * len(DAYS) * 31
