"""One sync at a time: two schedulers, or a scheduler and `safeschool sync --once`, never overlap.

PostgreSQL: a session advisory lock (pg_try_advisory_lock); MariaDB/MySQL:
GET_LOCK; SQLite: an flock()ed file beside the database.  All three are let
go by the operating system or the server when the holder dies, even by
SIGKILL, so a crashed run never blocks the next one.  The `locks` table row
only says who holds the lock, for the message the second runner prints.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import Engine

from sync.settings import county_now
from sync.store import locks

LOCK_NAME = "sync"
PG_LOCK_KEY = 0x5AFE5C00  # any constant; one per purpose
# The drafts' recompute (sync.results.recompute) is its own lock: a sync recomputes at its end, and a
# finding saved on the dashboard, an upload or a `rescore` recompute too.  Two at once left the slower
# one's older scores last (a finding's new total lost), or each its own rows (every school twice in the
# drafts) (found by an audit on PostgreSQL).
RECOMPUTE = "recompute"
PG_KEYS = {LOCK_NAME: PG_LOCK_KEY, RECOMPUTE: PG_LOCK_KEY + 1}
# A county's full recompute takes seconds (1,000 schools, every year and month end: about 40 s); under
# gunicorn's 120 s request timeout, so a finding saved meanwhile is told, not killed (an audit).
RECOMPUTE_WAIT_SECONDS = 90
POLL_SECONDS = 0.5


class SyncBusy(Exception):
    """Another sync holds the lock; str(err) says who since when."""


class LockLost(Exception):
    """The lock's database session ended under a running sync (a server restart, a killed connection):
    another sync may have started, so this one writes nothing more."""


def _holder() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


def _sqlite_lock_path(engine: Engine, purpose: str = LOCK_NAME) -> Path:
    db = engine.url.database
    if not db or db == ":memory:":
        return Path(os.environ.get("TMPDIR", "/tmp")) / f"safeschool-memory-{os.getpid()}.{purpose}.lock"
    return Path(db).with_name(Path(db).name + f".{purpose}.lock")


class _Held:
    def __init__(self, release, still_held=None):
        self.release = release
        self._still_held = still_held

    def verify(self) -> None:
        """Raise LockLost unless the lock is still this process's.  A server-side lock lives as long as
        its session: the run checks it before each commit (found by an audit: with the session killed,
        a second sync ran beside the first)."""
        if self._still_held is None:
            return  # an flock() is the process's until it lets go or dies
        try:
            held = bool(self._still_held())
        except Exception:  # noqa: BLE001 - the session is gone: so is the lock
            held = False
        if not held:
            raise LockLost("同步鎖的數據庫會話已斷開,本次同步停止,未寫入的部分下次同步完成 / the sync lock's database "
                           "session ended during the run (the store restarted or the connection was cut); this "
                           "run stopped and the next one finishes its work")


# The descriptors that hold the lock (the flock()ed file, the lock session's socket): a process forked while
# the lock is held (a checking worker) must not hold it too, or a sync killed mid-run would leave its lock
# to its orphaned workers until they notice and exit (found when the sync began to check every workbook
# in a worker).  In the child each is pointed at /dev/null: the parent's copy, and its lock, are untouched.
_HELD_FDS: set[int] = set()


def _let_go_in_child() -> None:
    if not _HELD_FDS:
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in _HELD_FDS:
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    os.close(devnull)
    _HELD_FDS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_let_go_in_child)


def _socket_fd(conn) -> int | None:
    """The OS descriptor of a SQLAlchemy connection's socket (psycopg, PyMySQL), or None."""
    dbapi = conn.connection.dbapi_connection
    for source in (dbapi, getattr(dbapi, "_sock", None)):
        try:
            return source.fileno()
        except (AttributeError, OSError, ValueError, TypeError):
            continue
    return None


def _holding(fd: int | None, release):
    """`release` that also forgets `fd` as a lock holder."""
    if fd is not None:
        _HELD_FDS.add(fd)

    def let_go():
        _HELD_FDS.discard(fd)
        release()
    return let_go


