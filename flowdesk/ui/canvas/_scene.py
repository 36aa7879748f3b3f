"""The canvas scene: items for a :class:`FlowDocument`, kept in step with it, and the wiring gestures.

The scene listens to the document (node added, moved, wire removed …) and updates only the items concerned;
it never edits the flow itself. What the user does becomes an undo command pushed on the editor's stack:
a finished node drag becomes one :class:`MoveNodesCommand`, a wire dropped on an input a
:class:`ConnectCommand` (after asking the model whether it would accept it, so a refusal is a hint, not an
error), a wire dropped on empty canvas asks the editor to offer the node types that fit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainterPath, QPen, QTransform, QUndoStack
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
)

from flowdesk.model.flow import Edge, FlowNode
from flowdesk.ui.canvas._commands import (
    ConnectCommand,
    DisconnectCommand,
    MoveNodesCommand,
)
from flowdesk.ui.canvas._document import Change, FlowDocument, Problem
from flowdesk.ui.canvas._items import DRAG_Z, TEXT_LOD, NodeItem, Port, WireItem, distance, wire_path
from flowdesk.ui.canvas._run_state import RunState
from flowdesk.ui.canvas._theme import GRID, HEADER, NODE_WIDTH, SELECT_COLOR, SUMMARY, Theme, snap, theme

PORT_PICK_RADIUS = 16.0
"""How close (scene units) the mouse must come to a port for a dragged wire to snap onto it."""
RUN_REFRESH_MS = 100
ZOOM_REST_MS = 250
"""After the last zoom step, node pictures are cached again this much later."""
"""Node faces are repainted at most this often while a run reports progress."""


@dataclass
class _WireDrag:
    origin: Port
    from_output: bool
    picked: WireItem | None = None
    candidate: Port | None = None
    problem: str | None = None


class FlowScene(QGraphicsScene):
    """Shows one document; emits ``hint`` for the status bar and asks for a quick-add when a wire ends nowhere."""

    hint = Signal(str)
    quick_add_requested = Signal(QPointF, str, bool)  # scene position, endpoint of the dragged wire, from an output
    node_double_clicked = Signal(str)
    geometry_changed = Signal()
    problems_changed = Signal()
    run_painted = Signal()  # node faces show new run states (throttled)

    def __init__(
        self,
        document: FlowDocument,
        undo_stack: QUndoStack,
        *,
        connections: Callable[[], Mapping[str, Iterable[str]] | None] | None = None,
        dark: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.undo_stack = undo_stack
        self.connections = connections or (lambda: None)
        self.theme: Theme = theme(dark)
        self.snap_to_grid = True
        self.node_cache_mode = QGraphicsItem.CacheMode.DeviceCoordinateCache
        self.nodes: dict[str, NodeItem] = {}
        self.wires: dict[tuple[str, str], WireItem] = {}
        self.problems: list[Problem] = []
        self.run_state: RunState | None = None
        self._drag: _WireDrag | None = None
        self._press_positions: dict[str, tuple[float, float]] = {}
        self._nodes_rect: QRectF | None = None
        self._temp_wire = QGraphicsPathItem()
        self._temp_wire.setZValue(DRAG_Z)
        self._temp_wire.hide()
        self.addItem(self._temp_wire)
        self._drag_hint = QGraphicsSimpleTextItem()
        self._drag_hint.setZValue(DRAG_Z + 1)
        self._drag_hint.hide()
        self.addItem(self._drag_hint)
        self.ghost = QGraphicsPathItem()
        self.ghost.setZValue(DRAG_Z)
        self.ghost.hide()
        self.addItem(self.ghost)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)

        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(150)
        self._validate_timer.timeout.connect(self.validate)
        self._run_timer = QTimer(self)
        self._run_timer.setSingleShot(True)
        self._run_timer.setInterval(RUN_REFRESH_MS)
        self._run_timer.timeout.connect(self._refresh_run)
        self._run_dirty: set[str] = set()
        self._spin_timer = QTimer(self)
        self._spin_timer.setInterval(90)
        self._spin_timer.timeout.connect(self._spin)
        self._geometry_timer = QTimer(self)
        self._geometry_timer.setSingleShot(True)
        self._geometry_timer.setInterval(60)
        self._geometry_timer.timeout.connect(self.geometry_changed.emit)
        self._zoom_rest_timer = QTimer(self)
        self._zoom_rest_timer.setSingleShot(True)
        self._zoom_rest_timer.setInterval(ZOOM_REST_MS)
        self._zoom_rest_timer.timeout.connect(self._zoom_rested)

        self.rebuild()
        document.subscribe(self._on_change)

    def detach(self) -> None:
        """Stop listening to the document (the tab is closing)."""
        self.document.unsubscribe(self._on_change)
        for timer in (
            self._validate_timer,
            self._run_timer,
            self._spin_timer,
            self._geometry_timer,
            self._zoom_rest_timer,
        ):
            timer.stop()

    # --- building -----------------------------------------------------------------------------------

    def rebuild(self) -> None:
        for item in [*self.wires.values(), *self.nodes.values()]:
            self.removeItem(item)
        self.nodes.clear()
        self.wires.clear()
        unplaced: list[FlowNode] = []
        for node in self.document.flow.nodes:
            item = self._add_node_item(node)
            if node.position is None:
                unplaced.append(node)
        for index, node in enumerate(unplaced):  # a file without positions: a simple row until laid out
            self.nodes[node.id].set_position(index * (NODE_WIDTH + 60), 0)
        for edge in self.document.flow.edges:
            self._add_wire_item(edge)
        self.validate()
        self.geometry_changed.emit()

    def _add_node_item(self, node: FlowNode) -> NodeItem:
        self._nodes_rect = None
        item = NodeItem(self, node)
        self.nodes[node.id] = item
        self.addItem(item)
        if self.run_state is not None:
            item.set_run(self.run_state.nodes.get(node.id))
        return item

    def _add_wire_item(self, edge: Edge) -> WireItem | None:
        source = self.nodes.get(edge.source_node)
        target = self.nodes.get(edge.target_node)
        if source is None or target is None:
            return None
        source_port = source.port(edge.source_port, output=True)
        target_port = target.port(edge.target_port, output=False)
        if source_port is None or target_port is None:
            return None
        wire = WireItem(edge, source_port, target_port)
        self.wires[(edge.source, edge.target)] = wire
        source.wires.append(wire)
        target.wires.append(wire)
        self.addItem(wire)
        source_port.restyle()
        target_port.restyle()
        self._label_wire(wire)
        return wire

    def _remove_wire_item(self, key: tuple[str, str]) -> None:
        wire = self.wires.pop(key, None)
        if wire is None:
            return
        for node in (wire.source_port.node, wire.target_port.node):
            if wire in node.wires:
                node.wires.remove(wire)
        self.removeItem(wire)
        wire.source_port.restyle()
        wire.target_port.restyle()

    # --- listening to the document ------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        flow = self.document.flow
        if change.kind == "node_added" and change.node_id is not None:
            self._add_node_item(flow.node(change.node_id))
        elif change.kind == "node_removed" and change.node_id is not None:
            item = self.nodes.pop(change.node_id, None)
            self._nodes_rect = None
            if item is not None:
                for wire in list(item.wires):
                    self._remove_wire_item((wire.edge.source, wire.edge.target))
                self.removeItem(item)
        elif change.kind in ("node_moved", "node_changed") and change.node_id is not None:
            node_item = self.nodes.get(change.node_id)
            if node_item is not None:
                node = flow.node(change.node_id)
                before = [p.spec for p in node_item.inputs]
                node_item.update_from(node)
                if [p.spec for p in node_item.inputs] != before:
                    self._rewire(node_item)
                for wire in node_item.wires:
                    wire.update_path()
        elif change.kind == "node_renamed" and change.node_id is not None and change.old_id is not None:
            node_item = self.nodes.pop(change.old_id)
            self.nodes[change.node_id] = node_item
            node_item.update_from(flow.node(change.node_id))
            self._rewire(node_item)
        elif change.kind == "edge_added" and change.edge is not None:
            self._add_wire_item(change.edge)
        elif change.kind == "edge_removed" and change.edge is not None:
            self._remove_wire_item((change.edge.source, change.edge.target))
        elif change.kind == "flow_changed":
            pass
        self._validate_timer.start()
        self._geometry_timer.start()

    def _rewire(self, node_item: NodeItem) -> None:
        """Rebuild the wires of a node whose ports or id changed."""
        for wire in list(node_item.wires):
            self._remove_wire_item((wire.edge.source, wire.edge.target))
        node_id = node_item.node_id
        for edge in self.document.flow.edges_of(node_id):
            if (edge.source, edge.target) not in self.wires:
                self._add_wire_item(edge)

    # --- validation ---------------------------------------------------------------------------------

    def validate(self) -> None:
        """Mark nodes and wires a run would refuse (red outline, tooltip with the reasons)."""
        self._validate_timer.stop()
        self.problems = self.document.problems(self.connections())
        by_node: dict[str, list[str]] = {}
        bad_edges: dict[tuple[str, str], str] = {}
        for problem in self.problems:
            if problem.edge is not None:
                bad_edges[(problem.edge.source, problem.edge.target)] = problem.message
            elif problem.node_id is not None:
                field = problem.location.split(".config.", 1)[1] if ".config." in problem.location else ""
                by_node.setdefault(problem.node_id, []).append(
                    f"{field}: {problem.message}" if field else problem.message
                )
        for node_id, item in self.nodes.items():
            item.set_problems(by_node.get(node_id, []))
        self._geometry_timer.start()  # the minimap shows problems too
        for key, wire in self.wires.items():
            message = bad_edges.get(key)
            if (message is not None) != wire.invalid:
                wire.set_invalid(message is not None, message or "")
        self.problems_changed.emit()

    def problems_of(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node_id == node_id]

    # --- run overlay --------------------------------------------------------------------------------

    def set_run_state(self, state: RunState | None) -> None:
        """Show ``state`` on every node and wire (``None`` clears the overlay)."""
        self.run_state = state
        self._run_dirty = set(self.nodes)
        self._refresh_run()

    def run_changed(self, node_ids: Iterable[str], *, now: bool = False) -> None:
        """Some nodes' run state changed: repaint them soon (throttled, whatever the event rate)."""
        self._run_dirty.update(node_ids)
        if now:
            self._run_timer.stop()
            self._refresh_run()
        elif not self._run_timer.isActive():
            self._run_timer.start()

    def _refresh_run(self) -> None:
        state = self.run_state
        dirty, self._run_dirty = self._run_dirty, set()
        spinning = False
        for node_id in dirty:
            item = self.nodes.get(node_id)
            if item is None:
                continue
            item.set_run(state.nodes.get(node_id) if state is not None else None)
            for wire in item.wires:
                if wire.source_port.node is item:
                    self._label_wire(wire)
        if dirty:
            self.run_painted.emit()
        if state is not None and not state.finished:
            spinning = any(n.state == "running" for n in state.nodes.values())
        if spinning and not self._spin_timer.isActive():
            self._spin_timer.start()
        elif not spinning:
            self._spin_timer.stop()

    def _label_wire(self, wire: WireItem) -> None:
        state = self.run_state
        if state is None:
            wire.set_count("")
            return
        source = state.nodes.get(wire.source_port.node.node_id)
        if source is None:
            wire.set_count("")
            return
        port = wire.source_port.name
        ended = source.state in ("done", "failed")
        count: int | None = None
        if port in source.port_counts:
            count = source.port_counts[port]
        elif state.recorded and ended:
            # a recorded run keeps counts per node, not per port: what the target took in, when this wire
            # is its only input
            target_item = wire.target_port.node
            incoming = [w for w in target_item.wires if w.target_port.node is target_item]
            target = state.nodes.get(target_item.node_id)
            single = len(incoming) == 1 and target is not None and target.state == "done"
            count = target.items_in if single and target is not None else None
        elif ended and not state.recorded:
            count = 0
        wire.set_count(f"{count:,}" if count is not None else "")

    def _spin(self) -> None:
        state = self.run_state
        if state is None or state.finished:
            self._spin_timer.stop()
            return
        for node_id, node in state.nodes.items():
            if node.state == "running":
                item = self.nodes.get(node_id)
                if item is not None:
                    item.spin_phase += 1
                    item.update(QRectF(NODE_WIDTH - 30, HEADER, 30, SUMMARY))  # just the spinner

    # --- selection helpers --------------------------------------------------------------------------

    def selected_node_ids(self) -> list[str]:
        return [item.node_id for item in self.selectedItems() if isinstance(item, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [item.edge for item in self.selectedItems() if isinstance(item, WireItem)]

    def select_nodes(self, node_ids: Iterable[str]) -> None:
        wanted = set(node_ids)
        self.clearSelection()
        for node_id in wanted:
            item = self.nodes.get(node_id)
            if item is not None:
                item.setSelected(True)

    def nodes_rect(self) -> QRectF:
        """The rectangle around every node (cached until a node moves, comes or goes)."""
        if self._nodes_rect is None:
            rect = QRectF()
            for item in self.nodes.values():
                rect = rect.united(item.sceneBoundingRect())
            self._nodes_rect = rect
        return QRectF(self._nodes_rect)

    def zoom_changed(self, zoom: float) -> None:
        """While the zoom changes, a picture cached at screen resolution would be drawn again at every step.
        So during a zoom, nodes showing text keep one picture at their own size, which the view scales
        (slightly soft for a moment), and zoomed-out nodes, mere blocks, paint directly. Once the zoom
        rests, pictures are cached at screen resolution again: sharp, and panning just copies them."""
        self._set_cache_mode(
            QGraphicsItem.CacheMode.ItemCoordinateCache if zoom >= TEXT_LOD else QGraphicsItem.CacheMode.NoCache
        )
        self._zoom_rest_timer.start()

    def _zoom_rested(self) -> None:
        self._set_cache_mode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def _set_cache_mode(self, mode: QGraphicsItem.CacheMode) -> None:
        if mode != self.node_cache_mode:
            self.node_cache_mode = mode
            for item in self.nodes.values():
                item.setCacheMode(mode)

    def node_geometry_changed(self) -> None:
        self._nodes_rect = None
        self._geometry_timer.start()

    def set_dark(self, dark: bool) -> None:
        self.theme = theme(dark)
        for item in self.nodes.values():
            item.refresh_look()
        for wire in self.wires.values():
            wire.restyle()
            self._label_wire(wire)
        self.update()

    # --- ghost of a node being dragged from the palette ---------------------------------------------

    def show_ghost(self, pos: QPointF | None) -> None:
        if pos is None:
            self.ghost.hide()
            return
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_WIDTH, 90), 7, 7)
        self.ghost.setPath(path)
        self.ghost.setBrush(self.theme.ghost)
        pen = QPen(QColor(SELECT_COLOR), 1.5, Qt.PenStyle.DashLine)
        self.ghost.setPen(pen)
        self.ghost.setPos(self.drop_position(pos))
        self.ghost.show()

    def drop_position(self, pos: QPointF) -> QPointF:
        """Where a node dropped with the cursor at ``pos`` goes (its header under the cursor, snapped)."""
        x, y = pos.x() - NODE_WIDTH / 2, pos.y() - 14
        if self.snap_to_grid:
            return QPointF(snap(x), snap(y))
        return QPointF(x, y)

    # --- mouse: wiring and moving -------------------------------------------------------------------

    def port_near(self, pos: QPointF, *, want_output: bool | None = None) -> Port | None:
        """The port closest to ``pos`` within the pick radius (optionally only outputs or inputs)."""
        radius = PORT_PICK_RADIUS
        best: Port | None = None
        best_distance = radius
        area = QRectF(pos.x() - radius, pos.y() - radius, 2 * radius, 2 * radius)
        for item in self.items(area, Qt.ItemSelectionMode.IntersectsItemBoundingRect):
            if not isinstance(item, NodeItem):
                continue
            if want_output is None:
                ports = [*item.outputs, *item.inputs]
            else:
                ports = item.outputs if want_output else item.inputs
            for port in ports:
                d = distance(port.scene_center(), pos)
                if d <= best_distance:
                    best, best_distance = port, d
        return best

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            port = self.port_near(event.scenePos())
            if port is not None:
                self._start_wire_drag(port, event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {
                item.node_id: (item.pos().x(), item.pos().y())
                for item in self.selectedItems()
                if isinstance(item, NodeItem)
            }

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            self._update_wire_drag(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            self._finish_wire_drag(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.commit_moves()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        item = self.itemAt(event.scenePos(), QTransform())
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        if isinstance(item, NodeItem):
            self.node_double_clicked.emit(item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self._drag is not None:
            self.cancel_wire_drag()
            event.accept()
            return
        super().keyPressEvent(event)

    def commit_moves(self) -> None:
        """Turn nodes dragged since the press into one undoable move."""
        pressed, self._press_positions = self._press_positions, {}
        moves: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        for node_id, old in pressed.items():
            item = self.nodes.get(node_id)
            if item is None:
                continue
            new = (item.pos().x(), item.pos().y())
            if new != old:
                moves[node_id] = (old, new)
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.document, moves, on_error=self.hint.emit))

    def _start_wire_drag(self, port: Port, pos: QPointF) -> None:
        picked: WireItem | None = None
        origin = port
        from_output = port.is_output
        if not port.is_output:
            attached = [w for w in port.node.wires if w.target_port is port]
            if attached:  # grabbing a connected input picks its wire up (drop it elsewhere or on nothing)
                picked = attached[-1]
                picked.hide()
                origin, from_output = picked.source_port, True
        self._drag = _WireDrag(origin, from_output, picked)
        pen = QPen(QColor(SELECT_COLOR), 2.2, Qt.PenStyle.DashLine)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self._temp_wire.setPen(pen)
        self._temp_wire.show()
        for node in self.nodes.values():
            for other in node.inputs if from_output else node.outputs:
                other.set_dim(not self._maybe_compatible(origin, other, from_output))
        self._update_wire_drag(pos)
        self.hint.emit(
            "Drop on an input to connect, on empty canvas to add a node that fits; Esc cancels"
            if from_output
            else "Drop on an output to connect; Esc cancels"
        )

    @staticmethod
    def _maybe_compatible(origin: Port, other: Port, from_output: bool) -> bool:
        """A quick check (kinds, same node) to dim hopeless ports; the model has the last word."""
        if other.node is origin.node:
            return False
        source, target = (origin, other) if from_output else (other, origin)
        return source.spec.kind in target.spec.accepts

    def _update_wire_drag(self, pos: QPointF) -> None:
        drag = self._drag
        if drag is None:
            return
        candidate = self.port_near(pos, want_output=not drag.from_output)
        if candidate is not None and candidate.node is drag.origin.node:
            candidate = None
        if candidate is not drag.candidate:
            if drag.candidate is not None:
                drag.candidate.set_target(False)
            drag.candidate = candidate
            drag.problem = self._problem(drag, candidate) if candidate is not None else None
            if candidate is not None:
                candidate.set_target(drag.problem is None)
                self.hint.emit(
                    f"Can't connect: {drag.problem}" if drag.problem else f"Release to connect {self._pair(drag)}"
                )
        end = candidate.scene_center() if candidate is not None and drag.problem is None else pos
        start = drag.origin.scene_center()
        path = wire_path(start, end) if drag.from_output else wire_path(end, start)
        self._temp_wire.setPath(path)
        pen = self._temp_wire.pen()
        pen.setColor(QColor("#dc2626") if drag.problem else QColor(SELECT_COLOR))
        self._temp_wire.setPen(pen)
        if drag.problem:
            self._drag_hint.setText("✗ " + _first_clause(drag.problem))
            self._drag_hint.setBrush(QColor("#dc2626"))
            self._drag_hint.setPos(pos + QPointF(14, 10))
            self._drag_hint.show()
        else:
            self._drag_hint.hide()

    def _pair(self, drag: _WireDrag) -> tuple[str, str]:
        assert drag.candidate is not None
        if drag.from_output:
            return drag.origin.endpoint, drag.candidate.endpoint
        return drag.candidate.endpoint, drag.origin.endpoint

    def _problem(self, drag: _WireDrag, candidate: Port) -> str | None:
        drag.candidate = candidate
        source, target = self._pair(drag)
        if drag.picked is not None and (source, target) == (drag.picked.edge.source, drag.picked.edge.target):
            return None
        return self.document.connect_problem(source, target)

    def cancel_wire_drag(self) -> None:
        drag = self._drag
        self._drag = None
        self._temp_wire.hide()
        self._drag_hint.hide()
        for node in self.nodes.values():
            for port in [*node.inputs, *node.outputs]:
                port.set_dim(False)
                port.set_target(False)
        if drag is not None and drag.picked is not None:
            drag.picked.show()

    def _finish_wire_drag(self, pos: QPointF) -> None:
        drag = self._drag
        if drag is None:
            return
        self._update_wire_drag(pos)
        candidate, problem, picked = drag.candidate, drag.problem, drag.picked
        origin, from_output = drag.origin, drag.from_output
        self.cancel_wire_drag()
        if candidate is not None:
            if problem is not None:
                self.hint.emit(f"Not connected: {problem}")
                return
            source, target = (origin.endpoint, candidate.endpoint) if from_output else (
                candidate.endpoint, origin.endpoint
            )
            if picked is not None and (source, target) == (picked.edge.source, picked.edge.target):
                return
            if picked is not None:
                self.undo_stack.beginMacro(f"Reconnect {source} → {target}")
                self.undo_stack.push(
                    DisconnectCommand(self.document, picked.edge.source, picked.edge.target, self.hint.emit)
                )
                self.undo_stack.push(ConnectCommand(self.document, source, target, self.hint.emit))
                self.undo_stack.endMacro()
            else:
                self.undo_stack.push(ConnectCommand(self.document, source, target, self.hint.emit))
            self.hint.emit(f"Connected {source} → {target}")
            return
        if picked is not None:
            self.undo_stack.push(
                DisconnectCommand(self.document, picked.edge.source, picked.edge.target, self.hint.emit)
            )
            self.hint.emit(f"Removed the wire {picked.edge}")
            return
        if distance(pos, origin.scene_center()) > GRID:
            self.quick_add_requested.emit(pos, origin.endpoint, from_output)

    @property
    def dragging_wire(self) -> bool:
        return self._drag is not None


def _first_clause(text: str) -> str:
    """The short reason of a model message (the part after the edge it names), for the cursor hint."""
    if ": " in text:
        text = text.split(": ", 1)[1]
    return text if len(text) <= 90 else text[:89] + "…"
