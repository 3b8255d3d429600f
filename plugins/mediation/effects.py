"""What follows a committed step: the live push, the bus messages, the risk alert chain and
the follow-up visit, both on durable timers (ctx.timers: they survive restarts and fire once
cluster-wide).

The risk chain: a high-risk case alerts the commanders of its town at once; if nobody of the
centre takes it (the `take_risk` step) within `risk_unanswered_s`, the county's are alerted.
When escalation runs, its chain (mediation's default policy unless the deployment's) takes the
place of that timer (escalate.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from hub.sdk import COMMAND_ROLES, SYSTEM, DueTimer, GridIndex, PluginContext, utcnow
from plugins.mediation import access, views
from plugins.mediation.config import MediationConfig
from plugins.mediation.levels import committee, reached, town_of
from plugins.mediation.messages import CaseChanged, CaseConcluded, CaseRiskRaised
from plugins.mediation.models import Case, Step
from plugins.mediation.workflow import OPEN, Outcome

RISK_KIND = "risk"
FOLLOW_UP_KIND = "follow_up"
MEDIATION_ROLES = frozenset({access.MEDIATOR, access.LEGAL_ADVISER})


@dataclass
class Change:
    summary: dict[str, Any]
    action: str
    actor_id: int | None
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def case_id(self) -> int:
        return int(self.summary["id"])


class Effects:
    def __init__(self, ctx: PluginContext, config: MediationConfig) -> None:
        self.ctx = ctx
        self.config = config

    @property
    def index(self) -> GridIndex:
        return self.ctx.grids.index

    async def after(self, change: Change) -> None:
        await self.push(change.summary, change.action)
        await self.ctx.bus.publish(self._changed(change))
        outcome = change.outcome
        if outcome.risk_raised:
            await self.raise_risk(change.summary)
        if outcome.risk_settled:
            await self.ctx.timers.cancel(f"{RISK_KIND}:{change.case_id}")
            if self.ctx.has_plugin("escalation"):
                from plugins.mediation.escalate import settle  # escalation's messages

                await settle(self.ctx, change.summary, change.action)
        if outcome.follow_up:
            fire_at = time.time() + self.config.follow_up_after_s
            key = f"{FOLLOW_UP_KIND}:{change.case_id}"
            await self.ctx.timers.schedule(
                FOLLOW_UP_KIND, key, fire_at, {"case_id": change.case_id}
            )
        if outcome.concluded:
            await self.ctx.bus.publish(self._concluded(change.summary, outcome.concluded))
            if self.ctx.has_plugin("dispatch") and change.summary["incident_id"]:
                from plugins.mediation.bridge import offer_resolution  # dispatch's messages

                await offer_resolution(self.ctx, change.summary, outcome.concluded)

    def _changed(self, change: Change) -> CaseChanged:
        s = change.summary
        return CaseChanged(
            case_id=s["id"],
            number=s["number"],
            action=change.action,
            state=s["state"],
            level=s["level"],
            grid_id=s["grid_id"],
            level_grid_id=s["level_grid_id"],
            risk=s["risk"],
            incident_id=s["incident_id"],
            actor_id=change.actor_id,
            version=s["version"],
        )

    @staticmethod
    def _concluded(s: dict[str, Any], outcome: str) -> CaseConcluded:
        note = s["agreement"] if outcome == "agreed" else s["outcome_note"]
        return CaseConcluded(
            case_id=s["id"],
            number=s["number"],
            outcome=outcome,
            referral=s["referral"],
            incident_id=s["incident_id"],
            note=(note or "")[:2000],
        )

    # --- live -------------------------------------------------------------------------------

    async def push(self, summary: dict[str, Any], action: str) -> None:
        """The case to everyone who may see it: command centres over its grid and handling
        level, its mediators, and mediation people over its grid."""
        grids = [summary["grid_id"], summary["level_grid_id"]]
        rooms = self.ctx.realtime.command_rooms(grids)
        people = set(summary["mediator_ids"]) | await self._holders(grids, MEDIATION_ROLES)
        rooms += [self.ctx.realtime.user_room(pid) for pid in sorted(people)]
        await self.ctx.realtime.emit("case", {"action": action, "case": summary}, rooms)

    async def _holders(self, grid_ids: list[int], roles: frozenset[str]) -> set[int]:
        covering = {c for g in grid_ids if g in self.index for c in self.index.covering_ids(g)}
        found = await self.ctx.directory.holding_roles_in(covering)
        return {
            p.id
            for p in found
            if any(r["role"] in roles and r["grid_id"] in covering for r in p.roles)
        }

    async def _alert(self, summary: dict[str, Any], centre: int, step: str) -> None:
        people = await self.ctx.directory.holding_roles_in([centre])
        commanders = sorted(
            p.id
            for p in people
            if any(r["role"] in COMMAND_ROLES and r["grid_id"] == centre for r in p.roles)
        )
        rooms = [self.ctx.realtime.user_room(pid) for pid in commanders]
        data = {"step": step, "centre_grid_id": centre, "case": summary}
        if rooms:
            await self.ctx.realtime.emit("risk_alert", data, rooms)

    # --- risk chain -------------------------------------------------------------------------

    async def raise_risk(self, summary: dict[str, Any]) -> None:
        town = town_of(self.index, summary["grid_id"])
        await self._alert(summary, town, "town")
        await self.ctx.bus.publish(
            CaseRiskRaised(
                case_id=summary["id"],
                number=summary["number"],
                risk=summary["risk"],
                grid_id=summary["grid_id"],
                town_grid_id=town,
                summary=summary["summary"][:500],
            )
        )
        if self.ctx.has_plugin("escalation"):
            from plugins.mediation.escalate import request  # escalation's messages

            await request(self.ctx, self.config, summary)
            return  # the chain's later steps come back through on_chain_step
        key = f"{RISK_KIND}:{summary['id']}"
        fire_at = time.time() + self.config.risk_unanswered_s
        await self.ctx.timers.schedule(RISK_KIND, key, fire_at, {"case_id": summary["id"]})

    async def on_risk_due(self, payload: dict[str, Any], timer: DueTimer) -> None:
        case_id = int(payload["case_id"])
        county = await self._county_of(case_id)
        if county is None:
            return
        details = reached("county", county)
        summary = await self._system_step(case_id, "risk_unanswered", _risk_open, details)
        if summary is not None:
            await self._alert(summary, county, "county")

    async def _county_of(self, case_id: int) -> int | None:
        async with self.ctx.sessions.begin() as session:
            case = await session.get(Case, case_id)
            return None if case is None else committee(self.index, case.grid_id, "county")[1]

    async def on_chain_step(self, case_id: int, level: str, centre: int, policy: str) -> None:
        """A later step of the case's escalation chain: the timeline, and the level's alert."""
        details = {**reached(level, centre), "policy": policy}
        summary = await self._system_step(case_id, "risk_unanswered", _risk_open, details)
        if summary is not None:
            await self._alert(summary, centre, level)

    async def on_follow_up_due(self, payload: dict[str, Any], timer: DueTimer) -> None:
        summary = await self._system_step(int(payload["case_id"]), "follow_up_due", _agreed)
        if summary is not None:
            await self.push(summary, "follow_up_due")

    async def _system_step(
        self, case_id: int, action: str, wanted: Any, details: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """A timeline line by the system on a case still in the wanted condition."""
        async with self.ctx.sessions.begin() as session:
            case = await session.get(Case, case_id)
            if case is None or not wanted(case):
                return None
            session.add(
                Step(
                    case_id=case.id,
                    action=action,
                    actor_id=None,
                    actor_name=SYSTEM.name,
                    details=details or {},
                    version=case.version,
                    at=utcnow(),
                )
            )
            self.ctx.audit.record(
                session, SYSTEM, f"mediation.case.{action}", "mediation_case", case.id, details
            )
            return views.summary(case, self.index)


def _risk_open(case: Case) -> bool:
    return case.risk == "high" and case.risk_taken_by is None and case.state in OPEN | {"agreed"}


def _agreed(case: Case) -> bool:
    return case.state in {"agreed", "performed"}
