"""hello plugin: the greetings table

Revision ID: h0001_hello
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h0001_hello"
down_revision: str | Sequence[str] | None = None
# The branch label is the plugin's name: the hub upgrades each enabled plugin's branch.
branch_labels: str | Sequence[str] | None = ("hello",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hello_greetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hello_greetings")),
    )
    op.create_index(
        op.f("ix_hello_greetings_grid_id"), "hello_greetings", ["grid_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_hello_greetings_grid_id"), table_name="hello_greetings")
    op.drop_table("hello_greetings")
