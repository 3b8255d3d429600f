"""SOS end to end with real socket.io clients: raise, race to acknowledge, close; check-ins."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.keys import TIMERS
from tests.hub.conftest import bearer, login
from tests.hub.sockets import Peer, joined
from tests.plugins.escalation.conftest import BASIC, StartHub, audit, grid_id

FAST_CHECKINS = {"checkin_min_s": 0.2, "checkin_max_s": 60}


async def checkins_of(client: Any, username: str) -> list[dict[str, Any]]:
    """The active check-ins a commander's console lists."""
    token = await login(client, username)
    path = "/api/v1/escalation/checkins?state=active"
    response = await client.get(path, headers=bearer(token))
    assert response.status == 200, await response.text()
    found: list[dict[str, Any]] = (await response.json())["checkins"]
    return found


def error(reply: dict[str, Any]) -> str:
    assert reply["ok"] is False, reply
    code: str = reply["error"]["code"]
    return code


async def test_sos_end_to_end_first_commander_owns_it(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation()).client
    worker = await joined(client, peers, "w01")
    village, town = [await joined(client, peers, u) for u in ("v01.cmd", "town1.cmd")]
    outsider = await joined(client, peers, "town2.cmd")
    assert (await worker.ok("escalation.sos.mine", {}))["sos"] is None

    raised = await worker.ok("escalation.sos.raise", {"lat": 36.93, "lon": 118.62, "note": "fell"})
    sos = raised["sos"]
    assert (raised["new"], sos["state"], sos["source"]) == (True, "open", "button")
    assert sos["grid_id"] == grid_id(client, BASIC)
    for console in (village, town):
        alert = await console.next("escalation.sos.raised")
        assert (alert["id"], alert["location"]) == (sos["id"], {"lat": 36.93, "lon": 118.62})
        change = await console.next("presence.changed", lambda p: p["username"] == "w01")
        assert change["state"] == "sos"
    again = await worker.ok("escalation.sos.raise", {})
    assert (again["new"], again["sos"]["id"]) == (False, sos["id"])
    mine = (await worker.ok("escalation.sos.mine", {}))["sos"]  # the app after a reload
    assert (mine["id"], mine["state"]) == (sos["id"], "open")

    replies = await asyncio.gather(
        village.call("escalation.sos.ack", {"sos_id": sos["id"]}),
        town.call("escalation.sos.ack", {"sos_id": sos["id"]}),
    )
    winners = [r for r in replies if r["ok"]]
    [loser] = [r for r in replies if not r["ok"]]
    assert len(winners) == 1
    owner = winners[0]["sos"]["owner_name"]
    assert loser["error"]["code"] == "sos.already_taken"
    assert loser["error"]["details"]["owner_name"] == owner
    assert error(await outsider.call("escalation.sos.ack", {"sos_id": sos["id"]})) == (
        "scope.forbidden"
    )
    for console in (village, town):
        seen = await console.next("escalation.sos.acknowledged")
        assert (seen["owner_name"], seen["state"]) == (owner, "acknowledged")
    received = await worker.next("escalation.sos.received")
    assert received["received_by"] == owner
    mine = (await worker.ok("escalation.sos.mine", {}))["sos"]
    assert (mine["id"], mine["state"], mine["owner_name"]) == (sos["id"], "acknowledged", owner)

    owner_peer, other = (village, town) if replies[0]["ok"] else (town, village)
    close = {"sos_id": sos["id"], "note": "found him, ankle sprain, ambulance called"}
    assert error(await other.call("escalation.sos.close", close)) == "sos.not_owner"
    assert error(await owner_peer.call("escalation.sos.close", {"sos_id": sos["id"]})) == (
        "request.invalid"
    )
    closed = (await owner_peer.ok("escalation.sos.close", close))["sos"]
    assert (closed["state"], closed["close_note"]) == ("closed", close["note"])
    assert (await worker.next("escalation.sos.closed"))["id"] == sos["id"]
    assert (await worker.ok("escalation.sos.mine", {}))["sos"] is None
    lifted = await village.next("presence.changed", lambda p: p["username"] == "w01")
    assert lifted["state"] != "sos"
    assert error(await owner_peer.call("escalation.sos.close", close)) == "sos.closed"
    actions = ["escalation.sos.raised", "escalation.sos.acknowledged", "escalation.sos.closed"]
    assert [len(await audit(client, a)) for a in actions] == [1, 1, 1]


