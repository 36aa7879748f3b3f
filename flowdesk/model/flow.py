"""Flows: the ``*.flow.json`` format, its full validation, and the edits the canvas makes.

A flow file is ``{format: "flowdesk.flow", version: 1, name, description, variables, nodes, edges}``; a node
is ``{id, type, title, position, config}`` and an edge ``{source: "node.port", target: "node.port"}``.
:class:`Flow` (pydantic) checks only that shape, so a stored flow still opens when a connection it names
has gone. :func:`validate_flow` checks everything a run needs, and :func:`flow_graph` also hands the
engine each node's parsed config. Flows never hold secrets: a webhook signature names its secret
(``secret_ref``), connections hold their own credentials.

The edit methods of :class:`Flow` (``add_node``, ``connect`` …) are what the canvas's undo commands call:
each checks what it can check locally and raises :class:`FlowEditError` (a ``UserError``) without changing
anything when the edit is not allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flowdesk.model.errors import InvalidConfigError, UserError
from flowdesk.model.files import describe_validation_error
from flowdesk.model.nodes import (
    NODE_SPECS,
    ApiCallConfig,
    LookupConfig,
    LoopConfig,
    NodeSpec,
    OutputConfig,
    PortSpec,
    TransformConfig,
    WebhookOutConfig,
)

__all__ = [
    "Edge",
    "Flow",
    "FlowEditError",
    "FlowGraph",
    "FlowNode",
    "GraphNode",
    "Position",
    "flow_graph",
    "template_problem",
    "validate_flow",
]

FLOW_FORMAT: Final = "flowdesk.flow"
_NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_ENDPOINT = re.compile(r"^([A-Za-z_][A-Za-z0-9_\-]*)\.([A-Za-z_][A-Za-z0-9_]*)$")


class FlowEditError(UserError):
    """An edit of a flow is not allowed (unknown node or port, a duplicate id, a cycle …); nothing changed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Position(_Strict):
    """Where the canvas draws a node (scene coordinates)."""

    x: float = 0.0
    y: float = 0.0

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, data: Any) -> Any:
        if isinstance(data, list | tuple) and len(data) == 2:
            return {"x": data[0], "y": data[1]}
        return data


class FlowNode(_Strict):
    """One node of a flow; ``config`` is checked against the node type by :func:`validate_flow`."""

    id: str
    type: str
    title: str | None = None
    position: Position | None = None
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _NODE_ID.match(value):
            raise ValueError(
                f"{value!r} is not a node id: use letters, digits, _ and -, starting with a letter (no dots)"
            )
        return value


class Edge(_Strict):
    """``source`` is ``"node.port"`` of an output, ``target`` ``"node.port"`` of an input."""

    source: str
    target: str

    @field_validator("source", "target")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not _ENDPOINT.match(value):
            raise ValueError(f"{value!r} is not node.port (for example fetch.out)")
        return value

    @property
    def source_node(self) -> str:
        return self.source.split(".", 1)[0]

    @property
    def source_port(self) -> str:
        return self.source.split(".", 1)[1]

    @property
    def target_node(self) -> str:
        return self.target.split(".", 1)[0]

    @property
    def target_port(self) -> str:
        return self.target.split(".", 1)[1]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"


