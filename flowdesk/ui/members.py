"""The Members… dialog: who belongs to the workspace with which role; admins add, change and remove members.

Everything goes through the workspace, which enforces the roles and its rules (a workspace keeps at least one
admin); a refusal is shown in the dialog, in the workspace's own words.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._roles import Role, permit, refusal
from flowdesk.ui._times import local_time
from flowdesk.ui.style import ERROR_LABEL
from flowdesk.workspace import MemberInfo, Workspace

ROLES: tuple[Role, ...] = ("admin", "editor", "viewer")
ROLE_HELP = (
    "<b>admin</b> adds, edits and removes connections, signs them in, manages members and reads the audit "
    "trail · <b>editor</b> uses connections in calls and flows and runs them · <b>viewer</b> sees flows, runs "
    "and connection names"
)
USER, ROLE, ADDED = 0, 1, 2


class MembersDialog(QDialog):
    """Lists the members of one workspace; emits ``changed`` after each change that was made."""

    changed = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.members: list[MemberInfo] = []
        self.setWindowTitle(f"Members of workspace {workspace.name}")
        self.resize(620, 420)
        layout = QVBoxLayout(self)
        roles = QLabel(ROLE_HELP, self)
        roles.setWordWrap(True)
        roles.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(roles)

        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["User", "Role", "Member since"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(USER, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ROLE, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(ADDED, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(ROLE, self.fontMetrics().horizontalAdvance("editor") + 70)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 16)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)

        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(
            "background: #fef3c7; color: #78350f; border: 1px solid #f59e0b; border-radius: 4px; padding: 6px;"
        )
        layout.addWidget(self.note)

        add_row = QHBoxLayout()
        self.user_edit = QLineEdit(self)
        self.user_edit.setPlaceholderText("user name (their OS login, or the --user they act as)")
        self.user_edit.returnPressed.connect(self.add_member)
        self.user_edit.textChanged.connect(lambda _text: self._update_buttons())
        self.role_combo = QComboBox(self)
        for role in ROLES:
            self.role_combo.addItem(role, role)
        self.role_combo.setCurrentIndex(ROLES.index("editor"))
        self.add_button = QPushButton("Add", self)
        self.add_button.clicked.connect(self.add_member)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        add_row.addWidget(self.user_edit, 1)
        add_row.addWidget(self.role_combo)
        add_row.addWidget(self.add_button)
        add_row.addSpacing(12)
        add_row.addWidget(self.remove_button)
        layout.addLayout(add_row)

        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_LABEL)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()

    # --- showing -------------------------------------------------------------------------------------

    @property
    def is_admin(self) -> bool:
        return self.workspace.can("admin")

    def reload(self) -> None:
        """Read the members again and show them (role pickers for admins, plain text for everyone else)."""
        try:
            self.members = self.workspace.list_members()
        except FlowdeskError as exc:
            self.members = []
            self.show_error(exc)
        admin = self.is_admin
        self.table.setRowCount(len(self.members))
        for row, member in enumerate(self.members):
            you = " (you)" if member.user == self.workspace.user else ""
            self.table.setItem(row, USER, QTableWidgetItem(member.user + you))
            self.table.setItem(row, ADDED, QTableWidgetItem(local_time(member.added_at)))
            self.table.removeCellWidget(row, ROLE)
            if admin:
                self.table.setItem(row, ROLE, QTableWidgetItem(""))
                combo = QComboBox(self.table)
                for role in ROLES:
                    combo.addItem(role, role)
                combo.setCurrentIndex(ROLES.index(member.role))
                combo.setToolTip(f"The role of {member.user}")
                combo.activated.connect(functools.partial(self._role_chosen, member.user, combo))
                self.table.setCellWidget(row, ROLE, combo)
            else:
                self.table.setItem(row, ROLE, QTableWidgetItem(member.role))
        refused = refusal(self.workspace, "admin", "adding, changing or removing members")
        if refused is None:
            self.note.hide()
        else:
            admins = ", ".join(m.user for m in self.members if m.role == "admin") or "none"
            self.note.setText(f"Read only. {refused}. Ask an admin ({admins}) to change members.")
            self.note.show()
        for widget in (self.user_edit, self.role_combo):
            widget.setEnabled(refused is None)
        self._update_buttons()

    def _update_buttons(self) -> None:
        refused = refusal(self.workspace, "admin", "adding or changing members")
        typed = bool(self.user_edit.text().strip())
        permit(self.add_button, refused, "Add the member with the chosen role", enabled=typed)
        permit(
            self.remove_button,
            refusal(self.workspace, "admin", "removing members"),
            "Remove the selected member from the workspace",
            enabled=self.selected_user() is not None,
        )

    def selected_user(self) -> str | None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        if not rows:
            return None
        row = min(rows)
        return self.members[row].user if row < len(self.members) else None

    def role_of(self, user: str) -> str | None:
        return next((m.role for m in self.members if m.user == user), None)

    def role_picker(self, user: str) -> QComboBox | None:
        """The role picker of ``user``'s row (admins only)."""
        for row, member in enumerate(self.members):
            if member.user == user:
                widget = self.table.cellWidget(row, ROLE)
                return widget if isinstance(widget, QComboBox) else None
        return None

    def show_error(self, error: FlowdeskError) -> None:
        self.error_label.setText(str(error))
        self.error_label.show()

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    # --- changing ------------------------------------------------------------------------------------

    def add_member(self) -> None:
        """Add the user typed with the chosen role (or give an existing member that role)."""
        user = self.user_edit.text().strip()
        if not user:
            return
        role = ROLES[self.role_combo.currentIndex()]
        if self._change(lambda: self.workspace.add_member(user, role)):
            self.user_edit.clear()

    def _role_chosen(self, user: str, combo: QComboBox, _index: int) -> None:
        role = ROLES[combo.currentIndex()]
        if role != self.role_of(user):
            self._change(lambda: self.workspace.add_member(user, role))

    def remove_selected(self) -> None:
        user = self.selected_user()
        if user is not None:
            self._change(lambda: self.workspace.remove_member(user))

    def _change(self, change: Callable[[], object]) -> bool:
        try:
            change()
        except FlowdeskError as exc:
            self.reload()  # a refused role change puts the picker back
            self.show_error(exc)
            return False
        self._clear_error()
        self.reload()
        self.changed.emit()
        return True
