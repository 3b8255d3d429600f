"""领导包案 with real clients: a 包靠领导 assigned to one incident (not their grid's) is alerted
once when dispatch says it is overdue, live on their own devices and on those of the party
secretary over the grid (Socket.IO clients); assignment by scope, roles and bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.keys import BUS
from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import StartGridHub
from plugins.dispatch.lifecycle import DEFAULT_SLA
from plugins.dispatch.messages import IncidentOverdue
from tests.plugins.party.conftest import API, OTHER_TOWN_VILLAGE, VILLAGE

BASIC = "370783-001-001-01"  # a basic grid of 东庄村
NEIGHBOUR = "370783-001-002"  # 王家村, the same town
LEADER, SECRETARY = "party_leader", "party_secretary"


@pytest.fixture
async def hub(start_gridhub: StartGridHub) -> RunningHub:
    sla = {stage: dict(row) for stage, row in DEFAULT_SLA.items()}
    sla["dispatch"]["normal"] = 1  # overdue a second after it is registered
    started = await start_gridhub(
        ["dispatch", "party"],
        demo=True,
        config={"dispatch": {"sla": sla}},
        timers={"poll_s": 0.05},
    )
    await started.add_person("lead.v02", [(LEADER, NEIGHBOUR)], display_name="包靠领导丙")
    await started.add_person("lead.v05", [(LEADER, OTHER_TOWN_VILLAGE)], display_name="包靠领导乙")
    await started.add_person("sec.v01", [(SECRETARY, VILLAGE)], display_name="东庄村书记")
    return started


async def report(hub: RunningHub) -> dict[str, Any]:
    worker = await hub.sign_in("w01")
    body = {"title": "排水沟堵塞", "category": "road_facility", "grid": BASIC}
    incident: dict[str, Any] = await worker.json("POST", "/api/v1/dispatch/incidents", json=body)
    await hub.settle()  # the party plugin has heard of it (IncidentChanged)
    return incident


async def register(hub: RunningHub, incident: dict[str, Any]) -> None:
    village = await hub.sign_in("v01.cmd")
    path = f"/api/v1/dispatch/incidents/{incident['id']}/actions/register"
    await village.json("POST", path, json={"version": incident["version"]})


async def assign(client: HubClient, incident_id: int, person_id: int) -> dict[str, Any]:
    path = f"{API}/cases/{incident_id}/leaders"
    answer: dict[str, Any] = await client.json(
        "POST", path, json={"person_id": person_id, "note": "包案督办"}
    )
    return answer


async def test_a_case_leader_is_alerted_once_live_on_their_devices(hub: RunningHub) -> None:
    incident = await report(hub)
    lead_id = await hub.person_id("lead.v02")
    town = await hub.sign_in("town1.cmd")
    await assign(town, incident["id"], lead_id)
    leader, secretary = await hub.socket("lead.v02"), await hub.socket("sec.v01")
    console, bystander = await hub.socket("town1.cmd"), await hub.socket("lead.v05")
    await register(hub, incident)  # its dispatch stage is due in a second: 督办
    subject = f"incident:{incident['id']}"
    alert = await leader.next("party.leader_alert", lambda e: e["subject"] == subject)
    assert (alert["person_id"], alert["trigger"], alert["title"]) == (
        lead_id,
        "case",
        incident["number"],
    )
    assert alert["grid"]["code"] == BASIC
    assert (await secretary.next("party.leader_alert"))["id"] == alert["id"]
    assert (await console.next("party.leader_alert"))["id"] == alert["id"]
    redelivered = IncidentOverdue(
        incident_id=incident["id"], number=incident["number"], stage="sign", state="dispatched",
        grid_id=alert["grid"]["id"], category="road_facility", priority="normal", deadline=0.0,
    )  # fmt: skip
    await hub.app[BUS].publish(redelivered)  # a later stage overdue, or the bus again
    await hub.settle()
    mine = (await (await hub.sign_in("lead.v02")).json("GET", f"{API}/me/leader-alerts"))["items"]
    assert [row["id"] for row in mine] == [alert["id"]]
    theirs = (await (await hub.sign_in("sec.v01")).json("GET", f"{API}/me/leader-alerts"))["items"]
    assert [row["id"] for row in theirs] == [alert["id"]]
    assert (await (await hub.sign_in("lead.v05")).json("GET", f"{API}/me/leader-alerts")) == {
        "items": []
    }
    assert bystander.drain("party.leader_alert") == []
    listed = (await town.json("GET", f"{API}/case-leaders"))["items"]
    assert [(r["incident_id"], r["name"], r["note"]) for r in listed] == [
        (incident["id"], "包靠领导丙", "包案督办")
    ]


async def test_assignment_scope_roles_and_bad_input(hub: RunningHub) -> None:
    incident = await report(hub)
    path = f"{API}/cases/{incident['id']}/leaders"
    ids = {name: await hub.person_id(name) for name in ("lead.v02", "lead.v05", "w01")}
    town, other = await hub.sign_in("town1.cmd"), await hub.sign_in("v05.cmd")
    status, code = await other.refused("POST", path, json={"person_id": ids["lead.v05"]})
    assert (status, code) == (403, "scope.forbidden")  # the incident is not in its grids
    for person in ("lead.v05", "w01"):  # a leader of another town; not a leader at all
        status, code = await town.refused("POST", path, json={"person_id": ids[person]})
        assert (status, code) == (422, "party.not_leader")
    for body in ({}, {"person_id": 0}, {"person_id": ids["lead.v02"], "note": "x" * 201}):
        assert (await town.refused("POST", path, json=body))[0] == 422
    unknown = {"person_id": ids["lead.v02"]}
    assert await town.refused("POST", f"{API}/cases/99999/leaders", json=unknown) == (
        404,
        "party.case_not_found",
    )
    assert (await town.refused("POST", f"{API}/cases/abc/leaders", json=unknown))[0] == 422
    for name in ("w01", "lead.v02"):
        client = await hub.sign_in(name)
        assert (await client.refused("POST", path, json=unknown))[0] == 403
    assert (await town.json("GET", f"{API}/case-leaders"))["items"] == []  # nothing was kept
    await assign(town, incident["id"], ids["lead.v02"])
    assert (await town.refused("POST", path, json=unknown)) == (409, "party.case_leader_exists")
    assert (await other.json("GET", f"{API}/case-leaders"))["items"] == []
    remove = f"{path}/{ids['lead.v02']}/remove"
    assert (await other.refused("POST", remove))[0] == 403
    await town.json("POST", remove)
    assert (await town.refused("POST", remove)) == (404, "party.case_leader_not_found")
    assert (await town.json("GET", f"{API}/case-leaders"))["items"] == []
    admin = await hub.admin()
    rows = await admin.json("GET", "/api/v1/audit", params={"target_type": "party_case_leader"})
    assert sorted(row["action"] for row in rows) == [
        "party.case_leader.assigned",
        "party.case_leader.removed",
    ]


async def test_an_unassigned_overdue_incident_alerts_nobody(hub: RunningHub) -> None:
    incident = await report(hub)
    heard: asyncio.Future[IncidentOverdue] = asyncio.get_running_loop().create_future()

    async def on_overdue(message: IncidentOverdue) -> None:
        if message.incident_id == incident["id"] and not heard.done():
            heard.set_result(message)

    await hub.app[BUS].listen(IncidentOverdue, on_overdue)
    await register(hub, incident)
    await heard
    await hub.settle()
    admin = await hub.admin()
    assert (await admin.json("GET", f"{API}/leader-alerts"))["items"] == []
