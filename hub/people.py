"""People and their roles over grids: create, update, disable, import/export (JSON and CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import audit
from hub.access import Grant, Role
from hub.audit import Actor
from hub.errors import Conflict, InvalidInput, NotFound, invalid_from_pydantic
from hub.grid import GridIndex
from hub.identity import Passwords
from hub.roles import RoleCatalogue
from storage.models import Assignment, Person
from storage.sql import utcnow

USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,63}$"
MAX_ROLES = 100  # grants of one person
MAX_IMPORT_PEOPLE = 10_000  # people per import


class GrantSpec(BaseModel):
    """One role over a grid; the role a core or an enabled plugin's (GET /api/v1/roles)."""

    role: str = Field(min_length=1, max_length=64, description="a role name")
    grid: str | None = Field(None, description="grid code; null only for admin")


class PersonSpec(BaseModel):
    """A person as imported, exported and created over HTTP."""

    username: str = Field(pattern=USERNAME)
    display_name: str = Field(min_length=1, max_length=120)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=200)
    roles: list[GrantSpec] = Field(default_factory=list, max_length=MAX_ROLES)
    report_interval_s: int = Field(60, ge=5, le=3600)
    active: bool = True
    password: str | None = Field(None, min_length=8, max_length=200)


class PersonPatch(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=120)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=200)
    report_interval_s: int | None = Field(None, ge=5, le=3600)
    roles: list[GrantSpec] | None = Field(None, max_length=MAX_ROLES)

    @field_validator("display_name", "report_interval_s")
    @classmethod
    def _not_cleared(cls, value: Any) -> Any:
        """Left out, these keep their value; they cannot be cleared (null), as phone can."""
        if value is None:
            raise ValueError("cannot be null (leave it out to keep the current value)")
        return value


@dataclass(frozen=True, slots=True)
class PersonView:
    id: int
    username: str
    display_name: str
    phone: str | None
    email: str | None
    active: bool
    report_interval_s: int
    roles: list[dict[str, Any]]


class People:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        passwords: Passwords,
        roles: RoleCatalogue | None = None,
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self.roles = roles or RoleCatalogue()  # the roles that may be assigned

    async def create(self, spec: PersonSpec, index: GridIndex, actor: Actor) -> PersonView:
        grants = _grants(spec.roles, index, self.roles)
        hashed = await self._passwords.hash(spec.password) if spec.password else None
        async with self._sessions.begin() as session:
            if await _by_username(session, spec.username) is not None:
                raise Conflict("person.username_taken", f"{spec.username!r} is taken")
            person = _new_person(spec, hashed)
            session.add(person)
            await session.flush()
            _assign(session, person.id, grants)
            audit.record(session, actor, "person.create", "person", person.id, _summary(spec))
        return await self.get(person.id, index)

    async def update(
        self, person_id: int, patch: PersonPatch, index: GridIndex, actor: Actor
    ) -> PersonView:
        async with self._sessions.begin() as session:
            person = await _must(session, person_id)
            for name in ("display_name", "phone", "email", "report_interval_s"):
                if name in patch.model_fields_set:
                    setattr(person, name, getattr(patch, name))
            if patch.roles is not None:
                await _replace_roles(session, person_id, _grants(patch.roles, index, self.roles))
            details = patch.model_dump(mode="json", exclude_unset=True)
            audit.record(session, actor, "person.update", "person", person_id, details)
        return await self.get(person_id, index)

    async def set_password(self, person_id: int, password: str, actor: Actor) -> None:
        hashed = await self._passwords.hash(password)
        async with self._sessions.begin() as session:
            person = await _must(session, person_id)
            person.password_hash, person.password_changed_at = hashed, utcnow()
            audit.record(session, actor, "person.password_set", "person", person_id)

    async def set_active(self, person_id: int, active: bool, actor: Actor) -> None:
        async with self._sessions.begin() as session:
            person = await _must(session, person_id)
            person.is_active = active
            action = "person.enable" if active else "person.disable"
            audit.record(session, actor, action, "person", person_id)

    async def get(self, person_id: int, index: GridIndex) -> PersonView:
        async with self._sessions() as session:
            person = await _must(session, person_id)
            roles = await _roles_of(session, [person_id])
        return _view(person, roles.get(person_id, []), index)

    async def in_grids(self, index: GridIndex, grid_ids: set[int] | None) -> list[PersonView]:
        """Everyone, or those holding a role on one of `grid_ids`."""
        async with self._sessions() as session:
            stmt = select(Person).order_by(Person.username)
            if grid_ids is not None:
                holders = select(Assignment.person_id).where(Assignment.grid_id.in_(grid_ids))
                stmt = stmt.where(Person.id.in_(holders))
            people = list(await session.scalars(stmt))
            roles = await _roles_of(session, [p.id for p in people])
        return [_view(p, roles.get(p.id, []), index) for p in people]

    async def grants_of(self, person_ids: Collection[int]) -> dict[int, tuple[Grant, ...]]:
        """The grants of those of `person_ids` who exist and are active (the real-time core
        recomputes sockets' rooms from these; the disabled and the deleted are left out)."""
        async with self._sessions() as session:
            active = set(
                await session.scalars(
                    select(Person.id).where(Person.id.in_(person_ids), Person.is_active)
                )
            )
            roles = await _roles_of(session, sorted(active))
        return {person: self.roles.grants(person, roles.get(person, [])) for person in active}

    async def password_hash(self, person_id: int) -> str | None:
        async with self._sessions() as session:
            return (await _must(session, person_id)).password_hash

    async def import_specs(
        self,
        specs: list[PersonSpec],
        index: GridIndex,
        actor: Actor,
        *,
        share_hashes: bool = False,
    ) -> tuple[int, int]:
        """Upsert by username, all or nothing; returns (created, updated).

        `share_hashes` (the demo seed, whose accounts all have one published password) hashes
        each distinct password once: Argon2 per account made a fresh demo wait ≈ 15 s."""
        grants = {s.username: _import_grants(s, index, self.roles) for s in specs}
        hashes = await self._hashes(specs, share_hashes)
        created = updated = 0
        async with self._sessions.begin() as session:
            for spec in specs:
                person = await _by_username(session, spec.username)
                if person is None:
                    person = _new_person(spec, hashes.get(spec.username))
                    session.add(person)
                    await session.flush()
                    created += 1
                else:
                    _refresh_person(person, spec, hashes.get(spec.username))
                    updated += 1
                await _replace_roles(session, person.id, grants[spec.username])
            audit.record(
                session,
                actor,
                "person.import",
                "person",
                "*",
                {"created": created, "updated": updated},
            )
        return created, updated

    async def _hashes(self, specs: list[PersonSpec], share: bool) -> dict[str, str]:
        """Username → Argon2 hash; with `share`, one hash (one salt) per distinct password."""
        by_password: dict[str, str] = {}
        hashes: dict[str, str] = {}
        for spec in specs:
            if not spec.password:
                continue
            if not share or spec.password not in by_password:
                by_password[spec.password] = await self._passwords.hash(spec.password)
            hashes[spec.username] = by_password[spec.password]
        return hashes


def export_json(people: Iterable[PersonView]) -> list[dict[str, Any]]:
    return [
        {
            "username": p.username,
            "display_name": p.display_name,
            "phone": p.phone,
            "email": p.email,
            "roles": [{"role": r["role"], "grid": r["grid"]} for r in p.roles],
            "report_interval_s": p.report_interval_s,
            "active": p.active,
        }
        for p in people
    ]


CSV_FIELDS = ["username", "display_name", "phone", "email", "roles", "report_interval_s", "active"]


