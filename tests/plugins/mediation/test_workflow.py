"""The whole workflow over real HTTP and sockets: intake at an office, accept, assign,
session, agreement, performance; failure and referral; escalation to the town; the timeline,
versions and audit; the agreement PDF with Chinese text."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from hub.testing import RunningHub
from tests.plugins.mediation.conftest import API, VILLAGE, download, new_case, step


async def test_office_case_to_agreement_and_performance(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    watcher = await hub.socket("med.v01")
    commander = await hub.socket("town1.cmd")
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    assert (case["level"], case["level_grid_id"], case["state"]) == ("village", village, "pending")
    assert case["number"].startswith("TJ")
    assert case["amount_yuan"] == 1200.5
    pushed = await commander.next("mediation.case", lambda d: d["case"]["id"] == case["id"])
    assert pushed["action"] == "opened"
    await watcher.next("mediation.case", lambda d: d["case"]["id"] == case["id"])

    me = await hub.person_id("med.v01")
    case = await step(mediator, case, "accept")
    case = await step(mediator, case, "assign", mediator_ids=[me])
    at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    scheduled = await mediator.json(
        "POST",
        f"{API}/cases/{case['id']}/sessions",
        json={"version": case["version"], "scheduled_at": at, "place": "村委会调解室",
              "attendees": ["张建国", "李秀兰"]},
    )  # fmt: skip
    session_id = scheduled["session"]["id"]
    recorded = await mediator.json(
        "POST",
        f"{API}/cases/{case['id']}/sessions/{session_id}/record",
        json={"version": scheduled["version"], "record": "双方陈述事实，同意各退一步"},
    )
    case = await step(mediator, recorded, "agree", terms="李秀兰于十日内改建滴水檐，张建国不再追究")
    assert (case["state"], case["performance"]) == ("agreed", "pending")
    case = await step(mediator, case, "confirm", judicial_confirmation=True)
    case = await step(mediator, case, "perform", performed=True, note="已改建")
    assert (case["state"], case["performance"]) == ("performed", "performed")
    assert case["closed_at"] is not None

    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    actions = [s["action"] for s in detail["timeline"]]
    assert actions == ["opened", "accept", "assign", "session_scheduled", "session_recorded",
                       "agree", "confirm", "perform"]  # fmt: skip
    assert [s["version"] for s in detail["timeline"]] == list(range(1, 9))
    assert detail["sessions"][0]["record"] == "双方陈述事实，同意各退一步"
    assert detail["parties"][0]["phone"] == "138****1234"  # masked by default
    audit = await (await hub.admin()).json(
        "GET", "/api/v1/audit", params={"target_type": "mediation_case"}
    )
    assert {"mediation.case.agree", "mediation.case.perform"} <= {e["action"] for e in audit}


async def test_agreement_pdf_has_the_chinese_text(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    refused = await mediator.refused("GET", f"{API}/cases/{case['id']}/agreement.pdf")
    assert refused == (404, "mediation.no_agreement")
    case = await step(mediator, case, "accept")
    case = await step(mediator, case, "agree", terms="张建国赔偿李秀兰人民币八百元")
    status, kind, body = await download(mediator, f"{API}/cases/{case['id']}/agreement.pdf")
    assert (status, kind) == (200, "application/pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    for words in (
        "人民调解协议书",
        "张建国",
        "李秀兰",
        "赔偿李秀兰人民币八百元",
        "东庄村",
        case["number"],
    ):
        assert words in text, words


async def test_failure_is_referred_with_the_record(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village, type="labour_wages"))
    case = await step(mediator, case, "accept")
    case = await step(mediator, case, "fail", note="被申请人拒不到场")
    assert case["state"] == "failed"
    case = await step(mediator, case, "refer", to="arbitration", note="引导申请劳动仲裁")
    assert (case["state"], case["referral"]) == ("referred", "arbitration")
    assert await mediator.refused(
        "POST", f"{API}/cases/{case['id']}/accept", json={"version": case["version"]}
    ) == (409, "mediation.bad_state")


async def test_escalation_village_to_town_and_the_town_takes_over(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    town_id = await hub.grid_id("370783-001")
    village_mediator = await hub.sign_in("med.v01")
    town_mediator = await hub.sign_in("med.town1")
    town_watch = await hub.socket("med.town1")
    case = await village_mediator.json("POST", f"{API}/cases", json=new_case(village))
    case = await step(village_mediator, case, "accept")
    case = await step(village_mediator, case, "escalate", note="涉及两村土地边界")
    assert (case["level"], case["level_grid_id"], case["state"]) == ("town", town_id, "pending")
    await town_watch.next(
        "mediation.case", lambda d: d["case"]["id"] == case["id"] and d["action"] == "escalate"
    )
    # The village committee no longer handles it; the town's does.
    stale = {"version": case["version"]}
    assert await village_mediator.refused(
        "POST", f"{API}/cases/{case['id']}/accept", json=stale
    ) == (403, "mediation.not_handler")
    case = await step(town_mediator, case, "accept")
    case = await step(town_mediator, case, "agree", terms="按镇国土所测绘结果确定边界")
    ledger = await town_mediator.json("GET", f"{API}/ledger", params={"grid_id": str(town_id)})
    assert (ledger["village_share"], ledger["success_rate"]) == (0.0, 1.0)


async def test_stale_version_is_refused_and_changes_nothing(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    accepted = await step(mediator, case, "accept")
    refused = await mediator.refused(
        "POST", f"{API}/cases/{case['id']}/fail", json={"version": case["version"]}
    )
    assert refused == (409, "mediation.version_conflict")
    after = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert (after["state"], after["version"]) == ("accepted", accepted["version"])
