"""Small input widgets the editors share: a field with its error message, a masked secret, a file picker."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flowdesk.ui.style import ERROR_LABEL

_ERROR_STYLE = "{cls} {{ border: 1px solid #dc2626; border-radius: 3px; padding: 2px; }}"


class FieldBox(QWidget):
    """An input with a message line under it that says why the value is refused."""

    def __init__(self, editor: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        self.message = QLabel(self)
        self.message.setStyleSheet(ERROR_LABEL)
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.error: str | None = None

    def set_error(self, message: str | None) -> None:
        """Mark the field (red border, reason under it) or clear the mark with ``None``."""
        self.error = message
        target = self.editor.focusProxy() or self.editor
        if message:
            target.setStyleSheet(_ERROR_STYLE.format(cls=type(target).__name__))
            self.message.setText(message)
            self.message.show()
        else:
            target.setStyleSheet("")
            self.message.clear()
            self.message.hide()


class SecretEdit(QWidget):
    """A masked line edit with a reveal toggle; the value is never logged or shown unless asked."""

    textChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.line = QLineEdit(self)
        self.line.setEchoMode(QLineEdit.EchoMode.Password)
        self.line.textChanged.connect(self.textChanged)
        self.reveal = QToolButton(self)
        self.reveal.setText("Show")
        self.reveal.setCheckable(True)
        self.reveal.setToolTip("Show or hide the secret")
        self.reveal.toggled.connect(self._toggle)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.reveal)
        self.setFocusProxy(self.line)

    def _toggle(self, shown: bool) -> None:
        self.line.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal.setText("Hide" if shown else "Show")

    def text(self) -> str:
        return self.line.text()

    def setText(self, text: str) -> None:
        self.line.setText(text)

    def setPlaceholderText(self, text: str) -> None:
        self.line.setPlaceholderText(text)


class FilePicker(QWidget):
    """A path line edit with a "Browse…" button (the dialog opens non-blocking)."""

    textChanged = Signal(str)

    def __init__(self, title: str, name_filter: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._filter = name_filter
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.line = QLineEdit(self)
        self.line.setClearButtonEnabled(True)
        self.line.textChanged.connect(self.textChanged)
        self.browse = QToolButton(self)
        self.browse.setText("Browse…")
        self.browse.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.browse.clicked.connect(self._pick)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.browse)
        self.setFocusProxy(self.line)
        self._dialog: QFileDialog | None = None

    def _pick(self) -> None:
        dialog = QFileDialog(self, self._title, self.line.text(), self._filter)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.line.setText)
        self._dialog = dialog
        dialog.open()

    def text(self) -> str:
        return self.line.text()

    def setText(self, text: str) -> None:
        self.line.setText(text)

    def setPlaceholderText(self, text: str) -> None:
        self.line.setPlaceholderText(text)
