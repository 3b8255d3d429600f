"""Who may do what: one rule per action, checked alike for HTTP routes and socket events.

Every HTTP route (`hub.web.Router`), socket event (`hub.realtime.Realtime.on`) and claimed
WebSocket path names a `Rule`; there is no default. A rule has two parts:

- who: anyone (`public`), any signed-in person (`signed_in`), or holders of some roles
  (`for_roles`; admins always). `enforce` checks this part, the same function for both
  transports, before the request body is read or validated;
- scope: the name of the object check the handler makes once the object is known (the
  incident's grid, a channel's members, the caller's own things, ...). The check itself is a
  predicate of the package that owns the object, and the HTTP route and the socket event of one
  action call the same one.

The route and the event of one action carry the same `Rule` object (one action name, one rule).
See docs/security.md, "Who may do what".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from hub.access import Principal, Role
from hub.errors import Forbidden, Unauthorized
from hub.roles import ROLE_NAME

ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


class Audience(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed_in"  # any signed-in person
    ROLES = "roles"  # holders of one of the rule's roles (admins always)


class Scope:
    """Names of the core object checks; plugins add their own (e.g. "incident", "alarm")."""

    NONE = "none"  # touches no particular object (health, sign-in, catalogues)
    OWN = "own"  # only the caller's own things (session, presence, password, check-ins)
    LISTED = "listed"  # a list cut down to the caller's grid subtree (and own items)
    DEPLOYMENT = "deployment"  # admin-only: the whole deployment
    GRID = "grid"  # a grid named in the request lies in the caller's subtree
    PERSON = "person"  # a person named in the request holds a role in the caller's subtree
    DEVICE = "device"  # the device's grid lies in the caller's subtree
    CHANNEL = "channel"  # a member of the channel, or command roles over its grid
    CALL = "call"  # a party of the call; callees within the caller's grid chain
    MEDIA_ROOM = "media_room"  # a group call or PTT room: channel access; moderation
    RECORDING = "recording"  # a participant, or command roles over its grids
    CAMERA = "camera"  # command roles over the camera's grid
    DEVICE_KEY = "device_key"  # a device proves its key itself (device protocol)
    SCRAPER = "scraper"  # a metrics scraper: the metrics token or an allowed address


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may perform `action`, and which object check (`scope`) its handler applies."""

    action: str
    audience: Audience
    roles: frozenset[str] = frozenset()  # core names (Role) or plugin-declared ones
    scope: str = Scope.NONE

    def __post_init__(self) -> None:
        if not ACTION.fullmatch(self.action):
            raise ValueError(f"action {self.action!r}: dotted lower-case names, e.g. 'x.read'")
        if (self.audience is Audience.ROLES) != bool(self.roles):
            raise ValueError(f"action {self.action!r}: roles go with (only) a roles audience")
        odd = sorted(str(r) for r in self.roles if not ROLE_NAME.fullmatch(r))
        if odd:
            raise ValueError(f"action {self.action!r}: not role names: {odd}")

    @property
    def needs_sign_in(self) -> bool:
        return self.audience is not Audience.PUBLIC

    @property
    def admin_only(self) -> bool:
        return self.roles == {Role.ADMIN}

    @property
    def reads_person_token(self) -> bool:
        """Whether a bearer token sent along names a person (else it is the caller's own
        credential, checked by the handler: a metrics scraper's token is no access token)."""
        return self.scope not in (Scope.DEVICE_KEY, Scope.SCRAPER)

    def admits(self, who: Principal | None) -> bool:
        """Does the role part let `who` (None: not signed in) perform the action?"""
        if who is None:
            return not self.needs_sign_in
        if self.audience is not Audience.ROLES:
            return True
        return who.is_admin or bool(who.roles & self.roles)

    def describe(self) -> str:
        """The role part in words, as the docs and error messages give it."""
        if self.audience is not Audience.ROLES:
            return self.audience.value
        return ", ".join(sorted(str(r) for r in self.roles | {Role.ADMIN}))


def public(action: str, scope: str = Scope.NONE) -> Rule:
    return Rule(action, Audience.PUBLIC, scope=scope)


def signed_in(action: str, scope: str) -> Rule:
    return Rule(action, Audience.SIGNED_IN, scope=scope)


def for_roles(action: str, roles: Iterable[str], scope: str) -> Rule:
    """Holders of `roles` (core or plugin-declared names; admins always)."""
    return Rule(action, Audience.ROLES, frozenset(roles), scope)


def admin_only(action: str) -> Rule:
    return Rule(action, Audience.ROLES, frozenset({Role.ADMIN}), Scope.DEPLOYMENT)


def enforce(rule: Rule, who: Principal | None) -> None:
    """The role part of `rule` for `who`; raises the structured refusal. HTTP and sockets both
    call this, before anything of the request is parsed."""
    if rule.admits(who):
        return
    if who is None:
        raise Unauthorized("auth.required", "sign in first")
    if rule.admin_only:
        raise Forbidden("auth.admin_required", "this action needs the admin role")
    raise Forbidden("auth.role_required", f"{rule.action} needs one of: {rule.describe()}")


Transport = Literal["http", "socket", "websocket"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One way in (a route, an event, a WebSocket path) and its rule."""

    transport: Transport
    name: str  # "GET /api/v1/..." for HTTP, the event name, or the WebSocket path
    rule: Rule


def rulebook(entries: Iterable[Entry]) -> dict[str, Rule]:
    """Action -> rule over every way in; an action declared with two different rules is an
    error (the route and the event of one action must not drift apart)."""
    book: dict[str, Rule] = {}
    for entry in entries:
        known = book.setdefault(entry.rule.action, entry.rule)
        if known != entry.rule:
            raise ValueError(f"{entry.name}: action {known.action!r} has two different rules")
    return book
