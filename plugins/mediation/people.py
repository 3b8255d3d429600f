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

from hub.sdk import DomainMessage, HubError, InvalidInput, PluginContext, Principal, in_scope
from plugins.mediation import access
from plugins.mediation.schemas import PartyIn

ANSWER_S = 5.0  # how long an intake waits for the archive's answer


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
