"""The runner: wiring, events, counts, outputs, variables, starting at a node, the public surface."""

from __future__ import annotations

import pytest

import flowdesk.engine
from flowdesk.engine import FlowRunner, RunResult
from flowdesk.model.errors import InvalidConfigError, UserError
from flowdesk.model.events import ItemsEmitted, NodeFinished, NodeStarted, RunFinished, RunStarted

from .conftest import make_flow, run


def test_public_names_are_pinned() -> None:
    assert sorted(flowdesk.engine.__all__) == [
        "BATCH_SIZE", "CallProvider", "FlowRunner", "NODE_TYPES", "OUTPUT_CAP", "QUEUE_BATCHES", "RunResult",
    ]
    from flowdesk.model.nodes import NODE_SPECS

    assert set(flowdesk.engine.NODE_TYPES) == set(NODE_SPECS)


async def test_a_run_reports_counts_outputs_and_events(events) -> None:  # type: ignore[no-untyped-def]
    flow = make_flow(
        [
            {"id": "start", "type": "trigger", "variables": {"ids": [1, 2, 3]}},
            {"id": "each", "type": "loop", "field": "ids", "as": "id"},
            {"id": "odd", "type": "condition", "expression": "id % 2 == 1"},
        ],
        [("start.out", "each.in"), ("each.each", "odd.in")],
    )
    result = await run(flow, run_id="r1")
    assert isinstance(result, RunResult) and result.ok and result.error is None
    assert result.run_id == "r1" and result.flow == "test" and result.duration_ms > 0
    assert result.counts["odd"] == {"in": 3, "out": 3, "errors": 0}
    assert [i["id"] for i in result.outputs["odd.true"]] == [1, 3]
    assert [i["id"] for i in result.outputs["odd.false"]] == [2]
    assert isinstance(events[0], RunStarted) and events[0].flow == "test" and events[0].run_id == "r1"
    assert isinstance(events[-1], RunFinished) and events[-1].status == "succeeded"
    assert events[-1].counts == result.counts
    assert {e.node_id for e in events if isinstance(e, NodeStarted)} == {"start", "each", "odd"}
    finished = {e.node_id: e for e in events if isinstance(e, NodeFinished)}
    assert finished["each"].items_in == 1 and finished["each"].items_out == 4
    emitted = [e for e in events if isinstance(e, ItemsEmitted) and e.node_id == "each" and e.port == "each"]
    assert emitted[0].count == 3 and len(emitted[0].sample) == 3
    assert all(e.run_id == "r1" for e in events)


async def test_samples_stop_after_five_items_per_port(events) -> None:  # type: ignore[no-untyped-def]
    flow = make_flow([{"id": "t", "type": "transform"}], [])
    await run(flow, start_at="t", start_inputs={"in": [{"n": i} for i in range(12)]}, batch_size=4)
    samples = [len(e.sample) for e in events if isinstance(e, ItemsEmitted)]
    assert samples == [4, 1, 0]


async def test_variables_merge_flow_trigger_and_run_values() -> None:
    flow = make_flow(
        [
            {"id": "start", "type": "trigger", "variables": {"b": "trigger", "c": "trigger"}},
            {"id": "t", "type": "transform", "set": {"seen": "{vars.a}-{vars.b}-{vars.c}"}},
        ],
        [("start.out", "t.in")],
        variables={"a": "flow", "b": "flow"},
    )
    result = await run(flow, variables={"c": "run"})
    (item,) = result.outputs["t.out"]
    assert item == {"a": "flow", "b": "trigger", "c": "run", "seen": "flow-trigger-run"}


async def test_a_schedule_trigger_adds_scheduled_at() -> None:
    flow = make_flow([{"id": "tick", "type": "trigger", "kind": "schedule", "cron": "* * * * *"}], [])
    (item,) = (await run(flow)).outputs["tick.out"]
    assert item["scheduled_at"].endswith("Z")


async def test_without_a_trigger_unfed_nodes_start_with_the_variables() -> None:
    flow = make_flow(
        [{"id": "t", "type": "transform", "set": {"x": "{n}"}}, {"id": "all", "type": "collect"}],
        [("t.out", "all.in")],
        variables={"n": 1},
    )
    result = await run(flow)
    assert result.outputs["all.out"] == [{"items": [{"n": 1, "x": 1}], "count": 1}]


