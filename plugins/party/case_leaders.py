"""领导包案: a 包靠领导 assigned to one incident, alerted once when it goes overdue.

The plugin never reads dispatch's tables: it keeps what dispatch's `IncidentChanged` said of
each incident (number, grid, state) in `party_known_cases`, so staff may assign a leader to an
incident within their grids. Dispatch's `IncidentOverdue` (督办) then adds one leader alert per
incident and leader (`trigger` "case"; chain 0, step the incident: the alerts table's unique key
makes every later overdue stage and every redelivery a no-op) and pushes it like escalation's.
An hourly job forgets closed incidents no leader is on, a retention after their last word.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from hub.sdk import (
    Actor,
    Call,
    Conflict,
    DbId,
    Forbidden,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    in_scope,
    utcnow,
)
from plugins.party import access
from plugins.party.leaders import Leaders
from plugins.party.models import CaseLeader, KnownCase, LeaderAlert
from plugins.party.schemas import Strict

if TYPE_CHECKING:
    from plugins.dispatch.messages import IncidentChanged, IncidentOverdue

ENDED = frozenset({"closed"})  # no leader is assigned to a closed incident
LIST_LIMIT = 200
TRIM_EVERY_S = 3600.0
# Each delete forgets at most TRIM_BATCH rows in its own short transaction (dispatch's messages
# keep being remembered meanwhile); a run does at most TRIM_ROUNDS, the next run goes on.
TRIM_BATCH = 500
TRIM_ROUNDS = 20


class AssignIn(Strict):
    person_id: DbId
    note: str = Field("", max_length=200)


def install(ctx: PluginContext, cases: CaseLeaders) -> None:
    @ctx.http.get(
        "/case-leaders",
        summary="包靠领导 assigned to single incidents in your grids (包案)",
        rule=access.ORG_READ,
    )
    async def listing(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await cases.listing(call.who)}

    @ctx.http.post(
        "/cases/{incident_id}/leaders",
        summary="Assign a 包靠领导 to one incident: alerted once when it goes overdue",
        body=AssignIn,
        rule=access.CASE_EDIT,
    )
    async def assign(call: Call[AssignIn, None]) -> dict[str, Any]:
        return await cases.assign(call.who, call.path_int("incident_id"), call.body)

    @ctx.http.post(
        "/cases/{incident_id}/leaders/{person_id}/remove",
        summary="Take a 包靠领导 off an incident",
        rule=access.CASE_EDIT,
    )
    async def remove(call: Call[None, None]) -> dict[str, Any]:
        incident_id, person_id = call.path_int("incident_id"), call.path_int("person_id")
        return await cases.remove(call.who, incident_id, person_id)


class CaseLeaders:
    def __init__(self, ctx: PluginContext, leaders: Leaders, keep_days: int) -> None:
        self.ctx = ctx
        self.leaders = leaders
        self.keep_days = keep_days

    # -- what dispatch said of its incidents ----------------------------------------------------

    async def follow_incidents(self) -> None:
        from plugins.dispatch.messages import IncidentChanged, IncidentOverdue

        async def on_changed(message: IncidentChanged) -> None:
            await self.remember(message)

        async def on_overdue(message: IncidentOverdue) -> None:
            await self.overdue(message)

        bus = self.ctx.bus
        self.ctx.on_cleanup(await bus.subscribe(IncidentChanged, on_changed, group="party.cases"))
        self.ctx.on_cleanup(
            await bus.subscribe(IncidentOverdue, on_overdue, group="party.case_leaders")
        )

    async def remember(self, m: IncidentChanged) -> None:
        """Keep the newest description of the incident (versions only move forward)."""
        for _ in range(2):  # a concurrent first insert of the same incident: read it again
            try:
                async with self.ctx.sessions.begin() as session:
                    row = await session.get(KnownCase, m.incident_id)
                    if row is None:
                        session.add(KnownCase(incident_id=m.incident_id, **_described(m)))
                    elif row.version <= m.version:
                        for key, value in _described(m).items():
                            setattr(row, key, value)
                return
            except IntegrityError:
                continue

    async def trim(self) -> int:
        """The periodic job: forget closed incidents described last more than keep_days ago."""
        before = utcnow() - timedelta(days=self.keep_days)
        return await trim_known_cases(self.ctx.sessions, before)

    # -- assignment ------------------------------------------------------------------------------

    async def _case(self, who: Principal, incident_id: int) -> KnownCase:
        async with self.ctx.sessions() as session:
            case = await session.get(KnownCase, incident_id)
        if case is None:
            raise NotFound("party.case_not_found", "no such incident is known here")
        if not in_scope(who, self.ctx.grids.index, case.grid_id, access.PARTY_STAFF):
            raise Forbidden("scope.forbidden", "this incident is outside your grids")
        return case

    async def _require_leader(self, who: Principal, person_id: int) -> None:
        visible = self.leaders.visible(who)
        try:
            grants = await self.ctx.directory.grants_of(person_id)
        except NotFound:
            grants = ()
        if not any(g.role == access.LEADER and g.grid_id in visible for g in grants):
            raise InvalidInput(
                "party.not_leader", "this person is not a 包靠领导 of a grid in your scope"
            )

    async def assign(self, who: Principal, incident_id: int, body: AssignIn) -> dict[str, Any]:
        case = await self._case(who, incident_id)
        if case.state in ENDED:
            raise Conflict("party.case_closed", "the incident is closed")
        await self._require_leader(who, body.person_id)
        row = CaseLeader(incident_id=incident_id, person_id=body.person_id, note=body.note,
                         assigned_by=who.person_id)  # fmt: skip
        try:
            async with self.ctx.sessions.begin() as session:
                session.add(row)
                await session.flush()
                details = {"incident_id": incident_id, "person_id": body.person_id}
                self._audit(session, who, "party.case_leader.assigned", row.id, details)
        except IntegrityError:
            raise Conflict(
                "party.case_leader_exists", "this leader is already assigned to the incident"
            ) from None
        return {"id": row.id, "incident_id": incident_id, "person_id": body.person_id}

    async def remove(self, who: Principal, incident_id: int, person_id: int) -> dict[str, Any]:
        await self._case(who, incident_id)
        async with self.ctx.sessions.begin() as session:
            row = await session.scalar(
                select(CaseLeader).where(
                    CaseLeader.incident_id == incident_id, CaseLeader.person_id == person_id
                )
            )
            if row is None:
                raise NotFound("party.case_leader_not_found", "this leader is not on the incident")
            await session.execute(delete(CaseLeader).where(CaseLeader.id == row.id))
            details = {"incident_id": incident_id, "person_id": person_id}
            self._audit(session, who, "party.case_leader.removed", row.id, details)
        return {"ok": True}

    def _audit(
        self, session: Any, who: Principal, action: str, row_id: int, details: dict[str, Any]
    ) -> None:
        self.ctx.audit.record(session, Actor.of(who), action, "party_case_leader", row_id, details)

    async def listing(self, who: Principal) -> list[dict[str, Any]]:
        visible = self.leaders.visible(who)
        stmt = (
            select(CaseLeader, KnownCase)
            .join(KnownCase, KnownCase.incident_id == CaseLeader.incident_id)
            .where(KnownCase.grid_id.in_(visible))
            .order_by(CaseLeader.id.desc())
            .limit(LIST_LIMIT)
        )
        async with self.ctx.sessions() as session:
            rows = (await session.execute(stmt)).all()
        names = await self._names({leader.person_id for leader, _ in rows})
        return [_out(leader, case, names, self.leaders) for leader, case in rows]

    async def _names(self, people: set[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for person_id in people:
            try:
                out[person_id] = (await self.ctx.directory.person(person_id)).display_name
            except NotFound:
                out[person_id] = f"#{person_id}"
        return out

    # -- the overdue alert -----------------------------------------------------------------------

    async def overdue(self, m: IncidentOverdue) -> None:
        async with self.ctx.sessions() as session:
            people = list(
                await session.scalars(
                    select(CaseLeader.person_id).where(CaseLeader.incident_id == m.incident_id)
                )
            )
        for person_id in people:
            row = LeaderAlert(person_id=person_id, chain_id=0, step=m.incident_id,
                              trigger="case", subject=f"incident:{m.incident_id}",
                              policy="case-leader", level="case", grid_id=m.grid_id,
                              title=m.number[:200])  # fmt: skip
            if await self.leaders.store(row):
                await self.leaders.push(row)


def _described(m: IncidentChanged) -> dict[str, Any]:
    return {"number": m.number[:40], "grid_id": m.grid_id, "state": m.state[:24],
            "category": m.category[:64], "version": m.version, "seen_at": utcnow()}  # fmt: skip


async def trim_known_cases(
    sessions: async_sessionmaker[AsyncSession],
    before: datetime,
    batch: int = TRIM_BATCH,
    rounds: int = TRIM_ROUNDS,
) -> int:
    """Forget closed incidents last described before `before` that no 包靠领导 is on (their
    listing reads the known incident), oldest first, in deletes of at most `batch` rows, at
    most `rounds` of them. Returns how many were forgotten. A later word of dispatch about a
    forgotten incident makes it known again."""
    total = 0
    for _ in range(rounds):
        async with sessions.begin() as session:
            stale = _stale(before, batch)
            result = await session.execute(
                delete(KnownCase).where(KnownCase.incident_id.in_(stale))
            )
            gone = int(getattr(result, "rowcount", 0) or 0)
        total += gone
        if gone < batch:
            break
    return total


def _stale(before: datetime, batch: int) -> Select[int]:
    case = aliased(KnownCase)  # the deleted table, read under another name
    led = select(CaseLeader.id).where(CaseLeader.incident_id == case.incident_id)
    return (
        select(case.incident_id)
        .where(case.state.in_(ENDED), case.seen_at < before, ~led.exists())
        .order_by(case.seen_at)
        .limit(batch)
    )


def _out(
    leader: CaseLeader, case: KnownCase, names: dict[int, str], leaders: Leaders
) -> dict[str, Any]:
    return {
        "id": leader.id,
        "incident_id": case.incident_id,
        "number": case.number,
        "state": case.state,
        "grid": leaders.grid(case.grid_id),
        "person_id": leader.person_id,
        "name": names.get(leader.person_id, ""),
        "note": leader.note,
        "assigned_at": leader.assigned_at.timestamp(),
    }
