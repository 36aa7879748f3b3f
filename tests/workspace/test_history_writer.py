"""Run history is written off the event loop, in batches, and completely: every call a run made is recorded,
in order, by the time the run is over."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

from flowdesk.demo import DemoConfig, DemoServer, demo_connection_data
from flowdesk.model import Connection
from flowdesk.model.flow import Flow


@pytest.fixture()
async def demo() -> AsyncIterator[DemoServer]:
    server = DemoServer(DemoConfig())
    await server.start()
    yield server
    await server.stop()


def _pages_flow() -> Flow:
    return Flow.model_validate(
        {
            "format": "flowdesk.flow",
            "version": 1,
            "name": "many-pages",
            "nodes": [
                {"id": "start", "type": "trigger"},
                {"id": "items", "type": "api_call",
                 "config": {"connection": "demo-crm", "entity": "list_items_cursor", "all_pages": True}},
            ],
            "edges": [{"source": "start.out", "target": "items.in"}],
        }
    )  # fmt: skip


async def test_history_batches_are_written_by_the_writer_thread_and_none_is_lost(open_ws, demo, monkeypatch) -> None:
    ws = open_ws()
    ws.add_connection(Connection.model_validate(demo_connection_data(demo.base_url)))
    writers: list[tuple[str, int]] = []
    record = ws.store.record_api_calls

    def spy(workspace: str, events: Any, **kwargs: Any) -> None:
        events = list(events)
        writers.append((threading.current_thread().name, len(events)))
        record(workspace, events, **kwargs)

    monkeypatch.setattr(ws.store, "record_api_calls", spy)
    result = await ws.run_flow(_pages_flow())
    assert result.ok, result.error

    detail = ws.get_run(result.run_id)
    pages = demo.stats.requests
    assert pages >= 1000  # 100,000 items: several batches of 500 calls
    assert len(detail.api_calls) == pages == sum(n for _, n in writers)  # every call recorded, once
    assert any(name.startswith("flowdesk-history") for name, _ in writers)  # batches left the loop's thread
    urls = [call.url for call in detail.api_calls]
    assert "cursor=" not in urls[0]  # in the order they were made: only the first page has no cursor
    assert all("cursor=" in url for url in urls[1:])
    await ws.aclose()
