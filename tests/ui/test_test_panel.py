"""The "Test connection" panel against the demo API: the chosen request, ✓/✗, status, time, preview, hints."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from flowdesk.model import Connection
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui.connections import TestPanel

from .conftest import spin_until
from .helpers import demo_connection, open_workspace


@pytest.fixture()
def panel(qtbot, qloop, data_dir, demo_server):
    ws = open_workspace(data_dir)
    good = demo_connection(demo_server.base_url, name="crm")
    ws.add_connection(good)
    wrong_key = {"type": "api_key", "location": "header", "name": "X-API-Key", "key": "not-the-key"}
    ws.add_connection(Connection(name="crm-wrong-key", base_url=good.base_url, auth=wrong_key))
    errors: list[BaseException] = []
    keeper = TaskKeeper(on_error=errors.append)
    widget = TestPanel(ws, keeper)
    qtbot.addWidget(widget)
    widget.resize(420, 600)
    widget.show()
    yield widget
    qloop.run_until_complete(keeper.aclose())
    qloop.run_until_complete(ws.aclose())
    assert errors == []


def run(qtbot, qloop, widget: TestPanel) -> None:
    done = []
    widget.finished.connect(done.append)
    qtbot.mouseClick(widget.test_button, Qt.MouseButton.LeftButton)
    assert not widget.test_button.isEnabled() and widget.verdict.text() == "Testing…"
    spin_until(qloop, lambda: bool(done))


def test_the_user_picks_an_entity_and_sees_its_records(qtbot, qloop, panel):
    panel.set_connection("crm")
    assert panel.target_combo.itemText(0) == "Base URL (GET)"
    index = panel.target_combo.findData("list_regions")
    assert index > 0 and "GET /regions" in panel.target_combo.itemText(index)
    panel.target_combo.setCurrentIndex(index)
    run(qtbot, qloop, panel)
    assert panel.verdict.text() == "✓ Connected"
    assert panel.status_label.text() == "200" and panel.time_label.text().endswith(" ms")
    assert '"name"' in panel.preview.toPlainText()  # the entity's records, not the whole envelope
    assert not panel.error_label.isVisible() and not panel.hint_label.isVisible()
    assert panel.test_button.isEnabled()


def test_wrong_credentials_say_what_to_check(qtbot, qloop, panel):
    panel.set_connection("crm-wrong-key")
    run(qtbot, qloop, panel)
    assert panel.verdict.text() == "✗ Failed"
    assert panel.status_label.text() == "401"
    assert panel.error_label.isVisible() and "401" in panel.error_label.text()
    hint = panel.hint_label.text()
    assert panel.hint_label.isVisible() and "What to check" in hint
    assert any(word in hint.lower() for word in ("credential", "key", "token"))


def test_a_new_connection_cannot_be_tested_before_it_is_saved(panel):
    panel.set_connection(None)
    assert not panel.test_button.isEnabled()
    assert panel.verdict.text().startswith("Save the connection")
