"""HTTP routes of promotion (党建宣传): staff author items and their media, members record
their reading, residents read published items and play their videos (by byte ranges)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from hub.sdk import Call, PluginContext
from plugins.party import access
from plugins.party.attachments import read_part
from plugins.party.promo_edit import PromoEditIn, PromoEdits
from plugins.party.promo_media import MAX_VIDEO_BYTES
from plugins.party.promo_reads import Reading
from plugins.party.promotion import Promotion
from plugins.party.schemas import PromoIn, PromoQuery

ITEM = "/promotion/{item_id}"


class Created(BaseModel):
    id: int


class ItemsOut(BaseModel):
    items: list[dict[str, Any]] = Field(max_length=10000)


class MineOut(ItemsOut):
    member: bool


class Done(BaseModel):
    ok: bool = True
    detail: str | None = None


def install(ctx: PluginContext, promotion: Promotion, reading: Reading) -> None:
    edits = PromoEdits(ctx, promotion)
    _staff(ctx, promotion)
    _edits(ctx, edits)
    _states(ctx, promotion)
    _reading(ctx, reading)
    _public(ctx, promotion, edits)


def _staff(ctx: PluginContext, p: Promotion) -> None:
    @ctx.http.get(
        "/promotion",
        summary="Articles and courses meant for your grids, with their readers",
        response=ItemsOut,
        rule=access.PROMO_READ,
    )
    async def items(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await p.staff_list(call.who)}

    @ctx.http.post(
        "/promotion",
        summary="Write an article or a course for grids (a draft)",
        body=PromoIn,
        response=Created,
        status=201,
        rule=access.PROMO_EDIT,
    )
    async def create(call: Call[PromoIn, None]) -> dict[str, Any]:
        return {"id": await p.create(call.who, call.body)}

    @ctx.http.post(
        ITEM + "/media",
        summary="Add an image or a video (multipart, one part `file`)",
        response=Created,
        status=201,
        raw_body="multipart/form-data",
        rule=access.PROMO_EDIT,
    )
    async def media(call: Call[None, None]) -> dict[str, Any]:
        item_id = call.path_int("item_id")
        await p.editable(call.who, item_id)  # scope before reading the upload
        name, data = await read_part(call.request, MAX_VIDEO_BYTES)
        return {"id": await p.add_media(call.who, item_id, name, data)}


def _edits(ctx: PluginContext, e: PromoEdits) -> None:
    @ctx.http.get(
        ITEM,
        summary="An item for its editors: text, targets, media, version and earlier versions",
        rule=access.PROMO_EDIT,
    )
    async def detail(call: Call[None, None]) -> dict[str, Any]:
        return await e.staff_detail(call.who, call.path_int("item_id"))

    @ctx.http.post(
        ITEM + "/edit",
        summary="Change an item's title, text or targets (a new version; a reason when published)",
        body=PromoEditIn,
        rule=access.PROMO_EDIT,
    )
    async def edit(call: Call[PromoEditIn, None]) -> dict[str, Any]:
        return await e.edit(call.who, call.path_int("item_id"), call.body)

    @ctx.http.post(
        ITEM + "/media/{media_id}/remove",
        summary="Remove an image or a video of an item that is not published",
        response=Done,
        rule=access.PROMO_EDIT,
    )
    async def remove_media(call: Call[None, None]) -> dict[str, Any]:
        await e.remove_media(call.who, call.path_int("item_id"), call.path_int("media_id"))
        return {"ok": True}

    @ctx.http.get(
        ITEM + "/media/{media_id}",
        summary="An image or video of an item in any state, for its editors to preview",
        produces="*/*",
        rule=access.PROMO_EDIT,
    )
    async def preview(call: Call[None, None]) -> web.Response:
        item_id = call.path_int("item_id")
        await e.promotion.editable(call.who, item_id)
        return await e.promotion.media(
            item_id, call.path_int("media_id"), call.request.headers.get("Range"), preview=True
        )


def _states(ctx: PluginContext, p: Promotion) -> None:
    @ctx.http.post(
        ITEM + "/publish",
        summary="Publish an item: residents and members see it",
        response=Done,
        rule=access.PROMO_EDIT,
    )
    async def publish(call: Call[None, None]) -> dict[str, Any]:
        await p.set_state(call.who, call.path_int("item_id"), "published")
        return {"ok": True}

    @ctx.http.post(
        ITEM + "/withdraw",
        summary="Withdraw a published item",
        response=Done,
        rule=access.PROMO_EDIT,
    )
    async def withdraw(call: Call[None, None]) -> dict[str, Any]:
        await p.set_state(call.who, call.path_int("item_id"), "withdrawn")
        return {"ok": True}


def _reading(ctx: PluginContext, r: Reading) -> None:
    @ctx.http.get(
        "/me/promotion",
        summary="Articles and courses meant for you, and whether you read them",
        response=MineOut,
        rule=access.MEMBER_SELF,
    )
    async def mine(call: Call[None, None]) -> dict[str, Any]:
        items = await r.mine(call.who)
        return {"items": items or [], "member": items is not None}

    @ctx.http.post(
        ITEM + "/read",
        summary="Record that you read an item (once)",
        response=Done,
        rule=access.MEMBER_SELF,
    )
    async def read(call: Call[None, None]) -> dict[str, Any]:
        first = await r.record(call.who, call.path_int("item_id"))
        return {"ok": True, "detail": None if first else "already read"}

    @ctx.http.get(
        "/orgs/{org_id}/reading",
        summary="A branch's reading ledger: who read which article or course",
        rule=access.ORG_EDIT,
    )
    async def ledger(call: Call[None, None]) -> dict[str, Any]:
        return await r.ledger(call.who, call.path_int("org_id"))


def _public(ctx: PluginContext, p: Promotion, e: PromoEdits) -> None:
    @ctx.http.get(
        "/public/promotion/villages",
        summary="Villages where articles or courses are shown",
        response=ItemsOut,
        rule=access.PUBLIC_READ,
    )
    async def villages(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await p.public_villages()}

    @ctx.http.get(
        "/public/promotion",
        summary="Published articles and courses (of a village, when `grid` is given)",
        query=PromoQuery,
        response=ItemsOut,
        rule=access.PUBLIC_READ,
    )
    async def items(call: Call[None, PromoQuery]) -> dict[str, Any]:
        code = call.query.grid
        grids = None if code is None else [ctx.grids.index.by_code(code).id]
        return {"items": await p.published(grids)}

    @ctx.http.get(
        "/public/promotion/{item_id}",
        summary="A published article or course: its text, media and earlier published versions",
        rule=access.PUBLIC_READ,
    )
    async def item(call: Call[None, None]) -> dict[str, Any]:
        item_id = call.path_int("item_id")
        return {**await p.public_detail(item_id), **await e.versions(item_id, public=True)}

    @ctx.http.get(
        "/public/promotion/{item_id}/media/{media_id}",
        summary="An image or video of a published item (byte ranges for video)",
        produces="*/*",
        rule=access.PUBLIC_READ,
    )
    async def media(call: Call[None, None]) -> web.Response:
        return await p.media(
            call.path_int("item_id"), call.path_int("media_id"), call.request.headers.get("Range")
        )
