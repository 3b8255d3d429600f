"""An elderly person's SOS device reports through the alarms plugin (a real device client on
the device WebSocket): its alarm lands on the person's care record and an incident answers it,
raised by services or, where the alarms plugin opens one itself, linked; all over the bus."""

from __future__ import annotations

import json
from typing import Any

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import StartGridHub
from plugins.alarms.client import DeviceClient
from tests.plugins.services.conftest import API, VILLAGE, services_hub

DEVICE = "dev-temp-01"  # a demo device in 东庄村, worn here as the person's SOS button


def device_of(hub: RunningHub, code: str) -> DeviceClient:
    keys = json.loads((hub.data_dir / "demo-device-keys.json").read_text())
    return DeviceClient(hub.url, code, keys[code])


def incident_from(source: str) -> Any:
    def match(event: dict[str, Any]) -> bool:
        return bool(event["action"] == "reported" and event["incident"]["source"] == source)

    return match


async def sos_events(officer: HubClient) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = (await officer.json("GET", f"{API}/care/sos"))["events"]
    return events


async def test_an_sos_alarm_reaches_the_care_record_and_an_incident(
    start_gridhub: StartGridHub,
) -> None:
    hub = await services_hub(start_gridhub, "alarms", "dispatch")
    officer = await hub.sign_in("v01.cmd")
    watch = await hub.socket("v01.cmd")
    grid = await hub.grid_id(f"{VILLAGE}-01")
    person = await officer.json("POST", f"{API}/care/checkins", json={
        "grid_id": grid, "name": "赵大爷", "interval_days": 7})  # fmt: skip
    bind = f"{API}/care/checkins/{person['id']}/device"
    assert await officer.refused("PUT", bind, json={"device_code": "<b>"}) == (
        422, "request.invalid")  # fmt: skip
    worker = await hub.sign_in("w01")
    assert await worker.refused("PUT", bind, json={"device_code": DEVICE}) == (
        403, "auth.role_required")  # fmt: skip
    assert (await officer.json("PUT", bind, json={"device_code": DEVICE}))["sos_device"] == DEVICE

    device = device_of(hub, DEVICE)
    try:
        await device.connect()
        # MAJOR: below the alarms plugin's incident policy, so services asks dispatch itself.
        await device.alarm("sos", "MAJOR")
        asked = (await watch.next("dispatch.incident", incident_from("services.sos")))["incident"]
        # CRITICAL: the alarms plugin opens the incident; services links it, asks for none.
        await device.alarm("fall", "CRITICAL")
        own = (await watch.next("dispatch.incident", incident_from("alarm")))["incident"]
    finally:
        await device.close()
    await hub.settle()

    assert (asked["title"], asked["priority"]) == ("老人SOS求助 · 赵***", "urgent")
    assert asked["grid_id"] == grid
    events = {e["type"]: e for e in await sos_events(officer)}
    assert set(events) == {"sos", "fall"}
    assert (events["sos"]["incident_number"], events["sos"]["name"]) == (asked["number"], "赵***")
    assert events["fall"]["incident_number"] == own["number"]
    assert all(e["checkin_id"] == person["id"] and e["active"] for e in events.values())
    incidents = await officer.json("GET", "/api/v1/dispatch/incidents")
    rows = incidents["items"] if isinstance(incidents, dict) else incidents
    assert [i["source"] for i in rows if i["source"] == "services.sos"] == ["services.sos"]
