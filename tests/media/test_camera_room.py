"""The camera room kind in the media worker's own control logic: a generated VP8 file reaches two
real aiortc viewers over 127.0.0.1 from one decoder; idle after the grace; bad input refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from loadtests.tone import Tone
from media.protocol import ControlError
from media.worker.server import Worker
from tests.media.recording_peers import (
    Events,
    Viewer,
    in_process_worker,
    joiner,
    make_test_video,
    publish,
)

CONNECT_S = 15.0
WANT = 20  # pictures each viewer must decode


@pytest.fixture
def worker() -> Worker:
    return in_process_worker("media.camera.room")


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "pattern.webm"
    make_test_video(path)
    return path


async def open_camera(worker: Worker, room: str, source: str, grace_s: float = 0.2) -> None:
    options = {"source_kind": "file", "source": source, "grace_s": grace_s}
    await worker.handle("room.open", {"room": room, "kind": "camera", "options": options})


async def stats(worker: Worker, room: str) -> dict[str, object]:
    return await worker.handle("room.control", {"room": room, "action": "stats"})


async def test_two_viewers_one_decode(worker: Worker, video: Path) -> None:
    events = Events(worker)
    await open_camera(worker, "cam", str(video))
    one, two = Viewer(WANT), Viewer(WANT)
    await one.connect(joiner(worker, "cam", "one"))
    await two.connect(joiner(worker, "cam", "two"))
    await asyncio.wait_for(asyncio.gather(one.enough.wait(), two.enough.wait()), CONNECT_S)

    seen = await stats(worker, "cam")
    assert seen["decoders_started"] == 1
    assert seen["viewers"] == 2
    assert isinstance(seen["frames_decoded"], int)
    assert seen["frames_decoded"] >= max(one.frames, two.frames)
    await asyncio.gather(one.pc.close(), two.pc.close())
    idle = await events.next("room", "idle")  # the source stops after the grace
    assert idle["data"]["running"] is False
    assert idle["data"]["decoders_started"] == 1

    again = Viewer(5)
    await again.connect(joiner(worker, "cam", "again"))
    await asyncio.wait_for(again.enough.wait(), CONNECT_S)
    assert (await stats(worker, "cam"))["decoders_started"] == 2
    await again.pc.close()
    await worker.handle("room.close", {"room": "cam"})


async def test_a_missing_source_and_an_offer_without_video_are_refused(
    worker: Worker, video: Path, tmp_path: Path
) -> None:
    await open_camera(worker, "gone", str(tmp_path / "missing.webm"))
    with pytest.raises(ControlError) as raised:
        await Viewer(1).connect(joiner(worker, "gone", "v"))
    assert (raised.value.code, raised.value.message) == (
        "camera.unreachable",
        "the camera cannot be reached",
    )
    await open_camera(worker, "cam", str(video))
    with pytest.raises(ControlError) as raised:
        await publish(joiner(worker, "cam", "audio-only"), Tone(440.0))
    assert raised.value.code == "camera.no_video_offer"
    assert (await stats(worker, "cam"))["decoders_started"] == 0


async def test_bad_options_are_refused(worker: Worker) -> None:
    for options in ({}, {"source_kind": "http", "source": "x"}, {"source_kind": "file"}):
        with pytest.raises(ControlError) as raised:
            await worker.handle("room.open", {"room": "c", "kind": "camera", "options": options})
        assert raised.value.code == "control.bad_args"


async def test_a_source_that_ends_is_opened_again_by_the_next_viewer(
    worker: Worker, tmp_path: Path
) -> None:
    short = tmp_path / "short.webm"
    make_test_video(short, seconds=0.5)
    options = {"source_kind": "file", "source": str(short), "grace_s": 5.0, "loop": False}
    events = Events(worker)
    await worker.handle("room.open", {"room": "s", "kind": "camera", "options": options})
    # The file plays from the join on, its 0.5 s may be over before a viewer's connection is up
    # on a busy machine; a viewer is still sent the newest picture, so one picture each is what
    # every run can ask for.
    first = Viewer(1)
    await first.connect(joiner(worker, "s", "first"))
    ended = await events.next("room", "source_ended")  # the file ended: the feed let go of it
    assert ended["data"]["running"] is False
    await asyncio.wait_for(first.enough.wait(), CONNECT_S)
    again = Viewer(1)
    await again.connect(joiner(worker, "s", "again"))
    assert (await stats(worker, "s"))["decoders_started"] == 2
    await asyncio.wait_for(again.enough.wait(), CONNECT_S)
    await asyncio.gather(first.pc.close(), again.pc.close())
    await worker.handle("room.close", {"room": "s"})
