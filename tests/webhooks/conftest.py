"""Fixtures for webhooks and schedules: a workspace on a temporary data dir, flows, a fake clock, a recorder of
triggered runs, and small aiohttp servers on 127.0.0.1 standing in for webhook receivers elsewhere."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from flowdesk.model.flow import Flow
from flowdesk.workspace import TriggeredRun, Workspace

SECRET = "whsec-test-5f1c0d9e8a7b"
"""A webhook secret no file of the data dir may ever contain readable."""


@pytest.fixture()
async def workspace(data_dir: Path) -> AsyncIterator[Workspace]:
    ws = Workspace.open(data_dir, user="tester")
    yield ws
    await ws.aclose()


def make_flow(name: str, nodes: list[dict[str, Any]], edges: Sequence[tuple[str, str]] = (), **extra: Any) -> Flow:
    """A flow from short node dicts (``{"id", "type", **config}``) and ``(source, target)`` pairs."""
    return Flow.model_validate(
        {
            "name": name,
            "nodes": [
                {"id": n["id"], "type": n["type"], "config": {k: v for k, v in n.items() if k not in ("id", "type")}}
                for n in nodes
            ],
            "edges": [{"source": s, "target": t} for s, t in edges],
            **extra,
        }
    )


def listening_flow(name: str, hook: str) -> Flow:
    """A webhook trigger on ``hook`` feeding a transform (so the run records what arrived)."""
    return make_flow(
        name,
        [{"id": "hook", "type": "trigger", "kind": "webhook", "hook": hook},
         {"id": "seen", "type": "transform", "set": {"seen": True}}],
        [("hook.out", "seen.in")],
    )


class Runs:
    """Collects finished triggered runs; ``await runs.wait(n)`` until ``n`` have finished (never sleeps)."""

    def __init__(self) -> None:
        self.finished: list[TriggeredRun] = []
        self._changed = asyncio.Event()

    def __call__(self, run: TriggeredRun) -> None:
        self.finished.append(run)
        self._changed.set()

    async def wait(self, count: int, timeout: float = 5.0) -> list[TriggeredRun]:
        async def reached() -> None:
            while len(self.finished) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reached(), timeout)
        return self.finished


@pytest.fixture()
def runs() -> Runs:
    return Runs()


class FakeClock:
    """Wall-clock time that only moves when the scheduler sleeps; it stops for good at ``stop_at``.

    ``stopped`` is set when the scheduler asks to sleep past ``stop_at`` (so a test knows the scheduler has
    done everything it would do before then).
    """

    def __init__(self, start: datetime, stop_at: datetime | None = None) -> None:
        self.current = start
        self.stop_at = stop_at
        self.stopped = asyncio.Event()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.current + timedelta(seconds=seconds)
        if self.stop_at is not None and target > self.stop_at:
            self.current = self.stop_at
            self.stopped.set()
            await asyncio.Event().wait()  # parked until the test cancels the scheduler
        self.current = target
        for _ in range(20):  # let started runs make progress, as real time would
            await asyncio.sleep(0)


def at(text: str) -> datetime:
    """``"2026-03-02 09:00"`` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture()
async def http_server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """``await http_server(handler)`` serves ``POST /{tail:.*}`` on 127.0.0.1 and returns its base URL."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST ``body`` and return ``(status, JSON answer)``."""
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers or {}) as answer:
        return answer.status, await answer.json(content_type=None)
