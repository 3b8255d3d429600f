"""Two hub nodes on one PostgreSQL database and one Redis (cluster mode): the plugin's branch
migrates there, a dispute incident reported on one node becomes exactly one case, whose pushes
reach a mediator connected to the other node; the risk chain's timer fires once, cluster-wide."""

from __future__ import annotations

import pytest

from hub.testing.fixtures import StartGridHub
from tests import services
from tests.plugins.mediation.conftest import API, BASIC, VILLAGE, add_people, new_case, step

pytestmark = pytest.mark.postgres


async def test_two_nodes_share_cases_pushes_and_the_risk_chain(
    start_gridhub: StartGridHub, postgres_server: str, redis_url: str
) -> None:
    with services.fresh_database(postgres_server, "gridhub_mediation_") as url:
        plugins = ["dispatch", "mediation"]
        options = {
            "database_url": url,
            "redis_url": redis_url,
            "config": {"mediation": {"risk_unanswered_s": 0.3}},
            "timers": {"poll_s": 0.05},
        }
        one = await start_gridhub(plugins, demo=True, **options)
        two = await start_gridhub(plugins, **options)
        await add_people(one)
        watch = await two.socket("med.v01")
        worker = await one.sign_in("w01")
        report = {"title": "邻里因排水沟争吵", "category": "dispute", "grid": BASIC}
        incident = await worker.json("POST", "/api/v1/dispatch/incidents", json=report)
        opened = await watch.next("mediation.case", lambda d: d["action"] == "opened")
        assert opened["case"]["incident_id"] == incident["id"]
        await one.settle()
        await two.settle()
        mediator = await two.sign_in("med.v01")
        cases = (await mediator.json("GET", f"{API}/cases"))["cases"]
        assert [c["incident_id"] for c in cases] == [incident["id"]]  # once, not per node
        accepted = await step(mediator, cases[0], "accept")
        assert (await watch.next("mediation.case", lambda d: d["action"] == "accept"))["case"][
            "version"
        ] == accepted["version"]

        county = await two.socket("county.cmd")
        village = await one.grid_id(VILLAGE)
        risky = await (await one.sign_in("med.v01")).json(
            "POST", f"{API}/cases", json=new_case(village, risk="high")
        )
        alert = await county.next("mediation.risk_alert")
        assert (alert["step"], alert["case"]["id"]) == ("county", risky["id"])
        detail = await mediator.json("GET", f"{API}/cases/{risky['id']}")
        assert [s["action"] for s in detail["timeline"]].count("risk_unanswered") == 1
        await one.stop()
        await two.stop()


async def test_two_nodes_link_archived_people_and_keep_the_default_chain(
    start_gridhub: StartGridHub, postgres_server: str, redis_url: str
) -> None:
    """The archive's answer reaches the asking node over Redis; the default escalation chain
    (`mediation-risk`) started on one node climbs to the county on the other after the first
    stopped."""
    from tests.plugins.archives.conftest import add_resident, id_number

    with services.fresh_database(postgres_server, "gridhub_mediation_") as url:
        plugins = ["escalation", "archives", "mediation"]
        options = {
            "database_url": url,
            "redis_url": redis_url,
            "config": {"mediation": {"risk_unanswered_s": 1.0}},
            "timers": {"poll_s": 0.05},
        }
        one = await start_gridhub(plugins, demo=True, **options)
        two = await start_gridhub(plugins, **options)
        await add_people(one)
        await one.add_person("arch.officer", [("archives_officer", "370783")])
        officer = await one.sign_in("arch.officer")
        basic = await one.grid_id(BASIC)
        person = await add_resident(officer, basic, id_number("37078319750606123"), name="孙立平")
        mediator = await two.sign_in("med.v01")
        village = await two.grid_id(VILLAGE)
        party = {"name": "孙立平", "side": "applicant", "person_id": person["id"]}
        case = await mediator.json(
            "POST", f"{API}/cases", json={**new_case(village), "parties": [party]}
        )
        detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
        assert detail["parties"][0]["person"]["name_masked"] == "孙**"
        # the archive renames the person on node one: the party's copy follows, once
        await officer.json("PATCH", f"/api/v1/archives/residents/{person['id']}",
                           json={"name": "钱立平"})  # fmt: skip
        await one.settle()
        await two.settle()
        renamed = await mediator.json("GET", f"{API}/cases/{case['id']}")
        assert renamed["parties"][0]["person"]["name_masked"] == "钱**"
        assert renamed["version"] == detail["version"]

        town, county = await two.socket("town1.cmd"), await two.socket("county.cmd")
        risky = await (await one.sign_in("med.v01")).json(
            "POST", f"{API}/cases", json=new_case(village, risk="high", place="")
        )
        subject = f"mediation_case:{risky['id']}"
        alert = await town.next("escalation.alert", lambda e: e["subject"] == subject)
        assert alert["policy"] == "mediation-risk"
        await one.stop()  # the county step is due in a second: node two's timers claim it
        raised = await county.next("mediation.risk_alert")
        assert (raised["step"], raised["case"]["id"]) == ("county", risky["id"])
        later = await mediator.json("GET", f"{API}/cases/{risky['id']}")
        assert [s["action"] for s in later["timeline"]].count("risk_unanswered") == 1
        await two.stop()
