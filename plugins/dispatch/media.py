"""Photos sent with public appeals, and media links sent with Open311 requests.

A plugin cannot reach the core file store (its files belong to chat channels), and a hub node's
data dir is its own, so appeal photos are kept as rows of the plugin's database: every node
serves them, and they go when the incident's rows go. Their ids are the incident's attachments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from aiohttp import BodyPartReader, web
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, defer, mapped_column

from hub.sdk import SNIFF_BYTES, Base, HubError, NotFound, UTCDateTime, sniff, utcnow

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
CHUNK = 64 * 1024


class Media(Base):
    __tablename__ = "dispatch_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), nullable=True, index=True
    )
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True, slots=True)
class Photo:
    content_type: str
    data: bytes


async def read_photo(part: BodyPartReader, max_bytes: int) -> Photo:
    """Read one uploaded photo: an image by its bytes (not its claimed type), within the limit."""
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > max_bytes:
            raise HubError(
                "appeal.photo_too_large", f"a photo may be at most {max_bytes} bytes", status=413
            )
    content_type = sniff(bytes(data[:SNIFF_BYTES]))
    if content_type not in PHOTO_TYPES:
        raise HubError(
            "appeal.photo_type", "photos must be JPEG, PNG, WebP or GIF images", status=415
        )
    return Photo(content_type, bytes(data))


class MediaStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, photos: list[Photo], urls: list[str]) -> list[int]:
        """Store photos and links not yet tied to an incident; returns their ids."""
        if not photos and not urls:
            return []
        rows = [
            Media(content_type=p.content_type, size=len(p.data),
                  sha256=hashlib.sha256(p.data).hexdigest(), data=p.data)
            for p in photos
        ] + [Media(url=u) for u in urls]  # fmt: skip
        async with self._sessions.begin() as session:
            session.add_all(rows)
            await session.flush()
            return [r.id for r in rows]

    async def attach(self, incident_id: int, photos: list[Photo]) -> list[int]:
        """Photos of the incident, each kept once: the same bytes sent again (a phone resending
        after its answer was lost) give the id they are already stored under."""
        async with self._sessions.begin() as session:
            stored = await session.execute(
                select(Media.sha256, Media.id).where(
                    Media.incident_id == incident_id, Media.url.is_(None)
                )
            )
            known: dict[str, int] = dict(stored.all())
            for photo in photos:
                digest = hashlib.sha256(photo.data).hexdigest()
                if digest not in known:
                    row = Media(incident_id=incident_id, content_type=photo.content_type,
                                size=len(photo.data), sha256=digest, data=photo.data)  # fmt: skip
                    session.add(row)
                    await session.flush()
                    known[digest] = row.id
            return [known[hashlib.sha256(p.data).hexdigest()] for p in photos]

    async def link(self, ids: list[int], incident_id: int) -> None:
        if ids:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(Media).where(Media.id.in_(ids)).values(incident_id=incident_id)
                )

    async def discard(self, ids: list[int]) -> None:
        """Forget media whose incident was refused."""
        if ids:
            async with self._sessions.begin() as session:
                await session.execute(delete(Media).where(Media.id.in_(ids)))

    async def of_incident(self, incident_id: int) -> list[Media]:
        async with self._sessions() as session:
            found = await session.scalars(
                select(Media)
                .options(defer(Media.data))
                .where(Media.incident_id == incident_id)
                .order_by(Media.id)
            )
            return list(found)

    async def photo(self, incident_id: int, media_id: int) -> web.Response:
        """The stored photo `media_id` of the incident, as an HTTP response."""
        async with self._sessions() as session:
            row = await session.get(Media, media_id)
        if row is None or row.incident_id != incident_id or row.data is None:
            raise NotFound("media.not_found", f"incident has no photo {media_id}")
        return web.Response(
            body=row.data,
            content_type=row.content_type,
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
        )
