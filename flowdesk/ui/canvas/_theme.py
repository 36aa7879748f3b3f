"""Colours, sizes and the little type glyphs of the canvas (light and dark).

Everything the node, port and wire items draw with comes from here, so the scene can switch appearance in
one place when the system does. Glyphs are vector paths (no font or image files), cached per type.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from flowdesk.model.nodes import NODE_SPECS

GRID = 20.0
"""Snap and grid spacing in scene units (node positions land on multiples of it)."""
NODE_WIDTH = 168.0
HEADER = 28.0
SUMMARY = 22.0
ROW = 20.0
BOTTOM = 8.0
PORT_RADIUS = 5.5

CATEGORY_COLORS = {
    "Start": "#16a34a",
    "API": "#2563eb",
    "Logic": "#d97706",
    "Data": "#7c3aed",
}
STATE_COLORS = {
    "waiting": "#9ca3af",
    "running": "#2563eb",
    "done": "#16a34a",
    "failed": "#dc2626",
    "cancelled": "#6b7280",
}
ERROR_COLOR = "#dc2626"
SELECT_COLOR = "#2563eb"


@dataclass(frozen=True)
class Theme:
    """The colours of one appearance."""

    dark: bool
    background: QColor
    grid_minor: QColor
    grid_major: QColor
    node_body: QColor
    node_border: QColor
    node_text: QColor
    node_faint: QColor
    port_fill: QColor
    wire: QColor
    wire_error: QColor
    label_fill: QColor
    label_text: QColor
    ghost: QColor


def theme(dark: bool) -> Theme:
    if dark:
        return Theme(
            dark=True,
            background=QColor("#181b20"),
            grid_minor=QColor("#22262c"),
            grid_major=QColor("#2c3139"),
            node_body=QColor("#2a2f36"),
            node_border=QColor("#434a55"),
            node_text=QColor("#e6e8eb"),
            node_faint=QColor("#9aa3ae"),
            port_fill=QColor("#1f2329"),
            wire=QColor("#8b95a3"),
            wire_error=QColor("#f87171"),
            label_fill=QColor("#374151"),
            label_text=QColor("#f3f4f6"),
            ghost=QColor(96, 165, 250, 90),
        )
    return Theme(
        dark=False,
        background=QColor("#f6f7f9"),
        grid_minor=QColor("#eceef1"),
        grid_major=QColor("#dfe2e7"),
        node_body=QColor("#ffffff"),
        node_border=QColor("#c9ced6"),
        node_text=QColor("#111827"),
        node_faint=QColor("#6b7280"),
        port_fill=QColor("#ffffff"),
        wire=QColor("#7b8594"),
        wire_error=QColor("#dc2626"),
        label_fill=QColor("#374151"),
        label_text=QColor("#ffffff"),
        ghost=QColor(37, 99, 235, 60),
    )


@cache
def type_color(node_type: str) -> QColor:
    """The colour of a node type's category (shared: do not modify the returned colour)."""
    spec = NODE_SPECS.get(node_type)
    return QColor(CATEGORY_COLORS.get(spec.category if spec else "", "#6b7280"))


def node_height(input_count: int, output_count: int) -> float:
    return HEADER + SUMMARY + max(input_count, output_count, 1) * ROW + BOTTOM


def port_y(row: int) -> float:
    """The vertical centre of port row ``row`` inside a node."""
    return HEADER + SUMMARY + row * ROW + ROW / 2


def snap(value: float) -> float:
    return round(value / GRID) * GRID


# --- glyphs --------------------------------------------------------------------------------------------


