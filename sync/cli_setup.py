"""Setting up: init (create or upgrade the store), template (the school workbook), demo (the demo county)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from sync.errors import UserError
from sync.settings import get_settings


@click.command(short_help="建立或升級數據庫 / create or upgrade the store")
def init() -> None:
    """Create the store, or upgrade it to the newest schema (keeps all data)."""
    from sqlalchemy.engine import make_url

    from sync.migrate import charset_problem, current_revision, foreign_tables_problem, upgrade
    from sync.store import get_engine

    engine = get_engine()
    before = current_revision(engine)
    problem = (foreign_tables_problem(engine) or charset_problem(engine)) if before is None else None
    if problem:
        raise UserError(problem[1], zh=problem[0])
    upgrade(engine)
    after = current_revision(engine)
    # Shown without its password, as every URL the CLI prints (found by an audit).
    where = make_url(get_settings().store_url).render_as_string(hide_password=True)
    if before == after:
        click.echo(f"store is up to date (schema {after}) at {where}")
    else:
        click.echo(f"store upgraded from {before or 'empty'} to schema {after} at {where}")


@click.command("copy-store", short_help="把數據庫複製到另一個空數據庫 / copy the store into an empty database")
@click.argument("target_url")
def copy_store(target_url: str) -> None:
    """Copy the whole store (SAFESCHOOL_DATABASE_URL) into the empty database TARGET_URL, e.g. a desk's
    SQLite store into the bureau's postgresql+psycopg://user@host/safeschool: every record, score,
    publication, account and audit line, ids and all.  Stop the dashboard and the scheduler first; then
    point SAFESCHOOL_DATABASE_URL at the target."""
    from sync.cli_common import store_engine
    from sync.copy_store import copy_store as copy_whole_store
    from sync.settings import Said, checked_url, shown_url
    from sync.store import make_engine

    try:
        target_url = checked_url(target_url.strip())
    except Said as said:
        raise UserError(f"TARGET_URL: {said}", zh=f"TARGET_URL:{said.zh}") from None
    source = store_engine()
    target = make_engine(target_url)
    try:
        copied = copy_whole_store(source, target, progress=lambda table, n: click.echo(f"  {table}: {n:,} rows"))
    finally:
        target.dispose()
    shown = shown_url(target_url)
    click.echo(f"copied {sum(copied.values()):,} rows of {len(copied)} tables into {shown}; now set "
               f"SAFESCHOOL_DATABASE_URL to it (the copied store stays as it was) / 已複製到 {shown},"
               "請把 SAFESCHOOL_DATABASE_URL 改為該地址（原數據庫保持不變）")


def _whole_number(option: str, text: str, low: int, high: int) -> int:
    try:
        value = int(str(text).strip().replace(",", ""))
    except ValueError:
        raise UserError(f"{option} must be a whole number, not {text!r}", zh=f"{option} 應為整數(不是「{text}」)") from None
    if not low <= value <= high:
        raise UserError(f"{option} must be between {low:,} and {high:,}, not {value:,}",
                        zh=f"{option} 應在 {low:,} 與 {high:,} 之間（不是 {value:,}）")
    return value


def _day(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option} must be a date written YYYY-MM-DD, not {text!r}",
                        zh=f"{option} 應為 年-月-日 格式的日期(不是「{text}」)") from None


def _registered_school(code: str) -> dict:
    """The school's registry entry (學校名冊) from the store, for a pre-filled template."""
    from sqlalchemy import select

    from sync.cli_common import missing_sqlite_store
    from sync.store import get_engine, records

    missing = missing_sqlite_store()
    if missing:  # connecting would leave an empty store file behind, and there is no registry to read
        raise UserError(f"there is no store at {missing} yet: run `safeschool init`, then load the bureau "
                        "workbook with `safeschool sync --once`, before --school",
                        zh=f"{missing} 還沒有數據庫：請先運行 safeschool init，再用 safeschool sync --once 導入教育局工作簿")
    table = records["registry"]
    with get_engine().connect() as conn:
        row = conn.execute(select(table).where(table.c.school_code == code.strip()).limit(1)).mappings().first()
    if row is None:
        raise UserError(
            f"school {code!r} is not in the registry (學校名冊) in the store; check the code, or load the bureau "
            "workbook first with `safeschool sync --once`",
            zh=f"學校代碼「{code}」不在數據庫的學校名冊中，請核對代碼，或先用 safeschool sync --once 導入教育局工作簿",
        )
    return {k: row[k] for k in ("school_code", "name", "type", "township")}


@click.command(short_help="生成空白學校工作簿 / write the blank school workbook")
@click.argument("out", metavar="OUT.xlsx", type=click.Path(dir_okay=False))
@click.option("--school", "school_code", metavar="CODE", help="pre-fill 學校概況 with this registered school")
@click.option("--overwrite", is_flag=True, help="replace OUT.xlsx when it exists / 覆蓋已有的文件")
def template(out: str, school_code: str | None, overwrite: bool) -> None:
    """Write the blank school workbook OUT.xlsx (every sheet and header of the contract, dropdowns, instructions).

    With --school CODE the school's registry data (code, name, type, township) is filled in.  An existing
    OUT.xlsx (a school's filled workbook, perhaps) is replaced only with --overwrite.
    """
    from sync.template import write_template

    if Path(out).exists() and not overwrite:
        # it silently replaced a school's filled workbook of that name (a configuration audit)
        raise UserError(f"{out} exists already (a school's filled workbook?); give another name, or --overwrite to "
                        "replace it", zh=f"{out} 已存在（可能是學校已填好的工作簿）；請換一個文件名，或加 --overwrite 覆蓋它")
    school = _registered_school(school_code) if school_code else None
    path = write_template(Path(out), school=school)
    click.echo(f"wrote {path}" + (f" for {school['school_code']} {school['name']}" if school else ""))


