"""Public intake shared by the residents' appeal form and the Open311 endpoint.

No account: public categories only, a per-client rate limit, and everything checked before
anything is stored (a refused report leaves no incident and no media behind).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from hub.sdk import (
    InvalidInput,
    NotFound,
    PluginContext,
    RateLimit,
    invalid_from_pydantic,
    parse_json_body,
)
from plugins.dispatch.catalogue import check_fields
from plugins.dispatch.config import DispatchConfig
from plugins.dispatch.media import MediaStore, Photo
from plugins.dispatch.models import Category, Incident
from plugins.dispatch.schemas import NewIncident
from plugins.dispatch.service import Incidents, Origin

log = logging.getLogger("gridhub.dispatch")
M = TypeVar("M", bound=BaseModel)
ENDED = frozenset({"closed", "not_accepted"})
# States as a resident reads them.
LABELS = {
    "reported": "已提交 submitted", "registered": "已受理 accepted",
    "not_accepted": "不予受理 not accepted", "dispatched": "已派遣 dispatched",
    "signed": "处理中 in progress", "en_route": "处理中 in progress",
    "on_scene": "处理中 in progress", "handled": "已处置 handled",
    "verified": "已核查 verified", "closed": "已办结 closed", "parked": "挂账跟踪 on hold",
}  # fmt: skip


class PublicIntake:
    def __init__(self, ctx: PluginContext, incidents: Incidents) -> None:
        self.ctx = ctx
        self.incidents = incidents
        self.media = MediaStore(ctx.sessions)
        self.limiter = ctx.rate_limits
        if self.config.trust_forwarded_for:
            log.warning(
                "plugins.config.dispatch.trust_forwarded_for is ignored: the public limits "
                "use the hub's trusted_proxies (list the reverse proxy there)"
            )

    @property
    def config(self) -> DispatchConfig:
        return self.incidents.config

    @property
    def submit_limit(self) -> RateLimit:
        return RateLimit("submit", self.config.appeal_limit, self.config.appeal_window_s)

    @property
    def lookup_limit(self) -> RateLimit:
        return RateLimit("lookup", self.config.rating_limit, 60)

    @property
    def open311_read_limit(self) -> RateLimit:
        return RateLimit("open311_read", self.config.open311_read_limit, 60)

    async def categories(self) -> list[Category]:
        return [c for c in await self.incidents.catalogue.all() if c.public]

    async def category(self, code: str, error: str = "appeal.category_not_public") -> Category:
        found = next((c for c in await self.categories() if c.code == code), None)
        if found is None:
            raise InvalidInput(error, f"{code!r} is not a category the public may report")
        return found

    def check_place(self, spec: NewIncident) -> None:
        """The checks the intake makes of the place, made before anything is stored."""
        index = self.ctx.grids.index
        if spec.grid is not None and index.find_code(spec.grid) is None:
            raise InvalidInput("incident.unknown_grid", f"no grid {spec.grid!r}")
        point = spec.location if spec.grid is None else None
        if point is not None and index.locate(point.lon, point.lat) is None:
            raise InvalidInput("incident.outside_grids", "the location is outside every grid")

    async def file(
        self, spec: NewIncident, origin: Origin, photos: list[Photo], urls: list[str]
    ) -> tuple[dict[str, Any], str | None]:
        """File a public report with its media; returns the incident and its tracking code."""
        category = await self.category(spec.category)
        check_fields(category.fields, spec.fields)
        self.check_place(spec)
        ids = await self.media.add(photos, urls)
        try:
            summary, code = await self.incidents.report(
                spec.model_copy(update={"attachments": ids}), origin
            )
        except Exception:
            await self.media.discard(ids)
            raise
        await self.media.link(ids, int(summary["id"]))
        return summary, code

    async def by_tracking(self, code: str) -> Incident:
        code = code.strip().upper()
        found = None
        if len(code) == 10 and code.isalnum():
            async with self.ctx.sessions() as session:
                found = await session.scalar(select(Incident).where(Incident.tracking_code == code))
        if found is None:
            raise NotFound("appeal.not_found", "no appeal has this tracking code")
        return found


async def json_body(request: web.Request, model: type[M], code: str) -> M:
    """A JSON request body validated by `model` (read inside the handler, after rate limits)."""
    return validated(model, parse_json_body(await request.read() or b"null"), code)


def new_public_id() -> str:
    """An Open311 service_request_id: 16 random URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def validated(model: type[M], data: Any, code: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, code) from None
