"""Durable timers for plugins: escalation steps, SLA deadlines.

A timer is (owner, kind, key) -> fire at `fire_at` with a JSON `payload`. `key` is unique per
owner and scheduling it again replaces the timer, so scheduling is idempotent. Timers live in a
`TimerStore` (SQL: storage.sql_timers, Redis: storage.redis.timers) shared by every node.

`TimerService` runs on each node: it claims due timers under a lease (`lease_s`), runs their
handlers (at most `concurrency` at once), deletes a timer once its handler returned, and on an
exception releases it to fire again after an exponential back-off until `max_attempts` runs
failed, then logs it as dead-lettered and drops it. A node that dies while holding timers leaves
their leases to expire; another node then claims and runs them again, so delivery is
at-least-once and handlers should be idempotent. A handler is cancelled (and its timer retried)
once it has run for `lease_s`, since by then another node may have claimed it.

Scheduling is batched the same way (``schedule_many``): ``schedule`` returns once its timer is
written, and calls made while a batch is being written share the next write.

Fired timers are deleted in batches (``complete_many``): the ids of handlers that return while a
batch is being written go into the next one, so a burst of due timers costs a few store writes
rather than one per timer (on SQLite, a single writer, per-timer deletes made a burst late).

The loop sleeps until the store's next due time, at most `poll_s` (timers scheduled by other
nodes are seen within `poll_s`), and wakes early when this node schedules a sooner timer or a
handler slot frees up while all were busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.timer_model import DueTimer

__all__ = ["DueTimer", "TimerHandler", "TimerService", "TimerStore", "TimerView"]

log = logging.getLogger("gridhub.timers")

TimerHandler = Callable[[dict[str, Any], DueTimer], Awaitable[None]]
NewTimer = tuple[str, str, str, float, dict[str, Any]]  # owner, kind, key, fire_at, payload
CLAIM_LIMIT = 500
MIN_SLEEP_S = 0.001
ERROR_PAUSE_S = 1.0
STOP_GRACE_S = 1.0


class TimerStore(Protocol):
    """Durable timers shared by every node; every operation is atomic."""

    async def schedule(
        self, owner: str, kind: str, key: str, fire_at: float, payload: dict[str, Any]
    ) -> None:
        """Create the timer, or replace the owner's timer with this key (it gets a new id)."""
        ...

    async def schedule_many(self, timers: Sequence[NewTimer]) -> None:
        """`schedule` for many (owner, kind, key, fire_at, payload), in order, atomically each."""
        ...

    async def cancel(self, owner: str, key: str) -> bool:
        """Delete the owner's timer with this key, claimed or not (so it is neither retried nor
        taken over). True if that kept it from firing: it existed and was not claimed; False if
        there was none, or it was claimed — its handler may be running or may have run."""
        ...

    async def claim_due(self, node: str, now: float, lease_s: float, limit: int) -> list[DueTimer]:
        """Claim timers due at `now` that are unclaimed or whose lease expired, for `lease_s`.

        Each timer is claimed by exactly one caller even with concurrent callers on other nodes.
        """
        ...

    async def complete(self, timer_id: str, node: str) -> bool:
        """Delete the timer if `node` still holds its claim."""
        ...

    async def complete_many(self, timer_ids: Sequence[str], node: str) -> set[str]:
        """Delete those of the timers that `node` still holds; returns the ids deleted."""
        ...

    async def retry(self, timer_id: str, node: str, fire_at: float) -> bool:
        """Release the timer `node` holds to fire at `fire_at`, with one more attempt counted."""
        ...

    async def next_fire_at(self) -> float | None:
        """When the earliest timer becomes claimable: its fire time, or its lease end."""
        ...

    async def pending(self, owner: str) -> list[DueTimer]: ...

    async def close(self) -> None: ...


@dataclass
class TimerStats:
    fired: int = 0
    failed: int = 0
    dead_lettered: int = 0
    lost: int = 0  # completions refused because the lease had passed to another node
    max_lateness_s: float = 0.0


