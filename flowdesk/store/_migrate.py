"""Bringing a database file to the current schema, cheaply when it already is.

The CLI opens the store on every command, so the common case -- the file is at :data:`HEAD_REVISION` -- costs
one ``SELECT`` and never imports Alembic. Otherwise the file is copied aside (``flowdesk.db.bak-<rev>``, with
SQLite's online backup, so a WAL file's committed pages are included), and the upgrade runs as one
``BEGIN IMMEDIATE`` transaction on a connection with foreign keys off (a batch migration recreating a parent
table would otherwise delete every child row through ``ON DELETE CASCADE``). ``PRAGMA foreign_key_check``
must come back empty before that transaction commits.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from flowdesk.model.errors import OperationalError
from flowdesk.store._engine import WRITE, make_engine

HEAD_REVISION = "0003"
"""The newest revision under ``migrations/versions`` (a test checks they agree)."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def current_revision(connection: Connection) -> str | None:
    """The revision the file is at; ``None`` for a new (or empty) file."""
    try:
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    except SQLAlchemyError as exc:
        if "no such table" in str(getattr(exc, "orig", exc)):
            connection.rollback()
            return None
        raise
    return None if row is None else str(row[0])


def ensure_schema(engine: Engine, db_path: Path) -> bool:
    """Upgrade the file behind ``engine`` to :data:`HEAD_REVISION` if needed; ``True`` when it migrated.

    Raises:
        OperationalError: the file is not a flowdesk database, was written by a newer flowdesk, or the
            upgrade failed (the file is then unchanged and a copy of it is next to it).
    """
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
            has_tables = revision is not None or _has_tables(connection)
    except SQLAlchemyError as exc:
        raise OperationalError(
            f"{db_path} cannot be opened as a flowdesk database: {getattr(exc, 'orig', exc)}",
            hint="move the file aside (flowdesk then starts with an empty store) or point --data-dir elsewhere",
        ) from exc
    if revision == HEAD_REVISION:
        return False
    backup = None
    if has_tables:
        backup = db_path.with_name(f"{db_path.name}.bak-{revision or 'none'}")
        _backup(db_path, backup)
    _upgrade(db_path, backup)
    return True


def _has_tables(connection: Connection) -> bool:
    row = connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'").first()
    connection.rollback()
    return bool(row and row[0])


def _backup(db_path: Path, backup: Path) -> None:
    source = sqlite3.connect(db_path)
    try:
        target = sqlite3.connect(backup)
        try:
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise OperationalError(
            f"could not copy {db_path} to {backup} before upgrading it: {exc}; nothing was changed",
            hint="check the free disk space and the folder's permissions",
        ) from exc
    finally:
        source.close()


def _upgrade(db_path: Path, backup: Path | None) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    kept = f" (a copy from before the upgrade is {backup})" if backup else ""
    engine = make_engine(db_path, foreign_keys=False)
    try:
        with engine.connect().execution_options(**{WRITE: True}) as connection, connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
            if broken:
                tables = sorted({str(row[0]) for row in broken})
                raise OperationalError(
                    f"upgrading {db_path} would leave rows pointing at missing rows in {', '.join(tables)}; "
                    f"nothing was changed{kept}",
                    hint="report this as a flowdesk bug, with the flowdesk version",
                )
    except CommandError as exc:
        raise OperationalError(
            f"{db_path} is at a database revision this flowdesk does not know ({exc}); nothing was changed{kept}",
            hint="it was probably written by a newer flowdesk: upgrade flowdesk",
        ) from exc
    except SQLAlchemyError as exc:
        raise OperationalError(
            f"upgrading {db_path} failed: {getattr(exc, 'orig', exc)}; nothing was changed{kept}",
            hint="close other flowdesk windows and commands using this data dir and try again",
        ) from exc
    finally:
        engine.dispose()
