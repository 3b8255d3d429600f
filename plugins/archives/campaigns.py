"""Campaigns (专项采集, e.g. 疫情防控 or flood-season checks): an officer defines a form (typed
fields with bounds and alert rules), targets (grids, key-group tags, house types) and a deadline;
grid workers fill it per household of their grids; progress is counted per grid and pushed to
the command rooms; an answer that breaks an alert rule (temperature >= 37.3, say) publishes
`CampaignBreach` and, for `incident` rules, asks dispatch for an incident.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator
from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    Actor,
    Conflict,
    DbId,
    GridIndex,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    utcnow,
)
from plugins.archives.access import READ_ROLES, require, scope_ids
from plugins.archives.messages import CampaignBreach
from plugins.archives.models import HOUSE_TYPES, House, Household, Resident, ResidentTag
from plugins.archives.work_access import CAMPAIGN_OWNERS, FIELD_ROLES
from plugins.archives.work_models import Campaign, CampaignEntry

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e9, le=1e9)]
OPS = {">=": float.__ge__, ">": float.__gt__, "<=": float.__le__, "<": float.__lt__}


class AlertRule(BaseModel):
    op: Literal[">=", ">", "<=", "<", "=="]
    value: Number | bool | Annotated[str, StringConstraints(max_length=80)]
    action: Literal["incident", "alarm"] = "alarm"
    category: str = Field("other", pattern=r"^[a-z][a-z0-9_]{1,63}$")


class FormField(BaseModel):
    name: Code
    label_zh: Label
    label_en: Label
    type: Literal["number", "integer", "text", "boolean", "choice"]
    required: bool = False
    choices: list[Label] = Field(default_factory=list, max_length=30)
    minimum: Number | None = None
    maximum: Number | None = None
    max_length: int = Field(200, ge=1, le=2000)
    alert: AlertRule | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        if self.type == "choice" and not self.choices:
            raise ValueError(f"{self.name}: a choice field needs choices")
        if self.alert and self.alert.op != "==" and self.type not in ("number", "integer"):
            raise ValueError(f"{self.name}: only numbers compare with {self.alert.op}")
        return self


class Targets(BaseModel):
    grid_ids: list[DbId] = Field(default_factory=list, max_length=200)
    tags: list[Code] = Field(default_factory=list, max_length=20)
    house_types: list[Literal[HOUSE_TYPES]] = Field(default_factory=list, max_length=10)  # type: ignore[valid-type]


class CampaignIn(BaseModel):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    grid_id: DbId
    fields: list[FormField] = Field(min_length=1, max_length=30)
    targets: Targets = Field(default_factory=Targets)
    deadline: datetime

    @model_validator(mode="after")
    def _check(self) -> CampaignIn:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique")
        if self.deadline.tzinfo is None:
            raise ValueError("deadline needs a time zone")
        return self


class EntryIn(BaseModel):
    household_id: DbId
    values: dict[str, Any] = Field(max_length=30)


class HouseholdsQuery(BaseModel):
    grid_id: DbId | None = None
    limit: int = Field(500, ge=1, le=2000)


def check_values(form: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """The answers, validated against the form (unknown, missing, wrong type: refused)."""
    fields = {f["name"]: FormField.model_validate(f) for f in form}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise InvalidInput("archives.campaign_unknown_field", f"unknown fields: {unknown}")
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        value = values.get(name)
        if value is None or value == "":
            if spec.required:
                raise InvalidInput("archives.campaign_field_required", f"{spec.label_zh} ({name})")
            continue
        out[name] = _value(spec, value)
    return out


def _value(spec: FormField, value: Any) -> Any:
    bad = InvalidInput("archives.campaign_field_invalid", f"{spec.label_zh} ({spec.name})")
    if spec.type in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise bad
        if spec.type == "integer" and int(value) != value:
            raise bad
        if (spec.minimum is not None and value < spec.minimum) or (
            spec.maximum is not None and value > spec.maximum
        ):
            raise bad
        return value
    if spec.type == "boolean":
        if not isinstance(value, bool):
            raise bad
        return value
    if not isinstance(value, str) or len(value) > spec.max_length:
        raise bad
    if spec.type == "choice" and value not in spec.choices:
        raise bad
    return value


def breaches(form: list[dict[str, Any]], values: dict[str, Any]) -> list[tuple[str, AlertRule]]:
    found = []
    for spec in (FormField.model_validate(f) for f in form):
        rule, value = spec.alert, values.get(spec.name)
        if rule is None or value is None:
            continue
        if rule.op == "==":
            hit = value == rule.value
        else:
            hit = isinstance(rule.value, float | int) and OPS[rule.op](
                float(value), float(rule.value)
            )
        if hit:
            found.append((spec.name, rule))
    return found


class Campaigns:
    def __init__(self, ctx: PluginContext) -> None:
        self._ctx = ctx

    @property
    def index(self) -> GridIndex:
        return self._ctx.grids.index

    async def define(self, who: Principal, body: CampaignIn) -> dict[str, Any]:
        require(who, self.index, body.grid_id, CAMPAIGN_OWNERS)
        outside = [
            g for g in body.targets.grid_ids if g not in self.index.scope_ids([body.grid_id])
        ]
        if outside:
            raise InvalidInput("archives.campaign_target", f"grids outside the campaign: {outside}")
        if body.deadline <= utcnow():
            raise InvalidInput("archives.campaign_deadline", "the deadline is in the past")
        row = Campaign(
            title=body.title,
            description=body.description,
            grid_id=body.grid_id,
            form=[f.model_dump(mode="json") for f in body.fields],
            targets=body.targets.model_dump(mode="json"),
            deadline=body.deadline,
            created_by=who.person_id,
            created_by_name=who.display_name,
        )
        async with self._ctx.sessions.begin() as session:
            session.add(row)
            await session.flush()
            self._ctx.audit.record(
                session,
                Actor.of(who),
                "archives.campaign.defined",
                "archives_campaign",
                row.id,
                {"title": row.title},
            )
        return campaign_dict(row)

    async def get(self, who: Principal, campaign_id: int) -> Campaign:
        async with self._ctx.sessions() as session:
            row = await session.get(Campaign, campaign_id)
        if row is None:
            raise NotFound("archives.campaign_not_found", f"no campaign {campaign_id}")
        reach = scope_ids(who, self.index, READ_ROLES)
        if reach is not None and not reach & self.index.scope_ids([row.grid_id]):
            raise NotFound("archives.campaign_not_found", f"no campaign {campaign_id}")
        return row

    async def listing(self, who: Principal) -> list[dict[str, Any]]:
        reach = scope_ids(who, self.index, READ_ROLES)
        async with self._ctx.sessions() as session:
            rows = list(await session.scalars(select(Campaign).order_by(Campaign.id.desc())))
        return [
            campaign_dict(r)
            for r in rows
            if reach is None or reach & self.index.scope_ids([r.grid_id])
        ]

    def _target_grids(self, row: Campaign, within: set[int] | None) -> set[int]:
        roots = row.targets.get("grid_ids") or [row.grid_id]
        grids = self.index.scope_ids(roots)
        return grids if within is None else grids & within

    def _households(self, row: Campaign, grids: set[int]) -> Any:
        stmt = select(Household.id).where(Household.grid_id.in_(grids))
        if row.targets.get("tags"):
            tagged = (
                select(Resident.id)
                .join(ResidentTag, ResidentTag.resident_id == Resident.id)
                .where(
                    Resident.household_id == Household.id,
                    ResidentTag.tag_code.in_(row.targets["tags"]),
                )
            )
            stmt = stmt.where(exists(tagged))
        if row.targets.get("house_types"):
            typed = select(House.id).where(
                House.id == Household.house_id, House.house_type.in_(row.targets["house_types"])
            )
            stmt = stmt.where(exists(typed))
        return stmt

    async def households(
        self, who: Principal, campaign_id: int, query: HouseholdsQuery
    ) -> list[dict[str, Any]]:
        """The caller's target households, with whether each is filled."""
        row = await self.get(who, campaign_id)
        within = scope_ids(who, self.index, FIELD_ROLES)
        if query.grid_id is not None:
            require(who, self.index, query.grid_id, FIELD_ROLES)
            within = self.index.scope_ids([query.grid_id])
        ids = self._households(row, self._target_grids(row, within))
        async with self._ctx.sessions() as session:
            found = await session.execute(
                select(Household.id, Household.number, Household.grid_id, House.address_text)
                .outerjoin(House, House.id == Household.house_id)
                .where(Household.id.in_(ids))
                .order_by(Household.number)
                .limit(query.limit)
            )
            filled = set(
                await session.scalars(
                    select(CampaignEntry.household_id).where(CampaignEntry.campaign_id == row.id)
                )
            )
            return [
                {
                    "household_id": i,
                    "number": n,
                    "grid_id": g,
                    "address": a or "",
                    "filled": i in filled,
                }
                for i, n, g, a in found.all()
            ]

    async def fill(self, who: Principal, campaign_id: int, body: EntryIn) -> dict[str, Any]:
        row = await self.get(who, campaign_id)
        if row.state != "open" or row.deadline <= utcnow():
            raise Conflict("archives.campaign_closed", "this campaign takes no more answers")
        values = check_values(row.form, body.values)
        async with self._ctx.sessions.begin() as session:
            household = await session.get(Household, body.household_id)
            if household is None:
                raise NotFound("archives.household_not_found", f"no household {body.household_id}")
            require(who, self.index, household.grid_id, FIELD_ROLES)
            await self._require_target(session, row, household.id)
            entry = await self._upsert(session, row, household, values, who)
            hits = breaches(row.form, values)
            entry.breaches = [name for name, _ in hits]
            await session.flush()
            self._ctx.audit.record(
                session,
                Actor.of(who),
                "archives.campaign.filled",
                "archives_campaign",
                row.id,
                {"household": household.id},
            )
        await self._after_fill(row, entry, hits)
        return {"entry_id": entry.id, "household_id": household.id, "breaches": entry.breaches}

    async def _require_target(
        self, session: AsyncSession, row: Campaign, household_id: int
    ) -> None:
        stmt = self._households(row, self._target_grids(row, None))
        if not await session.scalar(select(exists(stmt.where(Household.id == household_id)))):
            raise InvalidInput("archives.campaign_not_target", "this household is not a target")

    async def _upsert(
        self,
        session: AsyncSession,
        row: Campaign,
        household: Household,
        values: dict[str, Any],
        who: Principal,
    ) -> CampaignEntry:
        entry = await session.scalar(
            select(CampaignEntry).where(
                CampaignEntry.campaign_id == row.id, CampaignEntry.household_id == household.id
            )
        )
        if entry is None:
            entry = CampaignEntry(campaign_id=row.id, household_id=household.id)
            session.add(entry)
        entry.grid_id, entry.worker_id, entry.worker_name = (
            household.grid_id,
            who.person_id,
            who.display_name,
        )
        entry.values = self._ctx.personal.seal(json.dumps(values, ensure_ascii=False))
        entry.filled_at = utcnow()
        return entry

    async def _after_fill(
        self, row: Campaign, entry: CampaignEntry, hits: list[tuple[str, AlertRule]]
    ) -> None:
        rooms = self._ctx.realtime.command_rooms([entry.grid_id])
        for name, rule in hits:
            await self._breach(row, entry, name, rule, rooms)
        progress = await self.progress_of(row, {entry.grid_id})
        await self._ctx.realtime.emit(
            "campaign_progress", {"campaign_id": row.id, "grids": progress}, rooms
        )

    async def _breach(
        self, row: Campaign, entry: CampaignEntry, name: str, rule: AlertRule, rooms: list[str]
    ) -> None:
        text = f"{rule.op} {rule.value}"
        await self._ctx.bus.publish(
            CampaignBreach(
                campaign_id=row.id,
                entry_id=entry.id,
                household_id=entry.household_id,
                grid_id=entry.grid_id,
                field=name,
                rule=text,
                action=rule.action,
            )
        )
        data = {
            "campaign_id": row.id,
            "title": row.title,
            "household_id": entry.household_id,
            "grid_id": entry.grid_id,
            "field": name,
            "rule": text,
            "action": rule.action,
        }
        await self._ctx.realtime.emit("campaign_breach", data, rooms)
        if rule.action == "incident" and self._ctx.has_plugin("dispatch"):
            from plugins.dispatch.messages import IncidentRequested

            await self._ctx.bus.publish(
                IncidentRequested(
                    source="archives",
                    source_ref=f"campaign:{row.id}:{entry.household_id}:{name}",
                    category=rule.category,
                    title=f"{row.title}：{name} {text}",
                    priority="high",
                    grid_id=entry.grid_id,
                    description=f"household {entry.household_id}",
                )
            )

    async def progress_of(
        self, row: Campaign, only: set[int] | None = None
    ) -> list[dict[str, Any]]:
        """Per grid: target households and those filled."""
        grids = self._target_grids(row, only)
        async with self._ctx.sessions() as session:
            totals = dict(
                (
                    await session.execute(
                        select(Household.grid_id, func.count())
                        .where(Household.id.in_(self._households(row, grids)))
                        .group_by(Household.grid_id)
                    )
                ).all()
            )
            done = dict(
                (
                    await session.execute(
                        select(CampaignEntry.grid_id, func.count())
                        .where(
                            CampaignEntry.campaign_id == row.id, CampaignEntry.grid_id.in_(grids)
                        )
                        .group_by(CampaignEntry.grid_id)
                    )
                ).all()
            )
        return [
            {
                "grid_id": g,
                "grid_name": self.index.get(g).name if g in self.index else "",
                "total": int(totals[g]),
                "filled": int(done.get(g, 0)),
            }
            for g in sorted(totals)
        ]

    async def progress(self, who: Principal, campaign_id: int) -> list[dict[str, Any]]:
        row = await self.get(who, campaign_id)
        return await self.progress_of(row, scope_ids(who, self.index, READ_ROLES))

    async def close(self, who: Principal, campaign_id: int) -> dict[str, Any]:
        async with self._ctx.sessions.begin() as session:
            row = await session.get(Campaign, campaign_id)
            if row is None:
                raise NotFound("archives.campaign_not_found", f"no campaign {campaign_id}")
            require(who, self.index, row.grid_id, CAMPAIGN_OWNERS)
            row.state = "closed"
            self._ctx.audit.record(
                session, Actor.of(who), "archives.campaign.closed", "archives_campaign", row.id, {}
            )
        return campaign_dict(row)


def campaign_dict(row: Campaign) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "grid_id": row.grid_id,
        "fields": row.form,
        "targets": row.targets,
        "deadline": row.deadline.isoformat(),
        "state": row.state,
        "created_by_name": row.created_by_name,
    }
