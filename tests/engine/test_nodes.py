"""Each node type that needs no API: condition, loop, merge, transform, collect, delay."""

from __future__ import annotations

from typing import Any

from .conftest import make_flow, run


async def feed(node: dict[str, Any], items: list[Any], port: str = "in", **kwargs: Any):  # type: ignore[no-untyped-def]
    """Run one node alone with ``items`` on ``port``."""
    return await run(make_flow([node], []), start_at=node["id"], start_inputs={port: items}, **kwargs)


# --- condition ---------------------------------------------------------------------------------------


async def test_condition_routes_items_and_uses_variables() -> None:
    result = await feed(
        {"id": "c", "type": "condition", "expression": "region in ['EU', 'US'] and n < vars.limit"},
        [{"region": "EU", "n": 1}, {"region": "APAC", "n": 1}, {"region": "US", "n": 9}],
        variables={"limit": 5},
    )
    assert result.outputs["c.true"] == [{"region": "EU", "n": 1}]
    assert [i["region"] for i in result.outputs["c.false"]] == ["APAC", "US"]


async def test_condition_error_goes_to_the_error_port_when_connected() -> None:
    flow = make_flow(
        [{"id": "c", "type": "condition", "expression": "status == 200"}, {"id": "bad", "type": "collect"}],
        [("c.error", "bad.in")],
    )
    result = await run(flow, start_at="c", start_inputs={"in": [{"status": 200}, {"code": 1}]})
    assert result.ok and result.counts["c"] == {"in": 2, "out": 1, "errors": 1}
    (error,) = result.outputs["bad.out"][0]["items"]
    assert error["node"] == "c" and error["status"] is None and error["item"] == {"code": 1}
    assert "status matches no field of the item (fields: code)" in error["error"]


# --- loop --------------------------------------------------------------------------------------------


async def test_loop_each_emits_elements_with_index_then_the_parent_on_done() -> None:
    result = await feed(
        {"id": "l", "type": "loop", "mode": "each", "field": "ids", "as": "id"},
        [{"ids": [7, 8], "batch": "x"}],
    )
    assert result.outputs["l.each"] == [{"batch": "x", "id": 7, "index": 0}, {"batch": "x", "id": 8, "index": 1}]
    assert result.outputs["l.done"] == [{"ids": [7, 8], "batch": "x"}]


async def test_loop_each_over_a_nested_field_and_a_long_list() -> None:
    result = await feed(
        {"id": "l", "type": "loop", "field": "body.data"},
        [{"body": {"data": list(range(1200))}}],
        batch_size=500,
        output_cap=2000,
    )
    each = result.outputs["l.each"]
    assert len(each) == 1200 and each[1199]["element"] == 1199 and each[0]["body"] == {"data": list(range(1200))}


async def test_loop_each_on_a_field_that_is_not_a_list_fails_the_item() -> None:
    result = await feed({"id": "l", "type": "loop", "field": "ids"}, [{"ids": 3}])
    assert result.status == "failed"
    assert result.error == "node 'l' (loop) failed on item {'ids': 3}: loop field 'ids' is a int, not a list"
    result = await feed({"id": "l", "type": "loop", "field": "ids"}, [{}])
    assert "loop field 'ids' is missing" in (result.error or "")


def while_flow(expression: str = "n < 3", **loop: Any):  # type: ignore[no-untyped-def]
    return make_flow(
        [
            {"id": "start", "type": "trigger", "variables": {"n": 0}},
            {"id": "w", "type": "loop", "mode": "while", "expression": expression, **loop},
            {"id": "inc", "type": "transform", "compute": {"n": "n + 1"}},
            {"id": "seen", "type": "collect"},
        ],
        [("start.out", "w.in"), ("w.each", "inc.in"), ("inc.out", "w.again"), ("inc.out", "seen.in")],
    )


async def test_loop_while_repeats_until_the_expression_fails() -> None:
    result = await run(while_flow())
    assert result.ok
    assert result.outputs["w.done"] == [{"n": 3, "index": 2}]
    assert [i["n"] for i in result.outputs["seen.out"][0]["items"]] == [1, 2, 3]
    assert result.counts["w"] == {"in": 4, "out": 4, "errors": 0}


async def test_loop_while_stops_at_max_iterations() -> None:
    result = await run(while_flow("True", max_iterations=5))
    assert result.status == "failed"
    assert "the loop ran 5 times (max_iterations) and 'True' still holds" in (result.error or "")
    assert result.counts["inc"]["out"] == 5


async def test_loop_while_with_many_items_and_a_slow_body_ends() -> None:
    flow = make_flow(
        [
            {"id": "w", "type": "loop", "mode": "while", "expression": "n < 4"},
            {"id": "wait", "type": "delay", "seconds": 1},
            {"id": "inc", "type": "transform", "compute": {"n": "n + 1"}},
        ],
        [("w.each", "wait.in"), ("wait.out", "inc.in"), ("inc.out", "w.again")],
    )
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    result = await run(flow, start_at="w", start_inputs={"in": [{"n": i % 4} for i in range(40)]}, sleep=sleep,
                       batch_size=3, queue_batches=1)
    assert result.ok and result.counts["w"]["out"] == 40 + len(slept)
    assert len(slept) == sum(4 - i % 4 for i in range(40) if i % 4 < 4)


async def test_loop_while_without_a_back_edge_acts_once() -> None:
    result = await feed({"id": "w", "type": "loop", "mode": "while", "expression": "go"}, [{"go": True}, {"go": False}])
    assert result.outputs["w.each"] == [{"go": True, "index": 0}] and result.outputs["w.done"] == [{"go": False}]


