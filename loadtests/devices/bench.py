"""Device benchmarks: durable ingest rate, device -> console latency, idle connection memory.

The hub is a `gridhub serve` subprocess (only the alarms plugin enabled, SQLite in the data
dir), pinned to core 0 when there are two cores; the device fleet and the console run in
other processes pinned to core 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from hub.audit import Actor
from hub.demo_data import DEMO_PASSWORD
from hub.devices import DeviceSpec
from hub.runtime import open_core
from hub.settings import Settings
from loadtests.realtime.servers import (
    GRIDHUB,
    ServerProcess,
    cpu_seconds,
    fast_auth_env,
    free_port,
    pinning,
    server_prefix,
)
from loadtests.realtime.stats import latency_summary

KEYS = "bench-device-keys.json"
BENCH_GRID = "370783-001-001-01"
CONSOLE_USER = "county.cmd"


@dataclass
class Options:
    data_dir: Path
    devices: int = 1000
    seconds: float = 10.0
    window: int = 64
    batch: int = 1
    rate: float = 2000.0
    hub_config: dict[str, Any] = field(default_factory=dict)  # extra alarms plugin settings


def seed(data_dir: Path) -> dict[str, str]:
    """Seed the demo county once; the bench device keys registered so far."""
    keys_file = data_dir / KEYS
    keys: dict[str, str] = json.loads(keys_file.read_text()) if keys_file.exists() else {}
    if not (data_dir / "gridhub.db").exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        command = [str(GRIDHUB), "seed-demo", "--data-dir", str(data_dir)]
        subprocess.run(command, env=fast_auth_env(), check=True, capture_output=True)
    return keys


async def prepare(data_dir: Path, count: int) -> dict[str, str]:
    """The demo county plus `count` bench devices in grid BENCH_GRID (keys kept in KEYS)."""
    keys = await asyncio.to_thread(seed, data_dir)
    keys_file = data_dir / KEYS
    if len(keys) < count:
        async with open_core(Settings(data_dir=data_dir)) as core:
            for i in range(len(keys) + 1, count + 1):
                spec = DeviceSpec(code=f"bench-{i:05d}", name=f"bench {i}",
                                  device_type="other", grid=BENCH_GRID)  # fmt: skip
                issued = await core.devices.add(spec, core.grids.index, _actor())
                keys[issued.code] = issued.key
        await asyncio.to_thread(keys_file.write_text, json.dumps(keys))
    return dict(list(keys.items())[:count])


def _actor() -> Actor:
    return Actor("bench")


def hub(data_dir: Path, config: dict[str, Any]) -> ServerProcess:
    port = free_port()
    argv = [*server_prefix(), str(GRIDHUB), "serve", "--data-dir", str(data_dir)]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    env = fast_auth_env()
    env["GRIDHUB_PLUGINS__ENABLED"] = '["alarms"]'
    env["GRIDHUB_PLUGINS__CONFIG"] = json.dumps({"alarms": config})
    return ServerProcess(argv, port, env, data_dir / "hub.log")


class Fleet:
    """A worker process driving a share of the devices (loadtests.devices.fleet)."""

    def __init__(self, job: dict[str, Any]) -> None:
        prefix = ["taskset", "-c", "1"] if pinning() else []
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "loadtests.devices.fleet"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()

    async def line(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        text = await asyncio.get_running_loop().run_in_executor(None, self.proc.stdout.readline)
        if not text:
            raise RuntimeError("fleet worker ended early")
        data: dict[str, Any] = json.loads(text)
        return data

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


async def fleets(url: str, keys: dict[str, str], job: dict[str, Any], workers: int) -> list[Fleet]:
    items = list(keys.items())
    share = -(-len(items) // workers)
    made = [
        Fleet({**job, "url": url, "devices": items[i * share : (i + 1) * share]})
        for i in range(workers)
    ]
    for fleet in made:
        await fleet.line()  # connected
    return made


async def ingest(opts: Options) -> dict[str, Any]:
    keys = await prepare(opts.data_dir, opts.devices)
    server = hub(opts.data_dir, {"rate_per_s": 1000, "rate_burst": 5000})
    await server.start()
    try:
        url = server.url.replace("http", "ws", 1) + "/ws/device"
        job = {"mode": "ingest", "seconds": opts.seconds, "window": opts.window,
               "batch": opts.batch}  # fmt: skip
        made = await fleets(url, keys, job, 2)
        pids = [f.proc.pid for f in made]
        cpu_before, wall_before = cpu_seconds(server.pid), time.monotonic()
        fleet_before = sum(cpu_seconds(p) for p in pids)
        for fleet in made:
            fleet.go()
        await asyncio.sleep(opts.seconds)
        wall = time.monotonic() - wall_before
        hub_cpu = (cpu_seconds(server.pid) - cpu_before) / wall
        fleet_cpu = (sum(cpu_seconds(p) for p in pids) - fleet_before) / wall
        results = [await f.line() for f in made]
        for fleet in made:
            fleet.close()
    finally:
        server.stop()
    acked = sum(r["acked_in_window"] for r in results)
    elapsed = max(r["elapsed_s"] for r in results)
    return {
        "devices": opts.devices,
        "batch": opts.batch,
        "window": opts.window,
        "frames_durable_per_s": round(acked / elapsed),
        "hub_cpu_share": round(hub_cpu, 2),
        "fleet_cpu_share": round(fleet_cpu, 2),
        "errors": sorted({e for r in results for e in r["errors"]}),
    }


async def memory(opts: Options) -> dict[str, Any]:
    """RSS per idle, authenticated device connection, at steady state: N devices are connected
    and held first (the hub's one-off allocations happen then), then N more; the growth over
    the second N, divided by N, is what each further idle device costs."""
    keys = list((await prepare(opts.data_dir, 2 * opts.devices)).items())
    server = hub(opts.data_dir, {})
    await server.start()
    try:
        url = server.url.replace("http", "ws", 1) + "/ws/device"
        first = await fleets(url, dict(keys[: opts.devices]), {"mode": "idle"}, 1)
        await asyncio.sleep(2.0)
        before = server.rss_kib()
        second = await fleets(url, dict(keys[opts.devices :]), {"mode": "idle"}, 1)
        await asyncio.sleep(2.0)
        after = server.rss_kib()
        for fleet in [*first, *second]:
            fleet.close()
    finally:
        server.stop()
    per_device = (after - before) * 1024 / opts.devices
    return {"held_before": opts.devices, "devices": opts.devices, "rss_before_kib": before,
            "rss_after_kib": after, "bytes_per_idle_device": round(per_device)}  # fmt: skip


async def latency(opts: Options) -> dict[str, Any]:
    keys = await prepare(opts.data_dir, opts.devices)
    server = hub(opts.data_dir, {"rate_per_s": 1000, "rate_burst": 5000, **opts.hub_config})
    await server.start()
    samples: list[float] = []
    try:
        console = await _console(server.url, samples)
        url = server.url.replace("http", "ws", 1) + "/ws/device"
        job = {"mode": "paced", "seconds": opts.seconds, "rate": opts.rate, "warmup_s": 1.0}
        made = await fleets(url, keys, job, 1)
        cpu_before, wall_before = cpu_seconds(server.pid), time.monotonic()
        made[0].go()
        result = await made[0].line()
        hub_cpu = (cpu_seconds(server.pid) - cpu_before) / (time.monotonic() - wall_before)
        made[0].close()
        await console.disconnect()
    finally:
        server.stop()
    return {"devices": opts.devices, "rate_per_s": opts.rate,
            "sent": result["paced_sent"], "console": latency_summary(samples),
            "hub_cpu_share": round(hub_cpu, 2),
            "errors": result["errors"]}  # fmt: skip


async def _console(base: str, samples: list[float]) -> socketio.AsyncClient:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            base + "/api/v1/auth/login", json={"username": CONSOLE_USER, "password": DEMO_PASSWORD}
        ) as response,
    ):
        token = (await response.json())["access_token"]
    sio = socketio.AsyncClient(reconnection=False)

    async def changed(data: dict[str, Any]) -> None:
        now = time.time()  # one event carries every change of a commit: one sample per change
        for item in data.get("items", []):
            with contextlib.suppress(KeyError, ValueError):
                samples.append(now - float(item["message"]))

    sio.on("alarms.changed", changed)
    await sio.connect(base, auth={"token": token}, transports=["websocket"])
    return sio
