"""Runs a scenario: provision, client processes, live progress, server figures, fan-out.

The runner provisions what the scenario needs on the first target URL, reads ``/metrics`` of
every target, starts ``processes`` client processes (:mod:`loadtests.shard`), waits until all
have signed in, gives them one common start time, merges what they report every second and
prints progress, then reads ``/metrics`` again and, when asked, runs the room fan-out on the
hub and on the baselines. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests import progress
from loadtests.compare import fanout_phase
from loadtests.provision import Directory, provision
from loadtests.realtime.servers import CpuMark, cpu_mark
from loadtests.recorder import Aggregate
from loadtests.scenario import Scenario
from loadtests.scrape import changes, scrape_all

READY_LIMIT_S = 900.0  # signing in thousands of accounts on a hub with costly hashing
DONE_GRACE_S = 60.0
START_DELAY_S = 1.0


@dataclass
class RunOptions:
    scenario: Scenario
    urls: list[str]
    work_dir: Path
    baselines: list[str] = field(default_factory=list)
    hub_pid: int = 0
    live: bool = True
    pin: bool = True  # baselines (and a spawned hub) on core 0, clients on core 1
    say: Callable[[str], None] = print
    metrics_token: str | None = None  # the hub's metrics_token, for /metrics of a remote hub
    receivers: str = "raw"  # fan-out receivers: raw engine.io clients or python-socketio


class Shard:
    def __init__(self, index: int, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.index, self.proc, self.log = index, proc, log

    async def send(self, payload: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(payload).encode() + b"\n")
        await self.proc.stdin.drain()

    async def line(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        raw = await self.proc.stdout.readline()
        if not raw:
            tail = self.log.read_text(errors="replace")[-1500:]
            raise RuntimeError(f"client process {self.index} ended early; its log:\n{tail}")
        data: dict[str, Any] = json.loads(raw)
        return data

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


async def start_shard(index: int, job: dict[str, Any], log: Path) -> Shard:
    with log.open("ab") as errors:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "loadtests.shard",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            limit=2**26,
        )
    shard = Shard(index, proc, log)
    await shard.send({**job, "shard": index})
    return shard


async def until_ready(shard: Shard, setup: Aggregate) -> int:
    message = await shard.line()
    if message.get("kind") != "ready":
        raise RuntimeError(f"client process {shard.index} said {message!r} instead of ready")
    setup.add(shard.index, 0, message["data"])
    return int(message["tokens"])


async def follow(shard: Shard, agg: Aggregate) -> None:
    while True:
        message = await shard.line()
        if message["kind"] == "tick":
            agg.add(shard.index, int(message["second"]), message["data"])
        elif message["kind"] == "done":
            return


async def drive_shards(
    opts: RunOptions, directory: Directory
) -> tuple[Aggregate, Aggregate, dict[str, float]]:
    s, setup, agg = opts.scenario, Aggregate(), Aggregate()
    job = {
        "scenario": s.public(),
        "urls": opts.urls,
        "directory": directory.to_json(),
        "shards": s.processes,
    }
    log = opts.work_dir / "clients.log"
    shards = [await start_shard(i, job, log) for i in range(s.processes)]
    try:
        async with asyncio.timeout(READY_LIMIT_S):
            signed = await asyncio.gather(*(until_ready(sh, setup) for sh in shards))
        opts.say(f"signed in {sum(signed):,} accounts in {s.processes} client process(es)")
        go = time.time() + START_DELAY_S
        for sh in shards:
            await sh.send({"go": go})
        watcher = asyncio.create_task(progress.watch(agg, s, go, opts.live, opts.say))
        mark = cpu_mark(opts.hub_pid)
        try:
            async with asyncio.timeout(START_DELAY_S + s.duration_s + DONE_GRACE_S):
                await asyncio.gather(*(follow(sh, agg) for sh in shards))
            cpu = cpu_marks(mark, cpu_mark(opts.hub_pid))
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
    finally:
        for sh in shards:
            sh.kill()
            with contextlib.suppress(ProcessLookupError):
                await sh.proc.wait()
    return setup, agg, cpu


def cpu_marks(a: CpuMark, b: CpuMark) -> dict[str, float]:
    """Wall time, hub CPU (0 when not spawned here), this process's CPU, machine busy time."""
    return {
        "wall_s": b[0] - a[0],
        "hub_s": b[1] - a[1],
        "runner_s": b[2] - a[2],
        "busy_s": b[3] - a[3],
    }


async def run(opts: RunOptions) -> dict[str, Any]:
    s, started = opts.scenario, time.time()
    opts.say(f"provisioning on {opts.urls[0]} …")
    directory = await provision(opts.urls[0], s)
    before = await scrape_all(opts.urls, opts.metrics_token)
    for url in (u for u, text in zip(opts.urls, before, strict=True) if not text):
        opts.say(f"{url}/metrics cannot be read (a remote hub needs --metrics-token)")
    setup, agg, cpu = await drive_shards(opts, directory)
    after = await scrape_all(opts.urls, opts.metrics_token)
    fanout = None
    if s.fanout is not None:
        opts.say("room fan-out: hub" + "".join(f", {k}" for k in opts.baselines) + " …")
        fanout = await fanout_phase(
            opts.urls[0],
            directory.fanout,
            s.fanout,
            s.target.load_password,
            opts.baselines,
            opts.work_dir,
            opts.hub_pid,
            opts.pin,
            opts.receivers,
        )
    return {
        "started_at": started,
        "setup": setup,
        "load": agg,
        "cpu": cpu,
        "server": changes(opts.urls, before, after),
        "fanout": fanout,
    }
