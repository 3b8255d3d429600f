"""Recording's tables: recordings and who may play each back (core migrations 0006_media and
0009_recording_subject; the table names are unchanged)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

import signaling.models  # noqa: F401  (recordings.call_id refers to its calls table)
from storage.sql import Base, UTCDateTime, utcnow


class Recording(Base):
    """A recorded call, group call or SOS audio/video (media/recording): file and metadata.

    `room` is the media room key (e.g. "rec:call:7", "call:3", "rec:sos:<id>"); `subject` is
    the object it belongs to, `<kind>:<id>`: the owner of the channel a group call or PTT was
    on (its ref, e.g. "incident:12", "grid:3"), or a plugin's subject ("sos:5"); `grid_id`
    places it in the grid tree so commanders over that grid can play it back. The file lives
    under the data dir at `path` (relative); `state` is recording -> done | failed.
    """

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    room: Mapped[str] = mapped_column(String(128), index=True)
    call_id: Mapped[int | None] = mapped_column(
        ForeignKey("calls.id", ondelete="SET NULL"), index=True
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(128), index=True)
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grids.id", ondelete="SET NULL"), index=True
    )
    started_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    media: Mapped[str] = mapped_column(String(8))
    container: Mapped[str] = mapped_column(String(16))
    codec: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    duration_s: Mapped[float | None] = mapped_column(Float)


class RecordingParticipant(Base):
    """Who was heard or seen in a recording: they may play it back, and so may their commanders."""

    __tablename__ = "recording_participants"

    recording_id: Mapped[str] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
