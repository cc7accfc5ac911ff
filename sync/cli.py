"""The `safeschool` command.

Each family of commands lives beside the code it drives (cli_setup, cli_sync,
cli_scores, cli_admin); this module only gathers them and turns the errors a
user can cause into one readable line and exit status 2, never a traceback.
"""

from __future__ import annotations

import re
import sys

import click
from sqlalchemy.exc import DBAPIError

from sync.errors import UserError, chinese_punctuation
from sync.settings import ConfigError, get_file_config, get_settings


class _NotRaised(Exception):
    """Matches nothing: alembic was never imported, so none of its errors can be on the way."""


def _alembic_command_error() -> type[Exception]:
    # Evaluated only as an error passes the except clause: every command started a quarter second slower
    # importing alembic for this one clause, though only `init` and the store's version check use it.
    errors = sys.modules.get("alembic.util.exc")
    return errors.CommandError if errors else _NotRaised


def _usage_zh(err: click.UsageError) -> str:
    """What kind of mistake click found in the command, in Chinese (its own line says which, in English)."""
    if isinstance(err, click.NoSuchOption):
        return "沒有這個選項"
    if isinstance(err, click.MissingParameter):
        return "缺少必須寫的參數"
    if isinstance(err, click.BadParameter):
        return "參數的值不對"
    return "命令寫法有誤"


class SafeschoolGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as err:  # click prints it with the usage line; Chinese first, as every mistake
            said = err.format_message()
            if "（見 --help） / " in said:  # a group inside a group passes it on once
                raise
            raise click.UsageError(f"{_usage_zh(err)}（見 --help） / {said}", ctx=err.ctx) from None
        except ConfigError as err:
            zh = f"：{err.zh}" if getattr(err, "zh", None) else ""
            _say(f"配置有誤{zh} / configuration: {err}")
            sys.exit(2)
        except UserError as err:
            # Chinese first where the error carries it (the bureau office's clerk reads Chinese first).
            said = f"{err.zh} / {err}" if err.zh and err.zh not in str(err) else str(err)
            _say(said)
            sys.exit(2)
        except DBAPIError as err:  # OperationalError, ProgrammingError, DatabaseError ...
            reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            advice, zh = "Check SAFESCHOOL_DATABASE_URL", ""
            if "not a database" in reason:
                advice += ": it names a file that is not a safeschool store"
            elif _no_such_database(err):  # the URL is right; the server has no such database yet (an audit)
                name = _store_database()
                advice = (f"The server has no database {name}: create it first (PostgreSQL: CREATE DATABASE "
                          f"\"{name}\"; MariaDB: CREATE DATABASE `{name}` CHARACTER SET utf8mb4), then run "
                          "`safeschool init`")
                zh = (f"：服務器上還沒有數據庫 {name}，請先建立(PostgreSQL:CREATE DATABASE \"{name}\";"
                      f"MariaDB:CREATE DATABASE `{name}` CHARACTER SET utf8mb4)，再運行 `safeschool init`")
            elif _cannot_write_sqlite(reason):
                folder = _store_folder()
                advice = (f"SQLite writes beside the store (its journal) even to read it: check that the user running "
                          f"safeschool may write the folder {folder} and the store in it")
                zh = f"：SQLite 即使只讀也要在數據庫旁寫日誌文件，請確認運行 safeschool 的用戶可以寫入文件夾 {folder} 及其中的數據庫"
            elif ctx.invoked_subcommand != "init" and _SCHEMA_MISSING.search(reason):
                # only where a table or a column is missing: a role that does not exist, a wrong password or a
                # server that does not answer were told to run init, which fails the same way (a config audit)
                advice += ", and run `safeschool init` to create or upgrade the store"
            _say(f"無法使用數據庫{zh} / the store cannot be used ({reason}). {advice}.")
            sys.exit(2)
        except _alembic_command_error() as err:  # a store of a newer safeschool than this one
            _say(f"數據庫版本比本程序新 / the store's schema is not one this version knows ({err}); "
                 "it was made by a "
                 "newer safeschool: run that version, or point SAFESCHOOL_DATABASE_URL at this version's store")
            sys.exit(2)
        except KeyboardInterrupt:  # Ctrl-C: click said only "Aborted!" (found by an audit)
            _say("已中斷；數據庫中每個來源仍是完整的舊記錄或新記錄（中斷的同步由下一次同步完成）/ "
                 "interrupted; each source in the store is wholly old or wholly new (a sync cut short is "
                 "finished by the next one)")
            sys.exit(130)
        except BrokenPipeError:  # `safeschool score ... | head`: the reader has what it wanted
            import contextlib
            import io
            import os

            with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):  # no second error at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as err:  # a lock file or an output in a folder the user may not write
            where = f" {err.filename}" if err.filename else ""
            _say(f"無權讀寫 / cannot use{where} ({err.strerror or err}); check that the user running "
                 "safeschool may read and write there")
            sys.exit(2)


