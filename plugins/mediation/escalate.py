"""High-risk cases on escalation's chains (escalation is an optional dependency).

Beside its own town → county alert, a case raised to high risk asks escalation for a chain
(`EscalationRequested`, kind `mediation_case`, severity `high`: the deployment's policy for
trigger `request` decides who hears of it and when); taking the risk, an agreement or a
referral settles it (`EscalationSettled`).
"""

from __future__ import annotations

from typing import Any

from hub.sdk import PluginContext
from plugins.escalation.messages import EscalationRequested, EscalationSettled

KIND = "mediation_case"


async def request(ctx: PluginContext, summary: dict[str, Any]) -> None:
    await ctx.bus.publish(
        EscalationRequested(
            subject_kind=KIND,
            subject_ref=str(summary["id"]),
            grid_id=summary["grid_id"],
            severity=summary["risk"],
            title=f"矛盾纠纷可能激化 {summary['number']}",
            summary=summary["summary"][:500],
            by_plugin="mediation",
        )
    )


async def settle(ctx: PluginContext, summary: dict[str, Any], action: str) -> None:
    await ctx.bus.publish(
        EscalationSettled(subject_kind=KIND, subject_ref=str(summary["id"]), reason=action[:64])
    )
