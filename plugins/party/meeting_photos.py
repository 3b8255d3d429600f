"""Photos of a meeting, the record beside its minutes: images only (by their bytes), at most
`MAX_PHOTOS` a meeting, read and added by the party staff over the meeting's organisation."""

from __future__ import annotations

import hashlib

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, HubError, InvalidInput, NotFound, PluginContext, Principal
from plugins.party.attachments import Upload, file_response
from plugins.party.building import Building
from plugins.party.models import Meeting, MeetingPhoto

MAX_PHOTOS = 20


class MeetingPhotos:
    def __init__(self, ctx: PluginContext, building: Building) -> None:
        self.ctx = ctx
        self.building = building

    async def check(self, who: Principal, meeting_id: int) -> None:
        """The scope check, made before an upload is read."""
        async with self.ctx.sessions() as session:
            await self._meeting(session, who, meeting_id)

    async def add(self, who: Principal, meeting_id: int, upload: Upload) -> int:
        if not upload.content_type.startswith("image/"):
            raise HubError(
                "party.photo_type", "meeting photos are JPEG, PNG, WebP or GIF", status=415
            )
        async with self.ctx.sessions.begin() as session:
            meeting = await self._meeting(session, who, meeting_id)
            count = await session.scalar(
                select(func.count()).where(MeetingPhoto.meeting_id == meeting.id)
            )
            if (count or 0) >= MAX_PHOTOS:
                raise InvalidInput("party.too_many_files", f"at most {MAX_PHOTOS} photos")
            photo = MeetingPhoto(
                meeting_id=meeting.id,
                content_type=upload.content_type,
                size=len(upload.data),
                data=upload.data,
                sha256=hashlib.sha256(upload.data).hexdigest(),
            )
            session.add(photo)
            await session.flush()
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "party.meeting.photo",
                "party_meeting",
                meeting.id,
                {"photo": photo.id, "sha256": photo.sha256},
            )
            return photo.id

    async def get(self, who: Principal, meeting_id: int, photo_id: int) -> web.Response:
        async with self.ctx.sessions() as session:
            await self._meeting(session, who, meeting_id)
            photo = await session.get(MeetingPhoto, photo_id)
        if photo is None or photo.meeting_id != meeting_id:
            raise NotFound("party.photo_not_found", f"no photo {photo_id} of meeting {meeting_id}")
        return file_response(photo.content_type, photo.data, f"meeting-{meeting_id}-{photo_id}")

    async def _meeting(self, session: AsyncSession, who: Principal, meeting_id: int) -> Meeting:
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None:
            raise NotFound("party.meeting_not_found", f"no meeting {meeting_id}")
        await self.building.org_in_scope(session, who, meeting.org_id)
        return meeting