def _say(message: str) -> None:
    """One line on stderr, `safeschool: 中文 / English`, the Chinese half punctuated as Chinese is written:
    many messages are made "中文 / English" in one string (the lock's, the store's schema), and their
    commas and colons stayed ASCII (found by a deployment audit)."""
    zh, sep, en = message.partition(" / ")
    if sep and _HAS_CHINESE.search(zh):
        message = f"{chinese_punctuation(zh)} / {en}"
    click.echo(f"safeschool: {message}", err=True)


_HAS_CHINESE = re.compile(r"[\u3400-\u9fff]")


_SCHEMA_MISSING = re.compile(r"no such (table|column)|(relation|column) .* does not exist|doesn't exist|unknown column",
                             re.IGNORECASE)


def _cannot_write_sqlite(reason: str) -> bool:
    return "unable to open database file" in reason or "readonly database" in reason


def _store_folder() -> str:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    database = make_url(get_settings().store_url).database or ""
    return str(Path(database).resolve().parent) if database else "?"


def _no_such_database(err: DBAPIError) -> bool:
    """Whether the store's server said it has no database of the URL's name (PostgreSQL's SQLSTATE 3D000,
    MariaDB's error 1049)."""
    orig = err.orig
    args = getattr(orig, "args", ())
    return getattr(orig, "sqlstate", None) == "3D000" or bool(args and args[0] == 1049) or (
        "database" in str(orig) and "does not exist" in str(orig))


def _store_database() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().store_url).database or ""


@click.group(cls=SafeschoolGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """safeschool：縣教育局年度學校安全考評 / the county's annual school safety evaluation.

    \b
    配置來自環境變量 SAFESCHOOL_DATABASE_URL、SAFESCHOOL_INBOX 和 SAFESCHOOL_CONFIG（見 README.md）。
    Configuration comes from SAFESCHOOL_DATABASE_URL, SAFESCHOOL_INBOX and
    SAFESCHOOL_CONFIG (see README.md).

    \b
    常用 / most used:
      safeschool sync --once           同步一次 / one sync now
      safeschool sync --check FILE     只檢查不導入 / check one workbook
      safeschool score --year 2026     各校得分 / every school's score
      safeschool publish --year 2026   發布結果 / freeze the results
      safeschool export --year 2026 --format docx --out 通報.docx
    """
    # Read (and so check) the whole configuration before any command runs:
    # a bad value stops here with one line, not halfway through a sync.  Not for a command's --help:
    # help is how the person finds out how to fix it (found by an audit).
    if {"-h", "--help"} & set(sys.argv[1:]):
        return
    get_settings()
    get_file_config()
    _warn_of_unknown_settings()


def _warn_of_unknown_settings() -> None:
    """A SAFESCHOOL_* variable that is no setting is ignored: said, with the one meant (SAFESCHOOL_DB was
    ignored without a word, and `init` made an SQLite store in ./data; found by an audit)."""
    import os

    from sync.settings import unknown_settings

    for name, meant in unknown_settings(os.environ):
        zh = f"（是否想寫 {meant}?）" if meant else ""
        en = f"; did you mean {meant}?" if meant else "; README lists the settings"
        click.echo(f"safeschool: 注意：環境變量 {name} 不是 safeschool 的設置，已忽略{zh} / note: {name} is not a "
                   f"setting of safeschool and is ignored{en}", err=True)


def _register() -> None:
    from sync import cli_admin, cli_scores, cli_setup, cli_sync

    for module in (cli_setup, cli_sync, cli_scores, cli_admin):
        for command in module.commands:
            main.add_command(command)


_register()
