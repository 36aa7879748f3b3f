"""The tables, as SQLAlchemy Core :class:`~sqlalchemy.Table` objects on one :data:`metadata`.

This module describes the *current* schema; the migrations under ``migrations/versions`` are how a file on
disk gets there. A test compares the two (``alembic.autogenerate.compare_metadata``), so a change here
without a migration fails the suite. Constraint names come from :data:`NAMING_CONVENTION` so that batch
migrations on SQLite can find and alter them.

Core rather than the ORM: the CLI opens the store on every command, and ``sqlalchemy.orm`` alone costs more
to import than every statement of a short command takes to run.

Timestamps are UTC epoch seconds (``float``), like :attr:`flowdesk.model.ApiCallMade.at`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

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

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _workspace_id() -> Column[int]:
    return Column("workspace_id", Integer, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column(
        "key_store",
        String(20),
        doc="Where this workspace's data key lives: ``keyring``, ``vault``, or not made yet (``NULL``).",
    ),
)

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    _workspace_id(),
    Column("user", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("workspace_id", "user"),
    CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="role"),
)

connections = Table(
    "connections",
    metadata,
    Column("id", Integer, primary_key=True),
    _workspace_id(),
    Column("name", String(100), nullable=False),
    Column("service", String(100), nullable=False),
    Column(
        "data",
        _JSON,
        nullable=False,
        doc=":func:`flowdesk.model.public_dict` of the connection, without ``entities`` (they have their table).",
    ),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("last_test_ok", Boolean),
    Column("last_tested_at", Float),
    Column(
        "auth_state",
        String(20),
        doc="``reauth_needed`` once the provider refused the OAuth tokens (or they were disconnected); cleared "
        "by new tokens.",
    ),
    UniqueConstraint("workspace_id", "name"),
)

entities = Table(
    "entities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("connection_id", Integer, ForeignKey("connections.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False),
    Column("data", _JSON, nullable=False),
    UniqueConstraint("connection_id", "name"),
)

secrets = Table(
    "secrets",
    metadata,
    Column("id", Integer, primary_key=True),
    _workspace_id(),
    Column("owner_kind", String(20), nullable=False),
    Column("connection_id", Integer, ForeignKey("connections.id", ondelete="CASCADE")),
    Column(
        "field",
        String(300),
        nullable=False,
        doc="Dotted path in the connection, e.g. ``auth.key`` or ``headers.Authorization`` (a webhook's: ``secret``).",
    ),
    Column("nonce", LargeBinary, nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column(
        "webhook_id",
        Integer,
        ForeignKey("webhooks.id", ondelete="CASCADE"),
        doc="Set for ``owner_kind = 'webhook'`` (then ``connection_id`` is ``NULL``).",
    ),
    UniqueConstraint("connection_id", "field"),
    UniqueConstraint("webhook_id", "field"),
    CheckConstraint("owner_kind IN ('connection', 'webhook')", name="owner_kind"),
)
"""One secret value per row, encrypted (AES-GCM) under the workspace's data key; never stored readable."""

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    _workspace_id(),
    Column("name", String(100), nullable=False),
    Column("style", String(20), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("workspace_id", "name"),
    CheckConstraint("style IN ('generic', 'github', 'stripe', 'shopify')", name="style"),
)
"""Registered inbound webhooks; a webhook's signing secret is a row of :data:`secrets` (``owner_kind
'webhook'``)."""

schedule_state = Table(
    "schedule_state",
    metadata,
    Column("id", Integer, primary_key=True),
    _workspace_id(),
    Column("flow_name", String(200), nullable=False),
    Column("node_id", String(200), nullable=False),
    Column(
        "last_fired_at",
        Float,
        nullable=False,
        doc="The newest fire time (UTC epoch seconds) that was run or deliberately skipped.",
    ),
    UniqueConstraint("workspace_id", "flow_name", "node_id"),
)
"""Up to when the schedule of one trigger has been handled (fired, or skipped on purpose)."""

flows = Table(
    "flows",
    metadata,
    Column("id", Integer, primary_key=True),
    _workspace_id(),
    Column("name", String(200), nullable=False),
    Column("data", _JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("workspace_id", "name"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(36), primary_key=True),
    _workspace_id(),
    Column("flow_name", String(200), nullable=False),
    Column("trigger", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("error", Text),
    Column("summary", _JSON),
    Column("pid", Integer, doc="The process running it: a ``running`` run whose process is gone was interrupted."),
    Column("host", String(255), doc="The machine of ``pid`` (a data dir on a shared drive may be used from several)."),
    CheckConstraint("status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')", name="status"),
    Index(None, "workspace_id", "started_at"),
    Index(None, "status"),
)

run_nodes = Table(
    "run_nodes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("node_id", String(200), nullable=False),
    Column("items_in", Integer, nullable=False, default=0),
    Column("items_out", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("duration_ms", Float, nullable=False, default=0.0),
    Column("sample", _JSON),
    Column("error", Text),
    UniqueConstraint("run_id", "node_id"),
)

api_calls = Table(
    "api_calls",
    metadata,
    Column("id", Integer, primary_key=True),
    _workspace_id(),
    Column("connection_id", Integer, ForeignKey("connections.id", ondelete="SET NULL")),
    Column("connection_name", String(100), nullable=False),
    Column("entity", String(200)),
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="SET NULL")),
    Column("node_id", String(200)),
    Column("at", Float, nullable=False),
    Column("method", String(10), nullable=False),
    Column("url", Text, nullable=False, doc="Already redacted by the connections layer."),
    Column("status", Integer),
    Column("duration_ms", Float, nullable=False),
    Column("attempt", Integer, nullable=False, default=1),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
    Column("user", String(200), doc="Who made the call (the workspace's acting user): the per-call audit trail."),
    Index(None, "workspace_id", "connection_id", "at"),
    Index(None, "connection_id"),
    Index(None, "run_id"),
)
"""One HTTP attempt per row. ``connection_id`` follows renames and is cleared when the connection is removed."""

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    _workspace_id(),
    Column("at", Float, nullable=False),
    Column("user", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", _JSON),
    Index(None, "workspace_id", "at"),
)
