"""A thin typed layer over aiohttp routes: validation, auth, structured errors, OpenAPI."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from pydantic import BaseModel, TypeAdapter, ValidationError

from hub import ids, netaddr, policy
from hub.access import Principal
from hub.audit import request_id_var, source_ip_var
from hub.decoding import INT_MAX, INT_MIN, parse_json_body
from hub.errors import HubError, InvalidInput, Unauthorized, invalid_from_pydantic

B = TypeVar("B")
Q = TypeVar("Q")

log = logging.getLogger("gridhub.http")


class Authenticator(Protocol):
    async def authenticate(self, token: str) -> Principal: ...


@dataclass(slots=True)
class Call(Generic[B, Q]):
    """One validated request: body and query already parsed, caller already authenticated."""

    request: web.Request
    body: B
    query: Q
    principal: Principal | None
    params: Mapping[str, str]
    id_bounds: Mapping[str, int] = field(default_factory=dict)

    @property
    def who(self) -> Principal:
        if self.principal is None:
            raise Unauthorized("auth.required", "sign in first")
        return self.principal

    def path_int(self, name: str) -> int:
        """The id in path parameter `name`, within its column's range: 1..ids.ID_MAX, or
        1..ids.BIG_ID_MAX for a parameter the route names in `big_ids`."""
        maximum = self.id_bounds.get(name, ids.ID_MAX)
        value = ids.parse_id(self.params[name], maximum)
        if value is None:
            raise InvalidInput("request.path_invalid", f"{name} must be an id from 1 to {maximum}")
        return value


Handler = Callable[[Call[Any, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    rule: policy.Rule
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    raw_body: str | None = None
    produces: str | None = None  # media types of a non-JSON answer, for the OpenAPI document
    big_ids: tuple[str, ...] = ()  # path parameters naming a BigId row (see `id_bounds`)

    def __post_init__(self) -> None:
        unknown = set(self.big_ids) - {name for name, _ in path_params(self.path)}
        if unknown:
            raise ValueError(f"{self.method} {self.path}: big_ids names no parameter {unknown}")

    @property
    def id_bounds(self) -> dict[str, int]:
        """The largest id of each path parameter that is a database id (see `is_id_param`)."""
        return {
            name: ids.BIG_ID_MAX if name in self.big_ids else ids.ID_MAX
            for name, regex in path_params(self.path)
            if is_id_param(name, regex)
        }

    @property
    def auth(self) -> bool:
        """Whether a caller must be signed in (from the rule; the OpenAPI document says so)."""
        return self.rule.needs_sign_in


AUTHENTICATOR: web.AppKey[Authenticator] = web.AppKey("authenticator", Authenticator)
ENDPOINTS: web.AppKey[list[Endpoint]] = web.AppKey("endpoints", list)


@dataclass
class Router:
    """Collects endpoints under a prefix; `mount` adds them to an application.

    Every route names its `rule` (hub.policy): there is no default that lets a route through.
    """

    prefix: str
    tag: str
    endpoints: list[Endpoint] = field(default_factory=list)

    def route(
        self, method: str, path: str, *, summary: str, rule: policy.Rule, **options: Any
    ) -> Callable[[Handler], Handler]:
        if not isinstance(rule, policy.Rule):
            raise TypeError(f"{method} {self.prefix}{path}: rule must be a hub.policy.Rule")

        def register(handler: Handler) -> Handler:
            endpoint = Endpoint(
                method, self.prefix + path, handler, summary, self.tag, rule, **options
            )
            self.endpoints.append(endpoint)
            return handler

        return register

    def get(
        self, path: str, *, summary: str, rule: policy.Rule, **options: Any
    ) -> Callable[[Handler], Handler]:
        return self.route("GET", path, summary=summary, rule=rule, **options)

    def post(
        self, path: str, *, summary: str, rule: policy.Rule, **options: Any
    ) -> Callable[[Handler], Handler]:
        return self.route("POST", path, summary=summary, rule=rule, **options)

    def patch(
        self, path: str, *, summary: str, rule: policy.Rule, **options: Any
    ) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, summary=summary, rule=rule, **options)

    def put(
        self, path: str, *, summary: str, rule: policy.Rule, **options: Any
    ) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, summary=summary, rule=rule, **options)

    def delete(
        self, path: str, *, summary: str, rule: policy.Rule, **options: Any
    ) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, summary=summary, rule=rule, **options)

    def mount(self, app: web.Application) -> None:
        """Add the endpoints as aiohttp routes (only before the application starts)."""
        for endpoint in self.endpoints:

            async def handle(request: web.Request, e: Endpoint = endpoint) -> web.StreamResponse:
                return await serve(e, request, request.match_info)

            app.router.add_route(endpoint.method, endpoint.path, handle)
            app[ENDPOINTS].append(endpoint)


class PrefixDispatcher:
    """Routes everything under a prefix to a Router whose endpoints may be added later.

    aiohttp freezes its router at start-up; plugins register routes while they set up, so
    their prefix is reserved up front and matched here at request time.
    """

    def __init__(self, router: Router) -> None:
        self._router = router
        self._compiled: list[tuple[Endpoint, re.Pattern[str]]] = []

    def reserve(self, app: web.Application) -> None:
        app.router.add_route("*", self._router.prefix + "{tail:(/.*)?}", self.handle)

    def publish(self, app: web.Application) -> None:
        """Freeze the plugin's endpoints and list them in the OpenAPI document."""
        self._compiled = [(e, template(e.path)) for e in self._router.endpoints]
        app[ENDPOINTS].extend(self._router.endpoints)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        allowed = False
        for endpoint, pattern in self._compiled:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if endpoint.method == request.method:
                return await serve(endpoint, request, match.groupdict())
            allowed = True
        if allowed:
            raise HubError("http.method_not_allowed", "method not allowed", status=405)
        raise HubError("http.not_found", "not found", status=404)


RawHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebSocketPaths:
    """Plain aiohttp handlers at `/ws/<name>`, claimed by plugins while they set up.

    For protocols that cannot go through a plugin's JSON Router (a plain WebSocket that device
    firmware speaks, say). The route is reserved up front, like plugin prefixes; a name is
    claimed once, with its rule (checked before the handler runs), and an unclaimed one
    answers 404.
    """

    PREFIX = "/ws/"

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[RawHandler, policy.Rule]] = {}

    def reserve(self, app: web.Application) -> None:
        app.router.add_get(self.PREFIX + "{name}", self.handle)

    def claim(self, name: str, handler: RawHandler, rule: policy.Rule) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", name):
            raise ValueError(f"bad websocket path name {name!r}")
        if name in self._handlers:
            raise ValueError(f"{self.PREFIX}{name} is already claimed")
        self._handlers[name] = (handler, rule)
        return self.PREFIX + name

    def rules(self) -> dict[str, policy.Rule]:
        """Each claimed path and its rule."""
        return {self.PREFIX + name: rule for name, (_, rule) in self._handlers.items()}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        claimed = self._handlers.get(request.match_info["name"])
        if claimed is None:
            raise HubError("http.not_found", "not found", status=404)
        handler, rule = claimed
        who = await _principal(request) if rule.needs_sign_in else None
        policy.enforce(rule, who)
        return await handler(request)


PARAM = re.compile(r"{(\w+)(?::((?:[^{}]|{[^{}]*})+))?}")
DIGITS = re.compile(r"\\d(?:\+|\{1,\d{1,2}\})")


def path_params(path: str) -> list[tuple[str, str | None]]:
    """The parameters of an aiohttp-style path template: each name and its regex, if any."""
    return [(match.group(1), match.group(2)) for match in PARAM.finditer(path)]


def is_id_param(name: str, regex: str | None) -> bool:
    """Whether a path parameter is a database id: named `<thing>_id`, with no regex or only
    digits (`\\d+`, `\\d{1,18}`). A `_id` that is not a number (a token) gives a pattern:
    `{file_id:[^/]+}`."""
    return name.endswith("_id") and (regex is None or DIGITS.fullmatch(regex) is not None)


def template(path: str) -> re.Pattern[str]:
    """aiohttp-style path template (`{name}` or `{name:regex}`) as a compiled regex."""
    regex, last = "", 0
    for match in PARAM.finditer(path):
        regex += re.escape(path[last : match.start()])
        regex += f"(?P<{match.group(1)}>{match.group(2) or '[^/]+'})"
        last = match.end()
    return re.compile(regex + re.escape(path[last:]))


async def serve(
    endpoint: Endpoint, request: web.Request, params: Mapping[str, str]
) -> web.StreamResponse:
    principal = await _principal(request) if endpoint.auth else await _optional(request, endpoint)
    policy.enforce(endpoint.rule, principal)  # before the body is read: see hub/policy.py
    body = await _body(request, endpoint.body) if endpoint.body else None
    query = _query(request, endpoint.query) if endpoint.query else None
    call = Call(request, body, query, principal, params, endpoint.id_bounds)
    result = await endpoint.handler(call)
    return _respond(result, endpoint.status)


async def _principal(request: web.Request) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("auth.required", "send Authorization: Bearer <access token>")
    return await request.app[AUTHENTICATOR].authenticate(token.strip())


async def _optional(request: web.Request, endpoint: Endpoint) -> Principal | None:
    if "Authorization" not in request.headers or not endpoint.rule.reads_person_token:
        return None
    return await _principal(request)


async def _body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    data = parse_json_body(await request.read())  # UTF-8; depth, size and number limits
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc) from None


def _query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    try:
        query = model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, "request.query_invalid") from None
    # Digits in a query string become ints of any size; the database takes 64 bits at most
    # (bodies get the same limit from hub.decoding).
    for name, value in query:
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            raise InvalidInput("request.query_invalid", f"{name}: must fit in 64 bits")
    return query


def _respond(result: Any, status: int) -> web.StreamResponse:
    if isinstance(result, web.StreamResponse):
        return result
    if result is None:
        return web.Response(status=204)
    if isinstance(result, BaseModel):
        return web.json_response(text=result.model_dump_json(), status=status)
    return web.json_response(text=ANY_JSON.dump_json(result).decode(), status=status)


# Built once: constructing a TypeAdapter costs more than the dump it does.
ANY_JSON: TypeAdapter[Any] = TypeAdapter(Any)


def error_response(error: HubError) -> web.Response:
    return web.json_response(error.to_dict(), status=error.status, headers=error.headers())


@web.middleware
async def request_context(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Request id and client address (hub.netaddr) for logs and audit; HubError to JSON."""
    request_id = request.headers.get("X-Request-ID", "")[:64] or secrets.token_hex(8)
    rid_token = request_id_var.set(request_id)
    ip_token = source_ip_var.set(netaddr.client_address(request))  # trusted proxies considered
    try:
        response = await handler(request)
    except HubError as exc:
        response = error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = "http.not_found" if exc.status == 404 else f"http.{exc.status}"
        response = error_response(HubError(code, exc.reason, status=exc.status))
    except BadHttpMessage:  # aiohttp's parsers, reading a malformed body (multipart, say)
        response = error_response(InvalidInput("request.malformed", "the body cannot be read"))
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        response = error_response(HubError("internal", "internal server error", status=500))
    finally:
        request_id_var.reset(rid_token)
        source_ip_var.reset(ip_token)
    response.headers["X-Request-ID"] = request_id
    return response
