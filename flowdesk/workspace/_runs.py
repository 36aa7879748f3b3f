"""Turning the engine's run events into a run-history record, and the CLI/window progress counters."""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from typing import Any

from flowdesk.model import (
    ApiCallMade,
    ContractWarning,
    ItemsEmitted,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    RunFinished,
)

current_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("flowdesk_run_id", default=None)
"""The run a coroutine works for: API-call events made inside a run are filed under it."""

_SAMPLE = 5
MAX_RUN_WARNINGS = 50
"""Warnings a run record keeps (``warnings_total`` counts them all)."""


@dataclass
class NodeProgress:
    """What one node has done so far in a run."""

    node_id: str
    state: str = "waiting"  # waiting | running | done | failed
    items_in: int = 0
    items_out: int = 0
    errors: int = 0
    duration_ms: float = 0.0
    error: str | None = None
    sample_out: list[Any] = field(default_factory=list)


@dataclass
class RunProgress:
    """Counters for a progress display, fed with every run event."""

    started: float = field(default_factory=time.perf_counter)
    nodes: dict[str, NodeProgress] = field(default_factory=dict)
    api_calls: int = 0
    retries: int = 0
    items: int = 0
    finished: RunFinished | None = None
    warnings: list[str] = field(default_factory=list)
    warnings_total: int = 0

    def node(self, node_id: str) -> NodeProgress:
        found = self.nodes.get(node_id)
        if found is None:
            found = self.nodes[node_id] = NodeProgress(node_id)
        return found

    def observe(self, event: Any) -> None:
        if isinstance(event, ApiCallMade):
            self.api_calls += 1
            if event.will_retry:
                self.retries += 1
        elif isinstance(event, NodeStarted):
            self.node(event.node_id).state = "running"
        elif isinstance(event, ItemsEmitted):
            node = self.node(event.node_id)
            node.items_out += event.count
            self.items += event.count
            room = _SAMPLE - len(node.sample_out)
            if room > 0:
                node.sample_out.extend(event.sample[:room])
        elif isinstance(event, NodeFinished):
            node = self.node(event.node_id)
            node.state = "failed" if node.state == "failed" else "done"
            node.items_in, node.items_out = event.items_in, event.items_out
            node.errors, node.duration_ms = event.errors, event.duration_ms
        elif isinstance(event, NodeFailed):
            node = self.node(event.node_id)
            node.state, node.error = "failed", event.error
            node.errors += 1
        elif isinstance(event, ContractWarning):
            self.warnings_total += 1
            if len(self.warnings) < MAX_RUN_WARNINGS:
                self.warnings.append(event.message)
        elif isinstance(event, RunFinished):
            self.finished = event

    @property
    def nodes_done(self) -> int:
        return sum(1 for n in self.nodes.values() if n.state in ("done", "failed"))

    @property
    def items_per_second(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.items / elapsed if elapsed > 0 else 0.0
