"""mediation plugin: cases, parties, sessions, timeline steps and links

Revision ID: md0001_mediation
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "md0001_mediation"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("mediation",)
depends_on: str | Sequence[str] | None = None

CASES = "mediation_cases"


def _fk(table: str, column: str = "case_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{CASES}.id"],
        name=op.f(f"fk_{table}_{column}_{CASES}"),
        ondelete="CASCADE",
    )


def _case_id() -> sa.Column[int]:
    return sa.Column("case_id", sa.Integer(), nullable=False)


def upgrade() -> None:
    _cases()
    _parties()
    _sessions()
    _steps()
    op.create_table(
        "mediation_links",
        _case_id(),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        _fk("mediation_links"),
        _fk("mediation_links", "other_id"),
        sa.PrimaryKeyConstraint("case_id", "other_id", name=op.f("pk_mediation_links")),
    )


def _cases() -> None:
    op.create_table(
        CASES,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("level_grid_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("risk", sa.String(length=16), nullable=False),
        sa.Column("risk_taken_by", sa.Integer(), nullable=True),
        sa.Column("repeat", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("incident_number", sa.String(length=32), nullable=True),
        sa.Column("mediator_ids", sa.JSON(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=True),
        sa.Column("resolved_level", sa.String(length=16), nullable=True),
        sa.Column("performance", sa.String(length=16), nullable=True),
        sa.Column("judicial_confirmation", sa.Boolean(), nullable=False),
        sa.Column("referral", sa.String(length=16), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_mediation_cases_number")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_mediation_cases_incident_id")),
    )
    for column in ("grid_id", "level_grid_id", "state", "created_at"):
        op.create_index(op.f(f"ix_{CASES}_{column}"), CASES, [column], unique=False)


def _parties() -> None:
    op.create_table(
        "mediation_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        _case_id(),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("person_ref", sa.String(length=64), nullable=False),
        _fk("mediation_parties"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_parties")),
    )
    for column in ("case_id", "name"):
        op.create_index(
            op.f(f"ix_mediation_parties_{column}"), "mediation_parties", [column], unique=False
        )


def _sessions() -> None:
    op.create_table(
        "mediation_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        _case_id(),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("mediation_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_sessions")),
    )
    op.create_index(
        op.f("ix_mediation_sessions_case_id"), "mediation_sessions", ["case_id"], unique=False
    )


def _steps() -> None:
    op.create_table(
        "mediation_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        _case_id(),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("mediation_steps"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_steps")),
    )
    op.create_index(
        op.f("ix_mediation_steps_case_id"), "mediation_steps", ["case_id"], unique=False
    )


def downgrade() -> None:
    for table in ("mediation_links", "mediation_steps", "mediation_sessions", "mediation_parties"):
        op.drop_table(table)
    op.drop_table(CASES)
