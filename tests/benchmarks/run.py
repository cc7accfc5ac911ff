"""`make bench`: every benchmark module's figures, as ratios to a baseline run in the same process.

Each module in this folder named bench_*.py exposes `run(quick: bool) -> list[dict]`,
each dict {"name", "value", "unit", "baseline", "ratio", "goal", "note"}; this
runner runs each module in a process of its own, prints the figures as one table
and writes tests/benchmarks/out/latest.json.
Timed figures are never asserted in tests (noisy machines); they are read here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a first look")
    parser.add_argument("--module-only", help=argparse.SUPPRESS)  # the child process of one module
    parser.add_argument("only", nargs="*", help="module names (e.g. scoring sync)")
    args = parser.parse_args()
    if args.module_only:
        module = importlib.import_module(f"tests.benchmarks.bench_{args.module_only}")
        print(RESULT_MARK + json.dumps(module.run(quick=args.quick), ensure_ascii=False, default=str), flush=True)
        return
    rows = []
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        for row in _run_module(name, args.quick):
            row.setdefault("module", name)
            rows.append(row)
            print(_line(row), flush=True)
        print(f"  ({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2, default=str))


RESULT_MARK = "BENCH-ROWS "


def _run_module(name: str, quick: bool) -> list[dict]:
    """One module's figures, measured in a process of its own: what an earlier module left in memory
    (the scoring module's 10,000-school county, the dashboard's caches) made the sync's forked
    workers and collector slower by a fifth when they shared a process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--module-only", name] + (["--quick"] if quick else [])
    done = subprocess.run(cmd, cwd=HERE.parent.parent, stdout=subprocess.PIPE, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    sys.exit(f"the {name} benchmark failed (exit {done.returncode}); run it alone to see why: "
             f"{' '.join(cmd)}")


def _line(row: dict) -> str:
    ratio = f"{row['ratio']:.2f}x" if row.get("ratio") is not None else "-"
    goal = f" (goal {row['goal']})" if row.get("goal") else ""
    return f"{row['module']:>10} | {row['name']:<55} | {row['value']:>10.3f} {row.get('unit', 's'):<3} | ratio {ratio}{goal} {row.get('note', '')}"


if __name__ == "__main__":
    main()
