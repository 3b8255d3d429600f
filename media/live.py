"""Hub-side state of media rooms on this node: participants, socket rooms, worker placement.

``LiveRooms`` is shared by group calls (``call:<channel id>``) and push-to-talk
(``ptt:<channel id>``): it opens the worker room on first join, joins and leaves peers
(one device per person and room: joining again from another device moves the person),
tells everyone in the room who is there, and closes the worker room when the last one left.

Who is there reaches a device two ways, in no fixed order: the join reply and the
``<prefix>.participants`` events (an event may overtake the reply, or arrive while the device
is still handling it; through Redis, emits and replies travel separately). Each roster
therefore carries ``roster_version``, a number that grows with every change on this node, and
a device keeps the roster with the highest version it has seen. Who speaks travels the same
two ways (a group call's join reply and ``group.active_speaker``) and is ordered the same way
by ``speaker_version``, from the same sequence.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.channels import ChannelInfo
from hub.errors import Conflict, HubError, InvalidInput, NotFound
from hub.realtime import Connection, Realtime
from media.pool import MediaPool, RoomHandle
from media.protocol import ControlError

BAD_OFFER = {"peer.bad_offer", "control.bad_args"}
EndHook = Callable[["LiveRoom", str], Awaitable[None]]


class RoomRecorder(Protocol):
    """Hook of media/recording (media.recording.live.LiveRecorder): records rooms by policy."""

    async def opening(
        self, room_id: str, channel: ChannelInfo, options: dict[str, Any]
    ) -> dict[str, Any]: ...

    async def joined(self, room_id: str, person_id: int) -> None: ...

    async def closed(self, room_id: str) -> None: ...


@dataclass(slots=True)
class Participant:
    person_id: int
    display_name: str
    sid: str
    muted: bool = False
    forced: bool = False  # muted by a moderator: only a moderator unmutes
    joined_at: float = field(default_factory=time.time)

    def public(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "display_name": self.display_name,
            "muted": self.muted,
        }


@dataclass(eq=False)
class LiveRoom:
    room_id: str
    prefix: str  # event prefix: "group" or "ptt"
    channel: ChannelInfo
    handle: RoomHandle
    participants: dict[int, Participant] = field(default_factory=dict)
    speaker: int | None = None
    video: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # person -> slots
    started_by: int | None = None  # who opened the room (moderates a group call)
    roster_version: int = 0  # LiveRooms.changed: set anew whenever the roster changes
    speaker_version: int = 0  # LiveRooms.speaks: set anew whenever the speaker changes

    @property
    def socket_room(self) -> str:
        return f"media:{self.room_id}"

    def roster(self) -> list[dict[str, Any]]:
        return [p.public() for p in self.participants.values()]

    def roster_state(self) -> dict[str, Any]:
        """Who is there, with the version that orders it among the room's other rosters."""
        return {"participants": self.roster(), "roster_version": self.roster_version}

    def speaker_state(self) -> dict[str, Any]:
        """Who speaks, with the version that orders it among the room's other words of it."""
        return {"active_speaker": self.speaker, "speaker_version": self.speaker_version}

    def by_peer(self, peer: Any) -> Participant | None:
        try:
            return self.participants.get(int(peer))
        except (TypeError, ValueError):
            return None


def hub_error(exc: ControlError) -> HubError:
    """A worker's refusal as the error a client sees."""
    if exc.code in BAD_OFFER:
        return InvalidInput("media.bad_offer", exc.message)
    if exc.code in ("worker.full", "media.unavailable"):
        return HubError("media.unavailable", exc.message, status=503)
    return HubError("media.worker_error", f"{exc.code}: {exc.message}", status=502)


