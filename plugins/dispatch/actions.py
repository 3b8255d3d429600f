"""What each lifecycle action does to an incident, inside the acting transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hub.sdk import (
    COMMAND_ROLES,
    STAFF_ROLES,
    Conflict,
    DirectoryView,
    Forbidden,
    GridIndex,
    InvalidInput,
    NotFound,
    PersonView,
    Principal,
    parse_id,
)
from plugins.dispatch import access, rows
from plugins.dispatch.cache import TtlCache
from plugins.dispatch.lifecycle import Action, State, verify_target
from plugins.dispatch.models import Assignment, Department, Incident
from plugins.dispatch.rows import now_utc
from plugins.dispatch.schemas import ActionIn, AssigneeIn


@dataclass
class Lookup:
    """People an action needs, fetched before its transaction (no nested sessions in one)."""

    people: dict[int, PersonView | None] = field(default_factory=dict)
    holders: dict[int, list[PersonView]] = field(default_factory=dict)

    @classmethod
    async def fetch(cls, people: People, index: GridIndex, assignees: list[AssigneeIn]) -> Lookup:
        found = cls()
        for spec in assignees:
            person_id = parse_id(spec.target) if spec.kind == "person" else None
            if person_id is not None:  # text that is no id is refused by `_person`
                found.people[person_id] = await people.person(person_id)
            node = index.find_code(spec.target) if spec.kind == "grid" else None
            if node is not None:
                found.holders[node.id] = await people.holders(node.id)
        return found


class People:
    """People and grid staff from the directory, cached briefly (dispatch looks them up often)."""

    def __init__(self, directory: DirectoryView, ttl_s: float = 30.0) -> None:
        self._directory = directory
        self._people: TtlCache[int, PersonView | None] = TtlCache(ttl_s)
        self._holders: TtlCache[int, list[PersonView]] = TtlCache(ttl_s)

    async def person(self, person_id: int) -> PersonView | None:
        return await self._people.get(person_id, self._person)

    async def holders(self, grid_id: int) -> list[PersonView]:
        return await self._holders.get(grid_id, self._grid_holders)

    async def _person(self, person_id: int) -> PersonView | None:
        try:
            return await self._directory.person(person_id)
        except NotFound:
            return None

    async def _grid_holders(self, grid_id: int) -> list[PersonView]:
        return await self._directory.holding_roles_in([grid_id])


@dataclass
class Turn:
    """One action being applied: the inputs, and what the handler decided."""

    session: Session
    who: Principal
    index: GridIndex
    incident: Incident
    parts: list[Assignment]
    body: ActionIn
    lookup: Lookup
    command_levels: list[str]
    target: State | None = None
    previous: str = ""
    people: dict[int, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    stage_person: int | None = None

    def __post_init__(self) -> None:
        self.previous = self.incident.state

    def departments(self) -> dict[str, Department]:
        return rows.departments(self.session)

    def mine(self) -> list[Assignment]:
        return access.my_parts(self.who, self.index, self.parts, self.departments())


Handler = Callable[[Turn], None]


def register(turn: Turn) -> None:
    access.require_command(turn.who, turn.index, turn.incident)


def reject(turn: Turn) -> None:
    access.require_command(turn.who, turn.index, turn.incident)


def dispatch(turn: Turn) -> None:
    access.require_command(turn.who, turn.index, turn.incident)
    wanted = _with_lead(turn.body.assignees)
    created = [_assign(turn, spec) for spec in wanted]
    turn.parts.extend(created)
    turn.session.add_all(created)
    lead = created[0]
    turn.stage_person = int(lead.target) if lead.kind == "person" else None
    turn.people[turn.who.person_id] = "watcher"
    turn.data["assignees"] = [a.model_dump() for a in wanted]


def _with_lead(specs: list[AssigneeIn]) -> list[AssigneeIn]:
    """The assignees, lead first; a single assignee is the lead."""
    if not specs:
        raise InvalidInput("incident.assignees_required", "dispatch needs at least one assignee")
    if len(specs) == 1:
        return [specs[0].model_copy(update={"lead": True})]
    leads = [s for s in specs if s.lead]
    if len(leads) != 1:
        raise InvalidInput(
            "incident.one_lead", "co-handling (协办) needs exactly one lead assignee"
        )
    if len({(s.kind, s.target) for s in specs}) != len(specs):
        raise InvalidInput("incident.duplicate_assignee", "an assignee is listed twice")
    return leads + [s for s in specs if not s.lead]


def _assign(turn: Turn, spec: AssigneeIn) -> Assignment:
    target, people = _resolve(turn, spec)
    for person_id in people:
        turn.people[person_id] = "assignee"
    return Assignment(
        incident_id=turn.incident.id,
        kind=spec.kind,
        target=target,
        lead=spec.lead,
        state="pending",
        person_id=int(target) if spec.kind == "person" else None,
        created_at=now_utc(),
    )


def _resolve(turn: Turn, spec: AssigneeIn) -> tuple[str, list[int]]:
    """(stored target, the people it reaches), checked against the handling level."""
    level = turn.incident.level_grid_id
    if spec.kind == "grid":
        node = turn.index.find_code(spec.target)
        if node is None or not turn.index.covers(level, node.id):
            raise InvalidInput(
                "incident.bad_assignee", f"grid {spec.target!r} is not under the handling level"
            )
        holders = turn.lookup.holders.get(node.id, [])
        return str(node.id), [p.id for p in holders if _field_role(p.roles, node.id)]
    if spec.kind == "department":
        dept = (turn.departments()).get(spec.target)
        if dept is None:
            raise InvalidInput("incident.bad_assignee", f"no department {spec.target!r}")
        return dept.code, list(dept.members)
    person_id = _person(turn, spec.target)
    return str(person_id), [person_id]


def _person(turn: Turn, raw: str) -> int:
    person_id = parse_id(raw)
    if person_id is None:
        raise InvalidInput("incident.bad_assignee", f"{raw[:32]!r} is not a person id")
    person = turn.lookup.people.get(person_id)
    if person is None:
        raise InvalidInput("incident.bad_assignee", f"no person {raw}")
    level = turn.incident.level_grid_id
    # Staff grants only: a resident living under the level is no one to dispatch to. The core
    # staff roles, those dispatch's rules (access.READ, ACT) let open and work on an incident:
    # another plugin's staff role alone would be an assignee who cannot see the job.
    grids = [r["grid_id"] for r in person.roles if r["role"] in STAFF_ROLES and r["grid_id"]]
    near = any(turn.index.covers(level, g) or turn.index.covers(g, level) for g in grids)
    if not person.active or not near:
        raise InvalidInput(
            "incident.bad_assignee", f"{person.display_name} does not work under the handling level"
        )
    return person.id


def _field_role(roles: list[dict[str, Any]], grid_id: int) -> bool:
    return any(r["grid_id"] == grid_id and r["role"] in access.FIELD_ROLES for r in roles)


def sign(turn: Turn) -> None:
    mine = [p for p in turn.mine() if p.state == "pending"]
    part = access.require_assignee(mine, turn.incident, lead=False)
    part.state, part.person_id, part.signed_at = "signed", turn.who.person_id, now_utc()
    turn.people[turn.who.person_id] = "assignee"
    turn.data["assignment_id"] = part.id
    lead_now = part.lead and turn.incident.state == State.DISPATCHED
    turn.target = State.SIGNED if lead_now else State(turn.incident.state)
    turn.stage_person = turn.who.person_id if lead_now else None


def give_back(turn: Turn) -> None:
    """退回: the lead returns the incident to its command centre; a co-handler only their part."""
    part = access.require_assignee(turn.mine(), turn.incident, lead=False)
    if not part.lead:
        part.state = "returned"
        turn.target = State(turn.incident.state)
        turn.data["assignment_id"] = part.id
        return
    _end_parts(turn, "returned")
    turn.incident.returns += 1
    rows.retire_assignees(turn.session, turn.incident.id)


def _end_parts(turn: Turn, how: str) -> None:
    for part in turn.parts:
        if part.state in access.LIVE:
            part.state = how


def _lead_signed(turn: Turn) -> Assignment:
    part = access.require_assignee(turn.mine(), turn.incident, lead=True)
    if part.state != "signed":
        raise Conflict("incident.not_signed", "sign for the incident first")
    return part


def move(turn: Turn) -> None:
    """en route / on scene: the lead's signer reports progress, with a location if known."""
    _lead_signed(turn)
    if turn.body.location is not None:
        turn.data["location"] = turn.body.location.model_dump()


