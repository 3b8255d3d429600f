"""Venue closures (holidays, maintenance) and the week view: a closed day refuses bookings in
the booking's own transaction, also when a closure and bookings race (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from hub.testing import HubClient
from hub.testing.fixtures import StartGridHub
from tests.plugins.services.conftest import (
    API,
    OTHER_VILLAGE,
    VILLAGE,
    add_venue,
    booking,
    services_hub,
    tomorrow,
)

RACERS = 20


def closure(days: int = 0, **fields: Any) -> dict[str, Any]:
    first = tomorrow()
    last = first + timedelta(days=days)
    return {"first_day": first.isoformat(), "last_day": last.isoformat(), "reason": "国庆假期",
            **fields}  # fmt: skip


async def status_of(client: HubClient, method: str, path: str, body: Any) -> tuple[int, Any]:
    response = await client.request(method, path, json=body)
    return response.status, await response.json()


async def test_a_booking_into_a_closure_is_refused(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await hub.grid_id(VILLAGE))
    base = f"{API}/venues/{venue['id']}"
    closed = await officer.json("POST", f"{base}/closures", json=closure(days=1))
    public = hub.anonymous()
    path = f"{API}/public/venues/{venue['id']}/bookings"
    assert await public.refused("POST", path, json=booking()) == (409, "services.day_closed")
    staff = await officer.refused("POST", f"{base}/bookings", json=booking(day=tomorrow()))
    assert staff == (409, "services.day_closed")
    week = await officer.json("GET", f"{base}/week", params={"start": tomorrow().isoformat()})
    assert [d["closed"] for d in week["days"]] == [
        "国庆假期",
        "国庆假期",
        None,
        None,
        None,
        None,
        None,
    ]
    assert {s["state"] for s in week["days"][0]["slots"]} == {"shut"}
    assert {s["state"] for s in week["days"][2]["slots"]} == {"free"}
    third = tomorrow() + timedelta(days=2)  # the day after the closure takes bookings
    await public.json("POST", path, json=booking(day=third))
    week = await officer.json("GET", f"{base}/week", params={"start": tomorrow().isoformat()})
    assert [s["state"] for s in week["days"][2]["slots"]].count("pending") == 1
    assert (await officer.json("GET", f"{base}/closures"))["closures"] == [closed]
    await officer.json("DELETE", f"{base}/closures/{closed['id']}")  # reopened
    await public.json("POST", path, json=booking())
    over = await officer.refused("POST", f"{base}/closures", json=closure(days=3))
    assert over == (409, "services.closure_booked")  # bookings hold those days


async def test_a_closure_racing_bookings_leaves_no_booking_on_a_closed_day(
    start_gridhub: StartGridHub, database_url: str
) -> None:
    hub = await services_hub(start_gridhub, database_url=database_url)
    officer = await hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await hub.grid_id(VILLAGE))
    path = f"{API}/public/venues/{venue['id']}/bookings"
    residents = [hub.anonymous() for _ in range(RACERS)]
    close = status_of(officer, "POST", f"{API}/venues/{venue['id']}/closures", closure())
    answers = await asyncio.gather(
        close, *(status_of(c, "POST", path, booking()) for c in residents)
    )
    (closed, why), booked = answers[0], answers[1:]
    won = [a for status, a in booked if status == 201]
    lost = {a["error"]["code"] for status, a in booked if status != 201}
    assert lost <= {"services.slot_taken", "services.day_closed"}
    if closed == 201:  # the closure came first: nobody booked the day
        assert won == []
    else:  # a booking came first: the closure is refused, and exactly one booking won
        assert (closed, why["error"]["code"]) == (409, "services.closure_booked")
        assert len(won) == 1
    listed = await officer.json("GET", f"{API}/bookings", params={"venue_id": venue["id"]})
    assert [b["id"] for b in listed["bookings"]] == [w["id"] for w in won]


async def test_bad_closures_are_refused_with_nothing_changed(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await hub.grid_id(VILLAGE))
    base = f"{API}/venues/{venue['id']}/closures"
    kept = await officer.json("POST", base, json=closure())
    yesterday = (tomorrow() - timedelta(days=2)).isoformat()
    bad: list[tuple[Any, tuple[int, str]]] = [
        (closure(first_day=yesterday), (422, "services.closure_invalid")),
        (closure(days=-1), (422, "services.closure_invalid")),
        (closure(days=400), (422, "services.closure_invalid")),
        (closure(reason=""), (422, "request.invalid")),
        (closure(reason="<script>"), (422, "request.invalid")),
        (closure(reason="x" * 201), (422, "request.invalid")),
        ({"first_day": "明天"}, (422, "request.invalid")),
        ([1], (422, "request.invalid")),
    ]
    for body, expected in bad:
        assert await officer.refused("POST", base, json=body) == expected, body
    worker = await hub.sign_in("w01")
    assert await worker.refused("POST", base, json=closure()) == (403, "auth.role_required")
    other = await hub.sign_in("v02.cmd")
    assert await other.refused("POST", base, json=closure()) == (403, "scope.forbidden")
    gone = f"{base}/{kept['id']}"
    assert await other.refused("DELETE", gone) == (403, "scope.forbidden")
    assert await officer.refused("DELETE", f"{base}/999999") == (404, "services.closure_not_found")
    theirs = await add_venue(other, await hub.grid_id(OTHER_VILLAGE))
    elsewhere = f"{API}/venues/{theirs['id']}/closures/{kept['id']}"
    assert await other.refused("DELETE", elsewhere) == (404, "services.closure_not_found")
    assert (await officer.json("GET", base))["closures"] == [kept]
