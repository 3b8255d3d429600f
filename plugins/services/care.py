"""Elderly care (为老服务): providers' offers, bookings for elderly residents, check-in visits.

People living alone get a visit at least every `interval_days`. Each check-in has one durable
timer (ctx.timers, key `checkin:<id>`) at its due time; a visit moves the due time and the
timer. When the timer fires and no visit came, the plugin asks dispatch for an incident over the
bus (source "services.care", one per missed due time), counts the miss and watches again a day
later, until someone visits.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hub.sdk import (
    SYSTEM,
    Actor,
    Conflict,
    DbId,
    DueTimer,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    mask_personal,
    utcnow,
)
from plugins.dispatch.messages import IncidentRequested
from plugins.services.access import (
    CARE_BOOKING,
    CHECKIN,
    OFFER,
    OFFICERS,
    PROVIDER,
    PROVIDERS,
    STAFF,
)
from plugins.services.common import NAME_OR_NONE, PHONE_OR_NONE, check_grid, visible_grids
from plugins.services.config import ServicesConfig
from plugins.services.models import CareBooking, CareOffer, CheckIn, Visit

KIND = "checkin"
SOURCE = "services.care"
DAY_S = 86400.0
Kind = Literal["meal", "health", "cleaning", "visit", "other"]


class OfferIn(BaseModel):
    grid_id: DbId
    kind: Kind
    title: str = Field(min_length=1, max_length=80)
    description: str = Field(default="", max_length=500)


class CareBookingIn(BaseModel):
    name: str = Field(default="", pattern=NAME_OR_NONE, description="without the archives")
    resident_id: DbId | None = Field(default=None, description="the archives' person")
    phone: str = Field(default="", pattern=PHONE_OR_NONE)
    day: date
    note: str = Field(default="", max_length=300)


class ServeIn(BaseModel):
    action: Literal["confirm", "deliver", "cancel"]
    note: str = Field(default="", max_length=300)


class CheckInIn(BaseModel):
    grid_id: DbId
    name: str = Field(default="", pattern=NAME_OR_NONE, description="without the archives")
    resident_id: DbId | None = Field(default=None, description="the archives' person")
    phone: str = Field(default="", pattern=PHONE_OR_NONE)
    address: str = Field(default="", max_length=300)
    interval_days: int = Field(ge=1, le=90)
    first_due: datetime | None = Field(default=None, description="default: interval from now")


class VisitIn(BaseModel):
    wellbeing: Literal["well", "unwell", "absent"]
    note: str = Field(default="", max_length=300)


def offer_view(offer: CareOffer) -> dict[str, Any]:
    return {"id": offer.id, "grid_id": offer.grid_id, "provider_id": offer.provider_id,
            "provider_name": offer.provider_name, "kind": offer.kind, "title": offer.title,
            "description": offer.description, "active": offer.active}  # fmt: skip


def care_booking_view(row: CareBooking, phone: str) -> dict[str, Any]:
    return {"id": row.id, "offer_id": row.offer_id, "grid_id": row.grid_id,
            "name": row.elder_name, "resident_id": row.resident_id,
            "phone": mask_personal(phone), "day": row.day,
            "state": row.state, "note": row.note,
            "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None}  # fmt: skip


def checkin_view(row: CheckIn) -> dict[str, Any]:
    return {"id": row.id, "grid_id": row.grid_id, "name": mask_personal(row.name),
            "interval_days": row.interval_days, "due_at": row.due_at, "missed": row.missed,
            "last_visit_at": row.last_visit_at.isoformat() if row.last_visit_at else None,
            "active": row.active, "overdue": row.due_at < time.time(),
            "resident_id": row.resident_id, "sos_device": row.sos_device}  # fmt: skip


class Care:
    def __init__(self, ctx: PluginContext, config: ServicesConfig) -> None:
        self.ctx = ctx
        self.config = config
        ctx.timers.handler(KIND)(self.due)

    # --- offers and bookings --------------------------------------------------------------

    async def offers(self, who: Principal) -> list[dict[str, Any]]:
        grids = visible_grids(who, self.ctx.grids.index, PROVIDERS | STAFF)
        async with self.ctx.sessions() as session:
            rows = await session.scalars(select(CareOffer).order_by(CareOffer.id))
            return [offer_view(o) for o in rows if grids is None or o.grid_id in grids]

    async def offer(self, who: Principal, body: OfferIn) -> dict[str, Any]:
        check_grid(who, self.ctx.grids.index, body.grid_id, PROVIDERS)
        offer = CareOffer(grid_id=body.grid_id, provider_id=who.person_id,
                          provider_name=who.display_name, kind=body.kind, title=body.title,
                          description=body.description)  # fmt: skip
        async with self.ctx.sessions.begin() as session:
            session.add(offer)
            await session.flush()
            self.ctx.audit.record(session, Actor.of(who), "services.care.offered", OFFER,
                                  offer.id, {"kind": body.kind})  # fmt: skip
            return offer_view(offer)

    async def book(self, who: Principal, offer_id: int, body: CareBookingIn,
                   person: tuple[str, int | None]) -> dict[str, Any]:  # fmt: skip
        """Book an offer for `person` (name, archives id: see Elders.named)."""
        async with self.ctx.sessions.begin() as session:
            offer = await session.get(CareOffer, offer_id)
            if offer is None or not offer.active:
                raise NotFound("services.offer_not_found", f"no active offer {offer_id}")
            check_grid(who, self.ctx.grids.index, offer.grid_id, STAFF)
            row = CareBooking(offer_id=offer.id, grid_id=offer.grid_id, elder_name=person[0],
                              resident_id=person[1],
                              elder_phone=self.ctx.personal.seal(body.phone),
                              day=body.day.isoformat(), note=body.note,
                              booked_by=who.person_id)  # fmt: skip
            session.add(row)
            await session.flush()
            self.ctx.audit.record(session, Actor.of(who), "services.care.booked", CARE_BOOKING,
                                  row.id, {"offer": offer.id})  # fmt: skip
            return care_booking_view(row, body.phone)

    async def bookings(self, who: Principal) -> list[dict[str, Any]]:
        grids = visible_grids(who, self.ctx.grids.index, PROVIDERS | STAFF)
        async with self.ctx.sessions() as session:
            rows = list(await session.scalars(select(CareBooking).order_by(CareBooking.id)))
        opened = self.ctx.personal.open
        return [care_booking_view(r, opened(r.elder_phone)) for r in rows
                if grids is None or r.grid_id in grids]  # fmt: skip

    async def serve(self, who: Principal, booking_id: int, body: ServeIn) -> dict[str, Any]:
        """The provider confirms, records delivery, or cancels (each from its own states)."""
        sources = {"confirm": ("requested",), "deliver": ("confirmed",),
                   "cancel": ("requested", "confirmed")}[body.action]  # fmt: skip
        target = {"confirm": "confirmed", "deliver": "delivered", "cancel": "cancelled"}
        async with self.ctx.sessions.begin() as session:
            row = await session.get(CareBooking, booking_id)
            if row is None:
                raise NotFound("services.care_booking_not_found", f"no booking {booking_id}")
            offer = await session.get(CareOffer, row.offer_id)
            assert offer is not None
            self._may_serve(who, offer)
            if row.state not in sources:
                raise Conflict("services.care_booking_state", f"the booking is {row.state}")
            row.state, row.note = target[body.action], body.note or row.note
            if body.action == "deliver":
                row.delivered_at = utcnow()
            self.ctx.audit.record(session, Actor.of(who), f"services.care.{row.state}",
                                  CARE_BOOKING, row.id)  # fmt: skip
            return care_booking_view(row, self.ctx.personal.open(row.elder_phone))

    def _may_serve(self, who: Principal, offer: CareOffer) -> None:
        """The offering provider, or an officer over its grid."""
        index = self.ctx.grids.index
        own = who.person_id == offer.provider_id and PROVIDER in who.roles
        if not own:
            check_grid(who, index, offer.grid_id, OFFICERS)

    # --- check-in visits ------------------------------------------------------------------

    async def checkins(self, who: Principal) -> list[dict[str, Any]]:
        grids = visible_grids(who, self.ctx.grids.index, STAFF)
        async with self.ctx.sessions() as session:
            rows = await session.scalars(select(CheckIn).where(CheckIn.active.is_(True))
                                         .order_by(CheckIn.due_at))  # fmt: skip
            return [checkin_view(r) for r in rows if grids is None or r.grid_id in grids]

    async def register(self, who: Principal, body: CheckInIn,
                       person: tuple[str, int | None]) -> dict[str, Any]:  # fmt: skip
        check_grid(who, self.ctx.grids.index, body.grid_id, OFFICERS)
        now = time.time()
        due = body.first_due.timestamp() if body.first_due else now + body.interval_days * DAY_S
        if body.first_due is not None and body.first_due.tzinfo is None:
            raise InvalidInput("services.time_zone_required", "first_due needs a time zone")
        if not now - 60 < due <= now + 90 * DAY_S:
            raise InvalidInput("services.due_invalid", "first_due must be within 90 days")
        row = CheckIn(grid_id=body.grid_id, name=person[0], resident_id=person[1],
                      phone=self.ctx.personal.seal(body.phone),
                      address=self.ctx.personal.seal(body.address),
                      interval_days=body.interval_days, due_at=due)  # fmt: skip
        try:
            async with self.ctx.sessions.begin() as session:
                session.add(row)
                await session.flush()
                self.ctx.audit.record(session, Actor.of(who), "services.checkin.registered",
                                      CHECKIN, row.id)  # fmt: skip
        except IntegrityError:  # the person's one check-in (resident_id) exists already
            raise Conflict("services.checkin_exists", "the person has a check-in") from None
        await self.watch(row)
        return checkin_view(row)

    async def _count_miss(self, checkin_id: int, due_at: float) -> Any:
        """Count the miss if the due time is still `due_at` (compare-and-set), with its audit."""
        async with self.ctx.sessions.begin() as session:
            missed = await session.execute(
                update(CheckIn).where(CheckIn.id == checkin_id, CheckIn.active.is_(True),
                                      CheckIn.due_at == due_at)
                .values(missed=CheckIn.missed + 1, due_at=CheckIn.due_at + DAY_S)
                .returning(CheckIn.grid_id, CheckIn.name, CheckIn.due_at)
            )  # fmt: skip
            found = missed.first()
            if found is not None:
                self.ctx.audit.record(session, SYSTEM, "services.checkin.missed", CHECKIN,
                                      checkin_id, {"due_at": due_at})  # fmt: skip
            return found

    async def reconcile(self) -> None:
        """At start-up: an active check-in whose timer was lost (a crash between a visit's
        commit and its reschedule) is watched again at its due time."""
        waiting = {t.key for t in await self.ctx.timers.pending()}
        async with self.ctx.sessions() as session:
            rows = list(await session.scalars(select(CheckIn).where(CheckIn.active.is_(True))))
        for row in rows:
            if f"checkin:{row.id}" not in waiting:
                await self.watch(row)

    async def watch(self, row: CheckIn) -> None:
        await self.ctx.timers.schedule(KIND, f"checkin:{row.id}", row.due_at,
                                       {"id": row.id, "due_at": row.due_at})  # fmt: skip

    async def visit(self, who: Principal, checkin_id: int, body: VisitIn) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            row = await session.get(CheckIn, checkin_id)
            if row is None or not row.active:
                raise NotFound("services.checkin_not_found", f"no check-in {checkin_id}")
            check_grid(who, self.ctx.grids.index, row.grid_id, STAFF)
            session.add(Visit(checkin_id=row.id, visitor_id=who.person_id,
                              visitor_name=who.display_name, wellbeing=body.wellbeing,
                              note=body.note))  # fmt: skip
            row.last_visit_at = utcnow()
            row.due_at = time.time() + row.interval_days * DAY_S
            self.ctx.audit.record(session, Actor.of(who), "services.checkin.visited", CHECKIN,
                                  row.id, {"wellbeing": body.wellbeing})  # fmt: skip
        await self.watch(row)
        return checkin_view(row)

    async def due(self, payload: dict[str, Any], timer: DueTimer) -> None:
        """The due time passed: if no visit moved it, raise an incident and watch the next."""
        checkin_id, due_at = int(payload["id"]), float(payload["due_at"])
        found = await self._count_miss(checkin_id, due_at)
        if found is None:  # visited in time (the due time moved) or no longer watched
            async with self.ctx.sessions() as session:
                current = await session.get(CheckIn, checkin_id)
            if current is not None and current.active:  # keep watching the moved due time
                await self.watch(current)
            return
        grid_id, name, next_due = found
        await self.ctx.bus.publish(IncidentRequested(
            source=SOURCE, source_ref=f"checkin:{checkin_id}:{int(due_at)}",
            category=self.config.care_category, priority="high", grid_id=grid_id,
            title=f"独居老人未按期探访 · {mask_personal(name)}",
            description=f"Check-in visit missed for {mask_personal(name)} (check-in {checkin_id})",
        ))  # fmt: skip
        await self.ctx.timers.schedule(KIND, f"checkin:{checkin_id}", next_due,
                                       {"id": checkin_id, "due_at": next_due})  # fmt: skip
