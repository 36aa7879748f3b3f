"""The flow being edited in one canvas tab, and the changes the scene listens to.

:class:`FlowDocument` holds a :class:`~flowdesk.model.flow.Flow` (plain, Qt-free) and forwards every edit
to the flow's own edit methods, which validate and raise :class:`~flowdesk.model.flow.FlowEditError`
without changing anything. After a successful edit it tells its listeners what changed; the scene, the
inspector, the tab title (unsaved mark) and the autosave all listen. Nothing here imports Qt: undo
commands (``_commands.py``) call these methods, and tests can drive a document without a window.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flowdesk.model.errors import InvalidConfigError
from flowdesk.model.flow import Edge, Flow, FlowEditError, FlowNode, validate_flow

ChangeKind = Literal[
    "node_added",
    "node_removed",
    "node_moved",
    "node_changed",  # title or config
    "node_renamed",
    "edge_added",
    "edge_removed",
    "flow_changed",  # name, description, variables; or everything (a reload)
]


@dataclass(frozen=True, slots=True)
class Change:
    """One change of the document. ``node_id`` is the node's id after the change (``old_id`` before a rename)."""

    kind: ChangeKind
    node_id: str | None = None
    old_id: str | None = None
    edge: Edge | None = None


Listener = Callable[[Change], None]


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem, attributed to a node or an edge when its location names one."""

    location: str
    message: str
    node_id: str | None = None
    edge: Edge | None = None


class FlowDocument:
    """A flow under edit and who listens to its changes.

    ``stored_name`` is the name the flow has in the workspace (``None`` until first saved); ``revision``
    counts changes. Whether there are unsaved changes is the editor's business (its undo stack knows).
    """

    def __init__(self, flow: Flow, *, stored_name: str | None = None) -> None:
        self.flow = flow
        self.stored_name = stored_name
        self.revision = 0
        self._listeners: list[Listener] = []

    # --- listening ----------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self, change: Change) -> None:
        self.revision += 1
        for listener in list(self._listeners):
            listener(change)

    # --- state --------------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.flow.name

    def mark_saved(self, stored_name: str) -> None:
        self.stored_name = stored_name
        self._notify_only(Change("flow_changed"))

    def _notify_only(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def node(self, node_id: str) -> FlowNode:
        return self.flow.node(node_id)

    def to_file(self) -> dict[str, Any]:
        return self.flow.to_file()

    # --- edits (each raises FlowEditError and changes nothing when not allowed) ------------------------

    def add_node(
        self,
        node_type: str,
        *,
        node_id: str | None = None,
        title: str | None = None,
        position: tuple[float, float] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> FlowNode:
        node = self.flow.add_node(node_type, node_id=node_id, title=title, position=position, config=config)
        self._changed(Change("node_added", node.id))
        return node

    def restore_node(self, node: FlowNode) -> FlowNode:
        """Add back a node exactly as it was (undo of a removal)."""
        position = (node.position.x, node.position.y) if node.position is not None else None
        return self.add_node(
            node.type, node_id=node.id, title=node.title, position=position, config=copy.deepcopy(node.config)
        )

    def remove_node(self, node_id: str) -> tuple[FlowNode, list[Edge]]:
        """Remove a node and its edges (edges first, so listeners see each go)."""
        node = self.flow.node(node_id)
        edges = self.flow.edges_of(node_id)
        for edge in edges:
            self.disconnect(edge.source, edge.target)
        self.flow.remove_node(node_id)
        self._changed(Change("node_removed", node_id))
        return node, edges

    def move_node(self, node_id: str, x: float, y: float) -> tuple[float, float] | None:
        previous = self.flow.move_node(node_id, x, y)
        self._changed(Change("node_moved", node_id))
        return (previous.x, previous.y) if previous is not None else None

    def set_title(self, node_id: str, title: str | None) -> str | None:
        previous = self.flow.set_title(node_id, title)
        self._changed(Change("node_changed", node_id))
        return previous

    def set_config(self, node_id: str, config: Mapping[str, Any]) -> dict[str, Any]:
        """Replace a node's config without checking it: a half-configured node may sit on the canvas."""
        previous = self.flow.set_config(node_id, config, check=False)
        self._changed(Change("node_changed", node_id))
        return previous

    def rename_node(self, old_id: str, new_id: str) -> None:
        self.flow.rename_node(old_id, new_id)
        self._changed(Change("node_renamed", new_id, old_id=old_id))

    def connect(self, source: str, target: str) -> Edge:
        edge = self.flow.connect(source, target)
        self._changed(Change("edge_added", edge.target_node, edge=edge))
        return edge

    def disconnect(self, source: str, target: str) -> Edge:
        edge = self.flow.disconnect(source, target)
        self._changed(Change("edge_removed", edge.target_node, edge=edge))
        return edge

    def restore_edge(self, edge: Edge) -> Edge:
        """Put back an edge that was removed (undo). An edge the model would refuse now (one read from a
        broken file) comes back as it was, so undo restores exactly the previous flow."""
        try:
            return self.connect(edge.source, edge.target)
        except FlowEditError:
            self.flow.edges.append(edge)
            self._changed(Change("edge_added", edge.target_node, edge=edge))
            return edge

    def set_details(self, *, name: str | None = None, description: str | None = None) -> tuple[str, str | None]:
        """Change the flow's name and/or description; returns the previous ones.

        Raises:
            FlowEditError: an empty name.
        """
        previous = (self.flow.name, self.flow.description)
        if name is not None:
            if not name.strip():
                raise FlowEditError("a flow needs a name")
            self.flow.name = name.strip()
        if description is not None:
            self.flow.description = description or None
        self._changed(Change("flow_changed"))
        return previous

    # --- checks -------------------------------------------------------------------------------------

    def connect_problem(self, source: str, target: str) -> str | None:
        """Why ``source`` → ``target`` would be refused, or ``None`` (tried on a copy; nothing changes)."""
        trial = self.flow.model_copy(update={"edges": list(self.flow.edges)})
        try:
            trial.connect(source, target)
        except FlowEditError as exc:
            return str(exc)
        return None

    def problems(self, connections: Mapping[str, Iterable[str]] | None = None) -> list[Problem]:
        """Everything a run would refuse, each attributed to its node or edge where the location says."""
        try:
            validate_flow(self.flow, connections)
        except InvalidConfigError as exc:
            return [self._attribute(location, message) for location, message in exc.problems]
        return []

    def _attribute(self, location: str, message: str) -> Problem:
        if location.startswith("nodes["):
            inside = location[len("nodes[") : location.find("]")]
            if self.flow.has_node(inside):
                return Problem(location, message, node_id=inside)
            if inside.isdigit() and int(inside) < len(self.flow.nodes):
                return Problem(location, message, node_id=self.flow.nodes[int(inside)].id)
        if location.startswith("edges["):
            inside = location[len("edges[") : location.find("]")]
            if inside.isdigit() and int(inside) < len(self.flow.edges):
                edge = self.flow.edges[int(inside)]
                return Problem(location, message, node_id=edge.target_node, edge=edge)
        return Problem(location, message)


def fragment(flow: Flow, node_ids: Iterable[str]) -> dict[str, Any]:
    """The nodes ``node_ids`` and the edges between them, as the clipboard carries them."""
    wanted = set(node_ids)
    nodes = [n.model_dump(mode="json", by_alias=True, exclude_none=True) for n in flow.nodes if n.id in wanted]
    edges = [
        {"source": e.source, "target": e.target}
        for e in flow.edges
        if e.source_node in wanted and e.target_node in wanted
    ]
    return {"format": "flowdesk.flow-fragment", "version": 1, "nodes": nodes, "edges": edges}
