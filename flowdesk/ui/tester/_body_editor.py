"""The request body: none, JSON (checked as you type, the error's line and column shown), form fields or
plain text."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from flowdesk.ui.style import ERROR_LABEL
from flowdesk.ui.tester._kv_table import KeyValueTable

BODY_MODES = (("none", "No body"), ("json", "JSON"), ("form", "Form fields"), ("text", "Text"))


class JsonEditor(QPlainTextEdit):
    """A plain-text editor for JSON whose ``error`` says where the text stops being JSON (or ``None``).

    ``validity_changed`` is emitted after every check (the error's position may move while it stays invalid).
    """

    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabChangesFocus(True)
        self.setPlaceholderText('{\n  "name": "value"\n}')
        self.error: str | None = None
        self.error_line: int | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)  # check after a pause in typing, not on every key
        self._timer.timeout.connect(self.check)
        self.textChanged.connect(self._timer.start)

    def value(self) -> Any:
        """The parsed JSON (``None`` for an empty editor).

        Raises:
            ValueError: the text is not JSON (``error`` then says where).
        """
        self.check()
        if self.error is not None:
            raise ValueError(self.error)
        text = self.toPlainText().strip()
        return json.loads(text) if text else None

    def set_value(self, value: Any) -> None:
        self.setPlainText("" if value is None else json.dumps(value, indent=2, ensure_ascii=False))
        self.check()

    def check(self) -> bool:
        """Parse now; mark the error's line. Returns whether the text is valid (empty is valid)."""
        self._timer.stop()
        text = self.toPlainText()
        error: str | None = None
        line: int | None = None
        if text.strip():
            try:
                json.loads(text)
            except json.JSONDecodeError as exc:
                error = f"Line {exc.lineno}, column {exc.colno}: {exc.msg}"
                line = exc.lineno
        self.error, self.error_line = error, line
        self._mark(line)
        self.validity_changed.emit(error is None)
        return error is None

    def _mark(self, line: int | None) -> None:
        selections: list[QTextEdit.ExtraSelection] = []
        if line is not None:
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(QColor(220, 38, 38, 60))
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = QTextCursor(self.document().findBlockByLineNumber(line - 1))
            cursor.clearSelection()
            selection.cursor = cursor
            selections.append(selection)
        self.setExtraSelections(selections)


class BodyEditor(QWidget):
    """Chooses how the body is sent and holds its value."""

    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Body:", self))
        self.mode_combo = QComboBox(self)
        for key, title in BODY_MODES:
            self.mode_combo.addItem(title, key)
        self.mode_combo.setToolTip("How the body is sent (JSON, form fields, or plain text)")
        row.addWidget(self.mode_combo)
        row.addStretch(1)
        layout.addLayout(row)
        self.stack = QStackedWidget(self)
        self.none_label = QLabel("This request sends no body.", self)
        self.none_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.json_editor = JsonEditor(self)
        self.form_table = KeyValueTable("Field", "Value", self)
        self.text_editor = QPlainTextEdit(self)
        self.text_editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        for widget in (self.none_label, self.json_editor, self.form_table, self.text_editor):
            self.stack.addWidget(widget)
        layout.addWidget(self.stack, 1)
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet(ERROR_LABEL)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.json_editor.validity_changed.connect(self._json_validity)

    @property
    def mode(self) -> str:
        return str(self.mode_combo.currentData())

    def set_mode(self, mode: str) -> None:
        index = self.mode_combo.findData(mode)
        self.mode_combo.setCurrentIndex(max(index, 0))

    def set_body(self, body: Any, body_type: str) -> None:
        """Show ``body`` (``None``: no body) of type ``json``, ``form`` or ``text``."""
        if body is None:
            self.set_mode("none")
            self.json_editor.set_value(None)
            return
        if body_type == "form" and isinstance(body, dict):
            self.form_table.set_pairs([(str(k), _text(v)) for k, v in body.items()])
            self.set_mode("form")
        elif body_type == "text" or (body_type != "json" and isinstance(body, str)):
            self.text_editor.setPlainText(body if isinstance(body, str) else json.dumps(body))
            self.set_mode("text")
        else:
            self.json_editor.set_value(body)
            self.set_mode("json")

    def value(self) -> tuple[Any, str]:
        """``(body, body_type)`` to send; ``body`` is ``None`` for no body.

        Raises:
            ValueError: the JSON body does not parse (the message has the line and column).
        """
        mode = self.mode
        if mode == "json":
            return self.json_editor.value(), "json"
        if mode == "form":
            pairs = self.form_table.pairs()
            return (dict(pairs) if pairs else None), "form"
        if mode == "text":
            text = self.text_editor.toPlainText()
            return (text if text else None), "text"
        return None, "json"

    def is_valid(self) -> bool:
        return self.mode != "json" or self.json_editor.check()

    def show_error(self) -> None:
        """Point at the JSON error (called when Send is refused)."""
        if self.json_editor.error:
            self.error_label.setText(f"The body is not valid JSON — {self.json_editor.error}")
            self.error_label.show()
            line = self.json_editor.error_line or 1
            cursor = QTextCursor(self.json_editor.document().findBlockByLineNumber(line - 1))
            self.json_editor.setTextCursor(cursor)
            self.json_editor.setFocus()

    def _mode_changed(self) -> None:
        index = [key for key, _ in BODY_MODES].index(self.mode)
        self.stack.setCurrentIndex(index)
        self._json_validity(self.is_valid())

    def _json_validity(self, valid: bool) -> None:
        if valid or self.mode != "json":
            self.error_label.hide()
        else:
            self.error_label.setText(f"Not valid JSON — {self.json_editor.error}")
            self.error_label.show()
        self.validity_changed.emit(valid or self.mode != "json")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
