"""Recording policy (settings `media.recording`): what is recorded, where, for how long."""

from __future__ import annotations

from pydantic import BaseModel, Field

# "call", "group", "ptt", or a subject kind a plugin registered (hub/subjects.py), e.g. "sos"
Kind = str


class RecordingSettings(BaseModel):
    """A plugin's subject (SOS audio) is always recorded; 1:1 calls and group calls as
    configured."""

    calls: bool = Field(False, description="record 1:1 calls (both parties publish)")
    group_calls: bool = Field(False, description="record group calls of every channel")
    ptt: bool = Field(False, description="record push-to-talk channels")
    channels: dict[int, bool] = Field(
        default_factory=dict, description="per channel id: overrides group_calls and ptt"
    )
    video: bool = Field(False, description="record video too (VP8+Opus in WebM)")
    video_width: int = Field(640, ge=16, le=1920)
    video_height: int = Field(480, ge=16, le=1920)
    retention_days: float = Field(90.0, gt=0, le=36_500)
    sweep_interval_s: float = Field(3600.0, gt=0)
    directory: str = Field("recordings", description="under the data dir, unless absolute")

    def records(self, kind: Kind, channel_id: int | None = None, asked: bool = False) -> bool:
        """`asked`: the channel's owning plugin asked for it (ctx.channels.record); a
        per-channel setting still wins over it."""
        if kind == "call":
            return self.calls
        if kind not in ("group", "ptt"):  # a subject: its plugin asked for it to be recorded
            return True
        if channel_id is not None and channel_id in self.channels:
            return self.channels[channel_id]
        return asked or (self.ptt if kind == "ptt" else self.group_calls)

    def video_size(self) -> tuple[int, int] | None:
        return (self.video_width, self.video_height) if self.video else None
