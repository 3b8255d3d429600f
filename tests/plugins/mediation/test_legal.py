"""Legal questions: a resident asks without an account and gets a tracking code, the village's
legal adviser is told live and answers, the resident reads the answer by code and rates it;
the SLA's timer marks an unanswered question overdue; others may not answer; bad input and the
per-address limit change nothing."""

from __future__ import annotations

import pytest

from hub.testing import RunningHub
from hub.testing.fixtures import StartGridHub
from tests.plugins.mediation.conftest import API, VILLAGE, add_people

PUBLIC = f"{API}/public/questions"
QUESTION = "邻居占用我家宅基地建猪圈，我可以起诉吗？"


@pytest.fixture
async def legal_hub(start_gridhub: StartGridHub) -> RunningHub:
    hub = await start_gridhub(
        ["mediation"],
        demo=True,
        config={"mediation": {"question_sla_s": 0.3, "questions_per_hour": 3}},
        timers={"poll_s": 0.05},
    )
    await add_people(hub)
    return hub


async def test_ask_answer_track_and_rate(legal_hub: RunningHub) -> None:
    hub = legal_hub
    resident = hub.anonymous()
    villages = (await resident.json("GET", f"{API}/public/villages"))["villages"]
    village = await hub.grid_id(VILLAGE)
    assert {"id": village, "name": "东庄村", "town": "洛城街道"} in villages
    adviser_socket = await hub.socket("law.v01")
    asked = await resident.json(
        "POST", PUBLIC, json={"village_id": village, "text": QUESTION, "name": "孙大海",
                              "phone": "13900001111"})  # fmt: skip
    code = asked["code"]
    assert len(code) == 10
    assert "孙大海" not in str(asked)  # the code shows no name
    pushed = await adviser_socket.next("mediation.question")
    assert (pushed["action"], pushed["question"]["code"]) == ("asked", code)

    adviser = await hub.sign_in("law.v01")
    [listed] = (await adviser.json("GET", f"{API}/questions"))["questions"]
    assert (listed["text"], listed["asker_name"]) == (QUESTION, "孙大海")
    answer = {
        "version": listed["version"],
        "answer": "可先申请村调委会调解，调解不成可向法院起诉。",
    }
    path = f"{API}/questions/{listed['id']}/answer"
    mediator = await hub.sign_in("med.v01")  # reads the village's questions, answers none
    assert await mediator.refused("POST", path, json=answer) == (403, "auth.role_required")
    far = await hub.sign_in("med.far")
    assert (await far.json("GET", f"{API}/questions"))["questions"] == []
    answered = await adviser.json("POST", path, json=answer)
    assert answered["state"] == "answered"
    again = {**answer, "version": answered["version"]}
    assert await adviser.refused("POST", path, json=again) == (409, "mediation.already_answered")

    tracked = await resident.json("GET", f"{PUBLIC}/{code}")
    assert (tracked["state"], tracked["answer"]) == ("answered", answer["answer"])
    rated = await resident.json(
        "POST", f"{PUBLIC}/{code}/rate", json={"rating": 5, "note": "很及时"}
    )
    assert rated["rating"] == 5
    assert await resident.refused("POST", f"{PUBLIC}/{code}/rate", json={"rating": 1}) == (
        409, "mediation.not_ratable")  # fmt: skip
    assert await resident.refused("GET", f"{PUBLIC}/ABCDEFGHJK") == (
        404,
        "mediation.question_not_found",
    )


async def test_overdue_and_hostile_input(legal_hub: RunningHub) -> None:
    hub = legal_hub
    resident = hub.anonymous()
    village = await hub.grid_id(VILLAGE)
    town = await hub.grid_id("370783-001")
    town_socket = await hub.socket("town1.cmd")
    for body in [
        {"village_id": village, "text": "短"},
        {"village_id": village, "text": QUESTION, "phone": "call me"},
        {"village_id": town, "text": QUESTION},  # a town is no village
        {"village_id": village, "text": QUESTION, "extra": 1},
    ]:
        status, _ = await resident.refused("POST", PUBLIC, json=body)
        assert status == 422, body
    asked = await resident.json("POST", PUBLIC, json={"village_id": village, "text": QUESTION})
    overdue = await town_socket.next("mediation.question", lambda d: d["action"] == "overdue")
    assert overdue["question"]["code"] == asked["code"]
    await resident.json("POST", PUBLIC, json={"village_id": village, "text": QUESTION})
    await resident.json("POST", PUBLIC, json={"village_id": village, "text": QUESTION})
    limited = await resident.refused("POST", PUBLIC, json={"village_id": village, "text": QUESTION})
    assert limited == (429, "mediation.rate_limited")
    adviser = await hub.sign_in("law.v01")
    questions = (await adviser.json("GET", f"{API}/questions"))["questions"]
    assert len(questions) == 3  # the refused ones stored nothing
    assert any(q["overdue"] for q in questions)
    assert await resident.refused("POST", f"{PUBLIC}/{asked['code']}/rate", json={"rating": 4}) == (
        409, "mediation.not_ratable")  # fmt: skip


async def test_a_resident_applies_for_mediation_and_follows_it(legal_hub: RunningHub) -> None:
    hub = legal_hub
    resident = hub.anonymous()
    village = await hub.grid_id(VILLAGE)
    watch = await hub.socket("med.v01")
    application = {"village_id": village, "type": "neighbours", "summary": "邻居门口堆放建筑垃圾",
                   "name": "孙大海", "phone": "13900001111", "respondent": "钱多多"}  # fmt: skip
    applied = await resident.json("POST", f"{API}/public/cases", json=application)
    pushed = await watch.next("mediation.case", lambda d: d["action"] == "opened")
    assert (pushed["case"]["source"], pushed["case"]["number"]) == ("resident", applied["number"])
    mediator = await hub.sign_in("med.v01")
    case = await mediator.json("GET", f"{API}/cases/{pushed['case']['id']}")
    assert [(p["name"], p["side"]) for p in case["parties"]] == [
        ("孙大海", "applicant"), ("钱多多", "respondent")]  # fmt: skip
    case = await mediator.json(
        "POST", f"{API}/cases/{case['id']}/accept", json={"version": case["version"]}
    )
    progress = await resident.json("GET", f"{API}/public/cases/{applied['code']}")
    assert (progress["state"], progress["committee"]) == ("accepted", "东庄村")
    assert [s["action"] for s in progress["steps"]] == ["opened", "accept"]
    assert "孙大海" not in str(progress)
    assert "1390000" not in str(progress)
    town = await hub.grid_id("370783-001")
    assert await resident.refused("POST", f"{API}/public/cases", json={
        **application, "village_id": town}) == (422, "mediation.village_unknown")  # fmt: skip
    # Applying and asking share the per-address limit (3 an hour here).
    await resident.json("POST", PUBLIC, json={"village_id": village, "text": QUESTION})
    await resident.json("POST", PUBLIC, json={"village_id": village, "text": QUESTION})
    limited = await resident.refused("POST", f"{API}/public/cases", json=application)
    assert limited == (429, "mediation.rate_limited")
    assert len((await mediator.json("GET", f"{API}/cases"))["cases"]) == 1
