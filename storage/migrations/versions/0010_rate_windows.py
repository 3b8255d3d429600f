"""Rate limits of plugins' public forms: one table of fixed windows for every plugin

Dispatch, services and party each counted in a table of their own; hub.ratelimit now counts
for all of them (bucket "<plugin>.<limit>"). Their own tables are dropped by their branches.

Revision ID: 0010_rate_windows
Revises: 0009_recording_subject
Create Date: 2026-12-06 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_rate_windows"
down_revision: str | Sequence[str] | None = "0009_recording_subject"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_windows",
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "client", "window_start", name=op.f("pk_rate_windows")),
    )


def downgrade() -> None:
    op.drop_table("rate_windows")
