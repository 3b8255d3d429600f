"""Dispatch ↔ mediation over the bus (dispatch is an optional dependency).

A new dispatch incident of a dispute category (dispatch's `IncidentChanged`, action
`reported`) becomes a case at the village committee over its grid, once per incident (the
case's unique `incident_id`; a message handled twice finds the case and stops).

The way back: an agreement (or its performance) on a case from an incident is offered to
dispatch as `IncidentResolutionOffered(outcome="handled")`, keyed by the case, beside
mediation's own `CaseConcluded`. Dispatch marks the incident handled (处置) when it is being
worked, or notes the agreement in its timeline otherwise; a redelivery changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from hub.sdk import SYSTEM, Actor, HubError, PluginContext
from plugins.dispatch.messages import CategoryOffered, IncidentChanged, IncidentResolutionOffered
from plugins.mediation.cases import Cases, Origin
from plugins.mediation.config import MediationConfig
from plugins.mediation.schemas import CaseIn

GROUP = "mediation.intake"
DISPUTE = CategoryOffered(
    code="dispute", by_plugin="mediation", name_zh="矛盾纠纷", name_en="Neighbourhood dispute"
)
RISK_OF_PRIORITY = {"urgent": "high", "high": "medium"}


class IncidentIntake:
    def __init__(self, ctx: PluginContext, config: MediationConfig, cases: Cases) -> None:
        self.ctx = ctx
        self.config = config
        self.cases = cases

    async def subscribe(self) -> None:
        stop = await self.ctx.bus.subscribe(IncidentChanged, self.received, group=GROUP)
        self.ctx.on_cleanup(stop)
        # Dispatch seeds 矛盾纠纷 itself; a deployment without the seed gets it from here.
        await self.ctx.bus.publish(DISPUTE)

    async def received(self, m: IncidentChanged) -> None:
        if m.action != "reported" or m.category not in self.config.dispute_categories:
            return
        if await self.cases.by_incident(m.incident_id) is not None:
            return  # the same message again (at least once delivery)
        spec = CaseIn(
            grid_id=m.grid_id,
            type="other",
            summary=f"由事件 {m.number} 转入的矛盾纠纷（详情见事件调度）",
            risk=RISK_OF_PRIORITY.get(m.priority, "low"),
        )
        actor = Actor("dispatch", m.actor_id) if m.actor_id else SYSTEM
        origin = Origin("incident", actor, m.incident_id, m.number)
        try:
            await self.cases.open(spec, origin)
        except IntegrityError:
            return  # another node opened it at the same moment
        except HubError as exc:
            self.ctx.log.error(
                "dispute incident not taken", extra={"incident": m.number, "error": str(exc)}
            )


# Outcomes that settle the dispute an incident reported (a referral hands it elsewhere).
SETTLING = frozenset({"agreed", "performed"})


async def offer_resolution(ctx: PluginContext, summary: dict[str, Any], outcome: str) -> None:
    """The incident behind the case is handled once the parties agreed (one offer per case)."""
    if outcome not in SETTLING:
        return
    text = summary["agreement"] or summary["outcome_note"] or ""
    offer = IncidentResolutionOffered(
        incident_id=summary["incident_id"],
        by_plugin="mediation",
        offer_ref=f"case:{summary['id']}",
        outcome="handled",
        summary=f"调解 {summary['number']} 达成协议：{text}"[:2000],
        actor_name="矛盾调解",  # dispatch shows actor names as given: one language
    )
    await ctx.bus.publish(offer)
