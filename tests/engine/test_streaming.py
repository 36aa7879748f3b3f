"""Streaming, bounded memory, error handling across nodes, and cancellation."""

from __future__ import annotations

import asyncio
import tracemalloc
from typing import Any

import pytest

from flowdesk.engine import FlowRunner
from flowdesk.model.events import ItemsEmitted

from .conftest import EVENTS, FakeProvider, make_flow, run, wait_for


def pages_to_sink() -> Any:
    return make_flow(
        [
            {"id": "start", "type": "trigger"},
            {"id": "fetch", "type": "api_call", "connection": "crm", "entity": "list_customers", "all_pages": True},
            {"id": "tidy", "type": "transform", "set": {"seen": True}},
        ],
        [("start.out", "fetch.in"), ("fetch.out", "tidy.in")],
    )


async def test_the_first_page_reaches_the_next_node_before_the_last_page_is_fetched(provider: FakeProvider) -> None:
    provider.client_.pages_of["list_customers"] = [[{"id": n}] for n in range(5)]
    first_page_downstream = asyncio.Event()

    def observe(event: Any) -> None:
        EVENTS.append(event)
        if isinstance(event, ItemsEmitted) and event.node_id == "tidy":
            first_page_downstream.set()

    async def before_page(entity: str, number: int) -> None:
        if number == 5:  # the last page waits until the first one has gone through the next node
            await asyncio.wait_for(first_page_downstream.wait(), 5)

    provider.client_.before_page = before_page
    result = await run(pages_to_sink(), provider, on_event=observe)
    assert result.ok and result.counts["tidy"]["out"] == 5
    tidy_first = next(i for i, e in enumerate(EVENTS) if isinstance(e, ItemsEmitted) and e.node_id == "tidy")
    fetch_last = [i for i, e in enumerate(EVENTS) if isinstance(e, ItemsEmitted) and e.node_id == "fetch"][-1]
    assert tidy_first < fetch_last


async def test_a_stalled_consumer_stops_the_producer_after_a_bounded_number_of_pages(provider: FakeProvider) -> None:
    provider.client_.pages_of["list_customers"] = [[{"id": n}] for n in range(1000)]
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await gate.wait()

    flow = make_flow(
        [
            {"id": "start", "type": "trigger"},
            {"id": "fetch", "type": "api_call", "connection": "crm", "entity": "list_customers", "all_pages": True},
            {"id": "slow", "type": "delay", "seconds": 1},
        ],
        [("start.out", "fetch.in"), ("fetch.out", "slow.in")],
    )
    task = asyncio.create_task(run(flow, provider, sleep=sleep, queue_batches=4))
    await wait_for(lambda: len(provider.client_.pages_fetched) >= 4)
    for _ in range(200):
        await asyncio.sleep(0)
    assert len(provider.client_.pages_fetched) <= 4 + 2  # the inbox (4 batches) + the one in hand + one blocked
    gate.set()
    result = await task
    assert result.ok and result.counts["slow"]["out"] == 1000


async def test_cancel_stops_every_node_promptly(provider: FakeProvider) -> None:
    started = asyncio.Event()

    async def before_page(entity: str, number: int) -> None:
        if number == 2:
            started.set()
            await asyncio.Event().wait()  # a server that never answers

    provider.client_.pages_of["list_customers"] = [[{"id": 1}], [{"id": 2}]]
    provider.client_.before_page = before_page
    runner = FlowRunner(pages_to_sink(), clients=provider, on_event=EVENTS.append)
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(started.wait(), 5)
    runner.cancel()
    result = await asyncio.wait_for(task, 5)
    assert result.status == "cancelled" and result.error == "cancelled"
    assert result.counts["fetch"]["out"] == 1
    assert EVENTS[-1].kind == "run_finished" and EVENTS[-1].status == "cancelled"
    assert all(t.done() for t in asyncio.all_tasks() if t.get_name().startswith("flowdesk node"))


async def test_cancelling_the_awaiting_task_reraises_after_stopping_the_nodes(provider: FakeProvider) -> None:
    started = asyncio.Event()

    async def before_page(entity: str, number: int) -> None:
        started.set()
        await asyncio.Event().wait()

    provider.client_.pages_of["list_customers"] = [[{"id": 1}]]
    provider.client_.before_page = before_page
    runner = FlowRunner(pages_to_sink(), clients=provider, on_event=EVENTS.append)
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the run should re-raise CancelledError")
    assert runner.result is not None and runner.result.status == "cancelled"
    assert EVENTS[-1].kind == "run_finished" and EVENTS[-1].status == "cancelled"
    assert all(t.done() for t in asyncio.all_tasks() if t.get_name().startswith("flowdesk node"))


async def test_cancel_before_the_run_starts(provider: FakeProvider) -> None:
    runner = FlowRunner(pages_to_sink(), clients=provider)
    runner.cancel()
    assert (await runner.run()).status == "cancelled"


async def test_a_failure_stops_the_other_branches(provider: FakeProvider) -> None:
    never = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await never.wait()

    flow = make_flow(
        [
            {"id": "start", "type": "trigger"},
            {"id": "forever", "type": "delay", "seconds": 100},
            {"id": "broken", "type": "transform", "set": {"x": "{nope}"}},
        ],
        [("start.out", "forever.in"), ("start.out", "broken.in")],
    )
    result = await asyncio.wait_for(run(flow, provider, sleep=sleep), 5)
    assert result.status == "failed" and result.failed_node == "broken"
    assert "{nope} matches no field" in (result.error or "")


async def test_an_output_file_that_cannot_be_opened_fails_the_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    flow = make_flow([{"id": "save", "type": "output", "path": str(blocker / "out.jsonl")}], [])
    result = await run(flow, start_at="save", start_inputs={"in": [{"a": 1}]})
    assert result.status == "failed" and result.error is not None
    assert result.error.startswith("node 'save' (output) failed: cannot write")


@pytest.mark.slow
async def test_memory_stays_bounded_while_100k_records_stream_to_a_file(provider: FakeProvider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def pages() -> Any:
        for page in range(1000):
            yield [{"id": page * 100 + n, "name": f"item {n}", "payload": "x" * 200} for n in range(100)]

    provider.client_.pages_of["list_customers"] = pages()
    flow = make_flow(
        [
            {"id": "start", "type": "trigger"},
            {"id": "fetch", "type": "api_call", "connection": "crm", "entity": "list_customers", "all_pages": True},
            {"id": "save", "type": "output", "path": str(tmp_path / "items.jsonl")},
        ],
        [("start.out", "fetch.in"), ("fetch.out", "save.in")],
    )
    tracemalloc.start()
    try:
        result = await run(flow, provider, on_event=None, output_cap=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok and result.counts["save"]["in"] == 100_000
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"  # all records at once would be ~40 MB
