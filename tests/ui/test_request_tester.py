"""The request tester, driven through its widgets against the real demo API (and a few unit-level cases)."""

from __future__ import annotations

import gc
import json
import threading
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication

from flowdesk.ui._async import TaskKeeper
from flowdesk.ui.tester import RequestTesterWidget, path_placeholders
from flowdesk.ui.tester._response_view import LARGE_BODY, PAGE_BYTES, FilePages, RawBodyView, ResponseView
from flowdesk.workspace import PARSE_FILE_LIMIT, ApiResponse, detect_pagination, warm_up_http

from .conftest import spin_until
from .helpers import big_document, demo_connection, open_workspace

LEFT = Qt.MouseButton.LeftButton
GAP_LIMIT_MS = 50.0
"""The longest the event loop may stall while a big response arrives (issue 5: the window never freezes)."""


@pytest.fixture()
def setup(qtbot, qloop, data_dir, demo_server):
    ws = open_workspace(data_dir)
    connection = demo_connection(demo_server.base_url)
    ws.add_connection(connection)
    errors: list[BaseException] = []
    keeper = TaskKeeper(on_error=errors.append)
    widget = RequestTesterWidget(ws, keeper)
    qtbot.addWidget(widget)
    widget.resize(1280, 860)
    widget.show()
    yield widget, ws, connection, demo_server
    keeper.cancel_all()
    spin_until(qloop, lambda: not keeper.busy)
    qloop.run_until_complete(ws.aclose())
    assert errors == []


def entity_with_pages(connection):
    """The demo's paged list entity used for "fetch all pages" (customers)."""
    return next(e for e in connection.entities if e.name == "list_customers")


def send_and_wait(qtbot, qloop, widget):
    shown = []
    widget.response_shown.connect(lambda: shown.append(True))
    qtbot.mouseClick(widget.send_button, LEFT)
    spin_until(qloop, lambda: bool(shown) and not widget.busy)


def test_send_get_shows_status_time_size_headers_and_tree(qtbot, qloop, setup):
    widget, _ws, connection, _server = setup
    entity = entity_with_pages(connection)
    widget.set_connection(connection.name, entity.name)
    assert widget.path_edit.text() == entity.path
    assert widget.method_combo.currentText() == "GET"
    send_and_wait(qtbot, qloop, widget)
    view = widget.response_view
    assert view.status_label.text().startswith("200")
    assert view.time_label.text().endswith("ms")
    assert view.size_label.text().endswith(("B", "KB", "MB"))
    headers = {view.headers_table.item(r, 0).text().lower() for r in range(view.headers_table.rowCount())}
    assert "content-type" in headers
    model = view.json_tree.json_model
    assert model.rowCount() > 0
    assert model.document == widget.last_response.body
    spin_until(qloop, lambda: view.raw_view.done)
    assert json.loads(view.raw_view.text.toPlainText()) == widget.last_response.body


