"""Tables of the services plugin (Alembic branch "services").

Double booking is refused by the database: a booking holds each of its slots as a row of
`services_slot_holds`, whose primary key is (venue, day, start). Two requests for one slot race
to insert the same key and exactly one commits, on SQLite and PostgreSQL alike; a rejected or
cancelled booking deletes its holds, freeing the slots.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base, UTCDateTime, utcnow


class Venue(Base):
    __tablename__ = "services_venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    open_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    close_minute: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Booking(Base):
    __tablename__ = "services_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("services_venues.id"), index=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    day: Mapped[str] = mapped_column(String(10), index=True)  # local date, YYYY-MM-DD
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[int] = mapped_column(Integer)
    booker_name: Mapped[str] = mapped_column(String(40))
    booker_phone: Mapped[str] = mapped_column(String(300), default="")  # sealed
    booker_id: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(24), unique=True)  # the resident's tracking code
    state: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str] = mapped_column(String(200), default="")
    decided_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SlotHold(Base):
    __tablename__ = "services_slot_holds"

    venue_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    start_minute: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("services_bookings.id"), index=True)


class ServiceItem(Base):
    """A government service residents may ask help with (政务服务事项)."""

    __tablename__ = "services_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    department: Mapped[str] = mapped_column(String(80), default="")
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProxyRequest(Base):
    """A resident's request for help with a service item, tracked as a dispatch incident."""

    __tablename__ = "services_proxy_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("services_items.id"))
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    mode: Mapped[str] = mapped_column(String(16))  # full | partial | guidance
    applicant_name: Mapped[str] = mapped_column(String(40))
    applicant_phone: Mapped[str] = mapped_column(String(300))  # sealed
    details: Mapped[str] = mapped_column(Text, default="")
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    incident_number: Mapped[str] = mapped_column(String(32), default="")
    incident_state: Mapped[str] = mapped_column(String(16), default="")
    # The newest incident version followed (messages may repeat or arrive out of order).
    incident_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    helper_id: Mapped[int | None] = mapped_column(Integer, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Handoff(Base):
    """An outbox row: a request handed to an external system, kept until delivered."""

    __tablename__ = "services_handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("services_proxy_requests.id"), index=True)
    adapter: Mapped[str] = mapped_column(String(32))
    delivery: Mapped[str] = mapped_column(String(40), unique=True)  # the receiver's dedup key
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CareOffer(Base):
    __tablename__ = "services_care_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    provider_id: Mapped[int] = mapped_column(Integer, index=True)
    provider_name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # meal | health | cleaning | visit | other
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CareBooking(Base):
    __tablename__ = "services_care_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("services_care_offers.id"), index=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    elder_name: Mapped[str] = mapped_column(String(40))
    elder_phone: Mapped[str] = mapped_column(String(300), default="")  # sealed
    day: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(16), default="requested")
    note: Mapped[str] = mapped_column(String(300), default="")
    booked_by: Mapped[int] = mapped_column(Integer)
    resident_id: Mapped[int | None] = mapped_column(Integer)  # the archives' person, if any
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckIn(Base):
    """A person living alone who gets regular check-in visits (独居老人定期探访)."""

    __tablename__ = "services_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(300), default="")  # sealed
    address: Mapped[str] = mapped_column(String(300), default="")  # sealed
    interval_days: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[float] = mapped_column(Float)  # epoch seconds: the next visit is due by
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    missed: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the archives plugin's person (where installed): one check-in per person, kept by the tag
    resident_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # the code of the person's SOS device (a core device reporting through the alarms plugin)
    sos_device: Mapped[str | None] = mapped_column(String(64), unique=True)


class Visit(Base):
    __tablename__ = "services_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("services_checkins.id"), index=True)
    visitor_id: Mapped[int] = mapped_column(Integer)
    visitor_name: Mapped[str] = mapped_column(String(80))
    wellbeing: Mapped[str] = mapped_column(String(16))  # well | unwell | absent
    note: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Elder(Base):
    """An elderly resident or one living alone, as the archives plugin last told of them
    (archives' ResidentCareChanged): the newest message wins (`seen_at`, its sent_at)."""

    __tablename__ = "services_elders"

    resident_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(50))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    alone: Mapped[bool] = mapped_column(Boolean, default=False)
    listed: Mapped[bool] = mapped_column(Boolean, default=True)  # elderly or alone, and active
    seen_at: Mapped[float] = mapped_column(Float)


class SosEvent(Base):
    """An alarm of a cared-for person's SOS device (alarms' AlarmChanged) on their record, and
    the dispatch incident answering it. Keyed by the alarm: an incident the alarms plugin opened
    may be heard of before the alarm itself, so either message may write the row first (a row
    without `checkin_id` is an alarm incident of no one under care, listed nowhere)."""

    __tablename__ = "services_sos_events"

    alarm_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("services_checkins.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(Integer, index=True)
    device_code: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str | None] = mapped_column(String(32))
    severity: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # who opens the incident: "alarm" (the alarms plugin's own) or "services.sos"
    incident_source: Mapped[str] = mapped_column(String(16), default="alarm")
    incident_id: Mapped[int | None] = mapped_column(Integer)
    incident_number: Mapped[str | None] = mapped_column(String(32))
    incident_state: Mapped[str | None] = mapped_column(String(16))
    incident_version: Mapped[int] = mapped_column(Integer, default=0)


class VenueClosure(Base):
    """A period a venue is closed (holidays, maintenance): days `first_day`..`last_day`."""

    __tablename__ = "services_venue_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("services_venues.id"), index=True)
    first_day: Mapped[str] = mapped_column(String(10))
    last_day: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
