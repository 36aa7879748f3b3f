"""The run history of the flow in a tab: past runs with status, duration and counts; open one to see the
canvas coloured by it (each node's state, counts and sample items as that run recorded them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._times import ago, local_time
from flowdesk.ui.canvas._run_state import run_state_from_record
from flowdesk.ui.canvas._theme import STATE_COLORS

if TYPE_CHECKING:
    from flowdesk.ui.canvas._editor import FlowEditor

RUN_LIMIT = 100
_STATUS_COLORS = {"succeeded": STATE_COLORS["done"], "failed": STATE_COLORS["failed"]}


class RunHistoryPanel(QWidget):
    """Runs of one flow, newest first. Double-click (or "Show on canvas") opens one."""

    def __init__(self, editor: FlowEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.shown_run: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        self.list = QTreeWidget(self)
        self.list.setHeaderLabels(["Started", "Status", "Duration", "Items", "API calls", "Error"])
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.header()
        for column in range(5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.list.itemDoubleClicked.connect(lambda item, _c: self.open_run(str(item.data(0, Qt.ItemDataRole.UserRole))))
        self.list.itemActivated.connect(lambda item, _c: self.open_run(str(item.data(0, Qt.ItemDataRole.UserRole))))
        row = QHBoxLayout()
        self.note = QLabel("", self)
        self.open_button = QPushButton("Show on canvas", self)
        self.open_button.setToolTip("Colour the canvas by the selected run")
        self.open_button.clicked.connect(self._open_selected)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Remove the run colouring from the canvas")
        self.clear_button.clicked.connect(self.clear_overlay)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        row.addWidget(self.note, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.clear_button)
        row.addWidget(self.refresh_button)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        editor.run.finished.connect(lambda _status: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        workspace = self.editor.services.workspace
        name = self.editor.document.stored_name or self.editor.document.name
        runs = []
        if workspace is not None:
            try:
                runs = workspace.list_runs(flow=name, limit=RUN_LIMIT)
            except FlowdeskError as exc:
                self.note.setText(str(exc))
                return
        for run in runs:
            duration = "" if run.finished_at is None else f"{run.finished_at - run.started_at:,.2f} s"
            items = run.summary.get("items")
            calls = run.summary.get("api_calls")
            item = QTreeWidgetItem(
                [
                    f"{local_time(run.started_at)} ({ago(run.started_at)})",
                    run.status,
                    duration,
                    f"{items:,}" if isinstance(items, int) else "",
                    f"{calls:,}" if isinstance(calls, int) else "",
                    (run.error or "").splitlines()[0] if run.error else "",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, run.id)
            item.setForeground(1, QColor(_STATUS_COLORS.get(run.status, STATE_COLORS["cancelled"])))
            for column in (2, 3, 4):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if run.error:
                item.setToolTip(5, run.error)
            self.list.addTopLevelItem(item)
        count = len(runs)
        self.note.setText(
            f"{count} run{'s' if count != 1 else ''} of {name!r}" if count else "No runs yet: F5 runs the flow."
        )

    def _open_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.open_run(str(item.data(0, Qt.ItemDataRole.UserRole)))

    def open_run(self, run_id: str) -> bool:
        """Colour the canvas by the recorded run ``run_id``."""
        workspace = self.editor.services.workspace
        if workspace is None:
            return False
        try:
            detail = workspace.get_run(run_id)
        except FlowdeskError as exc:
            self.editor.message.emit(str(exc))
            return False
        state = run_state_from_record(detail, [n.id for n in self.editor.document.flow.nodes])
        self.editor.run.show_state(state)
        self.shown_run = run_id
        self.editor.message.emit(
            f"Showing the run of {local_time(detail.info.started_at)} ({detail.info.status}); Clear removes it"
        )
        return True

    def clear_overlay(self) -> None:
        self.shown_run = None
        self.editor.run.show_state(None)
