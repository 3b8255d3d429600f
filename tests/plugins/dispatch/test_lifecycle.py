"""The closed loop with real socket.io clients: commander, worker and verifier."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from hub.keys import GRIDS, SESSIONS
from storage.models import AuditEntry
from tests.hub.conftest import Hub
from tests.hub.sockets import Peer, joined
from tests.plugins.dispatch.conftest import BASIC, VILLAGE, api_as, centre, person_id


def of(incident_id: int, action: str) -> Any:
    """Match a `dispatch.incident` push about one incident and action."""
    return lambda e: e["incident"]["id"] == incident_id and e["action"] == action


async def test_whole_loop_reaches_every_party_live(hub: Hub, peers: list[Peer]) -> None:
    client = hub.client
    commander = await joined(client, peers, "v01.cmd")
    worker = await joined(client, peers, "w01")
    verifier = await joined(client, peers, "v01.lead")
    w01 = await person_id(client, "w01")

    # The worker reports from the field; the village centre sees it arrive.
    reply = await worker.ok("dispatch.report", {
        "title": "河道垃圾", "category": "env_sanitation", "description": "桥下堆积",
        "location": centre(client),
    })  # fmt: skip
    incident = reply["incident"]
    assert incident["state"] == "reported"
    assert incident["number"].startswith("370783-2026-")
    seen = await commander.next("dispatch.incident", of(incident["id"], "reported"))
    assert seen["actor"]["id"] == w01

    cmd = await api_as(client, "v01.cmd")
    incident = await cmd.act(incident, "register")
    await worker.ok("location.report", {**centre(client), "accuracy": 5})
    suggested = await cmd.call("GET", f"/incidents/{incident['id']}/suggestions")
    first = suggested["suggestions"][0]
    assert (first["person_id"], first["own_grid"], first["presence"]) == (w01, True, "online")
    assert first["distance_m"] == 0
    assert any(s["username"] == "v01.lead" for s in suggested["suggestions"][1:])
    incident = await cmd.act(
        incident, "dispatch", assignees=[{"kind": "person", "target": str(w01)}]
    )
    assert incident["state"] == "dispatched"
    pushed = await worker.next("dispatch.incident", of(incident["id"], "dispatch"))
    assert pushed["incident"]["assignments"][0]["target"] == str(w01)
    assert pushed["incident"]["channel_id"] is None  # the talk channel opens on first use
    opened = await worker.ok("dispatch.channel", {"incident_id": incident["id"]})

    # The worker works it through over the socket; the console follows every step.
    for action, extra in [
        ("sign", {}),
        ("en_route", {}),
        ("on_scene", {"location": {"lon": 118.5601, "lat": 37.0401}}),
        ("handle", {"note": "已清理完毕", "attachments": [7]}),
    ]:
        reply = await worker.ok("dispatch.act", {
            "incident_id": incident["id"], "action": action,
            "version": incident["version"], **extra,
        })  # fmt: skip
        incident = reply["incident"]
        await commander.next("dispatch.incident", of(incident["id"], action))
    assert incident["state"] == "handled"

    reply = await verifier.ok("dispatch.act", {
        "incident_id": incident["id"], "action": "verify", "version": incident["version"],
        "passed": True,
    })  # fmt: skip
    incident = await cmd.act(reply["incident"], "close", note="核查通过, 结案")
    assert incident["state"] == "closed"
    await worker.next("dispatch.incident", of(incident["id"], "close"))

    reporter = await api_as(client, "w01")
    incident = await reporter.act(incident, "rate", rating=5, note="处理及时")
    detail = await cmd.get(incident["id"])
    assert detail["rating"] == 5
    assert [e["action"] for e in detail["timeline"]] == [
        "reported", "register", "dispatch", "sign", "en_route", "on_scene", "handle",
        "verify", "close", "rate",
    ]  # fmt: skip
    assert detail["attachments"] == [7]
    assert detail["timeline"][5]["data"]["location"] == {"lon": 118.5601, "lat": 37.0401}
    assert detail["grid_id"] == client.app[GRIDS].index.by_code(BASIC).id
    again = await cmd.call("POST", f"/incidents/{incident['id']}/channel")
    assert again["channel_id"] == opened["channel_id"] == detail["channel_id"]
    await _channel_holds(commander, worker, opened["channel_id"], {"v01.cmd", "w01", "v01.lead"})
    await _audited(hub, incident["id"], 10)


async def _channel_holds(commander: Peer, worker: Peer, channel_id: int, names: set[str]) -> None:
    """The incident channel holds everyone involved and tells the story in system notices."""
    members = (await commander.ok("channel.members", {"channel_id": channel_id}))["members"]
    assert names <= {m["username"] for m in members}
    history = await worker.ok("channel.history", {"channel_id": channel_id})
    said = [m["body"]["notice"] for m in history["messages"] if m["kind"] == "system"]
    assert said == ["dispatch.sign", "dispatch.handle", "dispatch.verify", "dispatch.close"]


async def _audited(hub: Hub, incident_id: int, count: int) -> None:
    sessions = hub.client.app[SESSIONS]
    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(
                AuditEntry.target_type == "incident", AuditEntry.target_id == str(incident_id)
            )
        )
        actions = [r.action for r in rows]
    assert len(actions) == count, actions
    assert all(a.startswith("dispatch.") for a in actions)


def _person(person_id: int) -> dict[str, str]:
    return {"kind": "person", "target": str(person_id)}


async def test_return_and_redispatch(hub: Hub) -> None:
    client = hub.client
    cmd = await api_as(client, "v01.cmd")
    worker = await api_as(client, "w01")
    w01, w02 = await person_id(client, "w01"), await person_id(client, "w02")
    incident = await cmd.report()
    assert incident["state"] == "registered"  # a commander's own entry is registered at once
    incident = await cmd.act(
        incident, "dispatch", assignees=[{"kind": "person", "target": str(w01)}]
    )
    incident = await worker.act(incident, "sign")
    refused = await worker.act(incident, "return", status=422)  # a return needs a reason
    assert refused["error"]["code"] == "incident.note_required"
    assert (await worker.get(incident["id"]))["version"] == incident["version"]
    incident = await worker.act(incident, "return", note="不属于本网格")
    assert incident["state"] == "registered"
    assert incident["returns"] == 1
    assert [a["state"] for a in incident["assignments"]] == ["returned"]
    await worker.act(incident, "en_route", status=409)  # back with the centre
    incident = await cmd.act(
        incident, "dispatch", assignees=[{"kind": "person", "target": str(w02)}]
    )
    assert incident["assignments"][-1] == {**incident["assignments"][-1], "state": "pending"}
    mine = await worker.call("GET", "/incidents?mine=true")
    assert incident["id"] not in [i["id"] for i in mine["items"]]


async def test_escalation_climbs_two_levels(hub: Hub) -> None:
    client = hub.client
    village, town = await api_as(client, "v01.cmd"), await api_as(client, "town1.cmd")
    county = await api_as(client, "county.cmd")
    incident = await village.report()
    incident = await village.act(incident, "escalate", note="本村无法处理")
    level_town = incident["level_grid_id"]
    assert incident["state"] == "registered"
    await village.act(incident, "dispatch", status=403,
                      assignees=[{"kind": "grid", "target": VILLAGE}])  # fmt: skip
    incident = await town.act(incident, "escalate", note="需市级协调")
    assert incident["level_grid_id"] != level_town
    await town.act(incident, "escalate", status=403, note="again")  # the county has it now
    await county.act(incident, "escalate", status=409, note="nowhere above")
    incident = await county.act(
        incident, "dispatch", assignees=[{"kind": "grid", "target": VILLAGE}]
    )
    detail = await county.get(incident["id"])
    steps = [e for e in detail["timeline"] if e["action"] == "escalate"]
    assert [s["data"]["to_grid"] for s in steps] == [level_town, incident["level_grid_id"]]


async def test_co_handling_with_a_lead(hub: Hub) -> None:
    client = hub.client
    admin = await api_as(client, "admin")
    lead_id = await person_id(client, "w08")  # of another village: not under the lead grid
    await admin.call("PUT", "/departments/water", {
        "code": "water", "name": "水利局", "members": [lead_id],
    })  # fmt: skip
    cmd = await api_as(client, "v01.cmd")
    incident = await cmd.report(category="flood", title="沟渠堵塞")
    await cmd.act(incident, "dispatch", status=422, assignees=[  # two assignees, no lead
        {"kind": "grid", "target": "370783-001-001-01"}, {"kind": "department", "target": "water"},
    ])  # fmt: skip
    incident = await cmd.act(incident, "dispatch", assignees=[
        {"kind": "grid", "target": "370783-001-001-01", "lead": True},
        {"kind": "department", "target": "water"},
    ])  # fmt: skip
    co = await api_as(client, "w08")
    incident = await co.act(incident, "sign")
    assert incident["state"] == "dispatched"  # the co-handler signed only their part
    worker = await api_as(client, "w01")  # responsible for the lead grid
    incident = await worker.act(incident, "sign")
    assert incident["state"] == "signed"
    assert [a["state"] for a in incident["assignments"]] == ["signed", "signed"]
    refused = await co.act(incident, "handle", status=403, note="done")  # not the lead
    assert refused["error"]["code"] == "incident.not_assignee"
    incident = await worker.act(incident, "handle", note="疏通完成")
    await worker.act(incident, "verify", status=403, passed=True)  # not the handler
    await co.act(incident, "verify", status=403, passed=True)  # a worker does not verify
    verifier = await api_as(client, "v01.lead")
    incident = await verifier.act(incident, "verify", passed=False, note="仍有积水")
    assert incident["state"] == "signed"


async def test_concurrent_actions_one_wins_the_other_sees_the_state(hub: Hub) -> None:
    client = hub.client
    village, town = await api_as(client, "v01.cmd"), await api_as(client, "town1.cmd")
    worker = await api_as(client, "w01")
    incident = await worker.report()
    results = await asyncio.gather(
        _raw_act(village, incident, "register", {}),
        _raw_act(town, incident, "reject", {"note": "重复上报"}),
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409], results
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 409)
    assert loser["error"]["code"] == "incident.conflict"
    assert winner["state"] in loser["error"]["message"]
    assert loser["error"]["details"] == {"state": winner["state"], "version": winner["version"]}


async def _raw_act(api: Any, incident: dict[str, Any], action: str, body: dict[str, Any]) -> Any:
    response = await api.client.post(
        f"/api/v1/dispatch/incidents/{incident['id']}/actions/{action}",
        json={"version": incident["version"], **body},
        headers=api.headers,
    )
    return response.status, await response.json()


async def test_reported_lists_only_the_callers_own_reports(hub: Hub) -> None:
    client = hub.client
    w01, cmd = await api_as(client, "w01"), await api_as(client, "v01.cmd")
    mine = await w01.report(title="东庄桥栏杆断裂", source="field")
    theirs = await cmd.report(title="村口路灯不亮")  # same grid, so w01 sees it in the board

    listed = await w01.call("GET", "/incidents?reported=true")
    assert [i["id"] for i in listed["items"]] == [mine["id"]]
    assert theirs["id"] in [i["id"] for i in (await w01.call("GET", "/incidents"))["items"]]
    listed = await cmd.call("GET", "/incidents?reported=true")
    assert theirs["id"] in [i["id"] for i in listed["items"]]
    assert mine["id"] not in [i["id"] for i in listed["items"]]
