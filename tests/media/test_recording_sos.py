"""SOS audio is always recorded: the worker who raised an SOS publishes the microphone to the
SOS's recorder (an aiortc client, hub with the escalation plugin and a real media worker)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from loadtests.tone import Tone
from plugins.escalation.plugin import EscalationPlugin
from tests.hub.conftest import StartHub, error_code
from tests.hub.sockets import Peer
from tests.media.recording_hub import RecHub, StartRec, rec_hubs
from tests.media.recording_peers import decode_audio, tone_power

CONNECT_S = 10.0
BASIC = "370783-001-001-01"  # w01's grid


@pytest.fixture
async def hub(start_hub: StartHub, peers: list[Peer]) -> AsyncIterator[RecHub]:
    start: StartRec
    async with rec_hubs(start_hub, peers) as start:
        yield await start(with_plugins={"escalation": EscalationPlugin()})


async def test_the_sos_raiser_publishes_and_the_recording_is_kept(hub: RecHub) -> None:
    worker = await hub.socket("w01")
    sos = (await worker.ok("escalation.sos.raise", {"lat": 36.93, "lon": 118.62}))["sos"]
    tone = Tone(700.0, mark_s=1.5)
    pc, up, reply = await hub.publish("w01", "sos", sos["id"], tone)
    await asyncio.wait_for(up.wait(), CONNECT_S)
    await asyncio.wait_for(tone.marked.wait(), CONNECT_S)
    await pc.close()
    row = await hub.until_done("v01.cmd", reply["recording_id"])  # the village's commander

    assert (row["kind"], row["grid_id"]) == ("sos", hub.grid(BASIC))
    assert row["participants"] == [await hub.person_id("w01")]
    assert (row["room"], row["subject"]) == (f"rec:sos:{sos['id']}", f"sos:{sos['id']}")
    assert 1.4 < row["duration_s"] < 3.5
    console = await hub.client.get(
        f"/api/v1/escalation/sos/{sos['id']}", headers=await hub.auth("v01.cmd")
    )
    assert (await console.json())["sos"]["audio_stream_id"] == f"recording:{row['recording_id']}"
    media = await hub.client.get(
        f"/api/v1/recordings/{row['recording_id']}/media", headers=await hub.auth("town1.cmd")
    )
    assert media.status == 200
    path = hub.data_dir / "recordings"
    files = list(path.rglob(f"{row['recording_id']}.ogg"))
    samples, _ = decode_audio(files[0])
    assert tone_power(samples[-24_000:], 700.0) > 0.3


async def test_only_the_raiser_may_publish_to_an_sos(hub: RecHub) -> None:
    worker = await hub.socket("w01")
    sos = (await worker.ok("escalation.sos.raise", {}))["sos"]
    body = {"kind": "sos", "ref": sos["id"], "sdp": "v=0\r\n" * 3}
    for username in ("w02", "v01.cmd"):
        response = await hub.client.post(
            "/api/v1/recordings/publish", json=body, headers=await hub.auth(username)
        )
        assert (response.status, await error_code(response)) == (404, "recording.sos_not_found")
