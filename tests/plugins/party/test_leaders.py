"""领导包靠 with real clients: an overdue incident's escalation step reaches the village's
包靠领导; the party plugin records it once, pushes it to the town's console, and lists the
leaders and their alerts by scope."""

from __future__ import annotations

from typing import Any

import pytest

from hub.keys import BUS
from hub.testing import RunningHub
from hub.testing.fixtures import StartGridHub
from plugins.dispatch.lifecycle import DEFAULT_SLA
from plugins.escalation.messages import EscalationStepFired
from tests.plugins.party.conftest import API, OTHER_TOWN_VILLAGE, VILLAGE

BASIC = "370783-001-001-01"  # a basic grid of 东庄村
LEADER = "party_leader"


@pytest.fixture
async def hub(start_gridhub: StartGridHub) -> RunningHub:
    sla = {stage: dict(row) for stage, row in DEFAULT_SLA.items()}
    sla["intake"]["normal"] = 1  # overdue a second after it is reported
    started = await start_gridhub(
        ["dispatch", "escalation", "party"],
        demo=True,
        config={"dispatch": {"sla": sla}},
        timers={"poll_s": 0.05},
    )
    await started.add_person("lead.v01", [(LEADER, VILLAGE)], display_name="包靠领导甲")
    await started.add_person("lead.v05", [(LEADER, OTHER_TOWN_VILLAGE)], display_name="包靠领导乙")
    return started


async def overdue_alert(hub: RunningHub) -> dict[str, Any]:
    """Report an incident in 东庄村 and wait until the town's console hears the leader alert."""
    town = await hub.socket("town1.cmd")
    worker = await hub.sign_in("w01")
    report = {"title": "村道塌陷无人处理", "category": "road_facility", "grid": BASIC}
    incident = await worker.json("POST", "/api/v1/dispatch/incidents", json=report)
    subject = f"incident:{incident['id']}"
    alert: dict[str, Any] = await town.next("party.leader_alert", lambda e: e["subject"] == subject)
    return alert


async def test_an_overdue_incident_is_listed_as_its_leaders_alert(hub: RunningHub) -> None:
    alert = await overdue_alert(hub)
    lead_id = await hub.person_id("lead.v01")
    assert (alert["person_id"], alert["trigger"], alert["level"]) == (
        lead_id,
        "incident",
        "village",
    )
    assert alert["grid"]["code"] == BASIC
    town = await hub.sign_in("town1.cmd")
    leaders = (await town.json("GET", f"{API}/leaders"))["items"]
    assert [(row["name"], [g["code"] for g in row["grids"]], row["alerts"]) for row in leaders] == [
        ("包靠领导甲", [VILLAGE], 1)
    ]
    listed = await town.json("GET", f"{API}/leader-alerts", params={"person_id": lead_id})
    assert [row["id"] for row in listed["items"]] == [alert["id"]]
    admin = await hub.admin()
    everyone = (await admin.json("GET", f"{API}/leaders"))["items"]
    assert {row["name"] for row in everyone} == {"包靠领导甲", "包靠领导乙"}


async def test_scope_roles_and_bad_input(hub: RunningHub) -> None:
    await overdue_alert(hub)
    other_town = await hub.sign_in("v05.cmd")
    mine = (await other_town.json("GET", f"{API}/leaders"))["items"]
    assert [row["name"] for row in mine] == ["包靠领导乙"]
    assert (await other_town.json("GET", f"{API}/leader-alerts"))["items"] == []
    worker, leader = await hub.sign_in("w01"), await hub.sign_in("lead.v01")
    for client in (worker, leader):  # a leader reads nothing here; staff of the grids do
        assert (await client.refused("GET", f"{API}/leaders"))[0] == 403
        assert (await client.refused("GET", f"{API}/leader-alerts"))[0] == 403
    town = await hub.sign_in("town1.cmd")
    for params in ({"person_id": "abc"}, {"person_id": "0"}, {"grid": "1"}):
        status, _ = await town.refused("GET", f"{API}/leader-alerts", params=params)
        assert status == 422


async def test_a_redelivered_step_is_stored_once_and_only_for_the_grids_leader(
    hub: RunningHub,
) -> None:
    """The bus may deliver a step twice; people it reached who do not lead its grid (a commander,
    or a leader of another village) are not leaders' alerts."""
    ids = [await hub.person_id(name) for name in ("lead.v01", "lead.v05", "town1.cmd")]
    step = EscalationStepFired(
        chain_id=901, step=0, trigger="incident", subject="incident:901",
        policy="incident-overdue", grid_id=await hub.grid_id(BASIC), level="village",
        level_grid_id=await hub.grid_id(VILLAGE), notified=tuple(ids),
    )  # fmt: skip
    await hub.app[BUS].publish(step)
    await hub.app[BUS].publish(step)
    await hub.settle()
    admin = await hub.admin()
    listed = (await admin.json("GET", f"{API}/leader-alerts"))["items"]
    assert [(row["person_id"], row["chain_id"]) for row in listed] == [(ids[0], 901)]


async def test_the_alert_reaches_the_leaders_and_the_secretarys_own_devices(
    hub: RunningHub,
) -> None:
    """A leader and a party secretary are not in command rooms: the push goes to their own
    devices (user rooms), and /me/leader-alerts lists it for each of them."""
    await hub.add_person("sec.v01", [("party_secretary", VILLAGE)], display_name="东庄村书记")
    leader, secretary = await hub.socket("lead.v01"), await hub.socket("sec.v01")
    other = await hub.socket("lead.v05")
    alert = await overdue_alert(hub)
    assert (await leader.next("party.leader_alert"))["id"] == alert["id"]
    assert (await secretary.next("party.leader_alert"))["id"] == alert["id"]
    for name in ("lead.v01", "sec.v01"):
        mine = await (await hub.sign_in(name)).json("GET", f"{API}/me/leader-alerts")
        assert [row["id"] for row in mine["items"]] == [alert["id"]]
    assert other.drain("party.leader_alert") == []
