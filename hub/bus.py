"""The hub bus: typed domain messages over a pluggable transport."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

from hub.contracts import BusTransport, Unsubscribe
from hub.messages import DomainMessage, decode, encode

M = TypeVar("M", bound=DomainMessage)
Handler = Callable[[M], Awaitable[None]]

log = logging.getLogger("gridhub.bus")


@dataclass(frozen=True)
class Backlog:
    """Messages of `topic` not yet handled by `group` ("": this node's own listeners)."""

    topic: str
    group: str
    waiting: int  # not yet handed to a handler
    unacked: int  # handed to a handler (on any node), not yet acknowledged


@runtime_checkable
class ReportsBacklog(Protocol):
    async def backlog(self) -> list[tuple[str, str, int, int]]: ...


class MessageBus:
    """Publish typed messages; subscribe once cluster-wide (`group`) or on every node (`listen`)."""

    def __init__(self, transport: BusTransport) -> None:
        self._transport = transport

    async def publish(self, message: DomainMessage) -> None:
        await self._transport.publish(message.topic, encode(message))

    async def subscribe(
        self, message_type: type[M], handler: Handler[M], *, group: str
    ) -> Unsubscribe:
        """Each message reaches one handler of `group` across the cluster."""
        return await self._transport.subscribe(
            message_type.topic, self._wrap(message_type, handler), group=group
        )

    async def listen(self, message_type: type[M], handler: Handler[M]) -> Unsubscribe:
        """Each message reaches this handler on this node (cache invalidation, fan-out)."""
        return await self._transport.subscribe(
            message_type.topic, self._wrap(message_type, handler), group=None
        )

    async def flush(self) -> None:
        await self._transport.flush()

    async def backlog(self) -> list[Backlog]:
        """What this node's subscriptions have still to handle (the consumer lag), if the
        transport can tell."""
        if not isinstance(self._transport, ReportsBacklog):
            return []
        return [Backlog(*row) for row in await self._transport.backlog()]

    async def close(self) -> None:
        await self._transport.close()

    @staticmethod
    def _wrap(message_type: type[M], handler: Handler[M]) -> Callable[[bytes], Awaitable[None]]:
        name = getattr(handler, "__qualname__", repr(handler))

        async def deliver(payload: bytes) -> None:
            try:
                message = decode(payload)
                if not isinstance(message, message_type):
                    raise TypeError(f"expected {message_type.__name__}, got {type(message)}")
                await handler(message)
            except Exception:
                # A failing handler must never stop the others; it is logged with its name.
                log.exception("bus handler failed", extra={"handler": name})

        return deliver
