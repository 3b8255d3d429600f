"""IoT devices on ``/ws/device`` (msgpack, docs/device-protocol.md): telemetry and alarms.

Each device authenticates, continues its sequence from ``welcome.acked``, and sends one
``telemetry`` frame every ``telemetry_s`` (random phase). Alarm frames go out at
``alarms_per_s`` over the whole fleet, round robin, each carrying its send time in
``message`` so consoles can measure device → console latency. Acks are cumulative: every
frame up to the acked ``seq`` gets a ``device.ack`` latency sample.
"""

from __future__ import annotations

import asyncio
import collections
import random
import time
from typing import Any

import aiohttp
import msgpack

from loadtests.context import Context, settle

ALARM_TYPE = "load_test"
TICK_S = 0.01


class Device:
    def __init__(self, ctx: Context, code: str, key: str, url: str) -> None:
        self.ctx, self.code, self.key, self.url = ctx, code, key, url
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.seq = 0
        self.pending: collections.deque[tuple[int, float]] = collections.deque()
        self.closed = True
        self.reader: asyncio.Task[None] | None = None

    async def connect(self) -> bool:
        rec = self.ctx.rec
        rec.count("attempt.devices")
        sent = time.time()
        try:
            self.ws = await self.ctx.http.ws_connect(self.url, compress=0, max_msg_size=0)
            await self.ws.send_bytes(
                msgpack.packb({"type": "auth", "device": self.code, "key": self.key})
            )
            msg = await asyncio.wait_for(self.ws.receive(), 30)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            rec.error(f"device.connect.{type(exc).__name__}")
            return False
        if msg.type is not aiohttp.WSMsgType.BINARY:
            rec.error(f"device.close.{self.ws.close_code}")
            return False
        self.seq = int(msgpack.unpackb(msg.data)["acked"])
        rec.latency("connect.devices", time.time() - sent)
        self.closed = False
        self.ctx.hold("devices", self)
        self.reader = asyncio.create_task(self.read())
        return True

    async def read(self) -> None:
        assert self.ws is not None
        try:
            async for msg in self.ws:
                if msg.type is not aiohttp.WSMsgType.BINARY:
                    break
                self.frame(msgpack.unpackb(msg.data), time.time())
        finally:
            self.closed = True
            if self.ws.close_code not in (None, 1000) and self.ctx.running():
                self.ctx.rec.error(f"device.close.{self.ws.close_code}")

    def frame(self, data: dict[str, Any], at: float) -> None:
        if data.get("type") == "ack":
            acked = int(data["seq"])
            while self.pending and self.pending[0][0] <= acked:
                self.ctx.rec.latency("device.ack", at - self.pending.popleft()[1])
        elif data.get("type") == "error":
            self.ctx.rec.error(f"device.{data.get('code', 'error')}")

    async def send(self, frame: dict[str, Any]) -> None:
        if self.ws is None or self.closed:
            return
        self.seq += 1
        now = time.time()
        self.pending.append((self.seq, now))
        try:
            await self.ws.send_bytes(msgpack.packb({**frame, "seq": self.seq, "ts": now}))
        except (aiohttp.ClientError, ConnectionError):
            self.ctx.rec.error("device.send_failed")

    async def telemetry_loop(self) -> None:
        period = self.ctx.scenario.devices.telemetry_s
        due = time.time() + random.uniform(0, period)
        while not self.closed and await self.ctx.sleep_until(due):
            await self.send({"type": "telemetry", "metrics": {"level": random.uniform(1, 4)}})
            self.ctx.rec.count("device.telemetry")
            due += period

    async def close(self) -> None:
        if self.pending:
            self.ctx.rec.error("device.ack_missing", len(self.pending))
        self.closed = True
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


async def alarm_loop(ctx: Context, devices: list[Device], rate_per_s: float) -> None:
    """Alarm frames at ``rate_per_s`` over the live devices, round robin, in 10 ms ticks."""
    severity, sent, turn = ctx.scenario.devices.severity, 0, 0
    while await ctx.sleep_until(time.time() + TICK_S):
        due = int((time.time() - ctx.start) * rate_per_s) - sent
        live = [d for d in devices if not d.closed]
        for _ in range(max(0, due) if live else 0):
            device = live[turn % len(live)]
            turn += 1
            frame = {
                "type": "alarm",
                "alarm": ALARM_TYPE,
                "severity": severity,
                "message": repr(time.time()),
            }
            await device.send(frame)
            ctx.rec.count("device.alarm")
        sent += max(0, due)


async def run_devices(ctx: Context, keys: list[tuple[str, str, str]]) -> None:
    d = ctx.scenario.devices
    urls = [u.replace("http", "ws", 1) + "/ws/device" for u in ctx.urls]
    devices = [
        Device(ctx, code, key, urls[i % len(urls)]) for i, (code, key, _g) in enumerate(keys)
    ]
    gate, spacing = asyncio.Semaphore(d.connect_parallel), ctx.scenario.ramp_s / max(len(keys), 1)

    async def start(index: int, device: Device) -> None:
        if not await ctx.sleep_until(ctx.start + index * spacing):
            return
        async with gate:
            connected = await device.connect()
        if connected:
            await device.telemetry_loop()

    share = d.alarms_per_s / ctx.shards
    jobs = [start(i, dev) for i, dev in enumerate(devices)]
    if share > 0 and devices:
        jobs.append(alarm_loop(ctx, devices, share))
    try:
        await asyncio.gather(*jobs)
        await settle(lambda: sum(len(dev.pending) for dev in devices if not dev.closed))
    finally:
        await asyncio.gather(*(dev.close() for dev in devices), return_exceptions=True)
