"""participation plugin: activities edited or cancelled after publishing

Revision ID: pp0007_activity_changes
Revises: pp0006_registry
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pp0007_activity_changes"
down_revision: str | Sequence[str] | None = "pp0006_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added in place (SQLite's ALTER TABLE ADD COLUMN): the table keeps its CHECK on capacity;
    # the server default fills existing rows.
    with op.batch_alter_table("participation_activities") as batch:
        batch.add_column(
            sa.Column("cancel_reason", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participation_activities") as batch:
        batch.drop_column("changed_at")
        batch.drop_column("cancel_reason")
