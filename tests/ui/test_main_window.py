"""The main window, driven like a user would: sidebar, workspace switcher, demo offer, tests, entities."""

from __future__ import annotations

import json

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QMessageBox

from flowdesk.model import Connection
from flowdesk.ui.connections import DiscoverDialog, EntityDialog, NewConnectionDialog
from flowdesk.ui.main_window import NEW_WORKSPACE, MainWindow

from .conftest import spin_until
from .helpers import DISCOVERY_FIXTURES, closed_port_url, demo_connection, open_workspace

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture()
def make_window(qtbot, qloop, data_dir):
    windows: list[MainWindow] = []

    def make(workspace=None, **kwargs) -> MainWindow:
        ws = workspace or open_workspace(data_dir)
        window = MainWindow(ws, data_dir=data_dir, **kwargs)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if shiboken6.isValid(window):
            window.close()
            qloop.run_until_complete(window.shutdown())


def test_window_has_sidebar_switcher_and_status_bar(make_window):
    window = make_window()
    pages = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert pages == ["Connections", "Flows", "Runs", "Audit"]
    items = [window.workspace_combo.itemText(i) for i in range(window.workspace_combo.count())]
    assert "Default" in items and NEW_WORKSPACE in items
    assert window.workspace_combo.currentText() == "Default"
    assert "Workspace Default" in window.workspace_label.text()
    assert window.right_stack.currentWidget() is window.welcome
    assert window.demo_button.isVisible()

    window.sidebar.setCurrentRow(1)
    assert window.pages.currentIndex() == 1
    assert window.flows_page.names() == [] and window.flows_page.right.currentIndex() == 0  # nothing open yet
    window.sidebar.setCurrentRow(2)
    assert window.runs_stack.currentIndex() == 0


def test_demo_offer_creates_the_demo_connection_and_it_tests_ok(qtbot, qloop, make_window):
    window = make_window()
    qtbot.mouseClick(window.demo_button, LEFT)
    spin_until(qloop, lambda: len(window.connection_list.names()) == 1)
    name = window.connection_list.names()[0]
    assert window.connection_list.selected_name() == name
    assert window.panel.connection == name
    assert window.right_stack.currentWidget() is window.panel
    assert window.panel.entities.table.rowCount() > 0
    assert window.connection_list.status_of(name) == "untested"

    qtbot.mouseClick(window.panel.test_panel.test_button, LEFT)
    spin_until(qloop, lambda: window.panel.test_panel.result is not None)
    panel = window.panel.test_panel
    assert panel.verdict.text().startswith("✓")
    assert panel.status_label.text().startswith("2")
    assert panel.time_label.text().endswith("ms")
    assert panel.preview.toPlainText().strip()
    spin_until(qloop, lambda: window.connection_list.status_of(name) == "connected")


def test_test_connection_against_a_closed_port_fails_with_a_hint(qtbot, qloop, make_window, data_dir):
    ws = open_workspace(data_dir)
    ws.add_connection(Connection(name="down", base_url=closed_port_url(), timeout=5, retry={"count": 0}))
    window = make_window(ws)
    assert window.connection_list.selected_name() == "down"
    window.test_action.trigger()  # Ctrl+T
    spin_until(qloop, lambda: window.panel.test_panel.result is not None, timeout=30)
    panel = window.panel.test_panel
    assert panel.verdict.text().startswith("✗")
    assert panel.status_label.text() == "no response"
    assert panel.error_label.isVisible() and panel.error_label.text()
    assert panel.hint_label.isVisible() and "What to check" in panel.hint_label.text()
    spin_until(qloop, lambda: window.connection_list.status_of("down") == "failing")