class Flow(_Strict):
    """A flow file. Validating this model checks only the format; use :func:`validate_flow` before a run."""

    format: Literal["flowdesk.flow"] = FLOW_FORMAT
    version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    nodes: list[FlowNode] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)

    # --- reading -------------------------------------------------------------------------------------

    def node(self, node_id: str) -> FlowNode:
        """The node ``node_id``.

        Raises:
            FlowEditError: there is no such node.
        """
        for node in self.nodes:
            if node.id == node_id:
                return node
        known = ", ".join(n.id for n in self.nodes) or "none"
        raise FlowEditError(f"flow {self.name!r} has no node {node_id!r} (nodes: {known})")

    def has_node(self, node_id: str) -> bool:
        return any(n.id == node_id for n in self.nodes)

    def edges_of(self, node_id: str) -> list[Edge]:
        """Every edge that starts or ends at ``node_id``."""
        return [e for e in self.edges if node_id in (e.source_node, e.target_node)]

    # --- edits (the canvas's undo commands call these) ------------------------------------------------

    def add_node(
        self,
        node_type: str,
        *,
        node_id: str | None = None,
        title: str | None = None,
        position: tuple[float, float] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> FlowNode:
        """Add a node (``node_id`` defaults to the type plus a number: ``api_call2``).

        The config is not checked here, so a half-configured node can sit on the canvas; a run validates.

        Raises:
            FlowEditError: an unknown type, an invalid id or one already used.
        """
        if node_type not in NODE_SPECS:
            raise FlowEditError(f"unknown node type {node_type!r} (known: {', '.join(NODE_SPECS)})")
        if node_id is None:
            number = 1
            while self.has_node(f"{node_type}{number}"):
                number += 1
            node_id = f"{node_type}{number}"
        elif self.has_node(node_id):
            raise FlowEditError(f"flow {self.name!r} already has a node {node_id!r}")
        try:
            node = FlowNode(
                id=node_id,
                type=node_type,
                title=title,
                position=Position(x=position[0], y=position[1]) if position is not None else None,
                config=dict(config or {}),
            )
        except ValidationError as exc:
            raise FlowEditError(describe_validation_error(exc)[0][1]) from None
        self.nodes.append(node)
        return node

    def remove_node(self, node_id: str) -> tuple[FlowNode, list[Edge]]:
        """Remove a node and its edges; returns both (to undo: ``add_node`` and ``connect`` them again)."""
        node = self.node(node_id)
        removed = self.edges_of(node_id)
        self.nodes = [n for n in self.nodes if n.id != node_id]
        self.edges = [e for e in self.edges if e not in removed]
        return node, removed

    def rename_node(self, old_id: str, new_id: str) -> None:
        """Give a node a new id, rewriting its edges.

        Raises:
            FlowEditError: no node ``old_id``, ``new_id`` invalid or taken.
        """
        node = self.node(old_id)
        if new_id == old_id:
            return
        if self.has_node(new_id):
            raise FlowEditError(f"flow {self.name!r} already has a node {new_id!r}")
        if not _NODE_ID.match(new_id):
            raise FlowEditError(f"{new_id!r} is not a node id: use letters, digits, _ and -, starting with a letter")
        node.id = new_id

        def moved(endpoint: str) -> str:
            owner, port = endpoint.split(".", 1)
            return f"{new_id}.{port}" if owner == old_id else endpoint

        self.edges = [Edge(source=moved(e.source), target=moved(e.target)) for e in self.edges]

    def move_node(self, node_id: str, x: float, y: float) -> Position | None:
        """Place a node; returns its previous position."""
        node = self.node(node_id)
        previous = node.position
        node.position = Position(x=x, y=y)
        return previous

    def set_title(self, node_id: str, title: str | None) -> str | None:
        node = self.node(node_id)
        previous, node.title = node.title, title or None
        return previous

    def set_config(self, node_id: str, config: Mapping[str, Any], *, check: bool = True) -> dict[str, Any]:
        """Replace a node's config; returns the previous one.

        Raises:
            InvalidConfigError: (with ``check``) the config does not fit the node type, naming each field
                as ``nodes[ID].config.FIELD``; the node keeps its old config.
        """
        node = self.node(node_id)
        spec = NODE_SPECS.get(node.type)
        new = dict(config)
        if check and spec is not None:
            problems = _config_problems(node.id, spec, new)[1]
            if problems:
                raise InvalidConfigError(f"node {node_id!r}", problems)
        previous, node.config = node.config, new
        return previous

    def connect(self, source: str, target: str) -> Edge:
        """Add the edge ``source`` (``node.port`` of an output) → ``target`` (an input).

        Raises:
            FlowEditError: a missing node or port, an input that does not take that output, the same edge
                twice, or a cycle that would not pass through a loop's ``again`` input.
        """
        try:
            edge = Edge(source=source, target=target)
        except ValidationError as exc:
            raise FlowEditError(describe_validation_error(exc)[0][1]) from None
        if edge in self.edges:
            raise FlowEditError(f"{edge} is already connected")
        nodes = {n.id: n for n in self.nodes}
        configs = {
            n.id: _config_problems(n.id, NODE_SPECS[n.type], n.config)[0] for n in self.nodes if n.type in NODE_SPECS
        }
        for _, message in _edge_problems(edge, nodes, configs):
            raise FlowEditError(message)
        trial = [*self.edges, edge]
        cycle = _find_cycle([n.id for n in self.nodes], trial, nodes)
        if cycle:
            raise FlowEditError(_cycle_message(cycle))
        problem = _again_problem(edge, nodes, configs, trial)
        if problem:
            raise FlowEditError(problem)
        self.edges.append(edge)
        return edge

    def disconnect(self, source: str, target: str) -> Edge:
        """Remove the edge ``source`` → ``target``.

        Raises:
            FlowEditError: there is no such edge.
        """
        for edge in self.edges:
            if edge.source == source and edge.target == target:
                self.edges.remove(edge)
                return edge
        raise FlowEditError(f"there is no edge {source} → {target}")

    def to_file(self) -> dict[str, Any]:
        """The flow as its ``.flow.json`` file holds it."""
        return self.model_dump(mode="json", exclude_none=True)


# --- full validation -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A validated node: its spec and parsed config."""

    id: str
    type: str
    spec: NodeSpec
    config: Any
    title: str | None = None

    @property
    def inputs(self) -> tuple[PortSpec, ...]:
        return self.spec.inputs_for(self.config)

    @property
    def outputs(self) -> tuple[PortSpec, ...]:
        return self.spec.outputs


@dataclass(frozen=True)
class FlowGraph:
    """A valid flow as the engine needs it: nodes (file order) with parsed configs, and the edges."""

    flow: Flow
    nodes: dict[str, GraphNode]
    edges: tuple[Edge, ...]

    def successors(self, node_id: str) -> set[str]:
        return {e.target_node for e in self.edges if e.source_node == node_id}

    def downstream(self, starts: Iterable[str]) -> set[str]:
        """``starts`` and every node reachable from them."""
        seen: set[str] = set()
        todo = list(starts)
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.successors(current))
        return seen

    def loop_body(self, loop_id: str) -> set[str]:
        """The nodes on a path from the loop's ``each`` back to its ``again`` input (empty without one)."""
        return _loop_body(loop_id, self.edges)


