"""The Entities tab: a connection's endpoints, edited by hand or discovered from a description."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model import Entity, validate
from flowdesk.model.connection import HTTP_METHODS
from flowdesk.model.errors import FlowdeskError, InvalidConfigError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui._roles import permit, refusal
from flowdesk.ui.canvas import NODE_MIME, entity_payload, node_mime_data
from flowdesk.ui.connections._fields import FieldBox, FilePicker
from flowdesk.ui.style import ERROR_LABEL
from flowdesk.workspace import Workspace

PAGINATION_CHOICES: tuple[tuple[str, str], ...] = (
    ("none", "None (one page)"),
    ("offset", "Offset and limit"),
    ("page", "Page number"),
    ("cursor", "Cursor"),
    ("link_header", "Link header (RFC 8288)"),
)
# (field, label, minimum, default) per pagination type: an int default is a spin box (its minimum the
# smallest value; 0 with minimum 0 on an optional field means "not sent"), a str default a line edit
_PAGINATION_FIELDS: dict[str, tuple[tuple[str, str, int, int | str], ...]] = {
    "none": (),
    "offset": (
        ("offset_param", "Offset parameter", 0, "offset"),
        ("limit_param", "Limit parameter", 0, "limit"),
        ("limit", "Page size", 1, 100),
        ("start", "First offset", 0, 0),
        ("total_path", "Total records at (JSONPath)", 0, ""),
    ),
    "page": (
        ("page_param", "Page parameter", 0, "page"),
        ("size_param", "Size parameter", 0, "per_page"),
        ("size", "Page size", 1, 100),
        ("start", "First page", 0, 1),
        ("total_pages_path", "Total pages at (JSONPath)", 0, ""),
    ),
    "cursor": (
        ("cursor_param", "Cursor parameter", 0, "cursor"),
        ("next_cursor_path", "Next cursor at (JSONPath)", 0, "$.next_cursor"),
        ("limit_param", "Limit parameter", 0, ""),
        ("limit", "Page size", 0, 0),
    ),
    "link_header": (),
}
_OPTIONAL_INTS = {("cursor", "limit")}
"""Spin boxes whose 0 means "leave it out" (shown as "not sent")."""


def pagination_summary(entity: Entity) -> str:
    pagination = entity.pagination
    if pagination.type == "none":
        return "—"
    if pagination.type == "offset":
        return f"offset ({pagination.offset_param}/{pagination.limit_param}={pagination.limit})"
    if pagination.type == "page":
        return f"page ({pagination.page_param}, size {pagination.size})"
    if pagination.type == "cursor":
        return f"cursor ({pagination.cursor_param} ← {pagination.next_cursor_path})"
    return "Link header"


class EntityDialog(QDialog):
    """Edit one entity: name, method, path, data path, pagination and whether retrying it is safe."""

    def __init__(self, entity: Entity | None, taken: set[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit entity" if entity else "New entity")
        self.setMinimumWidth(460)
        self._original = entity
        self._taken = taken
        self.entity: Entity | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("customers")
        self.method_combo = QComboBox(self)
        self.method_combo.addItems(list(HTTP_METHODS))
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("/customers/{customerId}")
        self.data_path_edit = QLineEdit(self)
        self.data_path_edit.setPlaceholderText("$.data  ($ for a root array)")
        self.idempotent = QCheckBox("Safe to retry (idempotent)", self)
        self.pagination_combo = QComboBox(self)
        for key, title in PAGINATION_CHOICES:
            self.pagination_combo.addItem(title, key)
        self.boxes: dict[str, FieldBox] = {
            "name": FieldBox(self.name_edit),
            "method": FieldBox(self.method_combo),
            "path": FieldBox(self.path_edit),
            "data_path": FieldBox(self.data_path_edit),
            "pagination": FieldBox(self.pagination_combo),
        }
        form.addRow("Name", self.boxes["name"])
        form.addRow("Method", self.boxes["method"])
        form.addRow("Path", self.boxes["path"])
        form.addRow("Data path", self.boxes["data_path"])
        form.addRow("", self.idempotent)
        form.addRow("Pagination", self.boxes["pagination"])
        layout.addLayout(form)

        self.pagination_stack = QStackedWidget(self)
        self.pagination_fields: dict[str, dict[str, FieldBox]] = {}
        self._pages: dict[str, int] = {}
        for key, _title in PAGINATION_CHOICES:
            page = QWidget(self.pagination_stack)
            page_form = QFormLayout(page)
            page_form.setContentsMargins(0, 0, 0, 0)
            fields: dict[str, FieldBox] = {}
            for name, label, minimum, default in _PAGINATION_FIELDS[key]:
                editor: QWidget
                if isinstance(default, int):
                    spin = QSpinBox(page)
                    spin.setRange(minimum, 1_000_000)
                    spin.setValue(default)
                    if (key, name) in _OPTIONAL_INTS:
                        spin.setSpecialValueText("not sent")
                    editor = spin
                else:
                    line = QLineEdit(page)
                    line.setText(str(default))
                    editor = line
                fields[name] = FieldBox(editor)
                page_form.addRow(label, fields[name])
            self.pagination_fields[key] = fields
            self._pages[key] = self.pagination_stack.addWidget(page)
        layout.addWidget(self.pagination_stack)
        self.pagination_combo.currentIndexChanged.connect(self._show_pagination)

        self.summary = QLabel(self)
        self.summary.setStyleSheet(ERROR_LABEL)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        if entity is not None:
            self.name_edit.setText(entity.name)
            self.method_combo.setCurrentText(entity.method)
            self.path_edit.setText(entity.path)
            self.data_path_edit.setText(entity.data_path or "")
            self.idempotent.setChecked(entity.idempotent)
            self.pagination_combo.setCurrentIndex(self.pagination_combo.findData(entity.pagination.type))
            values = entity.pagination.model_dump()
            for name, box in self.pagination_fields[entity.pagination.type].items():
                value = values.get(name)
                if isinstance(box.editor, QSpinBox) and isinstance(value, int):
                    box.editor.setValue(value)
                elif isinstance(box.editor, QLineEdit):
                    box.editor.setText("" if value is None else str(value))
        self._show_pagination()

    def _show_pagination(self, _index: int = 0) -> None:
        key = str(self.pagination_combo.currentData())
        self.pagination_stack.setCurrentIndex(self._pages[key])
        self.pagination_stack.setVisible(bool(_PAGINATION_FIELDS[key]))
        self.adjustSize()

    def entity_data(self) -> dict[str, Any]:
        data: dict[str, Any] = self._original.model_dump(by_alias=True) if self._original else {}
        data.update(
            name=self.name_edit.text().strip(),
            method=self.method_combo.currentText(),
            path=self.path_edit.text().strip(),
            data_path=self.data_path_edit.text().strip() or None,
            idempotent=self.idempotent.isChecked(),
        )
        key = str(self.pagination_combo.currentData())
        pagination: dict[str, Any] = {"type": key}
        for name, box in self.pagination_fields[key].items():
            if isinstance(box.editor, QSpinBox):
                value = box.editor.value()
                pagination[name] = None if (key, name) in _OPTIONAL_INTS and value == 0 else value
            elif isinstance(box.editor, QLineEdit):
                pagination[name] = box.editor.text().strip() or None
        data["pagination"] = pagination
        return data

    def try_accept(self) -> None:
        """Accept only a valid entity with a free name; otherwise mark what is wrong and stay open."""
        for box in [*self.boxes.values(), *(b for f in self.pagination_fields.values() for b in f.values())]:
            box.set_error(None)
        problems: list[tuple[str, str]] = []
        entity: Entity | None = None
        try:
            entity = validate(Entity, self.entity_data(), "the entity")
        except InvalidConfigError as exc:
            problems = exc.problems
        if entity is not None and entity.name in self._taken:
            problems.append(("name", f"the connection already has an entity named {entity.name!r}"))
        if problems:
            unplaced = []
            key = str(self.pagination_combo.currentData())
            for location, message in problems:
                head, _, rest = location.partition(".")
                if head == "pagination" and rest in self.pagination_fields[key]:
                    self.pagination_fields[key][rest].set_error(message)
                elif head in self.boxes:
                    self.boxes[head].set_error(message)
                else:
                    unplaced.append(f"{location}: {message}")
            self.summary.setText("\n".join(unplaced))
            return
        self.entity = entity
        self.accept()


class DiscoverDialog(QDialog):
    """Pick a description (OpenAPI/Swagger file or URL, OData URL, GraphQL URL) to import entities from.

    A local file works for every kind (an OData ``$metadata`` XML file, a GraphQL SDL or saved introspection
    result); URLs are fetched with the connection's own settings, so a description behind its login works.
    """

    KINDS: tuple[tuple[str, str, str], ...] = (
        ("openapi", "OpenAPI / Swagger (file or URL)", "openapi.json, swagger.yaml or https://…/openapi.json"),
        ("odata", "OData service URL", "https://…/odata/ (the service root or its $metadata)"),
        ("graphql", "GraphQL endpoint URL", "https://…/graphql (asked with the introspection query)"),
    )

    def __init__(self, base_url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Discover entities")
        self.setMinimumWidth(560)
        self._base_url = base_url
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Import the endpoints of an API description as entities. Entities with the same name are updated; "
            "the others are kept unless you replace them.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.kind_combo = QComboBox(self)
        for key, title, _hint in self.KINDS:
            self.kind_combo.addItem(title, key)
        self.source = FilePicker(
            "API description",
            "API descriptions (*.json *.yaml *.yml *.xml *.graphql *.graphqls *.gql);;All files (*)",
            self,
        )
        self.source_box = FieldBox(self.source)
        self.replace = QCheckBox("Replace all existing entities", self)
        form.addRow("Source", self.kind_combo)
        form.addRow("File or URL", self.source_box)
        form.addRow("", self.replace)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Discover")
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.source.setFocus()

    @property
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def choose(self, kind: str) -> None:
        self.kind_combo.setCurrentIndex(max(self.kind_combo.findData(kind), 0))

    def _kind_changed(self, _index: int = 0) -> None:
        hint = next(h for key, _title, h in self.KINDS if key == self.kind)
        self.source.setPlaceholderText(hint)

    def try_accept(self) -> None:
        """Accept only with a source to read."""
        if not self.source.text().strip():
            self.source_box.set_error("give a file or an http(s) URL")
            return
        self.source_box.set_error(None)
        self.accept()


class EntityTable(QTableWidget):
    """The entities table as a drag source: a row dropped on a flow canvas becomes a ready ``api_call`` node."""

    def __init__(self, payload_of: Callable[[int], dict[str, Any] | None], columns: int, parent: QWidget) -> None:
        super().__init__(0, columns, parent)
        self._payload_of = payload_of
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)

    def mimeTypes(self) -> list[str]:
        return [NODE_MIME]

    def mimeData(self, items: Sequence[QTableWidgetItem]) -> QMimeData:
        rows = sorted({item.row() for item in items})
        payload = self._payload_of(rows[0]) if rows else None
        return node_mime_data(payload) if payload is not None else QMimeData()

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class EntitiesTab(QWidget):
    """The table of a connection's entities with Add / Edit / Delete and Discover."""

    changed = Signal()
    message = Signal(str)
    discovered = Signal(int)
    """A discovery ended: the number of entities found, or -1 when it failed."""
    add_to_flow = Signal(dict)
    """"Add to flow" on an entity: the drag payload of its ready ``api_call`` node."""

    COLUMNS = ("Name", "Method", "Path", "Data path", "Pagination")

    def __init__(self, workspace: Workspace, keeper: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.keeper = keeper
        self.connection: str | None = None
        self._entities: list[Entity] = []
        self.dialog: QDialog | None = None
        self._discovering = False
        layout = QVBoxLayout(self)
        self.table = EntityTable(self.payload, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.empty = QLabel("No entities yet. Add the endpoints you call, or discover them from a description.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setEnabled(False)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add…", self)
        self.add_button.clicked.connect(self.add)
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self.delete_selected)
        self.discover_button = QPushButton("Discover…", self)
        self.discover_button.setToolTip("Import endpoints from an OpenAPI/Swagger file or URL, OData or GraphQL")
        self.discover_button.clicked.connect(self.discover)
        self.add_to_flow_action = QAction("Add to flow", self)
        self.add_to_flow_action.setToolTip("Add an API call node for this entity to the flow open on the Flows page")
        self.add_to_flow_action.triggered.connect(self.add_selected_to_flow)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addAction(self.add_to_flow_action)
        self.flow_button = QPushButton("Add to flow", self)
        self.flow_button.setToolTip(f"{self.add_to_flow_action.toolTip()} (or drag the row onto a canvas)")
        self.flow_button.clicked.connect(self.add_selected_to_flow)
        for button in (
            self.add_button,
            self.edit_button,
            self.delete_button,
            self.discover_button,
            self.flow_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.report_label = QLabel(self)
        self.report_label.setWordWrap(True)
        self.report_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_label.hide()
        layout.addWidget(self.report_label)
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self.delete_selected)
        self._update_buttons()

    def set_connection(self, name: str | None) -> None:
        self.connection = name
        self.refresh()

    @property
    def entities(self) -> list[Entity]:
        return list(self._entities)

    def refresh(self) -> None:
        self._entities = self.workspace.entities(self.connection) if self.connection else []
        self.table.setRowCount(len(self._entities))
        for row, entity in enumerate(self._entities):
            cells = (entity.name, entity.method, entity.path, entity.data_path or "", pagination_summary(entity))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.setVisible(bool(self._entities))
        self.empty.setVisible(not self._entities)
        self.setEnabled(self.connection is not None)
        self._update_buttons()

    def apply_roles(self) -> None:
        """Re-check what the acting user's role allows (after a role change)."""
        self._update_buttons()

    def _refused(self) -> str | None:
        """Why the acting user may not change entities (they need the admin role), or ``None``."""
        return refusal(self.workspace, "admin", "changing entities")

    def _update_buttons(self) -> None:
        selected = self.selected_row() is not None
        refused = self._refused()
        permit(self.add_button, refused, "Add an entity by hand")
        permit(self.edit_button, refused, "Edit the selected entity", enabled=selected)
        permit(self.delete_button, refused, "Delete the selected entity", enabled=selected)
        permit(
            self.discover_button,
            refused,
            "Import endpoints from an OpenAPI/Swagger file or URL, OData or GraphQL",
            enabled=not self._discovering,
        )
        self.flow_button.setEnabled(selected)
        self.add_to_flow_action.setEnabled(selected)

    def selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def payload(self, row: int) -> dict[str, Any] | None:
        """The drag payload of a ready ``api_call`` node for the entity in ``row``."""
        if self.connection is None or not 0 <= row < len(self._entities):
            return None
        return entity_payload(self.connection, self._entities[row].name)

    def add_selected_to_flow(self) -> None:
        row = self.selected_row()
        payload = self.payload(row) if row is not None else None
        if payload is not None:
            self.add_to_flow.emit(payload)

    def select(self, name: str) -> None:
        for row, entity in enumerate(self._entities):
            if entity.name == name:
                self.table.selectRow(row)

    def add(self) -> None:
        self._open_dialog(None)

    def edit_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self._open_dialog(row)

    def _open_dialog(self, row: int | None) -> None:
        if self.connection is None or self._refused() is not None:
            return
        original = self._entities[row] if row is not None else None
        taken = {e.name for i, e in enumerate(self._entities) if i != row}
        dialog = EntityDialog(original, taken, self)
        dialog.accepted.connect(lambda: self._store(row, dialog.entity))
        self.dialog = dialog
        dialog.open()

    def _store(self, row: int | None, entity: Entity | None) -> None:
        if entity is None or self.connection is None:
            return
        entities = list(self._entities)
        if row is None:
            entities.append(entity)
        else:
            entities[row] = entity
        try:
            self.workspace.set_entities(self.connection, entities, replace=True)
        except FlowdeskError as exc:
            self.message.emit(str(exc))
            return
        self.refresh()
        self.select(entity.name)
        self.message.emit(f"Saved entity {entity.name!r}")
        self.changed.emit()

    def delete_selected(self) -> None:
        """Ask, then delete the selected entity (flows that call it stop working)."""
        row = self.selected_row()
        if row is None or self.connection is None or self._refused() is not None:
            return
        name = self._entities[row].name
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete entity",
            f"Delete the entity {name!r}? Flows that call it will stop working.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._delete_confirmed(name, result))
        self.dialog = box
        box.open()

    def _delete_confirmed(self, name: str, result: int) -> None:
        if result != QMessageBox.StandardButton.Yes.value or self.connection is None:
            return
        try:
            self.workspace.remove_entity(self.connection, name)
        except FlowdeskError as exc:
            self.message.emit(str(exc))
            return
        self.refresh()
        self.message.emit(f"Deleted entity {name!r}")
        self.changed.emit()

    def discover(self) -> DiscoverDialog | None:
        """Open the "Discover entities" dialog (non-blocking); discovery starts when it is accepted."""
        if self.connection is None or self._refused() is not None:
            return None
        base_url = self.workspace.get_connection(self.connection, secrets=False).base_url
        dialog = DiscoverDialog(base_url, self)
        dialog.accepted.connect(lambda: self._start_discovery(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _start_discovery(self, dialog: DiscoverDialog) -> None:
        source = dialog.source.text().strip()
        if not source or self.connection is None:
            return
        self._report(f"Discovering entities from {source} …", error=False)
        self._discovering = True
        self._update_buttons()
        self.keeper.start(
            self._discover(self.connection, dialog.kind, source, dialog.replace.isChecked()), name="discover"
        )

    async def _discover(self, connection: str, kind: str, source: str, replace: bool) -> None:
        try:
            result = await self.workspace.discover(
                connection,
                openapi=source if kind == "openapi" else None,
                odata=source if kind == "odata" else None,
                graphql=source if kind == "graphql" else None,
                replace=replace,
            )
        except FlowdeskError as exc:
            self._report(f"Discovery failed: {exc.message}" + (f"\nWhat to check: {exc.hint}" if exc.hint else ""))
            self.discovered.emit(-1)
            return
        finally:
            self._discovering = False
            self._update_buttons()
        count = len(result.entities)
        self.refresh()
        title = f" ({result.title})" if result.title else ""
        lines = [f"Discovered {count} entit{'y' if count == 1 else 'ies'} from {source}{title}."]
        lines += [f"Note: {warning}" for warning in result.warnings[:5]]
        self._report("\n".join(lines), error=False)
        self.message.emit(lines[0])
        self.changed.emit()
        self.discovered.emit(count)

    def _report(self, text: str, *, error: bool = True) -> None:
        self.report_label.setText(text)
        self.report_label.setStyleSheet(ERROR_LABEL if error else "")
        self.report_label.show()
