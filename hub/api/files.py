"""Uploads into channels and downloads for their members."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from aiohttp import BodyPartReader, web
from pydantic import BaseModel

from hub import policy
from hub.audit import Actor
from hub.errors import InvalidInput
from hub.files import FileInfo
from hub.keys import CHAT, FILES
from hub.web import Call, Router

CHUNK = 64 * 1024


# Both check the channel through Chat.access, as the channel.* socket events do.
FILE_UPLOAD = policy.signed_in("files.upload", policy.Scope.CHANNEL)
FILE_READ = policy.signed_in("files.read", policy.Scope.CHANNEL)


class FileOut(BaseModel):
    file_id: str
    channel_id: int
    name: str
    content_type: str
    size: int
    sha256: str


def file_out(info: FileInfo) -> FileOut:
    return FileOut(
        file_id=info.id,
        channel_id=info.channel_id,
        name=info.name,
        content_type=info.content_type,
        size=info.size,
        sha256=info.sha256,
    )


def build_router() -> Router:
    router = Router("/api/v1", "files")

    @router.post(
        "/channels/{channel_id}/files",
        summary="Upload a file into a channel "
        "(multipart field `file`); then send it with channel.send",
        response=FileOut,
        status=201,
        raw_body="multipart/form-data",
        rule=FILE_UPLOAD,
    )
    async def upload(call: Call[None, None]) -> FileOut:
        channel_id = call.path_int("channel_id")
        await call.request.app[CHAT].access(call.who, channel_id)
        part = await _file_part(call.request)
        store = call.request.app[FILES]
        info = await store.save(
            channel_id, part.filename or "file", _chunks(part), Actor.of(call.who)
        )
        return file_out(info)

    @router.get(
        "/files/{file_id:[^/]+}",  # a token, not a database id
        summary="Download a file (channel members only)",
        rule=FILE_READ,
        produces="*/*",  # the type the file was uploaded with
    )
    async def download(call: Call[None, None]) -> web.StreamResponse:
        store = call.request.app[FILES]
        info = await store.get(call.request.match_info["file_id"])
        await call.request.app[CHAT].access(call.who, info.channel_id)
        response = web.FileResponse(store.path_of(info.sha256))
        response.content_type = info.content_type
        response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(info.name)}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return router


async def _file_part(request: web.Request) -> BodyPartReader:
    if not request.content_type.startswith("multipart/"):
        raise InvalidInput("file.multipart_required", "send multipart/form-data with a file")
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and part.name == "file":
            return part
    raise InvalidInput("file.missing", "no form field named `file`")


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk
