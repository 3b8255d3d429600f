"""High-risk cases on escalation's chains (escalation is an optional dependency).

A case raised to high risk asks escalation for a chain (`EscalationRequested`, kind
`mediation_case`, severity `high`) and offers mediation's default policy `mediation-risk`
with it: the town's command centre at once (room, ring, and the party plugin's 包靠领导 of the
case's grids up to the town where that plugin runs), the county after `risk_unanswered_s`. A
deployment policy for trigger `request` that matches wins; `disabled_defaults =
["mediation-risk"]` turns the default off. Taking the risk, an agreement or a referral settles
the chain (`EscalationSettled`). The chain's later steps come back as `EscalationStepFired`:
each writes 风险未处置，已报<level> in the case's timeline and alerts that level's commanders
on the mediation page, as mediation's own timer does when escalation does not run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from hub.sdk import PluginContext
from plugins.escalation.messages import (
    DefaultPolicy,
    DefaultStep,
    EscalationRequested,
    EscalationSettled,
    EscalationStepFired,
)
from plugins.mediation.config import MediationConfig

KIND = "mediation_case"
POLICY = "mediation-risk"
GROUP = "mediation.escalation"
ACTIONS = ("notify_room", "ring")

# (case id, the step's level, its level grid id, the policy) -> handled
OnStep = Callable[[int, str, int, str], Awaitable[None]]


def default_policy(config: MediationConfig) -> DefaultPolicy:
    town = DefaultStep(
        level="town", after_s=0, actions=(*ACTIONS, "notify_roles"), roles=("party_leader",)
    )
    county = DefaultStep(level="county", after_s=config.risk_unanswered_s, actions=ACTIONS)
    return DefaultPolicy(name=POLICY, severities=("high",), types=(KIND,), steps=(town, county))


async def request(ctx: PluginContext, config: MediationConfig, summary: dict[str, Any]) -> None:
    await ctx.bus.publish(
        EscalationRequested(
            subject_kind=KIND,
            subject_ref=str(summary["id"]),
            grid_id=summary["grid_id"],
            severity=summary["risk"],
            title=f"矛盾纠纷可能激化 {summary['number']}",
            summary=summary["summary"][:500],
            by_plugin="mediation",
            default_policy=default_policy(config).payload(),
        )
    )


async def settle(ctx: PluginContext, summary: dict[str, Any], action: str) -> None:
    await ctx.bus.publish(
        EscalationSettled(subject_kind=KIND, subject_ref=str(summary["id"]), reason=action[:64])
    )


async def follow(ctx: PluginContext, on_step: OnStep) -> None:
    """Hear the later steps of the cases' chains (the first is the alert mediation sent)."""

    async def fired(message: EscalationStepFired) -> None:
        kind, _, ref = message.subject.partition(":")
        if message.trigger == "request" and kind == KIND and ref.isdigit() and message.step > 0:
            await on_step(int(ref), message.level, message.level_grid_id, message.policy)

    ctx.on_cleanup(await ctx.bus.subscribe(EscalationStepFired, fired, group=GROUP))
