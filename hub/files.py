"""Uploads for channels: type sniffed from the bytes, size limited while streaming, stored once."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import audit
from hub.audit import Actor
from hub.av_tracks import TRACK_BYTES, refine
from hub.errors import HubError, InvalidInput, NotFound
from hub.settings import FileSettings
from storage.models import StoredFile

SNIFF_BYTES = 64


class Family(StrEnum):
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class FileInfo:
    id: str
    channel_id: int
    name: str
    content_type: str
    size: int
    sha256: str

    @property
    def family(self) -> Family:
        return family_of(self.content_type)


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, or None when it is not an accepted kind."""
    checks: list[tuple[bool, str]] = [
        (head.startswith(b"\xff\xd8\xff"), "image/jpeg"),
        (head.startswith(b"\x89PNG\r\n\x1a\n"), "image/png"),
        (head[:6] in (b"GIF87a", b"GIF89a"), "image/gif"),
        (head[:4] == b"RIFF" and head[8:12] == b"WEBP", "image/webp"),
        (head[:4] == b"RIFF" and head[8:12] == b"WAVE", "audio/wav"),
        (head.startswith(b"OggS"), "audio/ogg"),
        (head.startswith(b"\x1aE\xdf\xa3"), "video/webm"),
        (head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3"), "audio/mpeg"),
        (head[4:8] == b"ftyp", "video/mp4"),
        (head.startswith(b"%PDF-"), "application/pdf"),
        (head.startswith(b"PK\x03\x04"), "application/zip"),
    ]
    for matched, content_type in checks:
        if matched:
            return content_type
    return "text/plain" if _looks_like_text(head) else None


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut at the sniff boundary
    return True


def family_of(content_type: str) -> Family:
    major = content_type.split("/", 1)[0]
    if major in ("image", "audio", "video"):
        return Family(major)
    return Family.DOCUMENT


def limit_for(content_type: str, limits: FileSettings) -> int:
    return {
        Family.IMAGE: limits.max_image_bytes,
        Family.AUDIO: limits.max_audio_bytes,
        Family.VIDEO: limits.max_video_bytes,
        Family.DOCUMENT: limits.max_document_bytes,
    }[family_of(content_type)]


class FileStore:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], root: Path, limits: FileSettings
    ) -> None:
        self._sessions = sessions
        self.root = root
        self.limits = limits

    async def save(
        self, channel_id: int, name: str, chunks: AsyncIterator[bytes], actor: Actor
    ) -> FileInfo:
        """Stream an upload to disk; refuse unknown types and oversize files before storing."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            content_type, size, digest = await self._spool(handle, chunks)
            final = self.path_of(digest)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        info = FileInfo(secrets.token_hex(16), channel_id, _clean(name), content_type, size, digest)
        await self._record(info, actor)
        return info

    async def _spool(self, handle: int, chunks: AsyncIterator[bytes]) -> tuple[str, int, str]:
        with _Sink(handle) as sink:
            head = b""
            async for chunk in chunks:
                if sink.content_type:
                    sink.write(chunk)
                    continue
                head += chunk
                if len(head) >= TRACK_BYTES:
                    sink.begin(*self._classify(head), head)
            if not sink.content_type:
                sink.begin(*self._classify(head), head)
            return sink.content_type, sink.size, sink.digest.hexdigest()

    def _classify(self, head: bytes) -> tuple[str, int]:
        content_type = sniff(head[:SNIFF_BYTES])
        if content_type is None:
            raise HubError("file.type_refused", "this kind of file is not accepted", status=415)
        content_type = refine(content_type, head[:TRACK_BYTES])  # a voice note is no video
        return content_type, limit_for(content_type, self.limits)

    async def _record(self, info: FileInfo, actor: Actor) -> None:
        async with self._sessions.begin() as session:
            session.add(
                StoredFile(
                    id=info.id,
                    channel_id=info.channel_id,
                    uploader_id=actor.person_id,
                    name=info.name,
                    content_type=info.content_type,
                    size=info.size,
                    sha256=info.sha256,
                )
            )
            audit.record(
                session,
                actor,
                "file.upload",
                "file",
                info.id,
                {
                    "channel_id": info.channel_id,
                    "size": info.size,
                    "content_type": info.content_type,
                },
            )

    async def get(self, file_id: str) -> FileInfo:
        if not file_id.isalnum() or len(file_id) > 32:
            raise InvalidInput("file.id_invalid", "not a file id")
        async with self._sessions() as session:
            row = await session.get(StoredFile, file_id)
        if row is None:
            raise NotFound("file.not_found", "no such file")
        return FileInfo(row.id, row.channel_id, row.name, row.content_type, row.size, row.sha256)

    def path_of(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest


class _Sink:
    """Writes, hashes and counts an upload, refusing it once it passes its type's limit."""

    def __init__(self, handle: int) -> None:
        self._out = os.fdopen(handle, "wb")
        self.digest = hashlib.sha256()
        self.size = 0
        self.content_type = ""
        self.limit = 0

    def __enter__(self) -> _Sink:
        return self

    def __exit__(self, *_: object) -> None:
        self._out.close()

    def begin(self, content_type: str, limit: int, head: bytes) -> None:
        self.content_type, self.limit = content_type, limit
        self.write(head)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise HubError(
                "file.too_large",
                f"{self.content_type} files are limited to {self.limit} bytes",
                status=413,
            )
        self.digest.update(chunk)
        self._out.write(chunk)


def _clean(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or "file"
    return "".join(ch for ch in base if ch.isprintable())[:255]
