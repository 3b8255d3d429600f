"""HTTP routes of venues and the government-service proxy (staff and the residents' page)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from hub.sdk import Call, DbId, PluginContext, RateLimit
from plugins.services import access
from plugins.services.closures import ClosureIn, Closures, WeekQuery
from plugins.services.common import CODE_PATH, json_body
from plugins.services.config import ServicesConfig
from plugins.services.handoff import Handoffs
from plugins.services.proxy import ItemIn, Proxy, ProxyIn, RatingIn, RequestsQuery, public_view
from plugins.services.venues import (
    BookingIn,
    BookingsQuery,
    CancelIn,
    DecisionIn,
    VenueIn,
    Venues,
    public_booking,
)


class DayQuery(BaseModel):
    day: date


class GridQuery(BaseModel):
    grid_id: DbId | None = None


class Limits:
    """The public forms' rate limits (per client address and minute)."""

    def __init__(self, ctx: PluginContext, config: ServicesConfig) -> None:
        self.limits = ctx.rate_limits
        self._submit = RateLimit("submit", config.public_submit_per_minute)
        self._lookup = RateLimit("lookup", config.public_lookup_per_minute)

    async def submit(self, call: Call[Any, Any]) -> None:
        await self.limits.check(call.request, self._submit, "services.rate_limited")

    async def lookup(self, call: Call[Any, Any]) -> None:
        await self.limits.check(call.request, self._lookup, "services.rate_limited")


def install_venues(ctx: PluginContext, venues: Venues, limits: Limits) -> None:
    http = ctx.http

    @http.get("/venues", summary="Venues in your grids", query=GridQuery,
              rule=access.VENUES_READ)  # fmt: skip
    async def listed(call: Call[None, GridQuery]) -> dict[str, Any]:
        return {"venues": await venues.listed(call.who, call.query.grid_id)}

    @http.post("/venues", summary="Add a venue", body=VenueIn, status=201,
               rule=access.VENUES_WRITE)  # fmt: skip
    async def add(call: Call[VenueIn, None]) -> dict[str, Any]:
        return await venues.save(call.who, call.body, None)

    @http.put("/venues/{venue_id}", summary="Change a venue", body=VenueIn,
              rule=access.VENUES_WRITE)  # fmt: skip
    async def change(call: Call[VenueIn, None]) -> dict[str, Any]:
        return await venues.save(call.who, call.body, call.path_int("venue_id"))

    @http.get("/venues/{venue_id}/day", summary="A venue's slots on a day (calendar)",
              query=DayQuery, rule=access.VENUES_READ)  # fmt: skip
    async def day(call: Call[None, DayQuery]) -> dict[str, Any]:
        venue = await venues.visible_venue(call.who, call.path_int("venue_id"))
        return await venues.day(venue, call.query.day, staff=True)

    @http.post("/venues/{venue_id}/bookings", summary="Book slots for a resident", status=201,
               body=BookingIn, rule=access.BOOK)  # fmt: skip
    async def book(call: Call[BookingIn, None]) -> dict[str, Any]:
        venue = await venues.visible_venue(call.who, call.path_int("venue_id"))
        return public_booking(await venues.book(call.who, venue, call.body), venue.name)

    @http.get("/bookings", summary="Bookings in your grids", query=BookingsQuery,
              rule=access.BOOKINGS_READ)  # fmt: skip
    async def bookings(call: Call[None, BookingsQuery]) -> dict[str, Any]:
        return {"bookings": await venues.list_bookings(call.who, call.query)}

    @http.post("/bookings/{booking_id}/decision", summary="Approve or reject a booking",
               body=DecisionIn, rule=access.DECIDE)  # fmt: skip
    async def decide(call: Call[DecisionIn, None]) -> dict[str, Any]:
        return await venues.decide(call.who, call.path_int("booking_id"), call.body)

    @http.post("/bookings/{booking_id}/cancel", summary="Cancel a booking", body=CancelIn,
               rule=access.CANCEL)  # fmt: skip
    async def cancel(call: Call[CancelIn, None]) -> dict[str, Any]:
        return await venues.cancel(call.who, call.path_int("booking_id"), call.body.note)

    @http.post("/bookings/{booking_id}/contact", summary="The booker's phone (audited)",
               rule=access.BOOKING_CONTACT)  # fmt: skip
    async def contact(call: Call[None, None]) -> dict[str, Any]:
        return await venues.reveal(call.who, call.path_int("booking_id"))

    _public_venues(ctx, venues, limits)
    _calendar(ctx, venues, Closures(ctx, venues))


