"""The connection dashboard: status, usage over the last 24 hours, an hourly chart and the recent errors.

The chart is painted with QPainter (QtCharts is not part of PySide6-Essentials). Figures come from
:func:`flowdesk.workspace.dashboard_data`; the dashboard refreshes itself shortly after calls are made.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QPoint, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model import ApiCallMade
from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui._roles import permit, refusal
from flowdesk.ui._times import ago, local_time
from flowdesk.ui.style import ERROR_LABEL, FAIL_COLOR, OK_COLOR, REAUTH_COLOR, UNTESTED_COLOR, palette_style_sheet
from flowdesk.workspace import DashboardData, ErrorEntry, HourBucket, Workspace, dashboard_data

CALLS_COLOR = "#3b82f6"
REFRESH_DELAY_MS = 1000
"""After a call is made the dashboard refreshes once, this long after the last call (not once per call)."""

_STATUS_TEXT = {
    "connected": ("● Connected", OK_COLOR),
    "failing": ("● Failing", FAIL_COLOR),
    "untested": ("● Untested", UNTESTED_COLOR),
    "reauth_needed": ("● Sign-in needed", REAUTH_COLOR),
}


def _short_time(moment: datetime) -> str:
    """ "14:27:41" today, "Dec 03 22:10" before (the detail view has the full time)."""
    local = moment.astimezone()
    return local.strftime("%H:%M:%S") if local.date() == datetime.now().date() else local.strftime("%b %d %H:%M")


def _short_endpoint(entry: ErrorEntry, base_url: str) -> str:
    """ "GET /customers/7" for a call under the connection's base URL (the full URL otherwise)."""
    url = entry.url[len(base_url) :] or "/" if entry.url.startswith(base_url) else entry.url
    return f"{entry.method} {url}"


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


