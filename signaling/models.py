"""Signaling's tables: the call log and each person's one line (created by the core migrations
0005_calls and 0007_call_lines; the table names are unchanged)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import BigId
from storage.sql import Base, UTCDateTime, utcnow


class CallRecord(Base):
    """A 1:1 call (signaling/): the call log and the state the hub decides in the database.

    `state` is ringing -> active -> ended; the winner of racing transitions (first accept,
    hang-up against timeout) is whoever's conditional UPDATE matched the expected state.
    """

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("caller_id", "client_call_id", name="uq_calls_caller_client"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    callee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    media: Mapped[str] = mapped_column(String(8))
    client_call_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))
    end_reason: Mapped[str | None] = mapped_column(String(32))
    caller_sid: Mapped[str | None] = mapped_column(String(64))
    callee_sid: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    # "call" (1:1 call) or "pull" (video pull: the callee's camera to the caller, one way).
    kind: Mapped[str] = mapped_column(String(8), default="call", server_default="call")
    # Who has an offer the other side has not answered yet ("caller"/"callee"): glare arbiter.
    offer_from: Mapped[str | None] = mapped_column(String(8))
    # Lease: last heartbeat of the node holding each party's device (a dead node stops them).
    caller_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callee_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallLine(Base):
    """A person's one line (signaling/): held by the ringing or active call they are part of.

    The primary key makes "busy" atomic: of two simultaneous invites to the same person only
    one can insert the line; the call releases it in the transaction that ends it.
    """

    __tablename__ = "call_lines"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
