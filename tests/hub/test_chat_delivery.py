"""Delivery and recovery as docs/protocol.md promises them, on one real hub (SQLite).

A message committed but never fanned out is what a node leaves behind when it dies between
its commit and its fan-out; here the test commits through the hub's own channel store, which
fans out nothing. Receivers are real socket.io clients following the reference helper
(tests/receivers.py over loadtests/channel_log.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from hub.channel_heads import announce
from hub.channels import ChannelStore
from hub.keys import CHANNELS, REALTIME
from tests.hub.conftest import Client, login
from tests.hub.sockets import Peer, joined
from tests.hub.test_chat import VILLAGE, channel_of, text
from tests.receivers import Receiver

LONG_S = 60.0  # a gap wait no test outlasts: only the path under test can recover


Listen = Callable[[str, float], Awaitable[Receiver]]


@pytest.fixture
async def sender(client: Client, peers: list[Peer]) -> Peer:
    return await joined(client, peers, "w01")


@pytest.fixture
async def channel(client: Client, sender: Peer) -> dict[str, Any]:
    return await channel_of(sender, VILLAGE, client)


@pytest.fixture
async def listen(client: Client, channel: dict[str, Any]) -> AsyncIterator[Listen]:
    made: list[Receiver] = []

    async def start(username: str, gap_wait_s: float) -> Receiver:
        receiver = Receiver(channel["id"], gap_wait_s)
        await receiver.connect(str(client.make_url("/")), await login(client, username))
        await receiver.follower.start_from_history()
        made.append(receiver)
        return receiver

    yield start
    for receiver in made:
        await receiver.close()


async def lost_fan_out(client: Client, channel_id: int, sender_id: int, msg_id: str) -> int:
    """Commit a message and fan it out to nobody; its offset."""
    store: ChannelStore = client.app[CHANNELS]
    stored = await store.append(channel_id, sender_id, msg_id, "text", {"text": "东庄桥北侧积水"})
    return stored.offset


async def first_live(sender: Peer, channel: dict[str, Any], receiver: Receiver) -> dict[str, Any]:
    """Send the first message and wait until `receiver` has it live."""
    first = await text(sender, channel["id"], "m1", "在岗")
    await receiver.until_offset(first["offset"])
    return first


async def first_then_lost(
    client: Client, sender: Peer, channel: dict[str, Any], receiver: Receiver
) -> tuple[dict[str, Any], int]:
    """The first message, live at `receiver`; then the offset of one never fanned out."""
    first = await first_live(sender, channel, receiver)
    return first, await lost_fan_out(client, channel["id"], first["sender_id"], "m2")


async def reconnect(client: Client, receiver: Receiver, username: str) -> None:
    await receiver.connect(str(client.make_url("/")), await login(client, username))
    receiver.reconnected()


async def test_a_gap_not_filled_live_is_recovered_while_connected(
    client: Client, sender: Peer, channel: dict[str, Any], listen: Listen
) -> None:
    receiver = await listen("w02", 0.2)
    first, lost = await first_then_lost(client, sender, channel, receiver)
    after = await text(sender, channel["id"], "m3", "收到")
    await receiver.until_offset(after["offset"])
    assert receiver.offsets[-3:] == [first["offset"], lost, after["offset"]]
    assert receiver.arrived[-2:] == [first["offset"], after["offset"]]  # `lost` never came live
    assert (receiver.follower.counts.gaps, receiver.follower.counts.recovered) == (1, 1)


async def test_a_reconnect_recovers_from_the_highest_contiguous_offset_not_the_highest_seen(
    client: Client, sender: Peer, channel: dict[str, Any], listen: Listen
) -> None:
    receiver = await listen("w02", LONG_S)
    first, lost = await first_then_lost(client, sender, channel, receiver)
    held = await text(sender, channel["id"], "m3", "收到")
    await receiver.until(lambda: held["offset"] in receiver.arrived)
    assert receiver.follower.log.contiguous == first["offset"]  # `held` waits for `lost`
    assert receiver.sio is not None
    await receiver.sio.disconnect()
    away = await text(sender, channel["id"], "m4", "while away")
    await reconnect(client, receiver, "w02")
    await receiver.until_offset(away["offset"])
    assert receiver.offsets[-4:] == [first["offset"], lost, held["offset"], away["offset"]]


async def test_a_channel_head_makes_a_receiver_recover_at_once(
    client: Client, sender: Peer, channel: dict[str, Any], listen: Listen
) -> None:
    receiver = await listen("w02", LONG_S)
    first, lost = await first_then_lost(client, sender, channel, receiver)
    # What a survivor sends for the channels of a dead node (hub/channel_heads.py).
    assert await announce(client.app[CHANNELS], client.app[REALTIME], [channel["id"]]) == 1
    await receiver.until_offset(lost)
    assert receiver.heads == [
        {"channel_id": channel["id"], "epoch": channel["epoch"], "last_offset": lost}
    ]
    assert receiver.offsets[-2:] == [first["offset"], lost]


async def test_a_new_epoch_makes_a_receiver_reload_from_history(
    client: Client, sender: Peer, channel: dict[str, Any], listen: Listen
) -> None:
    receiver = await listen("w02", LONG_S)
    await first_live(sender, channel, receiver)
    store: ChannelStore = client.app[CHANNELS]
    epoch = await store.reset_epoch(channel["id"])
    after = await text(sender, channel["id"], "m2", "history was reset")
    await receiver.until(lambda: receiver.follower.log.epoch == epoch)
    assert receiver.follower.counts.reloads == 1
    assert receiver.follower.log.contiguous == after["offset"]
    assert receiver.offsets[-1] == after["offset"]


async def test_a_recovery_refused_past_retention_reloads_from_history(
    client: Client, sender: Peer, channel: dict[str, Any], listen: Listen
) -> None:
    receiver = await listen("w02", LONG_S)
    first = await first_live(sender, channel, receiver)
    assert receiver.sio is not None
    await receiver.sio.disconnect()
    missed = [await text(sender, channel["id"], f"away{i}", "x") for i in range(3)]
    store: ChannelStore = client.app[CHANNELS]
    await store.truncate(channel["id"], keep_last=1)  # the gap is no longer in history
    await reconnect(client, receiver, "w02")
    await receiver.until_offset(missed[-1]["offset"])
    assert receiver.follower.counts.reloads == 1
    assert receiver.offsets[-2:] == [first["offset"], missed[-1]["offset"]]
