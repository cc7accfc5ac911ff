"""Setting up: init (create or upgrade the store), template, demo, serve."""

from __future__ import annotations

import click

from sync.settings import get_settings


@click.command()
def init() -> None:
    """Create the store, or upgrade it to the newest schema (keeps all data)."""
    from sync.migrate import current_revision, upgrade
    from sync.store import get_engine

    engine = get_engine()
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    where = get_settings().store_url
    if before == after:
        click.echo(f"store is up to date (schema {after}) at {where}")
    else:
        click.echo(f"store upgraded from {before or 'empty'} to schema {after} at {where}")


commands = [init]
