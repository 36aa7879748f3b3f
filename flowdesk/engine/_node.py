"""The generic part of every node at run time: its inbox, its ports, counting, events and failures.

A node is one asyncio task. It reads batches from its inbox until every producer of every input port has
ended its stream, hands each batch to :meth:`Node.on_batch`, and sends what it makes with :meth:`Node.emit`
to the inboxes of the nodes its output ports are wired to. When it is done it ends the stream of each of
its outputs. Subclasses (one per node type) only say what to do with a batch.

Loop bookkeeping: a while loop must know when nothing is left inside its body (the nodes between its
``each`` output and its ``again`` input) before it can end ``each``. Every batch sent to a body node is
counted on the loop's :class:`LoopScope` and released once that node has handled it (and sent on what it
made), so the count reaches zero exactly when the body is idle.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flowdesk.engine._fields import short
from flowdesk.engine._inbox import Batch, Inbox
from flowdesk.engine._provider import CallProvider
from flowdesk.model.errors import ApiError, FlowdeskError
from flowdesk.model.events import ItemsEmitted, NodeStarted
from flowdesk.model.flow import GraphNode

SAMPLE_SIZE = 5
IDLE = "~idle"
"""The pseudo-port of the signal a :class:`LoopScope` sends its loop when the body has gone idle."""


class ItemFailedError(Exception):
    """An item failed in a node whose ``error`` port is not connected: the run fails with this message."""

    def __init__(self, node: Node, item: Any, cause: BaseException) -> None:
        self.node_id = node.id
        self.item = item
        self.cause = cause
        self.text = f"node {node.id!r} ({node.type}) failed on item {short(item)}: {error_text(cause)}"
        super().__init__(self.text)


class NodeFailedError(Exception):
    """A node cannot work at all (an unknown entity, an unwritable file …): the run fails."""

    def __init__(self, node: Node, cause: BaseException | str) -> None:
        self.node_id = node.id
        self.cause = cause
        reason = cause if isinstance(cause, str) else error_text(cause)
        self.text = f"node {node.id!r} ({node.type}) failed: {reason}"
        super().__init__(self.text)


def error_text(exc: BaseException) -> str:
    """What went wrong, for a message: flowdesk's own message, else the exception type and text."""
    if isinstance(exc, FlowdeskError):
        return exc.message
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class RunContext:
    """What every node of one run shares."""

    run_id: str | None
    flow_name: str
    variables: dict[str, Any]
    clients: CallProvider
    on_event: Callable[[Any], None] | None
    sleep: Callable[[float], Awaitable[None]]
    capacity: int
    batch_size: int
    output_cap: int
    outputs: dict[str, list[Any]] = field(default_factory=dict)
    input_cap: int = 0
    inputs: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    inputs_capped: set[str] = field(default_factory=set)
    extras: dict[str, Any] = field(default_factory=dict)

    def event(self, event: Any) -> None:
        if self.on_event is not None:
            event.run_id = self.run_id
            self.on_event(event)

    def capture(self, key: str, items: Batch) -> None:
        """Keep the first items that reach an unconnected output (the run result's ``outputs``)."""
        kept = self.outputs.setdefault(key, [])
        room = self.output_cap - len(kept)
        if room > 0:
            kept.extend(items[:room])

    def capture_input(self, node_id: str, port: str, items: Batch) -> None:
        """Keep the first ``input_cap`` items that reach ``node_id``'s input ``port`` (opt-in, for re-runs)."""
        kept = self.inputs.setdefault(node_id, {}).setdefault(port, [])
        room = self.input_cap - len(kept)
        if room < len(items):
            self.inputs_capped.add(f"{node_id}.{port}")
        if room > 0:
            kept.extend(items[:room])


class LoopScope:
    """Counts the batches inside one while loop's body; tells the loop when the count falls to zero."""

    __slots__ = ("loop", "pending")

    def __init__(self, loop: Node) -> None:
        self.loop = loop
        self.pending = 0

    def hold(self) -> None:
        self.pending += 1

    def release(self) -> None:
        self.pending -= 1
        if self.pending == 0:
            self.loop.inbox.put_now(IDLE, None)


@dataclass(slots=True)
class Target:
    """One edge's far end: the node and input port, and the loop scopes a batch sent there counts in."""

    node: Node
    port: str
    scopes: tuple[LoopScope, ...] = ()
    back_edge: bool = False


