"""Reading disclosures: staff lists in scope, one item with its history, the public page,
and the calendar of what is due (with the overdue periods the town console shows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from hub.sdk import NotFound, PluginContext, Principal
from plugins.party import access, periods
from plugins.party.attachments import table_of
from plugins.party.models import Attachment, Disclosure, DisclosureVersion, Question
from plugins.party.schemas import ListQuery, PublicQuery, YearQuery

PUBLIC_STATES = ("published", "superseded")


class DisclosureViews:
    def __init__(self, ctx: PluginContext, grace_days: int, zone: str) -> None:
        self.ctx = ctx
        self.grace_days = grace_days
        self.zone = zone

    def villages_in_scope(self, who: Principal) -> list[int]:
        index = self.ctx.grids.index
        roots = None if who.is_admin else who.grid_ids(access.DISCLOSURE_STAFF)
        nodes = index if roots is None else [index.get(i) for i in index.scope_ids(roots)]
        return sorted(n.id for n in nodes if n.level == "village" and not n.is_overlay)

    def drafting_villages(self, who: Principal) -> list[dict[str, Any]]:
        """The villages the caller may draft for (the draft editor's choices)."""
        index = self.ctx.grids.index
        ids = [v for v in self.villages_in_scope(who) if access.drafts_for(who, index, v)]
        return [{"id": i, "code": index.get(i).code, "name": index.get(i).name} for i in ids]

    async def listing(self, who: Principal, query: ListQuery) -> list[dict[str, Any]]:
        villages = set(self.villages_in_scope(who))
        if query.grid_id is not None:
            villages &= {query.grid_id}
        async with self.ctx.sessions() as session:
            stmt = select(Disclosure).where(Disclosure.grid_id.in_(villages))
            if query.period:
                stmt = stmt.where(Disclosure.period == query.period)
            items = list(await session.scalars(stmt.order_by(Disclosure.id.desc()).limit(500)))
            latest = await self._latest_versions(session, [i.id for i in items])
        out = [self._summary(who, item, latest[item.id]) for item in items]
        return [o for o in out if query.state is None or o["state"] == query.state]

    async def _latest_versions(self, session: Any, ids: list[int]) -> dict[int, Any]:
        rows = await session.scalars(
            select(DisclosureVersion)
            .where(DisclosureVersion.disclosure_id.in_(ids))
            .order_by(DisclosureVersion.version)
        )
        return {row.disclosure_id: row for row in rows}  # the last wins: the latest

    def _summary(
        self, who: Principal, item: Disclosure, latest: DisclosureVersion
    ) -> dict[str, Any]:
        index = self.ctx.grids.index
        return {
            "id": item.id,
            "grid_id": item.grid_id,
            "grid_name": index.get(item.grid_id).name,
            "category": item.category,
            "period": item.period,
            "title": latest.title,
            "state": latest.state,
            "version": latest.version,
            "published_version": item.published_version,
            "updated_at": latest.updated_at.timestamp(),
            "may_review": latest.state == "submitted"
            and access.reviews_for(who, index, item.grid_id)
            and latest.author_id != who.person_id,
            "may_edit": latest.state in ("draft", "returned")
            and access.drafts_for(who, index, item.grid_id),
        }

    async def detail(self, who: Principal, item_id: int) -> dict[str, Any]:
        item = await self._item(item_id)
        index = self.ctx.grids.index
        if not (
            access.drafts_for(who, index, item.grid_id)
            or access.reviews_for(who, index, item.grid_id)
        ):
            raise NotFound("party.disclosure_not_found", f"no disclosure {item_id}")
        return await self._full(item, None, who)

    async def public_item(self, item_id: int) -> dict[str, Any]:
        item = await self._item(item_id)
        if item.published_version is None:
            raise NotFound("party.disclosure_not_found", f"no disclosure {item_id}")
        return await self._full(item, PUBLIC_STATES, None)

    async def _item(self, item_id: int) -> Disclosure:
        async with self.ctx.sessions() as session:
            item = await session.get(Disclosure, item_id)
        if item is None:
            raise NotFound("party.disclosure_not_found", f"no disclosure {item_id}")
        return item

    async def _full(
        self, item: Disclosure, states: Iterable[str] | None, who: Principal | None
    ) -> dict[str, Any]:
        async with self.ctx.sessions() as session:
            stmt = select(DisclosureVersion).where(DisclosureVersion.disclosure_id == item.id)
            if states is not None:
                stmt = stmt.where(DisclosureVersion.state.in_(tuple(states)))
            versions = list(await session.scalars(stmt.order_by(DisclosureVersion.version.desc())))
            files = await self._files(session, [v.id for v in versions])
            asked = select(Question).where(Question.disclosure_id == item.id)
            if who is None:
                asked = asked.where(Question.answer.is_not(None))
            questions = list(await session.scalars(asked.order_by(Question.id)))
        index = self.ctx.grids.index
        return {
            "id": item.id,
            "grid_id": item.grid_id,
            "grid_name": index.get(item.grid_id).name,
            "category": item.category,
            "period": item.period,
            "published_version": item.published_version,
            "versions": [
                self._version(v, files.get(v.id, []), public=who is None) for v in versions
            ],
            "questions": [self._question(q) for q in questions],
        }

    @staticmethod
    async def _files(session: Any, version_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        rows = await session.scalars(
            select(Attachment)
            .options(defer(Attachment.data))
            .where(Attachment.version_id.in_(version_ids))
            .order_by(Attachment.id)
        )
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            out[row.version_id].append(
                {
                    "id": row.id,
                    "name": row.name,
                    "content_type": row.content_type,
                    "size": row.size,
                    "table": table_of(row.table_json),
                }
            )
        return out

    @staticmethod
    def _version(v: DisclosureVersion, files: list[dict[str, Any]], public: bool) -> dict[str, Any]:
        out = {
            "version": v.version,
            "state": v.state,
            "title": v.title,
            "body": v.body,
            "correction_reason": v.correction_reason,
            "files": files,
            "published_at": v.published_at.timestamp() if v.published_at else None,
        }
        if not public:
            out |= {"review_note": v.review_note, "updated_at": v.updated_at.timestamp()}
        return out

    @staticmethod
    def _question(q: Question) -> dict[str, Any]:
        return {
            "id": q.id,
            "text": q.text,
            "answer": q.answer,
            "asked_at": q.asked_at.timestamp(),
            "answered_at": q.answered_at.timestamp() if q.answered_at else None,
        }

    async def public_list(self, query: PublicQuery) -> dict[str, Any]:
        village = self.ctx.grids.index.find_code(query.grid)
        if village is None or village.level != "village" or village.is_overlay:
            raise NotFound("party.village_not_found", f"no village {query.grid!r}")
        async with self.ctx.sessions() as session:
            stmt = select(Disclosure).where(
                Disclosure.grid_id == village.id, Disclosure.published_version.is_not(None)
            )
            if query.period:
                stmt = stmt.where(Disclosure.period == query.period)
            items = list(await session.scalars(stmt.order_by(Disclosure.period.desc()).limit(200)))
            titles = await self._published_titles(session, items)
        return {
            "village": {"code": village.code, "name": village.name},
            "items": [
                {
                    "id": i.id,
                    "category": i.category,
                    "period": i.period,
                    "title": titles[i.id][0],
                    "version": i.published_version,
                    "published_at": titles[i.id][1],
                }
                for i in items
            ],
        }

    @staticmethod
    async def _published_titles(
        session: Any, items: list[Disclosure]
    ) -> dict[int, tuple[str, float]]:
        rows = await session.execute(
            select(
                DisclosureVersion.disclosure_id,
                DisclosureVersion.title,
                DisclosureVersion.published_at,
            ).where(
                DisclosureVersion.disclosure_id.in_([i.id for i in items]),
                DisclosureVersion.state == "published",
            )
        )
        return {row[0]: (row[1], row[2].timestamp()) for row in rows}

    async def public_villages(self) -> list[dict[str, Any]]:
        async with self.ctx.sessions() as session:
            ids = set(
                await session.scalars(
                    select(Disclosure.grid_id)
                    .where(Disclosure.published_version.is_not(None))
                    .distinct()
                )
            )
        index = self.ctx.grids.index
        found = [index.get(i) for i in ids if i in index]
        return [{"code": n.code, "name": n.name} for n in sorted(found, key=lambda n: n.code)]

    async def calendar(self, who: Principal, query: YearQuery) -> list[dict[str, Any]]:
        """Every (village, category, period) of the year in scope with its status."""
        villages = self.villages_in_scope(who)
        if query.grid_id is not None:
            villages = [v for v in villages if v == query.grid_id]
        states = await self._period_states(villages, query.year)
        today = periods.today(self.zone)
        index = self.ctx.grids.index
        out = []
        for village in villages:
            for category in periods.CATEGORIES:
                for p in periods.periods_of(category, query.year):
                    if p.start > today:
                        continue
                    state = states.get((village, category, p.code))
                    due = p.due(self.grace_days)
                    status = (
                        "published"
                        if state == "published"
                        else ("overdue" if due < today else (state or "due"))
                    )
                    out.append(
                        {
                            "grid_id": village,
                            "grid_name": index.get(village).name,
                            "category": category,
                            "period": p.code,
                            "due": due.isoformat(),
                            "status": status,
                        }
                    )
        return out

    async def _period_states(
        self, villages: list[int], year: int
    ) -> dict[tuple[int, str, str], str]:
        """The furthest state per (village, category, period): published beats in review."""
        rank = {"draft": 1, "returned": 1, "submitted": 2, "published": 3}
        async with self.ctx.sessions() as session:
            rows = await session.execute(
                select(
                    Disclosure.grid_id,
                    Disclosure.category,
                    Disclosure.period,
                    Disclosure.published_version,
                    DisclosureVersion.state,
                )
                .join(DisclosureVersion, DisclosureVersion.disclosure_id == Disclosure.id)
                .where(Disclosure.grid_id.in_(villages), Disclosure.period.startswith(f"{year}-"))
            )
        out: dict[tuple[int, str, str], str] = {}
        for grid_id, category, period, published, state in rows:
            state = "published" if published is not None else state
            key = (grid_id, category, period)
            if rank.get(state, 0) > rank.get(out.get(key, ""), 0):
                out[key] = state
        return out
