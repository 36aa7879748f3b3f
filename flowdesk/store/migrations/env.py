"""Alembic environment for the store, driven from code (:func:`flowdesk.store._migrate.upgrade`).

The caller hands over an open connection in ``config.attributes["connection"]`` -- already inside a
``BEGIN IMMEDIATE`` transaction, with foreign keys off -- so the whole upgrade is one transaction that the
caller commits only after ``PRAGMA foreign_key_check`` passed. Run by hand (``alembic -c ...``) without a
connection, it opens one on ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from flowdesk.store._schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: recreate-and-copy instead
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or pass a connection in config.attributes['connection']")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


_main()
