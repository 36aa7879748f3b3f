"""A minimap in the corner of the canvas: every node as a small block, the visible area as a frame.

It paints from the node items' positions (not by rendering the scene again), so it stays cheap for large
flows. Click or drag in it to move the view there.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
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
        self._world = QRectF()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self.update)
        view.viewport_changed.connect(self.schedule)
        view.flow_scene.geometry_changed.connect(self.schedule)
        view.overlays.append(self._place)
        self._place()

    def schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _place(self) -> None:
        viewport = self.view.viewport()
        corner = viewport.geometry().bottomRight()
        self.move(corner.x() - SIZE[0] - MARGIN, corner.y() - SIZE[1] - MARGIN)
        self.raise_()

    def _transform(self) -> tuple[float, QPointF]:
        """Scale and offset from scene to minimap coordinates."""
        world = self.view.flow_scene.nodes_rect()
        world = world.united(self.view.visible_scene_rect()) if not world.isNull() else self.view.visible_scene_rect()
        world = world.adjusted(-40, -40, 40, 40)
        self._world = world
        inner = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        scale = min(inner.width() / max(world.width(), 1), inner.height() / max(world.height(), 1))
        offset = QPointF(
            inner.left() + (inner.width() - world.width() * scale) / 2 - world.left() * scale,
            inner.top() + (inner.height() - world.height() * scale) / 2 - world.top() * scale,
        )
        return scale, offset

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        theme = self.view.flow_scene.theme
        background = QColor(theme.node_body)
        background.setAlpha(230)
        painter.setPen(QPen(theme.node_border, 1))
        painter.setBrush(background)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        scale, offset = self._transform()
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
            rect = QRectF(
                offset.x() + pos.x() * scale,
                offset.y() + pos.y() * scale,
                max(NODE_WIDTH * scale, 2.0),
                max(item.height() * scale, 2.0),
            )
            painter.drawRect(rect)
        visible = self.view.visible_scene_rect()
        frame = QRectF(
            offset.x() + visible.left() * scale,
            offset.y() + visible.top() * scale,
            visible.width() * scale,
            visible.height() * scale,
        )
        painter.setPen(QPen(QColor(SELECT_COLOR), 1.5))
        fill = QColor(SELECT_COLOR)
        fill.setAlpha(28)
        painter.setBrush(fill)
        painter.drawRect(frame.intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1)))
        painter.end()

    def _center_view_at(self, pos: QPointF) -> None:
        scale, offset = self._transform()
        if scale <= 0:
            return
        scene_point = QPointF((pos.x() - offset.x()) / scale, (pos.y() - offset.y()) / scale)
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
