"""The quick-add popup (Tab or double-click on the canvas, or a wire dropped on nothing): type, Enter."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from flowdesk.ui.canvas._palette import matches
from flowdesk.ui.canvas._theme import type_icon

PAYLOAD_ROLE = 256


class QuickAddPopup(QFrame):
    """A small popup list of node choices with a search box; ``chosen`` carries the picked payload.

    Keys: typing filters, Up/Down move, Enter adds, Esc closes. It is a ``Qt.Popup`` window, so a click
    elsewhere closes it too (``closed`` is emitted either way).
    """

    chosen = Signal(dict)
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("quick-add")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.heading = QLabel("Add a node", self)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Type to search…")
        self.list = QListWidget(self)
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        layout.addWidget(self.heading)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.resize(380, 340)
        self._choices: list[dict[str, Any]] = []
        self._done = False

    def open_at(self, global_pos: QPoint, choices: list[dict[str, Any]], heading: str = "Add a node") -> None:
        """Show ``choices`` (payloads with ``label``, ``type``, optional ``detail``) at ``global_pos``."""
        self._choices = choices
        self._done = False
        self.heading.setText(heading)
        self.search.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        """Names that start with what was typed first, then names that contain it, then descriptions."""
        self.list.clear()
        query = text.strip().casefold()
        ranked: list[tuple[int, int, dict[str, Any]]] = []
        for index, payload in enumerate(self._choices):
            label = str(payload.get("label", payload.get("type")))
            names = f"{label} {payload.get('type')}"
            detail = str(payload.get("detail", ""))
            if not query or label.casefold().startswith(query):
                rank = 0
            elif matches(query, names):
                rank = 1
            elif len(query) >= 3 and matches(query, names, detail):
                rank = 2
            else:
                continue
            ranked.append((rank, index, payload))
        for _rank, _index, payload in sorted(ranked, key=lambda r: (r[0], r[1])):
            label = str(payload.get("label", payload.get("type")))
            detail = str(payload.get("detail", ""))
            item = QListWidgetItem(type_icon(str(payload["type"])), label + (f"  —  {detail}" if detail else ""))
            item.setData(PAYLOAD_ROLE, payload)
            item.setToolTip(f"{label}\n{detail}" if detail else label)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                if 0 <= row < self.list.count():
                    self.list.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                item = self.list.currentItem()
                if item is not None:
                    self._activated(item)
                return True
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
        return super().eventFilter(watched, event)

    def _activated(self, item: QListWidgetItem) -> None:
        payload = item.data(PAYLOAD_ROLE)
        if isinstance(payload, dict) and not self._done:
            self._done = True
            self.close()
            self.chosen.emit(payload)

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self.closed.emit()

    def labels(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]
