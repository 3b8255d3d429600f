"""Clients through the shipped nginx configuration while nodes die and come back.

Three real nodes on PostgreSQL and Redis behind a private nginx (tests/ops/frontdoor.py).
Socket.IO clients (TLS, websocket transport) and a device (wss://…/ws/device) connect through
nginx only; nginx spreads them over the nodes (least_conn). Nodes are killed with SIGKILL and
one is restarted on its port: every client moves through nginx, recovers what it missed
(channel.recover; the device's resend), and everything acknowledged is stored exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from plugins.alarms.client import DeviceClient, DeviceRefused
from tests.ops.frontdoor import Site, login, open_site, rows
from tests.receivers import Receiver

pytestmark = [
    pytest.mark.postgres,
]

WAIT = 15.0
PER_PHASE = 25  # messages sent in each phase
KILL_AFTER = 8  # messages acked in a phase before its nodes are killed
VILLAGE = "东庄村"  # members v01.cmd, v01.lead, w01..w05
DEVICE = "dev-wl-01"
RETRY_S = 0.2  # a client's pause before connecting again
PACE_S = 0.02  # between a device's frames


@pytest.fixture
async def site(postgres_server: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(postgres_server, tmp_path) as opened:
        yield opened


async def retrying(connect: Callable[[], Awaitable[Any]]) -> None:
    """Connect through nginx, again after a refusal, as real clients do (bounded): while every
    node nginx knows is failing at once it answers 502 until one is back."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            await connect()
            return
        except (socketio.exceptions.ConnectionError, aiohttp.ClientError, DeviceRefused):
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(RETRY_S)


async def village_channel(site: Site) -> int:
    found = await rows(site, "SELECT id FROM channels WHERE name = :name", name=VILLAGE)
    return int(found[0][0])


class Sender:
    """Sends one message at a time through nginx; a send whose socket dropped before the ack
    is sent again, with the same client_msg_id, on a new socket (docs/protocol.md)."""

    def __init__(self, site: Site, token: str, channel_id: int) -> None:
        self.site, self.token, self.channel_id = site, token, channel_id
        self.acked: dict[str, int] = {}
        self.sio: socketio.AsyncClient | None = None
        self.gone = asyncio.Event()
        self.moves = 0

    async def connect(self) -> None:
        sio = socketio.AsyncClient(reconnection=False, http_session=self.site.http)
        gone = self.gone = asyncio.Event()
        sio.on("disconnect", gone.set)
        await sio.connect(self.site.door.https_url, auth={"token": self.token},
                          transports=["websocket"], wait_timeout=WAIT)  # fmt: skip
        self.sio = sio

    async def send_all(self, ids: list[str], progress: asyncio.Event, at: int) -> None:
        for number, msg_id in enumerate(ids, 1):
            while msg_id not in self.acked:
                if self.gone.is_set():
                    await retrying(self.connect)
                    self.moves += 1
                await self.send(msg_id)
            if number == at:
                progress.set()

    async def send(self, msg_id: str) -> None:
        assert self.sio is not None
        body = {"channel_id": self.channel_id, "client_msg_id": msg_id, "kind": "text"}
        call = asyncio.ensure_future(
            self.sio.call("channel.send", {**body, "body": {"text": msg_id}}, timeout=WAIT)
        )
        lost = asyncio.ensure_future(self.gone.wait())
        await asyncio.wait({call, lost}, return_when=asyncio.FIRST_COMPLETED)
        lost.cancel()
        if not call.done():
            call.cancel()  # the node died with the send: the ack will never come
            return
        if isinstance(call.exception(), socketio.exceptions.BadNamespaceError):
            return  # the socket went down before the emit: nothing was sent
        reply = call.result()
        assert reply["ok"] is True, reply
        self.acked[msg_id] = reply["message"]["offset"]


