"""Runs started by a trigger (a webhook delivery, a schedule): found in the stored flows, run as tasks.

Both servers start runs without waiting for them (a webhook sender gets its answer at once; a scheduler keeps
its time), so the tasks are kept here until they end, reported through ``on_run``, and cancelled -- and so
recorded as cancelled -- when the server stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from flowdesk.model.errors import FlowdeskError
from flowdesk.model.nodes import TriggerConfig

if TYPE_CHECKING:
    from flowdesk.engine import RunResult
    from flowdesk.model.flow import Flow


@dataclass(frozen=True)
class TriggeredRun:
    """How a run started by a trigger ended. ``status`` is the run's, or ``failed`` when the flow could not
    be run at all (``error`` says why, ``run_id`` is then ``None``)."""

    flow: str
    node_id: str
    trigger: str
    status: str
    run_id: str | None = None
    error: str | None = None


OnRun = Callable[[TriggeredRun], None]


def trigger_nodes(flow: Flow, kind: str) -> Iterator[tuple[str, TriggerConfig]]:
    """``(node id, config)`` of every trigger of ``kind`` in ``flow`` (invalid configs are skipped: the flow
    could not run anyway, and saying so is ``flow validate``'s job)."""
    for node in flow.nodes:
        if node.type != "trigger" or node.config.get("kind") != kind:
            continue
        try:
            config = TriggerConfig.model_validate(node.config)
        except ValidationError:
            continue
        yield node.id, config


class RunTasks:
    """The triggered runs still going, per flow."""

    def __init__(self, on_run: OnRun | None) -> None:
        self._on_run = on_run
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}

    def running(self, flow: str) -> bool:
        return bool(self._tasks.get(flow))

    def start(
        self, flow: str, node_id: str, trigger: str, run: Callable[[], Awaitable[RunResult]]
    ) -> asyncio.Task[None]:
        task = asyncio.create_task(self._run(flow, node_id, trigger, run), name=f"flowdesk {trigger} run of {flow}")
        self._tasks.setdefault(flow, set()).add(task)
        task.add_done_callback(lambda done: self._forget(flow, done))
        return task

    async def _run(
        self, flow: str, node_id: str, trigger: str, run: Callable[[], Awaitable[RunResult]]
    ) -> None:
        try:
            result = await run()
        except FlowdeskError as exc:  # the flow no longer validates (a connection was removed …)
            outcome = TriggeredRun(flow, node_id, trigger, "failed", None, exc.message)
        else:
            outcome = TriggeredRun(flow, node_id, trigger, result.status, result.run_id, result.error)
        if self._on_run is not None:
            self._on_run(outcome)

    def _forget(self, flow: str, task: asyncio.Task[None]) -> None:
        tasks = self._tasks.get(flow)
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                del self._tasks[flow]

    async def cancel_all(self) -> None:
        """Cancel every run still going and wait until each is recorded."""
        tasks = [t for group in self._tasks.values() for t in group]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_all(self) -> None:
        """Wait for every run still going (tests, and a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*[t for group in list(self._tasks.values()) for t in group], return_exceptions=True)