def test_test_connection_ok_against_the_demo_server(qtbot, qloop, make_window, data_dir, demo_server):
    ws = open_workspace(data_dir)
    ws.add_connection(demo_connection(demo_server.base_url, name="crm"))
    window = make_window(ws)
    qtbot.mouseClick(window.panel.test_panel.test_button, LEFT)
    spin_until(qloop, lambda: window.panel.test_panel.result is not None)
    assert window.panel.test_panel.result.ok
    assert window.panel.test_panel.verdict.text() == "✓ Connected"


def test_new_connection_through_the_type_picker(qtbot, qloop, make_window):
    window = make_window()
    qtbot.mouseClick(window.welcome_new_button, LEFT)
    dialog = window.dialog
    assert isinstance(dialog, NewConnectionDialog)
    dialog.choose("graphql")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    editor = window.panel.editor
    assert editor.is_new and editor.service == "graphql"
    assert window.right_stack.currentWidget() is window.panel
    assert not window.panel.tabs.isTabEnabled(1)  # entities only once saved
    editor.base_url_edit.setText("https://gql.example.com/graphql")
    window.save_action.trigger()  # Ctrl+S
    assert window.connection_list.names() == ["my-graphql"]
    assert window.workspace.get_connection("my-graphql").service == "graphql"
    assert window.panel.tabs.isTabEnabled(1)


def test_entities_add_edit_delete(qtbot, qloop, make_window, data_dir):
    ws = open_workspace(data_dir)
    ws.add_connection(Connection(name="crm", base_url="https://crm.example.com"))
    window = make_window(ws)
    tab = window.panel.entities
    window.panel.tabs.setCurrentWidget(tab)
    assert tab.table.rowCount() == 0

    qtbot.mouseClick(tab.add_button, LEFT)
    dialog = tab.dialog
    assert isinstance(dialog, EntityDialog)
    qtbot.keyClicks(dialog.name_edit, "customers")
    qtbot.keyClicks(dialog.path_edit, "/customers")
    qtbot.keyClicks(dialog.data_path_edit, "$.data[")  # invalid JSONPath: refused at the field
    dialog.pagination_combo.setCurrentIndex(dialog.pagination_combo.findData("offset"))
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, LEFT)
    assert dialog.isVisible() and dialog.boxes["data_path"].error
    dialog.data_path_edit.setText("$.data")
    limit = dialog.pagination_fields["offset"]["limit"].editor
    limit.setValue(50)
    qtbot.mouseClick(ok, LEFT)
    assert not dialog.isVisible()
    [entity] = ws.entities("crm")
    assert (entity.name, entity.path, entity.data_path) == ("customers", "/customers", "$.data")
    assert entity.pagination.type == "offset" and entity.pagination.limit == 50
    assert tab.table.item(0, 0).text() == "customers"

    tab.table.selectRow(0)
    qtbot.mouseClick(tab.edit_button, LEFT)
    dialog = tab.dialog
    assert dialog.name_edit.text() == "customers"
    dialog.method_combo.setCurrentText("POST")
    dialog.path_edit.setText("/customers/search")
    dialog.idempotent.setChecked(True)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), LEFT)
    [entity] = ws.entities("crm")
    assert (entity.method, entity.path, entity.idempotent) == ("POST", "/customers/search", True)
    assert tab.table.item(0, 1).text() == "POST"

    tab.table.selectRow(0)
    qtbot.mouseClick(tab.delete_button, LEFT)
    box = tab.dialog
    assert isinstance(box, QMessageBox) and "customers" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert len(ws.entities("crm")) == 1
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)  # the Delete key asks too
    tab.dialog.button(QMessageBox.StandardButton.Yes).click()
    assert ws.entities("crm") == []
    assert tab.table.rowCount() == 0 and tab.empty.isVisible()


