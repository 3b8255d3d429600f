"""Changing the organisation tree and members after they are made: rename or move an
organisation (only where its kind may sit, which also keeps it from going below itself), remove one
that holds nothing, change a member's status, transfer them to another organisation, link or
unlink their account, correct their name or join date. Both ends of a move or transfer must lie
in the caller's grids; every change is audited with what it was before."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, Conflict, InvalidInput, NotFound, PluginContext, Principal
from plugins.party.building import RANK, Building
from plugins.party.models import Meeting, Member, Organisation
from plugins.party.schemas import MemberEditIn, OrgEditIn


class OrgEdits:
    def __init__(self, ctx: PluginContext, building: Building) -> None:
        self.ctx = ctx
        self.building = building

    async def edit_org(self, who: Principal, org_id: int, body: OrgEditIn) -> None:
        async with self.ctx.sessions.begin() as session:
            org = await self.building.org_in_scope(session, who, org_id)
            before = {"name": org.name, "parent_id": org.parent_id}
            if body.name is not None:
                org.name = body.name
            if "parent_id" in body.model_fields_set and body.parent_id != org.parent_id:
                await self._check_move(session, who, org, body.parent_id)
                org.parent_id = body.parent_id
            self._audit(session, who, "party.org.edited", "party_org", org_id, before=before)

    async def _check_move(
        self, session: AsyncSession, who: Principal, org: Organisation, parent_id: int | None
    ) -> None:
        if parent_id is None:
            return
        parent = await self.building.org_in_scope(session, who, parent_id)
        # ranks strictly increase downwards, so this also keeps it from going below itself
        if RANK[parent.kind] >= RANK[org.kind]:
            raise InvalidInput("party.org_parent", f"a {org.kind} cannot sit under a {parent.kind}")

    async def remove_org(self, who: Principal, org_id: int) -> None:
        async with self.ctx.sessions.begin() as session:
            org = await self.building.org_in_scope(session, who, org_id)
            for model, column in (
                (Organisation, Organisation.parent_id),
                (Member, Member.org_id),
                (Meeting, Meeting.org_id),
            ):
                held = await session.scalar(
                    select(func.count()).select_from(model).where(column == org_id)
                )
                if held:
                    raise Conflict(
                        "party.org_not_empty",
                        "only an organisation without sub-organisations, members or meetings",
                    )
            await session.delete(org)
            self._audit(session, who, "party.org.removed", "party_org", org_id, name=org.name)

    async def edit_member(self, who: Principal, member_id: int, body: MemberEditIn) -> None:
        given = body.model_fields_set
        if body.grid_id is not None:
            self.ctx.grids.index.get(body.grid_id)
        if body.person_id is not None:
            await self.ctx.directory.person(body.person_id)  # 404 person.not_found
        try:
            async with self.ctx.sessions.begin() as session:
                member = await self._member(session, who, member_id)
                if body.org_id is not None and body.org_id != member.org_id:
                    await self.building.org_in_scope(session, who, body.org_id)  # transfer
                before = {f: _plain(getattr(member, f)) for f in given}
                for field in given:
                    value = getattr(body, field)
                    if value is not None or field == "person_id":
                        setattr(member, field, value)
                await session.flush()
                self._audit(
                    session,
                    who,
                    "party.member.edited",
                    "party_member",
                    member_id,
                    before=before,
                    after=body.model_dump(include=given, mode="json"),
                )
        except IntegrityError:
            raise Conflict("party.member_exists", "that person is already a member") from None

    async def _member(self, session: AsyncSession, who: Principal, member_id: int) -> Member:
        member = await session.get(Member, member_id)
        if member is None:
            raise NotFound("party.member_not_found", f"no member {member_id}")
        await self.building.org_in_scope(session, who, member.org_id)
        return member

    def _audit(
        self,
        session: AsyncSession,
        who: Principal,
        action: str,
        kind: str,
        target: int,
        **details: Any,
    ) -> None:
        self.ctx.audit.record(session, Actor.of(who), action, kind, target, details)


def _plain(value: Any) -> Any:
    """A value as the audit's JSON keeps it (a join date as its ISO day)."""
    return value.isoformat() if isinstance(value, date) else value
