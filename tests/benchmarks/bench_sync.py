"""The sync of the demo county, as ratios to just parsing the same files.

- full sync (read, check, load into a fresh SQLite store; scores not
  recomputed, that is scoring's own figure) / python-calamine reading every
  sheet of every file, in one process: goal < 1.5x.  The sync checks in one
  worker process per core (SAFESCHOOL_SYNC_WORKERS) while it stores;
- the same full sync with every workbook checked in the sync's own process
  (workers=1) / the same calamine parse: no goal, it shows what the workers
  bring and what the checks cost;
- the same full sync / pandas reading every sheet with openpyxl (the usual
  way; the demo's few .ods go through odfpy and .xls through calamine, as
  xlrd is not installed): no goal, for scale;
- an unchanged re-sync / the full sync: goal < 0.1 (a small fraction).
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
        pandas_s = _timed(_pandas_parse, paths)
        single = make_engine(f"sqlite:///{work / 'single.db'}")
        upgrade(single)
        started = time.perf_counter()
        run_sync(single, inbox, sql_sources=[], recompute=False, workers=1)
        single_s = time.perf_counter() - started
        single.dispose()
        engine = make_engine(f"sqlite:///{work / 'store.db'}")
        upgrade(engine)
        workers = worker_count(None)
        started = time.perf_counter()
        summary = run_sync(engine, inbox, sql_sources=[], recompute=False, workers=workers)
        full_s = time.perf_counter() - started
        started = time.perf_counter()
        again = run_sync(engine, inbox, sql_sources=[], recompute=False)
        resync_s = time.perf_counter() - started
        engine.dispose()
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
    ]


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
