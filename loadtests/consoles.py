"""Commanders and dispatchers: console clients watching a subtree (their ``cc:`` rooms).

A commander measures what reaches its console: ``location.changed`` (the worker's ``at``),
``alarms.changed`` (the device's send time in the alarm message), and ``dispatch.incident``
(the time stamped into the title or the note). A dispatcher is a console that also works:
it files ``incidents_per_min`` incidents (``dispatch.report``, registered at once) and
dispatches each to a simulated worker of the incident's grid, and it registers and dispatches
the residents' appeals as they come in.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import Any

from loadtests.context import (
    SETTLE_S,
    Context,
    call,
    close_counting,
    guarded,
    open_socket,
    stamp,
    stamped,
)
from loadtests.provision import Member
from loadtests.realtime.lean import LeanSocket

MAX_IN_FLIGHT = 200


class Console:
    def __init__(self, ctx: Context, sock: LeanSocket) -> None:
        self.ctx, self.sock = ctx, sock
        sock.handler = guarded(ctx, self.on_event)

    def on_event(self, event: str, data: Any, at: float) -> None:
        rec = self.ctx.rec
        if not isinstance(data, dict):
            return
        if event == "location.changed" and "at" in data:
            rec.latency("location.console", at - float(data["at"]))
        elif event == "alarms.changed":
            for item in data.get("items", []):
                with contextlib.suppress(KeyError, ValueError, TypeError):
                    rec.latency("alarm.console", at - float(item["message"]))
        elif event == "dispatch.incident":
            self.incident(data, at)
        elif event == "presence.changed":
            rec.count("presence.console")

    def incident(self, data: dict[str, Any], at: float) -> None:
        incident = data.get("incident") or {}
        noted = stamped(data.get("note"))  # an action stamped by the dispatcher
        if noted is not None:
            self.ctx.rec.latency("incident.console", at - noted)
            return
        created = stamped(incident.get("title")) if incident.get("version") == 1 else None
        if created is not None:  # the push announcing a new incident
            appeal = incident.get("source") == "appeal"
            self.ctx.rec.latency("appeal.console" if appeal else "incident.console", at - created)


class Dispatcher(Console):
    def __init__(self, ctx: Context, sock: LeanSocket, workers: dict[int, list[Member]]) -> None:
        super().__init__(ctx, sock)
        self.workers = workers  # by grid id: the simulated workers there
        self.turns = itertools.count()
        self.gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    def incident(self, data: dict[str, Any], at: float) -> None:
        super().incident(data, at)
        incident = data.get("incident") or {}
        appeal = incident.get("source") == "appeal" and data.get("action") == "reported"
        if appeal and self.ctx.scenario.commanders.dispatch_appeals and self.ctx.running():
            self.ctx.spawn(self.take_appeal(incident))

    def pick(self, grid_id: int | None = None) -> Member | None:
        pool = self.workers.get(grid_id, []) if grid_id is not None else None
        if not pool:
            every = [m for grid in sorted(self.workers) for m in self.workers[grid]]
            pool = every
        return pool[next(self.turns) % len(pool)] if pool else None

    async def act(self, incident: dict[str, Any], action: str, **fields: Any) -> Any:
        body = {
            "incident_id": incident["id"],
            "action": action,
            "version": incident["version"],
            **fields,
        }
        reply = await call(self.ctx.rec, self.sock, "dispatch.act", body, f"dispatch.{action}.ack")
        return reply["incident"] if reply else None

    async def dispatch(self, incident: dict[str, Any], worker: Member) -> None:
        assignee = {"kind": "person", "target": str(worker.person_id)}
        note = stamp("压测派遣", time.time())
        await self.act(incident, "dispatch", assignees=[assignee], note=note)

    async def take_appeal(self, incident: dict[str, Any]) -> None:
        async with self.gate:
            worker = self.pick(incident.get("grid_id"))
            registered = await self.act(incident, "register")
            if registered is not None and worker is not None:
                await self.dispatch(registered, worker)

    async def file(self, n: int) -> None:
        async with self.gate:
            worker = self.pick()
            if worker is None:
                return
            body = {
                "title": stamp(f"压测事件 {n}", time.time()),
                "category": "env_sanitation",
                "grid": worker.grid,
            }
            reply = await call(
                self.ctx.rec, self.sock, "dispatch.report", body, "dispatch.report.ack"
            )
            if reply is not None:
                await self.dispatch(reply["incident"], worker)

    async def report_loop(self, rate_per_s: float) -> None:
        """Open loop at ``rate_per_s``; bounded by the run's end and by MAX_IN_FLIGHT."""
        n = 0
        while await self.ctx.sleep_until(self.ctx.start + n / rate_per_s):
            if self.gate.locked():
                self.ctx.rec.error("dispatch.skipped_in_flight")
            else:
                self.ctx.spawn(self.file(n))
            n += 1


def by_grid(ctx: Context) -> dict[int, list[Member]]:
    table: dict[int, list[Member]] = {}
    for member in ctx.directory.workers:
        table.setdefault(ctx.grid_id(member.grid), []).append(member)
    return table


async def run_consoles(ctx: Context, tokens: dict[str, str]) -> None:
    c = ctx.scenario.commanders
    consoles: list[Console] = []
    for i, name in enumerate([*c.accounts, *c.dispatchers]):
        if name not in tokens:
            continue
        sock = await open_socket(ctx, ctx.url(i), tokens[name], "commanders")
        if sock is None:
            continue
        if name in c.dispatchers:
            consoles.append(Dispatcher(ctx, sock, by_grid(ctx)))
        else:
            consoles.append(Console(ctx, sock))
    dispatchers = [d for d in consoles if isinstance(d, Dispatcher)]
    try:
        if dispatchers and c.incidents_per_min > 0 and ctx.directory.workers:
            share = c.incidents_per_min / 60.0 / len(dispatchers)
            await asyncio.gather(*(d.report_loop(share) for d in dispatchers))
        await ctx.sleep_until(ctx.end)
        await asyncio.sleep(SETTLE_S)
    finally:
        await asyncio.gather(*(close_counting(ctx, d.sock) for d in consoles))
