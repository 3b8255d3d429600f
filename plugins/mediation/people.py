"""Parties linked to the archives plugin's people (archives is an optional dependency).

A party may name an archived person (`person_id`, the archives resident id). Mediation never
reads the archive's tables: it asks over the bus (`ResidentLookup` of
`plugins.archives.messages`, answered on every node by `ResidentsFound`) and links only a
person the archive holds, still active, whose grid the caller may read. Without archives a
`person_id` is refused (`mediation.archives_absent`), so nothing half-linked is stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from sqlalchemy import or_, select, update

from hub.sdk import DomainMessage, HubError, InvalidInput, PluginContext, Principal, in_scope
from plugins.mediation import access
from plugins.mediation.models import Party
from plugins.mediation.schemas import PartyIn

ANSWER_S = 5.0  # how long an intake waits for the archive's answer
GROUP = "mediation.archives"  # the bus group refreshing linked parties (once per cluster)


@dataclass(frozen=True, slots=True)
class Person:
    """An archived person a party is linked to, as the archive answered (masked)."""

    id: int
    grid_id: int
    name_masked: str


class ArchivesPeople:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self._waiting: dict[str, asyncio.Future[tuple[dict[str, Any], ...]]] = {}

    async def start(self) -> None:
        if self.ctx.has_plugin("archives"):
            from plugins.archives.messages import ResidentsFound

            self.ctx.on_cleanup(await self.ctx.bus.listen(ResidentsFound, self._answered))

    async def _answered(self, message: DomainMessage) -> None:
        waiting = self._waiting.get(str(getattr(message, "request_id", "")))
        if waiting is not None and not waiting.done():
            waiting.set_result(tuple(getattr(message, "residents", ())))

    async def check(self, who: Principal, parties: list[PartyIn]) -> dict[int, Person]:
        """The archived people the parties name, each checked; refuses the lot otherwise."""
        wanted = sorted({p.person_id for p in parties if p.person_id is not None})
        if not wanted:
            return {}
        if not self.ctx.has_plugin("archives"):
            raise InvalidInput("mediation.archives_absent", "no archive of people runs here")
        found = {int(r["id"]): r for r in await self._lookup(wanted)}
        index = self.ctx.grids.index
        for person_id in wanted:
            row = found.get(person_id)
            if (
                row is None
                or row.get("status") != "active"
                or not (
                    int(row["grid_id"]) in index
                    and in_scope(who, index, int(row["grid_id"]), access.READERS)
                )
            ):
                raise InvalidInput(
                    "mediation.person_unknown",
                    f"no person {person_id} in the archive of your grids",
                    details={"person_id": person_id},
                )
        return {i: Person(i, int(found[i]["grid_id"]), str(found[i]["name_masked"])[:24])
                for i in wanted}  # fmt: skip

    async def follow(self) -> None:
        """Keep linked parties' copies (grid, masked name) as the archive changes the person:
        each `RecordChanged` of a resident some party links is looked up again; once per
        cluster (bus group), and writing the same values twice changes nothing."""
        if self.ctx.has_plugin("archives"):
            from plugins.archives.messages import RecordChanged

            stop = await self.ctx.bus.subscribe(RecordChanged, self._changed, group=GROUP)
            self.ctx.on_cleanup(stop)

    async def _changed(self, message: DomainMessage) -> None:
        person_id = int(getattr(message, "record_id", 0))
        if getattr(message, "kind", "") != "resident" or person_id <= 0:
            return
        async with self.ctx.sessions() as session:
            linked = await session.scalar(
                select(Party.id).where(Party.person_id == person_id).limit(1)
            )
        if linked is not None:
            for row in await self._lookup([person_id]):
                await self._refresh(int(row["id"]), int(row["grid_id"]),
                                    str(row["name_masked"])[:24])  # fmt: skip

    async def _refresh(self, person_id: int, grid_id: int, masked: str) -> None:
        async with self.ctx.sessions.begin() as session:
            await session.execute(
                update(Party)
                .where(
                    Party.person_id == person_id,
                    or_(Party.person_grid_id != grid_id, Party.person_masked != masked),
                )
                .values(person_grid_id=grid_id, person_masked=masked)
            )

    async def _lookup(self, ids: list[int]) -> tuple[dict[str, Any], ...]:
        from plugins.archives.messages import ResidentLookup

        request_id = uuid4().hex
        future: asyncio.Future[tuple[dict[str, Any], ...]] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiting[request_id] = future
        try:
            message = ResidentLookup(request_id=request_id, resident_ids=tuple(ids),
                                     by_plugin="mediation")  # fmt: skip
            await self.ctx.bus.publish(message)
            async with asyncio.timeout(ANSWER_S):
                return await future
        except TimeoutError:
            raise HubError("mediation.archives_unavailable", "the archive did not answer",
                           status=503) from None  # fmt: skip
        finally:
            self._waiting.pop(request_id, None)