def validate_flow(data: Mapping[str, Any] | Flow, connections: Mapping[str, Iterable[str]] | None = None) -> Flow:
    """Check a flow completely: format, node types and configs, templates and expressions, edges, cycles,
    and (when ``connections`` maps connection names to entity names) the connections and entities used.

    Raises:
        InvalidConfigError: one ``(location, message)`` per problem, locations such as
            ``nodes[fetch].config.entity`` or ``edges[2].target``.
    """
    return flow_graph(data, connections).flow


def flow_graph(data: Mapping[str, Any] | Flow, connections: Mapping[str, Iterable[str]] | None = None) -> FlowGraph:
    """Like :func:`validate_flow`, returning the nodes' parsed configs as well (what the engine runs)."""
    flow = data if isinstance(data, Flow) else _parse_format(data)
    what = f"flow {flow.name!r}"
    problems: list[tuple[str, str]] = []

    nodes: dict[str, FlowNode] = {}
    positions: dict[str, int] = {}
    for index, node in enumerate(flow.nodes):
        if node.id in nodes:
            message = f"duplicate node id {node.id!r} (nodes[{positions[node.id]}] and nodes[{index}])"
            problems.append((f"nodes[{node.id}].id", message))
            continue
        nodes[node.id] = node
        positions[node.id] = index

    configs: dict[str, Any] = {}
    for node in nodes.values():
        spec = NODE_SPECS.get(node.type)
        if spec is None:
            problems.append(
                (f"nodes[{node.id}].type", f"unknown node type {node.type!r} (known: {', '.join(NODE_SPECS)})")
            )
            continue
        config, found = _config_problems(node.id, spec, node.config)
        problems.extend(found)
        if config is not None:
            configs[node.id] = config
            problems.extend(_template_problems(node.id, config))
            problems.extend(_credential_problems(node.id, config))
            if connections is not None:
                problems.extend(_connection_problems(node.id, config, connections))

    good_edges: list[Edge] = []
    good_indexes: set[int] = set()
    seen: dict[tuple[str, str], int] = {}
    for index, edge in enumerate(flow.edges):
        key = (edge.source, edge.target)
        if key in seen:
            problems.append((f"edges[{index}]", f"{edge} appears twice (edges[{seen[key]}] and edges[{index}])"))
            continue
        seen[key] = index
        found = [(f"edges[{index}].{field}", message) for field, message in _edge_problems(edge, nodes, configs)]
        problems.extend(found)
        if not found:
            good_edges.append(edge)
            good_indexes.add(index)

    cycle = _find_cycle(list(nodes), good_edges, nodes)
    if cycle:
        problems.append(("edges", _cycle_message(cycle)))
    else:
        for index, edge in enumerate(flow.edges):
            if index in good_indexes:  # (not ``edge in good_edges``: comparing models pairwise is O(n²))
                problem = _again_problem(edge, nodes, configs, good_edges)
                if problem:
                    problems.append((f"edges[{index}].source", problem))

    if problems:
        raise InvalidConfigError(what, problems)
    graph_nodes = {
        node_id: GraphNode(node_id, node.type, NODE_SPECS[node.type], configs[node_id], node.title)
        for node_id, node in nodes.items()
    }
    return FlowGraph(flow, graph_nodes, tuple(flow.edges))


