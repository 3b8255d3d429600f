"""Venues: bookings with approval, cancellations, and no double booking under concurrency."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

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

CONCURRENT = 50


async def book_publicly(client: HubClient, venue_id: int, body: dict[str, Any]) -> tuple[int, Any]:
    response = await client.post(f"{API}/public/venues/{venue_id}/bookings", json=body)
    return response.status, await response.json()


async def test_fifty_concurrent_bookings_of_one_slot_one_wins(
    start_gridhub: StartGridHub, database_url: str
) -> None:
    hub = await services_hub(start_gridhub, database_url=database_url)
    officer = await hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await hub.grid_id(VILLAGE))
    residents = [hub.anonymous() for _ in range(CONCURRENT)]  # 50 HTTP clients of their own
    body = booking(name="抢订者")
    answers = await asyncio.gather(*(book_publicly(c, venue["id"], body) for c in residents))
    won = [a for status, a in answers if status == 201]
    lost = [a["error"]["code"] for status, a in answers if status != 201]
    assert len(won) == 1, answers
    assert lost == ["services.slot_taken"] * (CONCURRENT - 1)
    listed = await officer.json("GET", f"{API}/bookings", params={"venue_id": venue["id"]})
    assert [b["id"] for b in listed["bookings"]] == [won[0]["id"]]
    day = await officer.json(
        "GET", f"{API}/venues/{venue['id']}/day", params={"day": tomorrow().isoformat()}
    )
    held = [s for s in day["slots"] if s["state"] != "free"]
    assert held == [
        {
            "start": "09:00",
            "end": "10:00",
            "state": "pending",
            "booking_id": won[0]["id"],
            "purpose": "广场舞排练",
        }
    ]


async def test_approval_rejection_and_cancellation_free_or_keep_the_slot(
    start_gridhub: StartGridHub,
) -> None:
    hub = await services_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    watcher = await hub.socket("v01.cmd")
    venue = await add_venue(officer, await hub.grid_id(VILLAGE))
    resident = hub.anonymous()
    status, first = await book_publicly(resident, venue["id"], booking(start="10:00", slots=2))
    assert status == 201
    assert (first["start"], first["end"]) == ("10:00", "12:00")
    assert (await watcher.next("services.booking"))["id"] == first["id"]
    # Overlapping the second slot of the first booking: refused.
    status, refused = await book_publicly(resident, venue["id"], booking(start="11:00"))
    assert (status, refused["error"]["code"]) == (409, "services.slot_taken")

    path = f"{API}/bookings/{first['id']}/decision"
    rejected = await officer.json("POST", path, json={"decision": "reject", "note": "当日检修"})
    assert rejected["state"] == "rejected"
    assert rejected["phone"] == "138****1234"
    assert await officer.refused("POST", path, json={"decision": "approve"}) == (
        409,
        "services.booking_state",
    )
    # The rejected booking freed its slots: the 11:00 booking goes through now.
    status, second = await book_publicly(resident, venue["id"], booking(start="11:00"))
    assert status == 201
    approved = await officer.json(
        "POST", f"{API}/bookings/{second['id']}/decision", json={"decision": "approve"}
    )
    assert approved["state"] == "approved"
    tracked = await resident.json("GET", f"{API}/public/bookings/{second['tracking_code']}")
    assert tracked["state"] == "approved"
    assert "phone" not in tracked
    # The resident cancels by their code; the slot is free again.
    cancel = f"{API}/public/bookings/{second['tracking_code']}/cancel"
    assert (await resident.json("POST", cancel, json={"note": "改期"}))["state"] == "cancelled"
    status, third = await book_publicly(resident, venue["id"], booking(start="11:00"))
    assert status == 201, third


async def test_scope_and_roles(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await hub.grid_id(VILLAGE))
    status, made = await book_publicly(hub.anonymous(), venue["id"], booking())
    assert status == 201
    decide = f"{API}/bookings/{made['id']}/decision"
    other = await hub.sign_in("v02.cmd")  # 王家村's commander: not this village
    assert await other.refused("POST", decide, json={"decision": "approve"}) == (
        403,
        "scope.forbidden",
    )
    assert (await other.json("GET", f"{API}/bookings"))["bookings"] == []
    assert await other.refused(
        "POST",
        f"{API}/venues",
        json={
            "grid_id": await hub.grid_id(VILLAGE),
            "name": "越权",
            "capacity": 5,
            "opens": "08:00",
            "closes": "10:00",
        },
    ) == (403, "scope.forbidden")
    worker = await hub.sign_in("w01")  # a grid worker of one basic grid of the village
    assert await worker.refused("POST", decide, json={"decision": "approve"}) == (
        403,
        "auth.role_required",
    )
    assert (await worker.json("GET", f"{API}/bookings"))["bookings"] == []  # the village's
    assert await hub.anonymous().refused("GET", f"{API}/bookings") == (401, "auth.required")
    admin = await hub.admin()
    reveals = {"action": "services.booking.contact.reveal"}
    assert await admin.json("GET", "/api/v1/audit", params=reveals) == []  # lists mask it
    contact = await officer.json("POST", f"{API}/bookings/{made['id']}/contact")
    assert contact["phone"] == "13800001234"
    audited = await admin.json("GET", "/api/v1/audit", params=reveals)
    assert [(e["actor"], e["target_id"]) for e in audited] == [("v01.cmd", str(made["id"]))]
    assert await worker.refused("POST", f"{API}/bookings/{made['id']}/contact") == (
        403,
        "auth.role_required",
    )
    await hub.grant("w01", "services_officer", OTHER_VILLAGE)  # an officer elsewhere
    assert await (await hub.sign_in("w01")).refused(
        "POST", decide, json={"decision": "approve"}
    ) == (403, "scope.forbidden")


async def test_bad_bookings_are_refused_and_change_nothing(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await hub.grid_id(VILLAGE), capacity=30)
    resident = hub.anonymous()
    cases = [
        (booking(day=tomorrow().replace(year=2020)), "services.day_invalid"),
        (booking(start="09:30"), "services.slot_invalid"),
        (booking(start="20:00", slots=2), "services.slot_invalid"),
        (booking(attendees=31), "services.over_capacity"),
        (booking(phone="12345"), "request.invalid"),
        (booking(name="<script>"), "request.invalid"),
        (booking(purpose="x" * 201), "request.invalid"),
        ({"day": "tomorrow"}, "request.invalid"),
    ]
    for body, code in cases:
        status, answer = await book_publicly(resident, venue["id"], body)
        assert (status, answer["error"]["code"]) == (422, code), body
    status, answer = await book_publicly(resident, 999_999, booking())
    assert (status, answer["error"]["code"]) == (404, "services.venue_not_found")
    response = await resident.post(f"{API}/public/venues/1/bookings", data=b"{not json")
    assert response.status == 422
    assert (await officer.json("GET", f"{API}/bookings"))["bookings"] == []
    assert await officer.refused(
        "POST",
        f"{API}/venues",
        json={
            "grid_id": await hub.grid_id(VILLAGE),
            "name": "夜场",
            "capacity": 5,
            "opens": "20:30",
            "closes": "21:00",
            "slot_minutes": 60,
        },
    ) == (422, "request.invalid")
    assert len((await officer.json("GET", f"{API}/venues"))["venues"]) == 1


async def test_public_forms_are_rate_limited(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub, services={"public_submit_per_minute": 2})
    officer = await hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await hub.grid_id(VILLAGE))
    resident = hub.anonymous()
    for start in ("09:00", "10:00"):
        assert (await book_publicly(resident, venue["id"], booking(start=start)))[0] == 201
    status, answer = await book_publicly(resident, venue["id"], booking(start="11:00"))
    assert (status, answer["error"]["code"]) == (429, "services.rate_limited")
    assert len((await officer.json("GET", f"{API}/bookings"))["bookings"]) == 2


async def test_a_closed_venue_takes_no_bookings_and_keeps_its_own(
    start_gridhub: StartGridHub,
) -> None:
    hub = await services_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    venue = await add_venue(officer, village)
    status, kept = await book_publicly(hub.anonymous(), venue["id"], booking())
    assert status == 201
    spec = {
        "grid_id": village,
        "name": "东庄村文化大院（修缮中）",
        "capacity": 60,
        "opens": "08:00",
        "closes": "21:00",
        "active": False,
    }
    changed = await officer.json("PUT", f"{API}/venues/{venue['id']}", json=spec)
    assert (changed["name"], changed["active"]) == (spec["name"], False)
    status, refused = await book_publicly(hub.anonymous(), venue["id"], booking(start="10:00"))
    assert (status, refused["error"]["code"]) == (409, "services.venue_closed")
    assert (await hub.anonymous().json("GET", f"{API}/public/venues"))["venues"] == []
    listed = await officer.json("GET", f"{API}/bookings")
    assert [b["id"] for b in listed["bookings"]] == [kept["id"]]
    other = await hub.sign_in("v02.cmd")
    assert await other.refused(
        "PUT",
        f"{API}/venues/{venue['id']}",
        json={**spec, "grid_id": await hub.grid_id(OTHER_VILLAGE)},
    ) == (403, "scope.forbidden")


async def test_venue_days_follow_the_deployment_zone_and_the_old_setting_only_warns(
    start_gridhub: StartGridHub, caplog: pytest.LogCaptureFixture
) -> None:
    # 25 hours apart: "today" is never the same date in these two zones.
    ahead, behind = ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")
    hub = await services_hub(start_gridhub, time_zone=ahead.key, services={"time_zone": behind.key})
    assert "plugins.config.services.time_zone is deprecated and ignored" in caplog.text
    officer = await hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await hub.grid_id(VILLAGE))
    resident = hub.anonymous()
    behind_today = datetime.now(behind).date()
    status, answer = await book_publicly(resident, venue["id"], booking(day=behind_today))
    assert (status, answer["error"]["code"]) == (422, "services.day_invalid")  # yesterday here
    ahead_today = datetime.now(ahead).date()
    status, answer = await book_publicly(resident, venue["id"], booking(day=ahead_today))
    assert (status, answer["day"]) == (201, ahead_today.isoformat())
