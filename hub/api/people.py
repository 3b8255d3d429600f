"""/api/v1/people: people and their roles; admin writes, import/export JSON and CSV."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from hub import people as people_mod
from hub import policy
from hub.access import Principal, require_admin
from hub.api.auth import caller_address
from hub.audit import Actor
from hub.decoding import parse_json_body
from hub.errors import Forbidden, InvalidInput
from hub.keys import BUS, GRIDS, IDENTITY, PEOPLE, REALTIME, ROLES
from hub.messages import PersonChanged
from hub.people import PersonPatch, PersonSpec, PersonView
from hub.web import Call, Router

PEOPLE_LIST = policy.signed_in("people.list", policy.Scope.LISTED)  # residents: themselves
PERSON_READ = policy.signed_in("people.read", policy.Scope.PERSON)  # yourself, or staff in scope
PASSWORD_SET = policy.signed_in("people.password", policy.Scope.OWN)  # admins: anyone's
PEOPLE_ADMIN = policy.admin_only("people.admin")


class RoleOut(BaseModel):
    role: str
    grid_id: int | None
    grid: str | None
    grid_name: str | None


class PersonOut(BaseModel):
    id: int
    username: str
    display_name: str
    phone: str | None
    email: str | None
    active: bool
    report_interval_s: int
    roles: list[RoleOut]


class PeopleQuery(BaseModel):
    grid: str | None = Field(None, description="only people with a role in this grid's subtree")


class PasswordIn(BaseModel):
    password: str = Field(min_length=8, max_length=200)
    current_password: str | None = Field(None, max_length=200)


class FormatQuery(BaseModel):
    format: Literal["json", "csv"] = "json"


class ImportOut(BaseModel):
    created: int
    updated: int


def person_out(view: PersonView) -> PersonOut:
    return PersonOut.model_validate(asdict(view))


def build_router() -> Router:
    router = Router("/api/v1/people", "people")

    @router.get(
        "",
        summary="People holding roles in your scope",
        query=PeopleQuery,
        response=list[PersonOut],
        rule=PEOPLE_LIST,
    )
    async def list_people(call: Call[None, PeopleQuery]) -> list[PersonOut]:
        app, who = call.request.app, call.who
        index, staff = app[GRIDS].index, app[ROLES].staff  # plugin staff roles count too
        if not who.is_admin and not (who.roles & staff):
            return [person_out(await app[PEOPLE].get(who.person_id, index))]
        grid_ids = None if who.is_admin else index.scope_ids(who.grid_ids(staff))
        if call.query.grid is not None:
            root = index.by_code(call.query.grid)
            subtree = {n.id for n in index.subtree(root.id)}
            grid_ids = subtree if grid_ids is None else grid_ids & subtree
        return [person_out(v) for v in await app[PEOPLE].in_grids(index, grid_ids)]

    @router.get(
        "/export",
        summary="Export people (admin)",
        query=FormatQuery,
        rule=PEOPLE_ADMIN,
        produces="application/json or text/csv",
    )
    async def export(call: Call[None, FormatQuery]) -> Any:
        views = await call.request.app[PEOPLE].in_grids(call.request.app[GRIDS].index, None)
        if call.query.format == "csv":
            return web.Response(text=people_mod.export_csv(views), content_type="text/csv")
        return people_mod.export_json(views)

    @router.post(
        "/import",
        summary="Upsert people from JSON or CSV (admin)",
        query=FormatQuery,
        response=ImportOut,
        raw_body="application/json or text/csv",
        rule=PEOPLE_ADMIN,
    )
    async def import_people(call: Call[None, FormatQuery]) -> ImportOut:
        specs = await _parse_import(call)
        index = call.request.app[GRIDS].index
        created, updated = await call.request.app[PEOPLE].import_specs(
            specs, index, Actor.of(call.who)
        )
        # person 0: "several people changed"; caches drop everything of theirs lazily.
        await _person_changed(call, 0)
        return ImportOut(created=created, updated=updated)

    @router.get("/{person_id}", summary="One person", response=PersonOut, rule=PERSON_READ)
    async def get_person(call: Call[None, None]) -> PersonOut:
        person_id = call.path_int("person_id")
        view = await call.request.app[PEOPLE].get(person_id, call.request.app[GRIDS].index)
        _require_visible(call.who, view, call)
        return person_out(view)

    @router.post(
        "",
        summary="Create a person (admin)",
        body=PersonSpec,
        response=PersonOut,
        status=201,
        rule=PEOPLE_ADMIN,
    )
    async def create(call: Call[PersonSpec, None]) -> PersonOut:
        index = call.request.app[GRIDS].index
        view = await call.request.app[PEOPLE].create(call.body, index, Actor.of(call.who))
        await _person_changed(call, view.id)
        return person_out(view)

    @router.patch(
        "/{person_id}",
        summary="Edit a person or replace their roles (admin)",
        body=PersonPatch,
        response=PersonOut,
        rule=PEOPLE_ADMIN,
    )
    async def edit(call: Call[PersonPatch, None]) -> PersonOut:
        app, person_id = call.request.app, call.path_int("person_id")
        view = await app[PEOPLE].update(person_id, call.body, app[GRIDS].index, Actor.of(call.who))
        await _person_changed(call, person_id)
        return person_out(view)

    @router.post(
        "/{person_id}/password",
        summary="Set a password (admin, or yourself)",
        body=PasswordIn,
        status=204,
        rule=PASSWORD_SET,
    )
    async def set_password(call: Call[PasswordIn, None]) -> None:
        app, person_id = call.request.app, call.path_int("person_id")
        await _check_password_change(call, person_id)
        await app[PEOPLE].set_password(person_id, call.body.password, Actor.of(call.who))
        await app[IDENTITY].revoke_person(person_id, "password_changed", Actor.of(call.who))

    @router.post(
        "/{person_id}/disable",
        summary="Disable and sign out everywhere (admin)",
        status=204,
        rule=PEOPLE_ADMIN,
    )
    async def disable(call: Call[None, None]) -> None:
        app, person_id = call.request.app, call.path_int("person_id")
        await app[PEOPLE].set_active(person_id, False, Actor.of(call.who))
        await app[IDENTITY].revoke_person(person_id, "disabled", Actor.of(call.who))
        await _person_changed(call, person_id)

    @router.post(
        "/{person_id}/enable",
        summary="Enable a disabled person (admin)",
        status=204,
        rule=PEOPLE_ADMIN,
    )
    async def enable(call: Call[None, None]) -> None:
        person_id = call.path_int("person_id")
        await call.request.app[PEOPLE].set_active(person_id, True, Actor.of(call.who))
        await _person_changed(call, person_id)

    @router.post(
        "/{person_id}/revoke-sessions",
        summary="Sign a person out everywhere (admin)",
        status=204,
        rule=PEOPLE_ADMIN,
    )
    async def revoke(call: Call[None, None]) -> None:
        await call.request.app[IDENTITY].revoke_person(
            call.path_int("person_id"), "revoked", Actor.of(call.who)
        )

    return router


def _require_visible(who: Principal, view: PersonView, call: Call[Any, Any]) -> None:
    """Yourself, or someone with a role under your staff grants (a resident sees no one)."""
    if who.is_admin or who.person_id == view.id:
        return
    staff = call.request.app[ROLES].staff
    scoped = call.request.app[GRIDS].index.scope_ids(who.grid_ids(staff))
    if not any(r["grid_id"] in scoped for r in view.roles):
        raise Forbidden("scope.forbidden", "that person is outside your scope")


async def _check_password_change(call: Call[PasswordIn, None], person_id: int) -> None:
    who = call.who
    if who.person_id != person_id:
        require_admin(who)
        return
    # Under the same sign-in limits as a login: a stolen session cannot guess it freely.
    given, address = call.body.current_password or "", caller_address(call.request)
    await call.request.app[IDENTITY].check_current_password(person_id, given, address)


async def _parse_import(call: Call[None, FormatQuery]) -> list[PersonSpec]:
    raw = await call.request.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("request.encoding_invalid", "the body must be UTF-8") from None
    if call.query.format == "csv":
        return people_mod.parse_csv(text)
    return people_mod.parse_json(parse_json_body(text))  # hub.decoding's limits


async def _person_changed(call: Call[Any, Any], person_id: int) -> None:
    """Grants changed: this node's sockets follow before the reply (so the caller's next
    step meets the new rooms), every other node's on the bus message."""
    app = call.request.app
    app[IDENTITY].forget_person(person_id)
    await app[REALTIME].rescope(person_id)
    await app[BUS].publish(PersonChanged(person_id=person_id))