def _parse_format(data: Mapping[str, Any]) -> Flow:
    if not isinstance(data, Mapping):
        raise InvalidConfigError("the flow", [("", "expected an object with format, name, nodes and edges")])
    raw = dict(data)
    what = f"flow {raw['name']!r}" if isinstance(raw.get("name"), str) and raw.get("name") else "the flow"
    if raw.get("format", FLOW_FORMAT) != FLOW_FORMAT:
        raise InvalidConfigError(what, [("format", f"expected {FLOW_FORMAT!r}, not {raw.get('format')!r}")])
    try:
        return Flow.model_validate(raw)
    except ValidationError as exc:
        raise InvalidConfigError(what, _with_node_ids(describe_validation_error(exc, raw), raw)) from None


def _with_node_ids(problems: list[tuple[str, str]], raw: dict[str, Any]) -> list[tuple[str, str]]:
    """``nodes[3].config`` reads better as ``nodes[fetch].config`` when node 3 has an id."""
    nodes = raw.get("nodes")
    out = []
    for location, message in problems:
        match = re.match(r"^nodes\[(\d+)\]", location)
        if match and isinstance(nodes, list):
            index = int(match.group(1))
            node = nodes[index] if index < len(nodes) else None
            node_id = node.get("id") if isinstance(node, dict) else None
            if isinstance(node_id, str) and _NODE_ID.match(node_id):
                location = f"nodes[{node_id}]" + location[match.end() :]
        out.append((location, message))
    return out


def _config_problems(node_id: str, spec: NodeSpec, config: Mapping[str, Any]) -> tuple[Any, list[tuple[str, str]]]:
    try:
        return spec.config_model.model_validate(dict(config)), []
    except ValidationError as exc:
        base = f"nodes[{node_id}].config"
        return None, [
            (f"{base}.{loc}" if loc else base, message)
            for loc, message in describe_validation_error(exc, dict(config))
        ]


def _connection_problems(
    node_id: str, config: Any, connections: Mapping[str, Iterable[str]]
) -> list[tuple[str, str]]:
    if not isinstance(config, ApiCallConfig | LookupConfig | WebhookOutConfig):
        return []
    if not config.connection or not config.entity:
        return []
    base = f"nodes[{node_id}].config"
    entities = connections.get(config.connection)
    if entities is None:
        known = ", ".join(sorted(connections)) or "none yet"
        return [(f"{base}.connection", f"there is no connection {config.connection!r} (connections: {known})")]
    names = set(entities)
    if config.entity not in names and not config.entity.startswith("/"):
        known = ", ".join(sorted(names)) or "none yet"
        return [
            (f"{base}.entity", f"connection {config.connection!r} has no entity {config.entity!r} (entities: {known})")
        ]
    return []


# --- templates -----------------------------------------------------------------------------------------

