"""The sync's speed machinery changes nothing it stores.

- Workbooks checked in worker processes give the store exactly what checking
  them in-process gives (sources, records, rejected rows, run lines).
- A worker that dies leaves a recompute to finish in-process; a workbook
  whose reading kills its worker (or runs it out of memory) is refused by
  itself, and the run, the check or the upload goes on; a worker whose
  sync is killed exits by itself.
- Sources written in one transaction: when the store refuses one source's
  values, only that source fails and keeps its previous records; the others
  in its transaction are loaded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select, text

from sync import parallel
from sync.demo import write_demo
from sync.load import run_sync
from sync.migrate import upgrade
from sync.store import make_engine, records, rejected_rows, sources, sync_run_sources
from tests.sync_helpers import bureau_book, school_book, write_xlsx

TODAY = date(2026, 11, 20)


def _store_contents(engine) -> dict:
    """Everything the sync wrote, without ids or times."""
    with engine.connect() as conn:
        keys = dict(conn.execute(select(sources.c.source_id, sources.c.source_key)).all())
        out = {
            "sources": sorted(conn.execute(select(
                sources.c.source_key, sources.c.kind, sources.c.status, sources.c.school_code, sources.c.rows,
                sources.c.content_hash, sources.c.message)).all()),
            "rejected": sorted(
                (keys[r.source_id], r.level, r.sheet, r.row_no or 0, r.column or "", r.value or "", r.reason_en)
                for r in conn.execute(select(rejected_rows))),
            "lines": sorted(conn.execute(select(
                sync_run_sources.c.source_key, sync_run_sources.c.action, sync_run_sources.c.rows_read,
                sync_run_sources.c.rows_added, sync_run_sources.c.rows_rejected, sync_run_sources.c.message)).all()),
        }
        for name, table in records.items():
            cols = [c for c in table.columns if c.name not in ("record_id", "source_id")]
            out[name] = sorted(
                (keys[row[0]], *("" if v is None else str(v) for v in row[1:]))
                for row in conn.execute(select(table.c.source_id, *cols)))
    return out


def test_workbooks_checked_in_worker_processes_store_exactly_what_in_process_checking_stores(tmp_path):
    inbox = tmp_path / "inbox"
    # The demo county has deliberate mistakes: refused files, refused rows, a second file of one school.
    write_demo(inbox, schools=parallel.MIN_ITEMS + 6, seed=11)
    contents = {}
    for workers in (1, 2):
        engine = make_engine(f"sqlite:///{tmp_path / f'w{workers}.db'}")
        upgrade(engine)
        summary = run_sync(engine, inbox, sql_sources=[], recompute=False, today=TODAY, workers=workers)
        assert summary.status in ("ok", "refused")
        assert len(summary.sources) == len(list(inbox.rglob("*.xls*"))) + len(list(inbox.rglob("*.ods")))
        contents[workers] = _store_contents(engine)
        engine.dispose()
    assert sum(len(contents[1][k]) for k in records) > 1000
    assert any(line[1] == "refused" for line in contents[1]["lines"]), "the county should hold a refused file"
    assert contents[2] == contents[1]


def _double(item: int) -> int:
    return item * 2


# The test's own pid goes to the workers with the function (functools.partial): a worker from a fork
# server started by an earlier test has that server's environment, not this test's.
def _die_in_a_worker(item: int, parent: int) -> int:
    if item == 7 and os.getpid() != parent:
        os._exit(3)  # what a reader crashing on a hostile file, or the memory killer, looks like
    return item * 2


def test_ordered_map_gives_results_in_item_order_from_workers():
    items = list(range(parallel.MIN_ITEMS * 3))
    assert list(parallel.ordered_map(_double, items, workers=2)) == [i * 2 for i in items]


def test_ordered_map_called_from_a_scheduler_thread_uses_a_fork_server_and_gives_the_same_results():
    import threading

    items = list(range(parallel.MIN_ITEMS * 2))
    seen = {}

    def job():  # as APScheduler runs the sync: in a thread of a process with several
        seen["method"] = parallel._context().get_start_method()
        seen["results"] = list(parallel.ordered_map(_double, items, workers=2))

    thread = threading.Thread(target=job)
    thread.start()
    thread.join(timeout=120)
    assert seen == {"method": "forkserver", "results": [i * 2 for i in items]}


def test_a_worker_that_dies_leaves_the_rest_of_the_run_to_this_process():
    items = list(range(parallel.MIN_ITEMS * 2))
    die = partial(_die_in_a_worker, parent=os.getpid())
    assert list(parallel.ordered_map(die, items, workers=2)) == [i * 2 for i in items]


def _die_a_little_later(item: int, parent: int) -> int:
    if item == 7 and os.getpid() != parent:
        time.sleep(0.2)
        os._exit(3)
    return item * 2


def test_a_result_finished_before_a_worker_died_is_never_lost():
    """The pool breaks while the run is storing (a slow consumer) after item 6 finished: item 6's result
    still comes, in its place; a lost one would make every later report be stored under the name of
    the workbook before it."""
    items = list(range(parallel.MIN_ITEMS * 2))
    got = []
    for result in parallel.ordered_map(partial(_die_a_little_later, parent=os.getpid()), items, workers=2):
        got.append(result)
        if len(got) == 6:
            time.sleep(1.0)  # storing: meanwhile the worker with item 7 dies
    assert got == [i * 2 for i in items]


def _abort() -> None:
    """What python-calamine does when a hostile file asks it for terabytes (quietly: no traceback dump)."""
    import faulthandler

    faulthandler.disable()
    os.abort()


def _crash_or_report(item: int, parent: int):
    if item in (5, 30) and os.getpid() != parent:
        _abort()
    return item * 2


@pytest.mark.parametrize("count", [3, parallel.MIN_ITEMS * 2])
def test_with_on_crash_a_piece_that_kills_its_worker_gets_its_own_result_and_nothing_runs_here(count):
    """A few pieces run in one worker, never here: a hostile file aborting the reader in this process
    would end the sync, the scheduler or a dashboard worker with it."""
    items = list(range(count))
    got = list(parallel.ordered_map(partial(_crash_or_report, parent=os.getpid()), items, workers=2,
                                    on_crash=lambda item: ("crashed", item)))
    assert got == [("crashed", i) if i in (5, 30) else i * 2 for i in items]


def _allocate_beyond_headroom(item: int) -> int:
    try:
        hold = bytearray(400 * 2 ** 20)
    except MemoryError:
        return -1
    return len(hold) and item


def test_a_checking_worker_may_not_take_more_memory_than_its_headroom(monkeypatch, workers_see_patches):
    monkeypatch.setattr(parallel, "READER_HEADROOM_BYTES", 200 * 2 ** 20)
    assert list(parallel.ordered_map(_allocate_beyond_headroom, [1, 2], workers=1, on_crash=lambda item: None)) == [-1, -1]


def test_a_workbook_that_kills_its_reader_is_refused_by_itself_in_a_sync_a_check_and_an_upload(
        tmp_path, monkeypatch, workers_see_patches):
    """Found by an audit: .ods and .xls files of a few KB made python-calamine abort the process reading
    them (a Rust allocation failure no Python code catches); the run then read the rest in its own
    process and the same file ended the sync.  The reader is made to abort on one file here."""
    import sync.load as load
    from sync.cli import main as cli

    real_check = load.check_file

    def check_file(path, *args, **kwargs):
        if Path(path).name == "1002.xlsx":
            _abort()
        return real_check(path, *args, **kwargs)

    monkeypatch.setattr(load, "check_file", check_file)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_xlsx(inbox / "bureau.xlsx", bureau_book(("1001", "1002", "1003")))
    for code in ("1001", "1002", "1003"):
        write_xlsx(inbox / f"{code}.xlsx", school_book(code, name=f"學校{code}"))
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    summary = run_sync(engine, inbox, sql_sources=[], recompute=False, today=TODAY)
    actions = {o.source_key: o.action for o in summary.sources}
    assert actions == {"file:bureau.xlsx": "loaded", "file:1001.xlsx": "loaded", "file:1002.xlsx": "refused",
                       "file:1003.xlsx": "loaded"}, actions
    [crashed] = [o for o in summary.sources if o.action == "refused"]
    assert any("stopped the reader" in p.reason_en and "save it as .xlsx" in p.reason_en for p in crashed.problems)
    engine.dispose()
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["sync", "--check", str(inbox / "1002.xlsx")])
    assert result.exit_code == 1 and "stopped the reader" in result.output, result.output


_SLOW_SYNC = """
import os, sys, time
from sync import parallel

