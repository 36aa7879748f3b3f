"""The main window: sidebar (Connections, Flows, Runs, Audit), workspace switcher, connection panel, status bar.

While it is open the window also serves the workspace's schedule triggers (for editors and admins), and it
greys out what the acting user's role does not allow, saying which role is needed.
"""

from __future__ import annotations

import asyncio
import functools
import html
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QFontDatabase, QKeySequence, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk import __version__
from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui._messages import error_box, error_text
from flowdesk.ui._roles import permit, refusal
from flowdesk.ui._state import STATE_FILE, load_state, save_state
from flowdesk.ui._times import local_time
from flowdesk.ui.audit import AuditPage
from flowdesk.ui.canvas import CanvasServices, FlowsWorkbench
from flowdesk.ui.connections import (
    ConnectionList,
    ConnectionPanel,
    NewConnectionDialog,
    service_title,
    template_for,
)
from flowdesk.ui.members import MembersDialog
from flowdesk.ui.resources import icon
from flowdesk.ui.style import palette_style_sheet, status_color
from flowdesk.workspace import (
    ConnectionInfo,
    TriggeredRun,
    Workspace,
    data_dir_of,
    demo_connection_name,
    start_demo,
    stop_demo,
    workspace_names,
)

NEW_WORKSPACE = "New workspace…"
PAGES = ("Connections", "Flows", "Runs", "Audit")
PAGE_ICONS = ("nav-connections", "nav-flows", "nav-runs", "nav-audit")
_RUN_STATUS_DOT = {"succeeded": "connected", "failed": "failing", "interrupted": "failing"}



def _empty_state(parent: QWidget, title: str, text: str, icon_name: str) -> tuple[QWidget, QVBoxLayout]:
    """A centred "nothing here yet" page: icon, heading, a short explanation; callers add buttons."""
    page = QWidget(parent)
    outer = QVBoxLayout(page)
    outer.addStretch(2)
    box = QWidget(page)
    box.setMinimumWidth(360)
    box.setMaximumWidth(540)
    layout = QVBoxLayout(box)
    layout.setSpacing(10)
    picture = QLabel(box)
    picture.setPixmap(icon(icon_name).pixmap(QSize(56, 56), page.devicePixelRatioF()))
    picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
    heading = QLabel(title, box)
    font = heading.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setBold(True)
    heading.setFont(font)
    heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
    body = QLabel(text, box)
    body.setWordWrap(True)
    body.setAlignment(Qt.AlignmentFlag.AlignCenter)
    layout.addWidget(picture)
    layout.addWidget(heading)
    layout.addWidget(body)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(box, 20)  # as wide as allowed, centred
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(3)
    return page, layout


def _duration(duration_ms: object, started: float, finished: float | None) -> str:
    """A run's duration: the engine's own figure when recorded, else the wall time ("" while running)."""
    if isinstance(duration_ms, int | float):
        seconds = duration_ms / 1000
    elif finished is not None:
        seconds = finished - started
    else:
        return ""
    return f"{seconds * 1000:,.0f} ms" if seconds < 1 else f"{seconds:,.1f} s"


