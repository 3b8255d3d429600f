"""Legal questions from residents (法律咨询): asked on the residents' page without an account,
followed by a tracking code, answered by the village's legal adviser within the SLA (a durable
timer marks it overdue and tells the adviser and the town centre), then rated by the resident.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from hub.sdk import (
    SYSTEM,
    Actor,
    Conflict,
    DbId,
    DueTimer,
    GridIndex,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    require_scope,
    utcnow,
)
from plugins.mediation import access
from plugins.mediation.config import MediationConfig
from plugins.mediation.levels import town_of
from plugins.mediation.limits import check_limit, client_hash, new_code
from plugins.mediation.models import Question

DUE_KIND = "question_due"
CODE = r"^[A-Z2-9]{10}$"
Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionIn(Strict):
    village_id: DbId
    text: Words
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    phone: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\- ]{0,20}$")
    ] = ""


class AnswerIn(Strict):
    version: int = Field(ge=1, le=2**31 - 1)
    answer: Words


class RatingIn(Strict):
    rating: int = Field(ge=1, le=5)
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class QuestionsQuery(Strict):
    grid_id: DbId | None = None
    state: Annotated[str, StringConstraints(pattern=r"^(open|answered)$")] | None = None
    limit: int = Field(100, ge=1, le=500)


def public_view(row: Question) -> dict[str, Any]:
    """What the tracking code shows: no name, no phone."""
    return {
        "code": row.code,
        "text": row.text,
        "state": row.state,
        "answer": row.answer,
        "answered_at": row.answered_at.timestamp() if row.answered_at else None,
        "rating": row.rating,
        "created_at": row.created_at.timestamp(),
        "due_at": row.due_at.timestamp(),
    }


def staff_view(row: Question, index: GridIndex) -> dict[str, Any]:
    return {
        **public_view(row),
        "id": row.id,
        "grid_id": row.grid_id,
        "grid_name": index.get(row.grid_id).name if row.grid_id in index else None,
        "asker_name": row.asker_name,
        "answered_by_name": row.answered_by_name,
        "overdue": row.overdue,
        "rating_note": row.rating_note,
        "version": row.version,
    }


class Questions:
    def __init__(self, ctx: PluginContext, config: MediationConfig) -> None:
        self.ctx = ctx
        self.config = config

    @property
    def index(self) -> GridIndex:
        return self.ctx.grids.index

    def villages(self) -> list[dict[str, Any]]:
        nodes = [n for n in self.index if n.level == "village" and not n.is_overlay]
        return [
            {
                "id": n.id,
                "name": n.name,
                "town": self.index.get(n.parent_id).name
                if n.parent_id in self.index and n.parent_id
                else "",
            }
            for n in sorted(nodes, key=lambda n: n.path)
        ]

    async def ask(self, body: QuestionIn, address: str) -> dict[str, Any]:
        if body.village_id not in self.index or self.index.get(body.village_id).level != "village":
            raise InvalidInput("mediation.village_unknown", "choose a village")
        client = client_hash(address)
        now = utcnow()
        async with self.ctx.sessions.begin() as session:
            await check_limit(session, client, self.config.questions_per_hour)
            row = Question(
                code=new_code(),
                grid_id=body.village_id,
                text=body.text,
                asker_name=body.name,
                asker_phone=self.ctx.personal.seal(body.phone),
                client_hash=client,
                state="open",
                overdue=False,
                rating_note="",
                created_at=now,
                due_at=now + timedelta(seconds=self.config.question_sla_s),
                version=1,
            )
            session.add(row)
            await session.flush()
            self.ctx.audit.record(
                session, Actor("resident"), "mediation.question.asked", "mediation_question", row.id
            )
            result = public_view(row)
            staff = staff_view(row, self.index)
        await self.ctx.timers.schedule(
            DUE_KIND, f"{DUE_KIND}:{staff['id']}", row.due_at.timestamp(), {"id": staff["id"]}
        )
        await self._push(staff, "asked")
        return result

    async def track(self, code: str) -> dict[str, Any]:
        async with self.ctx.sessions() as session:
            return public_view(await self._by_code(session, code))

    async def _by_code(self, session: Any, code: str) -> Question:
        row: Question | None = await session.scalar(select(Question).where(Question.code == code))
        if row is None:
            raise NotFound("mediation.question_not_found", "no question with this code")
        return row

    async def rate(self, code: str, body: RatingIn) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            row = await self._by_code(session, code)
            if row.state != "answered" or row.rating is not None:
                raise Conflict(
                    "mediation.not_ratable", "only an answered, unrated question can be rated"
                )
            row.rating, row.rating_note = body.rating, body.note
            row.version += 1
            self.ctx.audit.record(
                session,
                Actor("resident"),
                "mediation.question.rated",
                "mediation_question",
                row.id,
                {"rating": body.rating},
            )
            result = public_view(row)
            staff = staff_view(row, self.index)
        await self._push(staff, "rated")
        return result

    async def listed(self, who: Principal, query: QuestionsQuery) -> list[dict[str, Any]]:
        if query.grid_id is not None:
            require_scope(who, self.index, query.grid_id, access.LEGAL_READERS)
            grids: set[int] | None = self.index.scope_ids([query.grid_id])
        else:
            grids = (
                None if who.is_admin else self.index.scope_ids(who.grid_ids(access.LEGAL_READERS))
            )
        stmt = select(Question).order_by(Question.id.desc()).limit(query.limit)
        if grids is not None:
            stmt = stmt.where(Question.grid_id.in_(grids))
        if query.state:
            stmt = stmt.where(Question.state == query.state)
        async with self.ctx.sessions() as session:
            return [staff_view(row, self.index) for row in await session.scalars(stmt)]

    async def answer(self, who: Principal, question_id: int, body: AnswerIn) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            row = await session.get(Question, question_id)
            if row is None or not (
                who.is_admin or access.may_read_question(who, self.index, row.grid_id)
            ):
                raise NotFound(
                    "mediation.question_not_found", f"no question {question_id} in your scope"
                )
            access.require_adviser(who, self.index, row.grid_id)
            if row.version != body.version:
                raise Conflict("mediation.version_conflict", "the question changed; reload it")
            if row.state != "open":
                raise Conflict("mediation.already_answered", "the question was answered")
            row.state, row.answer, row.answered_at = "answered", body.answer, utcnow()
            row.answered_by, row.answered_by_name = who.person_id, who.display_name
            row.version += 1
            self.ctx.audit.record(
                session, Actor.of(who), "mediation.question.answered", "mediation_question", row.id
            )
            result = staff_view(row, self.index)
        await self.ctx.timers.cancel(f"{DUE_KIND}:{question_id}")
        await self._push(result, "answered")
        return result

    async def on_due(self, payload: dict[str, Any], timer: DueTimer) -> None:
        async with self.ctx.sessions.begin() as session:
            row = await session.get(Question, int(payload["id"]))
            if row is None or row.state != "open" or row.overdue:
                return
            row.overdue = True
            self.ctx.audit.record(
                session, SYSTEM, "mediation.question.overdue", "mediation_question", row.id
            )
            result = staff_view(row, self.index)
        await self._push(result, "overdue")

    async def _push(self, question: dict[str, Any], action: str) -> None:
        """To the legal advisers over the village, and (overdue) the town's command centre."""
        grid_id = question["grid_id"]
        covering = set(self.index.covering_ids(grid_id)) if grid_id in self.index else set()
        people = await self.ctx.directory.holding_roles_in(covering)
        advisers = sorted(
            p.id
            for p in people
            if any(r["role"] == access.LEGAL_ADVISER and r["grid_id"] in covering for r in p.roles)
        )
        rooms = [self.ctx.realtime.user_room(pid) for pid in advisers]
        if action == "overdue":
            rooms += self.ctx.realtime.command_rooms([town_of(self.index, grid_id)])
        if rooms:
            await self.ctx.realtime.emit(
                "question", {"action": action, "question": question}, rooms
            )