def slow(item):
    with open(os.path.join(sys.argv[1], f"{os.getpid()}.pid"), "w"):
        pass
    time.sleep(0.2)
    return item

if __name__ == "__main__":
    for _ in parallel.ordered_map(slow, list(range(1000)), workers=2):
        pass
"""


def _alive(pid: int) -> bool:
    if not Path("/proc").is_dir():  # no /proc (macOS): the signal test, which counts a zombie as alive
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state  # a zombie has exited; only its parent has not collected it


def test_checking_workers_exit_when_the_sync_is_killed(tmp_path):
    script = tmp_path / "slow_sync.py"
    script.write_text(_SLOW_SYNC)
    pids = tmp_path / "pids"
    pids.mkdir()
    proc = subprocess.Popen([sys.executable, str(script), str(pids)], cwd=Path(__file__).parents[1])
    try:
        deadline = time.monotonic() + 60
        while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = {int(p.stem) for p in pids.iterdir()}
        assert len(workers) == 2, "the workers did not start"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a checking worker outlived its killed sync"


def test_when_the_store_refuses_one_sources_values_only_that_source_fails_and_keeps_its_records(tmp_path):
    """Sources share a transaction; the refused one is written again alone and fails alone."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    codes = ["2001", "2002", "2003"]
    write_xlsx(inbox / "bureau.xlsx", bureau_book(tuple(codes)))
    for code in codes:
        write_xlsx(inbox / f"{code}.xlsx", school_book(code))
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    first = run_sync(engine, inbox, sql_sources=[], recompute=False, today=TODAY, workers=1)
    assert first.status == "ok"
    # The bureau's database administrator forbids a topic: the store itself refuses the row.
    with engine.begin() as conn:
        conn.execute(text(
            f"CREATE TRIGGER no_such_topic BEFORE INSERT ON {records['education'].name} WHEN NEW.topic = '禁止主題' "
            "BEGIN SELECT RAISE(ABORT, 'topic refused by the store'); END"))
    for code in codes:
        book = school_book(code)
        book["安全教育"].append([date(2026, 4, 6), "安全教育課", "禁止主題" if code == "2002" else "交通安全", "是", 580, 600])
        write_xlsx(inbox / f"{code}.xlsx", book)
    second = run_sync(engine, inbox, sql_sources=[], recompute=False, today=TODAY, workers=1)
    actions = {o.source_key: o.action for o in second.sources}
    assert actions == {"file:bureau.xlsx": "skipped", "file:2001.xlsx": "loaded", "file:2002.xlsx": "failed",
                       "file:2003.xlsx": "loaded"}
    failed = next(o for o in second.sources if o.source_key == "file:2002.xlsx")
    assert "storing this source failed" in failed.message and "previous records are kept" in failed.message
    with engine.connect() as conn:
        topics = conn.execute(select(records["education"].c.school_code, records["education"].c.topic)).all()
    assert sorted(topics) == [("2001", "交通安全"), ("2001", "防溺水"), ("2002", "防溺水"),
                              ("2003", "交通安全"), ("2003", "防溺水")]
    engine.dispose()
