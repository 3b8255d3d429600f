"""archives plugin: field work (visits and inspections with photos and overdue alerts, change
proposals with record versions, campaigns with their entries)

Revision ID: a0002_field_work
Revises: a0001_archives
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0002_field_work"
down_revision: str | Sequence[str] | None = "a0001_archives"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archives_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_by_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_campaigns")),
    )
    op.create_index(
        op.f("ix_archives_campaigns_grid_id"), "archives_campaigns", ["grid_id"], unique=False
    )
    op.create_table(
        "archives_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("field_names", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=False),
        sa.Column("proposer_name", sa.String(length=100), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_changes")),
    )
    op.create_index(
        op.f("ix_archives_changes_grid_id"), "archives_changes", ["grid_id"], unique=False
    )
    op.create_index(op.f("ix_archives_changes_state"), "archives_changes", ["state"], unique=False)
    op.create_index(
        op.f("ix_archives_changes_target_id"), "archives_changes", ["target_id"], unique=False
    )
    op.create_table(
        "archives_record_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_record_versions")),
        sa.UniqueConstraint(
            "target_type",
            "target_id",
            "version",
            name=op.f("uq_archives_record_versions_target_type"),
        ),
    )
    op.create_table(
        "archives_visit_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("reminded_at", sa.Float(), nullable=True),
        sa.Column("overdue_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_visit_alerts")),
        sa.UniqueConstraint(
            "subject_type", "subject_id", name=op.f("uq_archives_visit_alerts_subject_type")
        ),
    )
    op.create_index(
        op.f("ix_archives_visit_alerts_grid_id"), "archives_visit_alerts", ["grid_id"], unique=False
    )
    op.create_table(
        "archives_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("worker_name", sa.String(length=100), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("hazard", sa.Boolean(), nullable=False),
        sa.Column("hazard_title", sa.String(length=200), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_visits")),
        sa.UniqueConstraint("client_id", name=op.f("uq_archives_visits_client_id")),
    )
    op.create_index(
        op.f("ix_archives_visits_grid_id"), "archives_visits", ["grid_id"], unique=False
    )
    op.create_index(
        "ix_archives_visits_subject",
        "archives_visits",
        ["subject_type", "subject_id", "visited_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_archives_visits_worker_id"), "archives_visits", ["worker_id"], unique=False
    )
    op.create_table(
        "archives_campaign_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("breaches", sa.JSON(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("worker_name", sa.String(length=100), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["archives_campaigns.id"],
            name=op.f("fk_archives_campaign_entries_campaign_id_archives_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_campaign_entries")),
        sa.UniqueConstraint(
            "campaign_id", "household_id", name=op.f("uq_archives_campaign_entries_campaign_id")
        ),
    )
    op.create_index(
        op.f("ix_archives_campaign_entries_campaign_id"),
        "archives_campaign_entries",
        ["campaign_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_archives_campaign_entries_grid_id"),
        "archives_campaign_entries",
        ["grid_id"],
        unique=False,
    )
    op.create_table(
        "archives_visit_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["archives_visits.id"],
            name=op.f("fk_archives_visit_photos_visit_id_archives_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_visit_photos")),
    )
    op.create_index(
        op.f("ix_archives_visit_photos_visit_id"),
        "archives_visit_photos",
        ["visit_id"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_archives_visit_photos_visit_id"), table_name="archives_visit_photos")
    op.drop_table("archives_visit_photos")
    op.drop_index(
        op.f("ix_archives_campaign_entries_grid_id"), table_name="archives_campaign_entries"
    )
    op.drop_index(
        op.f("ix_archives_campaign_entries_campaign_id"), table_name="archives_campaign_entries"
    )
    op.drop_table("archives_campaign_entries")
    op.drop_index(op.f("ix_archives_visits_worker_id"), table_name="archives_visits")
    op.drop_index("ix_archives_visits_subject", table_name="archives_visits")
    op.drop_index(op.f("ix_archives_visits_grid_id"), table_name="archives_visits")
    op.drop_table("archives_visits")
    op.drop_index(op.f("ix_archives_visit_alerts_grid_id"), table_name="archives_visit_alerts")
    op.drop_table("archives_visit_alerts")
    op.drop_table("archives_record_versions")
    op.drop_index(op.f("ix_archives_changes_target_id"), table_name="archives_changes")
    op.drop_index(op.f("ix_archives_changes_state"), table_name="archives_changes")
    op.drop_index(op.f("ix_archives_changes_grid_id"), table_name="archives_changes")
    op.drop_table("archives_changes")
    op.drop_index(op.f("ix_archives_campaigns_grid_id"), table_name="archives_campaigns")
    op.drop_table("archives_campaigns")
