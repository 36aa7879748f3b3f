"""The graphics items of the canvas: nodes, their ports, and the wires between them.

Items show the flow model and hold no state of their own beyond what they display: the scene creates and
updates them when the document changes. Only :class:`NodeItem` paints in Python, its ports
included (with a cheap level-of-detail path when zoomed out, and a device-coordinate cache so panning only
blits); wires are stock Qt items, so a large flow costs few Python calls per frame.
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import (
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
    SELECT_COLOR,
    STATE_COLORS,
    SUMMARY,
    Theme,
    glyph,
    node_height,
    port_y,
    snap,
    type_color,
)

if TYPE_CHECKING:
    from flowdesk.ui.canvas._scene import FlowScene

NODE_Z = 10.0
WIRE_WIDTH = 1.0
FAR_LOD = 0.3
"""Below this scale a node is drawn as a coloured block."""
TEXT_LOD = 0.6
"""Below this scale a node is drawn without its texts and ports (they would be too small to read)."""
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


class Port:
    """One port of a node, drawn by its node (inputs on the left edge, outputs on the right).

    Ports are not graphics items of their own: a large flow has thousands, and drawing them inside the
    node keeps them in the node's cached picture and out of the scene's index.
    """

    __slots__ = ("_dim", "_target", "center", "is_output", "label_at", "node", "row", "spec", "static")

    def __init__(self, node: NodeItem, spec: PortSpec, *, is_output: bool, row: int) -> None:
        self.node = node
        self.spec = spec
        self.is_output = is_output
        self.row = row
        self.center = QPointF(NODE_WIDTH if is_output else 0.0, port_y(row))
        self.static = QStaticText(spec.name)
        self.static.setTextFormat(Qt.TextFormat.PlainText)
        self.label_at = QPointF()
        """Where the label is drawn (set when the node lays its texts out)."""
        self._dim = False
        self._target = False

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

    def local_center(self) -> QPointF:
        return QPointF(self.center)

    def scene_center(self) -> QPointF:
        return self.node.mapToScene(self.local_center())

    def color(self) -> QColor:
        if self.spec.kind == "error":
            return QColor(ERROR_COLOR)
        return QColor(type_color(self.node.node_type))

    def set_dim(self, dim: bool) -> None:
        if dim != self._dim:
            self._dim = dim
            self.node.update()

    def set_target(self, target: bool) -> None:
        if target != self._target:
            self._target = target
            self.node.update()

    def restyle(self) -> None:
        self.node.update()

    def tooltip(self) -> str:
        direction = "output" if self.is_output else "input"
        tip = f"{self.spec.name} ({direction}"
        tip += ", sends failed items)" if self.spec.kind == "error" else ")"
        if self.spec.description:
            tip += f"\n{self.spec.description}"
        tip += "\nDrag to an input to connect" if self.is_output else "\nDrag from an output to here to connect"
        return tip

    def paint(self, painter: QPainter, theme: Theme, *, hover: bool, connected: bool) -> None:
        color = ERROR_COLOR if self.spec.kind == "error" else type_color(self.node.node_type).name()
        big = hover or self._target
        alpha = 70 if self._dim else 255
        painter.setPen(_pen(color, 2.2 if big else 1.6, alpha))
        if big or connected:
            painter.setBrush(_color(color, 90 if self._dim else 255))
        else:
            painter.setBrush(_color(theme.port_fill.name(), 90 if self._dim else 255))
        radius = PORT_RADIUS * (1.35 if big else 1.0)
        painter.drawEllipse(self.center, radius, radius)


class NodeItem(QGraphicsItem):
    """One node: a coloured header with the type glyph and title, a summary line, labelled ports.

    Its position is the node's ``position`` in the flow (top-left corner). Dragging moves it freely (snapped
    to the grid when the scene says so); the scene turns the finished drag into an undoable move. Texts
    are laid out once (``QStaticText``) when they change, not on every paint.
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
        self.inputs: list[Port] = []
        self.outputs: list[Port] = []
        self.wires: list[WireItem] = []
        self.hover_port: Port | None = None
        self._height = node_height(1, 1)
        self._bounds = QRectF()
        self._body = QRectF()
        self._shape = QPainterPath()
        self._hover = False
        self._applying = False
        self._title_font, self._small_font, self._badge_font = _fonts()
        self._title_text = QStaticText()
        self._summary_text = QStaticText()
        self._error_text = QStaticText()
        self._badge: tuple[str, QColor, QColor] | None = None
        self._badge_text = QStaticText()
        self._badge_width = 0.0
        self._title_at = QPointF()
        self._summary_at = QPointF()
        self._far_titles: dict[int, tuple[QStaticText, QFont, QPointF]] = {}
        for text in (self._title_text, self._summary_text, self._error_text, self._badge_text):
            text.setTextFormat(Qt.TextFormat.PlainText)
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
            | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable
        )
        self.setAcceptHoverEvents(True)
        self.setCacheMode(scene.node_cache_mode)
        self.setZValue(NODE_Z)
        self._geometry()
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
            self.prepareGeometryChange()
            self.inputs = [Port(self, p, is_output=False, row=i) for i, p in enumerate(inputs)]
            self.outputs = [Port(self, p, is_output=True, row=i) for i, p in enumerate(outputs)]
            self._height = node_height(len(inputs), len(outputs))
            self._geometry()
        if node.position is not None:
            self.set_position(node.position.x, node.position.y)
        self._relayout()

    def _geometry(self) -> None:
        self._body = QRectF(0, 0, NODE_WIDTH, self._height)
        # room for the selection outline, the port circles, and the error line under the node
        self._bounds = QRectF(-PORT_RADIUS * 2, -4, NODE_WIDTH + PORT_RADIUS * 4, self._height + 24)
        shape = QPainterPath()
        shape.addRoundedRect(self.body_rect(), 7, 7)
        for port in [*self.inputs, *self.outputs]:
            shape.addEllipse(port.local_center(), PORT_RADIUS * 1.6, PORT_RADIUS * 1.6)
        self._shape = shape.simplified()

    def _relayout(self) -> None:
        """Lay the texts out again (after the title, summary, state or problems changed) and repaint."""
        self._far_titles.clear()
        self._badge = self._badge_for()
        self._badge_width = 0.0
        if self._badge is not None:
            self._badge_text.setText(self._badge[0])
            self._badge_text.prepare(QTransform(), self._badge_font)
            self._badge_width = QFontMetricsF(self._badge_font).horizontalAdvance(self._badge[0]) + 12 + 6
        spinner = 28.0 if self.run is not None and self.run.state == "running" else 0.0
        title_metrics = QFontMetricsF(self._title_font)
        room = NODE_WIDTH - 38
        self._title_text.setText(title_metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, room))
        self._title_text.prepare(QTransform(), self._title_font)
        small = QFontMetricsF(self._small_font)
        text = self.summary or (NODE_SPECS[self.node_type].title if self.node_type in NODE_SPECS else self.node_type)
        summary_room = NODE_WIDTH - 20 - self._badge_width - spinner
        self._summary_text.setText(small.elidedText(text, Qt.TextElideMode.ElideRight, summary_room))
        self._summary_text.prepare(QTransform(), self._small_font)
        error = ""
        if self.run is not None and self.run.state == "failed" and self.run.error:
            first = self.run.error.splitlines()[0]
            error = small.elidedText("✗ " + first, Qt.TextElideMode.ElideRight, NODE_WIDTH - 4)
        self._error_text.setText(error)
        self._error_text.prepare(QTransform(), self._small_font)
        self._title_at = QPointF(30, (HEADER - self._title_text.size().height()) / 2)
        self._summary_at = QPointF(10, HEADER + (SUMMARY - self._summary_text.size().height()) / 2 + 1)
        for port in self.inputs:
            port.static.prepare(QTransform(), self._small_font)
            port.label_at = QPointF(12, port_y(port.row) - port.static.size().height() / 2)
        for port in self.outputs:
            port.static.prepare(QTransform(), self._small_font)
            size = port.static.size()
            port.label_at = QPointF(NODE_WIDTH - 12 - size.width(), port_y(port.row) - size.height() / 2)
        self._refresh_tooltip()
        self.update()

    def _far_title(self, lod: float) -> tuple[QStaticText, QFont, QPointF]:
        """The title for a zoomed-out view: about 7 pt on screen whatever the zoom (laid out once per step)."""
        step = max(1, int(lod * 10))  # a few sizes only: each is laid out once, when first needed
        found = self._far_titles.get(step)
        if found is None:
            font = QFont(self._title_font)
            font.setPointSizeF(self._title_font.pointSizeF() * min(2.2, 0.85 / ((step + 0.5) / 10)))
            metrics = QFontMetricsF(font)
            text = QStaticText(metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, NODE_WIDTH - 14))
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.prepare(QTransform(), font)
            at = QPointF(7, max(0.0, (HEADER - text.size().height()) / 2))
            found = self._far_titles[step] = (text, font, at)
        return found

    def _badge_for(self) -> tuple[str, QColor, QColor] | None:
        """(text, foreground, background) of the pill at the right of the header."""
        run = self.run
        if run is None:
            return ("!", QColor("#ffffff"), QColor(ERROR_COLOR)) if self.problems else None
        if run.state == "running":
            return (_count(run.items_out), QColor("#ffffff"), QColor("#1e3a8a")) if run.items_out else None
        if run.state == "done":
            return "✓ " + _count(run.items_out), QColor("#14532d"), QColor("#dcfce7")
        if run.state == "failed":
            return "✗ failed", QColor("#ffffff"), QColor(ERROR_COLOR)
        if run.state == "cancelled":
            return "stopped", QColor("#ffffff"), QColor("#6b7280")
        return "waiting", QColor("#374151"), QColor("#e5e7eb")

    def refresh_look(self) -> None:
        """The appearance changed (light/dark): paint again, dropping the cached picture."""
        mode = self.cacheMode()
        self.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        self.setCacheMode(mode)
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
            self._relayout()

    def set_run(self, run: NodeRunState | None) -> None:
        self.run = run
        self._relayout()

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

    def port(self, name: str, *, output: bool) -> Port | None:
        for port in self.outputs if output else self.inputs:
            if port.name == name:
                return port
        return None

    def port_at(self, local: QPointF, radius: float = PORT_RADIUS * 2.2) -> Port | None:
        """The port within ``radius`` of ``local`` (item coordinates), the closest one."""
        best: Port | None = None
        best_distance = radius
        for port in [*self.inputs, *self.outputs]:
            d = distance(port.local_center(), local)
            if d <= best_distance:
                best, best_distance = port, d
        return best

    def state_text(self) -> str:
        run = self.run
        if run is None:
            return ""
        if run.state == "running":
            return f"running… {run.items_out:,} items out"
        if run.state == "done":
            extra = f", {run.errors:,} error{'s' if run.errors != 1 else ''}" if run.errors else ""
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
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._shape

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        run = self.run
        if lod < FAR_LOD:  # far away: a coloured block is all one can see (the cheapest path: many are shown)
            if self.problems or self.isSelected():
                color = ERROR_COLOR if self.problems else SELECT_COLOR
                painter.setPen(QPen(QColor(color), 8))
            else:
                painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_state_color(run.state) if run is not None else type_color(self.node_type))
            painter.drawRect(self._body)
            return

        theme = self.theme
        accent = type_color(self.node_type)
        selected = self.isSelected()
        state_color = _state_color(run.state) if run is not None else None

        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.problems:
            border = _pen(ERROR_COLOR, 2.4)
        elif selected:
            border = _pen(SELECT_COLOR, 2.4)
        elif state_color is not None and run is not None and run.state != "waiting":
            border = _pen(state_color.name(), 2.0)
        elif self._hover:
            border = _pen(theme.node_faint.name(), 1.4)
        else:
            border = _pen(theme.node_border.name(), 1.0)
        painter.setPen(border)
        painter.setBrush(theme.node_body)
        painter.drawRoundedRect(self._body, 7, 7)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawPath(_header_path())
        if run is not None and run.state == "waiting":
            painter.setBrush(QColor(255, 255, 255, 90 if not theme.dark else 60))
            painter.drawPath(_header_path())
        if lod < TEXT_LOD:  # the blocks, and the title drawn larger so it stays readable from afar
            painter.setPen(_WHITE)
            text, font, at = self._far_title(lod)
            painter.setFont(font)
            painter.drawStaticText(at, text)
            return

        painter.setPen(_glyph_pen())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(_placed_glyph(self.node_type))
        self._paint_badge(painter)
        painter.setFont(self._title_font)
        painter.setPen(_WHITE)
        painter.drawStaticText(self._title_at, self._title_text)

        painter.setFont(self._small_font)
        painter.setPen(theme.node_faint)
        painter.drawStaticText(self._summary_at, self._summary_text)
        painter.setPen(theme.node_text)
        for port in self.inputs:
            painter.drawStaticText(port.label_at, port.static)
        for port in self.outputs:
            if port.kind == "error":
                painter.setPen(_color(ERROR_COLOR))
            painter.drawStaticText(port.label_at, port.static)
        shown = [w for w in self.wires if w.isVisible()]  # a wire picked up by the mouse is hidden
        connected = {id(w.source_port) for w in shown} | {id(w.target_port) for w in shown}
        for port in self.inputs:
            port.paint(painter, theme, hover=port is self.hover_port, connected=id(port) in connected)
        for port in self.outputs:
            port.paint(painter, theme, hover=port is self.hover_port, connected=id(port) in connected)
        if self._error_text.text():
            painter.setPen(_color(ERROR_COLOR))
            painter.drawStaticText(QPointF(2, self._height + 4), self._error_text)

    def _paint_badge(self, painter: QPainter) -> None:
        run = self.run
        right = 6.0
        if run is not None and run.state == "running":
            center = QPointF(NODE_WIDTH - 15, HEADER + SUMMARY / 2)
            painter.setPen(_pen(STATE_COLORS["running"], 2.2, 60))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(center, 6.5, 6.5)
            pen = QPen(_color(STATE_COLORS["running"]), 2.2)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            start = -(self.spin_phase * 30) % 360
            painter.drawArc(QRectF(center.x() - 6.5, center.y() - 6.5, 13, 13), int(start * 16), 100 * 16)
            right = 30.0
        if self._badge is None:
            return
        _text, fg, bg = self._badge
        width = self._badge_width - 6
        rect = QRectF(NODE_WIDTH - right - width, HEADER + (SUMMARY - 17) / 2 + 1, width, 17)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(rect, 8.5, 8.5)
        painter.setPen(fg)
        painter.setFont(self._badge_font)
        size = self._badge_text.size()
        painter.drawStaticText(
            QPointF(rect.center().x() - size.width() / 2, rect.center().y() - size.height() / 2), self._badge_text
        )

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
        self._hover_at(event.pos())
        self.update()
        super().hoverEnterEvent(event)

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover_at(event.pos())
        super().hoverMoveEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.hover_port = None
        self.unsetCursor()
        self._refresh_tooltip()
        self.update()
        super().hoverLeaveEvent(event)

    def _hover_at(self, local: QPointF) -> None:
        port = self.port_at(local)
        if port is self.hover_port:
            return
        self.hover_port = port
        if port is not None:
            self.setCursor(Qt.CursorShape.CrossCursor)
            self.setToolTip(port.tooltip())
        else:
            self.unsetCursor()
            self._refresh_tooltip()
        self.update()
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


