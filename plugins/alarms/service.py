"""Alarm actions of people (acknowledge, clear, comment, assign) and scoped queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import audit, policy
from hub.access import STAFF_ROLES, Principal, Role, in_scope, require_role
from hub.errors import Conflict, InvalidInput, NotFound
from hub.grid import GridIndex, GridNode
from plugins.alarms import state
from plugins.alarms.models import Alarm, AlarmEvent
from plugins.alarms.state import Actor, Change
from storage.models import Assignment, Person
from storage.sql import utcnow

ACT_ROLES = frozenset({Role.COMMANDER, Role.DISPATCHER, Role.GRID_LEADER})
ALARM = "alarm"  # scope: the alarm's grid lies under the caller's staff grants (`_visible`)

# One rule per action; the HTTP route and the socket event of an action share it.
LIST = policy.for_roles("alarms.list", STAFF_ROLES, policy.Scope.LISTED)  # list, ATOM feed
READ = policy.for_roles("alarms.read", STAFF_ROLES, ALARM)  # one alarm, its CAP message
ACK = policy.for_roles("alarms.ack", ACT_ROLES, ALARM)
CLEAR = policy.for_roles("alarms.clear", ACT_ROLES, ALARM)
COMMENT = policy.for_roles("alarms.comment", STAFF_ROLES, ALARM)
ASSIGN = policy.for_roles("alarms.assign", ACT_ROLES, ALARM)  # and the assignee: `_assignable`
ASSIGNEES = policy.for_roles("alarms.assignees", ACT_ROLES, ALARM)  # who `assign` would accept
FRAMES = policy.for_roles("alarms.frames", STAFF_ROLES, policy.Scope.DEVICE)
RULES_READ = policy.for_roles("alarms.rules.read", STAFF_ROLES, policy.Scope.NONE)
RULES_EDIT = policy.admin_only("alarms.rules.edit")
DEVICE_CONNECT = policy.public("alarms.device.connect", policy.Scope.DEVICE_KEY)
Notify = Callable[[list[Change]], Awaitable[None]]
Grants = list[tuple[str, int | None]]  # (role, grid) of a person
Assignees = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class AlarmFilter:
    active: bool | None = None
    severity: str | None = None
    device: str | None = None
    type: str | None = None
    before_id: int | None = None
    limit: int = 100


def visible_grids(who: Principal, index: GridIndex) -> set[int] | None:
    """Grids whose alarms `who` sees: every grid under their grants (None: all, for admins)."""
    if who.is_admin:
        return None
    return set(index.scope_ids(who.grid_ids(STAFF_ROLES)))


class AlarmService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        grids: Callable[[], GridIndex],
        notify: Notify,
    ) -> None:
        self._sessions, self._grids, self._notify = sessions, grids, notify

    # --- queries -----------------------------------------------------------------------------

    async def list(self, who: Principal, f: AlarmFilter) -> list[dict[str, Any]]:
        require_role(who, STAFF_ROLES)
        stmt = _filtered(f, visible_grids(who, self._grids()))
        async with self._sessions() as session:
            rows = await session.scalars(stmt.order_by(Alarm.id.desc()).limit(f.limit))
            return [state.snapshot(row) for row in rows]

    async def get(self, who: Principal, alarm_id: int) -> dict[str, Any]:
        async with self._sessions() as session:
            alarm = await self._visible(session, who, alarm_id, STAFF_ROLES)
            events = await session.scalars(
                select(AlarmEvent).where(AlarmEvent.alarm_id == alarm_id).order_by(AlarmEvent.id)
            )
            return {**state.snapshot(alarm), "history": [_event(e) for e in events]}

    async def row(self, who: Principal, alarm_id: int) -> Alarm:
        async with self._sessions() as session:
            return await self._visible(session, who, alarm_id, STAFF_ROLES)

    async def assignees(self, who: Principal, alarm_id: int) -> Assignees:
        """The people `assign` accepts for this alarm that `who` may see: active staff over a
        grid covering the alarm's grid, by a grant under `who`'s staff grants. Nearest first
        (the grid's own workers, then the village, the town...), one entry per person."""
        index = self._grids()
        async with self._sessions() as session:
            alarm = await self._visible(session, who, alarm_id, ACT_ROLES)
            rows = (await session.execute(_staff_over(index.covering_ids(alarm.grid_id)))).all()
        mine = None if who.is_admin else index.scope_ids(who.grid_ids(STAFF_ROLES))
        nearest: dict[int, tuple[int, str, str, GridNode]] = {}
        for person_id, username, name, grid_id in rows:
            if grid_id is None or (mine is not None and grid_id not in mine):
                continue
            grid, known = index.get(grid_id), nearest.get(person_id)
            if known is None or known[3].depth < grid.depth:
                nearest[person_id] = (person_id, username, name, grid)
        ranked = sorted(nearest.values(), key=lambda p: (-p[3].depth, p[1]))
        return [_assignee(*person) for person in ranked]

    # --- actions -----------------------------------------------------------------------------

    async def acknowledge(self, who: Principal, alarm_id: int, comment: str) -> dict[str, Any]:
        def act(session: AsyncSession, alarm: Alarm, actor: Actor) -> Change:
            if alarm.acknowledged:
                raise Conflict("alarm.already_acknowledged", "the alarm is already acknowledged")
            return state.acknowledge(session, alarm, actor, comment, utcnow())

        return await self._act(who, alarm_id, "alarm.acknowledge", act)

    async def clear(self, who: Principal, alarm_id: int, comment: str) -> dict[str, Any]:
        def act(session: AsyncSession, alarm: Alarm, actor: Actor) -> Change:
            if not alarm.active:
                raise Conflict("alarm.already_cleared", "the alarm is already cleared")
            return state.clear(session, alarm, actor, comment, utcnow())

        return await self._act(who, alarm_id, "alarm.clear", act)

    async def comment(self, who: Principal, alarm_id: int, text: str) -> dict[str, Any]:
        def act(session: AsyncSession, alarm: Alarm, actor: Actor) -> Change:
            state.history(session, alarm, "commented", actor, text, {})
            return Change(alarm, "commented", actor)

        return await self._act(who, alarm_id, "alarm.comment", act, roles=STAFF_ROLES)

    async def assign(self, who: Principal, alarm_id: int, person_id: int | None) -> dict[str, Any]:
        """Give the alarm to a person who sees it (staff over its grid), or to nobody."""
        grants = None if person_id is None else await self._grants_of(person_id)

        def act(session: AsyncSession, alarm: Alarm, actor: Actor) -> Change:
            if grants is not None:
                self._assignable(grants, alarm)
            alarm.assignee_id = person_id
            state.history(session, alarm, "assigned", actor, "", {"assignee_id": person_id})
            return Change(alarm, "assigned", actor)

        return await self._act(who, alarm_id, "alarm.assign", act)

    async def _grants_of(self, person_id: int) -> Grants:
        """(role, grid) of an active person; NotFound for an unknown or disabled one."""
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
            if person is None or not person.is_active:
                raise NotFound("person.not_found", f"person {person_id} does not exist")
            rows = await session.execute(
                select(Assignment.role, Assignment.grid_id).where(Assignment.person_id == person_id)
            )
            return [(role, grid_id) for role, grid_id in rows]

    def _assignable(self, grants: Grants, alarm: Alarm) -> None:
        """The assignee must see the alarm: an admin, or staff over a grid covering its grid."""
        index = self._grids()
        if any(role == Role.ADMIN for role, _ in grants) or any(
            role in STAFF_ROLES and grid is not None and index.covers(grid, alarm.grid_id)
            for role, grid in grants
        ):
            return
        raise InvalidInput(
            "alarm.bad_assignee",
            "the assignee must be staff over the alarm's grid (someone who sees it)",
        )

    async def _act(
        self,
        who: Principal,
        alarm_id: int,
        action: str,
        act: Callable[[AsyncSession, Alarm, Actor], Change],
        roles: frozenset[Role] = ACT_ROLES,
    ) -> dict[str, Any]:
        require_role(who, roles)
        actor = Actor(who.username, who.person_id)
        async with self._sessions.begin() as session:
            alarm = await self._visible(session, who, alarm_id, roles, lock=True)
            change = act(session, alarm, actor)
            audit.record(session, audit.Actor.of(who), action, "alarm", alarm_id)
        await self._notify([change])
        return change.view

    async def _visible(
        self,
        session: AsyncSession,
        who: Principal,
        alarm_id: int,
        roles: frozenset[Role],
        lock: bool = False,
    ) -> Alarm:
        stmt = select(Alarm).where(Alarm.id == alarm_id)
        alarm = (await session.scalars(stmt.with_for_update() if lock else stmt)).first()
        if alarm is None or not in_scope(who, self._grids(), alarm.grid_id, roles):
            # outside the scope looks the same as absent: ids are not an oracle
            raise NotFound("alarm.not_found", f"alarm {alarm_id} does not exist")
        return alarm


def _staff_over(grid_ids: tuple[int, ...]) -> Select[int, str, str, int | None]:
    """(person, username, name, grid) of every active staff grant on one of `grid_ids`."""
    return (
        select(Person.id, Person.username, Person.display_name, Assignment.grid_id)
        .join(Assignment, Assignment.person_id == Person.id)
        .where(
            Assignment.grid_id.in_(grid_ids),
            Assignment.role.in_([r.value for r in STAFF_ROLES]),
            Person.is_active.is_(True),
        )
        .order_by(Person.id, Assignment.grid_id)
    )


def _assignee(person_id: int, username: str, name: str, grid: GridNode) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "username": username,
        "display_name": name,
        "grid": grid.code,
        "grid_name": grid.name,
    }


def _filtered(f: AlarmFilter, grids: set[int] | None) -> Select[Alarm]:
    stmt = select(Alarm)
    if grids is not None:
        stmt = stmt.where(Alarm.grid_id.in_(grids))
    if f.active is not None:
        stmt = stmt.where(Alarm.active == f.active)
    if f.severity is not None:
        stmt = stmt.where(Alarm.severity == f.severity)
    if f.device is not None:
        stmt = stmt.where(Alarm.device_code == f.device)
    if f.type is not None:
        stmt = stmt.where(Alarm.type == f.type)
    if f.before_id is not None:
        stmt = stmt.where(Alarm.id < f.before_id)
    return stmt


def _event(e: AlarmEvent) -> dict[str, Any]:
    return {
        "at": e.at.isoformat(),
        "action": e.action,
        "actor": e.actor,
        "actor_id": e.actor_id,
        "comment": e.comment,
        "details": e.details,
    }
