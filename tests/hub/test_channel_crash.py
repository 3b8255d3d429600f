"""An ack means committed: a writer process killed mid-stream (SIGKILL) loses no acked message."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.channels import ChannelStore
from storage import migrate
from storage.models import ChannelMessage, Person
from storage.sql import create_engine, session_factory
from tests.hub.processes import TIMEOUT, clean_env

ACKS_BEFORE_KILL = 300


async def test_every_acked_message_survives_the_writer_being_killed(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        channel_id, sender = await _channel(sessions)
        acked = await _acks_until_killed(database_url, channel_id, sender)
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(ChannelMessage.offset, ChannelMessage.id, ChannelMessage.client_msg_id)
                    .where(ChannelMessage.channel_id == channel_id)
                    .order_by(ChannelMessage.offset)
                )
            ).all()
    finally:
        await engine.dispose()
    stored = {(offset, row_id, key) for offset, row_id, key in rows}
    assert len(acked) >= ACKS_BEFORE_KILL
    assert acked <= stored, sorted(acked - stored)[:5]
    assert [offset for offset, _id, _key in rows] == list(range(1, len(rows) + 1))


async def _channel(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """A sender and an ad-hoc channel of theirs (the store's writer is not started here)."""
    async with sessions.begin() as session:
        person = Person(username="sender", display_name="Sender")
        session.add(person)
        await session.flush()
        sender = person.id
    info = await ChannelStore(sessions).create_adhoc("crash", sender, [])
    return info.id, sender


async def _acks_until_killed(url: str, channel_id: int, sender: int) -> set[tuple[int, int, str]]:
    """Start the appender, read acks until enough arrived, SIGKILL it mid-stream (its writer
    is in the middle of a batch or about to be), then read what it had printed."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.hub.channel_appender", url, str(channel_id), str(sender)),
        stdout=asyncio.subprocess.PIPE,
        env=clean_env(),
    )
    assert process.stdout is not None
    acked: set[tuple[int, int, str]] = set()
    try:
        while len(acked) < ACKS_BEFORE_KILL:
            line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
            assert line, "the appender ended before it was killed"
            acked.add(_ack(line))
    finally:
        process.kill()
    rest, _ = await process.communicate()
    acked.update(_ack(line) for line in rest.splitlines(keepends=True) if line.endswith(b"\n"))
    return acked


def _ack(line: bytes) -> tuple[int, int, str]:
    offset, row_id, key = line.decode().split()
    return int(offset), int(row_id), key
