"""The alarm model: dedupe of repeats, commander actions, propagation scope, history, audit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from hub import audit
from hub.keys import SESSIONS
from plugins.alarms.client import DeviceClient
from plugins.alarms.messages import AlarmChanged
from storage.models import AuditEntry
from tests.hub.conftest import login, person_id
from tests.hub.sockets import Peer, joined
from tests.plugins.alarms.conftest import GAS_TOWN3, AlarmHub, BusProbe, StartAlarms, eventually

TEMP = "dev-temp-01"  # 东庄村 grid 02: v01.cmd's village, town1.cmd's town


async def connected(hub: AlarmHub, devices: list[DeviceClient], code: str) -> DeviceClient:
    device = hub.device(code)
    devices.append(device)
    await device.connect()
    return device


async def alarms_of(hub: AlarmHub, username: str, **params: Any) -> list[dict[str, Any]]:
    token = await login(hub.client, username)
    response = await hub.api("GET", "", token, params=params)
    assert response.status == 200, await response.text()
    body: list[dict[str, Any]] = await response.json()
    return body


async def smoke_alarm(
    hub: AlarmHub, devices: list[DeviceClient], seen_by: str = "v01.cmd"
) -> dict[str, Any]:
    """A critical smoke alarm of TEMP, acknowledged by the hub; as `seen_by` lists it."""
    device = await connected(hub, devices, TEMP)
    await device.wait_acked(await device.alarm("smoke", "CRITICAL"))
    [alarm] = await alarms_of(hub, seen_by)
    return alarm


async def test_a_repeating_alarm_is_one_alarm_with_a_count(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    probe = BusProbe()
    await probe.attach(hub.app, AlarmChanged)
    device = await connected(hub, devices, TEMP)
    await device.alarm("overheat", "MINOR", value=46.0)
    await device.alarm("overheat", "MINOR", value=47.5, message="still hot")
    seq = await device.alarm("overheat", "CRITICAL", value=52.0)
    await device.wait_acked(seq)
    [alarm] = await alarms_of(hub, "admin")
    assert alarm["count"] == 3
    assert alarm["value"] == 52.0
    assert alarm["severity"] == "CRITICAL"
    assert alarm["status"] == "ACTIVE_UNACK"
    actions = await eventually(lambda: [m.action for m in probe.of(AlarmChanged)][:3])
    assert actions == ["raised", "repeated", "severity_changed"]
    assert probe.of(AlarmChanged)[1].message == "still hot"
    # cleared by the device, a new raise is a new alarm
    await device.clear("overheat")
    seq = await device.alarm("overheat", "MAJOR")
    await device.wait_acked(seq)
    listed = await alarms_of(hub, "admin")
    assert [(a["active"], a["count"]) for a in listed] == [(True, 1), (False, 3)]


async def test_commander_acknowledges_clears_comments_assigns(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    alarm = await smoke_alarm(hub, devices)
    token = await login(hub.client, "v01.cmd")
    path = f"/{alarm['id']}"
    response = await hub.api("POST", path + "/ack", token, json={"comment": "on my way"})
    assert response.status == 200
    assert (await response.json())["status"] == "ACTIVE_ACK"
    again = await hub.api("POST", path + "/ack", token, json={})
    assert again.status == 409
    assert (await again.json())["error"]["code"] == "alarm.already_acknowledged"
    assert (await hub.api("POST", path + "/comment", token, json={"text": "找到了"})).status == 200
    w01 = await person_id(hub.app, "w01")
    assigned = await hub.api("POST", path + "/assign", token, json={"person_id": w01})
    assert (await assigned.json())["assignee_id"] == w01
    cleared = await hub.api("POST", path + "/clear", token, json={"comment": "false alarm"})
    assert (await cleared.json())["status"] == "CLEARED_ACK"
    detail = await (await hub.api("GET", path, token)).json()
    history = [(h["action"], h["actor"], h["comment"]) for h in detail["history"]]
    assert history == [
        ("raised", f"device:{TEMP}", ""),
        ("acknowledged", "v01.cmd", "on my way"),
        ("commented", "v01.cmd", "找到了"),
        ("assigned", "v01.cmd", ""),
        ("cleared", "v01.cmd", "false alarm"),
    ]
    entries = await audit.query(hub.app[SESSIONS], audit.AuditQuery(target_type="alarm"))
    assert {e.action for e in entries} == {
        "alarm.acknowledge",
        "alarm.comment",
        "alarm.assign",
        "alarm.clear",
    }


async def test_bad_commander_input_changes_nothing(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    alarm = await smoke_alarm(hub, devices, "admin")
    path = f"/{alarm['id']}"
    worker = await login(hub.client, "w01")  # a grid worker may comment, not acknowledge
    denied = await hub.api("POST", path + "/ack", worker, json={})
    assert denied.status == 403
    outsider = await login(hub.client, "town1.cmd")
    cases = [
        ("POST", path + "/ack", {"comment": 5}, 422),
        ("POST", path + "/comment", {"text": ""}, 422),
        ("POST", path + "/assign", {"person_id": 999999}, 404),
        ("POST", "/999999/ack", {}, 404),
        ("GET", "?severity=HUGE", None, 422),
    ]
    for method, target, body, status in cases:
        response = await hub.api(method, target, outsider, json=body)
        assert response.status == status, (target, await response.text())
        assert "code" in (await response.json())["error"]
    [after] = await alarms_of(hub, "admin")
    assert after == alarm


async def test_an_alarm_is_assigned_only_to_staff_who_see_it(
    hub: AlarmHub, devices: list[DeviceClient], peers: list[Peer]
) -> None:
    alarm = await smoke_alarm(hub, devices)
    token, path = await login(hub.client, "v01.cmd"), f"/{alarm['id']}/assign"
    elsewhere = await person_id(hub.app, "w08")  # a worker of 王家村 and the river patrol
    refused = await hub.api("POST", path, token, json={"person_id": elsewhere})
    assert refused.status == 422
    assert (await refused.json())["error"]["code"] == "alarm.bad_assignee"
    console = await joined(hub.client, peers, "v01.cmd")
    resident = await person_id(hub.app, "r01")  # lives in 东庄村: not staff
    reply = await console.call("alarms.assign", {"alarm_id": alarm["id"], "person_id": resident})
    assert reply["error"]["code"] == "alarm.bad_assignee"
    detail = await (await hub.api("GET", f"/{alarm['id']}", token)).json()
    assert detail["assignee_id"] is None
    assert [h["action"] for h in detail["history"]] == ["raised"]  # nothing changed
    leader = await person_id(hub.app, "v01.lead")  # staff over the village: sees the alarm
    assigned = await console.ok("alarms.assign", {"alarm_id": alarm["id"], "person_id": leader})
    assert assigned["alarm"]["assignee_id"] == leader
    unassigned = await hub.api("POST", path, token, json={"person_id": None})
    assert (await unassigned.json())["assignee_id"] is None


async def test_the_assignee_list_is_exactly_who_assign_accepts(
    hub: AlarmHub, devices: list[DeviceClient], peers: list[Peer]
) -> None:
    alarm = await smoke_alarm(hub, devices)
    path = f"/{alarm['id']}/assignees"
    listed = await (await hub.api("GET", path, await login(hub.client, "v01.cmd"))).json()
    # Nearest first: w02 works the alarm's grid, w01 the party overlay covering it, then the
    # village. Not r01 (a resident there), not w08 (王家村), not town1.cmd or county.cmd (above
    # v01.cmd: out of its sight, though assign would take them).
    village = ["w01", "w02", "v01.cmd", "v01.lead"]
    assert [p["username"] for p in listed["assignees"]] == village
    assert listed["assignees"][0]["grid"] == "370783-001-001-P01"
    county = await joined(hub.client, peers, "county.cmd")
    reply = await county.ok("alarms.assignees", {"alarm_id": alarm["id"]})
    above = ["town1.cmd", "county.cmd", "county.dispatch"]
    assert [p["username"] for p in reply["assignees"]] == [*village, *above]
    for person in reply["assignees"]:  # every one listed is accepted
        body = {"alarm_id": alarm["id"], "person_id": person["person_id"]}
        assert (await county.ok("alarms.assign", body))["alarm"]["assignee_id"] == body["person_id"]
    outsider = await login(hub.client, "v02.cmd")
    assert (await hub.api("GET", path, outsider)).status == 404
    worker = await (await hub.api("GET", path, await login(hub.client, "w02"))).json()
    assert worker["error"]["code"] == "auth.role_required"


async def test_socket_actions_are_audited_with_the_client_address(
    start_alarms: StartAlarms, devices: list[DeviceClient], peers: list[Peer]
) -> None:
    # The test client connects from loopback, here the hub's trusted proxy; the socket's
    # handshake names the client behind it, and the audit of an ack over that socket says so.
    hub = await start_alarms(trusted_proxies=["127.0.0.1/32", "::1/128"])
    alarm = await smoke_alarm(hub, devices)
    console = Peer()
    peers.append(console)
    await console.sio.connect(
        str(hub.client.make_url("/")),
        auth={"token": await login(hub.client, "v01.cmd")},
        headers={"X-Forwarded-For": "203.0.113.7"},
        transports=["websocket"],
    )
    await console.ok("alarms.ack", {"alarm_id": alarm["id"]})
    async with hub.app[SESSIONS]() as session:
        row = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "alarm.acknowledge")
        )
    assert row is not None
    assert row.source_ip == "203.0.113.7"


async def next_change(peer: Peer, match: Callable[[Any], bool] | None = None) -> Any:
    """The next alarm change a console receives (each `alarms.changed` event is a list)."""
    items = peer.queue("alarms.changed item")
    while True:
        while items.empty():
            event = await asyncio.wait_for(peer.queue("alarms.changed").get(), 5)
            for item in event["items"]:
                items.put_nowait(item)
        item = items.get_nowait()
        if match is None or match(item):
            return item


async def received_until(peer: Peer, last: Callable[[Any], bool]) -> list[Any]:
    """Every alarm change up to and including the first that satisfies `last`."""
    seen = []
    while True:
        seen.append(await next_change(peer))
        if last(seen[-1]):
            return seen


async def test_propagation_to_the_grid_and_every_command_centre_above(
    hub: AlarmHub, devices: list[DeviceClient], peers: list[Peer]
) -> None:
    village = await joined(hub.client, peers, "v01.cmd")
    town = await joined(hub.client, peers, "town1.cmd")
    county = await joined(hub.client, peers, "county.cmd")
    near = await connected(hub, devices, TEMP)
    far = await connected(hub, devices, GAS_TOWN3)
    await near.wait_acked(await near.alarm("overheat", "MINOR"))
    for peer in (village, town, county):
        event = await next_change(peer, lambda d: d["device_code"] == TEMP)
        assert event["type"] == "overheat"
    await far.wait_acked(await far.alarm("gas_leak", "CRITICAL"))
    await next_change(county, lambda d: d["device_code"] == GAS_TOWN3)
    # one more change near by: each console gets events in order, so once it has this one,
    # it would already have had the gas alarm, had that been sent to it
    await near.wait_acked(await near.alarm("overheat", "MINOR"))
    for peer in (village, town):
        seen = await received_until(peer, lambda d: d["action"] == "repeated")
        assert [e["device_code"] for e in seen] == [TEMP]
    assert {a["device_code"] for a in await alarms_of(hub, "v01.cmd")} == {TEMP}
    assert {a["device_code"] for a in await alarms_of(hub, "county.cmd")} == {TEMP, GAS_TOWN3}
    assert await alarms_of(hub, "w08") == []  # a worker of another village
    resident = await login(hub.client, "r01")
    assert (await hub.api("GET", "", resident)).status == 403


async def test_socket_console_lists_and_acts(
    hub: AlarmHub, devices: list[DeviceClient], peers: list[Peer]
) -> None:
    console = await joined(hub.client, peers, "v01.cmd")
    device = await connected(hub, devices, TEMP)
    await device.wait_acked(await device.alarm("door_open", "WARNING"))
    listed = await console.ok("alarms.list", {"active": True})
    [alarm] = listed["alarms"]
    acked = await console.ok("alarms.ack", {"alarm_id": alarm["id"], "comment": "seen"})
    assert acked["alarm"]["acknowledged"] is True
    changed = await next_change(console, lambda d: d["acknowledged"])
    assert changed["id"] == alarm["id"]
    bad = await console.call("alarms.clear", {"alarm_id": "x"})
    assert bad["ok"] is False
    assert bad["error"]["code"] == "request.invalid"
    worker = await joined(hub.client, peers, "w01")
    refused = await worker.call("alarms.ack", {"alarm_id": alarm["id"]})
    assert refused["error"]["code"] == "auth.role_required"
    assert (await console.ok("alarms.list", {"active": True}))["alarms"][0]["active"] is True


async def test_one_commit_reaches_a_console_as_one_event_in_order(
    hub: AlarmHub, devices: list[DeviceClient], peers: list[Peer]
) -> None:
    console = await joined(hub.client, peers, "v01.cmd")
    device = await connected(hub, devices, TEMP)
    frames = [
        {"type": "alarm", "alarm": "door_open", "severity": "WARNING"},
        {"type": "alarm", "alarm": "smoke", "severity": "MAJOR"},
        {"type": "alarm", "alarm": "door_open", "severity": "WARNING"},  # a repeat
        {"type": "alarm", "alarm": "smoke", "severity": "CRITICAL"},
        {"type": "clear", "alarm": "door_open"},
    ]
    await device.wait_acked(await device.batch(frames))
    event = await asyncio.wait_for(console.queue("alarms.changed").get(), 5)
    got = [(i["type"], i["action"], i["count"], i["active"]) for i in event["items"]]
    # the door_open repeat is followed by its clear in the same commit: consoles get the newest
    assert got == [
        ("door_open", "raised", 1, True),
        ("smoke", "raised", 1, True),
        ("smoke", "severity_changed", 2, True),
        ("door_open", "cleared", 2, False),
    ]
    assert console.queue("alarms.changed").empty()
