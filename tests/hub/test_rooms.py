"""Rooms follow grants: a role change, an import or a refreshed token moves a person's sockets
at once; only the hub's own pages (and configured origins) may open a socket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
import socketio
from sqlalchemy import delete

from hub.keys import BUS, CHANNELS, GRIDS, IDENTITY, SESSIONS
from hub.messages import PersonChanged
from storage.models import Assignment
from tests.hub.conftest import Client, StartHub, bearer, login
from tests.hub.sockets import WAIT, Peer, connect, joined

VILLAGE = "370783-001-001"  # 东庄村: v01.cmd commands it, v01.lead leads it
BASIC = "370783-001-001-01"  # its first grid: w01 works there
HERE = {"lat": 36.9, "lon": 118.7}


async def person_id(client: Client, admin_token: str, username: str) -> int:
    response = await client.get("/api/v1/people", headers=bearer(admin_token))
    people = {p["username"]: p["id"] for p in await response.json()}
    return int(people[username])


async def grid_channel(client: Client, code: str) -> int:
    grid_id = client.app[GRIDS].index.by_code(code).id
    return (await client.app[CHANNELS].grid_memberships())[grid_id][0]


async def fed(listener: Peer, worker: Peer) -> bool:
    """Does `listener` get the command feed (location.changed) of `worker`'s next report?
    Decided without waiting: the ack of a later call on the listener's socket comes after
    anything emitted to that socket before it."""
    listener.drain("location.changed")
    await worker.ok("location.report", HERE)
    await listener.ok("presence.activity", {})
    return bool(listener.drain("location.changed"))


async def set_roles(
    client: Client, admin_token: str, person: int, roles: list[dict[str, Any]]
) -> None:
    response = await client.patch(
        f"/api/v1/people/{person}", json={"roles": roles}, headers=bearer(admin_token)
    )
    assert response.status == 200, await response.json()


async def refusal(peer: Peer, event: str, data: dict[str, Any]) -> str:
    reply = await peer.call(event, data)
    assert reply["ok"] is False, reply
    code: str = reply["error"]["code"]
    return code


async def upload(client: Client, token: str, channel_id: int) -> int:
    form = aiohttp.FormData()
    form.add_field("file", b"%PDF-1.4\n", filename="a.pdf", content_type="application/pdf")
    response = await client.post(
        f"/api/v1/channels/{channel_id}/files", data=form, headers=bearer(token)
    )
    return response.status


async def test_a_demoted_commander_loses_command_feeds_and_observed_channels_at_once(
    client: Client, admin_token: str, peers: list[Peer]
) -> None:
    token = await login(client, "v01.cmd")
    commander = await connect(client, token)
    peers.append(commander)
    worker = await joined(client, peers, "w01")
    basic, village = await grid_channel(client, BASIC), await grid_channel(client, VILLAGE)
    await commander.ok("channel.open", {"channel_id": basic})  # observes w01's grid channel
    assert await fed(commander, worker)

    leader = [{"role": "grid_leader", "grid": VILLAGE}]
    await set_roles(client, admin_token, await person_id(client, admin_token, "v01.cmd"), leader)

    # The very next command-feed emit no longer reaches the socket.
    assert not await fed(commander, worker)
    changed = await commander.next("auth.grants_changed")
    village_id = client.app[GRIDS].index.by_code(VILLAGE).id
    assert changed["grants"] == [{"role": "grid_leader", "grid_id": village_id}]
    assert (await commander.next("channel.left"))["channel_id"] == basic
    # The channel it only observed as a commander is closed to it, by socket and by HTTP.
    assert await refusal(commander, "channel.history", {"channel_id": basic}) == (
        "channel.forbidden"
    )
    assert await refusal(commander, "channel.members", {"channel_id": basic}) == (
        "channel.forbidden"
    )
    assert await refusal(commander, "channel.open", {"channel_id": basic}) == "channel.forbidden"
    text = {"channel_id": basic, "client_msg_id": "x1", "kind": "text", "body": {"text": "hi"}}
    assert await refusal(commander, "channel.send", text) == "channel.not_joined"
    assert await upload(client, token, basic) == 403
    # As the village's grid leader it is still a member of the village channel.
    await commander.ok("channel.history", {"channel_id": village})
    await commander.ok("channel.send", {**text, "channel_id": village})


async def test_a_promoted_worker_joins_the_command_feed_at_once(
    client: Client, admin_token: str, peers: list[Peer]
) -> None:
    leader = await joined(client, peers, "v01.lead")
    worker = await joined(client, peers, "w01")
    assert not await fed(leader, worker)
    person = await person_id(client, admin_token, "v01.lead")
    await set_roles(client, admin_token, person, [{"role": "commander", "grid": VILLAGE}])
    assert await fed(leader, worker)


async def test_every_node_moves_its_sockets_on_the_bus_message(
    client: Client, admin_token: str, peers: list[Peer]
) -> None:
    """A change made elsewhere (another node) arrives as PersonChanged on the bus only."""
    commander = await joined(client, peers, "v01.cmd")
    worker = await joined(client, peers, "w01")
    assert await fed(commander, worker)
    person = await person_id(client, admin_token, "v01.cmd")
    async with client.app[SESSIONS].begin() as session:
        await session.execute(delete(Assignment).where(Assignment.person_id == person))
    await client.app[BUS].publish(PersonChanged(person_id=person))
    assert (await commander.next("auth.grants_changed"))["grants"] == []
    assert not await fed(commander, worker)


async def test_an_import_that_disables_someone_closes_their_sockets(
    client: Client, admin_token: str, peers: list[Peer]
) -> None:
    commander = await joined(client, peers, "v01.cmd")
    closed: asyncio.Queue[Any] = asyncio.Queue()
    commander.sio.on("disconnect", lambda *_: closed.put_nowait(True))
    spec = {"username": "v01.cmd", "display_name": "东庄村指挥", "active": False}
    response = await client.post(
        "/api/v1/people/import",
        params={"format": "json"},
        data=json.dumps([spec]).encode(),
        headers=bearer(admin_token),
    )
    assert response.status == 200, await response.json()
    ended = await commander.next("session.ended")
    assert ended["code"] == "auth.person_inactive"
    await asyncio.wait_for(closed.get(), WAIT)


async def test_a_refreshed_token_with_other_grants_moves_the_socket(
    client: Client, admin_token: str, peers: list[Peer]
) -> None:
    """Grants changed without a bus message reaching this socket (e.g. the CLI wrote them):
    the next auth.refresh carries the new grants, and the rooms follow them."""
    leader = await joined(client, peers, "v01.lead")
    worker = await joined(client, peers, "w01")
    person = await person_id(client, admin_token, "v01.lead")
    village_id = client.app[GRIDS].index.by_code(VILLAGE).id
    async with client.app[SESSIONS].begin() as session:
        session.add(Assignment(person_id=person, grid_id=village_id, role="commander"))
    client.app[IDENTITY].forget_person(person)
    assert not await fed(leader, worker)
    await leader.ok("auth.refresh", {"token": await login(client, "v01.lead")})
    assert await fed(leader, worker)


# ---- the Origin check ----------------------------------------------------------------------


async def open_socket(client: Client, token: str, origin: str | None) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    headers = {"Origin": origin} if origin is not None else {}
    await sio.connect(
        str(client.make_url("/")),
        auth={"token": token},
        headers=headers,
        transports=["websocket"],
        wait_timeout=WAIT,
    )
    return sio


async def refused(client: Client, token: str, origin: str, transport: str, **headers: str) -> bool:
    """Is a socket from `origin` refused? (Closes the client's own HTTP session either way.)"""
    sio = socketio.AsyncClient(reconnection=False)
    try:
        await sio.connect(
            str(client.make_url("/")),
            auth={"token": token},
            headers={"Origin": origin, **headers},
            transports=[transport],
            wait_timeout=WAIT,
        )
    except socketio.exceptions.ConnectionError:
        return not sio.connected
    finally:
        if sio.connected:
            await sio.disconnect()
        if sio.eio.http is not None and not sio.eio.http.closed:
            await sio.eio.http.close()
    return False


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_a_foreign_origin_is_refused(client: Client, transport: str) -> None:
    token = await login(client, "w01")
    assert await refused(client, token, "http://evil.example", transport)


async def test_same_origin_and_no_origin_connect(client: Client) -> None:
    token = await login(client, "w01")
    own = f"http://{client.host}:{client.port}"
    for origin in (own, None):
        sio = await open_socket(client, token, origin)
        assert sio.connected
        await sio.disconnect()


async def test_configured_origins_connect(start_hub: StartHub) -> None:
    hub = await start_hub(realtime={"cors_origins": ["https://console.example"]})
    token = await login(hub.client, "w01")
    sio = await open_socket(hub.client, token, "https://console.example")
    assert sio.connected
    await sio.disconnect()
    assert await refused(hub.client, token, "https://console.example.evil.example", "websocket")


async def test_a_forwarded_host_counts_only_from_a_trusted_proxy(start_hub: StartHub) -> None:
    forwarded = {"X-Forwarded-Host": "evil.example"}
    direct = (await start_hub()).client
    token = await login(direct, "w01")
    for transport in ("websocket", "polling"):
        assert await refused(direct, token, "http://evil.example", transport, **forwarded)
    # Behind a trusted proxy the forwarded host is where the browser was: its pages may connect
    # (over the WebSocket: an accepted polling session lingers until its long poll ends).
    behind = (await start_hub(trusted_proxies=["127.0.0.1/32", "::1/128"])).client
    token = await login(behind, "w01")
    assert not await refused(behind, token, "http://evil.example", "websocket", **forwarded)
    assert await refused(behind, token, "http://other.example", "polling", **forwarded)
