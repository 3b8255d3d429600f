"""Simulated devices: many `/ws/device` connections in one process, lean on purpose.

Run as a worker: `python -m loadtests.devices.fleet` reads a JSON job on stdin and prints one
JSON result line. Modes:

- `ingest`: every device keeps up to `window` frames unacknowledged and sends telemetry as
  fast as acks allow; reports frames acknowledged (durable) during the measured interval;
- `paced`: devices send alarm frames at `rate` frames/s in total (a 5 ms ticker), each
  carrying its send time in `message`, for the console-latency benchmark;
- `idle`: authenticate and hold the connections (memory benchmark).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgpack


@dataclass
class Device:
    code: str
    key: str
    ws: aiohttp.ClientWebSocketResponse | None = None
    seq: int = 0
    acked: int = 0
    counted: int = 0  # acked frames inside the measured interval
    errors: list[str] = field(default_factory=list)
    room: asyncio.Event = field(default_factory=asyncio.Event)


async def connect(http: aiohttp.ClientSession, url: str, device: Device) -> None:
    ws = await http.ws_connect(url, autoping=True, compress=0, max_msg_size=0)
    await ws.send_bytes(msgpack.packb({"type": "auth", "device": device.code, "key": device.key}))
    msg = await ws.receive()
    if msg.type is not aiohttp.WSMsgType.BINARY:
        raise RuntimeError(f"{device.code}: refused ({ws.close_code} {msg.extra})")
    welcome = msgpack.unpackb(msg.data)
    device.ws, device.seq = ws, int(welcome["acked"])
    device.acked = device.seq


async def read_acks(device: Device, measuring: list[bool]) -> None:
    assert device.ws is not None
    async for msg in device.ws:
        if msg.type is not aiohttp.WSMsgType.BINARY:
            break
        data = msgpack.unpackb(msg.data)
        if data.get("type") == "ack":
            if measuring[0]:
                device.counted += data["seq"] - device.acked
            device.acked = data["seq"]
            device.room.set()
        elif data.get("type") == "error":
            device.errors.append(data.get("code", "?"))


async def saturate(device: Device, window: int, batch: int, stop: asyncio.Event) -> None:
    """Keep `window` frames in flight (sent `batch` per message)."""
    assert device.ws is not None
    while not stop.is_set():
        if device.seq - device.acked + batch > window:
            device.room.clear()
            await device.room.wait()
            continue
        frames = []
        for _ in range(batch):
            device.seq += 1
            frames.append({"type": "telemetry", "seq": device.seq, "metrics": {"v": 1.5}})
        message = frames[0] if batch == 1 else {"type": "batch", "frames": frames}
        await device.ws.send_bytes(msgpack.packb(message))


async def paced(devices: list[Device], rate: float, stop: asyncio.Event) -> int:
    """Alarm frames at `rate` per second over all devices, round robin, 5 ms ticks."""
    sent, start, turn = 0, time.monotonic(), 0
    while not stop.is_set():
        due = int((time.monotonic() - start) * rate) - sent
        for _ in range(max(0, due)):
            device = devices[turn % len(devices)]
            turn += 1
            device.seq += 1
            frame = {"type": "alarm", "seq": device.seq, "alarm": "bench", "severity": "MINOR",
                     "message": repr(time.time())}  # fmt: skip
            assert device.ws is not None
            await device.ws.send_bytes(msgpack.packb(frame))
            sent += 1
        await asyncio.sleep(0.005)
    return sent


async def run(job: dict[str, Any]) -> dict[str, Any]:
    devices = [Device(code, key) for code, key in job["devices"]]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        for start in range(0, len(devices), 100):
            await asyncio.gather(
                *(connect(http, job["url"], d) for d in devices[start : start + 100])
            )
        print(json.dumps({"connected": len(devices)}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
        return await _drive(job, devices)


async def _drive(job: dict[str, Any], devices: list[Device]) -> dict[str, Any]:
    measuring, stop = [False], asyncio.Event()
    readers = [asyncio.create_task(read_acks(d, measuring)) for d in devices]
    work: list[asyncio.Task[Any]] = []
    if job["mode"] == "ingest":
        work = [asyncio.create_task(saturate(d, job["window"], job["batch"], stop))
                for d in devices]  # fmt: skip
    elif job["mode"] == "paced":
        work = [asyncio.create_task(paced(devices, job["rate"], stop))]
    await asyncio.sleep(job.get("warmup_s", 1.0))
    measuring[0] = True
    began = time.monotonic()
    await asyncio.sleep(job["seconds"])
    measuring[0] = False
    elapsed = time.monotonic() - began
    stop.set()
    for d in devices:
        d.room.set()
    results = await asyncio.gather(*work, return_exceptions=True)
    await asyncio.sleep(0.5)  # last acks
    for task in readers:
        task.cancel()
    return {
        "elapsed_s": elapsed,
        "acked_in_window": sum(d.counted for d in devices),
        "acked_total": sum(d.acked for d in devices),
        "sent_total": sum(d.seq for d in devices),
        "errors": sorted({e for d in devices for e in d.errors}),
        "paced_sent": [r for r in results if isinstance(r, int)],
    }


def main() -> None:
    job = json.loads(sys.stdin.readline())
    result = asyncio.run(run(job))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