class Device(DeviceClient):
    """The reference device client, over wss:// through nginx."""

    def __init__(self, site: Site, code: str, key: str) -> None:
        super().__init__(site.door.https_url, code, key, binary=True)
        self.site = site
        self.moves = 0

    async def connect(self) -> dict[str, Any]:
        if self._http is None:
            self._http = self.site.session()
        return await super().connect()

    async def stream(self, stop: asyncio.Event) -> None:
        """Telemetry until `stop`; after losing its node, reconnect and resend what is unacked."""
        level = 0.0
        while not stop.is_set():
            level += 1
            with contextlib.suppress(ConnectionError):
                await self.telemetry(level=level)
            if not self.connected:
                await self.close()
                await retrying(self.connect)
                self.moves += 1
            await asyncio.sleep(PACE_S)


async def follow(site: Site, receiver: Receiver, token: str, moves: list[str]) -> None:
    """Each time its socket drops: a new one through nginx, then recover what it missed."""
    while True:
        await receiver.gone.wait()
        await retrying(lambda: receiver.connect(site.door.https_url, token))
        receiver.reconnected()
        moves.append(token)


async def receiver_on(site: Site, token: str, channel_id: int) -> Receiver:
    receiver = Receiver(channel_id, http=site.http)
    await receiver.connect(site.door.https_url, token)
    await receiver.follower.start_from_history()
    return receiver


async def test_clients_through_nginx_survive_nodes_killed_and_restarted(site: Site) -> None:
    """Sockets spread over the three nodes; b is killed mid-traffic and restarted on its port,
    then a and c are killed, so the rest goes through the restarted b. Every client moves
    through nginx, recovers, and everything acknowledged is there exactly once."""
    channel_id = await village_channel(site)
    sender = Sender(site, await login(site, "w01"), channel_id)
    await sender.connect()
    tokens = {name: await login(site, name) for name in ("v01.lead", "w02")}
    receivers = {name: await receiver_on(site, tokens[name], channel_id) for name in tokens}
    keys = json.loads((site.cluster.workdir / "demo-device-keys.json").read_text())
    device = Device(site, DEVICE, keys[DEVICE])
    await device.connect()
    moves: list[str] = []
    followers = [asyncio.create_task(follow(site, r, tokens[n], moves))
                 for n, r in receivers.items()]  # fmt: skip
    stop = asyncio.Event()
    streaming = asyncio.create_task(device.stream(stop))
    try:
        await _phase(site, sender, 1, ["b"])
        await site.restart("b")
        await _phase(site, sender, 2, ["a", "c"])
        stop.set()
        await streaming
        await _everything_once(site, sender, receivers, device)
    finally:
        stop.set()
        for task in [*followers, streaming]:
            task.cancel()
        await asyncio.gather(*followers, streaming, return_exceptions=True)
        await _close(sender, receivers, device)
    assert sender.moves + device.moves + len(moves) >= 2  # someone was on b, and on a or c


async def _phase(site: Site, sender: Sender, phase: int, victims: list[str]) -> None:
    ids = [f"p{phase}-{i}" for i in range(PER_PHASE)]
    progress = asyncio.Event()
    sending = asyncio.create_task(sender.send_all(ids, progress, KILL_AFTER))
    await asyncio.wait_for(progress.wait(), WAIT)
    for name in victims:
        site.nodes[name].kill()
    await asyncio.wait_for(sending, 2 * WAIT)


async def _everything_once(
    site: Site, sender: Sender, receivers: dict[str, Receiver], device: Device
) -> None:
    total = 2 * PER_PHASE
    assert sorted(sender.acked.values()) == list(range(1, total + 1))  # once each, all acked
    for name, receiver in receivers.items():
        await receiver.until_offset(total)
        assert receiver.offsets == list(range(1, total + 1)), name
    await device.wait_acked(device.seq, within_s=WAIT)
    stored = await rows(
        site,
        "SELECT f.seq FROM alarm_frames f JOIN devices d ON d.id = f.device_id"
        " WHERE d.code = :code ORDER BY f.seq",
        code=DEVICE,
    )
    assert [r[0] for r in stored] == list(range(1, device.seq + 1))


async def _close(sender: Sender, receivers: dict[str, Receiver], device: Device) -> None:
    if sender.sio is not None and sender.sio.connected:
        await sender.sio.disconnect()
    for receiver in receivers.values():
        await receiver.close()
    await device.close()
