"""Dispatch benchmark: incidents created and dispatched at a fixed rate, watched by consoles.

    python -m loadtests.dispatch --rate 200 --duration 60

Starts `gridhub demo` on a fresh data dir (pinned to core 0; the generator pins itself to core
1), signs in dispatchers and command-centre consoles over socket.io, then for `duration` seconds
files `rate` incidents per second (`dispatch.report` by the county dispatcher, registered at
once) and dispatches each to the worker of its grid (`dispatch.act`). Every console measures
change -> delivery latency: arrival time minus the incident's `updated_at` (written when the
change is made, before it commits). Open loop, bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from loadtests.dispatch.plan import Targets, load_targets
from loadtests.realtime.accounts import login
from loadtests.realtime.servers import (
    cpu_seconds,
    hub_process,
    pin_self_to_client_core,
    wait_for_text,
)
from loadtests.realtime.stats import flatten, latency_summary, table

CONSOLES = ("county.cmd", "town1.cmd", "town2.cmd", "town3.cmd", "v01.cmd")
DEMO_PASSWORD = "Demo@2026"
MAX_IN_FLIGHT = 2000


class Console:
    """A command-centre console: records change -> delivery latency of every push."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.latencies: list[float] = []
        self.sio.on("dispatch.incident", self._pushed)

    async def _pushed(self, event: dict[str, Any]) -> None:
        changed = datetime.fromisoformat(event["incident"]["updated_at"]).timestamp()
        self.latencies.append(time.time() - changed)


class Load:
    def __init__(self, dispatchers: list[socketio.AsyncClient], targets: Targets) -> None:
        self.dispatchers = dispatchers
        self.targets = targets
        self.done = 0
        self.errors: dict[str, int] = {}
        self.report_s: list[float] = []
        self.dispatch_s: list[float] = []
        self.gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def one(self, n: int) -> None:
        try:
            await self._one(n)
        except socketio.exceptions.TimeoutError:  # no ack within 30 s: the hub fell behind
            self.errors["ack_timeout"] = self.errors.get("ack_timeout", 0) + 1

    async def _one(self, n: int) -> None:
        async with self.gate:
            sio = self.dispatchers[n % len(self.dispatchers)]
            grid, worker = self.targets.pick(n)
            started = time.perf_counter()
            reply = await sio.call("dispatch.report", {
                "title": f"压测事件 {n}", "category": "env_sanitation", "grid": grid,
            }, timeout=30)  # fmt: skip
            if not self._ok(reply):
                return
            incident = reply["incident"]
            middle = time.perf_counter()
            reply = await sio.call("dispatch.act", {
                "incident_id": incident["id"], "action": "dispatch",
                "version": incident["version"],
                "assignees": [{"kind": "person", "target": str(worker)}],
            }, timeout=30)  # fmt: skip
            if self._ok(reply):
                self.report_s.append(middle - started)
                self.dispatch_s.append(time.perf_counter() - middle)
                self.done += 1

    def _ok(self, reply: dict[str, Any]) -> bool:
        if reply.get("ok"):
            return True
        code = reply.get("error", {}).get("code", "unknown")
        self.errors[code] = self.errors.get(code, 0) + 1
        return False


async def connect(url: str, username: str, sio: socketio.AsyncClient) -> None:
    async with aiohttp.ClientSession() as http:
        account = await login(http, url, username, DEMO_PASSWORD)
    await sio.connect(url, auth={"token": account.token}, transports=["websocket"])


async def drive(load: Load, rate: float, duration: float) -> float:
    """Start one incident every 1/rate s for `duration` s; wait for them; return elapsed s."""
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    for n in range(int(rate * duration)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(load.one(n)))
    await asyncio.gather(*tasks)  # each call gives up after 30 s: bounded
    return time.perf_counter() - start


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    rate, duration = args.rate, args.duration
    if args.url is not None:  # a hub the operator started (demo accounts): measure it as it is
        return await _measure(args.url, None, rate, duration, None)
    hub = hub_process(data_dir)
    hub.env["GRIDHUB_REALTIME__PING_INTERVAL_S"] = "25"
    if args.database_url:
        hub.env["GRIDHUB_DATABASE_URL"] = args.database_url
    await hub.start()
    await wait_for_text(hub, "is listening", 120.0)
    try:
        return await _measure(hub.url, hub.pid, rate, duration, args.profile)
    finally:
        hub.stop()


async def _measure(
    url: str, pid: int | None, rate: float, duration: float, profile: Path | None
) -> dict[str, Any]:
    targets = await load_targets(url)
    consoles = [Console() for _ in CONSOLES]
    for console, name in zip(consoles, CONSOLES, strict=True):
        await connect(url, name, console.sio)
    dispatchers = [socketio.AsyncClient(reconnection=False) for _ in range(4)]
    for sio in dispatchers:
        await connect(url, "county.dispatch", sio)
    load = Load(dispatchers, targets)
    spy = profiler(pid, profile)
    cpu_before = cpu_seconds(pid) if pid else 0.0
    elapsed = await drive(load, rate, duration)
    cpu = cpu_seconds(pid) - cpu_before if pid else float("nan")
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its profile when interrupted
        spy.wait(timeout=60)
    await asyncio.sleep(1.0)  # let the last pushes arrive before counting them
    for sio in [*dispatchers, *(c.sio for c in consoles)]:
        await sio.disconnect()
    deliveries = [s for c in consoles for s in c.latencies]
    return {
        "offered_per_s": rate,
        "duration_s": duration,
        "incidents_dispatched": load.done,
        "dispatched_per_s": round(load.done / elapsed, 1),
        "errors": load.errors,
        "report_ack": latency_summary(load.report_s),
        "dispatch_ack": latency_summary(load.dispatch_s),
        "console_delivery": latency_summary(deliveries),
        "hub_cpu_percent": round(100 * cpu / elapsed, 1),
        "hub_cpu_ms_per_incident": round(1000 * cpu / max(load.done, 1), 2),
    }


def profiler(pid: int | None, out: Path | None) -> subprocess.Popen[bytes] | None:
    """py-spy (not a project dependency) sampling the hub for the load window, if asked."""
    if pid is None or out is None:
        return None
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    argv = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--rate",
        "200",
        "--nonblocking",
        "--format",
        "raw",
        "-o",
        str(out),
    ]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m loadtests.dispatch", description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="incidents per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--data-dir", type=Path, help="default: a fresh temporary directory")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--url", help="measure a running hub with the demo accounts instead")
    parser.add_argument("--database-url", help="an empty database for the hub (default SQLite)")
    parser.add_argument("--profile", type=Path, help="py-spy the hub into this file (raw stacks)")
    args = parser.parse_args(argv)
    if not 0 < args.rate <= 2000 or not 0 < args.duration <= 600:
        parser.error("rate must be in (0, 2000] and duration in (0, 600]")
    pin_self_to_client_core()
    with tempfile.TemporaryDirectory(prefix="gridhub-dispatch-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run(args, data_dir))
    print(table("dispatch: create + dispatch under load", flatten("", result)))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
