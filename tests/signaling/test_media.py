"""Real aiortc peers set up calls only through the hub's `call.signal`; media flows.

Every candidate either side gathers, and the selected pair, are checked to be 127.0.0.1.
"""

from __future__ import annotations

import asyncio

from aiortc import VideoStreamTrack

from loadtests.tone import Tone
from tests.signaling.conftest import CallHub, connected
from tests.signaling.rtc import Side, frames, listen, power

CALLER_HZ, CALLEE_HZ = 440.0, 1000.0
WANTED_S = 1.0  # of received audio per side
DEADLINE_S = 20.0


async def test_two_aiortc_peers_talk_through_hub_signaling(hub: CallHub) -> None:
    call = await connected(hub, "v01.lead", "w01")
    caller = Side(call.caller, call.call_id, [Tone(CALLER_HZ)])
    callee = Side(call.callee, call.call_id, [Tone(CALLEE_HZ)])
    try:
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
        caller.assert_loopback()
        callee.assert_loopback()
    finally:
        await caller.close()
        await callee.close()
    (caller_frames, at_caller, rate_a), (callee_frames, at_callee, rate_b) = heard
    assert caller_frames >= WANTED_S / 0.02 / 2
    assert callee_frames >= WANTED_S / 0.02 / 2
    # Each side hears the other's tone, not its own.
    assert power(at_caller, CALLEE_HZ, rate_a) > 20 * power(at_caller, CALLER_HZ, rate_a)
    assert power(at_callee, CALLER_HZ, rate_b) > 20 * power(at_callee, CALLEE_HZ, rate_b)
    await call.caller.ok("call.hangup", {"call_id": call.call_id})


async def test_renegotiation_adds_video_to_a_voice_call(hub: CallHub) -> None:
    call = await connected(hub, "v01.lead", "w01")
    caller = Side(call.caller, call.call_id, [Tone(CALLER_HZ)])
    callee = Side(call.callee, call.call_id, [Tone(CALLEE_HZ)])
    try:
        for side in (caller, callee):
            side.start()
        await caller.offer()
        await asyncio.wait_for(frames(await callee.tracks["audio"], 5), DEADLINE_S)
        assert not callee.tracks["video"].done()
        # The callee adds its camera: a second offer/answer on the same connection.
        await callee.offer(add=VideoStreamTrack())
        video = await asyncio.wait_for(caller.tracks["video"], DEADLINE_S)
        got = await asyncio.wait_for(frames(video, 5), DEADLINE_S)
        assert all(frame.width == 640 and frame.height == 480 for frame in got)
        # Audio still flows after the renegotiation.
        await asyncio.wait_for(frames(await caller.tracks["audio"], 5), DEADLINE_S)
        caller.assert_loopback()
    finally:
        await caller.close()
        await callee.close()
