"""Tables of the dispatch plugin (its own Alembic branch, `dispatch_` prefix)."""

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
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base, UTCDateTime


class Category(Base):
    """One entry of the category catalogue (like an Open311 service)."""

    __tablename__ = "dispatch_categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    sla: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Department(Base):
    """A professional department (水务, 城管, ...) that incidents can be dispatched to."""

    __tablename__ = "dispatch_departments"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    members: Mapped[list[int]] = mapped_column(JSON, default=list)


class Counter(Base):
    """Next incident number per county and year."""

    __tablename__ = "dispatch_counters"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Incident(Base):
    __tablename__ = "dispatch_incidents"
    __table_args__ = (
        UniqueConstraint("source", "source_ref", name="uq_dispatch_incidents_source_ref"),
        Index("ix_dispatch_incidents_state_grid", "state", "grid_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(ForeignKey("dispatch_categories.code"))
    priority: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24))
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    level_grid_id: Mapped[int] = mapped_column(Integer)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(24))
    source_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reporter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reporter_name: Mapped[str] = mapped_column(String(100), default="")
    # sealed (hub.personal): "pd1:..." ; shown masked, in full only through an audited reveal
    reporter_contact: Mapped[str] = mapped_column(String(600), default="")
    tracking_code: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    # the resident agreed to publish the report (Open311 GET lists only these, coarsely)
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # its Open311 service_request_id: a random token, so ids cannot be counted through
    public_id: Mapped[str | None] = mapped_column(
        String(32), unique=True, index=True, nullable=True
    )
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attachments: Mapped[list[int]] = mapped_column(JSON, default=list)
    channel_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    handler_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    stage_started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    stage_deadline: Mapped[float | None] = mapped_column(Float, nullable=True)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    supervised_by_grid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it)


class Assignment(Base):
    """Who an incident is dispatched to: a person, a grid or a department; one is the lead."""

    __tablename__ = "dispatch_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # person | grid | department
    target: Mapped[str] = mapped_column(String(64))
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Event(Base):
    """One entry of an incident's timeline (every action, with actor, time and note)."""

    __tablename__ = "dispatch_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_state: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Stage(Base):
    """A timed stage of an incident (sign, handle, ...): its deadline and whether it was met."""

    __tablename__ = "dispatch_stages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(16))
    unit_grid_id: Mapped[int] = mapped_column(Integer)
    unit_person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[float] = mapped_column(Float, index=True)
    deadline: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)


class Rule(Base):
    """Auto-dispatch: incidents of `category` within `grid_id`'s subtree go straight to a target."""

    __tablename__ = "dispatch_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(ForeignKey("dispatch_categories.code"))
    grid_id: Mapped[int] = mapped_column(Integer)
    target_kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Involved(Base):
    """Who is involved in an incident, and how: pushes, "my tasks" and the talk channel."""

    __tablename__ = "dispatch_involved"
    __table_args__ = (Index("ix_dispatch_involved_person", "person_id", "role"),)

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # assignee | reporter | verifier | watcher
    active: Mapped[bool] = mapped_column(Boolean, default=True)
