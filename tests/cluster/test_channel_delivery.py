"""Channel delivery across real nodes: what docs/protocol.md ("Delivery and recovery") promises.

Three `gridhub serve` nodes on PostgreSQL and Redis. Each node fans out what it commits, so
live messages reach a receiver out of offset order, and a node that dies takes its unsent
fan-outs with it. Receivers follow the protocol through the reference helper
(tests/receivers.py): apply in offset order, recover from the highest contiguous offset on a
gap, a `channel.head` or a reconnect. Senders follow it too: resend what was not acked, with
the same client_msg_id, after moving to a live node.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import socketio

from hub.channels import ChannelStore
from hub.contracts import WriteJournal
from storage.redis.journal import RedisWriteJournal
from storage.sql import create_engine, session_factory
from tests.cluster.nodes import Cluster, Node
from tests.cluster.test_cluster import token
from tests.receivers import Receiver

WAIT = 15.0
LONG_S = 60.0  # a gap wait no test outlasts: only the path under test may recover
VILLAGES = {1: "东庄村", 2: "王家村", 3: "屯田村"}  # members v0k.cmd, v0k.lead, five workers
PER_SENDER = 40
WINDOW = 4  # sends in flight per sender
PACE_S = 0.01  # between one sender's sends, so the kill lands mid-burst
KILL_AFTER = 30  # messages applied on the victim node before it is killed
GHOST_TTL_S = 0.5  # the ghost node's heartbeat: it is dead this long after its last write


def workers(village: int) -> list[str]:
    return [f"w{5 * (village - 1) + n:02d}" for n in range(1, 6)]


class Sender:
    """Sends its messages (a few in flight); after losing its node, resends what was not
    acked, with the same client_msg_id, from wherever it moved (docs/protocol.md)."""

    def __init__(self, username: str, channel_id: int) -> None:
        self.username, self.channel_id = username, channel_id
        self.ids = [f"{username}-{i}" for i in range(PER_SENDER)]
        self.acked: dict[str, int] = {}
        self.sender_id = 0
        self.sio: socketio.AsyncClient | None = None
        self.gone = asyncio.Event()

    async def connect(self, node: Node) -> None:
        sio = socketio.AsyncClient(reconnection=False)
        gone = self.gone = asyncio.Event()
        sio.on("disconnect", gone.set)
        auth = {"token": await token(node, self.username)}
        await sio.connect(node.url, auth=auth, transports=["websocket"], wait_timeout=WAIT)
        self.sio = sio

    async def burst(self) -> None:
        """Until everything is acked or the socket is gone."""
        gate = asyncio.Semaphore(WINDOW)

        async def one(msg_id: str) -> None:
            async with gate:
                await asyncio.sleep(PACE_S)
                await self.send(msg_id)

        await asyncio.gather(*(one(i) for i in self.ids if i not in self.acked))

    async def send(self, msg_id: str) -> None:
        sio, gone = self.sio, self.gone
        if sio is None or gone.is_set():
            return
        body = {"channel_id": self.channel_id, "client_msg_id": msg_id, "kind": "text"}
        call = asyncio.ensure_future(
            sio.call("channel.send", {**body, "body": {"text": msg_id}}, timeout=WAIT)
        )
        lost = asyncio.ensure_future(gone.wait())
        await asyncio.wait({call, lost}, return_when=asyncio.FIRST_COMPLETED)
        lost.cancel()
        if not call.done():
            call.cancel()  # the node died with the send: the ack will never come
            return
        if isinstance(call.exception(), socketio.exceptions.BadNamespaceError):
            # The call runs in a task of its own: the socket can go down between the check
            # above and the emit, and then nothing was sent (the resend after moving sends it).
            return
        reply = call.result()
        assert reply["ok"] is True, reply
        self.acked[msg_id] = reply["message"]["offset"]
        self.sender_id = reply["message"]["sender_id"]

    async def close(self) -> None:
        if self.sio is not None and self.sio.connected:
            await self.sio.disconnect()


class Village:
    """One village channel: a sender on every node, receivers on every node."""

    def __init__(self, channel_id: int, senders: list[Sender]) -> None:
        self.channel_id = channel_id
        self.senders = senders
        self.receivers: dict[str, Receiver] = {}  # username -> receiver
        self.homes: dict[str, Node] = {}  # username -> the node it is connected to

    async def receive(self, username: str, node: Node) -> Receiver:
        receiver = Receiver(self.channel_id)
        await receiver.connect(node.url, await token(node, username))
        await receiver.follower.start_from_history()
        self.receivers[username] = receiver
        self.homes[username] = node
        return receiver


async def village_on(nodes: list[Node], village: int) -> Village:
    names = workers(village)
    senders = [Sender(name, 0) for name in names[:3]]
    for sender, node in zip(senders, nodes, strict=True):
        await sender.connect(node)
    assert senders[0].sio is not None
    channels = (await senders[0].sio.call("channel.list", {}, timeout=WAIT))["channels"]
    channel_id = next(c["id"] for c in channels if c["name"] == VILLAGES[village])
    for sender in senders:
        sender.channel_id = channel_id
    found = Village(channel_id, senders)
    a, b, c = nodes
    for username, node in ((f"v0{village}.lead", b), (f"v0{village}.cmd", b), (names[3], a)):
        await found.receive(username, node)
    await found.receive(names[4], c)
    return found


@contextlib.asynccontextmanager
async def villages(nodes: list[Node]) -> AsyncIterator[list[Village]]:
    made = [await village_on(nodes, v) for v in VILLAGES]
    try:
        yield made
    finally:
        for village in made:
            for sender in village.senders:
                await sender.close()
            for receiver in village.receivers.values():
                await receiver.close()


async def test_senders_on_every_node_and_a_node_killed_mid_burst_lose_nothing(
    cluster: Cluster,
) -> None:
    a, b, c = [await cluster.start(name) for name in ("a", "b", "c")]
    async with villages([a, b, c]) as all_villages:
        bursts = {s: asyncio.create_task(s.burst()) for v in all_villages for s in v.senders}
        victim = all_villages[0].receivers["v01.lead"]
        await victim.until(lambda: len(victim.applied) >= KILL_AFTER)
        b.kill()
        for village in all_villages:
            await _move_off(village, b, c, bursts)
        await asyncio.gather(*bursts.values())
        for village in all_villages:
            await _everyone_has_everything(village)


async def _move_off(village: Village, dead: Node, to: Node, bursts: dict[Sender, Any]) -> None:
    """Everyone who was on `dead` reconnects to `to`: receivers recover, senders resend."""
    for username, receiver in village.receivers.items():
        if village.homes[username] is dead:
            await asyncio.wait_for(receiver.gone.wait(), WAIT)
            await receiver.connect(to.url, await token(to, username))
            receiver.reconnected()
    for sender in village.senders:
        if not sender.gone.is_set():
            continue
        await bursts[sender]
        await sender.connect(to)
        bursts[sender] = asyncio.create_task(sender.burst())


async def _everyone_has_everything(village: Village) -> None:
    total = PER_SENDER * len(village.senders)
    acked = sorted(o for s in village.senders for o in s.acked.values())
    assert acked == list(range(1, total + 1))  # each message committed once, all acked
    for username, receiver in village.receivers.items():
        await receiver.until_offset(total)
        assert receiver.offsets == acked, username  # all, once each, in offset order


@contextlib.asynccontextmanager
async def ghost_node(cluster: Cluster, journal: WriteJournal | None) -> AsyncIterator[ChannelStore]:
    """A node in this process that commits (with `journal`, as nodes do in a cluster) and
    fans out nothing: what a node leaves behind when it dies between commit and fan-out."""
    engine = create_engine(cluster.database_url)
    store = ChannelStore(session_factory(engine), journal=journal)
    await store.start()
    try:
        yield store
    finally:
        await store.close()
        if journal is not None:
            await journal.close()  # and no heartbeat ever again
        await engine.dispose()


async def test_a_message_committed_by_a_node_that_died_before_fanning_it_out_reaches_everyone(
    cluster: Cluster,
) -> None:
    a, b = [await cluster.start(name) for name in ("a", "b")]
    sender = Sender("w01", 0)
    await sender.connect(a)
    assert sender.sio is not None
    channels = (await sender.sio.call("channel.list", {}, timeout=WAIT))["channels"]
    sender.channel_id = next(c["id"] for c in channels if c["name"] == VILLAGES[1])
    await sender.send("hello")
    receivers = [Receiver(sender.channel_id, LONG_S) for _ in range(2)]
    for receiver, (username, node) in zip(receivers, (("w04", a), ("w05", b)), strict=True):
        await receiver.connect(node.url, await token(node, username))
        await receiver.follower.start_from_history()
    sender_id = sender.sender_id
    try:
        # The sender did not get its ack and resends on a live node: the resend fans it out.
        async with ghost_node(cluster, None) as ghost:
            lost = await ghost.append(sender.channel_id, sender_id, "w01-1", "text", {"text": "1"})
        await sender.send("w01-1")
        assert sender.acked["w01-1"] == lost.offset
        for receiver in receivers:
            await receiver.until_offset(lost.offset)
        # The sender died too: a survivor announces the channel's head, receivers recover.
        journal = RedisWriteJournal(cluster.redis_url, node_id="ghost", ttl_s=GHOST_TTL_S)
        async with ghost_node(cluster, journal) as ghost:
            silent = await ghost.append(sender.channel_id, sender_id, "w01-2", "text", {})
        for receiver in receivers:
            await receiver.until_offset(silent.offset)
            assert receiver.offsets == list(range(1, silent.offset + 1))
            assert receiver.arrived == [lost.offset]  # the resend; nothing else came live
            assert [h["last_offset"] for h in receiver.heads] == [silent.offset]
    finally:
        await sender.close()
        for receiver in receivers:
            await receiver.close()
