"""Canvas tests: a flow editor on a qasync loop, driven with real mouse and keyboard events.

Mouse gestures go to the view's viewport (or the palette's) through ``QTest`` as a user's would: press,
moves, release. Waiting for async work spins the loop (``spin_until``); nothing sleeps.
"""

from __future__ import annotations

import json
from pathlib import Path

import PySide6  # noqa: F401  (import PySide6 before qasync)
import pytest
import shiboken6
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from tests.qt_loop import qloop, spin_until  # noqa: F401  (the fixture and the helper, shared)

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.flow.json").read_text(encoding="utf-8"))


def open_workspace(data_dir, name: str = "Default"):  # type: ignore[no-untyped-def]
    from flowdesk.workspace import Workspace

    return Workspace.open(data_dir, name, user="tester", master_password=lambda: "test-master-password")


@pytest.fixture()
def make_editor(qtbot, qloop):  # type: ignore[no-untyped-def]  # noqa: F811  (qloop: the shared fixture)
    """``make_editor(flow=None, workspace=None, data_dir=None)``: a shown FlowEditor, 1400×800."""
    from flowdesk.model.flow import Flow
    from flowdesk.ui._async import TaskKeeper
    from flowdesk.ui.canvas import CanvasServices, FlowDocument, FlowEditor, RecoveryStore, new_flow

    made = []

    def make(flow=None, workspace=None, data_dir=None, stored=True):  # type: ignore[no-untyped-def]
        if flow is None:
            flow = new_flow("Test flow")
        elif isinstance(flow, dict):
            flow = Flow.model_validate(flow)
        services = CanvasServices(workspace)
        recovery = RecoveryStore(data_dir, "Default") if data_dir is not None else None
        keeper = TaskKeeper()
        editor = FlowEditor(
            FlowDocument(flow, stored_name=flow.name if stored else None), services, keeper, recovery=recovery
        )
        qtbot.addWidget(editor)
        editor.resize(1400, 800)
        editor.show()
        qtbot.waitExposed(editor)
        editor.view.zoom_100()
        editor.view.centerOn(QPointF(450, 150))
        made.append((editor, keeper))
        return editor

    yield make
    for editor, keeper in made:
        if shiboken6.isValid(editor):
            editor.close_editor()
        qloop.run_until_complete(keeper.aclose())


# --- gestures ------------------------------------------------------------------------------------------


def view_point(editor, scene_point: QPointF) -> QPoint:  # type: ignore[no-untyped-def]
    return editor.view.mapFromScene(scene_point)


def drag_on_view(editor, start: QPoint, end: QPoint, *, steps: int = 6, modifiers=NO_MOD, button=LEFT) -> None:  # type: ignore[no-untyped-def]
    """Press at ``start``, move in steps, release at ``end`` (viewport coordinates)."""
    viewport = editor.view.viewport()
    QTest.mousePress(viewport, button, modifiers, start)
    for i in range(1, steps + 1):
        point = start + (end - start) * (i / steps)
        QTest.mouseMove(viewport, QPoint(round(point.x()), round(point.y())))
    QTest.mouseRelease(viewport, button, modifiers, end)


def port_point(editor, endpoint: str, *, output: bool) -> QPoint:  # type: ignore[no-untyped-def]
    node_id, port = endpoint.split(".", 1)
    item = editor.scene.nodes[node_id].port(port, output=output)
    assert item is not None, endpoint
    return view_point(editor, item.scene_center())


def wire(editor, source: str, target: str) -> None:  # type: ignore[no-untyped-def]
    """Drag a wire from the output ``source`` (node.port) to the input ``target``."""
    drag_on_view(editor, port_point(editor, source, output=True), port_point(editor, target, output=False))


def drag_from_palette(editor, title: str, to: QPoint) -> None:  # type: ignore[no-untyped-def]
    """Drag the palette entry titled ``title`` onto the view at ``to`` (viewport coordinates)."""
    tree = editor.node_palette.tree
    item = tree.findItems(title, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)[0]
    tree.scrollToItem(item)
    start = tree.visualItemRect(item).center()
    target = tree.viewport().mapFromGlobal(editor.view.viewport().mapToGlobal(to))
    QTest.mousePress(tree.viewport(), LEFT, NO_MOD, start)
    QTest.mouseMove(tree.viewport(), start + QPoint(12, 0))
    QTest.mouseMove(tree.viewport(), (start + target) / 2)
    QTest.mouseMove(tree.viewport(), target)
    QTest.mouseRelease(tree.viewport(), LEFT, NO_MOD, target)


def node_center(editor, node_id: str) -> QPoint:  # type: ignore[no-untyped-def]
    item = editor.scene.nodes[node_id]
    return view_point(editor, item.mapToScene(item.body_rect().center()))


def node_header(editor, node_id: str) -> QPoint:  # type: ignore[no-untyped-def]
    item = editor.scene.nodes[node_id]
    return view_point(editor, item.mapToScene(QPointF(60, 12)))


def click(widget, point: QPoint, modifiers=NO_MOD) -> None:  # type: ignore[no-untyped-def]
    QTest.mouseClick(widget, LEFT, modifiers, point)
