"""Peak memory of pieces of work: the process and every process it starts, as the machine sees them.

Measured from outside: a small sampler process reads the proportional set size
(Pss, /proc/PID/smaps_rollup) of this process, its children and theirs every
few milliseconds, and keeps the largest sum.  Pss shares a page among the
processes that map it, so forked workers are not counted once each for what
they inherited.  Not a thread of this process: the sync forks its workers only
from a process with one thread (sync.parallel).

Every figure is the peak above one starting point, taken when the watch starts:
memory a piece of work freed stays with the process for the next one, so each
piece is charged at least what an earlier one left, never less than it needs.
Run the watch in a fresh process, with the smaller pieces first.

Linux only (the benchmarks' machines); elsewhere `MemoryWatch.start()` is None.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_SAMPLER = r"""
import os, select, sys, time

def pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0

def tree(root, me):
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid == me:
            continue
        out.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out

root, me = int(sys.argv[1]), os.getpid()
peak = sum(pss(p) for p in tree(root, me))
print(peak, flush=True)
while True:
    ready, _, _ = select.select([sys.stdin], [], [], 0.005)
    peak = max(peak, sum(pss(p) for p in tree(root, me)))
    if ready:
        if not sys.stdin.readline():
            break
        print(peak, flush=True)
        peak = sum(pss(p) for p in tree(root, me))
"""


class MemoryWatch:
    """`with MemoryWatch() as watch: watch.peak_of(fn, *args)` -> (fn's result, MB above the start).

    root: the process whose tree is watched (a server started for the measure); this one by default."""

    def __init__(self, root: int | None = None):
        self.root = root or os.getpid()

    def __enter__(self) -> MemoryWatch:
        self.sampler, self.start_mb = None, None
        if Path("/proc/self/smaps_rollup").exists():
            self.sampler = subprocess.Popen([sys.executable, "-c", _SAMPLER, str(self.root)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.start = int(self.sampler.stdout.readline())
            self.start_mb = self.start / 2 ** 20  # what the watched processes held when it started
        return self

    def peak_of(self, fn, *args):
        result = fn(*args)
        return result, self.peak()

    def peak(self) -> float | None:
        """MB above the start at the highest since the watch started or last answered."""
        if self.sampler is None:
            return None
        self.sampler.stdin.write("peak\n")
        self.sampler.stdin.flush()
        return (int(self.sampler.stdout.readline()) - self.start) / 2 ** 20

    def __exit__(self, *exc) -> None:
        if self.sampler is not None:
            self.sampler.kill()
            self.sampler.wait()
