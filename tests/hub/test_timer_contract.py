"""The TimerStore contract, on SQLite, PostgreSQL and Redis (explicit clocks, no sleeping)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.timers import DueTimer, TimerStore
from tests.hub.timer_backends import BACKENDS, StoreFactory, open_stores


@pytest.fixture(params=BACKENDS)
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Makes stores ("nodes") sharing one backend."""
    async with open_stores(request.param, request, tmp_path) as factory:
        yield factory


@pytest.fixture
def store(stores: StoreFactory) -> TimerStore:
    return stores()


def keys(timers: list[DueTimer]) -> list[str]:
    return [t.key for t in timers]


async def test_schedule_then_pending_lists_the_owners_timers(store: TimerStore) -> None:
    await store.schedule("sla", "deadline", "b", 200.0, {"n": 2})
    await store.schedule("sla", "deadline", "a", 100.0, {"n": 1, "nested": {"x": [1, 2]}})
    await store.schedule("other", "deadline", "a", 50.0, {})
    pending = await store.pending("sla")
    assert keys(pending) == ["a", "b"]
    first = pending[0]
    assert (first.owner, first.kind, first.fire_at, first.attempts) == ("sla", "deadline", 100, 0)
    assert first.payload == {"n": 1, "nested": {"x": [1, 2]}}
    assert first.claimed_by is None
    assert first.claimed_until is None
    assert keys(await store.pending("nobody")) == []


async def test_scheduling_a_key_again_replaces_the_timer(store: TimerStore) -> None:
    await store.schedule("sla", "deadline", "k", 100.0, {"v": 1})
    before = (await store.pending("sla"))[0]
    await store.schedule("sla", "escalate", "k", 300.0, {"v": 2})
    [after] = await store.pending("sla")
    assert (after.kind, after.fire_at, after.payload) == ("escalate", 300.0, {"v": 2})
    assert after.id != before.id
    assert await store.claim_due("n1", 200.0, 10, 10) == []


async def test_cancel_removes_only_that_key(store: TimerStore) -> None:
    await store.schedule("sla", "deadline", "a", 100.0, {})
    await store.schedule("sla", "deadline", "b", 100.0, {})
    await store.schedule("other", "deadline", "a", 100.0, {})
    assert await store.cancel("sla", "a") is True
    assert await store.cancel("sla", "a") is False
    assert await store.cancel("sla", "missing") is False
    assert keys(await store.pending("sla")) == ["b"]
    assert keys(await store.pending("other")) == ["a"]


async def test_claim_takes_only_due_timers_earliest_first(store: TimerStore) -> None:
    for key, at in (("late", 300.0), ("due2", 150.0), ("due1", 100.0), ("edge", 200.0)):
        await store.schedule("sla", "deadline", key, at, {"k": key})
    claimed = await store.claim_due("n1", 200.0, 30, 10)
    assert keys(claimed) == ["due1", "due2", "edge"]
    assert all(t.claimed_by == "n1" and t.claimed_until == 230.0 for t in claimed)
    assert claimed[0].payload == {"k": "due1"}
    assert await store.claim_due("n1", 200.0, 30, 10) == []  # already claimed


async def test_claim_respects_the_limit(store: TimerStore) -> None:
    for i in range(5):
        await store.schedule("sla", "deadline", f"k{i}", 100.0 + i, {})
    assert keys(await store.claim_due("n1", 200.0, 30, 2)) == ["k0", "k1"]
    assert keys(await store.claim_due("n2", 200.0, 30, 2)) == ["k2", "k3"]
    assert keys(await store.claim_due("n1", 200.0, 30, 2)) == ["k4"]


async def test_concurrent_nodes_claim_each_timer_exactly_once(stores: StoreFactory) -> None:
    nodes = {"n1": stores(), "n2": stores()}
    for i in range(200):
        await nodes["n1"].schedule("sla", "deadline", f"k{i:03}", 100.0 + i / 10, {"i": i})

    async def drain(node: str, worker: int) -> list[str]:
        got: list[str] = []
        while batch := await nodes[node].claim_due(node, 1000.0, 30, 7):
            assert all(t.claimed_by == node for t in batch)
            got += [t.key for t in batch]
        return got

    runs = [drain(node, w) for node in nodes for w in range(4)]
    results = await asyncio.gather(*runs)
    claimed = [key for result in results for key in result]
    assert len(claimed) == len(set(claimed)) == 200
    assert set(claimed) == {f"k{i:03}" for i in range(200)}
    assert all(sum(len(r) for r in results[i : i + 4]) for i in (0, 4))  # both nodes worked


async def test_an_expired_lease_lets_another_node_claim(stores: StoreFactory) -> None:
    a, b = stores(), stores()
    await a.schedule("sla", "deadline", "k", 100.0, {})
    [mine] = await a.claim_due("a", 100.0, 10, 10)
    assert await b.claim_due("b", 109.9, 10, 10) == []
    [theirs] = await b.claim_due("b", 110.0, 10, 10)
    assert theirs.id == mine.id
    assert (theirs.claimed_by, theirs.claimed_until) == ("b", 120.0)
    assert await a.complete(mine.id, "a") is False  # the lease moved on
    assert await a.retry(mine.id, "a", 500.0) is False
    assert await b.complete(theirs.id, "b") is True
    assert await a.pending("sla") == []


