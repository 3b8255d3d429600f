"""Routes, bus subscriptions and the sweep timer of the archive's field work (visits, change
proposals, campaigns). `mount(ctx)` is called from the plugin's setup."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, Field
from sqlalchemy import select

from hub.sdk import (
    SNIFF_BYTES,
    Call,
    DueTimer,
    HubError,
    InvalidInput,
    NotFound,
    PluginContext,
    sniff,
)
from plugins.archives import work_access as rules
from plugins.archives.access import READ_ROLES
from plugins.archives.campaigns import CampaignIn, Campaigns, EntryIn, HouseholdsQuery
from plugins.archives.changes import Changes, ChangesQuery, ProposalIn, RejectIn
from plugins.archives.keys import Hasher
from plugins.archives.messages import RecordChanged, VisitOverdue
from plugins.archives.visit_sweep import OverdueQuery, VisitSweep
from plugins.archives.visits import DueQuery, HistoryQuery, VisitIn, Visits
from plugins.archives.work_models import VisitAlert, VisitPhoto

SWEEP = "visit_sweep"
SWEEP_EVERY_S = 600.0
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_PHOTOS = 4
MAX_PHOTO_BYTES = 5 * 1024 * 1024


class SweepIn(BaseModel):
    """An admin's sweep now (e.g. after changing intervals): nothing to give."""

    note: str = Field("", max_length=200)


async def mount(ctx: PluginContext) -> None:
    visits, sweep = Visits(ctx), VisitSweep(ctx)
    changes, campaigns = Changes(ctx, Hasher(ctx.personal)), Campaigns(ctx)
    _visit_routes(ctx, visits, sweep)
    _change_routes(ctx, changes)
    _campaign_routes(ctx, campaigns)
    await _subscribe(ctx, visits, sweep)
    unsubscribe = await ctx.bus.subscribe(
        RecordChanged, changes.record_written, group="archives.versions"
    )
    ctx.on_cleanup(unsubscribe)
    await _sweep_timer(ctx, sweep)


def _visit_routes(ctx: PluginContext, visits: Visits, sweeper: VisitSweep) -> None:
    http = ctx.http

    @http.get(
        "/visits/due",
        summary="Visits and inspections your grids owe (most overdue first)",
        query=DueQuery,
        rule=rules.VISITS_DUE,
    )
    async def due(call: Call[None, DueQuery]) -> dict[str, Any]:
        return {"items": await visits.due(call.who, call.query)}

    @http.post(
        "/visits",
        summary="Record a visit (person) or inspection (place); a hazard files an incident",
        body=VisitIn,
        status=201,
        rule=rules.VISIT_RECORD,
    )
    async def record(call: Call[VisitIn, None]) -> dict[str, Any]:
        return await visits.record(call.who, call.body)

    @http.get(
        "/visits",
        summary="Visits of one person or place, newest first",
        query=HistoryQuery,
        rule=rules.VISITS_READ,
    )
    async def history(call: Call[None, HistoryQuery]) -> dict[str, Any]:
        return {"items": await visits.history(call.who, call.query)}

    @http.get(
        "/visits/overdue",
        summary="Overdue visits escalated to the console",
        query=OverdueQuery,
        rule=rules.VISITS_READ,
    )
    async def overdue(call: Call[None, OverdueQuery]) -> dict[str, Any]:
        return {"items": await sweeper.overdue(call.who, call.query)}

    @http.post(
        "/visits/sweep",
        summary="Run the due/overdue sweep now",
        body=SweepIn,
        rule=rules.VISIT_SWEEP,
    )
    async def sweep(call: Call[SweepIn, None]) -> dict[str, Any]:
        return await sweeper.sweep()

    @http.post(
        "/visits/{visit_id}/photos",
        summary="Add photos to your visit (multipart `photo` parts)",
        status=201,
        raw_body="multipart/form-data, parts named `photo`",
        rule=rules.VISIT_RECORD,
    )
    async def add_photos(call: Call[None, None]) -> dict[str, Any]:
        row = await visits.get(call.who, call.path_int("visit_id"), rules.FIELD_ROLES)
        if row.worker_id != call.who.person_id:
            raise HubError("archives.visit_not_yours", "only the visitor adds photos", status=403)
        photos = await _read_photos(call.request)
        return {"items": await _attach(ctx, row.id, photos)}

    @http.get(
        "/visits/{visit_id}/photos", summary="The photo ids of a visit", rule=rules.VISITS_READ
    )
    async def photo_ids(call: Call[None, None]) -> dict[str, Any]:
        row = await visits.get(call.who, call.path_int("visit_id"), READ_ROLES)
        async with ctx.sessions() as session:
            ids = await session.scalars(
                select(VisitPhoto.id).where(VisitPhoto.visit_id == row.id).order_by(VisitPhoto.id)
            )
            return {"items": list(ids)}

    @http.get(
        "/visits/{visit_id}/photos/{photo_id}",
        summary="One photo of a visit",
        rule=rules.VISITS_READ,
        produces="image/*",
    )
    async def photo(call: Call[None, None]) -> web.Response:
        row = await visits.get(call.who, call.path_int("visit_id"), READ_ROLES)
        async with ctx.sessions() as session:
            found = await session.get(VisitPhoto, call.path_int("photo_id"))
        if found is None or found.visit_id != row.id:
            raise NotFound("archives.photo_not_found", "the visit has no such photo")
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
        return web.Response(body=found.data, content_type=found.content_type, headers=headers)


