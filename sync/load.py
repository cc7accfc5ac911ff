"""Loading without loss: one run of the sync over the inbox and the mapped SQL sources.

Ownership.  Every source (one workbook file, or one mapped query) owns the
records it produced (`source_id` on every record row).  Source keys:
`file:<path relative to the inbox, forward slashes>` and
`sql:<source name>:<sheet key>`.

Replacement.  A source whose content is unchanged is skipped.  A changed one
is replaced within ONE transaction: its records and rejected rows are deleted
and the new ones inserted, the source row and the run's line for it written in
the same transaction, so a crash leaves each source wholly old or wholly new.
Consecutive sources share that transaction (_Writer: up to 20,000 records or
one second); when the store refuses one of them, the others are written again
without it.  A refused source keeps its previous records; its problems replace
its old ones in `rejected_rows`.

Checking.  Workbooks are checked in worker processes while this one stores
(sync.parallel), and the recompute after a run does the same with its
evaluations; an upload from the dashboard does both in-process.

What "unchanged" means.  `sources.content_hash` is 40 hex digits of the
file's SHA-256 followed by 24 of a digest of what its checks depended on:
for a school workbook whether its code is registered, for the bureau
workbook the rubric's indicator maxima and the codes registry queries list,
for a guards query its schools' campuses, and, for a source with refused rows,
today's date (a date refused as "in the future" may be fine tomorrow).  A
refused source is checked again on every run, so it is reported until it is
fixed, and is let in as soon as what refused it (the registry, a second file
of the same school) changes.

Order.  Registry queries first, then the bureau workbook (its inspections may
name a school only a query registers), then school workbooks, each checked
against the registry of every source, then the other queries, guards last
(checked against this run's campuses).  A lost lock (its database session cut)
stops the run before its next commit.

Two files of one school.  Both are refused, the message names both; their
previous records stay.  An upload from the dashboard is stored as
`uploads/<school code>.<ext>` under the inbox (replacing that school's
previous upload); when the same school already sends a workbook through the
shared folder, the upload is refused on the spot and names that file, so one
school is always one file (sync.upload).

A file that disappears from the inbox takes its records with it (status
"missing", the run says so); so does a query taken out of the configuration.
A query whose database cannot be reached keeps its records (action "failed").  An inbox that is not there, or holds no
workbook at all while the store has loaded ones, is taken as an unmounted
share: the run fails, is recorded, and no workbook's records are removed; the
mapped queries are read all the same (the shared database has nothing to do
with the share).
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import repeat
from operator import itemgetter
from pathlib import Path

import pandas as pd
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from sync import contract
from sync.cells import shortened
from sync.errors import first_line
from sync.formats import reader_panicked
from sync.frames import standing_campuses
from sync.lock import LockLost, SyncBusy, sync_lock
from sync.parallel import configured_workers, ordered_map
from sync.reader import WORKBOOK_SUFFIXES
from sync.report import (
    BUREAU_WORKBOOK,
    PAPERWORK_LEVEL,
    SCHOOL_WORKBOOK,
    FileReport,
    check_bytes,
    check_file,
    indicator_max,
    paperwork_lines,
    peek,
    registry_entry_digest,
    registry_in_store,
)
from sync.settings import county_now, county_today
from sync.store import records, rejected_rows, sources, sync_run_sources, sync_runs
from sync.validate import Problem, registered_code

log = logging.getLogger("safeschool.sync")

UPLOADS = "uploads"
PAUSE_ENV = "SAFESCHOOL_SYNC_TEST_PAUSE"  # seconds to sleep after each loaded source (the fault test)
CSV_SUFFIX = ".csv"
# Spreadsheets in the inbox the sync does not read, each refused with what to do (never passed over
# unseen: the school would show as "not submitted" with no word why).
UNREAD_SUFFIXES = {
    CSV_SUFFIX: ("CSV 文件只能放一張表，無法代替學校工作簿；請用 Excel 或 WPS 另存為 .xlsx",
                 "a CSV file holds one sheet and cannot stand for a school workbook; save the workbook as .xlsx"),
    ".xlsb": ("Excel 二進制工作簿（.xlsb）無法讀取；請用 Excel 或 WPS 另存為 .xlsx 再提交",
              "an Excel binary workbook (.xlsb) cannot be read; save it as .xlsx in Excel or WPS and send it again"),
    ".numbers": ("Numbers 表格無法讀取；請在 Numbers 中導出為 Excel（.xlsx）再提交",
                 "a Numbers spreadsheet cannot be read; export it to Excel (.xlsx) in Numbers and send that"),
}
# A school's workbook zipped to send it: refused saying so, rather than passed over unseen (the school
# would show as "not submitted" with no word why).
_ARCHIVE = ("這是壓縮文件，系統不會解壓；請解壓後把其中的工作簿（.xlsx）放入收件夾，並刪除壓縮文件",
            "a compressed archive, which the sync does not unpack; unpack it, put the workbook (.xlsx) itself in the "
            "inbox and remove the archive")
UNREAD_SUFFIXES.update({suffix: _ARCHIVE for suffix in (".zip", ".rar", ".7z")})
# What a workbook's first bytes are: a zip package (.xlsx, .ods) or an OLE compound file (.xls).
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


@dataclass
class SourceOutcome:
    """What one run did with one source."""

    source_key: str
    kind: str | None
    display_name: str
    school_code: str | None = None
    action: str = "skipped"  # loaded, skipped, refused, removed, failed
    rows_read: int = 0
    rows_added: int = 0
    rows_removed: int = 0
    rows_rejected: int = 0
    message: str = ""
    problems: list[Problem] = field(default_factory=list)


@dataclass
class RunSummary:
    run_id: int | None
    trigger: str
    status: str  # ok, refused, failed, busy
    started_at: datetime
    finished_at: datetime | None = None
    message: str = ""
    sources: list[SourceOutcome] = field(default_factory=list)
    recomputed: bool = False  # the drafts were recomputed after it (stored with the run: _scores_owed)

    @property
    def refused(self) -> bool:
        return any(o.action in ("refused", "failed") for o in self.sources)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.sources:
            out[o.action] = out.get(o.action, 0) + 1
        return out


# ---------------------------------------------------------------- hashing

def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def content_hash(body_sha: str, context: str) -> str:
    return body_sha[:40] + _sha(context)[:24]


def _with_today(context: str, has_rejected_rows: bool, today: date) -> str:
    return context + (f"|today={today.isoformat()}" if has_rejected_rows else "")


def _maxima_digest(maxima: dict[str, float]) -> str:
    return ",".join(f"{k}={v:g}" for k, v in sorted(maxima.items()))


# ---------------------------------------------------------------- the inbox

def list_inbox(inbox: Path, unreadable: list[Path] | None = None,
               folders: set[str] | None = None) -> list[tuple[str, Path]]:
    """(source key, path) of every workbook (and .csv) under the inbox, subfolders included.

    unreadable: collects the folders that could not be listed (permissions): what they hold is not
    known this run, so it is not taken as gone.  folders: collects every folder there is, as the keys
    name them ("schools/石橋鎮"; "" the inbox itself)."""
    def closed(err: OSError) -> None:
        if unreadable is not None and err.filename and Path(err.filename) != Path(inbox):
            unreadable.append(Path(err.filename))

    paths = []
    for folder, _dirs, files in os.walk(inbox, onerror=closed):  # rglob passes over a closed folder unseen
        paths.extend(Path(folder) / name for name in files)
        if folders is not None:
            relative = Path(folder).relative_to(inbox).as_posix()
            folders.add("" if relative == "." else _readable(relative))
    found = []
    for path in sorted(paths):
        rel = path.relative_to(inbox)
        # Hidden files, office lock files (~$x.xlsx, .~lock.x.ods#) and the __MACOSX folder a Mac
        # zip leaves behind are not workbooks anybody sent.
        if any(part.startswith((".", "~$")) or part == "__MACOSX" for part in rel.parts) or not path.is_file():
            continue
        if read_by_the_sync(path):
            found.append((f"file:{_readable(rel.as_posix())}", path))
    return found


def read_by_the_sync(path: Path) -> bool:
    """Whether the sync takes `path` in the inbox: a workbook's suffix, one it refuses saying why (.csv,
    .zip), or none on a file that starts as a workbook does."""
    # 學校．xlsx: a full-width dot, as a Chinese input method types it, still names a workbook.
    suffix = file_suffix(path)
    return suffix in WORKBOOK_SUFFIXES + tuple(UNREAD_SUFFIXES) or (not suffix and _starts_like_a_workbook(path))


def _starts_like_a_workbook(path: Path) -> bool:
    """A file with no extension (a chat app's download: 「城關小學安全台賬」) that is a workbook by its
    first bytes: read by its content, as every workbook is."""
    try:
        with open(path, "rb") as f:
            return f.read(8).startswith(WORKBOOK_MAGIC)
    except OSError:
        return False


def _readable(name: str) -> str:
    """A file name as the store and the reports can hold it: a name in another encoding than the
    share's (GBK bytes on a UTF-8 mount) keeps its undecodable bytes as \\xNN rather than failing the
    run; the same bytes give the same key every run."""
    if name.isprintable() and not any("\udc80" <= c <= "\udcff" for c in name):
        return name
    raw = os.fsencode(name)
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def display_key(key: str) -> str:
    """A source as reports name it: a file's path under the inbox, a query's name and sheet key."""
    return key.split(":", 1)[1]


# ---------------------------------------------------------------- writing one source

_RECORD_COLUMNS = {
    key: [c.name for c in table.columns if c.name != "record_id"] for key, table in records.items()
}


_INSERT_SOURCE = insert(sources)
_INSERT_RUN_LINE = insert(sync_run_sources)
_DELETE_REJECTED = delete(rejected_rows).where(rejected_rows.c.source_id == bindparam("of_source"))
_UPDATE_SOURCE = update(sources).where(sources.c.source_id == bindparam("of_source"))


def _ensure_source(conn, key: str, kind: str | None, now: datetime, existing: dict) -> int:
    row = existing.get(key)
    if row is not None:
        return row["source_id"]
    # Parameters rather than .values(): one compiled statement serves every source of the run.
    result = conn.execute(_INSERT_SOURCE, {
        "source_key": key, "kind": kind or "unknown", "display_name": display_key(key), "status": "new",
        "first_seen_at": now, "last_seen_at": now, "rows": 0,
    })
    return result.inserted_primary_key[0]


def _delete_records(conn, source_id: int, had_rows: bool) -> int:
    if not had_rows:
        return 0
    removed = 0
    for table in records.values():
        removed += conn.execute(delete(table).where(table.c.source_id == source_id)).rowcount or 0
    return removed


def _insert_statement(conn, sheet_key: str) -> tuple[str, tuple[str, ...] | None]:
    """The driver-level INSERT of one record table for this dialect, and the parameter order if positional."""
    cache = conn.info.setdefault("safeschool_inserts", {})
    if sheet_key not in cache:
        compiled = records[sheet_key].insert().compile(dialect=conn.dialect, column_keys=_RECORD_COLUMNS[sheet_key])
        cache[sheet_key] = (str(compiled), tuple(compiled.positiontup) if compiled.positional else None)
    return cache[sheet_key]


def _bulk_insert(conn, sheet_key: str, columns: dict[str, list], count: int, source_id: int) -> None:
    """One executemany straight to the driver: a county's 270,000 records in seconds, not minutes.

    `columns` are the records column by column (pack_records): zip turns them into the driver's rows
    in C."""
    sql, order = _insert_statement(conn, sheet_key)
    if order is None:  # a driver that takes named parameters (psycopg)
        names = [c for c in _RECORD_COLUMNS[sheet_key] if c != "source_id"]
        rows = [dict(zip(names, values, strict=True)) for values in zip(*(columns[c] for c in names), strict=True)]
        for row in rows:
            row["source_id"] = source_id
        conn.exec_driver_sql(sql, rows)
        return
    picked = [repeat(source_id, count) if c == "source_id" else columns[c] for c in order]
    _executemany(conn, sql, list(zip(*picked, strict=False)) if count else [])


def pack_records(sheet_key: str, rows: list[dict], iso_dates: bool) -> dict[str, list]:
    """A sheet's accepted records column by column, as the store takes them: the sync's workers send
    them so (a list a column pickles in a fraction of the time of a dict a record, and the writer has
    nothing left to do but zip).  The values are already the contract's Python types; SQLite's dates
    are ISO text (iso_dates), the form SQLAlchemy itself stores them in.  Built with itemgetter, map
    and zip, which run in C, rather than value by value."""
    wanted = [c for c in _RECORD_COLUMNS[sheet_key] if c != "source_id"]
    if not rows:
        return {c: [] for c in wanted}
    try:
        picked = map(itemgetter(*wanted), rows) if len(wanted) > 1 else ((r[wanted[0]],) for r in rows)
        columns = dict(zip(wanted, map(list, zip(*picked, strict=True)), strict=True))
    except KeyError:  # a record without every column (not one validate_rows makes): None for the rest
        columns = {c: [r.get(c) for r in rows] for c in wanted}
    if iso_dates:
        for c in _DATE_COLUMNS[sheet_key]:
            columns[c] = [None if v is None else v.isoformat() for v in columns[c]]
    return columns


def _executemany(conn, sql: str, params: list[tuple]) -> None:
    """The driver's own executemany on the connection's cursor: SQLAlchemy's bookkeeping around each
    call (a county makes 13,000 of them) cost a fifth of storing.  Driver errors are raised as
    SQLAlchemy's, as exec_driver_sql would, so the writer tells a refused value from a lost store."""
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, params)
    except dbapi.Error as err:
        raise DBAPIError.instance(sql, None, err, dbapi.Error, dialect=conn.dialect, ismulti=True) from err
    finally:
        cursor.close()


