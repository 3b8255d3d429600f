"""Group calls on a channel, named by id or by its owner's ref: socket events (mixed rooms).

Client → hub (acked, house error shape): ``group.join``, ``group.leave``, ``group.mute``,
``group.remove``, ``group.end``. Hub → clients in the room: ``group.participants``,
``group.active_speaker``, ``group.muted``, ``group.ended``; to one device: ``group.video``
(which video m-line shows whom). See docs/media.md and docs/protocol.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from hub import policy
from hub.errors import Forbidden
from hub.ids import DbId
from hub.realtime import Connection, Realtime
from media.live import LiveRoom, LiveRooms, hub_error
from media.pool import MediaPool
from media.protocol import ControlError
from media.scope import Access, Doorman, ScopeIn

ROOM_ID = r"^call:[1-9][0-9]{0,17}$"
# Joining checks the channel (Doorman.admit); the rest act on a room: your own seat, or
# moderation (Doorman.moderates: command scope over the channel's grid, or the call's starter).
GROUP_JOIN = policy.signed_in("group.join", policy.Scope.CHANNEL)
GROUP_LEAVE = policy.signed_in("group.leave", policy.Scope.MEDIA_ROOM)
GROUP_MODERATE = policy.signed_in("group.moderate", policy.Scope.MEDIA_ROOM)
MAX_SDP = 100_000


class JoinIn(ScopeIn):
    sdp: str = Field(min_length=10, max_length=MAX_SDP)
    muted: bool = False


class RoomRef(BaseModel):
    room_id: str = Field(pattern=ROOM_ID)


class MuteIn(RoomRef):
    person_id: DbId | None = Field(None, description="default: yourself")
    all: bool = False
    muted: bool = True

    @model_validator(mode="after")
    def _target(self) -> MuteIn:
        if self.all and self.person_id is not None:
            raise ValueError("give `person_id` or `all`, not both")
        return self


class RemoveIn(RoomRef):
    person_id: DbId


class GroupCalls:
    def __init__(self, realtime: Realtime, pool: MediaPool, doorman: Doorman) -> None:
        self.rt, self.doorman = realtime, doorman
        self.rooms = LiveRooms(realtime, pool, "group")
        self.rooms.on_call = True  # presence: "on_call" while in a group call
        self.rooms.on_event = self._room_event
        realtime.on("group.join", JoinIn, GROUP_JOIN)(self.join)
        realtime.on("group.leave", RoomRef, GROUP_LEAVE)(self.leave)
        realtime.on("group.mute", MuteIn, GROUP_MODERATE)(self.mute)
        realtime.on("group.remove", RemoveIn, GROUP_MODERATE)(self.remove)
        realtime.on("group.end", RoomRef, GROUP_MODERATE)(self.end)

    async def join(self, conn: Connection, body: JoinIn) -> dict[str, Any]:
        access = await self.doorman.admit(conn.principal, body)
        room_id = f"call:{access.channel.id}"
        options = {"room": {"mode": "call"}, "peer": {"muted": body.muted}}
        room, answer = await self.rooms.join(conn, room_id, access.channel, body.sdp, options)
        return {
            "room_id": room_id,
            "channel_id": access.channel.id,
            "sdp": answer,
            "moderator": moderates(access, room, conn.principal.person_id),
            **room.roster_state(),  # participants, roster_version
            **room.speaker_state(),  # active_speaker, speaker_version
            "video": room.video.get(conn.principal.person_id, []),
        }

    async def leave(self, conn: Connection, body: RoomRef) -> dict[str, Any]:
        room = self.rooms.get(body.room_id)
        await self.rooms.leave(room, conn.principal.person_id)
        return {}

    async def mute(self, conn: Connection, body: MuteIn) -> dict[str, Any]:
        room = self.rooms.get(body.room_id)
        me = conn.principal.person_id
        own = not body.all and body.person_id in (None, me)
        moderator = await self._moderator(conn, room)
        if not own and not moderator:
            raise Forbidden("media.moderator_only", "only a moderator mutes others")
        mine = room.participants.get(me)
        if own and not moderator and mine is not None and mine.forced and not body.muted:
            raise Forbidden("media.muted_by_moderator", "a moderator muted you")
        targets = self._targets(room, body, me)
        try:
            await room.handle.control(
                "mute", {"peers": [str(p) for p in targets], "muted": body.muted}
            )
        except ControlError as exc:
            raise hub_error(exc) from None
        for person_id in targets:
            participant = room.participants.get(person_id)  # None: left while we waited
            if participant is not None:
                participant.muted, participant.forced = body.muted, body.muted and person_id != me
        self.rooms.changed(room)
        event = {"room_id": room.room_id, "person_ids": targets, "muted": body.muted, "by": me}
        await self.rt.emit("group.muted", event, room.socket_room)
        await self.rooms.announce(room)  # the roster shows who is muted
        return {"person_ids": targets}

    async def remove(self, conn: Connection, body: RemoveIn) -> dict[str, Any]:
        room = self.rooms.get(body.room_id)
        if not await self._moderator(conn, room):
            raise Forbidden("media.moderator_only", "only a moderator removes people")
        await self.rooms.leave(room, body.person_id, "removed")
        return {}

    async def end(self, conn: Connection, body: RoomRef) -> dict[str, Any]:
        room = self.rooms.get(body.room_id)
        if not await self._moderator(conn, room):
            raise Forbidden("media.moderator_only", "only a moderator ends the call for all")
        await self.rooms.end(room, "ended_by_moderator")
        return {}

    async def close(self) -> None:
        await self.rooms.close()

    # ---- helpers ---------------------------------------------------------------------

    def _targets(self, room: LiveRoom, body: MuteIn, me: int) -> list[int]:
        if body.all:
            return sorted(p for p in room.participants if p != me)
        target = body.person_id or me
        if target not in room.participants:
            raise Forbidden("media.not_in_room", "that person is not in this call")
        return [target]

    async def _moderator(self, conn: Connection, room: LiveRoom) -> bool:
        scope = ScopeIn(channel_id=room.channel.id)
        access = await self.doorman.admit(conn.principal, scope)
        return moderates(access, room, conn.principal.person_id)

    async def _room_event(self, room: LiveRoom, name: str, data: dict[str, Any]) -> None:
        if name == "speaker":
            speaker = room.by_peer(data.get("peer"))
            self.rooms.speaks(room, speaker.person_id if speaker is not None else None)
            body = {
                "room_id": room.room_id,
                "person_id": room.speaker,
                "speaker_version": room.speaker_version,
            }
            await self.rt.emit("group.active_speaker", body, room.socket_room)
        elif name == "video":
            person = _person(data.get("peer"))
            if person is None:
                return
            room.video[person] = [
                {"mid": s.get("mid"), "person_id": _person(s.get("source"))}
                for s in data.get("slots") or []
            ]
            viewer = room.participants.get(person)
            if viewer is not None:  # else the join reply carries the layout
                layout = {"room_id": room.room_id, "slots": room.video[person]}
                await self.rt.sio.emit("group.video", layout, to=viewer.sid)


def moderates(access: Access, room: LiveRoom, person_id: int) -> bool:
    """Who mutes others, removes people and ends a group call for all: command over the
    channel's grid (Doorman.admit), or having started the call."""
    return access.moderator or room.started_by == person_id


def _person(peer: Any) -> int | None:
    return int(peer) if isinstance(peer, str) and peer.isdigit() else None
