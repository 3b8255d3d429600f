"""Open311 GeoReport v2 (JSON) over the dispatch catalogue and incidents.

Services are the catalogue's public categories; a service request is an incident filed from
source "open311". GET requests publishes only what residents agreed to publish (`public`, off
by default), under a random service_request_id (the incident number stays internal), without
description, address, media or reporter, at a position rounded to a grid of GRID_DEG degrees,
and rate-limited per client. Errors are Open311's list of {code, description} (code: the HTTP
status) plus the hub's stable `error_code`.
"""

from __future__ import annotations

import hmac
import math
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiDictProxy, MultiMapping
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Select, select

from hub.sdk import Call, Forbidden, HubError, InvalidInput, NotFound, parse_json_body
from plugins.dispatch import access
from plugins.dispatch.catalogue import FieldSpec
from plugins.dispatch.models import Category, Incident
from plugins.dispatch.open311_format import render
from plugins.dispatch.public import ENDED, LABELS, PublicIntake, new_public_id, validated
from plugins.dispatch.responses import (
    RequestsFiled,
    ServiceDefinitionOut,
    ServiceRequests,
    Services,
)
from plugins.dispatch.schemas import NewIncident
from plugins.dispatch.service import Origin

BASE = "/open311/v2"
FMT = "{fmt:json|xml}"
SOURCES = ("open311", "appeal")
DATATYPES = {"text": "string", "integer": "number", "number": "number", "date": "datetime",
             "choice": "singlevaluelist", "boolean": "singlevaluelist"}  # fmt: skip
ATTRIBUTE = re.compile(r"attribute\[(\w{1,40})\](?:\[\])?")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}")
PHONE = re.compile(r"\+?[0-9]{5,20}")
STATUS = {"open", "closed"}
# Published positions are the centre of a cell of the grid of GRID_DEG degrees the report is in:
# about 555 m north-south, and 445 m east-west at 37 degrees north.
GRID_DEG = 0.005


class RequestIn(BaseModel):
    """POST requests: the GeoReport v2 arguments this hub uses (others are ignored)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    api_key: str | None = Field(default=None, max_length=200)
    service_code: str = Field(min_length=1, max_length=64)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address_string: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=4000)
    first_name: str = Field(default="", max_length=50)
    last_name: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=254)
    media_url: str = Field(default="", max_length=500)
    attributes: dict[str, Any] = Field(default_factory=dict, max_length=30)
    public: bool = False  # the resident agrees to publish it (coarsely) in GET requests

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        digits = re.sub(r"[\s().-]", "", value)
        if digits and not PHONE.fullmatch(digits):
            raise ValueError("not a valid phone number")
        return digits

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not EMAIL.fullmatch(value):
            raise ValueError("not a valid e-mail address")
        return value

    @field_validator("media_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _placed(self) -> RequestIn:
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat and long go together")
        if self.lat is None and not self.address_string:
            raise ValueError("give lat and long, or an address_string")
        return self


Handler = Callable[[Call[Any, Any]], Awaitable[Any]]


def open311(root: str) -> Callable[[Handler], Handler]:
    """Render the handler's answer as JSON or XML (by the resource's suffix), errors too."""

    def wrap(handler: Handler) -> Handler:
        @wraps(handler)
        async def run(call: Call[Any, Any]) -> web.Response:
            xml = call.params.get("fmt") == "xml"
            try:
                return render(await handler(call), root, xml)
            except HubError as exc:
                return _error(exc, xml)

        return run

    return wrap


def _error(exc: HubError, xml: bool) -> web.Response:
    """GeoReport v2 errors: [{code, description}], with the hub's stable code alongside."""
    status = 400 if exc.status == 422 else exc.status
    body = [{"code": status, "description": exc.message, "error_code": exc.code}]
    response = render(body, "errors", xml, status)
    response.headers.update(exc.headers())  # Retry-After of a rate limit
    return response


def install(intake: PublicIntake) -> None:
    _service_routes(intake)
    _request_routes(intake)


def _service_routes(intake: PublicIntake) -> None:
    http = intake.ctx.http

    @http.get(f"{BASE}/services.{FMT}", summary="Open311: the public categories",
              response=Services, rule=access.OPEN311_READ)  # fmt: skip
    @open311("services")
    async def services(call: Call[None, None]) -> list[dict[str, Any]]:
        names = {d.code: d.name for d in await intake.incidents.catalogue.departments()}
        lang = call.request.query.get("lang", "zh")
        return [service(c, names, lang) for c in await intake.categories()]

    @http.get(f"{BASE}/services/{{service_code}}.{FMT}", summary="Open311: a service definition",
              response=ServiceDefinitionOut, rule=access.OPEN311_READ)  # fmt: skip
    @open311("service_definition")
    async def definition(call: Call[None, None]) -> dict[str, Any]:
        code = call.params["service_code"]
        found = next((c for c in await intake.categories() if c.code == code), None)
        if found is None:
            raise NotFound("open311.service_not_found", f"no public service {code!r}")
        specs = [FieldSpec.model_validate(f) for f in found.fields]
        return {"service_code": found.code,
                "attributes": [attribute(s, i) for i, s in enumerate(specs, 1)]}  # fmt: skip