def _try_acquire(engine: Engine, purpose: str = LOCK_NAME):
    dialect = engine.dialect.name
    if dialect == "postgresql":
        key = PG_KEYS[purpose]
        conn = engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if not got:
            conn.close()
            return None

        def release():
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
            except Exception:  # noqa: BLE001 - a session already gone let the lock go with it
                pass
            finally:
                conn.close()

        def still_held():
            held = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                     "AND pid = pg_backend_pid() AND objid = :k"), {"k": key}).scalar()
            conn.commit()
            return held
        return _Held(_holding(_socket_fd(conn), release), still_held)
    if dialect in ("mysql", "mariadb"):
        # GET_LOCK names are server-wide: the database's name keeps two stores on one server apart.
        name = f"safeschool_{purpose}_{engine.url.database or ''}"[:64]
        conn = engine.connect()
        got = conn.execute(text("SELECT GET_LOCK(:n, 0)"), {"n": name}).scalar()
        conn.commit()
        if got != 1:
            conn.close()
            return None

        def release():
            try:
                conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": name})
                conn.commit()
            except Exception:  # noqa: BLE001 - a session already gone let the lock go with it
                pass
            finally:
                conn.close()

        def still_held():
            held = conn.execute(text("SELECT IS_USED_LOCK(:n) = CONNECTION_ID()"), {"n": name}).scalar()
            conn.commit()
            return held
        return _Held(_holding(_socket_fd(conn), release), still_held)
    import fcntl

    path = _sqlite_lock_path(engine, purpose)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None

    def release():
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    return _Held(_holding(fd, release))


def _who_holds(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            row = conn.execute(select(locks).where(locks.c.name == LOCK_NAME)).first()
    except Exception:  # the locks row is only for the message
        return "another sync"
    if row is None or not row.holder:
        return "another sync"
    return f"{row.holder} (since {row.acquired_at:%Y-%m-%d %H:%M:%S})"


def _note_holder(engine: Engine, holder: str | None) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(delete(locks).where(locks.c.name == LOCK_NAME))
            if holder:
                conn.execute(insert(locks).values(name=LOCK_NAME, holder=holder, acquired_at=county_now()))
    except Exception:  # the locks row is only for the message
        pass


def _acquire_waiting(engine: Engine, purpose: str, wait: float, on_wait: Callable[[], None] | None = None):
    """The lock for `purpose`, tried every POLL_SECONDS for up to `wait` seconds; None if it stayed taken.
    on_wait: called once, when the first try finds it taken and there is time to wait."""
    deadline = time.monotonic() + max(wait, 0.0)
    held = _try_acquire(engine, purpose)
    if held is None and wait > 0 and on_wait is not None:
        on_wait()
    while held is None and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        held = _try_acquire(engine, purpose)
    return held


def _seconds(wait: float) -> str:
    """0.04, 0.95, 1, 3600: --wait 0.4 said "up to 0 s" (a diff review), and :g says 1e+06 (up to 86400 here)."""
    return f"{wait:.3g}" if wait < 1000 else f"{wait:.0f}"


@contextmanager
def sync_lock(engine: Engine, wait: float = 0.0, doing: str | None = None,
              waiting: Callable[[str], None] | None = None):
    """Hold the sync lock for the block (it gives the holder, whose verify() says it is still held);
    wait up to `wait` seconds for it, else raise SyncBusy.  doing: what holds it when not a sync
    ("publishing 2026"), for the message a sync that finds it taken prints.  waiting(message): told
    when it starts to wait (`sync --once --wait 60` said nothing for a minute; an operations audit)."""
    def say_it_waits() -> None:
        holder = _who_holds(engine)
        waiting(f"已有同步在進行（{holder}），最多等待 {_seconds(wait)} 秒 / a sync is already running ({holder}); "
                f"waiting up to {_seconds(wait)} s")

    held = _acquire_waiting(engine, LOCK_NAME, wait, say_it_waits if waiting is not None else None)
    if held is None:
        raise SyncBusy(f"已有同步在進行,本次未啟動 / a sync is already running ({_who_holds(engine)}); "
                       "this one did not start")
    _note_holder(engine, f"{_holder()}, {doing}" if doing else _holder())
    try:
        yield held
    finally:
        _note_holder(engine, None)
        held.release()


@contextmanager
def recompute_lock(engine: Engine, wait: float = RECOMPUTE_WAIT_SECONDS):
    """One recompute of the draft scores at a time, across processes and servers; the one that waited
    then reads the records as they stand after the other, so the last scores written are of the latest
    records.  Not re-entrant: a recompute never runs inside another."""
    held = _acquire_waiting(engine, RECOMPUTE, wait)
    if held is None:
        raise SyncBusy(f"分數正由另一處重算,{_seconds(wait)} 秒後仍未完成;記錄已保存,下次同步會重算 / the scores are being "
                       f"recomputed elsewhere and were still at it after {_seconds(wait)} s; the records are saved and the "
                       "next sync recomputes them")
    try:
        yield held
    finally:
        held.release()