async def test_start_at_runs_only_that_node_and_what_follows() -> None:
    flow = make_flow(
        [
            {"id": "start", "type": "trigger"},
            {"id": "a", "type": "transform", "set": {"a": True}},
            {"id": "b", "type": "transform", "set": {"b": True}},
            {"id": "c", "type": "collect"},
        ],
        [("start.out", "a.in"), ("a.out", "b.in"), ("b.out", "c.in")],
    )
    result = await run(flow, start_at="b", start_inputs={"in": [{"x": 1}, 5]})
    assert set(result.counts) == {"b", "c"}
    assert result.outputs["c.out"] == [{"items": [{"x": 1, "b": True}, {"value": 5, "b": True}], "count": 2}]


async def test_start_at_a_trigger_emits_the_given_items() -> None:
    flow = make_flow([{"id": "hook", "type": "trigger", "kind": "webhook", "hook": "orders"}], [])
    result = await run(flow, start_at="hook", start_inputs={"payload": [{"order": 1}]})
    assert result.outputs["hook.out"] == [{"order": 1}]


def test_start_at_and_start_inputs_are_checked() -> None:
    flow = make_flow([{"id": "t", "type": "transform"}], [])
    with pytest.raises(UserError, match="has no node 'x' to start at"):
        FlowRunner(flow, clients=None, start_at="x")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="has no input 'again' to feed"):
        FlowRunner(flow, clients=None, start_at="t", start_inputs={"again": []})  # type: ignore[arg-type]
    with pytest.raises(UserError, match="start_inputs need start_at"):
        FlowRunner(flow, clients=None, start_inputs={"in": []})  # type: ignore[arg-type]


def test_an_invalid_flow_is_refused_before_running() -> None:
    flow = make_flow([{"id": "c", "type": "condition"}], [])
    with pytest.raises(InvalidConfigError, match=r"nodes\[c\]\.config\.expression: required"):
        FlowRunner(flow, clients=None)  # type: ignore[arg-type]


async def test_outputs_are_capped() -> None:
    flow = make_flow([{"id": "t", "type": "transform"}], [])
    result = await run(flow, start_at="t", start_inputs={"in": [{"n": i} for i in range(50)]}, output_cap=10)
    assert len(result.outputs["t.out"]) == 10 and result.counts["t"]["out"] == 50


async def test_inputs_are_captured_per_node_and_port_only_when_asked() -> None:
    flow = make_flow(
        [{"id": "a", "type": "transform", "set": {"a": True}}, {"id": "b", "type": "transform"}],
        [("a.out", "b.in")],
    )
    items = [{"n": i} for i in range(30)]
    off = await run(flow, start_at="a", start_inputs={"in": items})
    assert off.inputs == {} and off.inputs_capped == set()

    result = await run(flow, start_at="a", start_inputs={"in": items}, capture_inputs=20, batch_size=7)
    assert result.inputs["a"]["in"] == items[:20]
    assert result.inputs["b"]["in"] == [{"n": i, "a": True} for i in range(20)]
    assert result.inputs_capped == {"a.in", "b.in"}

    roomy = await run(flow, start_at="a", start_inputs={"in": items}, capture_inputs=30)
    assert len(roomy.inputs["b"]["in"]) == 30 and roomy.inputs_capped == set()


async def test_independent_branches_run_concurrently() -> None:
    import asyncio

    both_waiting = asyncio.Event()
    waiting = 0

    async def sleep(seconds: float) -> None:
        nonlocal waiting
        waiting += 1
        if waiting == 2:
            both_waiting.set()
        await asyncio.wait_for(both_waiting.wait(), 5)  # deadlocks unless both delays wait at once

    flow = make_flow(
        [
            {"id": "start", "type": "trigger"},
            {"id": "slow1", "type": "delay", "seconds": 60},
            {"id": "slow2", "type": "delay", "seconds": 60},
        ],
        [("start.out", "slow1.in"), ("start.out", "slow2.in")],
    )
    result = await run(flow, sleep=sleep)
    assert result.ok and result.counts["slow1"]["out"] == result.counts["slow2"]["out"] == 1


async def test_a_large_fan_through_small_queues_completes() -> None:
    flow = make_flow(
        [
            {"id": "split", "type": "condition", "expression": "n % 3 == 0"},
            {"id": "a", "type": "transform", "set": {"side": "a"}},
            {"id": "b", "type": "transform", "set": {"side": "b"}},
            {"id": "join", "type": "merge"},
            {"id": "all", "type": "collect"},
        ],
        [("split.true", "a.in"), ("split.false", "b.in"), ("a.out", "join.in1"), ("b.out", "join.in2"),
         ("join.out", "all.in")],
    )
    result = await run(
        flow, start_at="split", start_inputs={"in": [{"n": i} for i in range(3000)]}, queue_batches=1, batch_size=7
    )
    assert result.outputs["all.out"][0]["count"] == 3000
