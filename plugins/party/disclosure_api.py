"""HTTP routes of 三务公开: staff routes for the village and the town, public ones for residents."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from hub.sdk import Actor, Call, NotFound, PluginContext, RateLimit
from plugins.party import access
from plugins.party.attachments import file_response, read_upload
from plugins.party.disclosure import Disclosures
from plugins.party.models import Attachment, Disclosure, DisclosureVersion, Question
from plugins.party.schemas import (
    AnswerIn,
    CorrectIn,
    DraftIn,
    EditIn,
    ListQuery,
    PublicQuery,
    QuestionIn,
    ReviewIn,
    YearQuery,
)
from plugins.party.views import PUBLIC_STATES, DisclosureViews

ITEM = "/disclosures/{disclosure_id}"
FILES = (
    "application/pdf, image/*, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)


class Created(BaseModel):
    id: int


class StateOut(BaseModel):
    state: str
    version: int | None = None


class ItemsOut(BaseModel):
    items: list[dict[str, Any]] = Field(max_length=5000)


def install(
    ctx: PluginContext, writes: Disclosures, views: DisclosureViews, limit: RateLimit
) -> None:
    _staff_reads(ctx, views)
    _staff_writes(ctx, writes, views)
    _public(ctx, views, limit)


def _staff_reads(ctx: PluginContext, views: DisclosureViews) -> None:
    @ctx.http.get(
        "/disclosures",
        summary="Disclosures of the villages in your scope",
        query=ListQuery,
        response=ItemsOut,
        rule=access.READ,
    )
    async def listing(call: Call[None, ListQuery]) -> dict[str, Any]:
        return {"items": await views.listing(call.who, call.query)}

    @ctx.http.get(
        "/villages", summary="Villages you draft for", response=ItemsOut, rule=access.READ
    )
    async def villages(call: Call[None, None]) -> dict[str, Any]:
        return {"items": views.drafting_villages(call.who)}

    @ctx.http.get(
        ITEM, summary="One disclosure with every version, its files and questions", rule=access.READ
    )
    async def detail(call: Call[None, None]) -> dict[str, Any]:
        return await views.detail(call.who, call.path_int("disclosure_id"))

    @ctx.http.get(
        ITEM + "/files/{file_id}",
        summary="A file of a disclosure (staff)",
        produces=FILES,
        rule=access.READ,
    )
    async def staff_file(call: Call[None, None]) -> web.Response:
        item_id = call.path_int("disclosure_id")
        await views.detail(call.who, item_id)  # scope
        return await _file(ctx, item_id, call.path_int("file_id"), None)

    @ctx.http.get(
        "/calendar",
        summary="What is due per village, category and period of a year",
        query=YearQuery,
        response=ItemsOut,
        rule=access.READ,
    )
    async def calendar(call: Call[None, YearQuery]) -> dict[str, Any]:
        return {"items": await views.calendar(call.who, call.query)}

    @ctx.http.get(
        "/overdue",
        summary="Periods past their due day with nothing published",
        query=YearQuery,
        response=ItemsOut,
        rule=access.READ,
    )
    async def overdue(call: Call[None, YearQuery]) -> dict[str, Any]:
        rows = await views.calendar(call.who, call.query)
        return {"items": [r for r in rows if r["status"] == "overdue"]}


def _staff_writes(ctx: PluginContext, writes: Disclosures, views: DisclosureViews) -> None:
    @ctx.http.post(
        "/disclosures",
        summary="Draft a disclosure for a village and period",
        body=DraftIn,
        response=Created,
        status=201,
        rule=access.DRAFT,
    )
    async def draft(call: Call[DraftIn, None]) -> dict[str, Any]:
        return {"id": await writes.draft(call.who, call.body)}

    @ctx.http.post(
        ITEM + "/edit",
        summary="Edit the draft (or returned) version",
        body=EditIn,
        response=StateOut,
        rule=access.DRAFT,
    )
    async def edit(call: Call[EditIn, None]) -> dict[str, Any]:
        await writes.edit(call.who, call.path_int("disclosure_id"), call.body)
        return {"state": "draft"}

    @ctx.http.post(
        ITEM + "/submit",
        summary="Send the draft to the town for review",
        response=StateOut,
        rule=access.DRAFT,
    )
    async def submit(call: Call[None, None]) -> dict[str, Any]:
        await writes.submit(call.who, call.path_int("disclosure_id"))
        return {"state": "submitted"}

    @ctx.http.post(
        ITEM + "/review",
        summary="Approve (publish) or return a submitted version",
        body=ReviewIn,
        response=StateOut,
        rule=access.REVIEW,
    )
    async def review(call: Call[ReviewIn, None]) -> dict[str, Any]:
        return {"state": await writes.review(call.who, call.path_int("disclosure_id"), call.body)}

    @ctx.http.post(
        ITEM + "/corrections",
        summary="Correct a published item: a new version",
        body=CorrectIn,
        response=StateOut,
        status=201,
        rule=access.DRAFT,
    )
    async def correct(call: Call[CorrectIn, None]) -> dict[str, Any]:
        version = await writes.correct(call.who, call.path_int("disclosure_id"), call.body)
        return {"state": "draft", "version": version}

    @ctx.http.post(
        ITEM + "/files",
        summary="Attach a PDF, image or XLSX (part `file`)",
        response=Created,
        status=201,
        raw_body="multipart/form-data",
        rule=access.DRAFT,
    )
    async def attach(call: Call[None, None]) -> dict[str, Any]:
        item_id = call.path_int("disclosure_id")
        await views.detail(call.who, item_id)  # scope before reading the upload
        return {"id": await writes.attach(call.who, item_id, await read_upload(call.request))}

    @ctx.http.post(
        "/questions/{question_id}/answer",
        summary="Answer a resident's question",
        body=AnswerIn,
        response=StateOut,
        rule=access.ANSWER,
    )
    async def answer(call: Call[AnswerIn, None]) -> dict[str, Any]:
        await writes.answer(call.who, call.path_int("question_id"), call.body)
        return {"state": "answered"}


def _public(ctx: PluginContext, views: DisclosureViews, limit: RateLimit) -> None:
    @ctx.http.get(
        "/public/villages",
        summary="Villages with published disclosures",
        response=ItemsOut,
        rule=access.PUBLIC_READ,
    )
    async def villages(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await views.public_villages()}

    @ctx.http.get(
        "/public/disclosures",
        summary="A village's published disclosures",
        query=PublicQuery,
        rule=access.PUBLIC_READ,
    )
    async def listing(call: Call[None, PublicQuery]) -> dict[str, Any]:
        return await views.public_list(call.query)

    @ctx.http.get(
        "/public" + ITEM,
        summary="A published disclosure, its history and answers",
        rule=access.PUBLIC_READ,
    )
    async def item(call: Call[None, None]) -> dict[str, Any]:
        return await views.public_item(call.path_int("disclosure_id"))

    @ctx.http.get(
        "/public" + ITEM + "/files/{file_id}",
        summary="A file of a published version",
        produces=FILES,
        rule=access.PUBLIC_READ,
    )
    async def public_file(call: Call[None, None]) -> web.Response:
        return await _file(
            ctx, call.path_int("disclosure_id"), call.path_int("file_id"), PUBLIC_STATES
        )

    @ctx.http.post(
        "/public" + ITEM + "/questions",
        summary="Ask about a published item",
        body=QuestionIn,
        response=Created,
        status=201,
        rule=access.PUBLIC_ASK,
    )
    async def ask(call: Call[QuestionIn, None]) -> dict[str, Any]:
        item_id = call.path_int("disclosure_id")
        await views.public_item(item_id)  # published, or 404 before counting
        await ctx.rate_limits.check(call.request, limit, "party.rate_limited")
        return {"id": await _ask(ctx, item_id, call.body.text)}


async def _ask(ctx: PluginContext, item_id: int, text: str) -> int:
    async with ctx.sessions.begin() as session:
        question = Question(disclosure_id=item_id, text=text)
        session.add(question)
        await session.flush()
        ctx.audit.record(
            session,
            Actor("public"),  # a resident without an account
            "party.question.asked",
            "party_disclosure",
            item_id,
            {"question": question.id},
        )
        return question.id


async def _file(
    ctx: PluginContext, item_id: int, file_id: int, states: tuple[str, ...] | None
) -> web.Response:
    async with ctx.sessions() as session:
        found = await session.execute(
            select(Attachment, DisclosureVersion.state)
            .join(DisclosureVersion, DisclosureVersion.id == Attachment.version_id)
            .join(Disclosure, Disclosure.id == DisclosureVersion.disclosure_id)
            .where(Attachment.id == file_id, Disclosure.id == item_id)
        )
        row = found.first()
    if row is None or (states is not None and row[1] not in states):
        raise NotFound("party.file_not_found", f"no file {file_id} on disclosure {item_id}")
    return file_response(row[0].content_type, row[0].data, row[0].name)
