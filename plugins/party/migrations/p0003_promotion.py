"""party plugin: promotion (党建宣传) — articles and courses, their grids, media and reads

Revision ID: p0003_promotion
Revises: p0002_meeting_photos
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0003_promotion"
down_revision: str | Sequence[str] | None = "p0002_meeting_photos"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _item_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["item_id"],
        ["party_promo_items.id"],
        name=op.f(f"fk_{table}_item_id_party_promo_items"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "party_promo_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_promo_items")),
    )
    op.create_table(
        "party_promo_targets",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        _item_fk("party_promo_targets"),
        sa.PrimaryKeyConstraint("item_id", "grid_id", name=op.f("pk_party_promo_targets")),
    )
    op.create_index(
        op.f("ix_party_promo_targets_grid_id"), "party_promo_targets", ["grid_id"], unique=False
    )
    op.create_table(
        "party_promo_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _item_fk("party_promo_media"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_promo_media")),
    )
    op.create_index(
        op.f("ix_party_promo_media_item_id"), "party_promo_media", ["item_id"], unique=False
    )
    _reads()


def _reads() -> None:
    op.create_table(
        "party_promo_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        _item_fk("party_promo_reads"),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["party_members.id"],
            name=op.f("fk_party_promo_reads_member_id_party_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_promo_reads")),
        sa.UniqueConstraint("item_id", "member_id", name=op.f("uq_party_promo_reads_item_id")),
    )
    op.create_index(
        op.f("ix_party_promo_reads_item_id"), "party_promo_reads", ["item_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_promo_reads_member_id"), "party_promo_reads", ["member_id"], unique=False
    )


def downgrade() -> None:
    for table in ("party_promo_reads", "party_promo_media", "party_promo_targets"):
        op.drop_table(table)
    op.drop_table("party_promo_items")
