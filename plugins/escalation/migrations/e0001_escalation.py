"""escalation plugin: chains, SOS alerts, check-ins

Revision ID: e0001_escalation
Revises:
Create Date: 2026-11-25 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0001_escalation"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("escalation",)
depends_on: str | Sequence[str] | None = "0004_timers"


def upgrade() -> None:
    op.create_table(
        "escalation_chains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=160), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("next_step", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("end_reason", sa.String(length=64), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_chains")),
        sa.UniqueConstraint("ref", name=op.f("uq_escalation_chains_ref")),
    )
    op.create_index("ix_escalation_chains_subject_state", "escalation_chains", ["subject", "state"])
    op.create_index(op.f("ix_escalation_chains_grid_id"), "escalation_chains", ["grid_id"])
    op.create_index(op.f("ix_escalation_chains_state"), "escalation_chains", ["state"])
    op.create_table(
        "escalation_sos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("person_name", sa.String(length=120), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.Float(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=120), nullable=True),
        sa.Column("acknowledged_at", sa.Float(), nullable=True),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.Column("audio_stream_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_sos")),
    )
    for column in ("person_id", "grid_id", "state"):
        op.create_index(op.f(f"ix_escalation_sos_{column}"), "escalation_sos", [column])
    op.create_table(
        "escalation_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("sos_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_checkins")),
    )
    for column in ("person_id", "state"):
        op.create_index(op.f(f"ix_escalation_checkins_{column}"), "escalation_checkins", [column])


def downgrade() -> None:
    op.drop_table("escalation_checkins")
    op.drop_table("escalation_sos")
    op.drop_table("escalation_chains")
