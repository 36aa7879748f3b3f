"""The canvas in the main window: the Flows page, and canvas keys winning over the window's shortcuts
while the canvas has the focus (F5 runs the flow instead of refreshing, Ctrl+1 zooms instead of
showing the Connections page, Ctrl+S saves the flow)."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from .conftest import example, open_workspace, spin_until

CTRL = Qt.KeyboardModifier.ControlModifier


def test_flows_page_runs_a_flow_with_f5_and_keeps_canvas_keys(qtbot, qloop, data_dir, demo_server):
    from flowdesk.demo import demo_connection_data
    from flowdesk.model import parse_connection
    from flowdesk.ui.main_window import MainWindow

    ws = open_workspace(data_dir)
    ws.add_connection(parse_connection(demo_connection_data(demo_server.base_url)))
    ws.save_flow(ws.validate_flow(example("error_handler")))
    window = MainWindow(ws, data_dir=data_dir, restore=False)
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.page_actions[1].trigger()
        page = window.flows_page
        assert window.pages.currentWidget() is page and page.names() == ["error_handler"]
        editor = page.open_flow("error_handler")
        editor.view.setFocus()

        refreshed: list[bool] = []
        window.refresh_action.triggered.connect(lambda: refreshed.append(True))
        QTest.keyClick(editor.view, Qt.Key.Key_F5)
        assert editor.run.running and not refreshed
        assert page.progress.isVisible()
        spin_until(qloop, lambda: editor.run.state is not None and editor.run.state.finished)
        assert editor.run.state.status == "succeeded"
        spin_until(qloop, lambda: not page.progress.isVisible())
        assert page.flow_list.topLevelItem(0).text(1) == "succeeded"

        editor.view.zoom_fit()
        QTest.keyClick(editor.view, Qt.Key.Key_1, CTRL)
        assert editor.view.zoom == 1.0 and window.pages.currentWidget() is page

        editor.add_node("collect", QPointF(300, 300))
        assert page.tabs.tabText(page.tabs.currentIndex()).startswith("●")
        QTest.keyClick(editor.view, Qt.Key.Key_S, CTRL)
        assert not editor.dirty
        assert ws.get_flow("error_handler").nodes[-1].type == "collect"
    finally:
        if shiboken6.isValid(window):
            window.close()
            qloop.run_until_complete(window.shutdown())
