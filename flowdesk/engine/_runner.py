"""The :class:`FlowRunner`: wires a validated flow's nodes together and runs them as asyncio tasks.

Every node is its own task and every edge ends in a bounded inbox, so independent branches run at the
same time and a fast producer waits for a slow consumer instead of filling memory. The run ends when
every node has ended (succeeded), when a node fails (every other node is cancelled; failed), or when
:meth:`FlowRunner.cancel` is called (cancelled). Cancelling the task awaiting :meth:`FlowRunner.run` stops
the nodes too and re-raises ``CancelledError`` after reporting the run as cancelled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from flowdesk.engine._api import ApiCallNode, LookupNode, WebhookOutNode
from flowdesk.engine._data import CollectNode, OutputNode, TransformNode
from flowdesk.engine._fields import as_item
from flowdesk.engine._logic import ConditionNode, DelayNode, LoopNode, MergeNode, TriggerNode
from flowdesk.engine._node import (
    ItemFailedError,
    LoopScope,
    Node,
    NodeFailedError,
    RunContext,
    Target,
    error_text,
)
from flowdesk.engine._provider import CallProvider
from flowdesk.model.connection import Connection
from flowdesk.model.errors import UserError
from flowdesk.model.events import NodeFailed, NodeFinished, RunFinished, RunStarted
from flowdesk.model.flow import Flow, FlowGraph, flow_graph
from flowdesk.model.nodes import LoopConfig, TriggerConfig

if TYPE_CHECKING:
    from flowdesk.connections import ConnectionClient

NODE_TYPES: dict[str, type[Node]] = {
    cls.type: cls
    for cls in (
        TriggerNode,
        ApiCallNode,
        LookupNode,
        WebhookOutNode,
        ConditionNode,
        LoopNode,
        MergeNode,
        DelayNode,
        TransformNode,
        CollectNode,
        OutputNode,
    )
}

QUEUE_BATCHES = 32
"""Batches an inbox holds before producers wait (so at most about QUEUE_BATCHES x BATCH_SIZE items)."""
BATCH_SIZE = 500
"""Items per batch when a node makes many at once (start items, a loop over a long list)."""
OUTPUT_CAP = 100
"""Items kept per unconnected output for :attr:`RunResult.outputs`."""

Status = Literal["succeeded", "failed", "cancelled"]


@dataclass
class RunResult:
    """How a run ended.

    ``counts`` maps each node to ``{"in", "out", "errors"}``; ``outputs`` maps ``"node.port"`` of every
    unconnected output (an output node's ``out`` included) to the first items that reached it (at most
    ``OUTPUT_CAP``); ``failed_node`` names the node that failed the run. ``inputs`` maps each node that ran to
    the items that reached each of its input ports (only with ``capture_inputs``, at most that many per port;
    ``inputs_capped`` names the ``"node.port"`` that received more than were kept).
    """

    status: Status
    flow: str
    run_id: str | None = None
    error: str | None = None
    failed_node: str | None = None
    duration_ms: float = 0.0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    outputs: dict[str, list[Any]] = field(default_factory=dict)
    inputs: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    inputs_capped: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


class FlowRunner:
    """Runs one flow once.

    ``clients`` provides entities and connection clients (the workspace). ``variables`` override the
    flow's. ``on_event`` receives every :mod:`~flowdesk.model.events` event of the run (API calls come from
    the clients' own event hooks). ``start_at`` runs only that node and what follows it, feeding it
    ``start_inputs`` (input port → items; for a trigger: the items it emits instead of the variables).
    ``sleep`` is what ``delay`` nodes wait with; ``url_client`` makes the client a ``webhook_out`` node
    with a bare ``url`` posts through (default: a plain :class:`ConnectionClient`). ``capture_inputs`` keeps
    up to that many items per node input port for :attr:`RunResult.inputs` (0, the default, keeps none and
    costs nothing), so a later run can start at any node with everything that reached it.

    Raises:
        InvalidConfigError: the flow is not valid (checked here without the workspace's connections).
        UserError: ``start_at`` names no node, or ``start_inputs`` a port it does not have.
    """

    def __init__(
        self,
        flow: Flow,
        *,
        clients: CallProvider,
        variables: Mapping[str, Any] | None = None,
        on_event: Callable[[Any], None] | None = None,
        run_id: str | None = None,
        start_at: str | None = None,
        start_inputs: Mapping[str, Iterable[Any]] | None = None,
        trigger: str = "manual",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        url_client: Callable[[Connection], ConnectionClient] | None = None,
        queue_batches: int = QUEUE_BATCHES,
        batch_size: int = BATCH_SIZE,
        output_cap: int = OUTPUT_CAP,
        capture_inputs: int = 0,
    ) -> None:
        self.graph: FlowGraph = flow_graph(flow)
        self.flow = self.graph.flow
        self.run_id = run_id
        self.trigger = trigger
        self._on_event = on_event
        if start_at is not None and start_at not in self.graph.nodes:
            known = ", ".join(self.graph.nodes)
            raise UserError(f"flow {self.flow.name!r} has no node {start_at!r} to start at (nodes: {known})")
        if start_inputs and start_at is None:
            raise UserError("start_inputs need start_at (the node to feed them to)")
        self.start_at = start_at
        self.start_inputs = {port: [as_item(i) for i in items] for port, items in (start_inputs or {}).items()}
        if start_at is not None:
            start = self.graph.nodes[start_at]
            ports = {p.name for p in start.inputs}
            unknown = [p for p in self.start_inputs if p not in ports and start.type != "trigger"]
            if unknown:
                known = ", ".join(sorted(ports)) or "none"
                raise UserError(f"node {start_at!r} has no input {unknown[0]!r} to feed (inputs: {known})")
        self.variables = self._variables(variables)
        extras: dict[str, Any] = {}
        if url_client is not None:
            extras["url_client_factory"] = url_client
        self.ctx = RunContext(
            run_id=run_id,
            flow_name=self.flow.name,
            variables=self.variables,
            clients=clients,
            on_event=on_event,
            sleep=sleep,
            capacity=queue_batches,
            batch_size=batch_size,
            output_cap=output_cap,
            input_cap=max(0, capture_inputs),
            extras=extras,
        )
        self.nodes: dict[str, Node] = {}
        self._cancel = asyncio.Event()
        self._result: RunResult | None = None

    def _variables(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The flow's variables, then every manual trigger's, then the run's own (``--var``) win."""
        merged = dict(self.flow.variables)
        for node in self.graph.nodes.values():
            if isinstance(node.config, TriggerConfig):
                merged.update(node.config.variables)
        merged.update(given or {})
        return merged

    def cancel(self) -> None:
        """Stop every node as soon as possible; :meth:`run` then returns a ``cancelled`` result."""
        self._cancel.set()

    @property
    def result(self) -> RunResult | None:
        return self._result

    def counts(self) -> dict[str, dict[str, int]]:
        """Items in/out and errors per node so far."""
        return {node_id: node.counts() for node_id, node in self.nodes.items()}

    # --- running -------------------------------------------------------------------------------------

    async def run(self) -> RunResult:
        """Run the flow to its end.

        Never raises for a failing node or a cancel (see the result's ``status`` and ``error``), only
        ``CancelledError`` when the awaiting task itself is cancelled.
        """
        started = time.perf_counter()
        self.ctx.event(RunStarted(flow=self.flow.name, trigger=self.trigger))
        self._build()
        tasks = {
            asyncio.create_task(node.run(), name=f"flowdesk node {node_id}"): node_id
            for node_id, node in self.nodes.items()
        }
        feeders = [asyncio.create_task(coroutine) for coroutine in self._feeders()]
        status: Status = "succeeded"
        error: str | None = None
        failed_node: str | None = None
        cancel_wait = asyncio.create_task(self._cancel.wait())
        pending: set[asyncio.Task[Any]] = {*tasks, *feeders}
        try:
            while pending:
                done, pending = await asyncio.wait({*pending, cancel_wait}, return_when=asyncio.FIRST_COMPLETED)
                pending.discard(cancel_wait)
                if cancel_wait in done:
                    status, error = "cancelled", "cancelled"
                    break
                failure = next((t for t in done if not t.cancelled() and t.exception() is not None), None)
                if failure is not None:
                    status = "failed"
                    exc = failure.exception()
                    assert exc is not None
                    failed_node, error = self._failure(tasks.get(failure), exc)
                    break
                for task in done:
                    node_id = tasks.get(task)
                    if node_id is not None:
                        self._finished(self.nodes[node_id])
        except asyncio.CancelledError:
            await self._stop([*pending, cancel_wait])
            await self._close_clients()
            self._finish(started, "cancelled", "cancelled", None)
            raise
        await self._stop([*pending, cancel_wait])
        await self._close_clients()
        return self._finish(started, status, error, failed_node)

    def _finish(self, started: float, status: Status, error: str | None, failed_node: str | None) -> RunResult:
        duration = (time.perf_counter() - started) * 1000
        counts = self.counts()
        self._result = RunResult(
            status=status,
            flow=self.flow.name,
            run_id=self.run_id,
            error=error,
            failed_node=failed_node,
            duration_ms=duration,
            counts=counts,
            outputs=self.ctx.outputs,
            inputs=self.ctx.inputs,
            inputs_capped=self.ctx.inputs_capped,
        )
        self.ctx.event(RunFinished(status=status, duration_ms=duration, counts=counts, error=error))
        return self._result

    def _finished(self, node: Node) -> None:
        if self._on_event is not None:
            self.ctx.event(
                NodeFinished(
                    node_id=node.id,
                    items_in=node.items_in,
                    items_out=node.items_out,
                    errors=node.errors,
                    duration_ms=node.duration_ms,
                )
            )

    def _failure(self, node_id: str | None, exc: BaseException) -> tuple[str | None, str]:
        item: Any = None
        if isinstance(exc, ItemFailedError):
            node_id, item, text = exc.node_id, exc.item, exc.text
        elif isinstance(exc, NodeFailedError):
            node_id, text = exc.node_id, exc.text
        else:
            node = self.nodes.get(node_id or "")
            what = f"node {node_id!r} ({node.type})" if node is not None else "the run"
            text = f"{what} failed: {error_text(exc)}"
        if node_id is not None:
            self.ctx.event(NodeFailed(node_id=node_id, error=text, item=item))
        return node_id, text

    async def _stop(self, tasks: Iterable[asyncio.Task[Any]]) -> None:
        waiting = [t for t in tasks if not t.done()]
        for task in waiting:
            task.cancel()
        if waiting:
            await asyncio.gather(*waiting, return_exceptions=True)

    async def _close_clients(self) -> None:
        clients: dict[str, ConnectionClient] = self.ctx.extras.pop("url_clients", {})
        for client in clients.values():
            await client.aclose()

    # --- wiring --------------------------------------------------------------------------------------

    def _build(self) -> None:
        graph = self.graph
        selected = graph.downstream([self.start_at]) if self.start_at is not None else set(graph.nodes)
        nodes = {
            node_id: NODE_TYPES[spec.type](spec, self.ctx)
            for node_id, spec in graph.nodes.items()
            if node_id in selected
        }
        edges = [e for e in graph.edges if e.source_node in nodes and e.target_node in nodes]
        for node in nodes.values():
            node.producers = {p.name: 0 for p in node.spec.inputs}

        member_of: dict[str, list[LoopScope]] = {}
        for node in nodes.values():
            if isinstance(node, LoopNode) and isinstance(node.config, LoopConfig) and node.config.mode == "while":
                body = graph.loop_body(node.id) & set(nodes)
                if body and any(e.target_node == node.id and e.target_port == "again" for e in edges):
                    scope = LoopScope(node)
                    node.scope = scope
                    node.port_scopes["again"] = (*node.port_scopes.get("again", ()), scope)
                    for member in body:
                        member_of.setdefault(member, []).append(scope)
        for node_id, scopes in member_of.items():
            node = nodes[node_id]
            for port in node.producers:
                node.port_scopes[port] = (*node.port_scopes.get(port, ()), *scopes)

        for edge in edges:
            source, target = nodes[edge.source_node], nodes[edge.target_node]
            back_edge = isinstance(target, LoopNode) and edge.target_port == "again"
            source.targets[edge.source_port].append(
                Target(target, edge.target_port, target.port_scopes.get(edge.target_port, ()), back_edge)
            )
            target.producers[edge.target_port] += 1

        if self.start_at is not None:
            start = nodes[self.start_at]
            if isinstance(start, TriggerNode):
                given = [item for items in self.start_inputs.values() for item in items]
                if self.start_inputs:
                    self.ctx.extras["trigger_items"] = {start.id: given}
            else:
                for port in self.start_inputs:
                    start.producers[port] += 1
        elif not any(isinstance(n, TriggerNode) for n in nodes.values()):
            # no trigger: the nodes nothing feeds start as if a manual trigger fed them the variables
            for node in nodes.values():
                if node.producers and not any(node.producers.values()):
                    first = next(iter(node.producers))
                    node.producers[first] += 1
                    self.start_inputs.setdefault(f"{node.id}.{first}", [dict(self.variables)])
        self.nodes = nodes

    def _feeders(self) -> list[Any]:
        feeds: list[tuple[Node, str, list[Any]]] = []
        if self.start_at is not None:
            start = self.nodes[self.start_at]
            if not isinstance(start, TriggerNode):
                feeds = [(start, port, items) for port, items in self.start_inputs.items()]
        else:
            for key, items in self.start_inputs.items():
                node_id, port = key.split(".", 1)
                feeds.append((self.nodes[node_id], port, items))
        coroutines = []
        size = self.ctx.batch_size
        for node, port, items in feeds:
            batches = [items[start : start + size] for start in range(0, len(items), size)]
            # counted now, before any node runs, so a loop fed this way cannot think its body idle too early
            for scope in node.port_scopes.get(port, ()):
                scope.pending += len(batches)
            coroutines.append(self._feed(node, port, batches))
        return coroutines

    async def _feed(self, node: Node, port: str, batches: list[list[Any]]) -> None:
        for batch in batches:
            await node.inbox.put(port, batch)
        node.inbox.put_now(port, None)
