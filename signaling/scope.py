"""Who may call whom, and who may pull whose camera (checked against the grid tree)."""

from __future__ import annotations

from hub.access import COMMAND_ROLES, Principal, Role
from hub.errors import Forbidden, InvalidInput, NotFound
from hub.grid import GridIndex
from storage.models import Person

Found = tuple[Person, list[tuple[int | None, str]]]


def check_callee(caller: Principal, callee_id: int, found: Found | None, index: GridIndex) -> None:
    """Two people may call each other when a grid of one covers a grid of the other."""
    _exists(caller, callee_id, found)
    assert found is not None
    grants = found[1]
    if caller.is_admin or any(role == Role.ADMIN for _, role in grants):
        return
    theirs = [g for g, _ in grants if g is not None]
    mine = caller.grid_ids()
    if any(index.covers(a, b) or index.covers(b, a) for a in mine for b in theirs):
        return
    raise Forbidden("call.out_of_scope", f"person {callee_id} is outside your grid chain")


def check_pull(commander: Principal, worker_id: int, found: Found | None, index: GridIndex) -> None:
    """A commander or dispatcher may pull the camera of a person assigned within their seats."""
    seats = commander.grid_ids(COMMAND_ROLES)
    if not commander.is_admin and not seats:
        raise Forbidden("call.pull_forbidden", "only commanders and dispatchers pull video")
    _exists(commander, worker_id, found)
    assert found is not None
    if commander.is_admin:
        return
    theirs = [g for g, _ in found[1] if g is not None]
    if any(index.covers(seat, grid) for seat in seats for grid in theirs):
        return
    raise Forbidden("call.out_of_scope", f"person {worker_id} is outside your command scope")


def auto_accepts(found: Found, roles: list[str], policy: str) -> bool:
    """Does the pulled person's app accept by itself (policy, or one of their roles)?"""
    return policy == "auto" or any(role in roles for _, role in found[1])


def _exists(who: Principal, person_id: int, found: Found | None) -> None:
    if person_id == who.person_id:
        raise InvalidInput("call.self", "you cannot call yourself")
    if found is None:
        raise NotFound("call.callee_not_found", f"person {person_id} does not exist")
