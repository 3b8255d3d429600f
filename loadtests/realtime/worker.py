"""Load-generator worker process for the connections benchmark.

Reads one JSON line of settings on stdin, opens that many authenticated sockets, prints a
``connected`` JSON line, sends ``presence.activity`` heartbeats while holding, and on a
``release`` line on stdin (or EOF) closes everything and prints a ``done`` JSON line.
Started by :mod:`loadtests.realtime.connections`; run as ``python -m loadtests.realtime.worker``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import uvloop

from loadtests.realtime.lean import ConnectRefused, LeanSocket

HEARTBEAT_TICK_S = 0.25


@dataclass
class Held:
    """What one worker holds and has counted."""

    sockets: list[LeanSocket] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    beats_ok: int = 0
    beats_failed: int = 0
    beat_latency_s: list[float] = field(default_factory=list)


async def connect_one(
    http: aiohttp.ClientSession, url: str, token: str, held: Held, gate: asyncio.Semaphore
) -> None:
    async with gate:
        sock = LeanSocket(http, url)
        try:
            await sock.connect({"token": token})
        except ConnectRefused as exc:
            held.failures[f"refused {exc}"[:160]] += 1
            await sock.close()
            return
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            held.failures[type(exc).__name__] += 1
            await sock.close()
            return
        held.sockets.append(sock)


async def heartbeats(held: Held, interval_s: float) -> None:
    """Each socket sends ``presence.activity`` every ``interval_s``, spread evenly in time."""
    slots = max(1, round(interval_s / HEARTBEAT_TICK_S))
    tick = 0
    while True:
        await asyncio.sleep(HEARTBEAT_TICK_S)
        tick += 1
        for index in range(tick % slots, len(held.sockets), slots):
            await beat(held, held.sockets[index])


async def beat(held: Held, sock: LeanSocket) -> None:
    if sock.closed:
        return
    sent = time.time()

    def acked(data: Any, at: float) -> None:
        if isinstance(data, dict) and data.get("ok"):
            held.beats_ok += 1
            held.beat_latency_s.append(at - sent)
        else:
            held.beats_failed += 1

    try:
        await sock.emit_ack("presence.activity", {}, acked)
    except (ConnectionError, aiohttp.ClientError):
        held.beats_failed += 1


def emit_line(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def read_line() -> str:
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


def summary(held: Held) -> dict[str, Any]:
    pings = [s.pings for s in held.sockets]
    lat = sorted(held.beat_latency_s)
    return {
        "phase": "done",
        "alive": sum(1 for s in held.sockets if not s.closed),
        "dropped": sum(1 for s in held.sockets if s.closed),
        "drop_reasons": dict(Counter(s.close_reason for s in held.sockets if s.closed)),
        "pings_total": sum(pings),
        "pings_min": min(pings, default=0),
        "beats_ok": held.beats_ok,
        "beats_failed": held.beats_failed,
        "beat_latency_s": lat[:: max(1, len(lat) // 2000)],
    }


def connected_line(held: Held, start: float, end: float) -> dict[str, Any]:
    failures = dict(held.failures.most_common(5))
    ok, failed = len(held.sockets), held.failures.total()
    return {"phase": "connected", "ok": ok, "failed": failed, "failures": failures,
            "start": start, "end": end}  # fmt: skip


async def run(settings: dict[str, Any]) -> None:
    tokens: list[str] = settings["tokens"]
    held, gate = Held(), asyncio.Semaphore(int(settings["parallel"]))
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        start = time.time()
        jobs = [
            connect_one(http, settings["url"], tokens[i % len(tokens)], held, gate)
            for i in range(int(settings["count"]))
        ]
        await asyncio.gather(*jobs)
        end = time.time()
        emit_line(connected_line(held, start, end))
        beater = asyncio.create_task(heartbeats(held, float(settings["heartbeat_s"])))
        await read_line()
        beater.cancel()
        emit_line(summary(held))
        await asyncio.gather(*(s.close() for s in held.sockets), return_exceptions=True)


def main() -> None:
    settings = json.loads(sys.stdin.readline())
    uvloop.run(run(settings))


if __name__ == "__main__":
    main()
