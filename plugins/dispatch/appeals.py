"""Residents' appeals (群众诉求): a public form needing no account, tracked by a code.

POST /public/appeals files an incident from source "appeal" (JSON, or multipart with photos);
GET /public/appeals/{code} shows its progress without internal notes or staff names; once it
is closed, POST /public/appeals/{code}/rating records the resident's rating (回访).
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select

from hub.sdk import Call, Conflict, HubError, InvalidInput, parse_json_body
from plugins.dispatch import access
from plugins.dispatch.media import Photo, read_photo
from plugins.dispatch.models import Category, Event, Incident
from plugins.dispatch.public import (
    ENDED,
    LABELS,
    PublicIntake,
    json_body,
    new_public_id,
    validated,
)
from plugins.dispatch.responses import (
    PHOTOS,
    AppealFiledOut,
    AppealOut,
    PhotoIdsOut,
    PublicCategoriesOut,
)
from plugins.dispatch.schemas import NewIncident, Point
from plugins.dispatch.service import Origin

PHONE = re.compile(r"(?:\+?86)?(?:1[3-9]\d{9}|0\d{9,11})")
TEXT_PARTS = frozenset(
    {"title", "description", "category", "lon", "lat", "address", "grid", "fields",
     "contact_name", "contact_phone", "public"}
)  # fmt: skip
TEXT_PART_BYTES = 20_000
HIDDEN = frozenset({"comment", "supervise"})  # internal steps a resident does not see
NOTED = frozenset({"reject", "rate"})  # the reason for not accepting, the resident's own words


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    category: str = Field(min_length=1, max_length=64)
    location: Point | None = None
    address: str = Field(default="", max_length=300)
    grid: str | None = Field(default=None, min_length=1, max_length=64)
    fields: dict[str, Any] = Field(default_factory=dict, max_length=30)
    contact_name: str = Field(min_length=1, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=30)
    # the resident agrees to publish the report in Open311 (coarse place, no text): off unless asked
    public: bool = False

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if not value:
            return None
        digits = re.sub(r"[\s()-]", "", value)
        if not PHONE.fullmatch(digits):
            raise ValueError("not a valid mobile or landline number")
        return digits

    @model_validator(mode="after")
    def _placed(self) -> AppealIn:
        if self.location is None and not (self.address and self.grid):
            raise ValueError("give a location (lon, lat), or an address with its grid")
        return self

    def incident(self) -> NewIncident:
        return NewIncident(
            title=self.title, description=self.description, category=self.category,
            location=self.location, grid=self.grid, address=self.address, fields=self.fields,
            reporter_name=self.contact_name, reporter_contact=self.contact_phone or "",
        )  # fmt: skip


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=500)


def install(intake: PublicIntake) -> None:
    _intake_routes(intake)
    _tracking_routes(intake)


def _intake_routes(intake: PublicIntake) -> None:
    http = intake.ctx.http

    @http.get("/public/categories", summary="Categories residents may report",
              response=PublicCategoriesOut, rule=access.PUBLIC_INTAKE)  # fmt: skip
    async def categories(call: Call[None, None]) -> dict[str, Any]:
        return {"items": [public_category(c) for c in await intake.categories()]}

    @http.post("/public/appeals", summary="File a resident's appeal (no account; rate-limited)",
               rule=access.PUBLIC_INTAKE, status=201, response=AppealFiledOut,
               raw_body="application/json, form-encoded or multipart (photos)")  # fmt: skip
    async def appeal(call: Call[None, None]) -> dict[str, Any]:
        await intake.limiter.check(call.request, intake.submit_limit, "appeal.rate_limited")
        body, photos = await _read(call.request, intake.config.appeal_max_photos,
                                   intake.config.appeal_photo_bytes)  # fmt: skip
        origin = Origin("appeal", reporter_name=body.contact_name,
                        reporter_contact=body.contact_phone or "", tracking=True,
                        public=body.public, public_id=new_public_id())  # fmt: skip
        summary, code = await intake.file(body.incident(), origin, photos, [])
        return {"number": summary["number"], "tracking_code": code, "state": summary["state"],
                "category": summary["category"], "created_at": summary["created_at"],
                "photos": len(photos), "track": f"{http.prefix}/public/appeals/{code}",
                "public": body.public,
                "service_request_id": origin.public_id if body.public else None}  # fmt: skip


def _tracking_routes(intake: PublicIntake) -> None:
    http = intake.ctx.http

    @http.get("/public/appeals/{code}", summary="An appeal's progress, by its tracking code",
              response=AppealOut, rule=access.PUBLIC_TRACK)  # fmt: skip
    async def track(call: Call[None, None]) -> dict[str, Any]:
        await intake.limiter.check(call.request, intake.lookup_limit, "appeal.rate_limited")
        return await public_view(intake, await intake.by_tracking(call.params["code"]))

    @http.post("/public/appeals/{code}/rating", summary="Rate a closed appeal (once)",
               response=AppealOut, rule=access.PUBLIC_TRACK,
               raw_body="application/json (rating, comment)")  # fmt: skip
    async def rate(call: Call[None, None]) -> dict[str, Any]:
        await intake.limiter.check(call.request, intake.lookup_limit, "appeal.rate_limited")
        incident = await intake.by_tracking(call.params["code"])
        body = await json_body(call.request, RatingIn, "appeal.invalid")
        await _rate(intake, incident, body)
        return await public_view(intake, await intake.by_tracking(call.params["code"]))

    @http.get("/public/appeals/{code}/photos/{media_id}", summary="A photo sent with the appeal",
              produces=PHOTOS, rule=access.PUBLIC_TRACK)  # fmt: skip
    async def photo(call: Call[None, None]) -> web.Response:
        await intake.limiter.check(call.request, intake.lookup_limit, "appeal.rate_limited")
        incident = await intake.by_tracking(call.params["code"])
        return await intake.media.photo(incident.id, call.path_int("media_id"))

    @http.get("/incidents/{incident_id}/photos/{media_id}",
              summary="A photo sent with a public report (staff who see the incident)",
              produces=PHOTOS, rule=access.READ)  # fmt: skip
    async def staff_photo(call: Call[None, None]) -> web.Response:
        incident = await intake.incidents.get(call.who, call.path_int("incident_id"))
        return await intake.media.photo(incident["id"], call.path_int("media_id"))

    @http.get("/incidents/{incident_id}/photos",
              summary="The incident's photos: from the resident's appeal and from staff",
              response=PhotoIdsOut, rule=access.READ)  # fmt: skip
    async def staff_photos(call: Call[None, None]) -> dict[str, Any]:
        incident = await intake.incidents.get(call.who, call.path_int("incident_id"))
        media = await intake.media.of_incident(incident["id"])
        return {"items": [m.id for m in media if m.url is None]}

    @http.post("/incidents/{incident_id}/photos",
               summary="Add photos to an incident (multipart, parts named `photo`)",
               response=PhotoIdsOut, status=201, raw_body="multipart/form-data",
               rule=access.ACT)  # fmt: skip
    async def add_photos(call: Call[None, None]) -> dict[str, Any]:
        incident = await intake.incidents.get(call.who, call.path_int("incident_id"))
        config = intake.config
        photos = await _photos_only(call.request, config.appeal_max_photos,
                                    config.appeal_photo_bytes)  # fmt: skip
        return {"items": await intake.media.attach(incident["id"], photos)}


def public_category(c: Category) -> dict[str, Any]:
    return {"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
            "description": c.description, "fields": c.fields}  # fmt: skip


async def _read(
    request: web.Request, max_photos: int, max_bytes: int
) -> tuple[AppealIn, list[Photo]]:
    if request.content_type == "multipart/form-data":
        return await _read_form(request, max_photos, max_bytes)
    if request.content_type == "application/json":
        return await json_body(request, AppealIn, "appeal.invalid"), []
    if request.content_type == "application/x-www-form-urlencoded":
        data = {_known(key): str(value) for key, value in (await request.post()).items()}
        return validated(AppealIn, _shape(data), "appeal.invalid"), []
    raise HubError("appeal.content_type", "send application/json or multipart/form-data",
                   status=415)  # fmt: skip


async def _photos_only(request: web.Request, max_photos: int, max_bytes: int) -> list[Photo]:
    """The `photo` parts of a staff upload: at least one, nothing else."""
    if request.content_type != "multipart/form-data":
        raise HubError("incident.photo_form", "send multipart/form-data with photos", status=415)
    photos: list[Photo] = []
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader) or part.name != "photo":
            raise InvalidInput("incident.photo_form", "only parts named `photo` are accepted")
        if len(photos) >= max_photos:
            raise InvalidInput("appeal.too_many_photos", f"at most {max_photos} photos")
        photos.append(await read_photo(part, max_bytes))
    if not photos:
        raise InvalidInput("incident.photo_missing", "send at least one part named `photo`")
    return photos


async def _read_form(
    request: web.Request, max_photos: int, max_bytes: int
) -> tuple[AppealIn, list[Photo]]:
    """Text parts named like the JSON body's keys (lon/lat apart, fields as JSON), and photos."""
    data: dict[str, Any] = {}
    photos: list[Photo] = []
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader):
            raise InvalidInput("appeal.form_invalid", "nested multipart is not accepted")
        if part.name == "photo":
            if len(photos) >= max_photos:
                raise InvalidInput("appeal.too_many_photos", f"at most {max_photos} photos")
            photos.append(await read_photo(part, max_bytes))
        else:
            data[_known(part.name)] = await _text(part)
    return validated(AppealIn, _shape(data), "appeal.invalid"), photos


