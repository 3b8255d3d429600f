"""`call.signal`: SDP and trickle ICE relayed between a call's two devices, glare arbitrated.

Glare rule (decided by a conditional UPDATE on `calls.offer_from`, so it holds on any node):
an offer (or ICE-restart offer) is accepted only while the other side has no offer
outstanding; the first one recorded wins and is relayed, the other gets `call.glare` and
is not relayed — its sender rolls back and answers the offer it receives. An answer is
accepted only while the other side's offer is outstanding (`call.no_offer` otherwise).
Candidates are relayed as they come.

In a video pull the media go one way: every audio/video section of the commander's SDP must
be `recvonly` (or `inactive`) and of the worker's `sendonly` (or `inactive`), so the pull
cannot be turned into a call nobody consented to (`call.pull_one_way` otherwise).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from hub import policy
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.ids import BigDbId
from hub.realtime import Connection, Realtime
from signaling.store import CallStore, CallView, Kind, State

OFFERS = ("offer", "restart")
CALL_SIGNAL = policy.signed_in("call.signal", policy.Scope.CALL)  # the call's two devices
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
ONE_WAY = {"caller": {"recvonly", "inactive"}, "callee": {"sendonly", "inactive"}}


class Candidate(BaseModel):
    candidate: str = Field(max_length=2000)
    sdp_mid: str | None = Field(None, alias="sdpMid", max_length=64)
    sdp_mline_index: int | None = Field(None, alias="sdpMLineIndex", ge=0, le=64)


class SignalIn(BaseModel):
    call_id: BigDbId
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


class Relay:
    def __init__(self, realtime: Realtime, store: CallStore) -> None:
        self.rt, self.store = realtime, store
        realtime.on("call.signal", SignalIn, CALL_SIGNAL)(self.signal)

    async def signal(self, conn: Connection, body: SignalIn) -> dict[str, Any]:
        call = await self.store.get(body.call_id)
        me = conn.principal.person_id
        if call is None or me not in (call.caller_id, call.callee_id):
            raise NotFound("call.not_found", f"no call {body.call_id} of yours")
        if call.state != State.ACTIVE:
            raise Conflict("call.not_active", f"call {call.id} is {call.state}, not active")
        target, role = self._ends(conn, call)
        if call.kind == Kind.PULL and body.sdp is not None:
            _check_one_way(body.sdp, role)
        await self._arbitrate(call, body.kind, role)
        message: dict[str, Any] = {"call_id": call.id, "kind": body.kind, "from": role}
        if body.sdp is not None:
            message["sdp"] = body.sdp
        if body.candidate is not None:
            message["candidate"] = body.candidate.model_dump(by_alias=True)
        await self.rt.sio.emit("call.signal", message, to=target)
        return {}

    @staticmethod
    def _ends(conn: Connection, call: CallView) -> tuple[str | None, str]:
        if conn.sid == call.caller_sid:
            return call.callee_sid, "caller"
        if conn.sid == call.callee_sid:
            return call.caller_sid, "callee"
        raise Forbidden("call.other_device", "this call is connected on another device")

    async def _arbitrate(self, call: CallView, kind: str, role: str) -> None:
        if kind in OFFERS and not await self.store.take_offer(call.id, role):
            raise Conflict(
                "call.glare",
                "the other side's offer came first: roll yours back and answer theirs",
            )
        if kind == "answer" and not await self.store.take_answer(call.id, role):
            raise Conflict("call.no_offer", "there is no offer of the other side to answer")


def media_directions(sdp: str) -> list[str]:
    """The direction of each audio/video section of an SDP (sendrecv when not stated)."""
    found: list[str] = []
    for section in sdp.split("\nm=")[1:]:
        if not section.startswith(("audio", "video")):
            continue
        attributes = {line.strip()[2:] for line in section.splitlines()}
        found.append(next((d for d in DIRECTIONS if d in attributes), "sendrecv"))
    return found


def _check_one_way(sdp: str, role: str) -> None:
    wrong = [d for d in media_directions(sdp) if d not in ONE_WAY[role]]
    if wrong:
        allowed = " or ".join(sorted(ONE_WAY[role]))
        raise InvalidInput("call.pull_one_way", f"in a video pull your media must be {allowed}")
