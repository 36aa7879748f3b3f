"""Copying nodes: a JSON fragment (nodes plus the wires between them) on the system clipboard.

The fragment is plain JSON text as well as its own MIME type, so it pastes into any flow tab, into another
flowdesk window, or into a text editor for a look.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

FRAGMENT_MIME = "application/x-flowdesk-fragment"
FRAGMENT_FORMAT = "flowdesk.flow-fragment"


def put_fragment(fragment: dict[str, Any]) -> None:
    text = json.dumps(fragment, indent=2, ensure_ascii=False)
    mime = QMimeData()
    mime.setData(FRAGMENT_MIME, text.encode("utf-8"))
    mime.setText(text)
    QGuiApplication.clipboard().setMimeData(mime)


def parse_fragment(text: str) -> dict[str, Any] | None:
    """A fragment (or a whole flow file: its nodes and edges) from JSON text, else ``None``."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if data.get("format") not in (FRAGMENT_FORMAT, "flowdesk.flow"):
        return None
    nodes = data.get("nodes")
    edges = data.get("edges", [])
    if not isinstance(nodes, list) or not isinstance(edges, list):
        return None
    good_nodes = [n for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str) and n.get("type")]
    good_edges = [e for e in edges if isinstance(e, dict) and "source" in e and "target" in e]
    return {"format": FRAGMENT_FORMAT, "nodes": good_nodes, "edges": good_edges}


def get_fragment() -> dict[str, Any] | None:
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None:
        return None
    if mime.hasFormat(FRAGMENT_MIME):
        return parse_fragment(bytes(mime.data(FRAGMENT_MIME).data()).decode("utf-8"))
    if mime.hasText():
        return parse_fragment(mime.text())
    return None
