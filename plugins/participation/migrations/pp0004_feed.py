"""participation plugin: the neighbourhood feed (posts, photos, comments, reports)

Revision ID: pp0004_feed
Revises: pp0003_deliberation
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pp0004_feed"
down_revision: str | Sequence[str] | None = "pp0003_deliberation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participation_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_comments")),
    )
    op.create_index(
        op.f("ix_participation_comments_post_id"),
        "participation_comments",
        ["post_id"],
        unique=False,
    )
    op.create_table(
        "participation_post_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=24), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_post_photos")),
    )
    op.create_index(
        op.f("ix_participation_post_photos_post_id"),
        "participation_post_photos",
        ["post_id"],
        unique=False,
    )
    op.create_table(
        "participation_post_reports",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("post_id", "person_id", name=op.f("pk_participation_post_reports")),
    )
    op.create_table(
        "participation_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("incident_number", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_posts")),
    )
    op.create_index(
        op.f("ix_participation_posts_author_id"), "participation_posts", ["author_id"], unique=False
    )
    op.create_index(
        op.f("ix_participation_posts_grid_id"), "participation_posts", ["grid_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_participation_posts_grid_id"), table_name="participation_posts")
    op.drop_index(op.f("ix_participation_posts_author_id"), table_name="participation_posts")
    op.drop_table("participation_posts")
    op.drop_table("participation_post_reports")
    op.drop_index(
        op.f("ix_participation_post_photos_post_id"), table_name="participation_post_photos"
    )
    op.drop_table("participation_post_photos")
    op.drop_index(op.f("ix_participation_comments_post_id"), table_name="participation_comments")
    op.drop_table("participation_comments")
