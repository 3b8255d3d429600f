"""Households (户): create one, list and read them, add a person to one or move them between
households. A member's move is a write of the person's record (version + 1, audited, published
as `RecordChanged`, so the versions subscriber keeps it like any other edit); the household's
head follows the members: a new head must not displace a head still living there, and a head
who moves out leaves their former household without one."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, Conflict, DbId, InvalidInput, Principal
from plugins.archives import access
from plugins.archives.models import House, Household, Resident
from plugins.archives.residents import Residents
from plugins.archives.schemas import Relation, Strict
from plugins.archives.shared import Env, apply_patch, in_reach, not_found, require_version

TARGET = "archives_household"


class HouseholdIn(Strict):
    grid_id: DbId
    number: str = Field(min_length=1, max_length=32, description="户号, unique")
    kind: str = Field("family", pattern=r"^(family|collective)$")
    house_id: DbId | None = None


class MemberIn(Strict):
    relation: Relation
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="the person's version")


class HouseholdsQuery(Strict):
    q: str = Field("", max_length=32, description="household number prefix")
    grid_id: DbId | None = None
    house_id: DbId | None = None
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(50, ge=1, le=200)


def household_out(row: Household, env: Env) -> dict[str, Any]:
    return {"id": row.id, "grid_id": row.grid_id, "grid_name": env.grid_name(row.grid_id),
            "number": row.number, "kind": row.kind, "house_id": row.house_id,
            "head_resident_id": row.head_resident_id}  # fmt: skip


class Households:
    def __init__(self, env: Env, residents: Residents) -> None:
        self.env = env
        self.residents = residents

    async def search(self, who: Principal, query: HouseholdsQuery) -> dict[str, Any]:
        index = self.env.index
        stmt = select(Household).where(in_reach(who, index, Household.grid_id,
                                                 access.READ_ROLES))  # fmt: skip
        if query.q:
            stmt = stmt.where(self.env.prefix(Household.number, query.q))
        if query.grid_id is not None:
            stmt = stmt.where(Household.grid_id.in_(sorted(index.scope_ids([query.grid_id]))))
        if query.house_id is not None:
            stmt = stmt.where(Household.house_id == query.house_id)
        stmt = stmt.order_by(Household.number).offset(query.offset).limit(query.limit + 1)
        async with self.env.ctx.sessions() as session:
            rows = list(await session.scalars(stmt))
        items = [household_out(row, self.env) for row in rows[: query.limit]]
        return {"items": items, "offset": query.offset, "has_more": len(rows) > query.limit}

    async def card(self, who: Principal, household_id: int) -> dict[str, Any]:
        """The household and its members (the caller's grids; masked like every list)."""
        async with self.env.ctx.sessions() as session:
            row = await self._load(session, who, household_id, access.READ_ROLES)
            members = await session.scalars(select(Resident).where(
                Resident.household_id == row.id).order_by(Resident.id))  # fmt: skip
            seen = [m for m in members if access.may(who, self.env.index, m.grid_id,
                                                     access.READ_ROLES)]  # fmt: skip
            return {**household_out(row, self.env),
                    "members": await self.residents.outs(session, who, seen)}  # fmt: skip

    async def create(self, who: Principal, body: HouseholdIn) -> dict[str, Any]:
        self.env.require_grid(body.grid_id)
        access.require(who, self.env.index, body.grid_id, access.WRITE_ROLES)
        async with self.env.ctx.sessions.begin() as session:
            await self._check_house(session, who, body.house_id)
            if await session.scalar(select(Household.id).where(Household.number == body.number)):
                raise _duplicate()
            row = Household(grid_id=body.grid_id, number=body.number, kind=body.kind,
                            house_id=body.house_id)  # fmt: skip
            session.add(row)
            try:
                await session.flush()
            except IntegrityError as exc:  # the same number written concurrently
                raise _duplicate() from exc
            self.env.ctx.audit.record(session, Actor.of(who), "archives.household.create",
                                      TARGET, row.id, {"number": row.number,
                                                       "grid_id": row.grid_id})  # fmt: skip
            return household_out(row, self.env)

    async def put_member(self, who: Principal, household_id: int, resident_id: int,
                         body: MemberIn) -> dict[str, Any]:  # fmt: skip
        """Add the person to the household, or move them from another one, as `relation`."""
        async with self.env.ctx.sessions.begin() as session:
            household = await self._load(session, who, household_id, access.WRITE_ROLES)
            person = await self.residents.load(session, who, resident_id, access.WRITE_ROLES)
            require_version("resident", person.version, body.version)
            before = person.household_id
            await self._check_head(session, household, person, body.relation)
            await self._leave(session, person)
            changes: dict[str, Any] = {"household_id": household.id, "relation": body.relation}
            if household.house_id is not None:
                changes["house_id"] = household.house_id  # a household lives in its house
            changed = apply_patch(person, changes)
            if body.relation == "head":
                household.head_resident_id = person.id
            await session.flush()
            if changed:
                details = {"resident_id": person.id, "from_household_id": before,
                           "relation": body.relation, "changed": sorted(changed)}  # fmt: skip
                self.env.ctx.audit.record(session, Actor.of(who), "archives.household.member",
                                          TARGET, household.id, details)  # fmt: skip
            out = (await self.residents.outs(session, who, [person]))[0]
        if changed:
            await self.residents.publish(person, "updated")
        return out

    async def _check_head(self, session: AsyncSession, household: Household, person: Resident,
                          relation: str) -> None:  # fmt: skip
        """409 when the household's head still lives there and someone else is made head."""
        head_id = household.head_resident_id
        if relation != "head" or head_id is None or head_id == person.id:
            return
        head = await session.get(Resident, head_id)
        if head is not None and head.household_id == household.id and head.status == "active":
            raise Conflict("archives.household_head",
                           "this household already has a head: change their relation first",
                           details={"field": "relation", "head_resident_id": head_id})  # fmt: skip

    async def _leave(self, session: AsyncSession, person: Resident) -> None:
        """A head moving out leaves their former household without a head."""
        if person.household_id is None:
            return
        former = await session.get(Household, person.household_id)
        if former is not None and former.head_resident_id == person.id:
            former.head_resident_id = None

    async def _load(self, session: AsyncSession, who: Principal, household_id: int,
                    roles: frozenset[str]) -> Household:  # fmt: skip
        row = await session.get(Household, household_id)
        if row is None:
            raise not_found("household", household_id)
        access.require(who, self.env.index, row.grid_id, roles)
        return row

    async def _check_house(self, session: AsyncSession, who: Principal,
                           house_id: int | None) -> None:  # fmt: skip
        if house_id is None:
            return
        house = await session.get(House, house_id)
        if house is None or not access.may(who, self.env.index, house.grid_id,
                                           access.WRITE_ROLES):  # fmt: skip
            raise InvalidInput("archives.house_unknown", f"no house {house_id} in your grids",
                               details={"field": "house_id"})  # fmt: skip


def _duplicate() -> Conflict:
    return Conflict("archives.household_duplicate", "this household number is already in use",
                    details={"field": "number"})  # fmt: skip
