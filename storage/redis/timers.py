"""Durable timers in Redis.

Implements ``hub.timers.TimerStore`` structurally (storage never imports the hub).

Layout, for the default prefix ``gridhub:timers``:

* ``gridhub:timers:due`` — ZSET, member timer id, score ``due``: the fire time while the timer
  is unclaimed, the lease end while it is claimed (so expired leases become due again).
* ``gridhub:timers:t:<id>`` — HASH per timer: ``owner kind key fire_at payload`` (JSON)
  ``attempts`` and, while claimed, ``claimed_by claimed_until``.
* ``gridhub:timers:owner:<owner>`` — HASH key -> id, for replace-by-key, cancel and ``pending``.

Every mutation is one Lua script, so it is atomic. ``claim_due`` runs ZRANGEBYSCORE ``-inf..now``
and re-scores each hit to its lease end inside the script: two nodes can never claim the same
timer. ``complete`` / ``complete_many`` / ``retry`` act only while ``claimed_by`` is the calling
node. Scheduling a key again replaces the timer with a new id. Scripts build per-timer key names
from the prefix, so the layout needs a single Redis (or a hash-tagged prefix on a cluster).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from redis.asyncio import Redis

from storage.timer_model import DueTimer, new_timer_id

BATCH: Final = 500  # ids per script call: keeps one call from blocking Redis for long

SCHEDULE: Final = """
local old = redis.call('HGET', KEYS[2], ARGV[3])
if old then
  redis.call('DEL', ARGV[1] .. old)
  redis.call('ZREM', KEYS[1], old)
end
local h = ARGV[1] .. ARGV[7]
redis.call('HSET', KEYS[2], ARGV[3], ARGV[7])
redis.call('HSET', h, 'owner', ARGV[2], 'kind', ARGV[4], 'key', ARGV[3],
           'fire_at', ARGV[5], 'payload', ARGV[6], 'attempts', 0)
redis.call('ZADD', KEYS[1], ARGV[5], ARGV[7])
return old and 1 or 0
"""

CANCEL: Final = """
local id = redis.call('HGET', KEYS[2], ARGV[2])
if not id then return 0 end
local claimed = redis.call('HEXISTS', ARGV[1] .. id, 'claimed_by')
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('DEL', ARGV[1] .. id)
redis.call('ZREM', KEYS[1], id)
if claimed == 1 then return 0 end
return 1
"""

CLAIM: Final = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[5]))
local out = {}
for _, id in ipairs(ids) do
  local h = ARGV[1] .. id
  local f = redis.call('HMGET', h, 'owner', 'kind', 'key', 'fire_at', 'payload', 'attempts')
  if f[1] then
    redis.call('ZADD', KEYS[1], ARGV[4], id)
    redis.call('HSET', h, 'claimed_by', ARGV[2], 'claimed_until', ARGV[4])
    out[#out + 1] = {id, f[1], f[2], f[3], f[4], f[5], f[6]}
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
"""

COMPLETE: Final = """
local h = ARGV[1] .. ARGV[3]
local f = redis.call('HMGET', h, 'claimed_by', 'owner', 'key')
if f[1] ~= ARGV[4] then return 0 end
redis.call('DEL', h)
redis.call('ZREM', KEYS[1], ARGV[3])
local index = ARGV[2] .. f[2]
if redis.call('HGET', index, f[3]) == ARGV[3] then redis.call('HDEL', index, f[3]) end
return 1
"""

COMPLETE_MANY: Final = """
local done = {}
for i = 4, #ARGV do
  local h = ARGV[1] .. ARGV[i]
  local f = redis.call('HMGET', h, 'claimed_by', 'owner', 'key')
  if f[1] == ARGV[3] then
    redis.call('DEL', h)
    redis.call('ZREM', KEYS[1], ARGV[i])
    local index = ARGV[2] .. f[2]
    if redis.call('HGET', index, f[3]) == ARGV[i] then redis.call('HDEL', index, f[3]) end
    done[#done + 1] = ARGV[i]
  end
end
return done
"""

