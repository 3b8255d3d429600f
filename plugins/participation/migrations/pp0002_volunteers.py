"""participation plugin: volunteer activities, sign-ups and check-ins, service hours

Revision ID: pp0002_volunteers
Revises: pp0001_points
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pp0002_volunteers"
down_revision: str | Sequence[str] | None = "pp0001_points"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participation_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("check_code", sa.String(length=12), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "taken >= 0 AND taken <= capacity",
            name=op.f("ck_participation_activities_within_capacity"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_activities")),
    )
    op.create_index(
        op.f("ix_participation_activities_grid_id"),
        "participation_activities",
        ["grid_id"],
        unique=False,
    )
    op.create_table(
        "participation_service_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_service_hours")),
        sa.UniqueConstraint(
            "activity_id", "person_id", name=op.f("uq_participation_service_hours_activity_id")
        ),
    )
    op.create_index(
        op.f("ix_participation_service_hours_activity_id"),
        "participation_service_hours",
        ["activity_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_participation_service_hours_grid_id"),
        "participation_service_hours",
        ["grid_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_participation_service_hours_person_id"),
        "participation_service_hours",
        ["person_id"],
        unique=False,
    )
    op.create_table(
        "participation_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_in_by", sa.String(length=16), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_signups")),
        sa.UniqueConstraint(
            "activity_id", "person_id", name=op.f("uq_participation_signups_activity_id")
        ),
    )
    op.create_index(
        op.f("ix_participation_signups_activity_id"),
        "participation_signups",
        ["activity_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_participation_signups_person_id"),
        "participation_signups",
        ["person_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_participation_signups_person_id"), table_name="participation_signups")
    op.drop_index(op.f("ix_participation_signups_activity_id"), table_name="participation_signups")
    op.drop_table("participation_signups")
    op.drop_index(
        op.f("ix_participation_service_hours_person_id"), table_name="participation_service_hours"
    )
    op.drop_index(
        op.f("ix_participation_service_hours_grid_id"), table_name="participation_service_hours"
    )
    op.drop_index(
        op.f("ix_participation_service_hours_activity_id"), table_name="participation_service_hours"
    )
    op.drop_table("participation_service_hours")
    op.drop_index(
        op.f("ix_participation_activities_grid_id"), table_name="participation_activities"
    )
    op.drop_table("participation_activities")
