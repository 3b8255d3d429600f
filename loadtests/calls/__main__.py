"""python -m loadtests.calls setup [--calls N] [--warmup N] [--data-dir DIR]"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
from pathlib import Path

from loadtests.calls import bench
from loadtests.realtime.servers import pin_self_to_client_core


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtests.calls")
    parser.add_argument("benchmark", choices=["setup"])
    parser.add_argument("--calls", type=int, default=50, help="measured calls, one at a time")
    parser.add_argument("--warmup", type=int, default=3, help="calls made first, not measured")
    parser.add_argument("--data-dir", type=Path, help="kept and reused (default: temporary)")
    return parser.parse_args()


def main() -> None:
    args = parse()
    pin_self_to_client_core()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="gridhub-calls-"))
    try:
        opts = bench.Options(data_dir, max(1, min(args.calls, 10_000)), max(0, args.warmup))
        print(json.dumps(asyncio.run(bench.setup_time(opts)), indent=2))
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
