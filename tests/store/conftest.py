"""Fixtures for the store's tests: a store on a temporary data dir, and raw SQL access to its file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from flowdesk.store import DB_FILENAME, Store

WS = "Default"


@pytest.fixture()
def open_store(data_dir: Path) -> Iterator[Callable[..., Store]]:
    """``open_store(**kwargs)`` opens a store on ``data_dir``; every store opened is closed after the test."""
    opened: list[Store] = []

    def _open(folder: Path | None = None, **kwargs: object) -> Store:
        store = Store.open(folder or data_dir, **kwargs)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture()
def store(open_store: Callable[..., Store]) -> Store:
    """An open store with the workspace ``Default``."""
    opened = open_store()
    opened.ensure_workspace(WS)
    return opened


@pytest.fixture()
def sql(data_dir: Path) -> Callable[..., list[tuple[object, ...]]]:
    """``sql(statement, params)`` runs one statement on the store's file through a separate sqlite3 connection
    (committed at once), the way another program -- or an attacker with the file -- would."""

    def run(statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with closing(sqlite3.connect(data_dir / DB_FILENAME, timeout=10)) as connection, connection:
            return connection.execute(statement, params).fetchall()

    return run