_DATE_COLUMNS = {
    key: {c.key for c in contract.SHEETS[key].columns if c.kind == contract.DATE} for key in contract.SHEETS
}


def _rejected_values(report: FileReport, source_id: int, run_id: int) -> list[dict]:
    rows = []
    raw_of = {(r["sheet"], r["row_no"]): r["raw"] for r in report.rejected}
    # A refused row's school, found once for all its problems: a query's rows are of many schools, and
    # reading every refused row again for each problem held the lock 9 minutes for 100,000 (an audit).
    school_of = {} if report.school_code else {
        (r["sheet"], r["row_no"]): r.get("school_code") for r in reversed(report.rejected)}
    for p in report.problems:
        raw = raw_of.get((p.sheet, p.row)) if p.level == "row" else None
        school = report.school_code or (school_of.get((p.sheet, p.row)) if p.level == "row" else None)
        rows.append({
            "source_id": source_id, "run_id": run_id,
            "school_code": storable_text(school, 32),
            "level": p.level, "sheet": storable_text(p.sheet, 50), "row_no": p.row, "column": storable_text(p.column, 100),
            "value": storable_text(p.value), "reason_zh": storable_text(p.reason_zh), "reason_en": storable_text(p.reason_en),
            "raw": {storable_text(k, 200): storable_text(v) for k, v in raw.items()} if raw else raw,
        })
    # The lines passed over as paperwork, for the school page to list as the upload does (level "paperwork":
    # no problem, counted nowhere as one).
    rows.extend({"source_id": source_id, "run_id": run_id, "school_code": storable_text(report.school_code, 32),
                 "level": PAPERWORK_LEVEL, "sheet": storable_text(line["sheet"], 50), "row_no": line["row"], "column": None,
                 "value": storable_text(line["text"]), "reason_zh": line["kind_zh"], "reason_en": line["kind_en"],
                 "raw": None} for line in ([] if report.refused else paperwork_lines(report)))
    return rows


