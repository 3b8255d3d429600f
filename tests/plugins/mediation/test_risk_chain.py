"""Mediation's default escalation policy, with real clients and escalation's durable timers:
without any deployment policy a high-risk case runs the chain `mediation-risk` (the town at
once, with the party plugin's 包靠领导; the county when nobody took it, written in the case's
timeline), the chain stops when the risk is taken; a deployment's policy of that name wins and
`disabled_defaults` turns it off."""

from __future__ import annotations

from typing import Any

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)
from plugins.escalation.config import DEFAULT_POLICIES
from tests.plugins.escalation.test_requests import Probe
from tests.plugins.mediation.conftest import (
    API,
    COUNTY,
    TOWN,
    VILLAGE,
    add_people,
    new_case,
    step,
)

CHAINS = "/api/v1/escalation/chains?state="


async def started(
    start: StartGridHub, probe: Probe, risk_s: float, escalation: dict[str, Any] | None = None
) -> RunningHub:
    hub = await start(
        ["escalation", "mediation", "party", probe],
        demo=True,
        config={"mediation": {"risk_unanswered_s": risk_s}, "escalation": escalation or {}},
        timers={"poll_s": 0.05},
    )
    await add_people(hub)
    await hub.add_person("lead.v01", [("party_leader", VILLAGE)], display_name="包靠领导甲")
    return hub


async def high_risk_case(hub: RunningHub) -> dict[str, Any]:
    mediator = await hub.sign_in("med.v01")
    body = new_case(await hub.grid_id(VILLAGE), risk="high")
    case: dict[str, Any] = await mediator.json("POST", f"{API}/cases", json=body)
    return case


async def chain_of(client: HubClient, subject: str, state: str) -> dict[str, Any]:
    chains = (await client.json("GET", CHAINS + state))["chains"]
    [chain] = [c for c in chains if c["subject"] == subject]
    return dict(chain)


async def test_the_default_chain_climbs_to_the_county_untaken(
    start_gridhub: StartGridHub,  # noqa: F811
) -> None:
    probe = Probe()
    hub = await started(start_gridhub, probe, 0.3)
    town, county = await hub.socket("town1.cmd"), await hub.socket("county.cmd")
    leader = await hub.socket("lead.v01")
    case = await high_risk_case(hub)
    subject = f"mediation_case:{case['id']}"
    assert (await town.next("mediation.risk_alert"))["step"] == "town"  # mediation's own, at once
    alert = await town.next("escalation.alert", lambda e: e["subject"] == subject)
    assert (alert["trigger"], alert["policy"], alert["level"]) == (
        "request",
        "mediation-risk",
        "town",
    )
    led = await leader.next("escalation.alert", lambda e: e["subject"] == subject)
    assert led["roles"] == ["party_leader"]
    raised = await county.next("mediation.risk_alert")
    assert (raised["step"], raised["case"]["id"]) == ("county", case["id"])
    fired = await probe.steps_of(subject, 2)
    assert [(f.step, f.level, f.policy) for f in fired] == [
        (0, "town", "mediation-risk"),
        (1, "county", "mediation-risk"),
    ]
    assert await hub.person_id("lead.v01") in fired[0].notified
    commander = await hub.sign_in("town1.cmd")
    detail = await commander.json("GET", f"{API}/cases/{case['id']}")
    [line] = [s for s in detail["timeline"] if s["action"] == "risk_unanswered"]
    assert line["details"] == {
        "level": "county",
        "level_grid_id": await hub.grid_id(COUNTY),
        "level_name": {"zh": "县级", "en": "county"},
        "policy": "mediation-risk",
    }
    chain = await chain_of(await hub.sign_in("county.cmd"), subject, "finished")
    assert (chain["policy"], chain["next_step"]) == ("mediation-risk", 2)


