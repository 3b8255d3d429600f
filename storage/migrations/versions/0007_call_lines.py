"""Calls: one line per person (atomic busy), video pull kind, glare arbiter, node lease

Revision ID: 0007_call_lines
Revises: 0006_media
Create Date: 2026-11-26 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql

revision: str = "0007_call_lines"
down_revision: str | Sequence[str] | None = "0006_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), server_default="call", nullable=False)
        )
        batch_op.add_column(sa.Column("offer_from", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("caller_seen_at", storage.sql.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("callee_seen_at", storage.sql.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "call_lines",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_lines_call_id_calls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_call_lines_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_call_lines")),
    )
    with op.batch_alter_table("call_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_lines_call_id"), ["call_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_lines_call_id"))
    op.drop_table("call_lines")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("callee_seen_at")
        batch_op.drop_column("caller_seen_at")
        batch_op.drop_column("offer_from")
        batch_op.drop_column("kind")
