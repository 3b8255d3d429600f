"""Tables of the escalation plugin: chains, SOS alerts and lone-worker check-ins.

Times are epoch seconds (floats), like the durable timers that drive them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base


class Chain(Base):
    """One escalation chain: a trigger climbing the steps of a policy until it is answered.

    `subject` names what the chain is about ("alarm:12", "incident:5", "sos:3"); `ref` is unique
    per start (a repeated trigger does not start a second chain). `next_step` is the index of
    the step still to fire; a step fires only while the chain is active and `next_step` is its
    index, so a timer that fires twice does not repeat a step.
    """

    __tablename__ = "escalation_chains"
    __table_args__ = (Index("ix_escalation_chains_subject_state", "subject", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(160), unique=True)
    policy: Mapped[str] = mapped_column(String(64))
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # active | stopped | finished
    next_step: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    end_reason: Mapped[str | None] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A requesting plugin's default policy (EscalationRequested.default_policy) the chain runs;
    # null for a configured policy (looked up by `policy`).
    policy_spec: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Sos(Base):
    """An SOS from the field. `audio_stream_id` is where the hot-mic stream of the media
    service will be attached once it exists."""

    __tablename__ = "escalation_sos"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    person_name: Mapped[str] = mapped_column(String(120))
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | acknowledged | closed
    source: Mapped[str] = mapped_column(String(16))  # button | checkin
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[float] = mapped_column(Float)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    owner_name: Mapped[str | None] = mapped_column(String(120))
    acknowledged_at: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[float | None] = mapped_column(Float)
    close_note: Mapped[str | None] = mapped_column(Text)
    audio_stream_id: Mapped[str | None] = mapped_column(String(128))


class Checkin(Base):
    """A lone-worker check-in: missing `due_at` raises an SOS by itself."""

    __tablename__ = "escalation_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    grid_id: Mapped[int] = mapped_column(Integer)
    task: Mapped[str] = mapped_column(String(200))
    interval_s: Mapped[float] = mapped_column(Float)
    due_at: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), index=True)  # active | stopped | missed
    started_at: Mapped[float] = mapped_column(Float)
    sos_id: Mapped[int | None] = mapped_column(Integer)
