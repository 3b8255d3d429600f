"""party plugin: earlier versions of edited promotion items (党建宣传)

Revision ID: p0007_promo_versions
Revises: p0006_case_leaders
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0007_promo_versions"
down_revision: str | Sequence[str] | None = "p0006_case_leaders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_promo_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("grid_ids", sa.String(length=600), nullable=False),
        sa.Column("was_published", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["party_promo_items.id"],
            name=op.f("fk_party_promo_versions_item_id_party_promo_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_promo_versions")),
        sa.UniqueConstraint("item_id", "version", name=op.f("uq_party_promo_versions_item_id")),
    )
    op.create_index(op.f("ix_party_promo_versions_item_id"), "party_promo_versions", ["item_id"])


def downgrade() -> None:
    op.drop_table("party_promo_versions")
