"""OAuth re-authorisation state per connection; the acting user of each API call (the per-call audit).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # nullable columns: SQLite adds them in place (no table rebuild, no cascade risk)
    op.add_column("connections", sa.Column("auth_state", sa.String(20), nullable=True))
    op.add_column("api_calls", sa.Column("user", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_calls") as batch:
        batch.drop_column("user")
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("auth_state")