def test_ctrl_enter_sends(qtbot, qloop, setup):
    widget, _ws, connection, _server = setup
    widget.set_connection(connection.name, entity_with_pages(connection).name)
    shown = []
    widget.response_shown.connect(lambda: shown.append(True))
    widget.path_edit.setFocus()
    qtbot.keyClick(widget.path_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    spin_until(qloop, lambda: bool(shown) and not widget.busy)
    assert widget.response_view.status_label.text().startswith("200")


def test_path_placeholders_make_fields_and_an_empty_one_refuses_send(qtbot, qloop, setup):
    widget, _ws, connection, _server = setup
    widget.set_connection(connection.name)
    assert path_placeholders("/a/{id}/b/{Temp.x}/{id}") == ["id", "Temp.x"]
    widget.path_edit.setText("/customers/{id}/orders/{orderId}")
    assert list(widget.param_edits) == ["id", "orderId"]
    assert widget.request_tabs.tabText(0) == "Path params (2)"
    qtbot.mouseClick(widget.send_button, LEFT)
    assert "fill in the path parameter id, orderId" in widget.message_label.text()
    assert widget.response_view.status_label.text() == "No response yet"

    widget.path_edit.setText("/customers/{id}")
    assert list(widget.param_edits) == ["id"]
    assert widget.param_edits["id"].text() == ""  # the value typed is kept per name across edits
    qtbot.keyClicks(widget.param_edits["id"], "1")
    widget.path_edit.setText("/customers/{id}/")
    assert widget.param_edits["id"].text() == "1"
    widget.path_edit.setText("/customers/{id}")
    send_and_wait(qtbot, qloop, widget)
    assert widget.last_response.url.rstrip("/").endswith("/customers/1")


def test_invalid_json_body_is_marked_and_send_is_refused(qtbot, qloop, setup):
    widget, _ws, connection, _server = setup
    widget.set_connection(connection.name)
    widget.method_combo.setCurrentText("POST")
    widget.body_editor.set_mode("json")
    widget.body_editor.json_editor.setPlainText('{\n  "name": "Ann",\n  "age": \n}')
    qtbot.mouseClick(widget.send_button, LEFT)
    assert not widget.busy
    assert "not valid JSON" in widget.message_label.text()
    error = widget.body_editor.error_label.text()
    assert "Line 4, column 1" in error
    assert widget.body_editor.json_editor.extraSelections()  # the line is marked
    assert widget.request_tabs.currentWidget() is widget.body_editor
    assert widget.response_view.status_label.text() == "No response yet"

    widget.body_editor.json_editor.setPlainText('{"name": "Ann"}')
    assert widget.body_editor.json_editor.check()
    assert widget.request().body == {"name": "Ann"}


def test_jsonpath_box_extracts_the_data_path_and_reports_invalid_paths(qtbot, qloop, setup):
    widget, _ws, connection, _server = setup
    entity = entity_with_pages(connection)
    widget.set_connection(connection.name, entity.name)
    view = widget.response_view
    assert view.jsonpath_edit.text() == (entity.data_path or "$")
    evaluated = []
    view.jsonpath_evaluated.connect(lambda: evaluated.append(view.jsonpath_matches))
    send_and_wait(qtbot, qloop, widget)
    spin_until(qloop, lambda: bool(evaluated) and view.jsonpath_matches is not None)
    records = widget.last_response.records(entity.data_path)
    shown = json.loads(view.jsonpath_result.toPlainText())
    assert shown == records
    assert view.jsonpath_status.text() == f"1 match · {len(records)} items"

    evaluated.clear()
    view.jsonpath_edit.setText("$.data[")
    spin_until(qloop, lambda: bool(evaluated))
    assert view.jsonpath_error.isVisible()
    assert "invalid JSONPath" in view.jsonpath_error.text()
    assert view.jsonpath_status.text() == "✗ invalid"


def test_fetch_all_pages_counts_every_record(qtbot, qloop, setup):
    widget, ws, connection, _server = setup
    entity = entity_with_pages(connection)
    widget.set_connection(connection.name, entity.name)
    done = []
    widget.pages_finished.connect(done.append)
    qtbot.mouseClick(widget.fetch_all_button, LEFT)
    assert widget.cancel_button.isEnabled()
    spin_until(qloop, lambda: bool(done) and not widget.busy, timeout=60)
    outcome = qloop.run_until_complete(ws.call(connection.name, entity.name, all_pages=True))
    assert done == [len(outcome.records)]
    assert widget.pages_fetched == outcome.pages > 1
    assert widget.records_label.text() == f"{len(outcome.records):,} records · {outcome.pages:,} pages ✓"
    assert widget.progress.value() == outcome.pages
    assert widget.response_view.json_tree.json_model.rowCount() > 0


def test_cancel_stops_a_fetch_in_flight(qtbot, qloop, setup):
    widget, _ws, connection, _server = setup
    widget.set_connection(connection.name, entity_with_pages(connection).name)
    done = []
    widget.pages_finished.connect(done.append)
    qtbot.mouseClick(widget.fetch_all_button, LEFT)
    spin_until(qloop, lambda: widget.pages_fetched >= 1)
    qtbot.mouseClick(widget.cancel_button, LEFT)
    spin_until(qloop, lambda: not widget.busy)
    assert "(cancelled)" in widget.records_label.text() or done  # a very fast server may have finished
    assert widget.send_button.isEnabled() and not widget.cancel_button.isEnabled()


def test_copy_as_curl_masks_the_api_key_unless_asked(qtbot, qloop, setup):
    widget, _ws, connection, _server = setup
    key = connection.auth.key.get_secret_value()
    widget.set_connection(connection.name, entity_with_pages(connection).name)
    qtbot.mouseClick(widget.copy_curl_button, LEFT)
    text = QGuiApplication.clipboard().text()
    assert text.startswith("curl ")
    assert connection.base_url in text
    assert key not in text and "***" in text
    assert "secrets masked" in widget.message_label.text()

    qtbot.mouseClick(widget.copy_httpx_button, LEFT)
    code = QGuiApplication.clipboard().text()
    compile(code, "<snippet>", "exec")
    assert key not in code and "***" in code

    widget.include_secrets.setChecked(True)
    qtbot.mouseClick(widget.copy_curl_button, LEFT)
    assert key in QGuiApplication.clipboard().text()


def test_import_from_curl_fills_the_request(qtbot, qloop, setup):
    widget, _ws, connection, _server = setup
    widget.set_connection(connection.name, entity_with_pages(connection).name)
    qtbot.mouseClick(widget.import_curl_button, LEFT)
    dialog = widget.import_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.command_edit.setPlainText("curl -X GET")
    dialog.try_import()
    assert dialog.isVisible() and "no URL" in dialog.error_label.text()

    dialog.command_edit.setPlainText(
        f"curl -X POST '{connection.base_url}/customers/{{id}}/notes?notify=true&tag=a' \\\n"
        "  -H 'X-Trace: 7' -H 'Content-Type: application/json' \\\n"
        '  --data-raw \'{"text": "hello"}\''
    )
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), LEFT)
    assert not dialog.isVisible()
    assert widget.entity is None and widget.entity_combo.currentIndex() == 0
    assert widget.method_combo.currentText() == "POST"
    assert widget.path_edit.text() == "/customers/{id}/notes"
    assert list(widget.param_edits) == ["id"]
    assert widget.query_table.pairs() == [("notify", "true"), ("tag", "a")]
    assert widget.headers_table.pairs() == [("X-Trace", "7")]
    assert widget.body_editor.mode == "json"
    assert json.loads(widget.body_editor.json_editor.toPlainText()) == {"text": "hello"}