async def test_bad_input_and_unauthorised_requests_change_nothing(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation()).client
    worker, resident, commander = [
        await joined(client, peers, u) for u in ("w01", "r01", "v01.cmd")
    ]
    assert error(await resident.call("escalation.sos.raise", {})) == "auth.role_required"
    assert error(await worker.call("escalation.sos.raise", {"lat": 99, "lon": 1})) == (
        "request.invalid"
    )
    assert error(await worker.call("escalation.sos.raise", {"extra": 1})) == "request.invalid"
    assert error(await worker.call("escalation.sos.raise", "x")) == "request.invalid"
    assert error(await resident.call("escalation.sos.mine", {})) == "auth.role_required"
    assert error(await worker.call("escalation.sos.mine", {"person_id": 1})) == "request.invalid"
    sos = (await worker.ok("escalation.sos.raise", {}))["sos"]
    assert error(await worker.call("escalation.sos.ack", {"sos_id": sos["id"]})) == (
        "auth.role_required"
    )
    assert error(await commander.call("escalation.sos.ack", {"sos_id": "x"})) == "request.invalid"
    assert error(await commander.call("escalation.sos.ack", {"sos_id": 999})) == "sos.not_found"
    assert error(
        await commander.call("escalation.sos.close", {"sos_id": sos["id"], "note": "x"})
    ) == ("sos.not_acknowledged")
    response = await client.get("/api/v1/escalation/sos", headers=bearer("not-a-token"))
    assert response.status == 401
    assert len(await audit(client, "escalation.sos.acknowledged")) == 0
    assert len(await audit(client, "escalation.sos.raised")) == 1


async def person_id(client: Any, username: str) -> int:
    response = await client.get("/api/v1/auth/me", headers=bearer(await login(client, username)))
    return int((await response.json())["person_id"])


async def test_sos_list_is_scoped_to_the_commanders_grids(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation()).client
    worker = await joined(client, peers, "w01")
    sos = (await worker.ok("escalation.sos.raise", {}))["sos"]
    mine = await client.get(
        "/api/v1/escalation/sos?state=open", headers=bearer(await login(client, "town1.cmd"))
    )
    assert [s["id"] for s in (await mine.json())["sos"]] == [sos["id"]]
    other = await client.get(
        "/api/v1/escalation/sos", headers=bearer(await login(client, "town2.cmd"))
    )
    assert (await other.json())["sos"] == []
    worker_view = await client.get(
        "/api/v1/escalation/sos", headers=bearer(await login(client, "w01"))
    )
    assert worker_view.status == 403


async def test_a_missed_check_in_raises_an_sos_by_itself(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation(FAST_CHECKINS)).client
    worker, console = [await joined(client, peers, u) for u in ("w01", "v01.cmd")]
    assert (
        error(await worker.call("escalation.checkin.start", {"task": "dam", "interval_s": 3600}))
        == "checkin.interval_out_of_range"
    )
    started = await worker.ok(
        "escalation.checkin.start", {"task": "dam inspection", "interval_s": 0.6}
    )
    checkin = started["checkin"]
    worker_id = await person_id(client, "w01")
    assert (
        error(await worker.call("escalation.checkin.start", {"task": "again", "interval_s": 1}))
        == "checkin.already_active"
    )
    renewed = (await worker.ok("escalation.checkin.ok", {"checkin_id": checkin["id"]}))["checkin"]
    assert renewed["due_at"] > checkin["due_at"]
    assert error(await console.call("escalation.checkin.ok", {"checkin_id": checkin["id"]})) == (
        "checkin.not_found"  # someone else's check-in
    )

    alert = await console.next("escalation.sos.raised")
    assert (alert["person_id"], alert["source"]) == (worker_id, "checkin")
    missed = await worker.next("escalation.checkin.missed")  # the phone opens its hot mic
    assert (missed["checkin"]["state"], missed["sos"]["id"]) == ("missed", alert["id"])
    assert (await worker.ok("escalation.checkin.mine", {}))["checkin"] is None
    assert alert["raised_at"] >= renewed["due_at"]
    assert alert["note"] == "missed check-in: dam inspection"
    assert error(await worker.call("escalation.checkin.ok", {"checkin_id": checkin["id"]})) == (
        "checkin.not_active"
    )
    assert len(await audit(client, "escalation.checkin.missed")) == 1