@pytest.mark.parametrize(
    ("kind", "source", "expected"),
    [
        ("openapi", "{demo}/openapi.json", "list_customers"),
        ("openapi", str(DISCOVERY_FIXTURES / "petstore-classic.swagger.json"), None),
        ("odata", "{fixtures}/odata/", "People"),
        ("graphql", "{fixtures}/graphql", "users"),
    ],
    ids=["openapi-url", "openapi-file", "odata-url", "graphql-url"],
)
def test_discover_imports_entities(
    qtbot, qloop, make_window, data_dir, demo_server, fixture_server, kind, source, expected
):
    ws = open_workspace(data_dir)
    base = demo_server.base_url if kind == "openapi" else fixture_server.base_url
    key = {"type": "api_key", "name": "X-API-Key", "key": "demo-key"}
    ws.add_connection(Connection(name="api", base_url=base, auth=key))
    window = make_window(ws)
    tab = window.panel.entities
    window.panel.tabs.setCurrentWidget(tab)
    assert tab.discover_button.isVisible()
    qtbot.mouseClick(tab.discover_button, LEFT)
    dialog = tab.dialog
    assert isinstance(dialog, DiscoverDialog)
    dialog.choose(kind)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), LEFT)
    assert dialog.isVisible() and dialog.source_box.error  # no source: refused at the field
    dialog.source.setText(source.format(demo=demo_server.base_url, fixtures=fixture_server.base_url))
    found = []
    tab.discovered.connect(found.append)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), LEFT)
    spin_until(qloop, lambda: bool(found))
    assert found[0] > 0, tab.report_label.text()
    names = [e.name for e in ws.entities("api")]
    assert len(names) == found[0] == tab.table.rowCount()
    if expected is not None:
        assert any(expected.lower() in name.lower() for name in names), names
    assert tab.report_label.isVisible() and tab.report_label.text().startswith(f"Discovered {found[0]} ")
    # the tester and the test panel offer the new entities at once
    assert window.panel.tester.entity_combo.count() == found[0] + 1
    assert window.panel.test_panel.target_combo.count() == found[0] + 1


def test_discover_failure_is_reported_with_what_to_check(qtbot, qloop, make_window, data_dir):
    ws = open_workspace(data_dir)
    ws.add_connection(Connection(name="api", base_url=closed_port_url(), retry={"count": 0}))
    window = make_window(ws)
    tab = window.panel.entities
    dialog = tab.discover()
    dialog.source.setText(closed_port_url() + "/openapi.json")
    found = []
    tab.discovered.connect(found.append)
    dialog.try_accept()
    spin_until(qloop, lambda: bool(found), timeout=30)
    assert found == [-1]
    assert tab.report_label.text().startswith("Discovery failed:") and "What to check" in tab.report_label.text()
    assert tab.discover_button.isEnabled()


def test_geometry_and_selection_are_restored(qtbot, qloop, make_window, data_dir):
    ws = open_workspace(data_dir)
    for name in ("alpha", "beta", "gamma"):
        ws.add_connection(Connection(name=name, base_url=f"https://{name}.example.com"))
    first = make_window(ws)
    first.resize(780, 600)
    first.connection_list.select_name("beta")
    first.panel.tabs.setCurrentIndex(1)
    first.close()
    assert (data_dir / "ui_state.json").is_file()

    second = make_window(open_workspace(data_dir))
    assert (second.width(), second.height()) == (780, 600)
    assert second.connection_list.selected_name() == "beta"
    assert second.panel.connection == "beta"
    assert second.panel.tabs.currentIndex() == 1


def test_delete_connection_asks_first(qtbot, make_window, data_dir):
    ws = open_workspace(data_dir)
    ws.add_connection(Connection(name="old", base_url="https://old.example.com"))
    window = make_window(ws)
    qtbot.mouseClick(window.delete_button, LEFT)
    box = window.dialog
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Yes).click()
    assert window.workspace.list_connections() == []
    assert window.right_stack.currentWidget() is window.welcome