@click.command(short_help="生成演示縣的工作簿 / write a demo county")
@click.option("--schools", default="60", show_default=True, metavar="N", help="number of registered schools")
@click.option("--seed", default="2026", show_default=True, metavar="S", help="random seed: the same seed gives the same files")
@click.option("--inbox", type=click.Path(file_okay=False), default=None,
              help="folder to write into [default: SAFESCHOOL_INBOX]")
@click.option("--today", default=None, metavar="YYYY-MM-DD", help="last day with records [default: today]")
def demo(schools: str, seed: str, inbox: str | None, today: str | None) -> None:
    """Write a realistic demo county: the bureau workbook and one workbook per school.

    Covers the two previous years and the running one up to today. A few workbooks carry the mistakes
    people really make; they are listed at the end.
    """
    from sync.demo import MAX_SCHOOLS, write_demo

    count = _whole_number("--schools", schools, 1, MAX_SCHOOLS)
    seed_value = _whole_number("--seed", seed, 0, 2**32 - 1)
    folder = Path(inbox) if inbox else get_settings().inbox
    summary = write_demo(folder, schools=count, seed=seed_value, today=_day("--today", today))
    for line in summary.lines():
        click.echo(line)


@click.command(short_help="啟動網頁儀表板 / serve the dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535), help="port to listen on")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="gunicorn worker processes")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the dashboard with gunicorn (dashboard.app:server). The sync scheduler never runs here."""
    import os
    import sys

    from sync.cli_common import store_engine

    # A bad SAFESCHOOL_DATABASE_URL, a store never set up or unreachable stops here with one line, not
    # in every log-in (it served /healthz "ok" and a 500 for each log-in; found by an audit).
    store_engine().dispose()
    _secret_key_can_be_kept()
    _refuse_a_taken_port(host, port)
    _answer_to_own_names(host)
    click.echo(f"serving the dashboard on http://{host}:{port}/ with {workers} worker(s)")
    # exec: gunicorn replaces this process, so signals (Ctrl-C, systemd stop) reach it directly.
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
                              "--timeout", str(REQUEST_TIMEOUT_SECONDS), "--access-logfile", "-", "dashboard.app:server"])


LOOPBACK_NAMES = "127.0.0.1,localhost"


def _answer_to_own_names(host: str) -> None:
    """A desk's server (127.0.0.1) answers to the machine's own names only, unless SAFESCHOOL_HOSTS says
    otherwise: a web page open on that desk could otherwise reach it under a name of its own (DNS
    rebinding).  The workers gunicorn starts read the same environment."""
    import ipaddress
    import os

    from sync.settings import get_settings

    if get_settings().hosts.strip():
        return
    try:
        loopback = host == "localhost" or ipaddress.IPv4Address(host).is_loopback  # ::1: werkzeug cannot list it
    except ValueError:
        return
    if loopback:
        os.environ["SAFESCHOOL_HOSTS"] = LOOPBACK_NAMES


def _secret_key_can_be_kept() -> None:
    """Without SAFESCHOOL_SECRET_KEY the dashboard keeps one it makes in ./data/.secret_key: made here, once,
    so a folder that cannot be written is one line, not a traceback in every worker (a service user
    started from a read-only folder; found by an audit)."""
    from sync.settings import DEFAULT_DATA_DIR

    try:
        from dashboard.access import secret_key

        secret_key()
    except OSError as err:
        where = (DEFAULT_DATA_DIR / ".secret_key").resolve()
        raise UserError(f"無法保存登錄密鑰 {where}（{err.strerror or err}）：請設置環境變量 SAFESCHOOL_SECRET_KEY,"
                        f"或在可寫的文件夾中啟動 / the log-in secret cannot be kept at {where} ({err.strerror or err}): "
                        "set SAFESCHOOL_SECRET_KEY, or start serve from a folder whose data/ can be written") from None


def _refuse_a_taken_port(host: str, port: int) -> None:
    """One line when another program holds the port (gunicorn itself retries for five seconds, printing
    'Connection in use' lines, then exits 1)."""
    import errno
    import socket

    from sync.errors import UserError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UserError(f"無法解析主機 {host!r} / --host {host!r} is not an address of this machine") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds: a port in TIME_WAIT is free
        try:
            probe.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRNOTAVAIL:  # said "port in use" before (found by an audit)
                raise UserError(f"{host} 不是本機的地址 / --host {host} is not an address of this machine "
                                f"({err.strerror}); use 127.0.0.1, 0.0.0.0 or one of its own addresses") from None
            raise UserError(
                f"端口 {port} 已被佔用（另一個 safeschool serve 或其他程序），請先停止它或用 --port 換一個端口 / "
                f"port {port} on {host} is in use ({err.strerror or err}): another safeschool serve or another "
                "program holds it; stop it, or choose another with --port") from None


# gunicorn kills a request running longer (an upload waits at most sync.upload.UPLOAD_WAIT_SECONDS for
# a run, well inside it).
REQUEST_TIMEOUT_SECONDS = 120

commands = [init, copy_store, template, demo]
commands.append(serve)
