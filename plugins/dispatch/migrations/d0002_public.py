"""dispatch plugin: public intake (appeal photos and Open311 media links, per-client rate limits)

Revision ID: d0002_public
Revises: d0001_dispatch
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0002_public"
down_revision: str | Sequence[str] | None = "d0001_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["dispatch_incidents.id"],
            name=op.f("fk_dispatch_media_incident_id_dispatch_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_media")),
    )
    op.create_index(
        op.f("ix_dispatch_media_incident_id"), "dispatch_media", ["incident_id"], unique=False
    )
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


def downgrade() -> None:
    op.drop_table("dispatch_rate_windows")
    op.drop_index(op.f("ix_dispatch_media_incident_id"), table_name="dispatch_media")
    op.drop_table("dispatch_media")
