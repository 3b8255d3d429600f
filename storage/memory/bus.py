"""In-process bus transport: one ordered queue and worker task per subscription."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import defaultdict
from collections.abc import Awaitable, Callable

RawHandler = Callable[[bytes], Awaitable[None]]


class _Subscription:
    def __init__(self, handler: RawHandler) -> None:
        self.handler = handler
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.pending = 0
        self.closed = False
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            while not self.closed:
                payload = await self.queue.get()
                try:
                    await self.handler(payload)
                finally:
                    self.pending -= 1
                    self.queue.task_done()
        finally:
            self.discard_queued()

    def discard_queued(self) -> None:
        """An unsubscribed handler drops what it had not reached, so flush() never waits on it."""
        while not self.queue.empty():
            self.queue.get_nowait()
            self.pending -= 1
            self.queue.task_done()

    def put(self, payload: bytes) -> None:
        self.pending += 1
        self.queue.put_nowait(payload)


class _Group:
    """Subscribers sharing work: payloads go round-robin to one of them."""

    def __init__(self) -> None:
        self.members: list[_Subscription] = []
        self.turn = itertools.count()

    def pick(self) -> _Subscription:
        return self.members[next(self.turn) % len(self.members)]


class MemoryBusTransport:
    """Delivers in publish order per subscription; a slow handler never blocks the publisher."""

    def __init__(self) -> None:
        self._broadcast: dict[str, list[_Subscription]] = defaultdict(list)
        self._groups: dict[str, dict[str, _Group]] = defaultdict(dict)
        self._closed = False

    async def publish(self, topic: str, payload: bytes) -> None:
        if self._closed:
            raise RuntimeError("bus is closed")
        for sub in self._broadcast.get(topic, ()):
            sub.put(payload)
        for group in self._groups.get(topic, {}).values():
            if group.members:
                group.pick().put(payload)

    async def subscribe(
        self, topic: str, handler: RawHandler, *, group: str | None
    ) -> Callable[[], Awaitable[None]]:
        sub = _Subscription(handler)
        if group is None:
            self._broadcast[topic].append(sub)
        else:
            self._groups[topic].setdefault(group, _Group()).members.append(sub)

        async def unsubscribe() -> None:
            await self._remove(topic, group, sub)

        return unsubscribe

    async def _remove(self, topic: str, group: str | None, sub: _Subscription) -> None:
        if group is None:
            if sub in self._broadcast[topic]:
                self._broadcast[topic].remove(sub)
        else:
            members = self._groups[topic][group].members
            if sub in members:
                members.remove(sub)
        await self._stop(sub)

    async def flush(self) -> None:
        # Handlers may publish more; loop until every queue is idle.
        while True:
            busy = [s for s in self._all() if s.pending]
            if not busy:
                return
            await asyncio.gather(*(s.queue.join() for s in busy))

    async def close(self) -> None:
        self._closed = True
        for sub in list(self._all()):
            await self._stop(sub)
        self._broadcast.clear()
        self._groups.clear()

    async def backlog(self) -> list[tuple[str, str, int, int]]:
        """(topic, group, waiting, unacknowledged) per subscription group ("" for listeners):
        payloads queued for a handler, and 0 (nothing here is acknowledged later)."""
        rows = [
            (t, "", sum(s.queue.qsize() for s in subs), 0) for t, subs in self._broadcast.items()
        ]
        for topic, groups in self._groups.items():
            for name, group in groups.items():
                rows.append((topic, name, sum(s.queue.qsize() for s in group.members), 0))
        return sorted(rows)

    def _all(self) -> list[_Subscription]:
        subs = [s for group in self._broadcast.values() for s in group]
        subs += [s for groups in self._groups.values() for g in groups.values() for s in g.members]
        return subs

    @staticmethod
    async def _stop(sub: _Subscription) -> None:
        if sub.task is asyncio.current_task():
            # A handler unsubscribing itself: let it finish, then its loop ends.
            sub.closed = True
            return
        sub.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sub.task
