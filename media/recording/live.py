"""Recording of group calls and push-to-talk channels: the hook their mixed rooms call.

``media.live.LiveRooms`` calls ``opening`` before it opens a mixed room (the `record` tap is
added to the options when the policy says so, or the channel's owning plugin asked for it:
``ChannelInfo.recorded``), ``joined`` when someone joins (they may play the recording back),
and ``closed`` after the room was closed on its worker — by then the tap has finished the file,
so the row is completed from the file itself (size, sha256, duration). Both ends are published
as ``ChannelRecording`` (started, then done or failed), so the channel's owner can link them.
"""

from __future__ import annotations

from typing import Any, Literal

from hub.bus import MessageBus
from hub.channels import ChannelInfo
from hub.messages import ChannelRecording
from media.recording.service import Recordings


class LiveRecorder:
    """One per LiveRooms (group calls: "group", push-to-talk: "ptt")."""

    def __init__(
        self, recordings: Recordings, kind: Literal["group", "ptt"], bus: MessageBus
    ) -> None:
        self.recordings, self.kind, self.bus = recordings, kind, bus
        self.open: dict[str, tuple[str, ChannelInfo]] = {}  # room id -> recording id, channel

    async def opening(
        self, room_id: str, channel: ChannelInfo, options: dict[str, Any]
    ) -> dict[str, Any]:
        taps = await self.recordings.tap_options(
            room_id,
            (),
            kind=self.kind,
            channel_id=channel.id,
            subject=channel.ref,  # the channel's owner, e.g. a grid or a plugin's object
            grid_id=channel.grid_id,
            started_by=channel.created_by,
            asked=channel.recorded,
        )
        if taps is None:
            return options
        recording_id = str(taps["record"]["recording_id"])
        self.open[room_id] = (recording_id, channel)
        await self._publish(channel, recording_id, "started")
        return {**options, "taps": {**dict(options.get("taps") or {}), **taps}}

    async def joined(self, room_id: str, person_id: int) -> None:
        found = self.open.get(room_id)
        if found is not None:
            await self.recordings.joined(found[0], person_id)

    async def closed(self, room_id: str) -> None:
        found = self.open.pop(room_id, None)
        if found is None:
            return
        state = await self.recordings.finish_from_file(found[0])
        await self._publish(found[1], found[0], state or "failed")

    async def _publish(self, channel: ChannelInfo, recording_id: str, state: str) -> None:
        message = ChannelRecording(
            channel_id=channel.id, ref=channel.ref, recording_id=recording_id, state=state,
            kind=self.kind,
        )  # fmt: skip
        await self.bus.publish(message)
