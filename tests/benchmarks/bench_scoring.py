"""Scoring 10,000 schools for one year, as a ratio to plain work over the same tables in the same process.

Baseline: one group-by count per (school, month) over every dated record table (drills,
education, guard drills, gate duty), the least any scoring must do.  The county comes from
sync.demo.county_frames when the demo is there, else from tests.synthetic.county_frames.
"""

from __future__ import annotations

import time
from datetime import date

YEAR = 2026


def _county(n: int):
    try:
        from sync.demo import county_frames

        return county_frames(n, 2026, today=date(YEAR, 12, 31)), "sync.demo"
    except ImportError:
        from tests.synthetic import county_frames

        return county_frames(n, seed=2026, year=YEAR), "tests.synthetic"


def _timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def _baseline(frames) -> None:
    for key in ("drills", "education", "guard_drills", "gate_duty"):
        frame = frames[key]
        frame.groupby([frame["school_code"], frame["date"].dt.to_period("M")]).size()


def run(quick: bool = False) -> list[dict]:
    import scoring

    n = 1000 if quick else 10_000
    frames, origin = _county(n)
    rubric = scoring.load_rubric()
    baseline = _timed(lambda: _baseline(frames), repeat=3)
    holder = {}

    def annual():
        holder["ev"] = scoring.evaluate(frames, YEAR, date(YEAR, 12, 31), rubric)

    annual_s = _timed(annual)
    json_s = _timed(lambda: holder["ev"].to_json())
    trend_s = _timed(lambda: scoring.evaluate(frames, YEAR, date(YEAR, 6, 30), rubric, with_periods=False))
    rows = len(frames["education"]) + len(frames["drills"])
    note = f"{n} schools from {origin}, {rows} education+drill rows"
    goal = "seconds, not minutes (< 30 s)"
    return [
        {"name": f"evaluate {n} schools, one year (31 Dec)", "value": annual_s, "unit": "s", "baseline": baseline,
         "ratio": annual_s / baseline, "goal": goal, "note": note},
        {"name": f"to_json {n} schools (with period lists)", "value": json_s, "unit": "s", "baseline": baseline,
         "ratio": json_s / baseline, "goal": goal, "note": ""},
        {"name": f"evaluate {n} schools at one month end (trend point)", "value": trend_s, "unit": "s",
         "baseline": baseline, "ratio": trend_s / baseline, "goal": goal, "note": "recompute runs 12 of these"},
    ]