def handle(turn: Turn) -> None:
    _lead_signed(turn)
    turn.incident.handler_id = turn.who.person_id
    turn.incident.attachments = [*turn.incident.attachments, *turn.body.attachments]
    turn.data["attachments"] = turn.body.attachments


def verify(turn: Turn) -> None:
    access.require_verifier(turn.who, turn.index, turn.incident)
    passed = turn.body.passed
    if passed is None:
        raise InvalidInput("incident.passed_required", "say whether the check passed")
    if not passed and not turn.body.note.strip():
        raise InvalidInput("incident.note_required", "a failed check needs a note")
    turn.target = verify_target(passed)
    turn.people[turn.who.person_id] = "verifier"
    turn.data["passed"] = passed


def close(turn: Turn) -> None:
    access.require_command(turn.who, turn.index, turn.incident)
    turn.incident.closed_at = now_utc()
    _end_parts(turn, "done")


def rate(turn: Turn) -> None:
    incident = turn.incident
    is_reporter = incident.reporter_id == turn.who.person_id
    if not is_reporter and not access.commands(turn.who, turn.index, incident):
        raise Forbidden("incident.not_reporter", "only the reporter or the centre may rate")
    if turn.body.rating is None:
        raise InvalidInput("incident.rating_required", "a rating from 1 to 5 is required")
    if incident.rating is not None:
        raise Conflict("incident.already_rated", f"incident {incident.number} is already rated")
    incident.rating, incident.rating_comment = turn.body.rating, turn.body.note
    turn.data["rating"] = turn.body.rating


