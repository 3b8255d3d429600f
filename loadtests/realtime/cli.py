"""``python -m loadtests.realtime {connections,fanout,latency,all}``: run, print, save JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop

from loadtests.realtime.connections import run_connections
from loadtests.realtime.receivers import RECEIVER_KINDS
from loadtests.realtime.servers import pin_self_to_client_core, pinning, prepare_data_dir
from loadtests.realtime.settings import BenchOptions
from loadtests.realtime.stats import flatten, table

Runner = Callable[[BenchOptions], Awaitable[dict[str, Any]]]


def runners() -> dict[str, Runner]:
    from loadtests.realtime.cluster import run_cluster
    from loadtests.realtime.fanout import run_fanout
    from loadtests.realtime.latency import run_latency

    return {"connections": run_connections, "fanout": run_fanout, "latency": run_latency,
            "cluster": run_cluster}  # fmt: skip


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m loadtests.realtime", description=__doc__)
    p.add_argument("benchmark", choices=["connections", "fanout", "latency", "cluster", "all"])
    p.add_argument("--connections", type=int, default=10_000, help="sockets to hold")
    p.add_argument("--duration", type=float, default=60.0, help="hold / send seconds")
    p.add_argument("--messages", type=int, default=500, help="fan-out messages")
    p.add_argument("--rate", type=float, default=200.0, help="fan-out send rate (msg/s)")
    p.add_argument("--members", type=int, default=500, help="fan-out receiving members")
    p.add_argument("--latency-rate", type=float, default=1000.0, help="latency send rate")
    p.add_argument("--latency-members", type=int, default=4, help="latency receivers")
    p.add_argument("--ping-interval", type=float, default=25.0, help="hub ping interval (s)")
    p.add_argument("--heartbeat", type=float, default=20.0, help="presence.activity period")
    p.add_argument("--parallel", type=int, default=50, help="connects in flight per worker")
    p.add_argument("--workers", type=int, default=None, help="load-generator processes")
    p.add_argument(
        "--connections-baseline",
        action="store_true",
        help="also hold the connections on the bare python-socketio server",
    )
    p.add_argument(
        "--receivers",
        choices=RECEIVER_KINDS,
        default="raw",
        help="fan-out receivers: raw (engine.io framed by hand, cheapest), aiohttp (engine.io "
        "on aiohttp's WebSocket client) or socketio (python-socketio clients)",
    )
    p.add_argument("--accounts", type=int, default=510, help="bench accounts to sign in")
    p.add_argument("--data-dir", type=Path, default=None, help="bench data dir (kept)")
    p.add_argument("--json", type=Path, default=None, help="write results here")
    return p


def options(args: argparse.Namespace, data_dir: Path) -> BenchOptions:
    return BenchOptions(
        data_dir=data_dir, connections=args.connections, duration_s=args.duration,
        messages=args.messages, rate=args.rate, members=args.members,
        latency_members=args.latency_members, latency_rate=args.latency_rate,
        accounts=max(args.accounts, args.members + 1, args.latency_members + 1),
        ping_interval_s=args.ping_interval,
        heartbeat_s=args.heartbeat, parallel=args.parallel, workers=args.workers,
        connections_baseline=args.connections_baseline, receivers=args.receivers,
    )  # fmt: skip


def machine() -> dict[str, Any]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {"nproc": os.cpu_count(), "cpu": model,
            "ram_gib": round(mem_kib / 2**20, 1), "python": platform.python_version(),
            "pinned": pinning()}  # fmt: skip


async def run_all(names: list[str], opts: BenchOptions) -> dict[str, Any]:
    await prepare_data_dir(opts.data_dir, opts.accounts)
    results: dict[str, Any] = {"machine": machine()}
    table_of = runners()
    for name in names:
        try:
            results[name] = await table_of[name](opts)
        except Exception as exc:  # report and go on with the next benchmark
            results[name] = {"benchmark": name, "error": f"{type(exc).__name__}: {exc}"}
        print(table(name, flatten("", results[name])), flush=True)
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser().parse_args(argv)
    names = ["connections", "fanout", "latency"] if args.benchmark == "all" else [args.benchmark]
    temp = None if args.data_dir else Path(tempfile.mkdtemp(prefix="gridhub-bench-"))
    data_dir = args.data_dir or temp
    assert data_dir is not None
    pin_self_to_client_core()
    try:
        results = uvloop.run(run_all(names, options(args, data_dir)))
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return results
