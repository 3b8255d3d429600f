"""A dispute incident of dispatch becomes a case, and the case's outcome is published for the
incident; a high-risk case alerts its town's commanders at once and, untaken, the county's;
repeated disputes (same parties, same place) are linked and flagged."""

from __future__ import annotations

import pytest

from hub.testing import RunningHub
from hub.testing.fixtures import StartGridHub
from plugins.mediation.messages import CaseConcluded, CaseRiskRaised
from tests.plugins.mediation.conftest import (
    API,
    BASIC,
    COUNTY,
    VILLAGE,
    add_people,
    new_case,
    step,
)
from tests.plugins.mediation.probe import Probe


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
async def probed(start_gridhub: StartGridHub, probe: Probe) -> RunningHub:
    hub = await start_gridhub(
        ["dispatch", "mediation", probe],
        demo=True,
        config={"mediation": {"risk_unanswered_s": 0.2, "follow_up_after_s": 0.2}},
        timers={"poll_s": 0.05},
    )
    await add_people(hub)
    return hub


async def test_a_dispute_incident_becomes_a_case_whose_agreement_is_published(
    probed: RunningHub, probe: Probe
) -> None:
    mediator = await probed.sign_in("med.v01")
    watch = await probed.socket("med.v01")
    worker = await probed.sign_in("w01")
    report = {"title": "两户因排水沟争吵", "category": "dispute", "grid": BASIC}
    incident = await worker.json("POST", "/api/v1/dispatch/incidents", json=report)
    other = {"title": "路灯不亮", "category": "road_facility", "grid": BASIC}
    await worker.json("POST", "/api/v1/dispatch/incidents", json=other)

    opened = await watch.next("mediation.case", lambda d: d["action"] == "opened")
    case = opened["case"]
    assert (case["incident_id"], case["incident_number"]) == (incident["id"], incident["number"])
    assert (case["source"], case["level"]) == ("incident", "village")
    assert case["grid_id"] == await probed.grid_id(BASIC)
    await probed.settle()
    listed = (await mediator.json("GET", f"{API}/cases"))["cases"]
    assert [c["incident_id"] for c in listed] == [incident["id"]]  # not the street light

    party = {"name": "孙大海", "side": "applicant"}
    case = await mediator.json(
        "POST",
        f"{API}/cases/{case['id']}/parties",
        json={"version": case["version"], "party": party},
    )
    case = await step(mediator, case, "accept")
    case = await step(mediator, case, "agree", terms="共同出资疏通排水沟")
    await probed.settle()
    [concluded] = probe.of(CaseConcluded)
    assert isinstance(concluded, CaseConcluded)
    assert (concluded.incident_id, concluded.outcome) == (incident["id"], "agreed")
    assert concluded.note == "共同出资疏通排水沟"
    # The follow-up visit (回访) falls due on its durable timer and is pushed to the mediator.
    due = await watch.next("mediation.case", lambda d: d["action"] == "follow_up_due")
    assert due["case"]["id"] == case["id"]
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert detail["timeline"][-1]["action"] == "follow_up_due"
    visited = await step(mediator, detail, "follow_up", note="回访：排水沟已疏通，双方满意")
    assert visited["version"] == detail["version"] + 1


async def test_high_risk_alerts_the_town_then_the_county_until_taken(
    probed: RunningHub, probe: Probe
) -> None:
    village = await probed.grid_id(VILLAGE)
    town_commander = await probed.socket("town1.cmd")
    county_commander = await probed.socket("county.cmd")
    other_town = await probed.socket("town2.cmd")
    mediator = await probed.sign_in("med.v01")
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village, risk="high"))

    alert = await town_commander.next("mediation.risk_alert")
    assert (alert["step"], alert["case"]["id"]) == ("town", case["id"])
    # Nobody took it: the county is alerted next, and the timeline says so.
    raised = await county_commander.next("mediation.risk_alert")
    assert (raised["step"], raised["case"]["id"]) == ("county", case["id"])
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    [line] = [s for s in detail["timeline"] if s["action"] == "risk_unanswered"]
    assert line["details"] == {
        "level": "county",
        "level_grid_id": await probed.grid_id(COUNTY),
        "level_name": {"zh": "县级", "en": "county"},
    }
    assert other_town.drain("mediation.risk_alert") == []
    [message] = probe.of(CaseRiskRaised)
    assert isinstance(message, CaseRiskRaised)
    assert (message.case_id, message.town_grid_id) == (
        case["id"],
        await probed.grid_id("370783-001"),
    )

    town = await probed.sign_in("town1.cmd")
    taken = await step(town, detail, "take_risk", note="镇综治中心已派人")
    assert taken["risk_taken"] is True
    again = await town.refused(
        "POST", f"{API}/cases/{case['id']}/take_risk", json={"version": taken["version"]}
    )
    assert again == (409, "mediation.risk_not_open")


async def test_repeated_disputes_are_linked_and_flagged(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    first = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    second = await mediator.json(
        "POST", f"{API}/cases", json=new_case(village, place="西头打谷场", type="damages")
    )
    elsewhere = new_case(village, place="", parties=[{"name": "周明", "side": "applicant"}])
    unrelated = await mediator.json("POST", f"{API}/cases", json=elsewhere)
    assert (first["repeat"], second["repeat"], unrelated["repeat"]) == (False, True, False)
    detail = await mediator.json("GET", f"{API}/cases/{first['id']}")
    assert detail["repeat"] is True
    assert detail["links"] == [
        {"case_id": second["id"], "number": second["number"], "reason": "parties"}
    ]
    # Another dispute at the same place (东庄村三组), other parties: linked by the place.
    same_place = new_case(village, parties=[{"name": "钱多多", "side": "applicant"}])
    fourth = await mediator.json("POST", f"{API}/cases", json=same_place)
    links = (await mediator.json("GET", f"{API}/cases/{fourth['id']}"))["links"]
    assert [(link["case_id"], link["reason"]) for link in links] == [(first["id"], "place")]
