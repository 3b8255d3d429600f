"""Change proposals (信息变更): a grid worker's edit of a person or a house waits for a reviewer
(the village or town over the record's grid); approved, it is applied and the record gets a new
version; rejected, it keeps the reviewer's reason. Every applied change stores a sealed snapshot
of the record (`archives_record_versions`), the one before the first change included, so the
record's history can be read back version by version (personal values masked).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hub.sdk import (
    Actor,
    Conflict,
    DbId,
    GridIndex,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    mask_personal,
    utcnow,
)
from plugins.archives.access import READ_ROLES, require, scope_ids
from plugins.archives.keys import Hasher
from plugins.archives.messages import ChangeDecided, RecordChanged
from plugins.archives.models import CATEGORIES, HOUSE_TYPES, HOUSE_USES, SEXES, House, Resident
from plugins.archives.work_access import FIELD_ROLES, REVIEWERS
from plugins.archives.work_models import Change, RecordVersion

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class PersonFields(BaseModel, extra="forbid"):
    """What a proposal may change on a person (the ID number is the officer's, not a worker's)."""

    name: Short | None = None
    sex: Literal[SEXES] | None = None  # type: ignore[valid-type]
    birth_date: date | None = None
    occupation: Annotated[str, StringConstraints(max_length=100)] | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^1\d{10}$")] | None = None
    category: Literal[CATEGORIES] | None = None  # type: ignore[valid-type]
    status: Literal["active", "moved", "deceased"] | None = None
    note: Note | None = None


class HouseFields(BaseModel, extra="forbid"):
    house_type: Literal[HOUSE_TYPES] | None = None  # type: ignore[valid-type]
    use: Literal[HOUSE_USES] | None = None  # type: ignore[valid-type]
    owner_name: Short | None = None
    area_m2: float | None = Field(None, gt=0, le=100000, allow_inf_nan=False)
    floors: int | None = Field(None, ge=1, le=200)
    note: Note | None = None


class ProposalIn(BaseModel):
    target_type: Literal["person", "house"]
    target_id: DbId
    fields: dict[str, Any] = Field(max_length=10)
    base_version: int | None = Field(None, ge=1, le=2**31 - 1)
    note: Note = ""

    @model_validator(mode="after")
    def _fields(self) -> ProposalIn:
        model = PersonFields if self.target_type == "person" else HouseFields
        checked = model.model_validate(self.fields).model_dump(mode="json", exclude_unset=True)
        if not checked:
            raise ValueError("propose at least one field")
        self.fields = checked
        return self


class RejectIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ChangesQuery(BaseModel):
    state: Literal["pending", "approved", "rejected"] | None = "pending"
    grid_id: DbId | None = None
    limit: int = Field(100, ge=1, le=200)


PERSONAL = frozenset({"phone"})
RECORDS: dict[str, type[Resident] | type[House]] = {"person": Resident, "house": House}
RECORD_KINDS = {"resident": "person", "house": "house"}  # RecordChanged.kind -> target type


async def _record(session: Any, kind: str, record_id: int) -> Resident | House | None:
    found: Resident | House | None = await session.get(RECORDS[kind], record_id)
    return found


PERSON_KEYS = ("name", "sex", "birth_date", "occupation", "category", "status", "note")
HOUSE_KEYS = ("house_type", "use", "owner_name", "area_m2", "floors", "note")
# kept in a version beside the proposable keys (set by direct edits and household moves)
SNAPSHOT_KEYS = {"person": ("household_id", "relation", "house_id"),
                 "house": ("address_id", "address_text")}  # fmt: skip


def masked_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: mask_personal(str(v)) if k in PERSONAL and v else v for k, v in fields.items()}


class Changes:
    def __init__(self, ctx: PluginContext, hasher: Hasher) -> None:
        self._ctx = ctx
        self._hasher = hasher

    @property
    def index(self) -> GridIndex:
        return self._ctx.grids.index

    async def propose(self, who: Principal, body: ProposalIn) -> dict[str, Any]:
        async with self._ctx.sessions.begin() as session:
            record = await _record(session, body.target_type, body.target_id)
            if record is None:
                raise NotFound(
                    "archives.record_not_found", f"no {body.target_type} {body.target_id}"
                )
            require(who, self.index, record.grid_id, FIELD_ROLES)
            if body.base_version is not None and body.base_version != record.version:
                raise Conflict("archives.change_stale", "the record changed since you opened it")
            row = Change(
                target_type=body.target_type,
                target_id=record.id,
                grid_id=record.grid_id,
                fields=self._ctx.personal.seal(json.dumps(body.fields, ensure_ascii=False)),
                field_names=sorted(body.fields),
                note=body.note,
                proposer_id=who.person_id,
                proposer_name=who.display_name,
            )
            session.add(row)
            await session.flush()
            self._ctx.audit.record(
                session,
                Actor.of(who),
                "archives.change.proposed",
                "archives_change",
                row.id,
                {"fields": row.field_names},
            )
            return self.change_dict(row, body.fields)

    def change_dict(self, row: Change, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        values = fields if fields is not None else self._open(row.fields)
        return {
            "id": row.id,
            "target_type": row.target_type,
            "target_id": row.target_id,
            "grid_id": row.grid_id,
            "fields": masked_fields(values),
            "note": row.note,
            "state": row.state,
            "reason": row.reason,
            "proposer_id": row.proposer_id,
            "proposer_name": row.proposer_name,
            "reviewer_name": row.reviewer_name,
            "created_at": row.created_at.isoformat(),
            "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        }

    def _open(self, sealed: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self._ctx.personal.open(sealed))
        return value

    async def listing(self, who: Principal, query: ChangesQuery) -> list[dict[str, Any]]:
        if query.grid_id is not None:
            require(who, self.index, query.grid_id, READ_ROLES)
        grids = (
            self.index.scope_ids([query.grid_id])
            if query.grid_id is not None
            else scope_ids(who, self.index, READ_ROLES)
        )
        stmt = select(Change).order_by(Change.id.desc()).limit(query.limit)
        if grids is not None:
            stmt = stmt.where(Change.grid_id.in_(grids))
        if query.state is not None:
            stmt = stmt.where(Change.state == query.state)
        async with self._ctx.sessions() as session:
            return [self.change_dict(r) for r in await session.scalars(stmt)]

    async def _pending(self, session: Any, who: Principal, change_id: int) -> Change:
        row: Change | None = await session.get(Change, change_id, with_for_update=True)
        if row is None:
            raise NotFound("archives.change_not_found", f"no change {change_id}")
        require(who, self.index, row.grid_id, REVIEWERS)
        if row.state != "pending":
            raise Conflict("archives.change_decided", f"this change is already {row.state}")
        if row.proposer_id == who.person_id:
            raise Conflict("archives.change_own", "a change is reviewed by someone else")
        return row

    async def approve(self, who: Principal, change_id: int) -> dict[str, Any]:
        async with self._ctx.sessions.begin() as session:
            row = await self._pending(session, who, change_id)
            record = await _record(session, row.target_type, row.target_id)
            if record is None:
                raise NotFound("archives.record_not_found", "the record is gone")
            fields = self._open(row.fields)
            await self._snapshot_first(session, row.target_type, record)
            self._apply(record, fields)
            record.version += 1
            record.updated_at = utcnow()
            self._decide(row, who, "approved", "")
            await session.flush()
            session.add(self._version(row.target_type, record, row.id, who))
            self._ctx.audit.record(
                session,
                Actor.of(who),
                "archives.change.approved",
                "archives_change",
                row.id,
                {"version": record.version},
            )
            out, version = self.change_dict(row, fields), record.version
        await self._announce(row, version)
        kind = "resident" if row.target_type == "person" else "house"
        await self._ctx.bus.publish(
            RecordChanged(kind=kind, record_id=row.target_id, grid_id=row.grid_id, action="updated")
        )
        return {**out, "version": version}

    async def reject(self, who: Principal, change_id: int, body: RejectIn) -> dict[str, Any]:
        async with self._ctx.sessions.begin() as session:
            row = await self._pending(session, who, change_id)
            self._decide(row, who, "rejected", body.reason)
            self._ctx.audit.record(
                session,
                Actor.of(who),
                "archives.change.rejected",
                "archives_change",
                row.id,
                {"reason": body.reason},
            )
            out = self.change_dict(row)
        await self._announce(row, None)
        return out

    @staticmethod
    def _decide(row: Change, who: Principal, state: str, reason: str) -> None:
        row.state, row.reason = state, reason
        row.reviewer_id, row.reviewer_name, row.reviewed_at = (
            who.person_id,
            who.display_name,
            utcnow(),
        )

    async def _announce(self, row: Change, version: int | None) -> None:
        await self._ctx.bus.publish(
            ChangeDecided(
                change_id=row.id,
                target_type=row.target_type,
                target_id=row.target_id,
                grid_id=row.grid_id,
                state=row.state,
                version=version,
            )
        )
        data = {"change_id": row.id, "state": row.state, "reason": row.reason}
        await self._ctx.realtime.emit(
            "change_decided", data, self._ctx.realtime.user_room(row.proposer_id)
        )

    def _apply(self, record: Resident | House, fields: dict[str, Any]) -> None:
        for key, value in fields.items():
            if key == "phone" and isinstance(record, Resident):
                record.phone_sealed = self._ctx.personal.seal(value)
                record.phone_hash = self._hasher.phone(value)
                record.phone_masked = mask_personal(value)
            elif key == "birth_date":
                record.birth_date = date.fromisoformat(value) if value else None  # type: ignore[union-attr]
            else:
                setattr(record, key, value)

    def _snapshot(self, kind: str, record: Resident | House) -> str:
        keys = PERSON_KEYS if kind == "person" else HOUSE_KEYS
        data = {k: getattr(record, k) for k in (*keys, *SNAPSHOT_KEYS[kind])}
        if isinstance(record, Resident):
            data["birth_date"] = record.birth_date.isoformat() if record.birth_date else None
            data["phone"] = (
                self._ctx.personal.open(record.phone_sealed) if record.phone_sealed else ""
            )
        data["grid_id"] = record.grid_id
        return self._ctx.personal.seal(json.dumps(data, ensure_ascii=False))

    def _version(
        self, kind: str, record: Resident | House, change_id: int | None, who: Principal | None
    ) -> RecordVersion:
        return RecordVersion(
            target_type=kind,
            target_id=record.id,
            version=record.version,
            data=self._snapshot(kind, record),
            change_id=change_id,
            actor_id=who.person_id if who else None,
            actor_name=who.display_name if who else "",
        )

    async def _snapshot_first(self, session: Any, kind: str, record: Resident | House) -> None:
        """Keep the record as it was before its first reviewed change (its version then)."""
        known = await session.scalar(
            select(func.count(RecordVersion.id)).where(
                RecordVersion.target_type == kind, RecordVersion.target_id == record.id
            )
        )
        if not known:
            try:
                async with session.begin_nested():  # a version the bus stored meanwhile: fine
                    session.add(self._version(kind, record, None, None))
            except IntegrityError:
                pass

    async def record_written(self, message: RecordChanged) -> None:
        """A direct write of a person or house (the officer's edit, a new record): keep its
        version too, so every record's history is whole. Idempotent: a version is stored once."""
        kind = RECORD_KINDS.get(message.kind)
        if kind is None or message.action not in ("created", "updated") or not message.record_id:
            return
        try:
            async with self._ctx.sessions.begin() as session:
                record = await _record(session, kind, message.record_id)
                if record is None or await self._has_version(session, kind, record):
                    return
                session.add(self._version(kind, record, None, None))
        except IntegrityError:  # the same version stored at the same moment (another node)
            return

    @staticmethod
    async def _has_version(session: Any, kind: str, record: Resident | House) -> bool:
        found = await session.scalar(
            select(RecordVersion.id).where(
                RecordVersion.target_type == kind,
                RecordVersion.target_id == record.id,
                RecordVersion.version == record.version,
            )
        )
        return found is not None

    async def versions(self, who: Principal, kind: str, target_id: int) -> list[dict[str, Any]]:
        if kind not in RECORDS:
            raise InvalidInput("archives.record_type", "records are person or house")
        async with self._ctx.sessions() as session:
            record = await _record(session, kind, target_id)
            if record is None:
                raise NotFound("archives.record_not_found", f"no {kind} {target_id}")
            require(who, self.index, record.grid_id, READ_ROLES)
            rows = await session.scalars(
                select(RecordVersion)
                .where(RecordVersion.target_type == kind, RecordVersion.target_id == target_id)
                .order_by(RecordVersion.version)
            )
            return [
                {
                    "version": r.version,
                    "data": masked_fields(self._open(r.data)),
                    "change_id": r.change_id,
                    "actor_name": r.actor_name,
                    "at": r.at.isoformat(),
                }
                for r in rows
            ]
