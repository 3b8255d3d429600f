"""How many participants one media worker, on one core, mixes with < 1% frames late or lost.

``python -m loadtests.media --participants 30,50,70``: for each count, a fresh worker
process (pinned to ``--worker-cpu``) hosts one mixed room; client processes (pinned to
``--client-cpus``) join that many aiortc peers straight through the worker's control channel
(no hub in the path: this measures the worker). ``--speakers`` peers send a tone, the rest
silence, all 50 packets/s. After ``--warmup`` s every client counts, over ``--duration``
s, the audio frames each peer received, those lost (gaps in the RTP timestamps) and those
late (more than ``--late-ms`` behind the earliest-arriving schedule of that peer).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests.media import peers
from media.client import WorkerClient
from media.protocol import SECRET_ENV

TONES = (440.0, 660.0, 990.0, 1320.0, 1760.0)
ROOM = "bench"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    cpus = sorted(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(prog="python -m loadtests.media", description=__doc__)
    parser.add_argument("--participants", default="50", help="comma-separated counts")
    parser.add_argument("--speakers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--late-ms", type=float, default=60.0)
    parser.add_argument("--max-mixed", type=int, default=3)
    parser.add_argument("--worker-cpu", type=int, default=cpus[0])
    parser.add_argument("--client-cpus", default=",".join(map(str, cpus[1:] or cpus)))
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness of worker and clients, each in a session (autogroup) of its own",
    )
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="run worker and clients under SCHED_RR (root): a core of their own on a busy box",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    return parser.parse_args(argv)


async def start_worker(args: argparse.Namespace, secret: str) -> asyncio.subprocess.Process:
    command = [sys.executable, "-m", "media.worker", "--parent-stdin", "--id", "bench"]
    command += ["--capacity", "10000", "--max-mixed", str(args.max_mixed)]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, SECRET_ENV: secret},
        start_new_session=True,
    )
    os.sched_setaffinity(process.pid, {args.worker_cpu})
    peers.boost(process.pid, args.nice, 20 if args.realtime else 0)
    return process


def jobs(args: argparse.Namespace, count: int, url: str, secret: str) -> list[dict[str, Any]]:
    names = [f"p{i:04d}" for i in range(count)]
    tones = [TONES[i % len(TONES)] if i < args.speakers else 0.0 for i in range(count)]
    cpus = [int(c) for c in args.client_cpus.split(",") if c]
    split = max(1, args.clients)
    return [
        {
            "index": k,
            "url": url,
            "secret": secret,
            "room": ROOM,
            "names": names[k::split],
            "tones": tones[k::split],
            "late_ms": args.late_ms,
            "cpus": cpus,
            "nice": args.nice,
            "realtime": 10 if args.realtime else 0,
        }
        for k in range(split)
    ]


async def measure(args: argparse.Namespace, count: int) -> dict[str, Any]:
    secret = secrets.token_hex(16)
    worker = await start_worker(args, secret)
    assert worker.stdout is not None
    port = json.loads(await worker.stdout.readline())["port"]
    url = f"ws://127.0.0.1:{port}/control"
    loads: list[float] = []
    control = WorkerClient(
        url, secret, lambda e, d: loads.append(d["cpu"]) if e == "load" else None
    )
    await control.connect()
    await control.request("room.open", {"room": ROOM, "kind": "mixed", "options": {}})
    try:
        return await drive(args, count, url, secret, control, loads)
    finally:
        await control.close()
        if worker.stdin is not None:
            worker.stdin.close()
        worker.terminate()
        await worker.wait()


@dataclass
class Clients:
    """The client processes and the queues they report on."""

    processes: list[Any]
    ready: Any
    results: Any
    gos: list[Any]

    @classmethod
    def spawn(cls, work: list[dict[str, Any]]) -> Clients:
        context = multiprocessing.get_context("spawn")
        ready, results = context.Queue(), context.Queue()
        gos = [context.Queue() for _ in work]
        processes = [
            context.Process(target=peers.main, args=(job, ready, go, results), daemon=True)
            for job, go in zip(work, gos, strict=True)
        ]
        for process in processes:
            process.start()
        return cls(processes, ready, results, gos)

    async def gather(self, queue: Any, limit_s: float) -> list[Any]:
        loop = asyncio.get_running_loop()
        return [await loop.run_in_executor(None, queue.get, True, limit_s) for _ in self.gos]


async def drive(
    args: argparse.Namespace,
    count: int,
    url: str,
    secret: str,
    control: WorkerClient,
    loads: list[float],
) -> dict[str, Any]:
    clients = Clients.spawn(jobs(args, count, url, secret))
    began = time.time()
    await clients.gather(clients.ready, 180)
    joined_s = time.time() - began
    start = time.time() + args.warmup
    end = start + args.duration
    for go in clients.gos:
        go.put((start, end))
    await asyncio.sleep(start - time.time())
    loads.clear()
    await asyncio.sleep(end - time.time())
    cpu = sum(loads) / len(loads) if loads else 0.0
    stats = await control.request("room.control", {"room": ROOM, "action": "stats"})
    counts = [c for batch in await clients.gather(clients.results, 60) for c in batch]
    for process in clients.processes:
        process.join(10)
    return summary(args, count, counts, cpu, stats, joined_s)


def summary(
    args: argparse.Namespace,
    count: int,
    counts: list[dict[str, int]],
    cpu: float,
    stats: dict[str, Any],
    joined_s: float,
) -> dict[str, Any]:
    received = sum(c["received"] for c in counts)
    lost = sum(c["lost"] for c in counts)
    late = sum(c["late"] for c in counts)
    expected = count * args.duration * 50
    bad = (lost + late) / max(1, received + lost)
    return {
        "participants": count,
        "speakers": args.speakers,
        "expected_frames": int(expected),
        "received": received,
        "lost": lost,
        "late": late,
        "late_or_lost_pct": round(100 * bad, 3),
        "worst_peer_pct": round(100 * max(_bad(c) for c in counts), 3),
        "worker_cpu": round(cpu, 3),
        "skipped_ticks": stats.get("skipped_ticks"),
        "join_all_s": round(joined_s, 1),
        "ok": bad < 0.01,
    }


def _bad(c: dict[str, int]) -> float:
    return (c["lost"] + c["late"]) / max(1, c["received"] + c["lost"])


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    rows = []
    for count in [int(n) for n in args.participants.split(",")]:
        row = asyncio.run(measure(args, count))
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(table(rows))
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args) | {"json": str(args.json)}, "rows": rows}, indent=2)
        )


def table(rows: list[dict[str, Any]]) -> str:
    head = "participants  late+lost %  worst peer %  worker CPU  skipped ticks  ok"
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['participants']:>12}  {r['late_or_lost_pct']:>10}  {r['worst_peer_pct']:>12}"
            f"  {r['worker_cpu']:>10}  {r['skipped_ticks']!s:>13}  {r['ok']}"
        )
    return "\n".join(lines)
