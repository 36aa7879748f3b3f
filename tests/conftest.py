"""Fixtures every test shares: an in-memory keychain of the test's own and offscreen Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import keyring.backend
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keychain that lives and dies with one test; never the OS one."""

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets an empty in-memory keychain; the OS keychain is never touched."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture()
def data_dir(tmp_path):  # type: ignore[no-untyped-def]
    """A fresh flowdesk data directory."""
    path = tmp_path / "data"
    path.mkdir()
    return path


class ServerThread:
    """A demo API server on 127.0.0.1 running on its own loop in a thread (real sockets)."""

    def __init__(self, *, clock: object = None, **config: object) -> None:
        import asyncio
        import threading

        from flowdesk.demo import DemoConfig, DemoServer

        self._loop = asyncio.new_event_loop()
        timing = {"clock": clock} if clock is not None else {}
        self._server = DemoServer(DemoConfig(**config), **timing)  # type: ignore[arg-type]
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.base_url: str = asyncio.run_coroutine_threadsafe(self._server.start(), self._loop).result(30)
        self.config = self._server.config if hasattr(self._server, "config") else None

    @property
    def stats(self):  # type: ignore[no-untyped-def]
        """What the server has answered so far (``DemoStats``: requests, token_requests, rate_limited …)."""
        return self._server.stats

    def stop(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()


@pytest.fixture()
def demo_server() -> Iterator[ServerThread]:
    """The bundled demo API, fresh for each test."""
    server = ServerThread()
    yield server
    server.stop()


@pytest.fixture()
def demo_server_factory() -> Iterator[object]:
    """Start demo servers with a given configuration (error rate, token lifetime …)."""
    started: list[ServerThread] = []

    def start(**config: object) -> ServerThread:
        server = ServerThread(**config)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``packaging`` build the frozen app (minutes): they run only with ``-m packaging``."""
    if "packaging" in (config.getoption("markexpr", "") or ""):
        return
    skip = pytest.mark.skip(reason="builds the frozen app: run with -m packaging")
    for item in items:
        if "packaging" in item.keywords:
            item.add_marker(skip)