_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def storable_text(text: str | None, length: int | None = None) -> str | None:
    """What a problem says about a cell, as the store can hold it: control characters shown as "?",
    cut to the column's length (a header or value the person wrote may be longer than any column)."""
    if text is None:
        return None
    text = _UNSTORABLE.sub("?", str(text))
    return text if length is None else shortened(text, length)


def _packed(conn, report: FileReport) -> dict[str, dict[str, list]]:
    """The report's records column by column: as a worker packed them, or packed here."""
    if report.packed is not None:
        return report.packed
    iso = conn.dialect.name == "sqlite"
    return {key: pack_records(key, rows, iso) for key, rows in report.rows.items()}


def _store(conn, run_id: int, key: str, kind: str, report: FileReport, body_sha: str, context: str,
           today: date, existing: dict) -> SourceOutcome:
    """Write one source's outcome (records replaced, or refused and kept) inside the caller's transaction."""
    now = county_now()
    digest = content_hash(body_sha, _with_today(context, bool(report.rejected), today))
    outcome = SourceOutcome(key, kind, display_key(key), report.school_code, rows_read=report.rows_read,
                            problems=report.problems)
    prev = existing.get(key)
    source_id = _ensure_source(conn, key, kind, now, existing)
    conn.execute(_DELETE_REJECTED, {"of_source": source_id})
    problems = _rejected_values(report, source_id, run_id)
    if problems:
        conn.execute(insert(rejected_rows), problems)
    values = {"kind": kind or "unknown", "content_hash": digest, "last_seen_at": now}
    if report.refused:
        outcome.action = "refused"
        outcome.message = _refusal_summary(report.file_problems, "en")
        values.update(status="refused", message=_refusal_summary(report.file_problems, "zh"))
        if report.school_code:
            values["school_code"] = report.school_code
    else:
        outcome.action = "loaded"
        outcome.rows_removed = _delete_records(conn, source_id, prev is not None)
        added = 0
        for sheet_key, columns in _packed(conn, report).items():
            count = len(next(iter(columns.values()), ()))
            if count:
                _bulk_insert(conn, sheet_key, columns, count, source_id)
                added += count
        outcome.rows_added = added
        outcome.rows_rejected = len(report.rejected)
        values.update(status="loaded", message=None, rows=added, loaded_at=now, school_code=report.school_code)
    outcome.rows_rejected = len(report.rejected)
    # Parameters rather than .values(...): one compiled statement serves every source alike.
    conn.execute(_UPDATE_SOURCE, {"of_source": source_id, **values})
    conn.execute(_INSERT_RUN_LINE, _run_line(run_id, outcome))
    return outcome


def _refusal_summary(problems: list[Problem], lang: str, limit: int = 2000) -> str:
    """Why a file was refused, for the run history: each reason once, with where it was found (a
    phone number in thirteen cells was one sentence thirteen times, and said nowhere where)."""
    zh = lang == "zh"
    places: dict[str, list[str]] = {}
    for p in problems:
        row = (f"第{p.row}行" if zh else f"row {p.row}") if p.row else None
        where = " ".join(str(part) for part in (p.sheet, row, p.column) if part)
        listed = places.setdefault(p.reason_zh if zh else p.reason_en, [])
        if where and where not in listed:
            listed.append(where)
    parts = []
    for reason, where in places.items():
        if not where:
            parts.append(reason)
            continue
        more = "" if len(where) <= 5 else (f"等{len(where)}處" if zh else f" and {len(where) - 5} more")
        parts.append(f"{reason}（{'、'.join(where[:5])}{more}）" if zh else f"{reason} ({', '.join(where[:5])}{more})")
    return ("；" if zh else "; ").join(parts)[:limit]


def _run_line(run_id: int, o: SourceOutcome) -> dict:
    return {
        "run_id": run_id, "source_key": o.source_key, "action": o.action, "rows_read": o.rows_read,
        "rows_added": o.rows_added, "rows_removed": o.rows_removed, "rows_rejected": o.rows_rejected,
        "message": o.message or None,
    }


def _remove_missing(conn, run_id: int, key: str, row: dict) -> SourceOutcome:
    what = "the file is no longer in the inbox" if key.startswith("file:") else "the query is no longer configured"
    outcome = SourceOutcome(key, row["kind"], display_key(key), row["school_code"], action="removed",
                            message=f"{what}; its records were removed")
    outcome.rows_removed = _delete_records(conn, row["source_id"], True)
    conn.execute(delete(rejected_rows).where(rejected_rows.c.source_id == row["source_id"]))
    conn.execute(update(sources).where(sources.c.source_id == row["source_id"]).values(
        status="missing", content_hash=None, rows=0,
        message="文件已不在收件夾中，其記錄已刪除" if key.startswith("file:") else "該查詢已不在配置中，其記錄已刪除",
    ))
    conn.execute(_INSERT_RUN_LINE, _run_line(run_id, outcome))
    return outcome


def _fail_source(conn, run_id: int, key: str, kind: str, message: str, existing: dict) -> SourceOutcome:
    outcome = SourceOutcome(key, kind, display_key(key), action="failed", message=message)
    source_id = _ensure_source(conn, key, kind, county_now(), existing)
    conn.execute(update(sources).where(sources.c.source_id == source_id).values(message=message[:2000]))
    conn.execute(_INSERT_RUN_LINE, _run_line(run_id, outcome))
    return outcome


# ---------------------------------------------------------------- one run

@dataclass
class _File:
    key: str
    path: Path
    body_sha: str
    kind: str | None = None
    school_code: str | None = None


