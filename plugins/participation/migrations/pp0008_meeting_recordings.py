"""participation plugin: online deliberation meetings (a recorded group call) and their recordings

Revision ID: pp0008_meeting_recordings
Revises: pp0007_activity_changes
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pp0008_meeting_recordings"
down_revision: str | Sequence[str] | None = "pp0007_activity_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participation_topics") as batch:
        batch.add_column(sa.Column("meeting_channel_id", sa.Integer(), nullable=True))
    op.create_table(
        "participation_meeting_recordings",
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("recording_id", name=op.f("pk_participation_meeting_recordings")),
    )
    with op.batch_alter_table("participation_meeting_recordings") as batch:
        batch.create_index(
            batch.f("ix_participation_meeting_recordings_topic_id"), ["topic_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("participation_meeting_recordings")
    with op.batch_alter_table("participation_topics") as batch:
        batch.drop_column("meeting_channel_id")
