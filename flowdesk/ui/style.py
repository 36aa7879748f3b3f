"""The look of the window: Fusion with a palette that follows the system's light or dark setting."""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import QObject, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

OK_COLOR = "#16a34a"
FAIL_COLOR = "#dc2626"
UNTESTED_COLOR = "#9ca3af"
REAUTH_COLOR = "#d97706"
ERROR_BORDER = "border: 1px solid #dc2626; border-radius: 3px;"
ERROR_LABEL = "color: #dc2626;"


def is_dark() -> bool:
    """Whether the system asks for a dark appearance (Qt 6.5+ ``QStyleHints.colorScheme``)."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def _palette(dark: bool) -> QPalette:
    palette = QPalette()
    if dark:
        colors = {
            QPalette.ColorRole.Window: "#1f2329",
            QPalette.ColorRole.WindowText: "#e6e8eb",
            QPalette.ColorRole.Base: "#16191d",
            QPalette.ColorRole.AlternateBase: "#22262c",
            QPalette.ColorRole.ToolTipBase: "#2b3038",
            QPalette.ColorRole.ToolTipText: "#e6e8eb",
            QPalette.ColorRole.PlaceholderText: "#7d848f",
            QPalette.ColorRole.Text: "#e6e8eb",
            QPalette.ColorRole.Button: "#2a2f36",
            QPalette.ColorRole.ButtonText: "#e6e8eb",
            QPalette.ColorRole.BrightText: "#ff6b6b",
            QPalette.ColorRole.Highlight: "#3b82f6",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.Link: "#60a5fa",
            QPalette.ColorRole.Mid: "#3a4049",
            QPalette.ColorRole.Dark: "#121418",
        }
        disabled = "#6b7280"
    else:
        colors = {
            QPalette.ColorRole.Window: "#f3f4f6",
            QPalette.ColorRole.WindowText: "#111827",
            QPalette.ColorRole.Base: "#ffffff",
            QPalette.ColorRole.AlternateBase: "#f7f8fa",
            QPalette.ColorRole.ToolTipBase: "#ffffff",
            QPalette.ColorRole.ToolTipText: "#111827",
            QPalette.ColorRole.PlaceholderText: "#9ca3af",
            QPalette.ColorRole.Text: "#111827",
            QPalette.ColorRole.Button: "#f9fafb",
            QPalette.ColorRole.ButtonText: "#111827",
            QPalette.ColorRole.BrightText: "#dc2626",
            QPalette.ColorRole.Highlight: "#2563eb",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.Link: "#2563eb",
            QPalette.ColorRole.Mid: "#d1d5db",
            QPalette.ColorRole.Dark: "#9ca3af",
        }
        disabled = "#9ca3af"
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return palette


def apply_style(app: QApplication) -> None:
    """Fusion everywhere (the same on every OS), recoloured now and whenever the system scheme changes."""
    app.setStyle("Fusion")
    app.setPalette(_palette(is_dark()))

    def scheme_changed(scheme: Qt.ColorScheme) -> None:
        app.setPalette(_palette(scheme == Qt.ColorScheme.Dark))
        _appearance_signal().changed.emit()

    QGuiApplication.styleHints().colorSchemeChanged.connect(scheme_changed)


def status_color(status: str) -> str:
    """The dot colour of a connection's status: connected, failing or untested."""
    return {"connected": OK_COLOR, "failing": FAIL_COLOR, "reauth_needed": REAUTH_COLOR}.get(status, UNTESTED_COLOR)


def status_dot(color: str, size: int = 12) -> QIcon:
    """A filled round dot, painted at twice the size so it stays crisp on high-DPI screens."""
    scale = 2
    pixmap = QPixmap(size * scale, size * scale)
    pixmap.setDevicePixelRatio(scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    painter.end()
    return QIcon(pixmap)


class _Appearance(QObject):
    """Announces that the application palette was switched (light ↔ dark)."""

    changed = Signal()


@functools.cache
def _appearance_signal() -> _Appearance:
    return _Appearance()


class _PaletteSheet(QObject):
    """A widget's palette-dependent style sheet; a child of the widget, so it goes (and disconnects) with it."""

    def __init__(self, widget: QWidget, sheet: Callable[[QPalette], str]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._sheet = sheet
        self.apply()
        _appearance_signal().changed.connect(self.apply)

    @Slot()
    def apply(self) -> None:
        self._widget.setStyleSheet(self._sheet(QGuiApplication.palette()))


def palette_style_sheet(widget: QWidget, sheet: Callable[[QPalette], str]) -> None:
    """Style ``widget`` with ``sheet(palette)`` now and again whenever the system turns light or dark.

    Qt resolves ``palette(...)`` in a style sheet once, when the sheet is set, and a widget with a style
    sheet no longer follows the application palette; a sheet built from the palette's colours and rebuilt
    on every switch does.
    """
    _PaletteSheet(widget, sheet)
