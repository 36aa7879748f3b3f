"""The details of the selected node in the current (or opened) run: items in and out, API calls, errors.

Items are shown side by side as a table (one row per item, one column per top-level field) and as JSON.
The panel refreshes on the run controller's throttled ``updated`` signal, not on every engine event.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flowdesk.ui.canvas._run_state import NodeRunState
from flowdesk.ui.canvas._theme import ERROR_COLOR, STATE_COLORS

if TYPE_CHECKING:
    from flowdesk.ui.canvas._editor import FlowEditor

MAX_COLUMNS = 24
CELL_CHARS = 120


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def columns_of(items: list[Any]) -> list[str]:
    """Top-level fields in first-seen order (``value`` for items that are not objects)."""
    columns: list[str] = []
    for item in items:
        keys = item.keys() if isinstance(item, dict) else ["value"]
        for key in keys:
            if key not in columns:
                columns.append(str(key))
            if len(columns) >= MAX_COLUMNS:
                return columns
    return columns


class ItemsView(QSplitter):
    """A table and the JSON of the same items."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.table = QTableWidget(self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.json = QPlainTextEdit(self)
        self.json.setReadOnly(True)
        self.json.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.json.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.addWidget(self.table)
        self.addWidget(self.json)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.items: list[Any] = []

    def set_items(self, items: list[Any], empty: str) -> None:
        if items == self.items and self.table.rowCount() == len(items) and items:
            return
        self.items = list(items)
        columns = columns_of(items)
        self.table.clear()
        self.table.setColumnCount(len(columns))
        self.table.setRowCount(len(items))
        self.table.setHorizontalHeaderLabels(columns)
        for row, item in enumerate(items):
            for column, key in enumerate(columns):
                if isinstance(item, dict):
                    present = key in item
                    value = item.get(key)
                else:
                    present, value = True, item
                cell = QTableWidgetItem(_cell(value) if present else "")
                cell.setToolTip(_cell(value) if present else "")
                self.table.setItem(row, column, cell)
        self.table.resizeColumnsToContents()
        for column in range(self.table.columnCount()):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), 220))
        self.json.setPlainText(json.dumps(items, indent=2, ensure_ascii=False, default=str) if items else empty)


class NodeRunPanel(QWidget):
    """What the selected node did in the run shown on the canvas."""

    def __init__(self, editor: FlowEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.node_id: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        top = QHBoxLayout()
        self.heading = QLabel("Select a node to see what it received and sent in the last run.", self)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.port_combo = QComboBox(self)
        self.port_combo.setToolTip("Which output port's items to show")
        self.port_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        top.addWidget(self.heading, 1)
        top.addWidget(self.port_combo)
        layout.addLayout(top)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.output = ItemsView(self.tabs)
        self.input = ItemsView(self.tabs)
        self.calls = QTableWidget(self.tabs)
        self.calls.setColumnCount(6)
        self.calls.setHorizontalHeaderLabels(["Status", "Method", "URL", "Time", "Attempt", "Error"])
        self.calls.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.calls.verticalHeader().setDefaultSectionSize(22)
        self.calls.horizontalHeader().setStretchLastSection(True)
        self.errors = QPlainTextEdit(self.tabs)
        self.errors.setReadOnly(True)
        self.tabs.addTab(self.output, "Output")
        self.tabs.addTab(self.input, "Input")
        self.tabs.addTab(self.calls, "API calls")
        self.tabs.addTab(self.errors, "Errors")
        layout.addWidget(self.tabs, 1)
        editor.run.updated.connect(self.refresh)
        self.refresh()

    def show_node(self, node_id: str | None) -> None:
        if node_id != self.node_id:
            self.node_id = node_id
            self.port_combo.blockSignals(True)
            self.port_combo.clear()
            self.port_combo.blockSignals(False)
        self.refresh()

    def _node_state(self) -> NodeRunState | None:
        state = self.editor.run.state
        if state is None or self.node_id is None:
            return None
        return state.nodes.get(self.node_id)

    def refresh(self) -> None:
        node_id = self.node_id
        run = self.editor.run.state
        node = self._node_state()
        if node_id is None or not self.editor.document.flow.has_node(node_id):
            self.heading.setText("Select a node to see what it received and sent in the last run.")
            self._clear()
            return
        if node is None or run is None:
            self.heading.setText(f"<b>{node_id}</b>: not run yet. Run the flow (F5) to see its items here.")
            self._clear()
            return
        color = STATE_COLORS.get(node.state, "#6b7280")
        where = "recorded run" if run.recorded else "this run"
        counts = (
            f"{node.items_out:,} out so far"  # what came in is counted when the node finishes
            if node.state == "running"
            else f"{node.items_in:,} in, {node.items_out:,} out"
        )
        text = f"<b>{node_id}</b> <span style='color:{color}'>● {node.state}</span> in {where}: {counts}"
        if node.errors:
            plural = "s" if node.errors != 1 else ""
            text += f", <span style='color:{ERROR_COLOR}'>{node.errors:,} error{plural}</span>"
        if node.call_count:
            text += f", {node.call_count:,} API calls"
        if node.duration_ms:
            text += f", {node.duration_ms / 1000:,.2f} s"
        self.heading.setText(text)

        ports = list(node.samples)
        current = self.port_combo.currentText()
        if [self.port_combo.itemText(i) for i in range(self.port_combo.count())] != ports:
            self.port_combo.blockSignals(True)
            self.port_combo.clear()
            self.port_combo.addItems(ports)
            if current in ports:
                self.port_combo.setCurrentText(current)
            self.port_combo.blockSignals(False)
        self.port_combo.setVisible(len(ports) > 1)
        port = self.port_combo.currentText() or (ports[0] if ports else "")
        self.output.set_items(node.samples.get(port, []), "(no items sent yet)")
        flow = self.editor.document.flow
        edges = [(e.source_node, e.source_port, e.target_node, e.target_port) for e in flow.edges]
        inputs = run.inputs_of(node_id, edges)
        self.input.set_items([i for items in inputs.values() for i in items], "(no items received yet)")
        self.calls.setRowCount(len(node.calls))
        for row, call in enumerate(node.calls):
            values = [
                str(call.status) if call.status is not None else "—",
                call.method,
                call.url,
                f"{call.duration_ms:,.0f} ms",
                str(call.attempt),
                call.error or "",
            ]
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                if column == 0:
                    cell.setForeground(QColor("#16a34a" if call.ok else ERROR_COLOR))
                self.calls.setItem(row, column, cell)
        self.calls.resizeColumnsToContents()
        self.tabs.setTabText(2, f"API calls ({node.call_count:,})" if node.call_count else "API calls")
        errors = []
        if node.error:
            errors.append(node.error)
            if node.failed_item is not None:
                errors.append("Item:\n" + json.dumps(node.failed_item, indent=2, ensure_ascii=False, default=str))
        error_items = node.samples.get("error", [])
        if error_items:
            errors.append(f"Items sent to the error port ({node.port_counts.get('error', len(error_items)):,}):")
            errors += [json.dumps(i, ensure_ascii=False, default=str) for i in error_items]
        self.errors.setPlainText("\n\n".join(errors) if errors else "No errors.")
        self.tabs.setTabText(3, f"Errors ({node.errors:,})" if node.errors else "Errors")

    def _clear(self) -> None:
        self.output.set_items([], "")
        self.input.set_items([], "")
        self.calls.setRowCount(0)
        self.errors.clear()
        self.port_combo.setVisible(False)
        self.tabs.setTabText(2, "API calls")
        self.tabs.setTabText(3, "Errors")
