"""python -m loadtests.devices {ingest,latency,memory,all} [--devices N] [--seconds S] ..."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from loadtests.devices import bench
from loadtests.realtime.servers import pin_self_to_client_core


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtests.devices")
    parser.add_argument("benchmark", choices=["ingest", "latency", "memory", "all"])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--window", type=int, default=64, help="ingest: unacked frames/device")
    parser.add_argument("--batch", type=int, default=1, help="ingest: frames per message")
    parser.add_argument("--rate", type=float, default=2000.0, help="latency: frames/s in total")
    parser.add_argument("--data-dir", type=Path, help="kept and reused (default: temporary)")
    return parser.parse_args()


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    opts = bench.Options(data_dir, args.devices, args.seconds, args.window, args.batch,
                         args.rate)  # fmt: skip
    chosen = ["ingest", "latency", "memory"] if args.benchmark == "all" else [args.benchmark]
    jobs = {"ingest": bench.ingest, "latency": bench.latency, "memory": bench.memory}
    return {name: await jobs[name](opts) for name in chosen}


def main() -> None:
    args = parse()
    pin_self_to_client_core()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="gridhub-devices-"))
    try:
        print(json.dumps(asyncio.run(run(args, data_dir)), indent=2))
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
