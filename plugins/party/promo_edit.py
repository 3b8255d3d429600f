"""党建宣传 edits: an item's title, text or targets changed after it was written, and a medium
removed.

Every edit keeps the text it replaces as a version (`party_promo_versions`: title, body and
targets as they were, why, when, by whom), names the version it was made on (a concurrent edit
answers 409 `party.promo_stale`) and is audited with before and after. A published item may be
edited only with a reason, and its earlier versions show on the residents' page, so it never
changes silently. Media change only while the item is not published, as they are added.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, Conflict, DbId, InvalidInput, NotFound, PluginContext, Principal
from plugins.party import access
from plugins.party.models import PromoItem, PromoMedia, PromoTarget, PromoVersion
from plugins.party.promotion import Promotion
from plugins.party.schemas import Strict

VERSION_MAX = 10_000


class PromoEditIn(Strict):
    """What changes (at least one of title, body, grid_ids), on which version, and why
    (required, 2-200 characters, for a published item)."""

    version: int = Field(ge=1, le=VERSION_MAX)
    title: str | None = Field(default=None, min_length=1, max_length=120)
    body: str | None = Field(default=None, max_length=20000)
    grid_ids: list[DbId] | None = Field(default=None, min_length=1, max_length=50)
    reason: str = Field(default="", max_length=200)

    @field_validator("grid_ids")
    @classmethod
    def _distinct(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else sorted(set(value))

    @model_validator(mode="after")
    def _something(self) -> PromoEditIn:
        if self.title is None and self.body is None and self.grid_ids is None:
            raise ValueError("give a title, a body or grid_ids to change")
        return self


class PromoEdits:
    def __init__(self, ctx: PluginContext, promotion: Promotion) -> None:
        self.ctx = ctx
        self.promotion = promotion

    async def edit(self, who: Principal, item_id: int, body: PromoEditIn) -> dict[str, Any]:
        await self.promotion.editable(who, item_id)  # staff over every target it has
        for grid_id in body.grid_ids or ():
            self.ctx.grids.index.get(grid_id)  # 404 grid.not_found
            access.require_party_staff(who, self.ctx.grids.index, grid_id)
        try:
            async with self.ctx.sessions.begin() as session:
                return await self._apply(session, who, item_id, body)
        except IntegrityError:  # another edit of the same version committed first
            raise _stale() from None

    async def _apply(
        self, session: AsyncSession, who: Principal, item_id: int, body: PromoEditIn
    ) -> dict[str, Any]:
        item = await session.get(PromoItem, item_id)
        if item is None:
            raise NotFound("party.promo_not_found", f"no item {item_id}")
        if item.state == "published" and len(body.reason) < 2:
            raise InvalidInput(
                "party.reason_required", "say why a published item changes (2-200 characters)"
            )
        current = await version_of(session, item_id)
        if body.version != current:
            raise _stale()
        targets = list(
            await session.scalars(
                select(PromoTarget.grid_id)
                .where(PromoTarget.item_id == item_id)
                .order_by(PromoTarget.grid_id)
            )
        )
        before = {"title": item.title, "body": item.body, "grid_ids": targets}
        kept = PromoVersion(item_id=item_id, version=current, title=item.title, body=item.body,
                            grid_ids=",".join(map(str, targets)),
                            was_published=item.state == "published", reason=body.reason,
                            replaced_by=who.person_id)  # fmt: skip
        session.add(kept)
        await session.flush()  # the unique (item, version) stops a concurrent edit here
        item.title = body.title if body.title is not None else item.title
        item.body = body.body if body.body is not None else item.body
        if body.grid_ids is not None:
            await session.execute(delete(PromoTarget).where(PromoTarget.item_id == item_id))
            session.add_all(PromoTarget(item_id=item_id, grid_id=g) for g in body.grid_ids)
        after = {"title": item.title, "body": item.body, "grid_ids": body.grid_ids or targets}
        self._audit(session, who, "party.promo.edited", item_id, version=current + 1,
                    state=item.state, reason=body.reason, before=before, after=after)  # fmt: skip
        return {"id": item_id, "version": current + 1, "state": item.state}

    async def remove_media(self, who: Principal, item_id: int, media_id: int) -> None:
        if (await self.promotion.editable(who, item_id)).state == "published":
            raise Conflict("party.promo_state", "withdraw the item before changing its media")
        async with self.ctx.sessions.begin() as session:
            media = await session.scalar(
                select(PromoMedia.name).where(
                    PromoMedia.id == media_id, PromoMedia.item_id == item_id
                )
            )
            if media is None:
                raise NotFound("party.media_not_found", f"no media {media_id} of item {item_id}")
            await session.execute(delete(PromoMedia).where(PromoMedia.id == media_id))
            self._audit(session, who, "party.promo.media_removed", item_id, media=media_id,
                        name=media)  # fmt: skip

    async def versions(self, item_id: int, public: bool) -> dict[str, Any]:
        """The current version and the earlier ones (for residents: those that were public)."""
        async with self.ctx.sessions() as session:
            return {
                "version": await version_of(session, item_id),
                "history": await history(session, item_id, published_only=public),
            }

    async def staff_detail(self, who: Principal, item_id: int) -> dict[str, Any]:
        item = await self.promotion.editable(who, item_id)
        async with self.ctx.sessions() as session:
            grid_ids = list(
                await session.scalars(
                    select(PromoTarget.grid_id)
                    .where(PromoTarget.item_id == item_id)
                    .order_by(PromoTarget.grid_id)
                )
            )
        summary = await self.promotion.summary_of(item)
        return {**summary, "body": item.body, "grid_ids": grid_ids,
                **await self.versions(item_id, public=False)}  # fmt: skip

    def _audit(
        self, session: AsyncSession, who: Principal, action: str, item_id: int, **details: Any
    ) -> None:
        self.ctx.audit.record(session, Actor.of(who), action, "party_promo", item_id, details)


async def version_of(session: AsyncSession, item_id: int) -> int:
    """The item's current version: one more than the versions it replaced."""
    kept = await session.scalar(select(func.count()).where(PromoVersion.item_id == item_id))
    return 1 + int(kept or 0)


async def history(
    session: AsyncSession, item_id: int, published_only: bool
) -> list[dict[str, Any]]:
    """The item's earlier versions, newest first (for residents: those that were public)."""
    stmt = select(PromoVersion).where(PromoVersion.item_id == item_id)
    if published_only:
        stmt = stmt.where(PromoVersion.was_published.is_(True))
    rows = await session.scalars(stmt.order_by(PromoVersion.version.desc()))
    return [
        {
            "version": row.version,
            "title": row.title,
            "body": row.body,
            "reason": row.reason,
            "replaced_at": row.replaced_at.timestamp(),
        }
        for row in rows
    ]


def _stale() -> Conflict:
    return Conflict("party.promo_stale", "the item was changed meanwhile: reload and edit again")
