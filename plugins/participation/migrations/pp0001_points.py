"""participation plugin: points rules, accounts, the ledger, the points shop and exchanges

Revision ID: pp0001_points
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pp0001_points"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("participation",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participation_accounts",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("earned", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "balance >= 0", name=op.f("ck_participation_accounts_balance_not_negative")
        ),
        sa.PrimaryKeyConstraint("person_id", "grid_id", name=op.f("pk_participation_accounts")),
    )
    op.create_table(
        "participation_exchanges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("item_name", sa.String(length=80), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_exchanges")),
        sa.UniqueConstraint("code", name=op.f("uq_participation_exchanges_code")),
    )
    op.create_index(
        op.f("ix_participation_exchanges_grid_id"),
        "participation_exchanges",
        ["grid_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_participation_exchanges_item_id"),
        "participation_exchanges",
        ["item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_participation_exchanges_person_id"),
        "participation_exchanges",
        ["person_id"],
        unique=False,
    )
    op.create_table(
        "participation_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_ledger")),
        sa.UniqueConstraint("key", name=op.f("uq_participation_ledger_key")),
    )
    op.create_index(
        op.f("ix_participation_ledger_grid_id"), "participation_ledger", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_participation_ledger_person_id"),
        "participation_ledger",
        ["person_id"],
        unique=False,
    )
    op.create_table(
        "participation_point_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_point_rules")),
        sa.UniqueConstraint(
            "grid_id", "kind", "title", name=op.f("uq_participation_point_rules_grid_id")
        ),
    )
    op.create_index(
        op.f("ix_participation_point_rules_grid_id"),
        "participation_point_rules",
        ["grid_id"],
        unique=False,
    )
    op.create_table(
        "participation_shop_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stock >= 0", name=op.f("ck_participation_shop_items_stock_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_shop_items")),
    )
    op.create_index(
        op.f("ix_participation_shop_items_grid_id"),
        "participation_shop_items",
        ["grid_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_participation_shop_items_grid_id"), table_name="participation_shop_items"
    )
    op.drop_table("participation_shop_items")
    op.drop_index(
        op.f("ix_participation_point_rules_grid_id"), table_name="participation_point_rules"
    )
    op.drop_table("participation_point_rules")
    op.drop_index(op.f("ix_participation_ledger_person_id"), table_name="participation_ledger")
    op.drop_index(op.f("ix_participation_ledger_grid_id"), table_name="participation_ledger")
    op.drop_table("participation_ledger")
    op.drop_index(
        op.f("ix_participation_exchanges_person_id"), table_name="participation_exchanges"
    )
    op.drop_index(op.f("ix_participation_exchanges_item_id"), table_name="participation_exchanges")
    op.drop_index(op.f("ix_participation_exchanges_grid_id"), table_name="participation_exchanges")
    op.drop_table("participation_exchanges")
    op.drop_table("participation_accounts")
