"""Warm the dashboard's caches in each gunicorn worker, so no visitor pays for a sync.

The loads behind the pages (every school's results, ledgers, to-dos, sources,
the county's trend) are cached per data version; the first request after a
sync used to build them all, 1-2 s per worker.  A daemon thread in each
worker looks at the data version every few seconds (one small query) and,
when it changed, builds them before anyone asks, plus the bureau's overview
in the default language (the page everybody opens first).

It starts only inside gunicorn (each worker imports the app after the fork),
never in the CLI, the tests' in-process app, or the scheduler.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading

from sync.settings import county_today

CHECK_SECONDS = 5.0
_log = logging.getLogger(__name__)
_started = threading.Event()


def warm_once(years: int = 2) -> tuple:
    """Build the cached loads of the newest `years` years for the current data version; returns that version."""
    from dashboard import queries
    from dashboard.access import Viewer
    from dashboard.i18n import DEFAULT_LANGUAGE
    from dashboard.pages import overview

    engine = queries.get_engine()
    version = queries.data_version(engine)
    bureau = Viewer(0, "bureau", "leader", None)
    for year in queries.years(bureau)[:years]:
        queries.warm_year(engine, year, version)
        try:
            overview._rendered(queries.scope_viewer(bureau), year, DEFAULT_LANGUAGE, county_today(), version)
        except (queries.NotFound, queries.Refused):
            pass
    queries.warm_school_loads(engine, version)
    # The loads leave millions of new objects; a full garbage collection is due soon after, and it
    # should run here in the background, not inside the next visitor's request.
    gc.collect()
    return version


def warm_and_freeze() -> tuple:
    """warm_once as a gunicorn worker runs it: the loads it leaves are then frozen (gc.freeze), since they
    live until the next sync and every full collection walked them again (at 1,000 schools a 165 ms pause
    once in about 100 school pages, 1.65 ms a page on average; 0.51 ms frozen, counted with gc.callbacks;
    the bench's mean of first views shows it).  The last version's are unfrozen first: those the
    new version replaced are freed by warm_once's collection, reference cycles and all.  Not in warm_once:
    the tests' processes call it, and would freeze all they hold."""
    gc.unfreeze()
    version = warm_once()
    gc.freeze()
    return version


def _loop(stop: threading.Event) -> None:
    from dashboard import queries

    warmed = None
    while not stop.is_set():
        try:
            if queries.data_version(queries.get_engine()) != warmed:
                warmed = warm_and_freeze()
        except Exception:  # a store not ready yet, or a sync mid-way: try again on the next tick
            _log.debug("cache warm-up failed; trying again", exc_info=True)
        stop.wait(CHECK_SECONDS)


def start_in_gunicorn_worker() -> threading.Thread | None:
    """Start the warming thread once per process, only under gunicorn (SAFESCHOOL_WARM=0 turns it off)."""
    # false/no/off as well as 0: SAFESCHOOL_WARM=false left it on (a configuration audit)
    off = os.environ.get("SAFESCHOOL_WARM", "1").strip().lower() in ("0", "false", "no", "off")
    if "gunicorn" not in sys.modules or off or _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(target=_loop, args=(threading.Event(),), name="safeschool-warm", daemon=True)
    thread.start()
    return thread
