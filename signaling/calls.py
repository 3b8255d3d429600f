"""1:1 calls and video pull over socket.io: invite, ring every device, accept/decline, hang-up.

Who may call whom: see signaling/scope.py. Busy is decided by the `call_lines` primary key
(store.create), so of two simultaneous invites to one person exactly one rings, on any node.

A call ends when the device holding it (the caller's inviting device, the callee's accepting
device) disconnects. The ring timeout is a durable hub timer (kind "ring", keyed by call id):
it fires on whichever node holds the lease, and its conditional UPDATE makes a late or repeated
firing harmless. Each node renews a lease on the calls its sockets hold (`calls.lease_s`); a
call whose lease lapses — its node died without disconnecting anyone — is ended by any node
("node_lost"), at start-up and on every heartbeat.

A video pull is a call of kind "pull": the caller (a commander) asks for the callee's camera;
the callee's devices get `call.pull_request` saying whether their app should ask its user or
accept by itself (settings: calls.pull_consent, calls.pull_auto_roles); the media is one way.
Requests, answers and ends of pulls are audited.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from hub import policy
from hub.access import COMMAND_ROLES, Principal
from hub.audit import SYSTEM, Actor
from hub.errors import Conflict, HubError, NotFound
from hub.ids import BigDbId, DbId
from hub.realtime import Connection, Realtime, user_room
from hub.timers import DueTimer, TimerView
from signaling import scope
from signaling.relay import Relay
from signaling.settings import CallSettings
from signaling.store import Audit, CallStore, CallView, Kind, Outcome, State
from storage.sql import utcnow

TIMER_KIND = "ring"
# Who may call whom, and pull whose camera: signaling/scope.py (the "call" scope).
CALL_INVITE = policy.signed_in("call.invite", policy.Scope.CALL)
CALL_PULL = policy.for_roles("call.pull", COMMAND_ROLES, policy.Scope.CALL)
CALL_ANSWER = policy.signed_in("call.answer", policy.Scope.CALL)  # accept, decline
CALL_HANGUP = policy.signed_in("call.hangup", policy.Scope.CALL)
log = logging.getLogger("gridhub.calls")


class InviteIn(BaseModel):
    callee_id: DbId
    media: Literal["audio", "video"]
    client_call_id: str = Field(min_length=1, max_length=64)


class PullIn(BaseModel):
    worker_id: DbId
    client_call_id: str = Field(min_length=1, max_length=64)


class CallRef(BaseModel):
    call_id: BigDbId


class Calls:
    """Registers the `call.*` socket events on the hub's Realtime."""

    def __init__(
        self, realtime: Realtime, store: CallStore, timers: TimerView, settings: CallSettings
    ) -> None:
        self.rt, self.store, self.timers, self.settings = realtime, store, timers, settings
        self.held: dict[int, set[str]] = {}  # call id -> roles whose device is on this node
        self.relay = Relay(realtime, store)
        # Called with every call this node ended (media/recording stops the call's recorder).
        self.on_ended: list[Callable[[CallView], Awaitable[None]]] = []
        realtime.on("call.invite", InviteIn, CALL_INVITE)(self.invite)
        realtime.on("call.pull", PullIn, CALL_PULL)(self.pull)
        realtime.on("call.accept", CallRef, CALL_ANSWER)(self.accept)
        realtime.on("call.decline", CallRef, CALL_ANSWER)(self.decline)
        realtime.on("call.hangup", CallRef, CALL_HANGUP)(self.hangup)
        timers.handler(TIMER_KIND)(self._ring_timeout)
        realtime.on_disconnected(self._device_gone)
        realtime.on_regranted(self._regranted)

    # ---- lifecycle -----------------------------------------------------------------------

    async def invite(self, conn: Connection, body: InviteIn) -> dict[str, Any]:
        caller = conn.principal
        existing = await self.store.by_client_id(caller.person_id, body.client_call_id)
        if existing is not None:
            return existing.as_dict()
        found = await self.store.person(body.callee_id)
        scope.check_callee(caller, body.callee_id, found, self.rt.grids())
        await self._check_reachable(body.callee_id)
        values = {"callee_id": body.callee_id, "media": body.media, "kind": Kind.CALL}
        call = await self._create(conn, body.client_call_id, values, None)
        if call.state == State.RINGING:
            await self._ring(call, caller, "call.ringing", {}, self.settings.ring_timeout_s)
        await self._tell_state(call)
        return call.as_dict()

    async def pull(self, conn: Connection, body: PullIn) -> dict[str, Any]:
        commander = conn.principal
        existing = await self.store.by_client_id(commander.person_id, body.client_call_id)
        if existing is not None:
            return existing.as_dict()
        found = await self.store.person(body.worker_id)
        scope.check_pull(commander, body.worker_id, found, self.rt.grids())
        assert found is not None
        auto = scope.auto_accepts(
            found, list(self.settings.pull_auto_roles), self.settings.pull_consent
        )
        consent = "auto" if auto else "ask"
        values = {"callee_id": body.worker_id, "media": "video", "kind": Kind.PULL}
        note = (Actor.of(commander), "call.pull_requested", {"consent": consent})
        call = await self._create(conn, body.client_call_id, values, note)
        extra = {"consent": consent}
        await self._ring(call, commander, "call.pull_request", extra, self.settings.pull_timeout_s)
        await self._tell_state(call)
        return call.as_dict()

    async def accept(self, conn: Connection, body: CallRef) -> dict[str, Any]:
        call = await self._own(conn, body.call_id, callee_only=True)
        note = self._note(call, conn.principal, "accepted", {})
        won = await self.store.transition(
            call.id, State.RINGING, {"state": State.ACTIVE, "callee_sid": conn.sid}, note
        )
        if won is None:
            raise self._moved(await self._own(conn, body.call_id))
        self.held.setdefault(won.id, set()).add("callee")
        await self.timers.cancel(str(call.id))
        await self._presence(won, joined=True)
        await self.rt.sio.emit(
            "call.answered_elsewhere",
            {"call_id": call.id},
            to=user_room(call.callee_id),
            skip_sid=conn.sid,
        )
        await self._tell_state(won)
        return won.as_dict()

    async def decline(self, conn: Connection, body: CallRef) -> dict[str, Any]:
        call = await self._own(conn, body.call_id, callee_only=True)
        ended = await self._end(call, State.RINGING, Outcome.DECLINED, "declined", conn.principal)
        return ended.as_dict()

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
        ended = await self._end(call, call.state, outcome, reason, conn.principal)
        return ended.as_dict()

    # ---- node lease ----------------------------------------------------------------------

    async def heartbeat(self) -> None:
        """Renew the lease of the calls held here; end calls whose lease lapsed elsewhere."""
        callers = {i for i, roles in self.held.items() if "caller" in roles}
        callees = {i for i, roles in self.held.items() if "callee" in roles}
        live = await self.store.refresh(callers, callees)
        for call_id in set(self.held) - live:
            self.held.pop(call_id, None)
        cutoff = utcnow() - timedelta(seconds=self.settings.lease_s)
        for call in await self.store.lapsed(cutoff):
            outcome = Outcome.CANCELLED if call.state == State.RINGING else Outcome.ANSWERED
            await self._end(call, call.state, outcome, "node_lost", strict=False)

    async def heartbeat_forever(self) -> None:
        while True:
            try:
                await self.heartbeat()
            except Exception:
                log.exception("call lease heartbeat failed")
            await asyncio.sleep(self.settings.lease_s / 3)

    # ---- helpers -------------------------------------------------------------------------

    async def _check_reachable(self, callee_id: int) -> None:
        """A person with no device connected (on any node) cannot ring: say so at once rather
        than ringing nobody until the ring timeout."""
        if (await self.rt.presence.get(callee_id)).devices == 0:
            raise Conflict(
                "call.callee_offline", "the person is offline", details={"callee_id": callee_id}
            )

    async def _create(
        self, conn: Connection, client_call_id: str, values: dict[str, Any], note: Audit | None
    ) -> CallView:
        row = {
            **values,
            "caller_id": conn.principal.person_id,
            "client_call_id": client_call_id,
            "caller_sid": conn.sid,
        }
        call = await self.store.create(row, note)
        if call is None:  # a concurrent retry with the same client_call_id won
            call = await self.store.by_client_id(conn.principal.person_id, client_call_id)
            assert call is not None
        elif call.state == State.RINGING:
            self.held.setdefault(call.id, set()).add("caller")
        return call

    async def _ring(
        self, call: CallView, caller: Principal, event: str, extra: dict[str, Any], ring_s: float
    ) -> None:
        await self.timers.schedule(
            TIMER_KIND, str(call.id), time.time() + ring_s, {"call_id": call.id}
        )
        ringing = {
            "call_id": call.id,
            "kind": call.kind,
            "media": call.media,
            "caller": {
                "person_id": caller.person_id,
                "username": caller.username,
                "name": caller.display_name,
            },
            "ring_timeout_s": ring_s,
            **extra,
        }
        await self.rt.emit(event, ringing, user_room(call.callee_id))

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

    async def _regranted(self, conn: Connection) -> None:
        """A puller's grants changed: a video pull they may no longer make ends at once."""
        for call in await self.store.of_device(conn.sid):
            if call.kind != Kind.PULL or call.caller_sid != conn.sid:
                continue
            try:
                found = await self.store.person(call.callee_id)
                scope.check_pull(conn.principal, call.callee_id, found, self.rt.grids())
            except HubError:
                outcome = Outcome.CANCELLED if call.state == State.RINGING else Outcome.ANSWERED
                await self._end(call, call.state, outcome, "access_revoked", strict=False)

    async def _end(
        self,
        call: CallView,
        expected: str,
        outcome: Outcome,
        reason: str,
        who: Principal | None = None,
        strict: bool = True,
    ) -> CallView:
        values = {"state": State.ENDED, "outcome": outcome, "end_reason": reason}
        note = self._note(call, who, "ended", {"outcome": outcome, "reason": reason})
        ended = await self.store.transition(call.id, expected, values, note)
        if ended is None:
            latest = await self.store.get(call.id)
            if strict and latest is not None:
                raise self._moved(latest)
            return latest or call
        self.held.pop(call.id, None)
        if expected == State.ACTIVE:
            await self._presence(ended, joined=False)
        if expected == State.RINGING:
            await self.timers.cancel(str(call.id))
        await self._tell_state(ended)
        for hook in self.on_ended:
            try:
                await hook(ended)
            except Exception:  # a hook's failure must not undo or hide the end of the call
                log.exception("call end hook failed", extra={"call_id": call.id})
        return ended

    async def _presence(self, call: CallView, joined: bool) -> None:
        """Both ends of a talking call show "on_call" (a video pull is not a talk)."""
        if call.kind == Kind.CALL:
            ends = ((call.caller_id, call.caller_sid), (call.callee_id, call.callee_sid))
            for person_id, sid in ends:
                if sid is not None:  # a device on any node (the presence book is shared)
                    await self.rt.in_call(person_id, sid, joined)

    @staticmethod
    def _note(
        call: CallView, who: Principal | None, what: str, details: dict[str, Any]
    ) -> Audit | None:
        """Video pulls are audited (who asked, who answered, how it ended); calls are logged."""
        if call.kind != Kind.PULL:
            return None
        actor = SYSTEM if who is None else Actor.of(who)
        return actor, f"call.pull_{what}", details

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
