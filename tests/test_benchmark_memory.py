"""The instrument behind `make bench`'s memory figures (tests/benchmarks/memory.py) measures what is held.

Figures are never asserted here (they are read from `make bench`); what is pinned is that the watch
sees memory the work holds, in this process and in the processes it forks, and only above its start."""

import multiprocessing
import time
from pathlib import Path

import pytest

from tests.benchmarks.memory import MemoryWatch
from tests.conftest import require

MB = 2 ** 20


@pytest.fixture(autouse=True)
def _procfs():
    if not Path("/proc/self/smaps_rollup").exists():
        require("procfs", "/proc/self/smaps_rollup is missing")


def _hold(megabytes: int) -> int:
    block = bytearray(megabytes * MB)
    for i in range(0, len(block), 4096):  # touched, so the pages are really there
        block[i] = 1
    time.sleep(0.05)  # the sampler looks every 5 ms
    return len(block)


def _in_two_forked_workers(megabytes: int) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_hold, args=(megabytes,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def test_the_watch_measures_what_the_work_held_above_its_start_each_time():
    held_before = bytearray(100 * MB)  # held before the watch starts: not the work's
    with MemoryWatch() as watch:
        result, first = watch.peak_of(_hold, 60)
        _r, second = watch.peak_of(_hold, 20)
    assert result == 60 * MB
    assert 55 <= first <= 75 and 15 <= second <= 35, (first, second)
    del held_before


def test_the_watch_adds_up_the_workers_the_work_forks():
    with MemoryWatch() as watch:
        _r, held = watch.peak_of(_in_two_forked_workers, 50)
    assert 90 <= held <= 130, held
