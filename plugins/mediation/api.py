"""HTTP routes and socket events of the mediation plugin: each names its rule (access.py)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel

from hub.sdk import Call, Connection, DbId, PluginContext, utcnow
from plugins.mediation import access, agreement, ledger
from plugins.mediation.cases import Cases
from plugins.mediation.config import MediationConfig
from plugins.mediation.schemas import (
    CasesQuery,
    LedgerQuery,
    MeetingIn,
    OfficeCaseIn,
    PartyAdd,
    RecordIn,
    Strict,
)
from plugins.mediation.workflow import ACTIONS, STEPS

CASE = "/cases/{case_id}"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StepEvent(Strict):
    """A workflow step over the socket: the case, the step and its body."""

    case_id: DbId
    action: str
    body: dict[str, Any]


def install(ctx: PluginContext, cases: Cases, config: MediationConfig) -> None:
    _case_routes(ctx, cases)
    _step_routes(ctx, cases)
    _document_routes(ctx, cases, config)
    _document_json_routes(ctx, cases, config)
    _sockets(ctx, cases)


def _case_routes(ctx: PluginContext, cases: Cases) -> None:
    http = ctx.http

    @http.get(
        "/cases", summary="Cases in your scope, newest first", query=CasesQuery, rule=access.LIST
    )
    async def listed(call: Call[None, CasesQuery]) -> dict[str, Any]:
        return {"cases": await cases.listed(call.who, call.query)}

    @http.post(
        "/cases",
        summary="Enter a case at a mediation office",
        body=OfficeCaseIn,
        status=201,
        rule=access.INTAKE,
    )
    async def intake(call: Call[OfficeCaseIn, None]) -> dict[str, Any]:
        return await cases.intake(call.who, call.body)

    @http.get(
        "/mine", summary="Grids where you may enter cases, and your ledger's grid", rule=access.LIST
    )
    async def mine(call: Call[None, None]) -> dict[str, Any]:
        return cases.my_grids(call.who)

    @http.get(CASE, summary="A case: parties (masked), sessions, timeline, links", rule=access.READ)
    async def detail(call: Call[None, None]) -> dict[str, Any]:
        return await cases.detail(call.who, call.path_int("case_id"))

    @http.post(
        CASE + "/parties/{party_id}/phone",
        summary="A party's full phone number (audited)",
        rule=access.REVEAL,
    )
    async def phone(call: Call[None, None]) -> dict[str, Any]:
        return await cases.reveal_phone(
            call.who, call.path_int("case_id"), call.path_int("party_id")
        )


def _step_routes(ctx: PluginContext, cases: Cases) -> None:
    http = ctx.http

    for action in ACTIONS:
        _step_route(ctx, cases, action)

    @http.post(
        CASE + "/parties", summary="Add a party to an open case", body=PartyAdd, rule=access.ACT
    )
    async def party(call: Call[PartyAdd, None]) -> dict[str, Any]:
        return await cases.add_party(call.who, call.path_int("case_id"), call.body)

    @http.post(
        CASE + "/sessions",
        summary="Schedule a mediation session",
        body=MeetingIn,
        status=201,
        rule=access.ACT,
    )
    async def schedule(call: Call[MeetingIn, None]) -> dict[str, Any]:
        return await cases.schedule(call.who, call.path_int("case_id"), call.body)

    @http.post(
        CASE + "/sessions/{session_id}/record",
        summary="Record what was said at a session",
        body=RecordIn,
        rule=access.ACT,
    )
    async def record(call: Call[RecordIn, None]) -> dict[str, Any]:
        ids = call.path_int("case_id"), call.path_int("session_id")
        return await cases.record(call.who, *ids, call.body)


def _step_route(ctx: PluginContext, cases: Cases, action: str) -> None:
    model: type[BaseModel] = STEPS[action].model

    @ctx.http.post(f"{CASE}/{action}", summary=f"Case step: {action}", body=model, rule=access.ACT)
    async def step(call: Call[Any, None]) -> dict[str, Any]:
        return await cases.act(call.who, call.path_int("case_id"), action, call.body.model_dump())


def _document_routes(ctx: PluginContext, cases: Cases, config: MediationConfig) -> None:
    http = ctx.http

    @http.get(
        CASE + "/agreement.pdf",
        summary="The mediation agreement (调解协议书) as PDF",
        produces=PDF,
        rule=access.READ,
    )
    async def pdf(call: Call[None, None]) -> web.Response:
        case = await cases.detail(call.who, call.path_int("case_id"))
        committee = case["level_grid_name"] or ""
        today = _today(ctx.time_zone)
        body = agreement.render(case, committee, f"{today:%Y年%m月%d日}")
        name = f"attachment; filename={case['number']}.pdf"
        return web.Response(body=body, content_type=PDF, headers={"Content-Disposition": name})

    @http.get(
        "/ledger", summary="Ledger KPIs of a grid's subtree", query=LedgerQuery, rule=access.LEDGER
    )
    async def kpis(call: Call[None, LedgerQuery]) -> dict[str, Any]:
        return ledger.kpis(await ledger.cases(ctx, call.who, call.query))

    @http.get(
        "/ledger.xlsx",
        summary="The mediation ledger (台账) as XLSX",
        query=LedgerQuery,
        produces=XLSX,
        rule=access.LEDGER,
    )
    async def xlsx(call: Call[None, LedgerQuery]) -> web.Response:
        rows = await ledger.cases(ctx, call.who, call.query)
        body = ledger.workbook(rows, ctx.grids.index, ctx.time_zone)
        headers = {"Content-Disposition": "attachment; filename=mediation-ledger.xlsx"}
        return web.Response(body=body, content_type=XLSX, headers=headers)


def _document_json_routes(ctx: PluginContext, cases: Cases, config: MediationConfig) -> None:
    """The same documents as JSON (base64), for the console: the host's `api` answers JSON
    only and a plain link would carry no sign-in."""
    http = ctx.http

    @http.get(CASE + "/agreement", summary="The agreement PDF, base64 in JSON", rule=access.READ)
    async def pdf(call: Call[None, None]) -> dict[str, Any]:
        case = await cases.detail(call.who, call.path_int("case_id"))
        today = _today(ctx.time_zone)
        body = agreement.render(case, case["level_grid_name"] or "", f"{today:%Y年%m月%d日}")
        return _file(f"{case['number']}.pdf", PDF, body)

    @http.get(
        "/ledger/export",
        summary="The ledger XLSX, base64 in JSON",
        query=LedgerQuery,
        rule=access.LEDGER,
    )
    async def xlsx(call: Call[None, LedgerQuery]) -> dict[str, Any]:
        rows = await ledger.cases(ctx, call.who, call.query)
        body = ledger.workbook(rows, ctx.grids.index, ctx.time_zone)
        return _file("mediation-ledger.xlsx", XLSX, body)


def _file(name: str, media_type: str, body: bytes) -> dict[str, Any]:
    return {"filename": name, "media_type": media_type, "base64": base64.b64encode(body).decode()}


def _today(zone: ZoneInfo) -> datetime:
    return utcnow().astimezone(zone)


def _sockets(ctx: PluginContext, cases: Cases) -> None:
    @ctx.realtime.on("step", StepEvent, access.ACT)  # mediation.step, as the HTTP step routes
    async def step(conn: Connection, body: StepEvent) -> dict[str, Any]:
        return {"case": await cases.act(conn.principal, body.case_id, body.action, body.body)}
