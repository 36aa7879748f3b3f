"""The qasync loop every window test runs on, shared by tests/ui and tests/canvas.

Widgets start coroutines on the qasync loop; a test drives the widgets with ``qtbot`` and waits for their
work with ``spin_until(qloop, lambda: …)``, which spins the loop (and so Qt events) until the condition
holds. Never call the blocking ``qtbot.waitUntil`` from inside a coroutine (LIBRARIES.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import PySide6  # noqa: F401  (import PySide6 before qasync)
import pytest
import qasync


class TestLoop(qasync.QEventLoop):
    """A qasync loop that stays the *running* loop for the whole test.

    qasync runs coroutine steps from Qt timer events, and Qt also processes events outside the loop's
    ``run_forever`` (``qtbot.mouseClick``, and qasync's own last pass after ``run_until_complete``). A step
    run then would find no running loop (``asyncio.to_thread``, ``gather`` …) and fail at random. In the app
    the loop runs for the whole session, so the test makes it look the same: it is the running loop from the
    fixture's start to its end (``run_forever`` clears it when it returns; it is set again at once).
    """

    def run_forever(self) -> None:
        try:
            super().run_forever()
        finally:
            asyncio.events._set_running_loop(self)


@pytest.fixture()
def qloop(qapp) -> Iterator[asyncio.AbstractEventLoop]:  # type: ignore[no-untyped-def]
    """A qasync event loop on the test's QApplication, set as the current (and running) loop."""
    loop = TestLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    finally:
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        loop.close()


def spin_until(loop: asyncio.AbstractEventLoop, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Run the loop until ``condition()`` holds; fail with a clear message after ``timeout`` seconds."""

    async def wait() -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)

    try:
        loop.run_until_complete(wait())
    except TimeoutError:
        pytest.fail(f"condition not met within {timeout} s")
