"""The response pane: status, time and size, the headers, the body as a tree and as raw text, and a
JSONPath box.

Raw text is produced in slices on the event loop (a few milliseconds at a time) and kept in pages; a body
over 10 MB is paged through a temporary file, so neither rendering nor memory freezes the window. A body
the client spooled to a file (over 10 MB on the wire) is paged straight from that file, and parsed for the
tree only when asked ("Parse as JSON", in a worker thread).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui.json_tree import JsonTreeView
from flowdesk.ui.style import ERROR_LABEL, FAIL_COLOR, OK_COLOR
from flowdesk.workspace import PARSE_FILE_LIMIT, ApiResponse, extract_jsonpath, parse_body_file

LARGE_BODY = 10 * 1024 * 1024
"""Bodies larger than this (bytes) are paged through a temporary file."""
PAGE_CHARS = 64 * 1024
"""Characters per page of the raw view: what a text widget lays out in ~15 ms (256 KB took ~75 ms)."""
PAGE_BYTES = 32 * 1024
"""Bytes per page of a body shown from its spool file: one wrapped line of compact JSON, ~5 ms to lay out
(64 KB took ~15-25 ms)."""
SLICE_S = 0.008
"""Longest stretch of rendering between two returns to the event loop."""
JSONPATH_SHOWN = 200_000
"""Characters of a JSONPath result shown (the count is always exact)."""


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def body_chunks(body: Any) -> Iterator[str]:
    """The body as text in pieces: pretty JSON for data, the text itself otherwise."""
    if body is None:
        return
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]
        return
    # with an indent the encoder is the pure-Python generator: small pieces we can pause between
    yield from json.JSONEncoder(indent=2, ensure_ascii=False, default=str).iterencode(body)


class PagedText:
    """Text split into pages, kept in memory or (for large bodies) in a temporary file."""

    def __init__(self, spill: bool) -> None:
        self._pages: list[str] = []
        self._offsets: list[tuple[int, int]] = []
        self._file: IO[bytes] | None = tempfile.TemporaryFile(prefix="flowdesk-body-") if spill else None  # noqa: SIM115
        if self._file is not None:  # closed (and so deleted) with the pages, even if close() is never called
            weakref.finalize(self, self._file.close)
        self.chars = 0

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def add(self, text: str) -> None:
        self.chars += len(text)
        if self._file is None:
            self._pages.append(text)
            return
        data = text.encode("utf-8")
        start = self._file.seek(0, 2)
        self._file.write(data)
        self._offsets.append((start, len(data)))

    def __len__(self) -> int:
        return len(self._offsets) if self._file is not None else len(self._pages)

    def page(self, index: int) -> str:
        if self._file is None:
            return self._pages[index]
        start, length = self._offsets[index]
        self._file.seek(start)
        return self._file.read(length).decode("utf-8")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._pages = []


class FilePages:
    """A body file read a page (:data:`PAGE_BYTES`) at a time, as UTF-8; nothing of it is held in memory.

    A character belongs to the page holding its first byte, so no page splits one. The file is opened per
    page (never held open: its owner may delete it at any time)."""

    spilled = True

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size

    def __len__(self) -> int:
        return max(1, -(-self.size // PAGE_BYTES))

    def page(self, index: int) -> str:
        start = index * PAGE_BYTES
        try:
            with self.path.open("rb") as body:
                body.seek(start)
                data = body.read(PAGE_BYTES + 3)
        except OSError as exc:
            return f"(the body file cannot be read: {exc.strerror or exc})"
        first = 0
        if index:
            while first < min(3, len(data)) and _continuation(data[first]):
                first += 1
        end = min(PAGE_BYTES, len(data))
        while end < len(data) and _continuation(data[end]):
            end += 1
        return data[first:end].decode("utf-8", errors="replace")

    def close(self) -> None:
        """Nothing to release: the file belongs to the response."""


def _continuation(byte: int) -> bool:
    return 0x80 <= byte <= 0xBF


class RawBodyView(QWidget):
    """The body as text, a page at a time, with "Save body to file"."""

    rendered = Signal()

    def __init__(self, keeper: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keeper = keeper
        self.pages: PagedText | FilePages | None = None
        self.source: ApiResponse | None = None
        """The spooled response shown from its file (held so that the file outlives the view)."""
        self.current = 0
        self._shown: int | None = None
        self.done = True
        self._task: asyncio.Task[None] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.hide()
        layout.addWidget(self.banner)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setPlaceholderText("The response body appears here.")
        layout.addWidget(self.text, 1)
        pager = QHBoxLayout()
        pager.setContentsMargins(0, 2, 0, 0)
        self.prev_button = QPushButton("◀ Previous", self)
        self.next_button = QPushButton("Next ▶", self)
        self.page_spin = QSpinBox(self)
        self.page_spin.setPrefix("Page ")
        self.page_spin.setKeyboardTracking(False)  # jump when Enter is pressed, not on every digit
        self.page_spin.setToolTip("Go to page")
        self.page_label = QLabel(self)
        self.prev_button.clicked.connect(lambda: self.show_page(self.current - 1))
        self.next_button.clicked.connect(lambda: self.show_page(self.current + 1))
        self.page_spin.valueChanged.connect(lambda value: self.show_page(value - 1))
        pager.addWidget(self.prev_button)
        pager.addWidget(self.page_spin)
        pager.addWidget(self.page_label)
        pager.addWidget(self.next_button)
        pager.addStretch(1)
        self.pager = QWidget(self)
        self.pager.setLayout(pager)
        self.pager.hide()
        layout.addWidget(self.pager)

    def clear(self) -> None:
        self._stop()
        self.text.clear()
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.banner.hide()
        self.pager.hide()
        self.done = True

    def show_file(self, response: ApiResponse) -> None:
        """Page through a spooled body straight from its file: nothing to render, the first page is up now."""
        self.clear()
        assert response.body_file is not None
        self.source = response
        self.pages = FilePages(response.body_file, response.size)
        # a compact JSON body is one long line: wrap it rather than scroll sideways through 64 KB
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.show_page(0)
        self.banner.setText(
            f"Large body ({human_size(response.size)}): streamed to a temporary file and shown as received, "
            "a page at a time. Use “Save body to file” to keep it."
        )
        self.banner.show()
        self.rendered.emit()

    def show_body(self, body: Any, size: int) -> None:
        """Start rendering ``body`` (``size`` bytes on the wire); the first page shows as soon as it is ready."""
        self.clear()
        self.done = False
        self._task = self.keeper.start(self._render(body, size > LARGE_BODY, size), name="render-body")

    async def _render(self, body: Any, spill: bool, size: int) -> None:
        pages = PagedText(spill)
        self.pages = pages
        buffer: list[str] = []
        buffered = 0
        deadline = time.perf_counter() + SLICE_S
        for count, chunk in enumerate(body_chunks(body)):
            buffer.append(chunk)
            buffered += len(chunk)
            if buffered >= PAGE_CHARS:
                pages.add("".join(buffer))
                buffer, buffered = [], 0
                if len(pages) == 1:
                    self.show_page(0)
            if count % 256 == 0 and time.perf_counter() > deadline:
                await asyncio.sleep(0)
                deadline = time.perf_counter() + SLICE_S
        if buffer or not len(pages):
            pages.add("".join(buffer))
        self.done = True
        self.show_page(self.current if len(pages) > 1 else 0)
        if spill:
            self.banner.setText(
                f"Large body ({human_size(size)}): shown a page at a time from a temporary file. "
                "Use “Save body to file” for the whole body."
            )
            self.banner.show()
        self.rendered.emit()

    def show_page(self, index: int) -> None:
        pages = self.pages
        if pages is None or not len(pages):
            return
        index = max(0, min(index, len(pages) - 1))
        if index != self._shown:  # laying out a page costs ~15 ms: only when it changes
            self.text.setPlainText(pages.page(index))
            self._shown = index
        self.current = index
        many = len(pages) > 1 or not self.done
        self.pager.setVisible(many)
        total = f"{len(pages):,}" + ("" if self.done else "+")
        self.page_spin.blockSignals(True)
        self.page_spin.setRange(1, len(pages))
        self.page_spin.setValue(index + 1)
        self.page_spin.blockSignals(False)
        self.page_label.setText(f"of {total}")
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(pages) - 1)

    def _stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        if self.pages is not None:
            self.pages.close()
            self.pages = None
        self.source = None
        self.current = 0
        self._shown = None


async def save_body(body: Any, path: Path) -> int:
    """Write the whole body to ``path`` (pretty JSON for data), pausing for the event loop; returns chars."""
    written = 0
    deadline = time.perf_counter() + SLICE_S
    with path.open("w", encoding="utf-8") as out:
        buffer: list[str] = []
        for count, chunk in enumerate(body_chunks(body)):
            buffer.append(chunk)
            if len(buffer) >= 4096:
                text = "".join(buffer)
                out.write(text)
                written += len(text)
                buffer = []
            if count % 256 == 0 and time.perf_counter() > deadline:
                await asyncio.sleep(0)
                deadline = time.perf_counter() + SLICE_S
        text = "".join(buffer)
        out.write(text)
        written += len(text)
    return written


class ResponseView(QWidget):
    """Everything about the last response (or the records of "Fetch all pages")."""

    jsonpath_evaluated = Signal()
    parsed = Signal(bool)
    """"Parse as JSON" of a spooled body ended (``True``: the tree shows it)."""

    def __init__(self, keeper: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keeper = keeper
        self.document: Any = None
        self.has_document = False
        self.spooled: ApiResponse | None = None
        """The response shown, when its body is in a spool file rather than in ``document``."""
        self._parse_task: asyncio.Task[None] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        facts = QHBoxLayout()
        self.status_label = QLabel("No response yet", self)
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        self.time_label = QLabel(self)
        self.size_label = QLabel(self)
        for label in (self.status_label, self.time_label, self.size_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            facts.addWidget(label)
        facts.addStretch(1)
        layout.addLayout(facts)
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_LABEL)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.tabs = QTabWidget(self)
        tree_page = QWidget(self)
        tree_layout = QVBoxLayout(tree_page)
        tree_layout.setContentsMargins(0, 0, 0, 0)
        self.tree_notice = QWidget(tree_page)
        notice_row = QHBoxLayout(self.tree_notice)
        notice_row.setContentsMargins(4, 4, 4, 4)
        self.tree_notice_label = QLabel(self.tree_notice)
        self.tree_notice_label.setWordWrap(True)
        self.parse_button = QPushButton("Parse as JSON", self.tree_notice)
        self.parse_button.setToolTip("Read the body file into the tree (in the background; large bodies take a while)")
        self.parse_button.clicked.connect(self.parse_spooled)
        notice_row.addWidget(self.tree_notice_label, 1)
        notice_row.addWidget(self.parse_button, 0, Qt.AlignmentFlag.AlignTop)
        self.tree_notice.hide()
        tree_layout.addWidget(self.tree_notice)
        self.json_tree = JsonTreeView(tree_page)
        tree_layout.addWidget(self.json_tree, 1)
        self.raw_view = RawBodyView(keeper, self)
        self.headers_table = QTableWidget(0, 2, self)
        self.headers_table.setHorizontalHeaderLabels(["Header", "Value"])
        self.headers_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.headers_table.setColumnWidth(0, 200)
        self.headers_table.verticalHeader().setVisible(False)
        self.headers_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tabs.addTab(tree_page, "Tree")
        self.tabs.addTab(self.raw_view, "Raw")
        self.tabs.addTab(self.headers_table, "Headers")
        layout.addWidget(self.tabs, 3)

        path_row = QHBoxLayout()
        path_row.addWidget(QLabel("JSONPath:", self))
        self.jsonpath_edit = QLineEdit(self)
        self.jsonpath_edit.setPlaceholderText("$.data[*].id — what the entity's data path (or any path) extracts")
        self.jsonpath_edit.setClearButtonEnabled(True)
        path_row.addWidget(self.jsonpath_edit, 1)
        self.jsonpath_status = QLabel(self)
        path_row.addWidget(self.jsonpath_status)
        layout.addLayout(path_row)
        self.jsonpath_error = QLabel(self)
        self.jsonpath_error.setStyleSheet(ERROR_LABEL)
        self.jsonpath_error.setWordWrap(True)
        self.jsonpath_error.hide()
        layout.addWidget(self.jsonpath_error)
        self.jsonpath_result = QPlainTextEdit(self)
        self.jsonpath_result.setReadOnly(True)
        self.jsonpath_result.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.jsonpath_result.setPlaceholderText("What the JSONPath extracts from the body.")
        self.jsonpath_result.setMaximumHeight(160)
        layout.addWidget(self.jsonpath_result, 1)
        self._path_timer = QTimer(self)
        self._path_timer.setSingleShot(True)
        self._path_timer.setInterval(200)
        self._path_timer.timeout.connect(self.evaluate_jsonpath)
        self.jsonpath_edit.textChanged.connect(self._path_timer.start)
        self._path_task: asyncio.Task[None] | None = None
        self.jsonpath_matches: list[Any] | None = None

    def clear(self, message: str = "No response yet") -> None:
        self.status_label.setText(message)
        self.status_label.setStyleSheet("")
        self.time_label.clear()
        self.size_label.clear()
        self.error_label.hide()
        self.headers_table.setRowCount(0)
        self._forget_spooled()
        self.json_tree.clear()
        self.raw_view.clear()
        self.document, self.has_document = None, False
        self.jsonpath_result.clear()
        self.jsonpath_status.clear()
        self.jsonpath_error.hide()

    def show_response(self, response: ApiResponse) -> None:
        """Show an ``ApiResponse``: status, time, size, headers, and the body (tree + raw)."""
        ok = 200 <= response.status < 300
        self.status_label.setText(f"{response.status} {_reason(response.status)}".strip())
        self.status_label.setStyleSheet(f"color: {OK_COLOR if ok else FAIL_COLOR};")
        attempts = f" · {response.attempts} attempts" if response.attempts > 1 else ""
        self.time_label.setText(f"{response.elapsed_ms:,.0f} ms{attempts}")
        self.size_label.setText(human_size(int(response.size)))
        self.error_label.hide()
        headers = list(response.headers.items())
        self.headers_table.setRowCount(len(headers))
        for row, (name, value) in enumerate(headers):
            self.headers_table.setItem(row, 0, QTableWidgetItem(str(name)))
            self.headers_table.setItem(row, 1, QTableWidgetItem(str(value)))
        if response.body_file is not None:
            self.show_spooled(response)
        else:
            self.show_document(response.body, int(response.size))

    def show_document(self, document: Any, size: int) -> None:
        """Show ``document`` in the tree and the raw view and run the JSONPath box on it."""
        self._forget_spooled()
        self.document, self.has_document = document, True
        if isinstance(document, dict | list):
            self.json_tree.set_document(document)
            self.tabs.setTabEnabled(0, True)
        else:
            self.json_tree.set_document(document)
            if isinstance(document, str) and self.tabs.currentIndex() == 0:
                self.tabs.setCurrentIndex(1)
        self.raw_view.show_body(document, size)
        self.evaluate_jsonpath()

    def show_spooled(self, response: ApiResponse) -> None:
        """Show a body spooled to a file: raw pages from the file now, the tree only on "Parse as JSON"."""
        self._forget_spooled()
        self.spooled = response
        self.document, self.has_document = None, False
        self.json_tree.clear()
        size = human_size(response.size)
        if response.size > PARSE_FILE_LIMIT:
            self.tree_notice_label.setText(
                f"The body ({size}) is too large to show as a tree (the limit is "
                f"{human_size(PARSE_FILE_LIMIT)}): page through it in Raw, or save it to a file."
            )
            self.parse_button.hide()
        else:
            kind = "JSON" if response.is_json else f"{response.content_type or 'without a content type'}, not JSON"
            self.tree_notice_label.setText(
                f"The body ({size}, {kind}) was streamed to a temporary file and not parsed, so the window "
                "stays responsive. Parse it to browse it as a tree and use the JSONPath box."
            )
            self.parse_button.setText("Parse as JSON")
            self.parse_button.setEnabled(True)
            self.parse_button.show()
        self.tree_notice.show()
        if self.tabs.currentIndex() == 0:
            self.tabs.setCurrentIndex(1)
        self.raw_view.show_file(response)
        self.evaluate_jsonpath()

    def parse_spooled(self) -> None:
        """Parse the spooled body for the tree and the JSONPath box, off the event loop."""
        response = self.spooled
        if response is None or (self._parse_task is not None and not self._parse_task.done()):
            return
        self.parse_button.setEnabled(False)
        self.parse_button.setText("Parsing…")
        self._parse_task = self.keeper.start(self._parse(response), name="parse-body")

    async def _parse(self, response: ApiResponse) -> None:
        try:
            document = await parse_body_file(response)
        except FlowdeskError as exc:
            if self.spooled is response:
                self.tree_notice_label.setText(f"Cannot show the body as a tree: {exc.message}")
                self.parse_button.hide()
                self.parsed.emit(False)
            return
        if self.spooled is not response:  # another response arrived meanwhile
            return
        self.document, self.has_document = document, True
        self.json_tree.set_document(document)
        self.tree_notice_label.setText(f"Parsed from the temporary file ({human_size(response.size)}).")
        self.parse_button.hide()
        self.tabs.setCurrentIndex(0)
        self.evaluate_jsonpath()
        self.parsed.emit(True)

    def _forget_spooled(self) -> None:
        if self._parse_task is not None and not self._parse_task.done():
            self._parse_task.cancel()  # the worker thread finishes on its own; its result is dropped
        self._parse_task = None
        self.spooled = None
        self.tree_notice.hide()

    def show_error(self, message: str, hint: str | None = None) -> None:
        shown = self.has_document or self.spooled is not None
        self.status_label.setText(self.status_label.text() if shown else "✗ No response")
        self.status_label.setStyleSheet(f"color: {FAIL_COLOR};")
        self.error_label.setText(message + (f"\nWhat to check: {hint}" if hint else ""))
        self.error_label.show()

    def evaluate_jsonpath(self) -> None:
        """Run the JSONPath box on the shown body (off the event loop: big bodies take a while)."""
        self._path_timer.stop()
        if self._path_task is not None and not self._path_task.done():
            self._path_task.cancel()
        expression = self.jsonpath_edit.text().strip()
        if not self.has_document or not expression:
            self.jsonpath_result.clear()
            self.jsonpath_status.setText("parse the body first" if self.spooled is not None and expression else "")
            self.jsonpath_error.hide()
            self.jsonpath_matches = None
            self.jsonpath_evaluated.emit()
            return
        self._path_task = self.keeper.start(self._evaluate(expression, self.document), name="jsonpath")

    async def _evaluate(self, expression: str, document: Any) -> None:
        try:
            matches, text = await asyncio.to_thread(_jsonpath_text, expression, document)
        except FlowdeskError as exc:
            self.jsonpath_matches = None
            self.jsonpath_error.setText(exc.message)
            self.jsonpath_error.show()
            self.jsonpath_status.setText("✗ invalid")
            self.jsonpath_result.clear()
            self.jsonpath_evaluated.emit()
            return
        self.jsonpath_matches = matches
        self.jsonpath_error.hide()
        status = f"{len(matches):,} match{'es' if len(matches) != 1 else ''}"
        if len(matches) == 1 and isinstance(matches[0], list):
            status += f" · {len(matches[0]):,} item{'s' if len(matches[0]) != 1 else ''}"
        self.jsonpath_status.setText(status)
        self.jsonpath_result.setPlainText(text)
        self.jsonpath_evaluated.emit()


def _jsonpath_text(expression: str, document: Any) -> tuple[list[Any], str]:
    """The matches and their text (the first 1,000 elements of a long list)."""
    matches = extract_jsonpath(expression, document)
    shown: Any = matches[0] if len(matches) == 1 else matches
    note = ""
    if isinstance(shown, list) and len(shown) > 1000:
        note = f"\n… and {len(shown) - 1000:,} more"
        shown = shown[:1000]
    text = json.dumps(shown, indent=2, ensure_ascii=False, default=str)
    if len(text) > JSONPATH_SHOWN:
        text = text[:JSONPATH_SHOWN] + "\n…"
    return matches, text + note


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
