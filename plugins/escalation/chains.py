"""Escalation chains: start one for a trigger, fire its steps on durable timers, stop it.

Every step is a durable timer keyed ``chain:<id>:<step>`` set for ``started_at + after_s``, so
steps keep their timing across restarts and node deaths (whichever node claims the timer runs
the step). A step handler schedules the next step first, then acts, then records the step --
``next_step`` moves on only from the step's own index while the chain is active, in the same
transaction as its audit entry. A timer that fires again (its node died before deleting it)
finds the step recorded and does nothing; a stopped chain's late timers do nothing either.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hub.audit import SYSTEM, Actor, record
from hub.plugins import PluginContext
from hub.timers import DueTimer
from plugins.escalation.actions import Actions, StepCall
from plugins.escalation.config import EscalationConfig, Policy
from plugins.escalation.models import Chain

STEP_KIND = "step"
ACTIVE, STOPPED, FINISHED = "active", "stopped", "finished"


@dataclass(frozen=True, slots=True)
class Start:
    """What a chain is started for."""

    trigger: str
    subject: str
    ref: str
    grid_id: int
    context: dict[str, Any]
    severity: str = ""
    kind: str = ""
    priority: str = ""


def step_key(chain_id: int, step: int) -> str:
    return f"chain:{chain_id}:{step}"


def chain_dict(chain: Chain) -> dict[str, Any]:
    return {
        "id": chain.id,
        "trigger": chain.trigger,
        "subject": chain.subject,
        "policy": chain.policy,
        "grid_id": chain.grid_id,
        "state": chain.state,
        "next_step": chain.next_step,
        "started_at": chain.started_at,
        "ended_at": chain.ended_at,
        "end_reason": chain.end_reason,
        "context": chain.context,
    }


class Chains:
    def __init__(self, ctx: PluginContext, config: EscalationConfig, actions: Actions) -> None:
        self._ctx, self._config, self._actions = ctx, config, actions

    async def start(self, what: Start, at: float | None = None) -> int | None:
        """Start the matching policy's chain; None when no policy matches or it already ran."""
        policy = self._config.policy_for(what.trigger, what.severity, what.kind, what.priority)
        if policy is None:
            return None
        started = time.time() if at is None else at
        chain = Chain(
            trigger=what.trigger,
            subject=what.subject,
            ref=what.ref,
            policy=policy.name,
            grid_id=what.grid_id,
            state=ACTIVE,
            next_step=0,
            started_at=started,
            context=what.context,
        )
        try:
            async with self._ctx.sessions.begin() as session:
                session.add(chain)
                await session.flush()
                details = {"policy": policy.name, "subject": what.subject, "ref": what.ref}
                record(
                    session,
                    SYSTEM,
                    "escalation.chain.started",
                    "escalation_chain",
                    chain.id,
                    details,
                )
        except IntegrityError:
            return None  # this trigger already started its chain
        await self._schedule(chain.id, policy, 0, started)
        return chain.id

    async def stop(
        self, subject: str, reason: str, actor: Actor = SYSTEM, unless_state: str | None = None
    ) -> list[int]:
        """Stop the subject's active chains (those whose context state is not `unless_state`)."""
        async with self._ctx.sessions() as session:
            found = (
                await session.scalars(
                    select(Chain).where(Chain.subject == subject, Chain.state == ACTIVE)
                )
            ).all()
        stopped = []
        for chain in found:
            if unless_state is not None and chain.context.get("state") == unless_state:
                continue
            if await self._end(chain.id, STOPPED, reason, actor):
                stopped.append(chain.id)
                for step in (chain.next_step, chain.next_step + 1):
                    await self._ctx.timers.cancel(step_key(chain.id, step))
                await self._announce(chain, "stopped", reason)
        return stopped

    async def on_step(self, payload: dict[str, Any], timer: DueTimer) -> None:
        chain_id, index = int(payload["chain_id"]), int(payload["step"])
        async with self._ctx.sessions() as session:
            chain = await session.get(Chain, chain_id)
        if chain is None or chain.state != ACTIVE or chain.next_step != index:
            return  # stopped, or this step already ran
        policy = self._config.policy(chain.policy)
        if policy is None or index >= len(policy.steps):
            await self._end(chain_id, STOPPED, "policy_removed", SYSTEM)
            return
        await self._schedule(chain_id, policy, index + 1, chain.started_at)
        await self._fire(chain, policy, index, timer)

    async def _fire(self, chain: Chain, policy: Policy, index: int, timer: DueTimer) -> None:
        step = policy.steps[index]
        node = self._actions.level_node(chain.grid_id, step.level)
        outcome: dict[str, Any] = {"skipped": "no grid at this level"}
        if node is not None:
            call = StepCall(
                chain.id,
                index,
                chain.trigger,
                chain.subject,
                chain.policy,
                chain.grid_id,
                chain.started_at,
                chain.context,
                step,
                node,
            )
            outcome = await self._actions.run(call)
        last = index + 1 >= len(policy.steps)
        details = {
            "step": index,
            "level": step.level,
            "due_at": timer.fire_at,
            "fired_at": time.time(),
            "node": timer.claimed_by,
            **outcome,
        }
        values: dict[str, Any] = {"next_step": index + 1}
        if last:
            values |= {"state": FINISHED, "ended_at": time.time(), "end_reason": "exhausted"}
        async with self._ctx.sessions.begin() as session:
            result = await session.execute(
                update(Chain)
                .where(Chain.id == chain.id, Chain.state == ACTIVE, Chain.next_step == index)
                .values(**values),
                execution_options={"synchronize_session": False},
            )
            if getattr(result, "rowcount", 0):
                record(
                    session, SYSTEM, "escalation.chain.step", "escalation_chain", chain.id, details
                )

    async def _schedule(self, chain_id: int, policy: Policy, index: int, started: float) -> None:
        if index < len(policy.steps):
            fire_at = started + policy.steps[index].after_s
            payload = {"chain_id": chain_id, "step": index}
            await self._ctx.timers.schedule(STEP_KIND, step_key(chain_id, index), fire_at, payload)

    async def _end(self, chain_id: int, state: str, reason: str, actor: Actor) -> bool:
        async with self._ctx.sessions.begin() as session:
            result = await session.execute(
                update(Chain)
                .where(Chain.id == chain_id, Chain.state == ACTIVE)
                .values(state=state, ended_at=time.time(), end_reason=reason[:64]),
                execution_options={"synchronize_session": False},
            )
            ended = bool(getattr(result, "rowcount", 0))
            if ended:
                record(
                    session,
                    actor,
                    f"escalation.chain.{state}",
                    "escalation_chain",
                    chain_id,
                    {"reason": reason},
                )
        return ended

    async def _announce(self, chain: Chain, what: str, reason: str) -> None:
        rooms = self._ctx.realtime.command_rooms([chain.grid_id])
        if rooms:
            event = {
                "chain_id": chain.id,
                "subject": chain.subject,
                "state": what,
                "reason": reason,
            }
            await self._ctx.realtime.emit("chain.stopped", event, rooms)
