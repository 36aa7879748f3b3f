"""An editable table of name/value pairs (query parameters, headers, form fields) that always ends in an
empty row to type into."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget


class KeyValueTable(QTableWidget):
    """Name/value rows; typing into the last (empty) row adds another. Rows without a name are ignored."""

    changed = Signal()

    def __init__(self, name_title: str = "Name", value_title: str = "Value", parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels([name_title, value_title])
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(0, 180)
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setTabKeyNavigation(True)
        self._updating = False
        self.itemChanged.connect(self._on_item_changed)
        self._ensure_blank_row()

    def pairs(self) -> list[tuple[str, str]]:
        """The rows with a name, in order."""
        out: list[tuple[str, str]] = []
        for row in range(self.rowCount()):
            name = self._text(row, 0).strip()
            if name:
                out.append((name, self._text(row, 1)))
        return out

    def set_pairs(self, pairs: list[tuple[str, str]]) -> None:
        self._updating = True
        try:
            self.setRowCount(0)
            for name, value in pairs:
                self._append(name, value)
        finally:
            self._updating = False
        self._ensure_blank_row()
        self.changed.emit()

    def set_value(self, name: str, value: str) -> None:
        """Set (or add) the row called ``name``."""
        for row in range(self.rowCount()):
            if self._text(row, 0).strip() == name:
                item = self.item(row, 1)
                if item is None:
                    self.setItem(row, 1, QTableWidgetItem(value))
                else:
                    item.setText(value)
                return
        pairs = self.pairs()
        pairs.append((name, value))
        self.set_pairs(pairs)

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.selectedIndexes()}, reverse=True)
        for row in rows:
            self.removeRow(row)
        self._ensure_blank_row()
        self.changed.emit()

    def _append(self, name: str, value: str) -> None:
        row = self.rowCount()
        self.insertRow(row)
        self.setItem(row, 0, QTableWidgetItem(name))
        self.setItem(row, 1, QTableWidgetItem(value))

    def _text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item is not None else ""

    def _ensure_blank_row(self) -> None:
        last = self.rowCount() - 1
        if last < 0 or self._text(last, 0) or self._text(last, 1):
            self._updating = True
            try:
                self._append("", "")
            finally:
                self._updating = False

    def _on_item_changed(self, _item: QTableWidgetItem) -> None:
        if self._updating:
            return
        self._ensure_blank_row()
        self.changed.emit()
