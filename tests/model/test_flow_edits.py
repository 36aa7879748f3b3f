"""The Qt-free edits the canvas's undo commands call; each refuses what a valid flow could not hold."""

from __future__ import annotations

import pytest

from flowdesk.model.errors import InvalidConfigError
from flowdesk.model.flow import Flow, FlowEditError, Position, validate_flow


def empty() -> Flow:
    return Flow(name="draft")


def test_add_nodes_with_generated_ids_and_positions() -> None:
    flow = empty()
    first = flow.add_node("api_call", position=(10, 20))
    second = flow.add_node("api_call")
    named = flow.add_node("trigger", node_id="start", title="Start")
    assert (first.id, second.id, named.id) == ("api_call1", "api_call2", "start")
    assert first.position == Position(x=10, y=20) and named.title == "Start"


def test_add_node_refuses_unknown_types_and_taken_or_bad_ids() -> None:
    flow = empty()
    flow.add_node("trigger", node_id="start")
    with pytest.raises(FlowEditError, match="unknown node type 'teleport'"):
        flow.add_node("teleport")
    with pytest.raises(FlowEditError, match="already has a node 'start'"):
        flow.add_node("collect", node_id="start")
    with pytest.raises(FlowEditError, match="not a node id"):
        flow.add_node("collect", node_id="a.b")


def test_connect_and_disconnect() -> None:
    flow = empty()
    flow.add_node("trigger", node_id="start")
    flow.add_node("collect", node_id="all")
    edge = flow.connect("start.out", "all.in")
    assert flow.edges == [edge]
    with pytest.raises(FlowEditError, match="already connected"):
        flow.connect("start.out", "all.in")
    assert flow.disconnect("start.out", "all.in") == edge and flow.edges == []
    with pytest.raises(FlowEditError, match="there is no edge"):
        flow.disconnect("start.out", "all.in")


def test_connect_checks_nodes_ports_and_directions() -> None:
    flow = empty()
    flow.add_node("trigger", node_id="start")
    flow.add_node("condition", node_id="check")
    with pytest.raises(FlowEditError, match="there is no node 'ghost'"):
        flow.connect("start.out", "ghost.in")
    with pytest.raises(FlowEditError, match="has no input 'true'"):
        flow.connect("start.out", "check.true")
    with pytest.raises(FlowEditError, match=r"not node\.port"):
        flow.connect("start", "check.in")
    assert flow.edges == []


def test_connect_refuses_a_cycle_but_allows_a_while_loops_back_edge() -> None:
    flow = empty()
    flow.add_node("transform", node_id="a")
    flow.add_node("transform", node_id="b")
    flow.connect("a.out", "b.in")
    with pytest.raises(FlowEditError, match="the cycle"):
        flow.connect("b.out", "a.in")
    flow.add_node("loop", node_id="loop", config={"mode": "while", "expression": "more"})
    flow.connect("loop.each", "a.in")
    flow.connect("b.out", "loop.again")
    with pytest.raises(FlowEditError, match="does not take error items"):
        flow.connect("b.error", "loop.again")


def test_remove_node_takes_its_edges_along() -> None:
    flow = empty()
    flow.add_node("trigger", node_id="start")
    flow.add_node("transform", node_id="t")
    flow.add_node("collect", node_id="all")
    flow.connect("start.out", "t.in")
    flow.connect("t.out", "all.in")
    node, edges = flow.remove_node("t")
    assert node.id == "t" and len(edges) == 2
    assert flow.edges == [] and [n.id for n in flow.nodes] == ["start", "all"]
    with pytest.raises(FlowEditError, match="has no node 't'"):
        flow.remove_node("t")


def test_rename_node_rewrites_edges() -> None:
    flow = empty()
    flow.add_node("trigger", node_id="start")
    flow.add_node("collect", node_id="all")
    flow.connect("start.out", "all.in")
    flow.rename_node("all", "gathered")
    assert [str(e) for e in flow.edges] == ["start.out → gathered.in"]
    with pytest.raises(FlowEditError, match="already has a node 'start'"):
        flow.rename_node("gathered", "start")


def test_move_and_title() -> None:
    flow = empty()
    flow.add_node("collect", node_id="all")
    assert flow.move_node("all", 5, 6) is None
    assert flow.move_node("all", 7, 8) == Position(x=5, y=6)
    assert flow.set_title("all", "Everything") is None and flow.node("all").title == "Everything"


def test_set_config_validates_and_keeps_the_old_config_on_error() -> None:
    flow = empty()
    flow.add_node("condition", node_id="check", config={"expression": "a == 1"})
    with pytest.raises(InvalidConfigError) as caught:
        flow.set_config("check", {"expression": "a =="})
    assert caught.value.problems[0][0] == "nodes[check].config.expression"
    assert flow.node("check").config == {"expression": "a == 1"}
    assert flow.set_config("check", {"expression": "a == 2"}) == {"expression": "a == 1"}
    flow.set_config("check", {}, check=False)  # a half-edited node may sit on the canvas
    assert flow.node("check").config == {}


def test_a_flow_built_by_edits_validates() -> None:
    flow = empty()
    flow.add_node("trigger", node_id="start", config={"variables": {"ids": [1, 2]}})
    flow.add_node("loop", node_id="each", config={"mode": "each", "field": "ids"})
    flow.add_node("collect", node_id="all")
    flow.connect("start.out", "each.in")
    flow.connect("each.each", "all.in")
    assert validate_flow(flow, None) is flow