_TEMPLATE_TOKENS = re.compile(r"\{\{|\}\}|\{[^{}]*\}|\{(?=[A-Za-z_])")
_PLACEHOLDER = re.compile(r"^\{[A-Za-z_][\w\-]*(?:\.[\w\-]+|\[\d+\])*\}$")  # as in model.templating
_NOT_A_NAME = re.compile(r"^\s|\s$|[\"':,]")


def template_problem(text: str) -> str | None:
    """Why ``text`` holds a broken ``{placeholder}``, else ``None``.

    Only what looks like an attempt at a placeholder is refused (``{last sync}``, ``{id`` without its
    ``}``); other braces stay literal text as the templating leaves them (``{ id }`` in a GraphQL query,
    ``{"a": 1}``), so a working template is never refused.
    """
    for match in _TEMPLATE_TOKENS.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}") or _PLACEHOLDER.match(token):
            continue
        if token == "{":
            return f"unmatched '{{' at position {match.start() + 1} (write {{{{ for a literal brace)"
        inner = token[1:-1]
        if inner and not _NOT_A_NAME.search(inner):
            return (
                f"{token} is not a placeholder: names are letters, digits, _ and -, with dots for nested fields "
                "({Temp.mediaId}); write {{ and }} for literal braces"
            )
    return None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{path}[{index}]")


def _template_problems(node_id: str, config: Any) -> list[tuple[str, str]]:
    fields: list[tuple[str, Any]] = []
    if isinstance(config, ApiCallConfig):
        fields = [
            ("params", config.params),
            ("query", config.query),
            ("headers", config.headers),
            ("body", config.body),
        ]
    elif isinstance(config, TransformConfig):
        fields = [("set", config.set)]
    elif isinstance(config, OutputConfig):
        fields = [("path", config.path)]
    elif isinstance(config, WebhookOutConfig):
        fields = [("url", config.url), ("body", config.body)]
    problems = []
    for name, value in fields:
        for path, text in _strings(value, f"nodes[{node_id}].config.{name}"):
            problem = template_problem(text)
            if problem:
                problems.append((path, problem))
    return problems


# --- secrets ---------------------------------------------------------------------------------------------

_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token", "private-token"}
)
_CREDENTIAL_QUERY = frozenset({"api_key", "apikey", "access_token", "token", "client_secret", "password"})


def _credential_problems(node_id: str, config: Any) -> list[tuple[str, str]]:
    """Flows are exported and shared, so a literal credential in one is refused: it belongs in a connection."""
    if not isinstance(config, ApiCallConfig):
        return []
    found = [("headers", name, value) for name, value in config.headers.items() if name.lower() in _CREDENTIAL_HEADERS]
    found += [("query", name, value) for name, value in config.query.items() if name.lower() in _CREDENTIAL_QUERY]
    return [
        (
            f"nodes[{node_id}].config.{where}.{name}",
            "a credential does not belong in a flow (flows are exported and shared); "
            "set it in the connection's auth",
        )
        for where, name, value in found
        if isinstance(value, str) and value and "{" not in value
    ]


# --- edges and cycles ----------------------------------------------------------------------------------


def _port_names(ports: Iterable[PortSpec]) -> str:
    return ", ".join(p.name for p in ports) or "none"


