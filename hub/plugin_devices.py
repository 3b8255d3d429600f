"""What a plugin may do with the core device registry (`ctx.devices`).

Plugins read devices (never their key hash) and report what they observed of them: when a
device was last heard from, and the firmware it said it runs. Everything else about a device
(name, grid, key, enabled) is the registry's, changed only through its own API and CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub import devices
from hub.devices import Devices
from hub.errors import InvalidInput
from storage.models import Device

FIRMWARE_MAX = 64  # the registry's firmware column


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A registered device as plugins see it."""

    id: int
    code: str
    name: str
    device_type: str
    grid_id: int | None  # None: not placed in any grid
    active: bool
    lat: float | None
    lon: float | None
    firmware: str | None
    last_seen_at: datetime | None


def record_of(row: Device) -> DeviceRecord:
    return DeviceRecord(
        id=row.id,
        code=row.code,
        name=row.name,
        device_type=row.device_type,
        grid_id=row.grid_id,
        active=row.is_active,
        lat=row.lat,
        lon=row.lon,
        firmware=row.firmware,
        last_seen_at=row.last_seen_at,
    )


class DevicesView:
    """Look-ups of registered devices and bulk last-seen / firmware reports."""

    def __init__(self, registry: Devices) -> None:
        self._registry = registry

    async def verify(self, code: str, key: str) -> DeviceRecord | None:
        """The device when it is active and `key` is its current key, else None."""
        row = await self._registry.verify(code, key)
        return None if row is None else record_of(row)

    async def by_code(self, code: str) -> DeviceRecord | None:
        row = await self._registry.find(code)
        return None if row is None else record_of(row)

    async def by_id(self, device_id: int) -> DeviceRecord | None:
        return (await self.by_ids([device_id])).get(device_id)

    async def by_ids(self, device_ids: Iterable[int]) -> dict[int, DeviceRecord]:
        """The devices that exist among `device_ids`, by id."""
        rows = await self._registry.by_ids({int(i) for i in device_ids})
        return {row.id: record_of(row) for row in rows}

    async def grid_of(self, device_id: int) -> int | None:
        """The grid a device is placed in (None: unplaced or no such device)."""
        found = await self.by_id(device_id)
        return None if found is None else found.grid_id

    async def silent_since(self, cutoff: datetime) -> list[DeviceRecord]:
        """Active, placed devices last heard from before `cutoff` (never heard: not listed)."""
        _aware(cutoff)
        return [record_of(row) for row in await self._registry.silent_since(cutoff)]

    async def mark_seen(
        self,
        session: AsyncSession,
        seen: Mapping[int, datetime],
        firmware: Mapping[int, str] | None = None,
    ) -> None:
        """Record when devices were last heard from and the firmware they reported, inside the
        plugin's own transaction `session` (it commits or rolls back with the plugin's rows).
        A mark older than the stored one is ignored; unknown ids change nothing. Raises
        InvalidInput (and writes nothing) for a naive time or an over-long firmware string."""
        versions = dict(firmware or {})
        for at in seen.values():
            _aware(at)
        for version in versions.values():
            if not isinstance(version, str) or not 0 < len(version) <= FIRMWARE_MAX:
                raise InvalidInput(
                    "device.bad_firmware", f"firmware must be 1 to {FIRMWARE_MAX} characters"
                )
        await devices.mark_seen(session, dict(seen), versions)


def _aware(at: datetime) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise InvalidInput("device.bad_time", "device times must be timezone-aware datetimes")
