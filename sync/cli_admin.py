"""Administration: accounts (`users ...`), the circular export, and the demo's accounts."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from sync.cli_common import operator, store_engine
from sync.errors import UserError

DEMO_ACCOUNTS = (
    ("admin", "admin-demo-2026", "admin"),
    ("leader", "leader-demo-2026", "leader"),
)
DEMO_SCHOOL_PASSWORD = "school-demo-2026"
DEMO_SCHOOL_ACCOUNTS = 3




def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise UserError("no password on standard input; pipe one line, e.g. `echo secret123 | safeschool users add ...`",
                            zh="標準輸入中沒有密碼，請用管道輸入一行，如 echo 密碼 | safeschool users add ...")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _check_school(engine, school_code: str) -> None:
    from sync.store import records

    registry = records["registry"]
    with engine.connect() as conn:
        known = {row[0] for row in conn.execute(select(registry.c.school_code))}
    if known and school_code not in known:
        raise UserError(f"school {school_code!r} is not in the registry (學校名冊); check the code or sync the bureau workbook",
                        zh=f"學校代碼「{school_code}」不在學校名冊中，請核對代碼或先同步教育局工作簿")
    if not known:
        click.echo(f"warning: the registry is empty, so {school_code!r} cannot be checked yet", err=True)


@click.group(short_help="帳戶：新增、列出、停用、啟用、重設密碼 / dashboard accounts")
def users() -> None:
    """Dashboard accounts: add, list, disable, enable, reset-password."""


@users.command("add", short_help="新增帳戶 / create an account")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "leader", "school"]), required=True,
              help="admin = bureau safety office, leader = reads everything, school = its own school only")
@click.option("--school", "school_code", help="the school's code (school accounts only)")
@click.option("--name", "display_name", help="a name to show instead of the user name")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of standard input")
def users_add(username: str, role: str, school_code: str | None, display_name: str | None, password_stdin: bool) -> None:
    """Create an account."""
    from sync import audit
    from sync.accounts import check_new_account, create_user

    engine = store_engine()
    check_new_account(engine, username, role, school_code)  # before the password is asked for, not after
    if role == "school":
        _check_school(engine, school_code)
    password = _read_password(password_stdin)
    viewer = create_user(engine, username, password, role, school_code, display_name)
    audit.record(engine, operator(), "users", school_code, {"change": "add", "username": viewer.username, "role": role})
    click.echo(f"added {viewer.username} ({role}{' ' + school_code if school_code else ''})")


@users.command("list", short_help="列出全部帳戶 / every account")
def users_list() -> None:
    """Every account with its role, school and state."""
    from sync.accounts import list_accounts

    rows = list_accounts(store_engine())
    if not rows:
        click.echo("no accounts yet; add one with `safeschool users add NAME --role admin`")
        return
    click.echo(f"{'username':<20} {'role':<7} {'school':<12} {'state':<9} created")
    for row in rows:
        state = "active" if row["active"] else "disabled"
        created = row["created_at"].strftime("%Y-%m-%d %H:%M") if row["created_at"] else ""
        click.echo(f"{row['username']:<20} {row['role']:<7} {row['school_code'] or '-':<12} {state:<9} {created}")


def _set_active(username: str, active: bool) -> None:
    from sync import audit
    from sync.accounts import set_active

    engine = store_engine()
    set_active(engine, username, active)
    audit.record(engine, operator(), "users", None, {"change": "enable" if active else "disable", "username": username})
    click.echo(f"{username} {'enabled' if active else 'disabled'}")


@users.command("disable", short_help="停用帳戶 / stop an account logging in")
@click.argument("username")
def users_disable(username: str) -> None:
    """Stop an account from logging in (its sessions end at their next request)."""
    _set_active(username, False)


@users.command("enable", short_help="啟用帳戶 / let it log in again")
@click.argument("username")
def users_enable(username: str) -> None:
    """Let a disabled account log in again."""
    _set_active(username, True)


@users.command("reset-password", short_help="重設密碼 / give a new password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the new password from standard input")
def users_reset_password(username: str, password_stdin: bool) -> None:
    """Give an account a new password."""
    from sync import audit
    from sync.accounts import account_exists, set_password

    engine = store_engine()
    if not account_exists(engine, username):  # before the password is asked for, not after
        raise UserError(f"there is no user {username!r}; `safeschool users list` shows them",
                        zh=f"沒有賬號「{username}」;safeschool users list 列出所有賬號")
    set_password(engine, username, _read_password(password_stdin))
    audit.record(engine, operator(), "users", None, {"change": "reset-password", "username": username})
    click.echo(f"password of {username} changed")


@click.command("export", short_help="匯出通報（Excel/Word/CSV）或一校的指標表 / write the circular")
@click.option("--year", type=int, required=True, help="the evaluation year")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "docx", "csv"]), required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="file to write")
@click.option("--draft", is_flag=True, help="export the current draft (marked 草稿) instead of the published results")
@click.option("--school", "school_code", help="one school's own indicator table instead of the circular (xlsx or csv)")
def export(year: int, fmt: str, out: Path, draft: bool, school_code: str | None) -> None:
    """Write the circular (通報) of a year, or one school's indicator table."""
    from dashboard import audit, exports
    from dashboard.downloads import circular_file, school_export
    from sync.cli_scores import plausible_year
    from sync.settings import PLACEHOLDER_ISSUER, get_file_config

    plausible_year(year)
    if out.suffix.lower() != f".{fmt}" and out.parent != Path("/dev"):  # /dev/stdout: a stream, not a file name
        # --out safeschool.db would overwrite the store; a Word file named .xlsx opens as nothing
        raise UserError(f"--out must be a .{fmt} file for --format {fmt}, not {out.name!r}; "
                        f"e.g. --out 通報{year}.{fmt}",
                        zh=f"--format {fmt} 的輸出文件應以 .{fmt} 結尾(不是「{out.name}」)，如 --out 通報{year}.{fmt}")
    if school_code is not None:
        # --school "" (an empty variable in a script) wrote the whole county's circular; " 1001" is 1001.
        school_code = school_code.strip()
        if not school_code:
            raise UserError("--school needs a school code (e.g. --school 1410200001); leave --school out for the "
                            "circular", zh="--school 後面要寫學校代碼（如 --school 1410200001）；導出通報請不要加 --school")
    engine = store_engine()
    kept = ""  # where a published circular comes from: kept at publication, or made now
    if school_code:
        if fmt == "docx":
            raise UserError("a school's indicator table is exported as xlsx or csv, not docx",
                            zh="學校的指標表只能導出為 xlsx 或 csv，不能導出為 docx")
        result, circular = school_export(engine, year, school_code, draft)
        data = exports.school_bytes(result, year, draft, fmt, circular)
        what = f"the {year} indicator table of {school_code}"
    else:
        made = circular_file(engine, year, draft, fmt)
        if not made.schools:
            raise UserError(f"{year} has no {'draft ' if draft else ''}results to export; sync the schools' "
                            f"workbooks for {year} first (`safeschool score --year {year}` shows what there is)",
                            zh=f"{year} 年度沒有可導出的{'草稿' if draft else ''}結果，請先同步學校工作簿")
        data = made.data
        what = f"the {year} circular ({made.schools} schools)"
        if made.kept is not None:  # the very file circulated: signed as it was then, whatever the configuration says now
            kept = (f": the file kept when version {made.kept['version']} was published on "
                    f"{made.kept['published_at']:%Y-%m-%d}, as it was circulated")
        elif not draft:
            kept = (": made now from the frozen results (published by an earlier version of safeschool, which kept no "
                    "files; totals, grades and ranks as published, the layout may differ from the files sent out then)")
        if made.kept is None and get_file_config().circular.issuer == PLACEHOLDER_ISSUER:  # nobody should circulate it so
            click.echo(f"注意：發文單位仍是「{PLACEHOLDER_ISSUER}」；請在配置文件的 [circular] 中寫明 issuer / note: the "
                       "issuer is still the placeholder; set [circular] issuer in the configuration", err=True)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as err:
        raise UserError(f"cannot write {out}: {err.strerror}", zh=f"無法寫入 {out}({err.strerror})") from None
    audit.record(engine, operator(), "export", school_code,
                 {"what": "school" if school_code else "circular", "year": year, "format": fmt, "draft": draft,
                  "file": str(out), **({} if school_code else {"kept": made.kept is not None})})
    click.echo(f"wrote {what}{' (draft)' if draft else ''} to {out}{kept}")