class HourlyChart(QWidget):
    """Bars of calls per hour with the failed part in red; hover a bar for its figures."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buckets: list[HourBucket] = []
        self.setMinimumHeight(140)
        self.setMouseTracking(True)
        self.setToolTip("Calls (blue) and errors (red) per hour over the last 24 hours")

    def sizeHint(self) -> QSize:
        return QSize(480, 170)

    def set_buckets(self, buckets: list[HourBucket]) -> None:
        self.buckets = list(buckets)
        self.update()

    def _plot(self) -> QRectF:
        metrics = self.fontMetrics()
        left = metrics.horizontalAdvance("00000") + 8
        return QRectF(left, 8, max(self.width() - left - 8, 10), max(self.height() - metrics.height() - 16, 10))

    def bar_at(self, x: float) -> int | None:
        """The index of the bar under ``x`` (widget coordinates), if any."""
        plot = self._plot()
        if not self.buckets or not plot.left() <= x <= plot.right():
            return None
        index = int((x - plot.left()) / (plot.width() / len(self.buckets)))
        return min(index, len(self.buckets) - 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.WindowText)
        grid = palette.color(QPalette.ColorRole.Mid)
        plot = self._plot()
        peak = max((b.calls for b in self.buckets), default=0)
        top = _nice_ceiling(peak)
        metrics = self.fontMetrics()
        painter.setPen(QPen(grid, 1))
        for step in range(5):
            y = plot.bottom() - plot.height() * step / 4
            painter.drawLine(int(plot.left()), int(y), int(plot.right()), int(y))
            painter.setPen(text_color)
            label = f"{top * step // 4:,}" if top >= 4 else (str(step) if step <= top else "")
            if label:
                painter.drawText(QRectF(0, y - metrics.height() / 2, plot.left() - 6, metrics.height()),
                                 int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), label)  # fmt: skip
            painter.setPen(QPen(grid, 1))
        if not self.buckets:
            painter.setPen(text_color)
            painter.drawText(plot, int(Qt.AlignmentFlag.AlignCenter), "No calls yet")
            painter.end()
            return
        slot = plot.width() / len(self.buckets)
        bar = max(slot * 0.7, 1.0)
        for index, bucket in enumerate(self.buckets):
            x = plot.left() + index * slot + (slot - bar) / 2
            if bucket.calls:
                height = plot.height() * bucket.calls / top
                painter.fillRect(QRectF(x, plot.bottom() - height, bar, height), QColor(CALLS_COLOR))
            if bucket.errors:
                height = max(plot.height() * bucket.errors / top, 2.0)
                painter.fillRect(QRectF(x, plot.bottom() - height, bar, height), QColor(FAIL_COLOR))
            if index % 6 == 0 or index == len(self.buckets) - 1:
                painter.setPen(text_color)
                label = bucket.start.astimezone().strftime("%H:00")
                width = metrics.horizontalAdvance(label)
                left = min(max(x + bar / 2 - width / 2, plot.left()), plot.right() - width)
                painter.drawText(QPoint(int(left), int(plot.bottom() + metrics.ascent() + 4)), label)
        if peak == 0:
            painter.setPen(text_color)
            painter.drawText(plot, int(Qt.AlignmentFlag.AlignCenter), "No calls in the last 24 hours")
        painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.bar_at(event.x())
            if index is not None:
                bucket = self.buckets[index]
                start = bucket.start.astimezone()
                QToolTip.showText(
                    event.globalPos(),
                    f"{start:%H:00}–{(start.hour + 1) % 24:02d}:00: {bucket.calls:,} calls, {bucket.errors:,} errors",
                    self,
                )
                return True
        return super().event(event)


def _nice_ceiling(value: int) -> int:
    """A round axis maximum at or above ``value`` (at least 4, so quarter lines are whole numbers)."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 2.5, 4, 5, 10):
        ceiling = int(magnitude * factor)
        if ceiling >= value and ceiling % 4 == 0:
            return ceiling
    return ((value + 3) // 4) * 4


class FigureCard(QFrame):
    """One key figure: a small caption over a large value (and an optional note under it)."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("figure-card")
        palette_style_sheet(
            self,
            lambda palette: (
                f"QFrame#figure-card {{ background: {palette.color(QPalette.ColorRole.Base).name()};"
                f" border: 1px solid {palette.color(QPalette.ColorRole.Mid).name()}; border-radius: 6px; }}"
            ),
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        self.caption = QLabel(caption, self)
        self.caption.setEnabled(False)  # the muted text colour of the palette, light or dark
        self.value = QLabel("—", self)
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel(self)
        self.note.setEnabled(False)
        self.note.setWordWrap(True)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        layout.addStretch(1)

    def set(self, value: str, note: str = "", color: str | None = None) -> None:
        self.value.setText(value)
        self.value.setStyleSheet(f"color: {color};" if color else "")
        self.note.setText(note)
        self.note.setVisible(bool(note))


class DashboardWidget(QWidget):
    """Status and usage of one connection; for OAuth 2 also the signed-in account and the token actions."""

    refreshed = Signal()
    sign_in_requested = Signal()
    refresh_requested = Signal()
    disconnect_requested = Signal()

    def __init__(self, workspace: Workspace, keeper: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.keeper = keeper
        self.connection: str | None = None
        self.data: DashboardData | None = None
        layout = QVBoxLayout(self)
        cards = QHBoxLayout()
        self.status_card = FigureCard("Status", self)
        self.calls_card = FigureCard("API calls, last 24 h", self)
        self.success_card = FigureCard("Success rate", self)
        self.last_used_card = FigureCard("Last used", self)
        for card in (self.status_card, self.calls_card, self.success_card, self.last_used_card):
            cards.addWidget(card, 1)
        layout.addLayout(cards)

        facts = QFormLayout()
        facts.setContentsMargins(2, 6, 2, 2)
        self.url_label = QLabel("—", self)
        self.account_label = QLabel("—", self)
        self.rate_label = QLabel("—", self)
        for label in (self.url_label, self.account_label, self.rate_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        facts.addRow("Base URL", self.url_label)
        facts.addRow("Account", self._account_row())
        facts.addRow("Rate limit", self.rate_label)
        layout.addLayout(facts)

        chart_title = QHBoxLayout()
        heading = QLabel("Calls and errors per hour, last 24 hours", self)
        bold = heading.font()
        bold.setBold(True)
        heading.setFont(bold)
        chart_title.addWidget(heading)
        chart_title.addStretch(1)
        for text, color in (("calls", CALLS_COLOR), ("errors", FAIL_COLOR)):
            key = QLabel(f"<span style='color:{color}'>■</span> {text}", self)
            chart_title.addWidget(key)
        layout.addLayout(chart_title)
        self.chart = HourlyChart(self)
        layout.addWidget(self.chart)
        self.errors_title = QLabel("Recent errors", self)
        self.errors_title.setFont(bold)
        layout.addWidget(self.errors_title)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        self.error_table = QTableWidget(0, 5, splitter)
        self.error_table.setHorizontalHeaderLabels(["Time", "Endpoint", "Status", "Message", "Try"])
        self.error_table.setWordWrap(False)
        self.error_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.error_table.setAlternatingRowColors(True)
        header = self.error_table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        self.error_table.setColumnWidth(0, metrics.horizontalAdvance("Dec 31 23:59") + 16)
        self.error_table.setColumnWidth(1, metrics.horizontalAdvance("GET /customers/chan") + 16)
        self.error_table.setColumnWidth(2, metrics.horizontalAdvance("Status") + 14)
        self.error_table.setColumnWidth(4, metrics.horizontalAdvance("Try") + 14)
        attempt = QTableWidgetItem("Try")
        attempt.setToolTip("Attempt: 1 for the first try, 2 for the first retry …")
        self.error_table.setHorizontalHeaderItem(4, attempt)
        vertical = self.error_table.verticalHeader()
        vertical.setVisible(False)
        vertical.setDefaultSectionSize(metrics.height() + 8)
        self.error_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.error_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.error_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.error_detail = QPlainTextEdit(splitter)
        self.error_detail.setReadOnly(True)
        self.error_detail.setPlaceholderText("Select an error to see all of it.")
        self.error_detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        splitter.addWidget(self.error_table)
        splitter.addWidget(self.error_detail)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        self.error_table.itemSelectionChanged.connect(self._show_detail)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        listener: Callable[[ApiCallMade], None] = self._on_call
        workspace.event_listeners.append(listener)
        self.destroyed.connect(functools.partial(_forget_listener, workspace.event_listeners, listener))

    def _account_row(self) -> QWidget:
        """The account label, then (OAuth 2 only) Sign in again, Refresh connection, Disconnect… and a note."""
        row = QWidget(self)
        outer = QVBoxLayout(row)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        line = QHBoxLayout()
        line.addWidget(self.account_label, 1)
        self.sign_in_again_button = QPushButton("Sign in again", row)
        self.sign_in_again_button.clicked.connect(self.sign_in_requested)
        self.refresh_token_button = QPushButton("Refresh connection", row)
        self.refresh_token_button.clicked.connect(self.refresh_requested)
        self.disconnect_button = QPushButton("Disconnect…", row)
        self.disconnect_button.clicked.connect(self.disconnect_requested)
        for button in (self.sign_in_again_button, self.refresh_token_button, self.disconnect_button):
            line.addWidget(button)
            button.hide()
        outer.addLayout(line)
        self.auth_note = QLabel(row)
        self.auth_note.setWordWrap(True)
        self.auth_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.auth_note.hide()
        outer.addWidget(self.auth_note)
        return row

    def set_auth_note(self, text: str, *, ok: bool) -> None:
        """Say how the last sign-in, refresh or disconnect ended (under the account)."""
        self.auth_note.setText(text)
        self.auth_note.setStyleSheet("" if ok else ERROR_LABEL)
        self.auth_note.setVisible(bool(text))

    def set_connection(self, name: str) -> None:
        """Show ``name``'s dashboard."""
        if name != self.connection:
            self.set_auth_note("", ok=True)
        self.connection = name
        self.refresh()

    def refresh(self) -> None:
        """Read the figures again (a few small queries of the local store)."""
        self._refresh_timer.stop()
        if self.connection is None:
            return
        try:
            data = dashboard_data(self.workspace, self.connection)
        except FlowdeskError as exc:
            self.status_card.set("✗ Unavailable", exc.message, FAIL_COLOR)
            return
        self.show_data(data)

    def show_data(self, data: DashboardData) -> None:
        self.data = data
        text, color = _STATUS_TEXT.get(data.status, (data.status, UNTESTED_COLOR))
        self.status_card.set(text, color=color)
        self.url_label.setText(data.base_url)
        self.account_label.setText(data.account)
        self._show_token_actions(data)
        self.last_used_card.set(ago(_epoch(data.last_used)), local_time(_epoch(data.last_used)))
        if data.rate_limit is None:
            self.rate_label.setText("none set (the API's own limits still apply)")
            limit_note = "no rate limit set"
        else:
            share = data.busiest_hour_share or 0.0
            self.rate_label.setText(data.rate_limit)
            limit_note = f"busiest hour used {share * 100:.1f} % of the {data.rate_limit} limit"
        self.calls_card.set(f"{data.calls_24h:,}", limit_note)
        errors = sum(b.errors for b in data.hours)
        rate_note = f"{errors:,} failed call{'s' if errors != 1 else ''}" if data.success_rate is not None else ""
        self.success_card.set("—" if data.success_rate is None else f"{data.success_rate * 100:.1f} %", rate_note)
        self.chart.set_buckets(data.hours)
        self.errors_title.setText(f"Recent errors ({len(data.errors)})" if data.errors else "Recent errors: none")
        self.error_table.setRowCount(len(data.errors))
        for row, entry in enumerate(data.errors):
            values = (
                _short_time(entry.at),
                _short_endpoint(entry, data.base_url),
                "—" if entry.status is None else str(entry.status),
                entry.message.splitlines()[0] if entry.message else "",
                str(entry.attempt),
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column in (1, 3):
                    item.setToolTip(entry.message if column == 3 else entry.endpoint)
                self.error_table.setItem(row, column, item)
        self.error_detail.clear()
        self.refreshed.emit()

    def _show_token_actions(self, data: DashboardData) -> None:
        oauth = data.auth_type == "oauth2"
        code = data.oauth_grant == "authorization_code"
        self.sign_in_again_button.setVisible(code and data.status == "reauth_needed")
        self.refresh_token_button.setVisible(oauth)
        self.disconnect_button.setVisible(oauth)
        if not oauth:
            return
        tips = (
            (self.sign_in_again_button, "signing in", "The provider refused the token: sign in again in the browser"),
            (self.refresh_token_button, "refreshing connection tokens", "Renew the access token now"),
            (
                self.disconnect_button,
                "disconnecting connections",
                "Revoke the tokens at the provider and delete them here (the connection stays)",
            ),
        )
        for button, action, tip in tips:
            permit(button, refusal(self.workspace, "admin", action), tip)

    def selected_error(self) -> ErrorEntry | None:
        rows = {index.row() for index in self.error_table.selectedIndexes()}
        if not rows or self.data is None:
            return None
        row = min(rows)
        return self.data.errors[row] if row < len(self.data.errors) else None

    def _show_detail(self) -> None:
        entry = self.selected_error()
        if entry is None:
            self.error_detail.clear()
            return
        lines = [
            f"Time:      {local_time(entry.at.timestamp())}",
            f"Endpoint:  {entry.endpoint}",
            f"Status:    {'no response' if entry.status is None else entry.status}",
            f"Attempt:   {entry.attempt}",
            f"Duration:  {entry.duration_ms:,.0f} ms",
            "",
            entry.message,
        ]
        self.error_detail.setPlainText("\n".join(lines))

    def _on_call(self, event: ApiCallMade) -> None:
        if self.connection is not None and event.connection == self.connection:
            self._refresh_timer.start()


def _forget_listener(
    listeners: list[Callable[[ApiCallMade], None]], listener: Callable[[ApiCallMade], None], *_: object
) -> None:
    if listener in listeners:
        listeners.remove(listener)
