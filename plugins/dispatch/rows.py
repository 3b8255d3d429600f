"""Row operations of a write transaction, synchronous: `Writes.run` runs them in one go.

On SQLite the whole transaction runs on the writer thread (one hand-over per transaction
instead of three or four per statement); on PostgreSQL in a greenlet on the event loop
(`AsyncSession.run_sync`). The rows every action appends are prebuilt Core statements: no unit
of work, no statement construction or cache-key generation per call. In a group-committed batch
they are queued (`append_row`) and written per table in one statement just before the commit;
a body that reads an incident's stage records or involvement settles that incident's queued
rows first (`settle_rows`), so it sees its batch-mates' rows as it would see committed ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from hub.sdk import Base, NotFound, append_row, settle_rows
from plugins.dispatch.models import Assignment, Category, Department, Event, Incident, Involved
from plugins.dispatch.models import Stage as StageRow


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


INCIDENTS, STAGES, INVOLVED = _table(Incident), _table(StageRow), _table(Involved)
INSERT_INCIDENT = insert(INCIDENTS).returning(INCIDENTS.c.id)
_stages, _involved = STAGES.c, INVOLVED.c
INSERT_EVENT = insert(_table(Event))
INSERT_STAGE = insert(STAGES)
INSERT_INVOLVED = insert(INVOLVED)
CLOSE_STAGE = (
    update(STAGES)
    .where(_stages.incident_id == bindparam("incident"), _stages.ended_at.is_(None))
    .values(ended_at=bindparam("ended"))
)
INVOLVED_ROLES = select(_involved.person_id, _involved.role, _involved.active).where(
    _involved.incident_id == bindparam("incident")
)
PROMOTE = (
    update(INVOLVED)
    .where(_involved.incident_id == bindparam("incident"), _involved.person_id.in_(
        bindparam("people", expanding=True)))
    .values(role="assignee")
)  # fmt: skip
RETIRE = (
    update(INVOLVED)
    .where(_involved.incident_id == bindparam("incident"), _involved.role == "assignee")
    .values(role="watcher")
)
ASSIGNMENTS = (
    select(Assignment)
    .where(Assignment.incident_id == bindparam("incident"))
    .order_by(Assignment.id)
)

INCIDENT_WITH_PARTS = (
    select(Incident, Assignment)
    .outerjoin(Assignment, Assignment.incident_id == Incident.id)
    .where(Incident.id == bindparam("incident"))
    .order_by(Assignment.id)
)


def now_utc() -> datetime:
    return datetime.now(UTC)


def insert_incident(session: Session, incident: Incident) -> None:
    """INSERT a new incident, built (every column set) as an object that stays out of the
    session: a Core statement, no unit of work; the object gets its id, and serves the summary.
    """
    values = {c.key: getattr(incident, c.key) for c in INCIDENTS.c if c.key != "id"}
    incident.id = session.execute(INSERT_INCIDENT, values).scalar_one()


def load_with_parts(session: Session, incident_id: int) -> tuple[Incident, list[Assignment]]:
    """The incident (in the session, for an action's versioned update) and its assignments, in
    one round trip instead of two."""
    found = session.execute(INCIDENT_WITH_PARTS, {"incident": incident_id}).all()
    if not found:
        raise NotFound("incident.not_found", f"incident {incident_id} does not exist")
    return found[0][0], [part for _incident, part in found if part is not None]


def load(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident.not_found", f"incident {incident_id} does not exist")
    return incident


def category(session: Session, code: str) -> Category:
    found = session.get(Category, code)
    if found is None or not found.active:
        raise NotFound("category.not_found", f"no active category {code!r}")
    return found


def assignments(session: Session, incident_id: int) -> list[Assignment]:
    return list(session.scalars(ASSIGNMENTS, {"incident": incident_id}))


def departments(session: Session) -> dict[str, Department]:
    return {d.code: d for d in session.scalars(select(Department))}


def involved(session: Session, incident_id: int) -> list[int]:
    """The people actively involved (those notified of every change)."""
    settle_rows(session, ("involved", incident_id))
    found = session.execute(INVOLVED_ROLES, {"incident": incident_id})
    return sorted(int(person_id) for person_id, _role, active in found if active)


def involve(
    session: Session, incident_id: int, people: dict[int, str], *, new: bool = False
) -> tuple[list[int], list[int]]:
    """Add people to the incident (a role each); returns (everyone involved now, newcomers).

    `new`: the incident was just created, so nobody is involved yet (saves a query).
    """
    roles: dict[int, str] = {}
    if not new:
        settle_rows(session, ("involved", incident_id))
        found = session.execute(INVOLVED_ROLES, {"incident": incident_id})
        roles = {int(person_id): str(role) for person_id, role, _active in found}
    added = [p for p in people if p != 0 and p not in roles]  # 0: the automatic principal
    promoted = [
        p for p, role in people.items()
        if p in roles and role == "assignee" and roles[p] != "assignee"
    ]  # fmt: skip
    for p in added:
        row = {"incident_id": incident_id, "person_id": p, "role": people[p]}
        append_row(session, INSERT_INVOLVED, row, ("involved", incident_id))
    if promoted:
        session.execute(PROMOTE, {"incident": incident_id, "people": promoted})
    return sorted({*roles, *added}), added


def retire_assignees(session: Session, incident_id: int) -> None:
    """The incident's assignees stop counting as such (they stay involved, as watchers)."""
    settle_rows(session, ("involved", incident_id))
    session.execute(RETIRE, {"incident": incident_id})


def record_stage(
    session: Session, incident: Incident, person_id: int | None, *, new: bool = False
) -> None:
    """Close the stage record that was open and open one for the incident's current stage."""
    if not new:
        ended = incident.stage_started_at or now_utc().timestamp()
        settle_rows(session, ("stage", incident.id))
        session.execute(CLOSE_STAGE, {"incident": incident.id, "ended": ended})
    if incident.stage is None:
        return
    assert incident.stage_started_at is not None
    assert incident.stage_deadline is not None
    row = {
        "incident_id": incident.id, "stage": incident.stage,
        "unit_grid_id": incident.level_grid_id, "unit_person_id": person_id,
        "started_at": incident.stage_started_at, "deadline": incident.stage_deadline,
    }  # fmt: skip
    append_row(session, INSERT_STAGE, row, ("stage", incident.id))


def add_event(
    session: Session,
    incident: Incident,
    action: str,
    from_state: str | None,
    actor: tuple[int | None, str],
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """A line in the incident's timeline."""
    row = {
        "incident_id": incident.id, "action": action, "from_state": from_state,
        "to_state": incident.state, "actor_id": actor[0], "actor": actor[1], "at": now_utc(),
        "note": note, "data": data or {},
    }  # fmt: skip
    append_row(session, INSERT_EVENT, row, ("event", incident.id))  # read: offers._seen
