"""HTTP routes and socket events of the mediation plugin: each names its rule (access.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel

from hub.sdk import Call, Connection, DbId, PluginContext, utcnow
from plugins.mediation import access, agreement, ledger
from plugins.mediation.cases import Cases
from plugins.mediation.config import MediationConfig
from plugins.mediation.documents import Documents
from plugins.mediation.experts import Experts
from plugins.mediation.schemas import (
    CasesQuery,
    ExpertAssign,
    ExpertIn,
    ExpertPatch,
    ExpertsQuery,
    LedgerQuery,
    MeetingIn,
    OfficeCaseIn,
    PartyAdd,
    RecordIn,
    Strict,
    Versioned,
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
    _field_routes(ctx, cases, Documents(ctx, cases))
    _expert_routes(ctx, Experts(ctx, cases))
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


def _field_routes(ctx: PluginContext, cases: Cases, documents: Documents) -> None:
    """What the field app (and the drawer's 文书) use: my cases and signed documents' photos."""
    http = ctx.http

    @http.get("/mine/cases", summary="Open cases naming you as their mediator", rule=access.LIST)
    async def mine(call: Call[None, None]) -> dict[str, Any]:
        return {"cases": await cases.assigned(call.who)}

    @http.post(
        CASE + "/documents",
        summary="Attach a photo or PDF of a signed document (multipart, one part `file`)",
        status=201,
        raw_body="multipart/form-data",
        rule=access.ACT,
    )
    async def attach(call: Call[None, None]) -> dict[str, Any]:
        return await documents.add(call.who, call.path_int("case_id"), call.request)

    @http.get(
        CASE + "/documents/{document_id}",
        summary="A signed document's photo or PDF",
        produces="image/jpeg, image/png, image/webp, application/pdf",
        rule=access.READ,
    )
    async def document(call: Call[None, None]) -> web.Response:
        ids = call.path_int("case_id"), call.path_int("document_id")
        return await documents.get(call.who, *ids)


def _expert_routes(ctx: PluginContext, experts: Experts) -> None:
    http = ctx.http
    one = "/experts/{expert_id}"

    @http.get(
        "/experts",
        summary="The expert pool (专家库) of your grids",
        query=ExpertsQuery,
        rule=access.EXPERTS,
    )
    async def listed(call: Call[None, ExpertsQuery]) -> dict[str, Any]:
        return {"experts": await experts.listed(call.who, call.query)}

    @http.post(
        "/experts",
        summary="Add an expert to a town's or county's pool",
        body=ExpertIn,
        status=201,
        rule=access.EXPERT_KEEP,
    )
    async def create(call: Call[ExpertIn, None]) -> dict[str, Any]:
        return await experts.create(call.who, call.body)

    @http.post(  # POST: the host's `api` for plugin pages has get and post
        one, summary="Change an expert of the pool", body=ExpertPatch, rule=access.EXPERT_KEEP
    )
    async def update(call: Call[ExpertPatch, None]) -> dict[str, Any]:
        return await experts.update(call.who, call.path_int("expert_id"), call.body)

    @http.post(
        one + "/delete",
        summary="Remove an expert never called into a case",
        body=Versioned,
        rule=access.EXPERT_KEEP,
    )
    async def delete(call: Call[Versioned, None]) -> dict[str, Any]:
        return await experts.delete(call.who, call.path_int("expert_id"), call.body.version)

    @http.post(
        CASE + "/experts",
        summary="Call an expert of the pool into a case",
        body=ExpertAssign,
        rule=access.ACT,
    )
    async def assign(call: Call[ExpertAssign, None]) -> dict[str, Any]:
        return await experts.assign(call.who, call.path_int("case_id"), call.body)


def _today(zone: ZoneInfo) -> datetime:
    return utcnow().astimezone(zone)


def _sockets(ctx: PluginContext, cases: Cases) -> None:
    @ctx.realtime.on("step", StepEvent, access.ACT)  # mediation.step, as the HTTP step routes
    async def step(conn: Connection, body: StepEvent) -> dict[str, Any]:
        return {"case": await cases.act(conn.principal, body.case_id, body.action, body.body)}
