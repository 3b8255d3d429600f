"""The floor rule in both stores; with Redis, racing claims from many clients have one winner."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from media.floor import Floor, FloorStore, Holder, MemoryFloors, RedisFloors, Released

NOW = 1_000_000.0


def claim(person: int, rank: int, emergency: bool = False, talk_s: float = 30.0) -> Holder:
    return Holder(person, f"p{person}", rank, emergency, secrets.token_hex(4), NOW, NOW + talk_s)


@pytest.fixture(params=["memory", "redis"])
async def floors(request: pytest.FixtureRequest) -> AsyncIterator[FloorStore]:
    store: FloorStore
    if request.param == "memory":
        store = MemoryFloors()
    else:
        url = request.getfixturevalue("redis_url")
        store = RedisFloors(url, prefix=f"test-ptt-{secrets.token_hex(4)}")
    yield store
    await store.close()


async def test_priority_emergency_expiry_release(floors: FloorStore) -> None:
    worker, leader, commander = claim(1, 1), claim(2, 2), claim(3, 3)
    first = await floors.claim(7, leader, NOW)
    assert first.granted
    assert first.displaced is None
    denied = await floors.claim(7, worker, NOW + 1)
    assert not denied.granted
    assert denied.holder == leader
    again = await floors.claim(7, claim(2, 2), NOW + 1)  # the holder asking again keeps it
    assert again.granted
    assert again.holder == leader
    taken = await floors.claim(7, commander, NOW + 2)
    assert taken.displaced == leader
    rescue = await floors.claim(7, claim(1, 1, emergency=True), NOW + 3)
    assert rescue.granted
    assert rescue.displaced == commander
    assert not (await floors.claim(7, claim(3, 3), NOW + 4)).granted  # rank < emergency
    assert await floors.release(7, "not-the-token") is None
    assert rescue.holder is not None
    released = await floors.release(7, rescue.holder.token)
    assert released is not None
    assert released.holder == rescue.holder
    assert (await floors.current(7, NOW + 5)).holder is None
    short = claim(1, 1, talk_s=2.0)
    assert (await floors.claim(8, short, NOW)).granted
    assert (await floors.current(8, NOW + 1)).holder == short
    assert (await floors.current(8, NOW + 3)).holder is None  # ran out of time
    assert (await floors.claim(8, claim(4, 1), NOW + 3)).granted


async def test_every_change_of_holder_is_a_newer_version(floors: FloorStore) -> None:
    """Grants, pre-emptions and releases move a channel's version; a denied or repeated
    claim, a failed release and a read do not; each channel counts on its own."""
    assert await floors.current(7, NOW) == Floor(None, 0)
    leader = claim(2, 2)
    granted = await floors.claim(7, leader, NOW)
    assert granted.version == 1
    assert (await floors.claim(7, claim(1, 1), NOW)).version == 1  # denied
    assert (await floors.claim(7, claim(2, 2), NOW)).version == 1  # the holder again
    assert await floors.release(7, "not-the-token") is None
    assert await floors.current(7, NOW) == Floor(leader, 1)
    commander = claim(3, 3)
    assert (await floors.claim(7, commander, NOW)).version == 2  # pre-empted
    assert await floors.release(7, commander.token) == Released(commander, 3)
    assert await floors.current(7, NOW) == Floor(None, 3)
    assert (await floors.claim(8, claim(4, 1), NOW)).version == 1
    short = claim(1, 1, talk_s=2.0)
    assert (await floors.claim(7, short, NOW)).version == 4
    assert await floors.current(7, NOW + 3) == Floor(None, 4)  # ran out, not yet released
    assert await floors.release(7, short.token) == Released(short, 5)


async def test_racing_claims_have_one_winner(redis_url: str) -> None:
    prefix = f"race-{secrets.token_hex(4)}"
    stores = [RedisFloors(redis_url, prefix=prefix) for _ in range(8)]
    try:
        claims = [claim(person, 2) for person in range(1, 41)]
        outcomes = await asyncio.gather(
            *(stores[i % len(stores)].claim(5, c, NOW) for i, c in enumerate(claims))
        )
        winners = [c for c, o in zip(claims, outcomes, strict=True) if o.granted]
        assert len(winners) == 1
        assert all(o.holder == winners[0] for o in outcomes)
        assert await stores[0].current(5, NOW) == Floor(winners[0], 1)
    finally:
        for store in stores:
            await store.close()
