"""What a run did, node by node, as the canvas shows it (Qt-free).

A :class:`RunState` is fed the engine's run events while a run goes (cheap: counters and the first few
sample items), or built from a recorded run of the history. The scene colours nodes and labels wires
from it; the details panel shows a node's samples, API calls and errors.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flowdesk.model.events import (
    ApiCallMade,
    ItemsEmitted,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    RunFinished,
    RunStarted,
)

SAMPLE_KEEP = 50
"""Sample items kept per output port (the engine sends at most a few per port)."""
CALLS_KEEP = 200
"""API calls kept per node for the details panel (the count goes on)."""


@dataclass
class CallInfo:
    method: str
    url: str
    status: int | None
    duration_ms: float
    attempt: int
    ok: bool
    error: str | None = None
    at: float = 0.0


@dataclass
class NodeRunState:
    """One node's part of a run: ``state`` is waiting, running, done or failed."""

    node_id: str
    state: str = "waiting"
    items_in: int = 0
    items_out: int = 0
    errors: int = 0
    duration_ms: float = 0.0
    error: str | None = None
    failed_item: Any = None
    samples: dict[str, list[Any]] = field(default_factory=dict)
    port_counts: dict[str, int] = field(default_factory=dict)
    calls: list[CallInfo] = field(default_factory=list)
    call_count: int = 0
    started_at: float | None = None

    def sample_out(self) -> list[Any]:
        """Every sampled output item, ports in order."""
        return [item for items in self.samples.values() for item in items]


@dataclass
class RunState:
    """A whole run: per-node states, the overall status, and when it was recorded (``run_id``)."""

    node_ids: list[str]
    run_id: str | None = None
    status: str = "running"  # running | succeeded | failed | cancelled | interrupted
    error: str | None = None
    started: float = field(default_factory=time.time)
    duration_ms: float | None = None
    nodes: dict[str, NodeRunState] = field(default_factory=dict)
    api_calls: int = 0
    items: int = 0
    recorded: bool = False
    """True when built from the run history rather than watched live."""

    def __post_init__(self) -> None:
        for node_id in self.node_ids:
            self.nodes.setdefault(node_id, NodeRunState(node_id))

    def node(self, node_id: str) -> NodeRunState:
        found = self.nodes.get(node_id)
        if found is None:
            found = self.nodes[node_id] = NodeRunState(node_id)
        return found

    @property
    def finished(self) -> bool:
        return self.status != "running"

    @property
    def nodes_done(self) -> int:
        return sum(1 for n in self.nodes.values() if n.state in ("done", "failed"))

    def observe(self, event: Any) -> set[str]:
        """Apply one run event; returns the ids of the nodes whose display changed."""
        if isinstance(event, ItemsEmitted):
            node = self.node(event.node_id)
            node.items_out += event.count
            node.port_counts[event.port] = node.port_counts.get(event.port, 0) + event.count
            self.items += event.count
            kept = node.samples.setdefault(event.port, [])
            room = SAMPLE_KEEP - len(kept)
            if room > 0 and event.sample:
                kept.extend(event.sample[:room])
            if node.state == "waiting":
                node.state = "running"
            return {event.node_id}
        if isinstance(event, ApiCallMade):
            self.api_calls += 1
            if event.node_id is None:
                return set()
            node = self.node(event.node_id)
            node.call_count += 1
            if len(node.calls) < CALLS_KEEP:
                node.calls.append(
                    CallInfo(
                        event.method,
                        event.url,
                        event.status,
                        event.duration_ms,
                        event.attempt,
                        event.ok,
                        event.error,
                        event.at,
                    )
                )
            return set()
        if isinstance(event, NodeStarted):
            node = self.node(event.node_id)
            node.state = "running"
            node.started_at = event.at
            return {event.node_id}
        if isinstance(event, NodeFinished):
            node = self.node(event.node_id)
            node.state = "failed" if node.state == "failed" else "done"
            node.items_in, node.items_out = event.items_in, event.items_out
            node.errors, node.duration_ms = event.errors, event.duration_ms
            return {event.node_id}
        if isinstance(event, NodeFailed):
            node = self.node(event.node_id)
            node.state, node.error, node.failed_item = "failed", event.error, event.item
            node.errors = max(node.errors, 1)
            return {event.node_id}
        if isinstance(event, RunStarted):
            self.run_id = event.run_id or self.run_id
            return set()
        if isinstance(event, RunFinished):
            self.finish(event.status, event.error, event.duration_ms)
            return set(self.nodes)
        return set()

    def finish(self, status: str, error: str | None = None, duration_ms: float | None = None) -> None:
        self.status = status
        self.error = error
        self.duration_ms = duration_ms if duration_ms is not None else (time.time() - self.started) * 1000
        if status != "succeeded":
            for node in self.nodes.values():
                if node.state == "running":
                    node.state = "cancelled" if status == "cancelled" else "failed"

    def inputs_of(self, node_id: str, edges: Iterable[tuple[str, str, str, str]]) -> dict[str, list[Any]]:
        """The sampled items that reached each input port of ``node_id``.

        ``edges`` are ``(source node, source port, target node, target port)``.
        """
        found: dict[str, list[Any]] = {}
        for source, source_port, target, target_port in edges:
            if target != node_id:
                continue
            upstream = self.nodes.get(source)
            if upstream is not None:
                found.setdefault(target_port, []).extend(upstream.samples.get(source_port, []))
        return found


def run_state_from_record(detail: Any, node_ids: list[str]) -> RunState:
    """A :class:`RunState` from a recorded run (``RunDetail`` of the workspace's run history).

    Recorded runs keep, per node, the counts, the error and the first output items (not split by port,
    so they are all shown under ``out``).
    """
    info = detail.info
    state = RunState(node_ids, run_id=info.id, status=info.status, error=info.error, started=info.started_at)
    state.recorded = True
    if info.finished_at is not None:
        state.duration_ms = (info.finished_at - info.started_at) * 1000
    for record in detail.nodes:
        node = state.node(record.node_id)
        node.items_in, node.items_out, node.errors = record.items_in, record.items_out, record.errors
        node.duration_ms = record.duration_ms
        node.error = record.error
        if record.error:
            node.state = "failed"
        elif info.status == "succeeded" or record.duration_ms > 0:
            node.state = "done"
        else:
            node.state = "cancelled"  # stopped when the run failed or was stopped, before it finished
        if record.sample:
            node.samples["out"] = list(record.sample)
        state.items += record.items_out
    for call in detail.api_calls:
        state.api_calls += 1
        if call.node_id is None:
            continue
        node = state.node(call.node_id)
        node.call_count += 1
        if len(node.calls) < CALLS_KEEP:
            node.calls.append(
                CallInfo(
                    call.method, call.url, call.status, call.duration_ms, call.attempt, call.ok, call.error, call.at
                )
            )
    return state
