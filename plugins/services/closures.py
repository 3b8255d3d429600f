"""Venue closures (闭馆: holidays, maintenance) and the week view of a venue.

A closed period refuses bookings of its days. A booking and a closure of one venue each begin
by writing the venue's row (`lock_venue`): on PostgreSQL the row lock makes the second wait for
the first to commit and then see it; on SQLite the write takes the database's single writer
lock. So a booking either commits before the closure (and the closure is refused while it
holds its slots, 409 services.closure_booked) or sees the closure (409 services.day_closed);
between bookings the slot-hold primary key still lets exactly one win.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, Conflict, InvalidInput, NotFound, PluginContext, Principal
from plugins.services.access import OFFICERS, VENUE
from plugins.services.common import check_grid
from plugins.services.models import Booking, Venue, VenueClosure

if TYPE_CHECKING:
    from plugins.services.venues import Venues

MAX_CLOSED_DAYS = 366
OPEN_BOOKINGS = ("pending", "approved")


class ClosureIn(BaseModel):
    first_day: date
    last_day: date
    reason: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f<>]+$")


class WeekQuery(BaseModel):
    start: date


def closure_view(row: VenueClosure) -> dict[str, Any]:
    return {"id": row.id, "venue_id": row.venue_id, "first_day": row.first_day,
            "last_day": row.last_day, "reason": row.reason}  # fmt: skip


async def lock_venue(session: AsyncSession, venue_id: int) -> None:
    """Write the venue's row (to itself): bookings and closures of a venue run one at a time."""
    await session.execute(update(Venue).where(Venue.id == venue_id).values(active=Venue.active))


async def closure_on(session: AsyncSession, venue_id: int, day: str) -> VenueClosure | None:
    found: VenueClosure | None = await session.scalar(
        select(VenueClosure).where(VenueClosure.venue_id == venue_id,
                                   VenueClosure.first_day <= day, VenueClosure.last_day >= day)
        .order_by(VenueClosure.id).limit(1)
    )  # fmt: skip
    return found


class Closures:
    def __init__(self, ctx: PluginContext, venues: Venues) -> None:
        self.ctx = ctx
        self.venues = venues

    async def listed(self, venue: Venue) -> list[dict[str, Any]]:
        today = datetime.now(self.venues.zone).date().isoformat()
        async with self.ctx.sessions() as session:
            rows = await session.scalars(
                select(VenueClosure).where(VenueClosure.venue_id == venue.id,
                                           VenueClosure.last_day >= today)
                .order_by(VenueClosure.first_day)
            )  # fmt: skip
            return [closure_view(r) for r in rows]

    async def add(self, who: Principal, venue: Venue, body: ClosureIn) -> dict[str, Any]:
        check_grid(who, self.ctx.grids.index, venue.grid_id, OFFICERS)
        self._check(body)
        first, last = body.first_day.isoformat(), body.last_day.isoformat()
        async with self.ctx.sessions.begin() as session:
            await lock_venue(session, venue.id)
            booked = await session.scalar(
                select(func.count()).select_from(Booking)
                .where(Booking.venue_id == venue.id, Booking.state.in_(OPEN_BOOKINGS),
                       Booking.day >= first, Booking.day <= last)
            )  # fmt: skip
            if booked:
                raise Conflict("services.closure_booked",
                               f"{booked} bookings hold slots in that period: cancel them first",
                               details={"bookings": booked})  # fmt: skip
            row = VenueClosure(venue_id=venue.id, first_day=first, last_day=last,
                               reason=body.reason, created_by=who.person_id)  # fmt: skip
            session.add(row)
            await session.flush()
            detail = {"closure": row.id, "first": first, "last": last}
            self.ctx.audit.record(session, Actor.of(who), "services.venue.closed", VENUE,
                                  venue.id, detail)  # fmt: skip
            return closure_view(row)

    async def remove(self, who: Principal, venue: Venue, closure_id: int) -> None:
        check_grid(who, self.ctx.grids.index, venue.grid_id, OFFICERS)
        async with self.ctx.sessions.begin() as session:
            row = await session.get(VenueClosure, closure_id)
            if row is None or row.venue_id != venue.id:
                raise NotFound("services.closure_not_found", f"no closure {closure_id}")
            await session.delete(row)
            self.ctx.audit.record(session, Actor.of(who), "services.venue.reopened", VENUE,
                                  venue.id, {"closure": closure_id})  # fmt: skip

    async def week(self, venue: Venue, start: date) -> dict[str, Any]:
        """Seven days from `start`: each day's slots (as the day view) and closure."""
        days = [await self.venues.day(venue, start + timedelta(days=k), staff=True)
                for k in range(7)]  # fmt: skip
        return {"venue": days[0]["venue"], "start": start.isoformat(),
                "days": [{k: d[k] for k in ("day", "slots", "closed")} for d in days]}  # fmt: skip

    def _check(self, body: ClosureIn) -> None:
        today = datetime.now(self.venues.zone).date()
        span = (body.last_day - body.first_day).days
        if body.first_day < today or not 0 <= span < MAX_CLOSED_DAYS:
            raise InvalidInput("services.closure_invalid",
                               "close from today on, the last day not before the first, "
                               f"at most {MAX_CLOSED_DAYS} days")  # fmt: skip