def ensure_demo_accounts(engine) -> list[tuple[str, str, str, str | None]]:
    """The demo's accounts, created where missing: (username, password, role, school; password None for
    an account of that name whose password is not the demo's, which is left as it is: `admin` on a real
    store is never given the demo's public password, nor enabled again)."""
    from sync.accounts import create_user, has_password, set_active

    existing = _usernames(engine)
    out = []
    for username, password, role, school in _demo_wanted(engine):
        if username not in existing:
            create_user(engine, username, password, role, school)
        elif has_password(engine, username, password):
            set_active(engine, username, True)
        else:
            password = None
        out.append((username, password, role, school))
    return out


def _demo_wanted(engine) -> list[tuple[str, str, str, str | None]]:
    """The demo's log-ins: (username, password, role, school)."""
    from sync.store import records

    registry = records["registry"]
    with engine.connect() as conn:
        schools = [row[0] for row in conn.execute(
            select(registry.c.school_code).distinct().order_by(registry.c.school_code).limit(DEMO_SCHOOL_ACCOUNTS))]
    # One of them sends its workbook through the dashboard (the demo puts every fourth in uploads/), so
    # the upload page can be tried; the others keep theirs in the shared folder.
    uploading = sorted(_uploading_schools(engine))
    if schools and uploading and not set(uploading) & set(schools):
        schools = schools[:-1] + uploading[:1]
    wanted = [(name, password, role, None) for name, password, role in DEMO_ACCOUNTS]
    return wanted + [(code, DEMO_SCHOOL_PASSWORD, "school", code) for code in schools]


