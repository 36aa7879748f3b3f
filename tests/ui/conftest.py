"""Qt tests on a qasync loop.

Widgets start coroutines on the qasync loop; a test drives the widgets with ``qtbot`` and waits for their
work with ``spin_until(qloop, lambda: …)``, which spins the loop (and so Qt events) until the condition
holds. Never call the blocking ``qtbot.waitUntil`` from inside a coroutine (LIBRARIES.md).
"""

from __future__ import annotations

import PySide6  # noqa: F401  (import PySide6 before qasync)
import pytest

from tests.qt_loop import qloop, spin_until  # noqa: F401  (the fixture and the helper, shared)


@pytest.fixture(scope="session")
def fixture_server():  # type: ignore[no-untyped-def]
    """A local API for what the demo lacks: a 12 MB body, a slow answer, OData, GraphQL, an echo."""
    from .helpers import FixtureServer

    server = FixtureServer()
    yield server
    server.stop()