def escalate(turn: Turn) -> None:
    """上报: the next command level up takes the incident over, to dispatch it anew."""
    access.require_command(turn.who, turn.index, turn.incident)
    upper = next_level(turn.index, turn.incident.level_grid_id, turn.command_levels)
    if upper is None:
        raise Conflict("incident.top_level", "there is no command level above this one")
    turn.data["from_grid"], turn.data["to_grid"] = turn.incident.level_grid_id, upper
    turn.incident.level_grid_id = upper
    turn.incident.supervised_by_grid = None
    _end_parts(turn, "withdrawn")
    rows.retire_assignees(turn.session, turn.incident.id)


def command_level(index: GridIndex, grid_id: int, levels: list[str]) -> int:
    """The lowest command-centre grid at or above `grid_id` (the grid itself if none)."""
    chain = [index.get(grid_id), *reversed(index.ancestors(grid_id))]
    found = next((n.id for n in chain if n.level in levels), None)
    return grid_id if found is None else found


def next_level(index: GridIndex, grid_id: int, levels: list[str]) -> int | None:
    return next((n.id for n in reversed(index.ancestors(grid_id)) if n.level in levels), None)


def park(turn: Turn) -> None:
    access.require_command(turn.who, turn.index, turn.incident)
    review = turn.body.review_at
    if review is None or review.tzinfo is None or review.timestamp() <= time.time():
        raise InvalidInput("incident.review_at", "parking needs a future review time with a zone")
    turn.incident.review_at = review.timestamp()
    turn.data["review_at"] = review.isoformat()


def unpark(turn: Turn) -> None:
    access.require_command(turn.who, turn.index, turn.incident)
    turn.incident.review_at = None
    _end_parts(turn, "withdrawn")
    rows.retire_assignees(turn.session, turn.incident.id)


def reopen(turn: Turn) -> None:
    access.require_command(turn.who, turn.index, turn.incident)
    turn.incident.closed_at, turn.incident.rating = None, None
    rows.retire_assignees(turn.session, turn.incident.id)


def supervise(turn: Turn) -> None:
    access.require_command(turn.who, turn.index, turn.incident)
    own = sorted(turn.who.grid_ids(COMMAND_ROLES), key=lambda g: turn.index.get(g).depth)
    turn.incident.supervised_by_grid = own[0] if own else None
    turn.data["by_grid"] = turn.incident.supervised_by_grid


def comment(turn: Turn) -> None:
    if turn.body.attachments:
        turn.data["attachments"] = turn.body.attachments
    turn.people[turn.who.person_id] = "watcher"


HANDLERS: dict[Action, Handler] = {
    Action.REGISTER: register,
    Action.REJECT: reject,
    Action.DISPATCH: dispatch,
    Action.SIGN: sign,
    Action.RETURN: give_back,
    Action.EN_ROUTE: move,
    Action.ON_SCENE: move,
    Action.HANDLE: handle,
    Action.VERIFY: verify,
    Action.CLOSE: close,
    Action.RATE: rate,
    Action.ESCALATE: escalate,
    Action.PARK: park,
    Action.UNPARK: unpark,
    Action.REOPEN: reopen,
    Action.SUPERVISE: supervise,
    Action.COMMENT: comment,
}
