"""The canvas view: a dotted grid, zoom (wheel, Ctrl+0 fit, Ctrl+1 100 %), pan (middle drag, Space+drag),
rubber-band selection (Shift/Ctrl add to it), Tab or double-click for the quick-add popup, and drops from
the palette (its own drag, which real mouse events drive, or a standard drag and drop).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QLineF, QMimeData, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QCursor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsView, QWidget

from flowdesk.ui.canvas._scene import FlowScene
from flowdesk.ui.canvas._theme import GRID


class KeyHandler(Protocol):
    def __call__(self, event: QKeyEvent, *, override: bool) -> bool: ...


NODE_MIME = "application/x-flowdesk-node"
"""Drag payload of a node to add: JSON ``{"type": …, "config": {…}, "title": …}``."""
MIN_ZOOM = 0.08
MAX_ZOOM = 3.0
ZOOM_STEP = 1.18


def entity_payload(connection: str, entity: str) -> dict[str, Any]:
    """The drag payload of a ready ``api_call`` node for ``entity`` of ``connection``."""
    return {
        "type": "api_call",
        "label": entity,
        "title": entity.replace("_", " ").capitalize(),
        "config": {"connection": connection, "entity": entity},
    }


def node_mime_data(payload: dict[str, Any]) -> QMimeData:
    """Drag data that adds the node ``payload`` describes where it is dropped on a canvas."""
    mime = QMimeData()
    mime.setData(NODE_MIME, json.dumps(payload).encode("utf-8"))
    return mime


def payload_from_mime(mime: QMimeData) -> dict[str, Any] | None:
    if not mime.hasFormat(NODE_MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(NODE_MIME).data()).decode("utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("type"), str) else None


class FlowView(QGraphicsView):
    """The view of a :class:`FlowScene`."""

    zoom_changed = Signal(float)
    quick_add_requested = Signal(QPointF)  # scene position (Tab or a double-click on empty canvas)
    node_dropped = Signal(dict, QPointF)  # payload, scene position of the cursor
    viewport_changed = Signal()

    def __init__(self, scene: FlowScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.flow_scene = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self._panning: QPoint | None = None
        self._last_mouse: QPoint | None = None
        self.auto_fit = True
        """Frame the whole flow again when the view is resized, until the user zooms or pans."""
        self._space = False
        self._palette_dragging = False
        self.key_handler: KeyHandler | None = None
        """Canvas commands (Del, Ctrl+C …): asked with ``override=True`` whether it takes a key, then run."""
        self.overlays: list[Callable[[], None]] = []
        """Called on resize (widgets floating over the viewport reposition themselves)."""
        scene.geometry_changed.connect(self.update_scene_rect)
        self.horizontalScrollBar().valueChanged.connect(lambda _v: self.viewport_changed.emit())
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.viewport_changed.emit())
        self.update_scene_rect()

    # --- zoom ---------------------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``factor`` (1.0 is 100 %), keeping ``anchor`` (scene point) under the same pixel."""
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        current = self.zoom
        if math.isclose(factor, current):
            return
        if anchor is None:
            anchor = self.mapToScene(self.viewport().rect().center())
        before = self.mapFromScene(anchor)
        self.scale(factor / current, factor / current)
        self.flow_scene.zoom_changed(self.zoom)
        self.update_scene_rect()
        after = self.mapFromScene(anchor)
        delta = after - before
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())
        self.zoom_changed.emit(self.zoom)
        self.viewport_changed.emit()

    def zoom_by(self, steps: float, anchor: QPointF | None = None) -> None:
        self.auto_fit = False
        self.set_zoom(self.zoom * ZOOM_STEP**steps, anchor)

    def zoom_fit(self) -> None:
        """Ctrl+0: every node in view (never magnified past 150 %)."""
        self.auto_fit = True
        rect = self.flow_scene.nodes_rect()
        if rect.isNull():
            self.set_zoom(1.0)
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        view = self.viewport().rect()
        factor = min(view.width() / rect.width(), view.height() / rect.height(), 1.5)
        self.set_zoom(factor)
        self.update_scene_rect()
        self.centerOn(rect.center())
        self.viewport_changed.emit()

    def zoom_100(self) -> None:
        """Ctrl+1: actual size around the current centre."""
        self.auto_fit = False
        center = self.mapToScene(self.viewport().rect().center())
        self.set_zoom(1.0)
        self.centerOn(center)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.auto_fit = False
        delta = event.angleDelta().y() or event.angleDelta().x()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and not (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta)
            event.accept()
            return
        if delta:
            self.zoom_by(delta / 120.0, self.mapToScene(event.position().toPoint()))
        event.accept()

    def update_scene_rect(self) -> None:
        """A scene rect with room around the nodes, so one can pan past the edges of the flow."""
        rect = self.flow_scene.nodes_rect()
        if rect.isNull():
            rect = QRectF(-400, -300, 800, 600)
        view = self.mapToScene(self.viewport().rect()).boundingRect()
        margin_x = max(view.width(), 400.0)
        margin_y = max(view.height(), 300.0)
        wanted = rect.adjusted(-margin_x, -margin_y, margin_x, margin_y)
        if wanted != self.sceneRect():
            self.setSceneRect(wanted)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        for place in self.overlays:
            place()
        self.update_scene_rect()
        if self.auto_fit and self.isVisible():
            self.zoom_fit()
        self.viewport_changed.emit()

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    # --- grid ---------------------------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        rect = QRectF(rect)
        theme = self.flow_scene.theme
        painter.fillRect(rect, theme.background)
        zoom = self.zoom
        step = GRID if zoom >= 0.6 else GRID * 5
        if zoom * step < 6:
            return
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        minor: list[QLineF] = []
        major: list[QLineF] = []
        x = left
        while x < rect.right():
            target = major if round(x / (GRID * 5)) * GRID * 5 == round(x) else minor
            target.append(QLineF(x, rect.top(), x, rect.bottom()))
            x += step
        y = top
        while y < rect.bottom():
            target = major if round(y / (GRID * 5)) * GRID * 5 == round(y) else minor
            target.append(QLineF(rect.left(), y, rect.right(), y))
            y += step
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if minor:
            painter.setPen(QPen(theme.grid_minor, 0))
            painter.drawLines(minor)
        if major:
            painter.setPen(QPen(theme.grid_major, 0))
            painter.drawLines(major)
        painter.restore()

    # --- panning, selection, keys -------------------------------------------------------------------

    def _start_pan(self, pos: QPoint) -> None:
        self.auto_fit = False
        self._panning = pos
        self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space
        ):
            self._start_pan(event.position().toPoint())
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            item = self.itemAt(event.position().toPoint())
            if item is None:  # Shift+rubber band adds to the selection, like Ctrl
                event = QMouseEvent(
                    event.type(),
                    event.position(),
                    event.globalPosition(),
                    event.button(),
                    event.buttons(),
                    event.modifiers() | Qt.KeyboardModifier.ControlModifier,
                )
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._last_mouse = event.position().toPoint()
        if self._panning is not None:
            pos = event.position().toPoint()
            delta = pos - self._panning
            self._panning = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._panning = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            self.update_scene_rect()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        item = self.itemAt(event.position().toPoint())
        if item is None and event.button() == Qt.MouseButton.LeftButton:
            self.quick_add_requested.emit(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Tab:
            # Tab opens the quick-add popup instead of moving the focus
            self.quick_add_requested.emit(self.cursor_scene_pos())
            return True
        handler = getattr(self, "key_handler", None)  # events arrive while __init__ runs
        is_override = kind == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
        # canvas keys win over the window's shortcuts (Ctrl+1 zooms here, shows a page elsewhere)
        if is_override and handler is not None and handler(event, override=True):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.key_handler is not None and self.key_handler(event, override=False):
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            if self._panning is None:
                self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: Any) -> None:
        self._space = False
        super().focusOutEvent(event)

    def cursor_scene_pos(self) -> QPointF:
        """Where the mouse is, in scene coordinates (the view's centre when it is outside)."""
        local = self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(local) and self._last_mouse is not None:
            local = self._last_mouse  # the last position the view saw (tracking is on)
        if not self.viewport().rect().contains(local):
            local = self.viewport().rect().center()
        return self.mapToScene(local)

    # --- drops --------------------------------------------------------------------------------------

    def palette_drag_move(self, global_pos: QPoint) -> bool:
        """The palette's own drag is at ``global_pos``: show where the node would land; True when over us."""
        local = self.viewport().mapFromGlobal(global_pos)
        inside = self.viewport().rect().contains(local)
        self.flow_scene.show_ghost(self.mapToScene(local) if inside else None)
        return inside

    def palette_drop(self, global_pos: QPoint, payload: dict[str, Any]) -> bool:
        """The palette's drag ended at ``global_pos``: add the node when that is over the canvas."""
        self.flow_scene.show_ghost(None)
        local = self.viewport().mapFromGlobal(global_pos)
        if not self.viewport().rect().contains(local):
            return False
        self.node_dropped.emit(payload, self.mapToScene(local))
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if payload_from_mime(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if payload_from_mime(event.mimeData()) is not None:
            self.flow_scene.show_ghost(self.mapToScene(event.position().toPoint()))
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.flow_scene.show_ghost(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        payload = payload_from_mime(event.mimeData())
        self.flow_scene.show_ghost(None)
        if payload is None:
            super().dropEvent(event)
            return
        self.node_dropped.emit(payload, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()
