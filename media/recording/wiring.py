"""How the hub starts recording: the service, the playback ticket key, the retention sweep."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from hub.identity import signing_key
from hub.keys import BUS, SESSIONS, SETTINGS
from hub.periodic import every
from hub.subjects import SUBJECTS
from media.recording.api import RECORDINGS, TICKET_KEY, ticket_key
from media.recording.live import LiveRecorder
from media.recording.service import Recordings
from media.wiring import GROUPS, MEDIA, PTT, media_settings
from signaling.wiring import CALLS

log = logging.getLogger("gridhub.media.recording")


async def recording_ctx(app: web.Application) -> AsyncIterator[None]:
    """After media_ctx (the worker pool)."""
    settings = app[SETTINGS]
    own = media_settings(app).recording
    recordings = Recordings(app[MEDIA], app[SESSIONS], own, settings.data_dir, app[SUBJECTS])
    app[RECORDINGS] = recordings
    if not settings.is_cluster:  # its embedded workers are new: nothing is recording any more
        await recordings.store.fail_unfinished("the hub restarted while recording")
    app[CALLS].on_ended.append(recordings.call_ended)
    app[GROUPS].rooms.recorder = LiveRecorder(recordings, "group", app[BUS])
    app[PTT].rooms.recorder = LiveRecorder(recordings, "ptt", app[BUS])
    app[TICKET_KEY] = ticket_key(await signing_key(app[SESSIONS], settings.auth))
    interval = recordings.settings.sweep_interval_s
    sweeping = every(interval, lambda: _sweep(recordings), "recording-retention")
    task = asyncio.create_task(sweeping, name="recording-retention")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _sweep(recordings: Recordings) -> None:
    removed = await recordings.sweep()
    if removed:
        log.info("recording retention sweep", extra={"removed": removed})
