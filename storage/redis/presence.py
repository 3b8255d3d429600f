"""Presence shared by every node of a deployment, in Redis.

Implements ``hub.contracts.PresenceStore`` structurally (storage never imports the hub), with
the semantics of ``storage.memory.presence`` and the rule of ``storage.presence_model``.

Key layout (``P`` is the prefix, ``gridhub:presence`` by default; one Redis, not a Cluster):

* ``P:p:<person_id>`` hash: ``d:<sid>`` = ``"node|state|last_active|idle"`` per connected device
  (idle is ``0``/``1``), ``c:<sid>`` = the calls a device is in (absent when none; the
  device shows ``on_call`` meanwhile, whichever node decided the call), ``forced`` (absent
  unless forced), ``agg`` (the stored aggregate), ``last_seen`` and ``loc`` (the location
  report, JSON). Kept when the person goes offline.
* ``P:known`` set of every person id any operation touched.
* ``P:active`` sorted set of ``"<person_id>|<sid>"`` for devices not idle, scored by
  last_active: ``mark_idle`` finds its candidates with one ``ZRANGEBYSCORE``.
* ``P:node:<node>`` heartbeat key with a ``PX`` expiry set by ``node_alive``.
* ``P:node-devs:<node>`` set of ``"<person_id>|<sid>"`` the node owns; ``P:nodes`` set of nodes
  that may own devices (added on connect, removed once their device set is empty).

Every mutation is one Lua script (``register_script``; EVALSHA, loaded on demand). A script
reads the stored ``agg``, applies the change, recomputes the aggregate from the hash inside
Redis, stores it in ``agg`` and replies whether it differs. Scripts run one at a time, so when
nodes race exactly one of them reports a transition, and ``agg`` always equals the aggregate
of the hash. Times travel as ``repr(float)`` strings and are stored verbatim (Lua compares
them with ``tonumber`` but never formats them, which would round to 14 digits).

``last_seen`` is the latest connect, disconnect, choose, touch or location ``at``; reaping and
idling leave it alone (it stays the last time the person was heard from). A node is dead when
its heartbeat key is absent: one that never called ``node_alive`` but owns devices is dead, so
a node must send its first heartbeat before it accepts connections. ``reap_dead_nodes``
re-checks the heartbeat and each device's node inside its script, so a node that comes back or
a device that reconnected elsewhere meanwhile is left alone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Final, cast

from redis.asyncio import Redis
from redis.typing import EncodableT

from storage.presence_model import (
    Change,
    Location,
    Presence,
    check_choosable,
    check_forceable,
    check_node,
    check_time,
    location_at,
    offline,
)

# Shared by every script: device parsing, last seen, and the aggregate (see presence_model).
LIB: Final = """
local RANK = {offline = 0, away = 1, online = 2, busy = 3, on_call = 4}  -- device states

local function parse(raw)  -- node, state, last_active, idle
  return string.match(raw, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
end

local function effective(raw)
  local _, state, _, idle = parse(raw)
  if idle == '1' and state == 'online' then return 'away' end
  return state
end

local function stored(key)
  return redis.call('HGET', key, 'agg') or 'offline'
end

local function seen(key, at)
  local old = redis.call('HGET', key, 'last_seen')
  if not old or tonumber(at) > tonumber(old) then redis.call('HSET', key, 'last_seen', at) end
end

local function drop(key, active, devs_prefix, member, sid)
  local raw = redis.call('HGET', key, 'd:' .. sid)
  if not raw then return end
  redis.call('HDEL', key, 'd:' .. sid, 'c:' .. sid)
  redis.call('ZREM', active, member)
  redis.call('SREM', devs_prefix .. parse(raw), member)
end

-- Recompute the aggregate, store it, reply {changed, state, devices, last_seen, loc}.
local function finish(key, was)
  local fields = redis.call('HGETALL', key)
  local best, n, forced, last_seen, loc = 'offline', 0, false, '0', ''
  local calling = {}  -- sid -> true for devices in a call
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 2) == 'c:' then calling[string.sub(fields[i], 3)] = true end
  end
  for i = 1, #fields, 2 do
    local f, v = fields[i], fields[i + 1]
    if string.sub(f, 1, 2) == 'd:' then
      n = n + 1
      local s = effective(v)
      if calling[string.sub(f, 3)] then s = 'on_call' end
      if RANK[s] > RANK[best] then best = s end
    elseif f == 'forced' then forced = v
    elseif f == 'last_seen' then last_seen = v
    elseif f == 'loc' then loc = v
    end
  end
  if n > 0 and forced then best = forced end
  redis.call('HSET', key, 'agg', best)
  return {best ~= was and 1 or 0, best, n, last_seen, loc}