def test_detect_pagination_proposes_offset_previews_and_saves(qtbot, qloop, setup):
    widget, ws, connection, _server = setup
    entity = entity_with_pages(connection)
    # an ad-hoc request to the same path, with the paging parameters the API documents
    widget.set_connection(connection.name)
    widget.path_edit.setText(entity.path)
    widget.query_table.set_pairs([("offset", "0"), ("limit", "10")])
    send_and_wait(qtbot, qloop, widget)
    assert widget.response_view.status_label.text().startswith("200")
    qtbot.mouseClick(widget.detect_button, LEFT)
    dialog = widget.pagination_dialog
    assert dialog is not None and dialog.isVisible()
    kinds = [p.kind for p in dialog.proposals]
    assert kinds[0] == "offset", kinds
    config = json.loads(dialog.details.toPlainText())
    assert config["offset_param"] == "offset" and config["limit_param"] == "limit" and config["limit"] == 10
    assert not dialog.save_button.isEnabled()  # preview first

    previewed = []
    dialog.previewed.connect(lambda: previewed.append(True))
    qtbot.mouseClick(dialog.preview_button, LEFT)
    spin_until(qloop, lambda: bool(previewed))
    assert dialog.preview_table.rowCount() == 3
    assert [dialog.preview_table.item(r, 2).text() for r in range(3)] == ["10", "10", "10"]
    assert "looks right" in dialog.status_label.text()

    saved = []
    dialog.saved.connect(saved.append)
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert saved
    stored = ws.entity(connection.name, saved[0])
    assert stored.pagination.type == "offset" and stored.pagination.limit == 10
    assert stored.data_path == entity.data_path
    assert "offset" not in stored.query and "limit" not in stored.query
    assert widget.entity == saved[0]


