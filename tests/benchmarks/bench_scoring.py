"""Scoring 10,000 schools for one year, as a ratio to plain work over the same tables in the same process.

Baseline: one group-by count per (school, month) over every dated record table (drills,
education, guard drills, gate duty), the least any scoring must do.  The county comes from
sync.demo.county_frames when the demo is there, else from tests.synthetic.county_frames.

Memory: the largest the annual evaluation held above what the process held
before it (tests/benchmarks/memory.py), in a fresh process of its own (what
the timed runs left would hide it), as a ratio to the county's records as the
data frames it reads: goal < 1x, the evaluation works table by table, never
holding a second copy of the county.
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
    memory = _memory_row(n)
    return [
        {"name": f"evaluate {n} schools, one year (31 Dec)", "value": annual_s, "unit": "s", "baseline": baseline,
         "ratio": annual_s / baseline, "goal": goal, "note": note},
        {"name": f"to_json {n} schools (with period lists)", "value": json_s, "unit": "s", "baseline": baseline,
         "ratio": json_s / baseline, "goal": goal, "note": ""},
        {"name": f"evaluate {n} schools at one month end (trend point)", "value": trend_s, "unit": "s",
         "baseline": baseline, "ratio": trend_s / baseline, "goal": goal, "note": "recompute runs 12 of these"},
        memory,
    ]


def _memory_row(n: int) -> dict:
    import json
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json, sys; from tests.benchmarks.bench_scoring import _memory_figures; "
            "print(json.dumps(_memory_figures(int(sys.argv[1]))))")
    done = subprocess.run([sys.executable, "-c", code, str(n)], cwd=Path(__file__).resolve().parent.parent.parent,
                          stdout=subprocess.PIPE, text=True, check=True)
    mb = json.loads(done.stdout.splitlines()[-1])
    if mb["evaluate"] is None:
        return {"name": "peak memory", "value": 0.0, "unit": "MB", "baseline": None, "ratio": None, "goal": None,
                "note": "not measured: needs Linux's /proc/PID/smaps_rollup"}
    return {"name": f"peak memory: evaluate {n} schools / their records", "value": mb["evaluate"], "unit": "MB",
            "baseline": mb["frames"], "ratio": mb["evaluate"] / mb["frames"], "goal": "< 1x",
            "note": f"the county's records as data frames: {mb['frames']:.0f} MB"}


def _memory_figures(n: int) -> dict:
    """MB the annual evaluation of an n-school county holds above this fresh process's start, and
    MB its records take as data frames (pandas' deep count)."""
    import scoring
    from tests.benchmarks.memory import MemoryWatch

    rubric = scoring.load_rubric()
    small, _origin = _county(20)
    scoring.evaluate(small, YEAR, date(YEAR, 12, 31), rubric)  # imports and first allocations: not the county's
    frames, _origin = _county(n)
    frames_mb = sum(int(frame.memory_usage(deep=True).sum()) for frame in frames.values()) / 2 ** 20
    with MemoryWatch() as watch:
        _r, evaluate_mb = watch.peak_of(scoring.evaluate, frames, YEAR, date(YEAR, 12, 31), rubric)
    return {"evaluate": evaluate_mb, "frames": frames_mb}
