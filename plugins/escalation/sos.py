"""SOS from the field (一键报警): raise, acknowledge (first commander wins), close with a note.

The first acknowledgement is decided in the database: ``UPDATE ... WHERE state = 'open'``
succeeds for exactly one commander on any node; the others get ``sos.already_taken`` naming the
owner. Raising turns the worker's presence to SOS on every device until the owner closes it
("sos" is a presence state this plugin contributes).

Events (plugin namespace): ``escalation.sos.raised`` / ``.acknowledged`` / ``.closed`` to the
command-centre rooms of the worker's grid chain, ``escalation.sos.received`` ("received by
NAME") and ``escalation.sos.closed`` to the worker; ``escalation.sos.audio`` to the command
rooms once the worker's hot mic is recorded. An SOS is subject kind "sos" for recordings
(hub subjects): the worker's app may publish its microphone to the recorder of its open SOS,
and its recording is linked in ``Sos.audio_stream_id``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from hub.sdk import (
    COMMAND_ROLES,
    Actor,
    Conflict,
    Forbidden,
    GridIndex,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    SubjectInfo,
    require_scope,
)
from plugins.escalation.chains import Chains, Start
from plugins.escalation.models import Sos

OPEN, ACKNOWLEDGED, CLOSED = "open", "acknowledged", "closed"
SOS_STATE = "sos"  # the presence state (contributed) and the recording subject kind
NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True, slots=True)
class Raise:
    person_id: int
    grid_id: int
    source: str  # button | checkin
    lat: float | None = None
    lon: float | None = None
    note: str = ""


def sos_dict(sos: Sos) -> dict[str, Any]:
    location = None if sos.lat is None else {"lat": sos.lat, "lon": sos.lon}
    return {
        "id": sos.id,
        "person_id": sos.person_id,
        "person_name": sos.person_name,
        "grid_id": sos.grid_id,
        "state": sos.state,
        "source": sos.source,
        "location": location,
        "note": sos.note,
        "raised_at": sos.raised_at,
        "owner_id": sos.owner_id,
        "owner_name": sos.owner_name,
        "acknowledged_at": sos.acknowledged_at,
        "closed_at": sos.closed_at,
        "close_note": sos.close_note,
        "audio_stream_id": sos.audio_stream_id,
    }


def home_grid(who: Principal, index: GridIndex) -> int:
    """The grid an SOS belongs to: the deepest basic grid the person is assigned to."""
    grids = [index.get(g) for g in who.grid_ids() if g in index]
    basic = [g for g in grids if not g.is_overlay] or grids
    if not basic:
        raise InvalidInput("sos.no_grid", "you are not assigned to any grid")
    return int(max(basic, key=lambda g: (g.depth, -g.id)).id)


class SosDesk:
    def __init__(self, ctx: PluginContext, chains: Chains) -> None:
        self._ctx, self._chains = ctx, chains

    async def raise_sos(self, what: Raise, actor: Actor) -> tuple[dict[str, Any], bool]:
        """Open an SOS (or return the person's SOS still open); True when it is new."""
        existing = await self._open_of(what.person_id)
        if existing is not None:
            return sos_dict(existing), False
        sos = await self._insert(what, actor)
        data = sos_dict(sos)
        await self._ctx.realtime.force_presence(what.person_id, SOS_STATE)
        await self._ctx.realtime.emit("sos.raised", data, self._rooms(sos))
        trigger = "checkin" if what.source == "checkin" else "sos"
        context = {
            "sos_id": sos.id,
            "person_id": sos.person_id,
            "person_name": sos.person_name,
            "location": data["location"],
        }
        start = Start(trigger, f"sos:{sos.id}", f"sos:{sos.id}", sos.grid_id, context)
        await self._chains.start(start)
        return data, True

    async def mine(self, person_id: int) -> dict[str, Any] | None:
        """The person's SOS not closed yet (open or acknowledged), if any."""
        existing = await self._open_of(person_id)
        return None if existing is None else sos_dict(existing)

    async def acknowledge(self, who: Principal, sos_id: int) -> dict[str, Any]:
        sos = await self._get_in_scope(who, sos_id)
        now = time.time()
        async with self._ctx.sessions.begin() as session:
            result = await session.execute(
                update(Sos)
                .where(Sos.id == sos_id, Sos.state == OPEN)
                .values(
                    state=ACKNOWLEDGED,
                    owner_id=who.person_id,
                    owner_name=who.display_name,
                    acknowledged_at=now,
                ),
                execution_options=NO_SYNC,
            )
            taken = bool(getattr(result, "rowcount", 0))
            if taken:
                self._ctx.audit.record(
                    session,
                    Actor.of(who),
                    "escalation.sos.acknowledged",
                    "escalation_sos",
                    sos_id,
                    {"person_id": sos.person_id},
                )
        if not taken:
            raise self._not_open(await self._get(sos_id))
        await self._chains.stop(f"sos:{sos_id}", "acknowledged", Actor.of(who))
        data = sos_dict(await self._get(sos_id))
        await self._ctx.realtime.emit("sos.acknowledged", data, self._rooms(sos))
        received = {"sos_id": sos_id, "received_by": who.display_name, "owner_id": who.person_id}
        await self._ctx.realtime.emit("sos.received", received, self._worker(sos))
        return data

    async def close(self, who: Principal, sos_id: int, note: str) -> dict[str, Any]:
        sos = await self._get_in_scope(who, sos_id)
        async with self._ctx.sessions.begin() as session:
            result = await session.execute(
                update(Sos)
                .where(Sos.id == sos_id, Sos.state == ACKNOWLEDGED, Sos.owner_id == who.person_id)
                .values(state=CLOSED, closed_at=time.time(), close_note=note),
                execution_options=NO_SYNC,
            )
            closed = bool(getattr(result, "rowcount", 0))
            if closed:
                self._ctx.audit.record(
                    session,
                    Actor.of(who),
                    "escalation.sos.closed",
                    "escalation_sos",
                    sos_id,
                    {"note": note},
                )
        if not closed:
            raise self._not_closable(await self._get(sos_id), who)
        await self._ctx.realtime.force_presence(sos.person_id, None)
        data = sos_dict(await self._get(sos_id))
        await self._ctx.realtime.emit("sos.closed", data, [*self._rooms(sos), *self._worker(sos)])
        return data

    async def get_in_scope(self, who: Principal, sos_id: int) -> dict[str, Any]:
        return sos_dict(await self._get_in_scope(who, sos_id))

    async def subject(self, sos_id: int) -> SubjectInfo | None:
        """The SOS as a recording subject: the worker's, on its grid, open until closed."""
        async with self._ctx.sessions() as session:
            sos = await session.get(Sos, sos_id)
        if sos is None:
            return None
        return SubjectInfo(sos.person_id, sos.grid_id, sos.state != CLOSED, sos.state)

    async def recording_attached(self, sos_id: int, recording_id: str) -> None:
        """A recording of the SOS started: the SOS points at it (`audio_stream_id`)."""
        async with self._ctx.sessions.begin() as session:
            await session.execute(
                update(Sos)
                .where(Sos.id == sos_id)
                .values(audio_stream_id=f"recording:{recording_id}"),
                execution_options=NO_SYNC,
            )
        # Consoles learn the SOS now has live audio (the taker may listen: recordings/listen).
        sos = await self._get(sos_id)
        await self._ctx.realtime.emit("sos.audio", sos_dict(sos), self._rooms(sos))

    # --- helpers -------------------------------------------------------------------------

    async def _insert(self, what: Raise, actor: Actor) -> Sos:
        lat, lon = what.lat, what.lon
        if lat is None or lon is None:
            lat, lon = await self._last_location(what.person_id)
        name = (await self._ctx.directory.person(what.person_id)).display_name
        async with self._ctx.sessions.begin() as session:
            sos = Sos(
                person_id=what.person_id,
                person_name=name,
                grid_id=what.grid_id,
                state=OPEN,
                source=what.source,
                lat=lat,
                lon=lon,
                note=what.note,
                raised_at=time.time(),
            )
            session.add(sos)
            await session.flush()
            self._ctx.audit.record(
                session,
                actor,
                "escalation.sos.raised",
                "escalation_sos",
                sos.id,
                {"source": what.source, "grid_id": what.grid_id},
            )
        return sos

    async def _last_location(self, person_id: int) -> tuple[float | None, float | None]:
        """The last location the person's devices reported (presence, cluster-wide)."""
        snapshot = (await self._ctx.realtime.presence_of([person_id]))[person_id]
        loc = snapshot.location
        return (None, None) if loc is None else (loc.lat, loc.lon)

    async def _open_of(self, person_id: int) -> Sos | None:
        statement = select(Sos).where(Sos.person_id == person_id, Sos.state != CLOSED).limit(1)
        async with self._ctx.sessions() as session:
            return (await session.scalars(statement)).first()

    async def _get(self, sos_id: int) -> Sos:
        async with self._ctx.sessions() as session:
            sos = await session.get(Sos, sos_id)
        if sos is None:
            raise NotFound("sos.not_found", f"no SOS {sos_id}")
        return sos

    async def _get_in_scope(self, who: Principal, sos_id: int) -> Sos:
        sos = await self._get(sos_id)
        require_scope(who, self._ctx.grids.index, sos.grid_id, COMMAND_ROLES)
        return sos

    @staticmethod
    def _not_open(sos: Sos) -> Conflict:
        if sos.state == CLOSED:
            return Conflict("sos.closed", "this SOS is already closed")
        return Conflict(
            "sos.already_taken",
            f"already taken by {sos.owner_name}",
            details={"owner_id": sos.owner_id, "owner_name": sos.owner_name},
        )

    @staticmethod
    def _not_closable(sos: Sos, who: Principal) -> Conflict | Forbidden:
        if sos.state == CLOSED:
            return Conflict("sos.closed", "this SOS is already closed")
        if sos.state == OPEN:
            return Conflict("sos.not_acknowledged", "acknowledge the SOS before closing it")
        return Forbidden("sos.not_owner", f"only {sos.owner_name} (who took it) can close it")

    def _rooms(self, sos: Sos) -> list[str]:
        return self._ctx.realtime.command_rooms([sos.grid_id])

    def _worker(self, sos: Sos) -> list[str]:
        return [self._ctx.realtime.user_room(sos.person_id)]
