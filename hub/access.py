"""Roles, the authenticated principal, and scope checks against the grid tree.

A role is a plain string: the core names below, or one a plugin declares (hub/roles.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from hub.errors import Forbidden

if TYPE_CHECKING:
    from hub.grid import GridIndex


class Role(StrEnum):
    """The core role names (a StrEnum: each is the str it names)."""

    ADMIN = "admin"
    COMMANDER = "commander"
    DISPATCHER = "dispatcher"
    GRID_LEADER = "grid_leader"
    GRID_WORKER = "grid_worker"
    RESIDENT = "resident"


STAFF_ROLES = frozenset({Role.COMMANDER, Role.DISPATCHER, Role.GRID_LEADER, Role.GRID_WORKER})
COMMAND_ROLES = frozenset({Role.COMMANDER, Role.DISPATCHER})


@dataclass(frozen=True, slots=True)
class Grant:
    """A role over a grid's subtree; `grid_id` None only for a deployment-wide admin."""

    role: str
    grid_id: int | None


@dataclass(frozen=True, slots=True)
class Principal:
    person_id: int
    username: str
    display_name: str
    session_id: str
    grants: tuple[Grant, ...]

    @property
    def is_admin(self) -> bool:
        return any(g.role == Role.ADMIN for g in self.grants)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def grid_ids(self, roles: Iterable[str] | None = None) -> set[int]:
        wanted = set(roles) if roles is not None else None
        return {
            g.grid_id
            for g in self.grants
            if g.grid_id is not None and (wanted is None or g.role in wanted)
        }


def in_scope(
    who: Principal, index: GridIndex, grid_id: int, roles: Iterable[str] | None = None
) -> bool:
    """True when `who` holds one of `roles` (any role if None) over a grid covering `grid_id`."""
    if who.is_admin:
        return True
    return any(index.covers(root, grid_id) for root in who.grid_ids(roles))


def require_scope(
    who: Principal, index: GridIndex, grid_id: int, roles: Iterable[str] | None = None
) -> None:
    if not in_scope(who, index, grid_id, roles):
        raise Forbidden("scope.forbidden", f"grid {grid_id} is outside your scope or role")


def require_admin(who: Principal) -> None:
    if not who.is_admin:
        raise Forbidden("auth.admin_required", "this action needs the admin role")


def require_role(who: Principal, roles: Iterable[str]) -> None:
    wanted = set(roles)
    if not who.is_admin and not (who.roles & wanted):
        names = ", ".join(sorted(str(r) for r in wanted))
        raise Forbidden("auth.role_required", f"this action needs one of: {names}")
