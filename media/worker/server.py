"""The worker's control server: authenticated WebSocket, request dispatch, load reports."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from typing import Any

from aiohttp import WSMsgType, web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from media.protocol import CONTROL_PATH, ControlError, pack, unpack
from media.worker.registry import Registry
from media.worker.rooms import Peer, Room, RoomContext, WorkerLimits

log = logging.getLogger("gridhub.media.worker")
LOAD_EVERY_S = 1.0
MAX_SDP = 200_000


class Worker:
    """Rooms and peers of this process; every hub connection sees every event."""

    def __init__(
        self, registry: Registry, limits: WorkerLimits, capacity: int, worker_id: str
    ) -> None:
        self.registry, self.limits = registry, limits
        self.capacity, self.worker_id = capacity, worker_id
        self.rooms: dict[str, Room] = {}
        self.outboxes: set[asyncio.Queue[bytes]] = set()
        self._cpu = (time.monotonic(), time.process_time(), 0.0)

    # ---- events ----------------------------------------------------------------------

    def emit(self, event: str, data: dict[str, Any]) -> None:
        frame = pack({"event": event, "data": data})
        for outbox in self.outboxes:
            outbox.put_nowait(frame)

    def load(self) -> dict[str, Any]:
        wall, cpu, last = self._cpu
        now_wall, now_cpu = time.monotonic(), time.process_time()
        if now_wall - wall >= 0.5:
            last = (now_cpu - cpu) / (now_wall - wall)
            self._cpu = (now_wall, now_cpu, last)
        return {
            "participants": sum(r.participants for r in self.rooms.values()),
            "rooms": len(self.rooms),
            "capacity": self.capacity,
            "cpu": round(last, 3),
        }

    async def report_forever(self) -> None:
        while True:
            self.emit("load", self.load())
            await asyncio.sleep(LOAD_EVERY_S)

    # ---- operations ------------------------------------------------------------------

    async def handle(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "op_" + op.replace(".", "_"), None)
        if handler is None:
            raise ControlError("control.unknown_op", f"unknown operation {op!r}")
        result: dict[str, Any] = await handler(args)
        return result

    async def op_hello(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "worker_id": self.worker_id,
            "pid": os.getpid(),
            "kinds": sorted(self.registry.kinds),
            "taps": sorted(self.registry.taps),
            **self.load(),
        }

    async def op_load(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.load()

    async def op_room_open(self, args: dict[str, Any]) -> dict[str, Any]:
        room_id, kind = _text(args, "room"), _text(args, "kind")
        if room_id in self.rooms:
            return {"existed": True}
        cls = self.registry.kinds.get(kind)
        if cls is None:
            raise ControlError("room.unknown_kind", f"this worker has no room kind {kind!r}")
        options = args.get("options") or {}
        emitter = self._room_emitter(room_id, kind)
        room = cls(RoomContext(room_id, kind, options, self.limits, emitter, self.registry.taps))
        await room.start()
        self.rooms[room_id] = room
        return {"existed": False}

    async def op_room_close(self, args: dict[str, Any]) -> dict[str, Any]:
        room = self.rooms.pop(_text(args, "room"), None)
        if room is None:
            return {"existed": False}
        for peer_id in list(room.peers):
            await self._drop(room, peer_id)
        await room.close()
        return {"existed": True}

    async def op_peer_join(self, args: dict[str, Any]) -> dict[str, Any]:
        room, peer_id = self._room(args), _text(args, "peer")
        sdp = _text(args, "sdp", MAX_SDP)
        if peer_id in room.peers:
            await self._drop(room, peer_id)
        if self.load()["participants"] >= self.capacity:
            raise ControlError("worker.full", "this media worker is at capacity")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        peer = Peer(peer_id, pc, dict(args.get("options") or {}))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            room.peers[peer_id] = peer
            await room.attach(peer)
            await pc.setLocalDescription(await pc.createAnswer())
        except ControlError:
            await self._drop(room, peer_id, pc)
            raise
        except Exception as exc:
            await self._drop(room, peer_id, pc)
            raise ControlError("peer.bad_offer", f"cannot answer this offer: {exc}") from None
        self._watch(room, peer)
        return {"sdp": pc.localDescription.sdp}

    async def op_peer_leave(self, args: dict[str, Any]) -> dict[str, Any]:
        room, peer_id = self._room(args), _text(args, "peer")
        existed = peer_id in room.peers
        await self._drop(room, peer_id)
        return {"existed": existed}

    async def op_room_control(self, args: dict[str, Any]) -> dict[str, Any]:
        room = self._room(args)
        return await room.control(_text(args, "action"), dict(args.get("args") or {}))

    # ---- helpers ---------------------------------------------------------------------

    def _room(self, args: dict[str, Any]) -> Room:
        room = self.rooms.get(_text(args, "room"))
        if room is None:
            raise ControlError("room.not_found", "no such room on this worker")
        return room

    def _room_emitter(self, room_id: str, kind: str) -> Any:
        def emit(name: str, data: dict[str, Any]) -> None:
            self.emit("room", {"room": room_id, "kind": kind, "name": name, "data": data})

        return emit

    def _watch(self, room: Room, peer: Peer) -> None:
        @peer.pc.on("connectionstatechange")
        async def changed() -> None:
            state = peer.pc.connectionState
            if room.peers.get(peer.id) is not peer:
                return
            self.emit("peer.state", {"room": room.ctx.room_id, "peer": peer.id, "state": state})
            if state in ("failed", "closed"):
                await self._drop(room, peer.id)

    async def _drop(self, room: Room, peer_id: str, pc: RTCPeerConnection | None = None) -> None:
        peer = room.peers.get(peer_id)
        if peer is not None:
            try:
                await room.detach(peer_id)
            except Exception:
                log.exception("detach failed", extra={"room": room.ctx.room_id})
            room.peers.pop(peer_id, None)
            pc = peer.pc
        if pc is not None:
            await pc.close()


def _text(args: dict[str, Any], key: str, limit: int = 200) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise ControlError("control.bad_args", f"`{key}` must be a string of 1..{limit} chars")
    return value


# ---- the aiohttp application -------------------------------------------------------------

WORKER = web.AppKey("worker", Worker)
SECRET = web.AppKey("secret", str)
SOCKETS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("sockets")


def build_app(worker: Worker, secret: str) -> web.Application:
    app = web.Application()
    app[WORKER], app[SECRET], app[SOCKETS] = worker, secret, set()
    app.router.add_get(CONTROL_PATH, control)
    app.cleanup_ctx.append(_reporter)
    app.on_shutdown.append(_hang_up)
    return app


async def _hang_up(app: web.Application) -> None:
    """Close control connections, or the server would wait for the hub to close them."""
    sockets: set[web.WebSocketResponse] = app[SOCKETS]
    for ws in list(sockets):
        await ws.close()


async def _reporter(app: web.Application) -> Any:
    task = asyncio.create_task(app[WORKER].report_forever())
    yield
    task.cancel()
    for room_id in list(app[WORKER].rooms):
        await app[WORKER].op_room_close({"room": room_id})


async def control(request: web.Request) -> web.StreamResponse:
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not hmac.compare_digest(given.encode(), request.app[SECRET].encode()):
        raise web.HTTPUnauthorized(text="bad media worker secret")
    ws = web.WebSocketResponse(heartbeat=10.0, max_msg_size=4 * MAX_SDP)
    await ws.prepare(request)
    worker, outbox = request.app[WORKER], asyncio.Queue[bytes]()
    worker.outboxes.add(outbox)
    request.app[SOCKETS].add(ws)
    writer = asyncio.create_task(_write(ws, outbox))
    tasks: set[asyncio.Task[None]] = set()
    try:
        async for message in ws:
            if message.type is not WSMsgType.BINARY:
                break
            task = asyncio.create_task(_serve(worker, outbox, message.data))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        worker.outboxes.discard(outbox)
        request.app[SOCKETS].discard(ws)
        writer.cancel()
    return ws


async def _write(ws: web.WebSocketResponse, outbox: asyncio.Queue[bytes]) -> None:
    while True:
        await ws.send_bytes(await outbox.get())


async def _serve(worker: Worker, outbox: asyncio.Queue[bytes], data: bytes) -> None:
    request_id: Any = None
    try:
        message = unpack(data)
        request_id = message.get("id")
        result = await worker.handle(str(message.get("op")), dict(message.get("args") or {}))
        reply: dict[str, Any] = {"id": request_id, "ok": True, "result": result}
    except ControlError as exc:
        reply = {"id": request_id, "ok": False, "error": exc.to_dict()}
    except Exception as exc:
        log.exception("control request failed")
        reply = {"id": request_id, "ok": False, "error": {"code": "internal", "message": str(exc)}}
    outbox.put_nowait(pack(reply))
