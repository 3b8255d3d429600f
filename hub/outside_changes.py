"""People changed outside the hub process (the `gridhub` CLI), picked up by a running hub.

The HTTP API publishes `PersonChanged` on the bus, so every node's sockets, grant caches, grid
channel members and camera views follow the change at once. The CLI has no bus to publish on
(a single hub's bus lives in that process's memory), so it leaves a note in `hub_settings`
instead. Every node looks for a note every `realtime.outside_changes_s`; exactly one takes it
(a conditional UPDATE) and publishes `PersonChanged` for everyone (person 0), after which the
running hubs follow as if the API had made the change.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.bus import MessageBus
from hub.messages import PersonChanged
from storage.models import Setting

NOTE = "people.changed_outside"
log = logging.getLogger("gridhub.people")


async def note_people_changed(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Called by the CLI after it committed a change of people's roles or status."""
    stamp = f"{time.time():.6f}"
    try:
        await _write(sessions, stamp)
    except IntegrityError:  # another CLI created the note meanwhile: update it
        await _write(sessions, stamp)


async def _write(sessions: async_sessionmaker[AsyncSession], stamp: str) -> None:
    async with sessions.begin() as session:
        changed = await session.execute(
            update(Setting).where(Setting.key == NOTE).values(value=stamp)
        )
        if not getattr(changed, "rowcount", 0):
            session.add(Setting(key=NOTE, value=stamp))


async def take_note(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """True for the one node that takes a pending note (read first: no write lock when idle)."""
    async with sessions() as session:
        pending = await session.scalar(select(Setting.value).where(Setting.key == NOTE))
    if not pending:
        return False
    async with sessions.begin() as session:
        taken = await session.execute(
            update(Setting).where(Setting.key == NOTE, Setting.value == pending).values(value="")
        )
    return bool(getattr(taken, "rowcount", 0))


async def publish_outside_changes(
    sessions: async_sessionmaker[AsyncSession], bus: MessageBus
) -> None:
    """One look for a note; if this node took it, every node re-checks everyone."""
    if await take_note(sessions):
        log.info("people changed outside the hub: every node re-checks its sockets")
        await bus.publish(PersonChanged(person_id=0))
