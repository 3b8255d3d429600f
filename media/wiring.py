"""How the hub's composition root starts the media service (a core package, not a plugin)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

from aiohttp import web

from hub.keys import BUS, CHANNELS, GRIDS, METRICS, REALTIME, SESSIONS, SETTINGS, TIMERS
from media import metrics
from media.floor import FloorStore, MemoryFloors, RedisFloors
from media.groups import GroupCalls
from media.pool import MediaPool
from media.ptt import PushToTalk
from media.scope import Doorman

MEDIA = web.AppKey("media", MediaPool)
GROUPS = web.AppKey("media_groups", GroupCalls)
PTT = web.AppKey("media_ptt", PushToTalk)
TIMER_OWNER = "media"


async def media_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start the workers, register group-call and PTT events and the PTT timer handler; after
    realtime (channels) and timers, before timers start."""
    settings = app[SETTINGS]
    secret = settings.media.secret
    pool = MediaPool(settings.media, secret.get_secret_value() if secret else secrets.token_hex(24))
    floors: FloorStore = RedisFloors(settings.redis_url) if settings.redis_url else MemoryFloors()
    doorman = Doorman(app[CHANNELS], app[SESSIONS], lambda: app[GRIDS].index)
    app[MEDIA] = pool
    metrics.register(app[METRICS], pool)
    app[GROUPS] = GroupCalls(app[REALTIME], pool, doorman)
    timers = app[TIMERS].view(TIMER_OWNER)
    app[PTT] = PushToTalk(app[REALTIME], pool, doorman, floors, settings.media, timers, app[BUS])
    await app[PTT].start()
    await pool.start()
    yield
    await app[PTT].close()
    await app[GROUPS].close()
    await pool.stop()
    await floors.close()
