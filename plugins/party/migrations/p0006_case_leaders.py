"""party plugin: 包靠领导 assigned to single incidents, and the incidents the bus described

Revision ID: p0006_case_leaders
Revises: p0005_leader_alerts
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0006_case_leaders"
down_revision: str | Sequence[str] | None = "p0005_leader_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_known_cases",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_party_known_cases")),
    )
    op.create_index(op.f("ix_party_known_cases_grid_id"), "party_known_cases", ["grid_id"])
    op.create_table(
        "party_case_leaders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_case_leaders")),
        sa.UniqueConstraint(
            "incident_id", "person_id", name=op.f("uq_party_case_leaders_incident_id")
        ),
    )
    for column in ("incident_id", "person_id"):
        op.create_index(op.f(f"ix_party_case_leaders_{column}"), "party_case_leaders", [column])


def downgrade() -> None:
    op.drop_table("party_case_leaders")
    op.drop_table("party_known_cases")
