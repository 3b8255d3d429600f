"""services plugin: elderly people from the archives, SOS devices through the alarms plugin

`services_elders` mirrors the archives' elderly people and people living alone (from its
ResidentCareChanged messages); a check-in may belong to an archives person (`resident_id`) and
carry the code of the person's SOS device; `services_sos_events` keeps that device's alarms on
the person's record with the dispatch incident answering each.

Revision ID: sv0004_care_links
Revises: sv0003_shared_rate_limits
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql

revision: str = "sv0004_care_links"
down_revision: str | Sequence[str] | None = "sv0003_shared_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "services_elders",
        sa.Column("resident_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("alone", sa.Boolean(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_services_elders")),
    )
    op.create_index(op.f("ix_services_elders_grid_id"), "services_elders", ["grid_id"])
    with op.batch_alter_table("services_checkins") as batch:
        batch.add_column(sa.Column("resident_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sos_device", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(batch.f("uq_services_checkins_resident_id"), ["resident_id"])
        batch.create_unique_constraint(batch.f("uq_services_checkins_sos_device"), ["sos_device"])
    with op.batch_alter_table("services_care_bookings") as batch:
        batch.add_column(sa.Column("resident_id", sa.Integer(), nullable=True))
    op.create_table(
        "services_sos_events",
        sa.Column("alarm_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("device_code", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("raised_at", storage.sql.UTCDateTime(timezone=True), nullable=True),
        sa.Column("incident_source", sa.String(length=16), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("incident_number", sa.String(length=32), nullable=True),
        sa.Column("incident_state", sa.String(length=16), nullable=True),
        sa.Column("incident_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["services_checkins.id"],
            name=op.f("fk_services_sos_events_checkin_id_services_checkins"),
        ),
        sa.PrimaryKeyConstraint("alarm_id", name=op.f("pk_services_sos_events")),
    )
    op.create_index(
        op.f("ix_services_sos_events_checkin_id"), "services_sos_events", ["checkin_id"]
    )
    op.create_index(op.f("ix_services_sos_events_grid_id"), "services_sos_events", ["grid_id"])


def downgrade() -> None:
    op.drop_table("services_sos_events")
    with op.batch_alter_table("services_care_bookings") as batch:
        batch.drop_column("resident_id")
    with op.batch_alter_table("services_checkins") as batch:
        batch.drop_constraint(batch.f("uq_services_checkins_sos_device"), type_="unique")
        batch.drop_constraint(batch.f("uq_services_checkins_resident_id"), type_="unique")
        batch.drop_column("sos_device")
        batch.drop_column("resident_id")
    op.drop_index(op.f("ix_services_elders_grid_id"), table_name="services_elders")
    op.drop_table("services_elders")
