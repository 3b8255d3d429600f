"""1:1 call log and call state (signaling/)

Revision ID: 0005_calls
Revises: 0004_timers
Create Date: 2026-11-25 23:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql

revision: str = "0005_calls"
down_revision: str | Sequence[str] | None = "0004_timers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("caller_id", sa.Integer(), nullable=False),
        sa.Column("callee_id", sa.Integer(), nullable=False),
        sa.Column("media", sa.String(length=8), nullable=False),
        sa.Column("client_call_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("caller_sid", sa.String(length=64), nullable=True),
        sa.Column("callee_sid", sa.String(length=64), nullable=True),
        sa.Column("started_at", storage.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.sql.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", storage.sql.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["callee_id"], ["people.id"], name=op.f("fk_calls_callee_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["caller_id"], ["people.id"], name=op.f("fk_calls_caller_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("caller_id", "client_call_id", name="uq_calls_caller_client"),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_callee_id"), ["callee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_caller_id"), ["caller_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_state"))
        batch_op.drop_index(batch_op.f("ix_calls_started_at"))
        batch_op.drop_index(batch_op.f("ix_calls_caller_id"))
        batch_op.drop_index(batch_op.f("ix_calls_callee_id"))

    op.drop_table("calls")
