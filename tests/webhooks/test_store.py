"""Webhooks in the store: sealed secrets (never readable in the data dir), names and styles checked, the
schedule state's compare-and-set, and the migration that adds the tables to an existing database."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from flowdesk.model.errors import ConflictError, NotFoundError, SecretStoreError, UserError
from flowdesk.store import DB_FILENAME, Store
from flowdesk.store._engine import WRITE, make_engine
from flowdesk.store._migrate import HEAD_REVISION, MIGRATIONS_DIR
from flowdesk.workspace import Workspace

from .conftest import SECRET


def files_containing(folder: Path, secret: str) -> list[str]:
    files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
    return [str(p.relative_to(folder)) for p in files if secret.encode() in p.read_bytes()]


async def test_a_webhook_secret_is_never_readable_in_the_data_dir(data_dir, workspace, memory_keyring):
    workspace.add_webhook("orders", "github", secret=SECRET)
    workspace.add_webhook("orders", "stripe", secret=SECRET + "-rotated", replace=True)
    workspace.flush()

    assert workspace.webhook_secret("orders") == SECRET + "-rotated"
    assert files_containing(data_dir, SECRET) == []
    assert not any(SECRET in value for value in memory_keyring.entries.values()), "the keychain holds only the key"
    audit = workspace.store.list_audit(workspace.name)
    assert [(a.action, a.target, a.detail) for a in audit][:2] == [
        ("webhook.replace", "orders", {"style": "stripe"}),
        ("webhook.add", "orders", {"style": "github"}),
    ]
    (info,) = workspace.list_webhooks()
    assert (info.name, info.style) == ("orders", "stripe") and SECRET not in repr(info)


async def test_webhook_names_styles_and_duplicates_are_checked(workspace):
    with pytest.raises(UserError, match="cannot be a webhook name"):
        workspace.add_webhook("has/slash", "generic", secret="x")
    with pytest.raises(UserError, match="styles: generic, github, stripe, shopify"):
        workspace.add_webhook("ok", "paypal", secret="x")
    with pytest.raises(UserError, match="needs a signing secret"):
        workspace.add_webhook("ok", "generic", secret="")
    workspace.add_webhook("ok", "generic", secret="x")
    with pytest.raises(ConflictError, match="already has a webhook 'ok'"):
        workspace.add_webhook("ok", "generic", secret="y")


async def test_removing_a_webhook_forgets_its_secret(workspace, data_dir):
    workspace.add_webhook("orders", "generic", secret=SECRET)
    workspace.remove_webhook("orders")
    with pytest.raises(NotFoundError, match="there is no webhook 'orders'"):
        workspace.webhook_secret("orders")
    with closing(sqlite3.connect(data_dir / DB_FILENAME)) as raw:
        assert raw.execute("SELECT count(*) FROM secrets").fetchone()[0] == 0
    with pytest.raises(NotFoundError, match="webhooks: none"):
        workspace.remove_webhook("orders")


async def test_an_env_secret_ref_reads_the_environment(workspace, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET_FOR_TEST", "from-env")
    assert workspace.webhook_secret("env:HOOK_SECRET_FOR_TEST") == "from-env"
    with pytest.raises(NotFoundError, match=r"'NOT_SET_ANYWHERE' .* is not set"):
        workspace.webhook_secret("env:NOT_SET_ANYWHERE")


async def test_a_secret_row_moved_to_another_webhook_does_not_open(workspace, data_dir):
    workspace.add_webhook("a", "generic", secret="secret-of-a")
    workspace.add_webhook("b", "generic", secret="secret-of-b")
    with closing(sqlite3.connect(data_dir / DB_FILENAME)) as raw, raw:
        ids = dict(raw.execute("SELECT name, id FROM webhooks"))
        raw.execute("DELETE FROM secrets WHERE webhook_id = ?", (ids["b"],))
        raw.execute("UPDATE secrets SET webhook_id = ? WHERE webhook_id = ?", (ids["b"], ids["a"]))
    with pytest.raises(SecretStoreError, match="secret of webhook 'b' cannot be opened"):
        workspace.webhook_secret("b")


async def test_claiming_a_schedule_time_is_a_compare_and_set(workspace):
    store, ws = workspace.store, workspace.name
    assert store.claim_schedule(ws, "f", "t", expected=None, last_fired_at=100.0)
    assert not store.claim_schedule(ws, "f", "t", expected=None, last_fired_at=200.0), "someone else's is there"
    assert store.claim_schedule(ws, "f", "t", expected=100.0, last_fired_at=200.0)
    assert not store.claim_schedule(ws, "f", "t", expected=100.0, last_fired_at=300.0), "already advanced"
    assert store.schedule_state(ws) == {("f", "t"): 200.0}


# --- migration ---------------------------------------------------------------------------------------


def _database_at_0001(db_path: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    engine = make_engine(db_path, foreign_keys=False)
    try:
        with engine.connect().execution_options(**{WRITE: True}) as connection, connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
    finally:
        engine.dispose()


def test_the_migration_upgrades_a_0001_database_with_its_data_intact(data_dir):
    db_path = data_dir / DB_FILENAME
    _database_at_0001(db_path)
    with closing(sqlite3.connect(db_path)) as raw, raw:
        raw.execute("INSERT INTO workspaces (id, uuid, name, created_at) VALUES (1, 'u-1', 'Default', 1.0)")
        raw.execute(
            "INSERT INTO connections (id, workspace_id, name, service, data, created_at, updated_at) "
            "VALUES (1, 1, 'crm', 'rest', '{\"name\": \"crm\", \"base_url\": \"https://x.test\"}', 1.0, 1.0)"
        )
        raw.execute(
            "INSERT INTO secrets (id, workspace_id, owner_kind, connection_id, field, nonce, ciphertext) "
            "VALUES (1, 1, 'connection', 1, 'auth.token', x'00112233', x'deadbeef')"
        )
        raw.execute(
            "INSERT INTO flows (id, workspace_id, name, data, created_at, updated_at) "
            "VALUES (1, 1, 'sync', '{\"name\": \"sync\", \"nodes\": []}', 1.0, 1.0)"
        )
        raw.execute(
            "INSERT INTO runs (id, workspace_id, flow_name, trigger, status, started_at) "
            "VALUES ('r-1', 1, 'sync', 'manual', 'succeeded', 1.0)"
        )
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)

    store = Store.open(data_dir)
    try:
        with closing(sqlite3.connect(db_path)) as raw:
            assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD_REVISION,)
            assert raw.execute(
                "SELECT id, owner_kind, connection_id, webhook_id, field, nonce, ciphertext FROM secrets"
            ).fetchall() == [(1, "connection", 1, None, "auth.token", b"\x00\x11\x22\x33", b"\xde\xad\xbe\xef")]
            assert raw.execute("SELECT name FROM connections").fetchall() == [("crm",)]
            assert raw.execute("SELECT id, status FROM runs").fetchall() == [("r-1", "succeeded")]
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        assert [f.name for f in store.list_flows("Default")] == ["sync"]
        assert (data_dir / f"{DB_FILENAME}.bak-0001").is_file(), "the file was copied aside before upgrading"
    finally:
        store.close()

    ws = Workspace.open(data_dir, user="tester")
    try:
        ws.add_webhook("orders", "generic", secret=SECRET)
        assert ws.webhook_secret("orders") == SECRET
    finally:
        ws.close()


async def test_roles_guard_webhooks_and_schedules(data_dir, workspace):
    from flowdesk.model.errors import NotPermittedError

    workspace.add_member("vera", "viewer")
    workspace.add_member("ed", "editor")
    workspace.add_webhook("orders", "generic", secret=SECRET)
    viewer = Workspace.open(data_dir, user="vera")
    editor = Workspace.open(data_dir, user="ed")
    try:
        assert [h.name for h in viewer.list_webhooks()] == ["orders"] and viewer.schedules() == []
        for attempt in (
            lambda: viewer.add_webhook("more", "generic", secret="x"),
            lambda: viewer.remove_webhook("orders"),
            lambda: viewer.webhook_secret("orders"),
            lambda: viewer.webhook_receiver("127.0.0.1", 0),
            lambda: editor.add_webhook("more", "generic", secret="x"),
            lambda: editor.remove_webhook("orders"),
        ):
            with pytest.raises(NotPermittedError, match="permission denied"):
                attempt()
        with pytest.raises(NotPermittedError, match="running scheduled flows"):
            await viewer.serve_schedules()
        assert editor.webhook_secret("orders") == SECRET, "an editor's flows may sign with it"
    finally:
        await viewer.aclose()
        await editor.aclose()
