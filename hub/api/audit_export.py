"""The audit log as CSV or XLSX (admins): the audit page's filters, streamed in keyset pages
(one page of entries in memory at a time), the export itself audited. Client addresses are
masked (their last part), since the log's readers need who and what, not where from."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import audit, policy
from hub.access import require_admin
from hub.api.system import AuditQueryIn
from hub.audit import Actor, AuditQuery
from hub.exports import EXPORT_PRODUCES, ExportFormat, stream_table
from hub.keys import SESSIONS
from hub.web import Call, Router
from storage.models import AuditEntry

AUDIT_EXPORT = policy.admin_only("system.audit.export")
PAGE = 500
HEADER = (
    "编号 id", "时间 at", "操作人 actor", "操作人编号 actor id", "操作 action",
    "对象类型 target type", "对象 target", "来源地址 source", "请求 request", "详情 details",
)  # fmt: skip


class AuditExportIn(AuditQueryIn):
    format: ExportFormat = "xlsx"


def build_router() -> Router:
    router = Router("", "system")

    # A POST: an export is an audited act, not a plain read.
    @router.post("/api/v1/audit/export", summary="The audit log as CSV or XLSX (admin, streamed)",
                 body=AuditExportIn, produces=EXPORT_PRODUCES, rule=AUDIT_EXPORT)  # fmt: skip
    async def export(call: Call[AuditExportIn, None]) -> web.StreamResponse:
        require_admin(call.who)
        sessions = call.request.app[SESSIONS]
        filters = call.body.model_dump(mode="json", exclude_none=True, exclude={"limit"})
        async with sessions.begin() as session:
            audit.record(session, Actor.of(call.who), "system.audit.exported", "audit", "",
                         filters)  # fmt: skip
        q = AuditQuery(**call.body.model_dump(exclude={"format"}) | {"limit": PAGE})
        pages = _pages(sessions, q)
        return await stream_table(call.request, "audit", call.body.format, HEADER, pages)

    return router


async def _pages(
    sessions: async_sessionmaker[AsyncSession], q: AuditQuery
) -> AsyncIterator[list[Sequence[Any]]]:
    while True:
        entries = await audit.query(sessions, q)
        if entries:
            yield [_row(entry) for entry in entries]
        if len(entries) < PAGE:
            return
        q = replace(q, before_id=entries[-1].id)


def _row(e: AuditEntry) -> Sequence[Any]:
    details = json.dumps(e.details, ensure_ascii=False, sort_keys=True)
    return (e.id, e.at, e.actor, e.actor_id, e.action, e.target_type, e.target_id,
            _mask_address(e.source_ip), e.request_id, details)  # fmt: skip


def _mask_address(address: str | None) -> str:
    if not address:
        return ""
    sep = ":" if ":" in address else "."
    return sep.join([*address.split(sep)[:-1], "*"])
