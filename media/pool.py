"""The hub's media workers: embedded processes it supervises, external ones it dials, placement.

A room lives on one worker. ``MediaPool.open`` places a new room on the least-loaded worker
that is up (load = the larger of participants/capacity and CPU share, from the worker's
reports plus what was placed since); later calls reach the same worker. When a worker goes
down, every room on it is forgotten and the ``on_lost`` handlers hear the room ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from media.client import WorkerClient
from media.protocol import CONTROL_PATH, SECRET_ENV, ControlError
from media.settings import MediaSettings

log = logging.getLogger("gridhub.media.pool")
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
RoomEvent = Callable[[str, dict[str, Any]], Coroutine[Any, Any, None]]
LostHandler = Callable[[list[str]], Awaitable[None]]


@dataclass(eq=False)
class WorkerSlot:
    """One worker as the hub sees it (its process, if embedded, and its connection)."""

    name: str
    url: str | None = None
    embedded: bool = False
    client: WorkerClient | None = None
    pid: int | None = None
    state: str = "starting"
    restarts: int = 0
    load: dict[str, Any] = field(default_factory=dict)
    placed: int = 0  # participants sent since the last load report

    def score(self) -> float:
        capacity = max(1, int(self.load.get("capacity", 1)))
        share = (int(self.load.get("participants", 0)) + self.placed) / capacity
        return max(share, float(self.load.get("cpu", 0.0)))

    def full(self) -> bool:
        capacity = int(self.load.get("capacity", 0))
        return int(self.load.get("participants", 0)) + self.placed >= capacity

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "embedded": self.embedded,
            "url": self.url,
            "pid": self.pid,
            "state": self.state,
            "restarts": self.restarts,
            "participants": self.load.get("participants"),
            "rooms": self.load.get("rooms"),
            "capacity": self.load.get("capacity"),
            "cpu": self.load.get("cpu"),
        }


@dataclass(frozen=True)
class RoomHandle:
    """A room placed on a worker: what the hub side (and other packages) call."""

    pool: MediaPool
    room_id: str
    worker: str

    async def join(self, peer: str, sdp: str, options: dict[str, Any] | None = None) -> str:
        args = {"peer": peer, "sdp": sdp, "options": options or {}}
        self.pool.slots[self.worker].placed += 1
        result = await self._call("peer.join", args)
        return str(result["sdp"])

    async def leave(self, peer: str) -> None:
        await self._call("peer.leave", {"peer": peer})

    async def control(self, action: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._call("room.control", {"action": action, "args": args or {}})

    async def close(self) -> None:
        self.pool.placement.pop(self.room_id, None)
        self.pool.handlers.pop(self.room_id, None)
        with contextlib.suppress(ControlError):  # a worker that has gone took the room along
            await self._call("room.close", {})

    async def _call(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        slot = self.pool.slots.get(self.worker)
        if slot is None or slot.client is None or slot.state != "up":
            raise ControlError("media.worker_down", "the room's media worker is down")
        return await slot.client.request(op, {"room": self.room_id, **args})


class MediaPool:
    def __init__(self, settings: MediaSettings, secret: str) -> None:
        self.settings, self.secret = settings, secret
        self.slots: dict[str, WorkerSlot] = {}
        self.placement: dict[str, str] = {}  # room id -> worker name
        self.handlers: dict[str, RoomEvent] = {}  # room id -> its event handler
        self.lost_handlers: list[LostHandler] = []
        self.changed = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._background: set[asyncio.Task[None]] = set()

    # ---- rooms ---------------------------------------------------------------------------

    def room(self, room_id: str) -> RoomHandle | None:
        worker = self.placement.get(room_id)
        return RoomHandle(self, room_id, worker) if worker is not None else None

    async def open(
        self, room_id: str, kind: str, options: dict[str, Any], on_event: RoomEvent
    ) -> RoomHandle:
        """The room's handle, placing and opening it first if it is not open yet."""
        existing = self.room(room_id)
        if existing is not None:
            return existing
        slot = await self.ready()
        assert slot.client is not None
        await slot.client.request("room.open", {"room": room_id, "kind": kind, "options": options})
        self.placement[room_id], self.handlers[room_id] = slot.name, on_event
        return RoomHandle(self, room_id, slot.name)

    async def ready(self) -> WorkerSlot:
        """A worker for a new room, waiting a little while workers are (re)starting."""
        if not any(s.state == "up" for s in self.slots.values()) and self.slots:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(READY_TIMEOUT_S):
                    await self.wait_for(lambda: any(s.state == "up" for s in self.slots.values()))
        return self.pick()

    def pick(self) -> WorkerSlot:
        ready = [s for s in self.slots.values() if s.state == "up" and not s.full()]
        if not ready:
            raise ControlError("media.unavailable", "no media worker has room for more")
        return min(ready, key=WorkerSlot.score)

    def on_lost(self, handler: LostHandler) -> None:
        self.lost_handlers.append(handler)

    # ---- workers ---------------------------------------------------------------------------

    async def start(self) -> None:
        for index in range(self.settings.embedded_workers):
            slot = WorkerSlot(name=f"embedded-{index + 1}", embedded=True)
            self._spawn(slot, self._supervise(slot))
        for index, url in enumerate(self.settings.external_workers):
            slot = WorkerSlot(name=f"external-{index + 1}", url=url)
            self._spawn(slot, self._dial(slot))

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Until `predicate()` holds after some worker change (callers bound the wait)."""
        async with self.changed:
            await self.changed.wait_for(predicate)

    def _spawn(self, slot: WorkerSlot, job: Coroutine[Any, Any, None]) -> None:
        self.slots[slot.name] = slot
        self._tasks.append(asyncio.create_task(job, name=f"media:{slot.name}"))

    async def _supervise(self, slot: WorkerSlot) -> None:
        """Run one embedded worker process; restart it whenever it dies."""
        while not self._stopping:
            process = await self._start_process(slot)
            try:
                if process is not None:
                    await self._serve(slot, process)
            finally:
                if slot.client is not None:
                    await slot.client.close()
                if process is not None:
                    await _stop_process(process)
                await self._down(slot)
            await asyncio.sleep(self.settings.restart_backoff_s)
            slot.restarts += 1

    async def _start_process(self, slot: WorkerSlot) -> asyncio.subprocess.Process | None:
        process = await asyncio.create_subprocess_exec(
            *worker_command(self.settings, slot.name),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, SECRET_ENV: self.secret},
            # Out of the hub's process group: a Ctrl-C at the terminal reaches the hub only, which
            # then stops its workers in order (a worker whose hub dies sees its stdin close).
            start_new_session=True,
        )
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT_S)
            port = int(json.loads(line)["port"])
        except Exception:
            log.exception("media worker did not start", extra={"worker": slot.name})
            await _stop_process(process)
            return None
        slot.url, slot.pid = f"ws://127.0.0.1:{port}{CONTROL_PATH}", process.pid
        return process

    async def _serve(self, slot: WorkerSlot, process: asyncio.subprocess.Process) -> None:
        await self._up(slot)
        assert slot.client is not None
        exited = asyncio.create_task(process.wait())
        lost = asyncio.create_task(slot.client.closed.wait())
        try:
            await asyncio.wait({exited, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
            lost.cancel()
        log.warning("media worker went down", extra={"worker": slot.name, "pid": process.pid})

    async def _dial(self, slot: WorkerSlot) -> None:
        """Keep a connection to an external worker, reconnecting after a loss."""
        while not self._stopping:
            try:
                await self._up(slot)
                assert slot.client is not None
                await slot.client.closed.wait()
            except Exception as exc:
                log.warning("media worker unreachable", extra={"worker": slot.name, "e": str(exc)})
            finally:
                await self._down(slot)
            await asyncio.sleep(self.settings.restart_backoff_s)
            slot.restarts += 1

    async def _up(self, slot: WorkerSlot) -> None:
        assert slot.url is not None
        client = WorkerClient(slot.url, self.secret, lambda e, d: self._event(slot, e, d))
        slot.client = client
        info = await client.connect()
        slot.load = {k: info[k] for k in ("participants", "rooms", "capacity", "cpu")}
        slot.pid, slot.state, slot.placed = int(info["pid"]), "up", 0
        await self._notify()

    async def _down(self, slot: WorkerSlot) -> None:
        if slot.client is not None:
            await slot.client.close()
            slot.client = None
        slot.state, slot.load = "down", {}
        gone = [room for room, worker in self.placement.items() if worker == slot.name]
        for room in gone:
            self.placement.pop(room, None)
            self.handlers.pop(room, None)
        await self._notify()
        for handler in self.lost_handlers if gone else []:
            try:
                await handler(gone)
            except Exception:
                log.exception("media lost-room handler failed")

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    def _event(self, slot: WorkerSlot, event: str, data: dict[str, Any]) -> None:
        if event == "load":
            slot.load, slot.placed = data, 0
            return
        handler = self.handlers.get(str(data.get("room")))
        if handler is not None:
            task = asyncio.create_task(handler(event, data))
            self._background.add(task)
            task.add_done_callback(self._background.discard)


def worker_command(settings: MediaSettings, name: str) -> list[str]:
    command = [sys.executable, "-m", "media.worker", "--parent-stdin", "--id", name]
    command += ["--capacity", str(settings.capacity), "--max-mixed", str(settings.max_mixed)]
    command += ["--max-video", str(settings.max_video)]
    for address in settings.ice_addresses:
        command += ["--ice-address", address]
    return command


async def _stop_process(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    if process.stdin is not None:
        process.stdin.close()
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
