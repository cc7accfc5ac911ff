"""Alembic environment: the store's metadata, the connection handed in by sync.migrate."""

from alembic import context

from sync.store import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from sync.store import make_engine

        connectable = make_engine(config.get_main_option("sqlalchemy.url"))
        with connectable.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
