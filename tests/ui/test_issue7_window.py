"""Issue 7 in the window: refresh and disconnect of OAuth connections, the audit page, members, schedules served
while the window is open, role awareness, and the one-connection-per-preset rule explained."""

from __future__ import annotations

import threading
import urllib.request

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QInputDialog, QLineEdit, QMessageBox

from flowdesk.model import Connection, Entity
from flowdesk.ui.connections import NewConnectionDialog, template_for
from flowdesk.ui.main_window import PAGES, MainWindow
from flowdesk.ui.members import MembersDialog
from flowdesk.workspace import Workspace
from tests.webhooks.conftest import FakeClock, at, make_flow

from .conftest import spin_until
from .helpers import demo_connection, open_workspace

LEFT = Qt.MouseButton.LeftButton
AUDIT = PAGES.index("Audit")


@pytest.fixture()
def make_window(qtbot, qloop, data_dir):
    windows: list[MainWindow] = []

    def make(workspace=None, **kwargs) -> MainWindow:
        ws = workspace or open_workspace(data_dir)
        window = MainWindow(ws, data_dir=data_dir, restore=False, **kwargs)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if shiboken6.isValid(window):
            window.close()
            qloop.run_until_complete(window.shutdown())


def as_user(data_dir, user: str, name: str = "Default") -> Workspace:
    return Workspace.open(data_dir, name, user=user, master_password=lambda: "test-master-password")


def team(data_dir, **members: str) -> Workspace:
    """The Default workspace with ``tester`` as its admin, the ``members`` added and a ``crm`` connection."""
    admin = open_workspace(data_dir)
    admin.add_connection(Connection(name="crm", base_url="https://crm.example.com/api"))
    for user, role in members.items():
        admin.add_member(user, role)
    admin.close()
    return admin


def user_connection(base: str) -> Connection:
    """An authorization-code connection to the demo provider, which revokes tokens (RFC 7009)."""
    return Connection.model_validate(
        {
            "name": "crm",
            "base_url": f"{base}/api",
            "auth": {
                "type": "oauth2", "grant": "authorization_code", "client_id": "demo-client",
                "client_secret": "demo-secret", "token_url": f"{base}/oauth/token",
                "authorize_url": f"{base}/oauth/authorize", "revocation_url": f"{base}/oauth/revoke", "scope": "crm",
            },
            "test_entity": "me",
            "retry": {"count": 0},
            "entities": [{"name": "me", "path": "/me"}],
        }
    )  # fmt: skip


def approving_browser(url: str) -> None:
    """A user who approves the consent at once, in their own browser (another thread)."""
    threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read(), daemon=True).start()


def message_texts(window: MainWindow) -> list[str]:
    seen: list[str] = []
    window.statusBar().messageChanged.connect(lambda text: seen.append(text) if text else None)
    return seen


# --- 1. refresh, disconnect, sign in again ---------------------------------------------------------------


def test_refresh_disconnect_and_sign_in_again_from_the_dashboard(qtbot, qloop, make_window, data_dir, demo_server):
    ws = open_workspace(data_dir)
    ws.add_connection(user_connection(demo_server.base_url))
    qloop.run_until_complete(ws.authorize("crm", open_browser=approving_browser, timeout_s=20))
    uses_crm = {"name": "sync", "nodes": [{"id": "fetch", "type": "api_call", "config": {"connection": "crm"}}]}
    ws.store.save_flow(ws.name, "sync", uses_crm)
    run_id = ws.store.start_run(ws.name, "sync", "manual")
    ws.store.finish_run(run_id, "succeeded", None, {}, [])
    window = make_window(ws)
    panel, dashboard = window.panel, window.panel.dashboard
    panel.tabs.setCurrentIndex(panel.tab_index(panel.DASHBOARD))
    assert dashboard.account_label.text().startswith("demo (signed in"), "the account the who-am-I request named"
    assert dashboard.refresh_token_button.isVisible() and dashboard.disconnect_button.isVisible()
    assert not dashboard.sign_in_again_button.isVisible()
    assert window.refresh_connection_action.isEnabled() and window.disconnect_action.isEnabled()

    qtbot.mouseClick(dashboard.refresh_token_button, LEFT)
    spin_until(qloop, lambda: dashboard.auth_note.text().startswith("Token refreshed"))
    assert dashboard.auth_note.isVisible()

    # Disconnect asks first, naming the flow and the recent run; Cancel changes nothing
    qtbot.mouseClick(dashboard.disconnect_button, LEFT)
    box = panel.account.dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "sync" in box.informativeText() and "recent runs used it" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert demo_server.stats.revocations == 0 and window.connection_list.status_of("crm") != "reauth_needed"

    window.disconnect_action.trigger()  # Connection ▸ Disconnect…
    box = panel.account.dialog
    assert box.button(QMessageBox.StandardButton.Yes).text() == "Disconnect"
    box.button(QMessageBox.StandardButton.Yes).click()
    spin_until(qloop, lambda: window.connection_list.status_of("crm") == "reauth_needed")
    assert demo_server.stats.revocations == 2, "refresh and access token revoked at the provider"
    assert dashboard.auth_note.text().startswith("Disconnected: revoked the refresh token and access token")
    assert dashboard.status_card.value.text() == "● Sign-in needed"
    assert dashboard.sign_in_again_button.isVisible()
    assert dashboard.account_label.text().startswith("Sign-in needed")

    # refreshing now fails with a clear message, not a traceback
    window.refresh_connection_action.trigger()
    spin_until(qloop, lambda: dashboard.auth_note.text().startswith("Not refreshed"))
    error = panel.account.dialog
    assert isinstance(error, QMessageBox) and error.icon() == QMessageBox.Icon.Warning
    assert "authori" in error.text() and "Traceback" not in error.text()
    error.close()

    panel.open_browser = approving_browser
    qtbot.mouseClick(dashboard.sign_in_again_button, LEFT)
    spin_until(qloop, lambda: window.connection_list.status_of("crm") != "reauth_needed", timeout=30)
    spin_until(qloop, lambda: dashboard.auth_note.text().startswith("Signed in as demo"))
    assert dashboard.account_label.text().startswith("demo (signed in")
    assert not dashboard.sign_in_again_button.isVisible()


