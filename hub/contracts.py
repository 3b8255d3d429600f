"""Protocols the storage adapters implement. The hub depends on these, never on an adapter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

RawHandler = Callable[[bytes], Awaitable[None]]
Unsubscribe = Callable[[], Awaitable[None]]


class BusTransport(Protocol):
    """Moves opaque payloads by topic.

    A subscription with a `group` receives each payload once across every subscriber of that
    group cluster-wide (work sharing); one without a group receives every payload on every node.
    Payloads reach each subscription in publish order.
    """

    async def publish(self, topic: str, payload: bytes) -> None: ...

    async def subscribe(
        self, topic: str, handler: RawHandler, *, group: str | None
    ) -> Unsubscribe: ...

    async def flush(self) -> None:
        """Wait until everything published so far has been handled by local subscribers."""
        ...

    async def close(self) -> None: ...
