"""How the media service starts (a built-in component: media/component.py)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

from aiohttp import web

from hub.errors import HubError
from hub.keys import BUS, CHANNELS, GRIDS, METRICS, REALTIME, ROLES, SESSIONS, SETTINGS, TIMERS
from hub.realtime import Connection, Realtime
from hub.settings import section
from media import metrics
from media.floor import FloorStore, MemoryFloors, RedisFloors
from media.groups import GroupCalls
from media.live import LiveRoom, LiveRooms
from media.pool import MediaPool
from media.ptt import PushToTalk
from media.scope import Doorman, ScopeIn
from media.settings import MediaSettings

MEDIA = web.AppKey("media", MediaPool)
GROUPS = web.AppKey("media_groups", GroupCalls)
PTT = web.AppKey("media_ptt", PushToTalk)
TIMER_OWNER = "media"


async def media_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start the workers, register group-call and PTT events and the PTT timer handler; after
    realtime (channels) and timers, before timers start."""
    settings, own = app[SETTINGS], media_settings(app)
    pool = MediaPool(own, own.secret.get_secret_value() if own.secret else secrets.token_hex(24))
    floors: FloorStore = RedisFloors(settings.redis_url) if settings.redis_url else MemoryFloors()
    doorman = Doorman(app[CHANNELS], app[SESSIONS], lambda: app[GRIDS].index, app[ROLES].staff)
    app[MEDIA] = pool
    metrics.register(app[METRICS], pool)
    app[GROUPS] = GroupCalls(app[REALTIME], pool, doorman)
    timers = app[TIMERS].view(TIMER_OWNER)
    app[PTT] = PushToTalk(app[REALTIME], pool, doorman, floors, own, timers, app[BUS])
    guard_media_rooms(app[REALTIME], doorman, {"call": app[GROUPS].rooms, "ptt": app[PTT].rooms})
    await app[PTT].start()
    await pool.start()
    yield
    await app[PTT].close()
    await app[GROUPS].close()
    await pool.stop()
    await floors.close()


def media_settings(app: web.Application) -> MediaSettings:
    """The `[media]` table of the hub's settings."""
    return section(app[SETTINGS], "media", MediaSettings)


def guard_media_rooms(realtime: Realtime, doorman: Doorman, kinds: dict[str, LiveRooms]) -> None:
    """Socket rooms `media:<call|ptt>:<channel>` follow the doorman: whoever may no longer
    join the channel's call (a role or membership change) is taken out of the call too."""

    def live(room: str) -> tuple[LiveRooms, LiveRoom | None]:
        room_id = room.removeprefix("media:")
        rooms = kinds[room_id.partition(":")[0]]
        return rooms, rooms.rooms.get(room_id)

    async def allows(conn: Connection, room: str) -> bool:
        current = live(room)[1]
        if current is None:
            return False
        try:
            await doorman.admit(conn.principal, ScopeIn(channel_id=current.channel.id))
        except HubError:
            return False
        return True

    async def revoked(conn: Connection, room: str) -> None:
        rooms, current = live(room)
        person = conn.principal.person_id
        seat = current.participants.get(person) if current is not None else None
        if current is not None and seat is not None and seat.sid == conn.sid:
            await rooms.leave(current, person, "access_revoked")

    realtime.guard_rooms("media", allows, revoked)
