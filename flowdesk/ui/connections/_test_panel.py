"""The "Test connection" panel: runs the connection's test request and says what came back."""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui.style import FAIL_COLOR, OK_COLOR
from flowdesk.workspace import Workspace

_PREVIEW_CHARS = 4000


def preview_text(preview: Any) -> str:
    """A short, readable rendering of a response preview (pretty JSON when it is data)."""
    if preview is None:
        return ""
    if isinstance(preview, str):
        text = preview
    else:
        try:
            text = json.dumps(preview, indent=2, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(preview)
    return text if len(text) <= _PREVIEW_CHARS else text[:_PREVIEW_CHARS] + "\n…"


class TestPanel(QWidget):
    """Runs ``Workspace.test_connection`` on the qasync loop and shows ✓/✗, status, time and a preview."""

    __test__ = False  # not a pytest class, despite the name
    finished = Signal(bool)

    def __init__(self, workspace: Workspace, keeper: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.keeper = keeper
        self.connection: str | None = None
        self.result: Any = None
        self.running = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        title = QLabel("Test connection", self)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        title.setFont(font)
        layout.addWidget(title)
        row = QHBoxLayout()
        self.target_combo = QComboBox(self)
        self.target_combo.setToolTip("What to request: the base URL, or one of the connection's entities")
        self.target_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.target_combo.setMinimumContentsLength(16)
        self.test_button = QPushButton("Test", self)
        self.test_button.setToolTip("Run the test request (Ctrl+T)")
        self.test_button.clicked.connect(self.run_test)
        row.addWidget(self.target_combo, 1)
        row.addWidget(self.test_button)
        layout.addLayout(row)

        self.verdict = QLabel("Not tested yet.", self)
        self.verdict.setWordWrap(True)
        verdict_font = self.verdict.font()
        verdict_font.setPointSizeF(verdict_font.pointSizeF() * 1.25)
        verdict_font.setBold(True)
        self.verdict.setFont(verdict_font)
        layout.addWidget(self.verdict)

        facts = QFormLayout()
        facts.setContentsMargins(0, 0, 0, 0)
        self.status_label = QLabel("—", self)
        self.time_label = QLabel("—", self)
        facts.addRow("HTTP status", self.status_label)
        facts.addRow("Response time", self.time_label)
        layout.addLayout(facts)

        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_label = QLabel(self)
        self.hint_label.setWordWrap(True)
        self.hint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.hint_label.setStyleSheet(
            "QLabel { background: #fff7ed; color: #7c2d12; border: 1px solid #fdba74;"
            " border-radius: 4px; padding: 6px; }"
        )
        layout.addWidget(self.error_label)
        layout.addWidget(self.hint_label)
        self.preview_title = QLabel("Data preview", self)
        layout.addWidget(self.preview_title)
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.preview.setPlaceholderText("The start of the response appears here after a test.")
        layout.addWidget(self.preview, 1)
        self._clear_result()

    def set_connection(self, name: str | None) -> None:
        """Show the panel for ``name``; its entities fill the "what to request" list."""
        if name != self.connection:
            self._clear_result()
        self.connection = name
        current = self.target_combo.currentData()
        self.target_combo.clear()
        connection = self.workspace.get_connection(name, secrets=False) if name is not None else None
        if connection is not None and connection.test_entity:
            self.target_combo.addItem(f"Default: entity {connection.test_entity}", None)
        else:
            self.target_combo.addItem("Base URL (GET)", None)
        for entity in connection.entities if connection is not None else []:
            self.target_combo.addItem(f"Entity: {entity.name}  ({entity.method} {entity.path})", entity.name)
        index = self.target_combo.findData(current)
        self.target_combo.setCurrentIndex(max(index, 0))
        self.test_button.setEnabled(name is not None and not self.running)
        if name is None:
            self.verdict.setText("Save the connection, then test it here.")
            self.verdict.setStyleSheet("font-weight: normal;")

    def _clear_result(self) -> None:
        self.result = None
        self.verdict.setText("Not tested yet.")
        self.verdict.setStyleSheet("")
        self.status_label.setText("—")
        self.time_label.setText("—")
        self.error_label.hide()
        self.hint_label.hide()
        self.preview.clear()

    def run_test(self) -> None:
        """Start the test request (no-op while one runs or with no connection)."""
        if self.connection is None or self.running:
            return
        self.running = True
        self.test_button.setEnabled(False)
        self.verdict.setText("Testing…")
        self.verdict.setStyleSheet("")
        self.keeper.start(self._test(self.connection, self.target_combo.currentData()), name="test-connection")

    async def _test(self, connection: str, entity: str | None) -> None:
        try:
            result = await self.workspace.test_connection(connection, entity)
        except FlowdeskError as exc:
            self._show_failure(exc.message, exc.hint)
            self.finished.emit(False)
            return
        finally:
            self.running = False
            self.test_button.setEnabled(self.connection is not None)
        self.show_result(result)
        self.finished.emit(bool(result.ok))

    def show_result(self, result: Any) -> None:
        """Show a ``TestResult`` (ok, status, elapsed_ms, preview, error, hint)."""
        self.result = result
        ok = bool(result.ok)
        self.verdict.setText("✓ Connected" if ok else "✗ Failed")
        self.verdict.setStyleSheet(f"color: {OK_COLOR if ok else FAIL_COLOR};")
        self.status_label.setText(str(result.status) if result.status is not None else "no response")
        self.time_label.setText(f"{result.elapsed_ms:.0f} ms")
        self._set_optional(self.error_label, result.error, "")
        self._set_optional(self.hint_label, result.hint, "What to check: ", rich=True)
        self.preview.setPlainText(preview_text(result.preview))

    def _show_failure(self, error: str, hint: str | None) -> None:
        self.verdict.setText("✗ Failed")
        self.verdict.setStyleSheet(f"color: {FAIL_COLOR};")
        self.status_label.setText("no response")
        self.time_label.setText("—")
        self._set_optional(self.error_label, error, "")
        self._set_optional(self.hint_label, hint, "What to check: ", rich=True)
        self.preview.clear()

    @staticmethod
    def _set_optional(label: QLabel, text: str | None, prefix: str, *, rich: bool = False) -> None:
        if text:
            if rich:
                label.setTextFormat(Qt.TextFormat.RichText)
                label.setText(f"<b>{html.escape(prefix.strip())}</b> {html.escape(text)}")
            else:
                label.setTextFormat(Qt.TextFormat.PlainText)
                label.setText(prefix + text)
            label.show()
        else:
            label.hide()
