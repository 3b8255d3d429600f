"""Which channels each node has been writing to, so survivors can speak for a dead node.

Implements ``hub.contracts.WriteJournal`` structurally (storage never imports the hub).

A node fans out the messages it commits itself; if it dies between a commit and its fan-out,
nobody else knows. So, *before* a batch commits, the channel writer notes its channels here,
and when a node's heartbeat lapses, one survivor claims its notes and announces those
channels' heads (``hub.channel_heads``). Keys (``J`` is the prefix, ``gridhub:journal``):

* ``J:alive:<node>`` heartbeat with a ``PX`` expiry (``beat`` and every ``note`` renew it).
* ``J:nodes`` set of nodes that have a journal.
* ``J:chan:<node>`` sorted set of channel ids scored by when they were noted (epoch s).

A channel is noted at most once every ``note_every_s`` per node (the notes a node made are
cached), so a busy channel costs one Redis round trip per ``note_every_s``, not per batch.
Notes older than ``4 * note_every_s`` are trimmed by their node, which keeps every channel the
node may have written since its last note of it. Every mutation is one Lua script: a claim
takes a dead node's notes and forgets the node atomically, so exactly one survivor claims it.
A node can only be claimed after ``ttl_s`` without a word to Redis (a stall): the cache is
trusted only within ``ttl_s / 2`` of the last word, and a node that finds itself registered
anew (``SADD`` adds it again) drops its cache too, so it notes every channel again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, Final, cast

from redis.asyncio import Redis
from redis.typing import EncodableT

NOTE_EVERY_S: Final = 30.0

# KEYS: alive, nodes, chan. ARGV: node, ttl_ms, now, keep_from, channel ids...
NOTE: Final = """
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
local added = redis.call('SADD', KEYS[2], ARGV[1])
for i = 5, #ARGV do
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[4])
return added
"""

# KEYS: alive, nodes. ARGV: node, ttl_ms.
BEAT: Final = """
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
return redis.call('SADD', KEYS[2], ARGV[1])
"""

# KEYS: nodes. ARGV: alive prefix, chan prefix, this node. Returns {node, {ids}, ...}.
CLAIM_DEAD: Final = """
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if node ~= ARGV[3] and redis.call('EXISTS', ARGV[1] .. node) == 0 then
    local key = ARGV[2] .. node
    table.insert(out, node)
    table.insert(out, redis.call('ZRANGE', key, 0, -1))
    redis.call('DEL', key)
    redis.call('SREM', KEYS[1], node)
  end
end
return out
"""

# KEYS: chan.
CLAIM_OWN: Final = """
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return ids
"""


class RedisWriteJournal:
    """One node's write journal and its claims on dead nodes' (see the module docstring)."""

    def __init__(
        self,
        redis_url: str,
        *,
        node_id: str,
        ttl_s: float,
        prefix: str = "gridhub:journal",
        note_every_s: float = NOTE_EVERY_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_s <= 0 or note_every_s <= 0:
            raise ValueError("ttl_s and note_every_s must be positive")
        self._redis: Redis = Redis.from_url(redis_url, decode_responses=True)
        self.node_id = node_id
        self._ttl_ms = max(1, round(ttl_s * 1000))
        self._trust_s = ttl_s / 2
        self._spoke = float("-inf")  # when this node last renewed its heartbeat
        self._every = note_every_s
        self._clock = clock
        self._alive = f"{prefix}:alive:"
        self._chan = f"{prefix}:chan:"
        self._nodes = f"{prefix}:nodes"
        self._noted: dict[int, float] = {}  # channel -> when this node last noted it
        self._registered = False
        self._note = self._redis.register_script(NOTE)
        self._beat = self._redis.register_script(BEAT)
        self._claim_dead = self._redis.register_script(CLAIM_DEAD)
        self._claim_own = self._redis.register_script(CLAIM_OWN)

    async def note(self, channel_ids: Collection[int]) -> None:
        """Before a commit to these channels: make sure the journal names them."""
        now = self._clock()
        if now - self._spoke >= self._trust_s:
            self._noted.clear()  # silent long enough to have been claimed: trust no cache
        fresh = sorted(c for c in set(channel_ids) if not self._recent(c, now))
        if not fresh:
            return
        keys = [self._alive + self.node_id, self._nodes, self._chan + self.node_id]
        keep_from = now - 4 * self._every
        args: list[EncodableT] = [self.node_id, self._ttl_ms, now, keep_from, *fresh]
        if self._rejoined(await self._note(keys, args)):
            await self.note(channel_ids)  # claimed meanwhile: every channel is noted afresh
            return
        self._spoke = now
        self._noted.update(dict.fromkeys(fresh, now))

    async def beat(self) -> None:
        """Heartbeat; a node silent for ttl_s is dead and its notes are claimed."""
        now = self._clock()
        self._noted = {c: t for c, t in self._noted.items() if now - t < self._every}
        keys = [self._alive + self.node_id, self._nodes]
        self._rejoined(await self._beat(keys, [self.node_id, self._ttl_ms]))
        self._spoke = now

    async def claim_dead(self) -> dict[str, list[int]]:
        """Dead nodes' noted channels, each dead node claimed by exactly one caller."""
        reply = cast(list[Any], await self._claim_dead([self._nodes], self._claim_args()))
        return {
            str(reply[i]): sorted(int(c) for c in reply[i + 1]) for i in range(0, len(reply), 2)
        }

    async def claim_own(self) -> list[int]:
        """At start-up: what an earlier process with this node id noted (it stopped)."""
        ids = cast(list[str], await self._claim_own([self._chan + self.node_id]))
        return sorted(int(c) for c in ids)

    async def close(self) -> None:
        await self._redis.aclose()

    def _recent(self, channel_id: int, now: float) -> bool:
        noted = self._noted.get(channel_id)
        return noted is not None and now - noted < self._every

    def _claim_args(self) -> list[EncodableT]:
        return [self._alive, self._chan, self.node_id]

    def _rejoined(self, added: Any) -> bool:
        """True when the node had been registered and was claimed since: the cache is void."""
        was_registered, self._registered = self._registered, True
        if int(added) == 1 and was_registered:
            self._noted.clear()
            return True
        return False
