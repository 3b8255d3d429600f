"""Import of places (实有单位/场所) and organisations from CSV or XLSX, driven by importer.py (the
same report, dry run and all-or-nothing write as residents and houses). A place or organisation
is the same one when its name is in the same grid: a name already there is reported
(archives.place_duplicate / org_duplicate), and so is a name twice in one grid of the file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Table, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import utcnow
from plugins.archives.bulk import insert_rows
from plugins.archives.checks import Problem, check_coordinates, check_phone, normalise_phone
from plugins.archives.import_rows import Row, parse_row
from plugins.archives.models import Organisation, Place
from plugins.archives.schemas import OrgKind, PlaceKind, RiskLevel
from plugins.archives.shared import Env, Sealed
from plugins.archives.tables import ORG_COLUMNS, PLACE_IMPORT_COLUMNS

KINDS = {"places": "place", "orgs": "org"}  # import kind → record kind
COLUMNS = {"places": PLACE_IMPORT_COLUMNS, "orgs": ORG_COLUMNS}
REQUIRED = {"places": ("name", "grid", "kind"), "orgs": ("name", "grid", "kind")}
CHUNK = 400  # (grid, name) pairs per look-up
Lng = Field(None, ge=73.0, le=136.0, allow_inf_nan=False)
Lat = Field(None, ge=3.0, le=54.0, allow_inf_nan=False)


class PlaceRow(Row):
    name: str = Field(min_length=1, max_length=100)
    grid: str = Field(max_length=64)
    kind: PlaceKind
    risk_level: RiskLevel | None = None  # low
    inspection_interval_days: int | None = Field(None, ge=1, le=366)  # 30
    credit_code: str | None = Field(None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    contact_name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=20)
    employees: int | None = Field(None, ge=0, le=1_000_000)
    address: str | None = Field(None, max_length=300)
    lng: float | None = Lng
    lat: float | None = Lat


class OrgRow(Row):
    name: str = Field(min_length=1, max_length=100)
    grid: str = Field(max_length=64)
    kind: OrgKind
    leader_name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=20)
    members: int | None = Field(None, ge=0, le=10_000_000)
    address: str | None = Field(None, max_length=300)
    lng: float | None = Lng
    lat: float | None = Lat


MODELS: dict[str, type[PlaceRow | OrgRow]] = {"places": PlaceRow, "orgs": OrgRow}
TABLES: dict[str, type[Place | Organisation]] = {"places": Place, "orgs": Organisation}


def key(grid_id: int, name: str) -> str:
    return f"{grid_id}\x1f{name}"


async def taken(session: AsyncSession, kind: str, raw: Iterable[dict[str, str]],
                grids: dict[str, int]) -> set[str]:  # fmt: skip
    """The (grid, name) pairs of the file that the archive already holds."""
    model = TABLES[kind]
    pairs = sorted({(grids[v["grid"]], v.get("name", "").strip()) for v in raw
                    if v.get("grid") in grids and v.get("name")})  # fmt: skip
    found: set[str] = set()
    for start in range(0, len(pairs), CHUNK):
        wanted = tuple_(model.grid_id, model.name).in_(pairs[start : start + CHUNK])
        rows = await session.execute(select(model.grid_id, model.name).where(wanted))
        found.update(key(grid_id, name) for grid_id, name in rows)
    return found


def check(kind: str, grids: dict[str, int], existing: set[str], values: dict[str, str],
          seen: dict[str, int], number: int) -> tuple[BaseModel | None, list[Problem]]:  # fmt: skip
    """One row's problems: its fields, grid, phone, coordinates, and the name's uniqueness."""
    row, problems = parse_row(MODELS[kind], values)
    if row is None:
        return None, problems
    assert isinstance(row, PlaceRow | OrgRow)
    problems += check_phone(normalise_phone(row.phone or ""))
    problems += check_coordinates(row.lng, row.lat)
    grid_id = grids.get(row.grid)
    if grid_id is None:
        problems.append(Problem("grid", "archives.grid_unknown",
                                f"no grid {row.grid} in your import scope"))  # fmt: skip
        return row, problems
    name, record = key(grid_id, row.name), KINDS[kind]
    if name in existing:
        problems.append(Problem("name", f"archives.{record}_duplicate",
                                "this name is already in the archive in this grid"))  # fmt: skip
    elif name in seen:
        problems.append(Problem("name", f"archives.{record}_duplicate_in_file",
                                f"the same name in this grid is on row {seen[name]}"))  # fmt: skip
    seen.setdefault(name, number)
    return row, problems


async def write(session: AsyncSession, env: Env, kind: str, rows: list[BaseModel],
                grids: dict[str, int]) -> dict[int, int]:  # fmt: skip
    """Insert the checked rows in the import's transaction; the rows per grid."""
    now, values = utcnow(), []
    counts: dict[int, int] = {}
    for row in rows:
        assert isinstance(row, PlaceRow | OrgRow)
        grid_id, phone = grids[row.grid], env.seal_phone(row.phone or "")
        counts[grid_id] = counts.get(grid_id, 0) + 1
        values.append({**_common(row, grid_id, phone, now), **_own(row, phone)})
    table = TABLES[kind].__table__
    assert isinstance(table, Table)
    await insert_rows(session, table, values)
    return counts


def _common(row: PlaceRow | OrgRow, grid_id: int, phone: Sealed, now: Any) -> dict[str, Any]:
    return {"grid_id": grid_id, "name": row.name, "kind": row.kind, "address_id": None,
            "address_text": row.address or "", "lng": row.lng, "lat": row.lat,
            "phone_sealed": phone.sealed, "phone_masked": phone.masked, "version": 1,
            "created_at": now, "updated_at": now}  # fmt: skip


def _own(row: PlaceRow | OrgRow, phone: Sealed) -> dict[str, Any]:
    if isinstance(row, OrgRow):
        return {"leader_name": row.leader_name or "", "members": row.members}
    return {"risk_level": row.risk_level or "low",
            "inspection_interval_days": row.inspection_interval_days or 30,
            "credit_code": row.credit_code or "", "contact_name": row.contact_name or "",
            "employees": row.employees, "note": "",
            "phone_hash": phone.hash}  # fmt: skip
