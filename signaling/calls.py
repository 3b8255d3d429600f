"""1:1 call signaling over socket.io: invite, ring every device, accept/decline, relay, hang-up.

Who may call whom: two people may call each other when a grid one of them is assigned to covers
a grid the other is assigned to (same grid, an ancestor or descendant, or an overlay covering it,
in either direction), so a worker, their grid leader and the commanders above share a chain;
admins may call and be called by anyone.

A call ends when the device holding it (the caller's inviting device, the callee's accepting
device) disconnects. The ring timeout is a durable hub timer (kind "ring", keyed by call id):
it fires on whichever node holds the lease, and its conditional UPDATE makes a late or repeated
firing harmless.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from hub.access import Principal
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.realtime import Connection, Realtime, user_room
from hub.settings import CallSettings
from hub.timers import DueTimer, TimerView
from signaling.store import CallStore, CallView, Outcome, State

TIMER_KIND = "ring"


class InviteIn(BaseModel):
    callee_id: int = Field(ge=1)
    media: Literal["audio", "video"]
    client_call_id: str = Field(min_length=1, max_length=64)


class CallRef(BaseModel):
    call_id: int = Field(ge=1)


class Candidate(BaseModel):
    candidate: str = Field(max_length=2000)
    sdp_mid: str | None = Field(None, alias="sdpMid", max_length=64)
    sdp_mline_index: int | None = Field(None, alias="sdpMLineIndex", ge=0, le=64)


class SignalIn(BaseModel):
    call_id: int = Field(ge=1)
    kind: Literal["offer", "answer", "candidate", "restart"]
    sdp: str | None = Field(None, min_length=1, max_length=200_000)
    candidate: Candidate | None = None

    @model_validator(mode="after")
    def _complete(self) -> SignalIn:
        if self.kind == "candidate" and self.candidate is None:
            raise ValueError("a candidate signal needs `candidate`")
        if self.kind != "candidate" and self.sdp is None:
            raise ValueError(f"a {self.kind} signal needs `sdp`")
        return self


class Calls:
    """Registers the `call.*` socket events on the hub's Realtime."""

    def __init__(
        self, realtime: Realtime, store: CallStore, timers: TimerView, settings: CallSettings
    ) -> None:
        self.rt, self.store, self.timers, self.settings = realtime, store, timers, settings
        realtime.on("call.invite", InviteIn)(self.invite)
        realtime.on("call.accept", CallRef)(self.accept)
        realtime.on("call.decline", CallRef)(self.decline)
        realtime.on("call.hangup", CallRef)(self.hangup)
        realtime.on("call.signal", SignalIn)(self.signal)
        timers.handler(TIMER_KIND)(self._ring_timeout)
        realtime.on_disconnected(self._device_gone)

    # ---- lifecycle -----------------------------------------------------------------------

    async def invite(self, conn: Connection, body: InviteIn) -> dict[str, Any]:
        caller = conn.principal
        existing = await self.store.by_client_id(caller.person_id, body.client_call_id)
        if existing is not None:
            return self._ack(existing)
        await self._check_callee(caller, body.callee_id)
        if await self.store.in_call(caller.person_id):
            raise Conflict("call.caller_busy", "you are already in a call; hang up first")
        busy = await self.store.in_call(body.callee_id)
        call = await self.store.create(
            {
                "caller_id": caller.person_id,
                "callee_id": body.callee_id,
                "media": body.media,
                "client_call_id": body.client_call_id,
                "caller_sid": conn.sid,
                "state": State.ENDED if busy else State.RINGING,
                "outcome": Outcome.BUSY if busy else None,
                "end_reason": "busy" if busy else None,
            }
        )
        if call is None:  # a concurrent retry with the same client_call_id won
            again = await self.store.by_client_id(caller.person_id, body.client_call_id)
            assert again is not None
            return self._ack(again)
        if not busy:
            await self._ring(call, caller)
        await self._tell_state(call)
        return self._ack(call)

    async def accept(self, conn: Connection, body: CallRef) -> dict[str, Any]:
        call = await self._own(conn, body.call_id, callee_only=True)
        won = await self.store.transition(
            call.id, State.RINGING, {"state": State.ACTIVE, "callee_sid": conn.sid}
        )
        if won is None:
            raise self._moved(await self._own(conn, body.call_id))
        await self.timers.cancel(str(call.id))
        await self.rt.sio.emit(
            "call.answered_elsewhere",
            {"call_id": call.id},
            to=user_room(call.callee_id),
            skip_sid=conn.sid,
        )
        await self._tell_state(won)
        return self._ack(won)

    async def decline(self, conn: Connection, body: CallRef) -> dict[str, Any]:
        call = await self._own(conn, body.call_id, callee_only=True)
        ended = await self._end(call, State.RINGING, Outcome.DECLINED, "declined")
        return self._ack(ended)

    async def hangup(self, conn: Connection, body: CallRef) -> dict[str, Any]:
        call = await self._own(conn, body.call_id)
        by_caller = conn.principal.person_id == call.caller_id
        if call.state == State.ENDED:
            raise self._moved(call)
        if call.state == State.RINGING:
            outcome = Outcome.CANCELLED if by_caller else Outcome.DECLINED
            reason = "cancelled" if by_caller else "declined"
        else:
            outcome, reason = Outcome.ANSWERED, "caller_hangup" if by_caller else "callee_hangup"
        return self._ack(await self._end(call, call.state, outcome, reason))

    async def signal(self, conn: Connection, body: SignalIn) -> dict[str, Any]:
        call = await self._own(conn, body.call_id)
        if call.state != State.ACTIVE:
            raise Conflict("call.not_active", f"call {call.id} is {call.state}, not active")
        if conn.sid == call.caller_sid:
            target, role = call.callee_sid, "caller"
        elif conn.sid == call.callee_sid:
            target, role = call.caller_sid, "callee"
        else:
            raise Forbidden("call.other_device", "this call is connected on another device")
        message: dict[str, Any] = {"call_id": call.id, "kind": body.kind, "from": role}
        if body.sdp is not None:
            message["sdp"] = body.sdp
        if body.candidate is not None:
            message["candidate"] = body.candidate.model_dump(by_alias=True)
        await self.rt.sio.emit("call.signal", message, to=target)
        return {}

    # ---- helpers -------------------------------------------------------------------------

    async def _ring(self, call: CallView, caller: Principal) -> None:
        fire_at = time.time() + self.settings.ring_timeout_s
        await self.timers.schedule(TIMER_KIND, str(call.id), fire_at, {"call_id": call.id})
        ringing = {
            "call_id": call.id,
            "media": call.media,
            "caller": {
                "person_id": caller.person_id,
                "username": caller.username,
                "name": caller.display_name,
            },
            "ring_timeout_s": self.settings.ring_timeout_s,
        }
        await self.rt.emit("call.ringing", ringing, user_room(call.callee_id))

    async def _ring_timeout(self, payload: dict[str, Any], _timer: DueTimer) -> None:
        call = await self.store.get(int(payload["call_id"]))
        if call is not None and call.state == State.RINGING:
            await self._end(call, State.RINGING, Outcome.MISSED, "no_answer", strict=False)

    async def _device_gone(self, conn: Connection) -> None:
        """A call's device disconnected: the call ends (cancelled if it was still ringing)."""
        for call in await self.store.of_device(conn.sid):
            role = "caller" if call.caller_sid == conn.sid else "callee"
            outcome = Outcome.CANCELLED if call.state == State.RINGING else Outcome.ANSWERED
            await self._end(call, call.state, outcome, f"{role}_disconnected", strict=False)

    async def _end(
        self, call: CallView, expected: str, outcome: Outcome, reason: str, strict: bool = True
    ) -> CallView:
        ended = await self.store.transition(
            call.id,
            expected,
            {"state": State.ENDED, "outcome": outcome, "end_reason": reason},
        )
        if ended is None:
            latest = await self.store.get(call.id)
            if strict and latest is not None:
                raise self._moved(latest)
            return latest or call
        if expected == State.RINGING:
            await self.timers.cancel(str(call.id))
        await self._tell_state(ended)
        return ended

    async def _check_callee(self, caller: Principal, callee_id: int) -> None:
        if callee_id == caller.person_id:
            raise InvalidInput("call.self", "you cannot call yourself")
        found = await self.store.person(callee_id)
        if found is None:
            raise NotFound("call.callee_not_found", f"person {callee_id} does not exist")
        if caller.is_admin or await self.store.is_admin(callee_id):
            return
        index = self.rt.grids()
        mine, theirs = caller.grid_ids(), found[1]
        if any(index.covers(a, b) or index.covers(b, a) for a in mine for b in theirs):
            return
        raise Forbidden("call.out_of_scope", f"person {callee_id} is outside your grid chain")

    async def _own(self, conn: Connection, call_id: int, callee_only: bool = False) -> CallView:
        call = await self.store.get(call_id)
        me = conn.principal.person_id
        parties: tuple[int, ...] = ()
        if call is not None:
            parties = (call.callee_id,) if callee_only else (call.caller_id, call.callee_id)
        if call is None or me not in parties:
            raise NotFound("call.not_found", f"no call {call_id} of yours")
        return call

    @staticmethod
    def _moved(call: CallView) -> Conflict:
        if call.state == State.ACTIVE:
            return Conflict("call.already_answered", f"call {call.id} was answered already")
        return Conflict("call.ended", f"call {call.id} has ended ({call.outcome})")

    async def _tell_state(self, call: CallView) -> None:
        rooms = sorted({user_room(call.caller_id), user_room(call.callee_id)})
        await self.rt.emit("call.state", call.as_dict(), rooms)

    @staticmethod
    def _ack(call: CallView) -> dict[str, Any]:
        return call.as_dict()