class _Writer:
    """The run's one writing connection.  Consecutive sources share a transaction, committed when it
    holds STORE_BATCH_ROWS records or is STORE_BATCH_SECONDS old: a commit per source was a third of
    storing a county.  A kill or a lost store still leaves each source wholly old or wholly new.

    When one source's writes fail (a value the store refuses), the transaction is rolled back and
    every source in it is written again alone, so only that source fails."""

    def __init__(self, engine: Engine, verify_lock: Callable[[], None] = lambda: None):
        self.engine = engine
        self.verify_lock = verify_lock  # raises LockLost: nothing more is committed
        self.conn = None
        self.pending: list[tuple[str, Callable, Callable | None, SourceOutcome | None]] = []
        self.rows = 0
        self.opened = 0.0

    def write(self, key: str, fn: Callable, failed: Callable | None = None, rows: int = 0):
        """fn(conn) inside the current batch; on its failure failed(conn, err) in a transaction of its own
        (without `failed` the error is raised once the batch's other sources are safely written)."""
        if self.conn is None:
            self.conn = self.engine.connect()
            self.conn.begin()
            self.opened = time.monotonic()
        try:
            result = fn(self.conn)
        except (OperationalError, InterfaceError):
            self.rollback()
            raise  # the store itself is gone: the run fails (run_sync says so), nothing half-written
        except Exception as err:  # noqa: BLE001 - one source's values the store refused, or a bug
            log.warning("storing %s failed (%s); writing its batch again source by source", key, first_line(err))
            self.rollback()
            for item in self.pending:
                redone = self._alone(*item[:3])
                if item[3] is not None and redone is not None:
                    item[3].__dict__.update(redone.__dict__)
            self.pending, self.rows = [], 0
            return self._alone(key, fn, failed)
        self.pending.append((key, fn, failed, result if isinstance(result, SourceOutcome) else None))
        self.rows += rows
        if self.rows >= STORE_BATCH_ROWS or time.monotonic() - self.opened >= STORE_BATCH_SECONDS:
            self.commit()
        return result

    def _alone(self, key: str, fn: Callable, failed: Callable | None):
        self.verify_lock()
        try:
            with self.engine.begin() as conn:
                return fn(conn)
        except (OperationalError, InterfaceError):
            raise
        except Exception as err:  # noqa: BLE001 - see write
            if failed is None:
                raise
            log.warning("storing %s failed: %s", key, first_line(err))
            with self.engine.begin() as conn:
                return failed(conn, err)

    def commit(self) -> None:
        if self.conn is not None:
            try:
                self.verify_lock()
                self.conn.commit()
            finally:
                self.conn.close()
                self.conn = None
        self.pending, self.rows = [], 0

    def rollback(self) -> None:
        """Drop the batch not yet committed (its sources stay wholly old)."""
        if self.conn is not None:
            try:
                self.conn.rollback()
                self.conn.close()
            except SQLAlchemyError:
                log.warning("rolling back a failed batch failed too", exc_info=True)
            self.conn = None


def _folder_gone(folder: str) -> str:
    return (f"文件夾 {folder} 已不在收件夾中（共享文件夾是否已掛載?是否被移動?），其中工作簿的記錄保留；如確要撤下"
            f"其中學校的工作簿，請刪除文件而保留文件夾 / the folder {folder} is no longer in the inbox (is the share "
            "mounted? was it moved?); the records of its workbooks are kept: to withdraw them, delete the files and "
            "keep the folder")


_BUREAU_GONE = ("收件夾中沒有教育局工作簿（是否正在保存或移動?），原有的學校名冊和督查記錄保留；請放回工作簿，"
                "或換上新的教育局工作簿 / the inbox holds no bureau workbook (is it being saved or moved?); its "
                "registry and inspection findings are kept: put the workbook back, or a new bureau workbook "
                "in its place")


_NO_REGISTRY = ("教育局的學校名冊尚未導入（收件夾中沒有教育局工作簿，或它被拒收），學校工作簿暫不導入，名冊導入後自動處理 / "
                "the bureau's school registry is not loaded (no bureau workbook in the inbox, or it was refused): the "
                "school workbooks wait for it and are loaded by the first sync after it")


# A run without any configuration file (a shell where SAFESCHOOL_CONFIG was not set) maps no query:
# that is no reason to take the shared database's records out of the evaluation.
_NO_CONFIG = ("未設置 SAFESCHOOL_CONFIG，本次沒有運行數據庫查詢，其記錄保留；請按調度程序的設置指定配置文件後再同步 / "
              "SAFESCHOOL_CONFIG is not set, so the mapped queries were not run and their records are kept; set it "
              "as the scheduler has it and sync again (to take a query out, remove it from that configuration)")

STORE_BATCH_ROWS = 20_000
STORE_BATCH_SECONDS = 1.0


