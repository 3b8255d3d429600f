"""邻里生活: residents' posts with photos and comments, moderated by the village.

Residents post to their own village's feed and see its visible posts; the village's officers
see everything, hide and restore posts and comments (audited, with a reason). A resident may
report a post once (primary key post, person); an officer may turn a reported post into a
dispatch incident (IncidentRequested, ref "post:<id>": one incident per post, ever).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.sdk import (
    SNIFF_BYTES,
    Actor,
    Conflict,
    DbId,
    Forbidden,
    HubError,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    RateLimit,
    RateLimited,
    in_scope,
    sniff,
    utcnow,
)
from plugins.dispatch.messages import IncidentChanged, IncidentRequested
from plugins.participation.access import OFFICERS, POST
from plugins.participation.models import Comment, Post, PostPhoto, PostReport
from plugins.participation.points import Points, resident_villages

# Per resident (not per address: villagers share a phone network's few addresses), in windows
# counted in the database so two nodes share them (ctx.rate_limits).
POST_LIMIT = RateLimit("feed_posts", 6, 3600)
COMMENT_LIMIT = RateLimit("feed_comments", 30, 3600)

SOURCE = "participation.feed"
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
MAX_PHOTO_BYTES = 700 * 1024  # a base64 photo must fit one JSON string (1 MiB)
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"


class PostIn(BaseModel):
    grid_id: DbId
    text: str = Field(min_length=1, max_length=1000, pattern=TEXT)
    photos: list[str] = Field(default_factory=list, max_length=4)


class PostCommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=500, pattern=TEXT)


class ReportIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200, pattern=TEXT)


class ModerationIn(BaseModel):
    action: Literal["hide", "restore"]
    reason: str = Field(min_length=1, max_length=200)


class IncidentIn(BaseModel):
    category: str = Field(default="other", pattern=r"^[a-z][a-z0-9_]{1,63}$")


def decode_photo(encoded: str) -> tuple[str, bytes]:
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):  # ValueError: not ASCII
        raise InvalidInput("participation.photo_form", "a photo is not base64") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise HubError("participation.photo_too_large", "a photo may be at most 700 KB", status=413)
    kind = sniff(data[:SNIFF_BYTES])
    if kind not in PHOTO_TYPES:
        raise HubError(
            "participation.photo_type", "photos are JPEG, PNG or WebP images", status=415
        )
    return kind, data


class Feed:
    def __init__(self, ctx: PluginContext, points: Points) -> None:
        self.ctx = ctx
        self.points = points

    async def subscribe(self) -> None:
        unsubscribe = await self.ctx.bus.subscribe(
            IncidentChanged, self.followed, group="participation.feed"
        )
        self.ctx.on_cleanup(unsubscribe)

    async def followed(self, change: IncidentChanged) -> None:
        """A reported post keeps its incident's number (idempotent)."""
        ref = change.source_ref or ""
        if change.source != SOURCE or not ref.startswith("post:"):
            return
        async with self.ctx.sessions.begin() as session:
            await session.execute(
                update(Post)
                .where(Post.id == int(ref.split(":", 1)[1]))
                .values(incident_number=change.number)
            )

    def _officer(self, who: Principal, grid_id: int) -> bool:
        return in_scope(who, self.points.index, grid_id, OFFICERS)

    async def publish(self, who: Principal, body: PostIn) -> dict[str, Any]:
        if body.grid_id not in resident_villages(who, self.points.index):
            raise Forbidden("scope.forbidden", "residents post to their own village")
        photos = [decode_photo(p) for p in body.photos]  # all checked before anything is stored
        await self._spend(who, POST_LIMIT)
        async with self.ctx.sessions.begin() as session:
            post = Post(
                grid_id=body.grid_id,
                author_id=who.person_id,
                author_name=who.display_name,
                text=body.text,
                state="visible",
                reports=0,
                created_at=utcnow(),
            )
            session.add(post)
            await session.flush()
            session.add_all(
                PostPhoto(post_id=post.id, content_type=kind, data=data) for kind, data in photos
            )
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.post.published",
                POST,
                post.id,
                {"photos": len(photos)},
            )
        view = (await self._views([post], officer=False))[0]
        # Live to the consoles of the commands covering the village (after the commit).
        rooms = self.ctx.realtime.command_rooms([post.grid_id])
        if rooms:
            await self.ctx.realtime.emit("post_published", view, rooms)
        return view

    async def _spend(self, who: Principal, limit: RateLimit) -> None:
        retry_after = await self.ctx.rate_limits.hit(limit, f"person:{who.person_id}")
        if retry_after is not None:
            raise RateLimited("participation.feed_rate_limited", retry_after)

    async def listed(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        stmt = select(Post).order_by(Post.id.desc()).limit(100)
        posts = await self.points.visible_rows(who, stmt, Post, grid_id)
        officer = {p.id for p in posts if self._officer(who, p.grid_id)}
        shown = [p for p in posts if p.id in officer or p.state == "visible"]
        return [v for p in shown for v in await self._views([p], officer=p.id in officer)]

    async def _views(self, posts: list[Post], *, officer: bool) -> list[dict[str, Any]]:
        ids = [p.id for p in posts]
        async with self.ctx.sessions() as session:
            photos = (
                await session.execute(
                    select(PostPhoto.post_id, PostPhoto.id)
                    .where(PostPhoto.post_id.in_(ids))
                    .order_by(PostPhoto.id)
                )
            ).all()
            comments = list(
                await session.scalars(
                    select(Comment).where(Comment.post_id.in_(ids)).order_by(Comment.id)
                )
            )
        return [
            {
                "id": p.id,
                "grid_id": p.grid_id,
                "author": p.author_name,
                "text": p.text,
                "state": p.state,
                "created_at": p.created_at.isoformat(),
                "photos": [pid for post_id, pid in photos if post_id == p.id],
                "comments": [
                    {
                        "id": c.id,
                        "author": c.author_name,
                        "text": c.text,
                        "state": c.state,
                        "created_at": c.created_at.isoformat(),
                    }
                    for c in comments
                    if c.post_id == p.id and (officer or c.state == "visible")
                ],
                **({"reports": p.reports, "incident_number": p.incident_number} if officer else {}),
            }
            for p in posts
        ]

    async def _post_for(self, who: Principal, post_id: int) -> Post:
        """The post if the caller may see it (officers: in scope; residents: visible, own
        village)."""
        async with self.ctx.sessions() as session:
            post = await session.get(Post, post_id)
        if post is None:
            raise NotFound("participation.post_not_found", f"no post {post_id}")
        if self._officer(who, post.grid_id):
            return post
        if post.grid_id not in resident_villages(who, self.points.index):
            raise Forbidden("scope.forbidden", "the post is another village's")
        if post.state != "visible":
            raise NotFound("participation.post_not_found", f"no post {post_id}")
        return post

    async def photo(self, who: Principal, photo_id: int) -> web.Response:
        async with self.ctx.sessions() as session:
            photo = await session.get(PostPhoto, photo_id)
        if photo is None:
            raise NotFound("participation.photo_not_found", f"no photo {photo_id}")
        await self._post_for(who, photo.post_id)
        return web.Response(
            body=photo.data,
            content_type=photo.content_type,
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    async def comment(self, who: Principal, post_id: int, body: PostCommentIn) -> dict[str, Any]:
        post = await self._post_for(who, post_id)
        if post.grid_id not in resident_villages(who, self.points.index):
            raise Forbidden("scope.forbidden", "residents comment in their own village")
        await self._spend(who, COMMENT_LIMIT)
        async with self.ctx.sessions.begin() as session:
            comment = Comment(
                post_id=post.id,
                author_id=who.person_id,
                author_name=who.display_name,
                text=body.text,
                state="visible",
                created_at=utcnow(),
            )
            session.add(comment)
            await session.flush()
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.comment.published",
                POST,
                post.id,
                {"comment_id": comment.id},
            )
            return {"id": comment.id, "post_id": post.id, "text": comment.text}

    async def report(self, who: Principal, post_id: int, body: ReportIn) -> dict[str, Any]:
        post = await self._post_for(who, post_id)
        try:
            async with self.ctx.sessions.begin() as session:
                await session.execute(
                    insert(PostReport).values(
                        post_id=post.id,
                        person_id=who.person_id,
                        reason=body.reason,
                        created_at=utcnow(),
                    )
                )
                await session.execute(
                    update(Post).where(Post.id == post.id).values(reports=Post.reports + 1)
                )
                self.ctx.audit.record(
                    session,
                    Actor.of(who),
                    "participation.post.reported",
                    POST,
                    post.id,
                    {"reason": body.reason},
                )
        except IntegrityError:
            raise Conflict("participation.already_reported", "you reported this post") from None
        return {"post_id": post.id, "reported": True}

    async def moderate(
        self, who: Principal, post_id: int, body: ModerationIn, comment_id: int | None = None
    ) -> dict[str, Any]:
        post = await self._post_for(who, post_id)
        if not self._officer(who, post.grid_id):
            raise Forbidden("scope.forbidden", "the post is another village's")
        state = "hidden" if body.action == "hide" else "visible"
        table = Post if comment_id is None else Comment
        where = (
            [Post.id == post.id]
            if comment_id is None
            else [Comment.id == comment_id, Comment.post_id == post.id]
        )
        async with self.ctx.sessions.begin() as session:
            changed = await session.execute(
                update(table).where(*where).values(state=state).returning(table.id)
            )
            if changed.first() is None:
                raise NotFound("participation.comment_not_found", f"no comment {comment_id}")
            self.ctx.audit.record(
                session,
                Actor.of(who),
                f"participation.post.{body.action}",
                POST,
                post.id,
                {"reason": body.reason, "comment_id": comment_id},
            )
        return {"post_id": post.id, "comment_id": comment_id, "state": state}

    async def to_incident(self, who: Principal, post_id: int, body: IncidentIn) -> dict[str, Any]:
        post = await self._post_for(who, post_id)
        if not self._officer(who, post.grid_id):
            raise Forbidden("scope.forbidden", "the post is another village's")
        if not self.ctx.has_plugin("dispatch"):
            raise Conflict("participation.dispatch_unavailable", "dispatch is not enabled")
        if post.reports == 0:
            raise Conflict("participation.post_not_reported", "only a reported post")
        async with self.ctx.sessions.begin() as session:
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.post.incident",
                POST,
                post.id,
                {"category": body.category},
            )
        await self.ctx.bus.publish(
            IncidentRequested(
                source=SOURCE,
                source_ref=f"post:{post.id}",
                category=body.category,
                title=f"邻里反映 · {post.text[:30]}",
                description=post.text,
                grid_id=post.grid_id,
                reporter_id=who.person_id,
            )
        )
        return {"post_id": post.id, "requested": True}
