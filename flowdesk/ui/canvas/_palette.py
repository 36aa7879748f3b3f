"""The palette: every node type (searchable, by category) and the workspace's entities, ready to drop.

Dragging an entry onto the canvas adds that node where it is dropped (an entity becomes an ``api_call``
node already set to its connection and entity); a double-click or Enter adds it in the middle of the view.
The drag is the palette's own (it follows the mouse it grabbed and asks the canvas to show where the node
would land), so it behaves the same under real and synthetic mouse events.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QCursor, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.nodes import NODE_SPECS
from flowdesk.ui.canvas._theme import type_icon
from flowdesk.ui.canvas._view import entity_payload
from flowdesk.ui.resources import icon

PAYLOAD_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2


class DropTarget(Protocol):
    def palette_drag_move(self, global_pos: QPoint) -> bool: ...

    def palette_drop(self, global_pos: QPoint, payload: dict[str, Any]) -> bool: ...


def matches(query: str, *texts: str) -> bool:
    """Every word of ``query`` appears in one of ``texts`` (case-insensitive)."""
    haystack = " ".join(texts).casefold()
    return all(word in haystack for word in query.casefold().split())


class _PaletteTree(QTreeWidget):
    """The list, with a drag that follows the grabbed mouse to the canvas."""

    def __init__(self, palette: NodePalette) -> None:
        super().__init__(palette)
        self.owner = palette
        self._press: QPoint | None = None
        self._payload: dict[str, Any] | None = None
        self._dragging = False
        self._floating: QLabel | None = None
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setIndentation(14)
        self.setUniformRowHeights(True)
        self.setMouseTracking(False)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            item = self.itemAt(event.position().toPoint())
            payload = item.data(0, PAYLOAD_ROLE) if item is not None else None
            if isinstance(payload, dict):
                self._press = event.position().toPoint()
                self._payload = payload

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and self._payload is not None and event.buttons() & Qt.MouseButton.LeftButton:
            pos = event.position().toPoint()
            if not self._dragging and (pos - self._press).manhattanLength() >= QApplication.startDragDistance():
                self._dragging = True
                self._show_floating()
            if self._dragging:
                global_pos = self.viewport().mapToGlobal(pos)
                over = self.owner.drop_target.palette_drag_move(global_pos) if self.owner.drop_target else False
                self.viewport().setCursor(Qt.CursorShape.DragCopyCursor if over else Qt.CursorShape.ForbiddenCursor)
                if self._floating is not None:
                    self._floating.move(global_pos + QPoint(14, 8))
                event.accept()
                return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging and self._payload is not None:
            global_pos = self.viewport().mapToGlobal(event.position().toPoint())
            target = self.owner.drop_target
            dropped = target.palette_drop(global_pos, self._payload) if target is not None else False
            if not dropped:
                self.owner.status.emit("Drop the node on the canvas to add it")
            self._end_drag()
            event.accept()
            return
        self._end_drag()
        super().mouseReleaseEvent(event)

    def _show_floating(self) -> None:
        if self._payload is None:
            return
        label = QLabel(self._payload.get("label") or self._payload["type"], None, Qt.WindowType.ToolTip)
        label.setStyleSheet("QLabel { padding: 3px 8px; border: 1px solid #2563eb; border-radius: 4px; }")
        label.adjustSize()
        label.move(QCursor.pos() + QPoint(14, 8))
        label.show()
        self._floating = label

    def _end_drag(self) -> None:
        self._press = None
        self._payload = None
        self._dragging = False
        self.viewport().unsetCursor()
        if self._floating is not None:
            self._floating.close()
            self._floating.deleteLater()
            self._floating = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            item = self.currentItem()
            payload = item.data(0, PAYLOAD_ROLE) if item is not None else None
            if isinstance(payload, dict):
                self.owner.activated.emit(payload)
                event.accept()
                return
        super().keyPressEvent(event)


class NodePalette(QWidget):
    """Search box and tree of node types and entities. ``activated`` asks to add a node in view."""

    activated = Signal(dict)
    status = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.drop_target: DropTarget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search nodes and entities…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree = _PaletteTree(self)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        hint = QLabel("Drag onto the canvas · Tab on the canvas for quick add", self)
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text); font-size: 11px;")
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(hint)
        self._entities_root: QTreeWidgetItem | None = None
        self._build_types()
        self.setMinimumWidth(160)

    def _build_types(self) -> None:
        categories: dict[str, QTreeWidgetItem] = {}
        for spec in NODE_SPECS.values():
            parent = categories.get(spec.category)
            if parent is None:
                parent = QTreeWidgetItem([spec.category])
                parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = parent.font(0)
                font.setBold(True)
                parent.setFont(0, font)
                self.tree.addTopLevelItem(parent)
                categories[spec.category] = parent
            item = QTreeWidgetItem([spec.title])
            item.setIcon(0, type_icon(spec.type))
            item.setToolTip(0, f"{spec.title} ({spec.type})\n{spec.description}")
            item.setData(0, PAYLOAD_ROLE, {"type": spec.type, "label": spec.title})
            item.setData(0, SEARCH_ROLE, f"{spec.title} {spec.type} {spec.category} {spec.description}")
            parent.addChild(item)
        self.tree.expandAll()

    def set_entities(self, entities: dict[str, list[str]]) -> None:
        """Show ``connection → entity names`` under "Entities"; dropping one makes a ready ``api_call``."""
        if self._entities_root is not None:
            index = self.tree.indexOfTopLevelItem(self._entities_root)
            self.tree.takeTopLevelItem(index)
            self._entities_root = None
        if not entities:
            return
        root = QTreeWidgetItem(["Entities"])
        root.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = root.font(0)
        font.setBold(True)
        root.setFont(0, font)
        for connection in sorted(entities, key=str.casefold):
            parent = QTreeWidgetItem([connection])
            parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
            parent.setIcon(0, icon("service-generic"))
            for name in sorted(entities[connection], key=str.casefold):
                item = QTreeWidgetItem([name])
                item.setIcon(0, type_icon("api_call"))
                item.setToolTip(0, f"An API call node for {connection} · {name}")
                item.setData(0, PAYLOAD_ROLE, entity_payload(connection, name))
                item.setData(0, SEARCH_ROLE, f"{connection} {name} entity api")
                parent.addChild(item)
            root.addChild(parent)
        self.tree.addTopLevelItem(root)
        self._entities_root = root
        root.setExpanded(True)
        self.filter(self.search.text())

    def filter(self, text: str) -> None:
        """Hide what does not match every word of ``text``; categories with no match hide too."""
        query = text.strip()

        def visit(item: QTreeWidgetItem) -> bool:
            if item.childCount() == 0:
                search = item.data(0, SEARCH_ROLE)
                shown = not query or matches(query, str(search or item.text(0)))
                item.setHidden(not shown)
                return shown
            any_shown = False
            for index in range(item.childCount()):
                child = item.child(index)
                any_shown = (child is not None and visit(child)) or any_shown
            item.setHidden(not any_shown)
            if query and any_shown:
                item.setExpanded(True)
            return any_shown

        for index in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(index)
            if top is not None:
                visit(top)

    def visible_payloads(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []

        def visit(item: QTreeWidgetItem) -> None:
            if item.isHidden():
                return
            payload = item.data(0, PAYLOAD_ROLE)
            if isinstance(payload, dict):
                found.append(payload)
            for index in range(item.childCount()):
                child = item.child(index)
                if child is not None:
                    visit(child)

        for index in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(index)
            if top is not None:
                visit(top)
        return found

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        payload = item.data(0, PAYLOAD_ROLE)
        if isinstance(payload, dict):
            self.activated.emit(payload)

    def _activate_first(self) -> None:
        payloads = self.visible_payloads()
        if payloads:
            self.activated.emit(payloads[0])
