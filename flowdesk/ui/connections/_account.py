"""Refresh connection and Disconnect… of an OAuth 2 connection: confirm, call the workspace, report the outcome.

Both run as tasks on the window's loop. The confirmation is a non-blocking ``QMessageBox.open()`` whose
``finished`` signal starts the call, so no modal dialog ever runs inside a coroutine (LIBRARIES.md).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui._messages import error_box
from flowdesk.ui._times import local_time
from flowdesk.workspace import Workspace

_TOKEN_WORDS = {"access_token": "access token", "refresh_token": "refresh token"}


class AccountActions(QObject):
    """Token actions on the connections of one workspace; the panel and the Connection menu call them."""

    message = Signal(str)
    """A line for the status bar."""
    outcome = Signal(str, str, bool)
    """``(connection, text, ok)``: how a refresh or disconnect ended, for the dashboard to show."""
    changed = Signal(str)
    """The tokens or the sign-in state of this connection changed (reload what shows them)."""

    def __init__(self, workspace: Workspace, keeper: TaskKeeper, parent: QWidget) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.keeper = keeper
        self._parent = parent
        self.dialog: QMessageBox | None = None
        """The last box shown (a confirmation, an error or a notice), for tests."""

    # --- refresh -------------------------------------------------------------------------------------

    def refresh(self, name: str) -> None:
        """Renew the token of ``name`` now; the outcome (success or the provider's refusal) is reported."""
        self.message.emit(f"Refreshing the token of {name!r} …")
        self.keeper.start(self._refresh(name), name="oauth-refresh")

    async def _refresh(self, name: str) -> None:
        try:
            result = await self.workspace.refresh_connection(name)
        except FlowdeskError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            self.outcome.emit(name, f"Not refreshed: {exc.message}{hint}", False)
            self.message.emit(f"Not refreshed: {exc.message}")
            self.dialog = error_box(self._parent, exc, "Refresh connection")
            self.changed.emit(name)  # a refused refresh marks the connection "sign-in needed"
            return
        until = f", valid until {local_time(result.expires_at)}" if result.expires_at is not None else ""
        self.outcome.emit(name, f"Token refreshed{until}.", True)
        self.message.emit(f"Refreshed the token of {name!r}{until}")
        self.changed.emit(name)

    # --- disconnect ----------------------------------------------------------------------------------

    def confirm_disconnect(self, name: str) -> None:
        """Ask first (naming the flows and recent runs that use ``name``), then revoke and delete its tokens."""
        try:
            warnings = self.workspace.disconnect_warnings(name)
        except FlowdeskError as exc:
            self.dialog = error_box(self._parent, exc, "Disconnect")
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Disconnect",
            f"Disconnect {name!r}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self._parent,
        )
        lines = [
            "Its tokens are revoked at the provider (when it offers revocation) and deleted here. The connection "
            "and its settings stay; sign in again to use it."
        ]
        if warnings:
            lines.append("<br><b>Uses of this connection:</b>")
            lines += [f"• {html.escape(w)}" for w in warnings]
        box.setInformativeText("<br>".join(lines))
        box.button(QMessageBox.StandardButton.Yes).setText("Disconnect")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._confirmed(name, result, warnings))
        self.dialog = box
        box.open()

    def _confirmed(self, name: str, result: int, shown: list[str]) -> None:
        if result != QMessageBox.StandardButton.Yes.value:
            return
        self.message.emit(f"Disconnecting {name!r} …")
        self.keeper.start(self._disconnect(name, shown), name="oauth-disconnect")

    async def _disconnect(self, name: str, shown: list[str]) -> None:
        try:
            result = await self.workspace.disconnect(name)
        except FlowdeskError as exc:
            self.outcome.emit(name, f"Not disconnected: {exc.message}", False)
            self.dialog = error_box(self._parent, exc, "Disconnect")
            return
        revoked = " and ".join(_TOKEN_WORDS.get(t, t) for t in result.revoked)
        done = f"revoked the {revoked} at the provider and deleted them here" if revoked else "deleted the tokens"
        self.outcome.emit(name, f"Disconnected: {done}. Sign in again to use it.", True)
        self.message.emit(f"Disconnected {name!r}: {done}")
        self.changed.emit(name)
        news = [w for w in result.warnings if w not in shown]
        if news:  # what only the provider's answer could tell (a revocation that failed, none offered)
            box = QMessageBox(
                QMessageBox.Icon.Information,
                "Disconnected",
                f"{name!r} is disconnected here. Note:\n\n" + "\n".join(f"• {w}" for w in news),
                QMessageBox.StandardButton.Ok,
                self._parent,
            )
            self.dialog = box
            box.open()
