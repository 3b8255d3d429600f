"""The recorder room on real aiortc peers over 127.0.0.1: the file decodes, lasts as long as the
room, and holds every publisher's audio mixed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiortc import RTCSessionDescription

from media.recording.room import RecorderRoom, RoomClosed
from media.recording.writer import FileFacts, sha256_of
from tests.media.recording_peers import (
    LOOPBACK,
    Tone,
    candidates_of,
    decode_audio,
    loopback_only,
    publish,
    tone_power,
)

CONNECT_S = 10.0


@pytest.fixture(autouse=True)
def _loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    loopback_only(monkeypatch)


class Ended:
    def __init__(self) -> None:
        self.facts: asyncio.Future[FileFacts] = asyncio.get_running_loop().create_future()

    async def __call__(self, room: RecorderRoom, facts: FileFacts) -> None:
        self.facts.set_result(facts)


async def test_two_publishers_are_mixed_into_a_file_as_long_as_the_room(tmp_path: Path) -> None:
    ended = Ended()
    room = RecorderRoom("call:1", tmp_path / "call.ogg", None, ended)
    started = time.monotonic()
    a, a_up = await publish(lambda offer: room.publish("a", offer), Tone(440.0))
    b, b_up = await publish(lambda offer: room.publish("b", offer), Tone(1000.0))
    await asyncio.wait_for(asyncio.gather(a_up.wait(), b_up.wait()), CONNECT_S)
    assert set(candidates_of(room.publishers["a"].localDescription.sdp)) == {LOOPBACK}
    while room.frames_in < 2 * 100:  # two seconds of audio from both
        await asyncio.sleep(0.05)
    facts = await room.stop()
    length = time.monotonic() - started
    await a.close(), await b.close()

    assert await ended.facts == facts
    samples, duration = decode_audio(tmp_path / "call.ogg")
    assert abs(duration - length) < 0.3, (duration, length)
    assert abs(facts.duration_s - length) < 0.3
    assert facts.size == (tmp_path / "call.ogg").stat().st_size
    assert facts.sha256 == sha256_of(tmp_path / "call.ogg")
    heard = samples[-48_000:-9_600]  # the last second before the jitter delay: both talking
    assert tone_power(heard, 440.0) > 0.2 and tone_power(heard, 1000.0) > 0.2


async def test_the_room_ends_itself_when_the_last_publisher_leaves(tmp_path: Path) -> None:
    ended = Ended()
    room = RecorderRoom("sos:9", tmp_path / "sos.ogg", None, ended)
    pc, up = await publish(lambda offer: room.publish("worker", offer), Tone(440.0))
    await asyncio.wait_for(up.wait(), CONNECT_S)
    await pc.close()
    facts = await asyncio.wait_for(ended.facts, CONNECT_S)
    assert room.ended and facts.size > 0
    offer = RTCSessionDescription(sdp=pc.localDescription.sdp, type="offer")
    with pytest.raises(RoomClosed):
        await room.publish("late", offer)
