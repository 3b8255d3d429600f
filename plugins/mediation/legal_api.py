"""Routes of the legal questions (the residents' by tracking code, the staff's) and of the
residents' applications for mediation."""

from __future__ import annotations

from typing import Any

from hub.sdk import Call, PluginContext, client_address
from plugins.mediation import access
from plugins.mediation.legal import AnswerIn, QuestionIn, Questions, QuestionsQuery, RatingIn
from plugins.mediation.residents import ApplicationIn, ResidentCases

PUBLIC = "/public/questions"
BY_CODE = PUBLIC + "/{code:[A-Z2-9]{10}}"


def install(ctx: PluginContext, questions: Questions, residents: ResidentCases) -> None:
    http = ctx.http

    @http.post(
        "/public/cases",
        summary="Apply for mediation (answers a tracking code)",
        body=ApplicationIn,
        status=201,
        rule=access.PUBLIC_ASK,
    )
    async def apply(call: Call[ApplicationIn, None]) -> dict[str, Any]:
        return await residents.apply(call.body, client_address(call.request))

    @http.get(
        "/public/cases/{code:[A-Z2-9]{10}}",
        summary="An application's progress by its tracking code",
        rule=access.PUBLIC_TRACK,
    )
    async def progress(call: Call[None, None]) -> dict[str, Any]:
        return await residents.track(call.params["code"])

    @http.get("/public/villages", summary="Villages a resident may ask", rule=access.PUBLIC_ASK)
    async def villages(call: Call[None, None]) -> dict[str, Any]:
        return {"villages": questions.villages()}

    @http.post(
        PUBLIC,
        summary="Ask the village's legal adviser (answers a tracking code)",
        body=QuestionIn,
        status=201,
        rule=access.PUBLIC_ASK,
    )
    async def ask(call: Call[QuestionIn, None]) -> dict[str, Any]:
        return await questions.ask(call.body, client_address(call.request))

    @http.get(BY_CODE, summary="A question by its tracking code", rule=access.PUBLIC_TRACK)
    async def track(call: Call[None, None]) -> dict[str, Any]:
        return await questions.track(call.params["code"])

    @http.post(
        BY_CODE + "/rate", summary="Rate the answer (1-5)", body=RatingIn, rule=access.PUBLIC_TRACK
    )
    async def rate(call: Call[RatingIn, None]) -> dict[str, Any]:
        return await questions.rate(call.params["code"], call.body)

    @http.get(
        "/questions",
        summary="Legal questions of your grids",
        query=QuestionsQuery,
        rule=access.QUESTIONS,
    )
    async def listed(call: Call[None, QuestionsQuery]) -> dict[str, Any]:
        return {"questions": await questions.listed(call.who, call.query)}

    @http.post(
        "/questions/{question_id}/answer",
        summary="Answer a question (the village's legal adviser)",
        body=AnswerIn,
        rule=access.ANSWER,
    )
    async def answer(call: Call[AnswerIn, None]) -> dict[str, Any]:
        return await questions.answer(call.who, call.path_int("question_id"), call.body)
