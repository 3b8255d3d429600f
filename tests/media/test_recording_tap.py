"""The `record` tap on the media worker's mixed room: two aiortc participants with different
tones, the group call's mix recorded to an Opus file as long as the room was open."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from loadtests.tone import Tone
from media.protocol import ControlError
from media.worker.server import Worker
from tests.media.recording_peers import (
    Events,
    decode_audio,
    in_process_worker,
    joiner,
    publish,
    tone_power,
)

CONNECT_S = 10.0


@pytest.fixture
def worker() -> Worker:
    return in_process_worker("media.worker.mixing", "media.recording.tap")


async def test_the_mix_of_a_group_call_is_recorded(worker: Worker, tmp_path: Path) -> None:
    events, path = Events(worker), tmp_path / "group.ogg"
    taps = {"record": {"path": str(path), "recording_id": "g1"}}
    opened = time.monotonic()
    await worker.handle("room.open", {"room": "g", "kind": "mixed", "options": {"taps": taps}})
    tone_a, tone_b = Tone(440.0, mark_s=1.5), Tone(1000.0, mark_s=1.5)
    a, a_up = await publish(joiner(worker, "g", "a"), tone_a, direction="sendrecv")
    b, b_up = await publish(joiner(worker, "g", "b"), tone_b, direction="sendrecv")
    await asyncio.wait_for(asyncio.gather(a_up.wait(), b_up.wait()), CONNECT_S)
    await asyncio.wait_for(asyncio.gather(tone_a.marked.wait(), tone_b.marked.wait()), CONNECT_S)
    await worker.handle("room.close", {"room": "g"})
    length = time.monotonic() - opened
    await asyncio.gather(a.close(), b.close())

    ended = (await events.next("room", "recording.ended"))["data"]
    assert ended["recording_id"] == "g1"
    assert ended["size"] == path.stat().st_size
    samples, duration = decode_audio(path)
    assert abs(duration - length) < 0.4, (duration, length)
    heard = samples[-48_000:]
    assert tone_power(heard, 440.0) > 0.2
    assert tone_power(heard, 1000.0) > 0.2


async def test_a_tap_without_a_path_is_refused(worker: Worker) -> None:
    taps = {"record": {"path": "relative.ogg", "recording_id": "x"}}
    with pytest.raises(ControlError) as raised:
        await worker.handle("room.open", {"room": "g", "kind": "mixed", "options": {"taps": taps}})
    assert raised.value.code == "control.bad_args"
    assert worker.rooms == {}
