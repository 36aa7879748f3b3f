"""Undo commands: every edit of the canvas is one of these, and each calls a :class:`FlowDocument` method.

The document (and below it the flow model) validates and raises :class:`FlowEditError` without changing
anything; callers check what they can before pushing (``FlowDocument.connect_problem``) so a command that
reaches the stack always applies. A command whose first ``redo`` fails anyway marks itself obsolete, and
``QUndoStack.push`` then drops it; the error goes to ``on_error``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtGui import QUndoCommand

from flowdesk.model.errors import FlowdeskError
from flowdesk.model.flow import Edge, FlowNode, Position
from flowdesk.model.nodes import NODE_SPECS
from flowdesk.ui.canvas._document import FlowDocument

ErrorSink = Callable[[str], None]
Point = tuple[float, float]


class _Command(QUndoCommand):
    def __init__(self, document: FlowDocument, text: str, on_error: ErrorSink | None = None) -> None:
        super().__init__(text)
        self.document = document
        self.on_error = on_error
        self.error: str | None = None

    def redo(self) -> None:
        try:
            self.apply()
        except FlowdeskError as exc:
            self.error = str(exc)
            self.setObsolete(True)
            if self.on_error is not None:
                self.on_error(self.error)

    def undo(self) -> None:
        self.revert()

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


class AddNodeCommand(_Command):
    """Add a node of ``node_type`` at ``position`` (its id is picked on the first redo and kept)."""

    def __init__(
        self,
        document: FlowDocument,
        node_type: str,
        position: Point,
        *,
        config: Mapping[str, Any] | None = None,
        title: str | None = None,
        on_error: ErrorSink | None = None,
    ) -> None:
        spec = NODE_SPECS.get(node_type)
        super().__init__(document, f"Add {spec.title if spec else node_type}", on_error)
        self.node_type = node_type
        self.position = position
        self.config = dict(config or {})
        self.title = title
        self.node_id: str | None = None

    def apply(self) -> None:
        node = self.document.add_node(
            self.node_type, node_id=self.node_id, title=self.title, position=self.position, config=self.config
        )
        self.node_id = node.id

    def revert(self) -> None:
        if self.node_id is not None:
            self.document.remove_node(self.node_id)


class RemoveCommand(_Command):
    """Remove nodes (with their wires) and wires."""

    def __init__(
        self,
        document: FlowDocument,
        node_ids: list[str],
        edges: list[Edge],
        on_error: ErrorSink | None = None,
    ) -> None:
        what = []
        if node_ids:
            what.append(f"{len(node_ids)} node{'s' if len(node_ids) != 1 else ''}")
        loose = [e for e in edges if e.source_node not in node_ids and e.target_node not in node_ids]
        if loose:
            what.append(f"{len(loose)} wire{'s' if len(loose) != 1 else ''}")
        super().__init__(document, f"Delete {' and '.join(what) or 'nothing'}", on_error)
        self.node_ids = list(node_ids)
        self.loose_edges = loose
        self.removed_nodes: list[FlowNode] = []
        self.removed_edges: list[Edge] = []

    def apply(self) -> None:
        self.removed_edges = []
        for edge in self.loose_edges:
            self.removed_edges.append(self.document.disconnect(edge.source, edge.target))
        self.removed_nodes = []
        for node_id in self.node_ids:
            node, edges = self.document.remove_node(node_id)
            self.removed_nodes.append(node)
            self.removed_edges.extend(edges)

    def revert(self) -> None:
        for node in self.removed_nodes:
            self.document.restore_node(node)
        for edge in self.removed_edges:
            self.document.restore_edge(edge)


class MoveNodesCommand(_Command):
    """Move nodes: ``moves`` maps a node id to (old position, new position)."""

    def __init__(
        self,
        document: FlowDocument,
        moves: Mapping[str, tuple[Point, Point]],
        *,
        text: str | None = None,
        on_error: ErrorSink | None = None,
    ) -> None:
        count = len(moves)
        super().__init__(document, text or (f"Move {count} nodes" if count != 1 else "Move node"), on_error)
        self.moves = dict(moves)

    def apply(self) -> None:
        for node_id, (_old, new) in self.moves.items():
            self.document.move_node(node_id, *new)

    def revert(self) -> None:
        for node_id, (old, _new) in self.moves.items():
            self.document.move_node(node_id, *old)


class ConnectCommand(_Command):
    def __init__(self, document: FlowDocument, source: str, target: str, on_error: ErrorSink | None = None) -> None:
        super().__init__(document, f"Connect {source} → {target}", on_error)
        self.source = source
        self.target = target

    def apply(self) -> None:
        self.document.connect(self.source, self.target)

    def revert(self) -> None:
        self.document.disconnect(self.source, self.target)


class DisconnectCommand(_Command):
    def __init__(self, document: FlowDocument, source: str, target: str, on_error: ErrorSink | None = None) -> None:
        super().__init__(document, f"Disconnect {source} → {target}", on_error)
        self.source = source
        self.target = target

    def apply(self) -> None:
        self.document.disconnect(self.source, self.target)

    def revert(self) -> None:
        self.document.restore_edge(Edge(source=self.source, target=self.target))


class SetConfigCommand(_Command):
    def __init__(
        self,
        document: FlowDocument,
        node_id: str,
        config: Mapping[str, Any],
        *,
        text: str | None = None,
        on_error: ErrorSink | None = None,
    ) -> None:
        super().__init__(document, text or f"Configure {node_id}", on_error)
        self.node_id = node_id
        self.new = copy.deepcopy(dict(config))
        self.old: dict[str, Any] | None = None

    def apply(self) -> None:
        self.old = self.document.set_config(self.node_id, copy.deepcopy(self.new))

    def revert(self) -> None:
        if self.old is not None:
            self.document.set_config(self.node_id, self.old)


class SetTitleCommand(_Command):
    def __init__(
        self, document: FlowDocument, node_id: str, title: str | None, on_error: ErrorSink | None = None
    ) -> None:
        super().__init__(document, f"Rename {node_id}", on_error)
        self.node_id = node_id
        self.new = title
        self.old: str | None = None

    def apply(self) -> None:
        self.old = self.document.set_title(self.node_id, self.new)

    def revert(self) -> None:
        self.document.set_title(self.node_id, self.old)


class RenameNodeCommand(_Command):
    """Change a node's id (its wires follow)."""

    def __init__(self, document: FlowDocument, old_id: str, new_id: str, on_error: ErrorSink | None = None) -> None:
        super().__init__(document, f"Change id {old_id} → {new_id}", on_error)
        self.old_id = old_id
        self.new_id = new_id

    def apply(self) -> None:
        self.document.rename_node(self.old_id, self.new_id)

    def revert(self) -> None:
        self.document.rename_node(self.new_id, self.old_id)


