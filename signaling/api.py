"""/api/v1/calls: the call log and ICE servers (with time-limited TURN credentials)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from hub import policy
from hub.access import COMMAND_ROLES
from hub.ids import BigDbId
from hub.keys import GRIDS, SESSIONS
from hub.web import Call, Router
from signaling.settings import CallSettings
from signaling.store import CallStore
from signaling.turn import access_token_expiry, ice_servers
from signaling.wiring import call_settings

CALL_LOG = policy.signed_in("calls.log", policy.Scope.LISTED)
ICE_SERVERS = policy.signed_in("calls.ice_servers", policy.Scope.OWN)


class LogQuery(BaseModel):
    before: BigDbId | None = Field(None, description="only calls with a smaller id (paging)")
    limit: int = Field(50, ge=1, le=500)


class CallOut(BaseModel):
    call_id: int
    kind: str = Field(description='"call" (1:1 call) or "pull" (video pull)')
    caller_id: int
    callee_id: int
    media: str
    state: str
    outcome: str | None
    reason: str | None
    started_at: float
    answered_at: float | None
    ended_at: float | None
    duration_s: float | None


class IceServer(BaseModel):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class IceOut(BaseModel):
    ice_servers: list[IceServer]
    ttl_s: int
    expires_at: int


def build_router() -> Router:
    router = Router("/api/v1/calls", "calls")

    @router.get(
        "",
        summary="Call log: your own calls; commanders also see calls in their scope",
        query=LogQuery,
        response=list[CallOut],
        rule=CALL_LOG,
    )
    async def call_log(call: Call[None, LogQuery]) -> list[CallOut]:
        who, app = call.who, call.request.app
        grid_ids: set[int] | None = None
        if not who.is_admin:
            seats = who.grid_ids(COMMAND_ROLES)
            grid_ids = app[GRIDS].index.scope_ids(seats) if seats else set()
        rows = await CallStore(app[SESSIONS]).log(
            who.person_id, grid_ids, call.query.before, call.query.limit
        )
        return [CallOut(**row.as_dict()) for row in rows]

    @router.get(
        "/ice-servers",
        summary="STUN/TURN servers, TURN credentials valid turn_ttl_s (not past the access token)",
        response=IceOut,
        rule=ICE_SERVERS,
    )
    async def servers(call: Call[None, None]) -> dict[str, Any]:
        settings = _settings(call.request.app)
        until = access_token_expiry(call.request)
        return ice_servers(settings, call.who.person_id, time.time(), until)

    return router


def _settings(app: web.Application) -> CallSettings:
    return call_settings(app)
