"""领导包靠: who holds the party_leader role on which grids, and the escalation steps that
reached them.

A leader is assigned by granting the role on a grid (people and roles, admins only): this
module only reads those grants through the SDK's directory. Escalation's `EscalationStepFired`
names the people a step reached; those of them who lead the subject's grid (a grant on it or
above it) get one row per chain, step and person in `party_leader_alerts`, which the console's
领导包靠 view lists and which is pushed (`party.leader_alert`) to the command rooms over the grid,
to the leader's own devices and to those of the party secretaries over the grid (their field
tab 包靠预警 reads `GET /me/leader-alerts`). Case assignments (plugins/party/case_leaders.py)
add their alerts through `store` and `push` too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from hub.sdk import Call, DbId, GridIndex, NotFound, PluginContext, Principal
from plugins.party import access
from plugins.party.models import LeaderAlert
from plugins.party.schemas import Strict

if TYPE_CHECKING:
    from plugins.escalation.messages import EscalationStepFired

ALERT_LIMIT = 200


class AlertsQuery(Strict):
    person_id: DbId | None = None


def install(ctx: PluginContext, leaders: Leaders) -> None:
    @ctx.http.get(
        "/leaders",
        summary="包靠领导 in your grids: their assigned grids and how many alerts reached them",
        rule=access.ORG_READ,
    )
    async def listing(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await leaders.leaders(call.who)}

    @ctx.http.get(
        "/leader-alerts",
        summary="Escalation steps that reached 包靠领导 about your grids, newest first",
        query=AlertsQuery,
        rule=access.ORG_READ,
    )
    async def alerts(call: Call[None, AlertsQuery]) -> dict[str, Any]:
        return {"items": await leaders.alerts(call.who, call.query.person_id)}

    @ctx.http.get(
        "/me/leader-alerts",
        summary="Alerts that reached you as 包靠领导, and those over your grids as party secretary",
        rule=access.ALERTS_SELF,
    )
    async def mine(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await leaders.mine(call.who)}


class Leaders:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    def visible(self, who: Principal) -> set[int]:
        index = self.ctx.grids.index
        if who.is_admin:
            return index.scope_ids(node.id for node in index.roots())
        return index.scope_ids(who.grid_ids(access.PARTY_STAFF))

    async def leaders(self, who: Principal) -> list[dict[str, Any]]:
        """Each person holding party_leader on a grid in the caller's scope, with those grids
        and how many alerts reached them."""
        index, visible = self.ctx.grids.index, self.visible(who)
        found: dict[int, dict[str, Any]] = {}
        for person in await self.ctx.directory.holding_roles_in(visible):
            grids = [
                _grid(index, int(r["grid_id"]))
                for r in person.roles
                if r["role"] == access.LEADER and r["grid_id"] in visible
            ]
            if grids:
                found[person.id] = {"person_id": person.id, "name": person.display_name,
                                    "username": person.username, "grids": grids}  # fmt: skip
        counts = await self._counts(set(found), visible)
        for person_id, row in found.items():
            row["alerts"], row["last_alert_at"] = counts.get(person_id, (0, None))
        return sorted(found.values(), key=lambda row: str(row["name"]))

    async def _counts(self, people: set[int], visible: set[int]) -> dict[int, tuple[int, Any]]:
        out: dict[int, tuple[int, Any]] = {}
        for row in await self._rows(people, visible):
            count, last = out.get(row.person_id, (0, None))
            out[row.person_id] = (count + 1, last or row.fired_at.timestamp())
        return out

    async def _rows(self, people: set[int] | None, visible: set[int]) -> list[LeaderAlert]:
        stmt = select(LeaderAlert).where(LeaderAlert.grid_id.in_(visible))
        if people is not None:
            stmt = stmt.where(LeaderAlert.person_id.in_(people))
        async with self.ctx.sessions() as session:
            return list(await session.scalars(stmt.order_by(LeaderAlert.id.desc())))

    async def alerts(self, who: Principal, person_id: int | None) -> list[dict[str, Any]]:
        """Alerts about grids in the caller's scope, newest first (of one leader if given)."""
        index = self.ctx.grids.index
        wanted = None if person_id is None else {person_id}
        rows = await self._rows(wanted, self.visible(who))
        return [_alert_out(index, row) for row in rows[:ALERT_LIMIT]]

    async def mine(self, who: Principal) -> list[dict[str, Any]]:
        """The caller's own alerts as leader, and those about grids they are secretary over."""
        index = self.ctx.grids.index
        over = index.scope_ids(who.grid_ids({access.SECRETARY}))
        stmt = select(LeaderAlert).where(
            or_(LeaderAlert.person_id == who.person_id, LeaderAlert.grid_id.in_(over))
        )
        async with self.ctx.sessions() as session:
            rows = await session.scalars(stmt.order_by(LeaderAlert.id.desc()).limit(ALERT_LIMIT))
            return [_alert_out(index, row) for row in rows]

    def grid(self, grid_id: int) -> dict[str, Any]:
        return _grid(self.ctx.grids.index, grid_id)

    async def follow_escalation(self) -> None:
        from plugins.escalation.messages import EscalationStepFired

        async def on_fired(message: EscalationStepFired) -> None:
            await self.record(message)

        self.ctx.on_cleanup(
            await self.ctx.bus.subscribe(EscalationStepFired, on_fired, group="party.leaders")
        )

    async def record(self, message: EscalationStepFired) -> None:
        for person_id in message.notified:
            if await self._leads(person_id, message.grid_id):
                row = _from_step(person_id, message)
                if await self.store(row):
                    await self.push(row)

    async def _leads(self, person_id: int, grid_id: int) -> bool:
        index = self.ctx.grids.index
        try:
            grants = await self.ctx.directory.grants_of(person_id)
        except NotFound:  # a person disabled since the step fired is nobody's leader now
            return False
        return any(
            g.role == access.LEADER and g.grid_id is not None and index.covers(g.grid_id, grid_id)
            for g in grants
        )

    async def store(self, row: LeaderAlert) -> bool:
        """Add the alert; False when it is there already (a redelivered message)."""
        try:
            async with self.ctx.sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            return False
        return True

    async def push(self, row: LeaderAlert) -> None:
        """To the command rooms over the grid, the leader's own devices and the devices of the
        party secretaries over the grid (who are not in command rooms)."""
        rooms = self.ctx.realtime.command_rooms([row.grid_id])
        people = {row.person_id, *await self._secretaries(row.grid_id)}
        rooms += [self.ctx.realtime.user_room(person_id) for person_id in sorted(people)]
        await self.ctx.realtime.emit("leader_alert", _alert_out(self.ctx.grids.index, row), rooms)

    async def _secretaries(self, grid_id: int) -> set[int]:
        index = self.ctx.grids.index
        if grid_id not in index:
            return set()
        over = {grid_id, *(node.id for node in index.ancestors(grid_id))}
        return {
            person.id
            for person in await self.ctx.directory.holding_roles_in(over)
            if any(r["role"] == access.SECRETARY and r["grid_id"] in over for r in person.roles)
        }


def _from_step(person_id: int, m: EscalationStepFired) -> LeaderAlert:
    title = str(m.context.get("title") or "")[:200]
    return LeaderAlert(person_id=person_id, chain_id=m.chain_id, step=m.step,
                       trigger=m.trigger[:16], subject=m.subject[:120], policy=m.policy[:64],
                       level=m.level[:16], grid_id=m.grid_id, title=title)  # fmt: skip


def _grid(index: GridIndex, grid_id: int) -> dict[str, Any]:
    node = index.get(grid_id) if grid_id in index else None
    return {"id": grid_id, "code": node.code if node else None, "name": node.name if node else None}


def _alert_out(index: GridIndex, row: LeaderAlert) -> dict[str, Any]:
    return {
        "id": row.id,
        "person_id": row.person_id,
        "chain_id": row.chain_id,
        "step": row.step,
        "trigger": row.trigger,
        "subject": row.subject,
        "policy": row.policy,
        "level": row.level,
        "grid": _grid(index, row.grid_id),
        "title": row.title,
        "fired_at": row.fired_at.timestamp(),
    }
