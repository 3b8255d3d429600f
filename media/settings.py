"""Settings of the media service: the `[media]` table (with `[media.recording]` and
`[media.cameras]`), GRIDHUB_MEDIA__* variables.

Registered through the `gridhub.settings` entry point `media`; the hub assembles its Settings
class from these while hub.settings is imported, so this module imports nothing of hub.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from media.camera.policy import CameraSettings
from media.recording.policy import RecordingSettings


class MediaSettings(BaseModel):
    """Media service (media/): worker processes, placement, group audio and push-to-talk."""

    embedded_workers: int = Field(1, ge=0, le=16, description="worker processes the hub runs")
    external_workers: list[str] = Field(
        default_factory=list, description="ws://host:port/control URLs of workers run elsewhere"
    )
    secret: SecretStr | None = Field(
        None, description="shared secret of the control channel (random per run if unset)"
    )
    capacity: int = Field(200, ge=1, le=10_000, description="participants per embedded worker")
    ice_addresses: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"], description="host addresses workers gather on"
    )
    max_mixed: int = Field(3, ge=1, le=16, description="loudest speakers mixed at once")
    max_video: int = Field(4, ge=0, le=16, description="participants whose video is forwarded")
    ptt_max_talk_s: float = Field(30.0, gt=0, le=600, description="floor revoked after this")
    restart_backoff_s: float = Field(0.5, gt=0, le=60)
    # Recording and the camera gateway (media/recording, media/camera).
    recording: RecordingSettings = Field(default_factory=RecordingSettings)
    cameras: CameraSettings = Field(default_factory=CameraSettings)
