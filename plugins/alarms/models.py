"""Tables of the alarms plugin (its own Alembic branch, `plugins/alarms/migrations`)."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class DeviceFrame(Base):
    """Every frame a device sent, stored once per (device, seq) before it is acknowledged."""

    __tablename__ = "alarm_frames"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    ts: Mapped[float] = mapped_column(Float)  # device time, corrected for skew
    received_at: Mapped[float] = mapped_column(Float, index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class Alarm(Base):
    """One alarm (ThingsBoard model): at most one active per (device, type)."""

    __tablename__ = "alarms"
    __table_args__ = (Index("ix_alarms_active_grid", "active", "grid_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    device_code: Mapped[str] = mapped_column(String(64))
    grid_id: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # f"{device_id}:{type}" while active, NULL once cleared: the database keeps one active
    # alarm per (device, type) (NULLs never collide in a unique index).
    active_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    count: Mapped[int] = mapped_column(Integer, default=1)
    value: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    # a rule's alarm: what it compared (`metric op threshold`, with `value`), so a console
    # words it in its own language; NULL for alarms a device raised itself
    metric: Mapped[str | None] = mapped_column(String(64))
    op: Mapped[str | None] = mapped_column(String(2))
    threshold: Mapped[float | None] = mapped_column(Float)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    incident_wanted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    incident_id: Mapped[int | None] = mapped_column(Integer)
    incident_requested_at: Mapped[float | None] = mapped_column(Float)


class AlarmEvent(Base):
    """The full history of an alarm, one row per action."""

    __tablename__ = "alarm_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AlarmRule(Base):
    """A telemetry rule: `metric op threshold` for `duration_s`, or `repeat` readings in a row."""

    __tablename__ = "alarm_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    device_type: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    repeat: Mapped[int] = mapped_column(Integer, default=1)
    alarm_type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    auto_clear: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class RuleState(Base):
    """Per (rule, device): since when and how many readings in a row matched; persisted."""

    __tablename__ = "alarm_rule_states"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("alarm_rules.id", ondelete="CASCADE"), primary_key=True
    )
    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[float | None] = mapped_column(Float)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    raised: Mapped[bool] = mapped_column(Boolean, default=False)
