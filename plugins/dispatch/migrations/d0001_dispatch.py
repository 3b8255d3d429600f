"""dispatch plugin: categories, departments, incidents, assignments, timeline, stages, rules

Revision ID: d0001_dispatch
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0001_dispatch"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("dispatch",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_categories",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("sla", sa.JSON(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_dispatch_categories")),
    )
    op.create_table(
        "dispatch_counters",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_dispatch_counters")),
    )
    op.create_table(
        "dispatch_departments",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_dispatch_departments")),
    )
    op.create_table(
        "dispatch_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("level_grid_id", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("source_ref", sa.String(length=128), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reporter_name", sa.String(length=100), nullable=False),
        sa.Column("reporter_contact", sa.String(length=100), nullable=False),
        sa.Column("tracking_code", sa.String(length=32), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("stage_started_at", sa.Float(), nullable=True),
        sa.Column("stage_deadline", sa.Float(), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("supervised_by_grid", sa.Integer(), nullable=True),
        sa.Column("review_at", sa.Float(), nullable=True),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category"],
            ["dispatch_categories.code"],
            name=op.f("fk_dispatch_incidents_category_dispatch_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_dispatch_incidents_number")),
        sa.UniqueConstraint("source", "source_ref", name="uq_dispatch_incidents_source_ref"),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_dispatch_incidents_tracking_code")),
    )
    op.create_index(
        op.f("ix_dispatch_incidents_created_at"), "dispatch_incidents", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_dispatch_incidents_grid_id"), "dispatch_incidents", ["grid_id"], unique=False
    )
    op.create_index(
        "ix_dispatch_incidents_state_grid", "dispatch_incidents", ["state", "grid_id"], unique=False
    )
    op.create_table(
        "dispatch_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category"],
            ["dispatch_categories.code"],
            name=op.f("fk_dispatch_rules_category_dispatch_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_rules")),
    )
    op.create_table(
        "dispatch_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["dispatch_incidents.id"],
            name=op.f("fk_dispatch_assignments_incident_id_dispatch_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_assignments")),
    )
    op.create_index(
        op.f("ix_dispatch_assignments_incident_id"),
        "dispatch_assignments",
        ["incident_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dispatch_assignments_person_id"),
        "dispatch_assignments",
        ["person_id"],
        unique=False,
    )
    op.create_table(
        "dispatch_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["dispatch_incidents.id"],
            name=op.f("fk_dispatch_events_incident_id_dispatch_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_events")),
    )
    op.create_index(
        op.f("ix_dispatch_events_incident_id"), "dispatch_events", ["incident_id"], unique=False
    )
    op.create_table(
        "dispatch_involved",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["dispatch_incidents.id"],
            name=op.f("fk_dispatch_involved_incident_id_dispatch_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "person_id", name=op.f("pk_dispatch_involved")),
    )
    op.create_index(
        "ix_dispatch_involved_person", "dispatch_involved", ["person_id", "role"], unique=False
    )
    op.create_table(
        "dispatch_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("unit_grid_id", sa.Integer(), nullable=False),
        sa.Column("unit_person_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("deadline", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["dispatch_incidents.id"],
            name=op.f("fk_dispatch_stages_incident_id_dispatch_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_stages")),
    )
    op.create_index(
        op.f("ix_dispatch_stages_incident_id"), "dispatch_stages", ["incident_id"], unique=False
    )
    op.create_index(
        op.f("ix_dispatch_stages_started_at"), "dispatch_stages", ["started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dispatch_stages_started_at"), table_name="dispatch_stages")
    op.drop_index(op.f("ix_dispatch_stages_incident_id"), table_name="dispatch_stages")
    op.drop_table("dispatch_stages")
    op.drop_index("ix_dispatch_involved_person", table_name="dispatch_involved")
    op.drop_table("dispatch_involved")
    op.drop_index(op.f("ix_dispatch_events_incident_id"), table_name="dispatch_events")
    op.drop_table("dispatch_events")
    op.drop_index(op.f("ix_dispatch_assignments_person_id"), table_name="dispatch_assignments")
    op.drop_index(op.f("ix_dispatch_assignments_incident_id"), table_name="dispatch_assignments")
    op.drop_table("dispatch_assignments")
    op.drop_table("dispatch_rules")
    op.drop_index("ix_dispatch_incidents_state_grid", table_name="dispatch_incidents")
    op.drop_index(op.f("ix_dispatch_incidents_grid_id"), table_name="dispatch_incidents")
    op.drop_index(op.f("ix_dispatch_incidents_created_at"), table_name="dispatch_incidents")
    op.drop_table("dispatch_incidents")
    op.drop_table("dispatch_departments")
    op.drop_table("dispatch_counters")
    op.drop_table("dispatch_categories")
