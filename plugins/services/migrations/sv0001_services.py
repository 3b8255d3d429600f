"""services plugin: venues and bookings, proxy requests and hand-offs, elderly care

Revision ID: sv0001_services
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sv0001_services"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("services",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "services_care_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("provider_name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_care_offers")),
    )
    op.create_index(
        op.f("ix_services_care_offers_grid_id"), "services_care_offers", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_services_care_offers_provider_id"),
        "services_care_offers",
        ["provider_id"],
        unique=False,
    )
    op.create_table(
        "services_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("phone", sa.String(length=300), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("last_visit_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_checkins")),
    )
    op.create_index(
        op.f("ix_services_checkins_grid_id"), "services_checkins", ["grid_id"], unique=False
    )
    op.create_table(
        "services_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("department", sa.String(length=80), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_items")),
        sa.UniqueConstraint("code", name=op.f("uq_services_items_code")),
    )
    op.create_table(
        "services_rate_windows",
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "bucket", "client", "window_start", name=op.f("pk_services_rate_windows")
        ),
    )
    op.create_table(
        "services_venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("open_minute", sa.Integer(), nullable=False),
        sa.Column("close_minute", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_venues")),
    )
    op.create_index(
        op.f("ix_services_venues_grid_id"), "services_venues", ["grid_id"], unique=False
    )
    op.create_table(
        "services_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("booker_name", sa.String(length=40), nullable=False),
        sa.Column("booker_phone", sa.String(length=300), nullable=False),
        sa.Column("booker_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["services_venues.id"],
            name=op.f("fk_services_bookings_venue_id_services_venues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_bookings")),
        sa.UniqueConstraint("code", name=op.f("uq_services_bookings_code")),
    )
    op.create_index(op.f("ix_services_bookings_day"), "services_bookings", ["day"], unique=False)
    op.create_index(
        op.f("ix_services_bookings_grid_id"), "services_bookings", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_services_bookings_venue_id"), "services_bookings", ["venue_id"], unique=False
    )
    op.create_table(
        "services_care_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("elder_name", sa.String(length=40), nullable=False),
        sa.Column("elder_phone", sa.String(length=300), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("booked_by", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["services_care_offers.id"],
            name=op.f("fk_services_care_bookings_offer_id_services_care_offers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_care_bookings")),
    )
    op.create_index(
        op.f("ix_services_care_bookings_grid_id"),
        "services_care_bookings",
        ["grid_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_care_bookings_offer_id"),
        "services_care_bookings",
        ["offer_id"],
        unique=False,
    )
    op.create_table(
        "services_proxy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("applicant_name", sa.String(length=40), nullable=False),
        sa.Column("applicant_phone", sa.String(length=300), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("incident_number", sa.String(length=32), nullable=False),
        sa.Column("incident_state", sa.String(length=16), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["services_items.id"],
            name=op.f("fk_services_proxy_requests_item_id_services_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_proxy_requests")),
        sa.UniqueConstraint("code", name=op.f("uq_services_proxy_requests_code")),
    )
    op.create_index(
        op.f("ix_services_proxy_requests_grid_id"),
        "services_proxy_requests",
        ["grid_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_proxy_requests_helper_id"),
        "services_proxy_requests",
        ["helper_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_proxy_requests_incident_id"),
        "services_proxy_requests",
        ["incident_id"],
        unique=False,
    )
    op.create_table(
        "services_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("visitor_name", sa.String(length=80), nullable=False),
        sa.Column("wellbeing", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["services_checkins.id"],
            name=op.f("fk_services_visits_checkin_id_services_checkins"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_visits")),
    )
    op.create_index(
        op.f("ix_services_visits_checkin_id"), "services_visits", ["checkin_id"], unique=False
    )
    op.create_table(
        "services_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("adapter", sa.String(length=32), nullable=False),
        sa.Column("delivery", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["services_proxy_requests.id"],
            name=op.f("fk_services_handoffs_request_id_services_proxy_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_handoffs")),
        sa.UniqueConstraint("delivery", name=op.f("uq_services_handoffs_delivery")),
    )
    op.create_index(
        op.f("ix_services_handoffs_request_id"), "services_handoffs", ["request_id"], unique=False
    )
    op.create_table(
        "services_slot_holds",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["services_bookings.id"],
            name=op.f("fk_services_slot_holds_booking_id_services_bookings"),
        ),
        sa.PrimaryKeyConstraint(
            "venue_id", "day", "start_minute", name=op.f("pk_services_slot_holds")
        ),
    )
    op.create_index(
        op.f("ix_services_slot_holds_booking_id"),
        "services_slot_holds",
        ["booking_id"],
        unique=False,
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)


TABLES = (
    "services_rate_windows",
    "services_visits",
    "services_checkins",
    "services_care_bookings",
    "services_care_offers",
    "services_handoffs",
    "services_proxy_requests",
    "services_items",
    "services_slot_holds",
    "services_bookings",
    "services_venues",
)