def export_csv(people: Iterable[PersonView]) -> str:
    """CSV with roles as `role@gridcode` joined by `;` (admin without a grid is `admin`)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in export_json(people):
        roles = ";".join(r["role"] + (f"@{r['grid']}" if r["grid"] else "") for r in row["roles"])
        writer.writerow({**row, "roles": roles, "active": "true" if row["active"] else "false"})
    return out.getvalue()


def parse_json(data: Any) -> list[PersonSpec]:
    if not isinstance(data, list):
        raise InvalidInput("person.import_invalid", "expected a JSON array of people")
    return _validated(list(data))


def parse_csv(text: str) -> list[PersonSpec]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "username" not in reader.fieldnames:
        raise InvalidInput("person.import_invalid", "CSV needs a header with a username column")
    rows: list[dict[str, Any]] = []
    for record in reader:
        row: dict[str, Any] = {k: v for k, v in record.items() if k and v not in (None, "")}
        row["roles"] = [_role_cell(cell) for cell in (row.get("roles") or "").split(";") if cell]
        if "active" in row:
            row["active"] = str(row["active"]).strip().lower() in ("1", "true", "yes")
        rows.append(row)
    return _validated(rows)


def _role_cell(cell: str) -> dict[str, Any]:
    role, _, grid = cell.strip().partition("@")
    return {"role": role, "grid": grid or None}


def _validated(rows: list[Any]) -> list[PersonSpec]:
    if len(rows) > MAX_IMPORT_PEOPLE:
        raise InvalidInput(
            "person.import_too_large", f"import at most {MAX_IMPORT_PEOPLE} people at a time"
        )
    specs: list[PersonSpec] = []
    for number, row in enumerate(rows):
        try:
            specs.append(PersonSpec.model_validate(row))
        except ValidationError as exc:
            error = invalid_from_pydantic(exc, "person.import_invalid")
            error.message = f"person {number}: {error.message}"
            raise error from None
    names = [s.username for s in specs]
    if len(set(names)) != len(names):
        raise InvalidInput("person.import_invalid", "a username appears twice")
    return specs


def _grants(
    roles: list[GrantSpec], index: GridIndex, catalogue: RoleCatalogue
) -> list[tuple[str, int | None]]:
    out: list[tuple[str, int | None]] = []
    for spec in roles:
        if spec.role not in catalogue:
            raise InvalidInput("person.role_unknown", f"there is no role {spec.role!r}")
        if spec.grid is None and spec.role != Role.ADMIN:
            raise InvalidInput("person.role_invalid", f"role {spec.role} needs a grid")
        grid_id = None
        if spec.grid is not None:
            node = index.find_code(spec.grid)
            if node is None:
                raise InvalidInput("person.grid_unknown", f"grid {spec.grid!r} does not exist")
            grid_id = node.id
        if (spec.role, grid_id) not in out:
            out.append((spec.role, grid_id))
    return out


def _import_grants(
    spec: PersonSpec, index: GridIndex, catalogue: RoleCatalogue
) -> list[tuple[str, int | None]]:
    """The grants of one imported person; a refusal names the person."""
    try:
        return _grants(spec.roles, index, catalogue)
    except InvalidInput as exc:
        exc.message = f"person {spec.username}: {exc.message}"
        raise


def _assign(session: AsyncSession, person_id: int, grants: list[tuple[str, int | None]]) -> None:
    for role, grid_id in grants:
        session.add(Assignment(person_id=person_id, grid_id=grid_id, role=str(role)))


async def _replace_roles(
    session: AsyncSession, person_id: int, grants: list[tuple[str, int | None]]
) -> None:
    await session.execute(delete(Assignment).where(Assignment.person_id == person_id))
    _assign(session, person_id, grants)


def _new_person(spec: PersonSpec, hashed: str | None) -> Person:
    person = Person(username=spec.username, properties={})
    _refresh_person(person, spec, hashed)
    return person


def _refresh_person(person: Person, spec: PersonSpec, hashed: str | None) -> None:
    person.display_name = spec.display_name
    person.phone, person.email = spec.phone, spec.email
    person.report_interval_s, person.is_active = spec.report_interval_s, spec.active
    if hashed is not None:
        person.password_hash, person.password_changed_at = hashed, utcnow()


async def _roles_of(
    session: AsyncSession, ids: list[int]
) -> dict[int, list[tuple[str, int | None]]]:
    out: dict[int, list[tuple[str, int | None]]] = {}
    if not ids:
        return out
    rows = await session.execute(
        select(Assignment.person_id, Assignment.role, Assignment.grid_id)
        .where(Assignment.person_id.in_(ids))
        .order_by(Assignment.id)
    )
    for person_id, role, grid_id in rows:
        out.setdefault(person_id, []).append((role, grid_id))
    return out


def _view(person: Person, roles: list[tuple[str, int | None]], index: GridIndex) -> PersonView:
    return PersonView(
        id=person.id,
        username=person.username,
        display_name=person.display_name,
        phone=person.phone,
        email=person.email,
        active=person.is_active,
        report_interval_s=person.report_interval_s,
        roles=[_role_view(role, grid_id, index) for role, grid_id in roles],
    )


def _role_view(role: str, grid_id: int | None, index: GridIndex) -> dict[str, Any]:
    node = index.get(grid_id) if grid_id is not None and grid_id in index else None
    return {
        "role": role,
        "grid_id": grid_id,
        "grid": node.code if node else None,
        "grid_name": node.name if node else None,
    }


def _summary(spec: PersonSpec) -> dict[str, Any]:
    return {"username": spec.username, "roles": [r.model_dump(mode="json") for r in spec.roles]}


async def _by_username(session: AsyncSession, username: str) -> Person | None:
    return (await session.scalars(select(Person).where(Person.username == username))).first()


async def _must(session: AsyncSession, person_id: int) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("person.not_found", f"person {person_id} does not exist")
    return person
