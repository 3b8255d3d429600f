"""What one escalation step does: alert a command-centre room, ring the on-duty people, post in
the incident's channel, and queue notifier deliveries (each a durable timer of its own).

Socket events (all in the plugin's namespace):

* ``escalation.alert`` -- to the level's command-centre room (for the ``grid`` level: to the
  grid leaders' own rooms): the chain, its step and what triggered it.
* ``escalation.ring`` -- to each on-duty person of the level: the same, for a loud ring. Once
  signalling exists this becomes a call invite.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hub.sdk import COMMAND_ROLES, GridNode, PluginContext, Role
from plugins.escalation.config import Step

NOTIFY_KIND = "notify"


@dataclass(frozen=True, slots=True)
class StepCall:
    """One step about to run: the chain's facts and where the step points."""

    chain_id: int
    index: int
    trigger: str
    subject: str
    policy: str
    grid_id: int
    started_at: float
    context: dict[str, Any]
    step: Step
    node: GridNode

    def event(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "step": self.index,
            "level": self.step.level,
            "trigger": self.trigger,
            "subject": self.subject,
            "policy": self.policy,
            "grid_id": self.grid_id,
            "level_grid_id": self.node.id,
            "level_grid_name": self.node.name,
            "started_at": self.started_at,
            "context": self.context,
        }


class Actions:
    def __init__(self, ctx: PluginContext) -> None:
        self._ctx = ctx
        self._run: dict[str, Callable[[StepCall], Awaitable[Any]]] = {
            "notify_room": self._notify_room,
            "ring": self._ring,
            "post_channel": self._post_channel,
            "notifier": self._notifiers,
            "notify_roles": self._notify_roles,
        }

    def level_node(self, grid_id: int, level: str) -> GridNode | None:
        """The trigger's grid or its ancestor at `level` (None if the tree has no such level)."""
        index = self._ctx.grids.index
        if grid_id not in index:
            return None
        chain = [*index.ancestors(grid_id), index.get(grid_id)]
        if level == "grid":
            return chain[-1]
        return next((n for n in reversed(chain) if n.level == level), None)

    async def run(self, call: StepCall) -> dict[str, Any]:
        return {action: await self._run[action](call) for action in call.step.actions}

    async def _notify_room(self, call: StepCall) -> list[str]:
        if call.step.level == "grid":
            rooms = [self._ctx.realtime.user_room(p) for p in await self.on_duty(call.node)]
        else:
            rooms = self.centre_rooms(call.node)
        if rooms:
            await self._ctx.realtime.emit("alert", call.event(), rooms)
        return rooms

    async def _ring(self, call: StepCall) -> list[int]:
        people = await self.on_duty(call.node)
        rooms = [self._ctx.realtime.user_room(p) for p in people]
        if rooms:
            await self._ctx.realtime.emit("ring", {**call.event(), "ring": True}, rooms)
        return people

    async def _post_channel(self, call: StepCall) -> int | None:
        incident_id = call.context.get("incident_id")
        if not isinstance(incident_id, int):
            return None
        name = str(call.context.get("number") or f"incident {incident_id}")
        info = await self._ctx.channels.for_ref("incident", incident_id, name, ())
        await self._ctx.channels.notice(info.id, "escalation.step", call.event())
        return info.id

    async def _notifiers(self, call: StepCall) -> list[str]:
        for name in call.step.notifiers:
            key = f"notify:{call.chain_id}:{call.index}:{name}"
            payload = {"notifier": name, "message": call.event()}
            await self._ctx.timers.schedule(NOTIFY_KIND, key, time.time(), payload)
        return list(call.step.notifiers)

    async def _notify_roles(self, call: StepCall) -> list[int]:
        """Holders of the step's roles on the trigger's grid chain up to the step's level."""
        index = self._ctx.grids.index
        upward = [call.grid_id, *(n.id for n in reversed(index.ancestors(call.grid_id)))]
        grids = upward[: upward.index(call.node.id) + 1]
        wanted = set(call.step.roles)
        found = await self._ctx.directory.holding_roles_in(grids)
        held = ((p.id, r) for p in found for r in p.roles)
        people = sorted({pid for pid, r in held if r["role"] in wanted and r["grid_id"] in grids})
        rooms = [self._ctx.realtime.user_room(p) for p in people]
        if rooms:
            await self._ctx.realtime.emit("alert", {**call.event(), "roles": sorted(wanted)}, rooms)
        return people

    def centre_rooms(self, node: GridNode) -> list[str]:
        """The room of the command centre seated at `node` (not those above or beside it)."""
        realtime, index = self._ctx.realtime, self._ctx.grids.index
        rooms = set(realtime.command_rooms([node.id]))
        if node.parent_id is not None:
            rooms -= set(realtime.command_rooms([node.parent_id]))
        for overlay in index.overlays_covering(node.id):
            rooms -= set(realtime.command_rooms([overlay.id]))
        return sorted(rooms)

    async def on_duty(self, node: GridNode) -> list[int]:
        """Who answers for `node`: its commanders and dispatchers, or for a basic grid the grid
        leaders of the grid or of its nearest ancestor that has any."""
        if node.level != "grid":
            return await self._holders(node.id, COMMAND_ROLES)
        index = self._ctx.grids.index
        for grid in [node, *reversed(index.ancestors(node.id))]:
            leaders = await self._holders(grid.id, {Role.GRID_LEADER})
            if leaders:
                return leaders
        return []

    async def _holders(self, grid_id: int, roles: Iterable[Role]) -> list[int]:
        """Active people holding one of `roles` on exactly `grid_id`."""
        wanted = {r.value for r in roles}
        people = await self._ctx.directory.holding_roles_in([grid_id])
        return sorted(
            p.id
            for p in people
            if any(r["role"] in wanted and r["grid_id"] == grid_id for r in p.roles)
        )
