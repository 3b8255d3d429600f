"""Cases: intake, scoped reads and every versioned, audited step (pushed live after commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from hub.sdk import (
    Actor,
    Conflict,
    GridIndex,
    GridNode,
    NotFound,
    PluginContext,
    Principal,
    invalid_from_pydantic,
    require_scope,
    utcnow,
)
from plugins.mediation import access, views
from plugins.mediation.config import MediationConfig
from plugins.mediation.effects import Change, Effects
from plugins.mediation.levels import committee
from plugins.mediation.models import Case, Document, Expert, Link, Meeting, Party, Step
from plugins.mediation.people import ArchivesPeople, Person
from plugins.mediation.repeats import find_repeats, later_repeats
from plugins.mediation.schemas import CaseIn, CasesQuery, MeetingIn, PartyAdd, PartyIn, RecordIn
from plugins.mediation.workflow import OPEN, STEPS, Outcome, require_state

COMMITTEES = ("village", "town", "county")


def _grid(node: GridNode) -> dict[str, Any]:
    return {"id": node.id, "name": node.name, "level": node.level, "depth": node.depth}


@dataclass(frozen=True)
class Origin:
    """Where a case came from: an office (a person), or a dispatch incident."""

    source: str
    actor: Actor
    incident_id: int | None = None
    incident_number: str | None = None
    tracking_code: str | None = None  # a resident's application
    client_hash: str | None = None


class Cases:
    def __init__(
        self,
        ctx: PluginContext,
        config: MediationConfig,
        effects: Effects,
        people: ArchivesPeople | None = None,
    ) -> None:
        self.ctx = ctx
        self.config = config
        self.effects = effects
        self.people = people or ArchivesPeople(ctx)

    @property
    def index(self) -> GridIndex:
        return self.ctx.grids.index

    # --- intake -----------------------------------------------------------------------------

    async def intake(self, who: Principal, spec: CaseIn) -> dict[str, Any]:
        require_scope(who, self.index, spec.grid_id, access.INTAKE_ROLES)
        linked = await self.people.check(who, spec.parties)
        return await self.open(spec, Origin("office", Actor.of(who)), linked)

    async def open(
        self, spec: CaseIn, origin: Origin, people: dict[int, Person] | None = None
    ) -> dict[str, Any]:
        """Open a case; `people`: the archived people its parties name, already checked."""
        level, level_grid = committee(self.index, spec.grid_id)
        async with self.ctx.sessions.begin() as session:
            case = self._new_case(spec, origin, level, level_grid)
            session.add(case)
            await session.flush()
            case.number = f"TJ{case.created_at:%Y%m%d}{case.id:05d}"
            parties = self._parties(case.id, spec, people or {})
            session.add_all(parties)
            since = utcnow() - timedelta(days=self.config.repeat_window_days)
            area = self.index.scope_ids([level_grid])
            linked = await find_repeats(session, case, parties, since, area)
            details = {"source": origin.source, "risk": case.risk, "linked": linked}
            self._step(session, case, "opened", origin.actor, details)
            result = views.summary(case, self.index)
        change = Change(result, "opened", origin.actor.person_id)
        change.outcome = Outcome(risk_raised=case.risk == "high")
        await self.effects.after(change)
        return result

    def _new_case(self, spec: CaseIn, origin: Origin, level: str, level_grid: int) -> Case:
        amount = None if spec.amount_yuan is None else round(spec.amount_yuan * 100)
        now = utcnow()
        return Case(
            number=f"new-{uuid4().hex}"[:32],  # the real number needs the id
            grid_id=spec.grid_id,
            level=level,
            level_grid_id=level_grid,
            type=spec.type,
            summary=spec.summary,
            place=spec.place,
            amount_cents=amount,
            risk=spec.risk,
            repeat=False,
            state="pending",
            source=origin.source,
            incident_id=origin.incident_id,
            incident_number=origin.incident_number,
            tracking_code=origin.tracking_code,
            client_hash=origin.client_hash,
            mediator_ids=[],
            judicial_confirmation=False,
            outcome_note="",
            created_by=origin.actor.person_id,
            created_at=now,
            updated_at=now,
            version=1,
        )

    def _parties(self, case_id: int, spec: CaseIn, people: dict[int, Person]) -> list[Party]:
        seal = self.ctx.personal.seal
        return [
            _party(case_id, p, seal(p.phone), people.get(p.person_id or 0)) for p in spec.parties
        ]

    def my_grids(self, who: Principal) -> dict[str, Any]:
        """The villages and towns where `who` may enter cases, and the top grid of their
        ledger (the highest grid they hold a ledger role on)."""
        index = self.index
        roots = (
            index.roots()
            if who.is_admin
            else [index.get(g) for g in who.grid_ids(access.INTAKE_ROLES) if g in index]
        )
        grids = {n.id: n for root in roots for n in index.subtree(root.id) if n.level in COMMITTEES}
        ledger = [index.get(g) for g in who.grid_ids(access.LEDGER_ROLES) if g in index]
        top = min(ledger, key=lambda n: n.depth) if ledger else (roots[0] if roots else None)
        return {
            "grids": [_grid(n) for n in sorted(grids.values(), key=lambda n: n.path)],
            "ledger_grid": _grid(top) if top else None,
            "archives": self.ctx.has_plugin("archives"),  # parties may link archived people
        }

    async def by_incident(self, incident_id: int) -> Case | None:
        async with self.ctx.sessions() as session:
            found: Case | None = await session.scalar(
                select(Case).where(Case.incident_id == incident_id)
            )
            return found

    # --- reads ------------------------------------------------------------------------------

    def visible(self, who: Principal, grid_id: int | None) -> set[int] | None:
        if grid_id is not None:
            require_scope(who, self.index, grid_id, access.READERS)
            return self.index.scope_ids([grid_id])
        return None if who.is_admin else self.index.scope_ids(who.grid_ids(access.READERS))

    async def listed(self, who: Principal, query: CasesQuery) -> list[dict[str, Any]]:
        grids = self.visible(who, query.grid_id)
        stmt = select(Case).order_by(Case.id.desc()).limit(query.limit)
        if grids is not None:
            stmt = stmt.where(Case.grid_id.in_(grids) | Case.level_grid_id.in_(grids))
        if query.state:
            stmt = stmt.where(Case.state == query.state)
        if query.level:
            stmt = stmt.where(Case.level == query.level)
        async with self.ctx.sessions() as session:
            rows = list(await session.scalars(stmt))
        return [views.summary(row, self.index) for row in rows]

    async def assigned(self, who: Principal) -> list[dict[str, Any]]:
        """Cases not yet closed that name `who` among their mediators (the field app's list)."""
        stmt = (
            select(Case)
            .where(Case.state.in_([*OPEN, "agreed"]))
            .order_by(Case.updated_at.desc())
            .limit(500)
        )
        async with self.ctx.sessions() as session:
            rows = list(await session.scalars(stmt))
        mine = [c for c in rows if who.person_id in c.mediator_ids]  # a JSON list, any dialect
        return [views.summary(c, self.index) for c in mine]

    async def seen(self, session: AsyncSession, who: Principal, case_id: int) -> Case:
        case = await session.get(Case, case_id)
        if case is None or not (who.is_admin or access.sees(who, self.index, case)):
            raise NotFound("mediation.case_not_found", f"no case {case_id} in your scope")
        return case

    async def detail(self, who: Principal, case_id: int) -> dict[str, Any]:
        async with self.ctx.sessions() as session:
            case = await self.seen(session, who, case_id)
            return await self._detail(session, case)

    async def _detail(self, session: AsyncSession, case: Case) -> dict[str, Any]:
        parties = await session.scalars(select(Party).where(Party.case_id == case.id))
        meetings = await session.scalars(
            select(Meeting).where(Meeting.case_id == case.id).order_by(Meeting.scheduled_at)
        )
        steps = await session.scalars(select(Step).where(Step.case_id == case.id).order_by(Step.id))
        links = list(await session.scalars(select(Link).where(Link.case_id == case.id)))
        numbers = await self._numbers(session, [link.other_id for link in links])
        papers = await session.scalars(
            select(Document)
            .options(defer(Document.data))
            .where(Document.case_id == case.id)
            .order_by(Document.id)
        )
        experts = await session.scalars(select(Expert).where(Expert.id.in_(case.expert_ids or [])))
        opened = self.ctx.personal.open
        return {
            **views.summary(case, self.index),
            "parties": [views.party(p, opened(p.phone)) for p in parties],
            "sessions": [views.meeting(m) for m in meetings],
            "timeline": [views.step(s) for s in steps],
            "links": [views.link(link, numbers) for link in links],
            "documents": [views.document(d) for d in papers],
            "experts": [views.expert(e, self.index, opened(e.phone)) for e in experts],
        }

    @staticmethod
    async def _numbers(session: AsyncSession, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await session.execute(select(Case.id, Case.number).where(Case.id.in_(ids)))
        return {row.id: row.number for row in rows}

    async def reveal_phone(self, who: Principal, case_id: int, party_id: int) -> dict[str, Any]:
        """A party's full phone for a handler, with an audit entry (every unmasked view)."""
        async with self.ctx.sessions.begin() as session:
            case = await self.seen(session, who, case_id)
            access.require_work(who, self.index, case)
            party = await session.get(Party, party_id)
            if party is None or party.case_id != case.id:
                raise NotFound("mediation.party_not_found", f"no party {party_id} in this case")
            self.ctx.audit.record(
                session, Actor.of(who), "mediation.party.reveal", "mediation_party", party.id
            )
            return {"phone": self.ctx.personal.open(party.phone)}

    # --- steps ------------------------------------------------------------------------------

    async def act(self, who: Principal, case_id: int, action: str, raw: Any) -> dict[str, Any]:
        spec = STEPS.get(action)
        if spec is None:
            raise NotFound("mediation.action_unknown", f"no step {action!r}")
        body = self._parse(spec.model, raw)
        if action == "assign":
            await self._check_mediators(case_id, body.mediator_ids)
        async with self.ctx.sessions.begin() as session:
            case = await self.for_change(session, who, case_id, body.version)
            require_state(case, spec.states, action)
            outcome = spec.mutate(case, body, self.index)
            if action == "take_risk":
                case.risk_taken_by = who.person_id
            self.bump(session, case, action, Actor.of(who), outcome.details)
            result = views.summary(case, self.index)
        change = Change(result, action, who.person_id, outcome)
        await self.effects.after(change)
        return result

    @staticmethod
    def _parse(model: type[BaseModel], raw: Any) -> Any:
        try:
            return model.model_validate(raw if raw is not None else {})
        except ValidationError as exc:
            raise invalid_from_pydantic(exc) from None

    async def _check_mediators(self, case_id: int, person_ids: list[int]) -> None:
        """Each named mediator holds a mediation role (or a command role) over the case's grid."""
        async with self.ctx.sessions() as session:
            case = await session.get(Case, case_id)
        if case is None:
            return  # the change below answers not found
        covering = set(self.index.covering_ids(case.grid_id))
        for person_id in person_ids:
            try:
                grants = await self.ctx.directory.grants_of(person_id)
            except NotFound:
                grants = ()
            if not any(g.role in access.WORKERS and g.grid_id in covering for g in grants):
                raise Conflict(
                    "mediation.mediator_invalid",
                    f"person {person_id} is no mediator over the case's grid",
                )

    async def for_change(
        self, session: AsyncSession, who: Principal, case_id: int, version: int
    ) -> Case:
        case = await self.seen(session, who, case_id)
        access.require_work(who, self.index, case)
        if case.version != version:
            raise Conflict(
                "mediation.version_conflict",
                f"case {case.number} changed (version {case.version}, you had {version})",
            )
        return case

    def bump(
        self, session: AsyncSession, case: Case, action: str, actor: Actor, details: dict[str, Any]
    ) -> None:
        case.version += 1
        case.updated_at = utcnow()
        self._step(session, case, action, actor, details)

    def _step(
        self, session: AsyncSession, case: Case, action: str, actor: Actor, details: dict[str, Any]
    ) -> None:
        session.add(
            Step(
                case_id=case.id,
                action=action,
                actor_id=actor.person_id,
                actor_name=actor.name,
                details=details,
                version=case.version,
                at=utcnow(),
            )
        )
        audit_details = {"number": case.number, "version": case.version, **details}
        self.ctx.audit.record(
            session, actor, f"mediation.case.{action}", "mediation_case", case.id, audit_details
        )

    async def add_party(self, who: Principal, case_id: int, body: PartyAdd) -> dict[str, Any]:
        """A party named later (a case from an incident starts without its parties)."""
        people = await self.people.check(who, [body.party])
        async with self.ctx.sessions.begin() as session:
            case = await self.for_change(session, who, case_id, body.version)
            require_state(case, OPEN, "add a party")
            spec = CaseIn(grid_id=case.grid_id, type="other", summary="-", parties=[body.party])
            session.add_all(self._parties(case.id, spec, people))
            await session.flush()
            details: dict[str, Any] = {"name": body.party.name,
                                       "person_id": body.party.person_id}  # fmt: skip
            if people:
                details["linked"] = await self._later_repeats(session, case)
            self.bump(session, case, "party_added", Actor.of(who), details)
            result = views.summary(case, self.index)
        await self.effects.after(Change(result, "party_added", who.person_id))
        return result

    async def _later_repeats(self, session: AsyncSession, case: Case) -> list[int]:
        parties = list(await session.scalars(select(Party).where(Party.case_id == case.id)))
        since = utcnow() - timedelta(days=self.config.repeat_window_days)
        return await later_repeats(session, case, parties, since)

    # --- sessions ---------------------------------------------------------------------------

    async def schedule(self, who: Principal, case_id: int, body: MeetingIn) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            case = await self.for_change(session, who, case_id, body.version)
            require_state(case, frozenset({"accepted"}), "schedule a session")
            meeting = Meeting(
                case_id=case.id,
                scheduled_at=body.scheduled_at,
                place=body.place,
                attendees=list(body.attendees),
                record=body.record,
                held=bool(body.record),
                created_by=who.person_id,
            )
            session.add(meeting)
            await session.flush()
            action = "session_held" if body.record else "session_scheduled"
            details = {"session_id": meeting.id, "place": body.place}
            self.bump(session, case, action, Actor.of(who), details)
            result = {**views.summary(case, self.index), "session": views.meeting(meeting)}
        await self.effects.after(Change(result, action, who.person_id))
        return result

    async def record(
        self, who: Principal, case_id: int, meeting_id: int, body: RecordIn
    ) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            case = await self.for_change(session, who, case_id, body.version)
            require_state(case, OPEN, "record a session")
            meeting = await session.get(Meeting, meeting_id)
            if meeting is None or meeting.case_id != case.id:
                raise NotFound("mediation.session_not_found", f"no session {meeting_id} here")
            meeting.record, meeting.held = body.record, True
            self.bump(session, case, "session_recorded", Actor.of(who), {"session_id": meeting_id})
            result = {**views.summary(case, self.index), "session": views.meeting(meeting)}
        await self.effects.after(Change(result, "session_recorded", who.person_id))
        return result


def _party(case_id: int, p: PartyIn, sealed_phone: str, person: Person | None) -> Party:
    return Party(
        case_id=case_id,
        name=p.name,
        side=p.side,
        phone=sealed_phone,
        address=p.address,
        person_ref=p.person_ref,
        person_id=None if person is None else person.id,
        person_grid_id=None if person is None else person.grid_id,
        person_masked=None if person is None else person.name_masked,
    )