def _edge_problems(edge: Edge, nodes: Mapping[str, FlowNode], configs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field, message)`` for an edge whose ends do not exist or do not fit together."""
    problems: list[tuple[str, str]] = []
    known = ", ".join(nodes) or "none"
    source_port: PortSpec | None = None
    source = nodes.get(edge.source_node)
    if source is None:
        problems.append(("source", f"{edge}: there is no node {edge.source_node!r} (nodes: {known})"))
    elif (source_spec := NODE_SPECS.get(source.type)) is not None:
        source_port = next((p for p in source_spec.outputs if p.name == edge.source_port), None)
        if source_port is None:
            inputs = source_spec.inputs_for(configs.get(source.id))
            is_input = edge.source_port in {p.name for p in inputs}
            also = " (that is an input; an edge starts at an output)" if is_input else ""
            problems.append(
                (
                    "source",
                    f"{edge}: node {source.id!r} ({source.type}) has no output {edge.source_port!r}{also} "
                    f"(outputs: {_port_names(source_spec.outputs)})",
                )
            )
    target = nodes.get(edge.target_node)
    if target is None:
        problems.append(("target", f"{edge}: there is no node {edge.target_node!r} (nodes: {known})"))
        return problems
    target_spec = NODE_SPECS.get(target.type)
    if target_spec is None:
        return problems
    inputs = target_spec.inputs_for(configs.get(target.id))
    target_port = next((p for p in inputs if p.name == edge.target_port), None)
    if target_port is None:
        is_output = edge.target_port in target_spec.output_names()
        also = " (that is an output; an edge ends at an input)" if is_output else ""
        problems.append(
            (
                "target",
                f"{edge}: node {target.id!r} ({target.type}) has no input {edge.target_port!r}{also} "
                f"(inputs: {_port_names(inputs)})",
            )
        )
        return problems
    if source_port is not None and source_port.kind not in target_port.accepts:
        problems.append(
            (
                "target",
                f"{edge}: {target.id}.{target_port.name} does not take {source_port.kind} items "
                f"(it takes {', '.join(sorted(target_port.accepts))} items: {target_port.description})",
            )
        )
    config = configs.get(target.id)
    if target_port.name == "again" and isinstance(config, LoopConfig) and config.mode != "while":
        message = f"{edge}: again is the back-edge of a while loop, but loop {target.id!r} is in {config.mode} mode"
        problems.append(("target", message))
    return problems


def _is_back_edge(edge: Edge, nodes: Mapping[str, FlowNode]) -> bool:
    target = nodes.get(edge.target_node)
    return target is not None and target.type == "loop" and edge.target_port == "again"


def _find_cycle(order: list[str], edges: Iterable[Edge], nodes: Mapping[str, FlowNode]) -> list[str] | None:
    """A cycle (as a node list, first node repeated at the end) not using a loop's ``again`` input."""
    successors: dict[str, list[str]] = {node_id: [] for node_id in order}
    for edge in edges:
        if not _is_back_edge(edge, nodes) and edge.source_node in successors and edge.target_node in successors:
            successors[edge.source_node].append(edge.target_node)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node_id: str) -> list[str] | None:
        state[node_id] = 1
        path.append(node_id)
        for following in successors[node_id]:
            if state.get(following) == 1:
                return [*path[path.index(following) :], following]
            if following not in state:
                found = visit(following)
                if found:
                    return found
        path.pop()
        state[node_id] = 2
        return None

    for node_id in order:
        if node_id not in state:
            found = visit(node_id)
            if found:
                return found
    return None


def _cycle_message(cycle: list[str]) -> str:
    return (
        f"the cycle {' → '.join(cycle)} does not pass through a loop node's again input "
        "(to repeat steps, use a loop in while mode and connect the last step to its again input)"
    )


def _loop_body(loop_id: str, edges: Iterable[Edge]) -> set[str]:
    edge_list = list(edges)
    forward: dict[str, set[str]] = {}
    backward: dict[str, set[str]] = {}
    starts: set[str] = set()
    ends: set[str] = set()
    for edge in edge_list:
        if edge.source_node == loop_id and edge.source_port == "each":
            starts.add(edge.target_node)
        if edge.target_node == loop_id and edge.target_port == "again":
            ends.add(edge.source_node)
        if edge.source_node != loop_id and edge.target_node != loop_id:
            forward.setdefault(edge.source_node, set()).add(edge.target_node)
            backward.setdefault(edge.target_node, set()).add(edge.source_node)
    return _reach(starts - {loop_id}, forward) & _reach(ends - {loop_id}, backward)


def _reach(starts: Iterable[str], links: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(links.get(current, ()))
    return seen


def _again_problem(
    edge: Edge, nodes: Mapping[str, FlowNode], configs: Mapping[str, Any], edges: Iterable[Edge]
) -> str | None:
    """A loop's ``again`` input must be fed from the loop's own body (a node after its ``each`` output)."""
    if not _is_back_edge(edge, nodes) or not isinstance(configs.get(edge.target_node), LoopConfig):
        return None
    if edge.source_node in _loop_body(edge.target_node, edges):
        return None
    return (
        f"{edge}: {edge.target} takes items back from the loop's own steps, but {edge.source_node!r} does not "
        f"come after {edge.target_node}.each"
    )
