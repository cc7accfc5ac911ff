"""Work that splits into independent pieces, done in worker processes, results in order.

A full sync is mostly reading and checking workbooks, each independent of
the others, while the store takes one writer.  So the checking runs in worker
processes (one per core by default, SAFESCHOOL_SYNC_WORKERS) and the sync's
own process writes the reports to the store as they arrive, in inbox order.
The recompute after it runs its evaluations (a year, a month end) the same way.

- At most a few results per worker wait in memory: a slow store holds the
  workers back rather than filling the memory with a county's records.
- A run with few pieces (an upload, a re-sync after a few schools changed)
  does them in-process: starting workers would cost more.
- Workers are forked when the calling process has one thread (the CLI),
  and come from a fork server otherwise (the scheduler runs jobs in a
  thread; forking a threaded process can copy a held lock).
- A worker that dies (the memory killer) makes the rest of a recompute run
  in-process, as without workers.
- Checking workbooks passes `on_crash`: then every workbook is read in a
  worker process (one, for a few), never in the caller's, each worker may
  take READER_HEADROOM_BYTES more memory than it started with, and a
  worker that dies (a hostile file aborting python-calamine, a Rust
  allocation failure no Python code catches) costs the workbook it was
  reading its own report, not the run, the scheduler or a dashboard worker.
- A worker whose parent is gone (the sync killed) exits by itself; Ctrl-C is its parent's to take.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger("safeschool.sync")

MIN_ITEMS = 24  # pieces: below this, one worker rather than one per core (a recompute: none, in-process)
REPORTS_AHEAD_PER_WORKER = 4
# What a checking worker may hold above its start: a school's workbook takes tens of MB, the largest the
# reader's limits let through about 0.6 GB; a file built to take more fails in its own worker.
READER_HEADROOM_BYTES = 3 * 2 ** 30


def worker_count(setting: int | None) -> int:
    """The workers a run uses: the setting, or one per core when it is 0 or unset."""
    if setting and setting > 0:
        return setting
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def configured_workers(asked: int | None = None) -> int:
    """`asked` (at least 1) when given, else SAFESCHOOL_SYNC_WORKERS, else one per core."""
    if asked is not None:
        return max(1, asked)
    from sync.settings import get_settings

    return worker_count(get_settings().sync_workers)


def ordered_map(fn: Callable, items: Sequence, workers: int, initializer: Callable | None = None,
                initargs: tuple = (), min_items: int = MIN_ITEMS, on_crash: Callable | None = None) -> Iterator:
    """fn(item) for every item, in order; in `workers` processes when there are min_items or more.

    fn and initializer must be module-level functions (they are sent to the workers by name);
    initializer(*initargs) also runs in this process when the items are done here.  on_crash(item),
    run here: the result for an item whose worker died with it; with it, nothing is done here (see the
    module docstring)."""
    if workers <= 1 or len(items) < min_items:
        if on_crash is None:
            if initializer is not None:
                initializer(*initargs)
            yield from map(fn, items)
            return
        workers = 1
    if not items:
        return
    pool = _pool(workers, initializer, initargs, on_crash is not None)
    pending: deque = deque()
    upcoming = iter(range(len(items)))
    done = sent = 0
    try:
        for i in upcoming:
            pending.append(pool.submit(fn, items[i]))
            sent += 1
            if len(pending) >= workers * REPORTS_AHEAD_PER_WORKER:
                break
        while pending:
            result = pending.popleft().result()
            done += 1
            # Given out before the next piece is sent: a pool a dying worker broke refuses that submit,
            # and this result must not be lost with it (the run would store each later report under
            # the previous workbook's name).
            yield result
            nxt = next(upcoming, None)
            if nxt is not None:
                pending.append(pool.submit(fn, items[nxt]))
                sent += 1
    except BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        if on_crash is None:
            log.warning("a worker died; the remaining %d of %d pieces are done in-process", len(items) - done,
                        len(items))
            if initializer is not None:
                initializer(*initargs)
            yield from map(fn, items[done:])
            return
        # One of the pieces under way killed its worker: each is done again alone, and the one that
        # kills a worker of its own gets on_crash's result; the rest go on in a new pool.
        log.warning("a worker died; the %d pieces it may have died of are checked one by one", sent - done)
        for item in items[done:sent]:
            yield _alone(fn, item, initializer, initargs, on_crash)
        yield from ordered_map(fn, items[sent:], workers, initializer, initargs, min_items, on_crash)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _pool(workers: int, initializer: Callable | None, initargs: tuple, capped: bool) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker,
                               initargs=(os.getpid(), initializer, initargs, capped))


def _alone(fn: Callable, item, initializer: Callable | None, initargs: tuple, on_crash: Callable):
    pool = _pool(1, initializer, initargs, True)
    try:
        return pool.submit(fn, item).result()
    except BrokenProcessPool:
        log.warning("a worker died of one piece; it is reported as such")
        return on_crash(item)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def cap_memory(headroom: int | None = None) -> None:
    """At most `headroom` bytes of address space above what this process holds now (Linux; elsewhere
    nothing): past it an allocation fails in this process alone, a MemoryError or Rust's abort, rather
    than the machine running out of memory for everyone."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            held = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        headroom = READER_HEADROOM_BYTES if headroom is None else headroom
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = held + headroom if hard == resource.RLIM_INFINITY else min(held + headroom, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass


def _context():
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sync.report", "sync.load", "scoring.engine"])
        return ctx
    return multiprocessing.get_context("spawn")


def _start_worker(parent: int, initializer: Callable | None, initargs: tuple, capped: bool = False) -> None:
    gc.freeze()  # what the worker inherits is never its garbage: the collector need not walk it
    # Ctrl-C at a terminal reaches the whole process group: the sync's own process stops the run (one
    # line, the pool shut down); a worker that took it too printed a KeyboardInterrupt traceback each
    # (found by an audit).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if capped:
        cap_memory()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="parent-watch").start()
    if initializer is not None:
        initializer(*initargs)


def _exit_with_parent(parent: int) -> None:
    # Forked workers are the sync's children; a fork server's are the server's, which ends with the sync.
    born_of = os.getppid()
    while True:
        time.sleep(1.0)
        if os.getppid() != born_of:
            os._exit(1)
        try:
            os.kill(parent, 0)
        except (ProcessLookupError, PermissionError):  # PermissionError: the number now is another user's
            os._exit(1)
