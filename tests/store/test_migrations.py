"""The database file: created at the newest revision, reopened safely, refused when it is not ours."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String

from flowdesk.model.errors import OperationalError
from flowdesk.store import DB_FILENAME
from flowdesk.store._migrate import HEAD_REVISION, MIGRATIONS_DIR
from flowdesk.store._schema import metadata

from .conftest import WS
from .helpers import connection, secret


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return ScriptDirectory.from_config(config)


def _file_revision(db_path) -> str:  # type: ignore[no-untyped-def]
    with closing(sqlite3.connect(db_path)) as raw:
        return str(raw.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_a_fresh_data_dir_gets_a_database_at_the_newest_revision(open_store, data_dir):
    open_store()

    assert (data_dir / DB_FILENAME).is_file()
    assert _file_revision(data_dir / DB_FILENAME) == HEAD_REVISION
    assert not list(data_dir.glob("*.bak-*")), "a new file has nothing to back up"


def test_opening_the_same_file_again_keeps_everything(open_store, data_dir):
    first = open_store()
    first.ensure_workspace(WS)
    first.add_connection(WS, connection("crm", auth={"type": "bearer", "token": "tok-kept-across-opens"}))
    first.save_flow(WS, "sync", {"name": "sync", "nodes": []})
    first.close()

    second = open_store()
    third = open_store()  # while the second is still open

    for store in (second, third):
        assert [w.name for w in store.list_workspaces()] == [WS]
        assert secret(store.get_connection(WS, "crm").auth.token) == "tok-kept-across-opens"
        assert [f.name for f in store.list_flows(WS)] == ["sync"]
    assert _file_revision(data_dir / DB_FILENAME) == HEAD_REVISION
    assert not list(data_dir.glob("*.bak-*")), "a file already at the newest revision is not migrated again"


def test_migrations_build_exactly_the_schema_the_code_declares(store):
    with store._engine.connect() as raw:
        context = MigrationContext.configure(raw, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == [], "the tables in _schema.py changed without a migration under migrations/versions"


def test_the_schema_comparison_would_notice_a_model_change_without_a_migration(store):
    changed = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["connections"].append_column(Column("colour", String(20), nullable=True))

    with store._engine.connect() as raw:
        differences = compare_metadata(MigrationContext.configure(raw), changed)

    assert [(d[0], d[2], d[3].name) for d in differences] == [("add_column", "connections", "colour")]


def test_head_revision_is_the_newest_migration_file():
    scripts = _scripts()

    assert scripts.get_heads() == [HEAD_REVISION], "one head, and _migrate.HEAD_REVISION names it"
    revisions = list(scripts.walk_revisions())
    assert revisions[0].revision == HEAD_REVISION
    newest_file = max(MIGRATIONS_DIR.joinpath("versions").glob("*.py"), key=lambda p: p.name)
    assert newest_file.name.startswith(f"{HEAD_REVISION}_")


def test_wal_journal_foreign_keys_and_busy_timeout_are_on(store, data_dir):
    with closing(sqlite3.connect(data_dir / DB_FILENAME)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # a property of the file
    with store._engine.connect() as connection_:  # per-connection settings: ask the store's own connection
        assert connection_.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection_.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_a_file_that_is_not_a_database_is_an_operational_error_naming_it(open_store, data_dir):
    db_path = data_dir / DB_FILENAME
    garbage = b"these are my holiday notes, not a database\n" * 200
    db_path.write_bytes(garbage)

    with pytest.raises(OperationalError) as caught:
        open_store()

    assert str(db_path) in caught.value.message
    assert "not a database" in caught.value.message
    assert db_path.read_bytes() == garbage, "the file is left as it was"


def test_a_file_from_a_newer_flowdesk_is_refused_and_left_unchanged(open_store, data_dir, sql):
    first = open_store()
    first.ensure_workspace(WS)
    first.add_connection(WS, connection("crm"))
    first.close()
    sql("UPDATE alembic_version SET version_num = '9999'")
    db_path = data_dir / DB_FILENAME
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()

    with pytest.raises(OperationalError) as caught:
        open_store()

    message = caught.value.message
    assert str(db_path) in message
    assert "9999" in message
    assert "does not know" in message
    assert "nothing was changed" in message
    assert "newer flowdesk" in (caught.value.hint or "")
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert _file_revision(db_path) == "9999"
    assert sql("SELECT name FROM connections") == [("crm",)]
