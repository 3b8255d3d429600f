"""What every device transport shares: authentication, dedupe by sequence, rate limits, acks.

A `DeviceStream` is one device's live session on this node (a WebSocket, or the MQTT bridge's
view of a device). It drops frames whose seq is not above the last one accepted (resends),
passes the rest to the group-commit writer, and acknowledges cumulatively once they are
durable. It is kept small: an idle device costs one of these plus its socket.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import DevicesView
from plugins.alarms.config import AlarmsConfig
from plugins.alarms.models import DeviceFrame
from plugins.alarms.protocol import (
    CLOSE_STORAGE,
    CLOSE_SUPERSEDED,
    Frame,
    FrameError,
    limits,
    parse_frames,
)
from plugins.alarms.state import DeviceInfo
from plugins.alarms.writer import FrameWriter, Submission

SendAck = Callable[[int], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


FRAME_OUTCOMES = ("accepted", "duplicate", "invalid", "rate_limited", "write_failed")


class RateLimited(Exception):
    pass


class Ingest:
    """The node's ingestion front: device look-up, last-seen marks, the writer."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        devices: DevicesView,
        writer: FrameWriter,
        config: AlarmsConfig,
    ) -> None:
        self.sessions, self.writer, self.config = sessions, writer, config
        self.limits = limits(config.max_frame_bytes)  # for decoding every transport's frames
        self.devices = devices
        self.seen: dict[int, float] = {}  # device id -> last frame time, flushed periodically
        self.firmware: dict[int, str] = {}
        self.streams: dict[int, DeviceStream] = {}  # device id -> live stream on this node
        # frames by outcome since start (/metrics: plugins/alarms/metrics.py)
        self.frames = dict.fromkeys(FRAME_OUTCOMES, 0)
        self._tasks: set[asyncio.Task[None]] = set()  # short-lived acks, held until done

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def authenticate(self, code: str, key: str) -> DeviceInfo | None:
        found = await self.devices.verify(code, key)
        return None if found is None else device_info(found)

    async def active_device(self, code: str) -> DeviceInfo | None:
        """A registered, enabled device (for transports whose broker authenticated it)."""
        found = await self.devices.by_code(code)
        return device_info(found) if found is not None and found.active else None

    async def last_seq(self, device_id: int) -> int:
        async with self.sessions() as session:
            stmt = select(func.max(DeviceFrame.seq)).where(DeviceFrame.device_id == device_id)
            return int(await session.scalar(stmt) or 0)

    async def open(self, device: DeviceInfo, send_ack: SendAck, close: Close) -> DeviceStream:
        """A stream for a device that just authenticated; an older one on this node is ended."""
        stream = DeviceStream(self, device, await self.last_seq(device.id), send_ack, close)
        older = self.streams.get(device.id)
        self.streams[device.id] = stream
        self.seen[device.id] = time.time()
        if older is not None:
            await older.close(CLOSE_SUPERSEDED, "superseded")
        return stream

    def close(self, stream: DeviceStream) -> None:
        if self.streams.get(stream.device.id) is stream:
            del self.streams[stream.device.id]


class RegisteredDevice(Protocol):
    """What alarms reads of a registered device (a DeviceRecord from `ctx.devices`)."""

    @property
    def id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def grid_id(self) -> int | None: ...
    @property
    def device_type(self) -> str: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...


def device_info(row: RegisteredDevice) -> DeviceInfo:
    return DeviceInfo(
        id=row.id,
        code=row.code,
        name=row.name,
        grid_id=row.grid_id or 0,
        device_type=row.device_type,
        lat=row.lat,
        lon=row.lon,
    )


class DeviceStream:
    __slots__ = (
        "_acking",
        "_in_flight",
        "_stamp",
        "_tokens",
        "close",
        "device",
        "durable_seq",
        "ingest",
        "invalid",
        "last_seq",
        "send_ack",
    )

    def __init__(
        self, ingest: Ingest, device: DeviceInfo, last_seq: int, send_ack: SendAck, close: Close
    ) -> None:
        self.ingest, self.device = ingest, device
        self.last_seq = self.durable_seq = last_seq
        self.send_ack, self.close = send_ack, close
        self.invalid = 0
        self._in_flight = 0
        self._acking = False
        self._tokens = ingest.config.rate_burst
        self._stamp = time.monotonic()

    def receive(self, raw: Any) -> None:
        """Validate and pass on one decoded message; raises FrameError or RateLimited."""
        now = time.time()
        config = self.ingest.config
        frames = parse_frames(raw, now, config.max_batch, (config.max_skew_s, config.max_age_s))
        counts = self.ingest.frames
        try:
            self._spend(len(frames))
        except RateLimited:
            counts["rate_limited"] += len(frames)
            raise
        self.ingest.seen[self.device.id] = now
        fresh = self._fresh(frames)
        counts["accepted"] += len(fresh)
        counts["duplicate"] += len(frames) - len(fresh)
        if not fresh:
            self._ack_soon()
            return
        self._in_flight += 1
        top, count = fresh[-1].seq, len(fresh)
        self.ingest.writer.submit(
            Submission(self.device, fresh, now, lambda ok: self._durable(ok, top, count))
        )

    async def fail(self) -> None:
        """Frames could not be stored (or acked): end the session; the device resends."""
        await self.close(CLOSE_STORAGE, "storage.failed")

    def bad_frame(self, error: FrameError) -> bool:
        """Count an invalid frame; True when the connection has had too many."""
        self.invalid += 1
        self.ingest.frames["invalid"] += 1
        return self.invalid > self.ingest.config.max_invalid

    def _spend(self, frames: int) -> None:
        config = self.ingest.config
        now = time.monotonic()
        elapsed, self._stamp = now - self._stamp, now
        self._tokens = min(config.rate_burst, self._tokens + elapsed * config.rate_per_s)
        self._tokens -= frames
        if self._tokens < 0:
            raise RateLimited(f"more than {config.rate_per_s:g} frames per second")

    def _fresh(self, frames: list[Frame]) -> list[Frame]:
        fresh = []
        for frame in frames:
            if frame.seq > self.last_seq:
                self.last_seq = frame.seq
                fresh.append(frame)
                firmware = frame.body.get("firmware") if frame.kind == "heartbeat" else None
                if firmware:
                    self.ingest.firmware[self.device.id] = firmware
        return fresh

    def _durable(self, ok: bool, seq: int, count: int) -> None:
        self._in_flight -= 1
        if not ok:
            self.ingest.frames["write_failed"] += count
            self.ingest.spawn(self.fail())
            return
        self.durable_seq = max(self.durable_seq, seq)
        self._ack_soon(committed=True)

    def _ack_soon(self, committed: bool = False) -> None:
        if self._acking or (self._in_flight and not committed):
            return  # an ack is on its way, or the next commit will send one
        self._acking = True
        self.ingest.spawn(self._ack())

    async def _ack(self) -> None:
        try:
            sent = -1
            while sent != self.durable_seq:
                sent = self.durable_seq
                await self.send_ack(sent)
        except Exception:
            await self.fail()
        finally:
            self._acking = False