def _request_routes(intake: PublicIntake) -> None:
    http = intake.ctx.http

    @http.post(f"{BASE}/requests.{FMT}", summary="Open311: file a service request",
               rule=access.OPEN311_FILE, response=RequestsFiled,
               raw_body="application/x-www-form-urlencoded or application/json")  # fmt: skip
    @open311("service_requests")
    async def create(call: Call[None, None]) -> list[dict[str, Any]]:
        await intake.limiter.check(call.request, intake.submit_limit, "appeal.rate_limited")
        args = await _arguments(call.request)
        _check_key(intake.config.open311_api_keys, args.get("api_key"))
        body = validated(RequestIn, args, "open311.invalid")
        category = await intake.category(body.service_code, "open311.service_not_found")
        spec = _incident(intake, body, category)
        contact = " / ".join(filter(None, [body.phone, body.email]))
        origin = Origin("open311", reporter_name=_name(body), reporter_contact=contact,
                        tracking=True, public=body.public, public_id=new_public_id())  # fmt: skip
        _, code = await intake.file(spec, origin, [], [body.media_url] if body.media_url else [])
        return [{"service_request_id": origin.public_id, "service_notice": _notice(code),
                 "account_id": None}]  # fmt: skip

    @http.get(f"{BASE}/requests.{FMT}", summary="Open311: service requests",
              response=ServiceRequests, rule=access.OPEN311_READ)  # fmt: skip
    @open311("service_requests")
    async def listing(call: Call[None, None]) -> list[dict[str, Any]]:
        await intake.limiter.check(call.request, intake.open311_read_limit, "open311.rate_limited")
        stmt = _filtered(call.request.query, [c.code for c in await intake.categories()])
        return await _requests(intake, stmt.limit(intake.config.open311_max_results))

    @http.get(f"{BASE}/requests/{{service_request_id:[^/]+}}.{FMT}",
              summary="Open311: one service request", response=ServiceRequests,
              rule=access.OPEN311_READ)  # fmt: skip
    @open311("service_requests")
    async def one(call: Call[None, None]) -> list[dict[str, Any]]:
        await intake.limiter.check(call.request, intake.open311_read_limit, "open311.rate_limited")
        codes = [c.code for c in await intake.categories()]
        stmt = _public(codes).where(Incident.public_id == call.params["service_request_id"][:32])
        found = await _requests(intake, stmt)
        if not found:
            raise NotFound("open311.request_not_found", "no such service request")
        return found


def _notice(tracking_code: str | None) -> str:
    # the tracking code is the filer's own way to follow a report that is not published
    return f"已受理，查询码 {tracking_code} received; your tracking code is {tracking_code}"


def service(c: Category, departments: dict[str, str], lang: str) -> dict[str, Any]:
    return {
        "service_code": c.code,
        "service_name": c.name_en if lang == "en" else c.name_zh,
        "description": c.description or c.name_en,
        "metadata": bool(c.fields),
        "type": "realtime",
        "keywords": ", ".join([c.name_zh, c.name_en]),
        "group": departments.get(c.department or "", ""),
    }


def attribute(spec: FieldSpec, order: int) -> dict[str, Any]:
    values = [{"key": v, "name": v} for v in spec.choices]
    if spec.type == "boolean":
        values = [{"key": "true", "name": "是 yes"}, {"key": "false", "name": "否 no"}]
    return {
        "variable": True, "code": spec.name, "datatype": DATATYPES[spec.type],
        "required": spec.required, "datatype_description": _describe(spec), "order": order,
        "description": spec.label, "values": values,
    }  # fmt: skip


def _describe(spec: FieldSpec) -> str:
    if spec.type == "integer":
        return f"whole number {_range(spec)}".strip()
    if spec.type == "number":
        return f"number {_range(spec)}".strip()
    if spec.type == "date":
        return "a date, YYYY-MM-DD"
    if spec.type == "text":
        return f"text, at most {spec.max_length} characters"
    return ""


def _range(spec: FieldSpec) -> str:
    low = "" if spec.minimum is None else f"from {spec.minimum:g}"
    high = "" if spec.maximum is None else f"to {spec.maximum:g}"
    return f"{low} {high}".strip()


async def _arguments(request: web.Request) -> dict[str, Any]:
    """The request's arguments, form-encoded (as the spec has them) or JSON."""
    if request.content_type == "application/json":
        raw = parse_json_body(await request.read() or b"null", "open311.invalid")
        if not isinstance(raw, dict):
            raise InvalidInput("open311.invalid", "the JSON body must be an object")
        form: MultiDict[Any] = MultiDict(raw)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = MultiDict(await request.post())
    else:
        raise HubError("open311.content_type", "send form-encoded arguments or JSON", status=415)
    return _split(form)


