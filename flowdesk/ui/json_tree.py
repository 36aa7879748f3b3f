"""A collapsible JSON tree: a lazy item model and a view with "copy path / copy value".

Rows are made only when their parent is expanded, and long arrays arrive in batches through Qt's
``canFetchMore``/``fetchMore``, so a response with 100,000 records opens as quickly as a small one.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
)
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QHeaderView, QMenu, QTreeView, QWidget

ModelIndex = QModelIndex | QPersistentModelIndex

BATCH = 500
"""Children fetched per ``fetchMore``: what a view shows at once without a visible pause."""

_VALUE_CHARS = 300
_PREVIEW_CHARS = 90
"""Characters of an object's simple fields shown beside its size."""

_TYPE_COLORS = {
    "string": QColor("#16a34a"),
    "number": QColor("#2563eb"),
    "boolean": QColor("#9333ea"),
    "null": QColor("#6b7280"),
}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def summary(value: Any) -> str:
    """One line for a value: the value itself, or the size of an array/object (an object also shows its
    first simple fields, so a list of records can be scanned without opening each)."""
    if isinstance(value, dict):
        size = f"{{{len(value):,} field{'s' if len(value) != 1 else ''}}}"
        shown: list[str] = []
        width = 0
        for key, field in value.items():
            if isinstance(field, dict | list):
                continue
            part = f"{key}: {_scalar(field, 40)}"
            if width + len(part) > _PREVIEW_CHARS:
                shown.append("…")
                break
            shown.append(part)
            width += len(part) + 2
        return f"{size}  {', '.join(shown)}" if shown else size
    if isinstance(value, list):
        return f"[{len(value):,} item{'s' if len(value) != 1 else ''}]"
    return _scalar(value, _VALUE_CHARS)


def _scalar(value: Any, limit: int) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


class _Node:
    __slots__ = ("children", "id", "key", "parent", "path", "row", "value")

    def __init__(self, node_id: int, key: str, value: Any, parent: _Node | None, row: int, path: str) -> None:
        self.id = node_id
        self.key = key
        self.value = value
        self.parent = parent
        self.row = row
        self.path = path
        self.children: list[_Node] = []

    @property
    def size(self) -> int:
        return len(self.value) if isinstance(self.value, dict | list) else 0


class JsonTreeModel(QAbstractItemModel):
    """Three columns (key, value, type) over any JSON document; children are built on demand."""

    HEADERS = ("Key", "Value", "Type")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._nodes: list[_Node] = []
        self._wrapped = False
        self._root = self._new("", [], None, 0, "$")

    def set_document(self, document: Any) -> None:
        """Show ``document`` (anything ``json`` can hold)."""
        self.beginResetModel()
        self._nodes = []
        # a lone scalar still gets one row, so the view is never silently empty
        self._wrapped = not isinstance(document, dict | list)
        self._root = self._new("", [document] if self._wrapped else document, None, 0, "$")
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    @property
    def document(self) -> Any:
        return self._root.value[0] if self._wrapped else self._root.value

    def _new(self, key: str, value: Any, parent: _Node | None, row: int, path: str) -> _Node:
        node = _Node(len(self._nodes), key, value, parent, row, path)
        self._nodes.append(node)
        return node

    def _node(self, index: ModelIndex) -> _Node:
        if not index.isValid():
            return self._root
        return self._nodes[index.internalId()]

    def path_of(self, index: ModelIndex) -> str:
        """The JSONPath of the value at ``index``."""
        return self._node(index).path

    def value_of(self, index: ModelIndex) -> Any:
        return self._node(index).value

    # --- QAbstractItemModel --------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self._node(parent)
        if not 0 <= row < len(node.children) or not 0 <= column < 3:
            return QModelIndex()
        return self.createIndex(row, column, node.children[row].id)

    def parent(self, index: ModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = self._nodes[index.internalId()].parent
        if node is None or node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, node.id)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 3

    def hasChildren(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return False
        return self._node(parent).size > 0

    def canFetchMore(self, parent: ModelIndex) -> bool:
        node = self._node(parent)
        return len(node.children) < node.size

    def fetchMore(self, parent: ModelIndex) -> None:
        node = self._node(parent)
        start = len(node.children)
        end = min(node.size, start + BATCH)
        if end <= start:
            return
        self.beginInsertRows(parent if parent.isValid() else QModelIndex(), start, end - 1)
        value = node.value
        if isinstance(value, list):
            wrapped = self._wrapped and node is self._root
            for row in range(start, end):
                key, path = ("(value)", "$") if wrapped else (f"[{row}]", f"{node.path}[{row}]")
                node.children.append(self._new(key, value[row], node, row, path))
        else:
            keys = list(value)[start:end] if start else list(value)[:end]
            for offset, key in enumerate(keys):
                name = str(key)
                segment = f".{name}" if name.replace("_", "").isalnum() and not name[:1].isdigit() else f"['{name}']"
                node.children.append(self._new(name, value[key], node, start + offset, node.path + segment))
        self.endInsertRows()

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._nodes[index.internalId()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return node.key
            if column == 1:
                return summary(node.value)
            return json_type(node.value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return node.path
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return _TYPE_COLORS.get(json_type(node.value))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 3:
            return self.HEADERS[section]
        return None


class JsonTreeView(QTreeView):
    """A tree of a JSON document; right-click copies a value or its JSONPath."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.json_model = JsonTreeModel(self)
        self.setModel(self.json_model)
        self.setUniformRowHeights(True)  # keeps scrolling through long arrays cheap
        self.setAlternatingRowColors(True)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # Not ResizeToContents: measuring a column asks the model for up to 1,000 rows on every repaint after a
        # reset (~85 ms for a long array), a visible freeze. "boolean" is the widest type name.
        self.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.header().setStretchLastSection(False)
        self.setColumnWidth(0, 200)
        self.setColumnWidth(2, self.fontMetrics().horizontalAdvance("boolean") + 24)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)

    def set_document(self, document: Any, *, expand_first: bool = True) -> None:
        """Show ``document``; the first level (and a first record) is opened for a quick look."""
        self.json_model.set_document(document)
        if expand_first and self.json_model.rowCount() > 0:
            first = self.json_model.index(0, 0)
            if self.json_model.rowCount() <= 20 or self.json_model.hasChildren(first):
                self.expand(first)

    def clear(self) -> None:
        self.json_model.set_document({})

    def _menu(self, position: QPoint) -> None:
        index = self.indexAt(position)
        if not index.isValid():
            return
        menu = QMenu(self)
        path = self.json_model.path_of(index)
        value = self.json_model.value_of(index)
        menu.addAction("Copy JSONPath", lambda: QGuiApplication.clipboard().setText(path))
        menu.addAction(
            "Copy value",
            lambda: QGuiApplication.clipboard().setText(
                value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
            ),
        )
        menu.popup(self.viewport().mapToGlobal(position))
