"""Elderly residents book care for themselves with their own resident account (the core
`resident` role, signed in as on /report): offers of their village only, their own bookings
only, a rate limit per resident, bad input refused with nothing changed; the provider confirms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.plugins.services.conftest import API, OTHER_VILLAGE, VILLAGE, services_hub, tomorrow

MINE = f"{API}/care/mine"
TOWN = "370783-001"


async def offer_on(client: HubClient, grid_id: int, title: str) -> dict[str, Any]:
    body = {"grid_id": grid_id, "kind": "meal", "title": title, "description": "午餐送到家"}
    offer: dict[str, Any] = await client.json("POST", f"{API}/care/offers", json=body)
    return offer


async def three_offers(hub: RunningHub) -> tuple[dict[str, Any], ...]:
    """东庄村's canteen, 王家村's canteen, and the town's health check (covering both)."""
    await hub.add_person("canteen", [("services_provider", VILLAGE)], display_name="幸福食堂")
    await hub.add_person("faraway", [("services_provider", OTHER_VILLAGE)])
    ours = await offer_on(await hub.sign_in("canteen"), await hub.grid_id(VILLAGE), "助老送餐")
    theirs = await offer_on(await hub.sign_in("faraway"), await hub.grid_id(OTHER_VILLAGE), "王家")
    town = await offer_on(await hub.sign_in("town1.cmd"), await hub.grid_id(TOWN), "健康体检")
    return ours, theirs, town


async def test_a_resident_books_an_offer_of_their_village_and_the_provider_confirms(
    start_gridhub: StartGridHub,
) -> None:
    hub = await services_hub(start_gridhub)
    ours, theirs, town = await three_offers(hub)
    resident = await hub.sign_in("r01")  # 东庄村第一网格
    seen = await resident.json("GET", MINE)
    assert {o["id"] for o in seen["offers"]} == {ours["id"], town["id"]}
    assert seen["bookings"] == []
    day = tomorrow().isoformat()
    booked = await resident.json(
        "POST",
        f"{MINE}/offers/{ours['id']}/bookings",
        json={"day": day, "phone": "13600002222", "note": "少盐"},
    )
    assert (booked["state"], booked["phone"], booked["day"]) == ("requested", "136****2222", day)
    provider = await hub.sign_in("canteen")
    listed = (await provider.json("GET", f"{API}/care/bookings"))["bookings"]
    assert [b["id"] for b in listed] == [booked["id"]]
    await provider.json(
        "POST", f"{API}/care/bookings/{booked['id']}/serve", json={"action": "confirm"}
    )
    mine = (await resident.json("GET", MINE))["bookings"]
    assert [(b["id"], b["state"]) for b in mine] == [(booked["id"], "confirmed")]
    cancelled = await resident.json("POST", f"{MINE}/bookings/{booked['id']}/cancel")
    assert cancelled["state"] == "cancelled"
    again = f"{MINE}/bookings/{booked['id']}/cancel"
    assert await resident.refused("POST", again) == (409, "services.care_booking_state")
    # 王家村's offer is not theirs to book; the town's is
    far = f"{MINE}/offers/{theirs['id']}/bookings"
    assert await resident.refused("POST", far, json={"day": day}) == (403, "scope.forbidden")
    await resident.json("POST", f"{MINE}/offers/{town['id']}/bookings", json={"day": day})


async def test_residents_see_and_cancel_only_their_own_bookings(
    start_gridhub: StartGridHub,
) -> None:
    hub = await services_hub(start_gridhub)
    ours, _, _ = await three_offers(hub)
    r01 = await hub.sign_in("r01")
    await hub.add_person("r01b", [("resident", f"{VILLAGE}-01")], display_name="李奶奶")
    neighbour = await hub.sign_in("r01b")
    day = tomorrow().isoformat()
    theirs = await neighbour.json("POST", f"{MINE}/offers/{ours['id']}/bookings", json={"day": day})
    assert theirs["name"] == "李奶奶"
    assert (await r01.json("GET", MINE))["bookings"] == []
    cancel = f"{MINE}/bookings/{theirs['id']}/cancel"
    assert await r01.refused("POST", cancel) == (404, "services.care_booking_not_found")
    officer = await hub.sign_in("v01.cmd")  # staff book for a resident: not the resident's own
    staff = await officer.json(
        "POST", f"{API}/care/offers/{ours['id']}/bookings", json={"name": "孙爷爷", "day": day}
    )
    cancel_staff = f"{MINE}/bookings/{staff['id']}/cancel"
    assert await neighbour.refused("POST", cancel_staff) == (404, "services.care_booking_not_found")
    assert [b["id"] for b in (await neighbour.json("GET", MINE))["bookings"]] == [theirs["id"]]


