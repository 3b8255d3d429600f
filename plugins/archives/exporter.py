"""Export of a grid's residents, houses or places as CSV (UTF-8 with a BOM, for Excel) or XLSX,
masked: ID numbers and phones as everyone sees them, key groups only those the caller may see.
The columns are the import's (zh-CN headers), so an export can be edited and imported again
elsewhere (with the full ID numbers filled in)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import openpyxl
from sqlalchemy import select

from hub.sdk import Actor, Principal
from plugins.archives import access
from plugins.archives.models import House, Household, Place, Resident, ResidentTag
from plugins.archives.schemas import ArchiveExportQuery
from plugins.archives.shared import Env, tag_catalogue
from plugins.archives.tables import (
    CODE_WORDS,
    HOUSE_COLUMNS,
    PLACE_COLUMNS,
    RESIDENT_COLUMNS,
)

MAX_EXPORT = 200_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Exporter:
    def __init__(self, env: Env) -> None:
        self.env = env

    async def run(self, who: Principal, query: ArchiveExportQuery) -> tuple[str, bytes, str]:
        """(file name, content, media type) of the export; audited."""
        self.env.require_grid(query.grid_id)
        access.require(who, self.env.index, query.grid_id, access.BULK_ROLES)
        grids = sorted(self.env.index.scope_ids([query.grid_id]))
        header, rows = await self._rows(who, query.kind, grids)
        content = _csv(header, rows) if query.format == "csv" else _xlsx(header, rows)
        async with self.env.ctx.sessions.begin() as session:
            details = {"kind": query.kind, "grid_id": query.grid_id, "rows": len(rows),
                       "format": query.format}  # fmt: skip
            self.env.ctx.audit.record(session, Actor.of(who), "archives.export", "archives",
                                      query.kind, details)  # fmt: skip
        code = self.env.index.get(query.grid_id).code
        media = "text/csv; charset=utf-8" if query.format == "csv" else XLSX
        return f"archives-{query.kind}-{code}.{query.format}", content, media

    async def _rows(self, who: Principal, kind: str, grids: list[int]
                    ) -> tuple[list[str], list[list[Any]]]:  # fmt: skip
        if kind == "residents":
            return await self._residents(who, grids)
        model: type[House | Place] = House if kind == "houses" else Place
        columns = HOUSE_COLUMNS if kind == "houses" else PLACE_COLUMNS
        async with self.env.ctx.sessions() as session:
            found = await session.scalars(select(model).where(model.grid_id.in_(grids))
                                          .order_by(model.id).limit(MAX_EXPORT))  # fmt: skip
            rows = [self._record_row(r, columns) for r in found if isinstance(r, House | Place)]
        return [zh for zh, _ in columns.values()], rows

    def _record_row(self, row: House | Place, columns: dict[str, tuple[str, str]]) -> list[Any]:
        names = {"grid": "grid_id", "address": "address_text", "owner": "owner_name",
                 "phone": "phone_masked"}  # fmt: skip
        out = []
        for name in columns:
            value = getattr(row, names.get(name, name))
            if name == "grid":
                value = self.env.index.get(value).code if value in self.env.index else ""
            out.append(CODE_WORDS.get(name, {}).get(value, value) if isinstance(value, str)
                       else value)  # fmt: skip
        return out

    async def _residents(self, who: Principal, grids: list[int]
                         ) -> tuple[list[str], list[list[Any]]]:  # fmt: skip
        async with self.env.ctx.sessions() as session:
            catalogue = await tag_catalogue(session)
            residents = list(await session.scalars(
                select(Resident).where(Resident.grid_id.in_(grids), Resident.status == "active")
                .order_by(Resident.id).limit(MAX_EXPORT)))  # fmt: skip
            tags: dict[int, list[str]] = defaultdict(list)
            links = await session.execute(select(ResidentTag.resident_id, ResidentTag.tag_code)
                                          .where(ResidentTag.grid_id.in_(grids)))  # fmt: skip
            for resident_id, code in links:
                tags[resident_id].append(code)
            houses: dict[int, str] = dict((await session.execute(
                select(House.id, House.code).where(House.grid_id.in_(grids)))).all())  # fmt: skip
            households: dict[int, str] = dict((await session.execute(
                select(Household.id, Household.number).where(
                    Household.grid_id.in_(grids)))).all())  # fmt: skip
        roles = {code: tag.visible_roles for code, tag in catalogue.items()}
        rows = []
        for r in residents:
            seen = access.visible_tags(who, self.env.index, roles, r.grid_id) & set(tags[r.id])
            words = CODE_WORDS
            rows.append([self.env.index.get(r.grid_id).code if r.grid_id in self.env.index
                         else "", r.name, r.id_masked, words["sex"].get(r.sex, r.sex),
                         r.birth_date.isoformat() if r.birth_date else "",
                         words["category"].get(r.category, r.category), r.phone_masked,
                         r.occupation, households.get(r.household_id or 0, ""),
                         words["relation"].get(r.relation or "", ""),
                         houses.get(r.house_id or 0, ""),
                         "；".join(catalogue[c].name_zh for c in sorted(seen))])  # fmt: skip
        return [zh for zh, _ in RESIDENT_COLUMNS.values()], rows


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(_safe(rows))
    return ("\ufeff" + out.getvalue()).encode()


def _safe(rows: list[list[Any]]) -> Iterator[list[Any]]:
    """No cell starts a formula when a spreadsheet opens the file (CSV injection)."""
    for row in rows:
        yield [f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v
               for v in row]  # fmt: skip


def _xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("档案")
    sheet.append(header)
    for row in _safe(rows):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
