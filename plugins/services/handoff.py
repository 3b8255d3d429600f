"""Hand-off of proxy requests to an external government system, through a pluggable adapter.

An adapter is anything with a `name` and `async deliver(delivery, payload)` that raises on
failure. The plugin ships `WebhookAdapter`: a JSON POST signed with HMAC-SHA256. A hand-off is
first written to the outbox table (`services_handoffs`) in the transaction that records it, then
delivered by a durable timer; a failed attempt schedules the next one with exponential backoff
(capped), so nothing is lost across failures and restarts until the receiver takes it. The
receiver sees the same `X-GridHub-Delivery` id on every retry and drops duplicates by it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp
from sqlalchemy import select

from hub.sdk import Actor, Conflict, DueTimer, PluginContext, Principal, utcnow
from plugins.services.access import PROXY
from plugins.services.common import new_code
from plugins.services.config import ServicesConfig
from plugins.services.models import Handoff, ProxyRequest, ServiceItem

KIND = "handoff"
SIGNATURE = "X-GridHub-Signature"
TIMESTAMP = "X-GridHub-Timestamp"
DELIVERY = "X-GridHub-Delivery"


class HandoffFailed(Exception):
    """An attempt failed; the hand-off is tried again later."""


class HandoffAdapter(Protocol):
    name: str

    async def deliver(self, delivery: str, payload: Mapping[str, Any]) -> None: ...


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>` (what a receiver recomputes)."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookAdapter:
    """POSTs the hand-off as JSON to `url`, signed; any answer but 2xx is a failure."""

    name = "webhook"

    def __init__(self, url: str, secret: bytes, timeout_s: float) -> None:
        self.url = url
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def deliver(self, delivery: str, payload: Mapping[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", DELIVERY: delivery, TIMESTAMP: stamp,
                   SIGNATURE: signature(self.secret, stamp, body)}  # fmt: skip
        try:
            async with self._client().post(self.url, data=body, headers=headers) as response:
                if not 200 <= response.status < 300:
                    raise HandoffFailed(f"the receiver answered {response.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise HandoffFailed(f"{type(exc).__name__}: {exc}") from None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def adapter_from(config: ServicesConfig) -> HandoffAdapter | None:
    if config.handoff_adapter == "webhook" and config.webhook_url:
        secret = config.webhook_secret.get_secret_value().encode()
        return WebhookAdapter(config.webhook_url, secret, config.webhook_timeout_s)
    return None


class Handoffs:
    def __init__(
        self, ctx: PluginContext, config: ServicesConfig, adapter: HandoffAdapter | None
    ) -> None:
        self.ctx = ctx
        self.config = config
        self.adapter = adapter
        ctx.timers.handler(KIND)(self.attempt)

    async def hand_off(self, who: Principal, request: ProxyRequest) -> dict[str, Any]:
        """Record the hand-off in the outbox and schedule its first delivery."""
        if self.adapter is None:
            raise Conflict("services.no_handoff", "no external system is configured")
        async with self.ctx.sessions.begin() as session:
            item = await session.get(ServiceItem, request.item_id)
            assert item is not None  # a request's item is never deleted
            row = Handoff(request_id=request.id, adapter=self.adapter.name,
                          delivery=new_code(), payload=_payload(request, item))  # fmt: skip
            session.add(row)
            await session.flush()
            # The applicant's contact leaves the hub with the hand-off: audited.
            details = {"adapter": row.adapter, "handoff": row.id}
            self.ctx.audit.record(session, Actor.of(who), "services.proxy.handoff", PROXY,
                                  request.id, details)  # fmt: skip
        await self.ctx.timers.schedule(KIND, f"handoff:{row.id}", time.time(), {"id": row.id})
        return handoff_view(row)

    async def attempt(self, payload: dict[str, Any], timer: DueTimer) -> None:
        """One delivery attempt; a failure schedules the next (never raises, never drops)."""
        async with self.ctx.sessions() as session:
            row = await session.get(Handoff, int(payload["id"]))
            request = await session.get(ProxyRequest, row.request_id) if row else None
        if row is None or request is None or row.state == "delivered" or self.adapter is None:
            return
        body = {**row.payload, "applicant_phone": self.ctx.personal.open(request.applicant_phone)}
        try:
            await self.adapter.deliver(row.delivery, body)
        except Exception as exc:  # any failure of the adapter: try again later
            await self._failed(row.id, str(exc)[:300])
            await self._live(request.grid_id, request.id, handoff_view(row) | {
                "attempts": row.attempts + 1, "last_error": str(exc)[:300]})  # fmt: skip
            return
        async with self.ctx.sessions.begin() as session:
            done = await session.get(Handoff, row.id)
            if done is None:
                return
            done.state, done.delivered_at = "delivered", utcnow()
            done.attempts += 1
            view = handoff_view(done)
        await self._live(request.grid_id, request.id, view)

    async def _live(self, grid_id: int, request_id: int, view: dict[str, Any]) -> None:
        rooms = self.ctx.realtime.command_rooms([grid_id])
        await self.ctx.realtime.emit("handoff", {"request_id": request_id, **view}, rooms)

    async def _failed(self, handoff_id: int, error: str) -> None:
        async with self.ctx.sessions.begin() as session:
            row = await session.get(Handoff, handoff_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = error
            attempts = row.attempts
        delay = min(self.config.retry_base_s * 2 ** (attempts - 1), self.config.retry_max_s)
        self.ctx.log.warning("hand-off %d failed (attempt %d): %s", handoff_id, attempts, error)
        await self.ctx.timers.schedule(KIND, f"handoff:{handoff_id}", time.time() + delay,
                                       {"id": handoff_id})  # fmt: skip

    async def resume(self) -> None:
        """At start-up: any pending hand-off without a timer gets one (belt and braces)."""
        waiting = {t.key for t in await self.ctx.timers.pending()}
        async with self.ctx.sessions() as session:
            ids = list(await session.scalars(select(Handoff.id).where(Handoff.state == "pending")))
        for handoff_id in ids:
            if f"handoff:{handoff_id}" not in waiting:
                await self.ctx.timers.schedule(KIND, f"handoff:{handoff_id}", time.time(),
                                               {"id": handoff_id})  # fmt: skip

    async def of_request(self, request_id: int) -> list[dict[str, Any]]:
        async with self.ctx.sessions() as session:
            rows = await session.scalars(select(Handoff).where(Handoff.request_id == request_id)
                                         .order_by(Handoff.id))  # fmt: skip
            return [handoff_view(r) for r in rows]


def handoff_view(row: Handoff) -> dict[str, Any]:
    return {"id": row.id, "adapter": row.adapter, "delivery": row.delivery, "state": row.state,
            "attempts": row.attempts, "last_error": row.last_error,
            "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None}  # fmt: skip


def _payload(request: ProxyRequest, item: ServiceItem) -> dict[str, Any]:
    """What the external system gets (the phone is added, opened, at each attempt)."""
    return {"request_code": request.code, "item_code": item.code, "item_name": item.name_zh,
            "mode": request.mode, "grid_id": request.grid_id,
            "applicant_name": request.applicant_name, "details": request.details,
            "incident_number": request.incident_number,
            "created_at": request.created_at.isoformat()}  # fmt: skip
