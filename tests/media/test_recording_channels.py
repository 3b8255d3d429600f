"""A plugin's channel marked recorded (`ctx.channels.record`): its group call is recorded by the
`record` tap of the mixed room on a real media worker process although the deployment records no
group calls, and the plugin hears the recording's id (`ChannelRecording`, started then done) over
the bus; the call of an unmarked channel of the same plugin is not recorded."""

from __future__ import annotations

import asyncio

import pytest

from hub.keys import SETTINGS
from hub.sdk import BasePlugin, ChannelRecording, NotFound, PluginContext
from tests.media.conftest import MediaHub, StartMedia
from tests.media.recording_hub import until
from tests.media.recording_peers import decode_audio, tone_power
from tests.media.test_recording_group import recordings_of

PEOPLE = {"v01.cmd": 500.0, "w01": 1300.0}
WITHIN_S = 20.0


class MeetingPlugin(BasePlugin):
    """Owns "meeting" channels and hears of their recordings, as a plugin does."""

    name = "meetrec"

    def __init__(self) -> None:
        self.heard: asyncio.Queue[ChannelRecording] = asyncio.Queue()
        self._ctx: PluginContext | None = None

    @property
    def ctx(self) -> PluginContext:
        assert self._ctx is not None
        return self._ctx

    async def setup(self, ctx: PluginContext) -> None:
        self._ctx = ctx
        await ctx.bus.subscribe(ChannelRecording, self._recording, group="meetrec.recordings")

    async def _recording(self, message: ChannelRecording) -> None:
        if (message.ref or "").startswith("meeting:"):
            await self.heard.put(message)

    async def next(self) -> ChannelRecording:
        async with asyncio.timeout(WITHIN_S):
            return await self.heard.get()


async def meeting(hub: MediaHub, plugin: MeetingPlugin, ref: int, recorded: bool) -> int:
    people = [await hub.person_id(name) for name in PEOPLE]
    channel = await plugin.ctx.channels.for_ref("meeting", ref, f"议事会 {ref}", people)
    if recorded:
        marked = await plugin.ctx.channels.record(channel.id)
        assert marked.recorded
    return channel.id


async def hold_call(hub: MediaHub, ref: str) -> str:
    """Both people join the meeting's call by its ref, talk a while, and leave; the room id."""
    sockets = {name: await hub.socket(name) for name in PEOPLE}
    replies = {}
    for name, hz in PEOPLE.items():
        ear, replies[name] = await hub.join(sockets[name], "group.join", {"channel_ref": ref}, hz)
    await ear.listen(1.0)  # the last to join hears the first
    room = str(replies["w01"]["room_id"])
    for name in PEOPLE:
        await sockets[name].ok("group.leave", {"room_id": room})
    await until(lambda: hub.pool.room(room) is None)
    return room


async def test_a_recorded_channel_yields_a_recording_linked_to_its_plugin(
    start_media: StartMedia,
) -> None:
    plugin = MeetingPlugin()
    hub = await start_media(with_plugins={plugin.name: plugin})  # group_calls off by default
    plain = await meeting(hub, plugin, 1, recorded=False)
    recorded = await meeting(hub, plugin, 2, recorded=True)

    await hold_call(hub, "meeting:1")  # not marked: not recorded, nothing heard
    room = await hold_call(hub, "meeting:2")
    started, ended = await plugin.next(), await plugin.next()
    assert (started.channel_id, started.ref, started.state) == (recorded, "meeting:2", "started")
    assert (ended.recording_id, ended.state, ended.kind) == (started.recording_id, "done", "group")
    assert plugin.heard.empty()  # the bus is in order: meeting 1 would have come first

    rows = await recordings_of(hub, "v01.cmd")  # a participant may play it back
    assert [(r["recording_id"], r["channel_id"]) for r in rows] == [(ended.recording_id, recorded)]
    row = rows[0]
    assert (row["state"], row["room"], row["subject"]) == ("done", room, "meeting:2")
    assert plain not in [r["channel_id"] for r in await recordings_of(hub, "admin")]
    files = list(hub.client.app[SETTINGS].data_dir.rglob(f"{ended.recording_id}.ogg"))
    samples, _ = decode_audio(files[0])
    assert tone_power(samples[-48_000:], 500.0) > 0.1  # the commander's voice is in the mix


async def test_marking_is_persisted_cleared_and_only_for_owned_channels(
    start_media: StartMedia,
) -> None:
    plugin = MeetingPlugin()
    hub = await start_media(with_plugins={plugin.name: plugin})
    channel = await meeting(hub, plugin, 3, recorded=True)
    again = await plugin.ctx.channels.for_ref("meeting", 3, "议事会 3", [])
    assert again.recorded  # read back from the database, as another node would
    assert not (await plugin.ctx.channels.record(channel, on=False)).recorded
    await hold_call(hub, "meeting:3")  # cleared: the deployment's policy (off) decides
    assert await recordings_of(hub, "admin") == []
    assert plugin.heard.empty()

    village = await hub.village_channel()
    with pytest.raises(NotFound):
        await plugin.ctx.channels.record(village)  # a grid's channel is not the plugin's
    with pytest.raises(NotFound):
        await plugin.ctx.channels.record(999_999)
