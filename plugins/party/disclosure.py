"""三务公开: a village drafts an item, the town reviews it, approval publishes it.

Each item's text lives in versions. Only the latest version moves, and only a draft or a
returned version may be edited or given files; once published a version is frozen (the
update statements name the state they expect, so nothing slips past a concurrent change).
A correction is a new version that goes through review again: the earlier one stays
published until the correction is approved, and then remains visible as superseded history.
Every state change is audited in its own transaction.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, Conflict, InvalidInput, NotFound, PluginContext, Principal, utcnow
from plugins.party import access, periods
from plugins.party.attachments import Upload, table_json
from plugins.party.messages import DisclosurePublished
from plugins.party.models import Attachment, Disclosure, DisclosureVersion, Question
from plugins.party.schemas import AnswerIn, CorrectIn, DraftIn, EditIn, ReviewIn

EDITABLE = ("draft", "returned")
MAX_ATTACHMENTS = 10


class Disclosures:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def draft(self, who: Principal, body: DraftIn) -> int:
        index = self.ctx.grids.index
        village = index.get(body.grid_id)
        access.require_drafter(who, index, village.id)
        if village.level != "village":
            raise InvalidInput("party.not_village", f"{village.name} is not a village")
        if not periods.fits(body.category, body.period):
            raise InvalidInput("party.period_mismatch", "finance is monthly, the others quarterly")
        async with self.ctx.sessions.begin() as session:
            item = Disclosure(
                grid_id=village.id,
                category=body.category,
                period=body.period,
                created_by=who.person_id,
            )
            session.add(item)
            await session.flush()
            session.add(self._version(item.id, 1, who, body.title, body.body))
            self._audit(session, who, "party.disclosure.drafted", item.id, version=1)
        return item.id

    async def edit(self, who: Principal, item_id: int, body: EditIn) -> None:
        async with self.ctx.sessions.begin() as session:
            item, latest = await self._latest(session, item_id)
            access.require_drafter(who, self.ctx.grids.index, item.grid_id)
            self._require_editable(latest)
            await self._move(session, latest, EDITABLE, title=body.title, body=body.body)
            self._audit(session, who, "party.disclosure.edited", item.id, version=latest.version)

    async def submit(self, who: Principal, item_id: int) -> None:
        async with self.ctx.sessions.begin() as session:
            item, latest = await self._latest(session, item_id)
            access.require_drafter(who, self.ctx.grids.index, item.grid_id)
            self._require_editable(latest)
            await self._move(session, latest, EDITABLE, state="submitted", author_id=who.person_id)
            self._audit(session, who, "party.disclosure.submitted", item.id, version=latest.version)

    async def review(self, who: Principal, item_id: int, body: ReviewIn) -> str:
        if body.decision == "return" and not body.note:
            raise InvalidInput("party.note_required", "say why the item goes back")
        async with self.ctx.sessions.begin() as session:
            item, latest = await self._latest(session, item_id)
            access.require_reviewer(who, self.ctx.grids.index, item.grid_id)
            if latest.state != "submitted":
                raise Conflict("party.not_submitted", "the item is not waiting for review")
            if latest.author_id is not None and latest.author_id == who.person_id:
                raise Conflict("party.own_item", "the author may not review their own item")
            state = "published" if body.decision == "approve" else "returned"
            await self._decide(session, item, latest, who, state, body.note)
        if state == "published":
            await self.ctx.bus.publish(
                DisclosurePublished(
                    disclosure_id=item.id,
                    version=latest.version,
                    grid_id=item.grid_id,
                    category=item.category,
                    period=item.period,
                )
            )
        return state

    async def _decide(
        self,
        session: AsyncSession,
        item: Disclosure,
        latest: DisclosureVersion,
        who: Principal,
        state: str,
        note: str,
    ) -> None:
        now = utcnow() if state == "published" else None
        await self._move(
            session,
            latest,
            ("submitted",),
            state=state,
            reviewer_id=who.person_id,
            review_note=note,
            published_at=now,
        )
        if state == "published":
            await session.execute(
                update(DisclosureVersion)
                .where(
                    DisclosureVersion.disclosure_id == item.id,
                    DisclosureVersion.state == "published",
                    DisclosureVersion.version != latest.version,
                )
                .values(state="superseded")
            )
            item.published_version = latest.version
        action = "party.disclosure.published" if now else "party.disclosure.returned"
        self._audit(session, who, action, item.id, version=latest.version, note=note)

    async def correct(self, who: Principal, item_id: int, body: CorrectIn) -> int:
        """A new version of a published item (the published one stays until it is approved)."""
        async with self.ctx.sessions.begin() as session:
            item, latest = await self._latest(session, item_id)
            access.require_drafter(who, self.ctx.grids.index, item.grid_id)
            if latest.state != "published":
                raise Conflict("party.not_published", "only the published version is corrected")
            version = self._version(item.id, latest.version + 1, who, body.title, body.body)
            version.correction_reason = body.reason
            session.add(version)
            await session.flush()
            await self._copy_files(session, latest.id, version.id)
            self._audit(
                session,
                who,
                "party.disclosure.corrected",
                item.id,
                version=version.version,
                reason=body.reason,
            )
            return version.version

    async def attach(self, who: Principal, item_id: int, upload: Upload) -> int:
        async with self.ctx.sessions.begin() as session:
            item, latest = await self._latest(session, item_id)
            access.require_drafter(who, self.ctx.grids.index, item.grid_id)
            self._require_editable(latest)
            count = await session.scalar(
                select(func.count()).where(Attachment.version_id == latest.id)
            )
            if (count or 0) >= MAX_ATTACHMENTS:
                raise InvalidInput("party.too_many_files", f"at most {MAX_ATTACHMENTS} files")
            row = Attachment(
                version_id=latest.id,
                name=upload.name,
                size=len(upload.data),
                content_type=upload.content_type,
                data=upload.data,
                sha256=hashlib.sha256(upload.data).hexdigest(),
                table_json=table_json(upload.table),
            )
            session.add(row)
            await session.flush()
            self._audit(
                session,
                who,
                "party.disclosure.attached",
                item.id,
                version=latest.version,
                file=upload.name,
                sha256=row.sha256,
            )
            return row.id

    async def answer(self, who: Principal, question_id: int, body: AnswerIn) -> None:
        async with self.ctx.sessions.begin() as session:
            question = await session.get(Question, question_id)
            item = (
                None if question is None else await session.get(Disclosure, question.disclosure_id)
            )
            if question is None or item is None:
                raise NotFound("party.question_not_found", f"no question {question_id}")
            access.require_drafter(who, self.ctx.grids.index, item.grid_id)
            if question.answer is not None:
                raise Conflict("party.already_answered", "the question has its public answer")
            question.answer, question.answered_by = body.answer, who.person_id
            question.answered_at = utcnow()
            self._audit(session, who, "party.question.answered", item.id, question=question.id)

    async def _latest(
        self, session: AsyncSession, item_id: int
    ) -> tuple[Disclosure, DisclosureVersion]:
        item = await session.get(Disclosure, item_id)
        if item is None:
            raise NotFound("party.disclosure_not_found", f"no disclosure {item_id}")
        latest = await session.scalar(
            select(DisclosureVersion)
            .where(DisclosureVersion.disclosure_id == item_id)
            .order_by(DisclosureVersion.version.desc())
            .limit(1)
        )
        assert latest is not None
        return item, latest

    @staticmethod
    def _require_editable(latest: DisclosureVersion) -> None:
        if latest.state not in EDITABLE:
            raise Conflict(
                "party.version_locked",
                f"version {latest.version} is {latest.state}: publish a correction instead",
            )

    @staticmethod
    async def _move(
        session: AsyncSession, version: DisclosureVersion, states: tuple[str, ...], **values: Any
    ) -> None:
        """Write the version only while it is still in one of `states` (else 409)."""
        moved = await session.execute(
            update(DisclosureVersion)
            .where(DisclosureVersion.id == version.id, DisclosureVersion.state.in_(states))
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("party.version_locked", "the version changed meanwhile; reload it")

    @staticmethod
    def _version(
        item_id: int, number: int, who: Principal, title: str, body: str
    ) -> DisclosureVersion:
        return DisclosureVersion(
            disclosure_id=item_id,
            version=number,
            state="draft",
            title=title,
            body=body,
            author_id=who.person_id,
        )

    @staticmethod
    async def _copy_files(session: AsyncSession, source_id: int, target_id: int) -> None:
        rows = await session.scalars(select(Attachment).where(Attachment.version_id == source_id))
        for row in rows:
            session.add(
                Attachment(
                    version_id=target_id,
                    name=row.name,
                    size=row.size,
                    content_type=row.content_type,
                    data=row.data,
                    sha256=row.sha256,
                    table_json=row.table_json,
                )
            )

    def _audit(
        self, session: AsyncSession, who: Principal, action: str, item_id: int, **details: Any
    ) -> None:
        self.ctx.audit.record(session, Actor.of(who), action, "party_disclosure", item_id, details)
