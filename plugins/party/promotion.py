"""党建宣传: articles and courses of plain text with images and videos, meant for grids.

An item is drafted by party staff over every grid it targets, given media, then published; it
shows in the grids it targets and every grid below them: on the residents' page (no sign-in)
and, for members, in the field app. Withdrawn items are gone from both. Media are rows of the
plugin's table (as meeting photos), so every node of a cluster serves them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from sqlalchemy import LargeBinary, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, Conflict, InvalidInput, NotFound, PluginContext, Principal, utcnow
from plugins.party import access
from plugins.party.models import PromoItem, PromoMedia, PromoRead, PromoTarget
from plugins.party.promo_media import MediaMeta, byte_range, media_response, media_type
from plugins.party.schemas import PromoIn

MAX_MEDIA = 10
META = (PromoMedia.id, PromoMedia.name, PromoMedia.content_type, PromoMedia.size, PromoMedia.sha256)


class Promotion:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    # -- staff -------------------------------------------------------------------------------

    async def create(self, who: Principal, body: PromoIn) -> int:
        for grid_id in body.grid_ids:
            self.ctx.grids.index.get(grid_id)
            access.require_party_staff(who, self.ctx.grids.index, grid_id)
        async with self.ctx.sessions.begin() as session:
            item = PromoItem(
                kind=body.kind, title=body.title, body=body.body, created_by=who.person_id
            )
            session.add(item)
            await session.flush()
            session.add_all(PromoTarget(item_id=item.id, grid_id=g) for g in body.grid_ids)
            self._audit(session, who, "party.promo.created", item.id, grids=body.grid_ids)
            return item.id

    async def staff_list(self, who: Principal) -> list[dict[str, Any]]:
        visible = None if who.is_admin else self._scope(who)
        async with self.ctx.sessions() as session:
            items = list(await session.scalars(select(PromoItem).order_by(PromoItem.id.desc())))
            targets = await _targets(session, [i.id for i in items])
            readers = dict(
                (
                    await session.execute(
                        select(PromoRead.item_id, func.count()).group_by(PromoRead.item_id)
                    )
                ).all()
            )
            media = await _media_of(session, [i.id for i in items])
        return [
            {
                **self._summary(i, targets[i.id], media.get(i.id, [])),
                "readers": readers.get(i.id, 0),
            }
            for i in items
            if visible is None or visible & set(targets[i.id])
        ]

    async def editable(self, who: Principal, item_id: int) -> PromoItem:
        """The item, when the caller is party staff over every grid it targets."""
        async with self.ctx.sessions() as session:
            item = await session.get(PromoItem, item_id)
            if item is None:
                raise NotFound("party.promo_not_found", f"no item {item_id}")
            targets = (await _targets(session, [item_id]))[item_id]
        for grid_id in targets:
            access.require_party_staff(who, self.ctx.grids.index, grid_id)
        return item

    async def add_media(self, who: Principal, item_id: int, name: str, data: bytes) -> int:
        kind = media_type(data)
        if (await self.editable(who, item_id)).state == "published":
            raise Conflict("party.promo_state", "withdraw the item before changing its media")
        async with self.ctx.sessions.begin() as session:
            count = await session.scalar(select(func.count()).where(PromoMedia.item_id == item_id))
            if (count or 0) >= MAX_MEDIA:
                raise InvalidInput("party.too_many_files", f"at most {MAX_MEDIA} images or videos")
            media = PromoMedia(
                item_id=item_id,
                name=name,
                content_type=kind,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
            )
            session.add(media)
            await session.flush()
            self._audit(session, who, "party.promo.media_added", item_id, media=media.id)
            return media.id

    async def set_state(self, who: Principal, item_id: int, state: str) -> None:
        """publish (from draft or withdrawn) or withdraw (from published)."""
        await self.editable(who, item_id)
        before = ("draft", "withdrawn") if state == "published" else ("published",)
        values: dict[str, Any] = {"state": state}
        if state == "published":
            values["published_at"] = utcnow()
        async with self.ctx.sessions.begin() as session:
            changed = await session.execute(
                update(PromoItem)
                .where(PromoItem.id == item_id, PromoItem.state.in_(before))
                .values(**values)
            )
            if not changed.rowcount:  # type: ignore[attr-defined]
                raise Conflict("party.promo_state", f"the item cannot become {state} now")
            self._audit(session, who, f"party.promo.{state}", item_id)

    # -- published items: residents and members -------------------------------------------

    async def published(self, grids: Iterable[int] | None) -> list[dict[str, Any]]:
        """Published items shown at any of `grids` (all published items when None)."""
        wanted = None if grids is None else list(grids)
        async with self.ctx.sessions() as session:
            items = list(
                await session.scalars(
                    select(PromoItem)
                    .where(PromoItem.state == "published")
                    .order_by(PromoItem.published_at.desc(), PromoItem.id.desc())
                )
            )
            targets = await _targets(session, [i.id for i in items])
            media = await _media_of(session, [i.id for i in items])
        return [
            self._summary(i, targets[i.id], media.get(i.id, []))
            for i in items
            if wanted is None or self._shown_at(targets[i.id], wanted)
        ]

    def _shown_at(self, targets: list[int], grids: list[int]) -> bool:
        index = self.ctx.grids.index
        return any(index.is_within(g, t) for t in targets for g in grids)

    async def public_detail(self, item_id: int) -> dict[str, Any]:
        async with self.ctx.sessions() as session:
            item = await self._published(session, item_id)
            targets = (await _targets(session, [item_id]))[item_id]
            media = (await _media_of(session, [item_id])).get(item_id, [])
        return {**self._summary(item, targets, media), "body": item.body}

    async def public_villages(self) -> list[dict[str, Any]]:
        """Villages where some published item shows."""
        index = self.ctx.grids.index
        async with self.ctx.sessions() as session:
            targets = set(
                await session.scalars(
                    select(PromoTarget.grid_id)
                    .join(PromoItem, PromoItem.id == PromoTarget.item_id)
                    .where(PromoItem.state == "published")
                )
            )
        villages = [n for n in index if n.level == "village" and not n.is_overlay]
        return [
            {"code": n.code, "name": n.name}
            for n in sorted(villages, key=lambda n: n.code)
            if any(index.is_within(n.id, t) for t in targets)
        ]

    async def media(
        self, item_id: int, media_id: int, range_header: str | None, *, preview: bool = False
    ) -> web.Response:
        """A medium of a published item; `preview` (its editors, already checked): any state."""
        async with self.ctx.sessions() as session:
            if not preview:
                await self._published(session, item_id)
            row = (
                await session.execute(
                    select(*META).where(PromoMedia.id == media_id, PromoMedia.item_id == item_id)
                )
            ).first()
            if row is None:
                raise NotFound("party.media_not_found", f"no media {media_id} of item {item_id}")
            meta = MediaMeta(*row)
            part = byte_range(range_header, meta.size)
            column: Any = PromoMedia.data
            if part is not None:  # only the bytes asked for leave the database
                length = part[1] - part[0] + 1
                column = func.substr(PromoMedia.data, part[0] + 1, length, type_=LargeBinary)
            data = await session.scalar(select(column).where(PromoMedia.id == media_id))
        return media_response(meta, bytes(data or b""), part, private=preview)

    async def summary_of(self, item: PromoItem) -> dict[str, Any]:
        """What lists show of one item (any state)."""
        async with self.ctx.sessions() as session:
            targets = (await _targets(session, [item.id]))[item.id]
            media = (await _media_of(session, [item.id])).get(item.id, [])
        return self._summary(item, targets, media)

    async def _published(self, session: AsyncSession, item_id: int) -> PromoItem:
        item = await session.get(PromoItem, item_id)
        if item is None or item.state != "published":
            raise NotFound("party.promo_not_found", f"no published item {item_id}")
        return item

    # -- helpers -----------------------------------------------------------------------------

    def _scope(self, who: Principal) -> set[int]:
        return self.ctx.grids.index.scope_ids(who.grid_ids(access.PARTY_STAFF))

    def _summary(
        self, item: PromoItem, targets: list[int], media: list[dict[str, Any]]
    ) -> dict[str, Any]:
        index = self.ctx.grids.index
        return {
            "id": item.id,
            "kind": item.kind,
            "title": item.title,
            "state": item.state,
            "published_at": item.published_at.timestamp() if item.published_at else None,
            "targets": [index.get(g).name for g in targets if g in index],
            "media": media,
        }

    def _audit(
        self, session: AsyncSession, who: Principal, action: str, item_id: int, **details: Any
    ) -> None:
        self.ctx.audit.record(session, Actor.of(who), action, "party_promo", item_id, details)


async def _targets(session: AsyncSession, item_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {i: [] for i in item_ids}
    rows = await session.execute(
        select(PromoTarget.item_id, PromoTarget.grid_id)
        .where(PromoTarget.item_id.in_(item_ids))
        .order_by(PromoTarget.grid_id)
    )
    for item_id, grid_id in rows:
        out[item_id].append(grid_id)
    return out


async def _media_of(session: AsyncSession, item_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    rows = await session.execute(
        select(PromoMedia.item_id, *META)
        .where(PromoMedia.item_id.in_(item_ids))
        .order_by(PromoMedia.id)
    )
    for item_id, media_id, name, content_type, size, _sha in rows:
        out.setdefault(item_id, []).append(
            {"id": media_id, "name": name, "content_type": content_type, "size": size}
        )
    return out
