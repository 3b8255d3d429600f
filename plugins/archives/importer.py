"""Import of residents and houses from CSV or XLSX (places and organisations: unit_import.py):
every row checked, every bad field reported by row number (the header is row 1) and field;
nothing is written unless every row is clean.

A dry run answers the report only. A real run checks again and writes all rows in one
transaction (all or none: a failure half-way leaves nothing), through multi-row INSERTs; the
ids come from the database, so concurrent single writes cannot collide with an import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, Base, InvalidInput, Principal, utcnow
from plugins.archives import access, cells, unit_import
from plugins.archives.bulk import insert_rows
from plugins.archives.checks import (
    Problem,
    check_coordinates,
    id_birth_date,
    id_sex,
    mask_id,
    normalise_id,
    normalise_phone,
)
from plugins.archives.import_rows import Row as _Row
from plugins.archives.import_rows import parse_row as _model
from plugins.archives.messages import RecordChanged
from plugins.archives.models import House, Household, Resident, ResidentTag, Tag
from plugins.archives.residents import resident_problems
from plugins.archives.schemas import HouseType, HouseUse, ImportQuery, Relation, Sex
from plugins.archives.shared import Env
from plugins.archives.tables import (
    HOUSE_COLUMNS,
    RESIDENT_COLUMNS,
    TableError,
    header_map,
    read_table,
)

MAX_LISTED = 1000  # errors listed in a report (all are counted)
CHUNK = 500  # values per IN (...) look-up
REQUIRED = {"residents": ("grid", "name", "id_number", "category"),
            "houses": ("code", "grid", "address"), **unit_import.REQUIRED}  # fmt: skip
COLUMNS = {"residents": RESIDENT_COLUMNS, "houses": HOUSE_COLUMNS, **unit_import.COLUMNS}


class ResidentRow(_Row):
    grid: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(max_length=18)
    sex: Sex | None = None
    birth_date: date | None = None
    category: Literal["registered", "resident", "floating"]
    phone: str | None = Field(None, max_length=20)
    occupation: str | None = Field(None, max_length=100)
    household: str | None = Field(None, max_length=32)
    relation: Relation | None = None
    house: str | None = Field(None, max_length=40)
    tags: str | None = Field(None, max_length=300)


class HouseRow(_Row):
    code: str = Field(max_length=40)
    grid: str = Field(max_length=64)
    address: str = Field(min_length=1, max_length=300)
    house_type: HouseType = "bungalow"
    use: HouseUse = "self"
    owner: str | None = Field(None, max_length=50)
    area_m2: float | None = Field(None, gt=0, le=100_000, allow_inf_nan=False)
    floors: int | None = Field(None, ge=1, le=200)
    lng: float | None = Field(None, ge=73.0, le=136.0, allow_inf_nan=False)
    lat: float | None = Field(None, ge=3.0, le=54.0, allow_inf_nan=False)


@dataclass
class Report:
    kind: str
    dry_run: bool
    rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_total: int = 0
    imported: int = 0

    def add(self, row: int, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.errors_total += 1
            if len(self.errors) < MAX_LISTED:
                self.errors.append({"row": row, **problem.as_dict()})

    def out(self) -> dict[str, Any]:
        bad_rows = len({e["row"] for e in self.errors})
        return {"kind": self.kind, "dry_run": self.dry_run, "rows": self.rows,
                "errors": self.errors, "errors_total": self.errors_total,
                "clean": self.errors_total == 0, "bad_rows_listed": bad_rows,
                "imported": self.imported}  # fmt: skip


@dataclass
class Parsed:
    """The checked rows (row number, model) and what the write needs looked up."""

    rows: list[tuple[int, BaseModel]] = field(default_factory=list)
    grids: dict[str, int] = field(default_factory=dict)
    houses: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # word → code
    # already in the archive: residents' ID hashes; places' and organisations' grid and name
    taken: set[str] = field(default_factory=set)
    digests: dict[str, str] = field(default_factory=dict)  # ID number → its hash, once each


class Importer:
    def __init__(self, env: Env) -> None:
        self.env = env

    async def run(self, who: Principal, data: bytes, query: ImportQuery) -> dict[str, Any]:
        report = Report(query.kind, query.dry_run)
        try:
            parsed = await self._check(who, data, query, report)
        except TableError as exc:
            report.add(1, [exc.problem])
            parsed = Parsed()
        if report.errors_total and not query.dry_run:
            raise InvalidInput("archives.import_invalid",
                               f"{report.errors_total} problems: nothing was imported",
                               details=report.out())  # fmt: skip
        if not query.dry_run:
            report.imported = await self._write(who, parsed, query.kind)
        return report.out()

    async def _check(self, who: Principal, data: bytes, query: ImportQuery,
                     report: Report) -> Parsed:  # fmt: skip
        table = read_table(data, query.format)
        header = next(table, None)
        if header is None:
            raise TableError(Problem("file", "archives.import_empty", "the file has no rows"))
        fields = self._header(header, COLUMNS[query.kind], REQUIRED[query.kind])
        raw = [(n, dict(zip(fields, cells, strict=False))) for n, cells in enumerate(table, 2)
               if any(cells)]  # fmt: skip
        report.rows = len(raw)
        parsed = await self._lookups(who, raw, query.kind)
        check = self._checker(query.kind)
        seen: dict[str, int] = {}
        for number, values in raw:
            model, problems = check(parsed, values, seen, number)
            report.add(number, problems)
            if model is not None and not problems:
                parsed.rows.append((number, model))
        return parsed

    def _checker(self, kind: str) -> Any:
        if kind in unit_import.KINDS:
            return lambda parsed, values, seen, number: unit_import.check(
                kind, parsed.grids, parsed.taken, values, seen, number)  # fmt: skip
        return self._resident if kind == "residents" else self._house

    def _header(self, header: list[str], columns: dict[str, tuple[str, str]],
                required: Sequence[str]) -> list[str]:  # fmt: skip
        names = header_map(columns)
        fields = [names.get(cell, names.get(cell.lower(), "")) for cell in header]
        unknown = [cell for cell, name in zip(header, fields, strict=True) if cell and not name]
        missing = [name for name in required if name not in fields]
        if unknown or missing:
            what = (f"unknown columns: {', '.join(unknown)}; " if unknown else "") + (
                f"missing columns: {', '.join(missing)}" if missing else "")  # fmt: skip
            raise TableError(Problem("header", "archives.import_header", what.strip("; ")))
        return [name or f"_{i}" for i, name in enumerate(fields)]

    async def _lookups(self, who: Principal, raw: list[tuple[int, dict[str, str]]],
                       kind: str) -> Parsed:  # fmt: skip
        parsed, index = Parsed(), self.env.index
        for code in {values.get("grid", "") for _, values in raw}:
            node = index.find_code(code) if code else None
            if node is not None and access.may(who, index, node.id, access.BULK_ROLES):
                parsed.grids[code] = node.id
        async with self.env.ctx.sessions() as session:
            if kind == "residents":
                await self._resident_lookups(session, raw, parsed)
            elif kind in unit_import.KINDS:
                named = (values for _, values in raw)
                parsed.taken = await unit_import.taken(session, kind, named, parsed.grids)
            else:
                codes = [v.get("code", "") for _, v in raw]
                parsed.houses = await _ids_by(session, House.code, House.id, codes)
        return parsed

    async def _resident_lookups(self, session: AsyncSession, raw: list[tuple[int, dict[str, str]]],
                                parsed: Parsed) -> None:  # fmt: skip
        houses = [v.get("house", "") for _, v in raw if v.get("house")]
        parsed.houses = await _ids_by(session, House.code, House.id, houses)
        numbers = [v.get("household", "") for _, v in raw if v.get("household")]
        parsed.households = await _ids_by(session, Household.number, Household.id, numbers)
        hasher = self.env.hasher
        for _, values in raw:
            number = normalise_id(values.get("id_number", ""))
            parsed.digests[number] = hasher.id_number(number)
        digests = list(parsed.digests.values())
        parsed.taken = set(await _ids_by(session, Resident.id_hash, Resident.id, digests))
        for tag in await session.scalars(select(Tag).where(Tag.active)):
            parsed.tags.update({tag.code: tag.code, tag.name_zh: tag.code})

    def _resident(self, parsed: Parsed, values: dict[str, str], seen: dict[str, int],
                  number: int) -> tuple[BaseModel | None, list[Problem]]:  # fmt: skip
        row, problems = _model(ResidentRow, values)
        if row is None:
            return None, problems
        assert isinstance(row, ResidentRow)
        id_number = normalise_id(row.id_number)
        problems += _grid(parsed, row.grid)
        problems += resident_problems(id_number, normalise_phone(row.phone or ""), row.sex,
                                      row.birth_date)  # fmt: skip
        if row.house and row.house not in parsed.houses:
            problems.append(Problem("house", "archives.house_unknown", f"no house {row.house}"))
        digest = parsed.digests.get(id_number) or self.env.hasher.id_number(id_number)
        if digest in parsed.taken:
            problems.append(Problem("id_number", "archives.id_duplicate",
                                    "this person is already in the archive"))  # fmt: skip
        elif digest in seen:
            problems.append(Problem("id_number", "archives.id_duplicate_in_file",
                                    f"the same ID number is on row {seen[digest]}"))  # fmt: skip
        seen.setdefault(digest, number)
        unknown = [w for w in _words(row.tags) if w not in parsed.tags]
        if unknown:
            problems.append(Problem("tags", "archives.tag_unknown",
                                    f"unknown key groups: {', '.join(unknown)}"))  # fmt: skip
        return row, problems

    def _house(self, parsed: Parsed, values: dict[str, str], seen: dict[str, int],
               number: int) -> tuple[BaseModel | None, list[Problem]]:  # fmt: skip
        row, problems = _model(HouseRow, values)
        if row is None:
            return None, problems
        assert isinstance(row, HouseRow)
        problems += _grid(parsed, row.grid) + check_coordinates(row.lng, row.lat)
        if row.code in parsed.houses:
            problems.append(Problem("code", "archives.house_duplicate",
                                    "this code is already in the archive"))  # fmt: skip
        elif row.code in seen:
            problems.append(Problem("code", "archives.house_duplicate_in_file",
                                    f"the same code is on row {seen[row.code]}"))  # fmt: skip
        seen.setdefault(row.code, number)
        return row, problems

    async def _write(self, who: Principal, parsed: Parsed, kind: str) -> int:
        async with self.env.ctx.sessions.begin() as session:
            if kind == "residents":
                grids = await self._write_residents(session, parsed)
            elif kind in unit_import.KINDS:
                rows = [row for _, row in parsed.rows]
                grids = await unit_import.write(session, self.env, kind, rows, parsed.grids)
            else:
                grids = await self._write_houses(session, parsed)
            self.env.ctx.audit.record(session, Actor.of(who), "archives.import", "archives",
                                      kind, {"rows": len(parsed.rows)})  # fmt: skip
        for grid_id, count in sorted(grids.items()):
            await self.env.ctx.bus.publish(RecordChanged(
                kind=kind.removesuffix("s"), record_id=0, grid_id=grid_id, action="imported",
                count=count))  # fmt: skip
        return len(parsed.rows)

    async def _write_houses(self, session: AsyncSession, parsed: Parsed) -> dict[int, int]:
        now, grids = utcnow(), _Counter()
        values, points = [], []
        for _, row in parsed.rows:
            assert isinstance(row, HouseRow)
            grid_id = grids.add(parsed.grids[row.grid])
            points.append((grid_id, row.lng, row.lat))
            cell_x, cell_y = cells.house_cell(row.lng, row.lat)
            values.append({"grid_id": grid_id, "code": row.code, "address_text": row.address,
                           "house_type": row.house_type, "use": row.use,
                           "owner_name": row.owner or "", "area_m2": row.area_m2,
                           "floors": row.floors, "lng": row.lng, "lat": row.lat, "note": "",
                           "version": 1, "created_at": now, "updated_at": now,
                           "cell_x": cell_x, "cell_y": cell_y})  # fmt: skip
        await insert_rows(session, _table(House), values)
        await cells.add(session, points)  # the map's cluster summary, in this transaction
        return grids.counts

    async def _write_residents(self, session: AsyncSession, parsed: Parsed) -> dict[int, int]:
        rows = [row for _, row in parsed.rows if isinstance(row, ResidentRow)]
        await self._new_households(session, rows, parsed)
        now, grids = utcnow(), _Counter()
        values = [self._resident_values(row, parsed, grids, now) for row in rows]
        ids = await insert_rows(session, _table(Resident), values, want_ids=True)
        links = [{"resident_id": rid, "tag_code": parsed.tags[word], "grid_id": v["grid_id"],
                  "note": "", "created_at": now}
                 for rid, v, row in zip(ids, values, rows, strict=True)
                 for word in dict.fromkeys(_words(row.tags))]  # fmt: skip
        if links:
            await insert_rows(session, _table(ResidentTag), _unique_links(links))
        heads = [{"hid": v["household_id"], "rid": rid} for rid, v, row in zip(ids, values, rows,
                 strict=True) if row.relation == "head" and v["household_id"]]  # fmt: skip
        if heads:
            table = _table(Household)
            head = (update(table).where(table.c.id == bindparam("hid"))
                    .values(head_resident_id=bindparam("rid")))  # fmt: skip
            await session.execute(head, heads)
        return grids.counts

    async def _new_households(self, session: AsyncSession, rows: list[ResidentRow],
                              parsed: Parsed) -> None:  # fmt: skip
        """Households named in the file and not yet in the archive, on the first member's grid
        and house."""
        new: dict[str, dict[str, Any]] = {}
        for row in rows:
            if row.household and row.household not in parsed.households:
                new.setdefault(row.household, {
                    "number": row.household, "grid_id": parsed.grids[row.grid], "kind": "family",
                    "house_id": parsed.houses.get(row.house or ""), "head_resident_id": None,
                    "created_at": utcnow()})  # fmt: skip
        if new:
            made = await insert_rows(session, _table(Household), list(new.values()), want_ids=True)
            parsed.households.update(zip(new, made, strict=True))

    def _resident_values(self, row: ResidentRow, parsed: Parsed, grids: _Counter,
                         now: Any) -> dict[str, Any]:  # fmt: skip
        id_number, personal = normalise_id(row.id_number), self.env.ctx.personal
        phone = self.env.seal_phone(row.phone or "")
        return {"grid_id": grids.add(parsed.grids[row.grid]),
                "household_id": parsed.households.get(row.household or ""),
                "house_id": parsed.houses.get(row.house or ""), "relation": row.relation,
                "category": row.category, "name": row.name,
                "sex": row.sex or id_sex(id_number),
                "birth_date": row.birth_date or id_birth_date(id_number),
                "occupation": row.occupation or "", "id_sealed": personal.seal(id_number),
                "id_hash": parsed.digests.get(id_number) or self.env.hasher.id_number(id_number),
                "id_masked": mask_id(id_number),
                "phone_sealed": phone.sealed, "phone_hash": phone.hash,
                "phone_masked": phone.masked, "status": "active", "note": "", "version": 1,
                "created_at": now, "updated_at": now}  # fmt: skip


class _Counter:
    def __init__(self) -> None:
        self.counts: dict[int, int] = {}

    def add(self, grid_id: int) -> int:
        self.counts[grid_id] = self.counts.get(grid_id, 0) + 1
        return grid_id


def _table(model: type[Base]) -> Table:
    """The Core table (Core executemany skips the ORM's per-row bookkeeping)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _words(text: str | None) -> list[str]:
    if not text:
        return []
    for sep in ("；", "、", ",", "，", "|"):
        text = text.replace(sep, ";")
    return [w.strip() for w in text.split(";") if w.strip()]


def _grid(parsed: Parsed, code: str) -> list[Problem]:
    if code in parsed.grids:
        return []
    return [Problem("grid", "archives.grid_unknown", f"no grid {code} in your import scope")]


def _unique_links(links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[int, str]] = set()
    out = []
    for link in links:
        key = (link["resident_id"], link["tag_code"])
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out


async def _ids_by(session: AsyncSession, key: Any, value: Any, wanted: Iterable[str]
                  ) -> dict[str, int]:  # fmt: skip
    found: dict[str, int] = {}
    unique = sorted({w for w in wanted if w})
    for start in range(0, len(unique), CHUNK):
        # the values rendered into the statement: PostgreSQL's cached generic plan of a
        # 500-parameter IN, made while the table was small, stayed a sequential scan
        # (seconds per look-up at 100,000 people; 20 ms with the values in view)
        values = unique[start : start + CHUNK]
        chunk: Any = bindparam(None, values, expanding=True, literal_execute=True)
        found.update((await session.execute(select(key, value).where(key.in_(chunk)))).all())
    return found
