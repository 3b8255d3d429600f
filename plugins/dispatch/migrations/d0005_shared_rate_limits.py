"""dispatch plugin: its public forms' rate limits move to the hub (hub.ratelimit)

They are counted in the core table rate_windows now. The counts are short-lived (a window
lasts minutes), so they are not carried over: a client's current window starts afresh once.

Revision ID: d0005_shared_rate_limits
Revises: d0004_sealed_contact
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0005_shared_rate_limits"
down_revision: str | Sequence[str] | None = "d0004_sealed_contact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("dispatch_rate_windows")


def downgrade() -> None:
    op.create_table(
        "dispatch_rate_windows",
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "bucket", "client", "window_start", name=op.f("pk_dispatch_rate_windows")
        ),
    )
