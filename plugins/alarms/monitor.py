"""Device liveness: last-seen marks, the `offline` alarm, and retention of old frames.

Each node keeps the last frame time of its devices in memory and writes them to the core
device registry every `last_seen_flush_s` (with the firmware a heartbeat reported). A device
whose last-seen time is older than `offline_after_s` gets an active `offline` alarm (MAJOR);
a frame from it clears that alarm at the next flush. Devices never seen raise nothing. Every
node sweeps; the unique active alarm per (device, type) keeps two nodes from doubling it.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import DeviceRecord, DevicesView, utcnow
from plugins.alarms.config import AlarmsConfig
from plugins.alarms.ingest import Ingest, device_info
from plugins.alarms.models import Alarm, DeviceFrame
from plugins.alarms.service import Notify
from plugins.alarms.state import Actor, Change, Raise, clear, raise_alarm

log = logging.getLogger("gridhub.plugin.alarms.monitor")
OFFLINE = "offline"
MONITOR = Actor("monitor")


class Monitor:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        devices: DevicesView,
        ingest: Ingest,
        config: AlarmsConfig,
        notify: Notify,
    ) -> None:
        self._sessions, self._devices, self._ingest = sessions, devices, ingest
        self._config, self._notify = config, notify
        # a device's mark is rewritten at most this often: fresh enough for offline detection,
        # and a thousand busy devices cost a few rows per flush, not a thousand
        self._spacing = max(config.last_seen_flush_s, config.offline_after_s / 4)
        self._written: dict[int, float] = {}

    async def flush_seen(self) -> None:
        """Write last-seen marks (and firmware); clear `offline` alarms of devices seen. Runs
        in the frame writer's turn when the writer is running."""
        await self._ingest.writer.exclusive(self.write_seen)

    async def write_seen(self, everything: bool = False) -> None:
        seen = self._due(everything)
        firmware, self._ingest.firmware = self._ingest.firmware, {}
        if not seen and not firmware:
            return
        marks = {d: datetime.fromtimestamp(at, UTC) for d, at in seen.items()}
        async with self._sessions.begin() as session:
            await self._devices.mark_seen(session, marks, firmware)
            changes = await self._back_online(session, set(seen))
        if changes:
            await self._notify(changes)

    def _due(self, everything: bool) -> dict[int, float]:
        """Marks to write now; the others stay pending (and count as live for the sweep)."""
        pending = self._ingest.seen
        spacing = 0.0 if everything else self._spacing
        due = {d: t for d, t in pending.items() if t - self._written.get(d, 0.0) >= spacing}
        if not everything:
            # spread a crowd (every device of a fresh node is due at once) over a few flushes;
            # the cap still writes every device well within `offline_after_s`
            cap = max(250, 2 * math.ceil(len(pending) * self._config.last_seen_flush_s / spacing))
            oldest = sorted(due, key=lambda d: self._written.get(d, 0.0))[:cap]
            due = {d: due[d] for d in oldest}
        for device_id, at in due.items():
            if pending.get(device_id) == at:
                del pending[device_id]
        self._written.update(due)
        return due

    async def _back_online(self, session: AsyncSession, device_ids: set[int]) -> list[Change]:
        if not device_ids:
            return []
        stmt = select(Alarm).where(
            Alarm.active, Alarm.type == OFFLINE, Alarm.device_id.in_(device_ids)
        )
        now = utcnow()
        return [clear(session, a, MONITOR, "back online", now) for a in await session.scalars(stmt)]

    async def sweep_offline(self) -> None:
        cutoff = utcnow() - timedelta(seconds=self._config.offline_after_s)
        live = set(self._ingest.seen)  # seen since the last flush: not offline
        # Flagged devices are read before silent ones. A flush writes a device's new mark and
        # clears its `offline` alarm in one transaction: read in this order, a device is either
        # still flagged (skipped) or no longer silent. The other order could pair a stale
        # "silent" with a fresh "not flagged" and raise the alarm again for a device that had
        # just come back, to stay until its next frame.
        async with self._sessions() as session:
            flagged = set(await session.scalars(_offline_flagged()))
        silent = await self._devices.silent_since(cutoff)
        changes = []
        for device in silent:
            if device.id not in live and device.id not in flagged:
                changes += await self._raise_offline(device)
        if changes:
            await self._notify(changes)

    async def _raise_offline(self, row: DeviceRecord) -> list[Change]:
        device = device_info(row)
        seen = row.last_seen_at.isoformat() if row.last_seen_at else "never"
        what = Raise(OFFLINE, "MAJOR", None, f"no frame since {seen}", utcnow())
        try:
            async with self._sessions.begin() as session:
                change = await raise_alarm(
                    session, device, what, MONITOR, {}, self._config.incidents
                )
            return [change]
        except IntegrityError:
            return []  # another node raised it first

    async def sweep_frames(self) -> int:
        cutoff = time.time() - self._config.frame_retention_days * 86400
        return await delete_old_frames(self._sessions, cutoff)


async def delete_old_frames(sessions: async_sessionmaker[AsyncSession], cutoff: float) -> int:
    """Delete frames received before `cutoff`, keeping each device's newest (its dedupe
    mark: the `acked` a reconnecting device is told)."""
    inner = DeviceFrame.__table__.alias("newest")
    keep = (
        select(func.max(inner.c.seq)).where(inner.c.device_id == DeviceFrame.device_id)
    ).scalar_subquery()
    async with sessions.begin() as session:
        result = await session.execute(
            delete(DeviceFrame).where(DeviceFrame.received_at < cutoff, DeviceFrame.seq < keep)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _offline_flagged() -> Select[int]:
    """Devices that already have an active `offline` alarm."""
    return select(Alarm.device_id).where(Alarm.active, Alarm.type == OFFLINE)