def test_new_workspace_from_the_switcher(qtbot, qloop, make_window):
    window = make_window()
    index = window.workspace_combo.findText(NEW_WORKSPACE)
    window.workspace_combo.activated.emit(index)
    dialog = window.dialog
    dialog.findChild(QLineEdit).setText("Team")
    dialog.accept()
    assert window.workspace.name == "Team"
    assert window.workspace_combo.currentText() == "Team"
    assert "Workspace Team" in window.workspace_label.text()
    spin_until(qloop, lambda: not window.keeper.busy)


def test_run_app_runs_the_window_on_one_qasync_loop_until_closed(qapp, data_dir):
    from flowdesk.ui import run_app

    seen: list[MainWindow] = []

    def close_window() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                seen.append(widget)
                widget.close()

    QTimer.singleShot(300, close_window)
    assert run_app(data_dir, None, "tester", lambda: "test-master-password") == 0
    assert seen and seen[0].workspace.name == "Default"
    assert (data_dir / "ui_state.json").is_file()


def test_leaving_unsaved_changes_asks_to_save(qtbot, make_window, data_dir):
    ws = open_workspace(data_dir)
    for name in ("alpha", "beta"):
        ws.add_connection(Connection(name=name, base_url=f"https://{name}.example.com"))
    window = make_window(ws)
    assert window.panel.connection == "alpha"
    editor = window.panel.editor
    editor.base_url_edit.setText("https://alpha-eu.example.com")
    window.connection_list.select_name("beta")
    box = window.dialog
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.connection_list.selected_name() == "alpha"
    assert window.panel.connection == "alpha"

    window.connection_list.select_name("beta")
    window.dialog.button(QMessageBox.StandardButton.Save).click()
    assert window.workspace.get_connection("alpha").base_url == "https://alpha-eu.example.com"
    assert window.panel.connection == "beta"


def _example_flow(ws, connection: str) -> str:
    """Store the bundled example flow that lists customers, pointed at ``connection``; returns its name."""
    from flowdesk.ui.resources import resource_path

    data = json.loads(resource_path("examples", "list_all_customers.flow.json").read_text(encoding="utf-8"))
    for node in data["nodes"]:
        if node["config"].get("connection"):
            node["config"]["connection"] = connection
    ws.save_flow(ws.validate_flow(data))
    return data["name"]


def test_flows_and_runs_pages_list_what_the_workspace_holds(qtbot, qloop, make_window, data_dir, demo_server):
    ws = open_workspace(data_dir)
    ws.add_connection(demo_connection(demo_server.base_url, name="crm"))
    name = _example_flow(ws, "crm")
    finished = ws.store.start_run(ws.name, name, "manual")
    ws.store.finish_run(finished, "failed", "page 3 answered 503", {"items": 120, "api_calls": 4, "retries": 1}, [])
    window = make_window(ws)

    window.page_actions[1].trigger()  # Ctrl+2
    assert window.pages.currentIndex() == 1 and window.flows_page.names() == [name]
    row = window.flows_page.flow_list.topLevelItem(0)
    assert [row.text(c) for c in (0, 1)] == [name, "failed"]
    editor = window.flows_page.open_flow(name)  # the canvas shows its nodes
    assert editor.scene.nodes["customers"].summary.startswith("crm · list_customers")

    window.page_actions[2].trigger()  # Ctrl+3
    assert window.pages.currentIndex() == 2 and window.runs_stack.currentIndex() == 1
    run = window.runs_list.topLevelItem(0)
    assert [run.text(c) for c in (1, 2, 3, 5)] == [name, "failed", "manual", "120"]
    assert run.text(6) == "page 3 answered 503"
    detail = window.run_detail.toPlainText()
    assert "Status    failed" in detail and "page 3 answered 503" in detail and "Retries   1" in detail