def test_token_actions_are_offered_only_for_oauth_connections(qtbot, make_window, data_dir, demo_server):
    ws = open_workspace(data_dir)
    ws.add_connection(demo_connection(demo_server.base_url, name="crm"))
    window = make_window(ws)
    dashboard = window.panel.dashboard
    assert not dashboard.refresh_token_button.isVisibleTo(window)
    assert not dashboard.disconnect_button.isVisibleTo(window)
    assert not window.refresh_connection_action.isEnabled() and not window.disconnect_action.isEnabled()


# --- 2. the audit page ------------------------------------------------------------------------------------


def test_the_audit_page_lists_changes_and_calls_newest_first_with_filter_and_f5(
    qtbot, qloop, make_window, data_dir, demo_server
):
    ws = open_workspace(data_dir)
    ws.add_connection(demo_connection(demo_server.base_url, name="crm"))
    qloop.run_until_complete(ws.call("crm", "list_customers"))
    window = make_window(ws)
    assert window.sidebar.item(AUDIT).text() == "Audit" and PAGES.index("Runs") == AUDIT - 1
    window.sidebar.setCurrentRow(AUDIT)
    page = window.audit_page
    assert window.pages.currentWidget() is page and page.stack.currentIndex() == page.TABLE
    rows = page.visible_rows()
    assert rows[0][1:4] == ["tester", "API call", "crm"], "newest first: the call came after the change"
    assert rows[0][4].startswith("GET ") and rows[0][4].endswith("→ 200")
    assert ["tester", "connection.add", "crm"] in [row[1:4] for row in rows]

    qtbot.keyClicks(page.filter_edit, "connection.add")
    assert [row[2] for row in page.visible_rows()] == ["connection.add"]
    assert page.count_label.text().startswith("1 of ")
    page.filter_edit.clear()
    qtbot.mouseClick(page.changes_only, LEFT)
    assert page.changes_only.isChecked()
    assert "API call" not in [row[2] for row in page.visible_rows()]

    other = open_workspace(data_dir)  # another window or the CLI changes something
    other.add_member("dana", "editor")
    other.close()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert page.visible_rows()[0][1:4] == ["tester", "member.add", "dana"]


def test_a_non_admin_is_told_that_only_admins_read_the_audit_trail(qtbot, make_window, data_dir):
    team(data_dir, eve="editor")
    window = make_window(as_user(data_dir, "eve"))
    window.sidebar.setCurrentRow(AUDIT)
    page = window.audit_page
    assert page.stack.currentIndex() == page.REFUSED
    assert page.refused_title.text() == "Only admins can read the audit trail"
    assert "eve is an editor" in page.refused_label.text() and "tester" in page.refused_label.text()
    assert window.error_box is None, "a note on the page, not an error box"


# --- 3. members -------------------------------------------------------------------------------------------