async def _read_photos(request: web.Request) -> list[tuple[str, bytes]]:
    if request.content_type != "multipart/form-data":
        raise HubError("archives.photo_form", "send multipart/form-data with photos", status=415)
    photos: list[tuple[str, bytes]] = []
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader) or part.name != "photo":
            raise InvalidInput("archives.photo_form", "only parts named `photo` are accepted")
        if len(photos) >= MAX_PHOTOS:
            raise InvalidInput("archives.too_many_photos", f"at most {MAX_PHOTOS} photos")
        photos.append(await _read_photo(part))
    if not photos:
        raise InvalidInput("archives.photo_missing", "send at least one part named `photo`")
    return photos


def _photo(data: bytes) -> tuple[str, bytes]:
    if len(data) > MAX_PHOTO_BYTES:
        raise HubError("archives.photo_too_large", "a photo may be at most 5 MB", status=413)
    kind = sniff(data[:SNIFF_BYTES])
    if kind not in PHOTO_TYPES:
        raise HubError("archives.photo_type", "photos are JPEG, PNG or WebP images", status=415)
    return kind, data


async def _read_photo(part: BodyPartReader) -> tuple[str, bytes]:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > MAX_PHOTO_BYTES:
            raise HubError("archives.photo_too_large", "a photo may be at most 5 MB", status=413)
    return _photo(bytes(data))


async def _attach(ctx: PluginContext, visit_id: int, photos: list[tuple[str, bytes]]) -> list[int]:
    """Each photo once per visit: a phone resending after a lost answer gets the same ids."""
    async with ctx.sessions.begin() as session:
        stored = await session.execute(
            select(VisitPhoto.sha256, VisitPhoto.id).where(VisitPhoto.visit_id == visit_id)
        )
        known: dict[str, int] = dict(stored.all())
        ids = []
        for kind, data in photos:
            digest = hashlib.sha256(data).hexdigest()
            if digest not in known:
                row = VisitPhoto(
                    visit_id=visit_id, content_type=kind, size=len(data), sha256=digest, data=data
                )
                session.add(row)
                await session.flush()
                known[digest] = row.id
            ids.append(known[digest])
        return ids


def _change_routes(ctx: PluginContext, changes: Changes) -> None:
    http = ctx.http

    @http.post(
        "/changes",
        summary="Propose a change to a person or house",
        body=ProposalIn,
        status=201,
        rule=rules.CHANGE_PROPOSE,
    )
    async def propose(call: Call[ProposalIn, None]) -> dict[str, Any]:
        return await changes.propose(call.who, call.body)

    @http.get(
        "/changes",
        summary="Change proposals in your grids",
        query=ChangesQuery,
        rule=rules.CHANGES_READ,
    )
    async def listing(call: Call[None, ChangesQuery]) -> dict[str, Any]:
        return {"items": await changes.listing(call.who, call.query)}

    @http.post(
        "/changes/{change_id}/approve",
        summary="Approve and apply a proposal",
        rule=rules.CHANGE_REVIEW,
    )
    async def approve(call: Call[None, None]) -> dict[str, Any]:
        return await changes.approve(call.who, call.path_int("change_id"))

    @http.post(
        "/changes/{change_id}/reject",
        summary="Reject a proposal with a reason",
        body=RejectIn,
        rule=rules.CHANGE_REVIEW,
    )
    async def reject(call: Call[RejectIn, None]) -> dict[str, Any]:
        return await changes.reject(call.who, call.path_int("change_id"), call.body)

    @http.get(
        "/records/{kind:person|house}/{record_id}/versions",
        summary="The versions of a person or house (personal values masked)",
        rule=rules.CHANGES_READ,
    )
    async def versions(call: Call[None, None]) -> dict[str, Any]:
        kind = call.params["kind"]
        return {"items": await changes.versions(call.who, kind, call.path_int("record_id"))}


