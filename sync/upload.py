"""A school's upload through the dashboard: checked on the spot, kept in the inbox, loaded by a run.

An upload is stored as `uploads/<school code>.<ext>` under the inbox, replacing that school's previous
upload, and loaded by a sync run (trigger "upload", in-process: a request does not start worker
processes).  A school that already sends its workbook through the shared folder is refused on the
spot, naming that file, so one school is always one file (sync.load's "two files of one school").
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from sync.load import (
    UNREAD_SUFFIXES,
    UPLOADS,
    WORKBOOK_MAGIC,
    display_key,
    isolated_check,
    run_sync,
    storable_text,
)
from sync.reader import WORKBOOK_SUFFIXES
from sync.report import BUREAU_WORKBOOK, SCHOOL_WORKBOOK, FileReport, registry_in_store
from sync.settings import county_now
from sync.store import audit_log, sources

log = logging.getLogger("safeschool.sync")

UPLOAD_SUFFIXES = WORKBOOK_SUFFIXES  # what the shared folder reads, .xlsm and WPS's .et too


# A school whose upload meets a running sync is told "busy" (its file is kept, the next run loads it)
# after this long: each waiting upload holds a gunicorn thread, and nine of them waiting 45 s during a
# scheduled sync left /healthz unanswered for 45 s and schools unable to open a page (an audit).
UPLOAD_WAIT_SECONDS = 10.0


def load_upload(engine: Engine, data: bytes, filename: str, school_code: str, inbox: Path, by: str,
                today: date | None = None, wait: float = UPLOAD_WAIT_SECONDS, recompute: bool = True) -> FileReport:
    """Validate a school's upload, store it as inbox/uploads/<code>.<ext> and load it in a run.

    Refused on the spot (nothing stored) when the workbook is not this school's, is refused as a
    whole, is too large, or the school already sends its workbook through the shared folder.
    Otherwise the file replaces the school's previous upload (any extension) and a run with trigger
    "upload" loads it; `report.run` is that run's RunSummary.  When another run holds the lock for
    longer than `wait` seconds, report.run.status is "busy": the file is stored and the next run
    loads it.  Two uploads of one school (a double click, two officers) are taken one after the
    other, so each report is of the file its run loaded."""
    inbox = Path(inbox)
    suffix = Path(filename).suffix.lower() or _suffix_by_content(data)
    if suffix not in UPLOAD_SUFFIXES:
        report = FileReport(filename)
        if suffix in UNREAD_SUFFIXES:  # .csv: save as .xlsx; .zip: unpack it (as the shared folder says)
            report.add_file_problem(*UNREAD_SUFFIXES[suffix])
        else:
            report.add_file_problem(f"只能上傳 .xlsx、.xls 或 .ods 工作簿（收到 {suffix or '無擴展名'}）",
                                    f"upload an .xlsx, .xls or .ods workbook (got {suffix or 'no extension'})")
        _audit(engine, by, school_code, filename, report)  # refused before the checks, still who tried what
        return report
    limit_mb = _upload_limit_mb()
    if len(data) > limit_mb * 1024 * 1024:
        report = FileReport(filename)
        report.add_file_problem(
            f"文件太大（{len(data) / 1048576:.1f} MB），上限 {limit_mb:g} MB；請刪除圖片或多餘的工作表後再上傳",
            f"the file is too large ({len(data) / 1048576:.1f} MB, limit {limit_mb:g} MB); remove pictures or "
            "extra sheets and upload again",
        )
        _audit(engine, by, school_code, filename, report)
        return report
    registry = registry_in_store(engine) or {}
    report = isolated_check(bytes(data), filename, registry, today, None)
    if report.kind == BUREAU_WORKBOOK:
        report.add_file_problem("這是教育局工作簿，學校只能上傳本校工作簿",
                                "this is the bureau workbook; a school uploads its own workbook only")
    elif (report.kind == SCHOOL_WORKBOOK and report.school_code and report.school_code != school_code
          and report.school_code in registry):
        # Another registered school's workbook.  A code registered nowhere (a digit dropped from the
        # school's own) is refused by the registry's own problem, "check the code", not called another
        # school's (found by an audit).
        report.for_another_school = True
        report.add_file_problem(
            f"工作簿中的學校代碼「{report.school_code}」不是本校代碼「{school_code}」，請上傳本校的工作簿",
            f"the workbook is for school '{report.school_code}', not your school '{school_code}'; "
            "upload your own school's workbook",
            sheet="學校概況", column="學校代碼", value=report.school_code, sheet_key="school",
            row=next((r.get("row_no") for r in report.rows.get("school", [])), None),  # where, as every problem
        )
    shared = shared_folder_file(engine, school_code)
    if shared:
        # First, whatever else the file holds: fixing the rest would not get this upload in.
        report.add_file_problem(
            f"本校已通過共享文件夾提交工作簿「{shared}」；每所學校只能有一個工作簿，請更新該文件或請教體局刪除它",
            f"your school already sends its workbook through the shared folder ('{shared}'); a school has "
            "one workbook: update that file, or ask the bureau to remove it",
        )
        report.problems.insert(0, report.problems.pop())
    _audit(engine, by, school_code, filename, report)
    if report.refused:
        return report
    target_dir = inbox / UPLOADS
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{school_code}{suffix}"
    deadline = time.monotonic() + wait
    with _school_upload_lock(target_dir, school_code, wait) as held:
        if not held:
            report.add_file_problem("本校的另一次上傳正在導入，本次未保存；請一分鐘後再上傳",
                                    "another upload of your school is being loaded; this one was not kept: "
                                    "upload it again in a minute")
            report.busy = True
            return report
        _replace_upload(target_dir, target, data)
        for other in UPLOAD_SUFFIXES:
            if other != suffix and (target_dir / f"{school_code}{other}").exists():
                (target_dir / f"{school_code}{other}").unlink()
        # In-process: a dashboard request does not start worker processes (an upload changes one file).
        report.run = run_sync(engine, inbox, trigger="upload", wait=max(deadline - time.monotonic(), 1.0),
                              today=today, recompute=recompute, workers=1)
    key = f"file:{target.relative_to(inbox).as_posix()}"
    outcome = next((o for o in report.run.sources if o.source_key == key), None)
    if outcome is not None and outcome.action in ("refused", "failed"):
        # The check on the spot passed, but the run did not load it (another file claims the school, the
        # store refused a value): the school must not be told it was loaded.
        said = outcome.message or ""
        report.add_file_problem(
            f"文件已保存，但同步時未能導入：{said or '請聯繫教育局'}",
            f"the file was kept, but the sync did not load it: {said or 'tell the bureau'}",
        )
    return report


@contextmanager
def _school_upload_lock(folder: Path, school_code: str, wait: float):
    """Yields whether this process holds the school's upload lock (an flock()ed file in the uploads
    folder, so gunicorn's workers see each other), trying for `wait` seconds."""
    fd = os.open(folder / f".{school_code}.upload-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.2)
            except OSError as err:  # a share that keeps no locks (ENOLCK): uploads go on as before it
                log.warning("the upload lock of %s could not be taken (%s); going on without it", school_code, err)
                break
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def _replace_upload(folder: Path, target: Path, data: bytes) -> None:
    """target holds data, whole, at once: written under a name of its own first (never one another
    upload writes too), then renamed over it."""
    fd, part = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    try:
        # mkstemp's 0600 would keep the upload from whoever else reads the shared inbox (the office's
        # copy, a scheduler under another account): the mode a file saved there gets (an audit)
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(part, target)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without setting it (os.umask sets it for every thread of a gunicorn worker
    for a moment); 022 where /proc does not say."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _suffix_by_content(data: bytes) -> str:
    """A file with no extension (a chat app's download) is a workbook by its first bytes, as the shared
    folder reads one (it was refused on upload: "got no extension"; an upload audit); "" when it is none."""
    zip_magic, ole_magic = WORKBOOK_MAGIC
    if data.startswith(ole_magic):
        return ".xls"
    if data.startswith(zip_magic):
        return ".ods" if b"opendocument.spreadsheet" in data[:120] else ".xlsx"
    return ""


def _upload_limit_mb() -> float:
    from sync.settings import get_settings

    return get_settings().max_upload_mb


def shared_folder_file(engine: Engine, school_code: str) -> str | None:
    with engine.connect() as conn:
        rows = conn.execute(select(sources.c.source_key).where(
            sources.c.school_code == school_code, sources.c.kind == SCHOOL_WORKBOOK,
            sources.c.status.in_(("loaded", "refused")),
        )).scalars().all()
    for key in rows:
        if not key.startswith(f"file:{UPLOADS}/"):
            return display_key(key)
    return None


def uploaded_copy_too(engine: Engine, school_code: str) -> bool:
    """Whether the school also has an uploaded workbook in the store (loaded or refused): beside a file in
    the shared folder, the sync refuses both as two files of one school until the bureau removes one."""
    with engine.connect() as conn:
        return conn.execute(select(sources.c.source_id).where(
            sources.c.school_code == school_code, sources.c.kind == SCHOOL_WORKBOOK,
            sources.c.status.in_(("loaded", "refused")), sources.c.source_key.startswith(f"file:{UPLOADS}/"),
        ).limit(1)).first() is not None


def _audit(engine: Engine, by: str, school_code: str, filename: str, report: FileReport) -> None:
    with engine.begin() as conn:
        conn.execute(insert(audit_log).values(
            at=county_now(), username=by, action="upload", school_code=school_code,
            # the browser's file name: a NUL in it was refused by PostgreSQL's JSON (a failed upload)
            detail={"filename": storable_text(filename, 255), "refused": report.refused, "problems": len(report.problems)},
        ))
