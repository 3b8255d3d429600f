"""Scale-out benchmark: channel fan-out across 3 hub nodes sharing PostgreSQL and Redis.

The sender sits on node 1 and the receivers are spread over all three nodes, so almost every
delivery crosses nodes through Redis. The same fan-out against one embedded node (SQLite,
in-process) runs in the same invocation for comparison.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from loadtests.realtime.accounts import login_bench
from loadtests.realtime.fanout import figures, run_hub
from loadtests.realtime.servers import (
    GRIDHUB,
    ROOT,
    ServerProcess,
    fast_auth_env,
    free_port,
    server_prefix,
    write_people,
)
from loadtests.realtime.settings import BenchOptions
from loadtests.realtime.traffic import Plan, drive

NODES = 3
POSTGRES_ADMIN = os.environ.get(
    "GRIDHUB_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextlib.asynccontextmanager
async def fresh_database(admin_url: str) -> AsyncIterator[str]:
    """A new PostgreSQL database for the run (loopback server), dropped afterwards."""
    name = f"gridhub_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        host = admin_url.split("@", 1)[1].rsplit("/", 1)[0]
        user = admin_url.split("://", 1)[1].split("@", 1)[0]
        yield f"postgresql+asyncpg://{user}@{host}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def start_redis(workdir: Path) -> ServerProcess:
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(workdir)]  # fmt: skip
    server = ServerProcess(argv, port, log_path=workdir / "redis.log")
    server.launch()
    client = aioredis.Redis(port=port)
    try:
        for _ in range(100):
            with contextlib.suppress(Exception):
                if await client.ping():
                    return server
            await asyncio.sleep(0.05)
    finally:
        await client.aclose()
    server.stop()
    raise RuntimeError(f"redis-server did not start: {server.log_tail()}")


def cluster_env(database_url: str, redis_url: str, opts: BenchOptions) -> dict[str, str]:
    env = fast_auth_env(opts.ping_interval_s)
    env.update(GRIDHUB_DATABASE_URL=database_url, GRIDHUB_REDIS_URL=redis_url)
    return env


async def gridhub(env: dict[str, str], *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(GRIDHUB), *args, env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"gridhub {args[0]} failed: {output.decode(errors='replace')[-2000:]}")


async def start_nodes(env: dict[str, str], workdir: Path) -> list[ServerProcess]:
    nodes = []
    for n in range(1, NODES + 1):
        port = free_port()
        # On the single node's core: the comparison is at the same CPU budget (docs/benchmarks.md).
        argv = [*server_prefix(), str(GRIDHUB), "serve", "--port", str(port)]
        argv += ["--data-dir", str(workdir)]
        node = ServerProcess(argv, port, {**env, "GRIDHUB_NODE_ID": f"node{n}"},
                             workdir / f"node{n}.log")  # fmt: skip
        nodes.append(node)
        await node.start()
    return nodes


async def run_three_nodes(opts: BenchOptions, database_url: str) -> dict[str, Any]:
    workdir = opts.data_dir / "cluster"
    workdir.mkdir(parents=True, exist_ok=True)
    redis_server = await start_redis(workdir)
    nodes: list[ServerProcess] = []
    try:
        env = cluster_env(database_url, f"redis://127.0.0.1:{redis_server.port}/0", opts)
        await gridhub(env, "seed-demo", "--data-dir", str(workdir))
        people = write_people(workdir, opts.members + 1)
        await gridhub(env, "people", "import", str(people), "--data-dir", str(workdir))
        nodes = await start_nodes(env, workdir)
        plan = await cluster_plan(nodes, opts)
        return {"nodes": NODES, **figures(*await drive(plan), plan)}
    finally:
        for node in nodes:
            node.stop()
        redis_server.stop()


async def cluster_plan(nodes: list[ServerProcess], opts: BenchOptions) -> Plan:
    # One sign-in at a time: on PostgreSQL, concurrent first sign-ins from one address race to
    # insert the address's limit row, and a request that loses three times is answered 429.
    accounts = await login_bench(nodes[0].url, opts.members + 1, parallel=1)
    sender, receivers = accounts[0], accounts[1:]
    return Plan(
        nodes[0].url, sender.token, [a.token for a in receivers],
        [a.person_id for a in receivers], opts.messages, opts.rate, server_pid=nodes[0].pid,
        receiver_urls=tuple(n.url for n in nodes), receivers=opts.receivers,
    )  # fmt: skip


async def run_cluster(opts: BenchOptions) -> dict[str, Any]:
    single = await run_hub(opts, opts.members, opts.messages, opts.rate)
    async with fresh_database(POSTGRES_ADMIN) as database_url:
        three = await run_three_nodes(opts, database_url)
    return {
        "benchmark": "cluster",
        "members": opts.members, "messages": opts.messages, "rate_per_s": opts.rate,
        "single_node": single,
        "three_nodes": three,
        "throughput_ratio": round(three["deliveries_per_s"]
                                  / max(single["deliveries_per_s"], 1e-9), 2),
    }  # fmt: skip
