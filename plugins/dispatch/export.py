"""The incident ledger as CSV or XLSX for a county office: the board's filters plus a time
range, personal data masked, streamed in keyset pages (one page of rows in memory at a time),
each export audited."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import Select

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
    mask_personal,
    stream_table,
)
from plugins.dispatch import queries
from plugins.dispatch.models import Incident
from plugins.dispatch.schemas import IncidentQuery

# Commanders and dispatchers, over the incidents their grants list (the board's scope).
EXPORT = for_roles("dispatch.incident.export", COMMAND_ROLES, Scope.LISTED)
PAGE = 500
HEADER = (
    "编号 number", "标题 title", "类别 category", "优先级 priority", "状态 state",
    "网格 grid", "地址 address", "来源 source", "上报人 reporter", "联系方式 contact",
    "阶段截止 stage deadline", "超时 overdue", "评价 rating", "上报时间 created",
    "更新时间 updated",
)  # fmt: skip


class IncidentExportQuery(BaseModel):
    format: ExportFormat = "xlsx"
    state: str | None = Field(default=None, max_length=200, description="comma-separated")
    category: str | None = Field(default=None, max_length=64)
    grid: str | None = Field(default=None, max_length=64, description="a grid code: its subtree")
    overdue: bool | None = None
    q: str | None = Field(default=None, max_length=100)
    since: datetime | None = Field(default=None, description="reported at or after")
    until: datetime | None = Field(default=None, description="reported before")


def install(ctx: PluginContext) -> None:
    # A POST: an export is an audited act (like revealing a contact), not a plain read.
    @ctx.http.post("/incidents/export", summary="The incident ledger as CSV or XLSX (streamed)",
                   body=IncidentExportQuery, produces=EXPORT_PRODUCES, rule=EXPORT)  # fmt: skip
    async def export(call: Call[IncidentExportQuery, None]) -> web.StreamResponse:
        ledger = Ledger(ctx, call.who, call.body)
        ledger.statement(None)  # bad filters are refused before anything is sent
        await ledger.audit()
        return await stream_table(
            call.request, "incidents", call.body.format, HEADER, ledger.pages()
        )


class Ledger:
    def __init__(self, ctx: PluginContext, who: Principal, query: IncidentExportQuery) -> None:
        self.ctx, self.who, self.query = ctx, who, query

    def statement(self, before_id: int | None) -> Select[Incident]:
        q = self.query
        filters = {"state": q.state, "category": q.category, "grid": q.grid, "q": q.q}
        board = IncidentQuery(**filters, overdue=q.overdue, limit=PAGE, before_id=before_id)
        stmt = queries.build(self.who, self.ctx.grids.index, board)
        if q.since is not None:
            stmt = stmt.where(Incident.created_at >= q.since)
        if q.until is not None:
            stmt = stmt.where(Incident.created_at < q.until)
        return stmt

    async def audit(self) -> None:
        filters = self.query.model_dump(mode="json", exclude_none=True)
        async with self.ctx.sessions.begin() as session:
            self.ctx.audit.record(session, Actor.of(self.who), "dispatch.incidents.exported",
                                  "incident", None, filters)  # fmt: skip

    async def pages(self) -> AsyncIterator[list[Sequence[Any]]]:
        before_id: int | None = None
        while True:
            async with self.ctx.sessions() as session:
                rows = list(await session.scalars(self.statement(before_id)))
            if rows:
                yield [self.row(incident) for incident in rows]
            if len(rows) < PAGE:
                return
            before_id = rows[-1].id

    def row(self, i: Incident) -> Sequence[Any]:
        index = self.ctx.grids.index
        grid = index.get(i.grid_id).name if i.grid_id in index else ""
        contact = self.ctx.personal.open(i.reporter_contact) if i.reporter_contact else ""
        return (
            i.number, i.title, i.category, i.priority, i.state, grid, i.address, i.source,
            mask_personal(i.reporter_name), mask_personal(contact), i.stage_deadline,
            i.overdue, i.rating, i.created_at, i.updated_at,
        )  # fmt: skip
