"""/api/v1/auth: login, refresh, logout, and who am I."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hub.access import Principal
from hub.grid import GridIndex
from hub.keys import GRIDS, IDENTITY
from hub.web import Call, Router


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


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
    roles: list[GrantOut]


def build_router() -> Router:
    router = Router("/api/v1/auth", "auth")

    @router.post(
        "/login",
        summary="Sign in with username and password",
        body=LoginIn,
        response=TokenOut,
        auth=False,
    )
    async def login(call: Call[LoginIn, None]) -> TokenOut:
        agent = call.request.headers.get("User-Agent")
        pair = await call.request.app[IDENTITY].login(call.body.username, call.body.password, agent)
        return TokenOut(
            access_token=pair.access_token,
            expires_in=pair.expires_in,
            refresh_token=pair.refresh_token,
        )

    @router.post(
        "/refresh",
        summary="Swap a refresh token for new tokens (rotation)",
        body=RefreshIn,
        response=TokenOut,
        auth=False,
    )
    async def refresh(call: Call[RefreshIn, None]) -> TokenOut:
        pair = await call.request.app[IDENTITY].refresh(call.body.refresh_token)
        return TokenOut(
            access_token=pair.access_token,
            expires_in=pair.expires_in,
            refresh_token=pair.refresh_token,
        )

    @router.post("/logout", summary="End this session; its tokens stop working", status=204)
    async def logout(call: Call[None, None]) -> None:
        await call.request.app[IDENTITY].logout(call.who)

    @router.get("/me", summary="The signed-in person and their roles", response=MeOut)
    async def me(call: Call[None, None]) -> MeOut:
        return describe(call.who, call.request.app[GRIDS].index)

    return router


def describe(who: Principal, index: GridIndex) -> MeOut:
    grants = []
    for grant in who.grants:
        node = (
            index.get(grant.grid_id)
            if grant.grid_id is not None and grant.grid_id in index
            else None
        )
        grants.append(
            GrantOut(
                role=grant.role.value,
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
        roles=grants,
    )