def _known(name: str | None) -> str:
    if name not in TEXT_PARTS:
        raise InvalidInput("appeal.unknown_part", f"unknown form field {name!r}")
    return name


async def _text(part: BodyPartReader) -> str:
    raw = bytearray()
    while chunk := await part.read_chunk(8192):
        raw += chunk
        if len(raw) > TEXT_PART_BYTES:
            raise InvalidInput("appeal.field_too_long", f"form field {part.name!r} is too long")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("appeal.form_invalid", f"{part.name!r} is not UTF-8") from None


def _shape(data: dict[str, Any]) -> dict[str, Any]:
    """Form fields as the JSON body has them."""
    if "lon" in data or "lat" in data:
        data["location"] = {"lon": data.pop("lon", None), "lat": data.pop("lat", None)}
    if "fields" in data:
        data["fields"] = parse_json_body(data["fields"], "appeal.invalid")
    return data


async def _rate(intake: PublicIntake, incident: Incident, body: RatingIn) -> None:
    if incident.state != "closed":
        raise Conflict("appeal.not_closed", "an appeal can be rated once it is closed",
                       details={"state": incident.state})  # fmt: skip
    if incident.rating is not None:
        raise Conflict("appeal.already_rated", "this appeal is already rated")
    name = incident.reporter_name or "群众 resident"
    await intake.incidents.rate_as_resident(incident.id, body.rating, body.comment, name)


async def public_view(intake: PublicIntake, incident: Incident) -> dict[str, Any]:
    """What the resident sees: state and a timeline without internal notes or staff names."""
    async with intake.ctx.sessions() as session:
        events = list(
            await session.scalars(
                select(Event).where(Event.incident_id == incident.id).order_by(Event.id)
            )
        )
    photos = [m.id for m in await intake.media.of_incident(incident.id) if m.url is None]
    return {
        "number": incident.number, "title": incident.title, "category": incident.category,
        "state": incident.state, "label": LABELS.get(incident.state, incident.state),
        "status": "closed" if incident.state in ENDED else "open",
        "created_at": incident.created_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
        "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
        "address": incident.address, "photos": photos, "rating": incident.rating,
        "public": incident.public,
        "can_rate": incident.state == "closed" and incident.rating is None,
        "timeline": [_public_event(e) for e in events if e.action not in HIDDEN],
    }  # fmt: skip


def _public_event(event: Event) -> dict[str, Any]:
    return {
        "action": event.action,
        "state": event.to_state,
        "label": LABELS.get(event.to_state, event.to_state),
        "at": event.at.isoformat(),
        "note": event.note if event.action in NOTED else "",
    }
