"""participation plugin: the volunteer registry and teams; hours of needs and teams

Revision ID: pp0006_registry
Revises: pp0005_needs
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pp0006_registry"
down_revision: str | Sequence[str] | None = "pp0005_needs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOURS = "participation_service_hours"
CHECK = "ck_participation_service_hours_one_source"


def upgrade() -> None:
    _registry()
    with op.batch_alter_table("participation_activities") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
    # SQLite alters a column by copying the table (batch); PostgreSQL alters it in place.
    with op.batch_alter_table(HOURS) as batch:
        batch.alter_column("activity_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("need_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(op.f("uq_participation_service_hours_need_id"), ["need_id"])
        batch.create_check_constraint(op.f(CHECK), "(activity_id IS NULL) <> (need_id IS NULL)")
        batch.create_index(op.f("ix_participation_service_hours_team_id"), ["team_id"])


def _registry() -> None:
    op.create_table(
        "participation_volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("availability", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_volunteers")),
        sa.UniqueConstraint(
            "person_id", "grid_id", name=op.f("uq_participation_volunteers_person_id")
        ),
    )
    for column in ("person_id", "grid_id"):
        op.create_index(
            op.f(f"ix_participation_volunteers_{column}"), "participation_volunteers", [column]
        )
    op.create_table(
        "participation_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_teams")),
        sa.UniqueConstraint("grid_id", "name", name=op.f("uq_participation_teams_grid_id")),
    )
    op.create_index(op.f("ix_participation_teams_grid_id"), "participation_teams", ["grid_id"])
    op.create_table(
        "participation_team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "team_id", "volunteer_id", name=op.f("pk_participation_team_members")
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table(HOURS) as batch:
        batch.drop_index(op.f("ix_participation_service_hours_team_id"))
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.drop_constraint(op.f("uq_participation_service_hours_need_id"), type_="unique")
        batch.drop_column("team_id")
        batch.drop_column("need_id")
        batch.alter_column("activity_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("participation_activities") as batch:
        batch.drop_column("team_id")
    op.drop_table("participation_team_members")
    op.drop_index(op.f("ix_participation_teams_grid_id"), table_name="participation_teams")
    op.drop_table("participation_teams")
    for column in ("grid_id", "person_id"):
        op.drop_index(
            op.f(f"ix_participation_volunteers_{column}"), table_name="participation_volunteers"
        )
    op.drop_table("participation_volunteers")