async def test_staff_and_providers_are_not_residents(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub)
    ours, _, _ = await three_offers(hub)
    day = {"day": tomorrow().isoformat()}
    for name in ("v01.cmd", "w01", "canteen"):
        client = await hub.sign_in(name)
        assert await client.refused("GET", MINE) == (403, "auth.role_required"), name
        path = f"{MINE}/offers/{ours['id']}/bookings"
        assert await client.refused("POST", path, json=day) == (403, "auth.role_required"), name
    resident = await hub.sign_in("r01")
    staff_path = f"{API}/care/offers/{ours['id']}/bookings"
    assert await resident.refused("POST", staff_path, json={"name": "我", **day}) == (
        403,
        "auth.role_required",
    )


async def test_bad_input_is_refused_with_nothing_changed(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub)
    ours, _, _ = await three_offers(hub)
    resident = await hub.sign_in("r01")
    provider = await hub.sign_in("canteen")
    path = f"{MINE}/offers/{ours['id']}/bookings"
    day = tomorrow()
    await resident.json("POST", path, json={"day": day.isoformat()})
    before = (await resident.json("GET", MINE), await provider.json("GET", f"{API}/care/bookings"))
    bad: list[tuple[str, Any, tuple[int, str]]] = [
        (path, {"day": day.isoformat()}, (409, "services.care_booking_exists")),
        (path, {"day": (day - timedelta(days=2)).isoformat()}, (422, "services.day_invalid")),
        (path, {"day": (day + timedelta(days=91)).isoformat()}, (422, "services.day_invalid")),
        (path, {"day": "明天"}, (422, "request.invalid")),
        (path, {"day": day.isoformat(), "phone": "12345"}, (422, "request.invalid")),
        (path, {"day": day.isoformat(), "note": "x" * 301}, (422, "request.invalid")),
        (path, [1, 2], (422, "request.invalid")),
        (f"{MINE}/offers/999999/bookings", {"day": day.isoformat()},
         (404, "services.offer_not_found")),
        (f"{MINE}/offers/99999999999999999999/bookings", {"day": day.isoformat()},
         (422, "request.path_invalid")),
        (f"{MINE}/bookings/999999/cancel", None, (404, "services.care_booking_not_found")),
    ]  # fmt: skip
    for url, body, expected in bad:
        kwargs = {} if body is None else {"json": body}
        got = await resident.refused("POST", url, **kwargs)
        assert got == expected, (url, body)
    after = (await resident.json("GET", MINE), await provider.json("GET", f"{API}/care/bookings"))
    assert after == before


async def test_bookings_are_rate_limited_per_resident(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub, services={"resident_care_per_hour": 3})
    ours, _, town = await three_offers(hub)
    resident = await hub.sign_in("r01")
    for days in (1, 2, 3):
        body = {"day": (tomorrow() + timedelta(days=days)).isoformat()}
        await resident.json("POST", f"{MINE}/offers/{ours['id']}/bookings", json=body)
    body = {"day": tomorrow().isoformat()}
    path = f"{MINE}/offers/{town['id']}/bookings"
    response = await resident.request("POST", path, json=body)
    assert response.status == 429
    assert (await response.json())["error"]["code"] == "services.rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    assert len((await resident.json("GET", MINE))["bookings"]) == 3
    await hub.add_person("r01b", [("resident", f"{VILLAGE}-01")])  # another resident's own count
    await (await hub.sign_in("r01b")).json("POST", path, json=body)
