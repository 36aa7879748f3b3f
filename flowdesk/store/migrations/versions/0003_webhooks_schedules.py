"""Webhooks (with sealed signing secrets) and the schedule state that catch-up needs.

A frozen snapshot: never import the live models here. ``secrets`` is recreated by the batch operation (SQLite
cannot add a foreign key or change a CHECK in place); the caller runs this with foreign keys off, and nothing
references ``secrets``, so no row elsewhere is touched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("style", sa.String(20), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhooks"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE", name="fk_webhooks_workspace_id_workspaces"
        ),
        sa.UniqueConstraint("workspace_id", "name", name="uq_webhooks_workspace_id_name"),
        sa.CheckConstraint("style IN ('generic', 'github', 'stripe', 'shopify')", name="ck_webhooks_style"),
    )
    op.create_table(
        "schedule_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("flow_name", sa.String(200), nullable=False),
        sa.Column("node_id", sa.String(200), nullable=False),
        sa.Column("last_fired_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_state"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE", name="fk_schedule_state_workspace_id_workspaces"
        ),
        sa.UniqueConstraint(
            "workspace_id", "flow_name", "node_id", name="uq_schedule_state_workspace_id_flow_name_node_id"
        ),
    )
    with op.batch_alter_table("secrets", recreate="always") as batch:
        batch.add_column(sa.Column("webhook_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_secrets_webhook_id_webhooks", "webhooks", ["webhook_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_unique_constraint("uq_secrets_webhook_id_field", ["webhook_id", "field"])
        batch.drop_constraint("ck_secrets_owner_kind", type_="check")
        batch.create_check_constraint("ck_secrets_owner_kind", "owner_kind IN ('connection', 'webhook')")


def downgrade() -> None:
    op.execute("DELETE FROM secrets WHERE owner_kind = 'webhook'")
    with op.batch_alter_table("secrets", recreate="always") as batch:
        batch.drop_constraint("ck_secrets_owner_kind", type_="check")
        batch.create_check_constraint("ck_secrets_owner_kind", "owner_kind IN ('connection')")
        batch.drop_constraint("uq_secrets_webhook_id_field", type_="unique")
        batch.drop_constraint("fk_secrets_webhook_id_webhooks", type_="foreignkey")
        batch.drop_column("webhook_id")
    op.drop_table("schedule_state")
    op.drop_table("webhooks")