def _calendar(ctx: PluginContext, venues: Venues, closures: Closures) -> None:
    """A venue's week and its closures (holidays, maintenance)."""
    http = ctx.http

    @http.get("/venues/{venue_id}/week", summary="A venue's slots over seven days (calendar)",
              query=WeekQuery, rule=access.VENUES_READ)  # fmt: skip
    async def week(call: Call[None, WeekQuery]) -> dict[str, Any]:
        venue = await venues.visible_venue(call.who, call.path_int("venue_id"))
        return await closures.week(venue, call.query.start)

    @http.get("/venues/{venue_id}/closures", summary="A venue's closures from today on",
              rule=access.VENUES_READ)  # fmt: skip
    async def listed(call: Call[None, None]) -> dict[str, Any]:
        venue = await venues.visible_venue(call.who, call.path_int("venue_id"))
        return {"closures": await closures.listed(venue)}

    @http.post("/venues/{venue_id}/closures", summary="Close a venue for days (no bookings)",
               body=ClosureIn, status=201, rule=access.CLOSE)  # fmt: skip
    async def close(call: Call[ClosureIn, None]) -> dict[str, Any]:
        venue = await venues.visible_venue(call.who, call.path_int("venue_id"))
        return await closures.add(call.who, venue, call.body)

    @http.delete("/venues/{venue_id}/closures/{closure_id}", summary="Reopen: remove a closure",
                 status=204, rule=access.CLOSE)  # fmt: skip
    async def reopen(call: Call[None, None]) -> None:
        venue = await venues.visible_venue(call.who, call.path_int("venue_id"))
        await closures.remove(call.who, venue, call.path_int("closure_id"))


def _public_venues(ctx: PluginContext, venues: Venues, limits: Limits) -> None:
    http = ctx.http

    @http.get("/public/villages", summary="Villages residents may choose",
              rule=access.PUBLIC_READ)  # fmt: skip
    async def villages(call: Call[None, None]) -> dict[str, Any]:
        await limits.lookup(call)
        index = ctx.grids.index
        found = [
            {"id": n.id, "code": n.code, "name": n.name} for n in index if n.level == "village"
        ]
        return {"villages": sorted(found, key=lambda v: str(v["code"]))}

    @http.get("/public/venues", summary="Venues residents may book", query=GridQuery,
              rule=access.PUBLIC_READ)  # fmt: skip
    async def listed(call: Call[None, GridQuery]) -> dict[str, Any]:
        await limits.lookup(call)
        return {"venues": await venues.listed(None, call.query.grid_id)}

    @http.get("/public/venues/{venue_id}/day", summary="Free and taken slots of a day",
              query=DayQuery, rule=access.PUBLIC_READ)  # fmt: skip
    async def day(call: Call[None, DayQuery]) -> dict[str, Any]:
        await limits.lookup(call)
        venue = await venues.visible_venue(None, call.path_int("venue_id"))
        return await venues.day(venue, call.query.day, staff=False)

    @http.post("/public/venues/{venue_id}/bookings", status=201, rule=access.PUBLIC_BOOK,
               summary="Book a venue (no account; rate-limited; approval follows)",
               raw_body="application/json (day, start, slots, ..., name, phone)")  # fmt: skip
    async def book(call: Call[None, None]) -> dict[str, Any]:
        await limits.submit(call)
        body = await json_body(call.request, BookingIn)
        venue = await venues.visible_venue(None, call.path_int("venue_id"))
        return public_booking(await venues.book(None, venue, body), venue.name)

    @http.get(f"/public/bookings/{CODE_PATH}", summary="A booking by its tracking code",
              rule=access.PUBLIC_TRACK)  # fmt: skip
    async def track(call: Call[None, None]) -> dict[str, Any]:
        await limits.lookup(call)
        booking = await venues.by_code(call.params["code"])
        return public_booking(booking, "")

    @http.post(f"/public/bookings/{CODE_PATH}/cancel", summary="Cancel one's own booking",
               rule=access.PUBLIC_TRACK, raw_body="application/json (note)")  # fmt: skip
    async def cancel(call: Call[None, None]) -> dict[str, Any]:
        await limits.lookup(call)
        body = await json_body(call.request, CancelIn)
        await venues.cancel_by_code(call.params["code"], body.note)
        return public_booking(await venues.by_code(call.params["code"]), "")


