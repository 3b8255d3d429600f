"""Helpers shared by the services plugin's parts: scope, tracking codes, bodies."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub.sdk import (
    GridIndex,
    NotFound,
    Principal,
    invalid_from_pydantic,
    parse_json_body,
    require_scope,
)

M = TypeVar("M", bound=BaseModel)
PHONE = r"^(?:\+?86)?(?:1[3-9]\d{9}|0\d{9,11})$"
PHONE_OR_NONE = r"^(?:|(?:\+?86)?(?:1[3-9]\d{9}|0\d{9,11}))$"
NAME = r"^[^\x00-\x1f<>]{1,40}$"
NAME_OR_NONE = r"^(?:|[^\x00-\x1f<>]{1,40})$"
CODE_PATH = "{code:[A-Za-z0-9_-]{8,24}}"
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{8,24}$")


def new_code() -> str:
    """A tracking code a resident keeps (96 random bits, URL-safe)."""
    return secrets.token_urlsafe(12)


def visible_grids(who: Principal, index: GridIndex, roles: Iterable[str]) -> set[int] | None:
    """Grid ids a list may show the caller (None: every grid, for admins)."""
    if who.is_admin:
        return None
    return index.scope_ids(who.grid_ids(roles))


def check_grid(who: Principal, index: GridIndex, grid_id: int, roles: Iterable[str]) -> None:
    """The grid exists and lies in the caller's scope for `roles` (404 / 403 otherwise)."""
    if grid_id not in index:
        raise NotFound("services.grid_not_found", f"no grid {grid_id}")
    require_scope(who, index, grid_id, roles)


def validated(model: type[M], data: Any, code: str = "request.invalid") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, code) from None


async def json_body(request: web.Request, model: type[M]) -> M:
    """A JSON body validated by `model`, read inside a handler (after its rate limit)."""
    return validated(model, parse_json_body(await request.read() or b"null"))