def test_a_run_made_in_the_workspace_appears_on_refresh(qtbot, qloop, make_window, data_dir, demo_server, tmp_path):
    ws = open_workspace(data_dir)
    ws.add_connection(demo_connection(demo_server.base_url, name="crm"))
    name = _example_flow(ws, "crm")
    window = make_window(ws)
    window.show_page(2)
    assert window.runs_stack.currentIndex() == 0  # nothing run yet: the empty state says so
    result = qloop.run_until_complete(ws.run_flow(ws.get_flow(name), variables={"outDir": str(tmp_path)}))
    assert result.status == "succeeded"
    window.refresh_action.trigger()  # F5
    run = window.runs_list.topLevelItem(0)
    assert (run.text(1), run.text(2)) == (name, "succeeded")
    assert "API calls" in window.run_detail.toPlainText()


def test_connection_list_shows_status_service_and_last_use(qtbot, qloop, make_window, data_dir, demo_server):
    from flowdesk.ui.connections._list import DETAIL_ROLE, SERVICE_ROLE, STATUS_ROLE

    ws = open_workspace(data_dir)
    ws.add_connection(demo_connection(demo_server.base_url, name="crm"))
    ws.add_connection(Connection(name="down", base_url=closed_port_url(), retry={"count": 0}))
    ws.add_connection(Connection(name="gql", service="graphql", base_url="https://gql.example.com/graphql"))
    window = make_window(ws)
    listing = window.connection_list

    def row(name: str):
        return listing.item(listing.names().index(name))

    assert {n: row(n).data(STATUS_ROLE) for n in listing.names()} == {
        "crm": "untested", "down": "untested", "gql": "untested"
    }  # fmt: skip
    assert row("gql").data(SERVICE_ROLE) == "graphql" and row("crm").data(SERVICE_ROLE) == "rest"
    assert row("crm").data(DETAIL_ROLE).startswith("never used · 127.0.0.1:")

    qloop.run_until_complete(ws.call("crm", "list_regions"))
    listing.select_name("down")
    window.test_action.trigger()
    spin_until(qloop, lambda: listing.status_of("down") == "failing", timeout=30)
    assert listing.status_of("crm") == "connected"  # its last call worked
    assert row("crm").data(DETAIL_ROLE).startswith("used just now · 127.0.0.1:")
    image = listing.grab().toImage()  # the delegate paints dots, icons and both lines
    assert not image.isNull()
    assert "Workspace Default · 3 connections" in window.workspace_label.text()


def test_editing_a_connection_that_flows_use_warns_which(qtbot, make_window, data_dir):
    ws = open_workspace(data_dir)
    ws.add_connection(demo_connection("http://127.0.0.1:1", name="crm"))
    ws.add_connection(Connection(name="other", base_url="https://other.example.com"))
    name = _example_flow(ws, "crm")
    window = make_window(ws)
    window.connection_list.select_name("crm")
    warning = window.panel.editor.flows_warning
    assert warning.isVisible()
    assert f"Used by 1 flow: {name!r}" in warning.text() and "renaming breaks them" in warning.text()
    window.connection_list.select_name("other")
    assert not warning.isVisible()


def test_keyboard_shortcuts_drive_the_window(qtbot, qloop, make_window, data_dir, demo_server):
    ws = open_workspace(data_dir)
    ws.add_connection(demo_connection(demo_server.base_url, name="crm"))
    window = make_window(ws)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    ctrl = Qt.KeyboardModifier.ControlModifier

    qtbot.keyClick(window, Qt.Key.Key_2, ctrl)
    assert window.pages.currentIndex() == 1
    qtbot.keyClick(window, Qt.Key.Key_1, ctrl)
    assert window.pages.currentIndex() == 0

    qtbot.keyClick(window, Qt.Key.Key_T, ctrl)  # test the selected connection
    spin_until(qloop, lambda: window.panel.test_panel.result is not None)
    assert window.panel.test_panel.result.ok

    window.panel.editor.description_edit.setText("the CRM")
    qtbot.keyClick(window, Qt.Key.Key_S, ctrl)
    assert ws.get_connection("crm").description == "the CRM"

    qtbot.keyClick(window, Qt.Key.Key_N, ctrl)
    assert isinstance(window.dialog, NewConnectionDialog) and window.dialog.isVisible()
    window.dialog.reject()

    keys = dict((what, keys) for keys, what in window.shortcut_table())
    assert keys["New connection"] == QKeySequence("Ctrl+N").toString(QKeySequence.SequenceFormat.NativeText)
    assert "Send the request (request tester)" in keys
    window.shortcuts_action.trigger()
    assert "Ctrl" in window.dialog.text() and window.dialog.isVisible()
    window.dialog.close()
    assert all(action.toolTip().endswith(")") for action in (window.new_action, window.test_action))


