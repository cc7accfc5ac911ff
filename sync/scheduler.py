"""`safeschool scheduler`: the sync on a cron, in its own process (never inside gunicorn).

APScheduler 3's BlockingScheduler runs one job, `scheduled_sync`, on the
configured cron (`[schedule] cron`, default every 30 minutes) with
max_instances=1 and coalesce=True: a run that overruns is not started twice
and missed runs collapse into one.  The database lock (sync.lock) keeps this
scheduler apart from any other scheduler or manual run.  A failing run (the
database down, the share unmounted) is logged and recorded where possible,
and the scheduler keeps running; the next tick retries.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

log = logging.getLogger("safeschool.scheduler")

JOB_ID = "safeschool-sync"


def scheduled_sync(inbox: Path | None = None, recompute: bool = True) -> str:
    """One scheduled run; never raises (a raised error would only be logged by APScheduler anyway)."""
    try:
        from sync.load import run_sync
        from sync.settings import get_settings
        from sync.store import get_engine

        if store_gone() or not_this_versions_store(get_engine()):
            return "failed"
        summary = run_sync(get_engine(), Path(inbox or get_settings().inbox), trigger="scheduler", recompute=recompute)
    except Exception:  # keep the scheduler alive whatever one run does
        log.exception("scheduled sync failed; it is retried at the next tick")
        return "failed"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts().items()))
    log.info("scheduled sync: %s (%s) %s%s", summary.status, counts or "no sources", summary.message,
             _not_loaded(summary))
    _log_why_not_loaded(summary)
    return summary.status


REASON_LOGGED_CHARS = 300


def _log_why_not_loaded(summary) -> None:
    """Each source refused or failed, a line with why (the first ten): named alone, the reason was on the
    audit page or `sync --check` only (a README audit)."""
    from sync.load import RUN_NAMES_KEPT

    for o in [o for o in summary.sources if o.action in ("refused", "failed")][:RUN_NAMES_KEPT]:
        reason = " ".join(o.message.split())
        cut = "…" if len(reason) > REASON_LOGGED_CHARS else ""
        log.warning("%s %s: %s%s", o.action, o.display_name, reason[:REASON_LOGGED_CHARS], cut)


def _not_loaded(summary) -> str:
    """The sources a run refused or could not read, by name (the first ten, as the run keeps them): 'refused 1'
    alone sent the IT person to the audit page every half hour to learn which workbook it was."""
    from sync.load import RUN_NAMES_KEPT

    names = [o.display_name for o in summary.sources if o.action in ("refused", "failed")]
    if not names:
        return ""
    more = f" (+{len(names) - RUN_NAMES_KEPT})" if len(names) > RUN_NAMES_KEPT else ""
    return " 未導入 / not loaded: " + ", ".join(names[:RUN_NAMES_KEPT]) + more


def store_gone() -> bool:
    """True, and logged, when the SQLite store's file is not where the configuration says (its folder moved,
    a share unmounted).  A long-running scheduler's pooled connections kept the moved file open and synced
    into it, "ok", while `sync --once` said there was no store (an operations audit); each tick now opens
    the file afresh, so a store put back (or restored) is the one synced."""
    from sync.cli_common import missing_sqlite_store
    from sync.store import get_engine

    missing = missing_sqlite_store()
    if missing:
        log.error("本次未同步：找不到數據庫 %s（文件夾被移走或共享盤未掛載？）/ scheduled sync not run: there is no "
                  "store at %s (its folder moved, or a share not mounted?); retried at the next tick", missing, missing)
        return True
    engine = get_engine()
    if engine.dialect.name == "sqlite":
        engine.dispose()
    return False


def not_this_versions_store(engine) -> bool:
    """True, and logged, when the store is no longer at this code's schema: the scheduler checks it when it
    starts, but one left running while another checkout's `safeschool init` upgraded the store synced on
    into it with its older code (found by the deployment audit).  A store that cannot be reached is left
    to the run, which says so."""
    from sqlalchemy.exc import SQLAlchemyError

    from sync.migrate import schema_problem

    try:
        problem = schema_problem(engine)
    except SQLAlchemyError:
        return False
    if problem:
        log.error("本次未同步 / scheduled sync not run: %s", problem)
    return problem is not None


def build_scheduler(cron: str | None = None, timezone: str | None = None, inbox: Path | None = None):
    """The BlockingScheduler with the sync job on the configured cron (not started)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from sync.errors import UserError
    from sync.settings import get_file_config

    schedule = get_file_config().schedule
    where = "--cron" if cron else "schedule.cron"
    cron = cron or schedule.cron
    timezone = timezone or schedule.timezone
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except (ValueError, KeyError, OSError):
        raise UserError(f"時區 {timezone!r} 不存在,例如 'Asia/Shanghai' / schedule.timezone {timezone!r} is not a "
                        "time zone; e.g. 'Asia/Shanghai'") from None
    try:
        trigger = cron_trigger(cron, timezone)
    except CronNeverFires as err:
        raise UserError(f"排程 {err.zh} / {where} {err}") from None
    except ValueError as err:
        raise UserError(f"排程 {cron!r} 不是有效的 cron 表達式:五項依次為 分 時 日 月 星期(0–7,0 和 7 為星期日),"
                        f"例如 '*/30 * * * *' 每30分鐘 / {where} {err}") from None
    scheduler = BlockingScheduler(timezone=timezone)
    scheduler.add_job(
        scheduled_sync, trigger, kwargs={"inbox": inbox}, id=JOB_ID, name="safeschool sync",
        max_instances=1, coalesce=True, misfire_grace_time=300, replace_existing=True,
    )
    return scheduler