class MainWindow(QMainWindow):
    """The flowdesk window on one workspace (switchable); call :meth:`shutdown` from the loop at the end."""

    closed = Signal()

    def __init__(
        self,
        workspace: Workspace,
        *,
        data_dir: Path | None = None,
        open_workspace: Callable[[str], Workspace] | None = None,
        restore: bool = True,
        schedule_now: Callable[[], datetime] | None = None,
        schedule_sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.data_dir = data_dir_of(workspace, data_dir)
        self.state_path = self.data_dir / STATE_FILE
        self._open_workspace = open_workspace
        self.keeper = TaskKeeper(on_error=self.show_error)
        self.schedule_keeper = TaskKeeper(on_error=self.show_error)
        """Owns the long-lived schedule task, apart from ``keeper`` (whose ``busy`` means work in progress)."""
        self.dialog: QWidget | None = None
        self._closing = False
        self._infos: dict[str, ConnectionInfo] = {}
        self._pending_service: str | None = None
        """A preset service to create once the user has switched to another workspace for it."""
        self.error_box: QMessageBox | None = None
        self.schedules: asyncio.Task[None] | None = None
        """The task serving the workspace's schedule triggers while the window is open."""
        self._schedule_timing: dict[str, Any] = {
            key: value for key, value in (("now", schedule_now), ("sleep", schedule_sleep)) if value is not None
        }  # a fake clock in tests
        self._shown_once = False
        self.setWindowTitle("flowdesk")
        self.setWindowIcon(icon("app"))
        self.resize(1280, 800)
        self.setMinimumSize(QSize(760, 520))

        self._build_actions()
        self._build_toolbar()
        self._build_body()
        self._build_status_bar()

        self.refresh()
        if restore:
            self.restore_state()
        self._update_actions()
        self._resume_demo()

    # --- building ------------------------------------------------------------------------------------

    def _action(
        self, text: str, shortcut: QKeySequence | str, slot: Callable[[], Any], tip: str, icon_name: str | None = None
    ) -> QAction:
        action = QAction(icon(icon_name), text, self) if icon_name else QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action(
            "&New connection…", "Ctrl+N", self.new_connection, "Create a connection", "action-new"
        )
        self.save_action = self._action("&Save", "Ctrl+S", self.save_connection, "Save the connection", "action-save")
        self.test_action = self._action(
            "&Test connection", "Ctrl+T", self.test_connection, "Run the connection's test request", "action-test"
        )
        self.refresh_action = self._action(
            "&Refresh", "F5", self.refresh, "Reload from the workspace", "action-refresh"
        )
        self.quit_action = self._action("&Quit", "Ctrl+Q", self.close, "Close flowdesk")
        self.page_actions = [
            self._action(f"&{title}", f"Ctrl+{row + 1}", functools.partial(self.show_page, row), f"Show {title}")
            for row, title in enumerate(PAGES)
        ]
        self.delete_action = QAction("&Delete connection…", self)
        self.delete_action.triggered.connect(lambda _checked=False: self.delete_connection())
        self.refresh_connection_action = QAction("Re&fresh connection", self)
        self.refresh_connection_action.triggered.connect(lambda _checked=False: self.refresh_oauth_connection())
        self.disconnect_action = QAction("Dis&connect…", self)
        self.disconnect_action.triggered.connect(lambda _checked=False: self.disconnect_connection())
        self.members_action = QAction("&Members…", self)
        self.members_action.setStatusTip("Who belongs to this workspace, with which role")
        self.members_action.triggered.connect(lambda _checked=False: self.show_members())
        self.new_workspace_action = QAction("&New workspace…", self)
        self.new_workspace_action.triggered.connect(lambda _checked=False: self._ask_new_workspace())
        self.demo_action = QAction("Open the &demo workspace", self)
        self.demo_action.triggered.connect(lambda _checked=False: self.open_demo())
        self.shortcuts_action = QAction("&Keyboard shortcuts", self)
        self.shortcuts_action.triggered.connect(lambda _checked=False: self.show_shortcuts())
        self.about_action = QAction("&About flowdesk", self)
        self.about_action.triggered.connect(lambda _checked=False: self.show_about())
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.save_action)
        file_menu.addSeparator()
        file_menu.addAction(self.demo_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        connection_menu = menu.addMenu("&Connection")
        connection_menu.addAction(self.test_action)
        connection_menu.addAction(self.refresh_connection_action)
        connection_menu.addAction(self.disconnect_action)
        connection_menu.addSeparator()
        connection_menu.addAction(self.delete_action)
        workspace_menu = menu.addMenu("&Workspace")
        workspace_menu.addAction(self.members_action)
        workspace_menu.addAction(self.new_workspace_action)
        view_menu = menu.addMenu("&View")
        for action in self.page_actions:
            view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.refresh_action)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Workspace", self)
        bar.setObjectName("workspace-toolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addWidget(QLabel(" Workspace ", bar))
        self.workspace_combo = QComboBox(bar)
        self.workspace_combo.setMinimumWidth(180)
        self.workspace_combo.setToolTip("Switch workspace, or create a new one")
        self.workspace_combo.activated.connect(self._workspace_chosen)
        bar.addWidget(self.workspace_combo)
        bar.addSeparator()
        bar.addAction(self.new_action)
        bar.addAction(self.test_action)
        bar.addAction(self.refresh_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _build_body(self) -> None:
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.sidebar = QListWidget(central)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(150)
        self.sidebar.setIconSize(QSize(22, 22))
        self.sidebar.setSpacing(2)
        self.sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        palette_style_sheet(
            self.sidebar,
            lambda palette: (
                f"QListWidget#sidebar {{ background: {palette.color(QPalette.ColorRole.Window).name()}; }}"
                "QListWidget#sidebar::item { padding-left: 6px; border-radius: 4px; }"
                "QListWidget#sidebar::item:selected { background: rgba(37, 99, 235, 0.18);"
                f" color: {palette.color(QPalette.ColorRole.Text).name()}; border-left: 3px solid #2563eb; }}"
            ),
        )
        for title, icon_name in zip(PAGES, PAGE_ICONS, strict=True):
            item = QListWidgetItem(icon(icon_name), title)
            item.setSizeHint(QSize(140, 38))
            self.sidebar.addItem(item)
        layout.addWidget(self.sidebar)
        self.pages = QStackedWidget(central)
        layout.addWidget(self.pages, 1)
        self.pages.addWidget(self._build_connections_page())
        self.pages.addWidget(self._build_flows_page())
        self.pages.addWidget(self._build_runs_page())
        self.audit_page = AuditPage(self.workspace, self.pages)
        self.pages.addWidget(self.audit_page)
        self.sidebar.currentRowChanged.connect(self._page_changed)
        self.sidebar.setCurrentRow(0)
        self.setCentralWidget(central)

    def _build_connections_page(self) -> QWidget:
        self.connections_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.connections_splitter.setChildrenCollapsible(False)
        left = QWidget(self.connections_splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 0, 6)
        self.connection_list = ConnectionList(left)
        self.connection_list.connection_selected.connect(self._connection_selected)
        left_layout.addWidget(self.connection_list, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New…", left)
        self.new_button.setToolTip("New connection (Ctrl+N)")
        self.new_button.clicked.connect(self.new_connection)
        self.delete_button = QPushButton("Delete…", left)
        self.delete_button.clicked.connect(self.delete_connection)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)

        self.right_stack = QStackedWidget(self.connections_splitter)
        welcome, welcome_layout = _empty_state(
            self.right_stack,
            "Welcome to flowdesk",
            "A connection holds the base URL and credentials of one API. Try everything on the bundled demo "
            "API first (it runs on this computer, no internet needed), or connect your own API.",
            "app",
        )
        row = QHBoxLayout()
        row.addStretch(1)
        self.demo_button = QPushButton(icon("nav-runs"), "Open the demo workspace", welcome)
        self.demo_button.setDefault(True)
        self.demo_button.setToolTip("Start the demo CRM API on 127.0.0.1 and add a connection to it with its entities")
        self.demo_button.clicked.connect(self.open_demo)
        self.welcome_new_button = QPushButton(icon("action-new"), "New connection…", welcome)
        self.welcome_new_button.clicked.connect(self.new_connection)
        row.addWidget(self.demo_button)
        row.addWidget(self.welcome_new_button)
        row.addStretch(1)
        welcome_layout.addSpacing(6)
        welcome_layout.addLayout(row)
        self.welcome = welcome
        self.right_stack.addWidget(welcome)
        self.restricted, restricted_layout = _empty_state(
            self.right_stack,
            "Connection settings are hidden",
            "Viewers see connection names, flows and runs, not the settings or entities of connections.",
            "nav-connections",
        )
        self.restricted_label = QLabel(self.restricted)
        self.restricted_label.setWordWrap(True)
        self.restricted_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.restricted_label.setEnabled(False)
        restricted_layout.addWidget(self.restricted_label)
        self.right_stack.addWidget(self.restricted)
        self.panel = ConnectionPanel(self.workspace, self.keeper, self.right_stack)
        self._wire_panel()
        self.right_stack.addWidget(self.panel)
        self.connections_splitter.addWidget(left)
        self.connections_splitter.addWidget(self.right_stack)
        self.connections_splitter.setStretchFactor(1, 1)
        self.connections_splitter.setSizes([260, 870])
        return self.connections_splitter

    def _wire_panel(self) -> None:
        self.panel.saved.connect(self._panel_saved)
        self.panel.message.connect(self.status)
        self.panel.auth_changed.connect(self._auth_changed)
        self.panel.tested.connect(lambda _ok: self.refresh_connections())
        self.panel.add_to_flow.connect(self.add_to_flow)
        self.panel.setContentsMargins(8, 6, 8, 6)

    def _list_page(self, title: str, subtitle: str, view: QWidget, detail: QWidget) -> QWidget:
        """A page with a heading, a list and, under it, the details of the selected row."""
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 10, 12, 8)
        heading = QLabel(title, page)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        heading.setFont(font)
        note = QLabel(subtitle, page)
        note.setEnabled(False)  # the palette's muted text
        note.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(note)
        splitter = QSplitter(Qt.Orientation.Vertical, page)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(view)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        return page

    @staticmethod
    def _list_view(columns: list[str]) -> QTreeWidget:
        view = QTreeWidget()
        view.setHeaderLabels(columns)
        view.setRootIsDecorated(False)
        view.setAlternatingRowColors(True)
        view.setUniformRowHeights(True)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setStyleSheet("QTreeView::item { padding: 3px 2px; }")
        return view

    @staticmethod
    def _detail_view(placeholder: str) -> QPlainTextEdit:
        detail = QPlainTextEdit()
        detail.setReadOnly(True)
        detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        detail.setPlaceholderText(placeholder)
        return detail

    def _build_flows_page(self) -> QWidget:
        """Stored flows beside the open flows, each in a canvas tab (new, open, rename, run …)."""
        self.flows_page = FlowsWorkbench(
            CanvasServices(self.workspace), self.keeper, data_dir=self.data_dir, parent=self
        )
        self.flows_page.message.connect(self.status)
        return self.flows_page

    def _build_runs_page(self) -> QWidget:
        stack = QStackedWidget(self)
        empty, _layout = _empty_state(
            stack,
            "No runs yet",
            "Every run of a flow, from here or from “flowdesk flow run”, is listed here.",
            "nav-runs",
        )
        self.runs_list = self._list_view(["Started", "Flow", "Status", "Trigger", "Duration", "Items", "Error"])
        header = self.runs_list.header()
        header.setStretchLastSection(True)
        for column in range(6):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.runs_list.currentItemChanged.connect(lambda current, _previous: self._show_run(current))
        self.run_detail = self._detail_view("Select a run to see what each node did.")
        page = self._list_page(
            "Runs", "The latest 200 runs of this workspace's flows, newest first.", self.runs_list, self.run_detail
        )
        stack.addWidget(empty)
        stack.addWidget(page)
        self.runs_stack = stack
        return stack

    def _build_status_bar(self) -> None:
        self.workspace_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.flows_page.progress)  # a flow run's progress
        self.statusBar().addPermanentWidget(self.workspace_label)
        self.status("Ready")

    # --- pages and help ------------------------------------------------------------------------------

    def show_page(self, row: int) -> None:
        """Show Connections (0), Flows (1), Runs (2) or Audit (3), as the sidebar does (Ctrl+1…4)."""
        self.sidebar.setCurrentRow(row)

    def add_to_flow(self, payload: dict[str, Any]) -> str | None:
        """Show the Flows page and add the node ``payload`` describes to the open flow (a new one if none)."""
        self.show_page(1)
        return self.flows_page.add_node(payload)

    def _page_changed(self, row: int) -> None:
        self.pages.setCurrentIndex(row)
        if row == 1:
            self._fill_flows()
        elif row == 2:
            self._fill_runs()
        elif row == 3:
            self.audit_page.refresh()

    def shortcut_table(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every shortcut of the window."""
        native = QKeySequence.SequenceFormat.NativeText
        rows = [
            (action.shortcut().toString(native), action.text().replace("&", "").rstrip("…"))
            for action in (
                self.new_action,
                self.save_action,
                self.test_action,
                self.refresh_action,
                *self.page_actions,
                self.quit_action,
            )
        ]
        rows += [
            (QKeySequence("Ctrl+Return").toString(native), "Send the request (request tester)"),
            ("Esc", "Close a dialog"),
            ("Del", "Delete the selected entity (entities tab)"),
            (QKeySequence("Ctrl+Tab").toString(native), "Next tab"),
        ]
        return rows

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td style='padding-right:18px'><b>{html.escape(keys)}</b></td><td>{html.escape(what)}</td></tr>"
            for keys, what in self.shortcut_table()
        )
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", f"<table>{rows}</table>", parent=self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = box
        box.open()

    def show_about(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "About flowdesk",
            f"flowdesk {__version__}\nWork with web APIs visually: connections, entities and flows.",
            parent=self,
        )
        box.setIconPixmap(icon("app").pixmap(QSize(64, 64), self.devicePixelRatioF()))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = box
        box.open()

    # --- status and errors ---------------------------------------------------------------------------

    def status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_error(self, error: BaseException) -> None:
        """User and operational errors become a message (never a traceback), a refused role a plain note;
        bugs are still shown plainly."""
        text = error_text(error)
        self.status(text.splitlines()[0] if text else "Error")
        self.error_box = error_box(self, error)  # opened, never exec(): this may run inside a coroutine

    # --- refreshing ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload everything shown from the workspace (F5)."""
        self._fill_workspaces()
        self.refresh_connections()
        self._fill_flows()
        self._fill_runs()
        if self.panel.connection:
            self.panel.dashboard.refresh()
        if self.sidebar.currentRow() == PAGES.index("Audit"):
            self.audit_page.refresh()
        self._update_actions()

    def refresh_connections(self, select: str | None = None) -> None:
        try:
            self.workspace.flush()  # calls made so far count for "last used"
            infos = self.workspace.list_connections()
        except FlowdeskError as exc:
            self.show_error(exc)
            infos = []
        self._infos = {info.name: info for info in infos}
        self.connection_list.set_connections(infos, select=select)
        count = len(infos)
        self.workspace_label.setText(
            f"Workspace {self.workspace.name} · {count} connection{'s' if count != 1 else ''} · {self.workspace.user}"
        )
        if not infos and self.panel.editor.is_new and self.panel.isEnabled():
            return  # a new connection is being written: keep the editor
        if not infos:
            self.right_stack.setCurrentWidget(self.welcome)
        elif self.connection_list.selected_name() is None and not (self.panel.editor.is_new and self.panel.isEnabled()):
            self.connection_list.setCurrentRow(0)

    def _fill_workspaces(self) -> None:
        self.workspace_combo.blockSignals(True)
        try:
            self.workspace_combo.clear()
            for name in workspace_names(self.workspace):
                self.workspace_combo.addItem(name, name)
            self.workspace_combo.insertSeparator(self.workspace_combo.count())
            self.workspace_combo.addItem(NEW_WORKSPACE, None)
            self.workspace_combo.setCurrentIndex(self.workspace_combo.findData(self.workspace.name))
        finally:
            self.workspace_combo.blockSignals(False)

    def _fill_flows(self) -> None:
        self.flows_page.services.refresh()  # connections and entities may have changed too
        self.flows_page.refresh()

    def _fill_runs(self) -> None:
        self.runs_list.clear()
        self.run_detail.clear()
        try:
            runs = self.workspace.list_runs(limit=200)
        except FlowdeskError as exc:
            self.show_error(exc)
            runs = []
        for run in runs:
            duration = _duration(run.summary.get("duration_ms"), run.started_at, run.finished_at)
            items = run.summary.get("items")
            item = QTreeWidgetItem(
                [
                    local_time(run.started_at),
                    run.flow_name,
                    run.status,
                    run.trigger,
                    duration,
                    f"{items:,}" if isinstance(items, int) else "",
                    (run.error or "").splitlines()[0] if run.error else "",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, run.id)
            item.setForeground(2, QColor(status_color(_RUN_STATUS_DOT.get(run.status, "untested"))))
            if run.error:
                item.setToolTip(6, run.error)
            self.runs_list.addTopLevelItem(item)
        self.runs_stack.setCurrentIndex(1 if runs else 0)
        latest = self.runs_list.topLevelItem(0)
        if latest is not None:
            self.runs_list.setCurrentItem(latest)

    def _show_run(self, item: QTreeWidgetItem | None) -> None:
        """The selected run's details: its summary and what each node did."""
        if item is None:
            self.run_detail.clear()
            return
        try:
            detail = self.workspace.get_run(str(item.data(0, Qt.ItemDataRole.UserRole)))
        except FlowdeskError as exc:
            self.run_detail.setPlainText(str(exc))
            return
        info = detail.info
        lines = [
            f"Run       {info.id}",
            f"Flow      {info.flow_name} ({info.trigger})",
            f"Status    {info.status}",
            f"Started   {local_time(info.started_at)}",
            f"Finished  {local_time(info.finished_at) if info.finished_at is not None else '—'}",
        ]
        lines.append(f"Duration  {_duration(info.summary.get('duration_ms'), info.started_at, info.finished_at)}")
        items, retries = info.summary.get("items"), info.summary.get("retries")
        if isinstance(items, int):
            lines.append(f"Items     {items:,}")
        failed = sum(1 for call in detail.api_calls if not call.ok)
        lines.append(f"API calls {len(detail.api_calls):,} ({failed:,} failed)")
        if isinstance(retries, int):
            lines.append(f"Retries   {retries:,}")
        if info.error:
            lines += ["", "Error", info.error]
        if detail.nodes:
            lines += ["", f"{'Node':<24} {'in':>8} {'out':>8} {'errors':>7} {'time':>10}"]
            for node in detail.nodes:
                lines.append(
                    f"{node.node_id:<24} {node.items_in:>8,} {node.items_out:>8,} {node.errors:>7,} "
                    f"{node.duration_ms:>8,.0f} ms" + (f"  {node.error}" if node.error else "")
                )
        self.run_detail.setPlainText("\n".join(lines))

    # --- connections ---------------------------------------------------------------------------------

    def _connection_selected(self, name: str) -> None:
        if not name:
            if not (self.panel.editor.is_new and self.panel.isEnabled()):
                self.panel.clear()
            self._update_actions()
            return
        editor = self.panel.editor
        leaving = editor.connection_name
        if editor.dirty and self.panel.isEnabled() and name != leaving:
            self._ask_about_unsaved(name, leaving)
            return
        self._show(name)

    def _show(self, name: str) -> None:
        refused = refusal(self.workspace, "editor", "reading connection settings")
        if refused is not None:  # a viewer: say so plainly rather than fail to load the settings
            admins = ", ".join(m.user for m in self.workspace.list_members() if m.role == "admin") or "none"
            self.restricted_label.setText(f"{refused}. Ask an admin ({admins}) for the editor role.")
            self.right_stack.setCurrentWidget(self.restricted)
            self._update_actions()
            return
        if name != self.panel.connection or self.panel.editor.is_new:
            self.panel.show_connection(name)
        self.right_stack.setCurrentWidget(self.panel)
        self._update_actions()

    def _update_actions(self) -> None:
        """Actions that need a stored connection are offered only while one is shown, and only those the
        acting user's role allows (the others say which role they need)."""
        ws = self.workspace
        name = self.connection_list.selected_name()
        info = self._infos.get(name) if name is not None else None
        adding = refusal(ws, "admin", "adding connections")
        for target in (self.new_action, self.new_button, self.welcome_new_button):
            permit(target, adding, "Create a connection (Ctrl+N)")
        for target in (self.demo_button, self.demo_action):
            permit(target, adding, "Start the demo CRM API on 127.0.0.1 and add a connection to it with its entities")
        removing = refusal(ws, "admin", "removing connections")
        for target in (self.delete_button, self.delete_action):
            permit(target, removing, "Delete the selected connection", enabled=name is not None)
        changing = refusal(ws, "admin", "changing connections")
        permit(self.save_action, changing, "Save the connection (Ctrl+S)")
        self.panel.editor.set_change_refused(changing)
        self.panel.entities.apply_roles()
        oauth = info is not None and info.auth_type == "oauth2"
        permit(
            self.refresh_connection_action,
            refusal(ws, "admin", "refreshing connection tokens"),
            "Renew the OAuth token of the selected connection now",
            enabled=oauth,
        )
        permit(
            self.disconnect_action,
            refusal(ws, "admin", "disconnecting connections"),
            "Revoke the OAuth tokens of the selected connection and delete them here",
            enabled=oauth,
        )
        self.test_action.setEnabled(self.panel.connection is not None)

    def _ask_about_unsaved(self, name: str, leaving: str | None) -> None:
        """The editor has changes: save, discard, or stay (non-blocking, so safe next to coroutines)."""
        title = repr(leaving) if leaving else "the new connection"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"Save the changes to {title}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)

        def answered(result: int) -> None:
            if result == QMessageBox.StandardButton.Save.value:
                if not self.panel.editor.save():
                    self._reselect(leaving)
                    self.status("Not saved: fix the marked fields first")
                    return
                self.refresh_connections(select=name)
            elif result == QMessageBox.StandardButton.Discard.value:
                self.panel.editor.dirty = False
            else:
                self._reselect(leaving)
                return
            self._show(name)

        box.finished.connect(answered)
        self.dialog = box
        box.open()

    def _reselect(self, name: str | None) -> None:
        self.connection_list.blockSignals(True)
        try:
            if name is None:
                self.connection_list.setCurrentRow(-1)
            else:
                for row, other in enumerate(self.connection_list.names()):
                    if other == name:
                        self.connection_list.setCurrentRow(row)
        finally:
            self.connection_list.blockSignals(False)

    def _panel_saved(self, name: str) -> None:
        self.refresh_connections(select=name)

    def new_connection(self) -> None:
        """Ctrl+N: pick a type, then edit a new connection of it."""
        dialog = NewConnectionDialog(self)
        dialog.accepted.connect(lambda: self.start_new_connection(dialog.chosen or "rest"))
        self.dialog = dialog
        dialog.open()

    def start_new_connection(self, service: str) -> None:
        """Edit a new connection of ``service``; a preset already connected here is explained instead."""
        existing = next((info.name for info in self._infos.values() if info.service == service), None)
        if existing is not None and template_for(service).is_preset:
            self._explain_preset_conflict(service, existing)
            return
        taken = set(self.connection_list.names())
        name = service if service not in ("rest", "odata", "graphql") else f"my-{service}"
        base, number = name, 2
        while name in taken:
            name, number = f"{base}-{number}", number + 1
        self.sidebar.setCurrentRow(0)
        self.connection_list.blockSignals(True)
        self.connection_list.clearSelection()
        self.connection_list.setCurrentRow(-1)
        self.connection_list.blockSignals(False)
        self.panel.new_connection(template_for(service, name))
        self.right_stack.setCurrentWidget(self.panel)
        self._update_actions()
        self.status(f"New {service_title(service)} connection: fill in the settings, then Save (Ctrl+S)")

    def save_connection(self) -> None:
        if self.panel.isEnabled() and not self.panel.editor.save():
            self.status("Not saved: fix the marked fields first")

    def test_connection(self) -> None:
        if self.panel.connection:
            self.sidebar.setCurrentRow(0)
            self.panel.tabs.setCurrentIndex(0)
            self.panel.test_panel.run_test()

    def delete_connection(self) -> None:
        name = self.connection_list.selected_name()
        if not name:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete connection",
            f"Delete the connection {name!r} and its entities? Flows that use it will stop working.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._delete_confirmed(name, result))
        self.dialog = box
        box.open()

    def _explain_preset_conflict(self, service: str, existing: str) -> None:
        """One connection per preset service and workspace: say so, and offer another workspace for it."""
        title = service_title(service)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "One connection per service",
            f"Only one {service} connection allowed per workspace — use another workspace for a second account.",
            parent=self,
        )
        box.setInformativeText(
            f"Workspace {self.workspace.name!r} already has the {title} connection {existing!r}. To connect a "
            f"second {title} account, create another workspace (or switch to one in the toolbar) and add it "
            f"there; to change the account used here, sign {existing!r} in again."
        )
        other = box.addButton("Use another workspace…", QMessageBox.ButtonRole.AcceptRole)
        show = box.addButton(f"Open {existing!r}", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(other)

        def answered(_result: int) -> None:
            clicked = box.clickedButton()
            if clicked is other:
                self._pending_service = service
                self._ask_new_workspace()
            elif clicked is show:
                self.sidebar.setCurrentRow(0)
                self.connection_list.select_name(existing)

        box.finished.connect(answered)
        self.dialog = box
        box.open()

    # --- OAuth tokens --------------------------------------------------------------------------------

    def refresh_oauth_connection(self) -> None:
        """Connection ▸ Refresh connection: renew the selected connection's OAuth token now."""
        name = self.connection_list.selected_name()
        if name is not None:
            self.panel.account.refresh(name)

    def disconnect_connection(self) -> None:
        """Connection ▸ Disconnect…: after a confirmation naming what uses it, revoke and delete its tokens."""
        name = self.connection_list.selected_name()
        if name is not None:
            self.panel.account.confirm_disconnect(name)

    def _auth_changed(self, _name: str) -> None:
        self.refresh_connections()  # the status dot: "sign-in needed" after a disconnect, cleared by a sign-in

    # --- members -------------------------------------------------------------------------------------

    def show_members(self) -> None:
        """Workspace ▸ Members…: the members and their roles (admins change them)."""
        dialog = MembersDialog(self.workspace, self)
        dialog.changed.connect(self._members_changed)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def _members_changed(self) -> None:
        """A role may have changed, the acting user's too: grey out (or offer) actions, serve schedules or not."""
        self.refresh()
        name = self.connection_list.selected_name()
        if name is not None:
            self._show(name)
        serving = self.schedules is not None and not self.schedules.done()
        if serving != self.workspace.can("editor"):
            self._stop_schedules()
            self._start_schedules()

    # --- schedules -----------------------------------------------------------------------------------

    def _start_schedules(self) -> None:
        """Run the workspace's scheduled flows while the window is open (editors and admins may run flows)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a window built without one, as the self-check does)
        if not self.workspace.can("editor"):
            return  # a viewer's window serves nothing; an editor's window or `flowdesk schedule serve` does
        self.schedules = self.schedule_keeper.start(
            self.workspace.serve_schedules(
                on_run=self._scheduled_run_finished,
                on_fire=self._scheduled_run_started,
                log=self.status,
                **self._schedule_timing,
            ),
            name="schedules",
        )

    def _stop_schedules(self) -> asyncio.Task[None] | None:
        """Cancel the schedule task (its runs still going are cancelled and recorded so); returns it."""
        task, self.schedules = self.schedules, None
        if task is not None and not task.done():
            task.cancel()
        return task

    def _scheduled_run_started(self, flow: str, scheduled_at: datetime) -> None:
        self.status(f"Scheduled run of {flow!r} started (due {scheduled_at.astimezone():%H:%M})")

    def _scheduled_run_finished(self, run: TriggeredRun) -> None:
        outcome = run.status if not run.error else f"{run.status}: {run.error.splitlines()[0]}"
        self.status(f"Scheduled run of {run.flow!r} finished: {outcome}")
        self._fill_runs()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self._start_schedules()
            self.flows_page.offer_recovery()  # flows left unsaved by a session that ended unexpectedly

    def _delete_confirmed(self, name: str, result: int) -> None:
        if result != QMessageBox.StandardButton.Yes.value:
            return
        try:
            self.workspace.remove_connection(name)
        except FlowdeskError as exc:
            self.show_error(exc)
            return
        self.panel.clear()
        self.refresh_connections(select="")
        self._update_actions()
        self.status(f"Deleted connection {name!r}")

    # --- demo ----------------------------------------------------------------------------------------

    def open_demo(self) -> None:
        """Start the bundled demo API and add its connection (everything then works offline)."""
        self.demo_button.setEnabled(False)
        self.status("Starting the demo API on 127.0.0.1 …")
        self.keeper.start(self._open_demo(), name="demo")

    async def _open_demo(self) -> None:
        try:
            name = await start_demo(self.workspace)
        finally:
            self.demo_button.setEnabled(True)
        self.sidebar.setCurrentRow(0)
        self.refresh_connections(select=name)
        self.panel.show_connection(name)
        self.status(f"Demo API running; connection {name!r} is ready — try Test (Ctrl+T)")

    def _resume_demo(self) -> None:
        """The demo API lives only while the window runs: start it again when its connection exists."""
        name = demo_connection_name()
        if name in self.connection_list.names():
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop yet (tests building a window without one)
            self.keeper.start(self._restart_demo(name), name="demo")

    async def _restart_demo(self, name: str) -> None:
        await start_demo(self.workspace)
        if self.panel.connection == name:
            self.panel.show_connection(name)
        self.refresh_connections()

    # --- workspaces ----------------------------------------------------------------------------------

    def _workspace_chosen(self, index: int) -> None:
        name = self.workspace_combo.itemData(index)
        if name is None:
            self._ask_new_workspace()
        elif name != self.workspace.name:
            self.switch_workspace(str(name))

    def _ask_new_workspace(self) -> None:
        self._fill_workspaces()
        dialog = QInputDialog(self)
        dialog.setWindowTitle("New workspace")
        dialog.setLabelText("Name of the new workspace:")
        dialog.textValueSelected.connect(self._new_workspace_named)
        dialog.rejected.connect(self._forget_pending_service)
        self.dialog = dialog
        dialog.open()

    def _new_workspace_named(self, text: str) -> None:
        if not text.strip():
            self._forget_pending_service()
            return
        self.switch_workspace(text.strip())
        service, self._pending_service = self._pending_service, None
        if service is not None and self.workspace.name == text.strip():
            self.start_new_connection(service)  # the second account of a preset service, in its own workspace

    def _forget_pending_service(self) -> None:
        self._pending_service = None

    def switch_workspace(self, name: str) -> None:
        """Open (creating if needed) the workspace ``name`` and show it; the previous one is closed."""
        try:
            if self._open_workspace is not None:
                new = self._open_workspace(name)
            else:
                new = Workspace.open(self.data_dir, name, user=self.workspace.user)
        except FlowdeskError as exc:
            self.show_error(exc)
            self._fill_workspaces()
            return
        old = self.workspace
        old_schedules = self._stop_schedules()
        self.workspace = new
        self.right_stack.removeWidget(self.panel)
        self.panel.deleteLater()
        self.panel = ConnectionPanel(new, self.keeper, self.right_stack)
        self._wire_panel()
        self.right_stack.addWidget(self.panel)
        self.audit_page.workspace = new
        self._replace_flows_page()
        self.connection_list.clear()
        self.refresh()
        self._resume_demo()
        self._start_schedules()
        self.status(f"Switched to workspace {name!r}")
        self.keeper.start(self._close_workspace(old, old_schedules), name="close-workspace")

    def _replace_flows_page(self) -> None:
        """After a workspace switch: the old flows page stops (its unsaved flows keep their recovery files)."""
        old = self.flows_page
        index = self.pages.indexOf(old)
        old.shutdown()
        self.statusBar().removeWidget(old.progress)
        self.pages.removeWidget(old)
        old.deleteLater()
        self.pages.insertWidget(index, self._build_flows_page())
        self.statusBar().insertPermanentWidget(0, self.flows_page.progress)
        if self.sidebar.currentRow() == index:
            self.pages.setCurrentIndex(index)
        self.flows_page.offer_recovery()

    @staticmethod
    async def _close_workspace(workspace: Workspace, schedules: asyncio.Task[None] | None = None) -> None:
        if schedules is not None:  # its runs are recorded as cancelled before the store closes
            await asyncio.wait([schedules])
        await stop_demo(workspace)
        await workspace.aclose()

    # --- state ---------------------------------------------------------------------------------------

    def current_state(self) -> dict[str, Any]:
        return {
            "geometry": bytes(self.saveGeometry().toBase64().data()).decode("ascii"),
            "size": [self.width(), self.height()],
            "splitter": self.connections_splitter.sizes(),
            "page": self.sidebar.currentRow(),
            "workspace": self.workspace.name,
            "connection": self.connection_list.selected_name(),
            "tab": self.panel.tabs.currentIndex(),
        }

    def save_state(self) -> None:
        save_state(self.state_path, self.current_state())

    def restore_state(self) -> None:
        state = load_state(self.state_path)
        if not state:
            return
        geometry = state.get("geometry")
        restored = isinstance(geometry, str) and self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
        size = state.get("size")
        if not restored and isinstance(size, list) and len(size) == 2:
            self.resize(int(size[0]), int(size[1]))
        splitter = state.get("splitter")
        if isinstance(splitter, list) and all(isinstance(s, int) for s in splitter):
            self.connections_splitter.setSizes(splitter)
        if state.get("workspace") == self.workspace.name:
            connection = state.get("connection")
            if isinstance(connection, str):
                self.connection_list.select_name(connection)
            tab = state.get("tab")
            if isinstance(tab, int) and 0 <= tab < self.panel.tabs.count() and self.panel.tabs.isTabEnabled(tab):
                self.panel.tabs.setCurrentIndex(tab)
        page = state.get("page")
        if isinstance(page, int) and 0 <= page < len(PAGES):
            self.sidebar.setCurrentRow(page)

    # --- closing -------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            self.save_state()
            self.closed.emit()
        super().closeEvent(event)

    async def shutdown(self) -> None:
        """Stop the schedules, running work, the demo API and the workspace's clients (call once, from the loop)."""
        self._stop_schedules()
        self.flows_page.shutdown()
        await self.schedule_keeper.aclose()
        await self.keeper.aclose()
        await stop_demo(self.workspace)
        await self.workspace.aclose()
