"""Channels over real socket.io clients: durable send, fan-out, resend, recovery, files, scope."""

from __future__ import annotations

import asyncio
import struct
import zlib
from typing import Any

from hub.keys import CHANNELS, GRIDS
from loadtests.channel_log import ChannelLog
from tests.hub.conftest import Client, StartHub, bearer, error_code, login
from tests.hub.sockets import Peer, connect, joined

VILLAGE = "370783-001-001"  # 东庄村: v01.cmd, v01.lead, w01..w05 hold roles in it
OTHER_TOWN_VILLAGE = "370783-002-001"


async def channel_of(peer: Peer, grid_code: str, client: Client) -> dict[str, Any]:
    """The grid channel of `grid_code` as listed to `peer` (who must be a member)."""
    grid_id = client.app[GRIDS].index.by_code(grid_code).id
    channels = (await peer.ok("channel.list", {}))["channels"]
    return next(c for c in channels if c["kind"] == "grid" and c["grid_id"] == grid_id)


async def village_sender(client: Client, peers: list[Peer]) -> tuple[Peer, dict[str, Any]]:
    """w01 connected, and the village grid channel as w01 sees it."""
    sender = await joined(client, peers, "w01")
    return sender, await channel_of(sender, VILLAGE, client)


def send(channel_id: int, msg_id: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The payload of a channel.send."""
    return {"channel_id": channel_id, "client_msg_id": msg_id, "kind": kind, "body": body}


async def text(peer: Peer, channel_id: int, msg_id: str, words: str) -> dict[str, Any]:
    reply = await peer.ok("channel.send", send(channel_id, msg_id, "text", {"text": words}))
    message: dict[str, Any] = reply["message"]
    return message


async def test_grid_members_get_durable_messages_in_order(
    client: Client, peers: list[Peer]
) -> None:
    sender, channel = await village_sender(client, peers)
    listener = await joined(client, peers, "w02")
    sent = [await text(sender, channel["id"], f"m{i}", f"hello {i}") for i in range(5)]
    assert [m["offset"] for m in sent] == list(range(1, 6))
    got = [
        await listener.next("channel.message", lambda m: m["channel_id"] == channel["id"])
        for _ in range(5)
    ]
    assert [m["body"]["text"] for m in got] == [f"hello {i}" for i in range(5)]
    assert {m["epoch"] for m in got} == {channel["epoch"]}
    history = await listener.ok("channel.history", {"channel_id": channel["id"], "limit": 3})
    assert [m["offset"] for m in history["messages"]] == [3, 4, 5]


async def test_a_resend_is_acked_with_the_original_and_applied_once(
    client: Client, peers: list[Peer]
) -> None:
    sender, channel = await village_sender(client, peers)
    listener = await joined(client, peers, "w02")
    first = await text(sender, channel["id"], "once", "only once")
    again = await text(sender, channel["id"], "once", "only once")
    after = await text(sender, channel["id"], "next", "the next one")
    assert again == first
    assert after["offset"] == first["offset"] + 1
    # The resend is fanned out again under its offset; a client drops the duplicate.
    seen = [await listener.next("channel.message") for _ in range(3)]
    assert [m["offset"] for m in seen] == [first["offset"], first["offset"], after["offset"]]
    log = ChannelLog(channel["id"])
    log.position(channel["epoch"], first["offset"] - 1)
    applied = [m for message in seen for m in log.accept(message)]
    assert [m["client_msg_id"] for m in applied] == ["once", "next"]


async def test_a_resend_delivers_a_committed_message_whose_fan_out_was_lost(
    client: Client, peers: list[Peer]
) -> None:
    sender, channel = await village_sender(client, peers)
    listener = await joined(client, peers, "w02")
    me = (await text(sender, channel["id"], "hello", "在岗"))["sender_id"]
    await listener.next("channel.message")
    # Committed and acked to nobody, as by a node that dies before its fan-out.
    lost = await client.app[CHANNELS].append(
        channel["id"], me, "lost", "text", {"text": "东庄桥北侧积水"}
    )
    again = await text(sender, channel["id"], "lost", "东庄桥北侧积水")  # the sender's resend
    assert again["offset"] == lost.offset
    delivered = await listener.next("channel.message")
    assert (delivered["client_msg_id"], delivered["offset"]) == ("lost", lost.offset)


async def test_reconnecting_client_recovers_exactly_what_it_missed(
    client: Client, peers: list[Peer]
) -> None:
    sender, channel = await village_sender(client, peers)
    listener_token = await login(client, "w02")
    listener = await connect(client, listener_token)
    await text(sender, channel["id"], "before", "seen live")
    seen = await listener.next("channel.message")
    await listener.sio.disconnect()
    missed = [await text(sender, channel["id"], f"gap{i}", f"while away {i}") for i in range(4)]
    back = await connect(client, listener_token)
    peers.append(back)
    position = {"channel_id": channel["id"], "offset": seen["offset"], "epoch": seen["epoch"]}
    result = (await back.ok("channel.recover", {"channels": [position]}))["results"][0]
    assert result["recovered"] is True
    assert [m["offset"] for m in result["messages"]] == [m["offset"] for m in missed]
    assert [m["client_msg_id"] for m in result["messages"]] == [f"gap{i}" for i in range(4)]


async def test_recovery_past_retention_or_epoch_says_not_recovered(
    client: Client, peers: list[Peer]
) -> None:
    sender, channel = await village_sender(client, peers)
    for i in range(6):
        await text(sender, channel["id"], f"r{i}", "x")
    await client.app[CHANNELS].truncate(channel["id"], keep_last=2)
    gap = {"channel_id": channel["id"], "offset": 1, "epoch": channel["epoch"]}
    result = (await sender.ok("channel.recover", {"channels": [gap]}))["results"][0]
    assert result == {
        "channel_id": channel["id"],
        "recovered": False,
        "epoch": channel["epoch"],
        "last_offset": 6,
        "messages": [],
        "more": False,
        "next_offset": 6,
    }
    stale = {"channel_id": channel["id"], "offset": 5, "epoch": "0000"}
    assert (await sender.ok("channel.recover", {"channels": [stale]}))["results"][0][
        "recovered"
    ] is False


async def test_a_commander_opens_a_grid_channel_below_by_the_grids_id(
    client: Client, peers: list[Peer]
) -> None:
    worker, village = await village_sender(client, peers)
    county = await joined(client, peers, "county.cmd")
    grid_id = client.app[GRIDS].index.by_code(VILLAGE).id
    opened = await county.ok("channel.open", {"grid_id": grid_id})
    assert opened["channel"]["id"] == village["id"]
    await text(county, village["id"], "g1", "县指挥中心：请核实")
    heard = await worker.next("channel.message", lambda m: m["channel_id"] == village["id"])
    assert heard["body"]["text"] == "县指挥中心：请核实"

    other = client.app[GRIDS].index.by_code(OTHER_TOWN_VILLAGE).id
    for body in ({"grid_id": other}, {"grid_id": 999_999}):
        assert (await worker.call("channel.open", body))["error"]["code"] == "channel.forbidden"
    both = await county.call("channel.open", {"grid_id": grid_id, "channel_id": village["id"]})
    assert both["error"]["code"] == "request.invalid"


async def test_scope_and_membership_are_enforced(client: Client, peers: list[Peer]) -> None:
    worker = await joined(client, peers, "w01")
    other = client.app[GRIDS].index.by_code(OTHER_TOWN_VILLAGE)
    elsewhere_info = await client.app[CHANNELS].ensure_grid_channel(other.id, other.name)
    elsewhere = {"id": elsewhere_info.id}
    denied = await worker.call("channel.open", {"channel_id": elsewhere["id"]})
    assert denied["error"]["code"] == "channel.forbidden"
    not_joined = await worker.call(
        "channel.send", send(elsewhere["id"], "x", "text", {"text": "hi"})
    )
    assert not_joined["error"]["code"] == "channel.not_joined"
    history = await worker.call("channel.history", {"channel_id": elsewhere["id"]})
    assert history["error"]["code"] == "channel.forbidden"
    town_cmd = await joined(client, peers, "town1.cmd")
    village = await channel_of(worker, VILLAGE, client)
    refused = await town_cmd.call("channel.send", send(village["id"], "c1", "text", {"text": "hi"}))
    assert refused["ok"] is False
    await town_cmd.ok("channel.open", {"channel_id": village["id"]})
    await text(town_cmd, village["id"], "c1", "the town centre speaks")
    heard = await worker.next("channel.message", lambda m: m["channel_id"] == village["id"])
    assert heard["body"]["text"] == "the town centre speaks"


async def test_bad_messages_are_refused_and_store_nothing(
    client: Client, peers: list[Peer]
) -> None:
    worker, channel = await village_sender(client, peers)
    base = {"channel_id": channel["id"], "client_msg_id": "b"}
    cases = [
        ({**base, "kind": "text", "body": {"text": ""}}, "channel.body_invalid"),
        ({**base, "kind": "text", "body": {"text": "x" * 4001}}, "channel.body_invalid"),
        ({**base, "kind": "system", "body": {"notice": "fake"}}, "request.invalid"),
        ({**base, "kind": "image", "body": {"file_id": "nope"}}, "file.not_found"),
        ({**base, "kind": "location", "body": {"lat": 100, "lon": 0}}, "channel.body_invalid"),
        ({"channel_id": channel["id"], "kind": "text", "body": {"text": "x"}}, "request.invalid"),
    ]
    for payload, code in cases:
        assert (await worker.call("channel.send", payload))["error"]["code"] == code, payload
    info = await worker.ok("channel.history", {"channel_id": channel["id"]})
    assert info["last_offset"] == 0


async def test_direct_chat_read_markers_and_mentions(client: Client, peers: list[Peer]) -> None:
    worker = await joined(client, peers, "w01")
    commander = await joined(client, peers, "v01.cmd")
    me = await (
        await client.get("/api/v1/auth/me", headers=bearer(await login(client, "v01.cmd")))
    ).json()
    direct = (await worker.ok("channel.direct", {"person_id": me["person_id"]}))["channel"]
    await commander.next("channel.joined", lambda d: d["channel_id"] == direct["id"])
    sent = await worker.ok(
        "channel.send",
        {
            "channel_id": direct["id"],
            "client_msg_id": "d1",
            "kind": "text",
            "body": {"text": "报告"},
            "mentions": [me["person_id"]],
        },
    )
    mention = await commander.next("channel.mention")
    assert mention["offset"] == sent["message"]["offset"]
    await commander.ok("channel.read", {"channel_id": direct["id"], "offset": 99})
    marker = await worker.next("channel.read", lambda d: d["person_id"] == me["person_id"])
    assert marker["offset"] == 1
    back = await commander.ok("channel.read", {"channel_id": direct["id"], "offset": 0})
    assert back["read_offset"] == 1


async def test_adhoc_channel_create_invite_leave(client: Client, peers: list[Peer]) -> None:
    owner = await joined(client, peers, "v01.cmd")
    guest = await joined(client, peers, "w03")
    admin = await login(client, "admin")
    people = await (await client.get("/api/v1/people", headers=bearer(admin))).json()
    ids = {p["username"]: p["id"] for p in people}
    created = await owner.ok("channel.create", {"name": "防汛专班", "members": [ids["w01"]]})
    channel_id = created["channel"]["id"]
    outsider = await owner.call(
        "channel.invite", {"channel_id": channel_id, "person_ids": [ids["w41"]]}
    )
    assert outsider["error"]["code"] == "scope.forbidden"
    await owner.ok("channel.invite", {"channel_id": channel_id, "person_ids": [ids["w03"]]})
    await guest.next("channel.joined", lambda d: d["channel_id"] == channel_id)
    notice = await guest.next("channel.message", lambda m: m["kind"] == "system")
    assert notice["body"]["notice"] == "members_added"
    not_owner = await guest.call(
        "channel.invite", {"channel_id": channel_id, "person_ids": [ids["w02"]]}
    )
    assert not_owner["error"]["code"] == "channel.owner_required"
    await guest.ok("channel.leave", {"channel_id": channel_id})
    await guest.next("channel.left", lambda d: d["channel_id"] == channel_id)
    members = (await owner.ok("channel.members", {"channel_id": channel_id}))["members"]
    assert sorted(m["username"] for m in members) == ["v01.cmd", "w01"]


def png(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x00\x80\xff" * width)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def upload(client: Client, token: str, channel_id: int, data: bytes, name: str) -> Any:
    from aiohttp import FormData

    form = FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return await client.post(
        f"/api/v1/channels/{channel_id}/files", data=form, headers=bearer(token)
    )


async def test_uploads_are_sniffed_limited_and_served_to_members_only(
    start_hub: StartHub, peers: list[Peer]
) -> None:
    hub = await start_hub(files={"max_image_bytes": 4096})
    client = hub.client
    token = await login(client, "w01")
    worker = await connect(client, token)
    peers.append(worker)
    channel = await channel_of(worker, VILLAGE, client)
    image = png()
    response = await upload(client, token, channel["id"], image, "现场.png")
    assert response.status == 201
    stored = await response.json()
    assert (stored["content_type"], stored["size"]) == ("image/png", len(image))
    as_image = send(channel["id"], "i1", "image", {"file_id": stored["file_id"]})
    sent = await worker.ok("channel.send", as_image)
    assert sent["message"]["body"]["content_type"] == "image/png"
    as_voice = await worker.call(
        "channel.send", send(channel["id"], "v1", "voice", {"file_id": stored["file_id"]})
    )
    assert as_voice["error"]["code"] == "channel.file_kind"
    mine = await client.get(f"/api/v1/files/{stored['file_id']}", headers=bearer(token))
    assert (mine.status, await mine.read()) == (200, image)
    stranger = await login(client, "town2.cmd")
    theirs = await client.get(f"/api/v1/files/{stored['file_id']}", headers=bearer(stranger))
    assert (theirs.status, await error_code(theirs)) == (403, "channel.forbidden")
    exe = await upload(client, token, channel["id"], b"MZ\x90\x00" + b"\x00" * 200, "a.exe")
    assert (exe.status, await error_code(exe)) == (415, "file.type_refused")
    big = await upload(client, token, channel["id"], png(200, 200) + b"\x00" * 8000, "big.png")
    assert (big.status, await error_code(big)) == (413, "file.too_large")
    files_on_disk = [p for p in (hub.settings.data_dir / "uploads").rglob("*") if p.is_file()]
    assert len(files_on_disk) == 1


async def test_role_changes_move_live_sockets_between_grid_channels(
    client: Client, peers: list[Peer]
) -> None:
    worker = await joined(client, peers, "w01")
    admin = await login(client, "admin")
    people = await (await client.get("/api/v1/people", headers=bearer(admin))).json()
    w01 = next(p for p in people if p["username"] == "w01")
    target = client.app[GRIDS].index.by_code(OTHER_TOWN_VILLAGE)
    roles = [{"role": "grid_worker", "grid": OTHER_TOWN_VILLAGE}]
    response = await client.patch(
        f"/api/v1/people/{w01['id']}", json={"roles": roles}, headers=bearer(admin)
    )
    assert response.status == 200
    channel = await client.app[CHANNELS].ensure_grid_channel(target.id, target.name)
    joined_event = await worker.next("channel.joined", lambda d: d["channel_id"] == channel.id)
    assert joined_event == {"channel_id": channel.id}
    village = client.app[GRIDS].index.by_code(VILLAGE)
    old = await client.app[CHANNELS].ensure_grid_channel(village.id, village.name)
    await worker.next("channel.left", lambda d: d["channel_id"] == old.id)
    await text(worker, channel.id, "moved", "报到")


async def test_concurrent_sends_fan_out_in_offset_order(client: Client, peers: list[Peer]) -> None:
    sender, channel = await village_sender(client, peers)
    listener = await joined(client, peers, "w02")
    acks = await asyncio.gather(*(text(sender, channel["id"], f"c{i}", "x") for i in range(60)))
    assert sorted(a["offset"] for a in acks) == list(range(1, 61))
    got = [(await listener.next("channel.message"))["offset"] for _ in range(60)]
    assert got == list(range(1, 61))
