"""party plugin: escalation steps that reached a 包靠领导 (leader alerts)

Revision ID: p0005_leader_alerts
Revises: p0004_shared_rate_limits
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0005_leader_alerts"
down_revision: str | Sequence[str] | None = "p0004_shared_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_leader_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_leader_alerts")),
        sa.UniqueConstraint(
            "chain_id", "step", "person_id", name=op.f("uq_party_leader_alerts_chain_id")
        ),
    )
    for column in ("person_id", "grid_id"):
        op.create_index(op.f(f"ix_party_leader_alerts_{column}"), "party_leader_alerts", [column])


def downgrade() -> None:
    op.drop_table("party_leader_alerts")
