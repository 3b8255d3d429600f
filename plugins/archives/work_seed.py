"""The demo county's visit history: past visits of its key-group people and inspections of its
places, by the workers of their grids, so the 走访 tab, the due lists and the overdue sweep have
something plausible to show (most subjects visited on time, a few late). Seeded once, while
`archives_visits` is empty, after the archive itself (seed.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from hub.sdk import PluginContext
from plugins.archives.models import Place, Resident, ResidentTag, Tag
from plugins.archives.work_access import FIELD_ROLES
from plugins.archives.work_models import Visit

BATCH = 2000
LATE_SHARE = 0.04  # subjects whose last visit is past their interval (due now)
NOTES = (
    "身体状况良好",
    "已了解近期生活情况",
    "已宣传防诈骗知识",
    "家中设施完好",
    "已提醒注意用电用气安全",
    "子女近期回家探望",
)
CHECKS = ("消防通道畅通", "灭火器在有效期内", "已检查用电线路", "安全台账齐全")


async def seed_visit_history(ctx: PluginContext, seed: int = 19) -> int:
    """Past visits and inspections for the demo archive; returns how many were written."""
    async with ctx.sessions() as session:
        if await session.scalar(select(func.count(Visit.id))):
            return 0
        people = (
            await session.execute(
                select(Resident.id, Resident.grid_id, func.min(Tag.visit_interval_days))
                .join(ResidentTag, ResidentTag.resident_id == Resident.id)
                .join(Tag, Tag.code == ResidentTag.tag_code)
                .group_by(Resident.id, Resident.grid_id)
            )
        ).all()
        places = (
            await session.execute(
                select(
                    Place.id, Place.grid_id, Place.inspection_interval_days, Place.lat, Place.lng
                )
            )
        ).all()
    workers = await _workers(ctx, {g for _, g, _ in people} | {p[1] for p in places})
    rows = _Rows(random.Random(seed), workers, _sqlite(ctx))
    for rid, grid_id, days in people:
        rows.history("person", rid, grid_id, days, None, None, NOTES)
    for pid, grid_id, days, lat, lng in places:
        rows.history("place", pid, grid_id, days, lat, lng, CHECKS)
    await _write(ctx, rows.rows)
    return len(rows.rows)


async def _workers(ctx: PluginContext, grids: set[int]) -> dict[int, list[tuple[int, str]]]:
    """Per grid, the field staff holding a role on it or above it (who would have visited)."""
    index, found = ctx.grids.index, {}
    for grid_id in grids:
        chain = index.covering_ids(grid_id) if grid_id in index else ()
        people = await ctx.directory.holding_roles_in(chain)
        found[grid_id] = [
            (p.id, p.display_name)
            for p in people
            if any(r.get("role") in FIELD_ROLES and r.get("grid_id") in chain for r in p.roles)
        ]
    return found


def _sqlite(ctx: PluginContext) -> bool:
    return bool(ctx.sessions.kw["bind"].dialect.name == "sqlite")


class _Rows:
    def __init__(
        self, rng: random.Random, workers: dict[int, list[tuple[int, str]]], sqlite: bool
    ) -> None:
        self.rng, self.workers, self.sqlite = rng, workers, sqlite
        self.now = datetime.now(UTC)
        self.rows: list[tuple[Any, ...]] = []

    def history(
        self,
        kind: str,
        subject_id: int,
        grid_id: int,
        days: int,
        lat: float | None,
        lng: float | None,
        notes: tuple[str, ...],
    ) -> None:
        """One to three past visits, the last within the interval (or, for a few, past it)."""
        staff = self.workers.get(grid_id)
        if not staff:
            return
        late = self.rng.random() < LATE_SHARE
        last = days * (1.1 + self.rng.random() * 0.5) if late else days * self.rng.random() * 0.9
        for step in range(self.rng.randint(1, 3)):
            ago = timedelta(days=last + step * days, hours=self.rng.randint(0, 8))
            worker_id, name = self.rng.choice(staff)
            at = self._at(self.now - ago)
            self.rows.append(
                (
                    len(self.rows) + 1,
                    f"demo-{kind}-{subject_id}-{step}",
                    kind,
                    subject_id,
                    grid_id,
                    worker_id,
                    name,
                    at,
                    self.rng.choice(notes),
                    lat,
                    lng,
                    False,
                    "",
                    None,
                    at,
                )
            )

    def _at(self, moment: datetime) -> Any:
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else moment


async def _write(ctx: PluginContext, rows: list[tuple[Any, ...]]) -> None:
    writer = ctx.bulk_insert(Visit)
    try:
        for start in range(0, len(rows), BATCH):
            await writer.insert(rows[start : start + BATCH])
    finally:
        await writer.close()
    if rows and not _sqlite(ctx):  # the ids were given: move the serial past them
        async with ctx.sessions.begin() as session:
            await session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('archives_visits', 'id'), "
                    "(SELECT max(id) FROM archives_visits))"
                )
            )
