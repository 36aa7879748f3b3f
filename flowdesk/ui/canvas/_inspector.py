"""The inspector: a form for the selected node, generated from its type's pydantic config model.

Each config field gets the widget its annotation calls for (choices for a ``Literal``, a check box for a
bool, a spin box for a number, a name/value table for a dictionary …), with some fields recognised by
meaning: ``connection`` and ``entity`` pick among the workspace's existing ones; templated text completes
``{field}`` names seen in the last run's upstream sample; expressions are syntax-checked as you type;
field paths preview the value they find in that sample. Every change is a :class:`SetConfigCommand`, so
it can be undone like any canvas edit; an invalid value is kept (the node is marked red, the reason is
shown at the field) rather than refused, so half-finished work is never lost.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Union

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.expressions import ExpressionError, check_expression
from flowdesk.model.flow import FlowNode, template_problem
from flowdesk.model.jsonpath import InvalidJsonPathError, check_path
from flowdesk.model.nodes import NODE_SPECS, NodeSpec
from flowdesk.model.templating import resolve
from flowdesk.ui.canvas._commands import RenameNodeCommand, SetConfigCommand, SetDetailsCommand, SetTitleCommand
from flowdesk.ui.canvas._document import Change
from flowdesk.ui.canvas._fields import ERROR_STYLE, CheckedLineEdit, KeyValueTable
from flowdesk.ui.canvas._theme import type_icon
from flowdesk.ui.style import ERROR_LABEL

if TYPE_CHECKING:
    from flowdesk.ui.canvas._editor import FlowEditor

MISSING = " (missing)"

TEMPLATED: dict[str, set[str]] = {
    "api_call": {"params", "query", "headers", "body"},
    "transform": {"set"},
    "output": {"path"},
    "webhook_out": {"url", "body"},
}
EXPRESSIONS: dict[str, set[str]] = {"condition": {"expression"}, "loop": {"expression"}}
FIELD_PATHS: dict[str, set[str]] = {"loop": {"field"}, "lookup": {"match"}, "merge": {"key"}}
CONNECTION_FIELDS = {"api_call", "lookup", "webhook_out"}

HELP: dict[tuple[str, str], str] = {
    ("api_call", "params"): "Path parameters ({id} in the entity's path). Values may use {field} of the item.",
    ("api_call", "query"): "Query parameters added to the call; values may use {field} of the item.",
    ("api_call", "body"): "JSON body (templates allowed); leave empty for none.",
    ("api_call", "map"): "Add fields to the incoming item from the response (field → JSONPath).",
    ("api_call", "all_pages"): "Follow the entity's pagination to the last page.",
    ("api_call", "output"): "records: one item per record; response: one item {status, headers, body} per call.",
    ("condition", "expression"): "Items for which it is true go to true, the others to false.",
    ("loop", "field"): "The list field to go through (dots reach into objects: order.lines).",
    ("loop", "expression"): "Repeat while this holds; connect the last step back to the again input.",
    ("transform", "set"): "field → template ({name} of the item).",
    ("transform", "compute"): "field → expression (arithmetic, functions).",
    ("lookup", "key"): "The field of the reference data to match on.",
    ("lookup", "match"): "The field of the item whose value must equal the key.",
    ("output", "path"): "File to write; {variables} allowed.",
    ("trigger", "variables"): "The item a manual run starts with (the flow's --var values are merged in).",
}
VISIBLE_WHEN: dict[tuple[str, str], tuple[str, set[Any]]] = {
    ("trigger", "cron"): ("kind", {"schedule"}),
    ("trigger", "timezone"): ("kind", {"schedule"}),
    ("trigger", "catch_up"): ("kind", {"schedule"}),
    ("trigger", "allow_overlap"): ("kind", {"schedule"}),
    ("trigger", "hook"): ("kind", {"webhook"}),
    ("loop", "field"): ("mode", {"each", None}),
    ("loop", "as"): ("mode", {"each", None}),
    ("loop", "expression"): ("mode", {"while"}),
    ("loop", "max_iterations"): ("mode", {"while"}),
    ("merge", "key"): ("mode", {"zip"}),
}


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for item in info.metadata:
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    return low, high


def _default(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return PydanticUndefined


def field_names(items: list[Any], depth: int = 3) -> list[str]:
    """Dotted names of the fields in sample items (``customer.address.city``), first-seen order."""
    names: list[str] = []

    def walk(value: Any, prefix: str, level: int) -> None:
        if not isinstance(value, dict) or level > depth:
            return
        for key, inner in value.items():
            name = f"{prefix}{key}"
            if name not in names:
                names.append(name)
            walk(inner, f"{name}.", level + 1)

    for item in items[:20]:
        walk(item, "", 1)
    return names


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 140 else text[:139] + "…"


class _Row:
    """One config field in the form: its widget, how to show a value, and the label (to hide the row)."""

    def __init__(self, key: str, label: QLabel, widget: QWidget, show: Callable[[Any], None]) -> None:
        self.key = key
        self.label = label
        self.widget = widget
        self.show = show
        self.error_label: QLabel | None = None


class Inspector(QScrollArea):
    """Settings of the selected node (or the flow's name and description when nothing is selected)."""

    def __init__(self, editor: FlowEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.node_id: str | None = None
        self.rows: dict[str, _Row] = {}
        self._applying = False
        self.problem_box: QLabel | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(270)
        self._body: QWidget | None = None
        self.show_node(None)

    # --- building -----------------------------------------------------------------------------------

    def show_node(self, node_id: str | None) -> None:
        """Build the form for ``node_id`` (``None``: the flow's own details)."""
        if node_id is not None and not self.editor.document.flow.has_node(node_id):
            node_id = None
        self.node_id = node_id
        self.rows = {}
        self.problem_box = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        if node_id is None:
            self._build_flow_form(layout)
        else:
            self._build_node_form(layout, self.editor.document.node(node_id))
        layout.addStretch(1)
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(body)
        self._body = body
        self.show_problems()

    def _heading(self, layout: QVBoxLayout, title: str, text: str, node_type: str | None) -> None:
        row = QHBoxLayout()
        if node_type is not None:
            picture = QLabel(self)
            picture.setPixmap(type_icon(node_type).pixmap(24, 24))
            row.addWidget(picture)
        heading = QLabel(f"<b>{title}</b>", self)
        heading.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(heading, 1)
        layout.addLayout(row)
        if text:
            about = QLabel(text, self)
            about.setWordWrap(True)
            about.setStyleSheet("color: palette(placeholder-text);")
            layout.addWidget(about)

    def _build_flow_form(self, layout: QVBoxLayout) -> None:
        flow = self.editor.document.flow
        self._heading(layout, "Flow", "Select a node to edit its settings. Tab on the canvas adds one.", None)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.flow_name = CheckedLineEdit(lambda t: None if t.strip() else "a flow needs a name", parent=self)
        self.flow_name.set_text(flow.name)
        self.flow_name.committed.connect(self._flow_name_committed)
        self.flow_description = CheckedLineEdit(parent=self)
        self.flow_description.set_text(flow.description or "")
        self.flow_description.committed.connect(self._flow_description_committed)
        form.addRow("Name", self.flow_name)
        form.addRow("Description", self.flow_description)
        layout.addLayout(form)
        self.problem_box = QLabel(self)
        self.problem_box.setWordWrap(True)
        self.problem_box.setStyleSheet(ERROR_LABEL)
        self.problem_box.hide()
        layout.addWidget(self.problem_box)
        counts = QLabel(f"{len(flow.nodes)} nodes, {len(flow.edges)} wires", self)
        counts.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(counts)

    def _flow_name_committed(self, text: str) -> None:
        if not text.strip() or text.strip() == self.editor.document.name:
            return
        self.editor.undo_stack.push(
            SetDetailsCommand(self.editor.document, name=text.strip(), on_error=self.editor.message.emit)
        )

    def _flow_description_committed(self, text: str) -> None:
        if (text or None) == self.editor.document.flow.description:
            return
        self.editor.undo_stack.push(
            SetDetailsCommand(self.editor.document, description=text, on_error=self.editor.message.emit)
        )

    def _build_node_form(self, layout: QVBoxLayout, node: FlowNode) -> None:
        spec = NODE_SPECS.get(node.type)
        if spec is None:
            self._heading(layout, node.type, f"Unknown node type {node.type!r}: it cannot run.", None)
            return
        self._heading(layout, f"{spec.title}", spec.description, node.type)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.id_edit = CheckedLineEdit(self._id_problem, parent=self)
        self.id_edit.set_text(node.id)
        self.id_edit.setToolTip("The node's id: wires and other nodes' templates refer to it")
        self.id_edit.committed.connect(self._id_committed)
        self.title_edit = CheckedLineEdit(parent=self)
        self.title_edit.set_text(node.title or "")
        self.title_edit.edit.setPlaceholderText(node.id)
        self.title_edit.committed.connect(self._title_committed)
        form.addRow("Id", self.id_edit)
        form.addRow("Title", self.title_edit)
        layout.addLayout(form)
        self.problem_box = QLabel(self)
        self.problem_box.setWordWrap(True)
        self.problem_box.setStyleSheet(ERROR_LABEL)
        self.problem_box.hide()
        layout.addWidget(self.problem_box)

        settings = QLabel("<b>Settings</b>", self)
        layout.addWidget(settings)
        config_form = QFormLayout()
        config_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        config_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for name, info in spec.config_model.model_fields.items():
            key = info.alias or name
            row = self._field_row(spec, node, key, info)
            if row is None:
                continue
            help_text = HELP.get((node.type, key))
            if help_text:
                row.widget.setToolTip(help_text)
                row.label.setToolTip(help_text)
            if isinstance(row.widget, KeyValueTable) or row.key == "body":
                config_form.addRow(row.label)  # wide widgets get the whole width, under their label
                config_form.addRow(row.widget)
            else:
                config_form.addRow(row.label, row.widget)
            self.rows[key] = row
        if not spec.config_model.model_fields:
            layout.addWidget(QLabel("This node has no settings.", self))
        layout.addLayout(config_form)
        self._load_values(node)

    def _field_row(self, spec: NodeSpec, node: FlowNode, key: str, info: FieldInfo) -> _Row | None:
        label = QLabel(key.replace("_", " ").capitalize(), self)
        annotation, optional = _unwrap_optional(info.annotation)
        origin = typing.get_origin(annotation)
        node_type = node.type
        default = _default(info)

        if node_type in CONNECTION_FIELDS and key in ("connection", "entity"):
            return self._picker_row(key, label)
        if node_type in EXPRESSIONS and key in EXPRESSIONS[node_type]:
            expression = CheckedLineEdit(_expression_problem, self.upstream_fields, self, braces=False)
            expression.edit.setPlaceholderText("status == 200 and len(items) > 0")
            expression.committed.connect(lambda text, k=key: self.set_value(k, text or None))
            return _Row(key, label, expression, functools.partial(_show_text, expression))
        if node_type in FIELD_PATHS and key in FIELD_PATHS[node_type]:
            path = CheckedLineEdit(
                _field_problem, self.upstream_fields, self, braces=False, preview=self._field_preview
            )
            path.committed.connect(lambda text, k=key: self.set_value(k, text.strip() or None))
            return _Row(key, label, path, functools.partial(_show_text, path))
        if origin is Literal:
            combo = QComboBox(self)
            for choice in typing.get_args(annotation):
                combo.addItem(str(choice), choice)
            combo.activated.connect(lambda _i, k=key, c=combo: self.set_value(k, c.currentData()))

            def show_choice(value: Any, c: QComboBox = combo, d: Any = default) -> None:
                index = c.findData(value if value is not None else d)
                c.setCurrentIndex(max(index, 0))

            return _Row(key, label, combo, show_choice)
        if annotation is bool:
            box = QCheckBox(self)
            box.toggled.connect(lambda on, k=key: self.set_value(k, on))
            return _Row(key, label, box, functools.partial(_show_bool, box, default))
        if annotation is int:
            spin = QSpinBox(self)
            low, high = _bounds(info)
            spin.setRange(int(low if low is not None else -1_000_000_000), int(high if high is not None else 1e9))
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda v, k=key: self.set_value(k, v))
            return _Row(key, label, spin, functools.partial(_show_int, spin, default))
        if annotation is float:
            dspin = QDoubleSpinBox(self)
            low, high = _bounds(info)
            dspin.setDecimals(2)
            dspin.setRange(low if low is not None else -1e9, high if high is not None else 1e9)
            dspin.setKeyboardTracking(False)
            dspin.valueChanged.connect(lambda v, k=key: self.set_value(k, v))

            def show_float(value: Any, s: QDoubleSpinBox = dspin, d: Any = default) -> None:
                chosen = value if value is not None else (d if d is not PydanticUndefined else 0.0)
                s.setValue(float(chosen))

            return _Row(key, label, dspin, show_float)
        if origin is dict:
            value_type = typing.get_args(annotation)[1] if typing.get_args(annotation) else Any
            templated = key in TEMPLATED.get(node_type, set())
            check: Callable[[str, str], str | None] | None = None
            headers = ("Name", "Value")
            braces = True
            if node_type == "transform" and key == "compute":
                check, headers, braces = (lambda _n, v: _expression_problem(v)), ("Field", "Expression"), False
            elif node_type == "api_call" and key == "map":
                check, headers = (lambda _n, v: _jsonpath_problem(v)), ("Field", "JSONPath")
                braces = False
            elif templated:
                check = lambda _n, v: template_problem(v)  # noqa: E731
                if key == "set":
                    headers = ("Field", "Template")
            elif node_type == "transform" and key == "rename":
                headers = ("Old name", "New name")
            table = KeyValueTable(
                headers=headers,
                fields=self.upstream_fields if (templated or not braces) else None,
                name_fields=self.upstream_fields if key in ("rename",) else None,
                text_values=value_type is str,
                check=check,
                value_braces=braces,
                parent=self,
            )
            table.edited.connect(lambda value, k=key: self.set_value(k, value or None))
            return _Row(key, label, table, functools.partial(_show_table, table))
        if origin is list:
            items = CheckedLineEdit(fields=self.upstream_fields, parent=self, braces=False)
            items.edit.setPlaceholderText("name, other_name")
            items.setToolTip("A comma-separated list of field names")
            items.committed.connect(
                lambda text, k=key: self.set_value(k, [p.strip() for p in text.split(",") if p.strip()] or None)
            )
            return _Row(key, label, items, functools.partial(_show_list, items))
        if annotation is str:
            templated = key in TEMPLATED.get(node_type, set())
            line = CheckedLineEdit(
                template_problem if templated else None, self.upstream_fields if templated else None, self
            )
            if optional:
                line.edit.setPlaceholderText("(not set)")
            line.committed.connect(lambda text, k=key: self.set_value(k, text if text.strip() else None))
            return _Row(key, label, line, functools.partial(_show_text, line))
        # anything else (a body: any JSON value) is edited as JSON text
        text = QPlainTextEdit(self)
        text.setPlaceholderText('{"name": "{name}"}')
        text.setFixedHeight(90)
        message = QLabel(self)
        message.setStyleSheet(ERROR_LABEL)
        message.setWordWrap(True)
        message.hide()
        holder = QWidget(self)
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.setSpacing(2)
        holder_layout.addWidget(text)
        holder_layout.addWidget(message)

        def commit_json(k: str = key, t: QPlainTextEdit = text, m: QLabel = message) -> None:
            raw = t.toPlainText().strip()
            if not raw:
                m.hide()
                t.setStyleSheet("")
                self.set_value(k, None)
                return
            try:
                value = json.loads(raw)
            except ValueError as exc:
                m.setText(f"not valid JSON: {exc}")
                m.show()
                t.setStyleSheet(f"QPlainTextEdit {{ {ERROR_STYLE} }}")
                return
            m.hide()
            t.setStyleSheet("")
            self.set_value(k, value)

        text.focusOutEvent = _chain_focus_out(text, commit_json)  # type: ignore[method-assign]

        def show_json(value: Any, t: QPlainTextEdit = text) -> None:
            t.setPlainText("" if value is None else json.dumps(value, indent=2, ensure_ascii=False))

        return _Row(key, label, holder, show_json)

    def _picker_row(self, key: str, label: QLabel) -> _Row:
        combo = QComboBox(self)
        combo.setEditable(False)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        combo.activated.connect(lambda _i, k=key, c=combo: self._picked(k, c))

        def show(value: Any, c: QComboBox = combo, k: str = key) -> None:
            self._fill_picker(c, k, value)

        return _Row(key, label, combo, show)

    def _fill_picker(self, combo: QComboBox, key: str, value: Any) -> None:
        connections = self.editor.services.connections()
        if key == "connection":
            names = list(connections)
            placeholder = "Choose a connection…" if names else "No connections yet"
        else:
            node = self.current_node()
            connection = node.config.get("connection") if node is not None else None
            names = list(connections.get(str(connection), [])) if connection else []
            placeholder = "Choose an entity…" if names else ("Choose a connection first" if not connection else "—")
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(placeholder, None)
        for name in names:
            combo.addItem(name, name)
        if value and value not in names:
            combo.addItem(f"{value}{MISSING}", value)
        combo.setCurrentIndex(max(combo.findData(value), 0) if value else 0)
        combo.blockSignals(False)

    def _picked(self, key: str, combo: QComboBox) -> None:
        value = combo.currentData()
        node = self.current_node()
        if node is None:
            return
        config = dict(node.config)
        if value:
            config[key] = value
        else:
            config.pop(key, None)
        if key == "connection" and config.get("entity"):
            entities = self.editor.services.connections().get(str(value), [])
            if config["entity"] not in entities:
                config.pop("entity")
        self._apply(config, f"Set {key} of {node.id}")

    # --- values ------------------------------------------------------------------------------------

    def current_node(self) -> FlowNode | None:
        if self.node_id is None or not self.editor.document.flow.has_node(self.node_id):
            return None
        return self.editor.document.node(self.node_id)

    def _load_values(self, node: FlowNode) -> None:
        for key, row in self.rows.items():
            row.widget.blockSignals(True)
            try:
                row.show(node.config.get(key))
            finally:
                row.widget.blockSignals(False)
        self._update_visibility(node)

    def _update_visibility(self, node: FlowNode) -> None:
        for key, row in self.rows.items():
            rule = VISIBLE_WHEN.get((node.type, key))
            visible = True
            if rule is not None:
                field, allowed = rule
                visible = node.config.get(field) in allowed
                if not visible and key in node.config:
                    visible = True  # a value is set: keep it visible so it can be seen and cleared
            row.label.setVisible(visible)
            row.widget.setVisible(visible)

    def set_value(self, key: str, value: Any) -> None:
        """Set one config field (``None`` removes it) as one undoable step."""
        node = self.current_node()
        if node is None:
            return
        config = dict(node.config)
        if value is None or value == {} or value == []:
            config.pop(key, None)
        else:
            config[key] = value
        self._apply(config, f"Set {key} of {node.id}")

    def _apply(self, config: dict[str, Any], text: str) -> None:
        node = self.current_node()
        if node is None or config == node.config:
            return
        self._applying = True
        try:
            self.editor.undo_stack.push(
                SetConfigCommand(self.editor.document, node.id, config, text=text, on_error=self.editor.message.emit)
            )
        finally:
            self._applying = False
        node = self.current_node()
        if node is not None:
            for key in ("connection", "entity"):
                row = self.rows.get(key)
                if row is not None:
                    row.show(node.config.get(key))
            self._update_visibility(node)

    def _id_problem(self, text: str) -> str | None:
        text = text.strip()
        if text == self.node_id:
            return None
        if not text:
            return "a node needs an id"
        import re

        if not re.match(r"^[A-Za-z_][A-Za-z0-9_\-]*$", text):
            return "use letters, digits, _ and -, starting with a letter"
        if self.editor.document.flow.has_node(text):
            return f"there is already a node {text!r}"
        return None

    def _id_committed(self, text: str) -> None:
        text = text.strip()
        if self.node_id is None or text == self.node_id or self._id_problem(text):
            return
        old = self.node_id
        self.editor.undo_stack.push(RenameNodeCommand(self.editor.document, old, text, self.editor.message.emit))

    def _title_committed(self, text: str) -> None:
        node = self.current_node()
        if node is None or (text or None) == node.title:
            return
        self.editor.undo_stack.push(
            SetTitleCommand(self.editor.document, node.id, text.strip() or None, self.editor.message.emit)
        )

    # --- following the document and the run ---------------------------------------------------------

    def document_changed(self, change: Change) -> None:
        if change.kind == "node_renamed" and change.old_id == self.node_id:
            self.node_id = change.node_id
            if self.node_id is not None:
                self.id_edit.set_text(self.node_id)
            return
        if change.kind == "node_removed" and change.node_id == self.node_id:
            self.show_node(None)
            return
        if change.kind == "node_changed" and change.node_id == self.node_id and not self._applying:
            node = self.current_node()
            if node is not None:
                self.title_edit.set_text(node.title or "")
                self._load_values(node)
        if change.kind == "flow_changed" and self.node_id is None:
            self.show_node(None)

    def refresh(self) -> None:
        """Connections changed: rebuild the pickers."""
        node = self.current_node()
        if node is None:
            return
        for key in ("connection", "entity"):
            row = self.rows.get(key)
            if row is not None:
                row.show(node.config.get(key))

    def show_problems(self) -> None:
        """Mark the fields the model reports as wrong (reason under each) and list the rest on top."""
        box = self.problem_box
        if box is None:
            return
        if self.node_id is None:
            problems = [p for p in self.editor.scene.problems if p.node_id is None]
        else:
            problems = self.editor.scene.problems_of(self.node_id)
        general: list[str] = []
        per_field: dict[str, str] = {}
        prefix = f"nodes[{self.node_id}].config."
        for problem in problems:
            if problem.location.startswith(prefix):
                key = problem.location[len(prefix) :].split(".", 1)[0].split("[", 1)[0]
                if key in self.rows:
                    per_field.setdefault(key, problem.message)
                    continue
            general.append(problem.message)
        for key, row in self.rows.items():
            message = per_field.get(key)
            if isinstance(row.widget, CheckedLineEdit):
                row.widget.set_error(message)
            elif isinstance(row.widget, KeyValueTable):
                if message:
                    row.widget.set_problems([message])
                else:
                    row.widget.set_problems([])
            elif isinstance(row.widget, QComboBox):
                row.widget.setStyleSheet(f"QComboBox {{ {ERROR_STYLE} }}" if message else "")
                row.widget.setToolTip(message or HELP.get(("", key), ""))
        if general:
            box.setText("Not ready to run:\n" + "\n".join(f"• {m}" for m in general))
            box.show()
        else:
            box.hide()

    def upstream_items(self) -> list[Any]:
        """The items that reached the selected node in the run shown (or the last live run)."""
        if self.node_id is None:
            return []
        run = self.editor.run.state or self.editor.run.last_live
        if run is None:
            return []
        flow = self.editor.document.flow
        edges = [(e.source_node, e.source_port, e.target_node, e.target_port) for e in flow.edges]
        return [item for items in run.inputs_of(self.node_id, edges).values() for item in items]

    def upstream_fields(self) -> list[str]:
        names = field_names(self.upstream_items())
        variables = list(self.editor.document.flow.variables)
        for node in self.editor.document.flow.nodes:
            if node.type == "trigger":
                variables += [str(k) for k in (node.config.get("variables") or {})]
        for name in variables:
            if name not in names:
                names.append(name)
            if f"vars.{name}" not in names:
                names.append(f"vars.{name}")
        return names

    def _field_preview(self, text: str) -> str | None:
        items = self.upstream_items()
        if not items:
            return "Preview: run the flow once to see what this finds"
        first = items[0] if isinstance(items[0], dict) else {}
        value = resolve(text.strip(), first, self.editor.document.flow.variables)
        if value.__class__ is object:
            fields = ", ".join(field_names(items)[:8])
            return f"Preview: no such field in the last sample (fields: {fields})"
        if isinstance(value, list):
            return f"Preview: a list of {len(value)}: {_short(value)}"
        return f"Preview: {_short(value)}"

    def focus_first_field(self) -> None:
        for row in self.rows.values():
            if row.widget.isVisible():
                row.widget.setFocus()
                return


def _show_text(widget: CheckedLineEdit, value: Any) -> None:
    widget.set_text("" if value is None else str(value))


def _show_list(widget: CheckedLineEdit, value: Any) -> None:
    widget.set_text(", ".join(map(str, value or [])))


def _show_bool(box: QCheckBox, default: Any, value: Any) -> None:
    box.setChecked(bool(default if value is None else value))


def _show_int(spin: QSpinBox, default: Any, value: Any) -> None:
    chosen = default if value is None else value
    spin.setValue(int(chosen) if isinstance(chosen, int | float) else spin.minimum())


def _show_table(table: KeyValueTable, value: Any) -> None:
    table.set_value(dict(value) if isinstance(value, dict) else {})


def _expression_problem(text: str) -> str | None:
    if not text.strip():
        return None
    try:
        check_expression(text)
    except ExpressionError as exc:
        return exc.problem + (f" at column {exc.column}" if exc.column is not None else "")
    return None


def _field_problem(text: str) -> str | None:
    text = text.strip()
    if text.startswith(".") or text.endswith(".") or ".." in text:
        return f"{text!r} is not a field name (dots separate nested fields: order.lines)"
    return None


def _jsonpath_problem(text: str) -> str | None:
    try:
        check_path(text)
    except InvalidJsonPathError as exc:
        return str(exc)
    return None


def _chain_focus_out(widget: QPlainTextEdit, then: Callable[[], None]) -> Callable[[Any], None]:
    original = widget.focusOutEvent

    def focus_out(event: Any) -> None:
        original(event)
        then()

    return focus_out
