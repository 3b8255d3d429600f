"""Speaking for a dead node: announce the heads of the channels it was writing to.

Each node fans out the messages it commits itself. A node that dies between a commit and its
fan-out leaves messages that are durable but were never delivered live; a client notices the
gap at the channel's next message, but a channel that goes quiet would keep the gap until the
client reconnects. So, in a cluster, the channel writer notes its channels in the write journal
before each commit (storage/redis/journal.py), every node beats, and the node that claims a
dead node's notes sends `channel.head` `{channel_id, epoch, last_offset}` to each of those
channels' rooms: a client whose contiguous offset is lower recovers at once (docs/protocol.md,
"Delivery and recovery"). A node also announces, at start-up, what an earlier process with its
node id noted. Announcing a head that everyone already holds costs one small frame each.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from hub.channels import ChannelStore
from hub.chat import channel_room
from hub.contracts import WriteJournal
from hub.realtime import Realtime

log = logging.getLogger("gridhub.channels")


async def announce(store: ChannelStore, rt: Realtime, channel_ids: Iterable[int]) -> int:
    """Send each channel's head to its room; returns how many were sent."""
    sent = 0
    for info in await store.heads(channel_ids):
        head = {"channel_id": info.id, "epoch": info.epoch, "last_offset": info.last_offset}
        await rt.emit("channel.head", head, channel_room(info.id))
        sent += 1
    return sent


class ChannelHeads:
    """Beats this node's journal and announces the channels of nodes that died."""

    def __init__(self, journal: WriteJournal, store: ChannelStore, rt: Realtime) -> None:
        self.journal, self.store, self.rt = journal, store, rt
        self._owed: set[int] = set()  # claimed channels not announced yet (kept on a failure)

    async def start(self) -> None:
        """Before taking writes: beat, and speak for an earlier process with this node id."""
        await self.journal.beat()
        own = await self.journal.claim_own()
        if own:
            log.info("channel heads of a previous run announced", extra={"channels": len(own)})
            self._owed.update(own)
            await self._announce()

    async def tick(self) -> None:
        await self.journal.beat()
        for node, channel_ids in (await self.journal.claim_dead()).items():
            log.warning(
                "node gone: announcing the heads of its channels",
                extra={"node": node, "channels": len(channel_ids)},
            )
            self._owed.update(channel_ids)
        await self._announce()

    async def _announce(self) -> None:
        """The claim removed the notes from Redis: announce until it worked (again is harmless)."""
        if self._owed:
            await announce(self.store, self.rt, sorted(self._owed))
            self._owed.clear()
