"""Voice messages in a direct channel: a browser's recording (audio-only WebM or MP4) is sniffed
as audio and accepted as `voice`; a clip with a video track, or anything else, is refused."""

from __future__ import annotations

import io
from typing import Any

import av
import numpy as np
import pytest

from hub.av_tracks import refine
from tests.hub.conftest import Client, StartHub, bearer, error_code, login
from tests.hub.sockets import Peer, joined
from tests.hub.test_chat import send, upload

FRAGMENTED = {"movflags": "frag_keyframe+empty_moov"}  # how MediaRecorder and Safari write MP4


def clip(container: str, video: bool = False, options: dict[str, str] | None = None) -> bytes:
    """A short silent recording made by PyAV: Opus in WebM, AAC in MP4; with a video track."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container, options=options or {}) as out:
        audio = out.add_stream("libopus" if container == "webm" else "aac", rate=48000)
        audio.layout = "mono"
        if video:
            _video_track(out, "libvpx" if container == "webm" else "mpeg4")
        samples = 960 if container == "webm" else 1024
        for i in range(5):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, samples), np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 48000, i * samples
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return buffer.getvalue()


def _video_track(out: Any, codec: str) -> None:
    stream = out.add_stream(codec, rate=10)
    stream.width = stream.height = 32
    stream.pix_fmt = "yuv420p"
    for _ in range(3):
        image = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
        out.mux(stream.encode(image))
    out.mux(stream.encode(None))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (lambda: clip("webm"), "audio/webm"),
        (lambda: clip("webm", video=True), "video/webm"),
        (lambda: clip("mp4", options=FRAGMENTED), "audio/mp4"),
        (lambda: clip("mp4", video=True, options=FRAGMENTED), "video/mp4"),
        # moov after the media: the tracks are not in the head, so it stays what its magic says
        (lambda: clip("mp4"), "video/mp4"),
        (lambda: b"\x1aE\xdf\xa3" + b"\xff" * 100, "video/webm"),  # a WebM magic, then garbage
    ],
)
def test_only_a_head_declaring_audio_tracks_alone_is_audio(data: Any, expected: str) -> None:
    head = data()[:4096]
    container = "video/webm" if head.startswith(b"\x1aE\xdf\xa3") else "video/mp4"
    assert refine(container, head) == expected


async def direct_pair(client: Client, peers: list[Peer]) -> tuple[Peer, str, dict[str, Any]]:
    """v01.cmd connected, its token, and its direct channel with w01 (offline)."""
    token = await login(client, "v01.cmd")
    commander = await joined(client, peers, "v01.cmd")
    worker = await client.get("/api/v1/auth/me", headers=bearer(await login(client, "w01")))
    w01 = (await worker.json())["person_id"]
    channel = (await commander.ok("channel.direct", {"person_id": w01}))["channel"]
    return commander, token, channel


async def voice(peer: Peer, token: str, client: Client, channel_id: int, data: bytes) -> Any:
    response = await upload(client, token, channel_id, data, "语音留言.webm")
    stored = await response.json()
    assert response.status == 201, stored
    payload = send(channel_id, stored["file_id"], "voice", {"file_id": stored["file_id"]})
    payload["body"]["duration_s"] = 2.5
    return stored, await peer.call("channel.send", payload)


async def test_a_recorded_voice_note_is_sent_and_played_back(
    client: Client, peers: list[Peer]
) -> None:
    commander, token, channel = await direct_pair(client, peers)
    recording = clip("webm")
    stored, reply = await voice(commander, token, client, channel["id"], recording)
    assert stored["content_type"] == "audio/webm"
    body = reply["message"]["body"]
    assert (reply["message"]["kind"], body["content_type"], body["duration_s"]) == (
        "voice",
        "audio/webm",
        2.5,
    )
    played = await client.get(f"/api/v1/files/{stored['file_id']}", headers=bearer(token))
    assert (played.status, played.content_type, await played.read()) == (
        200,
        "audio/webm",
        recording,
    )
    history = await commander.ok("channel.history", {"channel_id": channel["id"]})
    assert [m["kind"] for m in history["messages"]] == ["voice"]


async def test_a_clip_with_video_or_no_audio_is_no_voice_message(
    client: Client, peers: list[Peer]
) -> None:
    commander, token, channel = await direct_pair(client, peers)
    _, with_video = await voice(commander, token, client, channel["id"], clip("webm", video=True))
    assert with_video["error"]["code"] == "channel.file_kind"
    _, as_text = await voice(commander, token, client, channel["id"], "录音".encode() * 10)
    assert as_text["error"]["code"] == "channel.file_kind"
    bad = await upload(client, token, channel["id"], b"MZ\x90\x00" + b"\x00" * 200, "a.exe")
    assert bad.status == 415
    history = await commander.ok("channel.history", {"channel_id": channel["id"]})
    assert history["messages"] == []


async def test_a_voice_note_is_held_to_the_audio_size_limit(
    start_hub: StartHub, peers: list[Peer]
) -> None:
    hub = await start_hub(files={"max_audio_bytes": 8192})
    _, token, channel = await direct_pair(hub.client, peers)
    long_note = clip("webm") + b"\x00" * 8192  # sniffed as audio/webm, then past the limit
    response = await upload(hub.client, token, channel["id"], long_note, "长留言.webm")
    assert (response.status, await error_code(response)) == (413, "file.too_large")