end
"""

# KEYS: person, known, active, nodes. ARGV: node-devs prefix, person_id, sid, node, now.
CONNECT: Final = """
local key, member, node, now = KEYS[1], ARGV[2] .. '|' .. ARGV[3], ARGV[4], ARGV[5]
local was = stored(key)
drop(key, KEYS[3], ARGV[1], member, ARGV[3])
redis.call('HSET', key, 'd:' .. ARGV[3], node .. '|online|' .. now .. '|0')
redis.call('ZADD', KEYS[3], now, member)
redis.call('SADD', ARGV[1] .. node, member)
redis.call('SADD', KEYS[4], node)
redis.call('SADD', KEYS[2], ARGV[2])
seen(key, now)
return finish(key, was)
"""

# KEYS: person, known, active. ARGV: node-devs prefix, person_id, sid, now.
DISCONNECT: Final = """
local key = KEYS[1]
local was = stored(key)
drop(key, KEYS[3], ARGV[1], ARGV[2] .. '|' .. ARGV[3], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
seen(key, ARGV[4])
return finish(key, was)
"""

# choose and touch. KEYS: person, known, active. ARGV: person_id, sid, state ('' keeps), now.
ACTIVITY: Final = """
local key, sid, now = KEYS[1], ARGV[2], ARGV[4]
local was = stored(key)
local raw = redis.call('HGET', key, 'd:' .. sid)
if raw then
  local node, state = parse(raw)
  if ARGV[3] ~= '' then state = ARGV[3] end
  redis.call('HSET', key, 'd:' .. sid, node .. '|' .. state .. '|' .. now .. '|0')
  redis.call('ZADD', KEYS[3], now, ARGV[1] .. '|' .. sid)
end
redis.call('SADD', KEYS[2], ARGV[1])
seen(key, now)
return finish(key, was)
"""

# KEYS: person. ARGV: sid, +1 (joined a call) or -1 (left one). A device unknown: no change.
IN_CALL: Final = """
local key, field = KEYS[1], 'c:' .. ARGV[1]
local was = stored(key)
if redis.call('HEXISTS', key, 'd:' .. ARGV[1]) == 1 then
  local calls = tonumber(redis.call('HGET', key, field) or '0') + tonumber(ARGV[2])
  if calls > 0 then redis.call('HSET', key, field, calls) else redis.call('HDEL', key, field) end
end
return finish(key, was)
"""

# KEYS: person, known. ARGV: person_id, state ('' lifts the override).
FORCE: Final = """
local was = stored(KEYS[1])
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'forced')
else
  redis.call('HSET', KEYS[1], 'forced', ARGV[2])
end
redis.call('SADD', KEYS[2], ARGV[1])
return finish(KEYS[1], was)
"""

# One person's candidates, each re-checked. KEYS: person, active. ARGV: person_id, cutoff, sids.
IDLE: Final = """
local key, cutoff = KEYS[1], tonumber(ARGV[2])
local was = stored(key)
for i = 3, #ARGV do
  local sid = ARGV[i]
  local member = ARGV[1] .. '|' .. sid
  local raw = redis.call('HGET', key, 'd:' .. sid)
  if not raw then
    redis.call('ZREM', KEYS[2], member)
  else
    local node, state, at, idle = parse(raw)
    if tonumber(at) < cutoff then
      redis.call('ZREM', KEYS[2], member)
      redis.call('HSET', key, 'd:' .. sid, node .. '|' .. state .. '|' .. at .. '|1')
    end
  end
end
return finish(key, was)
"""

# KEYS: person, known. ARGV: person_id, location JSON, its at.
LOCATE: Final = """
local old = redis.call('HGET', KEYS[1], 'loc')
if not old or tonumber(ARGV[3]) >= tonumber(cjson.decode(old).at) then
  redis.call('HSET', KEYS[1], 'loc', ARGV[2])
