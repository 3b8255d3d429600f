"""The write journal on the run's private redis-server: notes, heartbeats, claims.

Each test uses a fresh key prefix. A node whose heartbeat is 1 ms long is dead as soon as Redis
expires it; claims are polled until then (bounded), as the presence contract does.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import cast

import pytest
from redis.asyncio import Redis

from storage.redis.journal import RedisWriteJournal
from tests.clock import FakeClock

WAIT_S = 5.0
LONG_TTL_S = 60.0
TINY_TTL_S = 0.001  # PX 1
EVERY_S = 30.0

Journals = Callable[..., RedisWriteJournal]


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex[:12]}:journal"


@pytest.fixture
async def journals(redis_url: str, prefix: str) -> AsyncIterator[Journals]:
    made: list[RedisWriteJournal] = []

    def make(
        node: str, ttl_s: float = LONG_TTL_S, clock: FakeClock | None = None
    ) -> RedisWriteJournal:
        journal = RedisWriteJournal(
            redis_url, node_id=node, ttl_s=ttl_s, prefix=prefix, clock=clock or FakeClock()
        )
        made.append(journal)
        return journal

    yield make
    for journal in made:
        await journal.close()
    redis: Redis = Redis.from_url(redis_url)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def claimed_by(journal: RedisWriteJournal, node: str) -> list[int]:
    """Claim until `node`'s heartbeat has expired in Redis (bounded)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            found = await journal.claim_dead()
            if node in found:
                return found[node]
            await asyncio.sleep(0)


async def test_a_dead_nodes_channels_are_claimed_by_exactly_one_survivor(
    journals: Journals,
) -> None:
    dead, live, other = journals("dead", TINY_TTL_S), journals("live"), journals("other")
    await live.beat()
    await other.beat()
    await dead.note({7, 9})
    await dead.note({8})
    assert await claimed_by(live, "dead") == [7, 8, 9]
    assert await live.claim_dead() == {}  # claimed once, then forgotten
    assert await other.claim_dead() == {}  # and live nodes are never claimed


async def test_a_channel_is_noted_once_per_period_and_kept_for_four(
    journals: Journals, redis_url: str, prefix: str
) -> None:
    clock = FakeClock()
    node = journals("a", LONG_TTL_S, clock)
    await node.note({7})
    clock.now += EVERY_S - 1
    await node.note({7, 8})  # 7 is cached: only 8 reaches Redis
    assert await noted(redis_url, prefix, "a") == {7: 1000.0, 8: 1029.0}
    clock.now += 2
    await node.note({7, 9})  # 7 is due again
    assert await noted(redis_url, prefix, "a") == {7: 1031.0, 8: 1029.0, 9: 1031.0}
    clock.now += 4 * EVERY_S
    await node.note({9})
    assert await noted(redis_url, prefix, "a") == {7: 1031.0, 9: 1151.0}


async def noted(redis_url: str, prefix: str, node: str) -> dict[int, float]:
    redis: Redis = Redis.from_url(redis_url)
    try:
        rows = await redis.zrange(f"{prefix}:chan:{node}", 0, -1, withscores=True)
    finally:
        await redis.aclose()
    return {int(member): float(score) for member, score in cast(list[tuple[bytes, float]], rows)}


async def test_a_node_claimed_while_alive_notes_every_channel_again(journals: Journals) -> None:
    clock = FakeClock()
    slow = journals("slow", TINY_TTL_S, clock)
    await slow.note({7})
    survivor = journals("b")
    assert await claimed_by(survivor, "slow") == [7]  # it stalled past its heartbeat
    clock.now += 1.0  # ... for this long, by its own clock
    await slow.note({7})  # still writing channel 7: its cache must not skip the note
    assert await claimed_by(survivor, "slow") == [7]


async def test_a_restarted_node_takes_what_its_earlier_process_noted(journals: Journals) -> None:
    before = journals("node1")
    await before.note({3, 4})
    after = journals("node1")  # the same node id, a new process
    assert await after.claim_own() == [3, 4]
    assert await after.claim_own() == []
