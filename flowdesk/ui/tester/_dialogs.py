"""The tester's two dialogs: "Import from cURL" and "Detect pagination".

Both are opened with ``open()`` (never ``exec()``: the window runs on qasync, LIBRARIES.md) and do their
network work through the widget's :class:`TaskKeeper`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui.style import ERROR_LABEL, FAIL_COLOR, OK_COLOR
from flowdesk.workspace import (
    PaginationProposal,
    TesterRequest,
    Workspace,
    preview_pagination,
    save_pagination,
)


class ImportCurlDialog(QDialog):
    """Paste a cURL command; ``parse`` turns it into the tester's form or raises a UserError shown here."""

    imported = Signal(object)

    def __init__(self, parse: Callable[[str], TesterRequest], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import from cURL")
        self.resize(640, 320)
        self._parse = parse
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Paste a cURL command (for example from a browser's “Copy as cURL”):", self))
        self.command_edit = QPlainTextEdit(self)
        self.command_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.command_edit.setPlaceholderText(
            "curl -X POST 'https://api.example.com/items' -H 'Accept: application/json'"
        )
        layout.addWidget(self.command_edit, 1)
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet(ERROR_LABEL)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Import")
        self.buttons.accepted.connect(self.try_import)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def try_import(self) -> None:
        """Parse the command; on success fill the form and close, otherwise say what is wrong."""
        try:
            request = self._parse(self.command_edit.toPlainText())
        except FlowdeskError as exc:
            self.error_label.setText(exc.message + (f" ({exc.hint})" if exc.hint else ""))
            self.error_label.show()
            return
        self.imported.emit(request)
        self.accept()


class PaginationDialog(QDialog):
    """Proposed pagination configs for the last response; preview pages 1-3, then save to the entity."""

    previewed = Signal()
    saved = Signal(str)

    def __init__(
        self,
        workspace: Workspace,
        keeper: TaskKeeper,
        connection: str,
        entity: str | None,
        request: TesterRequest,
        proposals: list[PaginationProposal],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Detect pagination")
        self.resize(680, 480)
        self.workspace, self.keeper = workspace, keeper
        self.connection, self.entity, self.request = connection, entity, request
        self.proposals = proposals
        self.previews: list[object] = []
        layout = QVBoxLayout(self)
        intro = QLabel(
            "From the response, these pagination settings fit. Preview the first pages to check the record "
            "counts, then save the one that works to "
            + (f"the entity “{entity}”." if entity else "a new entity for this path."),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.proposal_combo = QComboBox(self)
        for proposal in proposals:
            self.proposal_combo.addItem(_title(proposal))
        form.addRow("Pagination", self.proposal_combo)
        self.reason_label = QLabel(self)
        self.reason_label.setWordWrap(True)
        form.addRow("Why", self.reason_label)
        self.details = QPlainTextEdit(self)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setMaximumHeight(120)
        self.details.setToolTip("The settings as JSON; edit them before previewing if needed")
        form.addRow("Settings", self.details)
        self.data_path_edit = QLineEdit(self)
        self.data_path_edit.setToolTip("Where the records of a page are (JSONPath)")
        form.addRow("Data path", self.data_path_edit)
        layout.addLayout(form)
        self.preview_button = QPushButton("Preview pages 1–3", self)
        self.preview_button.clicked.connect(self.run_preview)
        layout.addWidget(self.preview_button)
        self.preview_table = QTableWidget(0, 4, self)
        self.preview_table.setHorizontalHeaderLabels(["Page", "Status", "Records", "URL"])
        self.preview_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.preview_table.verticalHeader().setVisible(False)
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        layout.addWidget(self.preview_table, 1)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        self.save_button = self.buttons.addButton("Save to entity", QDialogButtonBox.ButtonRole.ApplyRole)
        self.save_button.setEnabled(False)
        self.save_button.setToolTip("Preview first: saving is offered once pages 1–3 have been fetched")
        self.save_button.clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.proposal_combo.currentIndexChanged.connect(self._show_proposal)
        self._show_proposal()

    def current(self) -> PaginationProposal:
        """The selected proposal with the settings and data path as edited.

        Raises:
            ValueError: the edited settings are not valid JSON or not a valid pagination config.
        """
        base = self.proposals[self.proposal_combo.currentIndex()]
        try:
            data = json.loads(self.details.toPlainText())
            pagination = type(base.pagination).model_validate(data)
        except ValueError as exc:  # bad JSON, or a pydantic ValidationError (a ValueError): "fix the settings"
            raise ValueError(f"the settings are not valid: {exc}") from exc
        return PaginationProposal(pagination, self.data_path_edit.text().strip() or None, base.reason)

    def _show_proposal(self) -> None:
        proposal = self.proposals[self.proposal_combo.currentIndex()]
        self.reason_label.setText(proposal.reason)
        self.details.setPlainText(json.dumps(proposal.pagination.model_dump(mode="json"), indent=2))
        self.data_path_edit.setText(proposal.data_path or "")
        self.preview_table.setRowCount(0)
        self.save_button.setEnabled(False)
        self.status_label.clear()

    def run_preview(self) -> None:
        try:
            proposal = self.current()
        except ValueError as exc:
            self._say(str(exc), ok=False)
            return
        self.preview_button.setEnabled(False)
        self._say("Fetching pages 1–3…", ok=None)
        self.keeper.start(self._preview(proposal), name="preview-pagination")

    async def _preview(self, proposal: PaginationProposal) -> None:
        try:
            pages = await preview_pagination(
                self.workspace, self.connection, self.request, proposal, entity=self.entity
            )
        except FlowdeskError as exc:
            self._say(f"The preview failed: {exc.message}", ok=False)
            return
        finally:
            self.preview_button.setEnabled(True)
        self.previews = list(pages)
        self.preview_table.setRowCount(len(pages))
        for row, page in enumerate(pages):
            for column, value in enumerate((page.number, page.status, page.records, page.url)):
                self.preview_table.setItem(row, column, QTableWidgetItem(f"{value:,}" if column == 2 else str(value)))
        counts = [p.records for p in pages]
        if len(pages) > 1 and all(200 <= p.status < 300 for p in pages):
            self._say(f"{len(pages)} pages with {', '.join(map(str, counts))} records: looks right.", ok=True)
        elif len(pages) == 1:
            self._say("Only one page came back: either there is no more data, or these settings do not fit.", ok=None)
        else:
            self._say("A page failed: these settings probably do not fit.", ok=False)
        self.save_button.setEnabled(True)
        self.previewed.emit()

    def save(self) -> None:
        try:
            proposal = self.current()
        except ValueError as exc:
            self._say(f"Not saved: {exc}", ok=False)
            return
        try:
            name = save_pagination(self.workspace, self.connection, proposal, entity=self.entity, request=self.request)
        except FlowdeskError as exc:
            self._say(f"Not saved: {exc.message}", ok=False)
            return
        self._say(f"Saved to the entity “{name}”.", ok=True)
        self.saved.emit(name)

    def _say(self, text: str, *, ok: bool | None) -> None:
        self.status_label.setText(text)
        color = "" if ok is None else f"color: {OK_COLOR if ok else FAIL_COLOR};"
        self.status_label.setStyleSheet(color)


def _title(proposal: PaginationProposal) -> str:
    titles = {
        "link_header": "Link header (rel=next)",
        "cursor": "Cursor",
        "offset": "Offset / limit",
        "page": "Page number",
    }
    return titles.get(proposal.kind, proposal.kind)