async def test_only_the_claimer_completes(store: TimerStore) -> None:
    await store.schedule("sla", "deadline", "k", 100.0, {})
    [timer] = await store.claim_due("n1", 100.0, 10, 10)
    assert await store.complete(timer.id, "n2") is False
    assert keys(await store.pending("sla")) == ["k"]
    assert await store.complete(timer.id, "n1") is True
    assert await store.complete(timer.id, "n1") is False
    assert await store.pending("sla") == []
    assert await store.next_fire_at() is None


async def test_a_replaced_timer_cannot_be_completed_by_its_old_claim(store: TimerStore) -> None:
    await store.schedule("sla", "deadline", "k", 100.0, {"v": 1})
    [old] = await store.claim_due("n1", 100.0, 10, 10)
    await store.schedule("sla", "deadline", "k", 100.0, {"v": 2})
    assert await store.complete(old.id, "n1") is False
    [new] = await store.claim_due("n1", 100.0, 10, 10)
    assert new.payload == {"v": 2}
    assert new.claimed_by == "n1"


async def test_retry_counts_an_attempt_and_moves_the_fire_time(store: TimerStore) -> None:
    await store.schedule("sla", "deadline", "k", 100.0, {"v": 1})
    [timer] = await store.claim_due("n1", 100.0, 10, 10)
    assert await store.retry(timer.id, "n2", 150.0) is False
    assert await store.retry(timer.id, "n1", 150.0) is True
    [pending] = await store.pending("sla")
    assert (pending.fire_at, pending.attempts, pending.claimed_by) == (150.0, 1, None)
    assert pending.claimed_until is None
    assert await store.next_fire_at() == 150.0
    assert await store.claim_due("n1", 149.0, 10, 10) == []
    [again] = await store.claim_due("n2", 150.0, 10, 10)
    assert (again.id, again.attempts, again.payload) == (timer.id, 1, {"v": 1})


async def test_next_fire_at_follows_fire_times_and_leases(store: TimerStore) -> None:
    assert await store.next_fire_at() is None
    await store.schedule("sla", "deadline", "a", 50.0, {})
    await store.schedule("sla", "deadline", "b", 30.0, {})
    assert await store.next_fire_at() == 30.0
    await store.claim_due("n1", 30.0, 10, 10)
    assert await store.next_fire_at() == 40.0  # b's lease end comes before a
    await store.cancel("sla", "b")
    assert await store.next_fire_at() == 50.0


async def test_complete_many_deletes_only_what_the_node_still_holds(
    stores: StoreFactory,
) -> None:
    a, b = stores(), stores()
    for key in ("k0", "k1", "k2", "k3"):
        await a.schedule("sla", "deadline", key, 100.0, {})
    mine = await a.claim_due("a", 100.0, 10, 3)
    [theirs] = await b.claim_due("b", 100.0, 10, 10)
    await a.schedule("sla", "deadline", mine[2].key, 100.0, {"v": 2})  # replaced while held
    ids = [t.id for t in mine] + [theirs.id, "no-such-timer"]
    assert await a.complete_many(ids, "a") == {mine[0].id, mine[1].id}
    assert sorted(keys(await a.pending("sla"))) == sorted([mine[2].key, theirs.key])
    assert await a.complete_many([mine[0].id], "a") == set()
    assert await b.complete_many([theirs.id], "b") == {theirs.id}
    assert await a.complete_many([], "a") == set()


async def test_complete_many_takes_large_batches(store: TimerStore) -> None:
    for i in range(1200):
        await store.schedule("sla", "deadline", f"k{i:04}", 100.0, {})
    claimed = await store.claim_due("n1", 100.0, 10, 2000)
    assert len(claimed) == 1200
    assert await store.complete_many([t.id for t in claimed], "n1") == {t.id for t in claimed}
    assert await store.pending("sla") == []
    assert await store.next_fire_at() is None


async def test_schedule_many_creates_and_replaces_in_order(store: TimerStore) -> None:
    await store.schedule("sla", "deadline", "old", 50.0, {"v": 0})
    before = (await store.pending("sla"))[0]
    await store.schedule_many(
        [
            ("sla", "deadline", "a", 100.0, {"v": 1}),
            ("sla", "escalate", "old", 300.0, {"v": 2}),
            ("other", "deadline", "a", 200.0, {}),
            ("sla", "deadline", "a", 150.0, {"v": 3}),  # the last of a repeated key wins
        ]
    )
    pending = await store.pending("sla")
    assert [(t.key, t.kind, t.fire_at, t.payload) for t in pending] == [
        ("a", "deadline", 150.0, {"v": 3}),
        ("old", "escalate", 300.0, {"v": 2}),
    ]
    assert pending[1].id != before.id
    assert keys(await store.pending("other")) == ["a"]
    assert await store.next_fire_at() == 150.0
    await store.schedule_many([])


async def test_schedule_many_takes_large_batches(store: TimerStore) -> None:
    await store.schedule_many([("sla", "d", f"k{i:04}", 100.0 + i, {"i": i}) for i in range(1200)])
    claimed = await store.claim_due("n1", 2000.0, 10, 2000)
    assert [t.payload["i"] for t in claimed] == list(range(1200))
