"""SOS audio is always recorded: the worker who raised an SOS publishes the microphone to the
SOS's recorder (an aiortc client, hub with the escalation plugin and a real media worker)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import av
import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError

from loadtests.tone import Tone
from plugins.escalation.plugin import EscalationPlugin
from tests.hub.conftest import StartHub, error_code
from tests.hub.sockets import Peer
from tests.media.recording_hub import RecHub, StartRec, rec_hubs
from tests.media.recording_peers import decode_audio, new_peer, tone_power

CONNECT_S = 10.0
BASIC = "370783-001-001-01"  # w01's grid


@pytest.fixture
async def hub(start_hub: StartHub, peers: list[Peer]) -> AsyncIterator[RecHub]:
    start: StartRec
    async with rec_hubs(start_hub, peers) as start:
        yield await start(with_plugins={"escalation": EscalationPlugin()})


@pytest.fixture
async def video_hub(start_hub: StartHub, peers: list[Peer]) -> AsyncIterator[RecHub]:
    """The deployment records video: the raiser's rear camera goes to the recorder too."""
    start: StartRec
    video = {"video": True, "video_width": 320, "video_height": 240}
    async with rec_hubs(start_hub, peers) as start:
        yield await start(video, with_plugins={"escalation": EscalationPlugin()})


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


class Ear:
    """Collects what a peer receives on its first audio track (48 kHz mono)."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.samples: list[np.ndarray] = []
        self.readers: list[asyncio.Task[None]] = []
        pc.on("track", self._track)

    def _track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self.readers.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                for f in resampler.resample(frame):  # type: ignore[arg-type]
                    self.samples.append(f.to_ndarray().reshape(-1))

    async def until(self, hz: float, within_s: float = CONNECT_S) -> float:
        """Wait until the last half second received is mostly `hz`; its share."""
        async with asyncio.timeout(within_s):
            while True:
                recent = np.concatenate(self.samples)[-24_000:] if self.samples else None
                if recent is not None and len(recent) == 24_000:
                    share = tone_power(recent, hz)
                    if share > 0.3:
                        return share
                await asyncio.sleep(0.1)  # polling decoded audio: there is no event for "a tone"


async def test_a_commander_listens_live_and_talks_back(hub: RecHub) -> None:
    worker = await hub.socket("w01")
    sos = (await worker.ok("escalation.sos.raise", {}))["sos"]
    offer_pc = new_peer()
    offer_pc.addTransceiver("audio", direction="recvonly")
    await offer_pc.setLocalDescription(await offer_pc.createOffer())
    body = {"kind": "sos", "ref": sos["id"], "sdp": offer_pc.localDescription.sdp}
    await offer_pc.close()
    for username, status, code in (
        ("v01.cmd", 409, "recording.not_live"),  # nobody publishes yet
        ("w01", 403, "auth.role_required"),
    ):
        response = await hub.client.post(
            "/api/v1/recordings/listen", json=body, headers=await hub.auth(username)
        )
        assert (response.status, await error_code(response)) == (status, code), username

    raiser = new_peer()
    raiser_ear = Ear(raiser)
    raiser.addTransceiver(Tone(700.0), direction="sendrecv")
    await raiser.setLocalDescription(await raiser.createOffer())
    pub = {"kind": "sos", "ref": sos["id"], "sdp": raiser.localDescription.sdp}
    published = await hub.client.post(
        "/api/v1/recordings/publish", json=pub, headers=await hub.auth("w01")
    )
    answer = await published.json()
    await raiser.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    hub.pcs.append(raiser)

    outsider = await hub.client.post(
        "/api/v1/recordings/listen", json=body, headers=await hub.auth("v02.cmd")
    )
    assert (outsider.status, await error_code(outsider)) == (404, "recording.sos_not_found")

    commander = new_peer()
    ear = Ear(commander)
    commander.addTransceiver(Tone(1100.0), direction="sendrecv")  # talks back
    await commander.setLocalDescription(await commander.createOffer())
    listen = {**body, "sdp": commander.localDescription.sdp}
    reply = await hub.client.post(
        "/api/v1/recordings/listen", json=listen, headers=await hub.auth("v01.cmd")
    )
    heard = await reply.json()
    assert reply.status == 200, heard
    assert heard["recording_id"] == answer["recording_id"]
    await commander.setRemoteDescription(RTCSessionDescription(sdp=heard["sdp"], type="answer"))
    hub.pcs.append(commander)

    assert await ear.until(700.0) > 0.3  # the raiser's microphone, live
    assert await raiser_ear.until(1100.0) > 0.3  # the commander's voice reaches the raiser
    stats = await hub.pool.room(f"rec:sos:{sos['id']}").control("stats")  # type: ignore[union-attr]
    assert stats["publishers"] == [str(await hub.person_id("w01"))]
    assert stats["listeners"] == [f"listen:{await hub.person_id('v01.cmd')}"]
    assert stats["relayed_blocks"] > 0
    await commander.close()
    await raiser.close()
    row = await hub.until_done("v01.cmd", answer["recording_id"])
    people = {await hub.person_id(u) for u in ("w01", "v01.cmd")}
    assert set(row["participants"]) == people  # the listener may play it back too


class Eye:
    """Counts the video frames a peer receives (decoded by the client)."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.frames = 0
        self.enough = asyncio.Event()
        self.readers: list[asyncio.Task[None]] = []
        pc.on("track", self._track)

    def _track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self.readers.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                if isinstance(await track.recv(), av.VideoFrame):
                    self.frames += 1
                    if self.frames >= 5:
                        self.enough.set()


async def test_a_listening_commander_sees_the_rear_camera_live(video_hub: RecHub) -> None:
    hub = video_hub
    worker = await hub.socket("w01")
    sos = (await worker.ok("escalation.sos.raise", {}))["sos"]
    raiser = new_peer()
    raiser.addTransceiver(Tone(700.0), direction="sendrecv")
    raiser.addTransceiver(VideoStreamTrack(), direction="sendonly")  # the rear camera
    await raiser.setLocalDescription(await raiser.createOffer())
    pub = {"kind": "sos", "ref": sos["id"], "sdp": raiser.localDescription.sdp}
    published = await hub.client.post(
        "/api/v1/recordings/publish", json=pub, headers=await hub.auth("w01")
    )
    answer = await published.json()
    assert published.status == 200, answer
    await raiser.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    hub.pcs.append(raiser)

    commander = new_peer()
    ear, eye = Ear(commander), Eye(commander)
    commander.addTransceiver("audio", direction="recvonly")
    commander.addTransceiver("video", direction="recvonly")
    await commander.setLocalDescription(await commander.createOffer())
    listen = {"kind": "sos", "ref": sos["id"], "sdp": commander.localDescription.sdp}
    reply = await hub.client.post(
        "/api/v1/recordings/listen", json=listen, headers=await hub.auth("v01.cmd")
    )
    heard = await reply.json()
    assert reply.status == 200, heard
    await commander.setRemoteDescription(RTCSessionDescription(sdp=heard["sdp"], type="answer"))
    hub.pcs.append(commander)

    await asyncio.wait_for(eye.enough.wait(), CONNECT_S)  # the camera's pictures, live
    assert await ear.until(700.0) > 0.3  # and the microphone, as before
    stats = await hub.pool.room(f"rec:sos:{sos['id']}").control("stats")  # type: ignore[union-attr]
    assert stats["video_to_listeners"] > 0
    await commander.close()
    await raiser.close()
    row = await hub.until_done("v01.cmd", answer["recording_id"])
    assert (row["container"], row["media"]) == ("webm", "video")  # recorded as well
