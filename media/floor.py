"""Push-to-talk floor arbitration: one holder per channel, priority, emergency, expiry.

The rule (``outranks``): a free floor (or one whose holder's time ran out) goes to whoever
asks; a held floor goes to a claim that is an emergency when the holder's is not, or that
has the same emergency flag and a higher rank. Anything else is denied. A holder asking
again keeps the floor as it is (its time does not restart).

Two stores with that rule: in memory (one hub node: no await between the read and the
write, so claims are serialised by the event loop) and in Redis (a cluster: one Lua script
per claim or release, so exactly one of racing nodes wins).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class Holder:
    person_id: int
    display_name: str
    rank: int
    emergency: bool
    token: str
    granted_at: float
    expires_at: float

    def public(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "display_name": self.display_name,
            "rank": self.rank,
            "emergency": self.emergency,
            "granted_at": self.granted_at,
            "expires_at": self.expires_at,
        }


@dataclass(frozen=True, slots=True)
class Claim:
    granted: bool
    holder: Holder | None  # who holds the floor now
    displaced: Holder | None = None  # the holder a granted claim pre-empted


def outranks(claim: Holder, holder: Holder) -> bool:
    if claim.emergency != holder.emergency:
        return claim.emergency
    return claim.rank > holder.rank


class FloorStore(Protocol):
    async def claim(self, channel_id: int, claim: Holder, now: float) -> Claim: ...

    async def release(self, channel_id: int, token: str) -> Holder | None: ...

    async def current(self, channel_id: int, now: float) -> Holder | None: ...

    async def close(self) -> None: ...


class MemoryFloors:
    def __init__(self) -> None:
        self._held: dict[int, Holder] = {}

    async def claim(self, channel_id: int, claim: Holder, now: float) -> Claim:
        current = await self.current(channel_id, now)
        if current is not None and current.person_id == claim.person_id:
            return Claim(True, current)
        if current is None or outranks(claim, current):
            self._held[channel_id] = claim
            return Claim(True, claim, current)
        return Claim(False, current)

    async def release(self, channel_id: int, token: str) -> Holder | None:
        current = self._held.get(channel_id)
        if current is None or current.token != token:
            return None
        return self._held.pop(channel_id)

    async def current(self, channel_id: int, now: float) -> Holder | None:
        current = self._held.get(channel_id)
        return current if current is not None and current.expires_at > now else None

    async def close(self) -> None:
        self._held.clear()


CLAIM = """
local raw = redis.call('GET', KEYS[1])
local claim = cjson.decode(ARGV[1])
local now = tonumber(ARGV[2])
local current = nil
if raw then
  current = cjson.decode(raw)
  if tonumber(current.expires_at) <= now then current = nil; raw = nil end
end
if current and current.person_id == claim.person_id then return {1, raw, ''} end
local wins = current == nil
if current then
  if claim.emergency ~= current.emergency then wins = claim.emergency
  else wins = claim.rank > current.rank end
end
if not wins then return {0, raw, ''} end
local ttl = math.max(1, math.ceil((tonumber(claim.expires_at) - now) * 1000) + 1000)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return {1, ARGV[1], raw or ''}
"""
RELEASE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return '' end
if cjson.decode(raw).token ~= ARGV[1] then return '' end
redis.call('DEL', KEYS[1])
return raw
"""


class RedisFloors:
    """Key ``<prefix>:<channel id>`` holds the holder as JSON, expiring after its talk time."""

    def __init__(self, url: str, prefix: str = "gridhub:ptt") -> None:
        self.redis: Redis = Redis.from_url(url)
        self.prefix = prefix
        self._claim = self.redis.register_script(CLAIM)
        self._release = self.redis.register_script(RELEASE)

    async def claim(self, channel_id: int, claim: Holder, now: float) -> Claim:
        body = json.dumps(asdict(claim))
        granted, holder, displaced = await self._claim(
            keys=[self._key(channel_id)], args=[body, repr(now)]
        )
        return Claim(bool(granted), _holder(holder), _holder(displaced))

    async def release(self, channel_id: int, token: str) -> Holder | None:
        return _holder(await self._release(keys=[self._key(channel_id)], args=[token]))

    async def current(self, channel_id: int, now: float) -> Holder | None:
        holder = _holder(await self.redis.get(self._key(channel_id)))
        return holder if holder is not None and holder.expires_at > now else None

    async def close(self) -> None:
        await self.redis.aclose()

    def _key(self, channel_id: int) -> str:
        return f"{self.prefix}:{channel_id}"


def _holder(raw: Any) -> Holder | None:
    if not raw:
        return None
    return Holder(**json.loads(raw))
