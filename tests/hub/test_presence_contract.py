"""One behavioural contract for every presence store (`hub.contracts.PresenceStore`).

The `store` fixture is a MemoryPresenceStore (on a fake clock, for heartbeats) or a
RedisPresenceStore under a fresh key prefix on the run's private redis-server. Times are passed
explicitly; nothing sleeps to synchronise. The Redis-only tests at the end race two stores (two
"nodes") on one prefix and check that each transition is reported exactly once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import pytest
from redis.asyncio import Redis

from storage.memory.presence import MemoryPresenceStore
from storage.presence_model import Change, aggregate, device_state
from storage.redis.presence import RedisPresenceStore
from tests.clock import FakeClock

Store = MemoryPresenceStore | RedisPresenceStore
WAIT_S = 5.0
LONG_TTL_S = 60.0
TINY_TTL_S = 0.001  # Redis: PX 1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def fresh_prefix() -> str:
    return f"test:{uuid.uuid4().hex[:12]}:presence"


async def drop_prefix(redis_url: str, prefix: str) -> None:
    redis: Redis = Redis.from_url(redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Store]:
    if request.param == "memory":
        memory = MemoryPresenceStore(clock=clock)
        yield memory
        await memory.close()
        return
    url: str = request.getfixturevalue("redis_url")
    prefix = fresh_prefix()
    redis = RedisPresenceStore(url, prefix=prefix)
    try:
        yield redis
    finally:
        await redis.close()
        await drop_prefix(url, prefix)


def states(changes: list[Change]) -> dict[int, str]:
    return {change.record.person_id: change.record.state for change in changes}


async def reap_until(store: Store, clock: FakeClock, people: set[int]) -> list[Change]:
    """Reap until every one of `people` was reported: heartbeats expire on Redis's own clock."""
    clock.now += 1.0  # for the memory store: TINY_TTL_S heartbeats are over, LONG_TTL_S ones not
    reaped: list[Change] = []
    async with asyncio.timeout(WAIT_S):
        while not people <= set(states(reaped)):
            reaped += await store.reap_dead_nodes()
            await asyncio.sleep(0)
    return reaped


# --- devices and the aggregate ------------------------------------------------------------------


async def test_unknown_person_is_offline(store: Store) -> None:
    record = await store.get(404)
    assert (record.person_id, record.state, record.devices) == (404, "offline", 0)
    assert (record.last_seen, record.location) == (0.0, None)


async def test_connect_puts_a_person_online(store: Store) -> None:
    change = await store.connect(1, "s1", "a", 100.0)
    assert change.changed
    assert (change.record.state, change.record.devices, change.record.last_seen) == (
        "online",
        1,
        100.0,
    )
    assert await store.get(1) == change.record


