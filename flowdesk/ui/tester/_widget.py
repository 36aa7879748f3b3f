"""The request tester: build a request for an entity (or an ad-hoc path), send it, look at the answer.

Every call runs as a coroutine through the widget's :class:`TaskKeeper` on the qasync loop; the window
never waits on the network. Send is Ctrl+Enter; Cancel stops the call (or the page fetch) in flight.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.connection import HTTP_METHODS
from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui.tester._body_editor import BodyEditor
from flowdesk.ui.tester._dialogs import ImportCurlDialog, PaginationDialog
from flowdesk.ui.tester._kv_table import KeyValueTable
from flowdesk.ui.tester._response_view import ResponseView, human_size, save_body
from flowdesk.workspace import (
    ApiResponse,
    TesterRequest,
    Workspace,
    copy_request,
    detect_pagination,
    estimated_total_pages,
    fetch_all_pages,
    import_curl,
    request_for_entity,
    save_body_file,
    send_request,
)

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)\}")
AD_HOC = "(ad-hoc request)"


def path_placeholders(path: str) -> list[str]:
    """The ``{name}`` placeholders of a path, in order, each once (``{{`` is a literal brace)."""
    names: list[str] = []
    for match in _PLACEHOLDER.finditer(path.replace("{{", "").replace("}}", "")):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names


class RequestTesterWidget(QWidget):
    """A Postman-like tester for one connection: request on the left, response on the right."""

    response_shown = Signal()
    """A response (or a failure) is on screen."""
    pages_finished = Signal(int)
    """"Fetch all pages" ended; the argument is the number of records."""
    busy_changed = Signal(bool)
    body_saved = Signal(str)
    """"Save body to file" wrote the file at this path."""

    def __init__(self, workspace: Workspace, keeper: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.keeper = keeper
        self.connection: str | None = None
        self.entity: str | None = None
        self.last_response: ApiResponse | None = None
        self.last_request: TesterRequest | None = None
        self.records: list[Any] = []
        self.pages_fetched = 0
        self.import_dialog: ImportCurlDialog | None = None
        self.pagination_dialog: PaginationDialog | None = None
        self.save_dialog: QFileDialog | None = None
        self._task: asyncio.Task[None] | None = None
        self._param_values: dict[str, str] = {}
        self.param_edits: dict[str, QLineEdit] = {}
        self._loading = False

        outer = QVBoxLayout(self)
        # --- the request line ---
        line = QHBoxLayout()
        self.entity_combo = QComboBox(self)
        self.entity_combo.setToolTip("The entity to test, or an ad-hoc request")
        self.entity_combo.setMinimumContentsLength(14)
        self.method_combo = QComboBox(self)
        self.method_combo.addItems(list(HTTP_METHODS))
        self.method_combo.setToolTip("HTTP method")
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("/path/{id} relative to the connection's base URL, or a full URL")
        self.send_button = QPushButton("Send", self)
        self.send_button.setToolTip("Send the request (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the request in flight")
        self.cancel_button.setEnabled(False)
        line.addWidget(self.entity_combo)
        line.addWidget(self.method_combo)
        line.addWidget(self.path_edit, 1)
        line.addWidget(self.send_button)
        line.addWidget(self.cancel_button)
        outer.addLayout(line)

        tools = QHBoxLayout()
        self.copy_curl_button = QPushButton("Copy as cURL", self)
        self.copy_httpx_button = QPushButton("Copy as Python (httpx)", self)
        self.include_secrets = QCheckBox("include secrets", self)
        self.include_secrets.setToolTip("Copy real credentials instead of ***; the copy then holds secrets")
        self.import_curl_button = QPushButton("Import from cURL…", self)
        for widget in (self.copy_curl_button, self.copy_httpx_button, self.include_secrets):
            tools.addWidget(widget)
        tools.addStretch(1)
        tools.addWidget(self.import_curl_button)
        outer.addLayout(tools)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        outer.addWidget(self.message_label)

        # request above, response below (as Postman's default layout): both get the panel's full width
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        # --- request tabs ---
        self.request_tabs = QTabWidget(splitter)
        params_page = QWidget(self.request_tabs)
        params_layout = QVBoxLayout(params_page)
        self.params_hint = QLabel("The path has no {placeholders}.", params_page)
        self.params_hint.setWordWrap(True)
        params_layout.addWidget(self.params_hint)
        self.params_form = QFormLayout()
        params_layout.addLayout(self.params_form)
        params_layout.addStretch(1)
        self.query_table = KeyValueTable("Parameter", "Value", self.request_tabs)
        self.headers_table = KeyValueTable("Header", "Value", self.request_tabs)
        self.body_editor = BodyEditor(self.request_tabs)
        self.request_tabs.setDocumentMode(True)
        self.request_tabs.addTab(params_page, "Path params")
        self.request_tabs.addTab(self.query_table, "Query")
        self.request_tabs.addTab(self.headers_table, "Headers")
        self.request_tabs.addTab(self.body_editor, "Body")
        # --- response ---
        response_side = QWidget(splitter)
        response_layout = QVBoxLayout(response_side)
        response_layout.setContentsMargins(0, 0, 0, 0)
        actions = QHBoxLayout()
        self.fetch_all_button = QPushButton("Fetch all pages", response_side)
        self.fetch_all_button.setToolTip("Follow the entity's pagination to the end and count the records")
        self.detect_button = QPushButton("Detect pagination…", response_side)
        self.detect_button.setToolTip("Propose pagination settings from the last response")
        self.detect_button.setEnabled(False)
        self.save_body_button = QPushButton("Save body to file…", response_side)
        self.save_body_button.setEnabled(False)
        for widget in (self.fetch_all_button, self.detect_button, self.save_body_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        response_layout.addLayout(actions)
        progress_row = QHBoxLayout()
        progress_row.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar(response_side)
        self.progress.setTextVisible(True)
        self.records_label = QLabel(response_side)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.records_label)
        self.progress_row = QWidget(response_side)
        self.progress_row.setLayout(progress_row)
        self.progress_row.hide()
        response_layout.addWidget(self.progress_row)
        self.response_view = ResponseView(keeper, response_side)
        response_layout.addWidget(self.response_view, 1)
        splitter.addWidget(self.request_tabs)
        splitter.addWidget(response_side)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([150, 610])
        self.splitter = splitter
        outer.addWidget(splitter, 1)

        # --- wiring ---
        self.entity_combo.currentIndexChanged.connect(self._entity_chosen)
        self.path_edit.textChanged.connect(self._path_changed)
        self.send_button.clicked.connect(self.send)
        self.cancel_button.clicked.connect(self.cancel)
        self.fetch_all_button.clicked.connect(self.fetch_all)
        self.detect_button.clicked.connect(self.detect_pagination)
        self.save_body_button.clicked.connect(self._ask_save_body)
        self.copy_curl_button.clicked.connect(lambda: self.copy_as(python=False))
        self.copy_httpx_button.clicked.connect(lambda: self.copy_as(python=True))
        self.import_curl_button.clicked.connect(self.open_import_curl)
        self.query_table.changed.connect(self._update_tab_titles)
        self.headers_table.changed.connect(self._update_tab_titles)
        self.body_editor.mode_combo.currentIndexChanged.connect(self._update_tab_titles)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.send)
        self._set_enabled(False)

    # --- public API ----------------------------------------------------------------------------------

    def set_connection(self, name: str, entity: str | None = None) -> None:
        """Test ``name``; with ``entity`` the form is filled from that entity (else an ad-hoc GET)."""
        if name != self.connection:
            self.cancel()
            self.response_view.clear()
            self.last_response = None
        self.connection = name
        self._loading = True
        try:
            self.entity_combo.clear()
            self.entity_combo.addItem(AD_HOC, None)
            try:
                entities = self.workspace.entities(name)
            except FlowdeskError as exc:
                entities = []
                self._say(exc.message, error=True)
            for item in entities:
                self.entity_combo.addItem(f"{item.name}  ({item.method} {item.path})", item.name)
            index = self.entity_combo.findData(entity) if entity else 0
            self.entity_combo.setCurrentIndex(max(index, 0))
        finally:
            self._loading = False
        self._load_entity(entity if entity and self.entity_combo.findData(entity) >= 0 else None)
        self._set_enabled(True)

    def request(self) -> TesterRequest:
        """The form as a request.

        Raises:
            ValueError: the JSON body does not parse (with its line and column).
        """
        body, body_type = self.body_editor.value()
        names = path_placeholders(self.path_edit.text())
        return TesterRequest(
            method=self.method_combo.currentText(),
            path=self.path_edit.text().strip(),
            params={n: self.param_edits[n].text() for n in names if n in self.param_edits},
            query=self.query_table.pairs(),
            headers=self.headers_table.pairs(),
            body=body,
            body_type=body_type,
        )

    def fill(self, request: TesterRequest) -> None:
        """Put ``request`` into the form."""
        self.method_combo.setCurrentText(request.method.upper())
        self._param_values.update(request.params)
        self.path_edit.setText(request.path)
        self.query_table.set_pairs(list(request.query))
        self.headers_table.set_pairs(list(request.headers))
        self.body_editor.set_body(request.body, request.body_type)

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def send(self) -> None:
        """Send the form's request (refused, with the reason shown, while the body is not valid JSON)."""
        if self.connection is None or self.busy:
            return
        if not self.body_editor.is_valid():
            self.body_editor.show_error()
            self.request_tabs.setCurrentWidget(self.body_editor)
            self._say("Not sent: the body is not valid JSON.", error=True)
            return
        missing = [n for n in path_placeholders(self.path_edit.text()) if not self.param_edits[n].text().strip()]
        if missing:
            self.request_tabs.setCurrentIndex(0)
            self.param_edits[missing[0]].setFocus()
            self._say(f"Not sent: fill in the path parameter {', '.join(missing)}.", error=True)
            return
        request = self.request()
        self._say(None)
        self.response_view.status_label.setText("Sending…")
        self.response_view.status_label.setStyleSheet("")
        self._start(self._send(self.connection, request), "send-request")

    def cancel(self) -> None:
        """Stop the request or page fetch in flight."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            self.response_view.show_error("Cancelled.")
            self.response_shown.emit()

    def fetch_all(self) -> None:
        """Fetch every page (the entity's pagination) and show the running record count."""
        if self.connection is None or self.busy:
            return
        if not self.body_editor.is_valid():
            self.body_editor.show_error()
            self._say("Not sent: the body is not valid JSON.", error=True)
            return
        request = self.request()
        self.records = []
        self.pages_fetched = 0
        self.progress.setRange(0, 0)
        self.progress.setFormat("page %v")
        self.records_label.setText("0 records")
        self.progress_row.show()
        self._say(None)
        self._start(self._fetch_all(self.connection, request), "fetch-all-pages")

    def copy_as(self, *, python: bool) -> str:
        """Copy the request as a cURL command (or httpx code) to the clipboard; returns the text."""
        if self.connection is None:
            return ""
        try:
            text = copy_request(
                self.workspace,
                self.connection,
                self.request(),
                as_python=python,
                include_secrets=self.include_secrets.isChecked(),
            )
        except ValueError as exc:
            self._say(f"Cannot copy: {exc}", error=True)
            return ""
        except FlowdeskError as exc:
            self._say(f"Cannot copy: {exc.message}", error=True)
            return ""
        QGuiApplication.clipboard().setText(text)
        what = "Python (httpx) code" if python else "cURL command"
        secrets = "with secrets" if self.include_secrets.isChecked() else "secrets masked as ***"
        self._say(f"Copied the {what} to the clipboard ({secrets}).")
        return text

    def open_import_curl(self) -> ImportCurlDialog:
        """Open the "Import from cURL" dialog (non-modal ``open()``); it fills the form on success."""
        if self.connection is None:
            raise RuntimeError("set_connection first")
        connection = self.connection
        dialog = ImportCurlDialog(lambda text: import_curl(self.workspace, connection, text), self)
        dialog.imported.connect(self._imported)
        dialog.finished.connect(dialog.deleteLater)
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def detect_pagination(self) -> PaginationDialog | None:
        """Propose pagination settings from the last response; opens the preview/save dialog."""
        if self.connection is None or self.last_response is None or self.last_request is None:
            self._say("Send a request first: pagination is detected from its response.", error=True)
            return None
        data_path = None
        if self.entity:
            try:
                data_path = self.workspace.entity(self.connection, self.entity).data_path
            except FlowdeskError:
                data_path = None
        proposals = detect_pagination(self.last_response, self.last_request.query, data_path)
        if not proposals:
            self._say(
                "No pagination found in this response: no Link header, next cursor or URL, offset/page "
                "parameter or total. If the API pages, set it on the entity by hand.",
                error=True,
            )
            return None
        dialog = PaginationDialog(
            self.workspace, self.keeper, self.connection, self.entity, self.last_request, proposals, self
        )
        dialog.saved.connect(self._pagination_saved)
        dialog.finished.connect(dialog.deleteLater)
        self.pagination_dialog = dialog
        dialog.open()
        return dialog

    def save_body_to(self, path: Path) -> None:
        """Write the shown body (all of it, not just the visible page) to ``path``."""
        self._start(self._save_body(Path(path)), "save-body", exclusive=False)

    # --- work ----------------------------------------------------------------------------------------

    def _start(self, coro: Coroutine[Any, Any, None], name: str, *, exclusive: bool = True) -> None:
        task = self.keeper.start(coro, name=name)
        if exclusive:
            self._task = task
            self._set_busy(True)
            task.add_done_callback(lambda _t: self._set_busy(False))

    async def _send(self, connection: str, request: TesterRequest) -> None:
        try:
            response = await send_request(self.workspace, connection, request, self.entity)
        except FlowdeskError as exc:
            self.response_view.clear("✗ No response")
            self.response_view.show_error(exc.message, exc.hint)
            self.response_shown.emit()
            return
        self.last_response, self.last_request = response, request
        self.progress_row.hide()
        self.response_view.show_response(response)
        self.detect_button.setEnabled(True)
        self.save_body_button.setEnabled(response.body is not None or response.body_file is not None)
        self.response_shown.emit()

    async def _fetch_all(self, connection: str, request: TesterRequest) -> None:
        records = self.records
        last: ApiResponse | None = None
        waited_ms, received = 0.0, 0
        try:
            async for page in fetch_all_pages(self.workspace, connection, request, self.entity):
                last = page.response
                waited_ms += page.response.elapsed_ms
                received += page.response.size
                records.extend(page.records)
                self.pages_fetched = page.number
                if page.number == 1:
                    total = estimated_total_pages(page.response, len(page.records))
                    if total is not None and total > 1:
                        self.progress.setRange(0, total)
                        self.progress.setFormat("page %v of %m")
                self.progress.setValue(page.number)
                self.records_label.setText(f"{len(records):,} records · {page.number:,} pages")
                if not page.response.ok:
                    self._say(f"Page {page.number} answered {page.response.status}; stopped there.", error=True)
                    break
        except asyncio.CancelledError:
            self.records_label.setText(f"{len(records):,} records · {self.pages_fetched:,} pages (cancelled)")
            self._finish_fetch(last, records, waited_ms, received)
            raise
        except FlowdeskError as exc:
            self.response_view.show_error(exc.message, exc.hint)
            self.records_label.setText(f"{len(records):,} records · {self.pages_fetched:,} pages (failed)")
            self._finish_fetch(last, records, waited_ms, received)
            return
        self.records_label.setText(f"{len(records):,} records · {self.pages_fetched:,} pages ✓")
        self._finish_fetch(last, records, waited_ms, received)

    def _finish_fetch(self, last: ApiResponse | None, records: list[Any], waited_ms: float, received: int) -> None:
        if self.progress.maximum() == 0:
            self.progress.setRange(0, max(self.pages_fetched, 1))
        self.progress.setValue(self.pages_fetched)
        self.progress.setFormat(f"{self.pages_fetched:,} pages")
        if last is not None:
            self.last_response = last
            self.last_request = self.request()
            view = self.response_view
            view.show_response(last)
            view.status_label.setText(
                f"{last.status} · all pages: {len(records):,} records in {self.pages_fetched:,} pages"
            )
            view.time_label.setText(f"{waited_ms:,.0f} ms in all")
            view.size_label.setText(human_size(received))
            # the tree and raw view show every record fetched; the headers are the last page's
            view.show_document(records, received)
            view.jsonpath_edit.setText("$")
            self.detect_button.setEnabled(True)
            self.save_body_button.setEnabled(True)
        self.pages_finished.emit(len(records))

    async def _save_body(self, path: Path) -> None:
        spooled = self.response_view.spooled
        try:
            if spooled is not None:  # the file as received, copied off the event loop
                written = await save_body_file(spooled, path)
                amount = f"{human_size(written)}, as received"
            else:
                written = await save_body(self.response_view.document, path)
                amount = f"{written:,} characters"
        except OSError as exc:
            self._say(f"Could not save the body to {path}: {exc.strerror or exc}", error=True)
            return
        self._say(f"Saved the body ({amount}) to {path}.")
        self.body_saved.emit(str(path))

    # --- slots ---------------------------------------------------------------------------------------

    def _entity_chosen(self) -> None:
        if self._loading or self.connection is None:
            return
        self._load_entity(self.entity_combo.currentData())

    def _load_entity(self, entity: str | None) -> None:
        self.entity = entity
        self._param_values = {}
        if entity is None or self.connection is None:
            self.fill(TesterRequest(path=self.path_edit.text() if entity is None and self.path_edit.text() else "/"))
            self.response_view.jsonpath_edit.setText("$")
            return
        try:
            found = self.workspace.entity(self.connection, entity)
        except FlowdeskError as exc:
            self._say(exc.message, error=True)
            return
        self.fill(request_for_entity(found))
        self.response_view.jsonpath_edit.setText(found.data_path or "$")
        self.fetch_all_button.setToolTip(
            f"Follow the entity's pagination ({found.pagination.type}) to the end and count the records"
        )

    def _path_changed(self) -> None:
        for name, edit in self.param_edits.items():
            self._param_values[name] = edit.text()
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.param_edits = {}
        names = path_placeholders(self.path_edit.text())
        for name in names:
            edit = QLineEdit(self._param_values.get(name, ""), self)
            edit.setPlaceholderText(f"value for {{{name}}}")
            self.params_form.addRow(name, edit)
            self.param_edits[name] = edit
        self.params_hint.setText(
            "Values for the path's placeholders (URL-encoded when sent)."
            if names
            else "The path has no {placeholders}."
        )
        self._update_tab_titles()

    def _update_tab_titles(self) -> None:
        """Tab titles say what a tab holds: "Query (2)", "Body (JSON)"."""
        names = len(self.param_edits)
        query, headers = len(self.query_table.pairs()), len(self.headers_table.pairs())
        self.request_tabs.setTabText(0, f"Path params ({names})" if names else "Path params")
        self.request_tabs.setTabText(1, f"Query ({query})" if query else "Query")
        self.request_tabs.setTabText(2, f"Headers ({headers})" if headers else "Headers")
        body = "Body" if self.body_editor.mode == "none" else f"Body ({self.body_editor.mode_combo.currentText()})"
        self.request_tabs.setTabText(3, body)

    def _imported(self, request: TesterRequest) -> None:
        self._loading = True
        self.entity_combo.setCurrentIndex(0)
        self._loading = False
        self.entity = None
        self.fill(request)
        self._say("Imported the cURL command.")

    def _pagination_saved(self, name: str) -> None:
        if self.connection is not None:
            self.set_connection(self.connection, name)
        self._say(f"Pagination saved to the entity “{name}”.")

    def _ask_save_body(self) -> None:
        spooled = self.response_view.spooled
        json_body = spooled.is_json if spooled is not None else isinstance(self.response_view.document, dict | list)
        dialog = QFileDialog(self, "Save body to file")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["JSON (*.json)", "All files (*)"] if json_body else ["Text (*.txt)", "All files (*)"])
        dialog.setDefaultSuffix("json" if json_body else "txt")
        dialog.fileSelected.connect(lambda path: self.save_body_to(Path(path)))
        dialog.finished.connect(dialog.deleteLater)
        self.save_dialog = dialog
        dialog.open()

    def _set_busy(self, busy: bool) -> None:
        self.send_button.setEnabled(not busy and self.connection is not None)
        self.fetch_all_button.setEnabled(not busy and self.connection is not None)
        self.cancel_button.setEnabled(busy)
        self.busy_changed.emit(busy)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (
            self.send_button,
            self.fetch_all_button,
            self.copy_curl_button,
            self.copy_httpx_button,
            self.import_curl_button,
        ):
            widget.setEnabled(enabled)

    def _say(self, text: str | None, *, error: bool = False) -> None:
        if not text:
            self.message_label.hide()
            return
        self.message_label.setText(text)
        self.message_label.setStyleSheet("color: #dc2626;" if error else "")
        self.message_label.show()
