"""The sync of the demo county, as ratios to just parsing the same files.

- full sync (read, check, load into a fresh SQLite store; scores not
  recomputed, that is scoring's own figure) / python-calamine reading every
  sheet of every file, in one process, best of two: goal < 1.5x.  The sync
  (also best of two) checks in one worker process per core
  (SAFESCHOOL_SYNC_WORKERS) while it stores;
- writing the records the full sync stored into an empty store, every
  table in one executemany, nothing checked / the same calamine parse: no
  goal; the part of the sync no faster check can remove.  With the checks
  free, two cores take at least (parse + this) / 2;
- the same full sync with every workbook checked in one worker process
  (workers=1; since the eleventh session no workbook is read in the sync's own
  process, sync.parallel) / the same calamine parse: no goal, it shows what a
  second worker brings and what the checks cost;
- the same full sync / pandas reading every sheet with openpyxl (the usual
  way; the demo's few .ods go through odfpy and .xls through calamine, as
  xlrd is not installed): no goal, for scale;
- an unchanged re-sync / the full sync: goal < 0.1 (a small fraction);
- recomputing every year of the county afresh with its evaluations in worker
  processes / the same in-process: no goal;
- the scores after one school adds a record dated today (sync, then recompute)
  / recomputing every year of the county afresh (in-process): no goal; it shows
  what the per-evaluation digests (sync.results.InputDigest) save an upload;
- memory (tests/benchmarks/memory.py: the largest the process and its workers
  held together above what it held before, in a fresh process of its own so the
  timed runs neither hide it nor are slowed by the sampling): the full sync / the
  county's records as the data frames the scoring reads: no goal, it gives the
  scale; the full sync of the county / of half of it: goal < 1.25x, a county's
  worth never waits in memory at once (sync.parallel); recomputing every
  evaluation of the county / of half of it (workers as above, in a fresh process
  of its own): no goal, each evaluation takes the whole county's frames in each
  worker, but the rows of the evaluations done wait packed (sync.results._packed:
  as dicts they were 1,081 MB at 1,000 schools against 293 at 250, 579 against 179
  packed).  Not against a tenth: a
  worker's own memory grows over its first hundred or two workbooks (pages it
  shares with the sync's process copied as it touches them, the readers'
  caches) and then stays (measured 7, 14, 16, 17, 18 MB after 100 to 500).
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


def _full_sync(inbox: Path, db: Path, workers: int):
    from sync.load import run_sync
    from sync.migrate import upgrade
    from sync.store import make_engine

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    try:
        return run_sync(engine, inbox, sql_sources=[], recompute=False, workers=workers)
    finally:
        engine.dispose()


def _memory_rows(work: Path, inbox: Path, schools: int, workers: int) -> list[dict]:
    """The memory figures, measured in a fresh process (what the timed runs left in this one would
    hide what the sync needs; see tests/benchmarks/memory.py)."""
    import json
    import subprocess
    import sys

    from sync.demo import write_demo

    half, small = work / "half", max(schools // 2, MEMORY_SMALLEST)
    write_demo(half, schools=small, seed=2026)
    code = ("import json, sys; from pathlib import Path; from tests.benchmarks.bench_sync import _memory_figures; "
            "print(json.dumps(_memory_figures(*map(Path, sys.argv[1:4]), int(sys.argv[4]))))")
    done = subprocess.run([sys.executable, "-c", code, str(inbox), str(half), str(work), str(workers)],
                          cwd=Path(__file__).resolve().parent.parent.parent, stdout=subprocess.PIPE, text=True,
                          check=True)
    mb = json.loads(done.stdout.splitlines()[-1])
    if mb["sync"] is None:
        return [{"name": "peak memory", "value": 0.0, "unit": "MB", "baseline": None, "ratio": None, "goal": None,
                 "note": "not measured: needs Linux's /proc/PID/smaps_rollup"}]
    # The recompute in a fresh process of its own, on the stores the sync just filled: after the syncs this
    # process holds what they left, and would charge the smaller county's recompute that.
    code = ("import json, sys; from pathlib import Path; from tests.benchmarks.bench_sync import _recompute_memory; "
            "print(json.dumps(_recompute_memory(*map(Path, sys.argv[1:3]), int(sys.argv[3]))))")
    done = subprocess.run([sys.executable, "-c", code, str(work / "small.db"), str(work / "memory.db"), str(workers)],
                          cwd=Path(__file__).resolve().parent.parent.parent, stdout=subprocess.PIPE, text=True,
                          check=True)
    recompute = json.loads(done.stdout.splitlines()[-1])
    return [
        {"name": f"peak memory: full sync of {schools} schools / its records", "value": mb["sync"], "unit": "MB",
         "baseline": mb["frames"], "ratio": mb["sync"] / mb["frames"], "goal": None,
         "note": f"the county's records as data frames: {mb['frames']:.0f} MB; {workers} checking workers"},
        {"name": f"peak memory: full sync of {schools} / of {small} schools", "value": mb["sync"], "unit": "MB",
         "baseline": mb["small"], "ratio": mb["sync"] / max(mb["small"], 1.0), "goal": "< 1.25x",
         "note": f"the smaller county held {mb['small']:.0f} MB"},
        {"name": f"peak memory: full recompute of {schools} / of {small} schools", "value": recompute["large"],
         "unit": "MB", "baseline": recompute["small"], "ratio": recompute["large"] / max(recompute["small"], 1.0),
         "goal": None,
         "note": f"every year's annual result and month ends, {workers} workers; each evaluation is the whole "
                 f"county's (its frames, in each worker), so it grows; rows wait packed (sync.results._packed)"},
    ]


MEMORY_SMALLEST = 30  # schools: enough for the sync to use its workers (sync.parallel.MIN_ITEMS)


def _memory_figures(inbox: Path, half: Path, work: Path, workers: int) -> dict:
    """MB above this fresh process's start held by a full sync of `half`, then of `inbox` (smaller
    first, see memory.py), each into a new store; and the MB the records of `inbox` take as the data
    frames the scoring reads (pandas' deep count), the scale the sync's memory is read against."""
    from sync.frames import load_frames
    from sync.store import make_engine
    from tests.benchmarks.memory import MemoryWatch

    _full_sync(half, work / "warm.db", 1)  # the imports and the readers' first allocations: no sync's own
    with MemoryWatch() as watch:
        _r, small_mb = watch.peak_of(_full_sync, half, work / "small.db", workers)
        _r, sync_mb = watch.peak_of(_full_sync, inbox, work / "memory.db", workers)
    engine = make_engine(f"sqlite:///{work / 'memory.db'}")
    frames = load_frames(engine)
    engine.dispose()
    frames_mb = sum(int(frame.memory_usage(deep=True).sum()) for frame in frames.values()) / 2 ** 20
    return {"small": small_mb, "sync": sync_mb, "frames": frames_mb}


def _recompute_memory(small_db: Path, large_db: Path, workers: int) -> dict:
    """MB above this fresh process's start held by recomputing every evaluation of the store `small_db`, then
    of `large_db` (smaller first, see memory.py), the process and its workers together."""
    from sync import results
    from sync.store import make_engine
    from tests.benchmarks.memory import MemoryWatch

    figures = {}
    warm = make_engine(f"sqlite:///{small_db}")
    results.recompute(warm, trend=False)  # the imports and the scoring's first allocations: no recompute's own
    warm.dispose()
    with MemoryWatch() as watch:
        for name, db in (("small", small_db), ("large", large_db)):
            engine = make_engine(f"sqlite:///{db}")
            _r, figures[name] = watch.peak_of(lambda e=engine: results.recompute(e, force=True, workers=workers))
            engine.dispose()
    return figures


def _store_floor(synced: Path, fresh: Path) -> tuple[float, int]:
    """Seconds to write the records a full sync stored in `synced` into the empty store `fresh`, every
    table in one executemany, no check and no bookkeeping per source: the part of the sync's time
    that no faster check removes (SQLite's own inserts, as the sync's writer makes them).  And the
    records written."""
    import sqlite3

    from sync.load import _RECORD_COLUMNS
    from sync.migrate import upgrade
    from sync.store import make_engine

    engine = make_engine(f"sqlite:///{fresh}")
    upgrade(engine)
    engine.dispose()
    source = sqlite3.connect(synced)
    tables = {key: (columns, source.execute(f"SELECT {', '.join(columns)} FROM {key}").fetchall())
              for key, columns in _RECORD_COLUMNS.items()}
    source.close()
    target = sqlite3.connect(fresh, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):  # as sync.store sets them
        target.execute(f"PRAGMA {pragma}")
    target.execute("ATTACH DATABASE ? AS synced", (str(synced),))
    target.execute("INSERT INTO sources SELECT * FROM synced.sources")  # the records' sources, not timed
    target.execute("DETACH DATABASE synced")
    started = time.perf_counter()
    target.execute("BEGIN")
    for key, (columns, rows) in tables.items():
        target.executemany(f"INSERT INTO {key} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                           rows)
    target.execute("COMMIT")
    seconds = time.perf_counter() - started
    target.close()
    return seconds, sum(len(rows) for _columns, rows in tables.values())


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
        store_s, stored = _store_floor(work / "store.db", work / "floor.db")
        recompute_s, shared_s, upload_s, evaluations = _upload_against_full_recompute(engine, inbox, paths)
        engine.dispose()
        memory = _memory_rows(work, inbox, schools, workers)
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
        {"name": "writing its records alone (SQLite) / calamine parse", "value": store_s, "unit": "s",
         "baseline": calamine_s, "ratio": store_s / calamine_s, "goal": None,
         "note": f"{stored:,} records, no check: were the checks free, two cores would still take about "
                 f"{(calamine_s + store_s) / 2 / calamine_s:.2f}x"},
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
    ] + memory


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