def test_tab_order_follows_the_editor_top_to_bottom(qtbot, make_window):
    window = make_window()
    window.start_new_connection("rest")
    editor = window.panel.editor
    window.activateWindow()
    editor.name_edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.name_edit)
    order = [editor.name_edit]
    for _ in range(4):
        focused = QApplication.focusWidget()
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order[1:] == [
        editor.base_url_edit, editor.description_edit, editor.timeout_spin, editor.auth_combo
    ]  # fmt: skip


def test_the_palette_follows_the_system_light_or_dark_setting(qtbot, make_window):
    window = make_window()
    app = QApplication.instance()
    hints = QGuiApplication.styleHints()
    sidebar_light = window.sidebar.styleSheet()
    try:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert window.sidebar.styleSheet() != sidebar_light  # style sheets built from the palette follow too
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200
        assert window.sidebar.styleSheet() == sidebar_light
    finally:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)


def test_switching_to_another_workspace_shows_its_connections(qtbot, qloop, make_window, data_dir):
    other = open_workspace(data_dir, "Team")
    other.add_connection(Connection(name="team-api", base_url="https://team.example.com"))
    other.close()
    window = make_window()
    assert window.connection_list.names() == []
    window.workspace_combo.activated.emit(window.workspace_combo.findData("Team"))
    assert window.workspace.name == "Team"
    assert window.connection_list.names() == ["team-api"]
    assert window.panel.connection == "team-api"
    spin_until(qloop, lambda: not window.keeper.busy)
    window.workspace_combo.activated.emit(window.workspace_combo.findData("Default"))
    assert window.workspace.name == "Default" and window.connection_list.names() == []
    spin_until(qloop, lambda: not window.keeper.busy)


def test_oauth_sign_in_through_the_browser_stores_a_token(qtbot, qloop, make_window, data_dir, demo_server):
    import threading
    import urllib.request

    origin = demo_server.base_url
    ws = open_workspace(data_dir)
    ws.add_connection(
        Connection.model_validate(
            {
                "name": "crm-user",
                "base_url": f"{origin}/api",
                "auth": {
                    "type": "oauth2", "grant": "authorization_code", "client_id": "demo-client",
                    "client_secret": "demo-secret", "token_url": f"{origin}/oauth/token",
                    "authorize_url": f"{origin}/oauth/authorize", "scope": "crm",
                },
            }
        )
    )  # fmt: skip
    window = make_window(ws)
    editor = window.panel.editor
    opened: list[str] = []

    def browser(url: str) -> None:  # a user who approves at once, in their own browser (another thread)
        opened.append(url)
        threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read(), daemon=True).start()

    window.panel.open_browser = browser
    assert editor.sign_in_button.isVisible() and editor.sign_in_label.text() == "Not signed in yet."
    editor.description_edit.setText("edited")
    assert not editor.sign_in_button.isEnabled()  # unsaved edits first
    editor.revert()
    qtbot.mouseClick(editor.sign_in_button, LEFT)
    assert editor.sign_in_button.text() == "Cancel sign-in"
    spin_until(qloop, lambda: editor.sign_in_label.text().startswith(("Signed in", "Not signed in")), timeout=30)
    assert editor.sign_in_label.text().startswith("Signed in"), editor.sign_in_label.text()
    assert opened and opened[0].startswith(f"{origin}/oauth/authorize?")
    assert ws.get_connection("crm-user").auth.access_token is not None
    assert editor.sign_in_button.text() == "Sign in with the browser…"


