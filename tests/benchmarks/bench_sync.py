"""The sync of the demo county, as ratios to just parsing the same files.

- full sync (read, check, load into a fresh SQLite store; scores not
  recomputed, that is scoring's own figure) / python-calamine reading every
  sheet of every file, in one process, best of two: goal < 1.5x.  The sync
  (also best of two) checks in one worker process per core
  (SAFESCHOOL_SYNC_WORKERS) while it stores;
- the same full sync with every workbook checked in the sync's own process
  (workers=1) / the same calamine parse: no goal, it shows what the workers
  bring and what the checks cost;
- the same full sync / pandas reading every sheet with openpyxl (the usual
  way; the demo's few .ods go through odfpy and .xls through calamine, as
  xlrd is not installed): no goal, for scale;
- an unchanged re-sync / the full sync: goal < 0.1 (a small fraction);
- recomputing every year of the county afresh with its evaluations in worker
  processes / the same in-process: no goal;
- the scores after one school adds a record dated today (sync, then recompute)
  / recomputing every year of the county afresh (in-process): no goal; it shows
  what the per-evaluation digests (sync.results.InputDigest) save an upload.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

SCHOOLS = 1000
QUICK_SCHOOLS = 100


def _workbooks(inbox: Path) -> list[Path]:
    from sync.load import list_inbox

    return [path for _key, path in list_inbox(inbox)]


def _calamine_parse(paths: list[Path]) -> None:
    import python_calamine as calamine

    for path in paths:
        book = calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _pandas_parse(paths: list[Path]) -> None:
    import pandas as pd

    for path in paths:
        engine = {".xlsx": "openpyxl", ".ods": "odf"}.get(path.suffix.lower(), "calamine")
        pd.read_excel(path, sheet_name=None, header=None, engine=engine)


def _timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def run(quick: bool = False) -> list[dict]:
    from sync.demo import write_demo
    from sync.load import run_sync
    from sync.migrate import upgrade
    from sync.parallel import worker_count
    from sync.store import make_engine

    schools = QUICK_SCHOOLS if quick else SCHOOLS
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        inbox = work / "inbox"
        write_demo(inbox, schools=schools, seed=2026)
        paths = _workbooks(inbox)
        _calamine_parse(paths[:5])  # warm the imports and the OS cache alike for everyone
        calamine_s = min(_timed(_calamine_parse, paths) for _ in range(2))
        single = make_engine(f"sqlite:///{work / 'single.db'}")
        upgrade(single)
        started = time.perf_counter()
        run_sync(single, inbox, sql_sources=[], recompute=False, workers=1)
        single_s = time.perf_counter() - started
        single.dispose()
        workers = worker_count(None)
        full_s = float("inf")
        for attempt in ("first.db", "store.db"):  # best of two, as for the parse it is compared with
            engine = make_engine(f"sqlite:///{work / attempt}")
            upgrade(engine)
            started = time.perf_counter()
            summary = run_sync(engine, inbox, sql_sources=[], recompute=False, workers=workers)
            full_s = min(full_s, time.perf_counter() - started)
            if attempt == "first.db":
                engine.dispose()
        started = time.perf_counter()
        again = run_sync(engine, inbox, sql_sources=[], recompute=False)
        resync_s = time.perf_counter() - started
        recompute_s, shared_s, upload_s, evaluations = _upload_against_full_recompute(engine, inbox, paths)
        engine.dispose()
        pandas_s = _timed(_pandas_parse, paths)  # last: its memory would weigh on the forked workers
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = sum(o.rows_added for o in summary.sources)
    skipped = sum(o.action == "skipped" for o in again.sources)
    note = f"{len(paths)} files, {rows:,} records"
    return [
        {"name": f"parse {len(paths)} workbooks with python-calamine", "value": calamine_s, "unit": "s",
         "baseline": None, "ratio": None, "goal": None, "note": ""},
        {"name": f"full sync of {schools} schools / calamine parse", "value": full_s, "unit": "s",
         "baseline": calamine_s, "ratio": full_s / calamine_s, "goal": "< 1.5x",
         "note": f"{note}; {workers} checking workers"},
        {"name": f"full sync of {schools} schools, in-process / calamine", "value": single_s, "unit": "s",
         "baseline": calamine_s, "ratio": single_s / calamine_s, "goal": None, "note": "workers=1"},
        {"name": f"full sync of {schools} schools / pandas+openpyxl parse", "value": full_s, "unit": "s",
         "baseline": pandas_s, "ratio": full_s / pandas_s, "goal": None, "note": f"pandas took {pandas_s:.1f} s"},
        {"name": "unchanged re-sync / full sync", "value": resync_s, "unit": "s",
         "baseline": full_s, "ratio": resync_s / full_s, "goal": "< 0.1x",
         "note": f"{skipped} of {len(again.sources)} sources skipped"},
        {"name": "full recompute, evaluations in workers / in-process", "value": shared_s, "unit": "s",
         "baseline": recompute_s, "ratio": shared_s / recompute_s, "goal": None,
         "note": f"{workers} workers; every year's annual result and month ends"},
        {"name": "one school's new record: sync + recompute / full recompute", "value": upload_s, "unit": "s",
         "baseline": recompute_s, "ratio": upload_s / recompute_s, "goal": None,
         "note": f"{evaluations} evaluation(s) rerun; the full recompute took {recompute_s:.1f} s"},
    ]


def _upload_against_full_recompute(engine, inbox: Path, paths: list[Path]) -> tuple[float, float, float, int]:
    from datetime import date

    from openpyxl import load_workbook

    from sync import results
    from sync.load import run_sync
    from sync.parallel import worker_count

    started = time.perf_counter()
    results.recompute(engine, force=True, workers=worker_count(None))
    shared_s = time.perf_counter() - started
    started = time.perf_counter()
    results.recompute(engine, force=True, workers=1)
    full_s = time.perf_counter() - started
    for school in (p for p in paths if p.suffix == ".xlsx"):
        book = load_workbook(school)
        if "安全教育" in book.sheetnames and "學校概況" in book.sheetnames:  # a school's plain template
            book["安全教育"].append([date.today(), "安全教育課", "防溺水", "是", 100, 100])
            book.save(school)
            break
    started = time.perf_counter()
    run_sync(engine, inbox, sql_sources=[], recompute=False)
    summary = results.recompute(engine)
    return full_s, shared_s, time.perf_counter() - started, summary["evaluations"]


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
