"""Demo API servers on 127.0.0.1 (real sockets) with a clock the test moves, and clients to call them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from flowdesk.demo import DemoConfig, DemoServer

API_KEY = {"X-API-Key": "demo-key"}


class FakeClock:
    """Monotonic seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
async def start(clock: FakeClock) -> AsyncIterator[Callable[..., Awaitable[DemoServer]]]:
    """Start a demo server with the given DemoConfig fields, on the fake clock; stopped after the test."""
    servers: list[DemoServer] = []

    async def starter(**config: object) -> DemoServer:
        server = DemoServer(DemoConfig(**config), clock=clock)  # type: ignore[arg-type]
        await server.start()
        servers.append(server)
        return server

    yield starter
    for server in servers:
        await server.stop()


@pytest.fixture()
async def server(start: Callable[..., Awaitable[DemoServer]]) -> DemoServer:
    return await start()


@pytest.fixture()
async def api(server: DemoServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the default server's /api with the API key."""
    async with httpx.AsyncClient(base_url=f"{server.base_url}/api", headers=API_KEY) as client:
        yield client


@pytest.fixture()
async def anonymous(server: DemoServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the default server without credentials (base URL: the server root)."""
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        yield client
