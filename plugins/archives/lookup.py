"""Answers other plugins' `ResidentLookup` (messages.py): which of the ids the archive holds,
with their grid, masked name and status; nothing else of a person leaves the plugin."""

from __future__ import annotations

from sqlalchemy import select

from hub.sdk import PluginContext
from plugins.archives.messages import LOOKUP_MAX, ResidentLookup, ResidentsFound
from plugins.archives.models import Resident

GROUP = "archives.lookup"


def masked_name(name: str) -> str:
    return name[:1] + "*" * min(len(name) - 1, 3) if name else ""


async def subscribe(ctx: PluginContext) -> None:
    async def answer(message: ResidentLookup) -> None:
        ids = [i for i in message.resident_ids[:LOOKUP_MAX] if isinstance(i, int)]
        async with ctx.sessions() as session:
            rows = await session.execute(
                select(Resident.id, Resident.grid_id, Resident.name, Resident.status).where(
                    Resident.id.in_(ids)
                )
            )
            found = tuple({"id": r.id, "grid_id": r.grid_id, "name_masked": masked_name(r.name),
                           "status": r.status} for r in rows)  # fmt: skip
        await ctx.bus.publish(ResidentsFound(request_id=message.request_id[:64], residents=found))

    ctx.on_cleanup(await ctx.bus.subscribe(ResidentLookup, answer, group=GROUP))
