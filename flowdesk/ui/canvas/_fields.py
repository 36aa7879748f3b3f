"""Input widgets of the inspector: template text with ``{field}`` completion, expressions with a syntax
check, and a name/value table for the dictionary settings (params, query, set, map …)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QStringListModel, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flowdesk.ui.style import ERROR_LABEL

ERROR_STYLE = "border: 1.5px solid #dc2626; border-radius: 3px;"
Fields = Callable[[], list[str]]


class TemplateLineEdit(QLineEdit):
    """A line edit for templates: typing ``{`` offers the fields seen in the upstream sample.

    ``fields`` is called when the popup opens, so it always reflects the last run. ``committed`` fires on
    Enter or when the focus leaves (like ``editingFinished``), but not while the popup is choosing.
    """

    committed = Signal()

    def __init__(self, fields: Fields | None = None, parent: QWidget | None = None, *, braces: bool = True) -> None:
        super().__init__(parent)
        self.fields = fields or (lambda: [])
        self.braces = braces
        self._model = QStringListModel(self)
        self.completer_popup = QCompleter(self._model, self)
        self.completer_popup.setWidget(self)
        self.completer_popup.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer_popup.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer_popup.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer_popup.activated.connect(self._insert)
        self.textEdited.connect(self._maybe_complete)
        self.returnPressed.connect(self.committed.emit)
        self._last = ""

    def _popup(self) -> QAbstractItemView:
        popup = self.completer_popup.popup()
        assert popup is not None  # a QCompleter always has its popup
        return popup

    def _token(self) -> tuple[int, str] | None:
        """Start and text of the name being typed (after an unclosed ``{``, or the whole text without braces)."""
        text = self.text()[: self.cursorPosition()]
        if not self.braces:
            start = max(text.rfind(" "), text.rfind("("), text.rfind(","), text.rfind("[")) + 1
            return start, text[start:]
        opening = text.rfind("{")
        if opening < 0 or "}" in text[opening:] or text[opening - 1 : opening] == "{":
            return None
        return opening + 1, text[opening + 1 :]

    def _maybe_complete(self, _text: str = "") -> None:
        token = self._token()
        fields = self.fields()
        if token is None or not fields:
            self._popup().hide()
            return
        self._model.setStringList(fields)
        self.completer_popup.setCompletionPrefix(token[1])
        if self.completer_popup.completionCount() == 0:
            self._popup().hide()
            return
        rect = self.cursorRect()
        rect.setWidth(max(220, self._popup().sizeHintForColumn(0) + 30))
        self.completer_popup.complete(rect)

    def _insert(self, name: str) -> None:
        token = self._token()
        if token is None:
            return
        start, typed = token
        text = self.text()
        end = start + len(typed)
        closing = "}" if self.braces and not text[end:].startswith("}") else ""
        new = text[:start] + name + closing + text[end:]
        self.setText(new)
        self.setCursorPosition(start + len(name) + len(closing))

    def show_completions(self) -> None:
        """Open the field popup now (Ctrl+Space)."""
        self._maybe_complete()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self._popup()
        if popup.isVisible() and event.key() in (
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
            Qt.Key.Key_Escape,
            Qt.Key.Key_Tab,
            Qt.Key.Key_Backtab,
        ):
            event.ignore()  # the completer handles these
            return
        if event.key() == Qt.Key.Key_Space and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.show_completions()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if not self._popup().isVisible():
            self.committed.emit()


class CheckedLineEdit(QWidget):
    """A :class:`TemplateLineEdit` with a message line: ``check(text)`` returns a problem or ``None``.

    The check runs as one types (the field turns red with the reason under it); ``committed`` fires with
    the text when editing finishes, whether or not it is valid (an invalid value is stored too, so the
    node shows it as not ready to run).
    """

    committed = Signal(str)

    def __init__(
        self,
        check: Callable[[str], str | None] | None = None,
        fields: Fields | None = None,
        parent: QWidget | None = None,
        *,
        braces: bool = True,
        preview: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.check = check
        self.preview = preview
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.edit = TemplateLineEdit(fields, self, braces=braces)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.preview_label = QLabel(self)
        self.preview_label.setWordWrap(True)
        self.preview_label.setStyleSheet("color: palette(placeholder-text);")
        self.preview_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_label.hide()
        layout.addWidget(self.edit)
        layout.addWidget(self.message)
        layout.addWidget(self.preview_label)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(self._checked)
        self.edit.committed.connect(self._commit)
        self._committed_text: str | None = None
        self.external_error: str | None = None

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self._committed_text = text
        if self.edit.text() != text:
            self.edit.blockSignals(True)
            self.edit.setText(text)
            self.edit.blockSignals(False)
            if not self.edit.hasFocus():
                self.edit.setCursorPosition(0)  # show the start of a long value
        self._checked(text)

    def set_error(self, message: str | None) -> None:
        """A problem the model reported for this field (shown when the live check finds none)."""
        self.external_error = message
        self._checked(self.edit.text())

    def _checked(self, text: str) -> None:
        problem = self.check(text) if self.check is not None and text.strip() else None
        if problem is None and text == self._committed_text:
            problem = self.external_error  # the model's reason applies to the stored value, not an edit
        if problem:
            self.edit.setStyleSheet(f"QLineEdit {{ {ERROR_STYLE} }}")
            self.message.setStyleSheet(ERROR_LABEL)
            self.message.setText(problem)
            self.message.show()
        else:
            self.edit.setStyleSheet("")
            self.message.hide()
        shown = self.preview(text) if self.preview is not None and text.strip() and not problem else None
        self.preview_label.setText(shown or "")
        self.preview_label.setVisible(bool(shown))

    def refresh_preview(self) -> None:
        self._checked(self.edit.text())

    def _commit(self) -> None:
        text = self.edit.text()
        if text != self._committed_text:
            self._committed_text = text
            self.committed.emit(text)


class _ValueDelegate(QStyledItemDelegate):
    """Edits table cells with a :class:`TemplateLineEdit` (field completion in values and names)."""

    def __init__(self, table: KeyValueTable) -> None:
        super().__init__(table)
        self.table = table

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        braces = not (index.column() == 1 and self.table.value_braces is False)
        fields = self.table.fields if index.column() == 1 else self.table.name_fields
        editor = TemplateLineEdit(fields, parent, braces=braces)
        editor.setFrame(False)
        return editor

    def setModelData(
        self, editor: QWidget, model: QAbstractItemModel, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class KeyValueTable(QWidget):
    """Names and values of a dictionary setting; a blank last row adds an entry, ✕ removes the selected one.

    ``edited`` fires with the new dictionary after each change. Values are read as JSON when they parse
    (``50`` → 50, ``true`` → True) unless ``text_values`` keeps them as text; ``check`` marks bad values.
    """

    edited = Signal(dict)

    def __init__(
        self,
        *,
        headers: tuple[str, str] = ("Name", "Value"),
        fields: Fields | None = None,
        name_fields: Fields | None = None,
        text_values: bool = False,
        check: Callable[[str, str], str | None] | None = None,
        value_braces: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.fields: Fields = fields or (lambda: [])
        self.name_fields: Fields = name_fields or (lambda: [])
        self.text_values = text_values
        self.check = check
        self.value_braces = value_braces
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.setItemDelegate(_ValueDelegate(self))
        self.table.itemChanged.connect(self._changed)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel(self)
        self.message.setStyleSheet(ERROR_LABEL)
        self.message.setWordWrap(True)
        self.message.hide()
        self.remove_button = QToolButton(self)
        self.remove_button.setText("✕ Remove")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip("Remove the selected entry (a blank last row adds one)")
        self.remove_button.clicked.connect(self.remove_selected)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        layout.addLayout(row)
        self._loading = False
        self._value: dict[str, Any] = {}
        self.set_value({})

    def set_value(self, value: dict[str, Any]) -> None:
        self._loading = True
        try:
            self._value = dict(value)
            self.table.setRowCount(0)
            for key, item in value.items():
                self._append(str(key), self._text(item))
            self._append("", "")
            self._fit_height()
        finally:
            self._loading = False
        self._validate()

    def value(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for row in range(self.table.rowCount()):
            name_item = self.table.item(row, 0)
            value_item = self.table.item(row, 1)
            name = name_item.text().strip() if name_item is not None else ""
            if not name:
                continue
            text = value_item.text() if value_item is not None else ""
            result[name] = self._parse(text)
        return result

    def _text(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def _parse(self, text: str) -> Any:
        if self.text_values:
            return text
        stripped = text.strip()
        if stripped and (stripped[0] in "[{\"-0123456789" or stripped in ("true", "false", "null")):
            try:
                return json.loads(stripped)
            except ValueError:
                return text
        return text

    def _append(self, name: str, value: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(value))

    def _fit_height(self) -> None:
        rows = max(self.table.rowCount(), 2)
        self.table.setFixedHeight(min(rows, 8) * 24 + self.table.horizontalHeader().height() + 4)

    def _changed(self, _item: QTableWidgetItem) -> None:
        if self._loading:
            return
        last = self.table.rowCount() - 1
        last_name = self.table.item(last, 0)
        last_value = self.table.item(last, 1)
        if (last_name is not None and last_name.text()) or (last_value is not None and last_value.text()):
            self._loading = True
            self._append("", "")
            self._fit_height()
            self._loading = False
        self._emit()

    def _emit(self) -> None:
        self._validate()
        value = self.value()
        if value != self._value:
            self._value = value
            self.edited.emit(value)

    def _validate(self) -> None:
        problems = []
        if self.check is not None:
            for name, value in self.value().items():
                problem = self.check(name, value if isinstance(value, str) else json.dumps(value))
                if problem:
                    problems.append(f"{name}: {problem}")
        self.set_problems(problems)

    def set_problems(self, problems: list[str]) -> None:
        if problems:
            self.message.setText("\n".join(problems))
            self.message.show()
            self.table.setStyleSheet(f"QTableWidget {{ {ERROR_STYLE} }}")
        else:
            self.message.hide()
            self.table.setStyleSheet("")

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows:
            return
        self._loading = True
        for row in rows:
            if row < self.table.rowCount() - 1:
                self.table.removeRow(row)
        self._fit_height()
        self._loading = False
        self._emit()

    def set_cell(self, row: int, column: int, text: str) -> None:
        """Set one cell as if typed (tests and scripted edits)."""
        while self.table.rowCount() <= row:
            self._append("", "")
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem("")
            self.table.setItem(row, column, item)
        item.setText(text)
