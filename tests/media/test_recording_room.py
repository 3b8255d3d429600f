"""The recorder room kind in the media worker's own control logic, with real aiortc publishers
over 127.0.0.1: the file decodes, lasts as long as the room, and holds every publisher mixed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiortc import RTCSessionDescription

from loadtests.tone import Tone
from media.protocol import ControlError
from media.recording.writer import sha256_of
from media.worker.server import Worker
from tests.media.recording_peers import (
    LOOPBACK,
    Events,
    candidates_of,
    decode_audio,
    in_process_worker,
    joiner,
    new_peer,
    publish,
    tone_power,
)

CONNECT_S = 10.0


@pytest.fixture
def worker() -> Worker:
    return in_process_worker("media.recording.room")


async def test_two_publishers_are_mixed_into_a_file_as_long_as_the_room(
    worker: Worker, tmp_path: Path
) -> None:
    events, path = Events(worker), tmp_path / "call.ogg"
    await worker.handle(
        "room.open",
        {"room": "r1", "kind": "recorder", "options": {"path": str(path), "recording_id": "c1"}},
    )
    started = time.monotonic()
    tone_a, tone_b = Tone(440.0, mark_s=2.0), Tone(1000.0, mark_s=2.0)
    a, a_up = await publish(joiner(worker, "r1", "a"), tone_a)
    b, b_up = await publish(joiner(worker, "r1", "b"), tone_b)
    await asyncio.wait_for(asyncio.gather(a_up.wait(), b_up.wait()), CONNECT_S)
    assert set(candidates_of(a.remoteDescription.sdp)) == {LOOPBACK}
    await asyncio.wait_for(asyncio.gather(tone_a.marked.wait(), tone_b.marked.wait()), CONNECT_S)
    await asyncio.sleep(0.5)  # let the last sent second cross the jitter delay
    facts = await worker.handle("room.control", {"room": "r1", "action": "stop"})
    length = time.monotonic() - started
    await asyncio.gather(a.close(), b.close())

    ended = await events.next("room", "recording.ended")
    assert ended["data"] == {"recording_id": "c1", **facts}
    samples, duration = decode_audio(path)
    assert abs(duration - length) < 0.3, (duration, length)
    assert abs(facts["duration_s"] - length) < 0.3
    assert facts["size"] == path.stat().st_size
    assert facts["sha256"] == sha256_of(path)
    heard = samples[-48_000:]  # the last second: both talking
    assert tone_power(heard, 440.0) > 0.2
    assert tone_power(heard, 1000.0) > 0.2


async def test_the_room_ends_itself_when_the_last_publisher_leaves(
    worker: Worker, tmp_path: Path
) -> None:
    events, path = Events(worker), tmp_path / "sos.ogg"
    await worker.handle(
        "room.open", {"room": "r2", "kind": "recorder", "options": {"path": str(path)}}
    )
    pc, up = await publish(joiner(worker, "r2", "worker"), Tone(440.0))
    await asyncio.wait_for(up.wait(), CONNECT_S)
    await pc.close()
    ended = await events.next("room", "recording.ended")
    assert ended["data"]["size"] == path.stat().st_size > 0
    with pytest.raises(ControlError) as raised:
        await publish(joiner(worker, "r2", "late"), Tone(440.0))
    assert raised.value.code == "recording.ended"


async def test_bad_options_are_refused(worker: Worker) -> None:
    for options in ({}, {"path": "relative.ogg"}, {"path": "/tmp/x.webm", "video_size": [1, 2]}):
        with pytest.raises(ControlError) as raised:
            await worker.handle("room.open", {"room": "r3", "kind": "recorder", "options": options})
        assert raised.value.code == "control.bad_args"
    assert worker.rooms == {}


async def test_a_listener_joins_sending_nothing_and_does_not_keep_the_room_open(
    worker: Worker, tmp_path: Path
) -> None:
    events, path = Events(worker), tmp_path / "sos-live.ogg"
    await worker.handle(
        "room.open", {"room": "r3", "kind": "recorder", "options": {"path": str(path)}}
    )
    pc, up = await publish(joiner(worker, "r3", "worker"), Tone(440.0))
    await asyncio.wait_for(up.wait(), CONNECT_S)
    listener = new_peer()
    listener.addTransceiver("audio", direction="recvonly")
    await listener.setLocalDescription(await listener.createOffer())
    args = {"room": "r3", "peer": "listen:9", "sdp": listener.localDescription.sdp}
    with pytest.raises(ControlError) as refused:  # without the option, sending nothing is refused
        await worker.handle("peer.join", args)
    assert refused.value.code == "recording.no_media", refused.value.message
    options = {"relay": True, "listener": True}
    reply = await worker.handle("peer.join", {**args, "options": options})
    await listener.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    stats = await worker.handle("room.control", {"room": "r3", "action": "stats"})
    assert (stats["publishers"], stats["listeners"]) == (["worker"], ["listen:9"])

    await worker.handle("peer.leave", {"room": "r3", "peer": "worker"})
    ended = await events.next("room", "recording.ended")  # the listener is still there
    assert ended["data"]["size"] == path.stat().st_size > 0
    await asyncio.gather(pc.close(), listener.close())
