"""Finding bundled resources (icons) whether running from a checkout, a wheel or a frozen app."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

import flowdesk


def resource_path(*parts: str) -> Path:
    """``resources/<parts>``: ``flowdesk/_resources`` in a wheel, the repository's ``resources/`` otherwise."""
    package = Path(flowdesk.__file__).resolve().parent
    for root in (package / "_resources", package.parent / "resources"):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    return package.parent.joinpath("resources", *parts)


@cache
def _svg_icon(name: str) -> QIcon:
    path = resource_path("icons", f"{name}.svg")
    renderer = QSvgRenderer(str(path))
    icon = QIcon()
    # Several sizes rendered from the vector source so every device-pixel ratio stays sharp.
    for side in (16, 20, 24, 32, 48, 64, 128, 256):
        pixmap = QPixmap(QSize(side, side))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def icon(name: str) -> QIcon:
    """The bundled SVG icon ``resources/icons/<name>.svg`` (an empty icon when it is missing)."""
    if not resource_path("icons", f"{name}.svg").is_file():
        return QIcon()
    return _svg_icon(name)


def service_icon(service: str) -> QIcon:
    """The icon of a connection's service: rest, odata, graphql, or the generic one for presets."""
    if service in ("rest", "odata", "graphql"):
        return icon(f"service-{service}")
    return icon("service-generic")