class LiveRooms:
    def __init__(self, realtime: Realtime, pool: MediaPool, prefix: str) -> None:
        self.rt, self.pool, self.prefix = realtime, pool, prefix
        self.rooms: dict[str, LiveRoom] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.on_event: Callable[[LiveRoom, str, dict[str, Any]], Awaitable[None]] | None = None
        self.on_leave: Callable[[LiveRoom, Participant], Awaitable[None]] | None = None
        self.recorder: RoomRecorder | None = None  # set by media/recording (recording_ctx)
        self.on_call = False  # group calls: a participant's device shows "on_call" meanwhile
        # One sequence for all rooms: a room opened again on the same channel continues it.
        self._versions = itertools.count(1)
        pool.on_lost(self._lost)
        realtime.on_disconnected(self._gone)

    def get(self, room_id: str) -> LiveRoom:
        room = self.rooms.get(room_id)
        if room is None:
            raise NotFound("media.room_not_found", "no such media room (it may have ended)")
        return room

    def lock(self, room_id: str) -> asyncio.Lock:
        return self._locks.setdefault(room_id, asyncio.Lock())

    def changed(self, room: LiveRoom) -> None:
        """Call right after changing who is in the room or their flags (no await between)."""
        room.roster_version = next(self._versions)

    def speaks(self, room: LiveRoom, person_id: int | None) -> None:
        """The room's active speaker is now `person_id` (None: nobody)."""
        room.speaker, room.speaker_version = person_id, next(self._versions)

    async def join(
        self, conn: Connection, room_id: str, channel: ChannelInfo, sdp: str, options: Any
    ) -> tuple[LiveRoom, str]:
        who = conn.principal
        async with self.lock(room_id):
            room = await self._open(room_id, channel, options.get("room", {}))
            if room.started_by is None:
                room.started_by = who.person_id
            old = room.participants.get(who.person_id)
            forced = old is not None and old.forced  # a moderator's mute outlives a rejoin
            peer = {**options.get("peer", {}), **({"muted": True} if forced else {})}
            try:
                answer = await room.handle.join(str(who.person_id), sdp, peer)
            except ControlError as exc:
                if not room.participants:
                    await self._close(room)
                raise hub_error(exc) from None
            if old is not None and old.sid != conn.sid:
                await self.rt.sio.leave_room(old.sid, room.socket_room)
                await self._tell(old.sid, room, "joined_elsewhere")
                await self._presence(who.person_id, old.sid, joined=False)
            if old is None or old.sid != conn.sid:
                await self._presence(who.person_id, conn.sid, joined=True)
            room.participants[who.person_id] = Participant(
                who.person_id, who.display_name, conn.sid, bool(peer.get("muted")), forced
            )
            self.changed(room)
            await self.rt.join(conn, room.socket_room)
            if self.recorder is not None:  # media/recording: they may play the recording back
                await self.recorder.joined(room_id, who.person_id)
        await self.announce(room)
        return room, answer

    async def leave(self, room: LiveRoom, person_id: int, reason: str | None = None) -> None:
        """Take a person out (telling their device `reason` when given)."""
        async with self.lock(room.room_id):
            gone = room.participants.pop(person_id, None)
            if gone is None:
                raise Conflict("media.not_in_room", "that person is not in this room")
            self.changed(room)
            room.video.pop(person_id, None)
            await self.rt.sio.leave_room(gone.sid, room.socket_room)
            if reason is not None:
                await self._tell(gone.sid, room, reason)
            with contextlib.suppress(ControlError):  # a worker that went down took the room
                await room.handle.leave(str(person_id))
            if not room.participants:
                await self._close(room)
        await self._presence(person_id, gone.sid, joined=False)
        if self.on_leave is not None:
            await self.on_leave(room, gone)
        if room.participants:
            await self.announce(room)

    async def end(self, room: LiveRoom, reason: str) -> None:
        async with self.lock(room.room_id):
            await self.rt.emit(f"{self.prefix}.ended", self._ended(room, reason), room.socket_room)
            for participant in list(room.participants.values()):
                await self.rt.sio.leave_room(participant.sid, room.socket_room)
                await self._presence(participant.person_id, participant.sid, joined=False)
            room.participants.clear()
            await self._close(room)

    async def announce(self, room: LiveRoom) -> None:
        body = {"room_id": room.room_id, **room.roster_state()}
        await self.rt.emit(f"{self.prefix}.participants", body, room.socket_room)

    async def close(self) -> None:
        for room in list(self.rooms.values()):
            await self.end(room, "shutdown")

    # ---- internals -------------------------------------------------------------------

    async def _open(self, room_id: str, channel: ChannelInfo, options: Any) -> LiveRoom:
        room = self.rooms.get(room_id)
        if room is not None and self.pool.room(room_id) is not None:
            return room
        if self.recorder is not None:  # media/recording: adds the `record` tap by policy
            options = await self.recorder.opening(room_id, channel, options)
        try:
            handle = await self.pool.open(room_id, "mixed", options, self._worker_event)
        except ControlError as exc:
            if self.recorder is not None:
                await self.recorder.closed(room_id)
            raise hub_error(exc) from None
        room = LiveRoom(room_id, self.prefix, channel, handle)
        self.rooms[room_id] = room
        return room

    async def _close(self, room: LiveRoom) -> None:
        if self.rooms.get(room.room_id) is room:
            del self.rooms[room.room_id]
        await room.handle.close()
        if self.recorder is not None:  # media/recording: the tap has finished the file
            await self.recorder.closed(room.room_id)

    def _ended(self, room: LiveRoom, reason: str) -> dict[str, Any]:
        return {"room_id": room.room_id, "channel_id": room.channel.id, "reason": reason}

    async def _presence(self, person_id: int, sid: str, joined: bool) -> None:
        if self.on_call:
            await self.rt.in_call(person_id, sid, joined)

    async def _tell(self, sid: str, room: LiveRoom, reason: str) -> None:
        await self.rt.sio.emit(f"{self.prefix}.ended", self._ended(room, reason), to=sid)

    async def _worker_event(self, event: str, data: dict[str, Any]) -> None:
        room = self.rooms.get(str(data.get("room")))
        if room is None:
            return
        if event == "peer.state" and data.get("state") == "failed":
            participant = room.by_peer(data.get("peer"))
            if participant is not None:
                await self.leave(room, participant.person_id, "connection_failed")
            return
        if event == "room" and self.on_event is not None:
            await self.on_event(room, str(data.get("name")), dict(data.get("data") or {}))

    async def _lost(self, room_ids: list[str]) -> None:
        for room_id in room_ids:
            room = self.rooms.pop(room_id, None)
            if room is None:
                continue
            await self.rt.emit(
                f"{self.prefix}.ended", self._ended(room, "media_worker_lost"), room.socket_room
            )
            for participant in room.participants.values():
                await self.rt.sio.leave_room(participant.sid, room.socket_room)
                await self._presence(participant.person_id, participant.sid, joined=False)
                if self.on_leave is not None:
                    await self.on_leave(room, participant)

    async def _gone(self, conn: Connection) -> None:
        for room in list(self.rooms.values()):
            participant = room.participants.get(conn.principal.person_id)
            if participant is not None and participant.sid == conn.sid:
                await self.leave(room, participant.person_id)
