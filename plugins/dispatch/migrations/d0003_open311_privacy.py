"""dispatch plugin: residents' consent to publish a report, and its public Open311 id

Revision ID: d0003_open311_privacy
Revises: d0002_public
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0003_open311_privacy"
down_revision: str | Sequence[str] | None = "d0002_public"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reports filed before consent was asked are not public (the default).
    with op.batch_alter_table("dispatch_incidents") as batch:
        batch.add_column(
            sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("public_id", sa.String(length=32), nullable=True))
    op.create_index(
        op.f("ix_dispatch_incidents_public_id"), "dispatch_incidents", ["public_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dispatch_incidents_public_id"), table_name="dispatch_incidents")
    with op.batch_alter_table("dispatch_incidents") as batch:
        batch.drop_column("public_id")
        batch.drop_column("public")