def _split(form: MultiDict[Any] | MultiDictProxy[Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    given = form.get("attribute") or {}
    if not isinstance(given, dict):
        raise InvalidInput("open311.invalid", "attribute must be an object of code: value")
    attributes: dict[str, Any] = dict(given)
    for key, value in form.items():
        match = ATTRIBUTE.fullmatch(key)
        if match:
            attributes[match.group(1)] = value
        elif key != "attribute":
            if not isinstance(value, str | int | float | type(None)):
                raise InvalidInput("open311.invalid", f"{key} must be a plain value")
            args[key] = value
    args["attributes"] = attributes
    return args


def _check_key(keys: list[str], given: Any) -> None:
    offered = given.encode() if isinstance(given, str) else b""
    if keys and not any(hmac.compare_digest(k.encode(), offered) for k in keys):
        raise Forbidden("open311.api_key_invalid", "a valid api_key is required")


def _name(body: RequestIn) -> str:
    return f"{body.first_name} {body.last_name}".strip() or "Open311"


def _incident(intake: PublicIntake, body: RequestIn, category: Category) -> NewIncident:
    first_line = body.description.splitlines()[0] if body.description else ""
    data: dict[str, Any] = {
        "title": first_line[:60] or category.name_zh,
        "description": body.description,
        "category": category.code,
        "address": body.address_string,
        "fields": _typed(category, body.attributes),
    }
    if body.lat is not None:
        data["location"] = {"lon": body.long, "lat": body.lat}
    else:  # no geocoder: an address alone goes to the top command centre to be placed
        roots = intake.ctx.grids.index.roots()
        data["grid"] = roots[0].code if roots else None
    return validated(NewIncident, data, "open311.invalid")


def _typed(category: Category, attributes: dict[str, Any]) -> dict[str, Any]:
    """Form values (text) as the category's field types; what does not convert stays text."""
    types = {f["name"]: f["type"] for f in category.fields}
    return {k: _convert(types.get(k), v) for k, v in attributes.items()}


def _convert(kind: str | None, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if kind == "date" and len(value) >= 10:
        return value[:10]
    return value


def _public(codes: list[str]) -> Select[Incident]:
    """Residents' own reports that they agreed to publish, in public categories."""
    return select(Incident).where(
        Incident.public.is_(True), Incident.source.in_(SOURCES), Incident.category.in_(codes)
    )


def _filtered(query: MultiMapping[str], codes: list[str]) -> Select[Incident]:
    """GET requests: ids override the other filters; by default the last 90 days."""
    stmt = _public(codes).order_by(Incident.id.desc())
    ids = _list(query.get("service_request_id"))
    if ids:
        return stmt.where(Incident.public_id.in_(ids))
    wanted = _list(query.get("service_code"))
    if wanted:
        stmt = stmt.where(Incident.category.in_(wanted))
    end = _date(query.get("end_date"), "end_date") or datetime.now(UTC)
    start = _date(query.get("start_date"), "start_date") or end - timedelta(days=90)
    stmt = stmt.where(Incident.created_at >= start, Incident.created_at <= end)
    status = set(_list(query.get("status")))
    if status - STATUS:
        raise InvalidInput("open311.status_invalid", "status is open, closed or both")
    if status == {"open"}:
        stmt = stmt.where(Incident.state.not_in(ENDED))
    elif status == {"closed"}:
        stmt = stmt.where(Incident.state.in_(ENDED))
    return stmt


def _list(raw: str | None) -> list[str]:
    return [item.strip() for item in (raw or "").split(",") if item.strip()][:100]


def _date(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InvalidInput("open311.date_invalid", f"{name} must be ISO 8601 with a time zone")
    return value


async def _requests(intake: PublicIntake, stmt: Select[Incident]) -> list[dict[str, Any]]:
    async with intake.ctx.sessions() as session:
        rows = list(await session.scalars(stmt))
    names = {c.code: c.name_zh for c in await intake.categories()}
    return [_request(intake, r, names) for r in rows]


def _request(intake: PublicIntake, incident: Incident, names: dict[str, str]) -> dict[str, Any]:
    """What is published of a report: no text a person wrote, no address or exact place."""
    index = intake.ctx.grids.index
    agency = index.get(incident.level_grid_id).name if incident.level_grid_id in index else ""
    deadline = incident.stage_deadline
    return {
        "service_request_id": incident.public_id,
        "status": "closed" if incident.state in ENDED else "open",
        "status_notes": LABELS.get(incident.state, incident.state),
        "service_name": names.get(incident.category, incident.category),
        "service_code": incident.category,
        "description": None,
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": incident.created_at.isoformat(),
        "updated_datetime": incident.updated_at.isoformat(),
        "expected_datetime": None
        if deadline is None or incident.state in ENDED
        else datetime.fromtimestamp(deadline, UTC).isoformat(),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": coarse(incident.lat),
        "long": coarse(incident.lon),
        "media_url": None,
    }


def coarse(degrees: float | None) -> float | None:
    """The centre of the GRID_DEG cell holding `degrees` (what is published of a position)."""
    if degrees is None:
        return None
    return round((math.floor(degrees / GRID_DEG) + 0.5) * GRID_DEG, 4)
