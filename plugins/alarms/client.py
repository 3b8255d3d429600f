"""Reference device client for `/ws/device` (docs/device-protocol.md), and a demo simulator.

    python -m plugins.alarms.client simulate --url http://127.0.0.1:8080 \\
        --keys data/demo-device-keys.json

`DeviceClient` keeps every frame until the hub acknowledges it, and after a reconnect resends
what the hub's `welcome` does not cover; the hub drops anything it already stored. Firmware
must keep `seq` (and its unacked frames) across reboots; this client keeps them in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import msgpack


class DeviceRefused(Exception):
    """The hub closed the connection (code and reason as documented)."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code, self.reason = code, reason


class DeviceClient:
    def __init__(
        self, base_url: str, code: str, key: str, *, binary: bool = False, seq: int = 0
    ) -> None:
        self.url = base_url.rstrip("/").replace("http", "ws", 1) + "/ws/device"
        self.code, self.key, self.binary = code, key, binary
        self.seq = seq
        self.acked = 0
        self.unacked: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self.errors: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] = {}
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready = False
        self._acked = asyncio.Condition()

    # --- connection --------------------------------------------------------------------------

    async def connect(self) -> dict[str, Any]:
        """Open, authenticate, resend what is unacked; returns the hub's `welcome`."""
        self._http = self._http or aiohttp.ClientSession()
        self._ready = False
        self._ws = await self._http.ws_connect(self.url, autoping=True)
        await self._send({"type": "auth", "device": self.code, "key": self.key})
        self.welcome = await self._receive()
        await self._on_ack(int(self.welcome["acked"]))
        await self._resend()
        self._ready = True  # from here on, new frames go out as they are made
        self._reader = asyncio.create_task(self._read())
        return self.welcome

    async def _resend(self) -> None:
        """Everything unacked, in seq order, including frames made while resending: the hub
        drops a frame whose seq is not above the last it accepted, so order matters."""
        sent = self.acked
        while pending := [f for s, f in self.unacked.items() if s > sent]:
            for frame in pending:
                await self._send(frame)
                sent = frame["seq"]

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        self._ws = self._http = self._reader = None
        self._ready = False

    @property
    def connected(self) -> bool:
        return self._ready and self._ws is not None and not self._ws.closed

    # --- frames ------------------------------------------------------------------------------

    async def telemetry(self, ts: float | None = None, **metrics: float) -> int:
        return await self.frame({"type": "telemetry", "metrics": metrics, "ts": ts})

    async def alarm(self, alarm: str, severity: str = "MAJOR", **more: Any) -> int:
        return await self.frame({"type": "alarm", "alarm": alarm, "severity": severity, **more})

    async def clear(self, alarm: str, message: str = "") -> int:
        return await self.frame({"type": "clear", "alarm": alarm, "message": message})

    async def heartbeat(self, firmware: str | None = None) -> int:
        return await self.frame({"type": "heartbeat", "firmware": firmware})

    async def frame(self, fields: dict[str, Any]) -> int:
        """Number, keep and (when connected) send one frame; returns its seq."""
        self.seq += 1
        given = {k: v for k, v in fields.items() if v is not None}
        frame = {"seq": self.seq, "ts": time.time(), **given}
        self.unacked[self.seq] = frame
        if self.connected:
            await self._send(frame)
        return self.seq

    async def batch(self, frames: list[dict[str, Any]]) -> int:
        """Send several frames in one `batch` message."""
        numbered = []
        for fields in frames:
            self.seq += 1
            frame = {**fields, "seq": self.seq, "ts": fields.get("ts", time.time())}
            self.unacked[self.seq] = frame
            numbered.append(frame)
        if self.connected:
            await self._send({"type": "batch", "frames": numbered})
        return self.seq

    async def wait_acked(self, seq: int, within_s: float = 10.0) -> None:
        async with asyncio.timeout(within_s), self._acked:
            await self._acked.wait_for(lambda: self.acked >= seq)

    # --- wire --------------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._ws is not None
        if self.binary:
            await self._ws.send_bytes(msgpack.packb(message, use_bin_type=True))
        else:
            await self._ws.send_str(json.dumps(message))

    async def _receive(self) -> dict[str, Any]:
        assert self._ws is not None
        msg = await self._ws.receive()
        if msg.type is aiohttp.WSMsgType.TEXT:
            data: dict[str, Any] = json.loads(msg.data)
            return data
        if msg.type is aiohttp.WSMsgType.BINARY:
            unpacked: dict[str, Any] = msgpack.unpackb(msg.data, raw=False)
            return unpacked
        raise DeviceRefused(self._ws.close_code, str(msg.extra or ""))

    async def _read(self) -> None:
        while True:
            try:
                message = await self._receive()
            except DeviceRefused:
                return
            if message.get("type") == "ack":
                await self._on_ack(int(message["seq"]))
            elif message.get("type") == "error":
                self.errors.append(message)

    async def _on_ack(self, seq: int) -> None:
        async with self._acked:
            self.acked = max(self.acked, seq)
            for stale in [s for s in self.unacked if s <= seq]:
                del self.unacked[stale]
            self._acked.notify_all()


# --- demo simulator ----------------------------------------------------------------------------

# by the slug in the demo device codes (dev-<slug>-NN)
READINGS: dict[str, Callable[[float], dict[str, float]]] = {
    "wl": lambda t: {"level": 2.6 + 0.9 * abs(((t / 120) % 2) - 1)},
    "temp": lambda t: {"temperature": 28 + 20 * abs(((t / 90) % 2) - 1)},
    "gas": lambda t: {"ppm": 150 + random.random() * 700 + (1200 if random.random() < 0.02 else 0)},
}
ALARMS = {
    "smoke": ("smoke", "CRITICAL"),
    "door": ("door_open", "MINOR"),
    "mh": ("cover_open", "MAJOR"),
    "cam": ("intrusion", "MAJOR"),
}  # fmt: skip


async def simulate(url: str, keys: dict[str, str], period_s: float) -> None:
    """Every demo device sends heartbeats and readings; a few raise and clear alarms."""
    await asyncio.gather(*(_simulate_one(url, c, k, period_s) for c, k in keys.items()))


async def _simulate_one(url: str, code: str, key: str, period_s: float) -> None:
    client = DeviceClient(url, code, key, seq=int(time.time() * 1000))
    slug = code.split("-")[1] if code.count("-") >= 2 else ""
    reading, alarm = READINGS.get(slug), ALARMS.get(slug)
    await client.connect()
    await client.heartbeat(firmware="demo-1.0")
    while True:
        await asyncio.sleep(period_s * (0.5 + random.random()))
        if reading is not None:
            await client.telemetry(**reading(time.time()))
        if alarm is not None and random.random() < 0.05:
            await client.alarm(alarm[0], alarm[1], message="simulated")
        elif alarm is not None and random.random() < 0.05:
            await client.clear(alarm[0])
        else:
            await client.heartbeat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="drive the demo devices against a running hub")
    sim.add_argument("--url", default="http://127.0.0.1:8080")
    sim.add_argument("--keys", type=Path, required=True, help="demo-device-keys.json")
    sim.add_argument("--period", type=float, default=5.0, help="seconds between frames")
    args = parser.parse_args()
    keys = json.loads(args.keys.read_text())
    asyncio.run(simulate(args.url, keys, args.period))


if __name__ == "__main__":
    main()