def _usernames(engine) -> set[str]:
    from sync.store import users as users_table

    with engine.connect() as conn:
        return {row[0] for row in conn.execute(select(users_table.c.username))}


def _accounts_of_its_own(engine) -> list[str]:
    """Accounts that are not the demo's own with the demo's password: any other name, and a demo name (admin,
    a school's code) given a password of its own (a review: `admin` with the bureau's password let the
    demo's leader and school log-ins in beside it)."""
    from sync.accounts import has_password

    demo = {username: password for username, password, _role, _school in _demo_wanted(engine)}
    return sorted(name for name in _usernames(engine)
                  if name not in demo or not has_password(engine, name, demo[name]))


def _uploading_schools(engine) -> set[str]:
    from sync.store import sources

    with engine.connect() as conn:
        return set(conn.execute(select(sources.c.school_code).where(
            sources.c.source_key.like("file:uploads/%"), sources.c.school_code.is_not(None))).scalars())


@click.command("demo-accounts", short_help="建立演示帳戶 / create the demo's log-ins")
def demo_accounts() -> None:
    """Create the demo's log-ins (admin, leader, three schools) where missing; an account of that name with
    another password is left as it is."""
    engine = store_engine()
    others = _accounts_of_its_own(engine)
    if others:
        # The demo's passwords are public (README, this output): on a real store `admin` / admin-demo-2026 was
        # created beside the bureau's own admins (a deployment audit).
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise UserError(f"this store has accounts of its own ({shown}): the demo's log-ins, whose passwords are "
                        "public, are not made beside them; add accounts with `safeschool users add`",
                        zh=f"這個數據庫已有自己的賬號（{'、'.join(others[:5])}{'等' if len(others) > 5 else ''}）："
                           "演示賬號的密碼是公開的，不會建在它們旁邊；請用 `safeschool users add` 添加賬號")
    wanted = ensure_demo_accounts(engine)
    click.echo("demo accounts (for `make demo` only; never on a real server):")
    uploading = _uploading_schools(engine)
    for username, password, role, school in wanted:
        how = "; sends its workbook on the upload page" if school in uploading else ""
        shown = password or "(kept: this account has its own password, not the demo's)"
        click.echo(f"  {role:<7} {username:<12} {shown}{'  (' + school + how + ')' if school else ''}")
    if len(wanted) == len(DEMO_ACCOUNTS):
        click.echo("  (no school accounts: the registry is empty; sync the bureau workbook, then run this again)")


commands = [users, export, demo_accounts]
