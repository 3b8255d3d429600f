"""Where an idle socket's memory goes: Python allocations per connection, by file and line.

Starts the hub (`gridhub demo` on a seeded bench data dir, as the connections benchmark does)
under `loadtests.realtime.traced_hub`, which starts tracemalloc on SIGUSR1 and writes a
snapshot on SIGUSR2; snapshots are taken with no sockets and after N idle authenticated sockets
were held (no heartbeats), and the difference is printed per connection. tracemalloc sees
Python's allocations only (RSS adds the allocator's overhead); tracing slows the hub, so RSS
figures come from the connections benchmark, not from here. Run:

    python -m loadtests.realtime.socket_memory --data-dir DIR [--connections 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tracemalloc
from pathlib import Path

from loadtests.realtime.accounts import login_bench
from loadtests.realtime.connections import spawn_workers
from loadtests.realtime.servers import (
    ServerProcess,
    hub_process,
    pin_self_to_client_core,
    prepare_data_dir,
)
from loadtests.realtime.settings import BenchOptions

ACCOUNTS = 510


def traced_hub(data_dir: Path, out: Path) -> ServerProcess:
    """The connections benchmark's hub process, run by `traced_hub` instead of `gridhub`."""
    hub = hub_process(data_dir, 25.0)
    at = next(i for i, arg in enumerate(hub.argv) if arg.endswith("gridhub"))
    hub.argv[at : at + 1] = [sys.executable, "-m", "loadtests.realtime.traced_hub"]
    hub.env["TRACE_DIR"] = str(out)
    return hub


async def snapshot(hub: ServerProcess, out: Path, index: int) -> None:
    os.kill(hub.pid, signal.SIGUSR2)
    while not (out / f"done-{index}").exists():  # noqa: ASYNC110  # the hub process writes it
        await asyncio.sleep(0.2)


async def measure(data_dir: Path, connections: int, hold_s: float, out: Path) -> int:
    """Snapshots 0 (no sockets) and 1 (sockets held); returns the sockets connected."""
    await prepare_data_dir(data_dir, ACCOUNTS)
    hub = traced_hub(data_dir, out)
    await hub.start()
    try:
        accounts = await login_bench(hub.url, min(ACCOUNTS, connections))
        os.kill(hub.pid, signal.SIGUSR1)
        await asyncio.sleep(1.0)
        await snapshot(hub, out, 0)
        opts = BenchOptions(data_dir, connections=connections, heartbeat_s=1e9)
        workers = await spawn_workers(hub.url, [a.token for a in accounts], opts)
        connected = 0
        for worker in workers:
            connected += int((await worker.line(600))["ok"])
        await asyncio.sleep(hold_s)
        await snapshot(hub, out, 1)
        for worker in workers:
            await worker.send("release")
            await worker.line(120)
            await worker.proc.wait()
        return connected
    finally:
        hub.stop()


def report(out: Path, sockets: int, lines: int) -> None:
    keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
    before = tracemalloc.Snapshot.load(str(out / "snap-0.pickle")).filter_traces(keep)
    after = tracemalloc.Snapshot.load(str(out / "snap-1.pickle")).filter_traces(keep)
    by_file = after.compare_to(before, "filename")
    total = sum(stat.size_diff for stat in by_file)
    print(f"{sockets} sockets; traced per connection: {total / sockets:.0f} B")
    for title, stats in (("file", by_file), ("line", after.compare_to(before, "lineno"))):
        print(f"--- by {title}")
        for stat in stats[:lines]:
            frame = stat.traceback[0]
            where = frame.filename if title == "file" else f"{frame.filename}:{frame.lineno}"
            size, blocks = stat.size_diff / sockets, stat.count_diff / sockets
            print(f"{size:8.0f} B {blocks:6.2f} blocks  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--hold", type=float, default=10.0, help="seconds held before snapshot 1")
    parser.add_argument("--out", type=Path, default=Path("socket-memory"))
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()
    pin_self_to_client_core()
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*"):
        old.unlink()
    sockets = asyncio.run(measure(args.data_dir, args.connections, args.hold, args.out))
    report(args.out, max(sockets, 1), args.lines)


if __name__ == "__main__":
    main()
