"""services plugin: venue closures (holidays, maintenance)

A closed period refuses bookings of its days; bookings and closures of a venue lock the
venue's row first, so neither slips past the other.

Revision ID: sv0005_venue_closures
Revises: sv0004_care_links
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql

revision: str = "sv0005_venue_closures"
down_revision: str | Sequence[str] | None = "sv0004_care_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "services_venue_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.String(length=10), nullable=False),
        sa.Column("last_day", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.sql.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["services_venues.id"],
            name=op.f("fk_services_venue_closures_venue_id_services_venues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_venue_closures")),
    )
    op.create_index(
        op.f("ix_services_venue_closures_venue_id"),
        "services_venue_closures",
        ["venue_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("services_venue_closures")
