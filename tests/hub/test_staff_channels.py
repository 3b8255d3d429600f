"""Grid channels are staff channels: residents are never members, and memberships an older
hub gave them are removed when the hub starts."""

from __future__ import annotations

from typing import Any

import aiohttp

from hub.app import build_app
from hub.keys import CHANNELS, GRIDS, SESSIONS
from storage.models import ChannelMember
from tests.hub.conftest import AiohttpClient, Client, StartHub, bearer, login, person_id
from tests.hub.sockets import Peer, connect, joined

RESIDENT_GRID = "370783-001-001-01"  # r01 lives there
COUNTY = "370783"


async def grid_channel(client: Client, code: str) -> int:
    grid_id = client.app[GRIDS].index.by_code(code).id
    channel: int = (await client.app[CHANNELS].grid_memberships())[grid_id][0]
    return channel


async def refusal(peer: Peer, event: str, data: dict[str, Any]) -> str:
    reply = await peer.call(event, data)
    assert reply["ok"] is False, reply
    code: str = reply["error"]["code"]
    return code


async def test_a_resident_belongs_to_no_grid_channel(client: Client, peers: list[Peer]) -> None:
    token = await login(client, "r01")
    resident = await connect(client, token)
    peers.append(resident)
    listed = (await resident.ok("channel.list", {}))["channels"]
    assert [c for c in listed if c["kind"] == "grid"] == []
    r01 = await person_id(client.app, "r01")
    memberships = await client.app[CHANNELS].grid_memberships()
    assert all(r01 not in members for _channel, members in memberships.values())
    for code in (RESIDENT_GRID, COUNTY):
        channel = await grid_channel(client, code)
        assert await refusal(resident, "channel.history", {"channel_id": channel}) == (
            "channel.forbidden"
        )
        assert await refusal(resident, "channel.members", {"channel_id": channel}) == (
            "channel.forbidden"
        )
        assert await refusal(resident, "channel.open", {"channel_id": channel}) == (
            "channel.forbidden"
        )
        text = {"channel_id": channel, "client_msg_id": "r1", "kind": "text", "body": {"text": "x"}}
        assert await refusal(resident, "channel.send", text) == "channel.not_joined"
        form = aiohttp.FormData()
        form.add_field("file", b"%PDF-1.4\n", filename="a.pdf", content_type="application/pdf")
        response = await client.post(
            f"/api/v1/channels/{channel}/files", data=form, headers=bearer(token)
        )
        assert response.status == 403


async def test_start_up_removes_residents_an_older_hub_made_members(
    start_hub: StartHub, aiohttp_client: AiohttpClient
) -> None:
    hub = await start_hub()
    channel = await grid_channel(hub.client, COUNTY)
    r01 = await person_id(hub.client.app, "r01")
    if not await hub.client.app[CHANNELS].is_member(channel, r01):
        async with hub.client.app[SESSIONS].begin() as session:  # as the old sync left it
            session.add(ChannelMember(channel_id=channel, person_id=r01, role="member"))
    assert await hub.client.app[CHANNELS].is_member(channel, r01)

    restarted = await aiohttp_client(build_app(hub.settings, available_plugins={}))
    assert not await restarted.app[CHANNELS].is_member(channel, r01)
    # Staff stay members.
    assert await restarted.app[CHANNELS].is_member(channel, await person_id(hub.client.app, "w01"))


async def test_a_resident_opens_no_channel_and_adds_nobody(
    client: Client, peers: list[Peer]
) -> None:
    """Residents reach the hub through appeals, not channels: no ad-hoc or direct channel of
    their own (with staff of their grid or anyone), no invitations; staff may still start a
    direct chat with them, and they answer there."""
    resident = await joined(client, peers, "r01")
    r01, w01, v01_cmd = [await person_id(client.app, u) for u in ("r01", "w01", "v01.cmd")]
    channels = client.app[CHANNELS]
    before = await channels.memberships_of(r01)
    refused: list[tuple[str, dict[str, Any]]] = [
        ("channel.create", {"name": "私聊群", "members": [w01]}),
        ("channel.create", {"name": "只有我", "members": []}),
        ("channel.direct", {"person_id": w01}),
        ("channel.direct", {"person_id": v01_cmd}),
        ("channel.invite", {"channel_id": before[0][0].id if before else 1, "person_ids": [w01]}),
    ]
    for event, data in refused:
        assert await refusal(resident, event, data) == "auth.role_required", event
    assert await channels.memberships_of(r01) == before

    worker = await joined(client, peers, "w01")
    direct = (await worker.ok("channel.direct", {"person_id": r01}))["channel"]
    await resident.next("channel.joined", lambda d: d["channel_id"] == direct["id"])
    words = {
        "channel_id": direct["id"],
        "client_msg_id": "r1",
        "kind": "text",
        "body": {"text": "好"},
    }
    await resident.ok("channel.send", words)
