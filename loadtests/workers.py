"""Field workers (网格员): socket.io clients with heartbeats, locations, chat and task actions.

Each worker sends ``presence.activity`` every ``heartbeat_s``, ``location.report`` (with its
send time in ``at``) every ``location_s``, and ``chat_per_min`` text messages into its grid's
channel (the send time in the text); the timers start at random phases so the load is even.
Workers in the same grid receive each other's messages: arrival minus the carried time is the
``chat.delivery`` latency. Each worker follows its grid's channel as docs/protocol.md asks
(loadtests/channel_log.py: offset order, a gap not filled live within 1 s or a
``channel.head`` ahead of it leads to ``channel.recover``); the gaps it had to recover and the
messages that came only through recovery are counted (``chat.gaps``, ``chat.recovered``,
``chat.reloads``, ``chat.recover_failed``). A worker that is dispatched an incident signs it
and, after ``handle_after_s``, handles it (``dispatch.act``), both measured.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

from loadtests.channel_log import ChannelFollower, Message
from loadtests.context import (
    CALL_TIMEOUT_S,
    Context,
    call,
    channels_of,
    close_counting,
    emit,
    guarded,
    open_socket,
    settle,
    stamped,
)
from loadtests.provision import Member
from loadtests.realtime.lean import LeanSocket

CHAT_MARK = '{"lt":'


class Worker:
    def __init__(self, ctx: Context, member: Member, token: str, url: str) -> None:
        self.ctx, self.member, self.token, self.url = ctx, member, token, url
        self.sock: LeanSocket | None = None
        self.channel_id: int | None = None
        self.follower: ChannelFollower | None = None
        self.grid = next(g for g in ctx.directory.grids if g.code == member.grid)
        self.seq = 0

    async def connect(self) -> bool:
        self.sock = await open_socket(self.ctx, self.url, self.token, "workers")
        if self.sock is None:
            return False
        self.sock.handler = guarded(self.ctx, self.on_event)
        for channel in await channels_of(self.ctx.rec, self.sock) or []:
            if channel.get("kind") == "grid" and channel.get("grid_id") == self.grid.id:
                self.follow(channel)
        return True

    def follow(self, channel: dict[str, Any]) -> None:
        self.channel_id = int(channel["id"])
        self.follower = ChannelFollower(self.channel_id, self._call, _applied)
        self.follower.start_at(str(channel["epoch"]), int(channel["last_offset"]))

    async def _call(self, event: str, data: dict[str, Any]) -> Any:
        if self.sock is None or self.sock.closed:
            raise ConnectionError("socket closed")
        return await self.sock.call(event, data, CALL_TIMEOUT_S)

    def on_event(self, event: str, data: Any, at: float) -> None:
        if event == "channel.message":
            self._message(data, at)
        elif event == "channel.head" and self._mine(data):
            assert self.follower is not None
            self.follower.on_head(data)
        elif event == "dispatch.incident" and isinstance(data, dict):
            self._incident(data, at)
        elif event == "session.ended":
            self.ctx.rec.error(
                f"session.ended.{data.get('code') if isinstance(data, dict) else ''}"
            )

    def _message(self, data: Any, at: float) -> None:
        text = ((data or {}).get("body") or {}).get("text")
        mine = data.get("sender_id") == self.member.person_id
        if isinstance(text, str) and text.startswith(CHAT_MARK) and not mine:
            sent = json.JSONDecoder().raw_decode(text)[0]["lt"]
            self.ctx.rec.latency("chat.delivery", at - float(sent))
        if self._mine(data):
            assert self.follower is not None
            self.follower.on_message(data)

    def _mine(self, data: Any) -> bool:
        """An event of the channel this worker follows."""
        followed = self.follower is not None and isinstance(data, dict)
        return followed and data.get("channel_id") == self.channel_id

    def _incident(self, data: dict[str, Any], at: float) -> None:
        sent = stamped(data.get("note"))
        incident = data.get("incident") or {}
        if data.get("action") != "dispatch" or incident.get("state") != "dispatched":
            return
        if sent is not None:
            self.ctx.rec.latency("task.push", at - sent)
        if self.ctx.scenario.workers.tasks:
            self.ctx.spawn(self.work_on(int(incident["id"]), int(incident["version"])))

    async def work_on(self, incident_id: int, version: int) -> None:
        assert self.sock is not None
        rec = self.ctx.rec
        body = {"incident_id": incident_id, "action": "sign", "version": version}
        reply = await call(rec, self.sock, "dispatch.act", body, "task.sign.ack")
        if reply is None or not await self.ctx.sleep_until(
            time.time() + self.ctx.scenario.workers.handle_after_s
        ):
            return
        body = {
            "incident_id": incident_id,
            "action": "handle",
            "note": "已处理（压测）",
            "version": int(reply["incident"]["version"]),
        }
        if await call(rec, self.sock, "dispatch.act", body, "task.handle.ack"):
            rec.count("tasks.handled")

    async def live(self) -> None:
        """Send on every timer until the run ends (bounded: the run's end time)."""
        w = self.ctx.scenario.workers
        periods = {"heartbeat": w.heartbeat_s, "location": w.location_s}
        if w.chat_per_min > 0 and self.channel_id is not None:
            periods["chat"] = 60.0 / w.chat_per_min
        now = time.time()
        due = {name: now + random.uniform(0, p) for name, p in periods.items()}
        while self.sock is not None and not self.sock.closed:
            name = min(due, key=due.__getitem__)
            if not await self.ctx.sleep_until(due[name]):
                return
            await self.send(name)
            due[name] += periods[name]

    async def send(self, name: str) -> None:
        assert self.sock is not None
        rec, now = self.ctx.rec, time.time()
        if name == "heartbeat":
            await emit(rec, self.sock, "presence.activity", {}, "heartbeat.ack")
        elif name == "location":
            await emit(rec, self.sock, "location.report", self.position(now), "location.ack")
        else:
            self.seq += 1
            text = json.dumps({"lt": now, "w": self.member.username}) + " 压测消息"
            body = {
                "channel_id": self.channel_id,
                "kind": "text",
                "body": {"text": text},
                "client_msg_id": f"lt-{self.member.username}-{now:.6f}",
            }
            await emit(rec, self.sock, "channel.send", body, "chat.ack")

    def position(self, now: float) -> dict[str, Any]:
        jitter = 0.002
        return {
            "lat": self.grid.lat + random.uniform(-jitter, jitter),
            "lon": self.grid.lon + random.uniform(-jitter, jitter),
            "accuracy": 8,
            "battery": 80,
            "at": now,
        }

    async def close(self) -> None:
        if self.follower is not None:
            await self.follower.close()
            counts = self.follower.counts
            for name, n in (
                ("chat.gaps", counts.gaps),
                ("chat.recovered", counts.recovered),
                ("chat.reloads", counts.reloads),
                ("chat.recover_failed", counts.failures),
            ):
                if n:
                    self.ctx.rec.count(name, n)
        if self.sock is not None:
            await close_counting(self.ctx, self.sock)


def _applied(messages: list[Message]) -> None:
    """Workers measure arrival (``chat.delivery``); the order of application is not needed."""


async def run_workers(ctx: Context, members: list[Member], tokens: dict[str, str]) -> None:
    """Connect the workers evenly over the ramp, then let each live until the end."""
    w = ctx.scenario.workers
    gate = asyncio.Semaphore(w.connect_parallel)
    ready = [m for m in members if m.username in tokens]
    workers = [Worker(ctx, m, tokens[m.username], ctx.url(i)) for i, m in enumerate(ready)]
    spacing = ctx.scenario.ramp_s / max(len(workers), 1)

    async def start(index: int, worker: Worker) -> None:
        if not await ctx.sleep_until(ctx.start + index * spacing):
            return
        async with gate:
            connected = await worker.connect()
        if connected:
            await worker.live()

    try:
        await asyncio.gather(*(start(i, wk) for i, wk in enumerate(workers)))
        await settle(lambda: sum(len(w.sock._acks) for w in workers if w.sock is not None))
    finally:
        await asyncio.gather(*(wk.close() for wk in workers), return_exceptions=True)
