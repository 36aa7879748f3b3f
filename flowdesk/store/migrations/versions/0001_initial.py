"""The initial schema.

A frozen snapshot: never import the live models here. Later changes get their own revision (with
``op.batch_alter_table`` on SQLite).

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("key_store", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("uuid", name="uq_workspaces_uuid"),
        sa.UniqueConstraint("name", name="uq_workspaces_name"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE", name="fk_members_workspace_id_workspaces"
        ),
        sa.UniqueConstraint("workspace_id", "user", name="uq_members_workspace_id_user"),
        sa.CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="ck_members_role"),
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("last_test_ok", sa.Boolean(), nullable=True),
        sa.Column("last_tested_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_connections"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE", name="fk_connections_workspace_id_workspaces"
        ),
        sa.UniqueConstraint("workspace_id", "name", name="uq_connections_workspace_id_name"),
    )
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entities"),
        sa.ForeignKeyConstraint(
            ["connection_id"], ["connections.id"], ondelete="CASCADE", name="fk_entities_connection_id_connections"
        ),
        sa.UniqueConstraint("connection_id", "name", name="uq_entities_connection_id_name"),
    )
    op.create_table(
        "secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(20), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(300), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_secrets"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE", name="fk_secrets_workspace_id_workspaces"
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"], ["connections.id"], ondelete="CASCADE", name="fk_secrets_connection_id_connections"
        ),
        sa.UniqueConstraint("connection_id", "field", name="uq_secrets_connection_id_field"),
        sa.CheckConstraint("owner_kind IN ('connection')", name="ck_secrets_owner_kind"),
    )
    op.create_table(
        "flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flows"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE", name="fk_flows_workspace_id_workspaces"
        ),
        sa.UniqueConstraint("workspace_id", "name", name="uq_flows_workspace_id_name"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("flow_name", sa.String(200), nullable=False),
        sa.Column("trigger", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE", name="fk_runs_workspace_id_workspaces"
        ),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')", name="ck_runs_status"
        ),
    )
    op.create_index("ix_runs_workspace_id_started_at", "runs", ["workspace_id", "started_at"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_table(
        "run_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("node_id", sa.String(200), nullable=False),
        sa.Column("items_in", sa.Integer(), nullable=False),
        sa.Column("items_out", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("sample", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_run_nodes"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE", name="fk_run_nodes_run_id_runs"),
        sa.UniqueConstraint("run_id", "node_id", name="uq_run_nodes_run_id_node_id"),
    )
    op.create_table(
        "api_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("connection_name", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(200), nullable=True),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("node_id", sa.String(200), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_calls"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE", name="fk_api_calls_workspace_id_workspaces"
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            ondelete="SET NULL",
            name="fk_api_calls_connection_id_connections",
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="SET NULL", name="fk_api_calls_run_id_runs"),
    )
    op.create_index(
        "ix_api_calls_workspace_id_connection_id_at", "api_calls", ["workspace_id", "connection_id", "at"]
    )
    op.create_index("ix_api_calls_connection_id", "api_calls", ["connection_id"])
    op.create_index("ix_api_calls_run_id", "api_calls", ["run_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE", name="fk_audit_events_workspace_id_workspaces"
        ),
    )
    op.create_index("ix_audit_events_workspace_id_at", "audit_events", ["workspace_id", "at"])


def downgrade() -> None:
    for index, table in (
        ("ix_audit_events_workspace_id_at", "audit_events"),
        ("ix_api_calls_run_id", "api_calls"),
        ("ix_api_calls_connection_id", "api_calls"),
        ("ix_api_calls_workspace_id_connection_id_at", "api_calls"),
        ("ix_runs_status", "runs"),
        ("ix_runs_workspace_id_started_at", "runs"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "audit_events",
        "api_calls",
        "run_nodes",
        "runs",
        "flows",
        "secrets",
        "entities",
        "connections",
        "members",
        "workspaces",
    ):
        op.drop_table(table)