# --- merge -------------------------------------------------------------------------------------------


def merge_flow(**config: Any):  # type: ignore[no-untyped-def]
    return make_flow(
        [
            {"id": "start", "type": "trigger"},
            {"id": "left", "type": "loop", "field": "a", "as": "x"},
            {"id": "right", "type": "loop", "field": "b", "as": "y"},
            {"id": "m", "type": "merge", **config},
            {"id": "all", "type": "collect"},
        ],
        [("start.out", "left.in"), ("start.out", "right.in"), ("left.each", "m.in1"), ("right.each", "m.in2"),
         ("m.out", "all.in")],
    )


async def test_merge_append_passes_every_item() -> None:
    result = await run(merge_flow(), variables={"a": [1, 2], "b": [3]})
    items = result.outputs["all.out"][0]["items"]
    assert sorted(i.get("x", i.get("y")) for i in items) == [1, 2, 3]


async def test_merge_zip_by_position() -> None:
    result = await run(merge_flow(mode="zip"), variables={"a": [1, 2, 3], "b": [10, 20]})
    items = result.outputs["all.out"][0]["items"]
    assert [(i["x"], i["y"]) for i in items] == [(1, 10), (2, 20)]


async def test_merge_zip_by_key_matches_across_inputs() -> None:
    flow = merge_flow(mode="zip", key="index")
    result = await run(flow, variables={"a": ["p", "q"], "b": ["r", "s", "t"]})
    items = result.outputs["all.out"][0]["items"]
    assert sorted((i["index"], i["x"], i["y"]) for i in items) == [(0, "p", "r"), (1, "q", "s")]


async def test_merge_zip_key_missing_is_an_item_error() -> None:
    flow = make_flow([{"id": "m", "type": "merge", "mode": "zip", "key": "id"}], [])
    result = await run(flow, start_at="m", start_inputs={"in1": [{"x": 1}]})
    assert result.status == "failed" and "zip key 'id' is missing" in (result.error or "")


async def test_merge_with_one_connected_input_passes_items_on() -> None:
    flow = make_flow([{"id": "m", "type": "merge", "mode": "zip"}], [])
    result = await run(flow, start_at="m", start_inputs={"in1": [{"x": 1}]})
    assert result.outputs["m.out"] == [{"x": 1}]


# --- transform ---------------------------------------------------------------------------------------


async def test_transform_set_compute_rename_pick_drop_in_order() -> None:
    node = {
        "id": "t",
        "type": "transform",
        "set": {"label": "{name} ({region})", "copy": "{id}", "Temp.mediaId": "m-{id}", "fixed": 3},
        "compute": {"double": "id * 2", "vip": "id > vars.limit"},
        "rename": {"name": "fullName", "Temp.mediaId": "media.id"},
        "pick": ["id", "copy", "label", "fullName", "double", "vip", "media.id", "Temp", "fixed", "gone"],
        "drop": ["Temp"],
    }
    original = {"id": 7, "name": "Ada", "region": "EU", "secret": "x", "Temp": {"keep": 1}}
    result = await feed(node, [original], variables={"limit": 5})
    assert result.outputs["t.out"] == [
        {"id": 7, "copy": 7, "label": "Ada (EU)", "fullName": "Ada", "double": 14, "vip": True,
         "media": {"id": "m-7"}, "fixed": 3}
    ]
    assert original == {"id": 7, "name": "Ada", "region": "EU", "secret": "x", "Temp": {"keep": 1}}


async def test_transform_template_types_and_whole_item() -> None:
    result = await feed(
        {"id": "t", "type": "transform", "set": {"n": "{n}", "text": "n={n}", "all": "{item}", "lit": "{{n}}",
                                                 "obj": {"v": "{n}"}}},
        [{"n": 5}],
    )
    assert result.outputs["t.out"] == [{"n": 5, "text": "n=5", "all": {"n": 5}, "lit": "{n}", "obj": {"v": 5}}]


async def test_transform_missing_field_fails_the_run_naming_node_item_and_cause() -> None:
    result = await feed({"id": "tidy", "type": "transform", "set": {"x": "{missing}"}}, [{"id": 1}])
    assert result.status == "failed" and result.failed_node == "tidy"
    assert result.error == (
        "node 'tidy' (transform) failed on item {'id': 1}: "
        "{missing} matches no field of the item (fields: id) and no variable"
    )


# --- collect and delay -------------------------------------------------------------------------------


async def test_collect_gathers_everything_and_emits_an_empty_list_too() -> None:
    result = await feed({"id": "c", "type": "collect"}, [{"a": 1}, {"a": 2}], batch_size=1)
    assert result.outputs["c.out"] == [{"items": [{"a": 1}, {"a": 2}], "count": 2}]
    result = await feed({"id": "c", "type": "collect"}, [])
    assert result.outputs["c.out"] == [{"items": [], "count": 0}]


async def test_delay_waits_with_the_injected_sleep_per_item() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    result = await feed({"id": "d", "type": "delay", "seconds": 1.5}, [{"a": 1}, {"a": 2}], sleep=sleep)
    assert slept == [1.5, 1.5] and result.outputs["d.out"] == [{"a": 1}, {"a": 2}]


async def test_a_run_started_inside_a_while_loops_body_goes_round_the_loop() -> None:
    result = await run(while_flow(), start_at="inc", start_inputs={"in": [{"n": 0}]})
    assert result.ok and set(result.counts) == {"inc", "w", "seen"}
    assert [i["n"] for i in result.outputs["seen.out"][0]["items"]] == [1, 2, 3]
    assert result.outputs["w.done"] == [{"n": 3, "index": 2}]
