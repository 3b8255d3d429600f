"""The way back to dispatch: a dispute incident becomes a case, the case's agreement is offered
to dispatch (`IncidentResolutionOffered`), which marks the incident handled (处置) with the
agreement in its timeline; a redelivered offer changes nothing, and an offer the incident's
state does not allow is only noted."""

from __future__ import annotations

from typing import Any

import pytest

from hub.sdk import BasePlugin, PluginContext
from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import StartGridHub
from plugins.dispatch.messages import IncidentResolutionOffered
from tests.plugins.mediation.conftest import API, BASIC, add_people, step


class Bus(BasePlugin):
    """The tests' own plugin, to publish on the bus as another plugin would."""

    name = "offer_probe"
    optional = ("dispatch",)

    async def setup(self, ctx: PluginContext) -> None:
        self.ctx = ctx


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
async def hub(start_gridhub: StartGridHub, bus: Bus) -> RunningHub:
    started = await start_gridhub(["dispatch", "mediation", bus], demo=True)
    await add_people(started)
    return started


async def act(who: HubClient, incident: dict[str, Any], action: str, **body: Any) -> Any:
    path = f"/api/v1/dispatch/incidents/{incident['id']}/actions/{action}"
    return await who.json("POST", path, json={"version": incident["version"], **body})


async def timeline(who: HubClient, incident_id: int) -> list[dict[str, Any]]:
    detail = await who.json("GET", f"/api/v1/dispatch/incidents/{incident_id}")
    lines: list[dict[str, Any]] = detail["timeline"]
    return lines


async def test_an_agreement_marks_the_dispute_incident_handled_once(
    hub: RunningHub, bus: Bus
) -> None:
    worker, commander = await hub.sign_in("w01"), await hub.sign_in("v01.cmd")
    mediator = await hub.sign_in("med.v01")
    watch = await hub.socket("w01")
    report = {"title": "两户因排水沟争吵", "category": "dispute", "grid": BASIC}
    incident = await worker.json("POST", "/api/v1/dispatch/incidents", json=report)
    w01 = await hub.person_id("w01")
    if incident["state"] == "reported":
        incident = await act(commander, incident, "register")
    incident = await act(
        commander, incident, "dispatch", assignees=[{"kind": "person", "target": str(w01)}]
    )
    incident = await act(worker, incident, "sign")
    await hub.settle()
    [case] = (await mediator.json("GET", f"{API}/cases"))["cases"]
    assert case["incident_id"] == incident["id"]

    case = await step(mediator, case, "accept")
    await step(mediator, case, "agree", terms="共同出资疏通排水沟")
    handled = await watch.next("dispatch.incident", lambda e: e["action"] == "handle")
    assert handled["incident"]["state"] == "handled"
    assert handled["previous_state"] == "signed"
    lines = await timeline(commander, incident["id"])
    last = lines[-1]
    assert (last["action"], last["to_state"]) == ("handle", "handled")
    assert "共同出资疏通排水沟" in last["note"]
    assert case["number"] in last["note"]
    assert last["data"]["offer"] == f"mediation:case:{case['id']}"
    query = {"target_type": "incident", "target_id": str(incident["id"])}
    audit = await (await hub.admin()).json("GET", "/api/v1/audit", params=query)
    assert "dispatch.handle" in [e["action"] for e in audit]

    # At least once delivery: the same offer again changes nothing.
    version = handled["incident"]["version"]
    again = IncidentResolutionOffered(
        incident_id=incident["id"], by_plugin="mediation", offer_ref=f"case:{case['id']}",
        outcome="handled", summary="重复投递",
    )  # fmt: skip
    await bus.ctx.bus.publish(again)
    await hub.settle()
    assert await timeline(commander, incident["id"]) == lines
    now = await commander.json("GET", f"/api/v1/dispatch/incidents/{incident['id']}")
    assert (now["state"], now["version"]) == ("handled", version)


async def test_an_offer_the_state_does_not_allow_is_only_noted(hub: RunningHub, bus: Bus) -> None:
    commander = await hub.sign_in("v01.cmd")
    report = {"title": "路灯不亮", "category": "road_facility", "grid": BASIC}
    incident = await commander.json("POST", "/api/v1/dispatch/incidents", json=report)
    offer = IncidentResolutionOffered(
        incident_id=incident["id"], by_plugin="offer_probe", offer_ref="x1",
        outcome="closed", summary="已修好",
    )  # fmt: skip
    await bus.ctx.bus.publish(offer)
    bogus = IncidentResolutionOffered(
        incident_id=incident["id"], by_plugin="offer_probe", offer_ref="x2",
        outcome="vanished", summary="?",
    )  # fmt: skip
    await bus.ctx.bus.publish(bogus)
    await hub.settle()
    now = await commander.json("GET", f"/api/v1/dispatch/incidents/{incident['id']}")
    assert now["state"] == incident["state"]
    last = now["timeline"][-1]
    assert (last["action"], last["data"]["offer"]) == ("comment", "offer_probe:x1")
    assert last["data"]["not_applied"] == f"incident is {incident['state']}"
    assert len(now["timeline"]) == 2
