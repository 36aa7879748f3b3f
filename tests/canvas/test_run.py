"""Running flows from the canvas against the demo API: live node states, counts on wires, progress,
node details (items, API calls, errors), Stop, Run from here, and the run history."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt

from .conftest import click, example, node_header, open_workspace, spin_until

SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture()
def demo_ws(data_dir, demo_server, qloop):  # type: ignore[no-untyped-def]
    from flowdesk.demo import demo_connection_data
    from flowdesk.model import parse_connection

    ws = open_workspace(data_dir)
    ws.add_connection(parse_connection(demo_connection_data(demo_server.base_url)))
    yield ws
    qloop.run_until_complete(ws.aclose())


def run_and_wait(editor, qloop, *, key=True):  # type: ignore[no-untyped-def]
    finished: list[str] = []
    editor.run.finished.connect(finished.append)
    if key:
        editor.view.setFocus()
        from PySide6.QtTest import QTest

        QTest.keyClick(editor.view, Qt.Key.Key_F5)
    else:
        assert editor.run.start()
    assert editor.run.running
    spin_until(qloop, lambda: bool(finished))
    return finished[0]


def states(editor) -> dict[str, str]:
    return {node_id: item.run.state for node_id, item in editor.scene.nodes.items() if item.run is not None}


def test_f5_runs_the_flow_with_live_states_counts_details_and_run_from_here(make_editor, qloop, qtbot, demo_ws):
    flow = example("error_handler")
    demo_ws.save_flow(demo_ws.validate_flow(flow))
    editor = make_editor(flow, workspace=demo_ws)
    progress: list[tuple[int, int]] = []
    editor.run.progress.connect(lambda done, total: progress.append((done, total)))
    seen_running: set[str] = set()
    editor.run.updated.connect(lambda: seen_running.update(n for n, s in states(editor).items() if s == "running"))

    assert run_and_wait(editor, qloop) == "succeeded"
    assert states(editor) == dict.fromkeys(["start", "each_id", "get", "found", "report", "failed"], "done")
    assert progress[0] == (0, 6) and progress[-1] == (6, 6)
    get = editor.scene.nodes["get"].run
    assert (get.items_in, get.port_counts, get.call_count) == (4, {"out": 3, "error": 1}, 4)
    assert editor.scene.nodes["get"].state_text().startswith("done: 4 in, 3 out, 1 error (")
    labels = {key: wire.count_text for key, wire in editor.scene.wires.items()}
    assert labels[("each_id.each", "get.in")] == "4"
    assert labels[("get.out", "found.in")] == "3"
    assert labels[("get.error", "report.in")] == "1"
    assert editor.scene.wires[("get.out", "found.in")].label.isVisible()

    # clicking a node shows what it received and sent, its API calls and errors
    click(editor.view.viewport(), node_header(editor, "get"))
    details = editor.details
    assert details.node_id == "get"
    assert "done" in details.heading.text() and "4 API calls" in details.heading.text()
    assert details.port_combo.isVisible() and details.port_combo.currentText() == "out"
    assert details.output.table.rowCount() == 3
    headers = [details.output.table.horizontalHeaderItem(i).text() for i in range(details.output.table.columnCount())]
    assert "id" in headers and "name" in headers
    assert '"id": 1' in details.output.json.toPlainText()
    assert details.input.table.rowCount() == 4  # the four ids that came in
    statuses = sorted(details.calls.item(row, 0).text() for row in range(details.calls.rowCount()))
    assert statuses == ["200", "200", "200", "404"]
    assert "404" in details.errors.toPlainText()
    assert details.tabs.tabText(2) == "API calls (4)"

    # Run from here: the report step again, fed with the item that reached it last time
    click(editor.view.viewport(), node_header(editor, "report"))
    finished: list[str] = []
    editor.run.finished.connect(finished.append)
    editor.run_from_action.trigger()
    spin_until(qloop, lambda: bool(finished))
    assert finished == ["succeeded"]
    report = editor.scene.nodes["report"].run
    assert report.items_in == 1 and report.state == "done"
    assert editor.scene.nodes["get"].run.port_counts == {"out": 3, "error": 1}  # upstream keeps its last look
    failed_sample = editor.scene.nodes["failed"].run.samples["out"][0]
    assert failed_sample["count"] == 1 and failed_sample["items"][0]["customerId"] == 999999

    # the history lists both runs, newest first; opening the first colours the canvas by it
    history = editor.history
    assert history.list.topLevelItemCount() == 2
    oldest = history.list.topLevelItem(1)
    assert oldest.text(1) == "succeeded" and oldest.text(4) == "4"
    assert history.open_run(str(oldest.data(0, Qt.ItemDataRole.UserRole)))
    shown = editor.scene.run_state
    assert shown.recorded and shown.nodes["found"].items_in == 3
    assert editor.scene.nodes["found"].run.state == "done"
    assert editor.scene.wires[("each_id.each", "get.in")].count_text == "4"
    history.clear_overlay()
    assert all(item.run is None for item in editor.scene.nodes.values())


def _many_customers_flow() -> dict:
    flow = example("list_all_customers")
    flow["nodes"] = [n for n in flow["nodes"] if n["id"] != "save"] + [
        {"id": "tag", "type": "transform", "position": {"x": 440, "y": 0}, "config": {"set": {"seen": True}}},
        {"id": "all", "type": "collect", "position": {"x": 660, "y": 0}, "config": {}},
    ]
    flow["edges"] = [{"source": "start.out", "target": "customers.in"},
                     {"source": "customers.out", "target": "tag.in"}, {"source": "tag.out", "target": "all.in"}]
    return flow


def run_from(editor, qloop, node_id):  # type: ignore[no-untyped-def]
    click(editor.view.viewport(), node_header(editor, node_id))
    finished: list[str] = []
    editor.run.finished.connect(finished.append)
    messages: list[str] = []
    editor.message.connect(messages.append)
    editor.run_from_action.trigger()
    spin_until(qloop, lambda: bool(finished))
    return finished[0], messages


def test_run_from_here_reruns_with_every_input_not_only_the_samples(make_editor, qloop, demo_ws):
    editor = make_editor(_many_customers_flow(), workspace=demo_ws)
    assert run_and_wait(editor, qloop) == "succeeded"
    emitted = editor.scene.nodes["customers"].run.items_out
    assert emitted > 5  # more than the events' samples carry
    assert len(editor.scene.nodes["customers"].run.samples["out"]) <= 5

    status, messages = run_from(editor, qloop, "tag")
    assert status == "succeeded"
    assert editor.scene.nodes["tag"].run.items_in == emitted
    assert editor.run.result.outputs["all.out"][0]["count"] == emitted
    assert not any("first" in m for m in messages)
    assert editor.scene.nodes["customers"].run.items_out == emitted  # upstream not re-run
    # and again from the collect node, whose inputs come from the re-run just made
    assert run_from(editor, qloop, "all")[0] == "succeeded"
    assert editor.run.result.outputs["all.out"][0]["count"] == emitted


def test_run_from_here_says_when_only_the_first_inputs_were_kept(make_editor, qloop, demo_ws, monkeypatch):
    from flowdesk.ui.canvas import _run

    monkeypatch.setattr(_run, "INPUT_CAP", 3)
    editor = make_editor(_many_customers_flow(), workspace=demo_ws)
    assert run_and_wait(editor, qloop) == "succeeded"
    status, messages = run_from(editor, qloop, "tag")
    assert status == "succeeded"
    assert editor.scene.nodes["tag"].run.items_in == 3
    assert any("only the first 3 items of in" in m for m in messages)


def test_a_failing_node_shows_its_error_and_the_run_fails(make_editor, qloop, demo_ws):
    flow = example("error_handler")
    flow["edges"] = [e for e in flow["edges"] if e["source"] != "get.error"]  # no error port: a 404 fails the run
    editor = make_editor(flow, workspace=demo_ws)
    assert run_and_wait(editor, qloop) == "failed"
    get = editor.scene.nodes["get"]
    assert get.run.state == "failed"
    assert "404" in (get.run.error or "")
    assert get.state_text().startswith("failed:")
    assert "404" in get.toolTip()
    editor.scene.select_nodes(["get"])
    assert "404" in editor.details.errors.toPlainText()
    assert editor.details.tabs.tabText(3).startswith("Errors")

    # the recorded run, opened from the history, shows the same failure
    editor.history.clear_overlay()
    row = editor.history.list.topLevelItem(0)
    assert row.text(1) == "failed" and "404" in row.text(5)
    assert editor.history.open_run(str(row.data(0, Qt.ItemDataRole.UserRole)))
    assert editor.scene.nodes["get"].run.state == "failed" and "404" in editor.scene.nodes["get"].run.error
    assert editor.scene.nodes["found"].run.state == "cancelled"  # stopped when the run failed


def test_stop_cancels_the_run_and_it_is_recorded_as_cancelled(make_editor, qloop, qtbot, demo_ws):
    from flowdesk.ui.canvas import new_flow

    flow = new_flow("Slow")
    flow.add_node("delay", node_id="wait", position=(260, 0), config={"seconds": 30})
    flow.connect("start.out", "wait.in")
    demo_ws.save_flow(flow)
    editor = make_editor(flow, workspace=demo_ws)
    finished: list[str] = []
    editor.run.finished.connect(finished.append)
    editor.view.setFocus()
    qtbot.keyClick(editor.view, Qt.Key.Key_F5)
    spin_until(qloop, lambda: editor.run.state is not None and editor.run.state.nodes["wait"].state == "running")
    spin_until(qloop, lambda: editor.scene._spin_timer.isActive())  # the spinner turns while it runs
    assert editor.stop_action.isEnabled()
    qtbot.keyClick(editor.view, Qt.Key.Key_F5, SHIFT)
    spin_until(qloop, lambda: bool(finished))
    assert finished == ["cancelled"]
    assert editor.scene.nodes["wait"].run.state in ("cancelled", "failed")
    assert not editor.scene._spin_timer.isActive()
    assert editor.history.list.topLevelItem(0).text(1) == "cancelled"


def test_an_invalid_flow_is_not_run_and_says_why(make_editor, qloop, demo_ws):
    editor = make_editor(workspace=demo_ws)
    editor.add_node("condition", QPointF(400, 40))
    editor.document.connect("start.out", "condition1.in")
    messages: list[str] = []
    editor.message.connect(messages.append)
    assert not editor.run.start()
    assert messages[-1].startswith("Not run: 1 problem") and "condition1" in messages[-1]
    assert editor.scene.nodes["condition1"].problems