def cron_trigger(cron: str, timezone: str):
    """APScheduler's trigger for a standard cron line, or ValueError saying how one is written (APScheduler's
    own reason counts weekdays from Monday as 0-6; the bureau writes standard cron)."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        trigger = CronTrigger.from_crontab(standard_weekdays(cron), timezone=timezone)
    except (ValueError, KeyError):
        raise ValueError(f"{cron!r} is not a valid cron expression: five fields, minute hour day month weekday "
                         "(0-7, 0 and 7 are Sunday); e.g. '*/30 * * * *' for every 30 minutes") from None
    if trigger.get_next_fire_time(None, datetime.now(trigger.timezone)) is None:
        # 0 8 30 2 * (30 February) was taken, and the scheduler said "sync on cron ..." and never synced
        # (a configuration audit)
        raise CronNeverFires(f"{cron!r} names a day that never comes (such as 30 February): the scheduler would never "
                             "sync; e.g. '0 8 28 2 *' or '*/30 * * * *'",
                             f"{cron!r} 指定的日期不存在(如 2 月 30 日),排程永遠不會同步;"
                             "例如 '0 8 28 2 *' 或 '*/30 * * * *'")
    return trigger


class CronNeverFires(ValueError):
    """A cron line that parses but names no day that comes; `zh` says so in Chinese."""

    def __init__(self, message: str, zh: str):
        super().__init__(message)
        self.zh = zh


_WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NUMBER = {name: n for n, name in enumerate(_WEEKDAY_NAMES[:7])}


def standard_weekdays(cron: str) -> str:
    """`cron` with its day-of-week numbers as names: in cron 0 (and 7) is Sunday, but APScheduler 3
    reads numbers from Monday = 0, so `0 2 * * 1` would run on Tuesdays.  Names mean the same to both;
    a numeric range is spelt out day by day (0-6 would be sun-sat, backwards to APScheduler)."""
    import re

    fields = cron.split()
    if len(fields) != 5:
        return cron
    items = []
    # Names as numbers first: sun-thu is 0-4 in cron, but backwards to APScheduler (sun is its 6).
    numbered = re.sub(r"[A-Za-z]+", lambda name: str(_DAY_NUMBER.get(name[0].lower(), name[0])), fields[4])
    for item in numbered.split(","):
        span = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", item)
        if item == "*" or span is None or (span[1] != "*" and int(span[1]) > 7) or int(span[2] or 0) > 7:
            items.append(item)  # *, names, or something from_crontab will refuse with its reason
            continue
        # cron: */2 is every second day from Sunday; 1/2 from Monday to the end of the week
        first = 0 if span[1] == "*" else int(span[1])
        last = int(span[2]) if span[2] else (6 if span[3] or span[1] == "*" else first)
        items += [_WEEKDAY_NAMES[d] for d in range(first, last + 1, int(span[3] or 1))]
    fields[4] = ",".join(dict.fromkeys(items))
    return " ".join(fields)
