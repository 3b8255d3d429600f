"""How the hub starts the camera gateway (after media_ctx: it needs the worker pool)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from hub.keys import SESSIONS, SETTINGS
from media.camera.api import CAMERAS
from media.camera.service import Cameras
from media.wiring import MEDIA


async def camera_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[CAMERAS] = Cameras(app[MEDIA], app[SESSIONS], settings.media.cameras, settings.data_dir)
    yield
