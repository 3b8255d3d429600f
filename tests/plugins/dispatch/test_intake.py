"""Incidents asked for over the bus (one per source ref), and auto-dispatch rules."""

from __future__ import annotations

import asyncio

from hub.keys import BUS
from plugins.dispatch.messages import IncidentChanged, IncidentRequested
from tests.hub.conftest import Hub
from tests.plugins.dispatch.conftest import BASIC, StartDispatch, api_as, centre, person_id


def _request(client: object, ref: str) -> IncidentRequested:
    return IncidentRequested(
        source="alarm",
        source_ref=ref,
        category="iot_alarm",
        title="水位超限 弥河王家村段",
        priority="urgent",
        **centre(client),  # type: ignore[arg-type]
    )


async def test_one_incident_per_source_ref_however_often_asked(hub: Hub) -> None:
    bus = hub.client.app[BUS]
    answers: asyncio.Queue[IncidentChanged] = asyncio.Queue()

    async def answered(message: IncidentChanged) -> None:
        if message.source == "alarm":
            await answers.put(message)

    await bus.listen(IncidentChanged, answered)
    await asyncio.gather(*(bus.publish(_request(hub.client, "alarm:41")) for _ in range(3)))
    got = [await asyncio.wait_for(answers.get(), 5) for _ in range(3)]
    assert {m.incident_id for m in got} == {got[0].incident_id}
    assert {m.action for m in got} == {"reported"}
    assert all(m.source_ref == "alarm:41" for m in got)

    await bus.publish(_request(hub.client, "alarm:42"))
    other = await asyncio.wait_for(answers.get(), 5)
    assert other.incident_id != got[0].incident_id

    county = await api_as(hub.client, "county.cmd")
    listed = await county.call("GET", "/incidents?category=iot_alarm")
    assert len(listed["items"]) == 2
    detail = await county.get(got[0].incident_id)
    assert (detail["source"], detail["source_ref"], detail["priority"]) == (
        "alarm", "alarm:41", "urgent",
    )  # fmt: skip
    assert detail["state"] == "reported"


async def test_a_request_the_catalogue_refuses_opens_nothing(hub: Hub) -> None:
    bus = hub.client.app[BUS]
    answers: asyncio.Queue[IncidentChanged] = asyncio.Queue()
    await bus.listen(IncidentChanged, answers.put)
    bad = IncidentRequested(
        source="alarm", source_ref="alarm:7", category="no_such", title="x", lon=1.0, lat=1.0
    )
    await bus.publish(bad)
    await bus.publish(_request(hub.client, "alarm:8"))
    answer = await asyncio.wait_for(answers.get(), 5)
    assert answer.source_ref == "alarm:8"
    county = await api_as(hub.client, "county.cmd")
    items = (await county.call("GET", "/incidents"))["items"]
    assert [i["id"] for i in items] == [answer.incident_id]


async def test_auto_dispatch_rule_sends_straight_to_the_worker(
    start_dispatch: StartDispatch,
) -> None:
    hub = await start_dispatch({"auto_dispatch": True})
    admin = await api_as(hub.client, "admin")
    w01 = await person_id(hub.client, "w01")
    bad = {"category": "env_sanitation", "grid": BASIC, "target_kind": "grid", "target": "nope"}
    refused = await admin.call("POST", "/rules", bad, status=422)
    assert refused["error"]["code"] == "rule.bad_target"
    rule = {"category": "env_sanitation", "grid": BASIC, "target_kind": "person",
            "target": str(w01)}  # fmt: skip
    await admin.call("POST", "/rules", rule, status=201)
    cmd = await api_as(hub.client, "v01.cmd")
    incident = await cmd.report()
    detail = await cmd.get(incident["id"])
    assert detail["state"] == "dispatched"
    assert detail["assignments"][0]["target"] == str(w01)
    assert detail["timeline"][-1]["actor"] == "自动派遣 auto-dispatch"
    other = await cmd.report(category="dispute", title="邻里纠纷")  # no rule for it
    assert (await cmd.get(other["id"]))["state"] == "registered"
