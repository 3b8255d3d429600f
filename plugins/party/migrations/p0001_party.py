"""party plugin: public disclosure (三务公开) and party building (党建引领)

Revision ID: p0001_party
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0001_party"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("party",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_disclosures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_disclosures")),
    )
    op.create_index(
        op.f("ix_party_disclosures_grid_id"), "party_disclosures", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_disclosures_period"), "party_disclosures", ["period"], unique=False
    )
    op.create_table(
        "party_orgs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["party_orgs.id"],
            name=op.f("fk_party_orgs_parent_id_party_orgs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_orgs")),
    )
    op.create_index(op.f("ix_party_orgs_grid_id"), "party_orgs", ["grid_id"], unique=False)
    op.create_index(op.f("ix_party_orgs_parent_id"), "party_orgs", ["parent_id"], unique=False)
    op.create_table(
        "party_rate_windows",
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "bucket", "client", "window_start", name=op.f("pk_party_rate_windows")
        ),
    )
    op.create_table(
        "party_service_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_service_tasks")),
    )
    op.create_index(
        op.f("ix_party_service_tasks_grid_id"), "party_service_tasks", ["grid_id"], unique=False
    )
    op.create_table(
        "party_disclosure_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disclosure_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("correction_reason", sa.String(length=500), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["party_disclosures.id"],
            name=op.f("fk_party_disclosure_versions_disclosure_id_party_disclosures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_disclosure_versions")),
        sa.UniqueConstraint(
            "disclosure_id", "version", name=op.f("uq_party_disclosure_versions_disclosure_id")
        ),
    )
    op.create_index(
        op.f("ix_party_disclosure_versions_disclosure_id"),
        "party_disclosure_versions",
        ["disclosure_id"],
        unique=False,
    )
    op.create_table(
        "party_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["party_orgs.id"], name=op.f("fk_party_meetings_org_id_party_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_meetings")),
    )
    op.create_index(op.f("ix_party_meetings_org_id"), "party_meetings", ["org_id"], unique=False)
    op.create_table(
        "party_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("join_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("home_grid_id", sa.Integer(), nullable=True),
        sa.Column("home_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["party_orgs.id"], name=op.f("fk_party_members_org_id_party_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_members")),
        sa.UniqueConstraint("person_id", name=op.f("uq_party_members_person_id")),
    )
    op.create_index(op.f("ix_party_members_org_id"), "party_members", ["org_id"], unique=False)
    op.create_table(
        "party_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disclosure_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("answer", sa.String(length=1000), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["party_disclosures.id"],
            name=op.f("fk_party_questions_disclosure_id_party_disclosures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_questions")),
    )
    op.create_index(
        op.f("ix_party_questions_disclosure_id"), "party_questions", ["disclosure_id"], unique=False
    )
    op.create_table(
        "party_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("table_json", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["party_disclosure_versions.id"],
            name=op.f("fk_party_attachments_version_id_party_disclosure_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_attachments")),
    )
    op.create_index(
        op.f("ix_party_attachments_version_id"), "party_attachments", ["version_id"], unique=False
    )
    op.create_table(
        "party_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["party_meetings.id"],
            name=op.f("fk_party_attendance_meeting_id_party_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["party_members.id"],
            name=op.f("fk_party_attendance_member_id_party_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_attendance")),
        sa.UniqueConstraint("meeting_id", "member_id", name=op.f("uq_party_attendance_meeting_id")),
    )
    op.create_index(
        op.f("ix_party_attendance_meeting_id"), "party_attendance", ["meeting_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_attendance_member_id"), "party_attendance", ["member_id"], unique=False
    )
    op.create_table(
        "party_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["party_members.id"],
            name=op.f("fk_party_points_member_id_party_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_points")),
        sa.UniqueConstraint("source", "ref", name=op.f("uq_party_points_source")),
    )
    op.create_index(op.f("ix_party_points_member_id"), "party_points", ["member_id"], unique=False)
    op.create_table(
        "party_service_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["party_members.id"],
            name=op.f("fk_party_service_records_member_id_party_members"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["party_service_tasks.id"],
            name=op.f("fk_party_service_records_task_id_party_service_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_service_records")),
        sa.UniqueConstraint("task_id", "member_id", name=op.f("uq_party_service_records_task_id")),
    )
    op.create_index(
        op.f("ix_party_service_records_member_id"),
        "party_service_records",
        ["member_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_party_service_records_task_id"), "party_service_records", ["task_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("party_service_records")
    op.drop_table("party_points")
    op.drop_table("party_attendance")
    op.drop_table("party_attachments")
    op.drop_table("party_questions")
    op.drop_table("party_members")
    op.drop_table("party_meetings")
    op.drop_table("party_disclosure_versions")
    op.drop_table("party_service_tasks")
    op.drop_table("party_rate_windows")
    op.drop_table("party_orgs")
    op.drop_table("party_disclosures")
