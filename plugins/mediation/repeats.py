"""Repeated disputes: a new case about the same parties or the same place as an earlier one
(within the configured window) is linked to it both ways and both are flagged. The same
parties are the same names, or the same archived people (linked parties, people.py) whatever
their names were written as."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.mediation.models import Case, Link, Party


def same_parties(names: set[str], others: set[str]) -> bool:
    """Two or more names in common, or the same single name on both sides."""
    common = names & others
    return len(common) >= 2 or (len(common) == 1 and len(names) == 1 == len(others))


async def find_repeats(
    session: AsyncSession, case: Case, parties: list[Party], since: datetime, area: set[int]
) -> list[int]:
    """Link `case` (flushed, not committed) to the earlier cases it repeats; their ids. A place
    repeats within `area` (the grids of the committee first taking the case), wherever the
    earlier case went on to be handled."""
    reasons = await _by_people(session, case, parties, since)
    names = {p.name for p in parties}
    for other_id in await _by_parties(session, case, names, since):
        reasons.setdefault(other_id, "parties")
    for other_id in await _by_place(session, case, since, area):
        reasons.setdefault(other_id, "place")
    for other_id, reason in reasons.items():
        session.add(Link(case_id=case.id, other_id=other_id, reason=reason))
        session.add(Link(case_id=other_id, other_id=case.id, reason=reason))
        other = await session.get(Case, other_id)
        if other is not None:
            other.repeat = True
    case.repeat = bool(reasons)
    return sorted(reasons)


async def later_repeats(
    session: AsyncSession, case: Case, parties: list[Party], since: datetime
) -> list[int]:
    """Link `case` to the earlier cases sharing its linked people now that a party was added
    (`parties`: all of its parties, the new one flushed); cases already linked are left as they
    are. The ids newly linked."""
    found = await _by_people(session, case, parties, since)
    known = set(await session.scalars(select(Link.other_id).where(Link.case_id == case.id)))
    fresh = sorted(set(found) - known)
    for other_id in fresh:
        session.add(Link(case_id=case.id, other_id=other_id, reason="people"))
        session.add(Link(case_id=other_id, other_id=case.id, reason="people"))
        other = await session.get(Case, other_id)
        if other is not None:
            other.repeat = True
    case.repeat = case.repeat or bool(fresh)
    return fresh


async def _by_parties(
    session: AsyncSession, case: Case, names: set[str], since: datetime
) -> dict[int, str]:
    rows = await session.execute(
        select(Party.case_id, Party.name)
        .join(Case, Case.id == Party.case_id)
        .where(Party.name.in_(names), Case.id != case.id, Case.created_at >= since)
    )
    candidates = {row.case_id for row in rows}
    if not candidates:
        return {}
    everyone = await session.execute(
        select(Party.case_id, Party.name).where(Party.case_id.in_(candidates))
    )
    by_case: dict[int, set[str]] = {}
    for row in everyone:
        by_case.setdefault(row.case_id, set()).add(row.name)
    return {cid: "parties" for cid, seen in by_case.items() if same_parties(names, seen)}


async def _by_people(
    session: AsyncSession, case: Case, parties: list[Party], since: datetime
) -> dict[int, str]:
    ids = {p.person_id for p in parties if p.person_id is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(Party.case_id)
        .join(Case, Case.id == Party.case_id)
        .where(Party.person_id.in_(ids), Case.id != case.id, Case.created_at >= since)
    )
    candidates = {row.case_id for row in rows}
    everyone = await session.execute(
        select(Party.case_id, Party.person_id).where(
            Party.case_id.in_(candidates), Party.person_id.is_not(None)
        )
    )
    by_case: dict[int, set[str]] = {}
    for row in everyone:
        by_case.setdefault(row.case_id, set()).add(str(row.person_id))
    mine = {str(i) for i in ids}
    return {cid: "people" for cid, seen in by_case.items() if same_parties(mine, seen)}


async def _by_place(
    session: AsyncSession, case: Case, since: datetime, area: set[int]
) -> list[int]:
    if not case.place:
        return []
    found = await session.scalars(
        select(Case.id).where(
            Case.place == case.place,
            Case.grid_id.in_(area),
            Case.id != case.id,
            Case.created_at >= since,
        )
    )
    return list(found)
