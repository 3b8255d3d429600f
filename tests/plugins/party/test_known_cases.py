"""Trimming `party_known_cases` on SQLite and PostgreSQL: closed incidents dispatch last described
before the retention are forgotten in bounded deletes (oldest first, a run stops after its
rounds and the next goes on); open ones, recent ones and those a 包靠领导 is on stay. The
migration that adds `seen_at` fills it for the rows it finds and comes off again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import column, insert, select, table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from plugins.party import PartyPlugin
from plugins.party.case_leaders import trim_known_cases
from plugins.party.models import CaseLeader, KnownCase
from storage import migrate
from storage.sql import create_engine, utcnow

LOCATION = PartyPlugin.migrations
assert LOCATION is not None
BEFORE_SEEN = "p0007_promo_versions"  # the revision before party_known_cases.seen_at


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    made = create_engine(database_url)
    try:
        await migrate.upgrade(made, [LOCATION])
        yield made
    finally:
        await made.dispose()


def case(incident_id: int, state: str, seen_at: datetime) -> KnownCase:
    return KnownCase(incident_id=incident_id, number=f"SJ{incident_id}", grid_id=1, state=state,
                     category="road_facility", version=3, seen_at=seen_at)  # fmt: skip


async def known(sessions: async_sessionmaker[AsyncSession]) -> set[int]:
    async with sessions() as session:
        return set(await session.scalars(select(KnownCase.incident_id)))


async def test_closed_incidents_are_forgotten_in_bounded_rounds(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    now = utcnow()
    cutoff = now - timedelta(days=90)
    stale = [case(100 + n, "closed", cutoff - timedelta(days=10 - n)) for n in range(7)]
    kept = [
        case(1, "closed", cutoff - timedelta(days=30)),  # a leader is on it
        case(2, "handling", cutoff - timedelta(days=30)),  # still open
        case(3, "closed", cutoff + timedelta(days=1)),  # closed within the retention
    ]
    async with sessions.begin() as session:
        session.add_all([*stale, *kept])
        session.add(CaseLeader(incident_id=1, person_id=9, note="包案"))

    # two rounds of three: the six oldest go, the run stops although one is left
    assert await trim_known_cases(sessions, cutoff, batch=3, rounds=2) == 6
    assert await known(sessions) == {1, 2, 3, 106}
    assert await trim_known_cases(sessions, cutoff, batch=3, rounds=2) == 1  # the next run
    assert await known(sessions) == {1, 2, 3}
    assert await trim_known_cases(sessions, cutoff, batch=3, rounds=2) == 0


async def test_the_seen_at_migration_fills_rows_and_comes_off(engine: AsyncEngine) -> None:
    await migrate.downgrade(engine, BEFORE_SEEN, [LOCATION])
    row = {"incident_id": 5, "number": "SJ5", "grid_id": 1, "state": "closed",
           "category": "road_facility", "version": 1}  # fmt: skip
    before_seen = table("party_known_cases", *(column(name) for name in row))  # no seen_at yet
    async with engine.begin() as conn:
        await conn.execute(insert(before_seen), row)
    start = utcnow() - timedelta(minutes=5)
    await migrate.upgrade(engine, [LOCATION])
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        stored = await session.get_one(KnownCase, 5)
    assert stored.seen_at > start  # counted as seen at the upgrade: kept a full retention
    assert await trim_known_cases(sessions, utcnow() - timedelta(days=1)) == 0
    await migrate.downgrade(engine, BEFORE_SEEN, [LOCATION])
    await migrate.upgrade(engine, [LOCATION])
