"""Incidents: intake and lifecycle actions, each one transaction, audited, then announced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hub.sdk import (
    COMMAND_ROLES,
    STAFF_ROLES,
    Actor,
    Conflict,
    Forbidden,
    Grant,
    GridIndex,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    Role,
    in_scope,
    require_scope,
)
from plugins.dispatch import access, actions, contacts, rows, store
from plugins.dispatch.catalogue import Catalogue, check_fields, sla_seconds
from plugins.dispatch.config import DispatchConfig
from plugins.dispatch.effects import Change, Effects
from plugins.dispatch.lifecycle import RULES, Action, State, stage_of
from plugins.dispatch.models import Category, Incident, Rule
from plugins.dispatch.schemas import ActionIn, AssigneeIn, NewIncident
from plugins.dispatch.suggest import suggest

# Rules act as a deployment-wide principal that is nobody in particular (person id 0).
AUTOMATIC = Principal(0, "system", "自动派遣 auto-dispatch", "", (Grant(Role.ADMIN, None),))


class AlreadyReported(Exception):
    """An incident for this (source, source ref) exists already: here it is."""

    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__(summary["number"])
        self.summary = summary


@dataclass(frozen=True)
class Origin:
    """Where a report comes from and who filed it."""

    source: str
    who: Principal | None = None
    source_ref: str | None = None
    reporter_name: str = ""
    reporter_contact: str = ""
    tracking: bool = False
    public: bool = False  # the resident agreed to publish the report (Open311 GET)
    public_id: str | None = None  # its Open311 service_request_id (public intake only)

    @classmethod
    def staff(cls, who: Principal, spec: NewIncident) -> Origin:
        """A staff entry: from the console (command roles, admins) or the field, unless named."""
        by_command = bool(who.roles & COMMAND_ROLES) or who.is_admin
        source = spec.source or ("console" if by_command else "field")
        # Keyed per person, so two people's apps can never collide on a key.
        ref = f"p{who.person_id}:{spec.client_ref}" if spec.client_ref else None
        return cls(source, who, source_ref=ref, reporter_name=spec.reporter_name,
                   reporter_contact=spec.reporter_contact)  # fmt: skip

    @property
    def actor(self) -> tuple[int | None, str]:
        if self.who is None:
            return None, self.reporter_name or self.source
        return self.who.person_id, self.who.display_name


class Incidents:
    def __init__(
        self, ctx: PluginContext, config: DispatchConfig, catalogue: Catalogue, effects: Effects
    ) -> None:
        self.ctx = ctx
        self.config = config
        self.catalogue = catalogue
        self.effects = effects
        self.people = actions.People(ctx.directory)
        self.numbers = store.Numbers(effects.writes)

    @property
    def index(self) -> GridIndex:
        return self.ctx.grids.index

    # ---- intake ------------------------------------------------------------------------------

    async def report(self, spec: NewIncident, origin: Origin) -> tuple[dict[str, Any], str | None]:
        """File a new incident; returns its summary and (for appeals) the tracking code."""
        category = await self.catalogue.get(spec.category)
        fields = check_fields(category.fields, spec.fields)
        grid_id = self._place(spec)
        if origin.who is not None:
            require_scope(origin.who, self.index, grid_id, STAFF_ROLES)  # not where one lives
        number = await self.numbers.take(self._prefix(), datetime.now(UTC).year)

        def body(session: Session) -> tuple[Change, str | None]:
            incident, everyone = self._insert(
                session, spec, origin, category, fields, grid_id, number
            )
            change = self._changed(
                session, incident, "reported", None, origin.actor, parts=[], involved=everyone
            )
            return change, incident.tracking_code

        try:
            change, tracking_code = await self.effects.writes.run(body)
        except IntegrityError:
            if origin.source_ref is None:
                raise
            raise AlreadyReported(await self._existing(origin)) from None
        await self.effects.apply(change)
        if change.summary["state"] == State.REGISTERED and self.config.auto_dispatch:
            await self.auto_dispatch(change.summary)
        return change.summary, tracking_code

    async def report_by_staff(self, who: Principal, spec: NewIncident) -> dict[str, Any]:
        """A staff report; a resend with the same client_ref answers with the first one."""
        try:
            summary, _ = await self.report(spec, Origin.staff(who, spec))
        except AlreadyReported as first:
            return first.summary
        return summary

    async def auto_dispatch(self, incident: dict[str, Any]) -> bool:
        """Dispatch by the first enabled rule for the category whose grid covers the incident."""
        async with self.ctx.sessions() as session:
            rules = await session.scalars(
                select(Rule)
                .where(Rule.category == incident["category"], Rule.enabled.is_(True))
                .order_by(Rule.id)
            )
            rule = next(
                (r for r in rules if self.index.covers(r.grid_id, incident["grid_id"])), None
            )
        if rule is None:
            return False
        body = ActionIn(
            version=incident["version"],
            assignees=[AssigneeIn(kind=rule.target_kind, target=rule.target)],
            note=f"auto-dispatch rule {rule.id}",
        )
        await self.act(AUTOMATIC, incident["id"], Action.DISPATCH, body)
        return True

    def _place(self, spec: NewIncident) -> int:
        if spec.grid is not None:
            node = self.index.find_code(spec.grid)
            if node is None:
                raise InvalidInput("incident.unknown_grid", f"no grid {spec.grid!r}")
            return node.id
        assert spec.location is not None
        found = self.index.locate(spec.location.lon, spec.location.lat)
        if found is None:
            raise InvalidInput("incident.outside_grids", "the location is outside every grid")
        return found.id

    def _insert(
        self,
        session: Session,
        spec: NewIncident,
        origin: Origin,
        category: Category,
        fields: dict[str, Any],
        grid_id: int,
        number: str,
    ) -> tuple[Incident, list[int]]:
        now = store.now_utc()
        level = actions.command_level(self.index, grid_id, self.config.command_levels)
        registered = origin.who is not None and in_scope(
            origin.who, self.index, level, COMMAND_ROLES
        )
        incident = Incident(
            number=number,
            title=spec.title,
            description=spec.description,
            category=category.code,
            priority=spec.priority.value,
            state=(State.REGISTERED if registered else State.REPORTED).value,
            grid_id=grid_id,
            level_grid_id=level,
            lon=spec.location.lon if spec.location else None,
            lat=spec.location.lat if spec.location else None,
            address=spec.address,
            source=origin.source,
            source_ref=origin.source_ref,
            reporter_id=origin.who.person_id if origin.who else None,
            reporter_name=origin.reporter_name or (origin.who.display_name if origin.who else ""),
            reporter_contact=self.ctx.personal.seal(origin.reporter_contact),
            tracking_code=store.tracking_code() if origin.tracking else None,
            public=origin.public,
            public_id=origin.public_id,
            fields=fields,
            attachments=list(spec.attachments),
            created_at=now,
            updated_at=now,
            overdue=False,
            returns=0,
            rating_comment="",
            version=1,
        )
        store.set_stage(incident, self._sla(category, incident))
        rows.insert_incident(session, incident)
        rows.record_stage(session, incident, None, new=True)
        reporter = {origin.who.person_id: "reporter"} if origin.who else {}
        everyone, _ = rows.involve(session, incident.id, reporter, new=True)
        return incident, everyone

    def _prefix(self) -> str:
        if self.config.number_prefix:
            return self.config.number_prefix
        roots = self.index.roots()
        return roots[0].code if roots else "GH"

    def _sla(self, category: Category, incident: Incident) -> int | None:
        stage = stage_of(State(incident.state))
        if stage is None:
            return None
        return sla_seconds(category, self.config.sla, stage, incident.priority)

    async def _existing(self, origin: Origin) -> dict[str, Any]:
        assert origin.source_ref is not None
        found = await self.by_source(origin.source, origin.source_ref)
        assert found is not None
        return found

    async def by_source(self, source: str, source_ref: str) -> dict[str, Any] | None:
        """The incident opened for (source, source ref), with its assignments, if any."""
        async with self.ctx.sessions() as session:
            incident = await session.scalar(
                select(Incident).where(Incident.source == source, Incident.source_ref == source_ref)
            )
            if incident is None:
                return None
            return store.summary(incident, await store.assignments(session, incident.id))

    # ---- lifecycle -------------------------------------------------------------------------

    async def act(
        self, who: Principal, incident_id: int, action: Action, body: ActionIn
    ) -> dict[str, Any]:
        """Apply one lifecycle action for `who`; returns the incident as it now is."""
        lookup = await actions.Lookup.fetch(self.people, self.index, body.assignees)
        try:
            change = await self.effects.writes.run(
                lambda session: self._apply(session, who, incident_id, action, body, lookup)
            )
        except StaleDataError:
            raise await self._conflict(incident_id) from None
        await self.effects.apply(change)
        return change.summary

    async def rate_as_resident(
        self, incident_id: int, rating: int, comment: str, name: str
    ) -> dict[str, Any]:
        """回访 by the resident who filed it (tracked by code, no account): once, when closed."""

        def body(session: Session) -> Change:
            incident = rows.load(session, incident_id)
            if incident.state != State.CLOSED or incident.rating is not None:
                raise Conflict("appeal.not_rateable", "only a closed, unrated appeal is rated",
                               details={"state": incident.state})  # fmt: skip
            incident.rating, incident.rating_comment = rating, comment
            incident.updated_at = rows.now_utc()
            session.flush()
            return self._changed(session, incident, Action.RATE.value, incident.state,
                                 (None, name), comment, {"rating": rating})  # fmt: skip

        try:
            change = await self.effects.writes.run(body)
        except StaleDataError:
            raise await self._conflict(incident_id) from None
        await self.effects.apply(change)
        return change.summary

    def _apply(
        self,
        session: Session,
        who: Principal,
        incident_id: int,
        action: Action,
        body: ActionIn,
        lookup: actions.Lookup,
    ) -> Change:
        incident, parts = rows.load_with_parts(session, incident_id)
        self._require_sight_in(session, who, incident)
        store.check_version(incident, body.version)
        rule = RULES[action]
        if State(incident.state) not in rule.sources:
            raise Conflict(
                "incident.invalid_state",
                f"cannot {action.value} incident {incident.number}: it is {incident.state}",
                details={"state": incident.state, "version": incident.version},
            )
        if rule.needs_note and not body.note.strip():
            raise InvalidInput("incident.note_required", f"{action.value} needs a note")
        turn = actions.Turn(
            session, who, self.index, incident, parts, body, lookup,
            self.config.command_levels, rule.target,
        )  # fmt: skip
        # Everything the action changes goes out in one flush: one action, one new version.
        with session.no_autoflush:
            actions.HANDLERS[action](turn)
            restaged = self._move(session, turn, action)
        session.flush()
        return self._finish(session, turn, action, restaged)

    def _move(self, session: Session, turn: actions.Turn, action: Action) -> bool:
        """Set the new state (and its timed stage); True when the stage restarted."""
        incident, previous = turn.incident, State(turn.incident.state)
        target = turn.target or previous
        incident.state, incident.updated_at = target.value, rows.now_utc()
        if target == previous and action is not Action.ESCALATE:
            return False
        category = self.catalogue.cached(incident.category) or rows.category(
            session, incident.category
        )
        store.set_stage(incident, self._sla(category, incident))
        return True

    def _finish(
        self, session: Session, turn: actions.Turn, action: Action, restaged: bool
    ) -> Change:
        incident, previous = turn.incident, turn.previous
        if restaged:
            rows.record_stage(session, incident, turn.stage_person)
        everyone, joined = rows.involve(session, incident.id, turn.people)
        actor = (turn.who.person_id, turn.who.display_name)
        change = self._changed(
            session, incident, action.value, previous, actor, turn.body.note, turn.data,
            turn.parts, everyone,
        )  # fmt: skip
        change.joined = joined
        return change

    def _changed(
        self,
        session: Session,
        incident: Incident,
        action: str,
        previous: str | None,
        actor: tuple[int | None, str],
        note: str = "",
        data: dict[str, Any] | None = None,
        parts: list[Any] | None = None,
        involved: list[int] | None = None,
    ) -> Change:
        """Record the action (timeline, audit) and describe it for the after-commit effects."""
        rows.add_event(session, incident, action, previous, actor, note, data)
        details = {"number": incident.number, "from": previous, "to": incident.state, "note": note}
        who = Actor(actor[1], actor[0])
        self.ctx.audit.record(session, who, f"dispatch.{action}", "incident", incident.id, details)
        if parts is None:
            parts = rows.assignments(session, incident.id)
        return Change(
            summary=store.summary(incident, parts),
            action=action,
            previous_state=previous,
            actor_id=actor[0],
            actor_name=actor[1],
            note=note,
            involved=involved if involved is not None else rows.involved(session, incident.id),
            source_ref=incident.source_ref,
            review_at=incident.review_at,
        )

    def _require_sight_in(self, session: Session, who: Principal, incident: Incident) -> None:
        """`_require_sight` inside a write transaction."""
        if access.sees(who, self.index, incident, False):
            return
        if not access.sees(
            who, self.index, incident, who.person_id in rows.involved(session, incident.id)
        ):
            raise Forbidden("incident.forbidden", f"incident {incident.id} is outside your scope")

    async def _require_sight(
        self, session: AsyncSession, who: Principal, incident: Incident
    ) -> None:
        if access.sees(who, self.index, incident, False):
            return
        involved = who.person_id in await store.involved(session, incident.id)
        if not access.sees(who, self.index, incident, involved):
            raise Forbidden("incident.forbidden", f"incident {incident.id} is outside your scope")

    async def _conflict(self, incident_id: int) -> Conflict:
        async with self.ctx.sessions() as session:
            return store.conflict(await store.load(session, incident_id))

    # ---- reads -----------------------------------------------------------------------------

    async def suggestions(self, who: Principal, incident_id: int) -> dict[str, Any]:
        """Suggested assignees, for a commander or dispatcher over the handling level."""
        incident = await self.for_command(who, incident_id)
        config = self.config
        found = await suggest(self.ctx, incident, config.location_fresh_s, config.suggestions)
        return {"incident_id": incident.id, "suggestions": found}

    async def for_command(self, who: Principal, incident_id: int) -> Incident:
        """The incident row, for a commander or dispatcher over its handling level."""
        async with self.ctx.sessions() as session:
            incident = await store.load(session, incident_id)
        require_scope(who, self.index, incident.level_grid_id, COMMAND_ROLES)
        return incident

    async def channel(self, who: Principal, incident_id: int) -> dict[str, Any]:
        """Open the incident's talk channel (created on first use) for someone who sees it."""
        async with self.ctx.sessions() as session:
            incident = await store.load(session, incident_id)
            await self._require_sight(session, who, incident)
            summary = store.summary(incident)
            people = [*await store.involved(session, incident_id), who.person_id]
        channel_id = await self.effects.open_channel(summary, people)
        return {"incident_id": incident_id, "channel_id": channel_id}

    async def may_watch(self, who: Principal, incident_id: int) -> bool:
        """Room guard of `dispatch:incident:<id>`: staff who still see the incident stay."""
        if not (who.is_admin or who.roles & STAFF_ROLES):
            return False
        async with self.ctx.sessions() as session:
            try:
                await self._require_sight(session, who, await store.load(session, incident_id))
            except (Forbidden, NotFound):
                return False
        return True

    async def get(self, who: Principal | None, incident_id: int) -> dict[str, Any]:
        async with self.ctx.sessions() as session:
            incident = await store.load(session, incident_id)
            if who is not None:
                await self._require_sight(session, who, incident)
            data = store.detail(incident, await store.assignments(session, incident_id))
            data["reporter_contact_masked"] = contacts.masked(self.ctx, incident)
            data["timeline"] = await store.timeline(session, incident_id)
            data["involved"] = await store.involved(session, incident_id)
        return data


def review_time(value: float | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).isoformat()
