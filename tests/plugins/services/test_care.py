"""Elderly care: providers' offers and deliveries; a missed check-in visit raises an incident."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.testing.fixtures import StartGridHub
from tests.plugins.services.conftest import API, OTHER_VILLAGE, VILLAGE, services_hub, tomorrow

BASIC = f"{VILLAGE}-01"


def care_incident(event: dict[str, Any]) -> bool:
    return bool(event["action"] == "reported" and event["incident"]["source"] == "services.care")


async def test_a_missed_check_in_visit_raises_an_incident(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub, "dispatch", timers={"poll_s": 0.05})
    officer = await hub.sign_in("v01.cmd")
    watch = await hub.socket("v01.cmd")
    basic = await hub.grid_id(BASIC)
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    alone = {"grid_id": basic, "interval_days": 7, "first_due": soon, "phone": "13700001111"}
    missed = await officer.json("POST", f"{API}/care/checkins", json={**alone, "name": "赵大爷"})
    visited = await officer.json("POST", f"{API}/care/checkins", json={**alone, "name": "钱奶奶"})
    assert missed["name"] == "赵***"  # masked in lists
    worker = await hub.sign_in("w01")  # visits 钱奶奶 in time; nobody visits 赵大爷
    await worker.json(
        "POST",
        f"{API}/care/checkins/{visited['id']}/visits",
        json={"wellbeing": "well", "note": "身体硬朗"},
    )

    raised = await watch.next("dispatch.incident", care_incident)
    incident = raised["incident"]
    assert incident["title"] == "独居老人未按期探访 · 赵***"
    assert (incident["grid_id"], incident["priority"]) == (basic, "high")
    listed = {c["id"]: c for c in (await officer.json("GET", f"{API}/care/checkins"))["checkins"]}
    assert listed[missed["id"]]["missed"] == 1
    assert listed[visited["id"]]["missed"] == 0
    assert listed[visited["id"]]["due_at"] > time.time() + 6 * 86400  # the visit moved it
    assert listed[visited["id"]]["last_visit_at"] is not None


async def test_providers_confirm_and_record_delivery(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub)
    await hub.add_person("canteen", [("services_provider", VILLAGE)], display_name="幸福食堂")
    await hub.add_person("faraway", [("services_provider", OTHER_VILLAGE)])
    provider = await hub.sign_in("canteen")
    village = await hub.grid_id(VILLAGE)
    offer = await provider.json(
        "POST",
        f"{API}/care/offers",
        json={"grid_id": village, "kind": "meal", "title": "助老送餐", "description": "午餐送到家"},
    )
    assert offer["provider_name"] == "幸福食堂"
    officer = await hub.sign_in("v01.cmd")
    booked = await officer.json(
        "POST",
        f"{API}/care/offers/{offer['id']}/bookings",
        json={"name": "孙爷爷", "phone": "13600002222", "day": tomorrow().isoformat()},
    )
    assert (booked["state"], booked["phone"]) == ("requested", "136****2222")
    serve = f"{API}/care/bookings/{booked['id']}/serve"
    far = await hub.sign_in("faraway")
    assert await far.refused("POST", serve, json={"action": "confirm"}) == (403, "scope.forbidden")
    assert await provider.refused("POST", serve, json={"action": "deliver"}) == (
        409,
        "services.care_booking_state",
    )
    assert (await provider.json("POST", serve, json={"action": "confirm"}))["state"] == "confirmed"
    done = await provider.json("POST", serve, json={"action": "deliver", "note": "已送达"})
    assert done["state"] == "delivered"
    assert done["delivered_at"]
    assert await far.refused(
        "POST", f"{API}/care/offers", json={"grid_id": village, "kind": "meal", "title": "越界"}
    ) == (403, "scope.forbidden")
    assert await officer.refused(
        "POST", f"{API}/care/checkins", json={"grid_id": village, "name": "周", "interval_days": 0}
    ) == (422, "request.invalid")
    assert await (await hub.sign_in("w01")).refused(
        "POST", f"{API}/care/offers", json={"grid_id": village, "kind": "meal", "title": "x"}
    ) == (403, "auth.role_required")
    assert len((await provider.json("GET", f"{API}/care/offers"))["offers"]) == 1
    assert (await officer.json("GET", f"{API}/care/checkins"))["checkins"] == []
