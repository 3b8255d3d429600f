"""Push-to-talk floor arbitration: one holder per channel, priority, emergency, expiry.

The rule (``outranks``): a free floor (or one whose holder's time ran out) goes to whoever
asks; a held floor goes to a claim that is an emergency when the holder's is not, or that
has the same emergency flag and a higher rank. Anything else is denied. A holder asking
again keeps the floor as it is (its time does not restart).

Two stores with that rule: in memory (one hub node: no await between the read and the
write, so claims are serialised by the event loop) and in Redis (a cluster: one Lua script
per claim or release, so exactly one of racing nodes wins).

Each channel's floor has a version that grows with every change of holder (a grant, a
pre-emption, a release), read and written in the same step as the holder. A device hears of
the floor two ways in no fixed order (the ``ptt.join``/``ptt.request`` reply and ``ptt.floor``
events, which may overtake the reply), and keeps the word with the highest version. The
version does not move when a holder's time runs out unreleased: the release that follows
moves it.
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
    version: int = 0  # the floor's version now


@dataclass(frozen=True, slots=True)
class Floor:
    """Who holds a channel's floor (None: free), with the version of that word."""

    holder: Holder | None
    version: int


@dataclass(frozen=True, slots=True)
class Released:
    holder: Holder  # who held the floor until the release
    version: int  # the floor's version once free


def outranks(claim: Holder, holder: Holder) -> bool:
    if claim.emergency != holder.emergency:
        return claim.emergency
    return claim.rank > holder.rank


class FloorStore(Protocol):
    async def claim(self, channel_id: int, claim: Holder, now: float) -> Claim: ...

    async def release(self, channel_id: int, token: str) -> Released | None: ...

    async def current(self, channel_id: int, now: float) -> Floor: ...

    async def close(self) -> None: ...


class MemoryFloors:
    def __init__(self) -> None:
        self._held: dict[int, Holder] = {}
        self._versions: dict[int, int] = {}

    async def claim(self, channel_id: int, claim: Holder, now: float) -> Claim:
        current = (await self.current(channel_id, now)).holder
        version = self._versions.get(channel_id, 0)
        if current is not None and current.person_id == claim.person_id:
            return Claim(True, current, version=version)
        if current is None or outranks(claim, current):
            self._held[channel_id] = claim
            return Claim(True, claim, current, self._bump(channel_id))
        return Claim(False, current, version=version)

    async def release(self, channel_id: int, token: str) -> Released | None:
        current = self._held.get(channel_id)
        if current is None or current.token != token:
            return None
        return Released(self._held.pop(channel_id), self._bump(channel_id))

    async def current(self, channel_id: int, now: float) -> Floor:
        current = self._held.get(channel_id)
        holder = current if current is not None and current.expires_at > now else None
        return Floor(holder, self._versions.get(channel_id, 0))

    async def close(self) -> None:
        self._held.clear()

    def _bump(self, channel_id: int) -> int:
        self._versions[channel_id] = self._versions.get(channel_id, 0) + 1
        return self._versions[channel_id]


CLAIM = """
local version = tonumber(redis.call('GET', KEYS[2]) or '0')
local raw = redis.call('GET', KEYS[1])
local claim = cjson.decode(ARGV[1])
local now = tonumber(ARGV[2])
local current = nil
if raw then
  current = cjson.decode(raw)
  if tonumber(current.expires_at) <= now then current = nil; raw = nil end
end
if current and current.person_id == claim.person_id then return {1, raw, '', version} end
local wins = current == nil
if current then
  if claim.emergency ~= current.emergency then wins = claim.emergency
  else wins = claim.rank > current.rank end
end
if not wins then return {0, raw, '', version} end
local ttl = math.max(1, math.ceil((tonumber(claim.expires_at) - now) * 1000) + 1000)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return {1, ARGV[1], raw or '', redis.call('INCR', KEYS[2])}
"""
RELEASE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return {'', 0} end
if cjson.decode(raw).token ~= ARGV[1] then return {'', 0} end
redis.call('DEL', KEYS[1])
return {raw, redis.call('INCR', KEYS[2])}
"""


class RedisFloors:
    """Key ``<prefix>:<channel id>`` holds the holder as JSON, expiring after its talk time;
    ``<prefix>:<channel id>:version`` the floor's version (kept: a device may hold any
    version it was told, so the count never starts again)."""

    def __init__(self, url: str, prefix: str = "gridhub:ptt") -> None:
        self.redis: Redis = Redis.from_url(url)
        self.prefix = prefix
        self._claim = self.redis.register_script(CLAIM)
        self._release = self.redis.register_script(RELEASE)

    async def claim(self, channel_id: int, claim: Holder, now: float) -> Claim:
        body = json.dumps(asdict(claim))
        granted, holder, displaced, version = await self._claim(
            keys=self._keys(channel_id), args=[body, repr(now)]
        )
        return Claim(bool(granted), _holder(holder), _holder(displaced), int(version))

    async def release(self, channel_id: int, token: str) -> Released | None:
        raw, version = await self._release(keys=self._keys(channel_id), args=[token])
        holder = _holder(raw)
        return Released(holder, int(version)) if holder is not None else None

    async def current(self, channel_id: int, now: float) -> Floor:
        raw, version = await self.redis.mget(self._keys(channel_id))  # one atomic read
        holder = _holder(raw)
        live = holder if holder is not None and holder.expires_at > now else None
        return Floor(live, int(version or 0))

    async def close(self) -> None:
        await self.redis.aclose()

    def _keys(self, channel_id: int) -> list[str]:
        """The holder's key and the version's (a script names every key it touches)."""
        return [f"{self.prefix}:{channel_id}", f"{self.prefix}:{channel_id}:version"]


def _holder(raw: Any) -> Holder | None:
    if not raw:
        return None
    return Holder(**json.loads(raw))
