"""Tables of the archive's field work: visits and inspections, change proposals with record
versions, and campaigns (专项采集) with their entries.

They point at the archive's people, houses, households and places by id, not by foreign key:
a subject is polymorphic (a person or a place), and a record's history outlives the record.
Personal values (proposed phones, a household's health answers, record snapshots) are sealed
at rest with `ctx.personal` before they reach these columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base, UTCDateTime, utcnow


class Visit(Base):
    """One visit to a person (走访) or inspection of a place (巡查)."""

    __tablename__ = "archives_visits"
    __table_args__ = (
        Index("ix_archives_visits_subject", "subject_type", "subject_id", "visited_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)  # offline resend: once
    subject_type: Mapped[str] = mapped_column(String(16))  # person | place
    subject_id: Mapped[int] = mapped_column(Integer)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    worker_id: Mapped[int] = mapped_column(Integer, index=True)
    worker_name: Mapped[str] = mapped_column(String(100))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    hazard: Mapped[bool] = mapped_column(Boolean, default=False)
    hazard_title: Mapped[str] = mapped_column(String(200), default="")
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VisitPhoto(Base):
    """A photo of a visit, kept in the database so every node serves it."""

    __tablename__ = "archives_visit_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        ForeignKey("archives_visits.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VisitAlert(Base):
    """Where a subject's current due period stands: reminded, then overdue (once each)."""

    __tablename__ = "archives_visit_alerts"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    due_at: Mapped[float] = mapped_column(Float)  # epoch seconds of the period it tracks
    reminded_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    overdue_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Change(Base):
    """A grid worker's proposed edit of a person or house, until a reviewer decides."""

    __tablename__ = "archives_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(16))  # person | house
    target_id: Mapped[int] = mapped_column(Integer, index=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    fields: Mapped[str] = mapped_column(Text)  # sealed JSON of the proposed values
    field_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    proposer_id: Mapped[int] = mapped_column(Integer)
    proposer_name: Mapped[str] = mapped_column(String(100))
    reviewer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reviewer_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RecordVersion(Base):
    """One version of a person or house: a sealed snapshot of its fields after a change."""

    __tablename__ = "archives_record_versions"
    __table_args__ = (UniqueConstraint("target_type", "target_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)  # sealed JSON snapshot
    change_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Campaign(Base):
    """A special collection (专项采集): a form, its targets and a deadline."""

    __tablename__ = "archives_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the officer's grid it covers
    form: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[int] = mapped_column(Integer)
    created_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignEntry(Base):
    """One household's answers to a campaign's form (the latest filling wins)."""

    __tablename__ = "archives_campaign_entries"
    __table_args__ = (UniqueConstraint("campaign_id", "household_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("archives_campaigns.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[int] = mapped_column(Integer)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    values: Mapped[str] = mapped_column(Text)  # sealed JSON: answers may be health data
    breaches: Mapped[list[str]] = mapped_column(JSON, default=list)
    worker_id: Mapped[int] = mapped_column(Integer)
    worker_name: Mapped[str] = mapped_column(String(100))
    filled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