async def test_consoles_see_who_is_on_a_timed_task(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation(FAST_CHECKINS)).client
    worker, console = [await joined(client, peers, u) for u in ("w01", "v01.cmd")]
    assert (await worker.ok("escalation.checkin.mine", {}))["checkin"] is None
    body = {"task": "水库大坝巡查", "interval_s": 30}
    checkin = (await worker.ok("escalation.checkin.start", body))["checkin"]
    worker_id = await person_id(client, "w01")
    shown = await console.next("escalation.checkin.changed")
    assert (shown["id"], shown["person_id"], shown["state"]) == (checkin["id"], worker_id, "active")
    mine = await worker.ok("escalation.checkin.mine", {})
    assert (mine["checkin"]["id"], mine["min_s"], mine["max_s"]) == (checkin["id"], 0.2, 60)
    assert [c["task"] for c in await checkins_of(client, "town1.cmd")] == ["水库大坝巡查"]
    assert await checkins_of(client, "town2.cmd") == []  # another town's commander

    await worker.ok("escalation.checkin.ok", {"checkin_id": checkin["id"]})
    renewed = await console.next("escalation.checkin.changed")
    assert renewed["due_at"] > checkin["due_at"]
    await worker.ok("escalation.checkin.stop", {"checkin_id": checkin["id"]})
    assert (await console.next("escalation.checkin.changed"))["state"] == "stopped"
    assert await checkins_of(client, "v01.cmd") == []


async def test_a_stopped_check_in_does_not_raise(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation(FAST_CHECKINS)).client
    worker = await joined(client, peers, "w01")
    checkin = (await worker.ok("escalation.checkin.start", {"task": "t", "interval_s": 0.3}))[
        "checkin"
    ]
    stopped = (await worker.ok("escalation.checkin.stop", {"checkin_id": checkin["id"]}))["checkin"]
    assert stopped["state"] == "stopped"
    assert await client.app[TIMERS].view("escalation").pending() == []
    assert len(await audit(client, "escalation.sos.raised")) == 0


async def test_an_sos_without_coordinates_carries_the_last_reported_location(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation()).client
    worker, console = [await joined(client, peers, u) for u in ("w01", "v01.cmd")]
    await worker.ok("location.report", {"lat": 36.91, "lon": 118.7})
    sos = (await worker.ok("escalation.sos.raise", {}))["sos"]
    assert sos["location"] == {"lat": 36.91, "lon": 118.7}
    assert (await console.next("escalation.sos.raised"))["location"] == sos["location"]


async def test_sos_presence_sticks_through_a_reconnect_and_cannot_be_chosen(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation()).client
    village = await joined(client, peers, "v01.cmd")
    phone = await joined(client, peers, "w01")
    assert error(await phone.call("presence.set", {"state": "sos"})) == "presence.state_invalid"
    sos = (await phone.ok("escalation.sos.raise", {}))["sos"]
    await village.next("presence.changed", lambda p: p["username"] == "w01" and p["state"] == "sos")
    assert (await phone.ok("presence.set", {"state": "away"}))["state"] == "sos"
    await phone.sio.disconnect()
    await village.next("presence.changed", lambda p: p["username"] == "w01" and p["devices"] == 0)
    tablet = await joined(client, peers, "w01")
    back = await village.next("presence.changed", lambda p: p["username"] == "w01")
    assert (back["state"], back["devices"]) == ("sos", 1)
    await village.ok("escalation.sos.ack", {"sos_id": sos["id"]})
    await village.ok("escalation.sos.close", {"sos_id": sos["id"], "note": "平安"})
    lifted = await village.next("presence.changed", lambda p: p["username"] == "w01")
    assert lifted["state"] == "online"
    assert (await tablet.ok("presence.set", {"state": "busy"}))["state"] == "busy"