def install_proxy(ctx: PluginContext, proxy: Proxy, handoffs: Handoffs, limits: Limits) -> None:
    http = ctx.http

    @http.get("/items", summary="The service catalogue (inactive items too)",
              rule=access.PROXY_READ)  # fmt: skip
    async def items(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await proxy.items(include_inactive=True)}

    @http.put("/items", summary="Add or change a catalogue item (by code)", body=ItemIn,
              rule=access.ITEMS_WRITE)  # fmt: skip
    async def put_item(call: Call[ItemIn, None]) -> dict[str, Any]:
        return await proxy.put_item(call.who, call.body)

    @http.get("/proxy/requests", summary="Proxy requests in your grids", query=RequestsQuery,
              rule=access.PROXY_READ)  # fmt: skip
    async def requests(call: Call[None, RequestsQuery]) -> dict[str, Any]:
        return {"requests": await proxy.listed(call.who, call.query)}

    @http.get("/proxy/helpers", summary="Helpers' requests and residents' ratings (评价)",
              rule=access.PROXY_READ)  # fmt: skip
    async def helpers(call: Call[None, None]) -> dict[str, Any]:
        return {"helpers": await proxy.helpers(call.who)}

    @http.post("/proxy/requests/{request_id}/handoff", status=202, rule=access.HANDOFF,
               summary="Hand the request to the external government system")  # fmt: skip
    async def hand_off(call: Call[None, None]) -> dict[str, Any]:
        row = await proxy.in_scope(call.who, call.path_int("request_id"))
        return await handoffs.hand_off(call.who, row)

    @http.get("/proxy/requests/{request_id}/handoffs", summary="A request's hand-offs",
              rule=access.HANDOFF)  # fmt: skip
    async def handoff_list(call: Call[None, None]) -> dict[str, Any]:
        row = await proxy.in_scope(call.who, call.path_int("request_id"))
        return {"handoffs": await handoffs.of_request(row.id)}

    @http.post("/proxy/requests/{request_id}/contact", summary="The applicant's phone (audited)",
               rule=access.PROXY_CONTACT)  # fmt: skip
    async def contact(call: Call[None, None]) -> dict[str, Any]:
        return await proxy.reveal(call.who, call.path_int("request_id"))

    _public_proxy(ctx, proxy, limits)


def _public_proxy(ctx: PluginContext, proxy: Proxy, limits: Limits) -> None:
    http = ctx.http

    @http.get("/public/items", summary="Services residents may ask help with",
              rule=access.PUBLIC_READ)  # fmt: skip
    async def items(call: Call[None, None]) -> dict[str, Any]:
        await limits.lookup(call)
        return {"items": await proxy.items()}

    @http.post("/public/proxy", status=201, rule=access.PUBLIC_PROXY,
               summary="Ask for help with a government service (no account; rate-limited)",
               raw_body="application/json (item_id, grid_id, mode, name, phone, ...)")  # fmt: skip
    async def submit(call: Call[None, None]) -> dict[str, Any]:
        await limits.submit(call)
        row, item = await proxy.submit(await json_body(call.request, ProxyIn))
        return public_view(row, item)

    @http.get(f"/public/proxy/{CODE_PATH}", summary="A proxy request's progress",
              rule=access.PUBLIC_TRACK)  # fmt: skip
    async def track(call: Call[None, None]) -> dict[str, Any]:
        await limits.lookup(call)
        return public_view(*(await proxy.by_code(call.params["code"])))

    @http.post(f"/public/proxy/{CODE_PATH}/rating", summary="Rate the help (once)",
               rule=access.PUBLIC_TRACK, raw_body="application/json (rating, comment)")  # fmt: skip
    async def rate(call: Call[None, None]) -> dict[str, Any]:
        await limits.lookup(call)
        return await proxy.rate(call.params["code"], await json_body(call.request, RatingIn))
