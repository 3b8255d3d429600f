"""Reading records of promotion items (学习记录): a member who opens a published item meant for
their grids has read it, once (a unique row per item and member, so opening it again, or on
another node, changes nothing); a branch's reading ledger for its staff."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.sdk import Actor, NotFound, PluginContext, Principal
from plugins.party.building import Building
from plugins.party.models import Member, Organisation, PromoRead
from plugins.party.promotion import Promotion


class Reading:
    def __init__(self, ctx: PluginContext, building: Building, promotion: Promotion) -> None:
        self.ctx = ctx
        self.building = building
        self.promotion = promotion

    async def mine(self, who: Principal) -> list[dict[str, Any]] | None:
        """Published items meant for the member's branch, grid or home community; None for
        someone who is not a party member."""
        member = await self.building.member_of(who)
        if member is None:
            return None
        items = await self.promotion.published(await self._grids_of(member))
        async with self.ctx.sessions() as session:
            read = set(
                await session.scalars(
                    select(PromoRead.item_id).where(PromoRead.member_id == member.id)
                )
            )
        return [{**i, "read": i["id"] in read} for i in items]

    async def record(self, who: Principal, item_id: int) -> bool:
        """True when this was the first reading; 404 unless the item is shown to the member."""
        member = await self.building.me(who)
        if item_id not in {
            i["id"] for i in await self.promotion.published(await self._grids_of(member))
        }:
            raise NotFound("party.promo_not_found", f"no item {item_id} for you")
        try:
            async with self.ctx.sessions.begin() as session:
                session.add(PromoRead(item_id=item_id, member_id=member.id))
                await session.flush()
                self.ctx.audit.record(
                    session, Actor.of(who), "party.promo.read", "party_promo", item_id, {}
                )
        except IntegrityError:
            return False
        return True

    async def ledger(self, who: Principal, org_id: int) -> dict[str, Any]:
        """Per member of the branch: items read of those shown there, and when last."""
        async with self.ctx.sessions() as session:
            org = await self.building.org_in_scope(session, who, org_id)
            members = list(
                await session.scalars(
                    select(Member).where(Member.org_id == org_id).order_by(Member.id)
                )
            )
        items = await self.promotion.published(
            [org.grid_id, *(m.grid_id for m in members if m.grid_id)]
        )
        ids = [i["id"] for i in items]
        async with self.ctx.sessions() as session:
            rows = (
                await session.execute(
                    select(PromoRead.member_id, PromoRead.item_id, PromoRead.read_at).where(
                        PromoRead.item_id.in_(ids),
                        PromoRead.member_id.in_([m.id for m in members]),
                    )
                )
            ).all()
        return {
            "items": [
                {"id": i["id"], "kind": i["kind"], "title": i["title"],
                 "readers": sum(1 for r in rows if r.item_id == i["id"])}
                for i in items
            ],
            "members": [self._row(m, [r for r in rows if r.member_id == m.id]) for m in members],
        }  # fmt: skip

    @staticmethod
    def _row(member: Member, reads: list[Any]) -> dict[str, Any]:
        last = max((r.read_at for r in reads), default=None)
        return {
            "id": member.id,
            "name": member.name,
            "status": member.status,
            "read": len(reads),
            "items": sorted(r.item_id for r in reads),
            "last_read_at": last.timestamp() if last else None,
        }

    async def _grids_of(self, member: Member) -> list[int]:
        async with self.ctx.sessions() as session:
            org = await session.get(Organisation, member.org_id)
        grids = [org.grid_id if org else None, member.grid_id, member.home_grid_id]
        return [g for g in grids if g is not None]
