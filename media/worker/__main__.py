"""`python -m media.worker`: run one media worker process (secret in GRIDHUB_MEDIA_SECRET).

Prints one JSON line ``{"ready": true, "port": ..., "pid": ...}`` on stdout once it listens.
With ``--parent-stdin`` it exits when its stdin closes (the hub that spawned it has gone).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import sys
import threading

from aiohttp import web

from media.ice import gather_only
from media.protocol import SECRET_ENV
from media.worker import registry
from media.worker.inline import decode_inline
from media.worker.rooms import WorkerLimits
from media.worker.server import Worker, build_app
from media.worker.video import forward_encoded_video


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m media.worker")
    parser.add_argument("--host", default="127.0.0.1", help="control address")
    parser.add_argument("--port", type=int, default=0, help="control port (0: any free)")
    parser.add_argument("--id", default=f"worker-{os.getpid()}")
    parser.add_argument("--capacity", type=int, default=200)
    parser.add_argument("--max-mixed", type=int, default=3)
    parser.add_argument("--max-video", type=int, default=4)
    parser.add_argument(
        "--ice-address", action="append", default=None, help="host address to gather (repeat)"
    )
    parser.add_argument("--parent-stdin", action="store_true")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace, secret: str) -> None:
    limits = WorkerLimits(max_mixed=args.max_mixed, max_video=args.max_video)
    worker = Worker(registry.load(), limits, args.capacity, args.id)
    runner = web.AppRunner(build_app(worker, secret), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = runner.addresses[0][1]
    print(json.dumps({"ready": True, "port": port, "pid": os.getpid()}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.parent_stdin:  # a daemon thread: a pending read must not hold up the exit
        threading.Thread(target=_wait_eof, args=(loop, stop), daemon=True).start()
    await stop.wait()
    await runner.cleanup()


def _wait_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    # os.read, not sys.stdin: a buffered reader's lock held by this thread aborts the
    # interpreter's shutdown with a fatal error when the worker exits on a signal instead.
    while os.read(sys.stdin.fileno(), 1024):
        pass
    with contextlib.suppress(RuntimeError):  # the loop has already closed
        loop.call_soon_threadsafe(stop.set)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    secret = os.environ.get(SECRET_ENV) or ""
    if not secret:
        secret = secrets.token_urlsafe(24)
        print(f"no {SECRET_ENV} set; generated one: {secret}", file=sys.stderr)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    gather_only(args.ice_address or ["127.0.0.1"])
    forward_encoded_video()
    decode_inline()
    asyncio.run(serve(args, secret))


if __name__ == "__main__":
    main()