@cache
def glyph(node_type: str) -> QPainterPath:
    """A 16×16 outline for a node type, stroked (not filled) in the header colour's contrast."""
    path = QPainterPath()
    if node_type == "trigger":
        path.moveTo(5, 3)
        path.lineTo(13, 8)
        path.lineTo(5, 13)
        path.closeSubpath()
    elif node_type == "api_call":
        path.moveTo(2, 5.5)
        path.lineTo(13, 5.5)
        path.moveTo(10, 2.5)
        path.lineTo(13, 5.5)
        path.lineTo(10, 8.5)
        path.moveTo(14, 10.5)
        path.lineTo(3, 10.5)
        path.moveTo(6, 7.5)
        path.lineTo(3, 10.5)
        path.lineTo(6, 13.5)
    elif node_type == "lookup":
        path.addEllipse(QPointF(7, 7), 4.5, 4.5)
        path.moveTo(10.3, 10.3)
        path.lineTo(14, 14)
    elif node_type == "webhook_out":
        path.moveTo(2, 8)
        path.lineTo(14, 2.5)
        path.lineTo(10, 14)
        path.lineTo(7.5, 9)
        path.closeSubpath()
        path.moveTo(7.5, 9)
        path.lineTo(14, 2.5)
    elif node_type == "condition":
        path.moveTo(8, 1.5)
        path.lineTo(14.5, 8)
        path.lineTo(8, 14.5)
        path.lineTo(1.5, 8)
        path.closeSubpath()
    elif node_type == "loop":
        path.arcMoveTo(QRectF(2.5, 2.5, 11, 11), 60)
        path.arcTo(QRectF(2.5, 2.5, 11, 11), 60, 280)
        path.moveTo(10.5, 1.5)
        path.lineTo(11, 3.5)
        path.lineTo(8.8, 4.6)
    elif node_type == "merge":
        path.moveTo(2, 3)
        path.cubicTo(7, 3, 7, 8, 12, 8)
        path.moveTo(2, 13)
        path.cubicTo(7, 13, 7, 8, 12, 8)
        path.lineTo(15, 8)
    elif node_type == "delay":
        path.addEllipse(QPointF(8, 8), 6, 6)
        path.moveTo(8, 4.5)
        path.lineTo(8, 8)
        path.lineTo(10.5, 9.5)
    elif node_type == "transform":
        path.moveTo(2, 4)
        path.lineTo(6, 4)
        path.cubicTo(9, 4, 8, 12, 11, 12)
        path.lineTo(14, 12)
        path.moveTo(2, 12)
        path.lineTo(6, 12)
        path.cubicTo(9, 12, 8, 4, 11, 4)
        path.lineTo(14, 4)
    elif node_type == "collect":
        for y in (3.5, 8.0, 12.5):
            path.moveTo(3, y)
            path.lineTo(13, y)
    elif node_type == "output":
        path.moveTo(4, 1.5)
        path.lineTo(10, 1.5)
        path.lineTo(13, 4.5)
        path.lineTo(13, 14.5)
        path.lineTo(4, 14.5)
        path.closeSubpath()
        path.moveTo(6.5, 8)
        path.lineTo(10.5, 8)
        path.moveTo(6.5, 11)
        path.lineTo(10.5, 11)
    else:
        path.addRect(QRectF(3, 3, 10, 10))
    return path


def draw_glyph(painter: QPainter, node_type: str, x: float, y: float, color: QColor, width: float = 1.6) -> None:
    painter.save()
    painter.translate(x, y)
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(glyph(node_type))
    painter.restore()


@cache
def type_icon(node_type: str) -> QIcon:
    """The palette's icon of a node type: its glyph on a rounded square of its category colour."""
    icon = QIcon()
    for side in (16, 20, 24, 32, 48):
        pixmap = QPixmap(QSize(side, side))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(type_color(node_type))
        painter.drawRoundedRect(QRectF(0, 0, side, side), side * 0.22, side * 0.22)
        scale = side / 22.0
        painter.translate(side / 2 - 8 * scale, side / 2 - 8 * scale)
        painter.scale(scale, scale)
        draw_glyph(painter, node_type, 0, 0, QColor("#ffffff"), 1.8)
        painter.end()
        icon.addPixmap(pixmap)
    return icon
