"""The alarm ledger as CSV or XLSX for a county office: the list's filters, streamed in keyset
pages (one page of alarms in memory at a time), each export audited. Alarms carry device and
grid facts, no personal data; the grid is given by its name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from hub.sdk import (
    COMMAND_ROLES,
    EXPORT_PRODUCES,
    Actor,
    Call,
    ExportFormat,
    PluginContext,
    Principal,
    Scope,
    for_roles,
    stream_table,
)
from plugins.alarms.config import SEVERITIES
from plugins.alarms.service import AlarmFilter, AlarmService

# Commanders and dispatchers, over the alarms their grants list (the list's scope).
EXPORT = for_roles("alarms.export", COMMAND_ROLES, Scope.LISTED)
PAGE = 500
SEVERITY = "^(" + "|".join(SEVERITIES) + ")$"
COLUMNS = (
    ("id", "编号 id"), ("device_code", "设备 device"), ("grid", "网格 grid"),
    ("type", "类型 type"), ("severity", "级别 severity"), ("status", "状态 status"),
    ("count", "次数 count"), ("value", "数值 value"), ("message", "内容 message"),
    ("first_at", "首次 first"), ("last_at", "最近 last"),
    ("acknowledged_at", "确认 acknowledged"), ("cleared_at", "清除 cleared"),
    ("incident_id", "事件 incident"),
)  # fmt: skip
HEADER = tuple(title for _key, title in COLUMNS)


class AlarmExportQuery(BaseModel):
    format: ExportFormat = "xlsx"
    active: bool | None = None
    severity: str | None = Field(None, pattern=SEVERITY)
    device: str | None = Field(None, max_length=64)
    type: str | None = Field(None, max_length=64)


def install(ctx: PluginContext, service: AlarmService) -> None:
    # A POST: an export is an audited act, not a plain read.
    @ctx.http.post("/export", summary="The alarm ledger as CSV or XLSX (streamed)",
                   body=AlarmExportQuery, produces=EXPORT_PRODUCES, rule=EXPORT)  # fmt: skip
    async def export(call: Call[AlarmExportQuery, None]) -> web.StreamResponse:
        query = call.body
        await _audit(ctx, call.who, query)
        pages = _pages(ctx, service, call.who, query)
        return await stream_table(call.request, "alarms", query.format, HEADER, pages)


async def _audit(ctx: PluginContext, who: Principal, query: AlarmExportQuery) -> None:
    filters = query.model_dump(mode="json", exclude_none=True)
    async with ctx.sessions.begin() as session:
        ctx.audit.record(session, Actor.of(who), "alarms.exported", "alarm", None, filters)


async def _pages(
    ctx: PluginContext, service: AlarmService, who: Principal, query: AlarmExportQuery
) -> AsyncIterator[list[Sequence[Any]]]:
    wanted = AlarmFilter(**query.model_dump(exclude={"format"}), limit=PAGE)
    while True:
        alarms = await service.list(who, wanted)
        if alarms:
            yield [_row(ctx, alarm) for alarm in alarms]
        if len(alarms) < PAGE:
            return
        wanted = replace(wanted, before_id=alarms[-1]["id"])


def _row(ctx: PluginContext, alarm: dict[str, Any]) -> Sequence[Any]:
    index = ctx.grids.index
    grid_id = alarm["grid_id"]
    named = {**alarm, "grid": index.get(grid_id).name if grid_id in index else ""}
    return tuple(named.get(key) for key, _title in COLUMNS)
