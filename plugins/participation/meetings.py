"""民主议事 online: a topic's meeting held as a recorded group call through the media service.

The meeting is the channel of the topic (`ctx.channels.for_ref("meeting", topic_id, ...)`,
ref "meeting:<id>"), marked recorded (`ctx.channels.record`): its members (the registered
participants, the village's officers, and whoever put the meeting online) join it with
`group.join {"channel_ref": "meeting:<id>"}` from the console or the field app, and media
records the call whatever the deployment's group-call policy. Media announces each recording
(`ChannelRecording`, started then done or failed); this module keeps them beside the topic, so
the meeting's minutes list them. Playback is the recordings API's (its participants, command
roles over a participant's grid, admins): the plugin holds ids, never files.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from hub.sdk import ChannelRecording, PluginContext, Principal, utcnow
from plugins.participation.access import OFFICERS
from plugins.participation.models import MeetingRecording, Participant, Topic

KIND = "meeting"
STATES = {"started": "recording", "done": "done", "failed": "failed"}


def channel_ref(topic_id: int) -> str:
    return f"{KIND}:{topic_id}"


def recording_view(row: MeetingRecording) -> dict[str, Any]:
    return {
        "recording_id": row.recording_id,
        "state": row.state,
        "started_at": row.started_at.isoformat(),
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
    }


class Meetings:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def subscribe(self) -> None:
        unsubscribe = await self.ctx.bus.subscribe(
            ChannelRecording, self.recorded, group="participation.meeting_recordings"
        )
        self.ctx.on_cleanup(unsubscribe)

    async def go_online(self, who: Principal, topic: Topic) -> int:
        """The topic's meeting channel (created once), marked recorded; its id."""
        members = {who.person_id, *await self._participants(topic.id)}
        members |= await self._officers(topic.grid_id)
        name = f"议事 · {topic.title}"
        channel = await self.ctx.channels.for_ref(KIND, topic.id, name, members)
        await self.ctx.channels.record(channel.id)
        if topic.meeting_channel_id != channel.id:
            async with self.ctx.sessions.begin() as session:
                await session.execute(
                    update(Topic).where(Topic.id == topic.id).values(meeting_channel_id=channel.id)
                )
        return channel.id

    async def registered(self, topic: Topic, person_id: int) -> None:
        """A participant registered after the meeting went online joins its channel."""
        if topic.meeting_channel_id is not None:
            await self.ctx.channels.add_members(topic.meeting_channel_id, [person_id])

    async def recordings(self, topic_id: int) -> list[dict[str, Any]]:
        stmt = (
            select(MeetingRecording)
            .where(MeetingRecording.topic_id == topic_id)
            .order_by(MeetingRecording.started_at, MeetingRecording.recording_id)
        )
        async with self.ctx.sessions() as session:
            return [recording_view(r) for r in await session.scalars(stmt)]

    async def recorded(self, message: ChannelRecording) -> None:
        """Keep a meeting's recording (idempotent; "done" may overtake "started")."""
        kind, _, ref = (message.ref or "").partition(":")
        state = STATES.get(message.state)
        if kind != KIND or not ref.isdigit() or state is None:
            return
        async with self.ctx.sessions.begin() as session:
            row = await session.get(MeetingRecording, message.recording_id)
            if row is None:
                row = MeetingRecording(
                    recording_id=message.recording_id, topic_id=int(ref), state=state,
                    started_at=utcnow(),
                )  # fmt: skip
                session.add(row)
            if state != "recording":
                row.state, row.ended_at = state, utcnow()

    async def _participants(self, topic_id: int) -> set[int]:
        stmt = select(Participant.person_id).where(Participant.topic_id == topic_id)
        async with self.ctx.sessions() as session:
            return set(await session.scalars(stmt))

    async def _officers(self, village: int) -> set[int]:
        people = await self.ctx.directory.holding_roles_in([village])
        return {
            p.id
            for p in people
            if any(r.get("role") in OFFICERS and r.get("grid_id") == village for r in p.roles)
        }