def test_detect_pagination_from_a_link_header_and_a_cursor():
    link = ApiResponse(
        status=200, headers={"link": '<https://x.test/a?page=2>; rel="next"'}, body=[{"id": 1}], elapsed_ms=1,
        url="https://x.test/a", attempts=1, size=10, is_json=True, links={"next": "https://x.test/a?page=2"},
    )  # fmt: skip
    assert detect_pagination(link)[0].kind == "link_header"
    cursor = ApiResponse(
        status=200, headers={}, body={"items": [{"id": 1}], "meta": {"next_cursor": "abc"}}, elapsed_ms=1,
        url="https://x.test/a", attempts=1, size=10, is_json=True,
    )  # fmt: skip
    proposal = detect_pagination(cursor)[0]
    assert proposal.kind == "cursor" and proposal.data_path == "$.items"
    assert proposal.pagination.next_cursor_path == "$.meta.next_cursor"
    assert proposal.pagination.cursor_param == "cursor"
    paged = ApiResponse(
        status=200, headers={}, body={"results": [1, 2], "page": 1, "total_pages": 7}, elapsed_ms=1,
        url="https://x.test/a", attempts=1, size=10, is_json=True,
    )  # fmt: skip
    proposal = detect_pagination(paged, [("page", "1"), ("per_page", "2")])[0]
    assert proposal.kind == "page" and proposal.pagination.total_pages_path == "$.total_pages"
    assert proposal.pagination.size_param == "per_page" and proposal.pagination.size == 2
    nothing = ApiResponse(
        status=200, headers={}, body={"id": 1}, elapsed_ms=1, url="https://x.test/a", attempts=1, size=10,
        is_json=True,
    )  # fmt: skip
    assert detect_pagination(nothing) == []


def test_a_large_body_is_paged_from_a_temporary_file_and_saved_whole(qtbot, qloop, tmp_path):
    keeper = TaskKeeper()
    view = RawBodyView(keeper)
    qtbot.addWidget(view)
    view.show()
    document = [{"id": i, "name": f"customer {i}", "notes": "x" * 80} for i in range(120_000)]
    size = len(json.dumps(document))
    assert size > LARGE_BODY
    view.show_body(document, size)
    spin_until(qloop, lambda: view.done, timeout=60)
    assert view.pages is not None and view.pages.spilled and len(view.pages) > 2
    assert view.banner.isVisible() and "Large body" in view.banner.text()
    assert view.pager.isVisible() and view.page_label.text() == f"of {len(view.pages):,}"
    assert view.page_spin.value() == 1 and not view.prev_button.isEnabled()
    first = view.text.toPlainText()
    qtbot.mouseClick(view.next_button, LEFT)
    assert view.page_spin.value() == 2
    assert view.text.toPlainText() != first
    view.page_spin.setValue(len(view.pages))  # jump to the last page
    assert view.current == len(view.pages) - 1 and not view.next_button.isEnabled()
    whole = "".join(view.pages.page(i) for i in range(len(view.pages)))
    assert json.loads(whole) == document

    from flowdesk.ui.tester._response_view import save_body

    target = tmp_path / "body.json"
    qloop.run_until_complete(save_body(document, target))
    assert json.loads(target.read_text()) == document
    view.clear()


@pytest.fixture()
def local(qtbot, qloop, data_dir, fixture_server):
    """The tester on a connection to the local fixture API (echo, slow, a body over 10 MB)."""
    ws = open_workspace(data_dir)
    connection = fixture_server.connection()
    ws.add_connection(connection)
    errors: list[BaseException] = []
    keeper = TaskKeeper(on_error=errors.append)
    widget = RequestTesterWidget(ws, keeper)
    qtbot.addWidget(widget)
    widget.resize(1280, 860)
    widget.show()
    widget.set_connection(connection.name)
    yield widget
    qloop.run_until_complete(keeper.aclose())
    qloop.run_until_complete(ws.aclose())
    assert errors == []


