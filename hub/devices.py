"""Device registry core: devices hold a secret key that is stored only as a salted hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import audit
from hub.audit import Actor
from hub.errors import Conflict, NotFound
from hub.grid import GridIndex
from storage.models import Device
from storage.sql import UTCDateTime, utcnow

DEVICE_TYPES = ("smoke", "gas", "water_level", "temperature", "door", "manhole", "camera", "other")


class DeviceSpec(BaseModel):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,63}$")
    name: str = Field(min_length=1, max_length=200)
    device_type: str = Field(pattern=r"^[a-z_]{2,64}$")
    grid: str | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    firmware: str | None = Field(None, max_length=64)
    properties: dict[str, Any] = Field(default_factory=dict)


class DeviceUpdate(BaseModel):
    """A partial change: only the fields given are changed (`grid` moves the device)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    grid: str | None = None
    active: bool | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    firmware: str | None = Field(None, max_length=64)
    properties: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    code: str
    key: str


def new_key() -> str:
    return "dk_" + secrets.token_urlsafe(32)


def hash_key(key: str, salt: str | None = None) -> str:
    """`salt$sha256(salt+key)`: keys are 256-bit random, so a fast hash is enough."""
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + key).encode()).hexdigest()}"


def key_matches(stored: str, key: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(hash_key(key, salt), stored)


class Devices:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, spec: DeviceSpec, index: GridIndex, actor: Actor) -> IssuedKey:
        grid_id = _grid_id(spec, index)
        key = new_key()
        async with self._sessions.begin() as session:
            if await _by_code(session, spec.code) is not None:
                raise Conflict("device.code_taken", f"device {spec.code!r} already exists")
            session.add(_row(spec, grid_id, hash_key(key)))
            audit.record(session, actor, "device.add", "device", spec.code, {"grid": spec.grid})
        return IssuedKey(spec.code, key)

    async def rotate_key(self, code: str, actor: Actor) -> IssuedKey:
        key = new_key()
        async with self._sessions.begin() as session:
            row = await _must(session, code)
            row.key_hash, row.key_rotated_at = hash_key(key), utcnow()
            audit.record(session, actor, "device.rotate_key", "device", code)
        return IssuedKey(code, key)

    async def get(self, code: str) -> Device:
        async with self._sessions() as session:
            return await _must(session, code)

    async def update(
        self, code: str, change: DeviceUpdate, index: GridIndex, actor: Actor
    ) -> Device:
        """Rename, move to another grid, enable/disable, set firmware or metadata."""
        fields = change.model_dump(exclude_unset=True)
        grid = fields.pop("grid", None)
        if "active" in fields:
            fields["is_active"] = fields.pop("active")
        async with self._sessions.begin() as session:
            row = await _must(session, code)
            if grid is not None:
                row.grid_id = index.by_code(grid).id
            for name, value in fields.items():
                setattr(row, name, value)
            details = change.model_dump(exclude_unset=True, mode="json")
            audit.record(session, actor, "device.update", "device", code, details)
        return row

    async def verify(self, code: str, key: str) -> Device | None:
        """The active device when `key` is its current key, else None."""
        async with self._sessions() as session:
            row = await _by_code(session, code)
        if row is None or not row.is_active or not key_matches(row.key_hash, key):
            return None
        return row

    async def in_grids(self, grid_ids: set[int] | None) -> list[Device]:
        async with self._sessions() as session:
            stmt = select(Device).order_by(Device.code)
            if grid_ids is not None:
                stmt = stmt.where(Device.grid_id.in_(grid_ids))
            return list(await session.scalars(stmt))

    async def find(self, code: str) -> Device | None:
        async with self._sessions() as session:
            return await _by_code(session, code)

    async def by_ids(self, ids: Collection[int]) -> list[Device]:
        wanted, found = sorted(set(ids)), list[Device]()
        async with self._sessions() as session:
            for start in range(0, len(wanted), ID_CHUNK):
                chunk = wanted[start : start + ID_CHUNK]
                found += await session.scalars(select(Device).where(Device.id.in_(chunk)))
        return found

    async def silent_since(self, cutoff: datetime) -> list[Device]:
        """Active devices placed in a grid whose last frame was before `cutoff` (never seen:
        not silent, nothing is known of them)."""
        stmt = select(Device).where(
            Device.is_active,
            Device.grid_id.is_not(None),
            Device.last_seen_at.is_not(None),
            Device.last_seen_at < cutoff,
        )
        async with self._sessions() as session:
            return list(await session.scalars(stmt.order_by(Device.id)))


ID_CHUNK = 500  # ids per IN (...) list: well under every backend's bound-parameter limit
# Core statements on the table (the ORM's bulk update by primary key could not skip older marks)
_TABLE = Device.metadata.tables[Device.__tablename__]
_SEEN = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("device_id"),
        or_(
            _TABLE.c.last_seen_at.is_(None),
            _TABLE.c.last_seen_at < bindparam("seen_at", type_=UTCDateTime()),
        ),
    )
    .values(last_seen_at=bindparam("seen_at", type_=UTCDateTime()))
)
_FIRMWARE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("device_id"))
    .values(firmware=bindparam("version"))
)


async def mark_seen(
    session: AsyncSession, seen: Mapping[int, datetime], firmware: Mapping[int, str]
) -> None:
    """Last-seen times (never moved back: another node may hold an older mark) and reported
    firmware, by device id, in the caller's transaction; unknown ids change nothing. One
    executemany per kind."""
    marks = [{"device_id": d, "seen_at": at} for d, at in seen.items()]
    versions = [{"device_id": d, "version": v} for d, v in firmware.items()]
    for statement, rows in ((_SEEN, marks), (_FIRMWARE, versions)):
        if rows:
            await session.execute(statement, rows)


def _grid_id(spec: DeviceSpec, index: GridIndex) -> int | None:
    if spec.grid is not None:
        return index.by_code(spec.grid).id
    if spec.lat is not None and spec.lon is not None:
        found = index.locate(spec.lon, spec.lat)
        return found.id if found else None
    return None


def _row(spec: DeviceSpec, grid_id: int | None, key_hash: str) -> Device:
    return Device(
        code=spec.code,
        name=spec.name,
        device_type=spec.device_type,
        grid_id=grid_id,
        key_hash=key_hash,
        lat=spec.lat,
        lon=spec.lon,
        firmware=spec.firmware,
        properties=spec.properties,
    )


async def _by_code(session: AsyncSession, code: str) -> Device | None:
    return (await session.scalars(select(Device).where(Device.code == code))).first()


async def _must(session: AsyncSession, code: str) -> Device:
    row = await _by_code(session, code)
    if row is None:
        raise NotFound("device.not_found", f"device {code!r} does not exist")
    return row
