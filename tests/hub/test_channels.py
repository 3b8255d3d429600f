"""The durable channel store: group-committed gapless offsets, idempotent resends, recovery."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hub.channels import ChannelInfo, ChannelStore, StoredMessage
from hub.errors import InvalidInput, NotFound
from storage import migrate
from storage.models import ChannelMessage, Grid, Person
from storage.sql import create_engine, session_factory


@dataclass
class Env:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    store: ChannelStore
    people: list[int]
    grid_id: int


@pytest.fixture
async def env(database_url: str) -> AsyncIterator[Env]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        people = [Person(username=f"p{i}", display_name=f"P {i}") for i in range(1, 6)]
        grid = Grid(code="g1", name="Grid 1", level="grid", path="/")
        session.add_all([*people, grid])
        await session.flush()
        ids, grid_id = [p.id for p in people], grid.id
    store = ChannelStore(sessions)
    await store.start()
    try:
        yield Env(engine, sessions, store, ids, grid_id)
    finally:
        await store.close()
        await engine.dispose()


async def _adhoc(env: Env, name: str = "team") -> ChannelInfo:
    return await env.store.create_adhoc(name, env.people[0], env.people[1:3])


async def _send(env: Env, channel_id: int, n: int, prefix: str = "m") -> list[StoredMessage]:
    return [
        await env.store.append(channel_id, env.people[0], f"{prefix}{i}", "text", {"t": i}, [])
        for i in range(n)
    ]


async def _row_count(env: Env, channel_id: int) -> int:
    async with env.sessions() as session:
        stmt = select(func.count()).where(ChannelMessage.channel_id == channel_id)
        return int(await session.scalar(stmt) or 0)


async def test_offsets_are_consecutive_per_channel(env: Env) -> None:
    a, b = await _adhoc(env, "a"), await _adhoc(env, "b")
    first = await _send(env, a.id, 3)
    second = await _send(env, b.id, 2)
    assert [m.offset for m in first] == [1, 2, 3]
    assert [m.offset for m in second] == [1, 2]
    assert all(m.epoch == a.epoch for m in first)
    info = await env.store.get(a.id)
    assert info is not None
    assert info.last_offset == 3


async def test_concurrent_appends_are_gapless_and_group_committed(env: Env) -> None:
    channels = [(await _adhoc(env, f"c{i}")).id for i in range(3)]
    before = env.store.batches_committed

    async def one(i: int) -> StoredMessage:
        sender = env.people[i % len(env.people)]
        return await env.store.append(channels[i % 3], sender, f"k{i}", "text", {"i": i}, [])

    acks = await asyncio.gather(*(one(i) for i in range(500)))
    assert len({(m.channel_id, m.offset) for m in acks}) == 500
    per_channel = Counter(m.channel_id for m in acks)
    for channel_id in channels:
        offsets = sorted(m.offset for m in acks if m.channel_id == channel_id)
        assert offsets == list(range(1, per_channel[channel_id] + 1))
        assert await _row_count(env, channel_id) == per_channel[channel_id]
    async with env.sessions() as session:
        rows = (await session.execute(select(ChannelMessage.id, ChannelMessage.offset))).all()
    assert {(r.id, r.offset) for r in rows} == {(m.id, m.offset) for m in acks}
    assert env.store.batches_committed - before < 50


async def test_ack_resolves_only_after_the_row_is_committed(env: Env) -> None:
    channel = await _adhoc(env)

    async def send_and_look(i: int) -> bool:
        ack = await env.store.append(channel.id, env.people[1], f"v{i}", "text", {}, [])
        async with env.sessions() as session:
            stmt = select(ChannelMessage).where(ChannelMessage.channel_id == channel.id)
            row = await session.scalar(stmt.where(ChannelMessage.offset == ack.offset))
        return row is not None and row.id == ack.id and row.client_msg_id == f"v{i}"

    assert all(await asyncio.gather(*(send_and_look(i) for i in range(40))))


async def test_resend_returns_the_original_message(env: Env) -> None:
    channel = await _adhoc(env)
    sender = env.people[1]
    first = await env.store.append(channel.id, sender, "same", "text", {"t": "hi"}, [])
    again = await env.store.append(channel.id, sender, "same", "text", {"t": "changed"}, [])
    assert not first.replayed
    assert again.replayed
    assert replace(again, replayed=False) == first
    other_sender = await env.store.append(channel.id, env.people[2], "same", "text", {}, [])
    assert other_sender.offset == first.offset + 1
    assert await _row_count(env, channel.id) == 2


async def test_identical_sends_in_one_batch_store_one_row(env: Env) -> None:
    channel = await _adhoc(env)
    sender = env.people[1]
    acks = await asyncio.gather(
        *(env.store.append(channel.id, sender, "dup", "text", {"n": i}, []) for i in range(5)),
        env.store.append(channel.id, sender, "other", "text", {}, []),
    )
    assert len({a.id for a in acks[:5]}) == 1
    assert [a.replayed for a in acks] == [False, True, True, True, True, False]
    assert acks[0].body == {"n": 0}
    assert {a.offset for a in acks} == {1, 2}
    assert await _row_count(env, channel.id) == 2


async def test_an_unknown_channel_fails_only_its_own_append(env: Env) -> None:
    channel = await _adhoc(env)
    results = await asyncio.gather(
        env.store.append(channel.id, env.people[0], "a", "text", {}, []),
        env.store.append(999_999, env.people[0], "b", "text", {}, []),
        env.store.append(channel.id, 888_888, "c", "text", {}, []),
        env.store.append(channel.id, None, None, "system", {"notice": "x"}, []),
        return_exceptions=True,
    )
    assert isinstance(results[1], NotFound)
    assert results[1].code == "channel.not_found"
    assert isinstance(results[2], NotFound)
    assert results[2].code == "channel.sender_unknown"
    good = [r for r in results if isinstance(r, StoredMessage)]
    assert sorted(m.offset for m in good) == [1, 2]
    assert await _row_count(env, channel.id) == 2


async def test_bad_shapes_are_refused_before_queueing(env: Env) -> None:
    channel = await _adhoc(env)
    with pytest.raises(InvalidInput):
        await env.store.append(channel.id, env.people[0], None, "sticker", {}, [])
    with pytest.raises(InvalidInput):
        await env.store.append(channel.id, env.people[0], "x" * 65, "text", {}, [])
    assert await _row_count(env, channel.id) == 0


async def test_history_pages_backwards_in_ascending_pages(env: Env) -> None:
    channel = await _adhoc(env)
    await _send(env, channel.id, 12)
    newest = await env.store.history(channel.id, limit=5)
    assert [m.offset for m in newest] == [8, 9, 10, 11, 12]
    older = await env.store.history(channel.id, before=newest[0].offset, limit=5)
    assert [m.offset for m in older] == [3, 4, 5, 6, 7]
    oldest = await env.store.history(channel.id, before=older[0].offset, limit=5)
    assert [m.offset for m in oldest] == [1, 2]
    assert oldest[0].body == {"t": 0}


async def test_recover_returns_exactly_the_missed_messages(env: Env) -> None:
    channel = await _adhoc(env)
    await _send(env, channel.id, 4)
    missed = await _send(env, channel.id, 3, prefix="late")
    result = await env.store.recover(channel.id, 4, channel.epoch)
    assert result.recovered
    assert result.epoch == channel.epoch
    assert result.last_offset == 7
    assert list(result.messages) == missed
    up_to_date = await env.store.recover(channel.id, 7, channel.epoch)
    assert up_to_date.recovered
    assert up_to_date.messages == ()
    too_many = await env.store.recover(channel.id, 0, channel.epoch, limit=5)
    assert not too_many.recovered
    assert too_many.messages == ()


async def test_recover_fails_after_truncation_past_the_gap(env: Env) -> None:
    channel = await _adhoc(env)
    await _send(env, channel.id, 10)
    assert await env.store.truncate(channel.id, keep_last=4) == 7
    assert [m.offset for m in await env.store.history(channel.id)] == [7, 8, 9, 10]
    gone = await env.store.recover(channel.id, 3, channel.epoch)
    assert not gone.recovered
    assert gone.messages == ()
    assert gone.last_offset == 10
    edge = await env.store.recover(channel.id, 6, channel.epoch)
    assert edge.recovered
    assert [m.offset for m in edge.messages] == [7, 8, 9, 10]
    info = await env.store.get(channel.id)
    assert info is not None
    assert info.epoch == channel.epoch
    assert info.min_offset == 7


async def test_recover_fails_on_a_different_epoch(env: Env) -> None:
    channel = await _adhoc(env)
    await _send(env, channel.id, 3)
    assert not (await env.store.recover(channel.id, 1, "not-the-epoch")).recovered
    new = await env.store.reset_epoch(channel.id)
    stale = await env.store.recover(channel.id, 1, channel.epoch)
    assert not stale.recovered
    assert stale.epoch == new != channel.epoch
    assert (await env.store.recover(channel.id, 1, new)).recovered
    follow = await env.store.append(channel.id, env.people[0], "after", "text", {}, [])
    assert follow.epoch == new
    assert follow.offset == 4


async def test_read_markers_only_move_forward(env: Env) -> None:
    channel = await _adhoc(env)
    await _send(env, channel.id, 5)
    reader = env.people[1]
    assert await env.store.mark_read(channel.id, reader, 3) == 3
    assert await env.store.mark_read(channel.id, reader, 2) == 3
    assert await env.store.mark_read(channel.id, reader, 99) == 5
    markers = await env.store.read_markers(channel.id)
    assert markers == {env.people[0]: 0, reader: 5, env.people[2]: 0}
    with pytest.raises(NotFound):
        await env.store.mark_read(channel.id, env.people[4], 1)


async def test_direct_channel_is_one_per_pair(env: Env) -> None:
    a, b = env.people[0], env.people[3]
    one = await env.store.direct(a, b)
    two = await env.store.direct(b, a)
    assert one == two
    assert one.kind == "direct"
    assert one.ref == f"direct:{min(a, b)}:{max(a, b)}"
    assert {m.person_id for m in await env.store.members(one.id)} == {a, b}
    with pytest.raises(InvalidInput):
        await env.store.direct(a, a)


async def test_grid_channel_is_idempotent_and_syncs_members(env: Env) -> None:
    made = await asyncio.gather(
        *(env.store.ensure_grid_channel(env.grid_id, "G") for _ in range(3))
    )
    assert len({c.id for c in made}) == 1
    assert made[0].ref == f"grid:{env.grid_id}"
    channel = made[0].id
    p = env.people
    assert await env.store.set_members(channel, p[:3]) == (sorted(p[:3]), [])
    assert await env.store.set_members(channel, p[1:4]) == ([p[3]], [p[0]])
    assert not await env.store.is_member(channel, p[0])
    assert await env.store.is_member(channel, p[3])
    assert [c.id for c in await env.store.channels_of(p[3])] == [channel]


async def test_adhoc_membership_management(env: Env) -> None:
    channel = await _adhoc(env)
    roles = {m.person_id: m.role for m in await env.store.members(channel.id)}
    assert roles == {env.people[0]: "owner", env.people[1]: "member", env.people[2]: "member"}
    assert await env.store.add_members(channel.id, env.people[2:5]) == env.people[3:5]
    assert await env.store.remove_member(channel.id, env.people[1])
    assert not await env.store.remove_member(channel.id, env.people[1])
    assert len(await env.store.members(channel.id)) == 4
    assert await env.store.get(123_456) is None


async def test_close_drains_pending_appends(env: Env) -> None:
    channel = await _adhoc(env)
    tasks = [
        asyncio.create_task(env.store.append(channel.id, None, None, "system", {"i": i}, []))
        for i in range(30)
    ]
    await asyncio.sleep(0)
    await env.store.close()
    acks = await asyncio.gather(*tasks)
    assert sorted(m.offset for m in acks) == list(range(1, 31))
    with pytest.raises(RuntimeError):
        await env.store.append(channel.id, None, None, "system", {}, [])


async def test_an_offset_is_visible_only_once_every_lower_one_is_committed(env: Env) -> None:
    """Two writers (two nodes) append to one channel while a reader keeps looking: what it
    sees is always 1..n, never a later offset before an earlier one is committed, so a client
    that saw N+1 can always recover N (docs/protocol.md, "Delivery and recovery")."""
    channel = await _adhoc(env)
    other = ChannelStore(env.sessions, batch_window_s=0.0005)  # a second node's writer
    await other.start()
    seen: list[list[int]] = []

    async def write(store: ChannelStore, tag: str) -> None:
        async def one(i: int) -> None:
            await store.append(channel.id, env.people[1], f"{tag}{i}", "text", {}, [])

        for start in range(0, 120, 8):  # a few in flight at a time, as senders do
            await asyncio.gather(*(one(i) for i in range(start, start + 8)))

    writers = asyncio.gather(write(env.store, "a"), write(other, "b"))
    try:
        while not writers.done():
            rows = await env.store.history(channel.id, limit=1000)
            seen.append([m.offset for m in rows])
        await writers
    finally:
        await other.close()
    assert all(offsets == list(range(1, len(offsets) + 1)) for offsets in seen)
    assert len({len(offsets) for offsets in seen}) > 2  # the reader saw the log grow
    assert [m.offset for m in await env.store.history(channel.id, limit=1000)] == list(
        range(1, 241)
    )
