"""Bundled icons are found and render (high-DPI sizes included)."""

from __future__ import annotations

from PySide6.QtCore import QSize

from flowdesk.ui.resources import icon, resource_path, service_icon


def test_icons_exist_and_render(qapp):
    for name in ("app", "service-rest", "service-odata", "service-graphql", "service-generic"):
        assert resource_path("icons", f"{name}.svg").is_file()
        assert not icon(name).pixmap(QSize(64, 64)).isNull()
    assert not service_icon("github").isNull()
    assert icon("no-such-icon").isNull()
