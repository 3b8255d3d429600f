"""Recording a plugin's subject: media asks the resolver the owning plugin registered (hub
subjects) and tells it the recording started; a kind nobody registered is not found."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hub.plugins import BasePlugin, PluginContext
from hub.subjects import SubjectInfo
from loadtests.tone import Tone
from tests.hub.conftest import StartHub, error_code
from tests.hub.sockets import Peer
from tests.media.recording_hub import RecHub, StartRec, rec_hubs

CONNECT_S = 10.0
BASIC = "370783-001-001-01"
OFFER = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


class Rescue(BasePlugin):
    """Owns subject kind "boat": boat 1 is w01's and afloat, boat 2 is w01's and moored."""

    name = "rescue"

    def __init__(self) -> None:
        self.boats: dict[int, SubjectInfo] = {}
        self.attached: list[tuple[int, str]] = []
        self.asked: list[int] = []

    async def setup(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        ctx.subjects.register("boat", self.resolve, on_recording=self.on_recording)

    async def resolve(self, boat_id: int) -> SubjectInfo | None:
        self.asked.append(boat_id)
        return self.boats.get(boat_id)

    async def on_recording(self, boat_id: int, recording_id: str) -> None:
        self.attached.append((boat_id, recording_id))


@pytest.fixture
async def start_rec(start_hub: StartHub, peers: list[Peer]) -> AsyncIterator[StartRec]:
    async with rec_hubs(start_hub, peers) as start:
        yield start


async def rescue_hub(start_rec: StartRec) -> tuple[RecHub, Rescue]:
    rescue = Rescue()
    hub = await start_rec(with_plugins={"rescue": rescue})
    w01 = await hub.person_id("w01")
    rescue.boats[1] = SubjectInfo(w01, hub.grid(BASIC), active=True, state="afloat")
    rescue.boats[2] = SubjectInfo(w01, hub.grid(BASIC), active=False, state="moored")
    return hub, rescue


async def attempt(hub: RecHub, username: str, kind: str, ref: int) -> tuple[int, str]:
    body = {"kind": kind, "ref": ref, "sdp": OFFER}
    response = await hub.client.post(
        "/api/v1/recordings/publish", json=body, headers=await hub.auth(username)
    )
    return response.status, await error_code(response)


async def test_the_registered_resolver_decides_and_hears_of_the_recording(
    start_rec: StartRec,
) -> None:
    hub, rescue = await rescue_hub(start_rec)
    tone = Tone(600.0, mark_s=1.0)
    pc, up, reply = await hub.publish("w01", "boat", 1, tone)
    await asyncio.wait_for(up.wait(), CONNECT_S)
    await asyncio.wait_for(tone.marked.wait(), CONNECT_S)
    await pc.close()
    row = await hub.until_done("v01.cmd", reply["recording_id"])  # commander over the grid
    assert (row["kind"], row["room"], row["grid_id"]) == ("boat", "rec:boat:1", hub.grid(BASIC))
    assert row["participants"] == [await hub.person_id("w01")]
    assert rescue.attached == [(1, reply["recording_id"])]
    assert 1 in rescue.asked


async def test_the_resolver_refuses_strangers_closed_and_missing_subjects(
    start_rec: StartRec,
) -> None:
    hub, rescue = await rescue_hub(start_rec)
    assert await attempt(hub, "w02", "boat", 1) == (404, "recording.boat_not_found")
    assert await attempt(hub, "w01", "boat", 2) == (409, "recording.boat_closed")
    assert await attempt(hub, "w01", "boat", 3) == (404, "recording.boat_not_found")
    assert (rescue.asked, rescue.attached) == ([1, 2, 3], [])
    listed = await hub.client.get("/api/v1/recordings", headers=await hub.auth("w01"))
    assert await listed.json() == []  # refused publishes leave no row behind


async def policy_subjects(hub: RecHub) -> list[str]:
    policy = await hub.client.get("/api/v1/recordings/policy", headers=await hub.auth("w01"))
    subjects: list[str] = (await policy.json())["subjects"]
    return subjects


async def test_the_policy_lists_the_registered_kinds_as_always_recorded(
    start_rec: StartRec,
) -> None:
    hub, _ = await rescue_hub(start_rec)
    assert await policy_subjects(hub) == ["boat"]  # calls are off, a boat is recorded anyway


async def test_without_the_owning_plugin_the_subject_is_not_found(start_rec: StartRec) -> None:
    hub = await start_rec()
    assert await policy_subjects(hub) == []
    assert await attempt(hub, "w01", "boat", 1) == (404, "recording.boat_not_found")
    assert await attempt(hub, "w01", "sos", 1) == (404, "recording.sos_not_found")
    assert await attempt(hub, "w01", "boat", 2**40) == (422, "request.invalid")  # not an id


async def test_a_plugin_cannot_take_recordings_own_kinds(start_rec: StartRec) -> None:
    _, rescue = await rescue_hub(start_rec)

    async def nothing(_: int) -> None:
        return None

    for taken in ("call", "group", "ptt", "boat"):
        with pytest.raises(ValueError, match="already taken"):
            rescue.ctx.subjects.register(taken, nothing)
    with pytest.raises(ValueError, match="must match"):
        rescue.ctx.subjects.register("Boat", nothing)
