"""A minimap in the corner of the canvas: every node as a small block, the visible area as a frame.

It shows only while part of the flow is out of view. It paints from the node items' positions (not by
rendering the scene again) into a picture that is kept until a node moves or changes colour, so a frame of
a large flow only draws that picture and the frame of the visible area. Click or drag in it to move the
view there.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from flowdesk.ui.canvas._theme import NODE_WIDTH, SELECT_COLOR, STATE_COLORS, type_color
from flowdesk.ui.canvas._view import FlowView

SIZE = (200, 130)
MARGIN = 10


class Minimap(QWidget):
    """Overlay widget on a :class:`FlowView` (bottom-right corner of its viewport)."""

    def __init__(self, view: FlowView) -> None:
        super().__init__(view)  # on the view, not its viewport: scrolling the viewport must not move it
        self.view = view
        self.setFixedSize(*SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the view")
        self._layer: QPixmap | None = None
        self._layer_key: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._refresh)
        self.enabled = True
        """The user's choice (the toolbar's Minimap); even then it only shows while part of the flow is out of view."""
        view.viewport_changed.connect(self.schedule)
        view.flow_scene.geometry_changed.connect(self.invalidate)
        view.flow_scene.run_painted.connect(self.invalidate)
        view.overlays.append(self._place)
        self._place()

    def schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        self._refresh()

    def _refresh(self) -> None:
        nodes = self.view.flow_scene.nodes_rect()
        needed = not nodes.isNull() and not self.view.visible_scene_rect().contains(nodes)
        self.setVisible(self.enabled and needed)
        if self.isVisible():
            self.update()

    def invalidate(self) -> None:
        """Nodes moved, came, went or changed colour: draw the node layer again (soon)."""
        self._layer = None
        self.schedule()

    def _place(self) -> None:
        viewport = self.view.viewport()
        corner = viewport.geometry().bottomRight()
        self.move(corner.x() - SIZE[0] - MARGIN, corner.y() - SIZE[1] - MARGIN)
        self.raise_()

    def _transform(self) -> tuple[float, QPointF]:
        """Scale and offset from scene to minimap coordinates (the nodes fill the map)."""
        world = self.view.flow_scene.nodes_rect()
        if world.isNull():
            world = QRectF(-400, -300, 800, 600)
        world = world.adjusted(-60, -60, 60, 60)
        inner = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        scale = min(inner.width() / max(world.width(), 1), inner.height() / max(world.height(), 1))
        offset = QPointF(
            inner.left() + (inner.width() - world.width() * scale) / 2 - world.left() * scale,
            inner.top() + (inner.height() - world.height() * scale) / 2 - world.top() * scale,
        )
        return scale, offset

    def _node_layer(self, scale: float, offset: QPointF) -> QPixmap:
        """The background and every node, drawn once and reused until something changes."""
        if self._layer is not None and self._layer_key == (scale, offset.x(), offset.y()):
            return self._layer
        ratio = self.devicePixelRatioF()
        layer = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
        layer.setDevicePixelRatio(ratio)
        layer.fill(Qt.GlobalColor.transparent)
        painter = QPainter(layer)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        theme = self.view.flow_scene.theme
        background = QColor(theme.node_body)
        background.setAlpha(235)
        painter.setPen(QPen(theme.node_border, 1))
        painter.setBrush(background)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        state = self.view.flow_scene.run_state
        for node_id, item in self.view.flow_scene.nodes.items():
            pos = item.pos()
            color = type_color(item.node_type)
            if state is not None and node_id in state.nodes:
                color = QColor(STATE_COLORS.get(state.nodes[node_id].state, color.name()))
            if item.problems:
                color = QColor("#dc2626")
            painter.setBrush(color)
            painter.drawRect(
                QRectF(
                    offset.x() + pos.x() * scale,
                    offset.y() + pos.y() * scale,
                    max(NODE_WIDTH * scale, 2.0),
                    max(item.height() * scale, 2.0),
                )
            )
        painter.end()
        self._layer = layer
        self._layer_key = (scale, offset.x(), offset.y())
        return layer

    def paintEvent(self, event: QPaintEvent) -> None:
        scale, offset = self._transform()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._node_layer(scale, offset))
        visible = self.view.visible_scene_rect()
        frame = QRectF(
            offset.x() + visible.left() * scale,
            offset.y() + visible.top() * scale,
            visible.width() * scale,
            visible.height() * scale,
        ).intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        painter.setPen(QPen(QColor(SELECT_COLOR), 1.5))
        fill = QColor(SELECT_COLOR)
        fill.setAlpha(28)
        painter.setBrush(fill)
        painter.drawRect(frame)
        painter.end()

    def _center_view_at(self, pos: QPointF) -> None:
        scale, offset = self._transform()
        if scale <= 0:
            return
        scene_point = QPointF((pos.x() - offset.x()) / scale, (pos.y() - offset.y()) / scale)
        self.view.auto_fit = False
        self.view.centerOn(scene_point)
        self.view.viewport_changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._center_view_at(event.position())
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._center_view_at(event.position())
            event.accept()
