"""The graphics items of the canvas: nodes, their ports, and the wires between them.

Items show the flow model and hold no state of their own beyond what they display: the scene creates and
updates them when the document changes. Only :class:`NodeItem` paints in Python (with a cheap
level-of-detail path when zoomed out, and a device-coordinate cache so panning only blits); ports and wires
are stock Qt items, so a large flow costs few Python calls per frame.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from flowdesk.model.flow import Edge, FlowNode
from flowdesk.model.nodes import NODE_SPECS, PortSpec
from flowdesk.ui.canvas._run_state import NodeRunState
from flowdesk.ui.canvas._summary import node_summary
from flowdesk.ui.canvas._theme import (
    ERROR_COLOR,
    HEADER,
    NODE_WIDTH,
    PORT_RADIUS,
    ROW,
    SELECT_COLOR,
    STATE_COLORS,
    SUMMARY,
    Theme,
    draw_glyph,
    node_height,
    port_y,
    snap,
    type_color,
)

if TYPE_CHECKING:
    from flowdesk.ui.canvas._scene import FlowScene

NODE_Z = 10.0
WIRE_Z = 0.0
DRAG_Z = 50.0


def _fonts() -> tuple[QFont, QFont, QFont]:
    title = QFont()
    title.setPointSizeF(9.5)
    title.setBold(True)
    small = QFont()
    small.setPointSizeF(8.5)
    badge = QFont()
    badge.setPointSizeF(8.0)
    badge.setBold(True)
    return title, small, badge


class PortItem(QGraphicsEllipseItem):
    """A port circle on a node's edge: inputs on the left, outputs on the right (stock painting)."""

    def __init__(self, node: NodeItem, spec: PortSpec, *, is_output: bool, row: int) -> None:
        super().__init__(-PORT_RADIUS, -PORT_RADIUS, 2 * PORT_RADIUS, 2 * PORT_RADIUS, node)
        self.node = node
        self.spec = spec
        self.is_output = is_output
        self.row = row
        self.setPos(NODE_WIDTH if is_output else 0.0, port_y(row))
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(1)
        self._hover = False
        self._dim = False
        self._target = False
        self.restyle()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def endpoint(self) -> str:
        """``node.port`` as edges name it."""
        return f"{self.node.node_id}.{self.spec.name}"

    @property
    def kind(self) -> str:
        return self.spec.kind

    def color(self) -> QColor:
        if self.spec.kind == "error":
            return QColor(ERROR_COLOR)
        return type_color(self.node.node_type)

    def restyle(self) -> None:
        theme = self.node.theme
        color = self.color()
        if self._dim:
            color.setAlpha(70)
        pen = QPen(color, 2.2 if (self._hover or self._target) else 1.6)
        self.setPen(pen)
        filled = self._hover or self._target or self.node.port_connected(self)
        fill = QColor(color) if filled else QColor(theme.port_fill)
        if self._dim:
            fill.setAlpha(90)
        self.setBrush(QBrush(fill))
        scale = 1.35 if (self._hover or self._target) else 1.0
        self.setScale(scale)

    def set_dim(self, dim: bool) -> None:
        if dim != self._dim:
            self._dim = dim
            self.restyle()

    def set_target(self, target: bool) -> None:
        if target != self._target:
            self._target = target
            self.restyle()

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.restyle()
        direction = "output" if self.is_output else "input"
        tip = f"{self.spec.name} ({direction}"
        tip += ", sends failed items)" if self.spec.kind == "error" else ")"
        if self.spec.description:
            tip += f"\n{self.spec.description}"
        tip += "\nDrag to an input to connect" if self.is_output else "\nDrag from an output to here to connect"
        self.setToolTip(tip)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.restyle()
        super().hoverLeaveEvent(event)

    def scene_center(self) -> QPointF:
        return self.mapToScene(QPointF(0, 0))


