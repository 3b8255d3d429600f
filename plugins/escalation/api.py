"""HTTP API of the escalation plugin (under /api/v1/escalation), for consoles and admins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, select

from hub.sdk import COMMAND_ROLES, STAFF_ROLES, Call, PluginContext, Principal, Scope, for_roles
from plugins.escalation.chains import chain_dict
from plugins.escalation.checkins import checkin_dict
from plugins.escalation.config import EscalationConfig
from plugins.escalation.models import Chain, Checkin, Sos
from plugins.escalation.responses import (
    ChainsOut,
    CheckinsOut,
    OneSosOut,
    PoliciesOut,
    SosListOut,
)
from plugins.escalation.sockets import SOS
from plugins.escalation.sos import SosDesk, sos_dict

POLICIES = for_roles("escalation.policies", STAFF_ROLES, Scope.NONE)
CHAINS = for_roles("escalation.chains", COMMAND_ROLES, Scope.LISTED)
SOS_LIST = for_roles("escalation.sos.list", COMMAND_ROLES, Scope.LISTED)
SOS_READ = for_roles("escalation.sos.read", COMMAND_ROLES, SOS)
CHECKINS = for_roles("escalation.checkins", COMMAND_ROLES, Scope.LISTED)

Row = TypeVar("Row", Chain, Sos, Checkin)


class ChainQuery(BaseModel):
    state: Literal["active", "stopped", "finished"] | None = None
    limit: int = Field(100, ge=1, le=500)


class SosQuery(BaseModel):
    state: Literal["open", "acknowledged", "closed"] | None = None
    limit: int = Field(100, ge=1, le=500)


class CheckinQuery(BaseModel):
    state: Literal["active", "stopped", "missed"] | None = None
    limit: int = Field(100, ge=1, le=500)


def mount(ctx: PluginContext, config: EscalationConfig, desk: SosDesk) -> None:
    @ctx.http.get(
        "/policies",
        summary="Escalation policies and notifier names",
        response=PoliciesOut,
        rule=POLICIES,
    )
    async def policies(call: Call[None, None]) -> dict[str, Any]:
        return {
            "policies": [p.model_dump(mode="json") for p in config.policies],
            "notifiers": sorted(config.notifiers),
            "disabled_defaults": list(config.disabled_defaults),
        }

    @ctx.http.get(
        "/chains",
        summary="Escalation chains in your scope",
        query=ChainQuery,
        response=ChainsOut,
        rule=CHAINS,
    )
    async def chains(call: Call[None, ChainQuery]) -> dict[str, Any]:
        rows = await _newest_in_scope(ctx, call.who, Chain, call.query)
        return {"chains": [chain_dict(c) for c in rows]}

    @ctx.http.get(
        "/sos",
        summary="SOS alerts in your scope",
        query=SosQuery,
        response=SosListOut,
        rule=SOS_LIST,
    )
    async def sos_list(call: Call[None, SosQuery]) -> dict[str, Any]:
        rows = await _newest_in_scope(ctx, call.who, Sos, call.query)
        return {"sos": [sos_dict(s) for s in rows]}

    @ctx.http.get(
        "/checkins",
        summary="Lone-worker check-ins in your scope (who is on a timed task)",
        query=CheckinQuery,
        response=CheckinsOut,
        rule=CHECKINS,
    )
    async def checkin_list(call: Call[None, CheckinQuery]) -> dict[str, Any]:
        rows = await _newest_in_scope(ctx, call.who, Checkin, call.query)
        return {"checkins": [checkin_dict(c) for c in rows]}

    @ctx.http.get("/sos/{sos_id}", summary="One SOS alert", response=OneSosOut, rule=SOS_READ)
    async def sos_one(call: Call[None, None]) -> dict[str, Any]:
        return {"sos": await desk.get_in_scope(call.who, call.path_int("sos_id"))}


async def _newest_in_scope(
    ctx: PluginContext,
    who: Principal,
    model: type[Row],
    query: ChainQuery | SosQuery | CheckinQuery,
) -> Sequence[Row]:
    """The newest rows of `model` in the caller's scope, in the asked state if any."""
    statement = _scoped(ctx, who, select(model), model.grid_id)
    if query.state is not None:
        statement = statement.where(model.state == query.state)
    statement = statement.order_by(model.id.desc()).limit(query.limit)
    async with ctx.sessions() as session:
        rows: Sequence[Row] = (await session.scalars(statement)).all()
    return rows


def _scoped(ctx: PluginContext, who: Principal, statement: Select[Any], column: Any) -> Any:
    """Rows of grids under the commander's seats (everything for an admin)."""
    if who.is_admin:
        return statement
    grids = ctx.grids.index.scope_ids(who.grid_ids(COMMAND_ROLES))
    return statement.where(column.in_(sorted(grids)))
