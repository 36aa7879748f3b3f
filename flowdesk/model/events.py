"""Run events: what the connection runtime and the engine report while they work.

The window, the CLI progress display and the run recorder all consume the same events. Every URL in an
event is already redacted (no api-key query values, no tokens).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class _Event(BaseModel):
    at: float = Field(default_factory=time.time)
    run_id: str | None = None


class ApiCallMade(_Event):
    """One HTTP attempt (each retry is its own event, with ``attempt`` counting from 1)."""

    kind: Literal["api_call"] = "api_call"
    connection: str
    entity: str | None = None
    node_id: str | None = None
    method: str
    url: str
    status: int | None = None
    duration_ms: float
    attempt: int = 1
    will_retry: bool = False
    error: str | None = None
    response_bytes: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400 and self.error is None


class RunStarted(_Event):
    kind: Literal["run_started"] = "run_started"
    flow: str
    trigger: str = "manual"


class NodeStarted(_Event):
    kind: Literal["node_started"] = "node_started"
    node_id: str


class ItemsEmitted(_Event):
    kind: Literal["items_emitted"] = "items_emitted"
    node_id: str
    port: str
    count: int
    sample: list[Any] = Field(default_factory=list)


class NodeFinished(_Event):
    kind: Literal["node_finished"] = "node_finished"
    node_id: str
    items_in: int = 0
    items_out: int = 0
    errors: int = 0
    duration_ms: float = 0.0


class NodeFailed(_Event):
    kind: Literal["node_failed"] = "node_failed"
    node_id: str
    error: str
    item: Any = None


class ContractWarning(_Event):
    """A record an ``api_call`` node received does not match its entity's contract; the run goes on.

    ``record`` counts the records the node received from that entity, from 0.
    """

    kind: Literal["contract_warning"] = "contract_warning"
    node_id: str
    connection: str
    entity: str
    field: str
    expected: str
    got: str
    record: int | None = None

    @property
    def message(self) -> str:
        where = f"record {self.record}: " if self.record is not None else ""
        return (
            f"node {self.node_id!r} ({self.connection}/{self.entity}): {where}{self.field or 'the record'}: "
            f"expected {self.expected}, got {self.got}"
        )


class RunFinished(_Event):
    kind: Literal["run_finished"] = "run_finished"
    status: Literal["succeeded", "failed", "cancelled", "interrupted"]
    duration_ms: float
    counts: dict[str, dict[str, int]] = Field(default_factory=dict)
    error: str | None = None


RunEvent = Annotated[
    ApiCallMade | RunStarted | NodeStarted | ItemsEmitted | NodeFinished | NodeFailed | ContractWarning | RunFinished,
    Field(discriminator="kind"),
]