def test_an_admin_adds_changes_and_removes_members(qtbot, make_window, data_dir):
    window = make_window()
    window.members_action.trigger()
    dialog = window.dialog
    assert isinstance(dialog, MembersDialog) and dialog.isVisible()
    assert [(m.user, m.role) for m in dialog.members] == [("tester", "admin")]
    assert dialog.table.item(0, 0).text() == "tester (you)" and not dialog.note.isVisible()
    assert not dialog.add_button.isEnabled(), "nothing typed yet"

    qtbot.keyClicks(dialog.user_edit, "dana")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("viewer"))
    qtbot.mouseClick(dialog.add_button, LEFT)
    assert dialog.role_of("dana") == "viewer" and dialog.user_edit.text() == ""
    assert window.workspace.list_members()[1].user == "dana"

    picker = dialog.role_picker("dana")
    picker.setCurrentIndex(picker.findData("editor"))
    picker.activated.emit(picker.currentIndex())
    assert dialog.role_of("dana") == "editor" and not dialog.error_label.isVisible()

    mine = dialog.role_picker("tester")  # the last admin cannot step down
    mine.setCurrentIndex(mine.findData("viewer"))
    mine.activated.emit(mine.currentIndex())
    assert dialog.error_label.isVisible() and "admin" in dialog.error_label.text()
    assert dialog.role_of("tester") == "admin" and dialog.role_picker("tester").currentData() == "admin"

    dialog.table.selectRow(1)
    qtbot.mouseClick(dialog.remove_button, LEFT)
    assert [m.user for m in dialog.members] == ["tester"] and not dialog.error_label.isVisible()
    dialog.close()


def test_a_non_admin_sees_the_members_read_only(qtbot, make_window, data_dir):
    team(data_dir, vic="viewer")
    window = make_window(as_user(data_dir, "vic"))
    window.members_action.trigger()
    dialog = window.dialog
    assert isinstance(dialog, MembersDialog)
    assert {(m.user, m.role) for m in dialog.members} == {("tester", "admin"), ("vic", "viewer")}
    assert dialog.note.isVisible() and "Read only" in dialog.note.text() and "tester" in dialog.note.text()
    assert not dialog.add_button.isEnabled() and "needs the admin role" in dialog.add_button.toolTip()
    assert not dialog.user_edit.isEnabled()
    assert dialog.role_picker("tester") is None and dialog.table.item(0, 1).text() == "admin"
    dialog.close()


# --- 4. schedules while the window is open ----------------------------------------------------------------


def scheduled_flow():  # type: ignore[no-untyped-def]
    return make_flow(
        "report",
        [{"id": "tick", "type": "trigger", "kind": "schedule", "cron": "*/15 * * * *"},
         {"id": "out", "type": "transform", "set": {"ran": True}}],
        [("tick.out", "out.in")],
    )  # fmt: skip


def test_schedules_fire_while_the_window_is_open_and_stop_with_it(qtbot, qloop, data_dir):
    ws = open_workspace(data_dir)
    ws.save_flow(scheduled_flow())
    clock = FakeClock(at("2026-03-02 09:07"), stop_at=at("2026-03-02 09:20"))
    window = MainWindow(ws, data_dir=data_dir, restore=False, schedule_now=clock.now, schedule_sleep=clock.sleep)
    qtbot.addWidget(window)
    seen = message_texts(window)
    assert window.schedules is None, "served once the window shows"
    window.show()
    first = window.schedules
    assert first is not None and not first.done()

    spin_until(qloop, lambda: any(text.startswith("Scheduled run of 'report' finished") for text in seen))
    assert any(text.startswith("Scheduled run of 'report' started") for text in seen)
    assert "Scheduled run of 'report' finished: succeeded" in seen
    window.sidebar.setCurrentRow(PAGES.index("Runs"))
    (run,) = ws.list_runs()
    assert run.trigger == "schedule" and run.status == "succeeded"
    shown = window.runs_list.topLevelItem(0)
    assert shown.text(1) == "report" and shown.text(3) == "schedule"
    spin_until(qloop, clock.stopped.is_set)

    window.switch_workspace("Team")  # each workspace's schedules while it is shown
    second = window.schedules
    spin_until(qloop, first.done)
    assert first.cancelled() and second is not None and not second.done()

    window.close()
    qloop.run_until_complete(window.shutdown())
    assert second.cancelled() and window.schedules is None


def test_a_viewers_window_serves_no_schedules(qtbot, make_window, data_dir):
    team(data_dir, vic="viewer")
    window = make_window(as_user(data_dir, "vic"))
    assert window.schedules is None


# --- 5. role awareness ------------------------------------------------------------------------------------


