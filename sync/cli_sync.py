"""`safeschool sync` (one run, or a check of one workbook) and `safeschool scheduler`."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from pathlib import Path

import click
from rich.markup import escape  # every text from a workbook or a path is printed as text, never as markup

from sync.cli_common import log_to_stderr
from sync.errors import UserError


def _print_problems(console, title: str, problems, filename: str) -> None:
    """One problem a line: file / sheet / row / column [value]: reason zh | reason en (readable in a log too)."""
    console.print(f"[bold]{escape(title)}[/]")
    for p in problems:
        level = {"file": "[red]FILE[/]", "note": "[yellow]note[/]"}.get(p.level, "row ")
        console.print(f"  {level} {escape(p.as_text(filename))}", soft_wrap=True)


def _registry_if_any(path: Path) -> set[str] | None:
    """The store's registry, or None when there is no store yet (a check never creates one).  For the
    bureau workbook, what the mapped registry queries list: its own registry sheet replaces the rest,
    as in a sync."""
    from sync.cli_common import missing_sqlite_store
    from sync.load import isolated_peek
    from sync.report import BUREAU_WORKBOOK, registry_in_store
    from sync.store import get_engine

    if missing_sqlite_store():
        return None
    kinds = ("sql",) if isolated_peek(path)[0] == BUREAU_WORKBOOK else (BUREAU_WORKBOOK, "sql")
    try:
        return registry_in_store(get_engine(), kinds=kinds)
    except Exception:  # an empty or unreachable store: check without the registry
        return None


PAPERWORK_SHOWN = 30


def _print_paperwork(console, lines: list[dict]) -> None:
    """The lines passed over as paperwork, listed so that the sender sees none of them was a record."""
    if not lines:
        return
    console.print(f"{len(lines)} 行作為表格以外的內容（備註、簽名、合計、重複的表頭）略過，未作為記錄讀入；如有記錄被誤略，請告知教育局 / "
                  f"{len(lines)} line(s) passed over as paperwork (notes, signatures, totals, the header again), not "
                  "read as records; if one is a record, tell the bureau")
    for line in lines[:PAPERWORK_SHOWN]:
        console.print(escape(f"  {line['sheet']} / row {line['row']} [{line['kind_zh']} {line['kind_en']}]: "
                             f"{line['text'][:100]}"))
    if len(lines) > PAPERWORK_SHOWN:
        console.print(f"  … {len(lines) - PAPERWORK_SHOWN} more / 另有 {len(lines) - PAPERWORK_SHOWN} 行")


def _check(path: Path, console) -> int:
    from sync.load import UNREAD_SUFFIXES, file_suffix, isolated_check, read_by_the_sync
    from sync.reader import WORKBOOK_SUFFIXES
    from sync.report import FileReport, indicator_max, paperwork_lines

    if not path.is_file():
        raise UserError(f"{path} does not exist or is not a file; give the path of a workbook (.xlsx, .xls, .ods)",
                        zh=f"{path} 不存在或不是文件，請給出工作簿（.xlsx、.xls、.ods）的路徑")
    registry = _registry_if_any(path)
    suffix = file_suffix(path)  # 學校．csv is a .csv to the sync, and so here (a diff review)
    if suffix in UNREAD_SUFFIXES:  # as the sync refuses it, whatever the file holds (found by an audit)
        report = FileReport(path.name)
        report.add_file_problem(*UNREAD_SUFFIXES[suffix])
    elif not read_by_the_sync(path):
        # a.txt was "a text file with a workbook's name": the sync passes it over unread, whatever it holds
        report = FileReport(path.name)
        what = (f"同步不讀取 {suffix} 文件", f"the sync does not read {suffix} files") if suffix else (
            "這個文件沒有擴展名，也不像工作簿", "this file has no extension and does not start as a workbook does")
        report.add_file_problem(
            f"{what[0]}（只讀取 {'、'.join(WORKBOOK_SUFFIXES)} 工作簿）；如果這是工作簿，請用 Excel 或 WPS 打開後另存為 .xlsx",
            f"{what[1]} (only {', '.join(WORKBOOK_SUFFIXES)} workbooks are read); if this is a workbook, open it in "
            "Excel or WPS and save it as .xlsx")
    else:
        report = isolated_check(path, path.name, registry, None, indicator_max())
    kind = {"school_workbook": "school workbook", "bureau_workbook": "bureau workbook"}.get(report.kind, "unknown")
    code = f", school {report.school_code}" if report.school_code else ""
    # A refused file loads nothing: its rows are not "accepted", whatever their cells say.
    accepted = 0 if report.refused else sum(len(v) for v in report.rows.values())
    refused = report.rows_read if report.refused else len(report.rejected)
    console.print(escape(f"{path.name}: {kind}{code}; {report.rows_read} rows read, {accepted} accepted, "
                         f"{refused} refused"))
    console.print(f"讀取 {report.rows_read} 行，接受 {accepted} 行，拒收 {refused} 行")  # a line each: scripts read the first
    if registry is None and report.kind != "bureau_workbook":  # the bureau's own 學校名冊 is its registry
        console.print("(庫中還沒有學校名冊，未核對學校代碼 / no school registry in the store: the school code was not "
                      "checked against it)")
    if report.problems:
        _print_problems(console, f"{len(report.problems)} problem(s) 問題", report.problems, path.name)
        if report.refused:
            console.print("[bold red]整個文件被拒收 the whole file is refused[/]")
    _print_paperwork(console, paperwork_lines(report))
    # Notes (a line not read, training of nobody) are never a refusal: a file with notes only is ready.
    if any(p.level != "note" for p in report.problems):
        return 1
    # Notes can still matter to the score (a copy of a sheet not read, training of nobody): said so, not "nothing
    # to fix" (a contract audit).
    if report.problems:
        console.print("沒有被拒收的內容，但請讀上面的提示：它們可能影響得分")
        console.print("nothing refused, but read the notes above: they may change the score")
    else:
        console.print("沒有發現問題 no problems found")
    return 0


def _once(quiet: bool, wait: float, console, recompute: bool = True) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sync.cli_common import store_engine
    from sync.load import run_sync
    from sync.settings import get_settings

    inbox = Path(get_settings().inbox)
    engine = store_engine()
    def waiting(message: str) -> None:
        console.print(escape(message))

    if quiet:
        summary = run_sync(engine, inbox, trigger="cli", wait=wait, recompute=recompute, waiting=waiting)
    else:
        with Progress(TextColumn("sync"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("", total=None)

            def progress(done, total, key):
                bar.update(task, completed=done, total=total, description=escape(key.split(":", 1)[-1][-40:]))

            summary = run_sync(engine, inbox, trigger="cli", wait=wait, progress=progress, recompute=recompute,
                               waiting=waiting)
    _print_summary(console, summary, quiet)
    if summary.status in ("failed", "busy"):
        return 1
    return 1 if summary.refused else 0


# The run's and each source's outcome, for the bureau office's clerk first (the English stays beside it).
_RUN_WORDS = {"ok": "完成", "refused": "有來源被拒收", "failed": "失敗", "busy": "已有同步在進行"}
_ACTION_WORDS = {"loaded": "已導入", "skipped": "未變", "refused": "拒收", "removed": "已刪除", "failed": "失敗"}


def _print_summary(console, summary, quiet: bool) -> None:
    from rich.table import Table

    if summary.status == "busy":
        console.print(f"[yellow]{escape(summary.message or '')}[/]")
        return
    if summary.status == "failed" and not summary.sources:
        console.print(f"[bold red]sync failed:[/] {escape(summary.message or '')}")
        return
    # Unchanged sources are only counted (a county has a thousand of them); the rest are listed.
    shown = [o for o in summary.sources if o.action != "skipped"]
    status = f"{_RUN_WORDS.get(summary.status, '')} {summary.status}".strip()
    if summary.status == "refused" and not any(o.action == "refused" for o in summary.sources):
        status = "有來源未能讀取 a source could not be read"  # a database down refuses nothing (an audit)
    table = Table(title=f"同步第 {summary.run_id} 次 / sync run {summary.run_id}: {status}", title_justify="left")
    for name in ("來源\nsource", "學校\nschool", "處理\naction", "讀取\nread", "導入\nadded", "刪除\nremoved",
                 "拒收行\nrejected"):
        table.add_column(name, overflow="fold")
    for o in shown:
        colour = {"refused": "red", "failed": "red", "removed": "yellow", "loaded": "green"}.get(o.action, "")
        action = f"{_ACTION_WORDS.get(o.action, '')} {o.action}".strip()
        table.add_row(escape(o.display_name), escape(o.school_code or ""),
                      f"[{colour}]{action}[/]" if colour else action,
                      str(o.rows_read), str(o.rows_added), str(o.rows_removed), str(o.rows_rejected))
    counts = summary.counts()
    table.caption = (", ".join(f"{_ACTION_WORDS.get(k, '')} {k}: {v}".strip() for k, v in sorted(counts.items()))
                     or "沒有來源 no sources")
    console.print(table)
    for o in summary.sources:
        if o.problems:
            _print_problems(console, f"{o.display_name}: {len(o.problems)} problem(s)", o.problems, o.display_name)
        elif o.action == "failed" and o.message:  # a source that could not be read: why, and what is kept
            console.print(f"[red]{escape(o.display_name)}[/]: {escape(o.message)}")
    if summary.message:
        console.print(escape(summary.message))


def _told_by_the_summary(record: logging.LogRecord) -> bool:
    """Whether a log record still needs the console: what the sync logs of its sources and its run (a
    share not mounted, a source not read, a hostile file's traceback) the summary and the problem list
    say once, in both languages; the scheduler's log keeps them."""
    return not record.name.startswith("safeschool.sync") or record.levelno >= logging.CRITICAL


@click.command(short_help="同步：讀入收件夾與 SQL 來源，重算分數 / read the sources into the store")
@click.option("--once", is_flag=True, help="同步一次（默認）/ run one sync now (the default).")
@click.option("--check", "check", type=click.Path(path_type=Path), default=None,
              help="只檢查一個工作簿，不導入；有被拒收的行或整個文件被拒收時退出碼為 1（僅有提示時為 0）/ validate one workbook without loading it; exit 1 if a row or the file would be refused (0 with notes only).")
@click.option("--quiet", is_flag=True, help="不顯示進度條，只列出有變化或被拒收的來源 / no progress bar; list only the sources that changed or were refused.")
@click.option("--wait", type=click.FloatRange(0, 24 * 3600), default=0.0, show_default=True,
              help="另一同步正在進行時等待的秒數（0：提示後停止）/ seconds to wait when another sync is running (0: say so and stop).")
@click.option("--no-recompute", is_flag=True, help="只導入，不重算分數 / load only; leave the draft scores until the next run.")
def sync(once: bool, check: Path | None, quiet: bool, wait: float, no_recompute: bool) -> None:
    """Read the inbox and the mapped SQL sources into the store, then recompute the scores.

    Exits 1 when any source was refused (every problem is printed) or the run could not start."""
    from rich.console import Console

    console = Console(highlight=False, emoji=False)  # sis:school: is a source, not :school: 🏫
    log_to_stderr(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_told_by_the_summary)
    if wait != wait:  # nan passes FloatRange's comparisons
        raise click.BadParameter("nan 不是秒數 / nan is not a number of seconds", param_hint="'--wait'")
    if check is not None and once:  # which one was meant is not guessed: --check alone never loads
        raise click.UsageError("--once 與 --check 只能用一個：--check 只檢查一個工作簿，--once 導入收件夾（見 --help） / "
                               "--once and --check cannot be given together: --check only checks one workbook, "
                               "--once loads the inbox")
    given = [f"--{name.replace('_', '-')}" for name in ("quiet", "wait", "no_recompute")
             if click.get_current_context().get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE]
    if check is not None and given:  # they were taken without a word, doing nothing (a README audit)
        raise click.UsageError(f"--check 只檢查一個工作簿，不同步：{'、'.join(given)} 只用於 --once / --check only checks "
                               f"one workbook, it runs no sync: {', '.join(given)} are for --once")
    if check is not None:
        sys.exit(_check(check, console))
    sys.exit(_once(quiet, wait, console, recompute=not no_recompute))


@click.command(short_help="按排程定時同步 / run the sync on its cron")
@click.option("--cron", default=None, help="覆蓋配置中的 cron / override the configured cron (e.g. '*/30 * * * *').")
def scheduler(cron: str | None) -> None:
    """Run the sync on the configured cron until stopped (its own process; never inside gunicorn)."""
    from sync.cli_common import store_engine
    from sync.scheduler import build_scheduler

    store_engine().dispose()  # a store never set up (or newer) stops start-up, not every tick with "no such table"
    log_to_stderr(logging.INFO)
    from sync.settings import configured_rubric, get_file_config

    configured_rubric()  # a rubric or calendar that does not load stops start-up, not every tick
    sched = build_scheduler(cron=cron)
    schedule = get_file_config().schedule
    click.echo(f"safeschool scheduler: sync on cron '{cron or schedule.cron}' ({schedule.timezone}); Ctrl-C to stop")
    # SIGTERM (systemd, a Procfile runner stopping it) stops it as Ctrl-C does: the sync under way
    # finishes, rather than the process dying between storing and scoring.
    signal.signal(signal.SIGTERM, _stop_as_interrupt)
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("stopping (a sync under way, if any, is finished first)")
        with contextlib.suppress(Exception):
            sched.shutdown(wait=True)
        click.echo("scheduler stopped")


def _stop_as_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


commands: list = [sync, scheduler]
