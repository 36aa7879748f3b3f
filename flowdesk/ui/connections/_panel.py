"""The connection panel: a header and the tabs Settings | Entities | Request tester | Dashboard."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from flowdesk.model import Connection
from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui.connections._account import AccountActions
from flowdesk.ui.connections._editor import ConnectionEditor
from flowdesk.ui.connections._entities import EntitiesTab
from flowdesk.ui.connections._test_panel import TestPanel
from flowdesk.ui.dashboard import DashboardWidget
from flowdesk.ui.resources import service_icon
from flowdesk.ui.tester import RequestTesterWidget
from flowdesk.workspace import Workspace


class ConnectionPanel(QWidget):
    """Everything about one connection; the main window tells it which one."""

    saved = Signal(str)
    message = Signal(str)
    tested = Signal(bool)
    auth_changed = Signal(str)
    add_to_flow = Signal(dict)  # an entity's ready api_call node (see EntitiesTab.add_to_flow)
    """A connection's tokens changed (signed in, refreshed, disconnected): its status in the list may differ."""

    SETTINGS, ENTITIES, TESTER, DASHBOARD = "Settings", "Entities", "Request tester", "Dashboard"

    def __init__(self, workspace: Workspace, keeper: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.keeper = keeper
        self.connection: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        header = QHBoxLayout()
        self.icon_label = QLabel(self)
        self.icon_label.setFixedSize(QSize(32, 32))
        self.title_label = QLabel(self)
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title_label.setFont(font)
        self.url_label = QLabel(self)
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label.setEnabled(False)
        header.addWidget(self.icon_label)
        header.addWidget(self.title_label)
        header.addWidget(self.url_label, 1)
        layout.addLayout(header)

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)

        settings = QSplitter(Qt.Orientation.Horizontal, self.tabs)
        settings.setChildrenCollapsible(False)
        self.editor = ConnectionEditor(workspace, settings)
        self.test_panel = TestPanel(workspace, keeper, settings)
        settings.addWidget(self.editor)
        settings.addWidget(self.test_panel)
        settings.setStretchFactor(0, 3)
        settings.setStretchFactor(1, 2)
        settings.setSizes([540, 340])
        self.settings_splitter = settings
        self.tabs.addTab(settings, self.SETTINGS)

        self.entities = EntitiesTab(workspace, keeper, self.tabs)
        self.tabs.addTab(self.entities, self.ENTITIES)
        self.tester = RequestTesterWidget(workspace, keeper, self.tabs)
        self.tabs.addTab(self.tester, self.TESTER)
        self.dashboard = DashboardWidget(workspace, keeper, self.tabs)
        self.tabs.addTab(self.dashboard, self.DASHBOARD)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.open_browser: Callable[[str], object] = lambda url: QDesktopServices.openUrl(QUrl(url))
        """Opens the OAuth consent page (the system browser; tests put a scripted user here)."""
        self._sign_in: asyncio.Task[None] | None = None
        self.account = AccountActions(workspace, keeper, self)
        """Refresh connection and Disconnect… (the dashboard's buttons and the Connection menu)."""
        self.account.message.connect(self.message)
        self.account.outcome.connect(self._auth_outcome)
        self.account.changed.connect(self._auth_changed)
        self.dashboard.sign_in_requested.connect(self.sign_in)
        self.dashboard.refresh_requested.connect(self._refresh_shown)
        self.dashboard.disconnect_requested.connect(self._disconnect_shown)
        self.editor.sign_in_requested.connect(self.sign_in)
        self.editor.saved.connect(self._saved)
        self.entities.changed.connect(self._entities_changed)
        self.entities.message.connect(self.message)
        self.entities.add_to_flow.connect(self.add_to_flow)
        self.test_panel.finished.connect(self.tested)
        self.clear()

    # --- which connection ----------------------------------------------------------------------------

    def tab_index(self, title: str) -> int:
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == title:
                return index
        return -1

    def clear(self) -> None:
        self.connection = None
        self.title_label.setText("No connection selected")
        self.url_label.clear()
        self.icon_label.clear()
        self.setEnabled(False)

    def show_connection(self, name: str) -> None:
        """Load ``name`` into every tab."""
        try:
            self.editor.load(name)
        except FlowdeskError as exc:
            self.message.emit(str(exc))
            self.clear()
            return
        self.connection = name
        self.setEnabled(True)
        self._header(name, self.editor.service_label.text(), self.editor.base_url_edit.text(), self._service())
        self.entities.set_connection(name)
        self.test_panel.set_connection(name)
        for index in range(1, self.tabs.count()):
            self.tabs.setTabEnabled(index, True)
        self._update_embedded(name)

    def new_connection(self, template: Connection) -> None:
        """Edit a new, unsaved connection; only the Settings tab makes sense until it is saved."""
        self.connection = None
        self.setEnabled(True)
        self.editor.new_connection(template)
        self._header("New connection", self.editor.service_label.text(), "not saved yet", template.service)
        self.entities.set_connection(None)
        self.test_panel.set_connection(None)
        self.tabs.setCurrentIndex(0)
        for index in range(1, self.tabs.count()):
            self.tabs.setTabEnabled(index, False)

    def _service(self) -> str:
        return self.editor.service

    def _header(self, title: str, kind: str, url: str, service: str) -> None:
        self.title_label.setText(title)
        self.url_label.setText(f"{kind} · {url}")
        self.icon_label.setPixmap(service_icon(service).pixmap(QSize(32, 32), self.devicePixelRatioF()))

    def _update_embedded(self, name: str) -> None:
        try:
            self.tester.set_connection(name)
            self.dashboard.set_connection(name)
        except FlowdeskError as exc:
            self.message.emit(str(exc))

    def _tab_changed(self, index: int) -> None:
        if index == self.tab_index(self.DASHBOARD) and self.connection:
            self.dashboard.refresh()

    # --- OAuth sign-in -------------------------------------------------------------------------------

    def sign_in(self) -> None:
        """Run the browser consent for the shown connection (or cancel the one waiting)."""
        if self._sign_in is not None and not self._sign_in.done():
            self._sign_in.cancel()
            return
        if self.connection is None:
            return
        self.editor.sign_in_button.setText("Cancel sign-in")
        self.editor.set_sign_in_state("Waiting for the browser: finish signing in there …")
        self.dashboard.set_auth_note("Waiting for the browser: finish signing in there …", ok=True)
        self._sign_in = self.keeper.start(self._authorize(self.connection), name="oauth-sign-in")

    async def _authorize(self, name: str) -> None:
        try:
            result = await self.workspace.authorize(name, open_browser=self.open_browser)
        except asyncio.CancelledError:
            self.editor.set_sign_in_state("Sign-in cancelled.")
            self.dashboard.set_auth_note("Sign-in cancelled.", ok=True)
            raise
        except FlowdeskError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            self.editor.set_sign_in_state(f"Not signed in: {exc.message}{hint}", error=True)
            self.dashboard.set_auth_note(f"Not signed in: {exc.message}{hint}", ok=False)
            return
        finally:
            self.editor.sign_in_button.setText("Sign in with the browser…")
        self.show_connection(name)  # the stored token changes what the editor and the tester use
        account = f" as {result.account}" if result.account else ""
        failed = f" The test request failed: {result.test_error}" if result.test_error else ""
        self.editor.set_sign_in_state(f"Signed in{account}.{failed}", error=bool(result.test_error))
        self.dashboard.set_auth_note(f"Signed in{account}.{failed}", ok=not result.test_error)
        self.message.emit(f"Signed in to {name!r}{account}")
        self.auth_changed.emit(name)

    # --- refresh and disconnect ----------------------------------------------------------------------

    def _refresh_shown(self) -> None:
        if self.connection is not None:
            self.account.refresh(self.connection)

    def _disconnect_shown(self) -> None:
        if self.connection is not None:
            self.account.confirm_disconnect(self.connection)

    def _auth_outcome(self, name: str, text: str, ok: bool) -> None:
        if name == self.connection:
            self.dashboard.set_auth_note(text, ok=ok)

    def _auth_changed(self, name: str) -> None:
        if name == self.connection:
            if not self.editor.dirty:  # the editor shows whether a token is stored; keep unsaved edits though
                try:
                    self.editor.load(name)
                except FlowdeskError as exc:
                    self.message.emit(str(exc))
            self.dashboard.refresh()
        self.auth_changed.emit(name)

    # --- reacting ------------------------------------------------------------------------------------

    def _saved(self, name: str) -> None:
        self.show_connection(name)
        self.message.emit(f"Saved connection {name!r}")
        self.saved.emit(name)

    def _entities_changed(self) -> None:
        if self.connection is not None:
            self.test_panel.set_connection(self.connection)
            self._update_embedded(self.connection)
