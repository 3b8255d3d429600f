"""Chains other plugins ask for (`EscalationRequested`) and settle (`EscalationSettled`)."""

from __future__ import annotations

from hub.sdk import Actor, PluginContext
from plugins.escalation.chains import Chains, Start
from plugins.escalation.messages import EscalationRequested, EscalationSettled

GROUP = "escalation.requests"


def subject_of(kind: str, ref: str) -> str:
    return f"{kind[:40]}:{ref[:80]}"


class Requests:
    def __init__(self, ctx: PluginContext, chains: Chains) -> None:
        self._ctx, self._chains = ctx, chains

    async def subscribe(self) -> None:
        bus = self._ctx.bus
        self._ctx.on_cleanup(await bus.subscribe(EscalationRequested, self.requested, group=GROUP))
        self._ctx.on_cleanup(await bus.subscribe(EscalationSettled, self.settled, group=GROUP))

    async def requested(self, m: EscalationRequested) -> None:
        if m.grid_id not in self._ctx.grids.index:
            self._ctx.log.error("escalation request for an unknown grid", extra={"grid": m.grid_id})
            return
        subject = subject_of(m.subject_kind, m.subject_ref)
        context = {"subject_kind": m.subject_kind[:40], "subject_ref": m.subject_ref[:80],
                   "title": m.title[:200], "summary": m.summary[:500],
                   "by_plugin": m.by_plugin[:64]}  # fmt: skip
        start = Start("request", subject, f"request:{subject}", m.grid_id, context,
                      severity=m.severity[:32], kind=m.subject_kind[:40],
                      offered=m.default_policy or None)  # fmt: skip
        await self._chains.start(start)

    async def settled(self, m: EscalationSettled) -> None:
        subject = subject_of(m.subject_kind, m.subject_ref)
        await self._chains.stop(subject, m.reason[:64], Actor(f"plugin:{m.subject_kind[:40]}"))