RETRY: Final = """
local h = ARGV[1] .. ARGV[2]
if redis.call('HGET', h, 'claimed_by') ~= ARGV[3] then return 0 end
redis.call('HDEL', h, 'claimed_by', 'claimed_until')
redis.call('HSET', h, 'fire_at', ARGV[4])
redis.call('HINCRBY', h, 'attempts', 1)
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
return 1
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _claimed(item: list[Any], node: str, until: float) -> DueTimer:
    id_, owner, kind, key, fire_at, payload, attempts = (_text(v) for v in item)
    return DueTimer(
        id=id_,
        owner=owner,
        kind=kind,
        key=key,
        fire_at=float(fire_at),
        payload=json.loads(payload),
        attempts=int(attempts),
        claimed_by=node,
        claimed_until=until,
    )


def _stored(id_: str, fields: dict[bytes, bytes]) -> DueTimer:
    f = {_text(k): _text(v) for k, v in fields.items()}
    until = f.get("claimed_until")
    return DueTimer(
        id=id_,
        owner=f["owner"],
        kind=f["kind"],
        key=f["key"],
        fire_at=float(f["fire_at"]),
        payload=json.loads(f["payload"]),
        attempts=int(f["attempts"]),
        claimed_by=f.get("claimed_by"),
        claimed_until=None if until is None else float(until),
    )


class RedisTimerStore:
    """Timers in Redis (see the module docstring)."""

    def __init__(self, redis_url: str, prefix: str = "gridhub:timers") -> None:
        self._redis: Redis = Redis.from_url(redis_url, protocol=2, decode_responses=False)
        self._due = f"{prefix}:due"
        self._timer_prefix = f"{prefix}:t:"
        self._owner_prefix = f"{prefix}:owner:"
        self._schedule = self._redis.register_script(SCHEDULE)
        self._cancel = self._redis.register_script(CANCEL)
        self._claim = self._redis.register_script(CLAIM)
        self._complete = self._redis.register_script(COMPLETE)
        self._complete_many = self._redis.register_script(COMPLETE_MANY)
        self._retry = self._redis.register_script(RETRY)

    async def schedule(
        self, owner: str, kind: str, key: str, fire_at: float, payload: dict[str, Any]
    ) -> None:
        """Create the timer, or replace the one with this (owner, key)."""
        keys = [self._due, self._owner_prefix + owner]
        body = json.dumps(payload, separators=(",", ":"))
        args = [self._timer_prefix, owner, key, kind, repr(fire_at), body, new_timer_id()]
        await self._schedule(keys=keys, args=args)

    async def schedule_many(
        self, timers: Sequence[tuple[str, str, str, float, dict[str, Any]]]
    ) -> None:
        """Create or replace many timers: one pipelined round trip of atomic scripts, in order."""
        pipe = self._redis.pipeline(transaction=False)
        for owner, kind, key, fire_at, payload in timers:
            keys = [self._due, self._owner_prefix + owner]
            body = json.dumps(payload, separators=(",", ":"))
            args = [self._timer_prefix, owner, key, kind, repr(fire_at), body, new_timer_id()]
            await self._schedule(keys=keys, args=args, client=pipe)
        await pipe.execute()

    async def cancel(self, owner: str, key: str) -> bool:
        """Delete the timer; True only if it had not been claimed (see hub.timers.TimerStore)."""
        keys = [self._due, self._owner_prefix + owner]
        return bool(await self._cancel(keys=keys, args=[self._timer_prefix, key]))

    async def claim_due(self, node: str, now: float, lease_s: float, limit: int) -> list[DueTimer]:
        """Claim up to `limit` timers due at `now` for `lease_s` seconds, atomically."""
        until = now + lease_s
        args: list[str | int] = [self._timer_prefix, node, repr(now), repr(until), limit]
        reply = await self._claim(keys=[self._due], args=args)
        return [_claimed(item, node, until) for item in reply]

    async def complete(self, timer_id: str, node: str) -> bool:
        """Delete the timer if `node` still holds it."""
        args = [self._timer_prefix, self._owner_prefix, timer_id, node]
        return bool(await self._complete(keys=[self._due], args=args))

    async def complete_many(self, timer_ids: Sequence[str], node: str) -> set[str]:
        """Delete those of the timers `node` still holds, one script per batch of ids."""
        done: set[str] = set()
        for start in range(0, len(timer_ids), BATCH):
            chunk = timer_ids[start : start + BATCH]
            args = [self._timer_prefix, self._owner_prefix, node, *chunk]
            reply = await self._complete_many(keys=[self._due], args=args)
            done.update(_text(i) for i in reply)
        return done

    async def retry(self, timer_id: str, node: str, fire_at: float) -> bool:
        """Release the timer held by `node` to fire again at `fire_at`, one more attempt made."""
        args = [self._timer_prefix, timer_id, node, repr(fire_at)]
        return bool(await self._retry(keys=[self._due], args=args))

    async def next_fire_at(self) -> float | None:
        """When the earliest timer becomes claimable (its fire time, or its lease end)."""
        first = await self._redis.zrange(self._due, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def pending(self, owner: str) -> list[DueTimer]:
        """The owner's timers, earliest first (claimed ones included)."""
        ids = [_text(i) for i in await self._redis.hvals(self._owner_prefix + owner)]
        pipe = self._redis.pipeline(transaction=False)
        for id_ in ids:
            pipe.hgetall(self._timer_prefix + id_)
        replies: list[dict[bytes, bytes]] = await pipe.execute()
        found = [_stored(i, fields) for i, fields in zip(ids, replies, strict=True) if fields]
        return sorted(found, key=lambda t: (t.fire_at, t.id))

    async def close(self) -> None:
        await self._redis.aclose()
