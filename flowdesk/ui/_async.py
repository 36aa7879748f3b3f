"""Running coroutines from Qt slots on the qasync loop.

qasync's ``asyncSlot`` keeps no strong reference to its task (LIBRARIES.md), so a task started from a
slot could be garbage-collected mid-flight. Widgets start their coroutines through a :class:`TaskKeeper`
instead: it holds every task until it ends, cancels them when the widget goes away, and hands failures to
one callback (which shows user and operational errors as messages, never as tracebacks).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

UNWIND_S = 5.0
"""How long closing waits for cancelled tasks to finish their clean-up."""


class TaskKeeper:
    """Starts and owns the asyncio tasks of one widget (or window)."""

    def __init__(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_error = on_error

    def start(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Schedule ``coro`` on the running (qasync) loop and keep it alive until it finishes."""
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    @property
    def busy(self) -> bool:
        return any(not t.done() for t in self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self) -> None:
        """Cancel every task and wait (at most :data:`UNWIND_S`) until they have all unwound."""
        tasks = [task for task in self._tasks if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=UNWIND_S)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and self._on_error is not None:
            self._on_error(error)
