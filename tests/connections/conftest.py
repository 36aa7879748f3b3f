"""Shared helpers for the connection runtime's tests: fake time, connections, clients on respx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowdesk.connections import ConnectionClient
from flowdesk.model import Connection

BASE = "https://api.example.com/v1"


class FakeTime:
    """A clock that only moves when something sleeps; every sleep is recorded."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture()
def fake_time() -> FakeTime:
    return FakeTime()


def make_connection(**overrides: Any) -> Connection:
    data: dict[str, Any] = {"name": "crm", "base_url": BASE}
    data.update(overrides)
    return Connection.model_validate(data)


@pytest.fixture()
def events() -> list[Any]:
    return []


@pytest.fixture()
def client_for(fake_time: FakeTime, events: list[Any]):  # type: ignore[no-untyped-def]
    """``client_for(connection, **kwargs)``: a client on httpx's transport (which respx intercepts)."""

    def factory(connection: Connection | None = None, **kwargs: Any) -> ConnectionClient:
        kwargs.setdefault("transport", httpx.AsyncHTTPTransport())
        kwargs.setdefault("on_event", events.append)
        kwargs.setdefault("sleep", fake_time.sleep)
        kwargs.setdefault("clock", fake_time.clock)
        client = ConnectionClient(connection or make_connection(), **kwargs)
        return client

    return factory  # each test opens its clients with ``async with``
