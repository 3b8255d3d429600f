"""Elderly care with the archives plugin: its tagged and aged people are the elderly here, a
person living alone gets check-in visits from the tagging on; without it, names are typed."""

from __future__ import annotations

from typing import Any

from hub.keys import BUS, TIMERS
from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import StartGridHub
from plugins.archives.messages import ResidentCareChanged
from tests.plugins.services.conftest import API, VILLAGE, services_hub, tomorrow

BASIC = f"{VILLAGE}-01"
ARCHIVES = "/api/v1/archives"


def id_number(first17: str) -> str:
    """A valid GB 11643 ID number from its first 17 digits."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


async def add_resident(officer: HubClient, grid_id: int, name: str, born: str, **more: Any) -> int:
    body = {"grid_id": grid_id, "name": name, "category": "registered",
            "id_number": id_number(f"370783{born}001"), **more}  # fmt: skip
    made: dict[str, Any] = await officer.json("POST", f"{ARCHIVES}/residents", json=body)
    return int(made["id"])


async def elders(officer: HubClient) -> dict[int, dict[str, Any]]:
    listed = await officer.json("GET", f"{API}/care/elders")
    return {e["resident_id"]: e for e in listed["elders"]}


async def checkins(officer: HubClient) -> dict[int | None, dict[str, Any]]:
    listed = await officer.json("GET", f"{API}/care/checkins")
    return {c["resident_id"]: c for c in listed["checkins"]}


async def archives_hub(start: StartGridHub) -> tuple[RunningHub, HubClient, int]:
    hub = await services_hub(start, "archives")
    return hub, await hub.sign_in("v01.cmd"), await hub.grid_id(BASIC)


async def test_the_archives_people_are_the_elderly_and_their_tag_starts_visits(
    start_gridhub: StartGridHub,
) -> None:
    hub, officer, basic = await archives_hub(start_gridhub)
    alone = await add_resident(officer, basic, "赵大爷", "19500302", tags=["elderly_alone"])
    aged = await add_resident(officer, basic, "钱奶奶", "19400101")  # 高龄, not alone
    young = await add_resident(officer, basic, "孙小明", "19900101")
    await hub.settle()

    found = await elders(officer)
    assert set(found) == {alone, aged}  # young is no one elderly care serves
    assert (found[alone]["alone"], found[alone]["name"]) == (True, "赵***")
    assert (found[aged]["alone"], found[aged]["age"] >= 80) == (False, True)
    watched = await checkins(officer)
    assert watched[alone]["interval_days"] == 7
    assert found[alone]["checkin_id"] == watched[alone]["id"]
    assert aged not in watched
    assert young not in watched

    # Care is booked for the archives' person, never for a typed name.
    offer = await officer.json("POST", f"{API}/care/offers", json={
        "grid_id": basic, "kind": "meal", "title": "助老送餐"})  # fmt: skip
    book = f"{API}/care/offers/{offer['id']}/bookings"
    day = tomorrow().isoformat()
    assert await officer.refused("POST", book, json={"name": "钱奶奶", "day": day}) == (
        422, "services.resident_required")  # fmt: skip
    assert await officer.refused("POST", book, json={"resident_id": young, "day": day}) == (
        404, "services.elder_not_found")  # fmt: skip
    booked = await officer.json("POST", book, json={"resident_id": aged, "day": day})
    assert (booked["name"], booked["resident_id"]) == ("钱奶奶", aged)

    # The tag taken off: the visits end (and 赵大爷, 76, is no longer listed).
    await officer.json("PUT", f"{ARCHIVES}/residents/{alone}/tags", json={"codes": []})
    await hub.settle()
    assert alone not in await checkins(officer)
    assert alone not in await elders(officer)
    assert [t.key for t in await timers_of(hub)] == []


async def timers_of(hub: RunningHub) -> list[Any]:
    return [t for t in await hub.app[TIMERS].view("services").pending() if "checkin" in t.key]


async def test_an_older_message_changes_nothing(start_gridhub: StartGridHub) -> None:
    hub, officer, basic = await archives_hub(start_gridhub)
    alone = await add_resident(officer, basic, "赵大爷", "19500302", tags=["elderly_alone"])
    await hub.settle()
    # A late delivery of a state from before the tagging (the bus keeps no order).
    await hub.app[BUS].publish(ResidentCareChanged(
        resident_id=alone, grid_id=basic, name="赵大爷", birth_year=1950, tags=(), active=True,
        sent_at=1.0))  # fmt: skip
    await hub.settle()
    assert (await checkins(officer))[alone]["active"] is True
    assert (await elders(officer))[alone]["alone"] is True


async def test_without_the_archives_names_are_typed(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    listed = await officer.json("GET", f"{API}/care/elders")
    assert listed == {"enabled": False, "elders": []}
    body = {"grid_id": await hub.grid_id(BASIC), "interval_days": 7}
    register = f"{API}/care/checkins"
    typed = (422, "services.name_required")
    assert await officer.refused("POST", register, json={**body, "resident_id": 5}) == typed
    assert await officer.refused("POST", register, json=body) == typed
    made = await officer.json("POST", register, json={**body, "name": "赵大爷"})
    assert (made["name"], made["resident_id"]) == ("赵***", None)
