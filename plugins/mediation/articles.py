"""普法 articles: legal education for the residents of a grid. Staff of the grid (mediators,
legal advisers, command roles) draft, publish and withdraw them; a published article shows on
the residents' page of every village in its grid's subtree (a town's article in all its
villages) and in the field app of the people of those grids. Plain text throughout: pages show
it as text, never as HTML."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    Actor,
    Conflict,
    GridIndex,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    require_scope,
    utcnow,
)
from plugins.mediation import access
from plugins.mediation.models import Article
from plugins.mediation.views import grid_name

LIMIT = 100
FLOW = {"publish": ({"draft", "withdrawn"}, "published"), "withdraw": ({"published"}, "withdrawn")}


class Articles:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    @property
    def index(self) -> GridIndex:
        return self.ctx.grids.index

    def view(self, row: Article, staff: bool = True) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": row.id,
            "grid_id": row.grid_id,
            "grid_name": grid_name(self.index, row.grid_id),
            "title": row.title,
            "body": row.body,
            "published_at": row.published_at.timestamp() if row.published_at else None,
        }
        if staff:
            shown |= {
                "state": row.state,
                "author_name": row.author_name,
                "updated_at": row.updated_at.timestamp(),
                "version": row.version,
            }
        return shown

    # --- reading ------------------------------------------------------------------------------

    async def listed(self, who: Principal, state: str | None) -> list[dict[str, Any]]:
        """Staff: the articles of their grids' subtrees, any state."""
        stmt = select(Article).order_by(Article.updated_at.desc(), Article.id.desc()).limit(LIMIT)
        if not who.is_admin:
            stmt = stmt.where(Article.grid_id.in_(self.index.scope_ids(self._roots(who))))
        if state:
            stmt = stmt.where(Article.state == state)
        async with self.ctx.sessions() as session:
            return [self.view(r) for r in await session.scalars(stmt)]

    async def feed(self, who: Principal) -> list[dict[str, Any]]:
        """The field app: published articles aimed at the caller's grids (from them or above)."""
        roots = [g for g in who.grid_ids() if g in self.index]
        grids = {g for root in roots for g in self.index.covering_ids(root)}
        grids |= self.index.scope_ids(roots)
        return await self._published(grids)

    async def for_village(self, village_id: int) -> list[dict[str, Any]]:
        """The residents' page: published articles of the village, its town and county."""
        if village_id not in self.index or self.index.get(village_id).level != "village":
            raise InvalidInput("mediation.village_unknown", "choose a village")
        rows = await self._published(set(self.index.covering_ids(village_id)))
        return [{k: v for k, v in r.items() if k != "grid_id"} for r in rows]

    async def _published(self, grids: set[int]) -> list[dict[str, Any]]:
        stmt = (
            select(Article)
            .where(Article.state == "published", Article.grid_id.in_(grids))
            .order_by(Article.published_at.desc(), Article.id.desc())
            .limit(LIMIT)
        )
        async with self.ctx.sessions() as session:
            return [self.view(r, staff=False) for r in await session.scalars(stmt)]

    def _roots(self, who: Principal) -> list[int]:
        return [g for g in who.grid_ids(access.ARTICLE_ROLES) if g in self.index]

    # --- writing ------------------------------------------------------------------------------

    async def draft(self, who: Principal, grid_id: int, title: str, body: str) -> dict[str, Any]:
        require_scope(who, self.index, grid_id, access.ARTICLE_ROLES)
        now = utcnow()
        async with self.ctx.sessions.begin() as session:
            row = Article(
                grid_id=grid_id,
                title=title,
                body=body,
                state="draft",
                created_by=who.person_id,
                author_name=who.display_name or who.username,
                created_at=now,
                updated_at=now,
                version=1,
            )
            session.add(row)
            await session.flush()
            self._audit(session, who, "draft", row)
            return self.view(row)

    async def edit(self, who: Principal, article_id: int, version: int, **fields: Any) -> Any:
        """A draft's grid, title or body (a published article is withdrawn first)."""
        changed = {k: v for k, v in fields.items() if v is not None}
        if "grid_id" in changed:
            require_scope(who, self.index, changed["grid_id"], access.ARTICLE_ROLES)
        async with self.ctx.sessions.begin() as session:
            row = await self._for_change(session, who, article_id, version)
            if row.state == "published":
                raise Conflict("mediation.article_published", "withdraw the article to edit it")
            for name, value in changed.items():
                setattr(row, name, value)
            self._touch(row)
            self._audit(session, who, "edit", row, {"fields": sorted(changed)})
            return self.view(row)

    async def move(self, who: Principal, article_id: int, version: int, verb: str) -> Any:
        """publish or withdraw."""
        states, to = FLOW[verb]
        async with self.ctx.sessions.begin() as session:
            row = await self._for_change(session, who, article_id, version)
            if row.state not in states:
                raise Conflict("mediation.article_state", f"the article is {row.state}")
            row.state = to
            if to == "published":
                row.published_at = utcnow()
            self._touch(row)
            self._audit(session, who, verb, row)
            return self.view(row)

    async def _for_change(
        self, session: AsyncSession, who: Principal, article_id: int, version: int
    ) -> Article:
        row = await session.get(Article, article_id)
        if row is None or not (
            who.is_admin or row.grid_id in self.index.scope_ids(self._roots(who))
        ):
            raise NotFound("mediation.article_not_found", f"no article {article_id} in your scope")
        if row.version != version:
            raise Conflict(
                "mediation.version_conflict",
                f"article {row.id} changed (version {row.version}, you had {version})",
            )
        return row

    @staticmethod
    def _touch(row: Article) -> None:
        row.version += 1
        row.updated_at = utcnow()

    def _audit(
        self,
        session: AsyncSession,
        who: Principal,
        verb: str,
        row: Article,
        extra: dict[str, Any] | None = None,
    ) -> None:
        details = {"title": row.title, "grid_id": row.grid_id, "state": row.state, **(extra or {})}
        self.ctx.audit.record(
            session,
            Actor.of(who),
            f"mediation.article.{verb}",
            "mediation_article",
            row.id,
            details,
        )
