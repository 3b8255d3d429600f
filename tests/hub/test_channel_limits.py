"""A small channel request never buys a huge reply: repeats count once, lists are capped and
every list reply stops at a budget, saying `more` and where to go on from."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.chat import PAGE_MAX, RECOVER_MAX_CHANNELS, RECOVER_MAX_MESSAGES
from hub.keys import CHANNELS, GRIDS
from hub.replies import REPLY_MAX_BYTES, json_size
from tests.hub.conftest import Client
from tests.hub.sockets import Peer, joined

VILLAGE = "370783-001-001"  # w01 is a member of its channel
COUNTY = "370783"


async def village(client: Client) -> int:
    grid_id = client.app[GRIDS].index.by_code(VILLAGE).id
    return (await client.app[CHANNELS].grid_memberships())[grid_id][0]


async def fill(client: Client, channel: int, count: int, text: str) -> None:
    store = client.app[CHANNELS]
    await asyncio.gather(
        *(store.append(channel, None, None, "text", {"text": text}) for _ in range(count))
    )


async def recover_all(peer: Peer, channel: int, epoch: str) -> tuple[list[int], list[int]]:
    """Recover from offset 0, paging on while the reply says `more`: (offsets, reply sizes)."""
    offsets: list[int] = []
    sizes: list[int] = []
    offset = 0
    while True:
        position = {"channel_id": channel, "offset": offset, "epoch": epoch}
        reply = await peer.ok("channel.recover", {"channels": [position]})
        sizes.append(json_size(reply))
        (result,) = reply["results"]
        assert result["recovered"] is True
        offsets += [m["offset"] for m in result["messages"]]
        assert reply["more"] is result["more"]
        if not result["more"]:
            return offsets, sizes
        offset = result["next_offset"]


async def test_the_same_channel_many_times_is_recovered_once(
    client: Client, peers: list[Peer]
) -> None:
    worker = await joined(client, peers, "w01")
    channel = await village(client)
    await fill(client, channel, 20, "早上好")
    epoch = (await client.app[CHANNELS].get(channel)).epoch  # type: ignore[union-attr]
    position = {"channel_id": channel, "offset": 0, "epoch": epoch}
    reply = await worker.ok("channel.recover", {"channels": [position] * RECOVER_MAX_CHANNELS})
    assert [r["channel_id"] for r in reply["results"]] == [channel]
    assert len(reply["results"][0]["messages"]) == 20
    too_many = await worker.call(
        "channel.recover", {"channels": [position] * (RECOVER_MAX_CHANNELS + 1)}
    )
    assert too_many["ok"] is False
    assert too_many["error"]["code"] == "request.invalid"


async def test_recover_stops_at_its_message_budget_and_pages_on(
    client: Client, peers: list[Peer]
) -> None:
    worker = await joined(client, peers, "w01")
    channel = await village(client)
    await fill(client, channel, RECOVER_MAX_MESSAGES + 100, "短消息")
    epoch = (await client.app[CHANNELS].get(channel)).epoch  # type: ignore[union-attr]
    first = await worker.ok(
        "channel.recover", {"channels": [{"channel_id": channel, "offset": 0, "epoch": epoch}]}
    )
    (result,) = first["results"]
    assert len(result["messages"]) == RECOVER_MAX_MESSAGES
    assert (result["more"], result["next_offset"]) == (True, RECOVER_MAX_MESSAGES)
    offsets, _sizes = await recover_all(worker, channel, epoch)
    assert offsets == list(range(1, RECOVER_MAX_MESSAGES + 101))


async def test_recover_and_history_stop_at_their_byte_budget(
    client: Client, peers: list[Peer]
) -> None:
    worker = await joined(client, peers, "w01")
    channel = await village(client)
    await fill(client, channel, 60, "长" * 4000)  # ~24 KB each on the wire
    epoch = (await client.app[CHANNELS].get(channel)).epoch  # type: ignore[union-attr]
    offsets, sizes = await recover_all(worker, channel, epoch)
    assert offsets == list(range(1, 61))
    assert len(sizes) > 1
    assert max(sizes) <= REPLY_MAX_BYTES + 4096  # the rows, plus the reply's own fields
    history = await worker.ok("channel.history", {"channel_id": channel, "limit": 200})
    got = [m["offset"] for m in history["messages"]]
    assert 0 < len(got) < 60
    assert got == list(range(61 - len(got), 61))  # the newest, in order
    assert json_size(history) <= REPLY_MAX_BYTES + 4096


async def test_member_lists_and_markers_page(client: Client, peers: list[Peer]) -> None:
    worker = await joined(client, peers, "w01")
    grid_id = client.app[GRIDS].index.by_code(COUNTY).id
    channel, everyone = (await client.app[CHANNELS].grid_memberships())[grid_id]
    assert len(everyone) > 10
    for event, key in (("channel.members", "members"), ("channel.markers", "markers")):
        seen: list[int] = []
        after, more = 0, True
        while more:
            page = await worker.ok(event, {"channel_id": channel, "after": after, "limit": 7})
            rows: Any = page[key]
            ids = [m["person_id"] for m in rows] if key == "members" else [int(k) for k in rows]
            assert len(ids) <= 7
            seen += ids
            after, more = (ids[-1] if ids else after), page["more"]
        assert seen == sorted(everyone)
    over = await worker.call("channel.members", {"channel_id": channel, "limit": PAGE_MAX + 1})
    assert over["error"]["code"] == "request.invalid"


async def test_channel_list_pages(client: Client, peers: list[Peer]) -> None:
    worker = await joined(client, peers, "w01")
    everything = await worker.ok("channel.list", {})
    assert everything["more"] is False
    seen: list[int] = []
    after, more = 0, True
    while more:
        page = await worker.ok("channel.list", {"after": after, "limit": 1})
        seen += [c["id"] for c in page["channels"]]
        after, more = seen[-1], page["more"]
    assert seen == [c["id"] for c in everything["channels"]]
    assert len(seen) > 1
