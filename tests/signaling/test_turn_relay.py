"""A call forced through a real coturn: both aiortc parties use relay-only ICE with the TURN
credentials the hub issued (`use-auth-secret`), and audio flows over the relayed pair."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy, RTCPeerConnection

from loadtests.tone import Tone
from signaling.turn import turn_credential
from tests.hub.conftest import bearer
from tests.signaling.conftest import TURN_SECRET, CallHub, StartCalls, connected
from tests.signaling.coturn import Coturn, coturn
from tests.signaling.rtc import Side, listen

SHIPPED_CONF = Path(__file__).parents[2] / "deploy" / "turnserver.conf"
WANTED_S = 1.0
DEADLINE_S = 30.0


async def relay_only(hub: CallHub, username: str) -> tuple[RTCConfiguration, dict[str, Any]]:
    """The ICE servers the hub hands `username`, as a relay-only aiortc configuration."""
    person = await hub.person(username)
    response = await hub.client.get("/api/v1/calls/ice-servers", headers=bearer(person.token))
    assert response.status == 200
    [turn] = (await response.json())["ice_servers"]
    config = RTCConfiguration(
        iceServers=[RTCIceServer(**turn)], iceTransportPolicy=RTCIceTransportPolicy.RELAY
    )
    return config, turn


def relayed_pairs(side: Side) -> list[tuple[str, str, int]]:
    """(local type, remote type, local port) of each selected pair of `side`."""
    connection = side.pc.getTransceivers()[0].receiver.transport.transport.iceGatherer._connection
    return [
        (p.local_candidate.type, p.remote_candidate.type, p.local_candidate.port)
        for p in connection._nominated.values()
    ]


async def test_a_call_goes_through_coturn_with_relay_only_ice(
    start_calls: StartCalls, tmp_path: Path
) -> None:
    async with coturn(tmp_path, TURN_SECRET) as turn:
        hub = await start_calls(ice_servers=[turn.url])
        call = await connected(hub, "v01.lead", "w01")
        (caller_config, issued), (callee_config, _) = [
            await relay_only(hub, name) for name in ("v01.lead", "w01")
        ]
        assert issued["urls"] == [turn.url]
        caller = Side(call.caller, call.call_id, [Tone(440.0)], config=caller_config)
        callee = Side(call.callee, call.call_id, [Tone(1000.0)], config=callee_config)
        try:
            await _talk(caller, callee, turn)
        finally:
            await caller.close()
            await callee.close()
        # coturn saw the hub-issued username (expiry:person id) allocate
        assert issued["username"] in turn.log.read_text()


async def _talk(caller: Side, callee: Side, turn: Coturn) -> None:
    for side in (caller, callee):
        side.start()
    await caller.offer()
    heard = await asyncio.wait_for(
        asyncio.gather(
            listen(await caller.tracks["audio"], WANTED_S),
            listen(await callee.tracks["audio"], WANTED_S),
        ),
        DEADLINE_S,
    )
    assert all(frames >= WANTED_S / 0.02 / 2 for frames, _, _ in heard)
    for side in (caller, callee):
        pairs = relayed_pairs(side)
        assert pairs
        assert all(local == remote == "relay" for local, remote, _ in pairs)
        assert all(port in turn.relay_ports for _, _, port in pairs)


async def test_the_shipped_turnserver_conf_loads(tmp_path: Path) -> None:
    """deploy/turnserver.conf is a file coturn accepts (addresses and ports overridden)."""
    async with coturn(tmp_path, TURN_SECRET, config=SHIPPED_CONF) as turn:
        log = turn.log.read_text()
    assert not [line for line in log.splitlines() if "ERROR" in line or "nrecognized" in line]


async def relay_candidates(config: RTCConfiguration) -> list[str]:
    """The relay candidates a relay-only peer gathers with `config`."""
    pc = RTCPeerConnection(config)
    try:
        pc.addTransceiver("audio")
        await pc.setLocalDescription(await pc.createOffer())
        return [line for line in pc.localDescription.sdp.splitlines() if "typ relay" in line]
    finally:
        await pc.close()


async def test_coturn_refuses_credentials_not_signed_with_its_secret(
    start_calls: StartCalls, tmp_path: Path
) -> None:
    async with coturn(tmp_path, TURN_SECRET) as turn:
        hub = await start_calls(ice_servers=[turn.url])
        config, issued = await relay_only(hub, "w01")
        assert len(await relay_candidates(config)) == 1
        forged = turn_credential("another-secret", issued["username"])
        server = RTCIceServer(urls=[turn.url], username=issued["username"], credential=forged)
        refused = RTCConfiguration(
            iceServers=[server], iceTransportPolicy=RTCIceTransportPolicy.RELAY
        )
        assert await relay_candidates(refused) == []
        refusal = f"user <{issued['username']}>: incoming packet message processed, error 401"
        assert refusal in turn.log.read_text()
