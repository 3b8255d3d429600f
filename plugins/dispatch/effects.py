"""After a change commits: SLA timers, the talk channel, live pushes and the bus message."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update

from hub.sdk import PluginContext
from plugins.dispatch.config import DispatchConfig
from plugins.dispatch.messages import IncidentChanged
from plugins.dispatch.models import Incident
from plugins.dispatch.writes import Writes

log = logging.getLogger("gridhub.plugin.dispatch")

# Actions worth a line in the incident's talk channel (the rest is in the timeline).
NOTICED = frozenset(
    {"dispatch", "sign", "return", "escalate", "handle", "verify", "close", "reopen", "supervise"}
)


@dataclass
class Change:
    summary: dict[str, Any]
    action: str
    previous_state: str | None
    actor_id: int | None
    actor_name: str
    note: str
    involved: list[int]
    joined: list[int] = field(default_factory=list)  # involved by this change
    source_ref: str | None = None
    review_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def incident_id(self) -> int:
        return int(self.summary["id"])

    def event(self) -> dict[str, Any]:
        """The `dispatch.incident` push: what happened, by whom, and the incident now."""
        return {
            "action": self.action,
            "previous_state": self.previous_state,
            "actor": {"id": self.actor_id, "name": self.actor_name},
            "note": self.note,
            "incident": self.summary,
            **self.extra,
        }


def incident_room(incident_id: int) -> str:
    return f"dispatch:incident:{incident_id}"


class Effects:
    def __init__(self, ctx: PluginContext, config: DispatchConfig) -> None:
        self.ctx = ctx
        self.config = config
        self.writes = Writes(ctx.sessions)

    async def apply(self, change: Change) -> None:
        """What follows a commit. The push goes first: the consoles need not wait for the SLA
        timer's write (the caller's reply does; a timer lost to a crash in between is
        rescheduled by `Deadlines.reconcile` at start-up)."""
        await self.push(change)
        await self.timers(change)
        await self.channel(change)
        await self.publish(change)

    async def timers(self, change: Change) -> None:
        """One SLA timer per incident: a warning first, then the deadline (see sla.py)."""
        await self.writes.alongside(lambda: self._timers(change))

    async def _timers(self, change: Change) -> None:
        summary, key = change.summary, f"sla:{change.incident_id}"
        deadline = summary["stage_deadline"]
        if deadline is None:
            await self.ctx.timers.cancel(key)
        elif change.action != "comment":
            await self.ctx.timers.schedule("sla", key, self.warn_at(summary), self._sla(summary))
        if change.action == "park" and change.review_at is not None:
            payload = {"incident_id": change.incident_id, "review_at": change.review_at}
            await self.ctx.timers.schedule("review", f"review:{change.incident_id}",
                                           change.review_at, payload)  # fmt: skip
        elif change.action == "unpark":
            await self.ctx.timers.cancel(f"review:{change.incident_id}")

    def warn_at(self, summary: dict[str, Any]) -> float:
        deadline, started = float(summary["stage_deadline"]), float(summary["stage_started_at"])
        return started + (deadline - started) * self.config.warn_at

    @staticmethod
    def _sla(summary: dict[str, Any]) -> dict[str, Any]:
        return {
            "incident_id": summary["id"],
            "stage": summary["stage"],
            "deadline": summary["stage_deadline"],
            "phase": "warn",
        }

    async def channel(self, change: Change) -> None:
        """Keep the incident's talk channel (once someone opened it) holding everyone involved:
        those involved before it opened joined it then, newcomers join as they come."""
        channel_id = change.summary["channel_id"]
        if channel_id is None:
            return
        if change.joined:
            await self.ctx.channels.add_members(channel_id, change.joined)
        if change.action in NOTICED:
            await self.ctx.channels.notice(
                channel_id, f"dispatch.{change.action}", self._notice(change)
            )

    async def open_channel(self, summary: dict[str, Any], people: list[int]) -> int:
        """The incident's talk channel, created on first use with everyone involved."""
        name = f"{summary['number']} {summary['title']}"[:120]
        info = await self.ctx.channels.for_ref("incident", summary["id"], name, people)
        if summary["channel_id"] != info.id:
            async with self.writes.begin() as session:
                # A plain UPDATE: the channel id is bookkeeping, not a new incident version.
                await session.execute(
                    update(Incident)
                    .where(Incident.id == summary["id"])
                    .values(channel_id=info.id)
                    .execution_options(synchronize_session=False)
                )
        return info.id

    @staticmethod
    def _notice(change: Change) -> dict[str, Any]:
        return {
            "incident_id": change.incident_id,
            "number": change.summary["number"],
            "state": change.summary["state"],
            "actor": change.actor_name,
            "note": change.note,
        }

    async def push(self, change: Change) -> None:
        rooms = [incident_room(change.incident_id)]
        rooms += [self.ctx.realtime.user_room(pid) for pid in change.involved]
        rooms += self.ctx.realtime.command_rooms([change.summary["grid_id"]])
        await self.ctx.realtime.emit("incident", change.event(), rooms)

    async def publish(self, change: Change) -> None:
        await self.ctx.bus.publish(
            changed_message(change.summary, change.action, change.previous_state,
                            change.source_ref, change.actor_id)
        )  # fmt: skip


def changed_message(
    summary: dict[str, Any],
    action: str,
    previous_state: str | None,
    source_ref: str | None,
    actor_id: int | None,
) -> IncidentChanged:
    """The bus message telling other plugins what happened to an incident."""
    s = summary
    return IncidentChanged(
        incident_id=s["id"], number=s["number"], action=action, state=s["state"],
        previous_state=previous_state, grid_id=s["grid_id"], category=s["category"],
        priority=s["priority"], source=s["source"], source_ref=source_ref, actor_id=actor_id,
        version=s["version"], rating=s.get("rating"),
    )  # fmt: skip