end
redis.call('SADD', KEYS[2], ARGV[1])
seen(KEYS[1], ARGV[3])
return 1
"""

# One person's devices on dead nodes. KEYS: person, active.
# ARGV: node key prefix, node-devs prefix, person_id, then node, sid pairs.
REAP: Final = """
local key = KEYS[1]
local was = stored(key)
for i = 4, #ARGV, 2 do
  local node, sid = ARGV[i], ARGV[i + 1]
  if redis.call('EXISTS', ARGV[1] .. node) == 0 then
    local member = ARGV[3] .. '|' .. sid
    redis.call('SREM', ARGV[2] .. node, member)
    local raw = redis.call('HGET', key, 'd:' .. sid)
    if raw and parse(raw) == node then
      redis.call('HDEL', key, 'd:' .. sid, 'c:' .. sid)
      redis.call('ZREM', KEYS[2], member)
    end
  end
end
return finish(key, was)
"""

# Forget a node that owns no device any more. KEYS: nodes, node-devs. ARGV: node.
FORGET_NODE: Final = """
if redis.call('SCARD', KEYS[2]) == 0 then return redis.call('SREM', KEYS[1], ARGV[1]) end
return 0
"""


class _Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.known = f"{prefix}:known"
        self.active = f"{prefix}:active"
        self.nodes = f"{prefix}:nodes"
        self.node_prefix = f"{prefix}:node:"
        self.devs_prefix = f"{prefix}:node-devs:"

    def person(self, person_id: int) -> str:
        return f"{self.prefix}:p:{person_id}"

    def node(self, node: str) -> str:
        return self.node_prefix + node

    def devs(self, node: str) -> str:
        return self.devs_prefix + node


class _Scripts:
    def __init__(self, redis: Redis) -> None:
        self.connect = redis.register_script(LIB + CONNECT)
        self.disconnect = redis.register_script(LIB + DISCONNECT)
        self.activity = redis.register_script(LIB + ACTIVITY)
        self.force = redis.register_script(LIB + FORCE)
        self.in_call = redis.register_script(LIB + IN_CALL)
        self.idle = redis.register_script(LIB + IDLE)
        self.locate = redis.register_script(LIB + LOCATE)
        self.reap = redis.register_script(LIB + REAP)
        self.forget_node = redis.register_script(FORGET_NODE)


class RedisPresenceStore:
    """Devices and aggregate state per person in Redis (see the module docstring)."""

    def __init__(self, redis_url: str, *, prefix: str = "gridhub:presence") -> None:
        self._redis: Redis = Redis.from_url(redis_url, decode_responses=True)
        self._keys = _Keys(prefix)
        self._scripts = _Scripts(self._redis)

    async def connect(self, person_id: int, sid: str, node: str, now: float) -> Change:
        check_node(node)
        k = self._keys
        keys = [k.person(person_id), k.known, k.active, k.nodes]
        args: list[EncodableT] = [k.devs_prefix, person_id, sid, node, check_time(now)]
        return _change(person_id, await self._scripts.connect(keys, args))

    async def disconnect(self, person_id: int, sid: str, now: float) -> Change:
        k = self._keys
        keys = [k.person(person_id), k.known, k.active]
        args: list[EncodableT] = [k.devs_prefix, person_id, sid, check_time(now)]
        return _change(person_id, await self._scripts.disconnect(keys, args))

    async def choose(self, person_id: int, sid: str, state: str, now: float) -> Change:
        check_choosable(state)
        return await self._activity(person_id, sid, state, now)

    async def touch(self, person_id: int, sid: str, now: float) -> Change:
        return await self._activity(person_id, sid, "", now)

    async def in_call(self, person_id: int, sid: str, joined: bool) -> Change:
        reply = await self._scripts.in_call(
            [self._keys.person(person_id)], [sid, 1 if joined else -1]
        )
        return _change(person_id, reply)

    async def force(self, person_id: int, state: str | None) -> Change:
        check_forceable(state)
        keys = [self._keys.person(person_id), self._keys.known]
        return _change(person_id, await self._scripts.force(keys, [person_id, state or ""]))

    async def mark_idle(self, idle_before: float) -> list[Change]:
        cutoff = check_time(idle_before)
        members = await self._redis.zrangebyscore(self._keys.active, "-inf", f"({cutoff!r}")
        candidates = _by_person(cast(list[str], members))
        pipe = self._redis.pipeline(transaction=False)
        for person_id, sids in candidates.items():
            keys = [self._keys.person(person_id), self._keys.active]
            await self._scripts.idle(keys, [person_id, cutoff, *sids], client=pipe)
        return _changed(candidates, await pipe.execute())

    async def locate(self, person_id: int, location: Location) -> None:
        at = location_at(location)
        keys = [self._keys.person(person_id), self._keys.known]
        await self._scripts.locate(keys, [person_id, json.dumps(location), at])

    async def get(self, person_id: int) -> Presence:
        fields = await self._redis.hgetall(self._keys.person(person_id))
        return _record(person_id, cast(dict[str, str], fields))

    async def known(self, online_only: bool) -> list[Presence]:
        members = await self._redis.smembers(self._keys.known)
        ids = sorted(int(m) for m in cast(set[str], members))
        pipe = self._redis.pipeline(transaction=False)
        for person_id in ids:
            pipe.hgetall(self._keys.person(person_id))
        records = [_record(i, f) for i, f in zip(ids, await pipe.execute(), strict=True)]
        return [r for r in records if r.devices > 0] if online_only else records

    async def node_alive(self, node: str, ttl_s: float) -> None:
        check_node(node)
        ttl_ms = max(1, round(check_time(ttl_s) * 1000))
        await self._redis.set(self._keys.node(node), "1", px=ttl_ms)

    async def reap_dead_nodes(self) -> list[Change]:
        dead = await self._dead_nodes()
        if not dead:
            return []
        candidates = await self._devices_of(dead)
        changes = await self._reap(candidates)
        await self._forget(dead)
        return changes

    async def close(self) -> None:
        await self._redis.aclose()

    async def _activity(self, person_id: int, sid: str, state: str, now: float) -> Change:
        k = self._keys
        keys = [k.person(person_id), k.known, k.active]
        args: list[EncodableT] = [person_id, sid, state, check_time(now)]
        return _change(person_id, await self._scripts.activity(keys, args))

    async def _dead_nodes(self) -> list[str]:
        nodes = sorted(cast(set[str], await self._redis.smembers(self._keys.nodes)))
        pipe = self._redis.pipeline(transaction=False)
        for node in nodes:
            pipe.exists(self._keys.node(node))
        alive = await pipe.execute()
        return [node for node, live in zip(nodes, alive, strict=True) if not live]

    async def _devices_of(self, nodes: list[str]) -> dict[int, list[str]]:
        """person_id -> [node, sid, node, sid, ...] over the devices the nodes own."""
        pipe = self._redis.pipeline(transaction=False)
        for node in nodes:
            pipe.smembers(self._keys.devs(node))
        owned: dict[int, list[str]] = defaultdict(list)
        for node, members in zip(nodes, await pipe.execute(), strict=True):
            for person_id, sids in _by_person(members).items():
                for sid in sids:
                    owned[person_id] += [node, sid]
        return owned

    async def _reap(self, candidates: dict[int, list[str]]) -> list[Change]:
        k = self._keys
        pipe = self._redis.pipeline(transaction=False)
        for person_id, pairs in candidates.items():
            args: list[EncodableT] = [k.node_prefix, k.devs_prefix, person_id, *pairs]
            await self._scripts.reap([k.person(person_id), k.active], args, client=pipe)
        return _changed(candidates, await pipe.execute())

    async def _forget(self, nodes: list[str]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for node in nodes:
            keys = [self._keys.nodes, self._keys.devs(node)]
            await self._scripts.forget_node(keys, [node], client=pipe)
        await pipe.execute()


def _by_person(members: Iterable[str]) -> dict[int, list[str]]:
    """Group ``"<person_id>|<sid>"`` members by person (a sid may itself contain '|')."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for member in sorted(members):
        person_id, _, sid = member.partition("|")
        grouped[int(person_id)].append(sid)
    return grouped


def _change(person_id: int, reply: Any) -> Change:
    """A script's ``{changed, state, devices, last_seen, loc}`` reply as a Change."""
    changed, state, devices, last_seen, loc = reply
    location = cast(Location, json.loads(loc)) if loc else None
    record = Presence(person_id, state, int(devices), float(last_seen), location)
    return Change(record, bool(changed))


def _changed(people: Iterable[int], replies: list[Any]) -> list[Change]:
    changes = [_change(pid, reply) for pid, reply in zip(people, replies, strict=True)]
    return [change for change in changes if change.changed]


def _record(person_id: int, fields: dict[str, str]) -> Presence:
    if not fields:
        return offline(person_id)
    devices = sum(1 for name in fields if name.startswith("d:"))
    loc = fields.get("loc")
    location = cast(Location, json.loads(loc)) if loc else None
    state = fields.get("agg", "offline")
    return Presence(person_id, state, devices, float(fields.get("last_seen", 0.0)), location)
