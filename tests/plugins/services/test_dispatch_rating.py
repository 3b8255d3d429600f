"""Dispatch's `IncidentChanged` carries the incident's 回访 rating: a proxy request whose
incident the centre rated in dispatch takes that rating (the resident's own comes first)."""

from __future__ import annotations

from hub.testing.fixtures import StartGridHub
from tests.plugins.services.conftest import API
from tests.plugins.services.test_proxy import ITEM, act, file_request, proxy_hub


async def test_the_centres_callback_rating_in_dispatch_reaches_the_request(
    start_gridhub: StartGridHub,
) -> None:
    hub = await proxy_hub(start_gridhub)
    item = await (await hub.admin()).json("PUT", f"{API}/items", json=ITEM)
    filed = await file_request(hub, item["id"])
    await hub.settle()
    commander, worker = await hub.sign_in("v01.cmd"), await hub.sign_in("w01")
    track = f"{API}/public/proxy/{filed['tracking_code']}"
    number = (await hub.anonymous().json("GET", track))["incident_number"]
    [incident] = (await commander.json("GET", "/api/v1/dispatch/incidents", params={"q": number}))[
        "items"
    ]
    w01 = str(await hub.person_id("w01"))
    incident = await act(commander, incident, "register")
    incident = await act(
        commander, incident, "dispatch", assignees=[{"kind": "person", "target": w01}]
    )
    incident = await act(worker, incident, "sign")
    incident = await act(worker, incident, "handle", note="已代办")
    incident = await act(commander, incident, "verify", passed=True)
    incident = await act(commander, incident, "close")
    await hub.settle()
    assert (await hub.anonymous().json("GET", track))["rating"] is None
    await act(commander, incident, "rate", rating=4, note="电话回访：满意")
    await hub.settle()
    progress = await hub.anonymous().json("GET", track)
    assert (progress["rating"], progress["can_rate"]) == (4, False)
    helpers = (await commander.json("GET", f"{API}/proxy/helpers"))["helpers"]
    assert [(h["rated"], h["average"]) for h in helpers] == [(1, 4.0)]
