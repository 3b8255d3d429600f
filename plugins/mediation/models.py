"""The mediation plugin's tables (its own Alembic branch, "mediation").

A case (纠纷案件) is handled by the people's mediation committee of one level (village, town or
county: `level` and `level_grid_id`); parties, sessions, the timeline and links between
repeated cases hang off it. `version` is the optimistic lock of every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base, UTCDateTime, utcnow


class Case(Base):
    __tablename__ = "mediation_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # where the dispute is
    level: Mapped[str] = mapped_column(String(16))  # village | town | county
    level_grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the committee's grid
    type: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200), default="")
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    risk: Mapped[str] = mapped_column(String(16), default="low")  # low | medium | high
    risk_taken_by: Mapped[int | None] = mapped_column(Integer)
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(16))  # office | incident | resident
    incident_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    incident_number: Mapped[str | None] = mapped_column(String(32))
    mediator_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    expert_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # from the 专家库
    # A resident's application: the code they follow it by, and their address hashed (limit).
    tracking_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    client_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    agreement: Mapped[str | None] = mapped_column(Text)
    resolved_level: Mapped[str | None] = mapped_column(String(16))
    performance: Mapped[str | None] = mapped_column(String(16))  # pending|performed|breached
    judicial_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)
    referral: Mapped[str | None] = mapped_column(String(16))  # litigation|arbitration|petition
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Party(Base):
    """A party of a case. `person_ref` is free text; `person_id` links an archived person (the
    archives plugin's resident, checked with it at the time, people.py) with the grid and
    masked name the archive answered. The phone is sealed at rest (ctx.personal)."""

    __tablename__ = "mediation_parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_cases.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60), index=True)
    side: Mapped[str] = mapped_column(String(16))  # applicant | respondent | other
    phone: Mapped[str] = mapped_column(String(200), default="")  # sealed
    address: Mapped[str] = mapped_column(String(200), default="")
    person_ref: Mapped[str] = mapped_column(String(64), default="")
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    person_grid_id: Mapped[int | None] = mapped_column(Integer)
    person_masked: Mapped[str | None] = mapped_column(String(24))


class Meeting(Base):
    """A mediation session (调解会): when, where, who, and the record of what was said."""

    __tablename__ = "mediation_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_cases.id", ondelete="CASCADE"), index=True
    )
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[list[str]] = mapped_column(JSON, default=list)
    record: Mapped[str] = mapped_column(Text, default="")
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(Integer)


class Step(Base):
    """One line of a case's timeline (every change, with the version it produced)."""

    __tablename__ = "mediation_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_cases.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Link(Base):
    """Two cases found to be about the same parties or the same place (a repeated dispute)."""

    __tablename__ = "mediation_links"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_cases.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_cases.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(16))  # parties | place


class Question(Base):
    """A resident's legal question (法律咨询) to the village's legal adviser: followed by its
    tracking code (the resident's only credential), answered, then rated."""

    __tablename__ = "mediation_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village
    text: Mapped[str] = mapped_column(Text)
    asker_name: Mapped[str] = mapped_column(String(60), default="")
    asker_phone: Mapped[str] = mapped_column(String(200), default="")  # sealed
    client_hash: Mapped[str] = mapped_column(String(64), index=True)  # the asker's address, hashed
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | answered
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(Integer)
    answered_by_name: Mapped[str | None] = mapped_column(String(120))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Document(Base):
    """A photo or scan of a signed document (the signed agreement, a receipt, a record), taken
    in the field: rows of the plugin's own table so every node of a cluster serves them."""

    __tablename__ = "mediation_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("mediation_cases.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Expert(Base):
    """One of the expert pool (专家库) a town or county keeps: lawyers, retired judges,
    psychologists, land surveyors... called into a case by its mediators. The phone is sealed."""

    __tablename__ = "mediation_experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the town or county keeping it
    name: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(120), default="")  # 职务与单位
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    phone: Mapped[str] = mapped_column(String(200), default="")  # sealed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Article(Base):
    """A 普法 article (legal education) for the residents of one grid's subtree: drafted by
    staff of that grid, published to the residents' page and the field app. Plain text."""

    __tablename__ = "mediation_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # shown in this grid and below
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)  # draft | published | withdrawn
    created_by: Mapped[int | None] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
