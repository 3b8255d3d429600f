"""Group commit of device frames: one transaction stores a batch and applies it to alarms.

Connections submit validated frames; one task takes whatever is queued (up to `batch` frames,
waiting `wait_s` for more), and in ONE transaction inserts the frames (a frame already stored
under its (device, seq) is skipped), raises and clears alarms, and advances rule states. Only
after the commit are the submitters told (they acknowledge to the device) and the changes
handed on (bus, consoles). A failed transaction changes nothing and fails its submitters: the
devices are disconnected and resend.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import BulkInsert
from plugins.alarms.config import IncidentPolicy
from plugins.alarms.models import Alarm, DeviceFrame
from plugins.alarms.protocol import Frame
from plugins.alarms.rules import RuleBook, evaluate
from plugins.alarms.state import (
    Actor,
    Change,
    DeviceInfo,
    Raise,
    active_key,
    clear,
    find_active,
    raise_alarm,
)

log = logging.getLogger("gridhub.plugin.alarms.writer")
Done = Callable[[bool], None]
# a row of alarm_frames in column order: device_id, seq, kind, ts, received_at, body (JSON text)
Row = tuple[int, int, str, float, float, str]


def body_json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


@dataclass(slots=True)
class Submission:
    device: DeviceInfo
    frames: list[Frame]
    received_at: float
    done: Done


@dataclass(slots=True)
class Job:
    """Other device-path writes (last-seen marks), run by the writer between batches so they
    never contend with it for the database's write lock."""

    run: Callable[[], Awaitable[None]]
    finished: asyncio.Future[None]

    frames: tuple[()] = ()


