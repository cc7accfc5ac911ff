"""The `safeschool` command.

Each family of commands lives beside the code it drives (cli_setup, cli_sync,
cli_scores, cli_admin); this module only gathers them and turns the errors a
user can cause into one readable line and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from sync.errors import UserError
from sync.settings import ConfigError, get_file_config, get_settings


class SafeschoolGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ConfigError, UserError) as err:
            click.echo(f"safeschool: {err}", err=True)
            sys.exit(2)
        except (OperationalError, ProgrammingError) as err:
            reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            click.echo(
                f"safeschool: the store cannot be used ({reason}). Check SAFESCHOOL_DATABASE_URL, "
                "and run `safeschool init` to create or upgrade it.",
                err=True,
            )
            sys.exit(2)


@click.group(cls=SafeschoolGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """safeschool: the county's annual school safety evaluation.

    Configuration comes from SAFESCHOOL_DATABASE_URL, SAFESCHOOL_INBOX and
    SAFESCHOOL_CONFIG (see README.md).
    """
    # Read (and so check) the whole configuration before any command runs:
    # a bad value stops here with one line, not halfway through a sync.
    get_settings()
    get_file_config()


def _register() -> None:
    from sync import cli_admin, cli_scores, cli_setup, cli_sync

    for module in (cli_setup, cli_sync, cli_scores, cli_admin):
        for command in module.commands:
            main.add_command(command)


_register()
