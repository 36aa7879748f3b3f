"""The flow format and its full validation: every refusal names the node (or edge) and the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flowdesk.model.errors import InvalidConfigError
from flowdesk.model.flow import Edge, Flow, flow_graph, template_problem, validate_flow

CONNECTIONS = {"crm": {"list_customers", "get_customer", "list_regions"}}


def flow_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "flowdesk.flow",
        "version": 1,
        "name": "sync",
        "variables": {"limit": 10},
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"kind": "manual"}},
            {"id": "fetch", "type": "api_call", "config": {"connection": "crm", "entity": "list_customers"}},
            {"id": "eu", "type": "condition", "config": {"expression": "region == 'EU'"}},
            {"id": "save", "type": "output", "config": {"path": "out.jsonl"}},
        ],
        "edges": [
            {"source": "start.out", "target": "fetch.in"},
            {"source": "fetch.out", "target": "eu.in"},
            {"source": "eu.true", "target": "save.in"},
        ],
    }
    data.update(overrides)
    return data


def problems(data: dict[str, Any], connections: Any = CONNECTIONS) -> list[tuple[str, str]]:
    with pytest.raises(InvalidConfigError) as caught:
        validate_flow(data, connections)
    return caught.value.problems


def node(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in data["nodes"] if n["id"] == node_id)


def test_a_valid_flow_passes_and_round_trips() -> None:
    data = flow_data()
    flow = validate_flow(data, CONNECTIONS)
    assert flow.name == "sync" and [n.id for n in flow.nodes] == ["start", "fetch", "eu", "save"]
    assert Flow.model_validate(flow.to_file()) == flow
    assert flow.edges[0].source_node == "start" and flow.edges[0].target_port == "in"
    assert str(flow.edges[0]) == "start.out → fetch.in"


def test_format_only_validation_accepts_unknown_types_and_connections() -> None:
    data = flow_data()
    node(data, "fetch")["type"] = "teleport"
    flow = Flow.model_validate(data)  # what a stored flow needs to open in the window
    assert flow.nodes[1].type == "teleport"


def test_wrong_format_and_bad_shapes_are_named() -> None:
    assert problems(flow_data(format="something.else")) == [
        ("format", "expected 'flowdesk.flow', not 'something.else'")
    ]
    data = flow_data()
    data["nodes"][1]["id"] = "has.dot"
    data["edges"][0]["target"] = "fetch"
    found = dict(problems(data))
    assert "nodes[1].id" in found and "no dots" in found["nodes[1].id"]
    assert found["edges[0].target"] == "'fetch' is not node.port (for example fetch.out)"


def test_format_errors_inside_a_node_use_its_id() -> None:
    data = flow_data()
    node(data, "eu")["colour"] = "red"
    assert problems(data) == [("nodes[eu].colour", "unknown field")]


def test_unknown_node_type_lists_the_known_ones() -> None:
    data = flow_data()
    node(data, "eu")["type"] = "teleport"
    (location, message), = problems(data)
    assert location == "nodes[eu].type"
    assert message.startswith("unknown node type 'teleport' (known: trigger, api_call")


def test_duplicate_node_ids() -> None:
    data = flow_data()
    data["nodes"].append({"id": "eu", "type": "collect"})
    assert ("nodes[eu].id", "duplicate node id 'eu' (nodes[2] and nodes[4])") in problems(data)


def test_missing_required_config_names_the_field() -> None:
    data = flow_data()
    del node(data, "fetch")["config"]["entity"]
    node(data, "eu")["config"] = {}
    found = problems(data)
    assert ("nodes[fetch].config.entity", "required") in found
    assert ("nodes[eu].config.expression", "required") in found


def test_mode_specific_requirements() -> None:
    data = flow_data()
    data["nodes"].append({"id": "loop", "type": "loop", "config": {"mode": "while"}})
    data["nodes"].append({"id": "hook", "type": "trigger", "config": {"kind": "webhook"}})
    found = dict(problems(data))
    assert found["nodes[loop].config"] == "a loop in while mode needs expression"
    assert "webhook trigger needs hook" in found["nodes[hook].config"]


def test_invalid_expression_names_the_column() -> None:
    data = flow_data()
    node(data, "eu")["config"]["expression"] = "region == "
    (location, message), = problems(data)
    assert location == "nodes[eu].config.expression"
    assert message.startswith("invalid syntax") and "column" in message


def test_expression_with_unknown_function_is_refused() -> None:
    data = flow_data()
    node(data, "eu")["config"]["expression"] = "open('x')"
    (location, message), = problems(data)
    assert location == "nodes[eu].config.expression" and "unknown function open()" in message


def test_invalid_jsonpath_in_map() -> None:
    data = flow_data()
    node(data, "fetch")["config"]["map"] = {"Temp.mediaId": "$.[[["}
    (location, message), = problems(data)
    assert location == "nodes[fetch].config.map"
    assert message.startswith("Temp.mediaId: invalid JSONPath")


def test_invalid_templates_are_found_anywhere_in_the_config() -> None:
    data = flow_data()
    node(data, "fetch")["config"]["query"] = {"since": "{last sync}"}
    node(data, "fetch")["config"]["body"] = {"a": ["ok {id}", "broken {id"]}
    found = dict(problems(data))
    assert "{last sync} is not a placeholder" in found["nodes[fetch].config.query.since"]
    assert "unmatched '{'" in found["nodes[fetch].config.body.a[1]"]


def test_template_problem() -> None:
    assert template_problem("/customers/{id}/media/{Temp.mediaId}") is None
    assert template_problem("{{literal}} and {lines[0].sku}") is None
    assert template_problem("query { customers(first: 10) { id } }") is None  # literal braces stay literal
    assert template_problem('{"a": 1} and a}') is None
    assert "is not a placeholder" in str(template_problem("{1st}"))
    assert "unmatched '{' at position 4" in str(template_problem("id={id"))


def test_unknown_connection_and_entity_name_what_exists() -> None:
    data = flow_data()
    node(data, "fetch")["config"]["entity"] = "list_orders"
    assert problems(data) == [
        (
            "nodes[fetch].config.entity",
            "connection 'crm' has no entity 'list_orders' (entities: get_customer, list_customers, list_regions)",
        )
    ]
    node(data, "fetch")["config"]["connection"] = "billing"
    assert problems(data) == [("nodes[fetch].config.connection", "there is no connection 'billing' (connections: crm)")]


def test_connections_are_not_checked_without_a_map() -> None:
    data = flow_data()
    node(data, "fetch")["config"]["connection"] = "billing"
    assert validate_flow(data, None).name == "sync"


def test_an_entity_path_is_accepted_as_an_ad_hoc_entity() -> None:
    data = flow_data()
    node(data, "fetch")["config"]["entity"] = "/customers/1"
    validate_flow(data, CONNECTIONS)


def test_lookup_and_webhook_out_connections_are_checked_too() -> None:
    data = flow_data()
    data["nodes"].append(
        {"id": "ref", "type": "lookup", "config": {"connection": "crm", "entity": "nope", "key": "code",
                                                     "match": "region", "into": "r"}}
    )
    data["nodes"].append({"id": "hook", "type": "webhook_out", "config": {"connection": "x", "entity": "y"}})
    found = dict(problems(data))
    assert "has no entity 'nope'" in found["nodes[ref].config.entity"]
    assert "there is no connection 'x'" in found["nodes[hook].config.connection"]


def test_edges_to_missing_nodes_and_ports() -> None:
    data = flow_data()
    data["edges"] += [
        {"source": "ghost.out", "target": "save.in"},
        {"source": "fetch.out", "target": "eu.sideways"},
        {"source": "fetch.in", "target": "save.in"},
        {"source": "fetch.out", "target": "eu.true"},
        {"source": "fetch.out", "target": "start.in"},
    ]
    found = dict(problems(data))
    assert found["edges[3].source"] == "ghost.out → save.in: there is no node 'ghost' (nodes: start, fetch, eu, save)"
    assert found["edges[4].target"] == (
        "fetch.out → eu.sideways: node 'eu' (condition) has no input 'sideways' (inputs: in)"
    )
    assert "that is an input; an edge starts at an output" in found["edges[5].source"]
    assert "that is an output; an edge ends at an input" in found["edges[6].target"]
    assert "(inputs: none)" in found["edges[7].target"]


def test_merge_inputs_follow_its_config() -> None:
    data = flow_data()
    data["nodes"].append({"id": "m", "type": "merge", "config": {"inputs": 3}})
    data["edges"].append({"source": "fetch.out", "target": "m.in3"})
    validate_flow(data, CONNECTIONS)
    data["edges"].append({"source": "eu.false", "target": "m.in4"})
    (location, message), = problems(data)
    assert location == "edges[4].target" and "(inputs: in1, in2, in3)" in message


def test_the_same_edge_twice() -> None:
    data = flow_data()
    data["edges"].append(dict(data["edges"][1]))
    assert problems(data) == [("edges[3]", "fetch.out → eu.in appears twice (edges[1] and edges[3])")]


def while_loop_data() -> dict[str, Any]:
    data = flow_data()
    data["nodes"] += [
        {"id": "pages", "type": "loop", "config": {"mode": "while", "expression": "hasMore"}},
        {"id": "next", "type": "api_call", "config": {"connection": "crm", "entity": "list_customers"}},
    ]
    data["edges"] += [
        {"source": "start.out", "target": "pages.in"},
        {"source": "pages.each", "target": "next.in"},
        {"source": "next.out", "target": "pages.again"},
    ]
    return data


def test_a_cycle_through_a_while_loops_again_input_is_allowed() -> None:
    graph = flow_graph(while_loop_data(), CONNECTIONS)
    assert graph.loop_body("pages") == {"next"}
    assert graph.downstream(["next"]) == {"next", "pages"}


def test_a_cycle_without_a_loop_is_refused() -> None:
    data = flow_data()
    data["edges"].append({"source": "eu.false", "target": "fetch.in"})
    (location, message), = problems(data)
    assert location == "edges"
    assert message.startswith("the cycle fetch → eu → fetch does not pass through a loop node's again input")


def test_a_cycle_into_a_loops_in_port_is_refused() -> None:
    data = while_loop_data()
    data["edges"][-1] = {"source": "next.out", "target": "pages.in"}
    (location, message), = problems(data)
    assert location == "edges" and "pages → next → pages" in message


def test_again_takes_only_items_from_the_loop_body() -> None:
    data = while_loop_data()
    data["edges"].append({"source": "fetch.out", "target": "pages.again"})
    (location, message), = problems(data)
    assert location == "edges[6].source"
    assert "fetch.out → pages.again" in message and "does not come after pages.each" in message


def test_again_is_an_incompatible_input_for_error_items() -> None:
    data = while_loop_data()
    data["edges"][-1] = {"source": "next.error", "target": "pages.again"}
    (location, message), = problems(data)
    assert location == "edges[5].target"
    assert "pages.again does not take error items" in message


def test_again_is_refused_on_an_each_loop() -> None:
    data = while_loop_data()
    node(data, "pages")["config"] = {"mode": "each", "field": "ids"}
    (location, message), = problems(data)
    assert location == "edges[5].target" and "loop 'pages' is in each mode" in message


def test_all_problems_are_reported_at_once() -> None:
    data = flow_data()
    node(data, "eu")["type"] = "teleport"
    del node(data, "fetch")["config"]["connection"]
    data["edges"].append({"source": "save.out", "target": "ghost.in"})
    assert len(problems(data)) == 3


def test_the_error_message_lists_every_problem() -> None:
    data = flow_data()
    del node(data, "fetch")["config"]["entity"]
    expected = r"flow 'sync' is invalid:\n  nodes\[fetch\]\.config\.entity: required"
    with pytest.raises(InvalidConfigError, match=expected):
        validate_flow(data, CONNECTIONS)


def test_a_flow_instance_can_be_validated() -> None:
    flow = Flow.model_validate(flow_data())
    assert validate_flow(flow, CONNECTIONS) is flow


def test_not_an_object() -> None:
    with pytest.raises(InvalidConfigError):
        validate_flow([], None)  # type: ignore[arg-type]


def test_flows_have_no_secret_fields() -> None:
    data = flow_data()
    data["nodes"].append({"id": "hook", "type": "webhook_out",
                          "config": {"url": "https://hooks.test/x", "secret": "s3cret"}})
    found = dict(problems(data))
    assert found["nodes[hook].config.secret"] == "unknown field"
    data = copy.deepcopy(data)
    node(data, "hook")["config"] = {"url": "https://hooks.test/x", "secret_ref": "partner"}
    assert "s3cret" not in str(validate_flow(data, CONNECTIONS).to_file())


def test_literal_credentials_are_refused() -> None:
    data = flow_data()
    node(data, "fetch")["config"]["headers"] = {"Authorization": "Bearer abc", "X-Trace": "1"}
    node(data, "fetch")["config"]["query"] = {"api_key": "k", "token": "{vars.token}"}
    found = dict(problems(data))
    assert set(found) == {"nodes[fetch].config.headers.Authorization", "nodes[fetch].config.query.api_key"}
    assert "set it in the connection's auth" in found["nodes[fetch].config.query.api_key"]


def test_edge_endpoints() -> None:
    edge = Edge(source="a.out", target="b-2.in1")
    assert (edge.source_node, edge.source_port, edge.target_node, edge.target_port) == ("a", "out", "b-2", "in1")
