"""Who may act on an incident: the rules of the plugin's routes and events, and the incident's
scope predicates (command level, sight, assignees, verifiers, reporters).

The HTTP route and the socket event of one action carry the same rule below, and their handlers
call the same service method, which applies the same predicate (`sees`, `commands`, ...).
Residents reach the plugin only through its public intake (appeal form, tracking code, Open311):
every staff route and event is for staff roles, and a resident's grant never counts as sight.
"""

from __future__ import annotations

from hub.sdk import (
    COMMAND_ROLES,
    STAFF_ROLES,
    Forbidden,
    GridIndex,
    Principal,
    Role,
    Scope,
    admin_only,
    for_roles,
    in_scope,
    public,
)
from plugins.dispatch.models import Assignment, Department, Incident

FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER})
VERIFY_ROLES = frozenset({Role.GRID_LEADER, *COMMAND_ROLES})
LIVE = frozenset({"pending", "signed"})

INCIDENT = "incident"  # scope: `sees` (staff over its grid or handling level, or involved)
TRACKING_CODE = "tracking_code"  # scope: the code a resident was given is the credential
PUBLISHED = "published"  # scope: public categories and the published fields of public reports

REPORT = for_roles("dispatch.incident.report", STAFF_ROLES, Scope.GRID)
LIST = for_roles("dispatch.incident.list", STAFF_ROLES, Scope.LISTED)
READ = for_roles("dispatch.incident.read", STAFF_ROLES, INCIDENT)  # detail, photos
WATCH = for_roles("dispatch.incident.watch", STAFF_ROLES, INCIDENT)  # watch, unwatch
ACT = for_roles("dispatch.incident.act", STAFF_ROLES, INCIDENT)  # lifecycle, comment
CHANNEL = for_roles("dispatch.incident.channel", STAFF_ROLES, INCIDENT)
CONTACT = for_roles("dispatch.incident.contact", COMMAND_ROLES, INCIDENT)  # audited reveal
SUGGEST = for_roles("dispatch.incident.suggest", COMMAND_ROLES, INCIDENT)
KPIS = for_roles("dispatch.kpis", STAFF_ROLES, Scope.GRID)
CATEGORIES = public("dispatch.categories")
DEPARTMENTS = for_roles("dispatch.departments", STAFF_ROLES, Scope.NONE)
CATALOGUE_EDIT = admin_only("dispatch.catalogue.edit")
RULES_READ = for_roles("dispatch.rules.read", COMMAND_ROLES, Scope.NONE)
RULES_EDIT = admin_only("dispatch.rules.edit")
PUBLIC_INTAKE = public("dispatch.public.intake")  # categories, filing (rate-limited)
PUBLIC_TRACK = public("dispatch.public.track", TRACKING_CODE)  # progress, rating, photos
OPEN311_READ = public("dispatch.open311.read", PUBLISHED)
OPEN311_FILE = public("dispatch.open311.file")


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
    """Staff over the incident's grid, its handling level, or anyone involved in it (a
    resident's grant over the grid is no sight: residents follow their appeals by code)."""
    return (
        involved
        or in_scope(who, index, incident.grid_id, STAFF_ROLES)
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
