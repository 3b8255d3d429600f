"""party plugin: photos of meetings

Revision ID: p0002_meeting_photos
Revises: p0001_party
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0002_meeting_photos"
down_revision: str | Sequence[str] | None = "p0001_party"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_meeting_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["party_meetings.id"],
            name=op.f("fk_party_meeting_photos_meeting_id_party_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_meeting_photos")),
    )
    op.create_index(
        op.f("ix_party_meeting_photos_meeting_id"),
        "party_meeting_photos",
        ["meeting_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_party_meeting_photos_meeting_id"), table_name="party_meeting_photos")
    op.drop_table("party_meeting_photos")
