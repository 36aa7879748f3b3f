"""The inspector: forms generated from the node config models, edited with the keyboard and mouse."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox

from flowdesk.ui.canvas import RunState
from flowdesk.ui.canvas._fields import CheckedLineEdit, KeyValueTable, TemplateLineEdit

from .conftest import click, drag_from_palette, node_header, open_workspace, spin_until, view_point

CTRL = Qt.KeyboardModifier.ControlModifier


def field(editor, key):  # type: ignore[no-untyped-def]
    return editor.inspector.rows[key].widget


def type_into(qtbot, widget: CheckedLineEdit, text: str, *, replace: bool = True) -> None:
    QTest.mouseClick(widget.edit, Qt.MouseButton.LeftButton)
    if replace:
        qtbot.keyClick(widget.edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(widget.edit, text)


def cell_editor(grid) -> TemplateLineEdit:  # type: ignore[no-untyped-def]
    """The line edit the table opened for the cell being edited."""
    editors = [w for w in grid.viewport().findChildren(TemplateLineEdit) if w.isVisible()]
    assert len(editors) == 1, editors
    return editors[0]


def fake_run(editor, samples: dict[str, dict[str, list]]) -> None:  # type: ignore[no-untyped-def]
    """A finished run whose nodes sent ``samples`` (node → port → items), as the run controller keeps it."""
    state = RunState([n.id for n in editor.document.flow.nodes], status="succeeded")
    for node_id, ports in samples.items():
        node = state.node(node_id)
        node.state = "done"
        node.samples = ports
        node.port_counts = {port: len(items) for port, items in ports.items()}
        node.items_out = sum(node.port_counts.values())
    editor.run.last_live = state
    editor.run.show_state(state)


def test_expressions_are_checked_while_typing_and_stored_on_enter(make_editor, qtbot):
    editor = make_editor()
    drag_from_palette(editor, "Condition", view_point(editor, QPointF(420, 40)))
    editor.scene.validate()
    item = editor.scene.nodes["condition1"]
    assert any("expression" in p for p in item.problems)  # not configured yet: red, with the reason
    assert "expression" in item.toolTip()

    expression = field(editor, "expression")
    type_into(qtbot, expression, "status ==")
    assert expression.message.isVisible()
    assert "invalid syntax" in expression.message.text() and "column 10" in expression.message.text()
    qtbot.keyClick(expression.edit, Qt.Key.Key_Return)
    assert editor.document.node("condition1").config == {"expression": "status =="}  # kept, marked invalid
    editor.scene.validate()
    assert item.problems

    type_into(qtbot, expression, "status == 200 and len(items) < limit")
    assert not expression.message.isVisible()
    qtbot.keyClick(expression.edit, Qt.Key.Key_Return)
    assert editor.document.node("condition1").config == {"expression": "status == 200 and len(items) < limit"}
    editor.scene.validate()
    assert item.problems == []
    assert item.summary == "status == 200 and len(items) < limit"

    editor.undo_stack.undo()  # the inspector follows undo
    assert editor.document.node("condition1").config == {"expression": "status =="}
    assert expression.text() == "status =="


def test_connection_and_entity_pickers_offer_only_existing_ones(make_editor, qtbot, data_dir):
    from flowdesk.demo import demo_connection_data
    from flowdesk.model import parse_connection

    ws = open_workspace(data_dir)
    ws.add_connection(parse_connection(demo_connection_data("http://127.0.0.1:9")))
    try:
        editor = make_editor(workspace=ws)
        drag_from_palette(editor, "API call", view_point(editor, QPointF(420, 40)))
        connection = field(editor, "connection")
        assert isinstance(connection, QComboBox)
        assert [connection.itemText(i) for i in range(connection.count())] == ["Choose a connection…", "demo-crm"]
        entity = field(editor, "entity")
        assert entity.itemText(0) == "Choose a connection first"
        connection.setFocus()
        qtbot.keyClick(connection, Qt.Key.Key_Down)
        assert editor.document.node("api_call1").config == {"connection": "demo-crm"}
        names = [entity.itemData(i) for i in range(1, entity.count())]
        assert "list_customers" in names and "get_customer" in names
        entity.setFocus()
        for _ in range(names.index("list_customers") + 1):
            qtbot.keyClick(entity, Qt.Key.Key_Down)
        assert editor.document.node("api_call1").config == {"connection": "demo-crm", "entity": "list_customers"}
        editor.scene.validate()
        assert editor.scene.nodes["api_call1"].problems == []
        assert editor.scene.nodes["api_call1"].summary == "demo-crm · list_customers"

        # a flow naming a connection that does not exist: shown as missing, the node is red
        editor.inspector.set_value("connection", "billing")
        editor.scene.validate()
        assert connection.currentText() == "billing (missing)"
        problems = editor.scene.nodes["api_call1"].problems
        assert any("no connection 'billing'" in p for p in problems)
        assert "border" in connection.styleSheet()  # marked at the field too

        # the palette lists the entities: dropping one gives a ready api_call node
        drag_from_palette(editor, "get_customer", view_point(editor, QPointF(420, 300)))
        node = editor.document.node("api_call2")
        assert node.config == {"connection": "demo-crm", "entity": "get_customer"}
        assert node.title == "Get customer"
    finally:
        ws.close()


def test_templates_complete_fields_seen_in_the_upstream_sample(make_editor, qtbot):
    editor = make_editor()
    drag_from_palette(editor, "Output file", view_point(editor, QPointF(420, 40)))
    editor.document.connect("start.out", "output1.in")
    fake_run(editor, {"start": {"out": [{"customerId": 7, "customer": {"name": "Ada"}}]}})
    click(editor.view.viewport(), node_header(editor, "output1"))
    path = field(editor, "path")
    assert isinstance(path.edit, TemplateLineEdit)
    type_into(qtbot, path, "out/{cust")
    popup = path.edit.completer_popup.popup()
    assert popup.isVisible()
    offered = [popup.model().index(i, 0).data() for i in range(popup.model().rowCount())]
    assert offered == ["customerId", "customer", "customer.name"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert path.text() == "out/{customerId}"
    qtbot.keyClicks(path.edit, ".jsonl")
    qtbot.keyClick(path.edit, Qt.Key.Key_Return)
    assert editor.document.node("output1").config == {"path": "out/{customerId}.jsonl"}

    # a broken placeholder is marked as one types
    type_into(qtbot, path, "out/{customer id}.jsonl")
    assert "not a placeholder" in path.message.text()


def test_tables_edit_dictionary_settings_with_completion(make_editor, qtbot, qloop):
    editor = make_editor()
    drag_from_palette(editor, "Transform", view_point(editor, QPointF(420, 40)))
    editor.document.connect("start.out", "transform1.in")
    fake_run(editor, {"start": {"out": [{"firstName": "Ada", "lastName": "Lovelace"}]}})
    click(editor.view.viewport(), node_header(editor, "transform1"))
    table = field(editor, "set")
    assert isinstance(table, KeyValueTable)
    grid = table.table
    # type a name in the first row: any key starts editing
    grid.setFocus()
    grid.setCurrentCell(0, 0)
    qtbot.keyClicks(grid, "f")
    cell = cell_editor(grid)
    qtbot.keyClicks(cell, "ullName")
    qtbot.keyClick(cell, Qt.Key.Key_Tab)  # on to the value cell, already editing
    value = cell_editor(grid)
    assert grid.currentColumn() == 1
    qtbot.keyClicks(value, "{first")
    popup = value.completer_popup.popup()
    assert popup.isVisible()
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.keyClicks(value, " {lastName}")
    qtbot.keyClick(value, Qt.Key.Key_Return)  # the table commits on the next turn of the loop
    expected = {"set": {"fullName": "{firstName} {lastName}"}}
    spin_until(qloop, lambda: editor.document.node("transform1").config == expected)
    assert grid.rowCount() == 2  # a fresh blank row to add the next one

    # compute values are expressions, checked
    compute = field(editor, "compute")
    compute.set_cell(0, 0, "total")
    compute.set_cell(0, 1, "price *")
    assert compute.message.isVisible() and "total:" in compute.message.text()
    assert editor.document.node("transform1").config["compute"] == {"total": "price *"}
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert "compute" not in editor.document.node("transform1").config


def test_field_paths_preview_the_value_in_the_last_sample(make_editor, qtbot):
    editor = make_editor()
    drag_from_palette(editor, "Loop", view_point(editor, QPointF(420, 40)))
    editor.document.connect("start.out", "loop1.in")
    click(editor.view.viewport(), node_header(editor, "loop1"))
    loop_field = field(editor, "field")
    type_into(qtbot, loop_field, "ids")
    assert "run the flow once" in loop_field.preview_label.text()
    fake_run(editor, {"start": {"out": [{"ids": [1, 2, 999999], "name": "x"}]}})
    loop_field.refresh_preview()
    assert loop_field.preview_label.text() == "Preview: a list of 3: [1, 2, 999999]"
    type_into(qtbot, loop_field, "idz")
    assert "no such field" in loop_field.preview_label.text() and "ids" in loop_field.preview_label.text()
    # switching the mode shows the fields of the other mode
    assert not field(editor, "expression").isVisible()
    mode = field(editor, "mode")
    mode.setFocus()
    qtbot.keyClick(mode, Qt.Key.Key_Down)
    assert editor.document.node("loop1").config["mode"] == "while"
    assert field(editor, "expression").isVisible()


def test_id_and_title_edits_rename_and_are_undoable(make_editor, qtbot):
    editor = make_editor()
    drag_from_palette(editor, "Collect", view_point(editor, QPointF(420, 40)))
    editor.document.connect("start.out", "collect1.in")
    inspector = editor.inspector
    type_into(qtbot, inspector.id_edit, "start")
    assert "already a node" in inspector.id_edit.message.text()
    type_into(qtbot, inspector.id_edit, "everything")
    qtbot.keyClick(inspector.id_edit.edit, Qt.Key.Key_Return)
    assert [e.target for e in editor.document.flow.edges] == ["everything.in"]
    assert "everything" in editor.scene.nodes and ("start.out", "everything.in") in editor.scene.wires
    type_into(qtbot, inspector.title_edit, "All of them")
    qtbot.keyClick(inspector.title_edit.edit, Qt.Key.Key_Return)
    assert editor.scene.nodes["everything"].title == "All of them"
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert editor.document.node("collect1").title is None
    assert [e.target for e in editor.document.flow.edges] == ["collect1.in"]
    assert inspector.id_edit.text() == "collect1"
