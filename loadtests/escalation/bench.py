"""Escalation benchmark: N active chains on one hub process; how late do their steps fire?

One process runs a real hub (demo county, escalation plugin, durable timers on SQL or Redis)
without any socket clients. Alarms (``AlarmChanged``, action raised) are published on the hub's
own bus in bursts -- an alarm storm -- spread over ``--window`` seconds, each starting a chain
whose steps fire ``--steps`` seconds after its start. Once every chain has been started they are
all active at once; the run ends when every chain has finished. Step firing lateness is the
time from a step's due time to the start of its handler, as audited with each step.

    python -m loadtests.escalation --chains 10000 --window 40 --steps 45,90 --timers sql
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import uvloop
from aiohttp import web
from sqlalchemy import func, select

from hub.app import build_app
from hub.bus import MessageBus
from hub.keys import BUS, GRIDS, SESSIONS, TIMERS
from hub.runtime import open_core, seed_demo
from hub.settings import Settings
from loadtests.realtime.cluster import fresh_database, start_redis
from loadtests.realtime.stats import latency_summary, percentile, table
from plugins.alarms.messages import AlarmChanged
from plugins.escalation import EscalationPlugin
from plugins.escalation.models import Chain
from storage.models import AuditEntry

FAST_HASHING = {"hash_time_cost": 1, "hash_memory_kib": 1024, "hash_parallelism": 1}
LEVELS = ("village", "town", "county")


@dataclass(frozen=True)
class Options:
    chains: int
    window_s: float
    burst: int
    steps: tuple[float, ...]
    timers: str
    postgres: str | None
    data_dir: Path | None
    finish_s: float


def policy(opts: Options) -> dict[str, Any]:
    steps = [
        {"level": LEVELS[min(i, len(LEVELS) - 1)], "after_s": at} for i, at in enumerate(opts.steps)
    ]
    return {"name": "bench", "trigger": "alarm", "steps": steps}


@contextlib.asynccontextmanager
async def hub(opts: Options, workdir: Path) -> AsyncIterator[web.Application]:
    """A seeded hub with the escalation plugin, started (no listening socket needed)."""
    async with contextlib.AsyncExitStack() as stack:
        redis_url = None
        if opts.timers == "redis":
            server = await start_redis(workdir)
            stack.callback(server.stop)
            redis_url = f"redis://127.0.0.1:{server.port}/0"
        database_url = f"sqlite+aiosqlite:///{workdir / 'gridhub.db'}"
        if opts.postgres:
            database_url = await stack.enter_async_context(fresh_database(opts.postgres))
        settings = Settings(
            data_dir=workdir,
            database_url=database_url,
            redis_url=redis_url,
            auth=FAST_HASHING,
            timers={"backend": opts.timers},
            plugins={"config": {"escalation": {"policies": [policy(opts)]}}},
        )
        async with open_core(settings) as core:
            await seed_demo(core, workdir)
        app = build_app(settings, available_plugins={"escalation": EscalationPlugin()})
        runner = web.AppRunner(app)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        yield app


def alarm(alarm_id: int, grid_id: int) -> AlarmChanged:
    return AlarmChanged(
        alarm_id=alarm_id,
        device_id=alarm_id,
        device_code=f"bench-{alarm_id}",
        grid_id=grid_id,
        type="water_level",
        severity="CRITICAL",
        active=True,
        acknowledged=False,
        action="raised",
        count=1,
        value=3.0,
        message="bench",
        actor_id=None,
    )


async def start_chains(bus: MessageBus, grids: list[int], opts: Options) -> float:
    """Publish the alarms in bursts spread over the window; returns when the last went out."""
    bursts = max(1, -(-opts.chains // opts.burst))
    gap = opts.window_s / bursts
    begin = time.monotonic()
    for b in range(bursts):
        await asyncio.sleep(max(0.0, begin + b * gap - time.monotonic()))
        ids = range(b * opts.burst, min(opts.chains, (b + 1) * opts.burst))
        await asyncio.gather(*(bus.publish(alarm(i + 1, grids[i % len(grids)])) for i in ids))
    return time.monotonic() - begin


async def count(app: web.Application, *where: Any) -> int:
    async with app[SESSIONS]() as session:
        return int(await session.scalar(select(func.count()).select_from(Chain).where(*where)) or 0)


async def wait_finished(app: web.Application, opts: Options) -> int:
    """Wait until every chain started and finished; returns the most seen active at once."""
    deadline = time.monotonic() + opts.window_s + max(opts.steps) + opts.finish_s
    peak = 0
    while (active := await count(app, Chain.state == "active")) or await count(app) < opts.chains:
        peak = max(peak, active)
        if time.monotonic() > deadline:
            raise RuntimeError("chains did not finish in time")
        await asyncio.sleep(1.0)
    return peak


async def step_lateness(app: web.Application) -> list[float]:
    statement = select(AuditEntry.details).where(AuditEntry.action == "escalation.chain.step")
    async with app[SESSIONS]() as session:
        rows = (await session.scalars(statement)).all()
    return sorted(float(d["fired_at"]) - float(d["due_at"]) for d in rows)


async def run(opts: Options) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gridhub-esc-") as scratch:
        workdir = opts.data_dir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        async with hub(opts, workdir) as app:
            index = app[GRIDS].index
            grids = sorted(n.id for n in index if n.level == "grid" and not n.is_overlay)
            cpu, began = time.process_time(), time.monotonic()
            started_in = await start_chains(app[BUS], grids, opts)
            await app[BUS].flush()
            peak = await wait_finished(app, opts)
            elapsed, cpu = time.monotonic() - began, time.process_time() - cpu
            lateness = await step_lateness(app)
            stats = app[TIMERS].stats
    return {
        "options": {**asdict(opts), "data_dir": str(opts.data_dir or "")},
        "machine": machine(),
        "started_in_s": round(started_in, 2),
        "peak_active": peak,
        "steps": latency_summary(lateness),
        "steps_p95_ms": round(percentile(lateness, 95) * 1000, 3),
        "elapsed_s": round(elapsed, 1),
        "cpu_s": round(cpu, 1),
        "timer_stats": asdict(stats),
    }


def machine() -> str:
    cores = os.cpu_count()
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {cores} cores, Python {platform.python_version()}, uvloop"


def parse(argv: list[str] | None = None) -> tuple[Options, Path | None]:
    p = argparse.ArgumentParser(
        prog="python -m loadtests.escalation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--chains", type=int, default=10_000)
    p.add_argument("--window", type=float, default=40.0, help="seconds over which chains start")
    p.add_argument("--burst", type=int, default=50, help="alarms published at the same instant")
    p.add_argument("--steps", default="45,90", help="step offsets from chain start, seconds")
    p.add_argument("--timers", choices=("sql", "redis"), default="sql")
    p.add_argument("--postgres", help="admin URL of a PostgreSQL server (default: SQLite)")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--finish", type=float, default=60.0, help="extra seconds allowed to finish")
    p.add_argument("--json", type=Path, help="also write the results here")
    a = p.parse_args(argv)
    steps = tuple(float(s) for s in a.steps.split(","))
    opts = Options(a.chains, a.window, a.burst, steps, a.timers, a.postgres, a.data_dir, a.finish)
    return opts, a.json


def main(argv: list[str] | None = None) -> None:
    opts, out = parse(argv)
    result = uvloop.run(run(opts))
    steps = result["steps"]
    print(
        table(
            "escalation steps: firing lateness",
            [
                ("chains", opts.chains),
                ("peak active chains", result["peak_active"]),
                ("timers", opts.timers),
                ("database", "postgres" if opts.postgres else "sqlite"),
                ("steps fired", steps["count"]),
                ("p50 ms", steps["p50_ms"]),
                ("p95 ms", result["steps_p95_ms"]),
                ("p99 ms", steps["p99_ms"]),
                ("max ms", steps["max_ms"]),
                ("elapsed s", result["elapsed_s"]),
                ("cpu s", result["cpu_s"]),
            ],
        )
    )
    if out is not None:
        out.write_text(json.dumps(result, indent=2))
