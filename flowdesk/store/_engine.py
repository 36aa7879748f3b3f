"""The SQLAlchemy engine: SQLite pragmas, and transactions that really are transactions.

Python's ``sqlite3`` driver (3.11) opens transactions implicitly and only before DML, so DDL and reads run
outside any transaction and ``BEGIN`` is never ``IMMEDIATE``. Following SQLAlchemy's documented recipe the
driver is put in autocommit mode and SQLAlchemy's ``begin`` event emits ``BEGIN`` itself. Write transactions ask
for ``BEGIN IMMEDIATE`` (execution option :data:`WRITE`): taking the write lock up front lets
``busy_timeout`` wait for another process instead of failing when a read transaction later tries to write.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import ConnectionPoolEntry

WRITE = "flowdesk_write"
"""Execution option: begin the transaction with ``BEGIN IMMEDIATE``."""

BUSY_TIMEOUT_MS = 5000


def _json_dumps(value: Any) -> str:
    # default=str: a run sample may hold a value JSON has no type for (a datetime); store its text.
    return json.dumps(value, ensure_ascii=False, default=str)


def make_engine(db_path: Path, *, foreign_keys: bool = True) -> Engine:
    """An engine on ``db_path`` with WAL, ``synchronous=NORMAL``, foreign keys and a busy timeout.

    ``foreign_keys=False`` is for migrations only: a batch migration recreates tables, and with foreign keys
    on, dropping a parent table would delete every child row through ``ON DELETE CASCADE``.
    """
    engine = create_engine(f"sqlite:///{db_path}", json_serializer=_json_dumps)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see the module docstring)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
