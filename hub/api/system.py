"""Health, Prometheus metrics, OpenAPI and the admin audit log."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field, field_validator

from hub import __version__, audit, netaddr, openapi, policy
from hub.access import require_admin
from hub.audit import AuditQuery
from hub.errors import Forbidden
from hub.ids import BigDbId, DbId
from hub.keys import GRIDS, METRICS, NODE_ID, PLUGINS, SESSIONS, SETTINGS
from hub.plugins import PluginHost
from hub.web import ENDPOINTS, Call, Router

HEALTH = policy.public("system.health")
# Not a person's action: the scraper proves itself (`_scraper_admitted`), not by signing in.
METRICS_READ = policy.public("system.metrics", policy.Scope.SCRAPER)
OPENAPI = policy.public("system.openapi")
AUDIT_READ = policy.admin_only("system.audit.read")


class PartHealthOut(BaseModel):
    ok: bool
    details: dict[str, Any]


class HealthOut(BaseModel):
    status: str  # ok, or degraded when a part reports trouble (still HTTP 200: the node is up)
    version: str
    node: str
    grids: int
    plugins: list[str]
    checks: dict[str, PartHealthOut]  # what plugins report (ctx.health), by `<plugin>.<part>`


class AuditQueryIn(BaseModel):
    actor_id: DbId | None = None
    actor: str | None = Field(None, max_length=120)
    action: str | None = Field(None, max_length=80)
    target_type: str | None = Field(None, max_length=64)
    target_id: str | None = Field(None, max_length=128)
    since: datetime | None = None
    until: datetime | None = None
    before_id: BigDbId | None = None
    limit: int = Field(100, ge=1, le=1000)

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """A time without an offset is read as UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str
    source_ip: str | None
    request_id: str | None
    details: dict[str, Any]


def _checks(host: PluginHost) -> dict[str, PartHealthOut]:
    found = {}
    for _plugin, ctx in host.started():
        for name, check in ctx.health_checks().items():
            result = check()
            found[name] = PartHealthOut(ok=result.ok, details=result.details)
    return found


def _scraper_admitted(request: web.Request) -> bool:
    """The configured `metrics_token` as a bearer token, or a client address (trusted proxies
    considered) inside `metrics_allowed_networks`: the figures tell how many people are online,
    which plugins run and how busy the deployment is."""
    settings = request.app[SETTINGS]
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if token and scheme.lower() == "bearer":
        return hmac.compare_digest(presented.strip().encode(), token.encode())
    allowed = netaddr.networks(settings.metrics_allowed_networks)
    return netaddr.within(netaddr.client_address(request), allowed)


def build_router() -> Router:
    router = Router("", "system")

    @router.get("/healthz", summary="Liveness and a few facts", response=HealthOut, rule=HEALTH)
    async def health(call: Call[None, None]) -> HealthOut:
        app = call.request.app
        checks = _checks(app[PLUGINS])
        return HealthOut(
            status="ok" if all(c.ok for c in checks.values()) else "degraded",
            version=__version__,
            node=app[NODE_ID],
            grids=len(app[GRIDS].index),
            plugins=[p.name for p in app[PLUGINS].plugins],
            checks=checks,
        )

    @router.get("/metrics", summary="Prometheus metrics", rule=METRICS_READ, produces="text/plain")
    async def metrics(call: Call[None, None]) -> web.Response:
        if not _scraper_admitted(call.request):
            raise Forbidden(
                "metrics.forbidden",
                "/metrics needs the metrics token (Authorization: Bearer) or an allowed address",
            )
        body = generate_latest(call.request.app[METRICS])
        response = web.Response(body=body)
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response

    @router.get(
        "/api/v1/openapi.json", summary="This document", rule=OPENAPI, response=dict[str, Any]
    )
    async def spec(call: Call[None, None]) -> dict[str, Any]:
        return openapi.build(call.request.app[ENDPOINTS])

    @router.get(
        "/api/v1/audit",
        summary="The audit log, newest first (admin)",
        query=AuditQueryIn,
        response=list[AuditOut],
        rule=AUDIT_READ,
    )
    async def audit_log(call: Call[None, AuditQueryIn]) -> list[AuditOut]:
        require_admin(call.who)
        q = AuditQuery(**call.query.model_dump())
        rows = await audit.query(call.request.app[SESSIONS], q)
        return [AuditOut.model_validate(row, from_attributes=True) for row in rows]

    return router