async def test_taking_the_risk_stops_the_default_chain(
    start_gridhub: StartGridHub,  # noqa: F811
) -> None:
    probe = Probe()
    hub = await started(start_gridhub, probe, 3600)
    town = await hub.socket("town1.cmd")
    case = await high_risk_case(hub)
    subject = f"mediation_case:{case['id']}"
    await town.next("escalation.alert", lambda e: e["subject"] == subject)
    commander = await hub.sign_in("town1.cmd")
    detail = await commander.json("GET", f"{API}/cases/{case['id']}")
    await step(commander, detail, "take_risk", note="镇综治中心已派人")
    stopped = await town.next("escalation.chain.stopped", lambda e: e["subject"] == subject)
    assert stopped["reason"] == "take_risk"
    chain = await chain_of(commander, subject, "stopped")
    assert (chain["policy"], chain["next_step"]) == ("mediation-risk", 1)
    await hub.settle()
    assert [f.step for f in probe.fired if f.subject == subject] == [0]


async def test_the_deployments_policy_of_that_name_wins(
    start_gridhub: StartGridHub,  # noqa: F811
) -> None:
    county = {"level": "county", "after_s": 0, "actions": ["notify_room"]}
    county_only = {"name": "mediation-risk", "trigger": "request", "steps": [county]}
    policies = [*(p.model_dump() for p in DEFAULT_POLICIES), county_only]
    probe = Probe()
    hub = await started(start_gridhub, probe, 3600, {"policies": policies})
    county = await hub.socket("county.cmd")
    case = await high_risk_case(hub)
    subject = f"mediation_case:{case['id']}"
    alert = await county.next("escalation.alert", lambda e: e["subject"] == subject)
    assert (alert["level"], alert["policy"]) == ("county", "mediation-risk")
    [fired] = await probe.steps_of(subject, 1)
    assert (fired.level, fired.notified) == ("county", ())
    chain = await chain_of(await hub.sign_in("county.cmd"), subject, "finished")
    assert chain["next_step"] == 1  # one step: the deployment's


async def test_the_timeline_names_the_level_the_chain_reached(
    start_gridhub: StartGridHub,  # noqa: F811
) -> None:
    """A deployment's chain that stops at the town: the timeline line names the town (镇级),
    not the county."""
    village = {"level": "village", "after_s": 0, "actions": ["notify_room"]}
    town_step = {"level": "town", "after_s": 0.2, "actions": ["notify_room"]}
    policy = {"name": "mediation-risk", "trigger": "request", "steps": [village, town_step]}
    policies = [*(p.model_dump() for p in DEFAULT_POLICIES), policy]
    probe = Probe()
    hub = await started(start_gridhub, probe, 3600, {"policies": policies})
    town = await hub.socket("town1.cmd")
    case = await high_risk_case(hub)
    for _ in ("mediation's own alert at once", "the chain's town step"):
        raised = await town.next("mediation.risk_alert")
        assert (raised["step"], raised["case"]["id"]) == ("town", case["id"])
    detail = await (await hub.sign_in("town1.cmd")).json("GET", f"{API}/cases/{case['id']}")
    [line] = [s for s in detail["timeline"] if s["action"] == "risk_unanswered"]
    assert line["details"] == {
        "level": "town",
        "level_grid_id": await hub.grid_id(TOWN),
        "level_name": {"zh": "镇级", "en": "town"},
        "policy": "mediation-risk",
    }


async def test_a_disabled_default_starts_no_chain(
    start_gridhub: StartGridHub,  # noqa: F811
) -> None:
    probe = Probe()
    hub = await started(start_gridhub, probe, 0.2, {"disabled_defaults": ["mediation-risk"]})
    town = await hub.socket("town1.cmd")
    case = await high_risk_case(hub)
    assert (await town.next("mediation.risk_alert"))["case"]["id"] == case["id"]
    await hub.settle()
    county = await hub.sign_in("county.cmd")
    chains = (await county.json("GET", CHAINS + "active"))["chains"]
    chains += (await county.json("GET", CHAINS + "finished"))["chains"]
    assert [c for c in chains if c["subject"] == f"mediation_case:{case['id']}"] == []
    policies = await county.json("GET", "/api/v1/escalation/policies")
    assert policies["disabled_defaults"] == ["mediation-risk"]
    assert town.drain("escalation.alert") == []