def test_json_and_form_bodies_are_sent_as_written(qtbot, qloop, local):
    widget = local
    widget.method_combo.setCurrentText("POST")
    widget.path_edit.setText("/echo")
    widget.body_editor.set_mode("json")
    qtbot.keyClicks(widget.body_editor.json_editor, '{"name": "Ann", "tags": [1, 2]}')
    assert widget.request_tabs.tabText(3) == "Body (JSON)"
    send_and_wait(qtbot, qloop, widget)
    echoed = widget.last_response.body
    assert echoed["content_type"] == "application/json"
    assert json.loads(echoed["body"]) == {"name": "Ann", "tags": [1, 2]}

    widget.body_editor.set_mode("form")
    form = widget.body_editor.form_table
    form.set_pairs([("name", "Ann Lee"), ("city", "Zürich")])
    widget.query_table.set_pairs([("dry_run", "1")])
    assert widget.request_tabs.tabText(1) == "Query (1)"
    send_and_wait(qtbot, qloop, widget)
    echoed = widget.last_response.body
    assert echoed["content_type"] == "application/x-www-form-urlencoded"
    assert echoed["body"] == "name=Ann+Lee&city=Z%C3%BCrich"
    assert echoed["query"] == {"dry_run": "1"}


def test_cancel_stops_a_request_in_flight(qtbot, qloop, local, fixture_server):
    widget = local
    widget.path_edit.setText("/slow")  # answers after 30 s
    shown = []
    widget.response_shown.connect(lambda: shown.append(True))
    before = fixture_server.hits["/slow"]
    qtbot.mouseClick(widget.send_button, LEFT)
    assert widget.busy and widget.cancel_button.isEnabled() and not widget.send_button.isEnabled()
    spin_until(qloop, lambda: fixture_server.hits["/slow"] > before)  # the request is on the server now
    qtbot.mouseClick(widget.cancel_button, LEFT)
    spin_until(qloop, lambda: not widget.busy, timeout=5)
    assert shown and widget.response_view.error_label.text() == "Cancelled."
    assert widget.response_view.status_label.text() == "✗ No response"
    assert widget.send_button.isEnabled() and not widget.cancel_button.isEnabled()


class TickRecorder:
    """The gaps between the timeouts of a 1 ms QTimer: the event loop's heartbeat (as in the benchmarks)."""

    def __init__(self) -> None:
        self.gaps_ms: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        self._tick()
        return max(self.gaps_ms)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps_ms.append((now - self._last) * 1000)
        self._last = now


