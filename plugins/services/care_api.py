"""HTTP routes of elderly care: offers, bookings, check-in visits."""

from __future__ import annotations

from typing import Any

from hub.sdk import Call, PluginContext
from plugins.services import access
from plugins.services.care import Care, CareBookingIn, CheckInIn, OfferIn, ServeIn, VisitIn
from plugins.services.elders import Elders
from plugins.services.self_care import MyCareBookingIn, SelfCare
from plugins.services.sos import DeviceIn, Sos


def install(ctx: PluginContext, care: Care, elders: Elders, sos: Sos) -> None:
    http = ctx.http
    _install_mine(ctx, SelfCare(ctx, care.config))

    @http.get("/care/offers", summary="Elderly-care offers in your grids",
              rule=access.OFFERS_READ)  # fmt: skip
    async def offers(call: Call[None, None]) -> dict[str, Any]:
        return {"offers": await care.offers(call.who)}

    @http.post("/care/offers", summary="Offer a service (providers)", body=OfferIn, status=201,
               rule=access.OFFERS_WRITE)  # fmt: skip
    async def offer(call: Call[OfferIn, None]) -> dict[str, Any]:
        return await care.offer(call.who, call.body)

    @http.post("/care/offers/{offer_id}/bookings", summary="Book a service for an elderly person",
               body=CareBookingIn, status=201, rule=access.CARE_BOOK)  # fmt: skip
    async def book(call: Call[CareBookingIn, None]) -> dict[str, Any]:
        person = await elders.named(call.who, call.body.name, call.body.resident_id)
        return await care.book(call.who, call.path_int("offer_id"), call.body, person)

    @http.get("/care/bookings", summary="Care bookings in your grids",
              rule=access.OFFERS_READ)  # fmt: skip
    async def bookings(call: Call[None, None]) -> dict[str, Any]:
        return {"bookings": await care.bookings(call.who)}

    @http.post("/care/bookings/{booking_id}/serve", body=ServeIn, rule=access.CARE_SERVE,
               summary="Confirm a booking, record its delivery, or cancel it")  # fmt: skip
    async def serve(call: Call[ServeIn, None]) -> dict[str, Any]:
        return await care.serve(call.who, call.path_int("booking_id"), call.body)

    @http.get("/care/checkins", summary="People living alone and their next visit",
              rule=access.CHECKINS_READ)  # fmt: skip
    async def checkins(call: Call[None, None]) -> dict[str, Any]:
        return {"checkins": await care.checkins(call.who)}

    @http.post("/care/checkins", summary="Watch a person living alone with regular visits",
               body=CheckInIn, status=201, rule=access.CHECKINS_WRITE)  # fmt: skip
    async def register(call: Call[CheckInIn, None]) -> dict[str, Any]:
        person = await elders.named(call.who, call.body.name, call.body.resident_id)
        return await care.register(call.who, call.body, person)

    @http.post("/care/checkins/{checkin_id}/visits", summary="Record a check-in visit",
               body=VisitIn, status=201, rule=access.VISIT)  # fmt: skip
    async def visit(call: Call[VisitIn, None]) -> dict[str, Any]:
        return await care.visit(call.who, call.path_int("checkin_id"), call.body)

    @http.get("/care/elders", summary="Elderly people and people living alone (from the "
              "archives)", rule=access.ELDERS_READ)  # fmt: skip
    async def elders_listed(call: Call[None, None]) -> dict[str, Any]:
        return {"enabled": elders.enabled, "elders": await elders.listed(call.who)}

    @http.put("/care/checkins/{checkin_id}/device", summary="Record a person's SOS device",
              body=DeviceIn, rule=access.SOS_DEVICE)  # fmt: skip
    async def device(call: Call[DeviceIn, None]) -> dict[str, Any]:
        return await sos.bind(call.who, call.path_int("checkin_id"), call.body)

    @http.get("/care/sos", summary="SOS alarms of people under care, with their incidents",
              rule=access.SOS_READ)  # fmt: skip
    async def sos_events(call: Call[None, None]) -> dict[str, Any]:
        return {"events": await sos.events(call.who)}


def _install_mine(ctx: PluginContext, mine: SelfCare) -> None:
    """Residents signed in on the residents' page book care for themselves."""
    http = ctx.http

    @http.get("/care/mine", summary="Care offers open to your village and your own bookings "
              "(residents)", rule=access.MY_CARE)  # fmt: skip
    async def listed(call: Call[None, None]) -> dict[str, Any]:
        return await mine.mine(call.who)

    @http.post("/care/mine/offers/{offer_id}/bookings", body=MyCareBookingIn, status=201,
               summary="Book an offer for yourself (residents)",
               rule=access.MY_CARE_BOOK)  # fmt: skip
    async def book(call: Call[MyCareBookingIn, None]) -> dict[str, Any]:
        return await mine.book(call.who, call.path_int("offer_id"), call.body)

    @http.post("/care/mine/bookings/{booking_id}/cancel", summary="Cancel your own booking "
               "(residents)", rule=access.MY_CARE_CANCEL)  # fmt: skip
    async def cancel(call: Call[None, None]) -> dict[str, Any]:
        return await mine.cancel(call.who, call.path_int("booking_id"))