def test_an_editor_may_not_change_connections_and_is_told_why(qtbot, qloop, make_window, data_dir):
    team(data_dir, eve="editor")
    window = make_window(as_user(data_dir, "eve"))
    why = "Adding connections needs the admin role: you (eve) are an editor in workspace 'Default'"
    for target in (window.new_action, window.new_button):
        assert not target.isEnabled() and target.toolTip() == why
    assert not window.delete_button.isEnabled() and "needs the admin role" in window.delete_button.toolTip()
    assert window.connection_list.selected_name() == "crm" and window.panel.connection == "crm"
    editor = window.panel.editor
    assert editor.base_url_edit.text() == "https://crm.example.com/api", "an editor reads the settings"
    editor.description_edit.setText("mine")
    assert not editor.save_button.isEnabled() and "needs the admin role" in editor.save_button.toolTip()
    assert window.test_action.isEnabled(), "testing is an editor's to do"

    window._delete_confirmed("crm", QMessageBox.StandardButton.Yes.value)  # as if the role changed meanwhile
    box = window.error_box
    assert isinstance(box, QMessageBox) and box.windowTitle() == "Not permitted"
    assert box.icon() == QMessageBox.Icon.Information and box.text().startswith("permission denied")
    assert "member add eve --role admin" in box.informativeText()
    box.close()
    assert window.workspace.list_connections()[0].name == "crm"
    editor.dirty = False


def test_an_editor_may_not_change_entities_and_is_told_why(qtbot, make_window, data_dir):
    team(data_dir, eve="editor")
    admin = open_workspace(data_dir)
    admin.set_entities("crm", [Entity(name="customers", path="/customers")])
    admin.close()
    window = make_window(as_user(data_dir, "eve"))
    tab = window.panel.entities
    assert tab.connection == "crm" and tab.table.rowCount() == 1
    tab.table.selectRow(0)
    why = "Changing entities needs the admin role: you (eve) are an editor in workspace 'Default'"
    for button in (tab.add_button, tab.edit_button, tab.delete_button, tab.discover_button):
        assert not button.isEnabled() and button.toolTip() == why
    assert tab.flow_button.isEnabled(), "using an entity in a flow is an editor's to do"
    tab.edit_selected()
    tab.delete_selected()
    assert tab.discover() is None and tab.dialog is None


def test_an_admin_may_change_entities(qtbot, make_window, data_dir):
    team(data_dir)
    window = make_window()
    tab = window.panel.entities
    assert tab.add_button.isEnabled() and tab.discover_button.isEnabled()
    assert "needs the" not in tab.add_button.toolTip()


def test_a_viewer_sees_connection_names_but_not_their_settings(qtbot, make_window, data_dir):
    team(data_dir, vic="viewer")
    window = make_window(as_user(data_dir, "vic"))
    assert window.connection_list.names() == ["crm"]
    assert window.right_stack.currentWidget() is window.restricted
    assert "you (vic) are a viewer" in window.restricted_label.text()
    assert "Ask an admin (tester)" in window.restricted_label.text()
    assert window.error_box is None


def test_a_role_given_in_the_members_dialog_applies_at_once(qtbot, make_window, data_dir):
    team(data_dir)
    window = make_window()
    window.members_action.trigger()
    dialog = window.dialog
    picker = dialog.role_picker("tester")
    dialog.user_edit.setText("alice")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("admin"))
    dialog.add_button.click()
    picker = dialog.role_picker("tester")
    picker.setCurrentIndex(picker.findData("editor"))
    picker.activated.emit(picker.currentIndex())  # tester steps down to editor
    assert dialog.note.isVisible() and not dialog.add_button.isEnabled()
    assert not window.new_action.isEnabled() and "editor" in window.new_action.toolTip()
    assert not window.panel.entities.add_button.isEnabled(), "the Entities tab follows the new role too"
    dialog.close()


# --- 6. the one-connection-per-preset rule ----------------------------------------------------------------


@pytest.mark.parametrize("choice", ["another workspace", "open the existing one"])
def test_a_second_preset_connection_explains_the_other_workspace_workaround(qtbot, make_window, data_dir, choice):
    ws = open_workspace(data_dir)
    ws.add_connection(template_for("github", "github"))
    ws.add_connection(Connection(name="crm", base_url="https://crm.example.com"))
    window = make_window(ws)
    window.connection_list.select_name("crm")
    window.new_action.trigger()
    picker = window.dialog
    assert isinstance(picker, NewConnectionDialog)
    picker.choose("github")
    picker.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    box = window.dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == (
        "Only one github connection allowed per workspace — use another workspace for a second account."
    )
    assert "'github'" in box.informativeText()
    buttons = {button.text(): button for button in box.buttons()}
    if choice == "open the existing one":
        buttons["Open 'github'"].click()
        assert window.connection_list.selected_name() == "github" and window.workspace.name == "Default"
        return
    buttons["Use another workspace…"].click()
    ask = window.dialog
    assert isinstance(ask, QInputDialog)
    ask.findChild(QLineEdit).setText("Second account")
    ask.accept()
    assert window.workspace.name == "Second account"
    editor = window.panel.editor
    assert editor.is_new and editor.service == "github" and editor.name_edit.text() == "github"
