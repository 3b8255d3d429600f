"""participation plugin: the needs list (群众点单)

Revision ID: pp0005_needs
Revises: pp0004_feed
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pp0005_needs"
down_revision: str | Sequence[str] | None = "pp0004_feed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participation_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("taken_by", sa.Integer(), nullable=True),
        sa.Column("taker_name", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_needs")),
    )
    op.create_index(
        op.f("ix_participation_needs_grid_id"), "participation_needs", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_participation_needs_person_id"), "participation_needs", ["person_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_participation_needs_person_id"), table_name="participation_needs")
    op.drop_index(op.f("ix_participation_needs_grid_id"), table_name="participation_needs")
    op.drop_table("participation_needs")
