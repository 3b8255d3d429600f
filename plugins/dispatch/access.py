"""Who may act on an incident: command level, assignees, verifiers, reporters."""

from __future__ import annotations

from hub.access import COMMAND_ROLES, Principal, Role, in_scope
from hub.errors import Forbidden
from hub.grid import GridIndex
from plugins.dispatch.models import Assignment, Department, Incident

FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER})
VERIFY_ROLES = frozenset({Role.GRID_LEADER, *COMMAND_ROLES})
LIVE = frozenset({"pending", "signed"})


def commands(who: Principal, index: GridIndex, incident: Incident) -> bool:
    """Commander or dispatcher over the level now handling the incident (or above it)."""
    return in_scope(who, index, incident.level_grid_id, COMMAND_ROLES)


def require_command(who: Principal, index: GridIndex, incident: Incident) -> None:
    if not commands(who, index, incident):
        raise Forbidden(
            "incident.not_commander",
            f"only the command centre handling incident {incident.number} may do this",
        )


def sees(who: Principal, index: GridIndex, incident: Incident, involved: bool) -> bool:
    """Staff over the incident's grid, its handling level, or anyone involved in it."""
    return (
        involved
        or in_scope(who, index, incident.grid_id)
        or in_scope(who, index, incident.level_grid_id, COMMAND_ROLES)
    )


def may_take(
    who: Principal,
    index: GridIndex,
    part: Assignment,
    departments: dict[str, Department],
) -> bool:
    """Whether `who` may sign for (and then work on) this assignment."""
    if part.state not in LIVE:
        return False
    if part.state == "signed":
        return part.person_id == who.person_id
    if part.kind == "person":
        return part.target == str(who.person_id)
    if part.kind == "grid":
        grid_id = int(part.target)
        return grid_id in index and in_scope(who, index, grid_id, FIELD_ROLES)
    dept = departments.get(part.target)
    return dept is not None and who.person_id in dept.members


def my_parts(
    who: Principal,
    index: GridIndex,
    parts: list[Assignment],
    departments: dict[str, Department],
) -> list[Assignment]:
    """The live assignments `who` may act on, the lead first."""
    mine = [p for p in parts if may_take(who, index, p, departments)]
    return sorted(mine, key=lambda p: (not p.lead, p.id))


def require_assignee(mine: list[Assignment], incident: Incident, lead: bool = True) -> Assignment:
    if not mine or (lead and not mine[0].lead):
        what = "the lead assignee" if lead else "an assignee"
        raise Forbidden(
            "incident.not_assignee", f"only {what} of incident {incident.number} may do this"
        )
    return mine[0]


def require_verifier(who: Principal, index: GridIndex, incident: Incident) -> None:
    if not in_scope(who, index, incident.grid_id, VERIFY_ROLES):
        raise Forbidden(
            "incident.not_verifier",
            "verification needs a grid leader or command centre over the incident's grid",
        )
    if incident.handler_id == who.person_id:
        raise Forbidden(
            "incident.self_verification", "the handler may not verify their own handling"
        )
