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
- A worker that dies (a hostile file crashing the reader, the memory
  killer) makes the rest of the run check in-process, as without workers.
- A worker whose parent is gone (the sync killed) exits by itself.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger("safeschool.sync")

MIN_ITEMS = 24  # workbooks: below this, checking in-process is quicker than starting workers
REPORTS_AHEAD_PER_WORKER = 4


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
                initargs: tuple = (), min_items: int = MIN_ITEMS) -> Iterator:
    """fn(item) for every item, in order; in `workers` processes when there are min_items or more.

    fn and initializer must be module-level functions (they are sent to the workers by name);
    initializer(*initargs) also runs in this process when the items are done here."""
    if workers <= 1 or len(items) < min_items:
        if initializer is not None:
            initializer(*initargs)
        yield from map(fn, items)
        return
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker,
                               initargs=(os.getpid(), initializer, initargs))
    pending: deque = deque()
    upcoming = iter(range(len(items)))
    done = 0
    try:
        for i in upcoming:
            pending.append(pool.submit(fn, items[i]))
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
    except BrokenProcessPool:
        log.warning("a worker died; the remaining %d of %d pieces are done in-process", len(items) - done, len(items))
        pool.shutdown(wait=False, cancel_futures=True)
        if initializer is not None:
            initializer(*initargs)
        yield from map(fn, items[done:])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _context():
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sync.report", "sync.load", "scoring.engine"])
        return ctx
    return multiprocessing.get_context("spawn")


def _start_worker(parent: int, initializer: Callable | None, initargs: tuple) -> None:
    gc.freeze()  # what the worker inherits is never its garbage: the collector need not walk it
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