class FrameWriter:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sink: BulkInsert,
        rules: RuleBook,
        policy: IncidentPolicy,
        on_changes: Callable[[list[Change]], Awaitable[None]],
        *,
        batch: int,
        wait_s: float,
    ) -> None:
        self._sessions, self._rules, self._policy = sessions, rules, policy
        self._on_changes = on_changes
        self._batch, self._wait_s = batch, wait_s
        self._queue: asyncio.Queue[Submission | Job] = asyncio.Queue()
        self._changes: asyncio.Queue[list[Change]] = asyncio.Queue()
        bind: Any = sessions.kw["bind"]
        dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
        # a Core statement on the table: executed on the session's connection, it skips the
        # ORM's bulk-insert machinery (same transaction)
        table = DeviceFrame.__table__
        self._insert = (
            dialect.insert(table).on_conflict_do_nothing().returning(table.c.device_id, table.c.seq)
        )
        # plain frames (nothing but the frame log changes): the driver-level hot path
        self._sink = sink
        self.committed_frames = 0

    def submit(self, submission: Submission) -> None:
        self._queue.put_nowait(submission)

    async def exclusive(self, run: Callable[[], Awaitable[None]]) -> None:
        """Run `run` in the writer's turn (between two batches) and wait for it."""
        job = Job(run, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(job)
        await job.finished

    async def run(self) -> None:
        """The writer loop and the loop that hands changes on, until cancelled."""
        notifier = asyncio.create_task(self._notify_forever(), name="alarms-notify")
        try:
            while True:
                taken = await self._take()
                batch = [t for t in taken if isinstance(t, Submission)]
                if batch:
                    await self._write_once(batch)
                for job in taken:
                    if isinstance(job, Job):
                        await _run_job(job)
        finally:
            notifier.cancel()
            await asyncio.gather(notifier, return_exceptions=True)
            self._fail_queued()
            await self._sink.close()

    async def _take(self) -> list[Submission | Job]:
        taken = [await self._queue.get()]
        count = len(taken[0].frames)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        while count < self._batch:
            if self._queue.empty():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                await asyncio.sleep(min(remaining, 0.0005))
                continue
            item = self._queue.get_nowait()
            taken.append(item)
            count += len(item.frames)
        return taken

    async def _write_once(self, taken: list[Submission]) -> None:
        try:
            changes = await self._write(taken)
        except Exception:
            log.exception("frame batch failed", extra={"frames": sum(len(s.frames) for s in taken)})
            for submission in taken:
                submission.done(False)
            return
        self.committed_frames += sum(len(s.frames) for s in taken)
        for submission in taken:
            submission.done(True)
        if changes:
            self._changes.put_nowait(changes)

    async def _notify_forever(self) -> None:
        while True:
            changes = await self._changes.get()
            try:
                await self._on_changes(changes)
            except Exception:
                log.exception("alarm change notification failed")

    def _fail_queued(self) -> None:
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, Submission):
                item.done(False)
            elif not item.finished.done():
                item.finished.cancel()

    async def _write(self, taken: list[Submission]) -> list[Change]:
        """Plain frames through the sink; frames that move alarms or rules, with their
        effects, in one ORM transaction. Acks wait for both."""
        plain: list[Row] = []
        work: list[tuple[DeviceInfo, Frame, float]] = []
        for s in taken:
            for f in s.frames:
                if self._needs_work(s.device, f):
                    work.append((s.device, f, s.received_at))
                else:
                    plain.append((s.device.id, f.seq, f.kind, f.ts, s.received_at,
                                  body_json(f.body)))  # fmt: skip
        if plain:
            await self._sink.insert(plain)
        if not work:
            return []
        async with self._sessions.begin() as session:
            # a frame already stored (resent to another node, say) is not applied again
            rows = [_row(d.id, f, at) for d, f, at in work]
            result = await (await session.connection()).execute(self._insert, rows)
            inserted = {(row[0], row[1]) for row in result}
            fresh = [(d, f) for d, f, _ in work if (d.id, f.seq) in inserted]
            return await self._apply(session, fresh) if fresh else []

    def _needs_work(self, device: DeviceInfo, frame: Frame) -> bool:
        if frame.kind == "telemetry":
            return bool(self._rules.for_device(device))
        return frame.kind in ("alarm", "clear")

    async def _apply(
        self, session: AsyncSession, work: list[tuple[DeviceInfo, Frame]]
    ) -> list[Change]:
        keys = set()
        for device, frame in work:
            if frame.kind == "telemetry":
                keys |= {
                    active_key(device.id, r.alarm_type) for r in self._rules.for_device(device)
                }
            else:
                keys.add(active_key(device.id, frame.body["alarm"]))
        active = await find_active(session, keys)
        changes: list[Change] = []
        for device, frame in work:
            changes += await self._one(session, device, frame, active)
        return changes

    async def _one(
        self, session: AsyncSession, device: DeviceInfo, frame: Frame, active: dict[str, Alarm]
    ) -> list[Change]:
        actor = Actor(f"device:{device.code}")
        at = datetime.fromtimestamp(frame.ts, UTC)
        body = frame.body
        if frame.kind == "alarm":
            what = Raise(body["alarm"], body["severity"], body["value"], body["message"], at)
            return [await raise_alarm(session, device, what, actor, active, self._policy)]
        if frame.kind == "clear":
            return self._clear(session, device, body["alarm"], body["message"], actor, at, active)
        changes = []
        rules = self._rules.for_device(device)
        for outcome in await evaluate(session, rules, device, body["metrics"], frame.ts):
            if outcome.raise_ is not None:
                rule_actor = Actor(f"rule:{outcome.rule.id}")
                raised = await raise_alarm(
                    session, device, outcome.raise_, rule_actor, active, self._policy
                )
                changes.append(raised)
            elif outcome.clear_type is not None:
                changes += self._clear(session, device, outcome.clear_type, "", actor, at, active)
        return changes

    @staticmethod
    def _clear(
        session: AsyncSession,
        device: DeviceInfo,
        alarm_type: str,
        message: str,
        actor: Actor,
        at: datetime,
        active: dict[str, Alarm],
    ) -> list[Change]:
        alarm = active.pop(active_key(device.id, alarm_type), None)
        return [clear(session, alarm, actor, message, at)] if alarm is not None else []


async def _run_job(job: Job) -> None:
    try:
        await job.run()
    except Exception as exc:
        if not job.finished.done():
            job.finished.set_exception(exc)
        return
    if not job.finished.done():
        job.finished.set_result(None)


def _row(device_id: int, frame: Frame, received_at: float) -> dict[str, Any]:
    return {
        "device_id": device_id,
        "seq": frame.seq,
        "kind": frame.kind,
        "ts": frame.ts,
        "received_at": received_at,
        "body": frame.body,
    }
