"""/api/v1/auth: login, refresh, logout, unlock, and who am I.

Two ways to hold the refresh token. API and script clients get it in the JSON body and send
it back in the body. Browsers ask for `"cookie": true` and get it in an HttpOnly cookie that
page scripts cannot read (`gridhub_refresh`, path /api/v1/auth); a cookie refresh or logout
must then prove it comes from the hub's own pages: header `X-CSRF-Token` equal to the
readable `gridhub_csrf` cookie, and no foreign `Origin` (docs/security.md).
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web
from pydantic import BaseModel, Field

from hub import policy
from hub.access import Principal, require_admin
from hub.audit import Actor
from hub.errors import Forbidden, Unauthorized
from hub.grid import GridIndex
from hub.identity import TokenPair
from hub.keys import GRIDS, IDENTITY, ROLES
from hub.netaddr import client_address, is_https, own_origin
from hub.web import Call, Router

REFRESH_COOKIE = "gridhub_refresh"
CSRF_COOKIE = "gridhub_csrf"
CSRF_HEADER = "X-CSRF-Token"
REFRESH_COOKIE_PATH = "/api/v1/auth"

LOGIN = policy.public("auth.login")
REFRESH = policy.public("auth.refresh", policy.Scope.OWN)
LOGOUT = policy.public("auth.logout", policy.Scope.OWN)  # bearer token, or the refresh cookie
UNLOCK = policy.signed_in("auth.unlock", policy.Scope.OWN)  # others' (and addresses): admin
ME = policy.signed_in("auth.me", policy.Scope.OWN)


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    cookie: bool = Field(False, description="put the refresh token in an HttpOnly cookie")


class RefreshIn(BaseModel):
    refresh_token: str | None = Field(
        None, min_length=10, max_length=200, description="absent: use the gridhub_refresh cookie"
    )


class UnlockIn(BaseModel):
    username: str | None = Field(None, min_length=1, max_length=64, description="default: you")
    address: str | None = Field(None, min_length=1, max_length=64, description="admin only")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str | None = Field(None, description="absent when it went into the cookie")


class GrantOut(BaseModel):
    role: str
    grid_id: int | None
    grid: str | None
    grid_name: str | None


class MeOut(BaseModel):
    person_id: int
    username: str
    display_name: str
    is_admin: bool
    is_staff: bool = Field(description="admin, or holds a staff role (core or a plugin's)")
    roles: list[GrantOut]


def build_router() -> Router:
    router = Router("/api/v1/auth", "auth")

    @router.post(
        "/login",
        summary="Sign in with username and password",
        body=LoginIn,
        response=TokenOut,
        rule=LOGIN,
    )
    async def login(call: Call[LoginIn, None]) -> TokenOut | web.Response:
        request, body = call.request, call.body
        if body.cookie:
            check_origin(request)
        agent = request.headers.get("User-Agent")
        identity = request.app[IDENTITY]
        pair = await identity.login(body.username, body.password, caller_address(request), agent)
        return with_cookies(request, pair) if body.cookie else token_out(pair)

    @router.post(
        "/refresh",
        summary="Swap a refresh token (body, or the cookie with X-CSRF-Token) for new tokens",
        body=RefreshIn,
        response=TokenOut,
        rule=REFRESH,
    )
    async def refresh(call: Call[RefreshIn, None]) -> TokenOut | web.Response:
        request, identity = call.request, call.request.app[IDENTITY]
        caller_address(request)  # an audited revocation (reuse) names the client's address
        if call.body.refresh_token is not None:
            return token_out(await identity.refresh(call.body.refresh_token))
        check_csrf(request)
        cookie = request.cookies.get(REFRESH_COOKIE)
        if not cookie:
            raise Unauthorized("auth.refresh_invalid", "send refresh_token or the refresh cookie")
        return with_cookies(request, await identity.refresh(cookie))

    @router.post(
        "/logout",
        summary="End this session (bearer token, or the refresh cookie); clears the cookies",
        status=204,
        rule=LOGOUT,
    )
    async def logout(call: Call[None, None]) -> web.Response:
        request, identity = call.request, call.request.app[IDENTITY]
        caller_address(request)
        cookie = request.cookies.get(REFRESH_COOKIE)
        if call.principal is not None:
            await identity.logout(call.principal)
        elif cookie:
            check_csrf(request)
            await identity.logout_refresh(cookie)
        else:
            raise Unauthorized("auth.required", "send Authorization: Bearer <access token>")
        return cleared(web.Response(status=204))

    @router.post(
        "/unlock",
        summary="Lift sign-in limits: of your own account, or (admin) of any account or address",
        body=UnlockIn,
        status=204,
        rule=UNLOCK,
    )
    async def unlock(call: Call[UnlockIn, None]) -> None:
        who, body = call.who, call.body
        username = body.username or (None if body.address else who.username)
        if username not in (None, who.username) or body.address is not None:
            require_admin(who)
        await call.request.app[IDENTITY].unlock(Actor.of(who), username, body.address)

    @router.get("/me", summary="The signed-in person and their roles", response=MeOut, rule=ME)
    async def me(call: Call[None, None]) -> MeOut:
        app = call.request.app
        return describe(call.who, app[GRIDS].index, app[ROLES].staff)

    return router


def caller_address(request: web.Request) -> str:
    """The client's address for limits and the session (the request middleware has already
    set the same address for the audit log)."""
    return client_address(request)


def token_out(pair: TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
    )


def check_origin(request: web.Request) -> None:
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() != own_origin(request):
        raise Forbidden("auth.csrf", "request from another origin refused")


def check_csrf(request: web.Request) -> None:
    """A cookie request must come from the hub's own pages (double-submit token)."""
    check_origin(request)
    sent = request.headers.get(CSRF_HEADER, "").encode()
    expected = request.cookies.get(CSRF_COOKIE, "").encode()
    if not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden("auth.csrf", f"{CSRF_HEADER} must equal the {CSRF_COOKIE} cookie")


def with_cookies(request: web.Request, pair: TokenPair) -> web.Response:
    """Tokens for a browser: the access token in the body, the refresh token in cookies."""
    body = token_out(pair).model_dump(exclude={"refresh_token"})
    response = web.json_response(body)
    secure, max_age = is_https(request), max(0, pair.refresh_expires_in)
    response.set_cookie(
        REFRESH_COOKIE, pair.refresh_token, path=REFRESH_COOKIE_PATH, max_age=max_age,
        httponly=True, samesite="Strict", secure=secure,
    )  # fmt: skip
    response.set_cookie(
        CSRF_COOKIE, secrets.token_urlsafe(32), path="/", max_age=max_age,
        samesite="Strict", secure=secure,
    )  # fmt: skip
    return response


def cleared(response: web.Response) -> web.Response:
    response.del_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    response.del_cookie(CSRF_COOKIE, path="/")
    return response


def describe(who: Principal, index: GridIndex, staff: frozenset[str]) -> MeOut:
    grants = []
    for grant in who.grants:
        node = (
            index.get(grant.grid_id)
            if grant.grid_id is not None and grant.grid_id in index
            else None
        )
        grants.append(
            GrantOut(
                role=grant.role,
                grid_id=grant.grid_id,
                grid=node.code if node else None,
                grid_name=node.name if node else None,
            )
        )
    return MeOut(
        person_id=who.person_id,
        username=who.username,
        display_name=who.display_name,
        is_admin=who.is_admin,
        is_staff=who.is_admin or bool(who.roles & staff),
        roles=grants,
    )
