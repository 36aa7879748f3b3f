"""The list of a workspace's connections: status dot, service icon, name, URL and when last used."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from flowdesk.ui._times import ago
from flowdesk.ui.resources import service_icon
from flowdesk.ui.style import status_color
from flowdesk.workspace import ConnectionInfo

NAME_ROLE = Qt.ItemDataRole.UserRole
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 2
SERVICE_ROLE = Qt.ItemDataRole.UserRole + 3


class _ConnectionDelegate(QStyledItemDelegate):
    """Two lines per connection: icon, bold name and status dot; then the URL and when it was last used."""

    HEIGHT = 50

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(200, self.HEIGHT)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_color = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        rect: QRect = option.rect.adjusted(8, 6, -8, -6)
        icon = service_icon(str(index.data(SERVICE_ROLE) or "rest"))
        icon.paint(painter, QRect(rect.left(), rect.top() + 4, 28, 28))
        left = rect.left() + 38
        status = str(index.data(STATUS_ROLE) or "untested")
        dot = QColor(status_color(status))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(dot)
        painter.drawEllipse(rect.right() - 10, rect.top() + 4, 10, 10)
        name_font = option.font
        name_font.setBold(True)
        painter.setFont(name_font)
        painter.setPen(text_color)
        name_rect = QRect(left, rect.top(), rect.right() - left - 16, rect.height() // 2)
        name = painter.fontMetrics().elidedText(
            str(index.data(NAME_ROLE)), Qt.TextElideMode.ElideRight, name_rect.width()
        )
        painter.drawText(name_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), name)
        detail_font = option.font
        detail_font.setBold(False)
        detail_font.setPointSizeF(max(7.0, detail_font.pointSizeF() * 0.88))
        painter.setFont(detail_font)
        muted = QColor(text_color)
        muted.setAlphaF(0.65)
        painter.setPen(muted)
        detail_rect = QRect(left, rect.top() + rect.height() // 2, rect.right() - left, rect.height() // 2)
        detail = painter.fontMetrics().elidedText(
            str(index.data(DETAIL_ROLE) or ""), Qt.TextElideMode.ElideRight, detail_rect.width()
        )
        painter.drawText(detail_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), detail)
        painter.restore()


class ConnectionList(QListWidget):
    """Shows ``ConnectionInfo`` rows; emits ``connection_selected(name)`` (``""`` when none)."""

    connection_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(_ConnectionDelegate(self))
        self.setUniformItemSizes(True)
        self.setMinimumWidth(220)
        self.currentItemChanged.connect(self._current_changed)

    def set_connections(self, infos: list[ConnectionInfo], select: str | None = None) -> None:
        """Replace the rows (keeping the selection by name where possible)."""
        keep = select if select is not None else self.selected_name()
        self.blockSignals(True)
        try:
            self.clear()
            for info in infos:
                item = QListWidgetItem(info.name)
                host = info.base_url.split("://", 1)[-1]
                used = "never used" if info.last_used is None else f"used {ago(info.last_used)}"
                item.setData(NAME_ROLE, info.name)
                item.setData(STATUS_ROLE, info.last_status)
                item.setData(SERVICE_ROLE, info.service)
                item.setData(DETAIL_ROLE, f"{used} · {host}")
                status = info.last_status.replace("reauth_needed", "sign-in needed (the provider refused the token)")
                item.setToolTip(
                    f"{info.name} — {status}\n{info.base_url}\n"
                    f"{info.entity_count} entities · {info.calls_24h:,} calls in 24 h · {used}"
                )
                self.addItem(item)
        finally:
            self.blockSignals(False)
        if keep is not None and self.select_name(keep):
            return
        self.connection_selected.emit(self.selected_name() or "")

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:  # say so rather than show a blank box
            painter = QPainter(self.viewport())
            color = self.palette().color(QPalette.ColorRole.PlaceholderText)
            painter.setPen(color)
            painter.drawText(
                self.viewport().rect().adjusted(12, 24, -12, -12),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap),
                "No connections yet",
            )
            painter.end()

    def names(self) -> list[str]:
        return [str(self.item(row).data(NAME_ROLE)) for row in range(self.count())]

    def status_of(self, name: str) -> str | None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(NAME_ROLE) == name:
                return str(item.data(STATUS_ROLE))
        return None

    def selected_name(self) -> str | None:
        item = self.currentItem()
        return str(item.data(NAME_ROLE)) if item is not None else None

    def select_name(self, name: str) -> bool:
        for row in range(self.count()):
            if self.item(row).data(NAME_ROLE) == name:
                self.setCurrentRow(row)
                self.connection_selected.emit(name)
                return True
        return False

    def _current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.connection_selected.emit(str(current.data(NAME_ROLE)) if current is not None else "")
