"""Alarm actions of people (acknowledge, clear, comment, assign) and scoped queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    STAFF_ROLES,
    Conflict,
    DirectoryView,
    Grant,
    GridIndex,
    GridNode,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    Role,
    Scope,
    admin_only,
    for_roles,
    in_scope,
    public,
    require_role,
    utcnow,
)
from hub.sdk import Actor as AuditActor
from plugins.alarms import state
from plugins.alarms.models import Alarm, AlarmEvent
from plugins.alarms.state import Actor, Change

ACT_ROLES = frozenset({Role.COMMANDER, Role.DISPATCHER, Role.GRID_LEADER})
ALARM = "alarm"  # scope: the alarm's grid lies under the caller's staff grants (`_visible`)

# One rule per action; the HTTP route and the socket event of an action share it.
LIST = for_roles("alarms.list", STAFF_ROLES, Scope.LISTED)  # list, ATOM feed
READ = for_roles("alarms.read", STAFF_ROLES, ALARM)  # one alarm, its CAP message
ACK = for_roles("alarms.ack", ACT_ROLES, ALARM)
CLEAR = for_roles("alarms.clear", ACT_ROLES, ALARM)
COMMENT = for_roles("alarms.comment", STAFF_ROLES, ALARM)
ASSIGN = for_roles("alarms.assign", ACT_ROLES, ALARM)  # and the assignee: `_assignable`
ASSIGNEES = for_roles("alarms.assignees", ACT_ROLES, ALARM)  # who `assign` would accept
FRAMES = for_roles("alarms.frames", STAFF_ROLES, Scope.DEVICE)
RULES_READ = for_roles("alarms.rules.read", STAFF_ROLES, Scope.NONE)
RULES_EDIT = admin_only("alarms.rules.edit")
DEVICE_CONNECT = public("alarms.device.connect", Scope.DEVICE_KEY)
Notify = Callable[[list[Change]], Awaitable[None]]
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
    def __init__(self, ctx: PluginContext, notify: Notify) -> None:
        self._ctx, self._sessions, self._notify = ctx, ctx.sessions, notify

    def _grids(self) -> GridIndex:
        return self._ctx.grids.index

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
        rows = await _staff_over(self._ctx.directory, index.covering_ids(alarm.grid_id))
        mine = None if who.is_admin else index.scope_ids(who.grid_ids(STAFF_ROLES))
        nearest: dict[int, tuple[int, str, str, GridNode]] = {}
        for person_id, username, name, grid_id in rows:
            if mine is not None and grid_id not in mine:
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

    async def _grants_of(self, person_id: int) -> tuple[Grant, ...]:
        """The grants of an active person; NotFound for an unknown or disabled one."""
        return await self._ctx.directory.grants_of(person_id)

    def _assignable(self, grants: tuple[Grant, ...], alarm: Alarm) -> None:
        """The assignee must see the alarm: an admin, or staff over a grid covering its grid."""
        index = self._grids()
        if any(g.role == Role.ADMIN for g in grants) or any(
            g.role in STAFF_ROLES
            and g.grid_id is not None
            and index.covers(g.grid_id, alarm.grid_id)
            for g in grants
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
            self._ctx.audit.record(session, AuditActor.of(who), action, "alarm", alarm_id)
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


async def _staff_over(
    directory: DirectoryView, grid_ids: tuple[int, ...]
) -> list[tuple[int, str, str, int]]:
    """(person, username, name, grid) of every active staff grant on one of `grid_ids`, by
    person then grid. Core staff roles: the alarms' rules (READ, ACK...) admit those, so a
    plugin's staff role alone would be an assignee who cannot open the alarm."""
    wanted = set(grid_ids)
    rows = set()
    for person in await directory.holding_roles_in(wanted):
        for role in person.roles:
            grid_id = role["grid_id"]
            if role["role"] in STAFF_ROLES and grid_id in wanted:
                rows.add((person.id, person.username, person.display_name, int(grid_id)))
    return sorted(rows, key=lambda row: (row[0], row[3]))


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