class _Run:
    def __init__(self, engine, run_id, inbox, sql_sources, progress, today, workers=1, without_config=False,
                 verify_lock: Callable[[], None] = lambda: None):
        self.engine, self.run_id, self.inbox = engine, run_id, Path(inbox)
        self.without_config = without_config
        self.workers = workers
        self.sql_sources = sql_sources
        self.progress = progress or (lambda done, total, key: None)
        self.today = today or county_today()
        self.maxima = indicator_max()
        self.outcomes: list[SourceOutcome] = []
        self.pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
        self.skipped: list[SourceOutcome] = []
        self.unreachable: dict[str, Exception] = {}  # SQL source name -> why it could not be reached
        self.inbox_problem = ""  # the inbox could not be read (an unmounted share): the run fails
        self.registry_missing = ""  # no school registered anywhere: the school workbooks wait for it
        self.writer = _Writer(engine, verify_lock)
        self.done = 0
        self.total = 0

    # -- bookkeeping
    def _existing(self) -> dict[str, dict]:
        with self.engine.connect() as conn:
            rows = {r["source_key"]: dict(r) for r in conn.execute(select(sources)).mappings()}
            counts = conn.execute(
                select(rejected_rows.c.source_id, func.count()).where(rejected_rows.c.level == "row")
                .group_by(rejected_rows.c.source_id)
            ).all()
        with_rejected = {sid for sid, _n in counts}
        for row in rows.values():
            row["had_rejected"] = row["source_id"] in with_rejected
        return rows

    def _tick(self, key: str) -> None:
        self.done += 1
        self.progress(self.done, self.total, key)

    def _after_load(self) -> None:
        if self.pause:
            time.sleep(self.pause)

    def _skip(self, f_key, kind, code):
        self.skipped.append(SourceOutcome(f_key, kind, display_key(f_key), code, action="skipped"))
        self._tick(f_key)

    def _unchanged(self, row: dict | None, digest: str) -> bool:
        return bool(row) and row["status"] == "loaded" and row["content_hash"] == digest

    def _expected(self, row: dict | None, body_sha: str, context: str) -> str:
        return content_hash(body_sha, _with_today(context, bool(row and row.get("had_rejected")), self.today))

    def _store(self, key, kind, report, body_sha, context, existing) -> None:
        def write(conn):
            return _store(conn, self.run_id, key, kind, report, body_sha, context, self.today, existing)

        def failed(conn, err):
            # Its writes rolled back: the source keeps its previous records; the others go on.
            reason = f"{type(err).__name__}: {first_line(err)[:200]}"
            message = (f"此來源寫入數據庫失敗（{reason}），原有記錄保留；請告知教育局 / "
                       f"storing this source failed ({reason}); its previous records are kept; tell the bureau")
            outcome = _fail_source(conn, self.run_id, key, kind, message, existing)
            outcome.problems = report.problems
            return outcome

        self.outcomes.append(self.writer.write(key, write, failed, rows=_record_count(report)))
        self._tick(key)
        self._after_load()

    # -- the run
    def run(self) -> list[SourceOutcome]:
        try:
            return self._run()
        finally:
            self.writer.rollback()  # after an error: the batch not yet committed stays wholly old

    def _run(self) -> list[SourceOutcome]:
        existing = self._existing()
        files, unreadable, closed, folders = [], [], [], set()
        if self.inbox.exists() and not self.inbox.is_dir():
            # it said "not there (is the share mounted?)" of a file (a configuration audit)
            self.inbox_problem = (f"收件夾 {self.inbox} 是一個文件，不是文件夾：請把 SAFESCHOOL_INBOX 設為存放工作簿的文件夾，"
                                  f"其工作簿的記錄保留 / the inbox {self.inbox} is a file, not a folder: set "
                                  "SAFESCHOOL_INBOX to the folder the workbooks are in; its workbooks' records are kept")
        elif not self.inbox.is_dir():
            self.inbox_problem = (f"收件夾 {self.inbox} 不存在（共享文件夾是否已掛載?），其工作簿的記錄保留 / the "
                                  f"inbox {self.inbox} is not there (is the share mounted?); its workbooks' records "
                                  "are kept")
        for key, path in list_inbox(self.inbox, closed, folders) if not self.inbox_problem else ():
            try:
                files.append(_File(key, path, _sha(path.read_bytes())))
            except OSError as err:  # permissions, a file being replaced: keep its records, try next time
                unreadable.append((key, f"the file could not be opened ({err.strerror or err}); "
                                        "its records are kept and it is tried again next run"))
        for folder in closed:  # its workbooks' records are kept, and each is reported, until it opens again
            inside = f"file:{_readable(folder.relative_to(self.inbox).as_posix())}/"
            unreadable += [(key, f"the folder {display_key(inside).rstrip('/')} could not be opened (permission "
                                 "denied); its records are kept and it is tried again next run")
                           for key in existing if key.startswith(inside)]
        loaded_files = [k for k, r in existing.items() if k.startswith("file:") and r["status"] in ("loaded", "refused")]
        if not files and not unreadable and loaded_files and not self.inbox_problem:
            self.inbox_problem = (
                f"收件夾 {self.inbox} 中沒有工作簿，但之前導入過 {len(loaded_files)} 個（共享文件夾是否已掛載?），"
                f"未刪除任何記錄 / the inbox {self.inbox} holds no workbook, but {len(loaded_files)} were loaded "
                "before (is the share mounted?); nothing was removed"
            )
        # An unmounted share stops the workbooks only: the shared database is read as on any run.
        self.total = len(files) + sum(len(s.queries) for s in self.sql_sources)
        to_peek = []
        for f in files:
            row = existing.get(f.key)
            if row and row["content_hash"] and row["content_hash"][:40] == f.body_sha[:40] and row["kind"] in (
                    SCHOOL_WORKBOOK, BUREAU_WORKBOOK):
                f.kind, f.school_code = row["kind"], row["school_code"]
            elif file_suffix(f.path) not in UNREAD_SUFFIXES:
                to_peek.append(f)
        # In capped workers, as the checks: a file built to take gigabytes as calamine opens it costs its
        # own peek, not the run (found by an audit: a 4 KB .ods ended every sync of the county).
        peeked = ordered_map(_peek_one, [str(f.path) for f in to_peek], self.workers, on_crash=_unpeeked)
        for f, (kind, code) in zip(to_peek, peeked, strict=True):
            f.kind, f.school_code = kind, code
        bureau = [f for f in files if f.kind == BUREAU_WORKBOOK]
        self._load_sql(existing, {"registry"}.__contains__)
        self.writer.commit()  # the queries' registry is read back from the store for the bureau's inspections
        self._load_bureau(bureau, existing, set(registry_in_store(self.engine, kinds=("sql",)) or ()))
        self.writer.commit()  # the whole registry is read back from the store
        registry = registry_in_store(self.engine) or {}
        schools = [f for f in files if f.kind != BUREAU_WORKBOOK]
        if schools and not registry:
            self.registry_missing = _NO_REGISTRY
        self._load_schools(schools, existing, registry)
        self._load_sql(existing, lambda sheet: sheet not in ("registry", "guards"), registry=registry)
        if any("guards" in src.queries for src in self.sql_sources):
            # A query's guards are checked against their school's campuses, as a sheet's are against its
            # 校區 sheet: this run's, from the workbooks and the queries just loaded.
            self.writer.commit()
            self._load_sql(existing, {"guards"}.__contains__, registry=registry,
                           campuses=standing_campuses(self.engine))
        for key, message in unreadable:
            self.outcomes.append(self.writer.write(key, lambda conn, key=key, message=message: _fail_source(
                conn, self.run_id, key, SCHOOL_WORKBOOK, message, existing)))
        from sync.sql_sources import source_key

        present = {f.key for f in files} | {key for key, _m in unreadable}
        present |= {source_key(src.name, sheet) for src in self.sql_sources for sheet in src.queries}
        gone_kinds = ("sql:",) if self.inbox_problem else ("file:", "sql:")
        sent_elsewhere = {f.school_code for f in files if f.school_code}
        for key, row in existing.items():
            if key.startswith(gone_kinds) and key not in present and row["status"] != "missing":
                if key.startswith("sql:") and self.without_config:
                    self.outcomes.append(self.writer.write(key, lambda conn, key=key: _fail_source(
                        conn, self.run_id, key, "sql", _NO_CONFIG, existing)))
                    continue
                folder = posixpath.dirname(display_key(key)) if key.startswith("file:") else ""
                moved = bool(bureau) if row["kind"] == BUREAU_WORKBOOK else row["school_code"] in sent_elsewhere
                if folder and folder not in folders and not moved:
                    # Its whole folder gone (a township's share unmounted, a folder moved): not taken for
                    # every school in it withdrawn (found by an audit: 150 schools set to 0 for a run, and
                    # a refused workbook's kept records lost for good).  A school whose workbook is in the
                    # inbox under another path (the folder renamed) has moved, as has the bureau's when one
                    # is read this run: the old records go, or they would count twice beside the new ones
                    # (found by a second audit).
                    self.outcomes.append(self.writer.write(key, lambda conn, key=key, row=row, folder=folder: _fail_source(
                        conn, self.run_id, key, row["kind"] or SCHOOL_WORKBOOK, _folder_gone(folder), existing)))
                    continue
                if row["kind"] == BUREAU_WORKBOOK and not bureau:
                    # No bureau workbook at all this run (being saved or moved, deleted by mistake): its
                    # registry and findings are what every school is checked and scored against.
                    self.outcomes.append(self.writer.write(key, lambda conn, key=key: _fail_source(
                        conn, self.run_id, key, BUREAU_WORKBOOK, _BUREAU_GONE, existing)))
                    continue
                self.outcomes.append(self.writer.write(key, lambda conn, key=key, row=row: _remove_missing(
                    conn, self.run_id, key, row)))
        if self.skipped:
            lines = [_run_line(self.run_id, o) for o in self.skipped]
            self.writer.write("skipped", lambda conn: conn.execute(insert(sync_run_sources), lines))
        self.writer.commit()
        return self.outcomes + self.skipped

    def _load_bureau(self, bureau: list[_File], existing, listed_by_queries: set[str]) -> None:
        """listed_by_queries: the codes mapped registry queries register, which the inspections of the
        bureau workbook may name too (a change to them checks the workbook again)."""
        names = ", ".join(display_key(f.key) for f in bureau)
        for f in bureau:
            row = existing.get(f.key)
            context = "bureau|" + _maxima_digest(self.maxima)
            if listed_by_queries:
                context += "|" + _sha(",".join(sorted(listed_by_queries)))
            if len(bureau) > 1:
                report = FileReport(display_key(f.key), kind=BUREAU_WORKBOOK)
                report.add_file_problem(
                    f"收件夾中有{len(bureau)}個教育局工作簿（{names}），只能有一個，請刪除多餘的",
                    f"the inbox holds {len(bureau)} bureau workbooks ({names}); keep exactly one",
                )
            elif self._unchanged(row, self._expected(row, f.body_sha, context)):
                self._skip(f.key, f.kind, None)
                continue
            else:
                report = isolated_check(f.path, display_key(f.key), listed_by_queries or None, self.today, self.maxima)
            self._store(f.key, BUREAU_WORKBOOK, report, f.body_sha, context, existing)

    def _load_sql(self, existing, wanted: Callable[[str], bool], registry: set[str] | None = None,
                  campuses: dict[str, set[str]] | None = None) -> None:
        """The mapped queries of the sheets `wanted` says; campuses: each school's, for the guards."""
        from sync.sql_sources import (
            SourceUnavailable,
            SourceUnreachable,
            check_rows,
            fetch,
            rows_digest,
            source_key,
        )

        # What a guards query's check depends on besides its rows: worked out once for all its sources.
        campus_digest = "" if campuses is None else "|" + _sha(
            repr(sorted((code, sorted(names)) for code, names in campuses.items())))
        for src in self.sql_sources:
            for sheet_key, query in src.queries.items():
                if not wanted(sheet_key):
                    continue
                key = source_key(src.name, sheet_key)
                try:
                    # A database that could not be reached this run is not tried again for each of its
                    # queries: fourteen sheets behind a silent host held the lock three minutes.
                    if src.name in self.unreachable:
                        raise self.unreachable[src.name]
                    columns, rows = fetch(src.url, query)
                except SourceUnavailable as err:
                    if isinstance(err, SourceUnreachable):
                        self.unreachable[src.name] = err
                    msg = (f"數據源 {src.name}（{sheet_key}）無法讀取：{err.zh}；其記錄保留，下次同步再試 / "
                           f"source {src.name} ({sheet_key}) could not be read: {err}; its records are kept and it "
                           "is tried again next run")
                    self._query_failed(key, msg, existing)
                    continue
                row = existing.get(key)
                reg = "" if registry is None else _sha(",".join(sorted(registry)))
                context, body = f"sql|{reg}|{_maxima_digest(self.maxima)}", rows_digest(columns, rows)
                context += campus_digest
                if self._unchanged(row, self._expected(row, body, context)):
                    self._skip(key, "sql", None)
                    continue
                try:
                    report = check_rows(src.name, sheet_key, columns, rows, registry, self.today, self.maxima,
                                        campuses)
                except Exception as err:  # a bug or a value no check foresaw: this query's, not the county's run
                    log.exception("checking the rows of %s failed", key)
                    self._query_failed(key, (
                        f"數據源 {src.name}（{sheet_key}）的記錄檢查出錯（{type(err).__name__}）；其記錄保留，請聯繫"
                        f"系統管理員 / checking the rows of source {src.name} ({sheet_key}) failed "
                        f"({type(err).__name__}: {str(err)[:200]}); its records are kept; tell the system's "
                        "administrator"), existing)
                    continue
                if not report.refused and report.rows_read == 0 and row and row["status"] == "loaded" and (row["rows"] or 0) > 0:
                    # An answer with no record where there were records (a table being reloaded, a filter gone
                    # wrong; no rows, or blank ones only: an outer join of the emptied table) is not taken for
                    # "every record gone", as an empty inbox is not.
                    msg = (f"數據源 {src.name}（{sheet_key}）本次沒有返回任何記錄，而上次導入了 {row['rows']} 條；"
                           "原有記錄保留，下次同步再試；如數據確已清空，請從配置中刪除此查詢 / "
                           f"source {src.name} ({sheet_key}) returned no records, where {row['rows']} were "
                           "loaded before; they are kept and it is tried again next run; if the data is really "
                           "gone, take the query out of the configuration")
                    self._query_failed(key, msg, existing)
                    continue
                self._store(key, "sql", report, body, context, existing)

    def _query_failed(self, key: str, msg: str, existing) -> None:
        """A mapped query not loaded this run: its records kept, the reason logged and recorded."""
        log.warning(msg)
        self.outcomes.append(self.writer.write(key, lambda conn: _fail_source(
            conn, self.run_id, key, "sql", msg, existing)))
        self._tick(key)

    def _load_schools(self, files: list[_File], existing, registry: set[str]) -> None:
        """Check and store every school workbook, in inbox order, each in its own transaction."""
        by_code: dict[str, list[_File]] = {}
        for f in files:
            f.school_code = registered_code(f.school_code, registry)  # 123 is the registry's 0123
            if f.school_code:
                by_code.setdefault(f.school_code, []).append(f)
        plan = []  # (file, context, report or None when it must be read)
        for f in files:
            row = existing.get(f.key)
            same = by_code.get(f.school_code, []) if f.school_code else []
            # A registry edit of this school (its code, its type) checks its workbook again.
            context = f"school|{f.school_code}|{registry_entry_digest(registry, f.school_code)}"
            if len(same) > 1:
                plan.append((f, context, _two_files_report(f, same)))
            elif file_suffix(f.path) in UNREAD_SUFFIXES:
                plan.append((f, context, _unread_format_report(f)))
            elif self._unchanged(row, self._expected(row, f.body_sha, context)):
                self._skip(f.key, SCHOOL_WORKBOOK, f.school_code)
            else:
                plan.append((f, context, None))
        to_read = [(str(f.path), display_key(f.key), f.body_sha) for f, _c, report in plan if report is None]
        reports = _check_many(to_read, registry, self.today, self.maxima, self.workers,
                              iso_dates=self.engine.dialect.name == "sqlite")
        for f, context, report in plan:
            if report is None:
                report = next(reports)
            self._store(f.key, report.kind or SCHOOL_WORKBOOK, report, f.body_sha, context, existing)


