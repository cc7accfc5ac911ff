"""`make bench`: every benchmark module's figures, as ratios to a baseline run in the same process.

Each module in this folder named bench_*.py exposes `run(quick: bool) -> list[dict]`,
each dict {"name", "value", "unit", "baseline", "ratio", "goal", "note"}; this
runner prints them as one table and writes tests/benchmarks/out/latest.json.
Timed figures are never asserted in tests (noisy machines); they are read here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a first look")
    parser.add_argument("only", nargs="*", help="module names (e.g. scoring sync)")
    args = parser.parse_args()
    rows = []
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if args.only and name not in args.only:
            continue
        module = importlib.import_module(f"tests.benchmarks.{path.stem}")
        started = time.perf_counter()
        for row in module.run(quick=args.quick):
            row.setdefault("module", name)
            rows.append(row)
            print(_line(row), flush=True)
        print(f"  ({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2, default=str))


def _line(row: dict) -> str:
    ratio = f"{row['ratio']:.2f}x" if row.get("ratio") is not None else "-"
    goal = f" (goal {row['goal']})" if row.get("goal") else ""
    return f"{row['module']:>10} | {row['name']:<55} | {row['value']:>10.3f} {row.get('unit', 's'):<3} | ratio {ratio}{goal} {row.get('note', '')}"


if __name__ == "__main__":
    main()
