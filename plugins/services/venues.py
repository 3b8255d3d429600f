"""Cultural venues (文化活动场地): opening hours, slots, bookings with approval.

A booking holds its slots in `services_slot_holds` (primary key venue, day, start): of two
requests for one slot the database commits exactly one, and the other is answered
`services.slot_taken` with nothing stored.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    Actor,
    Conflict,
    DbId,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    mask_personal,
    utcnow,
)
from plugins.services.access import BOOKING, OFFICERS, STAFF, VENUE
from plugins.services.closures import closure_on, lock_venue
from plugins.services.common import NAME, PHONE, check_grid, new_code, visible_grids
from plugins.services.models import Booking, SlotHold, Venue

HHMM = r"^(?:[01]\d|2[0-3]):[0-5]\d$"
ACTIVE = ("pending", "approved")
MAX_DAYS_AHEAD = 90


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class VenueIn(BaseModel):
    grid_id: DbId
    name: str = Field(min_length=1, max_length=80)
    address: str = Field(default="", max_length=200)
    capacity: int = Field(ge=1, le=10_000)
    opens: str = Field(pattern=HHMM)
    closes: str = Field(pattern=HHMM)
    slot_minutes: int = Field(default=60, ge=15, le=720)
    active: bool = True

    @model_validator(mode="after")
    def _hours(self) -> VenueIn:
        if minutes(self.closes) - minutes(self.opens) < self.slot_minutes:
            raise ValueError("the venue must be open for at least one slot")
        return self


class BookingIn(BaseModel):
    day: date
    start: str = Field(pattern=HHMM)
    slots: int = Field(default=1, ge=1, le=12)
    purpose: str = Field(min_length=1, max_length=200)
    attendees: int = Field(ge=1, le=10_000)
    name: str = Field(pattern=NAME)
    phone: str = Field(pattern=PHONE)


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"]
    note: str = Field(default="", max_length=200)


class CancelIn(BaseModel):
    note: str = Field(default="", max_length=200)


class BookingsQuery(BaseModel):
    state: Literal["pending", "approved", "rejected", "cancelled"] | None = None
    venue_id: DbId | None = None
    since: date | None = None
    limit: int = Field(default=200, ge=1, le=500)


def venue_view(venue: Venue, grid_name: str = "") -> dict[str, Any]:
    return {
        "id": venue.id, "grid_id": venue.grid_id, "grid_name": grid_name, "name": venue.name,
        "address": venue.address, "capacity": venue.capacity, "opens": hhmm(venue.open_minute),
        "closes": hhmm(venue.close_minute), "slot_minutes": venue.slot_minutes,
        "active": venue.active,
    }  # fmt: skip


def booking_view(booking: Booking, venue_name: str = "", phone: str = "") -> dict[str, Any]:
    """A booking as staff see it: the booker's phone (opened by the caller) masked."""
    return {
        "id": booking.id, "venue_id": booking.venue_id, "venue_name": venue_name,
        "grid_id": booking.grid_id, "day": booking.day, "start": hhmm(booking.start_minute),
        "end": hhmm(booking.end_minute), "purpose": booking.purpose,
        "attendees": booking.attendees, "name": booking.booker_name,
        "phone": mask_personal(phone), "state": booking.state,
        "note": booking.note, "created_at": booking.created_at.isoformat(),
        "decided_at": booking.decided_at.isoformat() if booking.decided_at else None,
    }  # fmt: skip