def _campaign_routes(ctx: PluginContext, campaigns: Campaigns) -> None:
    http = ctx.http

    @http.post(
        "/campaigns",
        summary="Define a campaign (form, targets, deadline)",
        body=CampaignIn,
        status=201,
        rule=rules.CAMPAIGN_DEFINE,
    )
    async def define(call: Call[CampaignIn, None]) -> dict[str, Any]:
        return await campaigns.define(call.who, call.body)

    @http.get("/campaigns", summary="Campaigns over your grids", rule=rules.CAMPAIGNS_READ)
    async def listing(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await campaigns.listing(call.who)}

    @http.get(
        "/campaigns/{campaign_id}/households",
        summary="Your households to fill",
        query=HouseholdsQuery,
        rule=rules.CAMPAIGN_FILL,
    )
    async def households(call: Call[None, HouseholdsQuery]) -> dict[str, Any]:
        found = await campaigns.households(call.who, call.path_int("campaign_id"), call.query)
        return {"items": found}

    @http.post(
        "/campaigns/{campaign_id}/entries",
        summary="Fill the form for a household",
        body=EntryIn,
        status=201,
        rule=rules.CAMPAIGN_FILL,
    )
    async def fill(call: Call[EntryIn, None]) -> dict[str, Any]:
        return await campaigns.fill(call.who, call.path_int("campaign_id"), call.body)

    @http.get(
        "/campaigns/{campaign_id}/progress",
        summary="Filled households per grid",
        rule=rules.CAMPAIGNS_READ,
    )
    async def progress(call: Call[None, None]) -> dict[str, Any]:
        return {"grids": await campaigns.progress(call.who, call.path_int("campaign_id"))}

    @http.post(
        "/campaigns/{campaign_id}/close", summary="Close a campaign", rule=rules.CAMPAIGN_DEFINE
    )
    async def close(call: Call[None, None]) -> dict[str, Any]:
        return await campaigns.close(call.who, call.path_int("campaign_id"))


async def _subscribe(ctx: PluginContext, visits: Visits, sweeper: VisitSweep) -> None:
    async def overdue(message: VisitOverdue) -> None:
        async with ctx.sessions() as session:
            alert = await session.scalar(
                select(VisitAlert).where(
                    VisitAlert.subject_type == message.subject_type,
                    VisitAlert.subject_id == message.subject_id,
                )
            )
            names = await sweeper.names(session, [alert] if alert else [])
        if alert is not None:
            rooms = ctx.realtime.command_rooms([message.grid_id])
            await ctx.realtime.emit("visit_overdue", sweeper.alert_dict(alert, names), rooms)

    ctx.on_cleanup(await ctx.bus.subscribe(VisitOverdue, overdue, group="archives.console"))
    if ctx.has_plugin("dispatch"):
        from plugins.dispatch.messages import IncidentChanged

        async def reported(message: IncidentChanged) -> None:
            ref = message.source_ref or ""
            if message.source != "archives" or message.action != "reported":
                return
            if not ref.startswith("visit:") or not ref[6:].isdigit():
                return
            row = await visits.incident_opened(int(ref[6:]), message.incident_id)
            if row is not None:
                data = {
                    "visit_id": row.id,
                    "incident_id": message.incident_id,
                    "number": message.number,
                }
                await ctx.realtime.emit(
                    "visit_incident", data, ctx.realtime.user_room(row.worker_id)
                )

        ctx.on_cleanup(await ctx.bus.subscribe(IncidentChanged, reported, group="archives.visits"))


async def _sweep_timer(ctx: PluginContext, sweeper: VisitSweep) -> None:
    """The sweep runs on one durable timer that re-arms itself: once per period, cluster-wide."""

    @ctx.timers.handler(SWEEP)
    async def fired(payload: dict[str, Any], timer: DueTimer) -> None:
        try:
            await sweeper.sweep()
        finally:
            await ctx.timers.schedule(SWEEP, SWEEP, time.time() + SWEEP_EVERY_S)

    # Armed only when missing: a restart (or a second node starting) must not push it back, or
    # nodes restarting more often than the period would never sweep.
    if not any(t.key == SWEEP for t in await ctx.timers.pending()):
        await ctx.timers.schedule(SWEEP, SWEEP, time.time() + SWEEP_EVERY_S)