class TimerService:
    """Claims and fires due timers on this node (see the module docstring)."""

    def __init__(
        self,
        store: TimerStore,
        node_id: str,
        *,
        lease_s: float = 30.0,
        poll_s: float = 0.2,
        max_attempts: int = 5,
        concurrency: int = 500,
        backoff_s: float = 1.0,
        max_backoff_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if lease_s <= 0 or poll_s <= 0 or max_attempts < 1 or concurrency < 1:
            raise ValueError("lease_s, poll_s, max_attempts and concurrency must be positive")
        self.store = store
        self.node_id = node_id
        self.lease_s, self.poll_s, self.max_attempts = lease_s, poll_s, max_attempts
        self.concurrency = concurrency
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.clock = clock
        self.stats = TimerStats()
        self._handlers: dict[tuple[str, str], TimerHandler] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._wake_at = float("inf")  # while the loop sleeps: when it wakes; inf while it ticks
        self._soonest = float("inf")  # the earliest timer scheduled here while the loop ticked
        self._loop: asyncio.Task[None] | None = None
        self._completed: list[DueTimer] = []
        self._to_schedule: list[tuple[NewTimer, asyncio.Future[None]]] = []
        self._scheduler: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._stopping = False

    # --- API ---------------------------------------------------------------------------------

    def register(self, owner: str, kind: str, handler: TimerHandler) -> None:
        """Handle `owner`'s timers of `kind`; one handler per (owner, kind)."""
        if (owner, kind) in self._handlers:
            raise ValueError(f"a handler for {owner}/{kind} is already registered")
        self._handlers[(owner, kind)] = handler

    async def schedule(
        self,
        owner: str,
        kind: str,
        key: str,
        fire_at: float,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Fire `owner`'s handler for `kind` at `fire_at` (epoch s); replaces the same key.

        Durable when this returns. Calls made while a batch is being written go into the next
        batch (one `schedule_many`), so concurrent handlers scheduling timers share writes.
        """
        done = asyncio.get_running_loop().create_future()
        self._to_schedule.append(((owner, kind, key, fire_at, dict(payload or {})), done))
        if self._scheduler is None or self._scheduler.done():
            self._scheduler = asyncio.create_task(self._write_schedules())
        await done
        self._scheduled(fire_at)

    async def cancel(self, owner: str, key: str) -> bool:
        return await self.store.cancel(owner, key)

    def view(self, owner: str) -> TimerView:
        return TimerView(self, owner)

    @property
    def in_flight(self) -> int:
        """Handlers running now on this node."""
        return len(self._running)

    @property
    def running(self) -> bool:
        return self._loop is not None and not self._loop.done()

    async def start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.create_task(self._run(), name=f"timers:{self.node_id}")

    async def stop(self) -> None:
        """Stop claiming; give running handlers `STOP_GRACE_S` to finish, then cancel them
        (the claims of cancelled ones simply expire)."""
        loop, self._loop = self._loop, None
        self._stopping = True
        self._wake.set()
        try:
            # Let a store call in progress, and handlers half-way through, finish rather than
            # cut them: a handler cut short is only retried once its lease has expired.
            busy = {t for t in (loop, *self._running) if t is not None}
            if busy:
                await asyncio.wait(busy, timeout=STOP_GRACE_S)
            await _cancel([t for t in (loop, *self._running) if t is not None])
            await self._drain()
        finally:
            self._stopping = False

    # --- loop --------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            try:
                delay = await self._tick()
            except Exception:
                log.exception("timer loop failed", extra={"node": self.node_id})
                delay = ERROR_PAUSE_S
            await self._sleep(delay)

    async def _tick(self) -> float:
        """Claim and start what is due; return how long to sleep."""
        free = self.concurrency - len(self._running)
        if free <= 0:
            return self.poll_s  # a finishing handler wakes the loop
        limit = min(CLAIM_LIMIT, free)
        claimed = await self.store.claim_due(self.node_id, self.clock(), self.lease_s, limit)
        if self._stopping:
            return 0.0  # what was just claimed fires elsewhere (or here) once the lease expires
        for timer in claimed:
            self._start(timer)
        if len(claimed) == limit:
            return 0.0
        return self._delay(await self.store.next_fire_at(), bool(claimed))

    def _delay(self, next_at: float | None, claimed: bool) -> float:
        if next_at is None:
            return self.poll_s
        floor = 0.0 if claimed else MIN_SLEEP_S
        return min(self.poll_s, max(floor, next_at - self.clock()))

    def _scheduled(self, fire_at: float) -> None:
        """Wake the sleeping loop for a timer due before it would wake. While the loop ticks, its
        next delay is not known yet: the timer is remembered, and the sleep that follows the
        tick is cut to it (waking at once for every schedule made during a tick kept the loop
        claiming back to back under a stream of schedules)."""
        if self._wake_at == float("inf"):
            self._soonest = min(self._soonest, fire_at)
        elif fire_at < self._wake_at:
            self._wake.set()

    async def _sleep(self, delay: float) -> None:
        soonest, self._soonest = self._soonest, float("inf")
        delay = min(delay, max(0.0, soonest - self.clock()))
        self._wake_at = self.clock() + delay
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
        self._wake.clear()
        self._wake_at = float("inf")

    def _start(self, timer: DueTimer) -> None:
        task = asyncio.create_task(self._fire(timer), name=f"timer:{timer.owner}:{timer.key}")
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        full = len(self._running) >= self.concurrency
        self._running.discard(task)
        if full:
            self._wake.set()

    # --- firing ------------------------------------------------------------------------------

    async def _fire(self, timer: DueTimer) -> None:
        lateness = self.clock() - timer.fire_at
        self.stats.max_lateness_s = max(self.stats.max_lateness_s, lateness)
        try:
            async with asyncio.timeout(self.lease_s):
                await self._call(timer)
        except Exception as exc:
            await self._failed(timer, exc)
            return
        self.stats.fired += 1
        self._complete_later(timer)

    async def _call(self, timer: DueTimer) -> None:
        handler = self._handlers.get((timer.owner, timer.kind))
        if handler is None:
            raise LookupError(f"no timer handler for {timer.owner}/{timer.kind}")
        await handler(dict(timer.payload), timer)

    async def _failed(self, timer: DueTimer, exc: Exception) -> None:
        self.stats.failed += 1
        extra: dict[str, Any] = {"owner": timer.owner, "kind": timer.kind, "key": timer.key}
        if timer.attempts + 1 < self.max_attempts:
            log.warning("timer handler failed; will retry", extra=extra, exc_info=exc)
            fire_at = self.clock() + self._backoff(timer.attempts)
            await self._settle(self.store.retry(timer.id, self.node_id, fire_at), timer)
            return
        self.stats.dead_lettered += 1
        extra |= {"payload": timer.payload, "attempts": timer.attempts + 1}
        log.error("timer dead-lettered after repeated failures", extra=extra, exc_info=exc)
        self._complete_later(timer)

    def _backoff(self, attempts: int) -> float:
        return float(min(self.max_backoff_s, self.backoff_s * 2**attempts))

    async def _write_schedules(self) -> None:
        while self._to_schedule:
            batch, self._to_schedule = self._to_schedule, []
            try:
                await self.store.schedule_many([timer for timer, _ in batch])
            except Exception as exc:
                _settle_all(batch, exc)
            else:
                _settle_all(batch, None)

    # --- batched completion ------------------------------------------------------------------

    def _complete_later(self, timer: DueTimer) -> None:
        self._completed.append(timer)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name=f"timers:{self.node_id}:done")

    async def _flush(self) -> None:
        """Delete fired timers, one batch per store call; a failed call leaves leases to expire."""
        while self._completed:
            batch, self._completed = self._completed, []
            try:
                done = await self.store.complete_many([t.id for t in batch], self.node_id)
            except Exception:
                log.exception("timer store failed; the timers fire again after their lease")
                continue
            for timer in batch:
                if timer.id not in done:
                    self._lost(timer)

    async def _drain(self) -> None:
        """On stop: write the completions still queued, within the grace period."""
        if self._completed and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush(), name=f"timers:{self.node_id}:done")
        if self._flusher is not None and not self._flusher.done():
            _, pending = await asyncio.wait({self._flusher}, timeout=STOP_GRACE_S)
            await _cancel(list(pending))

    def _lost(self, timer: DueTimer) -> None:
        self.stats.lost += 1
        log.info("timer was no longer ours", extra={"owner": timer.owner, "key": timer.key})

    async def _settle(self, outcome: Awaitable[bool], timer: DueTimer) -> None:
        """Record the outcome in the store; a store failure leaves the lease to expire."""
        try:
            held = await outcome
        except Exception:
            log.exception("timer store failed; the timer fires again after its lease")
            return
        if not held:
            self._lost(timer)


def _settle_all(
    batch: list[tuple[NewTimer, asyncio.Future[None]]], error: Exception | None
) -> None:
    for _, done in batch:
        if done.done():
            continue  # the caller was cancelled; the timer was written (or not) all the same
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel and await tasks, cancelling again those still running after a grace period.

    On Python 3.11 `asyncio.wait_for` (which redis-py uses to send a command) can swallow a
    cancellation. Cancelling again at once could interrupt a database session's clean-up.
    """
    pending = set(tasks)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=STOP_GRACE_S)
    await asyncio.gather(*tasks, return_exceptions=True)


class TimerView:
    """What a plugin sees (``ctx.timers``): its own timers only."""

    def __init__(self, service: TimerService, owner: str) -> None:
        self._service = service
        self.owner = owner

    async def schedule(
        self, kind: str, key: str, fire_at: float, payload: dict[str, Any] | None = None
    ) -> None:
        """Fire this plugin's `kind` handler at `fire_at` (epoch s); replaces the same key."""
        await self._service.schedule(self.owner, kind, key, fire_at, payload)

    async def cancel(self, key: str) -> bool:
        return await self._service.cancel(self.owner, key)

    async def pending(self) -> list[DueTimer]:
        return await self._service.store.pending(self.owner)

    def handler(self, kind: str) -> Callable[[TimerHandler], TimerHandler]:
        """Decorator: ``@ctx.timers.handler("escalate") async def step(payload, timer): ...``."""

        def register(handler: TimerHandler) -> TimerHandler:
            self._service.register(self.owner, kind, handler)
            return handler

        return register
