"""Elderly people from the archives plugin (where it is installed; an optional dependency).

The archives publish `ResidentCareChanged` after every change of a person (the whole state:
grid, name, birth year, key-group tags, active). The plugin keeps the elderly — born
`elderly_age` years ago or more (高龄), or carrying the `alone_tag` (独居) — in
`services_elders`, the newest message winning (`seen_at`, as the bus may deliver late or twice).
A person living alone gets a check-in (one per person, `resident_id`) visited every
`alone_visit_days`; losing the tag, moving away or dying ends it. Staff then book care for a
person by their archives id instead of typing a name. Without the archives nothing of this
runs and names are typed as before.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import SYSTEM, InvalidInput, NotFound, PluginContext, Principal, mask_personal
from plugins.services.access import CHECKIN, STAFF
from plugins.services.care import DAY_S, Care
from plugins.services.common import check_grid, visible_grids
from plugins.services.config import ServicesConfig
from plugins.services.models import CheckIn, Elder

if TYPE_CHECKING:
    from plugins.archives.messages import ResidentCareChanged


def elder_view(row: Elder, checkin_id: int | None, year: int) -> dict[str, Any]:
    return {"resident_id": row.resident_id, "grid_id": row.grid_id,
            "name": mask_personal(row.name), "tags": row.tags, "alone": row.alone,
            "age": year - row.birth_year if row.birth_year else None,
            "checkin_id": checkin_id}  # fmt: skip


class Elders:
    def __init__(self, ctx: PluginContext, config: ServicesConfig, care: Care) -> None:
        self.ctx = ctx
        self.config = config
        self.care = care
        self.enabled = ctx.has_plugin("archives")

    async def subscribe(self) -> None:
        if not self.enabled:
            return
        from plugins.archives.messages import ResidentCareChanged  # the archives' contract

        await self.ctx.bus.subscribe(ResidentCareChanged, self.changed, group="services.elders")

    def _elderly(self, birth_year: int | None) -> bool:
        year = datetime.now(self.ctx.time_zone).year
        return birth_year is not None and year - birth_year >= self.config.elderly_age

    async def changed(self, message: ResidentCareChanged) -> None:
        """Take the person's newest state; start or end their check-in as the tag says."""
        alone = message.active and self.config.alone_tag in message.tags
        listed = message.active and (alone or self._elderly(message.birth_year))
        try:
            async with self.ctx.sessions.begin() as session:
                row = await session.get(Elder, message.resident_id)
                if row is not None and row.seen_at >= message.sent_at:
                    return  # an older state, or this one again
                if row is None and not listed:
                    return  # not someone elderly care serves
                if row is None:
                    row = Elder(resident_id=message.resident_id)
                    session.add(row)
                row.grid_id, row.name, row.birth_year = (
                    message.grid_id,
                    message.name,
                    message.birth_year,
                )
                row.tags, row.alone, row.listed = list(message.tags), alone, listed
                row.seen_at = message.sent_at
                started, ended = await self._keep_checkin(session, row)
        except IntegrityError:
            return  # another node took this person's first message at the same moment
        if started is not None:
            await self.care.watch(started)
        if ended is not None:
            await self.ctx.timers.cancel(f"checkin:{ended}")

    async def _keep_checkin(
        self, session: AsyncSession, elder: Elder
    ) -> tuple[CheckIn | None, int | None]:
        """(a check-in to watch, a check-in id no longer watched)."""
        row = await session.scalar(select(CheckIn).where(CheckIn.resident_id == elder.resident_id))
        if row is not None:
            row.grid_id, row.name = elder.grid_id, elder.name[:40]
        if elder.alone and (row is None or not row.active):
            due = time.time() + self.config.alone_visit_days * DAY_S
            if row is None:
                row = CheckIn(resident_id=elder.resident_id, grid_id=elder.grid_id,
                              name=elder.name[:40], phone="", address="", missed=0,
                              interval_days=self.config.alone_visit_days)  # fmt: skip
                session.add(row)
            row.active, row.due_at = True, due
            await session.flush()
            self.ctx.audit.record(session, SYSTEM, "services.checkin.registered", CHECKIN,
                                  row.id, {"archives": elder.resident_id})  # fmt: skip
            return row, None
        if not elder.alone and row is not None and row.active:
            row.active = False
            self.ctx.audit.record(session, SYSTEM, "services.checkin.ended", CHECKIN, row.id,
                                  {"archives": elder.resident_id})  # fmt: skip
            return None, row.id
        return None, None

    async def listed(self, who: Principal) -> list[dict[str, Any]]:
        grids = visible_grids(who, self.ctx.grids.index, STAFF)
        watched = (CheckIn.resident_id == Elder.resident_id) & CheckIn.active.is_(True)
        stmt = (select(Elder, CheckIn.id).outerjoin(CheckIn, watched).where(Elder.listed.is_(True))
                .order_by(Elder.grid_id, Elder.resident_id))  # fmt: skip
        async with self.ctx.sessions() as session:
            rows = (await session.execute(stmt)).all()
        year = datetime.now(self.ctx.time_zone).year
        return [elder_view(e, c, year) for e, c in rows if grids is None or e.grid_id in grids]

    async def named(
        self, who: Principal, name: str, resident_id: int | None
    ) -> tuple[str, int | None]:
        """Whom care is for: with the archives, their person (`resident_id`, required);
        without, the typed name (required)."""
        if self.enabled:
            if resident_id is None:
                raise InvalidInput("services.resident_required",
                                   "choose the person from the archives (resident_id)")  # fmt: skip
            return (await self.person(who, resident_id)).name[:40], resident_id
        if resident_id is not None or not name:
            raise InvalidInput("services.name_required", "name the person (no archives here)")
        return name, None

    async def person(self, who: Principal, resident_id: int) -> Elder:
        """An elderly person the caller serves (404 if the archives told of none such)."""
        async with self.ctx.sessions() as session:
            row = await session.get(Elder, resident_id)
        if row is None or not row.listed:
            raise NotFound("services.elder_not_found", f"no elderly person {resident_id}")
        check_grid(who, self.ctx.grids.index, row.grid_id, STAFF)
        return row
