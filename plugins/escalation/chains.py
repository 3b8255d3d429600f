"""Escalation chains: start one for a trigger, fire its steps on durable timers, stop it.

Every step is a durable timer keyed ``chain:<id>:<step>`` set for ``started_at + after_s``, so
steps keep their timing across restarts and node deaths (whichever node claims the timer runs
the step). A step handler acts, then records the step -- ``next_step`` moves on only from the
step's own index while the chain is active, in the same transaction as its audit entry -- and
only then schedules the next step (so two steps due together still run in order). A timer that
fires again (its node died before deleting it) finds the step recorded and only makes sure the
next step is scheduled; a stopped chain's late timers do nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hub.sdk import SYSTEM, Actor, DueTimer, GridNode, PluginContext
from plugins.escalation.actions import Actions, StepCall
from plugins.escalation.batch import Batcher
from plugins.escalation.config import EscalationConfig, Policy
from plugins.escalation.messages import EscalationStepFired
from plugins.escalation.models import Chain

STEP_KIND = "step"
NO_SYNC: dict[str, Any] = {"synchronize_session": False}
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
    offered: dict[str, Any] | None = None  # a requesting plugin's default policy


@dataclass(frozen=True, slots=True)
class StepDone:
    chain_id: int
    index: int
    last: bool
    details: dict[str, Any]


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
        self._steps: Batcher[StepDone, bool] = Batcher(self._write_steps)

    async def start(self, what: Start, at: float | None = None) -> int | None:
        """Start the matching policy's chain; None when no policy matches or it already ran."""
        policy = self._config.policy_for(what.trigger, what.severity, what.kind, what.priority)
        offered = policy is None and bool(what.offered)
        if offered:
            policy = self._offered(what)
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
            # A plugin's default policy lives with its chain: every node fires its steps.
            policy_spec=policy.model_dump(mode="json") if offered else None,
        )
        try:
            async with self._ctx.sessions.begin() as session:
                session.add(chain)
                await session.flush()
                details = {"policy": policy.name, "subject": what.subject, "ref": what.ref}
                if offered:  # a plugin's default policy (EscalationRequested.default_policy)
                    details["default_of"] = str(what.context.get("by_plugin", ""))
                self._ctx.audit.record(
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

    def _offered(self, what: Start) -> Policy | None:
        try:
            return self._config.offered(what.offered or {}, what.severity, what.kind)
        except ValueError as error:
            extra = {"subject": what.subject, "error": str(error)[:500]}
            self._ctx.log.error("invalid default policy; no chain", extra=extra)
            return None

    def policy_of(self, chain: Chain) -> Policy | None:
        """The chain's policy: the default it was started with, or the configured one."""
        if chain.policy_spec:
            return Policy.model_validate(chain.policy_spec)
        return self._config.policy(chain.policy)

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
        fired_at = time.time()
        chain_id, index = int(payload["chain_id"]), int(payload["step"])
        async with self._ctx.sessions() as session:
            chain = await session.get(Chain, chain_id)
        if chain is None or chain.state != ACTIVE or chain.next_step not in (index, index + 1):
            return  # gone, stopped, or a stale timer
        policy = self.policy_of(chain)
        if policy is None or index >= len(policy.steps):
            await self._end(chain_id, STOPPED, "policy_removed", SYSTEM)
            return
        if chain.next_step == index:
            outcome = await self._act(chain, policy, index)
            details = {
                "step": index,
                "level": policy.steps[index].level,
                "due_at": timer.fire_at,
                "fired_at": fired_at,
                "node": timer.claimed_by,
                **outcome,
            }
            await self._record(chain.id, index, index + 1 >= len(policy.steps), details)
            node = self._actions.level_node(chain.grid_id, policy.steps[index].level)
            await self._ctx.bus.publish(fired(chain, index, details, node))
        # Only now that the step is recorded may the next one fire; an earlier run that died
        # between recording and scheduling is made good here.
        await self._schedule(chain_id, policy, index + 1, chain.started_at)

    async def _act(self, chain: Chain, policy: Policy, index: int) -> dict[str, Any]:
        step = policy.steps[index]
        node = self._actions.level_node(chain.grid_id, step.level)
        if node is None:
            return {"skipped": "no grid at this level"}
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
        return await self._actions.run(call)

    async def _record(self, chain_id: int, index: int, last: bool, details: dict[str, Any]) -> None:
        """Move the chain past step `index` (if nobody else did) and audit the step."""
        await self._steps.submit(StepDone(chain_id, index, last, details))

    async def _write_steps(self, steps: Sequence[StepDone]) -> list[bool]:
        """One transaction for a batch of finished steps: one UPDATE per (index, last) group."""
        moved: set[int] = set()
        groups: dict[tuple[int, bool], list[int]] = {}
        for step in steps:
            groups.setdefault((step.index, step.last), []).append(step.chain_id)
        async with self._ctx.sessions.begin() as session:
            for (index, last), ids in groups.items():
                values: dict[str, Any] = {"next_step": index + 1}
                if last:
                    values |= {
                        "state": FINISHED,
                        "ended_at": time.time(),
                        "end_reason": "exhausted",
                    }
                statement = (
                    update(Chain)
                    .where(Chain.id.in_(ids), Chain.state == ACTIVE, Chain.next_step == index)
                    .values(**values)
                    .returning(Chain.id)
                )
                moved.update(
                    (await session.execute(statement, execution_options=NO_SYNC)).scalars()
                )
            for step in steps:
                if step.chain_id in moved:
                    self._ctx.audit.record(
                        session,
                        SYSTEM,
                        "escalation.chain.step",
                        "escalation_chain",
                        step.chain_id,
                        step.details,
                    )
        return [step.chain_id in moved for step in steps]

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
                self._ctx.audit.record(
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


def fired(
    chain: Chain, index: int, details: dict[str, Any], node: GridNode | None
) -> EscalationStepFired:
    """The bus message for a step that ran: the people its ring and role alerts reached."""
    reached = [*details.get("ring", []), *details.get("notify_roles", [])]
    return EscalationStepFired(
        chain_id=chain.id, step=index, trigger=chain.trigger, subject=chain.subject,
        policy=chain.policy, grid_id=chain.grid_id, level=str(details.get("level", "")),
        level_grid_id=chain.grid_id if node is None else node.id,
        notified=tuple(sorted({int(p) for p in reached})), context=chain.context,
    )  # fmt: skip