def safe_check(path: Path | bytes, name: str, registry, today, maxima) -> FileReport:
    """check_file (check_bytes for bytes) that never raises: an unexpected error on a hostile file
    refuses that file only."""
    try:
        if isinstance(path, (bytes, bytearray)):
            return check_bytes(path, name, registry=registry, today=today)
        return check_file(path, registry=registry, display_name=name, today=today, maxima=maxima)
    except MemoryError:
        # Not log.exception: formatting a traceback allocates, and there is no memory (found by an audit).
        return _crashed_report(name)
    except BaseException as err:  # a bug or a pathological file must not stop the county's run
        if not isinstance(err, Exception) and not reader_panicked(err):
            raise
        log.exception("checking %s failed", name)
        report = FileReport(name)
        report.add_file_problem(
            f"讀取此文件時出錯（{type(err).__name__}），請另存為 .xlsx 後重新提交；如仍出錯請聯繫教育局",
            f"reading this file failed ({type(err).__name__}: {str(err)[:200]}); save it as .xlsx and send it "
            "again, or tell the bureau",
        )
        return report


def _crashed_report(name: str) -> FileReport:
    """A file whose reading ran out of memory or killed the process reading it: built, or damaged, to
    be larger inside than any workbook is."""
    report = FileReport(name)
    report.add_file_problem(
        "讀取此文件時讀取程序異常終止（文件已損壞，或其內容大得不像任何工作簿）；請用 Excel 或 WPS 打開，"
        "另存為 .xlsx 後重新提交；如仍出錯請聯繫教育局",
        "reading this file stopped the reader (the file is damaged, or larger inside than any workbook is); "
        "open it in Excel or WPS, save it as .xlsx and send it again, or tell the bureau",
    )
    return report


