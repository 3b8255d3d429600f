"""How the hub starts the camera gateway (after media_ctx: it needs the worker pool)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from hub.keys import BUS, GRIDS, PEOPLE, SESSIONS, SETTINGS
from hub.messages import PersonChanged
from media.camera.api import CAMERAS
from media.camera.service import Cameras
from media.wiring import MEDIA, media_settings


async def camera_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    own = media_settings(app).cameras
    cameras = Cameras(app[MEDIA], app[SESSIONS], own, settings.data_dir)
    app[CAMERAS] = cameras

    async def changed(message: PersonChanged) -> None:
        """Views follow grants on every node (its own camera rooms), like sockets' rooms."""
        await cameras.follow_grants(message.person_id, app[GRIDS].index, app[PEOPLE].grants_of)

    unlisten = await app[BUS].listen(PersonChanged, changed)
    yield
    await unlisten()