def test_a_service_preset_prefills_the_editor(qtbot, make_window):
    window = make_window()
    window.new_action.trigger()
    dialog = window.dialog
    assert isinstance(dialog, NewConnectionDialog)
    qtbot.keyClicks(dialog.filter_edit, "git")
    shown = [dialog.list.item(r).text() for r in range(dialog.list.count()) if not dialog.list.item(r).isHidden()]
    assert shown and all("git" in text.lower() for text in shown)
    dialog.choose("github")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    editor = window.panel.editor
    assert editor.service == "github" and editor.service_label.text() == "GitHub"
    assert editor.base_url_edit.text() == "https://api.github.com"
    assert editor.auth_type() == "oauth2"
    assert window.panel.title_label.text() == "New connection"


def test_an_entity_goes_onto_the_canvas_by_add_to_flow_or_by_drag(qtbot, qloop, make_window, data_dir, demo_server):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    from flowdesk.ui.canvas import NODE_MIME, entity_payload, payload_from_mime

    ws = open_workspace(data_dir)
    ws.add_connection(demo_connection(demo_server.base_url, name="crm"))
    window = make_window(ws)
    assert window.connection_list.select_name("crm")
    tab = window.panel.entities
    window.panel.tabs.setCurrentWidget(tab)
    names = [tab.table.item(row, 0).text() for row in range(tab.table.rowCount())]
    row = names.index("list_customers")
    assert not tab.flow_button.isEnabled() and not tab.add_to_flow_action.isEnabled()
    tab.table.selectRow(row)
    assert tab.flow_button.isEnabled()
    assert tab.table.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    assert tab.add_to_flow_action in tab.table.actions() and tab.add_to_flow_action.isEnabled()

    def api_calls(editor):  # type: ignore[no-untyped-def]
        return [n for n in editor.document.flow.nodes if n.type == "api_call"]

    # the context-menu action: no flow is open, so a new one is made, shown on the Flows page
    tab.add_to_flow_action.trigger()
    assert window.pages.currentIndex() == 1
    editor = window.flows_page.tabs.current_editor()
    assert editor is not None
    [node] = api_calls(editor)
    assert (node.config["connection"], node.config["entity"]) == ("crm", "list_customers")
    assert node.id in editor.scene.nodes and editor.scene.nodes[node.id].summary.startswith("crm · list_customers")

    # the button, back on Connections: the node joins the flow already open
    window.show_page(0)
    qtbot.mouseClick(tab.flow_button, LEFT)
    assert window.pages.currentIndex() == 1 and window.flows_page.tabs.current_editor() is editor
    assert len(api_calls(editor)) == 2 and len(window.flows_page.tabs.editors()) == 1

    # the drag: the table's mime data is the canvas's node payload, and the canvas takes the drop
    mime = tab.table.mimeData([tab.table.item(row, 1)])
    assert tab.table.mimeTypes() == [NODE_MIME]
    assert payload_from_mime(mime) == entity_payload("crm", "list_customers")
    before = len(api_calls(editor))
    viewport = editor.view.viewport()
    point = QPointF(viewport.rect().center())
    action, buttons, mods = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(point.toPoint()), action, mime, buttons, mods)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(point, action, mime, buttons, mods)
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted()
    assert len(api_calls(editor)) == before + 1
    dropped = api_calls(editor)[-1]
    assert (dropped.config["connection"], dropped.config["entity"]) == ("crm", "list_customers")
    dropped_at = editor.scene.nodes[dropped.id].sceneBoundingRect()
    assert dropped_at.adjusted(-40, -40, 40, 40).contains(editor.view.mapToScene(point.toPoint()))
