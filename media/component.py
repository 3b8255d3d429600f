"""The media service, recording and the camera gateway as built-in components (entry points
`gridhub.components: media, recording, cameras`)."""

from __future__ import annotations

from hub.components import BuiltIn
from media import api
from media.camera import api as cameras_api
from media.camera.wiring import camera_ctx
from media.recording import api as recordings_api
from media.recording.wiring import recording_ctx
from media.wiring import media_ctx

MEDIA = BuiltIn("media", contexts=(media_ctx,), routers=(api.build_router,))
RECORDING = BuiltIn(
    "recording",
    contexts=(recording_ctx,),
    routers=(recordings_api.build_router,),
    requires=("media", "signaling"),
)
CAMERAS = BuiltIn(
    "cameras", contexts=(camera_ctx,), routers=(cameras_api.build_router,), requires=("media",)
)
