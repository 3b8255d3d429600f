"""Core socket events: presence states, location reports, who is where, track playback."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import policy
from hub.access import STAFF_ROLES, Principal, in_scope, require_scope
from hub.errors import InvalidInput, NotFound
from hub.grid import GridIndex
from hub.ids import DbCursor, DbId
from hub.presence import SETTABLE, Location, Snapshot, is_stale, snapshot_of
from hub.realtime import Connection, Realtime, covering_command_rooms
from storage.models import Assignment, LocationPoint, Person
from storage.sql import utcnow

MAX_CLOCK_SKEW_S = 300.0
WHO_MAX = 5000  # people per presence.who reply (`more` and `after` page on)
TRACK_MAX = 5000  # points per location.track reply (`more` and `next_since` page on)
PRESENCE_SET = policy.signed_in("presence.set", policy.Scope.OWN)
PRESENCE_ACTIVITY = policy.signed_in("presence.activity", policy.Scope.OWN)
# Staff only: a report goes to the command centres over the person's grids, and a resident's
# whereabouts are no business of theirs (residents locate a problem in their appeal instead).


def staff_rules(staff: Iterable[str]) -> dict[str, policy.Rule]:
    """The staff events: location.report, presence.who, location.track, for this hub's staff
    roles (the core's and the enabled plugins' staff roles, hub/roles.py)."""
    return {
        "location.report": policy.for_roles("location.report", staff, policy.Scope.OWN),
        "presence.who": policy.for_roles("presence.who", staff, policy.Scope.LISTED),
        "location.track": policy.for_roles("location.track", staff, policy.Scope.PERSON),
    }


class PresenceIn(BaseModel):
    # A core state or one a plugin contributed (those cannot be chosen, but are not unknown).
    state: str = Field(max_length=32)


class LocationIn(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy: float | None = Field(None, ge=0, le=100_000)
    heading: float | None = Field(None, ge=0, lt=360)
    speed: float | None = Field(None, ge=0, le=500)
    battery: float | None = Field(None, ge=0, le=100)
    # Not before 1970: datetime cannot hold times far in the past (the future is checked later).
    at: float | None = Field(None, ge=0, description="epoch seconds when measured; default now")


class WhoQuery(BaseModel):
    grid: str | None = Field(None, description="grid code; default your whole scope")
    include_offline: bool = False
    after: DbCursor = Field(0, description="the last person_id of the previous page")
    limit: int = Field(WHO_MAX, ge=1, le=WHO_MAX)


class TrackQuery(BaseModel):
    person_id: DbId
    since: float
    until: float | None = None
    limit: int = Field(TRACK_MAX, ge=1, le=TRACK_MAX)


class Empty(BaseModel):
    pass


class People:
    """Cached facts about people needed on every presence change."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._cache: dict[int, tuple[str, str, int, tuple[int, ...]]] = {}
        # Counts forget calls: a read that one overlapped may predate the change it announces,
        # so it is read again rather than cached.
        self._changes = 0

    async def facts(self, person_id: int) -> tuple[str, str, int, tuple[int, ...]]:
        """(username, display name, report interval, grid ids), cached until `forget`. A read
        that a forget overlapped is made again: cached, it sent the person's presence and
        locations to the command centres of the grids they had just left."""
        while person_id not in self._cache:
            changes = self._changes
            facts = await self._read(person_id)
            if changes == self._changes:
                self._cache[person_id] = facts
        return self._cache[person_id]

    async def _read(self, person_id: int) -> tuple[str, str, int, tuple[int, ...]]:
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
            if person is None:
                raise NotFound("person.not_found", f"person {person_id} does not exist")
            grids = await session.scalars(
                select(Assignment.grid_id).where(Assignment.person_id == person_id)
            )
            ids = tuple(sorted({g for g in grids if g is not None}))
        return person.username, person.display_name, person.report_interval_s, ids

    def forget(self, person_id: int) -> None:
        """Drop what is cached of a person (0: of everyone)."""
        self._changes += 1
        if person_id == 0:
            self._cache.clear()
        self._cache.pop(person_id, None)


