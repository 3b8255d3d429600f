"""Lone-worker check-ins (man-down): a worker on a dangerous task checks in every interval; a
missed check-in raises an SOS by itself.

Each check-in has one durable timer ``checkin:<id>`` set for its ``due_at`` (moved on by every
check-in). When it fires, ``UPDATE ... WHERE state = 'active' AND due_at = <the timer's>`` marks
the check-in missed exactly once, even if the timer fires twice; only then is the SOS raised.

Every change (started, checked in, stopped, missed) goes to the command-centre rooms of the
worker's grid chain as ``escalation.checkin.changed``, so consoles show who is on a timed task.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update

from hub.sdk import (
    SYSTEM,
    Actor,
    Conflict,
    DueTimer,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
)
from plugins.escalation.config import EscalationConfig
from plugins.escalation.models import Checkin
from plugins.escalation.sos import Raise, SosDesk

KIND = "checkin"
ACTIVE, STOPPED, MISSED = "active", "stopped", "missed"
NO_SYNC = {"synchronize_session": False}


def checkin_dict(c: Checkin) -> dict[str, Any]:
    return {
        "id": c.id,
        "person_id": c.person_id,
        "grid_id": c.grid_id,
        "task": c.task,
        "interval_s": c.interval_s,
        "due_at": c.due_at,
        "state": c.state,
        "started_at": c.started_at,
        "sos_id": c.sos_id,
    }


class Checkins:
    def __init__(self, ctx: PluginContext, config: EscalationConfig, desk: SosDesk) -> None:
        self._ctx, self._config, self._desk = ctx, config, desk

    async def start(self, who: Principal, grid_id: int, task: str, interval_s: float) -> Checkin:
        low, high = self._config.checkin_min_s, self._config.checkin_max_s
        if not low <= interval_s <= high:
            raise InvalidInput(
                "checkin.interval_out_of_range", f"interval_s must be between {low:g} and {high:g}"
            )
        if await self._active_of(who.person_id) is not None:
            raise Conflict("checkin.already_active", "stop your running check-in first")
        now = time.time()
        checkin = Checkin(
            person_id=who.person_id,
            grid_id=grid_id,
            task=task,
            interval_s=interval_s,
            due_at=now + interval_s,
            state=ACTIVE,
            started_at=now,
        )
        async with self._ctx.sessions.begin() as session:
            session.add(checkin)
            await session.flush()
            self._ctx.audit.record(
                session,
                Actor.of(who),
                "escalation.checkin.started",
                "escalation_checkin",
                checkin.id,
                {"task": task, "interval_s": interval_s},
            )
        await self._arm(checkin.id, checkin.due_at)
        await self._tell(checkin)
        return checkin

    async def mine(self, who: Principal) -> dict[str, Any]:
        """The caller's running check-in, if any (the field app after a restart), and the
        interval bounds the app offers choices within."""
        running = await self._active_of(who.person_id)
        return {
            "checkin": None if running is None else checkin_dict(running),
            "min_s": self._config.checkin_min_s,
            "max_s": self._config.checkin_max_s,
        }

    async def check_in(self, who: Principal, checkin_id: int) -> Checkin:
        checkin = await self._own_active(who, checkin_id)
        due_at = time.time() + checkin.interval_s
        async with self._ctx.sessions.begin() as session:
            await session.execute(
                update(Checkin)
                .where(Checkin.id == checkin_id, Checkin.state == ACTIVE)
                .values(due_at=due_at),
                execution_options=NO_SYNC,
            )
        await self._arm(checkin_id, due_at)
        return await self._tell(await self._get(checkin_id))

    async def stop(self, who: Principal, checkin_id: int) -> Checkin:
        await self._own_active(who, checkin_id)
        async with self._ctx.sessions.begin() as session:
            await session.execute(
                update(Checkin)
                .where(Checkin.id == checkin_id, Checkin.state == ACTIVE)
                .values(state=STOPPED),
                execution_options=NO_SYNC,
            )
            self._ctx.audit.record(
                session,
                Actor.of(who),
                "escalation.checkin.stopped",
                "escalation_checkin",
                checkin_id,
            )
        await self._ctx.timers.cancel(f"{KIND}:{checkin_id}")
        return await self._tell(await self._get(checkin_id))

    async def on_due(self, payload: dict[str, Any], timer: DueTimer) -> None:
        checkin_id, due_at = int(payload["checkin_id"]), float(payload["due_at"])
        async with self._ctx.sessions.begin() as session:
            result = await session.execute(
                update(Checkin)
                .where(Checkin.id == checkin_id, Checkin.state == ACTIVE, Checkin.due_at == due_at)
                .values(state=MISSED),
                execution_options=NO_SYNC,
            )
            missed = bool(getattr(result, "rowcount", 0))
            if missed:
                self._ctx.audit.record(
                    session,
                    SYSTEM,
                    "escalation.checkin.missed",
                    "escalation_checkin",
                    checkin_id,
                    {"due_at": due_at},
                )
        if missed:
            await self._raise(await self._tell(await self._get(checkin_id)))

    async def _raise(self, checkin: Checkin) -> None:
        note = f"missed check-in: {checkin.task}"
        what = Raise(checkin.person_id, checkin.grid_id, "checkin", note=note)
        sos, _ = await self._desk.raise_sos(what, SYSTEM)
        async with self._ctx.sessions.begin() as session:
            await session.execute(
                update(Checkin).where(Checkin.id == checkin.id).values(sos_id=sos["id"]),
                execution_options=NO_SYNC,
            )
        # The worker's own devices: the field app shows the SOS and opens its hot mic.
        told = {"checkin": checkin_dict(await self._get(checkin.id)), "sos": sos}
        rooms = [self._ctx.realtime.user_room(checkin.person_id)]
        await self._ctx.realtime.emit("checkin.missed", told, rooms)

    async def _arm(self, checkin_id: int, due_at: float) -> None:
        payload = {"checkin_id": checkin_id, "due_at": due_at}
        await self._ctx.timers.schedule(KIND, f"{KIND}:{checkin_id}", due_at, payload)

    async def _tell(self, checkin: Checkin) -> Checkin:
        """Consoles over the worker's grid learn of the change (who is on a timed task)."""
        rooms = self._ctx.realtime.command_rooms([checkin.grid_id])
        await self._ctx.realtime.emit("checkin.changed", checkin_dict(checkin), rooms)
        return checkin

    async def _own_active(self, who: Principal, checkin_id: int) -> Checkin:
        checkin = await self._get(checkin_id)
        if checkin.person_id != who.person_id:
            raise NotFound("checkin.not_found", f"no check-in {checkin_id} of yours")
        if checkin.state != ACTIVE:
            raise Conflict("checkin.not_active", f"this check-in is {checkin.state}")
        return checkin

    async def _active_of(self, person_id: int) -> Checkin | None:
        statement = select(Checkin).where(Checkin.person_id == person_id, Checkin.state == ACTIVE)
        async with self._ctx.sessions() as session:
            return (await session.scalars(statement.limit(1))).first()

    async def _get(self, checkin_id: int) -> Checkin:
        async with self._ctx.sessions() as session:
            checkin = await session.get(Checkin, checkin_id)
        if checkin is None:
            raise NotFound("checkin.not_found", f"no check-in {checkin_id} of yours")
        return checkin
