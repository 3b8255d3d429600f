"""Escalation on any plugin's message and role-targeted steps, with real clients: an overdue
incident in a grid reaches the party's 包靠领导 of that grid through the chain (a
`notify_roles` step) and `EscalationStepFired` names them; a high-risk mediation case asks for
a chain (`EscalationRequested`) that alerts the town and stops when the risk is taken."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.sdk import BasePlugin, DomainMessage, PluginContext
from hub.testing import RunningHub
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)
from plugins.dispatch.lifecycle import DEFAULT_SLA
from plugins.escalation.config import DEFAULT_POLICIES
from plugins.escalation.messages import EscalationStepFired

VILLAGE, OTHER_VILLAGE, BASIC = "370783-001-001", "370783-001-002", "370783-001-001-01"
LEADER = "party_leader"


class Probe(BasePlugin):
    """The tests' own plugin, hearing escalation's steps as another plugin would."""

    name = "escalation_probe"
    optional = ("escalation",)

    def __init__(self) -> None:
        self.fired: list[EscalationStepFired] = []
        self.heard = asyncio.Condition()

    async def setup(self, ctx: PluginContext) -> None:
        ctx.on_cleanup(await ctx.bus.subscribe(EscalationStepFired, self.hear, group=self.name))

    async def hear(self, message: DomainMessage) -> None:
        assert isinstance(message, EscalationStepFired)
        async with self.heard:
            self.fired.append(message)
            self.heard.notify_all()

    async def steps_of(self, subject: str, count: int) -> list[EscalationStepFired]:
        """The first `count` steps fired for `subject` (waiting for them, within 10 s)."""

        def found() -> list[EscalationStepFired]:
            return [f for f in self.fired if f.subject == subject]

        async with asyncio.timeout(10), self.heard:
            await self.heard.wait_for(lambda: len(found()) >= count)
        return found()


def policies() -> list[dict[str, Any]]:
    """The default policies (overdue incidents reach the 包靠领导) and one for mediation."""
    town = {"level": "town", "after_s": 0, "actions": ["notify_room"]}
    county = {"level": "county", "after_s": 3600, "actions": ["notify_room"]}
    case_risk = {"name": "case-risk", "trigger": "request", "severities": ["high"],
                 "types": ["mediation_case"], "steps": [town, county]}  # fmt: skip
    return [*(p.model_dump() for p in DEFAULT_POLICIES), case_risk]


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
async def hub(start_gridhub: StartGridHub, probe: Probe) -> RunningHub:  # noqa: F811
    sla = {stage: dict(row) for stage, row in DEFAULT_SLA.items()}
    sla["intake"]["normal"] = 1
    started = await start_gridhub(
        ["dispatch", "escalation", "mediation", "party", probe],
        demo=True,
        config={"dispatch": {"sla": sla}, "escalation": {"policies": policies()}},
        timers={"poll_s": 0.05},
    )
    await started.add_person("lead.v01", [(LEADER, VILLAGE)], display_name="包靠领导甲")
    await started.add_person("lead.v02", [(LEADER, OTHER_VILLAGE)], display_name="包靠领导乙")
    await started.add_person("med.v01", [("mediation_mediator", VILLAGE)])
    return started


async def test_an_overdue_incident_reaches_its_grids_leader(hub: RunningHub, probe: Probe) -> None:
    leader, elsewhere = await hub.socket("lead.v01"), await hub.socket("lead.v02")
    worker = await hub.sign_in("w01")
    report = {"title": "村道塌陷无人处理", "category": "road_facility", "grid": BASIC}
    incident = await worker.json("POST", "/api/v1/dispatch/incidents", json=report)
    alert = await leader.next(
        "escalation.alert", lambda e: e["context"].get("incident_id") == incident["id"]
    )
    assert (alert["trigger"], alert["level"], alert["roles"]) == ("incident", "village", [LEADER])
    assert alert["level_grid_id"] == await hub.grid_id(VILLAGE)
    [fired] = await probe.steps_of(f"incident:{incident['id']}", 1)
    assert fired.notified == (await hub.person_id("lead.v01"),)
    assert (fired.policy, fired.step) == ("incident-overdue", 0)
    assert elsewhere.drain("escalation.alert") == []


async def test_a_high_risk_case_runs_a_chain_until_taken(hub: RunningHub, probe: Probe) -> None:
    town_commander = await hub.socket("town1.cmd")
    mediator = await hub.sign_in("med.v01")
    case_spec = {"grid_id": await hub.grid_id(VILLAGE), "type": "neighbours", "risk": "high",
                 "summary": "两家因宅基地争执，扬言动手",
                 "parties": [{"name": "张建国", "side": "applicant"}]}  # fmt: skip
    case = await mediator.json("POST", "/api/v1/mediation/cases", json=case_spec)
    subject = f"mediation_case:{case['id']}"
    alert = await town_commander.next("escalation.alert", lambda e: e["subject"] == subject)
    assert [f.step for f in await probe.steps_of(subject, 1)] == [0]
    assert (alert["trigger"], alert["level"], alert["policy"]) == ("request", "town", "case-risk")
    assert alert["context"]["title"] == f"矛盾纠纷可能激化 {case['number']}"

    town = await hub.sign_in("town1.cmd")
    detail = await town.json("GET", f"/api/v1/mediation/cases/{case['id']}")
    payload = {"version": detail["version"], "note": "镇综治中心已派人"}
    await town.json("POST", f"/api/v1/mediation/cases/{case['id']}/take_risk", json=payload)
    stopped = await town_commander.next(
        "escalation.chain.stopped", lambda e: e["subject"] == subject
    )
    assert stopped["reason"] == "take_risk"
    await hub.settle()
    assert [f.step for f in probe.fired if f.subject == subject] == [0]  # never the county


def test_a_plugins_default_policy_yields_to_the_deployment() -> None:
    from plugins.escalation.config import EscalationConfig
    from plugins.escalation.messages import DefaultPolicy, DefaultStep

    offer = DefaultPolicy(name="demo-risk", severities=("high",),
                          steps=(DefaultStep(level="town", after_s=0),)).payload()  # fmt: skip
    policy = EscalationConfig().offered(offer, "high", "demo_case")
    assert policy is not None
    assert (policy.trigger, [s.level for s in policy.steps]) == ("request", ["town"])
    assert EscalationConfig().offered(offer, "low", "demo_case") is None  # does not match
    assert EscalationConfig(disabled_defaults=("demo-risk",)).offered(offer, "high", "k") is None
    own = DEFAULT_POLICIES[0].model_copy(update={"name": "demo-risk"})
    assert EscalationConfig(policies=(own,)).offered(offer, "high", "k") is None  # replaced
    with pytest.raises(ValueError, match="level"):
        EscalationConfig().offered({**offer, "steps": [{"level": "moon", "after_s": 0}]}, "", "")
    bad = {"level": "town", "after_s": 0, "actions": ["notifier"], "notifiers": ["pager"]}
    with pytest.raises(ValueError, match="notifiers"):
        EscalationConfig().offered({**offer, "steps": [bad]}, "high", "k")