async def test_a_second_device_is_no_change(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    change = await store.connect(1, "s2", "b", 101.0)
    assert not change.changed
    assert (change.record.state, change.record.devices, change.record.last_seen) == (
        "online",
        2,
        101.0,
    )


async def test_the_strongest_device_wins(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    await store.connect(1, "s2", "a", 101.0)
    busy = await store.choose(1, "s1", "busy", 102.0)
    assert (busy.changed, busy.record.state, busy.record.last_seen) == (True, "busy", 102.0)
    assert not (await store.choose(1, "s2", "away", 103.0)).changed
    back = await store.disconnect(1, "s1", 104.0)
    assert (back.changed, back.record.state, back.record.devices) == (True, "away", 1)


async def test_disconnecting_the_busy_device_then_the_last(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    await store.connect(1, "s2", "a", 101.0)
    await store.choose(1, "s1", "busy", 102.0)
    online = await store.disconnect(1, "s1", 103.0)
    assert (online.changed, online.record.state, online.record.devices) == (True, "online", 1)
    gone = await store.disconnect(1, "s2", 110.0)
    assert gone.changed
    assert (gone.record.state, gone.record.devices, gone.record.last_seen) == ("offline", 0, 110.0)
    assert await store.get(1) == gone.record


async def test_unknown_devices_change_nothing(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    assert not (await store.choose(1, "nope", "busy", 101.0)).changed
    assert not (await store.disconnect(1, "nope", 102.0)).changed
    record = await store.get(1)
    assert (record.state, record.devices, record.last_seen) == ("online", 1, 102.0)


async def test_last_seen_never_goes_back(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    change = await store.touch(1, "s1", 90.0)
    assert change.record.last_seen == 100.0


async def test_forced_sos_overrides_every_device_until_lifted(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    await store.choose(1, "s1", "busy", 101.0)
    sos = await store.force(1, "sos")
    assert (sos.changed, sos.record.state) == (True, "sos")
    still = await store.choose(1, "s1", "on_call", 102.0)
    assert (still.changed, still.record.state) == (False, "sos")
    lifted = await store.force(1, None)
    assert (lifted.changed, lifted.record.state) == (True, "on_call")


async def test_a_device_in_calls_is_on_call_until_its_last_call_ends(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    await store.choose(1, "s1", "busy", 101.0)
    joined = await store.in_call(1, "s1", joined=True)
    assert (joined.changed, joined.record.state, joined.record.last_seen) == (
        True,
        "on_call",
        101.0,
    )
    assert not (await store.in_call(1, "s1", joined=True)).changed  # a second call
    chosen = await store.choose(1, "s1", "away", 102.0)  # chosen mid-call: shown after it
    assert (chosen.changed, chosen.record.state) == (False, "on_call")
    assert not (await store.in_call(1, "s1", joined=False)).changed
    left = await store.in_call(1, "s1", joined=False)
    assert (left.changed, left.record.state) == (True, "away")
    extra = await store.in_call(1, "s1", joined=False)  # never below none
    assert (extra.changed, extra.record.state) == (False, "away")
    assert (await store.in_call(1, "s1", joined=True)).record.state == "on_call"


async def test_calls_of_unknown_or_gone_devices_change_nothing(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    assert not (await store.in_call(1, "nope", joined=True)).changed
    assert not (await store.in_call(2, "s1", joined=True)).changed
    assert (await store.get(2)).state == "offline"
    await store.in_call(1, "s1", joined=True)
    await store.disconnect(1, "s1", 101.0)
    back = await store.connect(1, "s1", "a", 102.0)  # the same sid again: a fresh device
    assert back.record.state == "online"


async def test_a_forced_state_outranks_a_call(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    await store.in_call(1, "s1", joined=True)
    assert (await store.force(1, "sos")).record.state == "sos"
    lifted = await store.force(1, None)
    assert (lifted.changed, lifted.record.state) == (True, "on_call")


async def test_a_forced_state_needs_a_device(store: Store) -> None:
    forced = await store.force(2, "sos")
    assert (forced.changed, forced.record.state) == (False, "offline")
    connected = await store.connect(2, "s1", "a", 100.0)
    assert (connected.changed, connected.record.state) == (True, "sos")
    gone = await store.disconnect(2, "s1", 101.0)
    assert (gone.changed, gone.record.state) == (True, "offline")


async def test_invalid_input_is_refused(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    with pytest.raises(ValueError, match="cannot choose"):
        await store.choose(1, "s1", "sos", 101.0)
    with pytest.raises(ValueError, match="cannot force"):
        await store.force(1, "offline")
    with pytest.raises(ValueError, match="node name"):
        await store.connect(1, "s2", "a|b", 101.0)
    with pytest.raises(ValueError, match="'at'"):
        await store.locate(1, {"lat": 1.0, "lon": 2.0})
    with pytest.raises(ValueError, match="finite"):
        await store.touch(1, "s1", float("nan"))
    assert (await store.get(1)).state == "online"


# --- idle -----------------------------------------------------------------------------------------


async def test_idle_devices_turn_an_online_person_away(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    await store.touch(1, "s1", 150.0)
    assert await store.mark_idle(120.0) == []  # active at 150
    assert await store.mark_idle(150.0) == []  # not before the cutoff
    [away] = await store.mark_idle(200.0)
    assert (away.changed, away.record.person_id, away.record.state) == (True, 1, "away")
    assert await store.mark_idle(300.0) == []  # already idle
    back = await store.touch(1, "s1", 310.0)
    assert (back.changed, back.record.state, back.record.last_seen) == (True, "online", 310.0)


async def test_an_idle_device_does_not_make_a_busy_person_away(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    await store.connect(1, "s2", "a", 100.0)
    await store.choose(1, "s1", "busy", 100.0)
    await store.connect(2, "t1", "a", 100.0)
    await store.choose(2, "t1", "busy", 100.0)
    assert await store.mark_idle(200.0) == []
    assert (await store.get(1)).state == "busy"
    assert (await store.get(2)).state == "busy"
    online = await store.choose(1, "s1", "online", 210.0)  # s2 stays idle: away, s1 online
    assert (online.changed, online.record.state) == (True, "online")


async def test_one_active_device_keeps_a_person_online(store: Store) -> None:
    await store.connect(1, "s1", "a", 100.0)
    await store.connect(1, "s2", "a", 100.0)
    await store.touch(1, "s2", 300.0)
    assert await store.mark_idle(200.0) == []
    [away] = await store.mark_idle(400.0)
    assert away.record.state == "away"
    chosen = await store.choose(1, "s1", "online", 410.0)  # choosing is activity too
    assert (chosen.changed, chosen.record.state) == (True, "online")


async def test_mark_idle_reports_one_change_per_person(store: Store) -> None:
    for person_id in (1, 2, 3):
        await store.connect(person_id, "s1", "a", 100.0)
        await store.connect(person_id, "s2", "a", 100.0)
    await store.touch(3, "s1", 500.0)
    changes = await store.mark_idle(200.0)
    assert states(changes) == {1: "away", 2: "away"}
    assert len(changes) == 2


# --- location and the people known ----------------------------------------------------------------


async def test_locate_keeps_the_newest_report(store: Store) -> None:
    await store.locate(1, {"lat": 1.0, "lon": 2.0, "at": 10.0, "battery": None})
    await store.locate(1, {"lat": 9.0, "lon": 9.0, "at": 5.0})
    record = await store.get(1)
    assert record.location == {"lat": 1.0, "lon": 2.0, "at": 10.0, "battery": None}
    assert (record.state, record.last_seen) == ("offline", 10.0)
    await store.locate(1, {"lat": 3.0, "lon": 4.0, "at": 20.5, "accuracy": 7.25})
    record = await store.get(1)
    assert record.location == {"lat": 3.0, "lon": 4.0, "at": 20.5, "accuracy": 7.25}
    change = await store.connect(1, "s1", "a", 30.0)
    assert change.record.location == record.location


async def test_known_lists_everyone_or_only_the_connected(store: Store) -> None:
    assert await store.known(online_only=False) == []
    await store.connect(1, "s1", "a", 100.0)
    await store.connect(2, "s1", "a", 100.0)
    await store.disconnect(2, "s1", 101.0)
    await store.locate(3, {"lat": 1.0, "lon": 2.0, "at": 50.0})
    everyone = await store.known(online_only=False)
    assert [(r.person_id, r.state) for r in everyone] == [
        (1, "online"),
        (2, "offline"),
        (3, "offline"),
    ]
    online = await store.known(online_only=True)
    assert online == [await store.get(1)]


# --- dead nodes -----------------------------------------------------------------------------


async def test_reaping_a_dead_node_removes_only_its_devices(store: Store, clock: FakeClock) -> None:
    await store.node_alive("a", LONG_TTL_S)
    await store.node_alive("b", TINY_TTL_S)
    await store.connect(1, "s1", "a", 100.0)
    await store.connect(2, "s2", "b", 100.0)
    await store.connect(3, "s3a", "a", 100.0)
    await store.connect(3, "s3b", "b", 100.0)
    await store.choose(3, "s3b", "busy", 101.0)
    await store.in_call(3, "s3b", joined=True)  # its call goes with the device
    await store.connect(4, "x", "b", 100.0)
    await store.connect(4, "x", "a", 102.0)  # reconnected to the live node under the same sid
    await store.node_alive("a", LONG_TTL_S)
    reaped = await reap_until(store, clock, {2, 3})
    assert states(reaped) == {2: "offline", 3: "online"}
    assert all(change.changed for change in reaped)
    assert await store.reap_dead_nodes() == []
    assert [(r.person_id, r.devices) for r in await store.known(online_only=True)] == [
        (1, 1),
        (3, 1),
        (4, 1),
    ]
    assert (await store.get(2)).last_seen == 100.0  # reaping is not a sighting


async def test_a_node_that_never_beat_owns_nothing(store: Store, clock: FakeClock) -> None:
    await store.node_alive("a", LONG_TTL_S)
    await store.connect(1, "s1", "ghost", 100.0)
    await store.connect(1, "s2", "a", 100.0)
    await store.choose(1, "s1", "on_call", 100.0)
    await store.connect(2, "s1", "ghost", 100.0)
    reaped = await reap_until(store, clock, {1, 2})
    assert states(reaped) == {1: "online", 2: "offline"}


async def test_a_live_node_keeps_its_devices(store: Store) -> None:
    await store.node_alive("a", LONG_TTL_S)
    await store.connect(1, "s1", "a", 100.0)
    assert await store.reap_dead_nodes() == []
    assert (await store.get(1)).devices == 1


# --- Redis: racing nodes ---------------------------------------------------------------------


@pytest.fixture
async def two_nodes(redis_url: str) -> AsyncIterator[tuple[RedisPresenceStore, RedisPresenceStore]]:
    """Two stores on one prefix, each with its own connection pool, as two hub processes."""
    prefix = fresh_prefix()
    first = RedisPresenceStore(redis_url, prefix=prefix)
    second = RedisPresenceStore(redis_url, prefix=prefix)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()
        await drop_prefix(redis_url, prefix)


async def stored_and_true(redis_url: str, prefix: str, person_id: int) -> tuple[str, str]:
    """The stored `agg` and the aggregate recomputed in Python from the person's devices."""
    redis: Redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        fields = cast(dict[str, str], await redis.hgetall(f"{prefix}:p:{person_id}"))
    finally:
        await redis.aclose()
    devices = [(k[2:], v.split("|")) for k, v in fields.items() if k.startswith("d:")]
    calls = [int(fields.get(f"c:{sid}", "0")) for sid, _ in devices]
    shown = (device_state(d[1], d[3] == "1", n) for (_, d), n in zip(devices, calls, strict=True))
    truth = aggregate(shown, fields.get("forced"))
    return fields.get("agg", "offline"), truth


def changed_count(results: Sequence[Change]) -> int:
    return sum(1 for change in results if change.changed)


async def test_racing_nodes_report_each_transition_once(
    two_nodes: tuple[RedisPresenceStore, RedisPresenceStore], redis_url: str
) -> None:
    # Each round both nodes act at once on one person; every gathered pair makes exactly one
    # transition (offline->online, online->busy, busy->online, online->offline), so exactly one
    # of the two calls must say changed. A read-compute-write store fails this: both calls read
    # the state before either writes, so both (or, after a lost update, neither) report it, and
    # a lost device write leaves the final state wrong. The scripts serialise the pair in Redis.
    a, b = two_nodes
    person, rounds = 7, 150
    now = time.time()
    for _ in range(rounds):
        pairs = [
            (a.connect(person, "a1", "a", now), b.connect(person, "b1", "b", now)),
            (a.choose(person, "a1", "busy", now), b.choose(person, "b1", "busy", now)),
            (a.choose(person, "a1", "online", now), b.choose(person, "b1", "online", now)),
            (a.disconnect(person, "a1", now), b.disconnect(person, "b1", now)),
        ]
        for first, second in pairs:
            assert changed_count(await asyncio.gather(first, second)) == 1
    record = await a.get(person)
    assert (record.state, record.devices) == ("offline", 0)
    prefix = a._keys.prefix
    assert await stored_and_true(redis_url, prefix, person) == ("offline", "offline")


async def test_racing_nodes_agree_on_the_stored_aggregate(
    two_nodes: tuple[RedisPresenceStore, RedisPresenceStore], redis_url: str
) -> None:
    # Bursts of concurrent operations of every kind from both nodes on a few people. After each
    # burst the stored aggregate must equal the aggregate of the stored devices (a store that
    # writes `agg` computed from a stale read fails this), and a person whose state moved during
    # the burst must have been announced in that state by some call (and one who did not move by
    # none, or by an even back-and-forth). Call order is not execution order, so nothing here
    # assumes which call ran first.
    a, b = two_nodes
    people = (1, 2, 3)
    for step in range(40):
        before = {p: (await a.get(p)).state for p in people}
        calls = [
            _operation(a if i % 2 else b, p, f"s{i % 4}", step * 7 + i, float(step))
            for i, p in enumerate(people * 4)
        ]
        changes = [c for c in await asyncio.gather(*calls) if c.changed]
        for person in people:
            stored, truth = await stored_and_true(redis_url, a._keys.prefix, person)
            assert stored == truth
            announced = [c.record.state for c in changes if c.record.person_id == person]
            assert truth == before[person] or truth in announced
            assert len(announced) != 1 or announced == [truth]


def _operation(store: RedisPresenceStore, person: int, sid: str, n: int, now: float) -> Any:
    kind = n % 6
    if kind == 5:
        return store.in_call(person, sid, joined=bool(n % 4))
    if kind == 0:
        return store.connect(person, sid, "a", now)
    if kind == 1:
        return store.disconnect(person, sid, now)
    if kind == 2:
        return store.choose(person, sid, ("busy", "on_call", "away", "online")[n % 4], now)
    if kind == 3:
        return store.force(person, "sos" if n % 2 else None)
    return store.touch(person, sid, now)


async def test_racing_idle_sweeps_and_reapers_report_once(
    two_nodes: tuple[RedisPresenceStore, RedisPresenceStore],
) -> None:
    a, b = two_nodes
    people = range(1, 31)
    for person in people:
        await a.connect(person, "s1", "ghost", 100.0)
        await b.connect(person, "s2", "ghost", 100.0)
    swept = await asyncio.gather(a.mark_idle(200.0), b.mark_idle(200.0))
    assert sorted(c.record.person_id for c in swept[0] + swept[1]) == list(people)
    reaped = await asyncio.gather(a.reap_dead_nodes(), b.reap_dead_nodes())
    assert sorted(c.record.person_id for c in reaped[0] + reaped[1]) == list(people)
    assert await a.known(online_only=True) == []