def _crashed(item: tuple) -> FileReport:
    return _crashed_report(item[1])


def isolated_check(path: Path | bytes, name: str, registry, today, maxima) -> FileReport:
    """safe_check in a process of its own, with its memory capped (sync.parallel): a hostile file that
    aborts the reader costs its own report, not the command, the scheduler or a dashboard worker.
    Everything the check reads of the settings is given to it: a fork server's workers do not share
    this process's environment."""
    today = today or county_today()
    maxima = maxima or indicator_max()
    [report] = ordered_map(_safe_check_item, [(path, name, registry, today, maxima)], 1, on_crash=_crashed)
    return report


def _safe_check_item(item: tuple) -> FileReport:
    return safe_check(*item)


def _check_many(items: list[tuple[str, str, str]], registry, today, maxima, workers: int = 1, iso_dates: bool = False):
    """Reports for `items` (path, display name, the content hash the run planned with), in order, checked in
    `workers` processes (one for a few; sync.parallel), never in this one; a county's worth never waits in
    memory at once.  Their records come packed for the store (pack_records; iso_dates for SQLite)."""
    return ordered_map(_check_one, items, workers, _checking_context, (registry, today, maxima, iso_dates),
                       on_crash=_crashed)


_CHECKING: dict = {}


def _checking_context(registry, today, maxima, iso_dates) -> None:
    _CHECKING.update(registry=registry, today=today, maxima=maxima, iso_dates=iso_dates)


def _check_one(item: tuple[str, str, str]) -> FileReport:
    path, name, planned_sha = item
    report = safe_check(Path(path), name, _CHECKING["registry"], _CHECKING["today"], _CHECKING["maxima"])
    try:
        same = _sha(Path(path).read_bytes()) == planned_sha
    except OSError:
        same = False
    if not same:
        # Replaced while the run read it (a school saving again, a copy still arriving): what was checked
        # may not be what was hashed and planned for, so nothing of it is stored this time.
        report = FileReport(name)
        report.add_file_problem("文件在讀取過程中被修改了，本次未導入，下次同步會重新讀取",
                                "the file changed while it was being read; it was not loaded this time and is "
                                "read again next run")
    if not report.refused:
        report.packed = {key: pack_records(key, rows, _CHECKING["iso_dates"]) for key, rows in report.rows.items()}
        report.rows = {}
    return report


def _record_count(report: FileReport) -> int:
    if report.packed is not None:
        return sum(len(next(iter(columns.values()), ())) for columns in report.packed.values())
    return sum(map(len, report.rows.values()))


def _peek_one(path: str) -> tuple[str | None, str | None]:
    return peek(Path(path))


def _unpeeked(_path: str) -> tuple[None, None]:
    return None, None  # the full check, in a capped worker too, says why the file cannot be read


def isolated_peek(path: Path) -> tuple[str | None, str | None]:
    """peek in a capped worker process of its own (see _Run's peek)."""
    [kind_and_code] = ordered_map(_peek_one, [str(path)], 1, on_crash=_unpeeked)
    return kind_and_code


def _two_files_report(f: _File, same: list[_File]) -> FileReport:
    names = "、".join(display_key(x.key) for x in same)
    report = FileReport(display_key(f.key), kind=SCHOOL_WORKBOOK, school_code=f.school_code)
    report.add_file_problem(
        f"學校代碼「{f.school_code}」同時出現在{len(same)}個文件中：{names}。每所學校只能有一個工作簿，請刪除多餘的文件",
        f"school code '{f.school_code}' is in {len(same)} files: {names.replace('、', ', ')}; "
        "a school sends exactly one workbook, remove the others",
        value=f.school_code,
    )
    return report


def file_suffix(path: Path) -> str:
    """A file's extension as the sync reads it: 學校．csv (a full-width dot) is a .csv."""
    return Path(unicodedata.normalize("NFKC", path.name)).suffix.lower()


def _unread_format_report(f: _File) -> FileReport:
    report = FileReport(display_key(f.key))
    report.add_file_problem(*UNREAD_SUFFIXES[file_suffix(f.path)])
    return report


def _start_run(engine: Engine, trigger: str, now: datetime) -> int:
    with engine.begin() as conn:
        # We hold the lock, so a run still "running" was cut short (killed, power lost).
        conn.execute(update(sync_runs).where(sync_runs.c.status == "running").values(
            status="interrupted", message="this run was cut short; the next run completed its work"))
        result = conn.execute(insert(sync_runs).values(started_at=now, trigger=trigger, status="running"))
        return result.inserted_primary_key[0]


RUN_NAMES_KEPT = 10


def _finish_run(engine: Engine, summary: RunSummary) -> None:
    counts = summary.counts()
    body = {
        "counts": counts,
        "rows_added": sum(o.rows_added for o in summary.sources),
        "rows_removed": sum(o.rows_removed for o in summary.sources),
        "rows_rejected": sum(o.rows_rejected for o in summary.sources),
    }
    not_loaded = [o.display_name for o in summary.sources if o.action in ("refused", "failed")]
    if not_loaded:
        # Which files, so a run whose status says some were refused is not read as the upload that
        # started it being refused (found by an audit); a county's first run may refuse many: the first few.
        body["not_loaded"] = not_loaded[:RUN_NAMES_KEPT]
    if summary.recomputed:
        body["scores"] = "recomputed"
    with engine.begin() as conn:
        conn.execute(update(sync_runs).where(sync_runs.c.run_id == summary.run_id).values(
            finished_at=summary.finished_at, status=summary.status, message=summary.message or None, summary=body))


def _running_year_behind(engine: Engine, today: date | None) -> bool:
    """A year's stored draft result is of an earlier day than it is evaluated on (rules.md: today in the
    running year, 31 Dec once it is over), so the first run of a day recomputes it even when no record
    changed.  Last year's too: a year whose last draft was taken on 30 Dec (no run on the 31st, the
    server off over New Year) kept that day's figures, as its result, for good (found by an audit: 7 of
    12 totals off by up to 2.1 points from `score`).  Not older years: one no sync scores any more (its
    records gone) would make every run recompute for nothing."""
    from sync.store import scores

    today = today or county_today()
    with engine.connect() as conn:
        latest = conn.execute(select(scores.c.year, func.max(scores.c.as_of)).where(
            scores.c.publication_id.is_(None), scores.c.kind == "annual", scores.c.year >= today.year - 1)
            .group_by(scores.c.year)).all()
    # A new year not scored yet while last year's draft is: a run on 31 Dec closed last year, and every
    # January run after it found nothing changed and nothing behind, leaving the running year without
    # any draft (the dashboard listed no running year) until a school changed a record (found by an audit).
    if latest and today.year not in {year for year, _as_of in latest}:
        return True
    return any(as_of is not None and as_of < min(date(year, 12, 31), today) for year, as_of in latest)


