"""Core tables: grid tree, people and roles, login sessions, devices, audit log, channels, timers.

Signaling and media keep their tables beside their code (signaling/models.py,
media/recording/models.py, media/camera/models.py); the core migrations create them all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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

from storage.sql import Base, UTCDateTime, utcnow

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a real BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Grid(Base):
    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32), default="basic")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("grids.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(String(1024), index=True)
    centre_lat: Mapped[float | None] = mapped_column(Float)
    centre_lon: Mapped[float | None] = mapped_column(Float)
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OverlayLink(Base):
    """An overlay grid (party-building, professional) covering a basic grid."""

    __tablename__ = "grid_overlay_links"

    overlay_id: Mapped[int] = mapped_column(
        ForeignKey("grids.id", ondelete="CASCADE"), primary_key=True
    )
    grid_id: Mapped[int] = mapped_column(
        ForeignKey("grids.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    report_interval_s: Mapped[int] = mapped_column(Integer, default=60)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Assignment(Base):
    """A role a person holds over a grid's subtree; admin may have no grid (whole deployment)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("person_id", "grid_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grids.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))


class LoginSession(Base):
    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(64))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    # Which refresh token of the session is current; older ones are recognised as reuse.
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuthThrottle(Base):
    """One sign-in limit bucket: attempts counted in a window, with a growing lock.

    `scope` is "pair" (username and address), "address" or "account"; times are epoch
    seconds so the one-statement reservation does its arithmetic alike on every database.
    """

    __tablename__ = "auth_throttle"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[float] = mapped_column(Float, index=True)
    locked_until: Mapped[float] = mapped_column(Float, default=0.0)
    lock_s: Mapped[float] = mapped_column(Float)


class RateWindow(Base):
    """One client's hits in one fixed window of a plugin's rate limit (hub.ratelimit).

    `bucket` is "<plugin>.<limit>"; `window_start` is epoch seconds, aligned to the window's
    length, so every node counts into the same row.
    """

    __tablename__ = "rate_windows"

    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[float] = mapped_column(Float, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    device_type: Mapped[str] = mapped_column(String(64))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    key_hash: Mapped[str] = mapped_column(String(128))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    firmware: Mapped[str | None] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    key_rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only: rows are written and, past retention, deleted; never updated."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(128))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Setting(Base):
    """Deployment-wide values the hub generates once (e.g. the token signing key)."""

    __tablename__ = "hub_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Channel(Base):
    """A durable message stream: a grid's channel, an ad-hoc group, a direct pair, or the channel
    of an object a plugin owns (ref "<kind>:<id>", e.g. an incident)."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grids.id", ondelete="CASCADE"), index=True
    )
    ref: Mapped[str | None] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    epoch: Mapped[str] = mapped_column(String(32))
    last_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    min_offset: Mapped[int] = mapped_column(BigInteger, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its owning plugin asked for its calls to be recorded (ctx.channels.record).
    recorded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ChannelMember(Base):
    __tablename__ = "channel_members"

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="member")
    read_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelMessage(Base):
    """One message at a gapless per-channel `offset`; (sender, client_msg_id) dedupes resends."""

    __tablename__ = "channel_messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "offset", name="uq_channel_messages_offset"),
        # client_msg_id before sender_id: resend lookups filter on (channel, client_msg_id).
        UniqueConstraint(
            "channel_id", "client_msg_id", "sender_id", name="uq_channel_messages_client_msg_id"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    offset: Mapped[int] = mapped_column(BigInteger)
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mentions: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LocationPoint(Base):
    """One location report from the field app, kept for track playback (轨迹回放)."""

    __tablename__ = "location_points"
    __table_args__ = (Index("ix_location_points_person_at", "person_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float)
    speed: Mapped[float | None] = mapped_column(Float)
    battery: Mapped[float | None] = mapped_column(Float)


class StoredFile(Base):
    """An upload attached to a channel; the bytes live content-addressed in the data dir."""

    __tablename__ = "files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Timer(Base):
    """A durable plugin timer; `due_at` is when it next becomes claimable.

    `due_at` is `fire_at` while unclaimed and the lease end (`claimed_until`) while claimed, so
    one index serves claiming and `next_fire_at`. (owner, key) is unique: scheduling a key again
    replaces the timer (with a new id).
    """

    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("owner", "key", name="uq_timers_owner_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fire_at: Mapped[float] = mapped_column(Float)
    due_at: Mapped[float] = mapped_column(Float, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[float | None] = mapped_column(Float)
