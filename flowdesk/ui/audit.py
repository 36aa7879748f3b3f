"""The Audit page: who changed what and every API call, newest first (admins only).

The records come from :meth:`flowdesk.workspace.Workspace.audit_trail`, the same trail ``flowdesk audit list``
prints. Someone who is not an admin sees why they cannot read it, with whom to ask, instead of an error box.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.errors import FlowdeskError, NotPermittedError
from flowdesk.ui._times import local_time
from flowdesk.ui.style import FAIL_COLOR
from flowdesk.workspace import AuditRecord, Workspace

LIMIT = 1000
"""The newest this many changes and API calls are listed (``flowdesk audit list --limit N`` reaches further)."""
COLUMNS = ("When", "Who", "Action", "Target", "Details")


def describe(record: AuditRecord) -> tuple[str, str]:
    """``(action, details)`` of a record in words: an API call as ``GET <url> → 200``, a change's detail compact."""
    detail = record.detail or {}
    if record.kind == "call":
        status = detail.get("status")
        text = f"{detail.get('method', '')} {detail.get('url', '')} → {status if status is not None else 'no response'}"
        if detail.get("attempt"):
            text += f" (attempt {detail['attempt']})"
        if detail.get("error"):
            text += f" — {detail['error']}"
        return "API call", text
    return record.action, _compact(detail)


def _compact(detail: dict[str, Any]) -> str:
    return ", ".join(f"{key}: {json.dumps(value, ensure_ascii=False, default=str)}" for key, value in detail.items())


class AuditPage(QWidget):
    """A filterable table of the workspace's audit trail; :meth:`refresh` reads it again (F5)."""

    TABLE, REFUSED = 0, 1

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.records: list[AuditRecord] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        heading = QLabel("Audit trail", self)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        heading.setFont(font)
        note = QLabel(
            "Every change to connections, tokens, entities, members and flows, and every API call: who, when and "
            "what, newest first. No secrets are ever recorded. F5 reads it again.",
            self,
        )
        note.setEnabled(False)  # the palette's muted text
        note.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(note)

        self.stack = QStackedWidget(self)
        table_page = QWidget(self.stack)
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 4, 0, 0)
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit(table_page)
        self.filter_edit.setPlaceholderText("Filter by user, action, connection, URL or status…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.changes_only = QCheckBox("Changes only", table_page)
        self.changes_only.setToolTip("Leave out the API calls")
        self.changes_only.toggled.connect(lambda _on: self.refresh())
        self.count_label = QLabel(table_page)
        self.count_label.setEnabled(False)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.changes_only)
        bar.addWidget(self.count_label)
        table_layout.addLayout(bar)
        self.table = QTreeWidget(table_page)
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setUniformRowHeights(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a long URL keeps its status in view
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setStyleSheet("QTreeView::item { padding: 3px 2px; }")
        header = self.table.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        metrics = self.fontMetrics()
        samples = ("2026-12-31 23:59:59", "someone.long", "connection.authorize", "paginate_while_has_more")
        for column, sample in enumerate(samples):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 28)
        table_layout.addWidget(self.table, 1)
        self.stack.addWidget(table_page)

        refused = QWidget(self.stack)
        refused_layout = QVBoxLayout(refused)
        refused_layout.addStretch(1)
        self.refused_title = QLabel("Only admins can read the audit trail", refused)
        bold = self.refused_title.font()
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.2)
        self.refused_title.setFont(bold)
        self.refused_label = QLabel(refused)
        self.refused_label.setWordWrap(True)
        self.refused_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.refused_title, self.refused_label):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            refused_layout.addWidget(label)
        refused_layout.addStretch(2)
        self.stack.addWidget(refused)
        layout.addWidget(self.stack, 1)

    def set_workspace(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.refresh()

    def refresh(self) -> None:
        """Read the newest :data:`LIMIT` records again (admins); others see why they may not."""
        try:
            records = self.workspace.audit_trail(limit=LIMIT, calls=not self.changes_only.isChecked())
        except NotPermittedError as exc:
            ask = f"\n\nTo get the admin role, {exc.hint}." if exc.hint else ""
            self._refuse("Only admins can read the audit trail", f"{exc.message}.{ask}")
            return
        except FlowdeskError as exc:
            self._refuse("The audit trail could not be read", str(exc))
            return
        self.records = records
        self.stack.setCurrentIndex(self.TABLE)
        self.table.clear()
        for record in records:
            action, details = describe(record)
            item = QTreeWidgetItem([local_time(record.at), record.user or "—", action, record.target, details])
            item.setToolTip(4, details)
            if record.kind == "call" and not (record.detail or {}).get("ok", True):
                item.setForeground(4, QColor(FAIL_COLOR))
            self.table.addTopLevelItem(item)
        self._apply_filter()

    def _refuse(self, title: str, text: str) -> None:
        self.records = []
        self.table.clear()
        self.refused_title.setText(title)
        self.refused_label.setText(text)
        self.stack.setCurrentIndex(self.REFUSED)

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.table.topLevelItem(row) for row in range(self.table.topLevelItemCount()))
        return [item for item in items if item is not None]

    def _apply_filter(self) -> None:
        needle = self.filter_edit.text().strip().casefold()
        shown = 0
        for item in self._items():
            text = " ".join(item.text(column) for column in range(len(COLUMNS))).casefold()
            hidden = bool(needle) and needle not in text
            item.setHidden(hidden)
            shown += not hidden
        total = self.table.topLevelItemCount()
        self.count_label.setText(f"{shown:,} of {total:,}" if needle else f"{total:,} records")

    def visible_rows(self) -> list[list[str]]:
        """The rows shown (after the filter), each as its column texts."""
        return [[item.text(column) for column in range(len(COLUMNS))] for item in self._items() if not item.isHidden()]
