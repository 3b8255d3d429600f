"""Channels a plugin asked to record: channels.recorded (ctx.channels.record)

A plugin marks the channel of one of its objects (a deliberation meeting) as recorded; media
records its group calls when their mixed room opens, whatever the deployment's group-call policy.

Revision ID: 0011_channel_recorded
Revises: 0010_rate_windows
Create Date: 2026-12-07 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_channel_recorded"
down_revision: str | Sequence[str] | None = "0010_rate_windows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(
            sa.Column("recorded", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("recorded")
