"""Scope and roles (who sees and works which case), hostile input refused with nothing changed,
the audited phone reveal, the socket step and the XLSX ledger."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from hub.testing import RunningHub
from tests.plugins.mediation.conftest import (
    API,
    OTHER_TOWN_VILLAGE,
    VILLAGE,
    download,
    new_case,
    step,
)


async def test_roles_and_scope(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    path = f"{API}/cases/{case['id']}"

    worker = await hub.sign_in("w01")  # grid staff without a mediation role
    assert await worker.refused("GET", f"{API}/cases") == (403, "auth.role_required")
    assert await hub.anonymous().refused("GET", path) == (401, "auth.required")

    far = await hub.sign_in("med.far")  # a mediator of another town's village
    assert await far.refused("GET", path) == (404, "mediation.case_not_found")
    assert (await far.json("GET", f"{API}/cases"))["cases"] == []
    assert await far.refused("POST", f"{API}/cases", json=new_case(village)) == (
        403, "scope.forbidden")  # fmt: skip
    far_village = await hub.grid_id(OTHER_TOWN_VILLAGE)
    await far.json("POST", f"{API}/cases", json=new_case(far_village))

    adviser = await hub.sign_in("law.v01")  # reads its village's cases, works none
    assert (await adviser.json("GET", path))["id"] == case["id"]
    version = {"version": case["version"]}
    assert await adviser.refused("POST", f"{path}/accept", json=version) == (
        403, "auth.role_required")  # fmt: skip
    county = await hub.sign_in("county.cmd")  # a command centre above works it
    accepted = await step(county, case, "accept")
    assert accepted["state"] == "accepted"
    listed = (await mediator.json("GET", f"{API}/cases"))["cases"]
    assert [c["id"] for c in listed] == [case["id"]]  # not the other town's
    mine = await mediator.json("GET", f"{API}/mine")
    assert [g["id"] for g in mine["grids"]] == [village]
    assert mine["ledger_grid"]["id"] == village
    town = await (await hub.sign_in("town1.cmd")).json("GET", f"{API}/mine")
    assert [g["level"] for g in town["grids"]] == ["town"] + ["village"] * 4


async def test_hostile_input_changes_nothing(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    path = f"{API}/cases/{case['id']}"
    bad_cases: list[dict[str, Any]] = [
        new_case(village, type="witchcraft"),
        new_case(village, amount_yuan=-5),
        new_case(village, parties=[]),
        new_case(village, parties=[{"name": "甲"}] * 21),
        new_case(village, parties=[{"name": "甲", "phone": "call me"}]),
        new_case(village, summary=""),
        new_case(2**40),
        {**new_case(village), "state": "performed"},
    ]
    for body in bad_cases:
        assert await mediator.refused("POST", f"{API}/cases", json=body) == (
            422, "request.invalid"), body  # fmt: skip
    v = case["version"]
    for action, body in [
        ("agree", {"version": v}),
        ("refer", {"version": v, "to": "the moon"}),
        ("assign", {"version": v, "mediator_ids": []}),
        ("risk", {"version": 0, "risk": "high"}),
    ]:
        assert await mediator.refused("POST", f"{path}/{action}", json=body) == (
            422, "request.invalid"), action  # fmt: skip
    w01 = await hub.person_id("w01")  # no mediator
    assigned = await mediator.refused(
        "POST", f"{path}/assign", json={"version": v, "mediator_ids": [w01]}
    )
    assert assigned == (409, "mediation.mediator_invalid")
    assert (await mediator.refused("GET", f"{API}/cases/0"))[0] == 422
    perform = {"version": v, "performed": True}
    assert await mediator.refused("POST", f"{path}/perform", json=perform) == (
        409, "mediation.bad_state")  # fmt: skip
    after = await mediator.json("GET", path)
    assert (after["version"], after["state"], after["mediator_ids"]) == (v, "pending", [])
    assert [s["action"] for s in after["timeline"]] == ["opened"]
    assert len((await mediator.json("GET", f"{API}/cases"))["cases"]) == 1


async def test_phone_reveal_is_audited_and_the_socket_step_works(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    party = detail["parties"][0]
    assert party["phone"] == "138****1234"
    reveal = f"{API}/cases/{case['id']}/parties/{party['id']}/phone"
    adviser = await hub.sign_in("law.v01")
    assert await adviser.refused("POST", reveal) == (403, "auth.role_required")
    assert (await mediator.json("POST", reveal))["phone"] == "13800001234"
    audit = await (await hub.admin()).json(
        "GET", "/api/v1/audit", params={"action": "mediation.party.reveal"}
    )
    assert [(e["actor"], e["target_id"]) for e in audit] == [("med.v01", str(party["id"]))]

    socket = await hub.socket("med.v01")
    ack = await socket.ok("mediation.step", {"case_id": case["id"], "action": "accept",
                                             "body": {"version": case["version"]}})  # fmt: skip
    assert ack["case"]["state"] == "accepted"
    refused = await socket.call(
        "mediation.step", {"case_id": case["id"], "action": "explode", "body": {}}
    )
    assert refused["error"]["code"] == "mediation.action_unknown"


async def test_ledger_export(hub: RunningHub) -> None:
    village = await hub.grid_id(VILLAGE)
    mediator = await hub.sign_in("med.v01")
    done = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    done = await step(mediator, done, "accept")
    done = await step(mediator, done, "agree", terms="赔偿五百元")
    done = await step(mediator, done, "perform", performed=True)
    failed = await mediator.json(
        "POST", f"{API}/cases", json=new_case(village, type="labour_wages")
    )
    failed = await step(mediator, failed, "accept")
    failed = await step(mediator, failed, "fail")
    await mediator.json("POST", f"{API}/cases", json=new_case(village, type="damages"))

    kpis = await mediator.json("GET", f"{API}/ledger", params={"grid_id": str(village)})
    assert (kpis["total"], kpis["open"], kpis["concluded"]) == (3, 1, 2)
    assert (kpis["success_rate"], kpis["performance_rate"], kpis["village_share"]) == (
        0.5,
        1.0,
        1.0,
    )
    assert kpis["by_type"] == {"neighbours": 1, "labour_wages": 1, "damages": 1}
    only = await mediator.json(
        "GET", f"{API}/ledger", params={"grid_id": str(village), "type": "damages"}
    )
    assert only["total"] == 1

    status, kind, body = await download(mediator, f"{API}/ledger.xlsx?grid_id={village}")
    assert (status, kind.rsplit(".", 1)[-1]) == (200, "sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(body))["调解台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "受理日期", "网格")
    numbers = [r[0] for r in rows[1:]]
    assert len(numbers) == 3
    assert {done["number"], failed["number"]} <= set(numbers)
    assert ("东庄村", "村级", "劳资纠纷", "调解失败") in {r[2:6] for r in rows[1:]}
