"""Benchmark 1: N authenticated sockets held across ping cycles; server memory per socket."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from dataclasses import dataclass
from typing import Any

from loadtests.realtime.accounts import login_bench
from loadtests.realtime.servers import (
    ServerProcess,
    baseline_process,
    cpu_mark,
    cpu_usage,
    hub_process,
)
from loadtests.realtime.settings import BenchOptions
from loadtests.realtime.stats import latency_summary

PER_WORKER = 5000
SETTLE_S = 2.0


@dataclass
class Worker:
    proc: asyncio.subprocess.Process

    async def line(self, wait_s: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), wait_s)
        if not raw:
            raise RuntimeError(f"worker {self.proc.pid} exited early ({self.proc.returncode})")
        result: dict[str, Any] = json.loads(raw)
        return result

    async def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode() + b"\n")
        await self.proc.stdin.drain()


async def start_worker(settings: dict[str, Any]) -> Worker:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loadtests.realtime.worker",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**24,
    )  # fmt: skip
    worker = Worker(proc)
    await worker.send(json.dumps(settings))
    return worker


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def spawn_workers(url: str, tokens: list[str], opts: BenchOptions) -> list[Worker]:
    parts = max(opts.workers or 0, math.ceil(opts.connections / PER_WORKER), 1)
    workers = []
    for index, count in enumerate(split(opts.connections, parts)):
        mine = tokens[index::parts] or tokens
        settings = {"url": url, "tokens": mine, "count": count, "parallel": opts.parallel,
                    "heartbeat_s": opts.heartbeat_s}  # fmt: skip
        workers.append(await start_worker(settings))
    return workers


async def hold(hub: ServerProcess, workers: list[Worker], seconds: float) -> list[int]:
    """Wait ``seconds`` with every socket open, sampling the hub's RSS every second."""
    samples, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(min(1.0, max(0.0, end - time.monotonic())))
        samples.append(hub.rss_kib())
        if any(w.proc.returncode is not None for w in workers):
            raise RuntimeError("a load-generator worker died during the hold")
    return samples


def connect_figures(lines: list[dict[str, Any]], wanted: int) -> dict[str, Any]:
    ok = sum(int(x["ok"]) for x in lines)
    span = max(float(x["end"]) for x in lines) - min(float(x["start"]) for x in lines)
    failures: dict[str, int] = {}
    for x in lines:
        for reason, n in x["failures"].items():
            failures[reason] = failures.get(reason, 0) + int(n)
    return {"requested": wanted, "connected": ok, "failed": wanted - ok,
            "connect_seconds": round(span, 3), "connect_rate_per_s": round(ok / span, 1),
            "failure_reasons": failures}  # fmt: skip


def hold_figures(lines: list[dict[str, Any]]) -> dict[str, Any]:
    beats = [float(v) for x in lines for v in x["beat_latency_s"]]
    drops: dict[str, int] = {}
    for x in lines:
        for reason, n in x["drop_reasons"].items():
            drops[reason] = drops.get(reason, 0) + int(n)
    return {
        "alive_at_end": sum(int(x["alive"]) for x in lines),
        "dropped_during_hold": sum(int(x["dropped"]) for x in lines),
        "drop_reasons": drops,
        "pings_answered": sum(int(x["pings_total"]) for x in lines),
        "pings_min_per_socket": min(int(x["pings_min"]) for x in lines),
        "heartbeats_ok": sum(int(x["beats_ok"]) for x in lines),
        "heartbeats_failed": sum(int(x["beats_failed"]) for x in lines),
        "heartbeat_ack": latency_summary(beats),
    }


def memory_figures(before: int, after_connect: int, samples: list[int], n: int) -> dict[str, Any]:
    held = samples[-1] if samples else after_connect
    return {
        "rss_before_kib": before,
        "rss_after_connect_kib": after_connect,
        "rss_end_of_hold_kib": held,
        "rss_peak_kib": max([after_connect, *samples]),
        "per_connection_kb": round((held - before) * 1.024 / max(n, 1), 2),
        "per_connection_kib": round((held - before) / max(n, 1), 2),
    }


async def run_connections(opts: BenchOptions) -> dict[str, Any]:
    hub = hub_process(opts.data_dir, opts.ping_interval_s)
    await hub.start()
    try:
        accounts = await login_bench(hub.url, min(opts.accounts, opts.connections))
        result = await _measure(hub, [a.token for a in accounts], opts)
    finally:
        hub.stop()
    if opts.connections_baseline:
        result["baseline"] = await run_connections_baseline(opts)
    return result


async def run_connections_baseline(opts: BenchOptions) -> dict[str, Any]:
    """The same load against the bare python-socketio server (no auth), for comparison."""
    server = baseline_process(opts.data_dir, opts.ping_interval_s)
    await server.start()
    try:
        result = await _measure(server, ["baseline"], opts)
    finally:
        server.stop()
    return {key: result[key] for key in ("connect", "hold", "memory", "cpu")}


async def _measure(hub: ServerProcess, tokens: list[str], opts: BenchOptions) -> dict[str, Any]:
    await asyncio.sleep(SETTLE_S)
    before, cpu_before = hub.rss_kib(), cpu_mark(hub.pid)
    workers = await spawn_workers(hub.url, tokens, opts)
    connected = [await w.line(opts.connections / 50 + 120) for w in workers]
    after_connect = hub.rss_kib()
    samples = await hold(hub, workers, opts.duration_s)
    usage = cpu_usage(cpu_before, cpu_mark(hub.pid, [w.proc.pid for w in workers]))
    for w in workers:
        await w.send("release")
    done = [await w.line(120) for w in workers]
    await asyncio.gather(*(w.proc.wait() for w in workers))
    figures = connect_figures(connected, opts.connections)
    return {
        "benchmark": "connections",
        "settings": {**opts.public(), "workers": len(workers), "accounts": len(tokens)},
        "connect": figures,
        "hold": {"seconds": opts.duration_s, **hold_figures(done)},
        "memory": memory_figures(before, after_connect, samples, int(figures["connected"])),
        "cpu": usage,
    }
