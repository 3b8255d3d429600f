"""A playback ticket stands in for its holder's token, so it is worth what the holder may see
now: after a demotion or a disabling the ticket no longer plays, though it has not expired."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from media.recording.api import RECORDINGS
from media.recording.store import NewRecording
from tests.hub.conftest import StartHub, error_code
from tests.hub.sockets import Peer
from tests.media.recording_hub import RecHub, StartRec, rec_hubs

OTHER_VILLAGE = "370783-001-002"  # 王家村
SOUND = b"OggS" + bytes(1020)


@pytest.fixture
async def start_rec(start_hub: StartHub, peers: list[Peer]) -> AsyncIterator[StartRec]:
    async with rec_hubs(start_hub, peers) as start:
        yield start


async def finished_recording(hub: RecHub, *usernames: str) -> str:
    """A done recording of a call between `usernames` (its file written here)."""
    recordings = hub.client.app[RECORDINGS]
    people = tuple([await hub.person_id(u) for u in usernames])
    new = NewRecording("call", "rec:call:990", "audio", "ogg", "opus", "audio/ogg", people)
    row = await recordings.store.create(new, ".ogg")
    path = recordings.file(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(SOUND)
    facts = {"size": len(SOUND), "sha256": hashlib.sha256(SOUND).hexdigest(), "duration_s": 1.0}
    assert await recordings.store.finish(row.id, facts) is not None
    recording_id: str = row.id
    return recording_id


async def ticket_url(hub: RecHub, username: str, recording_id: str) -> str:
    response = await hub.client.post(
        f"/api/v1/recordings/{recording_id}/ticket", headers=await hub.auth(username)
    )
    assert response.status == 200, await response.text()
    url: str = (await response.json())["url"]
    return url


async def plays(hub: RecHub, url: str) -> tuple[int, str]:
    response = await hub.client.get(url)
    if response.status == 200:
        assert await response.read() == SOUND
        return 200, ""
    return response.status, await error_code(response)


async def test_a_ticket_is_worth_what_its_holder_may_see_now(start_rec: StartRec) -> None:
    hub = await start_rec()
    recording_id = await finished_recording(hub, "w01", "v01.lead")
    commander = await ticket_url(hub, "v01.cmd", recording_id)  # in scope as commander
    worker = await ticket_url(hub, "w01", recording_id)  # a participant
    assert await plays(hub, commander) == (200, "")
    assert await plays(hub, worker) == (200, "")

    cmd_id, admin = await hub.person_id("v01.cmd"), await hub.auth("admin")
    moved = {"roles": [{"role": "commander", "grid": OTHER_VILLAGE}]}
    patched = await hub.client.patch(f"/api/v1/people/{cmd_id}", json=moved, headers=admin)
    assert patched.status == 200, await patched.text()
    assert await plays(hub, commander) == (403, "scope.forbidden")

    w01 = await hub.person_id("w01")
    disabled = await hub.client.post(f"/api/v1/people/{w01}/disable", headers=admin)
    assert disabled.status == 204
    assert await plays(hub, worker) == (401, "recording.ticket_invalid")

    back = {"roles": [{"role": "commander", "grid": "370783-001-001"}]}
    patched = await hub.client.patch(f"/api/v1/people/{cmd_id}", json=back, headers=admin)
    assert patched.status == 200
    assert await plays(hub, commander) == (200, "")  # the same, unexpired ticket
