"""Government-service proxy (政务服务帮代办): a catalogue of items and residents' requests.

A request is tracked as a dispatch incident: the plugin publishes dispatch's
`IncidentRequested` (source "services.proxy", one per request) and follows the incident's
`IncidentChanged` messages, so the request gets dispatch's assignment, SLA and timeline. The
helper is the person who signed for (then handled) the incident; residents rate the help by
their tracking code once it is handled, and the ratings are reported per helper.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update

from hub.sdk import (
    SYSTEM,
    Actor,
    Conflict,
    DbId,
    NotFound,
    PluginContext,
    Principal,
    mask_personal,
    utcnow,
)
from plugins.dispatch.messages import IncidentChanged, IncidentRequested
from plugins.services.access import OFFICERS, PROXY, STAFF
from plugins.services.common import NAME, PHONE, check_grid, new_code, visible_grids
from plugins.services.config import ServicesConfig
from plugins.services.models import ProxyRequest, ServiceItem

SOURCE = "services.proxy"
MODES = {"full": ("全程代办", "full proxy"), "partial": ("部分代办", "partial proxy"),
         "guidance": ("指导办理", "guidance")}  # fmt: skip
RATEABLE = frozenset({"handled", "verified", "closed"})
Mode = Literal["full", "partial", "guidance"]


class ItemIn(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=120)
    department: str = Field(default="", max_length=80)
    documents: list[str] = Field(default_factory=list, max_length=20)
    active: bool = True


class ProxyIn(BaseModel):
    item_id: DbId
    grid_id: DbId
    mode: Mode
    name: str = Field(pattern=NAME)
    phone: str = Field(pattern=PHONE)
    details: str = Field(default="", max_length=1000)


class RatingIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=300)


class RequestsQuery(BaseModel):
    limit: int = Field(default=200, ge=1, le=500)


def item_view(item: ServiceItem) -> dict[str, Any]:
    return {"id": item.id, "code": item.code, "name_zh": item.name_zh, "name_en": item.name_en,
            "department": item.department, "documents": list(item.documents),
            "active": item.active}  # fmt: skip


def request_view(row: ProxyRequest, item: ServiceItem, phone: str) -> dict[str, Any]:
    return {
        "id": row.id, "item": item_view(item), "grid_id": row.grid_id, "mode": row.mode,
        "name": row.applicant_name, "phone": mask_personal(phone), "details": row.details,
        "incident_id": row.incident_id, "incident_number": row.incident_number,
        "state": row.incident_state or "submitted", "helper_id": row.helper_id,
        "rating": row.rating, "created_at": row.created_at.isoformat(),
    }  # fmt: skip


def public_view(row: ProxyRequest, item: ServiceItem) -> dict[str, Any]:
    """What the resident sees by their tracking code: progress, no contact details."""
    return {
        "tracking_code": row.code, "item": item_view(item), "mode": row.mode,
        "incident_number": row.incident_number, "state": row.incident_state or "submitted",
        "rating": row.rating, "can_rate": row.incident_state in RATEABLE and row.rating is None,
        "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(),
    }  # fmt: skip


class Proxy:
    def __init__(self, ctx: PluginContext, config: ServicesConfig) -> None:
        self.ctx = ctx
        self.config = config

    async def subscribe(self) -> None:
        unsubscribe = await self.ctx.bus.subscribe(IncidentChanged, self.followed,
                                                   group="services.proxy")  # fmt: skip
        self.ctx.on_cleanup(unsubscribe)

    # --- the catalogue --------------------------------------------------------------------

    async def items(self, include_inactive: bool = False) -> list[dict[str, Any]]:
        stmt = select(ServiceItem).order_by(ServiceItem.id)
        if not include_inactive:
            stmt = stmt.where(ServiceItem.active.is_(True))
        async with self.ctx.sessions() as session:
            return [item_view(i) for i in await session.scalars(stmt)]

    async def put_item(self, who: Principal, body: ItemIn) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            item = await session.scalar(select(ServiceItem).where(ServiceItem.code == body.code))
            item = item or ServiceItem(code=body.code)
            item.name_zh, item.name_en, item.department = (
                body.name_zh,
                body.name_en,
                body.department,
            )
            item.documents, item.active = list(body.documents), body.active
            session.add(item)
            await session.flush()
            self.ctx.audit.record(session, Actor.of(who), "services.item.saved", "services_item",
                                  item.id, {"code": item.code})  # fmt: skip
            return item_view(item)

    # --- requests -------------------------------------------------------------------------

    async def submit(self, body: ProxyIn) -> tuple[ProxyRequest, ServiceItem]:
        if body.grid_id not in self.ctx.grids.index:
            raise NotFound("services.grid_not_found", f"no grid {body.grid_id}")
        async with self.ctx.sessions.begin() as session:
            item = await session.get(ServiceItem, body.item_id)
            if item is None or not item.active:
                raise NotFound("services.item_not_found", f"no service item {body.item_id}")
            row = ProxyRequest(
                code=new_code(), item_id=item.id, grid_id=body.grid_id, mode=body.mode,
                applicant_name=body.name, applicant_phone=self.ctx.personal.seal(body.phone),
                details=body.details,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            self.ctx.audit.record(session, Actor("resident"), "services.proxy.submitted", PROXY,
                                  row.id, {"item": item.code, "mode": body.mode})  # fmt: skip
        await self.ctx.bus.publish(self._incident(row, item))
        return row, item

    def _incident(self, row: ProxyRequest, item: ServiceItem) -> IncidentRequested:
        zh, en = MODES[row.mode]
        documents = "、".join(item.documents) or "无"
        return IncidentRequested(
            source=SOURCE, source_ref=f"proxy:{row.id}", category=self.config.proxy_category,
            title=f"帮代办 · {item.name_zh}（{zh}）",
            description=f"{item.name_zh} / {item.name_en} · {zh} {en}\n所需材料: {documents}\n"
                        f"申请人: {mask_personal(row.applicant_name)}\n{row.details}",
            grid_id=row.grid_id,
        )  # fmt: skip

    async def followed(self, change: IncidentChanged) -> None:
        """Keep a request's incident number, state and helper current (idempotent)."""
        if change.source != SOURCE or not (change.source_ref or "").startswith("proxy:"):
            return
        request_id = int((change.source_ref or "").split(":", 1)[1])
        values: dict[str, Any] = {
            "incident_id": change.incident_id,
            "incident_number": change.number,
            "incident_state": change.state,
            "updated_at": utcnow(),
            "incident_version": change.version,
        }
        if change.action in ("sign", "handle") and change.actor_id is not None:
            values["helper_id"] = change.actor_id
        async with self.ctx.sessions.begin() as session:
            moved = await session.execute(
                update(ProxyRequest).where(ProxyRequest.id == request_id,
                                           ProxyRequest.incident_version < change.version)
                .values(**values).returning(ProxyRequest.id)
            )  # fmt: skip
            if moved.first() is None:  # seen already, or older than what the request shows
                return
            if change.rating is not None:  # dispatch's 回访 rating, unless the resident rated here
                await session.execute(
                    update(ProxyRequest).where(ProxyRequest.id == request_id,
                                               ProxyRequest.rating.is_(None))
                    .values(rating=change.rating)
                )  # fmt: skip
        live = {"id": request_id, "incident_id": change.incident_id, "state": change.state,
                "incident_number": change.number, "helper_id": values.get("helper_id")}  # fmt: skip
        await self.ctx.realtime.emit(
            "proxy", live, self.ctx.realtime.command_rooms([change.grid_id])
        )

    async def by_code(self, code: str) -> tuple[ProxyRequest, ServiceItem]:
        async with self.ctx.sessions() as session:
            found = (await session.execute(select(ProxyRequest, ServiceItem).join(ServiceItem)
                                           .where(ProxyRequest.code == code))).first()  # fmt: skip
        if found is None:
            raise NotFound("services.request_not_found", "no request with that tracking code")
        return found[0], found[1]

    async def rate(self, code: str, body: RatingIn) -> dict[str, Any]:
        row, _item = await self.by_code(code)
        if row.incident_state not in RATEABLE:
            raise Conflict("services.not_rateable", "the request can be rated once it is handled")
        async with self.ctx.sessions.begin() as session:
            rated = await session.execute(
                update(ProxyRequest).where(ProxyRequest.id == row.id, ProxyRequest.rating.is_(None))
                .values(rating=body.rating, rating_comment=body.comment).returning(ProxyRequest.id)
            )  # fmt: skip
            if rated.first() is None:
                raise Conflict("services.already_rated", "this request is already rated")
            self.ctx.audit.record(session, SYSTEM, "services.proxy.rated", PROXY, row.id,
                                  {"rating": body.rating, "helper": row.helper_id})  # fmt: skip
        return public_view(*(await self.by_code(code)))

    async def listed(self, who: Principal, query: RequestsQuery) -> list[dict[str, Any]]:
        grids = visible_grids(who, self.ctx.grids.index, STAFF)
        stmt = (select(ProxyRequest, ServiceItem).join(ServiceItem)
                .order_by(ProxyRequest.id.desc()).limit(query.limit))  # fmt: skip
        if grids is not None:
            stmt = stmt.where(ProxyRequest.grid_id.in_(grids))
        async with self.ctx.sessions() as session:
            rows = (await session.execute(stmt)).all()
        opened = self.ctx.personal.open
        return [request_view(r, i, opened(r.applicant_phone)) for r, i in rows]

    async def in_scope(self, who: Principal, request_id: int) -> ProxyRequest:
        async with self.ctx.sessions() as session:
            row = await session.get(ProxyRequest, request_id)
        if row is None:
            raise NotFound("services.request_not_found", f"no request {request_id}")
        check_grid(who, self.ctx.grids.index, row.grid_id, OFFICERS)
        return row

    async def helpers(self, who: Principal) -> list[dict[str, Any]]:
        """Each helper's requests and the residents' ratings of them (评价), in scope."""
        grids = visible_grids(who, self.ctx.grids.index, STAFF)
        stmt = (select(ProxyRequest.helper_id, func.count(), func.count(ProxyRequest.rating),
                       func.avg(ProxyRequest.rating))
                .where(ProxyRequest.helper_id.is_not(None))
                .group_by(ProxyRequest.helper_id))  # fmt: skip
        if grids is not None:
            stmt = stmt.where(ProxyRequest.grid_id.in_(grids))
        async with self.ctx.sessions() as session:
            rows = (await session.execute(stmt)).all()
        return [await self._helper(int(h), n, rated, avg) for h, n, rated, avg in rows]

    async def _helper(self, person_id: int, requests: int, rated: int,
                      average: float | None) -> dict[str, Any]:  # fmt: skip
        try:
            name = (await self.ctx.directory.person(person_id)).display_name
        except NotFound:
            name = f"#{person_id}"
        return {"helper_id": person_id, "name": name, "requests": requests, "rated": rated,
                "average": round(float(average), 2) if average is not None else None}  # fmt: skip

    async def reveal(self, who: Principal, request_id: int) -> dict[str, Any]:
        row = await self.in_scope(who, request_id)
        async with self.ctx.sessions.begin() as session:
            self.ctx.audit.record(session, Actor.of(who), "services.proxy.contact.reveal",
                                  PROXY, row.id)  # fmt: skip
        return {"name": row.applicant_name, "phone": self.ctx.personal.open(row.applicant_phone)}