class Node:
    """Base of the node types at run time. Subclasses implement :meth:`on_batch` (and maybe the hooks)."""

    type: ClassVar[str] = ""
    releases_itself: ClassVar[bool] = False
    """True for nodes that finish a batch later than ``on_batch`` returns (they call :meth:`release`)."""

    def __init__(self, spec: GraphNode, ctx: RunContext) -> None:
        self.id = spec.id
        self.spec = spec
        self.config: Any = spec.config
        self.ctx = ctx
        self.variables = ctx.variables
        self.inbox = Inbox(ctx.capacity)
        self.producers: dict[str, int] = {}
        """Input port → how many streams (edges, feeders) still send to it."""
        self.targets: dict[str, list[Target]] = {p.name: [] for p in spec.outputs}
        self.port_scopes: dict[str, tuple[LoopScope, ...]] = {}
        """Input port → the loop scopes a batch arriving there is counted in."""
        self.items_in = 0
        self.items_out = 0
        self.errors = 0
        self.started_at: float | None = None
        self.duration_ms = 0.0
        self._closed_outputs: set[str] = set()
        self._sampled: dict[str, int] = {}
        self._tasks: asyncio.TaskGroup | None = None

    # --- the task ------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Work until every input has ended, then end every output. Raises to fail the run."""
        try:
            async with asyncio.TaskGroup() as tasks:
                self._tasks = tasks
                await self._work()
        except BaseExceptionGroup as group:
            raise _first(group) from None
        finally:
            self._tasks = None
            await self.on_close()
            if self.started_at is not None:
                self.duration_ms = (time.perf_counter() - self.started_at) * 1000

    async def _work(self) -> None:
        if not any(self.producers.values()):
            self._mark_started()
        await self.on_start()
        inbox = self.inbox
        open_streams = sum(self.producers.values())
        await self.after_message()
        while open_streams > 0:
            port, batch = await inbox.get()
            if self.started_at is None:
                self._mark_started()
            if batch is None:
                if port == IDLE:
                    await self.after_message()
                    continue
                open_streams -= 1
                left = self.producers[port] = self.producers[port] - 1
                if left == 0:
                    await self.on_port_closed(port)
                await self.after_message()
                continue
            self.items_in += len(batch)
            if self.ctx.input_cap:
                self.ctx.capture_input(self.id, port, batch)
            await self.on_batch(port, batch)
            if not self.releases_itself:
                for scope in self.port_scopes.get(port, ()):
                    scope.release()
            await self.after_message()
        await self.on_finish()
        await self.close_outputs()

    def _mark_started(self) -> None:
        self.started_at = time.perf_counter()
        if self.ctx.on_event is not None:
            self.ctx.event(NodeStarted(node_id=self.id))

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a helper task that lives (and fails, and is cancelled) with this node."""
        assert self._tasks is not None, "spawn() only while the node runs"
        return self._tasks.create_task(coroutine)

    # --- hooks ---------------------------------------------------------------------------------------

    async def on_start(self) -> None:
        """Before the first batch (sources emit here)."""

    async def on_batch(self, port: str, batch: Batch) -> None:
        """Handle the items that arrived on ``port``."""
        raise NotImplementedError

    async def on_port_closed(self, port: str) -> None:
        """Every producer of ``port`` has ended its stream."""

    async def after_message(self) -> None:
        """After each batch, end-of-stream or idle signal (the loop decides here whether it is done)."""

    async def on_finish(self) -> None:
        """Every input has ended: flush what was held back (collect, zip …)."""

    async def on_close(self) -> None:
        """Always called last, also on failure or cancellation: release files and clients."""

    # --- sending -------------------------------------------------------------------------------------

    async def emit(self, port: str, items: Batch) -> None:
        """Send ``items`` out of ``port`` to every edge wired to it (as one batch, not copied)."""
        if not items:
            return
        count = len(items)
        if port != "error":  # failures are counted by fail_item
            self.items_out += count
        ctx = self.ctx
        if ctx.on_event is not None:
            taken = self._sampled.get(port, 0)
            sample: list[Any] = []
            if taken < SAMPLE_SIZE:
                sample = items[: SAMPLE_SIZE - taken]
                self._sampled[port] = taken + len(sample)
            ctx.event(ItemsEmitted(node_id=self.id, port=port, count=count, sample=sample))
        targets = self.targets.get(port)
        if not targets:
            ctx.capture(f"{self.id}.{port}", items)
            return
        for target in targets:
            for scope in target.scopes:
                scope.hold()
            if target.back_edge:
                target.node.inbox.put_now(target.port, items)
            else:
                await target.node.inbox.put(target.port, items)

    async def emit_chunked(self, port: str, items: Batch) -> None:
        """:meth:`emit` in slices of the run's batch size (for long lists made at once)."""
        size = self.ctx.batch_size
        if len(items) <= size:
            await self.emit(port, items)
            return
        for start in range(0, len(items), size):
            await self.emit(port, items[start : start + size])

    async def close_output(self, port: str) -> None:
        """End the stream of one output (the others stay open)."""
        if port in self._closed_outputs:
            return
        self._closed_outputs.add(port)
        for target in self.targets.get(port, ()):
            target.node.inbox.put_now(target.port, None)

    async def close_outputs(self) -> None:
        for port in self.targets:
            await self.close_output(port)

    def output_closed(self, port: str) -> bool:
        return port in self._closed_outputs

    def release(self, port: str) -> None:
        """For nodes that ``releases_itself``: one batch that arrived on ``port`` is completely handled."""
        for scope in self.port_scopes.get(port, ()):
            scope.release()

    # --- failures ------------------------------------------------------------------------------------

    @property
    def error_connected(self) -> bool:
        return bool(self.targets.get("error"))

    async def fail_item(self, item: Any, exc: BaseException) -> None:
        """Route a failed item to the ``error`` port, or fail the run when that port is not connected.

        The error item is ``{error, status, node, item}``; ``status`` is the HTTP status of a failed call.
        """
        self.errors += 1
        if not self.error_connected:
            raise ItemFailedError(self, item, exc) from exc
        status = exc.status if isinstance(exc, ApiError) else None
        await self.emit("error", [{"error": error_text(exc), "status": status, "node": self.id, "item": item}])

    def counts(self) -> dict[str, int]:
        return {"in": self.items_in, "out": self.items_out, "errors": self.errors}


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The exception that made a node's task group fail (the rest are the cancellations it caused)."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first(exc)
        if not isinstance(exc, asyncio.CancelledError):
            return exc
    return group.exceptions[0]

