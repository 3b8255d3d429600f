"""A client process of a run: ``python -m loadtests.shard`` (started by the runner).

Protocol on stdin/stdout, one JSON object per line. In: the job (scenario, targets,
directory, shard index), later ``{"go": <epoch>}`` (or ``{"stop": true}`` / EOF to give up).
Out: ``{"kind": "ready"}`` once its accounts are signed in, ``{"kind": "tick", "second",
"data"}`` every second while running (the recorder drained), and ``{"kind": "done", ...}``.
Shard *i* of *n* drives workers and devices *i*, *i+n*, …; shard 0 also drives the consoles,
the residents and the callers. Nothing runs past the run's end (plus a short settle time).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp
import uvloop

from loadtests.consoles import run_consoles
from loadtests.context import Context, login
from loadtests.devices_sim import run_devices
from loadtests.provision import Directory
from loadtests.recorder import Recorder
from loadtests.residents import run_residents
from loadtests.scenario import from_dict
from loadtests.workers import run_workers

STOP_GRACE_S = 30.0


def emit(kind: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"kind": kind, **fields}) + "\n")
    sys.stdout.flush()


async def read_line() -> dict[str, Any]:
    text = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return json.loads(text) if text.strip() else {"stop": True}


def make_context(job: dict[str, Any], http: aiohttp.ClientSession) -> Context:
    return Context(
        scenario=from_dict(job["scenario"], "job"),
        urls=list(job["urls"]),
        directory=Directory.from_json(job["directory"]),
        rec=Recorder(),
        http=http,
        shard=int(job["shard"]),
        shards=int(job["shards"]),
    )


async def sign_in(ctx: Context) -> dict[str, str]:
    """Tokens of every account this shard drives (failures are recorded and skipped)."""
    s, gate = ctx.scenario, asyncio.Semaphore(ctx.scenario.target.login_parallel)
    mine = [(m.username, s.target.load_password) for m in ctx.mine(ctx.directory.workers)]
    if ctx.shard == 0:
        consoles = [*s.commanders.accounts, *s.commanders.dispatchers]
        mine += [(name, s.target.demo_password) for name in consoles]
        calls = [*ctx.directory.callers, *ctx.directory.groups]
        mine += [(m.username, s.target.load_password) for m in calls]
    tokens = await asyncio.gather(*(login(ctx, user, pw, gate) for user, pw in mine))
    return {user: t for (user, _pw), t in zip(mine, tokens, strict=True) if t is not None}


def populations(ctx: Context, tokens: dict[str, str]) -> list[Any]:
    s = ctx.scenario
    jobs: list[Any] = [run_workers(ctx, ctx.mine(ctx.directory.workers), tokens)]
    if ctx.directory.devices:
        jobs.append(run_devices(ctx, ctx.mine(ctx.directory.devices)))
    if ctx.shard == 0:
        jobs += [run_consoles(ctx, tokens), run_residents(ctx)]
        if s.callers.pairs:
            from loadtests.callers import run_callers  # aiortc is heavy: only when needed

            jobs.append(run_callers(ctx, tokens))
        if s.groups.rooms:
            from loadtests.groups import run_groups

            jobs.append(run_groups(ctx, tokens))
    return jobs


async def ticker(ctx: Context) -> None:
    """Drain the recorder once a second into a ``tick`` line (until cancelled)."""
    while True:
        await asyncio.sleep(max(0.0, 1.0 - (time.time() - ctx.start) % 1.0))
        tick(ctx)


def tick(ctx: Context) -> None:
    for name, value in ctx.connections().items():
        ctx.rec.gauge(name, value)
    ctx.rec.gauge("cpu.loadgen_ms", int(1000 * (time.process_time() - ctx.cpu_at_start)))
    emit("tick", second=int(time.time() - ctx.start), data=ctx.rec.drain())


async def run(job: dict[str, Any]) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        ctx = make_context(job, http)
        tokens = await sign_in(ctx)
        emit("ready", tokens=len(tokens), data=ctx.rec.drain())
        order = await read_line()
        if "go" not in order:
            return
        ctx.start = float(order["go"])
        ctx.cpu_at_start = time.process_time()
        ctx.end = ctx.start + ctx.scenario.duration_s
        clock = asyncio.create_task(ticker(ctx))
        try:
            async with asyncio.timeout(ctx.left() + STOP_GRACE_S):
                await asyncio.gather(*populations(ctx, tokens))
        except TimeoutError:
            ctx.rec.error("shard.overran")
        finally:
            clock.cancel()
            for task in list(ctx.tasks):
                task.cancel()
            tick(ctx)
        emit("done")


def main() -> None:
    job = json.loads(sys.stdin.readline())
    uvloop.run(run(job))


if __name__ == "__main__":
    main()
