"""The baseline: a bare python-socketio server on aiohttp, no auth and no persistence.

It speaks just enough of the hub's contract for the same load generator to drive it: every
socket joins one room on connect, ``presence.activity`` is acked, ``channel.create`` answers a
fixed channel, and ``channel.send`` emits the message to that room and acks it. Run it as
``python -m loadtests.realtime.baseline --port P``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import time
from typing import Any

import socketio
import uvloop
from aiohttp import web

ROOM = "channel:1"
CHANNEL = {"id": 1, "kind": "adhoc", "name": "baseline", "epoch": "e0", "last_offset": 0}


class BareServer:
    """The handlers; one room, one channel, nothing stored."""

    def __init__(self, ping_interval_s: float) -> None:
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp", ping_interval=ping_interval_s, logger=False, engineio_logger=False
        )
        self.offsets = itertools.count(1)
        self.sio.on("connect", self.connect)
        self.sio.on("presence.activity", self.activity)
        self.sio.on("channel.create", self.create)
        self.sio.on("channel.send", self.send)

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await self.sio.enter_room(sid, ROOM)

    async def activity(self, sid: str, data: Any = None) -> dict[str, Any]:
        return {"ok": True, "state": "online"}

    async def create(self, sid: str, data: Any = None) -> dict[str, Any]:
        return {"ok": True, "channel": CHANNEL}

    async def send(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        offset = next(self.offsets)
        message = {"id": offset, "channel_id": 1, "offset": offset, "epoch": "e0",
                   "sender_id": 0, "kind": data.get("kind", "text"), "body": data.get("body"),
                   "client_msg_id": data.get("client_msg_id"), "created_at": time.time(),
                   "mentions": []}  # fmt: skip
        await self.sio.emit("channel.message", message, to=ROOM)
        return {"ok": True, "message": message}


def build(ping_interval_s: float) -> web.Application:
    app = web.Application()
    BareServer(ping_interval_s).sio.attach(app)
    app.router.add_get("/healthz", healthz)
    return app


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def serve(app: web.Application, port: int) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    args = argparse.ArgumentParser(prog="python -m loadtests.realtime.baseline")
    args.add_argument("--port", type=int, required=True)
    args.add_argument("--ping-interval", type=float, default=25.0)
    opts = args.parse_args()
    uvloop.run(serve(build(opts.ping_interval), opts.port))


if __name__ == "__main__":
    main()
