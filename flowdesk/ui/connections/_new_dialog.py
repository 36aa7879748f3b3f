"""New connection → pick a type: REST API, OData, GraphQL, or one of the bundled service presets."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model import Connection
from flowdesk.model.presets import service_presets
from flowdesk.ui.resources import service_icon

_GENERIC: tuple[tuple[str, str, str], ...] = (
    ("rest", "REST API", "any HTTP/JSON API"),
    ("odata", "OData", "OData v2/v4 services"),
    ("graphql", "GraphQL", "a GraphQL endpoint"),
)


def template_for(service: str, name: str | None = None) -> Connection:
    """A new, unsaved connection of ``service`` (a preset's settings, or an empty generic one)."""
    presets = service_presets()
    if service in presets:
        return presets[service].new_connection(name)
    examples = {
        "rest": "https://api.example.com",
        "odata": "https://example.com/odata",
        "graphql": "https://api.example.com/graphql",
    }
    return Connection(name=name or f"new-{service}", service=service, base_url=examples.get(service, "https://"))


class NewConnectionDialog(QDialog):
    """Choose what kind of connection to create; ``chosen`` holds the service key once accepted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New connection")
        self.resize(460, 520)
        self.chosen: str | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("What do you want to connect to?", self))
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter)
        layout.addWidget(self.filter_edit)
        self.list = QListWidget(self)
        self.list.setIconSize(QSize(24, 24))
        for key, title, note in _GENERIC:
            self._add(key, f"{title} — {note}")
        for key, preset in sorted(service_presets().items(), key=lambda kv: kv[1].title.casefold()):
            self._add(key, f"{preset.title} — {preset.category} (preset)")
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self._accept())
        layout.addWidget(self.list, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.filter_edit.setFocus()

    def _add(self, key: str, text: str) -> None:
        item = QListWidgetItem(service_icon(key), text)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.list.addItem(item)

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setHidden(bool(needle) and needle not in item.text().casefold())

    def choose(self, service: str) -> None:
        """Select ``service`` in the list (as a click would)."""
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == service:
                self.list.setCurrentRow(row)

    def _accept(self) -> None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return
        self.chosen = str(item.data(Qt.ItemDataRole.UserRole))
        self.accept()