def test_a_body_over_10_mb_is_spooled_paged_from_its_file_parsed_on_demand_and_saved(
    qtbot, qloop, local, tmp_path, monkeypatch
):
    widget = local
    loop_thread = threading.get_ident()
    parsed_on_loop: list[int] = []
    real_loads = json.loads

    def watched_loads(text, *args, **kwargs):
        if threading.get_ident() == loop_thread:
            parsed_on_loop.append(len(text))
        return real_loads(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", watched_loads)
    widget.path_edit.setText("/big")
    # what the app pays once, not per response: the HTTP stack (warmed after the window shows) and the
    # connection's client (made on first use, reading its secrets)
    qloop.run_until_complete(warm_up_http())
    widget.workspace.client(widget.connection)
    ticks = TickRecorder()
    ticks.start()
    send_and_wait(qtbot, qloop, widget)
    receive_gap = ticks.stop()
    monkeypatch.setattr(json, "loads", real_loads)

    response = widget.last_response
    expected = json.dumps(big_document()).encode()
    # spooled, not held: no body in memory, the exact bytes in a temporary file, never parsed on the loop
    assert response.body is None and response.body_file is not None and response.is_json
    assert response.size == len(expected) > LARGE_BODY
    assert response.body_file.read_bytes() == expected
    assert max(parsed_on_loop, default=0) < LARGE_BODY
    print(f"\nlongest event-loop gap while receiving {response.size / 1048576:.1f} MB: {receive_gap:.1f} ms")
    assert receive_gap < GAP_LIMIT_MS

    view = widget.response_view
    assert view.status_label.text() == "200 OK"
    assert view.size_label.text().endswith("MB")
    raw = view.raw_view
    assert view.tabs.currentWidget() is raw  # nothing in the tree yet: the raw pages are shown
    assert raw.done and isinstance(raw.pages, FilePages) and raw.pages.spilled
    assert raw.banner.isVisible() and "Large body" in raw.banner.text()
    assert raw.pager.isVisible() and raw.page_spin.maximum() == len(raw.pages) > 100
    assert raw.text.toPlainText() == expected[:PAGE_BYTES].decode()
    raw.page_spin.setValue(len(raw.pages))  # the last page, read from the file
    assert raw.text.toPlainText().endswith("}]")
    whole = "".join(raw.pages.page(i) for i in range(len(raw.pages)))
    assert whole.encode() == expected

    # the tree on demand, parsed in a worker thread
    assert view.json_tree.json_model.rowCount() == 0
    assert not view.tree_notice.isHidden() and "not parsed" in view.tree_notice_label.text()
    assert view.jsonpath_status.text() == "parse the body first"
    parsed = []
    view.parsed.connect(parsed.append)
    ticks = TickRecorder()
    ticks.start()
    qtbot.mouseClick(view.parse_button, LEFT)
    spin_until(qloop, lambda: bool(parsed), timeout=60)
    parse_gap = ticks.stop()
    print(f"longest event-loop gap while parsing it as JSON: {parse_gap:.1f} ms")
    assert parsed == [True] and view.has_document
    assert view.json_tree.json_model.rowCount() > 0 and view.tabs.currentIndex() == 0
    assert view.parse_button.isHidden()
    view.jsonpath_edit.setText("$[2].name")
    spin_until(qloop, lambda: view.jsonpath_matches == ["record 2"])

    assert widget.save_body_button.isEnabled()
    qtbot.mouseClick(widget.save_body_button, LEFT)
    dialog = widget.save_dialog
    assert dialog is not None and dialog.isVisible()
    target = tmp_path / "body.json"
    saved = []
    widget.body_saved.connect(saved.append)
    dialog.fileSelected.emit(str(target))
    dialog.close()
    spin_until(qloop, lambda: bool(saved), timeout=60)
    assert target.read_bytes() == expected  # the body as received
    assert "Saved the body" in widget.message_label.text()

    spool = response.body_file
    del response
    widget.response_view.clear()  # once nothing shows or holds the response, its file goes
    widget.last_response = None
    gc.collect()
    assert not spool.exists()


def test_a_spooled_body_over_the_parse_limit_offers_no_tree(qtbot, qloop, tmp_path):
    keeper = TaskKeeper()
    view = ResponseView(keeper)
    qtbot.addWidget(view)
    view.show()
    body = tmp_path / "body"
    body.write_bytes(b"[1, 2, 3]")
    huge = ApiResponse(
        status=200, headers={}, body=None, elapsed_ms=1, url="https://x.test/a", attempts=1,
        size=PARSE_FILE_LIMIT + 1, is_json=True, content_type="application/json", body_file=body,
    )  # fmt: skip
    view.show_response(huge)
    assert not view.tree_notice.isHidden() and "too large to show as a tree" in view.tree_notice_label.text()
    assert view.parse_button.isHidden()
    assert view.raw_view.text.toPlainText() == "[1, 2, 3]"

    small = ApiResponse(
        status=200, headers={}, body=None, elapsed_ms=1, url="https://x.test/a", attempts=1, size=9,
        is_json=False, content_type="text/plain", body_file=body,
    )  # fmt: skip
    view.show_response(small)
    assert not view.parse_button.isHidden() and "text/plain, not JSON" in view.tree_notice_label.text()
    parsed = []
    view.parsed.connect(parsed.append)
    qtbot.mouseClick(view.parse_button, LEFT)
    spin_until(qloop, lambda: bool(parsed))
    assert parsed == [True] and view.document == [1, 2, 3]

    body.write_bytes(b"{not json")
    view.show_response(small)
    parsed.clear()
    qtbot.mouseClick(view.parse_button, LEFT)
    spin_until(qloop, lambda: bool(parsed))
    assert parsed == [False] and "not valid JSON" in view.tree_notice_label.text()
    view.clear()
    assert view.tree_notice.isHidden() and view.spooled is None