def _scores_owed(engine: Engine) -> bool:
    """Records changed in a run after which the drafts were never recomputed: loaded with
    --no-recompute, or a run cut short (Ctrl-C, a stopped scheduler, a kill) between storing and
    scoring.  The next run recomputes though it finds nothing new, or the drafts would stay stale
    for good.  Read from the runs, newest first, up to the last one that recomputed (a small table;
    sync_run_sources has a line per source per run and is looked into only for a run cut short)."""
    changing = sync_run_sources.c.action.in_(("loaded", "removed"))
    with engine.connect() as conn:
        runs = conn.execute(select(sync_runs.c.run_id, sync_runs.c.summary).order_by(sync_runs.c.run_id.desc()))
        for run_id, body in runs:
            if isinstance(body, dict):
                if body.get("scores") == "recomputed":
                    return False
                counts = body.get("counts") or {}
                if counts.get("loaded") or counts.get("removed"):
                    return True
            elif conn.execute(select(sync_run_sources.c.id).where(
                    sync_run_sources.c.run_id == run_id, changing).limit(1)).first() is not None:
                return True  # cut short (or this very run): what it stored is in its lines
    return False


def _rubric_changed(engine: Engine) -> bool:
    """The rubric or the calendar was edited since the scores were computed (sync.results)."""
    from sync.results import rubric_changed

    try:
        return rubric_changed(engine)
    except Exception:  # noqa: BLE001 - a configuration that does not load: the recompute says why
        return True


def _recompute(engine: Engine, workers: int = 1, today: date | None = None) -> str:
    try:
        from sync import results
    except ImportError:
        return "scores not recomputed: sync.results is not available"
    try:
        results.recompute(engine, workers=workers, today=today)
    except (DBAPIError, SQLAlchemyError) as err:  # the store went away midway: the driver's line, not the SQL
        log.error("recomputing the scores failed: %s", first_line(err))
        return (f"分數未能重新計算（數據庫：{first_line(err)}），下次同步重算 / scores not recomputed (the store: "
                f"{first_line(err)}); the next run recomputes them")
    except Exception as err:  # the records are loaded; a scoring failure must not undo that
        log.exception("recomputing the scores failed")
        return f"scores not recomputed: {type(err).__name__}: {err}"
    return ""


def run_sync(engine: Engine, inbox: Path, trigger: str = "cli", sql_sources=None,
             progress: Callable[[int, int, str], None] | None = None, wait: float = 0.0,
             today: date | None = None, recompute: bool = True, workers: int | None = None,
             waiting: Callable[[str], None] | None = None) -> RunSummary:
    """One whole run (see the module docstring); the scores are recomputed when any records changed.

    waiting(message): told when the run starts to wait for another sync (wait > 0).

    workers: processes that check workbooks (sync.parallel); None: SAFESCHOOL_SYNC_WORKERS, else one
    per core.

    Never raises for a busy lock, a missing share or a
    database that is down: the summary's status says so ("busy", "failed")."""
    started = county_now()
    without_config = False
    if sql_sources is None:
        from sync.settings import get_file_config, get_settings

        sql_sources = get_file_config().sources
        without_config = get_settings().config is None
    # A rubric or calendar that does not load stops the run here, before it is recorded as running
    # (ConfigError: one line), not halfway with a run left "running".
    indicator_max()
    summary = RunSummary(None, trigger, "running", started)
    try:
        with sync_lock(engine, wait=wait, waiting=waiting) as lock:
            summary.run_id = _start_run(engine, trigger, started)
            workers = configured_workers(workers)
            run = _Run(engine, summary.run_id, inbox, sql_sources, progress, today, workers, without_config,
                       lock.verify)
            summary.sources = run.run()
            summary.status = "failed" if run.inbox_problem else "refused" if summary.refused else "ok"
            if run.inbox_problem:
                summary.message = run.inbox_problem
                log.error("sync failed: %s", run.inbox_problem)
            elif run.registry_missing:
                summary.message = run.registry_missing
                log.warning("%s", run.registry_missing)
            changed = any(o.action in ("loaded", "removed") for o in summary.sources)
            if recompute and (changed or (not run.inbox_problem and (_scores_owed(engine) or
                                                                     _running_year_behind(engine, today) or
                                                                     _rubric_changed(engine)))):
                lock.verify()
                recomputed = _recompute(engine, workers, today)
                summary.message = "; ".join(m for m in (summary.message, recomputed) if m)
                summary.recomputed = not recomputed
            summary.finished_at = county_now()  # the recompute is part of the run's time (found by an audit)
            _finish_run(engine, summary)
    except SyncBusy as err:
        summary.status, summary.message = "busy", str(err)
        log.info("%s", err)
    except LockLost as err:
        # What was committed stands, each source wholly; the batch not yet committed was dropped.  The run
        # stays "running" in the history until the next run marks it interrupted.
        summary.status, summary.message = "failed", str(err)
        log.error("sync failed: %s", err)
    except (DBAPIError, SQLAlchemyError) as err:
        reason = first_line(err)
        summary.status = "failed"
        summary.message = f"數據庫無法使用（{reason}），下次同步重試 / the store cannot be used ({reason}); " \
                          "the run is retried next time"
        if _no_tables(reason):
            summary.message += "; the store has no tables yet: run `safeschool init` once first"
        log.error("sync failed: %s", summary.message)
    summary.finished_at = summary.finished_at or county_now()
    return summary


def _no_tables(reason: str) -> bool:
    """The driver's way of saying a table is missing (a store nobody initialised)."""
    text = reason.lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text) or (
        "table" in text and "doesn't exist" in text)


# ---------------------------------------------------------------- who has sent what

def submission_status(engine: Engine) -> pd.DataFrame:
    """One row per registered school: status "loaded", "refused" or "not submitted", with its file.

    "message" is what the source row says (Chinese, as stored); "message_en" a refused workbook's reasons
    in English, from the file-level problems kept with both languages."""
    reg = records["registry"]
    with engine.connect() as conn:
        schools = pd.DataFrame(conn.execute(select(reg.c.school_code, reg.c.name, reg.c.type, reg.c.township)
                                            .order_by(reg.c.school_code)).mappings().all(),
                               columns=["school_code", "name", "type", "township"])
        files = pd.DataFrame(conn.execute(select(
            sources.c.source_id, sources.c.school_code, sources.c.source_key, sources.c.status, sources.c.loaded_at,
            sources.c.rows, sources.c.message,
        ).where(sources.c.kind == SCHOOL_WORKBOOK, sources.c.status.in_(("loaded", "refused")))).mappings().all(),
            columns=["source_id", "school_code", "source_key", "status", "loaded_at", "rows", "message"])
        english: dict[int, list[str]] = {}
        for source_id, reason in conn.execute(
                select(rejected_rows.c.source_id, rejected_rows.c.reason_en)
                .join(sources, sources.c.source_id == rejected_rows.c.source_id)
                .where(sources.c.kind == SCHOOL_WORKBOOK, sources.c.status == "refused", rejected_rows.c.level == "file")
                .order_by(rejected_rows.c.id)):
            english.setdefault(source_id, []).append(reason)
        rejected = pd.DataFrame(conn.execute(
            select(rejected_rows.c.school_code, func.count().label("rejected_rows"))
            .where(rejected_rows.c.level == "row").group_by(rejected_rows.c.school_code)).mappings().all(),
            columns=["school_code", "rejected_rows"])
    files = files.drop_duplicates("school_code")
    out = schools.merge(files, on="school_code", how="left").merge(rejected, on="school_code", how="left")
    out["status"] = out["status"].fillna("not submitted")
    out["rejected_rows"] = out["rejected_rows"].fillna(0).astype(int)
    out["file"] = out["source_key"].map(lambda k: display_key(k) if isinstance(k, str) else None)
    out["message_en"] = [("; ".join(english[i])[:2000] if i in english else None) for i in out["source_id"]]
    return out.drop(columns=["source_key", "source_id"])

