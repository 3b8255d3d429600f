"""/api/v1/cameras: register sources (admins), list, watch live (WebRTC), stats."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from hub import policy
from hub.access import COMMAND_ROLES
from hub.ids import DbId
from hub.keys import GRIDS
from hub.web import Call, Router
from media.camera.models import Camera
from media.camera.service import REGISTER_ROLES, Cameras

CAMERAS = web.AppKey("cameras", Cameras)
MAX_SDP = 100_000
# The camera's grid must lie under the caller's command seats (Cameras.get / _check_grid).
CAMERAS_MANAGE = policy.for_roles("cameras.manage", REGISTER_ROLES, policy.Scope.CAMERA)
# A source is where the hub connects to: only admins register one (a change of source too,
# checked by Cameras.update); see media/camera/sources.py.
CAMERAS_REGISTER = policy.admin_only("cameras.register")
CAMERAS_LIST = policy.for_roles("cameras.list", COMMAND_ROLES, policy.Scope.LISTED)
CAMERA_VIEW = policy.for_roles("cameras.view", COMMAND_ROLES, policy.Scope.CAMERA)


class CameraIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    source_kind: Literal["rtsp", "file"]
    source: str = Field(min_length=1, max_length=1024, description="rtsp(s):// URL or file path")
    grid_id: DbId | None = Field(None, description="the grid whose commanders may watch")
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the name is blank")
        return value.strip()


class CameraPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=120)
    source_kind: Literal["rtsp", "file"] | None = None
    source: str | None = Field(None, min_length=1, max_length=1024)
    grid_id: DbId | None = None
    enabled: bool | None = None


class CameraOut(BaseModel):
    camera_id: int
    name: str
    source_kind: str
    source: str
    grid_id: int | None
    enabled: bool
    created_by: int | None
    created_at: float


class WatchIn(BaseModel):
    sdp: str = Field(min_length=10, max_length=MAX_SDP, description="receive-only video offer")


class WatchOut(BaseModel):
    viewer_id: str
    type: Literal["answer"] = "answer"
    sdp: str


class StatsOut(BaseModel):
    viewers: int
    running: bool
    reconnecting: bool = False  # an RTSP camera dropped while watched: being dialled again
    reconnects: int = 0  # times it came back
    decoders_started: int
    frames_decoded: int
    audio_frames: int = 0  # the camera's sound, decoded once for every listening viewer


def camera_out(row: Camera) -> CameraOut:
    return CameraOut(
        camera_id=row.id,
        name=row.name,
        source_kind=row.source_kind,
        source=_masked(row.source),
        grid_id=row.grid_id,
        enabled=row.enabled,
        created_by=row.created_by,
        created_at=row.created_at.timestamp(),
    )


def _masked(source: str) -> str:
    """RTSP credentials are not shown back."""
    if "://" in source and "@" in source:
        scheme, rest = source.split("://", 1)
        return f"{scheme}://********@{rest.rsplit('@', 1)[1]}"
    return source


def build_router() -> Router:
    router = Router("/api/v1/cameras", "cameras")

    @router.post(
        "", summary="Register a camera (admins)", body=CameraIn,
        response=CameraOut, status=201, rule=CAMERAS_REGISTER,
    )  # fmt: skip
    async def register(call: Call[CameraIn, None]) -> CameraOut:
        app = call.request.app
        row = await app[CAMERAS].register(call.who, app[GRIDS].index, call.body.model_dump())
        return camera_out(row)

    @router.get("", summary="Cameras in your scope", response=list[CameraOut], rule=CAMERAS_LIST)
    async def listing(call: Call[None, None]) -> list[CameraOut]:
        app = call.request.app
        return [camera_out(r) for r in await app[CAMERAS].visible(call.who, app[GRIDS].index)]

    @router.get("/{camera_id}", summary="One camera", response=CameraOut, rule=CAMERA_VIEW)
    async def one(call: Call[None, None]) -> CameraOut:
        app = call.request.app
        return camera_out(
            await app[CAMERAS].get(call.who, app[GRIDS].index, call.path_int("camera_id"))
        )

    @router.patch(
        "/{camera_id}",
        summary="Change a camera",
        body=CameraPatch,
        response=CameraOut,
        rule=CAMERAS_MANAGE,
    )
    async def change(call: Call[CameraPatch, None]) -> CameraOut:
        app, values = call.request.app, call.body.model_dump(exclude_unset=True)
        camera_id = call.path_int("camera_id")
        return camera_out(await app[CAMERAS].update(call.who, app[GRIDS].index, camera_id, values))

    @router.delete(
        "/{camera_id}",
        summary="Remove a camera (its viewers are dropped)",
        rule=CAMERAS_MANAGE,
        status=204,
    )
    async def remove(call: Call[None, None]) -> None:
        app = call.request.app
        await app[CAMERAS].delete(call.who, app[GRIDS].index, call.path_int("camera_id"))

    @router.post(
        "/{camera_id}/watch", summary="Watch live: send a receive-only video offer",
        body=WatchIn, response=WatchOut, rule=CAMERA_VIEW,
    )  # fmt: skip
    async def watch(call: Call[WatchIn, None]) -> WatchOut:
        app, camera_id = call.request.app, call.path_int("camera_id")
        viewer, sdp = await app[CAMERAS].watch(call.who, app[GRIDS].index, camera_id, call.body.sdp)
        return WatchOut(viewer_id=viewer, sdp=sdp)

    @router.delete(
        "/{camera_id}/watch/{viewer_id}", summary="Stop watching", rule=CAMERA_VIEW, status=204
    )
    async def unwatch(call: Call[None, None]) -> None:
        app, camera_id = call.request.app, call.path_int("camera_id")
        viewer = call.params["viewer_id"][:64]
        await app[CAMERAS].leave(call.who, app[GRIDS].index, camera_id, viewer)

    @router.get(
        "/{camera_id}/stats",
        summary="Viewers and decoders of a camera",
        response=StatsOut,
        rule=CAMERA_VIEW,
    )
    async def stats(call: Call[None, None]) -> dict[str, Any]:
        app = call.request.app
        return await app[CAMERAS].stats(call.who, app[GRIDS].index, call.path_int("camera_id"))

    return router