class NodeItem(QGraphicsItem):
    """One node: a coloured header with the type glyph and title, a summary line, labelled ports.

    Its position is the node's ``position`` in the flow (top-left corner). Dragging moves it freely (snapped
    to the grid when the scene says so); the scene turns the finished drag into an undoable move.
    """

    def __init__(self, scene: FlowScene, node: FlowNode) -> None:
        super().__init__()
        self.flow_scene = scene
        self.node_id = node.id
        self.node_type = node.type
        self.title = node.title or node.id
        self.summary = ""
        self.problems: list[str] = []
        self.run: NodeRunState | None = None
        self.spin_phase = 0
        self.inputs: list[PortItem] = []
        self.outputs: list[PortItem] = []
        self.wires: list[WireItem] = []
        self._height = node_height(1, 1)
        self._hover = False
        self._applying = False
        self._title_font, self._small_font, self._badge_font = _fonts()
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
            | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable
        )
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(NODE_Z)
        self.update_from(node)

    # --- model → item -------------------------------------------------------------------------------

    @property
    def theme(self) -> Theme:
        return self.flow_scene.theme

    def update_from(self, node: FlowNode) -> None:
        """Show ``node`` (title, summary, ports for its config); ports are rebuilt only when they change."""
        self.node_id = node.id
        self.title = node.title or node.id
        self.summary = node_summary(node)
        spec = NODE_SPECS.get(node.type)
        inputs: tuple[PortSpec, ...] = ()
        outputs: tuple[PortSpec, ...] = ()
        if spec is not None:
            config: Any = None
            if spec.dynamic_inputs is not None:
                try:
                    config = spec.config_model.model_validate(node.config)
                except ValueError:
                    config = None
            inputs, outputs = spec.inputs_for(config), spec.outputs
        if [p.spec for p in self.inputs] != list(inputs) or [p.spec for p in self.outputs] != list(outputs):
            for port in [*self.inputs, *self.outputs]:
                scene = port.scene()
                if scene is not None:
                    scene.removeItem(port)
            self.prepareGeometryChange()
            self.inputs = [PortItem(self, p, is_output=False, row=i) for i, p in enumerate(inputs)]
            self.outputs = [PortItem(self, p, is_output=True, row=i) for i, p in enumerate(outputs)]
            self._height = node_height(len(inputs), len(outputs))
        if node.position is not None:
            self.set_position(node.position.x, node.position.y)
        self._refresh_tooltip()
        self.update()

    def set_position(self, x: float, y: float) -> None:
        """Place the item where the model says (no snapping, no move command)."""
        self._applying = True
        try:
            self.setPos(x, y)
        finally:
            self._applying = False

    def set_problems(self, problems: list[str]) -> None:
        if problems != self.problems:
            self.problems = problems
            self._refresh_tooltip()
            self.update()

    def set_run(self, run: NodeRunState | None) -> None:
        self.run = run
        self._refresh_tooltip()
        self.update()

    def _refresh_tooltip(self) -> None:
        spec = NODE_SPECS.get(self.node_type)
        lines = [f"<b>{_escape(self.title)}</b> — {_escape(spec.title if spec else self.node_type)} ({self.node_id})"]
        if self.summary:
            lines.append(_escape(self.summary))
        if self.problems:
            lines.append("<span style='color:#dc2626'><b>Not ready to run:</b></span>")
            lines += [f"<span style='color:#dc2626'>• {_escape(p)}</span>" for p in self.problems[:6]]
        if self.run is not None:
            lines.append(_escape(self.state_text()))
            if self.run.error:
                lines.append(f"<span style='color:#dc2626'>{_escape(self.run.error[:400])}</span>")
        self.setToolTip("<br>".join(lines))

    def port(self, name: str, *, output: bool) -> PortItem | None:
        for port in self.outputs if output else self.inputs:
            if port.name == name:
                return port
        return None

    def port_connected(self, port: PortItem) -> bool:
        return any(
            (w.source_port is port) or (w.target_port is port) for w in self.wires if w.isVisible()
        )

    def state_text(self) -> str:
        run = self.run
        if run is None:
            return ""
        if run.state == "running":
            return f"running… {run.items_out:,} items out"
        if run.state == "done":
            extra = f", {run.errors:,} errors" if run.errors else ""
            return f"done: {run.items_in:,} in, {run.items_out:,} out{extra} ({run.duration_ms / 1000:,.2f} s)"
        if run.state == "failed":
            return f"failed: {run.error or 'see the details'}"
        if run.state == "cancelled":
            return "cancelled"
        return "waiting"

    # --- geometry and painting ----------------------------------------------------------------------

    def height(self) -> float:
        return self._height

    def body_rect(self) -> QRectF:
        return QRectF(0, 0, NODE_WIDTH, self._height)

    def boundingRect(self) -> QRectF:
        # room for the selection outline, the port circles, and the error line under the node
        return QRectF(-PORT_RADIUS * 2, -4, NODE_WIDTH + PORT_RADIUS * 4, self._height + 24)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.body_rect(), 7, 7)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        theme = self.theme
        body = self.body_rect()
        accent = type_color(self.node_type)
        selected = self.isSelected()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        state_color = QColor(STATE_COLORS[self.run.state]) if self.run is not None else None

        if lod < 0.35:  # far away: a coloured block is all one can see
            painter.setPen(QPen(QColor(SELECT_COLOR), 4) if selected else Qt.PenStyle.NoPen)
            painter.setBrush(state_color if state_color is not None else accent)
            painter.drawRect(body)
            if self.problems:
                painter.setPen(QPen(QColor(ERROR_COLOR), 6))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(body)
            return

        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.problems:
            border = QPen(QColor(ERROR_COLOR), 2.4)
        elif selected:
            border = QPen(QColor(SELECT_COLOR), 2.4)
        elif state_color is not None and self.run is not None and self.run.state != "waiting":
            border = QPen(state_color, 2.0)
        elif self._hover:
            border = QPen(theme.node_faint, 1.4)
        else:
            border = QPen(theme.node_border, 1.0)
        painter.setPen(border)
        painter.setBrush(theme.node_body)
        painter.drawRoundedRect(body, 7, 7)

        header = QPainterPath()
        header.addRoundedRect(QRectF(0.5, 0.5, NODE_WIDTH - 1, HEADER + 6), 6.5, 6.5)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, NODE_WIDTH, HEADER))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawPath(header.intersected(clip))
        if self.run is not None and self.run.state == "waiting":
            painter.setBrush(QColor(255, 255, 255, 90 if not theme.dark else 60))
            painter.drawPath(header.intersected(clip))

        draw_glyph(painter, self.node_type, 8, (HEADER - 16) / 2, QColor("#ffffff"))
        badge_width = self._paint_badge(painter, lod)
        painter.setFont(self._title_font)
        painter.setPen(QColor("#ffffff"))
        title_rect = QRectF(30, 0, NODE_WIDTH - 36 - badge_width, HEADER)
        metrics = QFontMetricsF(self._title_font)
        title = metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, title_rect.width())
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)

        if lod < 0.45:
            return
        painter.setFont(self._small_font)
        small = QFontMetricsF(self._small_font)
        summary_rect = QRectF(10, HEADER + 2, NODE_WIDTH - 20, SUMMARY - 2)
        painter.setPen(theme.node_faint)
        text = self.summary or (NODE_SPECS[self.node_type].title if self.node_type in NODE_SPECS else self.node_type)
        painter.drawText(
            summary_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            small.elidedText(text, Qt.TextElideMode.ElideRight, summary_rect.width()),
        )
        painter.setPen(theme.node_text)
        half = NODE_WIDTH / 2 - 14
        for port in self.inputs:
            rect = QRectF(12, port_y(port.row) - ROW / 2, half, ROW)
            painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, port.name)
        for port in self.outputs:
            rect = QRectF(NODE_WIDTH - 12 - half, port_y(port.row) - ROW / 2, half, ROW)
            if port.kind == "error":
                painter.setPen(QColor(ERROR_COLOR))
            painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, port.name)
            painter.setPen(theme.node_text)

        if self.run is not None and self.run.state == "failed" and self.run.error:
            painter.setPen(QColor(ERROR_COLOR))
            first = self.run.error.splitlines()[0] if self.run.error else ""
            rect = QRectF(2, self._height + 3, NODE_WIDTH - 4, 18)
            painter.drawText(
                rect,
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                small.elidedText("✗ " + first, Qt.TextElideMode.ElideRight, rect.width()),
            )

    def _paint_badge(self, painter: QPainter, lod: float) -> float:
        """The state badge at the right of the header; returns the width it took."""
        run = self.run
        if run is None:
            if self.problems:
                return self._pill(painter, "!", QColor("#ffffff"), QColor(ERROR_COLOR))
            return 0.0
        if run.state == "running":
            center = QPointF(NODE_WIDTH - 16, HEADER / 2)
            painter.setPen(QPen(QColor(255, 255, 255, 80), 2.2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(center, 6.5, 6.5)
            pen = QPen(QColor("#ffffff"), 2.2)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            start = -(self.spin_phase * 30) % 360
            painter.drawArc(QRectF(center.x() - 6.5, center.y() - 6.5, 13, 13), int(start * 16), 100 * 16)
            width = 28.0
            if run.items_out:
                width += self._pill(painter, _count(run.items_out), QColor("#1e3a8a"), QColor("#ffffff"), right=30)
            return width
        if run.state == "done":
            return self._pill(painter, "✓ " + _count(run.items_out), QColor("#14532d"), QColor("#dcfce7"))
        if run.state == "failed":
            return self._pill(painter, "✗ failed", QColor("#ffffff"), QColor(ERROR_COLOR))
        if run.state == "cancelled":
            return self._pill(painter, "stopped", QColor("#ffffff"), QColor("#6b7280"))
        return self._pill(painter, "waiting", QColor("#374151"), QColor(255, 255, 255, 200))

    def _pill(self, painter: QPainter, text: str, fg: QColor, bg: QColor, right: float = 0.0) -> float:
        painter.setFont(self._badge_font)
        metrics = QFontMetricsF(self._badge_font)
        width = metrics.horizontalAdvance(text) + 12
        rect = QRectF(NODE_WIDTH - 6 - right - width, (HEADER - 17) / 2, width, 17)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(rect, 8.5, 8.5)
        painter.setPen(fg)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        return width + 6

    # --- interaction --------------------------------------------------------------------------------

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and not self._applying:
            if self.flow_scene.snap_to_grid and isinstance(value, QPointF):
                return QPointF(snap(value.x()), snap(value.y()))
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for wire in self.wires:
                wire.update_path()
            self.flow_scene.node_geometry_changed()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.setZValue(NODE_Z + (1 if value else 0))
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        control = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if shift and not control:
            # Shift adds to the selection (Ctrl, Qt's multi-select key, toggles)
            event.setModifiers(event.modifiers() | Qt.KeyboardModifier.ControlModifier)
            self.setSelected(True)
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        control = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if shift and not control:
            event.setModifiers(event.modifiers() | Qt.KeyboardModifier.ControlModifier)
            super().mouseReleaseEvent(event)  # keeps the others selected (and toggles this one) …
            self.setSelected(True)  # … which Shift must not: it only adds
            return
        super().mouseReleaseEvent(event)


class WireLabel(QGraphicsPathItem):
    """A small rounded count label sitting on a wire (stock painting)."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.text = QGraphicsSimpleTextItem(self)
        font = QFont()
        font.setPointSizeF(8.0)
        font.setBold(True)
        self.text.setFont(font)
        self.setPen(Qt.PenStyle.NoPen)
        self.setZValue(2)
        self.hide()

    def set_text(self, text: str, fill: QColor, color: QColor) -> None:
        if not text:
            self.hide()
            return
        self.text.setText(text)
        self.text.setBrush(color)
        bounds = self.text.boundingRect()
        width, height = bounds.width() + 10, bounds.height() + 2
        path = QPainterPath()
        path.addRoundedRect(QRectF(-width / 2, -height / 2, width, height), height / 2, height / 2)
        self.setPath(path)
        self.setBrush(fill)
        self.text.setPos(-bounds.width() / 2, -bounds.height() / 2)
        self.show()


class WireItem(QGraphicsPathItem):
    """A bezier wire from an output port to an input port (stock painting; a wider shape to click)."""

    def __init__(self, edge: Edge, source: PortItem, target: PortItem) -> None:
        super().__init__()
        self.edge = edge
        self.source_port = source
        self.target_port = target
        self.invalid = False
        self.count_text = ""
        self._hover = False
        self._shape: QPainterPath | None = None
        self.setZValue(WIRE_Z)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.label = WireLabel(self)
        self.setToolTip(f"{edge.source} → {edge.target}\nClick to select, Del to remove")
        self.restyle()
        self.update_path()

    def restyle(self) -> None:
        theme = self.source_port.node.theme
        error = self.source_port.kind == "error"
        if self.invalid:
            color = QColor(ERROR_COLOR)
        elif self.isSelected():
            color = QColor(SELECT_COLOR)
        elif error:
            color = QColor(theme.wire_error)
        else:
            color = QColor(theme.wire)
        width = 2.0 + (1.2 if self._hover or self.isSelected() else 0.0)
        pen = QPen(color, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if error or self.invalid:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)

    def update_path(self) -> None:
        start = self.source_port.scene_center()
        end = self.target_port.scene_center()
        self.setPath(wire_path(start, end))
        self._shape = None
        if self.label.isVisible():
            self._place_label()

    def set_count(self, text: str) -> None:
        self.count_text = text
        theme = self.source_port.node.theme
        fill = QColor(ERROR_COLOR) if self.source_port.kind == "error" else theme.label_fill
        self.label.set_text(text, fill, theme.label_text)
        if text:
            self._place_label()

    def _place_label(self) -> None:
        self.label.setPos(self.path().pointAtPercent(0.5))

    def set_invalid(self, invalid: bool, message: str = "") -> None:
        self.invalid = invalid
        base = f"{self.edge.source} → {self.edge.target}"
        self.setToolTip(f"{base}\n{message}" if invalid else f"{base}\nClick to select, Del to remove")
        self.restyle()

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12)
            self._shape = stroker.createStroke(self.path())
        return self._shape

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.restyle()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.restyle()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.restyle()
        super().hoverLeaveEvent(event)


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal-tangent bezier, bowing further when the target lies behind the source."""
    dx = end.x() - start.x()
    reach = max(40.0, abs(dx) * 0.5) if dx >= 0 else max(80.0, min(240.0, -dx * 0.6 + abs(end.y() - start.y()) * 0.2))
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x() + reach, start.y()), QPointF(end.x() - reach, end.y()), end)
    return path


def _count(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())
