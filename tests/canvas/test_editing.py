"""Building a flow on the canvas with the mouse and keyboard: palette drops, wiring, moving, deleting,
selection, zoom and pan, quick-add — and undo/redo of every edit."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from flowdesk.ui.canvas._theme import GRID, NODE_WIDTH

from .conftest import (
    LEFT,
    NO_MOD,
    click,
    drag_from_palette,
    drag_on_view,
    node_header,
    port_point,
    view_point,
    wire,
)

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def edges(editor) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in editor.document.flow.edges}


def ids(editor) -> list[str]:
    return [n.id for n in editor.document.flow.nodes]


def test_drag_from_palette_adds_the_node_where_it_is_dropped(make_editor):
    editor = make_editor()
    target = view_point(editor, QPointF(400, 200))
    drag_from_palette(editor, "Condition", target)
    assert ids(editor) == ["start", "condition1"]
    node = editor.document.node("condition1")
    # the header lands under the cursor, snapped to the grid
    assert abs(node.position.x + NODE_WIDTH / 2 - 400) <= GRID and abs(node.position.y + 14 - 200) <= GRID
    assert node.position.x % GRID == 0 and node.position.y % GRID == 0
    assert editor.scene.selected_node_ids() == ["condition1"]
    assert not editor.scene.ghost.isVisible()

    editor.undo_stack.undo()
    assert ids(editor) == ["start"] and "condition1" not in editor.scene.nodes
    editor.undo_stack.redo()
    assert ids(editor) == ["start", "condition1"] and "condition1" in editor.scene.nodes


def test_dropping_outside_the_canvas_adds_nothing(make_editor):
    editor = make_editor()
    outside = QPoint(-300, 50)  # left of the view: over the palette
    drag_from_palette(editor, "Transform", outside)
    assert ids(editor) == ["start"]


def test_wire_follows_the_mouse_and_connects_output_to_input(make_editor):
    editor = make_editor()
    drag_from_palette(editor, "Transform", view_point(editor, QPointF(420, 40)))
    viewport = editor.view.viewport()
    start = port_point(editor, "start.out", output=True)
    middle = view_point(editor, QPointF(300, 220))
    QTest.mousePress(viewport, LEFT, NO_MOD, start)
    QTest.mouseMove(viewport, start + QPoint(20, 20))
    QTest.mouseMove(viewport, middle)
    temp = editor.scene._temp_wire
    assert temp.isVisible()
    end = temp.path().pointAtPercent(1.0)
    assert abs(end.x() - 300) < 3 and abs(end.y() - 220) < 3  # the curve ends at the cursor
    target = port_point(editor, "transform1.in", output=False)
    QTest.mouseMove(viewport, target)
    QTest.mouseRelease(viewport, LEFT, NO_MOD, target)
    assert not temp.isVisible()
    assert edges(editor) == {("start.out", "transform1.in")}
    assert ("start.out", "transform1.in") in editor.scene.wires

    editor.undo_stack.undo()
    assert edges(editor) == set() and not editor.scene.wires
    editor.undo_stack.redo()
    assert edges(editor) == {("start.out", "transform1.in")}


def test_incompatible_ports_are_refused_with_a_hint(make_editor, qtbot):
    editor = make_editor()
    messages: list[str] = []
    editor.message.connect(messages.append)
    drag_from_palette(editor, "Transform", view_point(editor, QPointF(420, 40)))
    drag_from_palette(editor, "Transform", view_point(editor, QPointF(720, 40)))
    wire(editor, "transform1.out", "transform2.in")
    assert edges(editor) == {("transform1.out", "transform2.in")}

    # a cycle: transform2.out → transform1.in
    viewport = editor.view.viewport()
    start = port_point(editor, "transform2.out", output=True)
    target = port_point(editor, "transform1.in", output=False)
    QTest.mousePress(viewport, LEFT, NO_MOD, start)
    QTest.mouseMove(viewport, start + QPoint(30, 40))
    QTest.mouseMove(viewport, target)
    assert editor.scene._drag_hint.isVisible()  # the reason shows at the cursor before the release
    assert "cycle" in editor.scene._drag_hint.text()
    QTest.mouseRelease(viewport, LEFT, NO_MOD, target)
    assert edges(editor) == {("transform1.out", "transform2.in")}
    assert any(m.startswith("Not connected:") and "cycle" in m for m in messages)

    # an error output cannot feed a while loop's again input
    drag_from_palette(editor, "Loop", view_point(editor, QPointF(420, 300)))
    editor.inspector.set_value("mode", "while")
    editor.inspector.set_value("expression", "hasMore")
    wire(editor, "transform2.error", "loop1.again")
    assert ("transform2.error", "loop1.again") not in edges(editor)
    assert "does not take error items" in messages[-1]
    assert editor.undo_stack.count() == 6  # 3 adds, 1 connect, 2 config edits: the refused wires pushed nothing


def test_dragging_a_connected_input_picks_the_wire_up(make_editor):
    editor = make_editor()
    drag_from_palette(editor, "Transform", view_point(editor, QPointF(420, 40)))
    drag_from_palette(editor, "Collect", view_point(editor, QPointF(420, 260)))
    wire(editor, "start.out", "transform1.in")
    # pick the wire up at transform1.in and drop it on collect1.in: one "reconnect" step
    drag_on_view(
        editor, port_point(editor, "transform1.in", output=False), port_point(editor, "collect1.in", output=False)
    )
    assert edges(editor) == {("start.out", "collect1.in")}
    editor.undo_stack.undo()
    assert edges(editor) == {("start.out", "transform1.in")}
    # picked up and dropped on nothing: the wire is removed
    drag_on_view(editor, port_point(editor, "transform1.in", output=False), view_point(editor, QPointF(250, 400)))
    assert edges(editor) == set()


def test_moving_nodes_snaps_to_the_grid_and_is_one_undo_step(make_editor):
    editor = make_editor()
    drag_from_palette(editor, "Transform", view_point(editor, QPointF(420, 40)))
    before = editor.document.node("transform1").position
    start = node_header(editor, "transform1")
    drag_on_view(editor, start, start + QPoint(97, 63))
    after = editor.document.node("transform1").position
    assert (after.x - before.x, after.y - before.y) == (100, 60)  # 97, 63 snapped to the 20 grid
    assert editor.undo_stack.undoText() == "Move node"
    # a wire follows its node
    wire(editor, "start.out", "transform1.in")
    wire_item = editor.scene.wires[("start.out", "transform1.in")]
    old_end = wire_item.path().pointAtPercent(1.0)
    drag_on_view(editor, node_header(editor, "transform1"), node_header(editor, "transform1") + QPoint(0, 80))
    assert wire_item.path().pointAtPercent(1.0).y() == old_end.y() + 80
    editor.undo_stack.undo()
    assert wire_item.path().pointAtPercent(1.0).y() == old_end.y()
    assert editor.document.node("transform1").position == after

    # without snapping, positions are kept as dragged
    editor.snap_action.setChecked(False)
    start = node_header(editor, "transform1")
    drag_on_view(editor, start, start + QPoint(7, 3))
    moved = editor.document.node("transform1").position
    assert (moved.x - after.x, moved.y - after.y) == (7, 3)


def test_delete_key_removes_nodes_with_their_wires_and_undo_restores_them(make_editor, qtbot):
    editor = make_editor()
    drag_from_palette(editor, "Transform", view_point(editor, QPointF(420, 40)))
    drag_from_palette(editor, "Collect", view_point(editor, QPointF(720, 40)))
    wire(editor, "start.out", "transform1.in")
    wire(editor, "transform1.out", "collect1.in")
    click(editor.view.viewport(), node_header(editor, "transform1"))
    assert editor.scene.selected_node_ids() == ["transform1"]
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete)
    assert ids(editor) == ["start", "collect1"] and edges(editor) == set()
    assert "transform1" not in editor.scene.nodes and not editor.scene.wires
    qtbot.keyClick(editor.view, Qt.Key.Key_Z, CTRL)
    assert ids(editor) == ["start", "collect1", "transform1"]
    assert edges(editor) == {("start.out", "transform1.in"), ("transform1.out", "collect1.in")}
    assert len(editor.scene.wires) == 2

    # a wire alone: click on it, Backspace
    wire_item = editor.scene.wires[("transform1.out", "collect1.in")]
    click(editor.view.viewport(), view_point(editor, wire_item.path().pointAtPercent(0.5)))
    assert editor.scene.selected_edges() == [wire_item.edge]
    qtbot.keyClick(editor.view, Qt.Key.Key_Backspace)
    assert edges(editor) == {("start.out", "transform1.in")}
    qtbot.keyClick(editor.view, Qt.Key.Key_Z, CTRL)
    assert len(edges(editor)) == 2
    qtbot.keyClick(editor.view, Qt.Key.Key_Z, CTRL | SHIFT)  # redo
    assert edges(editor) == {("start.out", "transform1.in")}


def test_rubber_band_and_shift_or_ctrl_click_select_several(make_editor):
    editor = make_editor()
    for x in (420, 720):
        drag_from_palette(editor, "Transform", view_point(editor, QPointF(x, 40)))
    drag_from_palette(editor, "Collect", view_point(editor, QPointF(420, 300)))
    click(editor.view.viewport(), view_point(editor, QPointF(200, 400)))  # empty canvas clears
    assert editor.scene.selected_node_ids() == []
    # a rectangle around the two transforms
    drag_on_view(editor, view_point(editor, QPointF(250, -10)), view_point(editor, QPointF(880, 140)))
    assert sorted(editor.scene.selected_node_ids()) == ["transform1", "transform2"]
    # shift+click adds, ctrl+click toggles
    click(editor.view.viewport(), node_header(editor, "collect1"), SHIFT)
    assert sorted(editor.scene.selected_node_ids()) == ["collect1", "transform1", "transform2"]
    click(editor.view.viewport(), node_header(editor, "transform2"), CTRL)
    assert sorted(editor.scene.selected_node_ids()) == ["collect1", "transform1"]
    # shift+rubber band adds to the selection
    click(editor.view.viewport(), node_header(editor, "start"))
    drag_on_view(editor, view_point(editor, QPointF(650, -10)), view_point(editor, QPointF(880, 140)), modifiers=SHIFT)
    assert sorted(editor.scene.selected_node_ids()) == ["start", "transform2"]
    # moving a selection moves every selected node, as one step
    before = {n: editor.document.node(n).position for n in ("start", "transform2")}
    drag_on_view(editor, node_header(editor, "start"), node_header(editor, "start") + QPoint(0, 100))
    for n in ("start", "transform2"):
        assert editor.document.node(n).position.y == before[n].y + 100
    assert editor.undo_stack.undoText() == "Move 2 nodes"


def test_zoom_with_wheel_and_keys_and_pan_with_middle_or_space_drag(make_editor, qtbot):
    editor = make_editor()
    view = editor.view
    assert view.zoom == 1.0
    anchor = view_point(editor, QPointF(300, 100))
    scene_before = view.mapToScene(anchor)
    QTest.mouseMove(view.viewport(), anchor)
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    event = QWheelEvent(
        QPointF(anchor),
        QPointF(view.viewport().mapToGlobal(anchor)),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        NO_MOD,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom > 1.3
    after = view.mapToScene(anchor)
    assert abs(after.x() - scene_before.x()) < 2 and abs(after.y() - scene_before.y()) < 2  # zooms at the cursor
    assert editor.zoom_label.text() == f"{view.zoom * 100:.0f}%"

    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_1, CTRL)
    assert view.zoom == 1.0
    for x in (1400, 2600):
        editor.add_node("transform", QPointF(x, 900))
    qtbot.keyClick(view, Qt.Key.Key_0, CTRL)
    assert view.zoom < 1.0
    assert view.visible_scene_rect().contains(editor.scene.nodes_rect())

    # middle-drag pans by the distance dragged (in screen pixels)
    qtbot.keyClick(view, Qt.Key.Key_1, CTRL)
    center = view.mapToScene(view.viewport().rect().center())
    drag_on_view(editor, QPoint(400, 300), QPoint(300, 250), button=Qt.MouseButton.MiddleButton)
    moved = view.mapToScene(view.viewport().rect().center())
    assert round(moved.x() - center.x()) == 100 and round(moved.y() - center.y()) == 50
    assert len(editor.document.flow.nodes) == 3  # nothing was moved or selected

    # space + left drag pans too (and does not start a rubber band)
    selected = editor.scene.selected_node_ids()
    QTest.keyPress(view, Qt.Key.Key_Space)
    drag_on_view(editor, QPoint(300, 300), QPoint(360, 300))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    again = view.mapToScene(view.viewport().rect().center())
    assert round(again.x() - moved.x()) == -60
    assert editor.scene.selected_node_ids() == selected


def test_tab_opens_quick_add_at_the_cursor_and_enter_adds(make_editor, qtbot):
    editor = make_editor()
    view = editor.view
    view.setFocus()
    QTest.mouseMove(view.viewport(), view_point(editor, QPointF(500, 300)))
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    popup = editor.quick_add
    assert popup.isVisible()
    assert any("Condition" in label for label in popup.labels())
    qtbot.keyClicks(popup.search, "cond")
    assert [label.split("  ")[0] for label in popup.labels()] == ["Condition"]
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert "condition1" in ids(editor)
    node = editor.document.node("condition1")
    assert abs(node.position.x + NODE_WIDTH / 2 - 500) <= GRID and abs(node.position.y + 14 - 300) <= GRID

    # a double-click on empty canvas opens it too; Esc closes without adding
    QTest.mouseDClick(view.viewport(), LEFT, NO_MOD, view_point(editor, QPointF(200, 450)))
    assert popup.isVisible()
    qtbot.keyClick(popup.search, Qt.Key.Key_Escape)
    assert not popup.isVisible()
    assert len(ids(editor)) == 2


def test_a_wire_dropped_on_empty_canvas_offers_the_types_that_fit(make_editor, qtbot):
    editor = make_editor()
    drag_on_view(editor, port_point(editor, "start.out", output=True), view_point(editor, QPointF(500, 200)))
    popup = editor.quick_add
    assert popup.isVisible()
    assert popup.heading.text() == "Add a node after start.out"
    labels = [label.split("  ")[0] for label in popup.labels()]
    assert "Trigger" not in labels and "Transform" in labels  # a trigger has no input
    qtbot.keyClicks(popup.search, "transform")
    qtbot.keyClick(popup.search, Qt.Key.Key_Down)
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert ids(editor) == ["start", "transform1"]
    assert edges(editor) == {("start.out", "transform1.in")}
    # added and connected in one undo step
    editor.undo_stack.undo()
    assert ids(editor) == ["start"] and edges(editor) == set()
