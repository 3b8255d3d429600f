"""志愿者队伍: the volunteer registry of a village, its teams, and each one's service hours.

A resident registers as a volunteer of their village (skills, availability); the village
approves or rejects the registration once (a guarded UPDATE from `pending`). Only approved
volunteers lead or join a team and take up needs (needs.py). Service hours are one ledger
(`participation_service_hours`): a volunteer's hours are their rows in the village, a team's
hours are the rows of the activities it organised.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.sdk import (
    Actor,
    Conflict,
    DbId,
    Forbidden,
    InvalidInput,
    NotFound,
    Principal,
    utcnow,
)
from plugins.participation.access import TEAM, VOLUNTEER
from plugins.participation.models import ServiceHours, Team, TeamMember, Volunteer
from plugins.participation.points import Points, resident_villages

TEXT = r"^[^\x00-\x1f]*$"

Skill = Annotated[str, Field(min_length=1, max_length=20, pattern=TEXT)]


class VolunteerIn(BaseModel):
    grid_id: DbId
    skills: list[Skill] = Field(min_length=1, max_length=8)
    availability: str = Field(min_length=1, max_length=200, pattern=TEXT)


class VolunteerDecisionIn(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=200, pattern=TEXT)


class TeamIn(BaseModel):
    grid_id: DbId
    name: str = Field(min_length=1, max_length=40, pattern=TEXT)
    category: str = Field(pattern=r"^[a-z_]{2,24}$")
    leader_id: DbId  # an approved volunteer of the village


class VolunteerQuery(BaseModel):
    grid_id: DbId | None = None
    state: str | None = Field(default=None, pattern=r"^(pending|approved|rejected)$")


def volunteer_view(v: Volunteer, hours: int = 0) -> dict[str, Any]:
    return {
        "id": v.id,
        "grid_id": v.grid_id,
        "person_id": v.person_id,
        "name": v.display_name,
        "skills": list(v.skills),
        "availability": v.availability,
        "state": v.state,
        "note": v.note,
        "applied_at": v.applied_at.isoformat(),
        "decided_at": v.decided_at.isoformat() if v.decided_at else None,
        "hours": hours,
    }


def hours_view(h: ServiceHours) -> dict[str, Any]:
    return {
        "activity_id": h.activity_id,
        "need_id": h.need_id,
        "team_id": h.team_id,
        "category": h.category,
        "hours": h.hours,
        "created_at": h.created_at.isoformat(),
    }


class Registry:
    def __init__(self, points: Points) -> None:
        self.points = points
        self.ctx = points.ctx

    # --- volunteers -----------------------------------------------------------------------

    async def register(self, who: Principal, body: VolunteerIn) -> dict[str, Any]:
        if body.grid_id not in resident_villages(who, self.points.index):
            raise Forbidden("scope.forbidden", "residents volunteer in their own village")
        try:
            async with self.ctx.sessions.begin() as session:
                row = Volunteer(
                    person_id=who.person_id,
                    grid_id=body.grid_id,
                    display_name=who.display_name,
                    skills=body.skills,
                    availability=body.availability,
                    state="pending",
                    note="",
                    applied_at=utcnow(),
                )
                session.add(row)
                await session.flush()
                self.ctx.audit.record(
                    session,
                    Actor.of(who),
                    "participation.volunteer.registered",
                    VOLUNTEER,
                    row.id,
                    {"skills": body.skills},
                )
                return volunteer_view(row)
        except IntegrityError:
            raise Conflict(
                "participation.volunteer_exists", "you are registered in this village"
            ) from None

    async def volunteer(self, volunteer_id: int) -> Volunteer:
        async with self.ctx.sessions() as session:
            row = await session.get(Volunteer, volunteer_id)
        if row is None:
            raise NotFound("participation.volunteer_not_found", f"no volunteer {volunteer_id}")
        return row

    async def approved(self, person_id: int, village: int) -> Volunteer | None:
        async with self.ctx.sessions() as session:
            return await session.scalar(
                select(Volunteer).where(
                    Volunteer.person_id == person_id,
                    Volunteer.grid_id == village,
                    Volunteer.state == "approved",
                )
            )

    async def decide(
        self, who: Principal, volunteer_id: int, body: VolunteerDecisionIn
    ) -> dict[str, Any]:
        row = await self.volunteer(volunteer_id)
        self.points.check_village(who, row.grid_id)
        state = "approved" if body.approve else "rejected"
        async with self.ctx.sessions.begin() as session:
            decided = await session.execute(
                update(Volunteer)
                .where(Volunteer.id == row.id, Volunteer.state == "pending")
                .values(state=state, note=body.note, decided_at=utcnow(), decided_by=who.person_id)
                .returning(Volunteer.id)
            )
            if decided.first() is None:
                raise Conflict(
                    "participation.volunteer_decided",
                    f"registration {row.id} is {row.state} already",
                )
            self.ctx.audit.record(
                session,
                Actor.of(who),
                f"participation.volunteer.{state}",
                VOLUNTEER,
                row.id,
                {"note": body.note},
            )
        return volunteer_view(await self.volunteer(row.id))

    async def listed(self, who: Principal, query: VolunteerQuery) -> list[dict[str, Any]]:
        stmt = select(Volunteer).order_by(Volunteer.grid_id, Volunteer.id).limit(1000)
        if query.state is not None:
            stmt = stmt.where(Volunteer.state == query.state)
        rows = await self.points.visible_rows(who, stmt, Volunteer, query.grid_id)
        hours = await self._hours_by_person({v.grid_id for v in rows})
        return [volunteer_view(v, hours.get((v.person_id, v.grid_id), 0)) for v in rows]

    async def _hours_by_person(self, villages: set[int]) -> dict[tuple[int, int], int]:
        stmt = (
            select(ServiceHours.person_id, ServiceHours.grid_id, func.sum(ServiceHours.hours))
            .where(ServiceHours.grid_id.in_(villages))
            .group_by(ServiceHours.person_id, ServiceHours.grid_id)
        )
        async with self.ctx.sessions() as session:
            rows = (await session.execute(stmt)).all()
        return {(p, g): int(h or 0) for p, g, h in rows}

    async def ledger(self, who: Principal, volunteer_id: int) -> dict[str, Any]:
        """One volunteer's service hours in their village (officers)."""
        row = await self.volunteer(volunteer_id)
        self.points.check_village(who, row.grid_id)
        entries = await self._entries(row.person_id, {row.grid_id})
        return {
            "volunteer": volunteer_view(row, sum(e["hours"] for e in entries)),
            "hours": entries,
        }

    async def _entries(self, person_id: int, villages: set[int]) -> list[dict[str, Any]]:
        async with self.ctx.sessions() as session:
            rows = await session.scalars(
                select(ServiceHours)
                .where(ServiceHours.person_id == person_id, ServiceHours.grid_id.in_(villages))
                .order_by(ServiceHours.id.desc())
                .limit(500)
            )
            return [hours_view(h) for h in rows]

    async def mine(self, who: Principal) -> dict[str, Any]:
        """My registrations, teams and service hours (a resident)."""
        villages = resident_villages(who, self.points.index)
        async with self.ctx.sessions() as session:
            mine = list(
                await session.scalars(
                    select(Volunteer).where(
                        Volunteer.person_id == who.person_id, Volunteer.grid_id.in_(villages)
                    )
                )
            )
            teams = await session.execute(
                select(TeamMember.volunteer_id, Team.id, Team.name)
                .join(Team, Team.id == TeamMember.team_id)
                .where(TeamMember.volunteer_id.in_([v.id for v in mine]))
            )
            team_rows = teams.all()
        entries = await self._entries(who.person_id, villages)
        return {
            "registrations": [
                {
                    **volunteer_view(v),
                    "teams": [{"id": t, "name": n} for vid, t, n in team_rows if vid == v.id],
                }
                for v in mine
            ],
            "hours": entries,
            "total_hours": sum(e["hours"] for e in entries),
        }

    # --- teams ----------------------------------------------------------------------------

    async def _fit(self, volunteer_id: int, village: int) -> Volunteer:
        """An approved volunteer of the village (a team's leader or member)."""
        async with self.ctx.sessions() as session:
            row = await session.get(Volunteer, volunteer_id)
        if row is None or row.grid_id != village or row.state != "approved":
            raise InvalidInput(
                "participation.volunteer_unfit",
                "choose an approved volunteer of the team's village",
            )
        return row

    async def team(self, team_id: int) -> Team:
        async with self.ctx.sessions() as session:
            row = await session.get(Team, team_id)
        if row is None:
            raise NotFound("participation.team_not_found", f"no team {team_id}")
        return row

    async def save_team(self, who: Principal, body: TeamIn, team_id: int | None) -> dict[str, Any]:
        self.points.check_village(who, body.grid_id)
        if team_id is not None:
            current = await self.team(team_id)
            self.points.check_village(who, current.grid_id)
            if current.grid_id != body.grid_id:
                raise InvalidInput("participation.team_moved", "a team stays in its village")
        await self._fit(body.leader_id, body.grid_id)
        try:
            async with self.ctx.sessions.begin() as session:
                row = (
                    Team(created_at=utcnow())
                    if team_id is None
                    else await session.get(Team, team_id)
                )
                assert row is not None
                for name, value in body.model_dump().items():
                    setattr(row, name, value)
                session.add(row)
                await session.flush()
                await self._join(session, row.id, body.leader_id)
                self.ctx.audit.record(
                    session,
                    Actor.of(who),
                    "participation.team.saved",
                    TEAM,
                    row.id,
                    body.model_dump(),
                )
                team_id = row.id
        except IntegrityError:
            raise Conflict(
                "participation.team_exists", "the village has a team of that name"
            ) from None
        return await self._team_view(await self.team(team_id))

    @staticmethod
    async def _join(session: Any, team_id: int, volunteer_id: int) -> None:
        known = await session.get(TeamMember, (team_id, volunteer_id))
        if known is None:
            await session.execute(
                insert(TeamMember).values(
                    team_id=team_id, volunteer_id=volunteer_id, joined_at=utcnow()
                )
            )

    async def add_member(self, who: Principal, team_id: int, volunteer_id: int) -> dict[str, Any]:
        team = await self.team(team_id)
        self.points.check_village(who, team.grid_id)
        await self._fit(volunteer_id, team.grid_id)
        try:
            async with self.ctx.sessions.begin() as session:
                await self._join(session, team.id, volunteer_id)
                self.ctx.audit.record(
                    session,
                    Actor.of(who),
                    "participation.team.joined",
                    TEAM,
                    team.id,
                    {"volunteer_id": volunteer_id},
                )
        except IntegrityError:  # a concurrent request added them: the same end state
            pass
        return await self._team_view(team)

    async def remove_member(self, who: Principal, team_id: int, volunteer_id: int) -> None:
        team = await self.team(team_id)
        self.points.check_village(who, team.grid_id)
        if volunteer_id == team.leader_id:
            raise Conflict("participation.team_leader", "choose another leader first")
        async with self.ctx.sessions.begin() as session:
            await session.execute(
                delete(TeamMember).where(
                    TeamMember.team_id == team.id, TeamMember.volunteer_id == volunteer_id
                )
            )
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.team.left",
                TEAM,
                team.id,
                {"volunteer_id": volunteer_id},
            )

    async def teams(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        stmt = select(Team).order_by(Team.grid_id, Team.name)
        return [
            await self._team_view(t)
            for t in await self.points.visible_rows(who, stmt, Team, grid_id)
        ]

    async def _team_view(self, team: Team) -> dict[str, Any]:
        async with self.ctx.sessions() as session:
            members = list(
                await session.scalars(
                    select(Volunteer)
                    .join(TeamMember, TeamMember.volunteer_id == Volunteer.id)
                    .where(TeamMember.team_id == team.id)
                    .order_by(Volunteer.id)
                )
            )
            hours = await session.scalar(
                select(func.sum(ServiceHours.hours)).where(ServiceHours.team_id == team.id)
            )
        leader = next((m for m in members if m.id == team.leader_id), None)
        return {
            "id": team.id,
            "grid_id": team.grid_id,
            "name": team.name,
            "category": team.category,
            "leader_id": team.leader_id,
            "leader": leader.display_name if leader else None,
            "members": [
                {"volunteer_id": m.id, "name": m.display_name, "skills": list(m.skills)}
                for m in members
            ],
            "hours": int(hours or 0),
        }

    async def check_team(self, team_id: int, village: int) -> None:
        """An activity is organised by a team of its own village."""
        async with self.ctx.sessions() as session:
            team = await session.get(Team, team_id)
        if team is None or team.grid_id != village:
            raise InvalidInput("participation.team_unfit", "choose a team of the same village")
