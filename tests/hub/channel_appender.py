"""A process that appends to one channel until it is killed, printing every ack as it gets it.

`python -m tests.hub.channel_appender DATABASE_URL CHANNEL_ID SENDER_ID`: a `ChannelStore`
(group commit, the hub's writer) with `IN_FLIGHT` appends outstanding, as a busy sender keeps
them; each ack is printed as `<offset> <id> <client_msg_id>` and flushed before the next
append of that lane starts. Used by test_channel_crash.py, which SIGKILLs it mid-stream.
"""

from __future__ import annotations

import asyncio
import sys
from itertools import count

from hub.channels import ChannelStore
from storage.sql import create_engine, session_factory

IN_FLIGHT = 16


async def lane(store: ChannelStore, channel_id: int, sender: int, numbers: count[int]) -> None:
    while True:
        key = f"k{next(numbers)}"
        ack = await store.append(channel_id, sender, key, "text", {"text": key}, [])
        sys.stdout.write(f"{ack.offset} {ack.id} {key}\n")
        sys.stdout.flush()


async def main(url: str, channel_id: int, sender: int) -> None:
    engine = create_engine(url)
    store = ChannelStore(session_factory(engine))
    await store.start()
    numbers = count()
    await asyncio.gather(*(lane(store, channel_id, sender, numbers) for _ in range(IN_FLIGHT)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