class Venues:
    def __init__(self, ctx: PluginContext, zone: ZoneInfo) -> None:
        self.ctx = ctx
        self.zone = zone

    # --- venues ---------------------------------------------------------------------------

    async def listed(
        self, who: Principal | None, grid_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Venues the caller may see (None: the public list of active venues)."""
        index = self.ctx.grids.index
        grids = None if who is None else visible_grids(who, index, STAFF)
        stmt = select(Venue).order_by(Venue.grid_id, Venue.id)
        if who is None:
            stmt = stmt.where(Venue.active.is_(True))
        if grid_id is not None:
            stmt = stmt.where(Venue.grid_id == grid_id)
        async with self.ctx.sessions() as session:
            rows = list(await session.scalars(stmt))
        return [venue_view(v, _grid_name(index, v.grid_id)) for v in rows
                if grids is None or v.grid_id in grids]  # fmt: skip

    async def save(self, who: Principal, body: VenueIn, venue_id: int | None) -> dict[str, Any]:
        check_grid(who, self.ctx.grids.index, body.grid_id, OFFICERS)
        async with self.ctx.sessions.begin() as session:
            venue = Venue() if venue_id is None else await self._venue(session, venue_id)
            if venue_id is not None:
                check_grid(who, self.ctx.grids.index, venue.grid_id, OFFICERS)
            _fill(venue, body)
            session.add(venue)
            await session.flush()
            self.ctx.audit.record(session, Actor.of(who), "services.venue.saved", VENUE,
                                  venue.id, {"name": venue.name})  # fmt: skip
            return venue_view(venue, _grid_name(self.ctx.grids.index, venue.grid_id))

    async def _venue(self, session: AsyncSession, venue_id: int) -> Venue:
        venue = await session.get(Venue, venue_id)
        if venue is None:
            raise NotFound("services.venue_not_found", f"no venue {venue_id}")
        return venue

    async def visible_venue(self, who: Principal | None, venue_id: int) -> Venue:
        """The venue if the caller may book it (anyone: an active one; staff: in scope)."""
        async with self.ctx.sessions() as session:
            venue = await self._venue(session, venue_id)
        if who is not None:
            check_grid(who, self.ctx.grids.index, venue.grid_id, STAFF)
        if not venue.active:
            raise Conflict("services.venue_closed", f"venue {venue.name} takes no bookings")
        return venue

    # --- the calendar ---------------------------------------------------------------------

    async def day(self, venue: Venue, day: date, staff: bool) -> dict[str, Any]:
        """The venue's slots on a day: free, held by a pending or approved booking, or shut
        (the venue is closed that day: `closed` gives the reason)."""
        async with self.ctx.sessions() as session:
            rows = (await session.execute(
                select(SlotHold.start_minute, Booking).join(Booking)
                .where(SlotHold.venue_id == venue.id, SlotHold.day == day.isoformat())
            )).all()  # fmt: skip
            closure = await closure_on(session, venue.id, day.isoformat())
        free = "shut" if closure is not None else "free"
        held: dict[int, Booking] = {start: booking for start, booking in rows}  # noqa: C416
        slots = []
        for start in range(venue.open_minute, venue.close_minute - venue.slot_minutes + 1,
                           venue.slot_minutes):  # fmt: skip
            booking = held.get(start)
            slot: dict[str, Any] = {"start": hhmm(start), "end": hhmm(start + venue.slot_minutes),
                                    "state": booking.state if booking else free}  # fmt: skip
            if staff and booking is not None:
                slot.update(booking_id=booking.id, purpose=booking.purpose)
            slots.append(slot)
        return {"venue": venue_view(venue), "day": day.isoformat(), "slots": slots,
                "closed": closure.reason if closure is not None else None}  # fmt: skip

    # --- bookings -------------------------------------------------------------------------

    async def book(self, who: Principal | None, venue: Venue, body: BookingIn) -> Booking:
        """Book consecutive slots; 409 services.slot_taken when any is held already."""
        start, end = self._check_booking(venue, body)
        actor = Actor.of(who) if who is not None else Actor("resident")
        booking = Booking(
            venue_id=venue.id, grid_id=venue.grid_id, day=body.day.isoformat(),
            start_minute=start, end_minute=end, purpose=body.purpose, attendees=body.attendees,
            booker_name=body.name, booker_phone=self.ctx.personal.seal(body.phone),
            booker_id=who.person_id if who else None, code=new_code(), state="pending",
        )  # fmt: skip
        try:
            async with self.ctx.sessions.begin() as session:
                await lock_venue(session, venue.id)  # a closure of the day waits, or is seen
                if (closure := await closure_on(session, venue.id, booking.day)) is not None:
                    raise Conflict("services.day_closed", f"closed that day: {closure.reason}")
                session.add(booking)
                await session.flush()
                session.add_all(SlotHold(venue_id=venue.id, day=booking.day, start_minute=m,
                                         booking_id=booking.id)
                                for m in range(start, end, venue.slot_minutes))  # fmt: skip
                await session.flush()
                self.ctx.audit.record(session, actor, "services.booking.created", BOOKING,
                                      booking.id, {"venue": venue.id, "day": booking.day,
                                                   "start": hhmm(start)})  # fmt: skip
        except IntegrityError:
            raise Conflict("services.slot_taken", "that time is already booked") from None
        await self._live(booking)
        return booking

    async def _live(self, booking: Booking) -> None:
        """Tell the consoles over the booking's grid (no personal data in the push)."""
        live = {"id": booking.id, "venue_id": booking.venue_id, "state": booking.state,
                "day": booking.day, "start": hhmm(booking.start_minute)}  # fmt: skip
        await self.ctx.realtime.emit(
            "booking", live, self.ctx.realtime.command_rooms([booking.grid_id])
        )

    def _check_booking(self, venue: Venue, body: BookingIn) -> tuple[int, int]:
        today = datetime.now(self.zone).date()
        if not today <= body.day <= today + timedelta(days=MAX_DAYS_AHEAD):
            raise InvalidInput("services.day_invalid",
                               f"book from today up to {MAX_DAYS_AHEAD} days ahead")  # fmt: skip
        start = minutes(body.start)
        end = start + body.slots * venue.slot_minutes
        aligned = (start - venue.open_minute) % venue.slot_minutes == 0
        if not aligned or start < venue.open_minute or end > venue.close_minute:
            raise InvalidInput("services.slot_invalid",
                               "the time is not a slot within the opening hours")  # fmt: skip
        if body.attendees > venue.capacity:
            raise InvalidInput("services.over_capacity",
                               f"the venue holds at most {venue.capacity} people")  # fmt: skip
        return start, end

    async def list_bookings(self, who: Principal, query: BookingsQuery) -> list[dict[str, Any]]:
        grids = visible_grids(who, self.ctx.grids.index, STAFF)
        stmt = (select(Booking, Venue.name).join(Venue)
                .order_by(Booking.day, Booking.start_minute).limit(query.limit))  # fmt: skip
        if grids is not None:
            stmt = stmt.where(Booking.grid_id.in_(grids))
        if query.state:
            stmt = stmt.where(Booking.state == query.state)
        if query.venue_id:
            stmt = stmt.where(Booking.venue_id == query.venue_id)
        if query.since:
            stmt = stmt.where(Booking.day >= query.since.isoformat())
        async with self.ctx.sessions() as session:
            rows = (await session.execute(stmt)).all()
        opened = self.ctx.personal.open
        return [booking_view(b, name, opened(b.booker_phone)) for b, name in rows]

    async def decide(self, who: Principal, booking_id: int, body: DecisionIn) -> dict[str, Any]:
        target = "approved" if body.decision == "approve" else "rejected"
        return await self._move(who, booking_id, ("pending",), target, body.note, OFFICERS)

    async def cancel(self, who: Principal, booking_id: int, note: str) -> dict[str, Any]:
        return await self._move(who, booking_id, ACTIVE, "cancelled", note, STAFF)

    async def cancel_by_code(self, code: str, note: str) -> dict[str, Any]:
        booking = await self.by_code(code)
        return await self._move(None, booking.id, ACTIVE, "cancelled", note, STAFF)

    async def by_code(self, code: str) -> Booking:
        async with self.ctx.sessions() as session:
            booking = await session.scalar(select(Booking).where(Booking.code == code))
        if booking is None:
            raise NotFound("services.booking_not_found", "no booking with that tracking code")
        return booking

    async def _move(self, who: Principal | None, booking_id: int, sources: tuple[str, ...],
                    target: str, note: str, roles: frozenset[str]) -> dict[str, Any]:  # fmt: skip
        """Change a booking's state if it is in one of `sources` (one writer wins)."""
        async with self.ctx.sessions.begin() as session:
            booking = await session.get(Booking, booking_id)
            if booking is None:
                raise NotFound("services.booking_not_found", f"no booking {booking_id}")
            if who is not None:
                check_grid(who, self.ctx.grids.index, booking.grid_id, roles)
            moved = await session.execute(
                update(Booking).where(Booking.id == booking_id, Booking.state.in_(sources))
                .values(state=target, note=note, decided_at=utcnow(),
                        decided_by=who.person_id if who else None)
                .returning(Booking.id)
            )  # fmt: skip
            if moved.first() is None:
                raise Conflict(
                    "services.booking_state",
                    f"the booking is {booking.state}, not {' or '.join(sources)}",
                )
            if target in ("rejected", "cancelled"):  # free the slots for others
                await session.execute(delete(SlotHold).where(SlotHold.booking_id == booking_id))
            actor = Actor.of(who) if who else Actor("resident")
            self.ctx.audit.record(session, actor, f"services.booking.{target}", BOOKING,
                                  booking_id, {"note": note} if note else None)  # fmt: skip
            await session.refresh(booking)
        await self._live(booking)
        return booking_view(booking, "", self.ctx.personal.open(booking.booker_phone))

    async def reveal(self, who: Principal, booking_id: int) -> dict[str, Any]:
        """The booker's phone in full, for an officer in scope (audited)."""
        async with self.ctx.sessions.begin() as session:
            booking = await session.get(Booking, booking_id)
            if booking is None:
                raise NotFound("services.booking_not_found", f"no booking {booking_id}")
            check_grid(who, self.ctx.grids.index, booking.grid_id, OFFICERS)
            self.ctx.audit.record(session, Actor.of(who), "services.booking.contact.reveal",
                                  BOOKING, booking_id)  # fmt: skip
            return {"name": booking.booker_name,
                    "phone": self.ctx.personal.open(booking.booker_phone)}  # fmt: skip


def public_booking(booking: Booking, venue_name: str) -> dict[str, Any]:
    """What a resident sees of their own booking by its code (no phone)."""
    view = booking_view(booking, venue_name)
    view.pop("phone")
    return {**view, "tracking_code": booking.code}


def _fill(venue: Venue, body: VenueIn) -> None:
    venue.grid_id, venue.name, venue.address = body.grid_id, body.name, body.address
    venue.capacity, venue.slot_minutes, venue.active = body.capacity, body.slot_minutes, body.active
    venue.open_minute, venue.close_minute = minutes(body.opens), minutes(body.closes)


def _grid_name(index: Any, grid_id: int) -> str:
    return str(index.get(grid_id).name) if grid_id in index else ""
