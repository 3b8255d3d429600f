"""Push-to-talk on a channel: listeners join the channel's PTT room; the floor is arbitrated.

Client → hub: ``ptt.join`` (offer → answer; listen, and talk when holding the floor),
``ptt.leave``, ``ptt.request`` (``emergency`` optional) and ``ptt.release``. Hub → listeners:
``ptt.floor`` ``{channel_id, holder, reason, displaced, floor_version}`` whenever the holder
changes (reason ``granted``, ``preempted``, ``released``, ``timeout`` or ``left``),
``ptt.participants``, ``ptt.ended``. A denied request is the error ``ptt.floor_busy``
(details: the holder). The ``ptt.join`` and ``ptt.request`` replies carry the floor with its
``floor_version`` too; events may overtake a reply, so a device keeps the highest version.

The floor lives in a ``FloorStore`` (Redis in a cluster); every change is published on the
hub bus (``FloorChanged``) so that each node gates its own PTT room of the channel: only the
holder's audio is mixed. The talk-time limit is a durable hub timer (kind ``ptt-expiry``,
keyed by channel), so whichever node holds the timer lease revokes the floor.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import time
from typing import Any, ClassVar

from pydantic import Field

from hub import policy
from hub.access import Principal
from hub.bus import MessageBus
from hub.errors import Conflict, Forbidden
from hub.messages import DomainMessage
from hub.realtime import Connection, Realtime, user_room
from hub.timers import DueTimer, TimerView
from media.floor import FloorStore, Holder, Released
from media.live import LiveRoom, LiveRooms, Participant
from media.pool import MediaPool
from media.protocol import ControlError
from media.scope import Doorman, ScopeIn, rank
from media.settings import MediaSettings

MAX_SDP = 100_000
EXPIRY = "ptt-expiry"
# Listening and talking on a channel: Doorman.admit (members, or command roles over its grid).
PTT_LISTEN = policy.signed_in("ptt.listen", policy.Scope.CHANNEL)  # join, leave
PTT_TALK = policy.signed_in("ptt.talk", policy.Scope.CHANNEL)  # request, release the floor


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class FloorChanged(DomainMessage):
    """The floor of a channel changed hands (`person_id` None: it is free)."""

    topic: ClassVar[str] = "media.ptt.floor"
    channel_id: int
    person_id: int | None


class PttJoinIn(ScopeIn):
    sdp: str = Field(min_length=10, max_length=MAX_SDP)


class RequestIn(ScopeIn):
    emergency: bool = False


class PushToTalk:
    def __init__(
        self,
        realtime: Realtime,
        pool: MediaPool,
        doorman: Doorman,
        floors: FloorStore,
        settings: MediaSettings,
        timers: TimerView,
        bus: MessageBus,
    ) -> None:
        self.rt, self.doorman, self.floors, self.settings = realtime, doorman, floors, settings
        self.timers, self.bus = timers, bus
        self.rooms = LiveRooms(realtime, pool, "ptt")
        self.rooms.on_leave = self._left
        timers.handler(EXPIRY)(self._expire)
        realtime.on("ptt.join", PttJoinIn, PTT_LISTEN)(self.join)
        realtime.on("ptt.leave", ScopeIn, PTT_LISTEN)(self.leave)
        realtime.on("ptt.request", RequestIn, PTT_TALK)(self.request)
        realtime.on("ptt.release", ScopeIn, PTT_TALK)(self.release)

    async def join(self, conn: Connection, body: PttJoinIn) -> dict[str, Any]:
        channel = (await self.doorman.admit(conn.principal, body)).channel
        room_id = f"ptt:{channel.id}"
        options = {"room": {"mode": "ptt"}, "peer": {}}
        room, answer = await self.rooms.join(conn, room_id, channel, body.sdp, options)
        # read after joining the socket room: a later change reaches us as a newer event
        floor = await self.floors.current(channel.id, time.time())
        await self._gate(channel.id, floor.holder)
        return {
            "room_id": room_id,
            "channel_id": channel.id,
            "sdp": answer,
            **room.roster_state(),  # participants, roster_version
            "floor": floor.holder.public() if floor.holder else None,
            "floor_version": floor.version,
        }

    async def leave(self, conn: Connection, body: ScopeIn) -> dict[str, Any]:
        channel = await self.doorman.channel(body)
        room = self.rooms.get(f"ptt:{channel.id}")
        await self.rooms.leave(room, conn.principal.person_id)
        return {}

    async def request(self, conn: Connection, body: RequestIn) -> dict[str, Any]:
        channel = (await self.doorman.admit(conn.principal, body)).channel
        claim = self._claim(conn.principal, body.emergency)
        outcome = await self.floors.claim(channel.id, claim, claim.granted_at)
        if not outcome.granted or outcome.holder is None:
            held = outcome.holder.public() if outcome.holder else None
            message = "someone with equal or higher priority holds the floor"
            raise Conflict("ptt.floor_busy", message, details={"holder": held})
        if outcome.holder.token == claim.token:  # newly granted (not a repeat by the holder)
            reason = "preempted" if outcome.displaced else "granted"
            payload = {"channel_id": channel.id, "token": claim.token}
            await self.timers.schedule(EXPIRY, str(channel.id), claim.expires_at, payload)
            await self._changed(channel.id, claim, reason, outcome.displaced, outcome.version)
        return {"floor": outcome.holder.public(), "floor_version": outcome.version}

    def _claim(self, who: Principal, emergency: bool) -> Holder:
        priority = rank(who)
        if priority == 0:
            raise Forbidden("ptt.no_priority", "your role may not take the floor")
        now, token = time.time(), secrets.token_hex(8)
        until = now + self.settings.ptt_max_talk_s
        return Holder(who.person_id, who.display_name, priority, emergency, token, now, until)

    async def release(self, conn: Connection, body: ScopeIn) -> dict[str, Any]:
        channel = await self.doorman.channel(body)
        if not await self._release(channel.id, conn.principal.person_id, "released"):
            raise Conflict("ptt.not_holder", "you do not hold the floor")
        return {}

    async def start(self) -> None:
        await self.bus.listen(FloorChanged, self._floor_changed)

    async def close(self) -> None:
        await self.rooms.close()

    # ---- floor changes ---------------------------------------------------------------

    async def _release(self, channel_id: int, person_id: int, reason: str) -> bool:
        holder = (await self.floors.current(channel_id, time.time())).holder
        if holder is None or holder.person_id != person_id:
            return False
        released = await self.floors.release(channel_id, holder.token)
        if released is None:
            return False
        await self.timers.cancel(str(channel_id))
        await self._freed(channel_id, reason, released)
        return True

    async def _expire(self, payload: dict[str, Any], _timer: DueTimer) -> None:
        channel_id = int(payload["channel_id"])
        released = await self.floors.release(channel_id, str(payload["token"]))
        if released is not None:  # else released or taken over already
            await self._freed(channel_id, "timeout", released)

    async def _freed(self, channel_id: int, reason: str, released: Released) -> None:
        await self._changed(channel_id, None, reason, released.holder, released.version)

    async def _changed(
        self,
        channel_id: int,
        holder: Holder | None,
        reason: str,
        displaced: Holder | None,
        version: int,
    ) -> None:
        await self._gate(channel_id, holder)
        person = holder.person_id if holder else None
        await self.bus.publish(FloorChanged(channel_id=channel_id, person_id=person))
        body = {
            "channel_id": channel_id,
            "holder": holder.public() if holder else None,
            "reason": reason,
            "displaced": displaced.public() if displaced else None,
            "floor_version": version,
        }
        await self.rt.emit("ptt.floor", body, f"media:ptt:{channel_id}")
        targets = [holder, displaced]
        for person in {h.person_id for h in targets if h is not None}:
            room = self.rooms.rooms.get(f"ptt:{channel_id}")
            if room is None or person not in room.participants:
                await self.rt.emit("ptt.floor", body, user_room(person))

    async def _floor_changed(self, message: FloorChanged) -> None:
        """Another node (or this one) changed the floor: gate this node's room of it."""
        await self._gate_person(message.channel_id, message.person_id)

    async def _gate(self, channel_id: int, holder: Holder | None) -> None:
        await self._gate_person(channel_id, holder.person_id if holder else None)

    async def _gate_person(self, channel_id: int, person_id: int | None) -> None:
        room = self.rooms.rooms.get(f"ptt:{channel_id}")
        if room is None:
            return
        peers = [str(person_id)] if person_id is not None else []
        with contextlib.suppress(ControlError):  # a lost worker's listeners are told apart
            await room.handle.control("gate", {"peers": peers})

    async def _left(self, room: LiveRoom, participant: Participant) -> None:
        await self._release(room.channel.id, participant.person_id, "left")
