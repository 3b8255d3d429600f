"""A socket connecting while its person leaves a channel: the channels it joins come from a read
that the change overlapped, and must not put it (or the person's next sockets) back in the
channel it left."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.chat import channel_room
from hub.keys import BUS, CHANNELS, REALTIME
from tests.hub.conftest import Client, login, person_id
from tests.hub.sockets import WAIT, Peer, connect, joined


class HeldRead:
    """Wraps ChannelStore.channels_of: the first read is made, then held until `release`."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.read = asyncio.Event()
        self.release = asyncio.Event()
        self.calls = 0

    async def __call__(self, person: int) -> Any:
        self.calls += 1
        found = await self.real(person)
        if self.calls == 1:
            self.read.set()
            await self.release.wait()
        return found


def rooms_of(client: Client, person: int) -> list[set[str]]:
    realtime = client.app[REALTIME]
    return [set(realtime.sio.rooms(c.sid)) for c in realtime.connections_of(person)]


async def test_a_socket_connecting_while_its_person_leaves_stays_out(
    client: Client, peers: list[Peer]
) -> None:
    commander = await joined(client, peers, "v01.cmd")
    phone = await joined(client, peers, "w01")
    w01 = await person_id(client.app, "w01")
    made = await commander.call("channel.create", {"name": "临时", "members": [w01]})
    room = channel_room(made["channel"]["id"])
    await client.app[BUS].flush()  # the phone is in the channel's room
    store = client.app[CHANNELS]
    held = HeldRead(store.channels_of)
    store.channels_of = held  # type: ignore[method-assign]
    token = await login(client, "w01")
    tablet_connecting = asyncio.create_task(connect(client, token))
    await asyncio.wait_for(held.read.wait(), WAIT)  # the tablet read: still a member
    assert (await phone.call("channel.leave", {"channel_id": made["channel"]["id"]}))["ok"]
    await client.app[BUS].flush()  # the leave has moved w01's sockets (the tablet's too)
    held.release.set()
    peers.append(await asyncio.wait_for(tablet_connecting, WAIT))
    peers.append(await connect(client, token))  # a later socket: from what was cached
    assert [room in rooms for rooms in rooms_of(client, w01)] == [False, False, False]
