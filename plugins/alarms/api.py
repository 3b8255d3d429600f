"""HTTP routes (/api/v1/alarms/...) and socket events (alarms.*) for consoles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import (
    STAFF_ROLES,
    BigDbId,
    Call,
    Connection,
    DbId,
    DevicesView,
    GridIndex,
    NotFound,
    PluginContext,
    Principal,
    in_scope,
    utcnow,
)
from plugins.alarms import cap, ledger_export
from plugins.alarms import service as rules
from plugins.alarms.config import SEVERITIES
from plugins.alarms.ingest import device_info
from plugins.alarms.models import Alarm, AlarmRule, DeviceFrame
from plugins.alarms.responses import (
    ATOM,
    CAP,
    AlarmDetailOut,
    AlarmOut,
    FrameOut,
    TelemetryRuleOut,
)
from plugins.alarms.rules import RuleIn
from plugins.alarms.service import AlarmFilter, AlarmService, visible_grids
from plugins.alarms.state import DeviceInfo

ID = r"{alarm_id:\d{1,18}}"
BIG = ("alarm_id",)  # alarms are BigId rows: path_int takes ids up to 2**63 - 1
SEVERITY = "^(" + "|".join(SEVERITIES) + ")$"


class AlarmQuery(BaseModel):
    active: bool | None = None
    severity: str | None = Field(None, pattern=SEVERITY)
    device: str | None = Field(None, max_length=64)
    type: str | None = Field(None, max_length=64)
    before_id: BigDbId | None = None
    limit: int = Field(100, ge=1, le=500)

    def filter(self) -> AlarmFilter:
        return AlarmFilter(**self.model_dump())


class CommentIn(BaseModel):
    comment: str = Field("", max_length=1000)


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class AssignIn(BaseModel):
    person_id: DbId | None = None


class AlarmRef(BaseModel):
    alarm_id: BigDbId


class AckIn(AlarmRef, CommentIn):
    pass


class CommentEventIn(AlarmRef, TextIn):
    pass


class AssignEventIn(AlarmRef, AssignIn):
    pass


class AssigneeOut(BaseModel):
    person_id: int
    username: str
    display_name: str
    grid: str = Field(description="code of the nearest grid by which the person sees the alarm")
    grid_name: str


class AssigneesOut(BaseModel):
    alarm_id: int
    assignees: list[AssigneeOut]


class FramesQuery(BaseModel):
    limit: int = Field(100, ge=1, le=1000)
    kind: str | None = Field(None, pattern="^(telemetry|alarm|clear|heartbeat)$")


def register(
    ctx: PluginContext, service: AlarmService, rules_changed: Callable[[], Awaitable[None]]
) -> None:
    _alarm_routes(ctx, service)
    _export_routes(ctx, service)
    ledger_export.install(ctx, service)
    _rule_routes(ctx, rules_changed)
    _socket_events(ctx, service)


def _alarm_routes(ctx: PluginContext, service: AlarmService) -> None:
    http = ctx.http

    @http.get(
        "",
        summary="Alarms in your scope, newest first",
        query=AlarmQuery,
        response=list[AlarmOut],
        rule=rules.LIST,
    )
    async def list_alarms(call: Call[None, AlarmQuery]) -> list[dict[str, Any]]:
        return await service.list(call.who, call.query.filter())

    @http.get(
        f"/{ID}",
        big_ids=BIG,
        summary="One alarm with its full history",
        response=AlarmDetailOut,
        rule=rules.READ,
    )
    async def get_alarm(call: Call[None, None]) -> dict[str, Any]:
        return await service.get(call.who, call.path_int("alarm_id"))

    @http.post(
        f"/{ID}/ack",
        big_ids=BIG,
        summary="Acknowledge (commander)",
        body=CommentIn,
        response=AlarmOut,
        rule=rules.ACK,
    )
    async def ack(call: Call[CommentIn, None]) -> dict[str, Any]:
        return await service.acknowledge(call.who, call.path_int("alarm_id"), call.body.comment)

    @http.post(
        f"/{ID}/clear",
        big_ids=BIG,
        summary="Clear (commander)",
        body=CommentIn,
        response=AlarmOut,
        rule=rules.CLEAR,
    )
    async def clear(call: Call[CommentIn, None]) -> dict[str, Any]:
        return await service.clear(call.who, call.path_int("alarm_id"), call.body.comment)

    @http.post(
        f"/{ID}/comment",
        big_ids=BIG,
        summary="Comment on an alarm",
        body=TextIn,
        response=AlarmOut,
        rule=rules.COMMENT,
    )
    async def comment(call: Call[TextIn, None]) -> dict[str, Any]:
        return await service.comment(call.who, call.path_int("alarm_id"), call.body.text)

    @http.post(
        f"/{ID}/assign",
        big_ids=BIG,
        summary="Assign to staff who see the alarm (null: unassign)",
        body=AssignIn,
        response=AlarmOut,
        rule=rules.ASSIGN,
    )
    async def assign(call: Call[AssignIn, None]) -> dict[str, Any]:
        return await service.assign(call.who, call.path_int("alarm_id"), call.body.person_id)

    @http.get(
        f"/{ID}/assignees",
        big_ids=BIG,
        summary="Who the alarm can be assigned to (staff over its grid, in your scope)",
        response=AssigneesOut,
        rule=rules.ASSIGNEES,
    )
    async def assignees(call: Call[None, None]) -> dict[str, Any]:
        return await _assignees(service, call.who, call.path_int("alarm_id"))

    @http.get(
        "/devices/{code}/frames",
        summary="A device's recent frames",
        query=FramesQuery,
        response=list[FrameOut],
        rule=rules.FRAMES,
    )
    async def frames(call: Call[None, FramesQuery]) -> list[dict[str, Any]]:
        device = await _device(ctx.devices, call.params["code"])
        if device is None or not in_scope(call.who, ctx.grids.index, device.grid_id, STAFF_ROLES):
            raise NotFound("device.not_found", "no such device in your scope")
        return await _frames(ctx.sessions, device.id, call.query)


def _export_routes(ctx: PluginContext, service: AlarmService) -> None:
    http = ctx.http

    @http.get(
        f"/{ID}/cap",
        big_ids=BIG,
        summary="The alarm as an OASIS CAP 1.2 message",
        produces=CAP,
        rule=rules.READ,
    )
    async def cap_export(call: Call[None, None]) -> web.Response:
        alarm = await service.row(call.who, call.path_int("alarm_id"))
        device = await _device_by_id(ctx.devices, alarm.device_id)
        body = cap.to_xml(cap.alert(alarm, device))
        return web.Response(body=body, content_type="application/cap+xml", charset="utf-8")

    @http.get(
        "/feed.atom",
        summary="ATOM feed of active alarms in your scope, as CAP entries",
        produces=ATOM,
        rule=rules.LIST,
    )
    async def atom(call: Call[None, None]) -> web.Response:
        base = f"{call.request.scheme}://{call.request.host}{http.prefix}"
        entries = await _active_with_devices(ctx, call.who, ctx.grids.index)
        body = cap.feed(entries, base, utcnow())
        return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")


def _rule_routes(ctx: PluginContext, changed: Callable[[], Awaitable[None]]) -> None:
    http = ctx.http

    @http.get(
        "/rules", summary="Telemetry rules", response=list[TelemetryRuleOut], rule=rules.RULES_READ
    )
    async def list_rules(call: Call[None, None]) -> list[dict[str, Any]]:
        async with ctx.sessions() as session:
            rows = await session.scalars(select(AlarmRule).order_by(AlarmRule.id))
            return [_rule(r) for r in rows]

    @http.post(
        "/rules",
        summary="Add a telemetry rule (admin)",
        body=RuleIn,
        response=TelemetryRuleOut,
        status=201,
        rule=rules.RULES_EDIT,
    )
    async def add_rule(call: Call[RuleIn, None]) -> dict[str, Any]:
        rule = await _add_rule(ctx.sessions, ctx.devices, call.body)
        await changed()
        return _rule(rule)

    @http.delete(
        "/rules/{rule_id:\\d{1,9}}",
        summary="Delete a telemetry rule (admin)",
        rule=rules.RULES_EDIT,
        status=204,
    )
    async def delete_rule(call: Call[None, None]) -> None:
        async with ctx.sessions.begin() as session:
            rule = await session.get(AlarmRule, call.path_int("rule_id"))
            if rule is None:
                raise NotFound("rule.not_found", "no such rule")
            await session.delete(rule)
        await changed()


def _socket_events(ctx: PluginContext, service: AlarmService) -> None:
    rt = ctx.realtime

    @rt.on("list", AlarmQuery, rules.LIST)
    async def list_event(conn: Connection, q: AlarmQuery) -> dict[str, Any]:
        return {"alarms": await service.list(conn.principal, q.filter())}

    @rt.on("ack", AckIn, rules.ACK)
    async def ack_event(conn: Connection, p: AckIn) -> dict[str, Any]:
        return {"alarm": await service.acknowledge(conn.principal, p.alarm_id, p.comment)}

    @rt.on("clear", AckIn, rules.CLEAR)
    async def clear_event(conn: Connection, p: AckIn) -> dict[str, Any]:
        return {"alarm": await service.clear(conn.principal, p.alarm_id, p.comment)}

    @rt.on("comment", CommentEventIn, rules.COMMENT)
    async def comment_event(conn: Connection, p: CommentEventIn) -> dict[str, Any]:
        return {"alarm": await service.comment(conn.principal, p.alarm_id, p.text)}

    @rt.on("assign", AssignEventIn, rules.ASSIGN)
    async def assign_event(conn: Connection, p: AssignEventIn) -> dict[str, Any]:
        return {"alarm": await service.assign(conn.principal, p.alarm_id, p.person_id)}

    @rt.on("assignees", AlarmRef, rules.ASSIGNEES)
    async def assignees_event(conn: Connection, p: AlarmRef) -> dict[str, Any]:
        return await _assignees(service, conn.principal, p.alarm_id)


# --- data helpers ----------------------------------------------------------------------------


async def _assignees(service: AlarmService, who: Principal, alarm_id: int) -> dict[str, Any]:
    """An AssigneesOut, the same over HTTP and socket."""
    return {"alarm_id": alarm_id, "assignees": await service.assignees(who, alarm_id)}


async def _device(devices: DevicesView, code: str) -> DeviceInfo | None:
    found = await devices.by_code(code)
    return device_info(found) if found is not None else None


async def _device_by_id(devices: DevicesView, device_id: int) -> DeviceInfo | None:
    found = await devices.by_id(device_id)
    return device_info(found) if found is not None else None


async def _frames(
    sessions: async_sessionmaker[AsyncSession], device_id: int, q: FramesQuery
) -> list[dict[str, Any]]:
    stmt = select(DeviceFrame).where(DeviceFrame.device_id == device_id)
    if q.kind is not None:
        stmt = stmt.where(DeviceFrame.kind == q.kind)
    async with sessions() as session:
        rows = await session.scalars(stmt.order_by(DeviceFrame.seq.desc()).limit(q.limit))
        return [
            {"seq": r.seq, "kind": r.kind, "ts": r.ts, "received_at": r.received_at, **r.body}
            for r in rows
        ]


async def _active_with_devices(
    ctx: PluginContext, who: Principal, index: GridIndex
) -> list[tuple[Alarm, DeviceInfo | None]]:
    """The newest 500 active alarms in `who`'s scope with their devices (an alarm's device
    always exists: its rows go with the device)."""
    grids = visible_grids(who, index)
    stmt = select(Alarm).where(Alarm.active)
    if grids is not None:
        stmt = stmt.where(Alarm.grid_id.in_(grids))
    async with ctx.sessions() as session:
        alarms = list(await session.scalars(stmt.order_by(Alarm.id.desc()).limit(500)))
    found = await ctx.devices.by_ids({alarm.device_id for alarm in alarms})
    return [
        (alarm, device_info(found[alarm.device_id])) for alarm in alarms if alarm.device_id in found
    ]


async def _add_rule(
    sessions: async_sessionmaker[AsyncSession], devices: DevicesView, spec: RuleIn
) -> AlarmRule:
    values = spec.model_dump(exclude={"device"})
    if spec.device is not None:
        found = await devices.by_code(spec.device)
        if found is None:
            raise NotFound("device.not_found", f"device {spec.device!r} does not exist")
        values["device_id"] = found.id
    rule = AlarmRule(**values)
    async with sessions.begin() as session:
        session.add(rule)
    return rule


def _rule(r: AlarmRule) -> dict[str, Any]:
    fields = ("id", "name", "device_type", "device_id", "metric", "op", "threshold")
    more = ("duration_s", "repeat", "alarm_type", "severity", "auto_clear", "enabled")
    return {f: getattr(r, f) for f in (*fields, *more)}
