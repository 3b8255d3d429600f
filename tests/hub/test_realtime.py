"""Real python-socketio clients against a hub on loopback: auth, rooms, presence, locations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
import socketio
from sqlalchemy import select

from hub.keys import SESSIONS
from storage.models import LocationPoint
from tests.hub.conftest import Client, StartHub, bearer, login
from tests.hub.sockets import WAIT, Peer, connect, joined


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    made: list[Peer] = []
    yield made
    for peer in made:
        if peer.sio.connected:
            await peer.sio.disconnect()


async def refused(client: Client, token: str | None) -> dict[str, Any]:
    peer = Peer()
    errors: asyncio.Queue[Any] = asyncio.Queue()
    peer.sio.on("connect_error", errors.put_nowait)
    url = str(client.make_url("/"))
    auth = {"token": token} if token else None
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT)
    data: dict[str, Any] = await asyncio.wait_for(errors.get(), WAIT)
    return data


async def test_connection_without_or_with_bad_token_is_refused(client: Client) -> None:
    assert (await refused(client, None))["data"]["code"] == "auth.required"
    assert (await refused(client, "not-a-token"))["data"]["code"] == "auth.token_invalid"


async def test_presence_aggregates_devices_and_reaches_covering_command_centres(
    client: Client, peers: list[Peer]
) -> None:
    village_cmd = await joined(client, peers, "v01.cmd")
    other_town = await joined(client, peers, "town2.cmd")
    phone = await joined(client, peers, "w01")
    online = await village_cmd.next("presence.changed", lambda d: d["username"] == "w01")
    assert online["state"] == "online"
    tablet = await connect(client, await login(client, "w01"))
    peers.append(tablet)
    await tablet.call("presence.set", {"state": "busy"})
    busy = await village_cmd.next("presence.changed", lambda d: d["username"] == "w01")
    assert (busy["state"], busy["devices"]) == ("busy", 2)
    await tablet.sio.disconnect()
    back = await village_cmd.next("presence.changed", lambda d: d["username"] == "w01")
    assert (back["state"], back["devices"]) == ("online", 1)
    await phone.sio.disconnect()
    gone = await village_cmd.next("presence.changed", lambda d: d["username"] == "w01")
    assert gone["state"] == "offline"
    assert gone["last_seen"] > 0
    # The other town's centre saw none of it.
    assert all(item["username"] != "w01" for item in other_town.drain("presence.changed"))


async def test_idle_device_turns_away_and_activity_brings_it_back(
    start_hub: StartHub, peers: list[Peer]
) -> None:
    hub = await start_hub(realtime={"away_after_s": 0.3, "sweep_interval_s": 0.05})
    cmd = await joined(hub.client, peers, "v01.cmd")
    worker = await joined(hub.client, peers, "w01")
    away = await cmd.next(
        "presence.changed", lambda d: d["username"] == "w01" and d["state"] == "away"
    )
    assert away["devices"] == 1
    reply = await worker.call("presence.activity", {})
    assert reply == {"ok": True, "state": "online"}
    await cmd.next("presence.changed", lambda d: d["username"] == "w01" and d["state"] == "online")


async def test_location_reports_flow_to_commanders_with_staleness(
    client: Client, peers: list[Peer]
) -> None:
    cmd = await joined(client, peers, "v01.cmd")
    worker = await joined(client, peers, "w01")
    old = time.time() - 3600
    reply = await worker.call(
        "location.report", {"lat": 36.9, "lon": 118.7, "battery": 80, "at": old}
    )
    assert reply["ok"] is True
    moved = await cmd.next("location.changed", lambda d: d["username"] == "w01")
    assert (moved["lat"], moved["lon"], moved["battery"]) == (36.9, 118.7, 80)
    people = (await cmd.call("presence.who", {}))["people"]
    me = next(p for p in people if p["username"] == "w01")
    assert me["location"]["stale"] is True
    await worker.call("location.report", {"lat": 36.91, "lon": 118.71})
    fresh = next(
        p for p in (await cmd.call("presence.who", {}))["people"] if p["username"] == "w01"
    )
    assert fresh["location"]["stale"] is False
    assert fresh["location"]["lat"] == 36.91
    track = await cmd.call("location.track", {"person_id": me["person_id"], "since": old - 1})
    assert [p["lat"] for p in track["points"]] == [36.9, 36.91]


async def test_a_resident_reports_no_position_to_command_centres(
    client: Client, peers: list[Peer]
) -> None:
    cmd = await joined(client, peers, "v01.cmd")  # commands r01's village
    resident = await joined(client, peers, "r01")
    refused = await resident.call("location.report", {"lat": 36.9, "lon": 118.7})
    assert refused["error"]["code"] == "auth.role_required"
    worker = await joined(client, peers, "w01")
    await worker.ok("location.report", {"lat": 36.91, "lon": 118.71})
    # Emitted in order to the same room: the first position the commander gets is w01's.
    first = await cmd.next("location.changed")
    assert first["username"] == "w01"
    async with client.app[SESSIONS]() as session:
        stored = await session.scalars(select(LocationPoint.person_id).distinct())
        assert list(stored) == [first["person_id"]]  # r01's position was not kept either


async def test_scope_limits_who_and_tracks(client: Client, peers: list[Peer]) -> None:
    worker = await joined(client, peers, "w01")
    other = await joined(client, peers, "town2.cmd")
    await worker.call("location.report", {"lat": 36.9, "lon": 118.7})
    assert all(p["username"] != "w01" for p in (await other.call("presence.who", {}))["people"])
    denied = await other.call("presence.who", {"grid": "370783-001"})
    assert denied["error"]["code"] == "scope.forbidden"
    me = next(
        p for p in (await worker.call("presence.who", {}))["people"] if p["username"] == "w01"
    )
    track = await other.call("location.track", {"person_id": me["person_id"], "since": 0})
    assert track["error"]["code"] == "scope.forbidden"
    resident = await joined(client, peers, "r01")
    assert (await resident.call("presence.who", {}))["error"]["code"] == "auth.role_required"


async def test_bad_payloads_get_structured_errors_and_change_nothing(
    client: Client, peers: list[Peer]
) -> None:
    worker = await joined(client, peers, "w01")
    bad = await worker.call("location.report", {"lat": 91, "lon": 0})
    assert bad["ok"] is False
    assert bad["error"]["code"] == "request.invalid"
    assert (await worker.call("location.report", "junk"))["error"]["code"] == "request.invalid"
    offline = await worker.call("presence.set", {"state": "offline"})
    assert offline["error"]["code"] == "presence.state_invalid"
    unknown = await worker.call("presence.set", {"state": "sos"})  # no plugin contributed it
    assert unknown["error"]["code"] == "request.invalid"
    future = await worker.call(
        "location.report", {"lat": 36.9, "lon": 118.7, "at": time.time() + 3600}
    )
    assert future["error"]["code"] == "location.clock_skew"
    me = next(
        p for p in (await worker.call("presence.who", {}))["people"] if p["username"] == "w01"
    )
    assert me["location"] is None
    assert me["state"] == "online"


async def test_logout_ends_the_session_on_open_sockets(client: Client, peers: list[Peer]) -> None:
    token = await login(client, "w01")
    worker = await connect(client, token)
    peers.append(worker)
    response = await client.post("/api/v1/auth/logout", headers=bearer(token))
    assert response.status == 204
    ended = await worker.next("session.ended")
    assert ended["code"] == "auth.token_revoked"
    await asyncio.wait_for(worker.sio.wait(), WAIT)
    assert not worker.sio.connected


async def test_expired_token_disconnects_unless_refreshed(
    start_hub: StartHub, peers: list[Peer]
) -> None:
    hub = await start_hub(auth={"access_ttl_s": 30})
    worker = await joined(hub.client, peers, "w01")
    fresh = await login(hub.client, "w01")
    reply = await worker.call("auth.refresh", {"token": fresh})
    assert reply["ok"] is True
    assert reply["expires_at"] > time.time() + 20
    stranger = await login(hub.client, "w02")
    mismatch = await worker.call("auth.refresh", {"token": stranger})
    assert mismatch["error"]["code"] == "auth.person_mismatch"


async def test_socket_is_closed_when_its_token_expires(
    start_hub: StartHub, peers: list[Peer]
) -> None:
    secret = "s" * 48
    hub = await start_hub(auth={"secret_key": secret})
    claims = jwt.decode(await login(hub.client, "w01"), secret, algorithms=["HS256"])
    short = jwt.encode({**claims, "exp": int(time.time()) + 1}, secret, algorithm="HS256")
    worker = await connect(hub.client, short)
    peers.append(worker)
    ended = await worker.next("session.ended")
    assert ended["code"] == "auth.token_expired"
    await asyncio.wait_for(worker.sio.wait(), WAIT)


async def test_polling_transport_works_too(start_hub: StartHub, peers: list[Peer]) -> None:
    # A long poll is held for a ping interval; keep it short so closing is quick.
    client = (await start_hub(realtime={"ping_interval_s": 0.5, "ping_timeout_s": 0.5})).client
    peer = Peer()
    peers.append(peer)
    token = await login(client, "w01")
    url = str(client.make_url("/"))
    await peer.sio.connect(url, auth={"token": token}, transports=["polling"], wait_timeout=WAIT)
    assert peer.sio.transport() == "polling"
    reply = await peer.call("presence.set", {"state": "busy"})
    assert reply == {"ok": True, "state": "busy"}
