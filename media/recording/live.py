"""Recording of group calls and push-to-talk channels: the hook their mixed rooms call.

``media.live.LiveRooms`` calls ``opening`` before it opens a mixed room (the `record` tap is
added to the options when the policy says so), ``joined`` when someone joins (they may play the
recording back), and ``closed`` after the room was closed on its worker — by then the tap has
finished the file, so the row is completed from the file itself (size, sha256, duration).
"""

from __future__ import annotations

from typing import Any, Literal

from hub.channels import ChannelInfo
from media.recording.service import Recordings


class LiveRecorder:
    """One per LiveRooms (group calls: "group", push-to-talk: "ptt")."""

    def __init__(self, recordings: Recordings, kind: Literal["group", "ptt"]) -> None:
        self.recordings, self.kind = recordings, kind
        self.open: dict[str, str] = {}  # room id -> recording id

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
        )
        if taps is None:
            return options
        self.open[room_id] = taps["record"]["recording_id"]
        return {**options, "taps": {**dict(options.get("taps") or {}), **taps}}

    async def joined(self, room_id: str, person_id: int) -> None:
        recording_id = self.open.get(room_id)
        if recording_id is not None:
            await self.recordings.joined(recording_id, person_id)

    async def closed(self, room_id: str) -> None:
        recording_id = self.open.pop(room_id, None)
        if recording_id is not None:
            await self.recordings.finish_from_file(recording_id)
