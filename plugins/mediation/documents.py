"""Photos and scans of signed documents (the signed 调解协议书, receipts, records), taken with a
phone in the field and attached to a case: checked by their bytes (images or PDF), bounded
while streaming, stored in the plugin's own table, audited and in the case's timeline."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web
from sqlalchemy import func, select

from hub.sdk import (
    SNIFF_BYTES,
    Actor,
    HubError,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    sniff,
)
from plugins.mediation import access, views
from plugins.mediation.cases import Cases
from plugins.mediation.effects import Change
from plugins.mediation.models import Document

ACCEPTED = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})
MAX_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 30  # a case's signed papers, not an archive
CHUNK = 64 * 1024


async def read_file(request: web.Request) -> tuple[str, str, bytes]:
    """(name, type, bytes) of the one part named `file` of a multipart body."""
    if request.content_type != "multipart/form-data":
        raise HubError(
            "mediation.file_form", "send multipart/form-data with a part `file`", status=415
        )
    reader = await request.multipart()
    part = await reader.next()
    if not isinstance(part, BodyPartReader) or part.name != "file":
        raise InvalidInput("mediation.file_form", "send one part named `file`")
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > MAX_BYTES:
            raise HubError("mediation.file_too_large", f"at most {MAX_BYTES} bytes", status=413)
    if not data:
        raise InvalidInput("mediation.file_empty", "the file is empty")
    if await reader.next() is not None:
        raise InvalidInput("mediation.file_form", "send one part named `file`")
    kind = sniff(bytes(data[:SNIFF_BYTES]))
    if kind not in ACCEPTED:
        raise HubError("mediation.file_type", "attach a JPEG, PNG, WebP photo or a PDF", status=415)
    # some clients send a non-ASCII name percent-encoded (aiohttp does), browsers as UTF-8
    name = unquote(part.filename or "document").strip()[-120:] or "document"
    return name, kind, bytes(data)


class Documents:
    def __init__(self, ctx: PluginContext, cases: Cases) -> None:
        self.ctx = ctx
        self.cases = cases

    async def check(self, who: Principal, case_id: int) -> None:
        """The scope check, made before an upload is read."""
        async with self.ctx.sessions() as session:
            case = await self.cases.seen(session, who, case_id)
            access.require_work(who, self.cases.index, case)

    async def add(self, who: Principal, case_id: int, request: web.Request) -> dict[str, Any]:
        await self.check(who, case_id)
        name, kind, data = await read_file(request)
        actor = Actor.of(who)
        async with self.ctx.sessions.begin() as session:
            case = await self.cases.seen(session, who, case_id)
            access.require_work(who, self.cases.index, case)
            count = await session.scalar(select(func.count()).where(Document.case_id == case.id))
            if (count or 0) >= MAX_DOCUMENTS:
                raise InvalidInput("mediation.too_many_files", f"at most {MAX_DOCUMENTS} files")
            row = Document(
                case_id=case.id,
                name=name,
                content_type=kind,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
                created_by=who.person_id,
                created_by_name=who.display_name or who.username,
            )
            session.add(row)
            await session.flush()
            details = {"document_id": row.id, "name": name, "sha256": row.sha256}
            self.cases.bump(session, case, "document_added", actor, details)
            result = {**views.summary(case, self.cases.index), "document": views.document(row)}
        await self.cases.effects.after(Change(result, "document_added", who.person_id))
        return result

    async def get(self, who: Principal, case_id: int, document_id: int) -> web.Response:
        async with self.ctx.sessions() as session:
            await self.cases.seen(session, who, case_id)
            row = await session.get(Document, document_id)
        if row is None or row.case_id != case_id:
            raise NotFound("mediation.document_not_found", f"no document {document_id} here")
        return web.Response(
            body=row.data,
            content_type=row.content_type,
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": f"inline; filename*=UTF-8''{quote(row.name, safe='')}",
                "Cache-Control": "private, max-age=3600",
            },
        )
