"""Workspaces on a temporary data dir, and a demo OAuth provider on the test's loop (real 127.0.0.1 sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowdesk.demo import DemoConfig, DemoServer
from flowdesk.model import Connection
from flowdesk.workspace import Workspace

ADMIN = "alice"


@pytest.fixture()
def open_ws(data_dir: Path) -> Iterator[Callable[..., Workspace]]:
    """``open_ws(user)`` opens the Default workspace as ``user``; every one opened is closed after the test."""
    opened: list[Workspace] = []

    def _open(user: str = ADMIN, name: str = "Default") -> Workspace:
        ws = Workspace.open(data_dir, name, user=user)
        opened.append(ws)
        return ws

    yield _open
    for ws in opened:
        ws.store.close()


@pytest.fixture()
async def provider() -> AsyncIterator[DemoServer]:
    """The demo API as an OAuth provider with rotating refresh tokens."""
    server = DemoServer(DemoConfig(rotate_refresh_tokens=True))
    await server.start()
    yield server
    await server.stop()


def user_connection(base: str, name: str = "crm", **auth: Any) -> Connection:
    """An authorization-code connection to the demo provider (as a user writes it)."""
    return Connection.model_validate(
        {
            "name": name,
            "base_url": f"{base}/api",
            "auth": {
                "type": "oauth2",
                "grant": "authorization_code",
                "client_id": "demo-client",
                "client_secret": "demo-secret",
                "token_url": f"{base}/oauth/token",
                "authorize_url": f"{base}/oauth/authorize",
                "revocation_url": f"{base}/oauth/revoke",
                "scope": "crm",
                **auth,
            },
            "test_entity": "me",
            "retry": {"count": 0},
            "entities": [
                {"name": "me", "path": "/me"},
                {"name": "customers", "path": "/customers", "data_path": "$.data"},
            ],
        }
    )


async def browser(url: str) -> None:
    """A user approving the consent (the provider redirects to the loopback receiver)."""
    async with httpx.AsyncClient(follow_redirects=True) as client:
        await client.get(url)


def token_store(server: DemoServer) -> Any:
    """The demo provider's live tokens (``_access``, ``_refresh``) to check what it issued."""
    for resource in server._runner.app.router.resources():  # type: ignore[union-attr]
        if resource.canonical == "/oauth/token":
            for route in resource:
                return route.handler.__self__._tokens  # type: ignore[attr-defined]
    raise AssertionError("no /oauth/token route")


def files_containing(folder: Path, secrets: list[str]) -> dict[str, list[str]]:
    """``{file: [secrets found]}`` over every file under ``folder`` (database, -wal, -shm, vault …), as bytes."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            content = path.read_bytes()
            hits = [s for s in secrets if s.encode() in content]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found
