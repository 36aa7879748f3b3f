"""What the store hands out: frozen dataclasses, never rows of the database.

Timestamps are UTC epoch seconds (``float``), like the ``at`` of the run events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ConnectionStatus = Literal["connected", "failing", "untested", "reauth_needed"]
Role = Literal["admin", "editor", "viewer"]


@dataclass(frozen=True)
class WorkspaceInfo:
    name: str
    uuid: str
    created_at: float


@dataclass(frozen=True)
class AuditEntry:
    at: float
    user: str
    action: str
    target: str
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class MemberInfo:
    """A member of a workspace and the role that decides what they may do there."""

    user: str
    role: Role
    added_at: float


@dataclass(frozen=True)
class ApiCallRecord:
    """One HTTP attempt as recorded (the URL was redacted before it reached the store)."""

    at: float
    connection: str
    method: str
    url: str
    status: int | None
    duration_ms: float
    attempt: int = 1
    ok: bool = True
    error: str | None = None
    entity: str | None = None
    run_id: str | None = None
    node_id: str | None = None
    user: str | None = None
    """Who made the call (``None`` for calls recorded before calls carried their user)."""


@dataclass(frozen=True)
class ConnectionInfo:
    """A row of the connection list, with its usage over the last 24 hours.

    ``last_status`` is the outcome of whichever is newer, the last connection test or the last call:
    ``connected``, ``failing``, or ``untested`` when there was neither -- except ``reauth_needed`` while the
    provider refuses the connection's OAuth tokens (until ``connection authorize`` stores new ones).
    """

    name: str
    service: str
    base_url: str
    auth_type: str
    entity_count: int
    last_used: float | None
    calls_24h: int
    success_rate: float | None
    last_status: ConnectionStatus
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class ConnectionUsage:
    """The dashboard numbers of one connection; ``success_rate`` (0..1) is over the attempts of 24 h."""

    last_used: float | None
    calls_24h: int
    success_rate: float | None
    recent_errors: list[ApiCallRecord] = field(default_factory=list)


@dataclass(frozen=True)
class FlowInfo:
    name: str
    node_count: int
    updated_at: float
    last_run_status: str | None
    created_at: float = 0.0


@dataclass(frozen=True)
class RunNodeRecord:
    """What one node of a run did."""

    node_id: str
    items_in: int = 0
    items_out: int = 0
    errors: int = 0
    duration_ms: float = 0.0
    sample: list[Any] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class RunInfo:
    id: str
    workspace: str
    flow_name: str
    trigger: str
    status: str
    started_at: float
    finished_at: float | None
    error: str | None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunDetail:
    info: RunInfo
    nodes: list[RunNodeRecord]
    api_calls: list[ApiCallRecord]


@dataclass(frozen=True)
class WebhookInfo:
    """A registered inbound webhook (its secret is never part of this record)."""

    name: str
    style: str
    created_at: float
