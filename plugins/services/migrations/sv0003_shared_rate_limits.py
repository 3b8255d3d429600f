"""services plugin: its public forms' rate limits move to the hub (hub.ratelimit)

They are counted in the core table rate_windows now. The counts are short-lived (a window
lasts minutes), so they are not carried over: a client's current window starts afresh once.

Revision ID: sv0003_shared_rate_limits
Revises: sv0002_incident_version
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sv0003_shared_rate_limits"
down_revision: str | Sequence[str] | None = "sv0002_incident_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("services_rate_windows")


def downgrade() -> None:
    op.create_table(
        "services_rate_windows",
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "bucket", "client", "window_start", name=op.f("pk_services_rate_windows")
        ),
    )