@cache
def _state_color(state: str) -> QColor:
    return QColor(STATE_COLORS[state])


@cache
def _color(name: str, alpha: int = 255) -> QColor:
    """A shared colour (painting makes thousands of them otherwise): do not modify it."""
    color = QColor(name)
    color.setAlpha(alpha)
    return color


@cache
def _pen(name: str, width: float, alpha: int = 255) -> QPen:
    """A shared pen: do not modify it."""
    return QPen(_color(name, alpha), width)


@cache
def _glyph_pen() -> QPen:
    pen = QPen(_WHITE, 1.6)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


@cache
def _placed_glyph(node_type: str) -> QPainterPath:
    """The type glyph where the header shows it."""
    return glyph(node_type).translated(8, (HEADER - 16) / 2)


_WHITE = QColor("#ffffff")


@cache
def _header_path() -> QPainterPath:
    """The header band: rounded at the top, square where it meets the body."""
    header = QPainterPath()
    header.addRoundedRect(QRectF(0.5, 0.5, NODE_WIDTH - 1, HEADER + 6), 6.5, 6.5)
    clip = QPainterPath()
    clip.addRect(QRectF(0, 0, NODE_WIDTH, HEADER))
    return header.intersected(clip)


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

    def __init__(self, edge: Edge, source: Port, target: Port) -> None:
        super().__init__()
        self.edge = edge
        self.source_port = source
        self.target_port = target
        self.invalid = False
        self._invalid_message = ""
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
        # 1 unit: one device pixel up to 100 % zoom, which Qt strokes many times faster than anything wider
        # (measured in benchmarks/canvas_frames.py); hovered and selected wires stand out wider
        width = WIRE_WIDTH + (1.4 if self._hover or self.isSelected() else 0.0)
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
        if self.count_text:
            self._place_label()

    def set_count(self, text: str) -> None:
        self.count_text = text
        theme = self.source_port.node.theme
        fill = QColor(ERROR_COLOR) if self.source_port.kind == "error" else theme.label_fill
        self.label.set_text(text, fill, theme.label_text)
        self.set_invalid(self.invalid, self._invalid_message)
        if text:
            self._place_label()

    def _place_label(self) -> None:
        """On the middle of the wire, when the wire is long enough to carry it clear of the ports."""
        path = self.path()
        fits = path.length() >= self.label.boundingRect().width() + 4 * PORT_RADIUS + 6
        self.label.setVisible(bool(self.count_text) and fits)
        self.label.setPos(path.pointAtPercent(0.5))

    def set_invalid(self, invalid: bool, message: str = "") -> None:
        self.invalid = invalid
        self._invalid_message = message
        base = f"{self.edge.source} → {self.edge.target}"
        if self.count_text:
            base += f" · {self.count_text} item{'s' if self.count_text != '1' else ''}"
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
    """A bezier leaving and entering horizontally; a wire going back (a loop's ``again``) swings under both
    ends instead of cutting through the nodes between them."""
    dx = end.x() - start.x()
    path = QPainterPath(start)
    if dx >= 0:
        reach = max(40.0, dx * 0.5)
        path.cubicTo(QPointF(start.x() + reach, start.y()), QPointF(end.x() - reach, end.y()), end)
        return path
    reach = 60.0
    below = max(start.y(), end.y()) + 90.0
    path.cubicTo(QPointF(start.x() + reach, start.y()), QPointF(start.x() + reach, below), QPointF(start.x(), below))
    path.lineTo(QPointF(end.x(), below))
    path.cubicTo(QPointF(end.x() - reach, below), QPointF(end.x() - reach, end.y()), end)
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