class SetDetailsCommand(_Command):
    """Change the flow's own name or description."""

    def __init__(
        self,
        document: FlowDocument,
        *,
        name: str | None = None,
        description: str | None = None,
        on_error: ErrorSink | None = None,
    ) -> None:
        super().__init__(document, "Rename the flow" if name is not None else "Describe the flow", on_error)
        self.name = name
        self.description = description
        self.old: tuple[str, str | None] | None = None

    def apply(self) -> None:
        self.old = self.document.set_details(name=self.name, description=self.description)

    def revert(self) -> None:
        if self.old is not None:
            self.document.set_details(name=self.old[0], description=self.old[1] or "")


class PasteCommand(_Command):
    """Add a copied fragment (nodes and the wires between them), with fresh ids where the old ones are taken."""

    def __init__(
        self,
        document: FlowDocument,
        nodes: list[dict[str, Any]],
        edges: list[dict[str, Any]],
        offset: Point,
        *,
        text: str = "Paste",
        on_error: ErrorSink | None = None,
    ) -> None:
        super().__init__(document, text, on_error)
        self.nodes = copy.deepcopy(nodes)
        self.edges = copy.deepcopy(edges)
        self.offset = offset
        self.id_map: dict[str, str] = {}

    def _new_ids(self) -> dict[str, str]:
        taken = {n.id for n in self.document.flow.nodes}
        mapping: dict[str, str] = {}
        for node in self.nodes:
            old = str(node.get("id", ""))
            new = old
            if not new or new in taken:
                base = old.rstrip("0123456789") or str(node.get("type", "node"))
                number = 2
                while f"{base}{number}" in taken:
                    number += 1
                new = f"{base}{number}"
            taken.add(new)
            mapping[old] = new
        return mapping

    def apply(self) -> None:
        if not self.id_map:
            self.id_map = self._new_ids()
        added: list[str] = []
        try:
            for node in self.nodes:
                position = node.get("position") or {"x": 0, "y": 0}
                pos = Position.model_validate(position)
                new = self.document.add_node(
                    str(node.get("type")),
                    node_id=self.id_map[str(node.get("id"))],
                    title=node.get("title"),
                    position=(pos.x + self.offset[0], pos.y + self.offset[1]),
                    config=copy.deepcopy(node.get("config") or {}),
                )
                added.append(new.id)
            for edge in self.edges:
                source_node, source_port = str(edge["source"]).split(".", 1)
                target_node, target_port = str(edge["target"]).split(".", 1)
                if source_node in self.id_map and target_node in self.id_map:
                    self.document.connect(
                        f"{self.id_map[source_node]}.{source_port}", f"{self.id_map[target_node]}.{target_port}"
                    )
        except FlowdeskError:
            for node_id in reversed(added):
                self.document.remove_node(node_id)
            raise

    def revert(self) -> None:
        for new in reversed(list(self.id_map.values())):
            if self.document.flow.has_node(new):
                self.document.remove_node(new)

    @property
    def new_ids(self) -> list[str]:
        return list(self.id_map.values())
