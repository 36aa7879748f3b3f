"""The tables, as SQLAlchemy declarative models.

This module describes the *current* schema; the migrations under ``migrations/versions`` are how a file on
disk gets there. A test compares the two (``alembic.autogenerate.compare_metadata``), so a change here
without a migration fails the suite. Constraint names come from :data:`NAMING_CONVENTION` so that batch
migrations on SQLite can find and alter them.

Timestamps are UTC epoch seconds (``float``), like :attr:`flowdesk.model.ApiCallMade.at`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "editor", "viewer")
RUN_STATUSES = ("running", "succeeded", "failed", "cancelled", "interrupted")

_JSON = JSON(none_as_null=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    key_store: Mapped[str | None] = mapped_column(String(20), default=None)
    """Where this workspace's data key lives: ``keyring``, ``vault``, or not made yet (``NULL``)."""


class MemberRow(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user"),
        CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[float] = mapped_column(Float)


class ConnectionRow(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    service: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(_JSON)
    """:func:`flowdesk.model.public_dict` of the connection, without ``entities`` (they have their table)."""
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    last_test_ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    last_tested_at: Mapped[float | None] = mapped_column(Float, default=None)
    auth_state: Mapped[str | None] = mapped_column(String(20), default=None)
    """``reauth_needed`` once the provider refused the OAuth tokens (or they were disconnected); cleared by new
    tokens."""


class EntityRow(Base):
    __tablename__ = "entities"
    __table_args__ = (UniqueConstraint("connection_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(_JSON)


class SecretRow(Base):
    """One secret value, encrypted (AES-GCM) under the workspace's data key; never stored readable."""

    __tablename__ = "secrets"
    __table_args__ = (
        UniqueConstraint("connection_id", "field"),
        UniqueConstraint("webhook_id", "field"),
        CheckConstraint("owner_kind IN ('connection', 'webhook')", name="owner_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    owner_kind: Mapped[str] = mapped_column(String(20))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(300))
    """Dotted path in the connection, e.g. ``auth.key`` or ``headers.Authorization`` (a webhook's: ``secret``)."""
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), default=None)
    """Set for ``owner_kind = 'webhook'`` (then ``connection_id`` is ``NULL``)."""


class WebhookRow(Base):
    """A registered inbound webhook; its signing secret is a :class:`SecretRow` (``owner_kind 'webhook'``)."""

    __tablename__ = "webhooks"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        CheckConstraint("style IN ('generic', 'github', 'stripe', 'shopify')", name="style"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    style: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[float] = mapped_column(Float)


class ScheduleStateRow(Base):
    """Up to when the schedule of one trigger has been handled (fired, or skipped on purpose)."""

    __tablename__ = "schedule_state"
    __table_args__ = (UniqueConstraint("workspace_id", "flow_name", "node_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    flow_name: Mapped[str] = mapped_column(String(200))
    node_id: Mapped[str] = mapped_column(String(200))
    last_fired_at: Mapped[float] = mapped_column(Float)
    """The newest fire time (UTC epoch seconds) that was run or deliberately skipped."""


class FlowRow(Base):
    __tablename__ = "flows"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(_JSON)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')", name="status"),
        Index(None, "workspace_id", "started_at"),
        Index(None, "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    flow_name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    summary: Mapped[dict[str, Any] | None] = mapped_column(_JSON, default=None)
    pid: Mapped[int | None] = mapped_column(Integer, default=None)
    """The process running it: a ``running`` run whose process is gone was interrupted."""
    host: Mapped[str | None] = mapped_column(String(255), default=None)
    """The machine of ``pid`` (a data dir on a shared drive may be used from several)."""


class RunNodeRow(Base):
    __tablename__ = "run_nodes"
    __table_args__ = (UniqueConstraint("run_id", "node_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(String(200))
    items_in: Mapped[int] = mapped_column(Integer, default=0)
    items_out: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    sample: Mapped[list[Any] | None] = mapped_column(_JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class ApiCallRow(Base):
    """One HTTP attempt. ``connection_id`` follows renames and is cleared when the connection is removed."""

    __tablename__ = "api_calls"
    __table_args__ = (
        Index(None, "workspace_id", "connection_id", "at"),
        Index(None, "connection_id"),
        Index(None, "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    connection_name: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str | None] = mapped_column(String(200), default=None)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), default=None)
    node_id: Mapped[str | None] = mapped_column(String(200), default=None)
    at: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)
    """Already redacted by the connections layer."""
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    duration_ms: Mapped[float] = mapped_column(Float)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    user: Mapped[str | None] = mapped_column(String(200), default=None)
    """Who made the call (the workspace's acting user): the per-call audit trail."""


class AuditRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "workspace_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    at: Mapped[float] = mapped_column(Float)
    user: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(_JSON, default=None)
