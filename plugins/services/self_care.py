"""Elderly residents booking care for themselves (为老服务 on the residents' page).

A resident signs in with their own hub account (the core `resident` role on a grid of their
village, the same account the participation section uses) and sees the active offers of their
village: offers on the village, a grid inside it, or a town or county grid above it. They book
one for a day (today up to 90 days ahead) and see and cancel only their own bookings; the
provider confirms and records delivery in the console as for any booking. Bookings and
cancellations are counted per resident (`resident_care_per_hour`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update

from hub.sdk import (
    Actor,
    Conflict,
    Forbidden,
    GridIndex,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    RateLimit,
    RateLimited,
)
from plugins.services.access import CARE_BOOKING, RESIDENTS
from plugins.services.care import care_booking_view, offer_view
from plugins.services.common import PHONE_OR_NONE
from plugins.services.config import ServicesConfig
from plugins.services.models import CareBooking, CareOffer

MAX_DAYS_AHEAD = 90
OPEN = ("requested", "confirmed")


class MyCareBookingIn(BaseModel):
    day: date
    phone: str = Field(default="", pattern=PHONE_OR_NONE)
    note: str = Field(default="", max_length=300)


def village_of(index: GridIndex, grid_id: int) -> int | None:
    """The village a grid lies in (itself if it is one)."""
    village = index.enclosing(grid_id, "village")
    return village.id if village else None


def villages(who: Principal, index: GridIndex) -> set[int]:
    """The villages the caller is a resident of."""
    found = {village_of(index, g) for g in who.grid_ids(RESIDENTS)}
    return {v for v in found if v is not None}


def open_to(index: GridIndex, homes: set[int], grid_id: int) -> bool:
    """An offer on `grid_id` serves one of the villages `homes` (inside it, or above it)."""
    if grid_id not in index:
        return False
    return any(index.is_within(grid_id, v) or index.is_within(v, grid_id) for v in homes)


class SelfCare:
    def __init__(self, ctx: PluginContext, config: ServicesConfig) -> None:
        self.ctx = ctx
        self._limit = RateLimit("care_mine", config.resident_care_per_hour, window_s=3600)

    async def mine(self, who: Principal) -> dict[str, Any]:
        """The offers open to the caller's villages and the caller's own bookings."""
        homes = villages(who, self.ctx.grids.index)
        async with self.ctx.sessions() as session:
            offers = await session.scalars(select(CareOffer).where(CareOffer.active.is_(True))
                                           .order_by(CareOffer.id))  # fmt: skip
            shown = [offer_view(o) for o in offers if open_to(self.ctx.grids.index, homes,
                                                               o.grid_id)]  # fmt: skip
            rows = await session.scalars(select(CareBooking)
                                         .where(CareBooking.booked_by == who.person_id)
                                         .order_by(CareBooking.id.desc()).limit(100))  # fmt: skip
            booked = [self._view(r) for r in rows]
        return {"offers": shown, "bookings": booked}

    async def book(self, who: Principal, offer_id: int, body: MyCareBookingIn) -> dict[str, Any]:
        self._check_day(body.day)
        await self._count(who)
        async with self.ctx.sessions.begin() as session:
            offer = await session.get(CareOffer, offer_id)
            homes = villages(who, self.ctx.grids.index)
            if offer is None or not offer.active:
                raise NotFound("services.offer_not_found", f"no active offer {offer_id}")
            if not open_to(self.ctx.grids.index, homes, offer.grid_id):
                raise Forbidden("scope.forbidden", "the offer does not serve your village")
            await self._not_twice(session, who, offer.id, body.day)
            row = CareBooking(offer_id=offer.id, grid_id=offer.grid_id,
                              elder_name=who.display_name[:40], resident_id=None,
                              elder_phone=self.ctx.personal.seal(body.phone),
                              day=body.day.isoformat(), note=body.note,
                              booked_by=who.person_id)  # fmt: skip
            session.add(row)
            await session.flush()
            self.ctx.audit.record(session, Actor.of(who), "services.care.booked", CARE_BOOKING,
                                  row.id, {"offer": offer.id, "by": "resident"})  # fmt: skip
            return care_booking_view(row, body.phone)

    async def cancel(self, who: Principal, booking_id: int) -> dict[str, Any]:
        await self._count(who)
        async with self.ctx.sessions.begin() as session:
            done = await session.execute(
                update(CareBooking)
                .where(CareBooking.id == booking_id, CareBooking.booked_by == who.person_id,
                       CareBooking.state.in_(OPEN))
                .values(state="cancelled")
            )  # fmt: skip
            row = await session.get(CareBooking, booking_id)
            if row is None or row.booked_by != who.person_id:
                raise NotFound("services.care_booking_not_found", f"no booking {booking_id}")
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("services.care_booking_state", f"the booking is {row.state}")
            await session.refresh(row)
            self.ctx.audit.record(session, Actor.of(who), "services.care.cancelled",
                                  CARE_BOOKING, row.id, {"by": "resident"})  # fmt: skip
            return self._view(row)

    def _view(self, row: CareBooking) -> dict[str, Any]:
        return care_booking_view(row, self.ctx.personal.open(row.elder_phone))

    def _check_day(self, day: date) -> None:
        today = datetime.now(self.ctx.time_zone).date()
        if not today <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
            raise InvalidInput("services.day_invalid",
                               f"book from today up to {MAX_DAYS_AHEAD} days ahead")  # fmt: skip

    async def _count(self, who: Principal) -> None:
        retry_after = await self.ctx.rate_limits.hit(self._limit, f"person:{who.person_id}")
        if retry_after is not None:
            raise RateLimited("services.rate_limited", retry_after)

    async def _not_twice(self, session: Any, who: Principal, offer_id: int, day: date) -> None:
        taken = await session.scalar(
            select(CareBooking.id).where(
                CareBooking.booked_by == who.person_id, CareBooking.offer_id == offer_id,
                CareBooking.day == day.isoformat(), CareBooking.state.in_(OPEN))
        )  # fmt: skip
        if taken is not None:
            raise Conflict("services.care_booking_exists", "you already booked it for that day")
