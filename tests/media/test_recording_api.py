"""Recorded 1:1 calls through the hub: both parties publish to the call's recorder on the media
worker (a real process), the file decodes and lasts as long as the call, the metadata row is
right, playback/download honour Range and scope, and retention removes old recordings."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import av
import pytest
from aiortc import VideoStreamTrack
from sqlalchemy import update

from hub.app import build_app
from hub.keys import SESSIONS, SETTINGS
from loadtests.tone import Tone
from media.recording.api import RECORDINGS
from media.recording.models import Recording
from media.recording.store import NewRecording
from storage.sql import utcnow
from tests.hub.conftest import StartHub, bearer, error_code
from tests.hub.sockets import Peer
from tests.media.recording_hub import RecHub, StartRec, rec_hubs
from tests.media.recording_peers import RATE, decode_audio, tone_power

CONNECT_S = 10.0
CALLS_ON = {"calls": True}


@pytest.fixture
async def start_rec(start_hub: StartHub, peers: list[Peer]) -> AsyncIterator[StartRec]:
    async with rec_hubs(start_hub, peers) as start:
        yield start


async def call_between(hub: RecHub, caller: str, callee: str) -> int:
    """A connected (accepted) call; its id."""
    ring, pick = await hub.socket(caller), await hub.socket(callee)
    callee_id = await hub.person_id(callee)
    invite = {"callee_id": callee_id, "media": "audio", "client_call_id": f"rec-{time.time()}"}
    call_id = int((await ring.ok("call.invite", invite))["call_id"])
    await pick.ok("call.accept", {"call_id": call_id})
    return call_id


async def record_call(hub: RecHub, seconds: float) -> tuple[str, dict[str, Any]]:
    """w01 calls v01.lead, both publish tones for `seconds`, hang up; (recording id, call)."""
    call_id = await call_between(hub, "w01", "v01.lead")
    tone_a, tone_b = Tone(440.0, mark_s=seconds), Tone(1000.0, mark_s=seconds)
    a, a_up, first = await hub.publish("w01", "call", call_id, tone_a)
    b, b_up, second = await hub.publish("v01.lead", "call", call_id, tone_b)
    assert first["recording_id"] == second["recording_id"]
    await asyncio.wait_for(asyncio.gather(a_up.wait(), b_up.wait()), CONNECT_S)
    await asyncio.wait_for(asyncio.gather(tone_a.marked.wait(), tone_b.marked.wait()), CONNECT_S)
    ended = await hub.peers[-2].ok("call.hangup", {"call_id": call_id})
    await asyncio.gather(a.close(), b.close())  # the app stops publishing when the call ends
    return str(first["recording_id"]), ended


async def test_a_recorded_call_decodes_and_lasts_as_long_as_the_call(start_rec: StartRec) -> None:
    hub = await start_rec(CALLS_ON)
    recording_id, call = await record_call(hub, 2.5)
    row = await hub.until_done("w01", recording_id)

    parties = sorted([await hub.person_id("w01"), await hub.person_id("v01.lead")])
    assert (row["kind"], row["call_id"], row["participants"]) == ("call", call["call_id"], parties)
    assert (row["container"], row["codec"], row["content_type"]) == ("ogg", "opus", "audio/ogg")
    assert row["started_by"] == parties[0] or row["started_by"] == parties[1]
    assert abs(row["duration_s"] - call["duration_s"]) < 1.0, (row["duration_s"], call)
    response = await hub.client.get(
        f"/api/v1/recordings/{recording_id}/media", headers=await hub.auth("w01")
    )
    data = await response.read()
    assert (response.status, response.content_type) == (200, "audio/ogg")
    assert (len(data), hashlib.sha256(data).hexdigest()) == (row["size"], row["sha256"])
    samples, _ = decode_audio(io.BytesIO(data))
    assert abs(len(samples) / RATE - row["duration_s"]) < 0.1
    middle = samples[int(0.6 * len(samples)) : int(0.9 * len(samples))]
    assert tone_power(middle, 440.0) > 0.15
    assert tone_power(middle, 1000.0) > 0.15


async def test_playback_range_download_tickets_and_scope(
    start_rec: StartRec, database_url: str
) -> None:
    hub = await start_rec(CALLS_ON, database_url=database_url)  # SQLite and PostgreSQL
    recording_id, _ = await record_call(hub, 1.0)
    row = await hub.until_done("w01", recording_id)
    url = f"/api/v1/recordings/{recording_id}/media"

    ranged = await hub.client.get(url, headers={**await hub.auth("v01.cmd"), "Range": "bytes=0-99"})
    assert ranged.status == 206
    assert ranged.headers["Content-Range"] == f"bytes 0-99/{row['size']}"
    assert len(await ranged.read()) == 100
    tail = await hub.client.get(url, headers={**await hub.auth("town1.cmd"), "Range": "bytes=-10"})
    assert (tail.status, len(await tail.read())) == (206, 10)
    download = await hub.client.get(url + "?download=true", headers=await hub.auth("v01.lead"))
    assert download.headers["Content-Disposition"].startswith("attachment;")

    for outsider in ("v02.cmd", "w08"):  # another village's commander; a worker elsewhere
        denied = await hub.client.get(url, headers=await hub.auth(outsider))
        assert (denied.status, await error_code(denied)) == (403, "scope.forbidden")
        meta = await hub.client.get(
            f"/api/v1/recordings/{recording_id}", headers=await hub.auth(outsider)
        )
        assert meta.status == 403
        listed = await hub.client.get("/api/v1/recordings", headers=await hub.auth(outsider))
        assert recording_id not in [r["recording_id"] for r in await listed.json()]
    listed = await hub.client.get("/api/v1/recordings", headers=await hub.auth("v01.cmd"))
    assert recording_id in [r["recording_id"] for r in await listed.json()]

    ticket = await hub.client.post(
        f"/api/v1/recordings/{recording_id}/ticket", headers=await hub.auth("v01.cmd")
    )
    played = await hub.client.get((await ticket.json())["url"], headers={"Range": "bytes=10-19"})
    assert (played.status, len(await played.read())) == (206, 10)
    forged = await hub.client.get(url + "?ticket=9999999999.1.0123456789abcdef0123456789abcdef")
    assert (forged.status, await error_code(forged)) == (401, "recording.ticket_invalid")
    nobody = await hub.client.get(url)
    assert (nobody.status, await error_code(nobody)) == (401, "auth.required")
    missing = await hub.client.get("/api/v1/recordings/nope/media", headers=await hub.auth("admin"))
    assert (missing.status, await error_code(missing)) == (404, "recording.not_found")


async def test_publishing_is_checked(start_rec: StartRec) -> None:
    hub = await start_rec(CALLS_ON)
    call_id = await call_between(hub, "w01", "v01.lead")
    offer = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

    async def attempt(username: str, body: dict[str, Any]) -> tuple[int, str]:
        response = await hub.client.post(
            "/api/v1/recordings/publish", json=body, headers=await hub.auth(username)
        )
        return response.status, await error_code(response)

    stranger = await attempt("w02", {"kind": "call", "ref": call_id, "sdp": offer})
    assert stranger == (404, "recording.call_not_found")
    assert await attempt("w01", {"kind": "call", "ref": 0, "sdp": offer}) == (
        422,
        "request.invalid",
    )
    assert await attempt("w01", {"kind": "Chat!", "ref": call_id, "sdp": offer}) == (
        422,
        "request.invalid",
    )
    no_owner = await attempt("w01", {"kind": "chat", "ref": call_id, "sdp": offer})
    assert no_owner == (404, "recording.chat_not_found")  # no plugin owns subject kind "chat"
    garbage = await attempt("w01", {"kind": "call", "ref": call_id, "sdp": offer})
    assert garbage == (422, "recording.no_media")
    listed = await hub.client.get("/api/v1/recordings", headers=await hub.auth("w01"))
    assert await listed.json() == []  # the refused publish left no row behind
    assert hub.pool.room(f"rec:call:{call_id}") is None
    sos = await attempt("w01", {"kind": "sos", "ref": 1, "sdp": offer})  # no escalation plugin
    assert sos == (404, "recording.sos_not_found")
    await hub.peers[-2].ok("call.hangup", {"call_id": call_id})
    ended = await attempt("w01", {"kind": "call", "ref": call_id, "sdp": offer})
    assert ended == (409, "recording.call_not_active")


async def test_calls_are_not_recorded_when_the_policy_is_off(start_rec: StartRec) -> None:
    hub = await start_rec()
    call_id = await call_between(hub, "w01", "v01.lead")
    body = {"kind": "call", "ref": call_id, "sdp": "v=0\r\n" * 3}
    response = await hub.client.post(
        "/api/v1/recordings/publish", json=body, headers=await hub.auth("w01")
    )
    assert (response.status, await error_code(response)) == (409, "recording.off")
    policy = await hub.client.get("/api/v1/recordings/policy", headers=await hub.auth("w01"))
    assert (await policy.json())["subjects"] == []  # no plugin registered a subject kind
    assert (await policy.json())["calls"] is False
    assert (await policy.json())["available"] is True  # this hub has a media worker


async def test_retention_removes_old_files_and_rows(start_rec: StartRec) -> None:
    hub = await start_rec(CALLS_ON)
    old_id, _ = await record_call(hub, 0.5)
    new_id, _ = await record_call(hub, 0.5)
    for recording_id in (old_id, new_id):
        await hub.until_done("w01", recording_id)
    recordings = hub.client.app[RECORDINGS]
    async with hub.client.app[SESSIONS].begin() as session:
        await session.execute(
            update(Recording)
            .where(Recording.id == old_id)
            .values(started_at=utcnow() - timedelta(days=91))
        )
    found = await recordings.store.get(old_id)
    assert found is not None
    old_file = recordings.file(found[0])
    assert old_file.is_file()

    assert await recordings.sweep() == 1
    assert not old_file.exists()
    gone = await hub.client.get(f"/api/v1/recordings/{old_id}", headers=await hub.auth("admin"))
    assert (gone.status, await error_code(gone)) == (404, "recording.not_found")
    kept = await hub.client.get(
        f"/api/v1/recordings/{new_id}/media", headers=bearer(await hub.token("admin"))
    )
    assert kept.status == 200


async def test_video_calls_are_recorded_to_webm(start_rec: StartRec) -> None:
    video = {"video": True, "video_width": 320, "video_height": 240}
    hub = await start_rec({**CALLS_ON, **video})
    call_id = await call_between(hub, "w01", "v01.lead")
    tone = Tone(440.0, mark_s=2.0)
    pc, up, reply = await hub.publish("w01", "call", call_id, tone, VideoStreamTrack())
    await asyncio.wait_for(up.wait(), CONNECT_S)
    await asyncio.wait_for(tone.marked.wait(), CONNECT_S)
    await pc.close()
    row = await hub.until_done("w01", reply["recording_id"])

    assert (row["container"], row["codec"], row["content_type"]) == (
        "webm",
        "vp8+opus",
        "video/webm",
    )
    media = await hub.client.get(
        f"/api/v1/recordings/{row['recording_id']}/media", headers=await hub.auth("w01")
    )
    with av.open(io.BytesIO(await media.read()), mode="r") as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("vp8", 320, 240)
        pictures = sum(1 for _ in container.decode(video=0))
    assert pictures >= 5  # of ~60 sent: a loaded machine skips encoding some (bounded backlog)


async def test_a_restarted_hub_fails_what_was_still_recording(
    start_rec: StartRec, aiohttp_client: Any
) -> None:
    hub = await start_rec(CALLS_ON)
    store = hub.client.app[RECORDINGS].store
    new = NewRecording("sos", "rec:sos:1", "audio", "ogg", "opus", "audio/ogg", (1,))
    orphan = await store.create(new, ".ogg")
    settings = hub.client.app[SETTINGS]
    media = settings.media.model_copy(update={"embedded_workers": 0})
    await aiohttp_client(build_app(settings.model_copy(update={"media": media}), {}))

    found = await store.get(orphan.id)
    assert found is not None
    assert (found[0].state, found[0].error) == ("failed", "the hub restarted while recording")


async def test_hanging_up_ends_the_recording_even_if_an_app_keeps_publishing(
    start_rec: StartRec,
) -> None:
    hub = await start_rec(CALLS_ON)
    call_id = await call_between(hub, "w01", "v01.lead")
    tone = Tone(440.0, mark_s=1.0)
    _, up, reply = await hub.publish("w01", "call", call_id, tone)  # never closed by the app
    await asyncio.wait_for(up.wait(), CONNECT_S)
    await asyncio.wait_for(tone.marked.wait(), CONNECT_S)
    ended = await hub.peers[-2].ok("call.hangup", {"call_id": call_id})

    row = await hub.until_done("w01", reply["recording_id"])
    assert row["state"] == "done"
    assert abs(row["duration_s"] - ended["duration_s"]) < 1.0
    assert hub.pool.room(f"rec:call:{call_id}") is None