class Live:
    def __init__(
        self,
        realtime: Realtime,
        sessions: async_sessionmaker[AsyncSession],
        people: People,
        staff: frozenset[str] = STAFF_ROLES,
    ) -> None:
        self.rt = realtime
        self.staff = staff
        self._sessions = sessions
        self.people = people
        realtime.on_presence(self._push_presence)
        realtime.on("presence.set", PresenceIn, PRESENCE_SET)(self.set_state)
        realtime.on("presence.activity", Empty, PRESENCE_ACTIVITY)(self.activity)
        rules = staff_rules(staff)
        realtime.on("location.report", LocationIn, rules["location.report"])(self.report_location)
        realtime.on("presence.who", WhoQuery, rules["presence.who"])(self.who)
        realtime.on("location.track", TrackQuery, rules["location.track"])(self.track)

    async def set_state(self, conn: Connection, body: PresenceIn) -> dict[str, Any]:
        if not self.rt.presence_states.known(body.state):
            raise InvalidInput("request.invalid", f"state: unknown presence state {body.state!r}")
        if body.state not in SETTABLE:
            raise InvalidInput("presence.state_invalid", f"{body.state} cannot be chosen here")
        person = conn.principal.person_id
        # A device in a call stays "on_call" (the presence book counts its calls); the state
        # chosen now shows when its calls are over.
        change = await self.rt.presence.choose(person, conn.sid, body.state, time.time())
        await self.rt.announce(change)
        return {"state": change.record.state}

    async def activity(self, conn: Connection, _: Empty) -> dict[str, Any]:
        return {"state": (await self.rt.presence.get(conn.principal.person_id)).state}

    async def report_location(self, conn: Connection, body: LocationIn) -> dict[str, Any]:
        now = time.time()
        at = body.at if body.at is not None else now
        if at > now + MAX_CLOCK_SKEW_S:
            raise InvalidInput("location.clock_skew", "report time is in the future")
        loc = Location(
            body.lat, body.lon, min(at, now), body.accuracy, body.heading, body.speed, body.battery
        )
        who = conn.principal
        await self._store(who.person_id, loc)
        await self.rt.presence.locate(who.person_id, loc.as_dict())
        username, name, _interval, grids = await self.people.facts(who.person_id)
        rooms = covering_command_rooms(grids, self.rt.grids())
        await self.rt.emit(
            "location.changed",
            {"person_id": who.person_id, "username": username, "name": name, **loc.as_dict()},
            rooms,
        )
        return {"at": loc.at}

    async def who(self, conn: Connection, body: WhoQuery) -> dict[str, Any]:
        index = self.rt.grids()
        scope = self._scope(conn.principal, index, body.grid)
        rows: list[dict[str, Any]] = []
        candidates = sorted(await self._candidates(body.include_offline), key=_person_id)
        for snapshot in (s for s in candidates if s.person_id > body.after):
            username, name, interval, grids = await self.people.facts(snapshot.person_id)
            if scope is None or scope & set(grids):
                if len(rows) == body.limit:
                    return {"people": rows, "more": True}
                rows.append(person_row(snapshot, username, name, interval, grids))
        return {"people": rows, "more": False}

    async def track(self, conn: Connection, body: TrackQuery) -> dict[str, Any]:
        index = self.rt.grids()
        _u, _n, _i, grids = await self.people.facts(body.person_id)
        allowed = conn.principal.person_id == body.person_id or any(
            in_scope(conn.principal, index, g, self.staff) for g in grids
        )
        if not allowed:
            require_scope(conn.principal, index, grids[0] if grids else -1, self.staff)
        points = await self._points(body)  # one more than asked: is there a next page?
        more = len(points) > body.limit
        return {
            "person_id": body.person_id,
            "points": points[: body.limit],
            "more": more,
            "next_since": points[body.limit]["at"] if more else None,
        }

    async def sweep_tracks(self, retention_days: int) -> int:
        cutoff = utcnow() - timedelta(days=retention_days)
        async with self._sessions.begin() as session:
            result = await session.execute(delete(LocationPoint).where(LocationPoint.at < cutoff))
            return int(getattr(result, "rowcount", 0) or 0)

    # ---- helpers -------------------------------------------------------------------------

    async def _push_presence(self, snapshot: Snapshot) -> None:
        username, name, interval, grids = await self.people.facts(snapshot.person_id)
        rooms = covering_command_rooms(grids, self.rt.grids())
        await self.rt.emit(
            "presence.changed", person_row(snapshot, username, name, interval, grids), rooms
        )

    async def _candidates(self, include_offline: bool) -> list[Snapshot]:
        records = await self.rt.presence.known(online_only=not include_offline)
        return [snapshot_of(r) for r in records]

    def _scope(self, who: Principal, index: GridIndex, code: str | None) -> set[int] | None:
        if code is not None:
            root = index.by_code(code)
            require_scope(who, index, root.id, self.staff)
            return index.scope_ids([root.id])
        return None if who.is_admin else index.scope_ids(who.grid_ids(self.staff))

    async def _store(self, person_id: int, loc: Location) -> None:
        async with self._sessions.begin() as session:
            session.add(
                LocationPoint(
                    person_id=person_id,
                    at=datetime.fromtimestamp(loc.at, UTC),
                    lat=loc.lat,
                    lon=loc.lon,
                    accuracy=loc.accuracy,
                    heading=loc.heading,
                    speed=loc.speed,
                    battery=loc.battery,
                )
            )

    async def _points(self, body: TrackQuery) -> list[dict[str, Any]]:
        stmt = (
            select(LocationPoint)
            .where(
                LocationPoint.person_id == body.person_id,
                LocationPoint.at >= datetime.fromtimestamp(body.since, UTC),
            )
            .order_by(LocationPoint.at)
            .limit(body.limit + 1)
        )
        if body.until is not None:
            stmt = stmt.where(LocationPoint.at < datetime.fromtimestamp(body.until, UTC))
        async with self._sessions() as session:
            rows = await session.scalars(stmt)
            return [
                {
                    "at": r.at.timestamp(),
                    "lat": r.lat,
                    "lon": r.lon,
                    "accuracy": r.accuracy,
                    "heading": r.heading,
                    "speed": r.speed,
                    "battery": r.battery,
                }
                for r in rows
            ]


def _person_id(snapshot: Snapshot) -> int:
    return snapshot.person_id


def person_row(
    snapshot: Snapshot, username: str, name: str, interval: int, grids: tuple[int, ...]
) -> dict[str, Any]:
    loc = snapshot.location
    return {
        "person_id": snapshot.person_id,
        "username": username,
        "name": name,
        "state": snapshot.state,
        "devices": snapshot.devices,
        "last_seen": snapshot.last_seen or None,
        "grids": list(grids),
        "location": None if loc is None else {**loc.as_dict(), "stale": is_stale(loc, interval)},
    }
