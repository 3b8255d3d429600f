"""Routes of the 普法 articles (articles.py): staff drafting and publishing, the field app's
feed and the residents' page (no sign-in)."""

from __future__ import annotations

from typing import Any

from hub.sdk import Call, PluginContext
from plugins.mediation import access
from plugins.mediation.articles import Articles
from plugins.mediation.schemas import (
    ArticleIn,
    ArticlePatch,
    ArticlesQuery,
    PublicArticlesQuery,
    Versioned,
)

ONE = "/articles/{article_id}"


def install(ctx: PluginContext, articles: Articles) -> None:
    _staff(ctx, articles)
    _readers(ctx, articles)


def _staff(ctx: PluginContext, articles: Articles) -> None:
    http = ctx.http

    @http.get(
        "/articles",
        summary="普法 articles of your grids, any state",
        query=ArticlesQuery,
        rule=access.ARTICLES,
    )
    async def listed(call: Call[None, ArticlesQuery]) -> dict[str, Any]:
        return {"articles": await articles.listed(call.who, call.query.state)}

    @http.post(
        "/articles",
        summary="Draft a 普法 article for a grid",
        body=ArticleIn,
        status=201,
        rule=access.ARTICLE_WRITE,
    )
    async def draft(call: Call[ArticleIn, None]) -> dict[str, Any]:
        b = call.body
        return await articles.draft(call.who, b.grid_id, b.title, b.body)

    @http.post(
        ONE,
        summary="Change a draft (or withdrawn) article",
        body=ArticlePatch,
        rule=access.ARTICLE_WRITE,
    )
    async def edit(call: Call[ArticlePatch, None]) -> dict[str, Any]:
        b = call.body
        fields = {"grid_id": b.grid_id, "title": b.title, "body": b.body}
        result: dict[str, Any] = await articles.edit(
            call.who, call.path_int("article_id"), b.version, **fields
        )
        return result

    for verb, summary in (
        ("publish", "Publish an article to its grid's residents and field app"),
        ("withdraw", "Withdraw a published article"),
    ):
        _move(ctx, articles, verb, summary)


def _move(ctx: PluginContext, articles: Articles, verb: str, summary: str) -> None:
    @ctx.http.post(f"{ONE}/{verb}", summary=summary, body=Versioned, rule=access.ARTICLE_WRITE)
    async def move(call: Call[Versioned, None]) -> dict[str, Any]:
        result: dict[str, Any] = await articles.move(
            call.who, call.path_int("article_id"), call.body.version, verb
        )
        return result


def _readers(ctx: PluginContext, articles: Articles) -> None:
    http = ctx.http

    @http.get(
        "/articles/feed",
        summary="Published 普法 articles for your grids (field app)",
        rule=access.ARTICLE_FEED,
    )
    async def feed(call: Call[None, None]) -> dict[str, Any]:
        return {"articles": await articles.feed(call.who)}

    @http.get(
        "/public/articles",
        summary="Published 普法 articles of a village (no sign-in)",
        query=PublicArticlesQuery,
        rule=access.PUBLIC_READ,
    )
    async def public(call: Call[None, PublicArticlesQuery]) -> dict[str, Any]:
        return {"articles": await articles.for_village(call.query.village_id)}
