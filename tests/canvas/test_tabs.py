"""The Flows page: stored flows and open tabs, unsaved marks, copy/paste across tabs, autosave and crash
recovery, align and auto-layout, the minimap."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import shiboken6
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from flowdesk.ui.canvas._tabs import UNSAVED_MARK

from .conftest import EXAMPLES, click, drag_on_view, example, node_header, open_workspace, spin_until, view_point

CTRL = Qt.KeyboardModifier.ControlModifier
NO_MOD = Qt.KeyboardModifier.NoModifier


@pytest.fixture()
def bench(qtbot, qloop, data_dir):  # type: ignore[no-untyped-def]
    """A Flows page on a workspace with the examples stored (a demo connection, no server needed)."""
    from flowdesk.demo import demo_connection_data
    from flowdesk.model import parse_connection
    from flowdesk.ui._async import TaskKeeper
    from flowdesk.ui.canvas import CanvasServices, FlowsWorkbench

    ws = open_workspace(data_dir)
    ws.add_connection(parse_connection(demo_connection_data("http://127.0.0.1:9")))
    for name in ("error_handler", "two_step_create_publish"):
        ws.save_flow(ws.validate_flow(example(name)))
    keeper = TaskKeeper()
    page = FlowsWorkbench(CanvasServices(ws), keeper, data_dir=data_dir)
    qtbot.addWidget(page)
    page.resize(1500, 850)
    page.show()
    qtbot.waitExposed(page)
    yield page
    if shiboken6.isValid(page):
        page.shutdown()
    qloop.run_until_complete(keeper.aclose())
    ws.close()


def answer_text(qtbot, page, text: str) -> None:  # type: ignore[no-untyped-def]
    dialog = page.dialog
    assert isinstance(dialog, QInputDialog) and dialog.isVisible()
    edit = dialog.findChild(QLineEdit)
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def press_button(box: QMessageBox, button: QMessageBox.StandardButton) -> None:
    QTest.mouseClick(box.button(button), Qt.MouseButton.LeftButton)


def test_flows_list_new_open_rename_duplicate_delete(bench, qtbot):
    page = bench
    assert page.names() == ["error_handler", "two_step_create_publish"]
    assert page.right.currentIndex() == 0  # "No flow open"

    QTest.mouseClick(page.buttons["new"], Qt.MouseButton.LeftButton)
    answer_text(qtbot, page, "Nightly sync")
    assert "Nightly sync" in page.names()
    editor = page.tabs.current_editor()
    assert editor.document.name == "Nightly sync" and [n.type for n in editor.document.flow.nodes] == ["trigger"]
    assert page.tabs.tabText(page.tabs.currentIndex()) == "Nightly sync"

    # double-click opens; opening again switches to the tab
    item = page.flow_list.findItems("error_handler", Qt.MatchFlag.MatchExactly)[0]
    rect = page.flow_list.visualItemRect(item)
    # a double-click as Qt sees one: press, release, then the second press arriving as a double-click
    QTest.mouseClick(page.flow_list.viewport(), Qt.MouseButton.LeftButton, NO_MOD, rect.center())
    QTest.mouseDClick(page.flow_list.viewport(), Qt.MouseButton.LeftButton, NO_MOD, rect.center())
    assert page.tabs.count() == 2 and page.tabs.current_editor().document.name == "error_handler"
    assert page.open_flow("Nightly sync") is editor and page.tabs.count() == 2

    page.flow_list.setCurrentItem(page.flow_list.findItems("error_handler", Qt.MatchFlag.MatchExactly)[0])
    QTest.mouseClick(page.buttons["rename"], Qt.MouseButton.LeftButton)
    answer_text(qtbot, page, "Errors reported")
    assert "Errors reported" in page.names() and "error_handler" not in page.names()
    renamed = page.tabs.editor_for("Errors reported")
    assert renamed is not None and renamed.document.name == "Errors reported"
    assert page.tabs.tabText(page.tabs.indexOf(renamed)) == "Errors reported"

    QTest.mouseClick(page.buttons["duplicate"], Qt.MouseButton.LeftButton)
    assert "Errors reported copy" in page.names()

    page.flow_list.setCurrentItem(page.flow_list.findItems("Errors reported", Qt.MatchFlag.MatchExactly)[0])
    QTest.mouseClick(page.buttons["delete"], Qt.MouseButton.LeftButton)
    press_button(page.dialog, QMessageBox.StandardButton.Yes)
    assert "Errors reported" not in page.names()
    assert page.tabs.count() == 1  # its tab closed with it


def test_import_and_export_flow_files(bench, tmp_path):
    page = bench
    editor = page.import_file(EXAMPLES / "lookup_reference_data.flow.json")
    assert editor is not None and not editor.dirty
    assert "lookup_reference_data" in page.names()
    # the same file again is kept apart under a new name
    again = page.import_file(EXAMPLES / "lookup_reference_data.flow.json")
    assert again.document.name == "lookup_reference_data 2"

    # a flow naming a missing connection opens as a draft with its problems marked
    broken = example("delta_sync")
    broken["name"] = "elsewhere"
    for node in broken["nodes"]:
        if node["type"] == "api_call":
            node["config"]["connection"] = "salesforce"
    path = tmp_path / "elsewhere.flow.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    draft = page.import_file(path)
    assert draft.dirty and "elsewhere" not in page.names()
    assert page.tabs.tabText(page.tabs.indexOf(draft)).startswith(UNSAVED_MARK)
    draft.scene.validate()
    assert any("salesforce" in p for p in draft.scene.nodes["changes"].problems)

    out = tmp_path / "out.flow.json"
    assert page.export_flow("lookup_reference_data", out)
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["format"] == "flowdesk.flow" and exported["name"] == "lookup_reference_data"
    assert page.import_file(tmp_path / "missing.flow.json") is None


def test_unsaved_marks_save_and_the_close_prompt(bench, qtbot):
    page = bench
    editor = page.open_flow("error_handler")
    index = page.tabs.indexOf(editor)
    assert page.tabs.tabText(index) == "error_handler"
    editor.add_node("collect", QPointF(300, 300))
    assert page.tabs.tabText(index) == UNSAVED_MARK + "error_handler"
    editor.undo_stack.undo()  # back to what is stored: clean again
    assert page.tabs.tabText(index) == "error_handler"
    editor.add_node("delay", QPointF(300, 300))
    editor.inspector.set_value("seconds", 1.5)
    editor.view.setFocus()
    qtbot.keyClick(editor.view, Qt.Key.Key_S, CTRL)
    assert page.tabs.tabText(index) == "error_handler"
    stored = page.services.workspace.get_flow("error_handler")
    assert [n.id for n in stored.nodes][-1] == "delay1"

    # closing with changes asks; Cancel keeps the tab, Discard closes it
    editor.add_node("collect", QPointF(600, 300))
    page.tabs.tabCloseRequested.emit(index)
    box = page.tabs.pending_close
    press_button(box, QMessageBox.StandardButton.Cancel)
    assert page.tabs.count() == 1
    page.tabs.tabCloseRequested.emit(index)
    press_button(page.tabs.pending_close, QMessageBox.StandardButton.Discard)
    assert page.tabs.count() == 0
    assert [n.id for n in page.services.workspace.get_flow("error_handler").nodes][-1] == "delay1"

    # an invalid flow is not saved: the reason is given and the tab stays unsaved
    editor = page.open_flow("error_handler")
    messages: list[str] = []
    editor.message.connect(messages.append)
    editor.add_node("condition", QPointF(300, 500))
    assert not editor.save()
    assert messages[-1].startswith("Not saved: 1 problem")
    assert editor.dirty


def test_copy_paste_across_tabs_with_internal_wires(bench, qtbot):
    page = bench
    first = page.open_flow("error_handler")
    second = page.new_flow("Target")
    page.tabs.setCurrentWidget(first)
    first.scene.select_nodes(["get", "found", "report"])
    first.view.setFocus()
    qtbot.keyClick(first.view, Qt.Key.Key_C, CTRL)
    page.tabs.setCurrentWidget(second)
    second.view.setFocus()
    QTest.mouseMove(second.view.viewport(), view_point(second, QPointF(300, 200)))
    qtbot.keyClick(second.view, Qt.Key.Key_V, CTRL)
    flow = second.document.flow
    assert sorted(n.id for n in flow.nodes) == ["found", "get", "report", "start"]
    # only the wires between copied nodes come along
    assert {(e.source, e.target) for e in flow.edges} == {("get.out", "found.in"), ("get.error", "report.in")}
    assert sorted(second.scene.selected_node_ids()) == ["found", "get", "report"]
    expected = {"connection": "demo-crm", "entity": "get_customer", "params": {"id": "{customerId}"}}
    assert flow.node("get").config == expected
    # pasting again gives fresh ids, one undo step each
    qtbot.keyClick(second.view, Qt.Key.Key_V, CTRL)
    assert {"get2", "found2", "report2"} <= {n.id for n in flow.nodes}
    assert ("get2.out", "found2.in") in {(e.source, e.target) for e in flow.edges}
    second.undo_stack.undo()
    assert "get2" not in {n.id for n in flow.nodes}

    # duplicate (Ctrl+D) and cut (Ctrl+X) in the first tab
    page.tabs.setCurrentWidget(first)
    first.scene.select_nodes(["found"])
    first.view.setFocus()
    qtbot.keyClick(first.view, Qt.Key.Key_D, CTRL)
    copy = first.document.node("found2")
    assert copy.position.x == first.document.node("found").position.x + 40
    first.scene.select_nodes(["report", "failed"])
    qtbot.keyClick(first.view, Qt.Key.Key_X, CTRL)
    assert "report" not in {n.id for n in first.document.flow.nodes}
    qtbot.keyClick(first.view, Qt.Key.Key_Z, CTRL)
    assert {"report", "failed"} <= {n.id for n in first.document.flow.nodes}
    assert ("get.error", "report.in") in {(e.source, e.target) for e in first.document.flow.edges}


def test_every_edit_is_autosaved_and_removed_once_saved(bench, data_dir):
    page = bench
    editor = page.open_flow("two_step_create_publish")
    path = page.recovery.path_for(editor.recovery_key)
    assert not path.exists()
    editor.add_node("collect", QPointF(300, 300))
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["stored_name"] == "two_step_create_publish"
    assert "collect1" in [n["id"] for n in record["flow"]["nodes"]]
    node = editor.scene.nodes["collect1"]
    drag_on_view(editor, node_header(editor, "collect1"), node_header(editor, "collect1") + QPoint(100, 0))
    record = json.loads(path.read_text(encoding="utf-8"))
    moved = [n["position"]["x"] for n in record["flow"]["nodes"] if n["id"] == "collect1"]
    assert moved == [node.pos().x()]
    editor.undo_stack.undo()
    editor.undo_stack.undo()  # back to what is stored: nothing left to recover
    assert not path.exists()
    editor.add_node("collect", QPointF(300, 300))
    assert path.exists()
    assert editor.save()
    assert not path.exists()


CRASHING_SESSION = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from flowdesk.ui._async import TaskKeeper
    from flowdesk.ui.canvas import CanvasServices, FlowsWorkbench
    from flowdesk.workspace import Workspace
    data_dir = Path(sys.argv[1])
    ws = Workspace.open(data_dir, "Default", user="tester", master_password=lambda: "test-master-password")
    page = FlowsWorkbench(CanvasServices(ws), TaskKeeper(), data_dir=data_dir)
    editor = page.open_flow("error_handler")
    editor.add_node("collect", QPointF(300, 300), title="Unsaved work")
    draft = page.new_flow("Brand new")
    draft.add_node("delay", QPointF(300, 300))
    os.kill(os.getpid(), signal.SIGKILL)  # no clean shutdown, no save
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_session_is_offered_for_recovery(bench, data_dir, qtbot):
    page = bench
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FLOWDESK_MASTER_PASSWORD="test-master-password")
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_SESSION, str(data_dir)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert len(page.pending_recovery()) == 2

    box = page.offer_recovery()
    assert box is not None and "2 flows" in box.text() and "Brand new" in box.text()
    QTest.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    names = sorted(e.document.name for e in page.tabs.editors())
    assert names == ["Brand new", "error_handler"]
    recovered = page.tabs.editor_for("error_handler")
    assert recovered.dirty and recovered.document.node("collect1").title == "Unsaved work"
    assert page.tabs.tabText(page.tabs.indexOf(recovered)).startswith(UNSAVED_MARK)
    assert page.services.workspace.get_flow("error_handler").nodes[-1].id == "failed"  # the store was never touched
    assert recovered.save()
    assert page.services.workspace.get_flow("error_handler").nodes[-1].id == "collect1"
    assert len(page.recovery.pending(include_live=True)) == 1  # only "Brand new" is still unsaved


def test_align_and_auto_layout_are_single_undo_steps(bench, qtbot):
    page = bench
    editor = page.open_flow("error_handler")
    flow = editor.document.flow
    # scramble, then lay out left to right by topology
    for index, node in enumerate(flow.nodes):
        editor.document.move_node(node.id, (5 - index) * 90.0, (index % 2) * 300.0)
    editor.layout_action.trigger()
    xs = {n.id: n.position.x for n in flow.nodes}
    assert xs["start"] < xs["each_id"] < xs["get"] < xs["found"]
    assert xs["get"] < xs["report"] < xs["failed"]
    assert xs["found"] == xs["report"]  # the same column
    assert all(n.position.x % 20 == 0 and n.position.y % 20 == 0 for n in flow.nodes)
    assert editor.undo_stack.undoText() == "Auto layout"

    editor.scene.select_nodes(["found", "failed", "report"])
    three = ("found", "failed", "report")
    before = {n: (flow.node(n).position.x, flow.node(n).position.y) for n in three}
    steps = editor.undo_stack.count()
    editor.align("left")
    assert len({flow.node(n).position.x for n in three}) == 1
    editor.align("vspread")
    ys = sorted(flow.node(n).position.y for n in three)
    assert ys[1] - ys[0] == ys[2] - ys[1] > 0
    editor.align("hcenter")
    assert len({flow.node(n).position.y for n in three}) == 1
    editor.align("hspread")
    xs = sorted(flow.node(n).position.x for n in three)
    assert xs[0] == xs[2]  # spreading needs them apart first: all at one x, they stay
    while editor.undo_stack.index() > steps:
        editor.undo_stack.undo()
    assert {n: (flow.node(n).position.x, flow.node(n).position.y) for n in three} == before


def test_the_minimap_shows_the_flow_and_moves_the_view(bench, qtbot, qloop):
    page = bench
    editor = page.open_flow("error_handler")
    minimap = editor.minimap
    spin_until(qloop, lambda: editor.view.visible_scene_rect().contains(editor.scene.nodes_rect()))
    spin_until(qloop, lambda: not minimap.isVisible())  # the whole flow is in view: no minimap needed
    editor.view.zoom_100()
    editor.view.centerOn(QPointF(0, 0))
    spin_until(qloop, minimap.isVisible)
    viewport = editor.view.viewport().geometry()
    assert viewport.contains(minimap.geometry())  # in the view's corner
    before = editor.view.visible_scene_rect().center()
    click(minimap, QPoint(minimap.width() - 12, minimap.height() // 2))
    after = editor.view.visible_scene_rect().center()
    assert after.x() > before.x() + 200  # moved right, towards the end of the flow
    image = minimap.grab().toImage()
    assert image.width() == minimap.width()
    editor.minimap_action.setChecked(False)
    assert not minimap.isVisible()
